"""Van Westendorp price sensitivity meter: crossings, weights, codebook roles, audit."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.codebook import Codebook
from analysis.errors import CodebookError, ModelError, SurveyError

ROLES = ("too_cheap", "cheap", "expensive", "too_expensive")
FACTORS = np.array([0.5, 0.8, 1.2, 1.6])


def _psm(rng: np.random.Generator, n: int, median: float = 50.0) -> pd.DataFrame:
    base = np.exp(rng.normal(np.log(median), 0.3, n))
    noise = np.exp(rng.normal(0, 0.02, (n, 4)))
    prices = np.sort(base[:, None] * FACTORS * noise, axis=1)
    df = pd.DataFrame(prices, columns=["tc", "c", "e", "te"])
    df["w"] = rng.uniform(0.5, 2, n)
    df["st"] = rng.integers(0, 4, n)
    return df


def test_price_points_recover_the_analytic_crossings(rng):
    df = _psm(rng, 4000)
    res = SurveyDesign(df, weights="w", strata="st").van_westendorp("tc", "c", "e", "te",
                         replicates=60, seed=2)
    # With price = B x factor and log B symmetric, curves cross at 50 x sqrt(f1 x f2)
    # (noise shifts this by far less than the SEs).
    truth = {"pmc": 50 / np.sqrt(2 * 1.25), "opp": 50 * np.sqrt(1.6 / 2),
             "ipp": 50 * np.sqrt(0.8 * 1.2), "pme": 50 * np.sqrt(1.2 * 1.6)}
    pp = res.summary_frame()
    for k, v in truth.items():
        assert abs(pp.loc[k, "estimate"] - v) < 3.5 * pp.loc[k, "se"] + 0.3, (k, pp.loc[k])
    lo, hi = res.acceptable_range
    assert lo < pp.loc["opp", "estimate"] < pp.loc["ipp", "estimate"] < hi


def test_crossings_by_brute_force_and_weights_as_duplicates():
    df = pd.DataFrame({"tc": [5, 8, 10, 12.0], "c": [10, 12, 15, 20.0],
                       "e": [20, 18, 25, 30.0], "te": [30, 25, 35, 40.0],
                       "w": [1, 2, 1, 3]})
    d = SurveyDesign(df, weights="w")
    res = d.van_westendorp("tc", "c", "e", "te", interpolate=False, replicates=5, seed=1)
    grid = np.unique(df[["tc", "c", "e", "te"]].to_numpy())
    w = df["w"].to_numpy()
    tc = np.array([(w * (df["tc"] >= p)).sum() for p in grid]) / w.sum()
    te = np.array([(w * (df["te"] <= p)).sum() for p in grid]) / w.sum()
    opp = grid[np.argmax(tc - te <= 0)]
    assert res.price_points.loc["opp", "estimate"] == opp
    dup = df.loc[df.index.repeat(df["w"])].assign(w=1.0).reset_index(drop=True)
    res2 = SurveyDesign(dup, weights="w").van_westendorp("tc", "c", "e", "te", replicates=5,
                          seed=1)
    res1 = d.van_westendorp("tc", "c", "e", "te", replicates=5, seed=1)
    assert_allclose(res2.price_points["estimate"], res1.price_points["estimate"])
    curve = res1.tidy()
    assert set(curve["curve"]) == {"too_cheap", "cheap", "expensive", "too_expensive",
                                   "not_cheap", "not_expensive"}


def test_inconsistent_answers_are_excluded_and_audited(rng):
    df = _psm(rng, 300)
    df.loc[[4, 9, 30], "c"] = df.loc[[4, 9, 30], "te"] + 1  # cheap above too expensive
    df.loc[50, "e"] = np.nan  # incomplete: not counted as answered
    res = SurveyDesign(df, weights="w").van_westendorp("tc", "c", "e", "te", replicates=20,
                         seed=3)
    assert res.audit.loc["answered_all_four", "respondents"] == 299
    assert res.audit.loc["inconsistent_excluded", "respondents"] == 3
    assert res.audit.loc["used", "respondents"] == 296
    assert list(res.excluded) == [4, 9, 30]
    clean = SurveyDesign(df.drop(index=[4, 9, 30, 50]), weights="w").van_westendorp(
                           "tc", "c", "e", "te", replicates=20, seed=3)
    assert_allclose(res.price_points["estimate"], clean.price_points["estimate"])
    # ties are allowed unless strict=True
    tied = df.drop(index=[4, 9, 30, 50]).reset_index(drop=True)
    tied.loc[0, "c"] = tied.loc[0, "tc"]
    strict = SurveyDesign(tied, weights="w").van_westendorp("tc", "c", "e", "te", strict=True,
                            replicates=5, seed=1)
    assert strict.audit.loc["inconsistent_excluded", "respondents"] == 1
    bad = df.assign(c=df["te"] + 1)
    with pytest.raises(ModelError, match="consistently"):
        SurveyDesign(bad, weights="w").van_westendorp("tc", "c", "e", "te")


def test_roles_come_from_the_codebook(rng):
    questions = [{"id": q, "type": "numeric", "label": q, "psm": role}
                 for q, role in zip(["tc", "c", "e", "te"], ROLES)]
    cb = Codebook.model_validate({"wave": "t", "title": "t", "questions": questions})
    df = _psm(rng, 300)
    df.attrs["codebook_json"] = cb.to_json()
    d = SurveyDesign(df, weights="w")
    a = d.van_westendorp(replicates=10, seed=4)
    b = d.van_westendorp("tc", "c", "e", "te", replicates=10, seed=4)
    assert_allclose(a.price_points.to_numpy(), b.price_points.to_numpy())
    short = Codebook.model_validate({"wave": "t", "title": "t", "questions": questions[:3]})
    with pytest.raises(CodebookError, match="too_expensive"):
        d.van_westendorp(codebook=short)


def test_replicate_design_uses_its_own_replicates(rng):
    df = _psm(rng, 400)
    rep = SurveyDesign(df, weights="w", strata="st").to_replicates("JKn")
    res = rep.van_westendorp("tc", "c", "e", "te")
    assert res.price_points["se"].gt(0).all()


def _first_crossing(fall: dict, rise: dict) -> Fraction:
    return min(p for p in fall if fall[p] <= rise[p])


def test_an_exact_tie_is_a_crossing():
    # 46 respondents; at 10, 3 find it too cheap and 3 find it not cheap (1 - 43/46 in floats,
    # 4e-17 below 3/46), so the point of marginal cheapness is 10, not the next price (12).
    rows = [(10, 12, 20, 25)] * 3 + [(5, 8, 20, 25)] * 3 + [(4, 15, 20, 25)] * 40
    df = pd.DataFrame(rows, columns=["tc", "c", "e", "te"], dtype=float).assign(w=1.0)
    assert 3 / 46 != 1 - 43 / 46  # the rounding the crossing test must absorb
    # Exact fractions: too cheap = share answering >= p, not cheap = share with cheap < p.
    prices = sorted({Fraction(int(v)) for v in df[["tc", "c", "e", "te"]].to_numpy().ravel()})
    tc = {p: Fraction(int((df["tc"] >= p).sum()), 46) for p in prices}
    nc = {p: 1 - Fraction(int((df["c"] >= p).sum()), 46) for p in prices}
    assert _first_crossing(tc, nc) == 10
    assert tc[Fraction(10)] == nc[Fraction(10)]
    d = SurveyDesign(df, weights="w")
    for interpolate in (False, True):
        res = d.van_westendorp("tc", "c", "e", "te", interpolate=interpolate, replicates=20,
                             seed=1)
        assert res.price_points.loc["pmc", "estimate"] == 10.0


def _hand_example() -> SurveyDesign:
    df = pd.DataFrame({"tc": [1, 2, 3, 4.0], "c": [2, 3, 4, 5.0], "e": [3, 4, 5, 6.0],
                       "te": [4, 5, 6, 7.0], "w": 1.0})
    return SurveyDesign(df, weights="w")


# Counts out of 4 at prices 1..7 (worked by hand):
#   at_or_above: too cheap #{tc >= p} = 4 3 2 1 0 0 0   cheap #{c >= p} = 4 4 3 2 1 0 0
#   above:       too cheap #{tc >  p} = 3 2 1 0 0 0 0   cheap #{c >  p} = 4 3 2 1 0 0 0
#   both:        expensive #{e <= p}  = 0 0 1 2 3 4 4   too exp. #{te <= p} = 0 0 0 1 2 3 4
# PMC (too cheap vs 1 - cheap), at_or_above: d = 4 3 1 -1 -> 4 (interpolated 3 + 1/2);
#     above: d = 3 1 -1 -> 3 (2.5).  OPP (too cheap vs too expensive), at_or_above: tie at 4;
#     above: d(3) = 1, d(4) = -1 -> 4 (3.5).  IPP (cheap vs expensive), at_or_above: tie at 4;
#     above: d(3) = 1, d(4) = -1 -> 4 (3.5).  PME (1 - expensive vs too expensive): d(4) = 1,
#     d(5) = -1 -> 5 (4.5) in both.
HAND = {("at_or_above", False): {"pmc": 4, "opp": 4, "ipp": 4, "pme": 5},
        ("at_or_above", True): {"pmc": 3.5, "opp": 4, "ipp": 4, "pme": 4.5},
        ("above", False): {"pmc": 3, "opp": 4, "ipp": 4, "pme": 5},
        ("above", True): {"pmc": 2.5, "opp": 3.5, "ipp": 3.5, "pme": 4.5}}


@pytest.mark.parametrize(("counting", "interpolate"), list(HAND))
def test_both_counting_conventions_on_a_hand_example(counting, interpolate):
    res = _hand_example().van_westendorp("tc", "c", "e", "te", interpolate=interpolate,
                         cheap_counting=counting, replicates=10, seed=1)
    assert res.cheap_counting == counting
    assert res.price_points["estimate"].to_dict() == pytest.approx(HAND[counting, interpolate],
                                                                   abs=1e-12)
    curves = res.tidy().pivot(index="price", columns="curve", values="estimate")
    counts = {"at_or_above": ([4, 3, 2, 1, 0, 0, 0], [4, 4, 3, 2, 1, 0, 0]),
              "above": ([3, 2, 1, 0, 0, 0, 0], [4, 3, 2, 1, 0, 0, 0])}[counting]
    assert_allclose(curves["too_cheap"], np.array(counts[0]) / 4)
    assert_allclose(curves["cheap"], np.array(counts[1]) / 4)
    assert_allclose(curves["expensive"], np.array([0, 0, 1, 2, 3, 4, 4]) / 4)
    assert_allclose(curves["too_expensive"], np.array([0, 0, 0, 1, 2, 3, 4]) / 4)


def test_unknown_counting_convention_is_rejected():
    with pytest.raises(SurveyError, match="cheap_counting"):
        _hand_example().van_westendorp("tc", "c", "e", "te", cheap_counting="strict")
