"""Van Westendorp options: Newton-Miller-Smith trial/revenue, intersection methods,
the narrower range, inconsistent respondents kept.

References are independent computations: a literal transcription of R
``pricesensitivitymeter``'s NMS matrix fill and ``seq.int`` interpolation
(psm_functions.R / psm-utils.R, no R package available here), per-respondent
``np.interp`` in price, and brute-force curve crossings by enumeration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.errors import ModelError

COLS = ["tc", "c", "e", "te"]
SCALE = (5, 4, 3, 2, 1)
CAL = (0.7, 0.5, 0.3, 0.1, 0.0)


def _data(rng: np.random.Generator, n: int) -> pd.DataFrame:
    base = rng.choice([20, 25, 30, 35, 40, 50], n)
    steps = rng.choice([0, 5, 10], (n, 3), p=[0.1, 0.5, 0.4])
    prices = base[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], 1)
    df = pd.DataFrame(prices.astype(float), columns=COLS)
    df["pic"] = rng.integers(2, 6, n)
    df["pie"] = np.minimum(df["pic"], rng.integers(1, 5, n))
    df["w"] = rng.integers(1, 4, n).astype(float)
    return df


def _r_trial(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """psm_analysis's NMS trial curve, transcribed step by step (unweighted)."""
    grid = np.unique(df[COLS].to_numpy())
    cal = dict(zip(SCALE, CAL))
    m = np.full((len(df), grid.size), np.nan)
    pos = {c: np.searchsorted(grid, df[c].to_numpy()) for c in COLS}
    r = np.arange(len(df))
    m[r, pos["tc"]] = 0  # assignment order as in R: later roles overwrite earlier ones
    m[r, pos["te"]] = 0
    m[r, pos["c"]] = df["pic"].map(cal).to_numpy()
    m[r, pos["e"]] = df["pie"].map(cal).to_numpy()
    for i in range(len(df)):  # interpolate_nms_matrix: seq.int between known positions
        known = np.flatnonzero(~np.isnan(m[i]))
        for a, b in zip(known[:-1], known[1:]):
            m[i, a:b + 1] = np.linspace(m[i, a], m[i, b], b - a + 1)
    m = np.nan_to_num(m)
    return grid, m.mean(axis=0)


def test_nms_position_interpolation_reproduces_r(rng):
    df = _data(rng, 300).assign(w=1.0)
    grid, trial = _r_trial(df)
    res = SurveyDesign(df, weights="w").van_westendorp(
        *COLS, pi_cheap="pic", pi_expensive="pie", nms_interpolation="position",
        replicates=10, seed=1)
    got = res.nms_curves().query("curve == 'trial'")
    assert_allclose(got["price"], grid)
    assert_allclose(got["estimate"], trial, rtol=1e-12)
    rev = res.nms_curves().query("curve == 'revenue'")["estimate"].to_numpy()
    assert_allclose(rev, grid * trial, rtol=1e-12)
    pp = res.summary_frame()
    assert pp.loc["trial_optimal", "estimate"] == grid[np.argmax(trial)]
    assert pp.loc["revenue_optimal", "estimate"] == grid[np.argmax(grid * trial)]


def test_nms_price_interpolation_is_np_interp_and_weights_are_duplicates(rng):
    df = _data(rng, 200)
    strict = (np.diff(df[COLS].to_numpy(), axis=1) > 0).all(axis=1)
    df = df[strict].reset_index(drop=True)  # np.interp needs distinct knots
    cal = dict(zip(SCALE, CAL))
    grid = np.unique(df[COLS].to_numpy())
    probs = np.array([np.interp(grid, [r.tc, r.c, r.e, r.te],
                                [0, cal[r.pic], cal[r.pie], 0], left=0, right=0)
                      for r in df.itertuples()])
    w = df["w"].to_numpy()
    trial = w @ probs / w.sum()
    kw = dict(pi_cheap="pic", pi_expensive="pie", replicates=10, seed=1)
    res = SurveyDesign(df, weights="w").van_westendorp(*COLS, **kw)
    got = res.nms_curves().query("curve == 'trial'")
    assert_allclose(got["estimate"], trial, rtol=1e-12)
    dup = df.loc[df.index.repeat(df["w"].astype(int))].assign(w=1.0).reset_index(drop=True)
    res2 = SurveyDesign(dup, weights="w").van_westendorp(*COLS, **kw)
    assert_allclose(res2.summary_frame()["estimate"], res.summary_frame()["estimate"])
    # Every price point, the NMS optima included, has a design SE and interval.
    pp = res.summary_frame()
    assert list(pp.index) == ["pmc", "opp", "ipp", "pme", "trial_optimal", "revenue_optimal"]
    assert pp["se"].notna().all()
    assert (pp["ci_low"] <= pp["estimate"]).all()
    assert (pp["estimate"] <= pp["ci_high"]).all()


