"""Truncated mean WTP, E[min(max(Y, lo), hi)], against independent adaptive quadrature.

The reference integrates the survival (and distribution) function of each
model with ``scipy.integrate.quad`` at tight tolerances, using scipy.stats'
laws rather than the module's own, split at the location +- multiples of the
scale (and on the log / logit scale for positive models, where the tails are
smooth).  mpmath is not a dependency, so quad is the high-precision check.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, special, stats

from analysis import SurveyDesign
from analysis.errors import ModelError, SurveyWarning
from analysis.pricing.censored import _survival_integral, row_mean

LAW = {"normal": stats.norm, "logistic": stats.logistic, "lognormal": stats.norm,
       "loglogistic": stats.logistic, "weibull": stats.gumbel_l, "logitnormal": stats.norm,
       "logitlogistic": stats.logistic}
KIND = {"normal": "identity", "logistic": "identity", "lognormal": "log", "loglogistic": "log",
        "weibull": "log", "logitnormal": "logit", "logitlogistic": "logit"}
INF = np.inf


def _quad(f, a: float, b: float, cuts: list[float]) -> float:
    pts = [a] + sorted(x for x in cuts if a < x < b) + [b]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)  # roundoff notes at 1e-13
        return sum(integrate.quad(f, x0, x1, epsabs=0, epsrel=1e-13, limit=2000)[0]
                   for x0, x1 in zip(pts[:-1], pts[1:]) if x1 > x0)


def reference(dist: str, mu: float, s: float, lo: float, hi: float) -> float:
    """``c + int_c^hi S(t) dt - int_lo^c F(t) dt`` (any c in [lo, hi]) by quad."""
    law, kind = LAW[dist], KIND[dist]
    cuts = [mu + k * s for k in (-30, -10, -3, -1, 0, 1, 3, 10, 30)]
    if kind == "identity":
        c = min(max(mu, lo), hi)
        return (c + _quad(lambda t: law.sf((t - mu) / s), c, hi, cuts)
                - _quad(lambda t: law.cdf((t - mu) / s), lo, c, cuts))
    # Positive models: F = 0 below 0, so c = max(lo, 0); integrate over x = T(t).
    top = hi if kind == "log" else min(hi, 1.0)
    if hi <= 0:
        return hi
    if lo >= top:
        return lo
    c = max(lo, 0.0)
    if kind == "log":
        a, b = (np.log(c) if c > 0 else -INF), np.log(top)

        def f(x):
            with np.errstate(over="ignore"):  # divergent means (log-logistic, s >= 1) -> inf
                return np.exp(law.logsf((x - mu) / s) + x)
    else:
        a, b = special.logit(c), special.logit(top)

        def f(x):
            return law.sf((x - mu) / s) * special.expit(x) * special.expit(-x)
    return c + _quad(f, a, b, cuts)


PARAMS = [(0.01, 0.01), (5.0, 0.05), (-3.0, 3.0), (2.0, 0.5), (1.0, 0.9), (8.0, 0.3)]
BOUNDS = [(0, INF), (0, 1e6), (-INF, INF), (0, 1e-3), (0.2, 0.7), (2, 30), (-INF, 12),
          (-5, 1e12)]


@pytest.mark.parametrize("dist", list(LAW))
def test_truncated_mean_matches_quadrature_for_every_model_and_bound(dist):
    for mu, s in PARAMS:
        for lo, hi in BOUNDS:
            expect = reference(dist, mu, s, lo, hi)
            got = row_mean(dist, np.array([mu]), np.log(s), (lo, hi))[0]
            assert_allclose(got, expect, rtol=1e-9, atol=1e-12,
                            err_msg=f"{dist} mu={mu} s={s} truncate=({lo}, {hi})")


@pytest.mark.parametrize("dist", ["loglogistic", "logitnormal", "logitlogistic"])
@pytest.mark.parametrize(("lo", "hi"), [(0, 50.0), (0, 1e6), (3.0, 0.9e3), (0.1, 0.6)])
def test_adaptive_path_matches_quadrature_and_shares_pairs(dist, lo, hi):
    # log-logistic with scale >= 1 has no closed form on a finite range; logit models never do.
    rng = np.random.default_rng(5)
    mu = rng.normal(2.0 if dist == "loglogistic" else 0.0, 1.0, (3, 4))
    mu[:, 3] = mu[:, 0]  # repeated linear predictors are integrated once
    log_s = np.log(np.array([[1.0], [1.4], [2.5]]))
    got = row_mean(dist, mu, log_s, (lo, hi))
    expect = np.array([[reference(dist, mu[i, j], np.exp(log_s[i, 0]), lo, hi)
                        for j in range(4)] for i in range(3)])
    assert_allclose(got, expect, rtol=1e-9)
    assert_allclose(got[:, 3], got[:, 0], rtol=0, atol=0)


def test_adaptive_integral_agrees_with_the_closed_forms():
    eta = np.array([0.5, 2.0, 4.0])
    for dist, s in [("loglogistic", 0.7), ("lognormal", 1.3), ("weibull", 2.0)]:
        kind = KIND[dist]
        law = {"loglogistic": "logistic", "lognormal": "normal", "weibull": "extreme"}[dist]
        for lo, hi in [(0.0, 40.0), (1.0, 1e5)]:
            closed = row_mean(dist, eta, np.log(s), (lo, hi))
            adaptive = _survival_integral(kind, law, eta, np.full(3, s), lo, hi)
            assert_allclose(closed, adaptive, rtol=1e-10)


def test_wide_ranges_that_the_fixed_quadrature_got_wrong():
    # 96 Gauss-Legendre nodes on [0, 1e6] all sat far above a WTP near 10.
    got = row_mean("logistic", np.array([10.33]), np.log(2.0), (0, 1e6))[0]
    assert_allclose(got, reference("logistic", 10.33, 2.0, 0, 1e6), rtol=1e-10)
    assert_allclose(got, 2.0 * np.logaddexp(0, 10.33 / 2.0), rtol=1e-12)  # E max(Y, 0)
    got = row_mean("lognormal", np.array([3.5]), np.log(0.8), (0, 1e6))[0]
    assert_allclose(got, np.exp(3.5 + 0.8**2 / 2), rtol=1e-10)  # the cap never binds
    got = row_mean("loglogistic", np.array([3.0]), np.log(1.5), (0, 1e6))[0]
    assert_allclose(got, reference("loglogistic", 3.0, 1.5, 0, 1e6), rtol=1e-9)


def test_divergent_mean_is_infinite_and_infinite_bounds_are_not_nan():
    assert np.isinf(row_mean("loglogistic", np.array([1.0]), np.log(1.0), (0, INF))[0])
    assert np.isinf(row_mean("loglogistic", np.array([1.0]), np.log(1.3), (-INF, INF))[0])
    for dist in LAW:
        v = row_mean(dist, np.array([[0.5, 1.0]]), np.log(0.6), (0, INF))
        assert np.isfinite(v).all(), dist
    # untruncated and (-inf, inf) agree wherever the mean exists
    for dist in ["normal", "logistic", "lognormal", "loglogistic", "weibull"]:
        assert_allclose(row_mean(dist, np.array([1.2]), np.log(0.6), (-INF, INF)),
                        row_mean(dist, np.array([1.2]), np.log(0.6)), rtol=1e-12)


@pytest.mark.parametrize("bad", [(5.0, 1.0), (np.nan, 1.0), (INF, INF), "high", (1.0,)])
def test_bad_truncation_bounds_are_typed_errors(bad):
    with pytest.raises(ModelError, match="truncate"):
        row_mean("normal", np.array([1.0]), 0.0, bad)


def _dbdc(rng: np.random.Generator, n: int, mu: float, scale: float) -> pd.DataFrame:
    bids = np.array([2.0, 5, 10, 20])
    up = {2.0: 5.0, 5.0: 10.0, 10.0: 20.0, 20.0: 40.0}
    down = {2.0: 1.0, 5.0: 2.0, 10.0: 5.0, 20.0: 10.0}
    wtp = mu + scale * rng.logistic(size=n)
    b1 = rng.choice(bids, n)
    a1 = wtp >= b1
    b2 = np.where(a1, pd.Series(b1).map(up), pd.Series(b1).map(down))
    return pd.DataFrame({"b1": b1, "a1": a1, "b2": b2, "a2": wtp >= b2,
                         "w": rng.uniform(0.5, 2, n)})


def test_dc_cv_truncated_means_over_wide_and_infinite_ranges(rng):
    df = _dbdc(rng, 800, 10.33, 3.0)
    res = SurveyDesign(df, weights="w").dc_cv(bid1="b1", ans1="a1", bid2="b2", ans2="a2",
                dist="logistic")
    mu, log_s = res.params.to_numpy()
    for hi in (1e6, INF):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = res.wtp("mean", truncate=(0, hi), krinsky_robb=False).summary_frame()
        est = out.loc["mean_truncated", "estimate"]
        assert_allclose(est, reference("logistic", mu, np.exp(log_s), 0, hi), rtol=1e-10)
        # E max(Y, 0) = s log(1 + e^(mu/s)) for the logistic (the 1e6 cap never binds)
        assert_allclose(est, np.exp(log_s) * np.logaddexp(0, mu / np.exp(log_s)), rtol=1e-12)
        assert np.isfinite(out.loc["mean_truncated", "se"])
        assert out.loc["mean_truncated", "se"] > 0
    # DCchoice's truncation at the largest bid
    out = res.wtp("mean", truncate=True, krinsky_robb=False).summary_frame()
    assert_allclose(out.loc["mean_truncated", "estimate"],
                    reference("logistic", mu, np.exp(log_s), 0, 40.0), rtol=1e-10)


def test_infinite_mean_warns_and_keeps_the_median(rng):
    n = 1500
    y = np.exp(2.0 + 1.4 * rng.logistic(size=n))
    cuts = np.array([1.0, 2, 5, 10, 20, 50, 100])
    k = np.searchsorted(cuts, y, side="right")
    df = pd.DataFrame({"w": rng.uniform(1, 2, n),
                       "l": np.where(k == 0, np.nan, cuts[np.maximum(k - 1, 0)]),
                       "r": np.where(k < cuts.size, cuts[np.minimum(k, cuts.size - 1)], np.nan)})
    res = SurveyDesign(df, weights="w").interval_regression("~ 1", "l", "r", dist="loglogistic")
    assert res.scale > 1
    with pytest.warns(SurveyWarning, match="infinite.*truncate"):
        out = res.wtp(truncate=(0, INF), n_draws=200, seed=1).summary_frame()
    assert np.isinf(out.loc["mean_truncated", "estimate"])
    assert np.isfinite(out.loc["median", ["estimate", "se", "kr_low", "kr_high"]]
                       .to_numpy(dtype=float)).all()
    with pytest.warns(SurveyWarning, match="infinite"):
        res.predict(type="mean")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fin = res.wtp("mean", truncate=(0, 100.0), n_draws=200, seed=1).summary_frame()
    mu, log_s = res.params.to_numpy()
    assert_allclose(fin.loc["mean_truncated", "estimate"],
                    reference("loglogistic", mu, np.exp(log_s), 0, 100.0), rtol=1e-9)
    assert np.isfinite(fin.loc["mean_truncated", ["se", "kr_low", "kr_high"]]
                       .to_numpy(dtype=float)).all()
