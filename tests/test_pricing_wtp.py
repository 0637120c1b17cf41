"""Interval regression, DC-CV and WTP summaries: R survreg / svysurvreg, direct likelihoods."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, optimize, special, stats

from analysis import SurveyDesign
from analysis.errors import ConvergenceWarning, IntervalError, ModelError
from analysis.pricing.censored import _prepare, fit_interval, loglik_pieces, row_mean

REFERENCE = Path(__file__).parent / "reference"
R = json.loads((REFERENCE / "r_pricing.json").read_text())["results"]
SURVREG = {c["name"]: c for c in R["survreg"]}
SVY = {c["name"]: c for c in R["svysurvreg"]}


def _arr(values: list) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _survreg_frame(case: dict) -> pd.DataFrame:
    cols = {name: np.array(x, dtype=float) for name, x in zip(case["covariates"], case["X"])}
    return pd.DataFrame({"l": _arr(case["lower"]), "r": _arr(case["upper"]),
                         "w": np.array(case["weights"], dtype=float), **cols})


@pytest.mark.parametrize("name", list(SURVREG))
def test_point_estimates_match_r_survreg(name):
    case = SURVREG[name]
    df = _survreg_frame(case)
    res = SurveyDesign(df, weights="w").interval_regression("~ " + " + ".join(case["covariates"]),
                              "l", "r", dist=case["dist"])
    assert_allclose(res.params.to_numpy(), np.append(case["coef"], case["log_scale"]), rtol=1e-8,
                    atol=1e-9)
    assert_allclose(res.loglik, case["loglik"], rtol=1e-10)
    assert res.converged


@pytest.mark.parametrize("name", list(SURVREG))
def test_model_based_covariance_matches_r_survreg_vcov(name):
    # survreg's vcov (weights as case weights) is the inverse Hessian: the SRS software's
    # SEs, reported beside the design-based ones with vcov="model".
    case = SURVREG[name]
    df = _survreg_frame(case)
    res = SurveyDesign(df, weights="w").interval_regression("~ " + " + ".join(case["covariates"]),
                              "l", "r", dist=case["dist"])
    r_vcov = np.column_stack([np.array(c, dtype=float) for c in case["vcov"]])
    assert_allclose(res.vcov_model.to_numpy(), r_vcov, rtol=1e-6, atol=1e-12)
    table = res.summary_frame(vcov="model")
    assert_allclose(table["se"].to_numpy(), np.sqrt(np.diag(r_vcov)), rtol=1e-6)
    assert not np.allclose(table["se"], res.summary_frame()["se"])  # design SEs differ


@pytest.fixture(scope="module")
def svy_designs() -> tuple[pd.DataFrame, dict[str, SurveyDesign]]:
    sd = R["svysurvreg_data"]
    df = pd.DataFrame({k: _arr(sd[k]) if k != "grp" else sd[k]
                       for k in ["st", "psu", "w", "x1", "x2", "grp", "l", "r", "dl", "dr"]})
    designs = {"strat_psu": SurveyDesign(df, weights="w", strata="st", psu="psu", nest=True),
               "strat": SurveyDesign(df, weights="w", strata="st")}
    designs["strat_psu_ps"] = designs["strat_psu"].poststratify("grp", pd.Series(sd["grp_pop"]))
    return df, designs


def _svy_fit(case: dict, df: pd.DataFrame, designs: dict) -> object:
    design = designs[case["design"]]
    if case["subset"]:
        design = design.subset(df["x2"] == 1)
    cols = ("l", "r") if case["lhs"].startswith("Surv(l") else ("dl", "dr")
    return design.interval_regression("~ " + case["rhs"], *cols, dist=case["dist"])


@pytest.mark.parametrize("name", list(SVY))
def test_design_based_se_match_svysurvreg(name, svy_designs):
    df, designs = svy_designs
    case = SVY[name]
    res = _svy_fit(case, df, designs)
    assert_allclose(res.params.to_numpy(), np.append(case["coef"], case["log_scale"]), rtol=1e-8)
    # R with the interval-score sign fixed (see ref_pricing.R).
    assert_allclose(res.vcov.to_numpy(), np.array(case["vcov"]), rtol=1e-7, atol=1e-12)


def test_svysurvreg_as_shipped_differs_only_by_the_interval_score_sign(svy_designs):
    df, designs = svy_designs
    case = SVY["card_lognormal_stratpsu"]
    res = _svy_fit(case, df, designs)
    rows, X, w = res._rows, res._X, res._w
    data, _, law = _prepare(X, df["l"].to_numpy()[rows], df["r"].to_numpy()[rows], "lognormal")
    _, scores, hess = loglik_pieces(res.params.to_numpy(), data, law, w)
    interval = np.isfinite(data.ta) & np.isfinite(data.tb)
    scores[interval, -1] *= -1  # survival 3.5's residuals.survreg
    infl = np.zeros((len(df), scores.shape[1]))
    infl[rows] = scores @ np.linalg.inv(-hess)
    se = np.sqrt(np.diag(designs["strat_psu"].vcov_scores(infl)))
    assert_allclose(se, case["se_as_shipped"], rtol=1e-8)
    assert not np.allclose(res.bse.to_numpy(), case["se_as_shipped"], rtol=1e-2)


def test_scores_and_hessian_are_the_derivatives_of_the_loglik():
    case = SURVREG["card_weibull_w"]
    df = _survreg_frame(case)
    X = np.column_stack([np.ones(len(df)), df[["x1", "x2"]]])
    data, _, law = _prepare(X, df["l"].to_numpy(), df["r"].to_numpy(), "weibull")
    theta = np.array(np.append(case["coef"], case["log_scale"])) + 0.07
    w = df["w"].to_numpy()
    _, scores, hess = loglik_pieces(theta, data, law, w)
    num_g = optimize.approx_fprime(theta, lambda t: loglik_pieces(t, data, law, w,
                                                                  hessian=False)[0], 1e-6)
    num_h = np.column_stack([
        (loglik_pieces(theta + e, data, law, w)[1].sum(0)
         - loglik_pieces(theta - e, data, law, w)[1].sum(0)) / 2e-6
        for e in np.eye(theta.size) * 1e-6])
    assert_allclose(scores.sum(axis=0), num_g, rtol=1e-5, atol=1e-4)
    assert_allclose(hess, num_h, rtol=1e-5, atol=1e-4)


def _dbdc_sample(rng: np.random.Generator, n: int, mu: float = 15.0, scale: float = 6.0
                 ) -> pd.DataFrame:
    bids = np.array([5.0, 10, 20, 30])
    up = {5.0: 10.0, 10.0: 20.0, 20.0: 30.0, 30.0: 50.0}
    down = {5.0: 2.0, 10.0: 5.0, 20.0: 10.0, 30.0: 20.0}
    wtp = mu + scale * rng.logistic(size=n)
    b1 = rng.choice(bids, n)
    a1 = wtp >= b1
    b2 = np.where(a1, pd.Series(b1).map(up), pd.Series(b1).map(down))
    a2 = wtp >= b2
    return pd.DataFrame({"q_bid1": b1, "q_ans1": a1, "q_bid2": b2, "q_ans2": a2,
                         "w": rng.uniform(0.5, 2, n), "st": rng.integers(0, 4, n)})


def test_dbdc_matches_an_independent_hanemann_likelihood(rng):
    df = _dbdc_sample(rng, 600)
    res = SurveyDesign(df, weights="w").dc_cv(bid1="q_bid1", ans1="q_ans1", bid2="q_bid2",
                ans2="q_ans2", dist="logistic")
    b1, b2 = df["q_bid1"].to_numpy(), df["q_bid2"].to_numpy()
    a1, a2 = df["q_ans1"].to_numpy(), df["q_ans2"].to_numpy()
    w = df["w"].to_numpy()

    def negll(par):  # DCchoice's parametrisation: P(yes to b) = expit(alpha + beta * b)
        alpha, beta = par
        py = lambda b: special.expit(alpha + beta * b)  # noqa: E731
        p = np.where(a1 & a2, py(b2), np.where(a1 & ~a2, py(b1) - py(b2),
                     np.where(~a1 & a2, py(b2) - py(b1), 1 - py(b2))))
        return -np.sum(w * np.log(p))

    opt = optimize.minimize(negll, [1.0, -0.1], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    mu, log_s = res.params.to_numpy()
    assert_allclose([mu / np.exp(log_s), -1 / np.exp(log_s)], opt.x, rtol=1e-5)
    assert_allclose(-opt.fun, res.loglik, rtol=1e-9)
    assert res.kind == "dbdc"


def test_single_bounded_uses_first_answers_only(rng):
    df = _dbdc_sample(rng, 400)
    single = SurveyDesign(df, weights="w").dc_cv(bid1="q_bid1", ans1="q_ans1", dist="logistic")
    assert single.kind == "sbdc"
    X = np.ones((len(df), 1))
    lower = np.where(df["q_ans1"], df["q_bid1"], np.nan)
    upper = np.where(df["q_ans1"], np.nan, df["q_bid1"])
    fit = fit_interval(X, lower, upper, df["w"].to_numpy(), "logistic")
    assert_allclose(single.params.to_numpy(), fit.theta, rtol=1e-10)


def test_wtp_closed_forms_truncation_and_delta_method(rng):
    n = 800
    y = np.exp(2.5 + 0.5 * rng.standard_normal(n))
    cuts = np.array([2.0, 5, 10, 15, 20, 30, 50])
    k = np.searchsorted(cuts, y, side="right")
    lo = np.where(k == 0, np.nan, cuts[np.maximum(k - 1, 0)])
    hi = np.where(k < cuts.size, cuts[np.minimum(k, cuts.size - 1)], np.nan)
    df = pd.DataFrame({"l": lo, "r": hi, "w": rng.uniform(1, 3, n)})
    res = SurveyDesign(df, weights="w").interval_regression("~ 1", "l", "r", dist="lognormal")
    mu, log_s = res.params.to_numpy()
    s = np.exp(log_s)
    out = res.wtp(seed=1, n_draws=4000).summary_frame()
    assert_allclose(out.loc["mean", "estimate"], np.exp(mu + s**2 / 2), rtol=1e-10)
    assert_allclose(out.loc["median", "estimate"], np.exp(mu), rtol=1e-9)
    # delta method by hand for the median exp(mu)
    assert_allclose(out.loc["median", "se"], np.exp(mu) * res.bse.iloc[0], rtol=1e-5)
    grad = np.array([np.exp(mu + s**2 / 2), np.exp(mu + s**2 / 2) * s**2])
    assert_allclose(out.loc["mean", "se"], np.sqrt(grad @ res.vcov.to_numpy() @ grad),
                    rtol=1e-5)
    # Krinsky-Robb agrees with the delta method for a smooth statistic and a large sample
    assert_allclose(out.loc["median", ["kr_low", "kr_high"]].to_numpy(dtype=float),
                    out.loc["median", ["ci_low", "ci_high"]].to_numpy(dtype=float), rtol=0.03)
    again = res.wtp(seed=1, n_draws=4000).summary_frame()
    assert_allclose(again.to_numpy(dtype=float), out.to_numpy(dtype=float))
    trunc = res.wtp("mean", truncate=(0, 50), krinsky_robb=False).summary_frame()
    quad, _ = integrate.quad(lambda t: stats.lognorm.sf(t, s, scale=np.exp(mu)), 0, 50)
    assert_allclose(trunc.loc["mean_truncated", "estimate"], quad, rtol=1e-7)


def test_population_wtp_with_covariates(rng):
    n = 1500
    x = rng.integers(0, 2, n)
    y = np.exp(2.0 + 0.6 * x + 0.4 * rng.standard_normal(n))
    cuts = np.array([2.0, 4, 6, 8, 10, 14, 20, 30])
    k = np.searchsorted(cuts, y, side="right")
    df = pd.DataFrame({"x": x, "w": rng.uniform(1, 2, n),
                       "l": np.where(k == 0, np.nan, cuts[np.maximum(k - 1, 0)]),
                       "r": np.where(k < cuts.size, cuts[np.minimum(k, cuts.size - 1)], np.nan)})
    res = SurveyDesign(df, weights="w").interval_regression("~ x", "l", "r", dist="lognormal")
    b0, b1, log_s = res.params.to_numpy()
    share1 = df["w"][df.x == 1].sum() / df["w"].sum()
    s = np.exp(log_s)
    out = res.wtp(krinsky_robb=False).summary_frame()
    mean = (1 - share1) * np.exp(b0 + s**2 / 2) + share1 * np.exp(b0 + b1 + s**2 / 2)
    assert_allclose(out.loc["mean", "estimate"], mean, rtol=1e-10)
    m = out.loc["median", "estimate"]
    mix = ((1 - share1) * stats.norm.sf((np.log(m) - b0) / s)
           + share1 * stats.norm.sf((np.log(m) - b0 - b1) / s))
    assert_allclose(mix, 0.5, atol=1e-10)
    curve = res.demand_curve([5.0, m, 20.0])
    assert_allclose(curve["estimate"].iloc[1], 0.5, atol=1e-9)
    assert (curve["ci_low"] < curve["estimate"]).all()
    assert (curve["estimate"] < curve["ci_high"]).all()
    assert curve["estimate"].is_monotonic_decreasing
    pred = res.predict(pd.DataFrame({"x": [0, 1]}))
    assert_allclose(pred.to_numpy(), np.exp([b0, b0 + b1]))


def test_replicate_design_refits_every_replicate(rng):
    df = _dbdc_sample(rng, 300)
    base = SurveyDesign(df, weights="w", strata="st")
    rep = base.to_replicates("JKn")
    kw = dict(bid1="q_bid1", ans1="q_ans1", bid2="q_bid2", ans2="q_ans2", dist="logistic")
    taylor = base.dc_cv(**kw)
    jk = rep.dc_cv(**kw)
    assert_allclose(jk.params, taylor.params, rtol=1e-10)
    assert jk.variance.method == "replicate"
    assert jk.variance.replicates.shape == (rep.repweights.shape[1], 2)
    # Jackknife and linearisation agree to first order.
    assert_allclose(jk.bse, taylor.bse, rtol=0.1)
    wtp = jk.wtp(krinsky_robb=False).summary_frame()
    assert_allclose(wtp.loc["mean", "se"], jk.bse.iloc[0], rtol=1e-8)  # mean = mu (logistic)
    boot = base.dc_cv(variance="replicate", replicates=50, seed=3, **kw)
    assert_allclose(boot.bse, taylor.bse, rtol=0.35)


def test_turnbull_lower_bound_mean_of_bid_answers(rng):
    df = _dbdc_sample(rng, 500)
    tb = SurveyDesign(df, weights="w").dc_turnbull(bid1="q_bid1", ans1="q_ans1",
                     bid2="q_bid2", ans2="q_ans2")
    intervals = tb.intervals()
    lb = tb.mean_lower_bound()
    expect = (intervals["mass"] * np.maximum(intervals["left"].replace(-np.inf, 0), 0)).sum()
    assert_allclose(lb["estimate"].iloc[0], expect)
    # A lower bound: below the fitted logistic mean (15) and the true mean.
    assert lb["estimate"].iloc[0] < 15
    assert lb["se"].iloc[0] > 0
    assert list(tb.curve().columns) == ["bid", "estimate", "se", "ci_low", "ci_high"]


def test_errors_and_warnings(rng):
    df = _dbdc_sample(rng, 100)
    d = SurveyDesign(df, weights="w")
    with pytest.raises(ModelError, match="no answer bounds the value from above"):
        d.interval_regression("~ 1", np.full(100, 1.0), np.full(100, np.nan))
    with pytest.raises(IntervalError, match="empty interval"):
        d.interval_regression("~ 1", np.full(100, 2.0), np.full(100, 1.0))
    with pytest.raises(IntervalError, match="non-negative"):
        d.interval_regression("~ 1", np.full(100, -1.0), np.full(100, 1.0), dist="lognormal")
    with pytest.raises(IntervalError, match=r"ratios in \(0, 1\)"):
        d.interval_regression("~ 1", np.full(100, 0.5), np.full(100, 2.0), dist="logitnormal")
    with pytest.raises(ModelError, match="lower= and upper="):
        d.interval_regression("~ 1")
    with pytest.raises(ModelError, match="rank deficient"):
        d.data.assign(z=1.0).pipe(SurveyDesign, weights="w").interval_regression("~ z",
                            np.where(df.q_ans1, df.q_bid1, np.nan),
                            np.where(df.q_ans1, np.nan, df.q_bid1))
    with pytest.warns(ConvergenceWarning, match="did not converge") as record:
        d.dc_cv(bid1="q_bid1", ans1="q_ans1", bid2="q_bid2", ans2="q_ans2", maxit=1)
    diagnostics = record[0].message.diagnostics
    assert diagnostics["iterations"] == 1
    assert diagnostics["gradient_norm"] > 0


def test_loglogistic_mean_is_infinite_for_large_scale():
    assert np.isinf(row_mean("loglogistic", np.array([1.0]), np.log(1.2))[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(row_mean("loglogistic", np.array([1.0]), np.log(0.5))[0])


def test_krinsky_robb_on_many_covariate_rows_uses_a_recentred_subsample(rng):
    n = 3000
    x = rng.standard_normal(n)
    y = np.exp(2.0 + 0.3 * x + 0.5 * rng.standard_normal(n))
    cuts = np.array([2.0, 4, 6, 8, 10, 14, 20, 30])
    k = np.searchsorted(cuts, y, side="right")
    df = pd.DataFrame({"x": x, "w": rng.uniform(1, 2, n),
                       "l": np.where(k == 0, np.nan, cuts[np.maximum(k - 1, 0)]),
                       "r": np.where(k < cuts.size, cuts[np.minimum(k, cuts.size - 1)], np.nan)})
    res = SurveyDesign(df, weights="w").interval_regression("~ x", "l", "r", dist="lognormal")
    full = res.wtp(seed=3, n_draws=1000, max_kr_rows=n).summary_frame()
    sub = res.wtp(seed=3, n_draws=1000, max_kr_rows=300).summary_frame()
    assert_allclose(sub["estimate"], full["estimate"])
    assert_allclose(sub[["kr_low", "kr_high"]].to_numpy(dtype=float),
                    full[["kr_low", "kr_high"]].to_numpy(dtype=float), rtol=2e-3)