def test_nms_rejects_answers_off_the_scale_and_needs_both_columns(rng):
    df = _data(rng, 50)
    df.loc[7, "pic"] = 9
    d = SurveyDesign(df, weights="w")
    with pytest.raises(ModelError, match=r"'pic' has answers not on pi_scale.*7"):
        d.van_westendorp(*COLS, pi_cheap="pic", pi_expensive="pie", replicates=5, seed=1)
    with pytest.raises(ModelError, match="both pi_cheap= and pi_expensive="):
        d.van_westendorp(*COLS, pi_cheap="pic", replicates=5, seed=1)
    with pytest.raises(ModelError, match="probabilities in"):
        d.van_westendorp(*COLS, pi_cheap="pie", pi_expensive="pie", pi_calibrated=(2, 0, 0, 0, 0),
                         replicates=5, seed=1)
    with pytest.raises(ModelError, match="no purchase-intent answers"):
        d.van_westendorp(*COLS, replicates=5, seed=1).nms_curves()


def _curve(df: pd.DataFrame, col: str, p: float, above: bool) -> float:
    w = df["w"]
    return float((w * ((df[col] >= p) if above else (df[col] <= p))).sum() / w.sum())


def _brute(df: pd.DataFrame, fall: str, rise: str, method: str = "min") -> float:
    """Brute force: crossing of two curves on the grid (curve names as in the result)."""
    grid = np.unique(df[COLS].to_numpy())
    curves = {
        "too_cheap": lambda p: _curve(df, "tc", p, True),
        "cheap": lambda p: _curve(df, "c", p, True),
        "not_cheap": lambda p: 1 - _curve(df, "c", p, True),
        "expensive": lambda p: _curve(df, "e", p, False),
        "not_expensive": lambda p: 1 - _curve(df, "e", p, False),
        "too_expensive": lambda p: _curve(df, "te", p, False),
    }
    f = np.array([curves[fall](p) for p in grid])
    r = np.array([curves[rise](p) for p in grid])
    i = int(np.argmax(f - r <= 1e-12))
    tie = np.isclose(f, f[i], atol=1e-12) & np.isclose(r, r[i], atol=1e-12)
    at = grid[tie] if abs(f[i] - r[i]) <= 1e-12 else grid[[i]]
    return float({"min": np.min, "max": np.max, "mean": np.mean, "median": np.median}[method](at))


@pytest.mark.parametrize("method", ["min", "max", "mean", "median"])
def test_intersection_methods_on_a_lasting_tie(method):
    # "too cheap" and "too expensive" both sit at 1/4 over the prices 30, 45 and 50.
    df = pd.DataFrame([(5, 8, 12, 15), (10, 12, 15, 70), (15, 30, 45, 60), (50, 55, 60, 65)],
                      columns=COLS, dtype=float).assign(w=1.0)
    d = SurveyDesign(df, weights="w")
    res = d.van_westendorp(*COLS, interpolate=False, intersection=method, replicates=5,
                           seed=1)
    pos = df
    want = _brute(pos, "too_cheap", "too_expensive", method)
    assert want == {"min": 30, "max": 50, "mean": 125 / 3, "median": 45}[method]
    assert res.summary_frame().loc["opp", "estimate"] == want
    if method != "min":
        assert want != _brute(pos, "too_cheap", "too_expensive", "min")


def test_narrower_range_by_brute_force_and_inside_the_classic_one(rng):
    df = _data(rng, 120)
    d = SurveyDesign(df, weights="w")
    classic = d.van_westendorp(*COLS, interpolate=False, replicates=5, seed=1)
    narrow = d.van_westendorp(*COLS, interpolate=False, price_range="narrower", replicates=5,
                              seed=1)
    pp = narrow.summary_frame()
    assert pp.loc["pmc", "estimate"] == _brute(df, "too_cheap", "expensive")
    assert pp.loc["pme", "estimate"] == _brute(df, "cheap", "too_expensive")
    assert pp.loc["pmc", "estimate"] == pytest.approx(narrow.acceptable_range[0])
    lo, hi = classic.acceptable_range
    nlo, nhi = narrow.acceptable_range
    assert lo <= nlo < nhi <= hi
    assert_allclose(pp.loc[["opp", "ipp"], "estimate"],
                    classic.summary_frame().loc[["opp", "ipp"], "estimate"])
    assert narrow.price_range == "narrower"


def test_inconsistent_respondents_kept_on_request(rng):
    df = _data(rng, 150)
    swap = [3, 17, 40]
    df.loc[swap, ["c", "e"]] = df.loc[swap, ["e", "c"]].to_numpy() + [[5.0, 0.0]] * 3
    d = SurveyDesign(df, weights="w")
    kept = d.van_westendorp(*COLS, interpolate=False, inconsistent="keep", replicates=5, seed=1)
    dropped = d.van_westendorp(*COLS, interpolate=False, replicates=5, seed=1)
    assert kept.audit.loc["inconsistent_kept", "respondents"] == 3
    assert kept.audit.loc["used", "respondents"] == 150
    assert dropped.audit.loc["used", "respondents"] == 147
    assert list(kept.inconsistent) == swap
    assert list(kept.excluded) == []
    assert list(dropped.excluded) == swap
    for point, (fall, rise) in {"ipp": ("cheap", "expensive"),
                                "pmc": ("too_cheap", "not_cheap")}.items():
        assert kept.summary_frame().loc[point, "estimate"] == _brute(df, fall, rise)
    with pytest.raises(ModelError, match="needs ordered prices"):
        d.van_westendorp(*COLS, inconsistent="keep", pi_cheap="pic", pi_expensive="pie",
                         replicates=5, seed=1)
