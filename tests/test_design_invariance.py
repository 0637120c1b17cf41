"""Identities SurveyDesign estimators must satisfy (no R needed).

Integer weights == duplicated rows; equal weights under SRS == textbook
formulas; by-group == domain (subset) estimates, which differ from
re-building a design on the subset rows; immutability and the variance
primitives other modules build on.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import LonelyPSUWarning
from analysis.survey import SurveyDesign

DATA = Path(__file__).resolve().parent / "reference" / "data"


@pytest.fixture(scope="module")
def clus1() -> pd.DataFrame:
    df = pd.read_csv(DATA / "apiclus1.csv")
    df["sw"] = (df["sch.wide"] == "Yes").astype(float)
    return df


@pytest.fixture
def small(rng: np.random.Generator) -> pd.DataFrame:
    n = 120
    return pd.DataFrame({
        "y": rng.normal(10, 3, n),
        "x": rng.uniform(1, 5, n),
        "b": rng.integers(0, 2, n).astype(float),
        "g": rng.choice(["a", "b", "c"], n),
        "stratum": np.repeat([1, 2, 3], n // 3),
        "psu": np.repeat(np.arange(24), n // 24),
        "w": rng.integers(1, 5, n).astype(float),
    })


def test_integer_weights_equal_duplicated_rows(small: pd.DataFrame) -> None:
    d = SurveyDesign(small, weights="w")
    dup = small.loc[small.index.repeat(small["w"].astype(int))].reset_index(drop=True)
    e = SurveyDesign(dup)
    for method, args in (("mean", ("y",)), ("total", ("y",)), ("mean", ("g",)),
                         ("ratio", ("y", "x"))):
        got = getattr(d, method)(*args).estimate.to_numpy()
        want = getattr(e, method)(*args).estimate.to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(d.mean("y", by="g").estimate, e.mean("y", by="g").estimate,
                               rtol=1e-12)
    np.testing.assert_allclose(d.quantile("y", [0.1, 0.5, 0.9]).estimate,
                               e.quantile("y", [0.1, 0.5, 0.9]).estimate, rtol=0)
    assert d.proportion("b").estimate.iloc[0] == pytest.approx(e.mean("b").estimate.iloc[0],
                                                               rel=1e-7)


def test_equal_weights_srs_match_textbook(small: pd.DataFrame) -> None:
    y = small["y"].to_numpy()
    n, big_n = len(y), 1000.0
    df = small.assign(N=big_n)
    s2 = y.var(ddof=1)
    d = SurveyDesign(df, fpc="N")
    res = d.mean("y")
    assert res.estimate.iloc[0] == pytest.approx(y.mean(), rel=1e-12)
    assert res.se.iloc[0] == pytest.approx(np.sqrt(s2 / n * (1 - n / big_n)), rel=1e-12)
    # the fpc also gives weights N/n, so the total is N * mean
    tot = d.total("y")
    assert tot.estimate.iloc[0] == pytest.approx(big_n * y.mean(), rel=1e-12)
    assert tot.se.iloc[0] == pytest.approx(big_n * np.sqrt(s2 / n * (1 - n / big_n)), rel=1e-12)
    plain = SurveyDesign(small).mean("y")
    assert plain.se.iloc[0] == pytest.approx(np.sqrt(s2 / n), rel=1e-12)
    assert plain.df == n - 1
    ci = plain.conf_int(0.9, df="design")
    q = stats.t.ppf(0.95, n - 1)
    assert ci["ci_low"].iloc[0] == pytest.approx(y.mean() - q * np.sqrt(s2 / n), rel=1e-12)
    # deff of a mean under SRS without replacement is exactly 1
    assert d.mean("y", deff=True).deff.iloc[0] == pytest.approx(1.0, rel=1e-12)
    # a proportion's "mean" interval is the t interval
    p = small["b"].mean()
    res = SurveyDesign(small).proportion("b", method="mean")
    half = stats.t.ppf(0.975, n - 1) * np.sqrt(p * (1 - p) / (n - 1))
    np.testing.assert_allclose(res.conf_int().to_numpy()[0], [p - half, p + half], rtol=1e-12)


def test_wilson_interval_matches_formula(small: pd.DataFrame) -> None:
    # number not from R (survey 4.1 has no "wilson"): Kott-Carr with n_eff = p(1-p)/var
    d = SurveyDesign(small, weights="w", strata="stratum", psu="psu")
    res = d.proportion("b", method="wilson")
    p, v = res.estimate.iloc[0], res.se.iloc[0] ** 2
    n_eff, q = p * (1 - p) / v, stats.t.ppf(0.975, d.degf())
    centre = (p + q**2 / (2 * n_eff)) / (1 + q**2 / n_eff)
    half = q * np.sqrt(p * (1 - p) / n_eff + q**2 / (4 * n_eff**2)) / (1 + q**2 / n_eff)
    np.testing.assert_allclose(res.conf_int().to_numpy()[0], [centre - half, centre + half],
                               rtol=1e-12)


def test_by_group_equals_domain_not_rebuilt_design(clus1: pd.DataFrame) -> None:
    d = SurveyDesign(clus1, weights="pw", psu="dnum", fpc="fpc")
    by = d.mean("api00", by="stype")
    for level in ("E", "H", "M"):
        dom = d.subset(clus1["stype"] == level).mean("api00")
        assert by.estimate[level] == pytest.approx(dom.estimate.iloc[0], rel=1e-12)
        assert by.se[level] == pytest.approx(dom.se.iloc[0], rel=1e-12)
    # a design rebuilt on the subset rows forgets the PSUs without such schools
    sub = clus1[clus1["stype"] == "H"]
    rebuilt = SurveyDesign(sub, weights="pw", psu="dnum", fpc="fpc").mean("api00")
    assert rebuilt.estimate.iloc[0] == pytest.approx(by.estimate["H"], rel=1e-12)
    assert abs(rebuilt.se.iloc[0] - by.se["H"]) > 1e-3 * by.se["H"]
    # covariance between groups is estimated (not zero), the diagonal is the domain's
    np.testing.assert_allclose(np.diag(by.vcov), by.se**2, rtol=1e-12)


def test_ultimate_cluster_without_fpc(clus1: pd.DataFrame) -> None:
    two = SurveyDesign(clus1, weights="pw", psu=["dnum", "snum"]).mean("api00")
    one = SurveyDesign(clus1, weights="pw", psu="dnum").mean("api00")
    np.testing.assert_allclose(two.se, one.se, rtol=1e-12)


def test_fpc_as_count_or_fraction_agree(clus1: pd.DataFrame) -> None:
    n_psu = clus1["dnum"].nunique()
    frac = clus1.assign(f=n_psu / clus1["fpc"])
    a = SurveyDesign(clus1, weights="pw", psu="dnum", fpc="fpc").mean("api00")
    b = SurveyDesign(frac, weights="pw", psu="dnum", fpc="f").mean("api00")
    np.testing.assert_allclose(a.se, b.se, rtol=1e-12)


def test_weights_scale_and_row_order(small: pd.DataFrame) -> None:
    d = SurveyDesign(small, weights="w", strata="stratum", psu="psu")
    scaled = SurveyDesign(small.assign(w=small["w"] * 37.5), weights="w", strata="stratum",
                          psu="psu")
    shuffled = small.sample(frac=1.0, random_state=3)
    e = SurveyDesign(shuffled, weights="w", strata="stratum", psu="psu")
    base = d.mean("g").summary_frame()
    pd.testing.assert_frame_equal(scaled.mean("g").summary_frame(), base, rtol=1e-12)
    pd.testing.assert_frame_equal(e.mean("g").summary_frame(), base, rtol=1e-12)
    tot = d.total("y")
    assert scaled.total("y").estimate.iloc[0] == pytest.approx(37.5 * tot.estimate.iloc[0])


def test_nullable_dtypes_and_missing_values() -> None:
    df = pd.DataFrame({
        "i": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"),
        "f": pd.array([1.5, None, 3.0, 4.0, 5.0, 6.0], dtype="Float64"),
        "b": pd.array([True, False, None, True, True, False], dtype="boolean"),
        "c": pd.Categorical(["x", "y", None, "x", "y", "x"], categories=["x", "y", "z"]),
    })
    d = SurveyDesign(df)
    assert np.isnan(d.mean("i").estimate.iloc[0])
    assert np.isnan(d.mean("i").se.iloc[0])
    assert d.mean("i", na_rm=True).estimate.iloc[0] == pytest.approx(18 / 5)
    assert d.mean("i", na_rm=True).n_unweighted.iloc[0] == 5
    assert d.mean("f", na_rm=True).estimate.iloc[0] == pytest.approx(19.5 / 5)
    assert d.mean("b", na_rm=True).estimate.iloc[0] == pytest.approx(3 / 5)
    cat = d.mean("c", na_rm=True)
    assert list(cat.estimate.index) == ["x", "y", "z"]
    np.testing.assert_allclose(cat.estimate, [3 / 5, 2 / 5, 0.0])


def test_design_is_immutable_and_with_weights_returns_new(small: pd.DataFrame) -> None:
    d = SurveyDesign(small, weights="w", strata="stratum", psu="psu")
    with pytest.raises(AttributeError, match="immutable"):
        d.lonely_psu = "adjust"  # type: ignore[misc]
    w2 = d.weights * 2
    e = d.with_weights(w2)
    assert e is not d
    assert e.structure is d.structure
    np.testing.assert_array_equal(d.weights, small["w"].to_numpy())
    np.testing.assert_array_equal(e.weights, w2)
    assert e.weight_series.name == "w"
    assert e.strata_columns == ["stratum"]
    assert e.psu_columns == ["psu"]


class _Halve:
    """A stand-in calibration whose residuals are half the scores."""

    def __init__(self) -> None:
        self.calls = 0

    def residualize(self, x: np.ndarray, design: SurveyDesign) -> np.ndarray:
        self.calls += 1
        return x / 2


def test_vcov_scores_applies_calibrations(small: pd.DataFrame) -> None:
    d = SurveyDesign(small, weights="w", strata="stratum", psu="psu")
    scores = (small[["y", "x"]].to_numpy() - 3) * d.weights[:, None]
    base = d.vcov_scores(scores)
    assert base.shape == (2, 2)
    np.testing.assert_allclose(base, base.T)
    cal = _Halve()
    e = d.with_weights(d.weights, calibration=cal).with_weights(d.weights, calibration=cal)
    assert e.calibrations == (cal, cal)
    np.testing.assert_allclose(e.vcov_scores(scores), base / 16, rtol=1e-12)
    assert cal.calls == 2
    assert d.vcov_scores(scores[:, 0]).shape == (1, 1)
    # estimators route through the calibrated variance
    assert e.mean("y").se.iloc[0] == pytest.approx(d.mean("y").se.iloc[0] / 4, rel=1e-12)


def test_replicate_vcov_formula_and_taylor_guard(clus1: pd.DataFrame) -> None:
    d = SurveyDesign(clus1, weights="pw", psu="dnum").to_replicates("JK1")
    thetas = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 3.0]])
    got = SurveyDesign.from_replicates(
        clus1.assign(r1=1.0, r2=1.0, r3=1.0), weights="pw", repweights=["r1", "r2", "r3"],
        type="bootstrap").replicate_vcov(thetas, np.array([0.0, 0.0]))
    dev = thetas - thetas.mean(axis=0)
    np.testing.assert_allclose(got, dev.T @ dev / 2)
    with pytest.raises(TypeError, match="replicate_vcov"):
        d.vcov_scores(np.ones(d.n))


def test_lonely_psu_rules_warn_and_order(clus1: pd.DataFrame) -> None:
    df = clus1.assign(s=np.where(clus1["dnum"] == clus1["dnum"].iloc[0], "solo", "rest"))
    ses = {}
    for rule in ("adjust", "average", "certainty", "remove"):
        with pytest.warns(LonelyPSUWarning, match="solo"):
            d = SurveyDesign(df, weights="pw", strata="s", psu="dnum", lonely_psu=rule)
        ses[rule] = d.mean("api00").se.iloc[0]
    assert ses["certainty"] == pytest.approx(ses["remove"])
    assert ses["adjust"] > ses["certainty"]
    assert ses["average"] > ses["certainty"]


def test_bootstrap_is_seeded_and_close_to_taylor(clus1: pd.DataFrame) -> None:
    d = SurveyDesign(clus1, weights="pw", psu="dnum", fpc="fpc")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = d.to_replicates("bootstrap", replicates=400, seed=7)
    b = d.to_replicates("bootstrap", replicates=400, seed=7)
    c = d.to_replicates("bootstrap", replicates=400, seed=8)
    np.testing.assert_array_equal(a.repweights, b.repweights)
    assert not np.array_equal(a.repweights, c.repweights)
    # every replicate draws n PSUs: weights are PSU counts times the sampling weight
    counts = a.repweights / d.weights[:, None]
    first = ~clus1["dnum"].duplicated().to_numpy()
    np.testing.assert_allclose(counts[first].sum(axis=0), first.sum())
    taylor = d.mean("api00").se.iloc[0]
    assert a.mean("api00").se.iloc[0] == pytest.approx(taylor, rel=0.25)


def test_sylvester_hadamard_is_orthogonal() -> None:
    from analysis.design.replicates import sylvester_hadamard

    h = sylvester_hadamard(16)
    np.testing.assert_array_equal(h @ h.T, 16 * np.eye(16))


def test_update_keeps_calibration_and_replicates():
    """A column derived after raking gets the same SEs as one derived before (R's update())."""
    import pandas as pd

    from analysis import SurveyDesign
    from analysis.errors import DesignError

    rng = np.random.default_rng(11)
    n = 500
    df = pd.DataFrame({"sex": rng.choice(["m", "f"], n), "age": rng.choice(["y", "o"], n),
                       "x": rng.normal(size=n), "w": rng.uniform(1, 3, n)})
    margins = {"sex": {"m": 0.5, "f": 0.5}, "age": {"y": 0.4, "o": 0.6}}
    before = SurveyDesign(df.assign(z=df["x"] > 0), weights="w").rake(margins)
    after = SurveyDesign(df, weights="w").rake(margins).update(z=df["x"] > 0)
    a, b = before.mean("z"), after.mean("z")
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-12)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-12)
    assert len(after.calibrations) == 1
    with pytest.raises(DesignError, match="cannot replace design column"):
        after.update(w=np.ones(n))
    with pytest.raises(DesignError, match="has 3 values"):
        after.update(q=[1, 2, 3])
