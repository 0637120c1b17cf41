"""Drivers of purchasing: AMEs, predicted probabilities, key drivers, subgroup tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.multitest import multipletests

import analysis.models.ordinal
from analysis import SurveyDesign
from analysis.errors import ModelError, SeparationError
from analysis.models import (
    average_marginal_effects,
    p_adjust,
    predicted_probabilities,
    significance_letters,
)


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    rng = np.random.default_rng(20221201)
    n = 1500
    df = pd.DataFrame({
        "hard": rng.random(n) < 0.5, "price": rng.random(n) < 0.4,
        "tier": rng.choice(["t1", "t2", "t3"], n), "att": rng.normal(size=n),
        "st": rng.integers(0, 5, n), "w": rng.uniform(1, 3, n)})
    df["psu"] = df["st"] * 100 + rng.integers(0, 15, n)
    eta = (-0.2 - 0.8 * df["hard"] - 0.5 * df["price"] + 0.5 * (df["tier"] == "t1")
           + 0.6 * df["att"])
    df["buy"] = rng.random(n) < 1 / (1 + np.exp(-eta))
    df["buy01"] = df["buy"].astype(float)
    return df


@pytest.fixture(scope="module")
def design(survey: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(survey, weights="w", strata="st", psu="psu", nest=True)


def test_olr_is_a_design_method_only(design):
    assert not hasattr(analysis.models, "svyolr")  # one spelling: design.olr
    direct = analysis.models.ordinal.svyolr(design, "tier ~ att", link="probit")
    assert_allclose(design.olr("tier ~ att", link="probit").params, direct.params, rtol=1e-12)


def test_ame_of_a_saturated_model_is_the_domain_difference(design):
    fit = design.glm("buy01 ~ hard", family="quasibinomial")
    ame = average_marginal_effects(fit).summary_frame()
    means = design.mean("buy01", by="hard")
    diff = means.contrast({True: 1.0, False: -1.0})
    assert_allclose(ame["estimate"].iloc[0], diff.estimate, rtol=1e-8)
    assert_allclose(ame["se"].iloc[0], diff.se, rtol=1e-6)
    pred = predicted_probabilities(fit, by="hard").summary_frame()
    assert_allclose(pred["estimate"].to_numpy(), means.estimate.to_numpy(), rtol=1e-8)
    assert_allclose(pred["se"].to_numpy(), means.se.to_numpy(), rtol=1e-6)


def test_intercept_only_prediction_is_the_design_mean(design):
    fit = design.glm("buy01 ~ 1", family="quasibinomial")
    pred = predicted_probabilities(fit).summary_frame()
    m = design.mean("buy01")
    assert_allclose(pred["estimate"].iloc[0], m.estimate.iloc[0], rtol=1e-10)
    assert_allclose(pred["se"].iloc[0], m.se.iloc[0], rtol=1e-6)


def test_ames_match_closed_forms_and_replicates(design, survey):
    fit = design.glm("buy ~ hard + price + C(tier) + att", family="quasibinomial")
    ame = average_marginal_effects(fit)
    table = ame.summary_frame()
    X = fit.model_matrix().to_numpy()
    b = fit.params.to_numpy()
    w = survey["w"].to_numpy()
    p = 1 / (1 + np.exp(-X @ b))
    # continuous: weighted mean of beta * p (1 - p)
    slope = np.sum(w * b[-1] * p * (1 - p)) / w.sum()
    assert_allclose(table.loc[("att", "per unit"), "estimate"], slope, rtol=1e-6)
    # binary: weighted mean of P(hard) - P(not hard)
    j = list(fit.params.index).index("hard[T.True]")
    X1, X0 = X.copy(), X.copy()
    X1[:, j], X0[:, j] = 1, 0
    dp = 1 / (1 + np.exp(-X1 @ b)) - 1 / (1 + np.exp(-X0 @ b))
    assert_allclose(table.loc[("hard", "True vs False"), "estimate"], np.sum(w * dp) / w.sum(),
                    rtol=1e-10)
    assert list(table.index.get_level_values("contrast")) == [
        "True vs False", "True vs False", "t2 vs t1", "t3 vs t1", "per unit"]
    tidy = ame.tidy()
    assert_allclose(tidy["estimate"].to_numpy(), table["estimate"].to_numpy() * 100)
    # replicate design: estimates identical, SEs close to linearisation
    rep = design.to_replicates("JKn")
    rfit = rep.glm("buy ~ hard + price + C(tier) + att", family="quasibinomial")
    rame = average_marginal_effects(rfit).summary_frame()
    assert_allclose(rame["estimate"], table["estimate"], rtol=1e-8)
    assert_allclose(rame["se"], table["se"], rtol=0.05)
    # a scenario: nobody finds products hard to identify -> purchases rise
    base = predicted_probabilities(fit).summary_frame()["estimate"].iloc[0]
    easy = predicted_probabilities(fit, at={"hard": False}).summary_frame()["estimate"].iloc[0]
    assert easy > base


def test_separation_is_reported_with_the_variable(survey):
    df = survey.assign(flag=survey["buy"])  # predicts the outcome exactly
    d = SurveyDesign(df, weights="w")
    with pytest.raises(SeparationError, match="flag"):
        d.glm("buy ~ flag + att", family="quasibinomial")


def _wls_r2(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> float:
    Xc = np.column_stack([np.ones(len(y)), X])
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(Xc * sw[:, None], y * sw, rcond=None)
    resid = y - Xc @ beta
    ybar = np.sum(w * y) / w.sum()
    return 1 - np.sum(w * resid**2) / np.sum(w * (y - ybar) ** 2)


def test_shapley_importance_sums_to_r2_and_is_symmetric(design, survey):
    res = design.key_drivers("buy", ["hard", "price", "tier", "att"], replicates=40, seed=5)
    X = np.column_stack([survey["hard"], survey["price"], survey["tier"] == "t2",
                         survey["tier"] == "t3", survey["att"]]).astype(float)
    r2 = _wls_r2(survey["buy01"].to_numpy(), X, survey["w"].to_numpy())
    assert_allclose(res.r2, r2, rtol=1e-8)
    assert_allclose(res.frame["estimate"].sum(), r2, rtol=1e-8)
    assert_allclose(res.frame["share"].sum(), 1.0)
    # order of drivers does not matter
    again = design.key_drivers("buy", ["att", "tier", "price", "hard"], replicates=40, seed=5)
    assert_allclose(again.frame.loc[res.frame.index, "estimate"], res.frame["estimate"])
    top = res.summary_frame().index[0]
    assert top == "att"
    table = res.summary_frame()
    assert (table["ci_low"] < table["estimate"]).all()
    assert_allclose(table["share"].sum(), 1.0)
    assert (table["share_ci_low"] < table["share"]).all()
    # seeded bootstrap replicates are reproducible
    same = design.key_drivers("buy", ["hard", "price", "tier", "att"], replicates=40, seed=5)
    assert_allclose(same.frame["se"], res.frame["se"])


def test_orthogonal_drivers_get_their_own_r2(rng):
    n = 4000
    a = rng.standard_normal(n)
    a -= a.mean()
    b = rng.standard_normal(n)
    b -= b.mean()
    b -= a * (a @ b) / (a @ a)  # exactly uncorrelated with a (weights all 1)
    y = 0.5 * a + 0.3 * b + rng.standard_normal(n)
    d = SurveyDesign(pd.DataFrame({"y": y, "a": a, "b": b}))
    rep = d.to_replicates("bootstrap", replicates=20, seed=1)
    res = rep.key_drivers("y", ["a", "b"])
    for v in ("a", "b"):
        r = np.corrcoef(y, {"a": a, "b": b}[v])[0, 1]
        assert_allclose(res.frame.loc[v, "estimate"], r**2, rtol=1e-8)
    rw = rep.key_drivers("y", ["a", "b"], method="relative_weights")
    assert_allclose(rw.frame["estimate"], res.frame["estimate"], rtol=1e-8)


def test_key_driver_errors(design, survey):
    many = pd.DataFrame({f"c{i}": np.arange(5.0) for i in range(16)}).assign(y=1.0)
    with pytest.raises(ModelError, match="2\\^16"):
        SurveyDesign(many).key_drivers("y", [f"c{i}" for i in range(16)])
    d = SurveyDesign(survey.assign(k=1.0), weights="w")
    with pytest.raises(ModelError, match="constant"):
        d.key_drivers("buy", ["hard", "k"], replicates=5, seed=1)


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("BH", "fdr_bh"),
                                              ("bonferroni", "bonferroni")])
def test_p_adjust_matches_statsmodels(ours, theirs, rng):
    p = rng.uniform(0, 0.2, 12)
    assert_allclose(p_adjust(p, ours), multipletests(p, method=theirs)[1])
    with_nan = np.append(p, np.nan)
    assert np.isnan(p_adjust(with_nan, ours)[-1])


def test_significance_letters():
    # Column-letter convention: a group lists the letters of the groups it is above.
    groups = ["A", "B", "C"]
    pairs = [("A", "B"), ("A", "C"), ("B", "C")]
    out = significance_letters(groups, pairs, [False, True, False], [0.1, 0.3, 0.2])
    assert out["column_letter"].tolist() == ["A", "B", "C"]
    assert out["sig"].tolist() == ["C", "", ""]
    out = significance_letters(groups, pairs, [True, True, True], [-0.1, -0.3, -0.2])
    assert out["sig"].tolist() == ["", "A", "AB"]
    out = significance_letters(groups, pairs, [False, False, False], [0.1, 0.3, 0.2])
    assert out["sig"].tolist() == ["", "", ""]


def test_subgroup_differences_tests_and_letters(design):
    res = design.subgroup_differences(["hard", "buy"], "tier", adjust="holm")
    means = design.mean("buy", by="tier", na_rm=True)
    pair = res.pairwise.query("variable == 'buy' and group_a == 't1' and group_b == 't2'")
    c = means.contrast({"t1": 1.0, "t2": -1.0})
    assert_allclose(pair["difference"].iloc[0], c.estimate)
    assert_allclose(pair["se"].iloc[0], c.se)
    assert_allclose(pair["p_value"].iloc[0], c.p_value)
    buy = res.pairwise[res.pairwise["variable"] == "buy"]
    assert_allclose(buy["p_adjusted"], multipletests(buy["p_value"], method="holm")[1])
    table = res.letter_table()
    assert list(table.columns) == ["t1 (A)", "t2 (B)", "t3 (C)"]
    # t1 buys more (planted +0.5 on the logit): its cells list the columns it beats.
    prev = res.prevalence.set_index(["variable", "group"])
    sig_pairs = buy[buy["significant"]]
    expected = {g: "".join(letter for h, letter in zip(["t1", "t2", "t3"], "ABC")
                           if ((sig_pairs["group_a"] == g) & (sig_pairs["group_b"] == h)
                               & (sig_pairs["difference"] > 0)).any()
                           or ((sig_pairs["group_a"] == h) & (sig_pairs["group_b"] == g)
                               & (sig_pairs["difference"] < 0)).any())
                for g in ["t1", "t2", "t3"]}
    assert {g: prev.loc[("buy", g), "sig"] for g in expected} == expected
    assert expected["t1"] == "BC"
    assert table.loc["buy", "t1 (A)"].endswith(" BC")
    assert (prev.loc["hard", "sig"] == "").all()  # no planted tier effect on 'hard'
    assert res.overall.loc["buy", "p_value"] < 0.001
    assert set(res.tidy().columns) >= {"variable", "group", "estimate", "ci_low", "ci_high",
                                      "column_letter", "sig"}
    bh = design.subgroup_differences(["hard", "buy"], "tier", adjust="BH", family="all")
    assert_allclose(bh.pairwise["p_adjusted"], multipletests(bh.pairwise["p_value"],
                                                             method="fdr_bh")[1])
