"""Frequency weights: a table of counts gives the estimates and SEs of its expanded rows.

``SurveyDesign(table, freq_weights="n")`` must agree with
``SurveyDesign(table.loc[table.index.repeat(table.n)])`` (same design
arguments) for every estimator and model that takes its variance from the
design (Taylor linearisation through ``vcov_scores`` and ``degf``).  Passing
counts as sampling weights instead gave SEs for ``len(table)`` respondents
(26x too large for the 2x2 table below) without a word; that now warns.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.errors import DataQualityWarning, DesignError, WeightError

DATA = Path(__file__).resolve().parent / "reference" / "data"
WAVE = Path(__file__).resolve().parents[1] / "surveys" / "demo-2022"
TOL = {"rtol": 1e-10, "atol": 1e-12}


def expand(table: pd.DataFrame, count: str = "n") -> pd.DataFrame:
    """Each row repeated ``count`` times (the respondent-level frame)."""
    return table.loc[table.index.repeat(table[count])].reset_index(drop=True)


def pair(table: pd.DataFrame, **design) -> tuple[SurveyDesign, SurveyDesign]:
    """The count design and the same design on the expanded rows."""
    return (SurveyDesign(table, freq_weights="n", **design),
            SurveyDesign(expand(table), **design))


@pytest.fixture
def table2x2() -> pd.DataFrame:
    return pd.DataFrame({"buy": [1.0, 1.0, 0.0, 0.0], "city": ["a", "b", "a", "b"],
                         "n": [120, 80, 300, 500]})


@pytest.fixture
def respondents(rng) -> pd.DataFrame:
    """Respondent data with few distinct patterns: binary, ordinal and interval outcomes."""
    n = 2400
    x = rng.integers(0, 3, n).astype(float)
    stratum = rng.choice(["north", "south", "west"], n, p=[0.5, 0.3, 0.2])
    buy = (rng.random(n) < 1 / (1 + np.exp(0.5 - 0.6 * x))).astype(float)
    latent = 0.5 * x + rng.normal(0, 0.8, n)
    rating = pd.Categorical(np.digitize(latent, [0.3, 1.0]).astype(str), ordered=True)
    bids = np.array([5.0, 10.0, 20.0, 40.0])
    k = np.searchsorted(bids, rng.weibull(1.5, n) * 15 * np.exp(0.1 * x))
    lower = np.where(k > 0, bids[np.maximum(k - 1, 0)], np.nan)
    upper = np.where(k < bids.size, bids[np.minimum(k, bids.size - 1)], np.nan)
    return pd.DataFrame({"x": x, "stratum": stratum, "buy": buy, "rating": rating,
                         "lower": lower, "upper": upper,
                         "pw": pd.Series(stratum).map({"north": 1.5, "south": 3.25,
                                                        "west": 8.0}).to_numpy()})


@pytest.fixture
def counts(respondents) -> pd.DataFrame:
    """The respondents aggregated to one row per distinct answer pattern."""
    cols = list(respondents.columns)
    table = respondents.groupby(cols, dropna=False, observed=True).size()
    table = table.rename("n").reset_index()
    assert len(table) < len(respondents) / 5  # a genuine table of counts
    return table


def assert_same_result(a, b, tol: dict | None = None) -> None:
    tol = TOL if tol is None else tol
    assert_allclose(a.estimate, b.estimate, **tol)
    assert_allclose(a.se, b.se, **tol)
    assert_allclose(np.asarray(a.conf_int(), dtype=float),
                    np.asarray(b.conf_int(), dtype=float), **tol)
    assert np.all(np.asarray(a.df) == np.asarray(b.df))


# ---------------------------------------------------------------------- the 2x2 table
def test_count_table_mean_total_equal_expanded_rows(table2x2):
    d, de = pair(table2x2)
    assert d.n == 4
    assert d.n_units == de.n == 1000
    assert d.degf() == de.degf() == 999
    for stat in ("mean", "total"):
        a, b = getattr(d, stat)("buy"), getattr(de, stat)("buy")
        assert_same_result(a, b)
    # the mean's SE is ~0.0127, not the 0.28 that counts-as-sampling-weights give
    assert d.mean("buy").se.iloc[0] < 0.02


@pytest.mark.parametrize("method", ["logit", "likelihood", "asin", "beta", "mean", "xlogit",
                                    "wilson"])
def test_count_table_proportion_and_ci_equal_expanded_rows(table2x2, method):
    d, de = pair(table2x2)
    a, b = d.proportion("buy", method=method), de.proportion("buy", method=method)
    assert_same_result(a, b)
    assert a.n_unweighted.iloc[0] == b.n_unweighted.iloc[0] == 1000


def test_count_table_by_group_ses_equal_expanded_rows(table2x2):
    d, de = pair(table2x2)
    a, b = d.mean("buy", by="city"), de.mean("buy", by="city")
    assert_same_result(a, b)
    assert_allclose(a.n_unweighted, [420, 580])
    a, b = d.proportion("buy", by="city"), de.proportion("buy", by="city")
    assert_same_result(a, b)
    a = d.mean("buy", deff=True).deff
    assert_allclose(a, de.mean("buy", deff=True).deff, **TOL)


def test_strata_with_single_row_of_many_units_is_not_lonely(table2x2):
    # each stratum "city" holds two rows; a one-row stratum of 7 units has 7 PSUs
    extra = pd.DataFrame({"buy": [1.0], "city": ["c"], "n": [7]})
    table = pd.concat([table2x2, extra], ignore_index=True)
    d, de = pair(table, strata="city")  # would raise LonelyPSUError if rows were PSUs
    assert d.degf() == de.degf() == 1007 - 3
    assert_same_result(d.mean("buy"), de.mean("buy"))


# ---------------------------------------------------------------------- models
def test_svyglm_binomial_on_counts_equals_expanded_rows(counts):
    d, de = pair(counts)
    a = d.glm("buy ~ x", family="binomial")
    b = de.glm("buy ~ x", family="binomial")
    assert_allclose(a.params, b.params, **TOL)
    assert_allclose(a.vcov, b.vcov, **TOL)
    assert a.df_resid == b.df_resid


def test_svyolr_on_counts_equals_expanded_rows(counts):
    d, de = pair(counts)
    a, b = d.olr("rating ~ x"), de.olr("rating ~ x")
    assert_allclose(a.params, b.params, rtol=1e-8)
    assert_allclose(a.vcov, b.vcov, rtol=1e-8)
    assert a.df_resid == b.df_resid


def test_weibull_interval_regression_on_counts_equals_expanded_rows(counts):
    d, de = pair(counts)
    a = d.interval_regression("~ x", lower="lower", upper="upper", dist="weibull")
    b = de.interval_regression("~ x", lower="lower", upper="upper", dist="weibull")
    sa, sb = a.summary_frame(), b.summary_frame()
    assert_allclose(sa.to_numpy(dtype=float), sb.to_numpy(dtype=float), rtol=1e-8)


def test_turnbull_on_counts_equals_expanded_rows(counts):
    d, de = pair(counts)
    a, b = d.turnbull("lower", "upper"), de.turnbull("lower", "upper")
    assert_allclose(a.summary_frame().to_numpy(dtype=float),
                    b.summary_frame().to_numpy(dtype=float), rtol=1e-8)


# ---------------------------------------------------------------------- design variants
@pytest.mark.parametrize("design", [
    {"strata": "stratum"},
    {"strata": "stratum", "weights": "pw"},
    {"weights": "pw"},
], ids=["strata", "strata+pw", "pw"])
def test_design_variants_equal_expanded_rows(counts, design):
    """Strata, and sampling weights per respondent combined with counts."""
    d, de = pair(counts, **design)
    assert_allclose(d.weights, counts["n"] * (counts["pw"] if "weights" in design else 1))
    assert d.degf() == de.degf()
    assert_same_result(d.mean("buy"), de.mean("buy"))
    assert_same_result(d.total("x"), de.total("x"))
    assert_same_result(d.proportion("buy"), de.proportion("buy"))
    a = d.glm("buy ~ x", family="binomial")
    b = de.glm("buy ~ x", family="binomial")
    assert_allclose(a.vcov, b.vcov, **TOL)
    sub, sube = d.subset(counts["x"] == 2), de.subset(expand(counts)["x"] == 2)
    assert_same_result(sub.mean("buy"), sube.mean("buy"))


def test_stratum_fpc_counts_units(counts):
    table = counts.assign(frac=0.25)
    d, de = pair(table, strata="stratum", fpc="frac")
    assert_allclose(d.weights, 4.0 * table["n"])
    assert_same_result(d.mean("buy"), de.mean("buy"))


def test_calibrated_count_design_equals_expanded_rows(counts):
    d, de = pair(counts, strata="stratum", weights="pw")
    pop = pd.Series({0.0: 3000.0, 1.0: 3500.0, 2.0: 3900.0})
    a = d.poststratify(["x"], pop).mean("buy")
    b = de.poststratify(["x"], pop).mean("buy")
    assert_same_result(a, b)
    margins = {"x": pop, "stratum": pd.Series({"north": 5000.0, "south": 3400.0,
                                               "west": 2000.0})}
    assert_same_result(d.rake(margins).mean("buy"), de.rake(margins).mean("buy"))
    totals = {"Intercept": 10400.0, "x": 11000.0}
    a = d.calibrate(totals, formula="~ x").mean("buy")
    b = de.calibrate(totals, formula="~ x").mean("buy")
    assert_same_result(a, b)


def test_clusters_keep_their_copies(counts):
    """With psu the expanded copies stay in their cluster: same SEs, same df."""
    table = counts.assign(school=counts.index % 40)
    expanded = expand(table)
    d = SurveyDesign(table, freq_weights="n", psu="school")
    de = SurveyDesign(expanded, psu="school")
    assert d.degf() == de.degf() == 39
    assert_same_result(d.mean("buy"), de.mean("buy"))
    # replicates on clusters are well defined: the same replicate weights per respondent
    r, re = d.to_replicates("JK1"), de.to_replicates("JK1")
    assert_allclose(r.mean("buy").se, re.mean("buy").se, **TOL)


def test_replicates_without_psu_are_refused(table2x2):
    d = SurveyDesign(table2x2, freq_weights="n")
    with pytest.raises(DesignError, match="frequency weights .*'n'.* without psu") as err:
        d.to_replicates("bootstrap", replicates=10, seed=1)
    assert "expand" in err.value.hint


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("values", "match"), [
    ([1.5, 2, 3, 4], "whole numbers"),
    ([0, 2, 3, 4], "whole numbers"),
    ([np.nan, 2, 3, 4], "whole numbers"),
    ([-1, 2, 3, 4], "whole numbers"),
])
def test_bad_frequency_weights_raise(table2x2, values, match):
    with pytest.raises(WeightError, match=match) as err:
        SurveyDesign(table2x2.assign(n=values), freq_weights="n")
    assert err.value.column == "n"
    assert err.value.row is not None


def test_zero_count_hint_says_drop_rows(table2x2):
    with pytest.raises(WeightError) as err:
        SurveyDesign(table2x2.assign(n=[0, 2, 3, 4]), freq_weights="n")
    assert "drop the rows with count 0" in err.value.hint


def test_same_column_as_weights_and_freq_weights_raises(table2x2):
    with pytest.raises(DesignError, match="both `weights` and `freq_weights`"):
        SurveyDesign(table2x2, weights="n", freq_weights="n")


def test_non_numeric_or_unknown_freq_column(table2x2):
    with pytest.raises(WeightError, match="not numeric"):
        SurveyDesign(table2x2, freq_weights="city")
    with pytest.raises(DesignError):
        SurveyDesign(table2x2, freq_weights="count")
    with pytest.raises(TypeError, match="freq_weights"):
        SurveyDesign(table2x2, freq_weights=["n"])


def test_update_cannot_replace_counts(table2x2):
    d = SurveyDesign(table2x2, freq_weights="n")
    with pytest.raises(DesignError, match="cannot replace design column"):
        d.update(n=[1, 1, 1, 1])
    assert d.update(y=[1, 2, 3, 4]).n_units == 1000


# ---------------------------------------------------------------------- the warning
def test_counts_passed_as_sampling_weights_warn(table2x2):
    with pytest.warns(DataQualityWarning, match="freq_weights='n'") as rec:
        d = SurveyDesign(table2x2, weights="n")
    assert "look like counts" in str(rec[0].message)
    assert rec[0].filename == __file__  # points at the caller's line
    # what the warning is about: SEs of 4 respondents, not 1000
    assert d.mean("buy").se.iloc[0] > 10 * SurveyDesign(table2x2, freq_weights="n") \
        .mean("buy").se.iloc[0]


def test_no_warning_with_freq_weights_or_real_sampling_weights(table2x2):
    apistrat = pd.read_csv(DATA / "apistrat.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        SurveyDesign(table2x2, freq_weights="n")
        SurveyDesign(apistrat, weights="pw", strata="stype")
        # integer weights close to 1 (e.g. 1/2 design weights) are not counts
        SurveyDesign(table2x2.assign(w=[1, 2, 1, 2]), weights="w")
        # nor is a constant expansion factor N/n of a simple random sample
        SurveyDesign(table2x2.assign(w=25), weights="w")


@pytest.mark.skipif(not (WAVE / "survey.yaml").exists(), reason="demo wave not generated")
def test_no_warning_on_demo_wave_weights():
    from analysis.pipeline import prepare_wave

    design = prepare_wave(WAVE).design
    data = design.data.assign(final_weight=design.weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        SurveyDesign(data, weights="final_weight")
        SurveyDesign(data.iloc[:500], weights="final_weight")  # small frames too
        # scaled to the population, as exported weights often are
        big = data.assign(final_weight=design.weights * 1e4)
        SurveyDesign(big.iloc[:500], weights="final_weight")
