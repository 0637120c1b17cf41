"""DCchoice's parameterisation of dichotomous-choice models, for every distribution.

Reference: the DCchoice likelihood written independently (P(yes) = 1 -
F_e(-(alpha + beta * b)) with b the bid or log bid; DCchoice's Weibull uses
F_e(v) = 1 - exp(-exp(-v))) and maximised with scipy on unit weights; the
delta-method covariance is checked against a numerical Jacobian.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, special, stats

from analysis import SurveyDesign
from analysis.errors import ModelError

BIDS = np.array([5.0, 10, 20, 40, 80])

# P(yes | v = alpha + beta * b) under each DCchoice distribution.
P_YES = {
    "logistic": lambda v: special.expit(v),
    "normal": lambda v: stats.norm.cdf(v),
    "loglogistic": lambda v: special.expit(v),
    "lognormal": lambda v: stats.norm.cdf(v),
    "weibull": lambda v: np.exp(-np.exp(-v)),
}


def _sb(rng: np.random.Generator, n: int, dist: str) -> pd.DataFrame:
    bid = rng.choice(BIDS, n)
    x = rng.normal(size=n)
    log_wtp = np.log(20) + 0.3 * x + 0.8 * rng.logistic(size=n)
    wtp = np.exp(log_wtp) if dist != "logistic" and dist != "normal" else np.exp(log_wtp) - 5
    return pd.DataFrame({"b1": bid, "a1": (wtp >= bid).astype(float), "x": x, "w": 1.0})


@pytest.mark.parametrize("dist", list(P_YES))
def test_dcchoice_coefficients_equal_an_independent_fit(rng, dist):
    df = _sb(rng, 1500, dist)
    res = SurveyDesign(df, weights="w").dc_cv(None, "~ x", bid1="b1", ans1="a1", dist=dist)
    table = res.summary_frame(parameterization="dcchoice")
    bterm = "BID" if dist in ("logistic", "normal") else "log(bid)"
    assert list(table.index) == ["Intercept", "x", bterm]
    b = df["b1"].to_numpy() if bterm == "BID" else np.log(df["b1"].to_numpy())
    X = np.column_stack([np.ones(len(df)), df["x"], b])
    y = df["a1"].to_numpy()

    def nll(c: np.ndarray) -> float:
        p = np.clip(P_YES[dist](X @ c), 1e-300, 1 - 1e-16)
        return -float(np.sum(y * np.log(p) + (1 - y) * np.log1p(-p)))

    start = table["estimate"].to_numpy() * 0.9
    fit = optimize.minimize(nll, start, method="BFGS", options={"gtol": 1e-9})
    assert_allclose(table["estimate"].to_numpy(), fit.x, rtol=2e-5, atol=1e-6)
    assert table.loc[bterm, "estimate"] < 0


def test_delta_method_covariance_and_back_conversion(rng):
    df = _sb(rng, 800, "lognormal")
    res = SurveyDesign(df, weights="w").dc_cv(None, "~ x", bid1="b1", ans1="a1",
                                              dist="lognormal")
    params, vcov = res.dcchoice_params()
    theta = res.params.to_numpy()

    def conv(t: np.ndarray) -> np.ndarray:
        return np.append(t[:-1], -1.0) / np.exp(t[-1])

    h = 1e-6
    J = np.column_stack([(conv(theta + h * e) - conv(theta - h * e)) / (2 * h)
                         for e in np.eye(theta.size)])
    assert_allclose(vcov.to_numpy(), J @ res.vcov.to_numpy() @ J.T, rtol=1e-6)
    # Back: theta = -(alpha, gamma) / beta, sigma = -1 / beta.
    beta = params.iloc[-1]
    assert_allclose(-params.iloc[:-1].to_numpy() / beta, theta[:-1], rtol=1e-12)
    assert -1 / beta == pytest.approx(res.scale, rel=1e-12)
    wtp = res.summary_frame()
    assert list(wtp.index) == ["Intercept", "x", "log(scale)"]


def test_logit_ratio_models_have_no_dcchoice_form(rng):
    lo = rng.uniform(0.1, 0.5, 200)
    df = pd.DataFrame({"lo": lo, "hi": lo + 0.2, "w": 1.0})
    res = SurveyDesign(df, weights="w").interval_regression("~ 1", "lo", "hi",
                                                             dist="logitnormal")
    with pytest.raises(ModelError, match="no DCchoice parameterisation"):
        res.summary_frame(parameterization="dcchoice")
