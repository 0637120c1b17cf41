"""WTP at covariate means / values, DCchoice's adjusted truncated mean, Krinsky-Robb draws
from the model-based covariance.

Reference: a transcription of R DCchoice's ``wtp()`` (mean, truncated mean, truncated
mean with adjustment, median at ``colMeans(X)`` in DCchoice's coefficients), integrated
with scipy.integrate.quad; unit weights so the weighted covariate means are colMeans.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, special, stats

from analysis import SurveyDesign
from analysis.errors import ModelError

BIDS = np.array([5.0, 10, 20, 40, 80])
CDF = {"loglogistic": special.expit, "lognormal": stats.norm.cdf,
       "weibull": lambda v: np.exp(-np.exp(-v))}  # P(yes) as a function of Xb + b log(bid)


def _sb(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=n)
    wtp = np.exp(np.log(20) + 0.3 * x + 0.5 * rng.logistic(size=n))
    bid = rng.choice(BIDS, n)
    return pd.DataFrame({"b1": bid, "a1": (wtp >= bid).astype(float), "x": x, "w": 1.0,
                         "st": rng.integers(0, 3, n)})


def _dcchoice_wtp(coef: np.ndarray, X: np.ndarray, bmax: float, dist: str) -> dict:
    xb = float(X.mean(axis=0) @ coef[:-1])
    b = coef[-1]

    def surv(v: float) -> float:
        return float(CDF[dist](xb + b * np.log(v))) if v > 0 else 1.0

    trunc = integrate.quad(surv, 0, bmax, limit=200, epsabs=1e-12, epsrel=1e-12)[0]
    out = {"mean_truncated": trunc, "mean_truncated_adjusted": trunc / (1 - surv(bmax))}
    out["median"] = (np.exp(-xb / b) if dist != "weibull"
                     else np.exp(-xb / b) * np.log(2) ** (-1 / b))
    return out


@pytest.mark.parametrize("dist", list(CDF))
def test_at_covariate_means_equals_dcchoice_wtp(rng, dist):
    df = _sb(rng, 1500)
    res = SurveyDesign(df, weights="w").dc_cv(None, "~ x", bid1="b1", ans1="a1", dist=dist)
    coef = res.dcchoice_params()[0].to_numpy()
    X = np.column_stack([np.ones(len(df)), df["x"]])
    ref = _dcchoice_wtp(coef, X, BIDS.max(), dist)
    got = res.wtp(("mean", "median"), truncate=True, adjust=True, at="means",
                  krinsky_robb=False).summary_frame()
    assert list(got.index) == ["mean_truncated", "mean_truncated_adjusted", "median"]
    for k, v in ref.items():
        assert got.loc[k, "estimate"] == pytest.approx(v, rel=1e-7), k
    assert (got["se"] > 0).all()


def test_at_given_covariate_values(rng):
    df = _sb(rng, 800)
    res = SurveyDesign(df, weights="w").dc_cv(None, "~ x", bid1="b1", ans1="a1",
                                              dist="lognormal")
    new = pd.DataFrame({"x": [-1.0, 2.0]}, index=["low", "high"])
    got = res.wtp("median", at=new, krinsky_robb=False).summary_frame()
    assert list(got.index) == ["median[low]", "median[high]"]
    th = res.params.to_numpy()
    assert_allclose(got["estimate"], np.exp(th[0] + th[1] * new["x"].to_numpy()), rtol=1e-9)
    # delta method on exp(theta0 + theta1 x): SE = median * sqrt(g' V g), g = (1, x, 0)
    V = res.vcov.to_numpy()
    for lab, x in zip(new.index, new["x"]):
        g = np.array([1.0, x, 0.0])
        assert got.loc[f"median[{lab}]", "se"] == pytest.approx(
            got.loc[f"median[{lab}]", "estimate"] * np.sqrt(g @ V @ g), rel=1e-5)
    with pytest.raises(ModelError, match="at='everyone'"):
        res.wtp(at="everyone")
    with pytest.raises(ModelError, match="adjust=True needs"):
        res.wtp("median", adjust=True)


def test_population_adjusted_mean_se_linearization_and_jackknife_agree(rng):
    df = _sb(rng, 500).assign(w=lambda d: rng.uniform(0.5, 2, len(d)))
    d = SurveyDesign(df, weights="w", strata="st")
    kw = dict(bid1="b1", ans1="a1", dist="loglogistic")
    wtp_kw = dict(truncate=True, adjust=True, krinsky_robb=False)
    taylor = d.dc_cv(None, "~ x", **kw).wtp("mean", **wtp_kw).summary_frame()
    jk = d.to_replicates("JKn").dc_cv(None, "~ x", **kw).wtp("mean", **wtp_kw).summary_frame()
    assert_allclose(jk["estimate"], taylor["estimate"], rtol=1e-8)
    assert_allclose(jk["se"], taylor["se"], rtol=0.1)
    assert taylor.loc["mean_truncated_adjusted", "estimate"] > taylor.loc["mean_truncated",
                                                                           "estimate"]


def test_krinsky_robb_from_the_model_covariance(rng):
    df = _sb(rng, 1000)
    res = SurveyDesign(df, weights="w").dc_cv(None, "~ 1", bid1="b1", ans1="a1",
                                              dist="lognormal")
    out = res.wtp("median", at="means", n_draws=4000, seed=5, kr_vcov="model")
    # median = exp(theta0): the log of the draws has the model SE of theta0.
    sd = np.log(out.draws["median"]).std()
    assert sd == pytest.approx(np.sqrt(res.vcov_model.iloc[0, 0]), rel=0.05)
    again = res.wtp("median", at="means", n_draws=4000, seed=5, kr_vcov="model")
    assert_allclose(again.draws, out.draws)


def test_bootstrap_percentile_intervals_from_replicate_refits(rng):
    # DCchoice bootCI refits on resampled respondents and takes percentiles; here the
    # design's bootstrap replicates are refitted.  Logistic, no covariates: mean = mu.
    df = _sb(rng, 600).assign(b1=lambda d: d["b1"] / 10)
    kw = dict(bid1="b1", ans1="a1", dist="logistic", variance="replicate",
              rep_type="bootstrap", replicates=150, seed=11)
    d = SurveyDesign(df, weights="w", strata="st")
    res = d.dc_cv(None, "~ 1", **kw)
    out = res.wtp("mean", bootstrap=True, krinsky_robb=False)
    mu_reps = res.variance.replicates[:, 0]
    assert_allclose(out.boot["mean"], mu_reps, rtol=1e-12)
    table = out.summary_frame(level=0.9)
    lo, hi = np.quantile(mu_reps, [0.05, 0.95], method="inverted_cdf")
    assert table.loc["mean", "boot_low"] == lo
    assert table.loc["mean", "boot_high"] == hi
    assert "bootstrap" in set(out.tidy()["method"])
    again = d.dc_cv(None, "~ 1", **kw).wtp("mean", bootstrap=True, krinsky_robb=False)
    assert_allclose(again.boot, out.boot)  # seeded
    with pytest.raises(ModelError, match="bootstrap replicate refits"):
        d.dc_cv(None, "~ 1", bid1="b1", ans1="a1", dist="logistic").wtp(bootstrap=True)
