"""Interval arithmetic behind proportions and quantiles, reproducing R survey 4.1.

Pure functions on arrays (no design): the ``svyciprop`` interval methods,
R's ``glm.fit`` for an intercept-only logistic model (so ``"logit"`` and
``"likelihood"`` match R's iterates, not just the limit), the MASS profile
grid with R's fmm ``spline`` and ``approx`` used by ``"likelihood"``, and the
``qrule_*`` quantile rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..design.results import t_quantile

__all__ = [
    "expit",
    "prop_interval",
    "LogitFit",
    "logit_fit",
    "logit_reps",
    "likelihood_interval",
    "fmm_spline",
    "approx",
    "qrule",
]


def expit(x: np.ndarray) -> np.ndarray:
    return np.exp(x) / (1 + np.exp(x))


def prop_interval(method: str, p: np.ndarray, var: np.ndarray, df: np.ndarray,
                   n_rows: np.ndarray, design_df: np.ndarray, level: float,
                   logit_var: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Interval of R's ``svyciprop`` for each proportion (vectorised, not likelihood)."""
    a = 1 - level
    q = t_quantile(1 - a / 2, df)
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "mean":
            return p - q * se, p + q * se
        if method == "asin":
            x, sx = np.arcsin(np.sqrt(p)), se / (2 * np.sqrt(p * (1 - p)))
            return np.sin(x - q * sx) ** 2, np.sin(x + q * sx) ** 2
        if method in ("xlogit", "logit"):
            x = np.log(p / (1 - p))
            sx = np.sqrt(logit_var) if logit_var is not None else se / (p * (1 - p))
            q = np.where(df > 0, q, np.nan) if method == "logit" else q
            return expit(x - q * sx), expit(x + q * sx)
        n_eff = p * (1 - p) / var
        if method == "beta":
            n_eff = n_eff * (t_quantile(a / 2, n_rows - 1) / t_quantile(a / 2, design_df)) ** 2
            lo = stats.beta.ppf(a / 2, n_eff * p, n_eff * (1 - p) + 1)
            hi = stats.beta.ppf(1 - a / 2, n_eff * p + 1, n_eff * (1 - p))
            return lo, hi
        # wilson: score interval on the effective sample size, t quantile (Kott & Carr 1997)
        z2 = q**2
        centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
        half = q * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff**2)) / (1 + z2 / n_eff)
        return centre - half, centre + half


def fmm_spline(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's ``spline(method="fmm")`` evaluated at ``xout`` (Forsythe, Malcolm & Moler)."""
    n = x.shape[0]
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 3:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
    else:
        d[0] = x[1] - x[0]
        c[1] = (y[1] - y[0]) / d[0]
        for i in range(1, n - 1):  # n is a dozen profile points, not respondents
            d[i] = x[i + 1] - x[i]
            b[i] = 2 * (d[i - 1] + d[i])
            c[i + 1] = (y[i + 1] - y[i]) / d[i]
            c[i] = c[i + 1] - c[i]
        b[0], b[n - 1] = -d[0], -d[n - 2]
        c[0] = c[n - 1] = 0.0
        if n > 3:
            c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
            c[n - 1] = c[n - 2] / (x[n - 1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
            c[0] = c[0] * d[0] ** 2 / (x[3] - x[0])
            c[n - 1] = -c[n - 1] * d[n - 2] ** 2 / (x[n - 1] - x[n - 4])
        for i in range(1, n):
            t = d[i - 1] / b[i - 1]
            b[i] -= t * d[i - 1]
            c[i] -= t * c[i - 1]
        c[n - 1] /= b[n - 1]
        for i in range(n - 2, -1, -1):
            c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
        b[n - 1] = (y[n - 1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2 * c[n - 1])
        for i in range(n - 1):
            b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2 * c[i])
            d[i] = (c[i + 1] - c[i]) / d[i]
            c[i] = 3 * c[i]
        c[n - 1] *= 3
        d[n - 1] = d[n - 2]
    i = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, n - 1)
    dx = xout - x[i]
    return y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))


def approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's ``approx`` (linear, ties averaged, NA outside the range)."""
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.interp(xout, ux, uy)
    return np.where((xout < ux[0]) | (xout > ux[-1]), np.nan, out)


@dataclass(frozen=True, eq=False)
class LogitFit:
    """R's ``glm(y ~ 1, quasibinomial, weights=W)`` reproduced iteration by iteration."""

    beta: float
    mu: float
    sw: float
    sy: float
    working: np.ndarray  # working weights of the final WLS step (from the previous mu)
    naive: float  # summary.glm()$cov.unscaled


def logit_fit(y: np.ndarray, big_w: np.ndarray, eps: float = 1e-8, maxit: int = 25,
              freq: np.ndarray | None = None) -> LogitFit:
    """IRLS for an intercept-only logistic model with prior weights ``big_w``.

    Follows ``glm.fit``: start at ``mustart = (W y + 0.5)/(W + 1)``, stop when the
    relative deviance change is below ``eps``; the covariance uses the working
    weights of the last step, as ``summary.glm`` does.  ``freq``: row ``i`` holds
    ``freq[i]`` respondents of weight ``big_w[i] / freq[i]`` each (R's start is
    per respondent).
    """
    sw, sy = float(big_w.sum()), float((big_w * y).sum())

    def dev(mu: float) -> float:
        return -2 * (sy * np.log(mu) + (sw - sy) * np.log(1 - mu))

    unit_w = big_w if freq is None else big_w / freq
    mu_rows = (unit_w * y + 0.5) / (unit_w + 1)
    eta_rows = np.log(mu_rows / (1 - mu_rows))
    devold = float(-2 * (big_w * (y * np.log(mu_rows) + (1 - y) * np.log(1 - mu_rows))).sum())
    working = big_w * mu_rows * (1 - mu_rows)
    beta = float((working * (eta_rows + (y - mu_rows) / (mu_rows * (1 - mu_rows)))).sum()
                 / working.sum())
    for _ in range(maxit - 1):
        mu = float(expit(np.array(beta)))
        d = dev(mu)
        if abs(d - devold) / (abs(d) + 0.1) < eps:
            break
        devold = d
        working = big_w * mu * (1 - mu)
        beta = beta + (sy / sw - mu) / (mu * (1 - mu))
    mu = float(expit(np.array(beta)))
    return LogitFit(beta=beta, mu=mu, sw=sw, sy=sy, working=working,
                     naive=float(1 / working.sum()))


def logit_reps(p_reps: np.ndarray, beta0: np.ndarray, eps: float = 1e-8, maxit: int = 25
                ) -> np.ndarray:
    """Replicate ``glm.fit`` started at ``beta0`` with weights scaled to sum 1 (vectorised).

    With normalised weights the fit depends on the replicate proportion only.
    """
    beta = np.broadcast_to(beta0, p_reps.shape).astype(float).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = expit(beta)
        devold = -2 * (p_reps * np.log(mu) + (1 - p_reps) * np.log(1 - mu))
        active = np.isfinite(beta)
        for _ in range(maxit):
            mu = expit(beta)
            step = np.where(active, (p_reps - mu) / (mu * (1 - mu)), 0.0)
            beta = beta + step
            mu = expit(beta)
            d = -2 * (p_reps * np.log(mu) + (1 - p_reps) * np.log(1 - mu))
            done = np.abs(d - devold) / (np.abs(d) + 0.1) < eps
            devold = d
            active &= ~done
            if not active.any():
                break
    return beta


def likelihood_interval(fit: LogitFit, y: np.ndarray, w: np.ndarray, var_coef: float,
                         df: float, level: float, n: float | None = None
                         ) -> tuple[float, float]:
    """R's ``svyciprop(method="likelihood")``: Rao-Scott scaled profile likelihood.

    Mirrors ``confint.svyglm(method="likelihood")``: the MASS profile grid
    (steps of ``zmax/5`` design SEs), an fmm spline through it and linear
    inversion at the design-effect-adjusted cut-offs.  ``n`` is the number of
    respondents (``len(y)``; the sum of frequency weights when rows are counts).
    """
    p = fit.mu
    if not (0 < p < 1) or not var_coef > 0 or df <= 0:
        return np.nan, np.nan
    n = y.shape[0] if n is None else float(n)
    # residuals.svyglm: sqrt(prior / normalised sampling weight), constant per domain
    pearson = (y - p) * np.sqrt(fit.sw / n) / np.sqrt(p * (1 - p))
    rbar = (w * pearson).sum() / w.sum()
    dispersion = n / (n - 1) * (w * (pearson - rbar) ** 2).sum() / w.sum()
    lam = var_coef / fit.naive
    alpha = stats.norm.cdf(t_quantile((1 - level) / 2, df) * np.sqrt(lam)) / 2
    zmax = np.sqrt(stats.f.isf(alpha, 1, n - 1))
    step_size = zmax / 5 * np.sqrt(var_coef)
    dev0 = -2 * (fit.sy * np.log(p) + (fit.sw - fit.sy) * np.log(1 - p))
    bs, zs = [fit.beta], [0.0]
    for sgn in (-1, 1):
        z, step = 0.0, 0
        while (step := step + 1) < 10 and abs(z) < zmax:
            b = fit.beta + sgn * step * step_size
            mu = float(expit(np.array(b)))
            dev = -2 * (fit.sy * np.log(mu) + (fit.sw - fit.sy) * np.log(1 - mu))
            z = sgn * np.sqrt(max((dev - dev0) / dispersion, 0.0))
            bs.append(b)
            zs.append(z)
    bx, zy = np.asarray(bs), np.asarray(zs)
    xo = np.argsort(bx, kind="stable")
    bx, zy = bx[xo], zy[xo]
    grid = np.linspace(bx[0], bx[-1], 3 * bx.shape[0])
    sz = fmm_spline(bx, zy, grid)
    cutoff = np.array([stats.norm.ppf(2 * alpha), stats.norm.isf(2 * alpha)])
    lo, hi = expit(approx(sz, grid, cutoff))
    return float(lo), float(hi)


def qrule(xs: np.ndarray, cumw: np.ndarray, p: np.ndarray, rule: str) -> np.ndarray:
    """R's ``qrule_math`` / ``qrule_school`` / ``qrule_hf7`` on sorted values.

    ``xs`` sorted ascending, ``cumw`` cumulative weights in that order.
    """
    n = xs.shape[0]
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if n == 0 or not ok.any():
        return out
    total = cumw[-1]
    pp = p[ok]
    if rule == "hf7":
        if n == 1:
            out[ok] = xs[0]
            return out
        pk = np.concatenate([[0.0], cumw[:-1]]) / cumw[-2]
        out[ok] = approx_rule2(pk, xs, pp)
        return out
    # last position with cumw <= p * total (R's qs(); position 1 when there is none)
    pos = np.searchsorted(cumw, pp * total, side="right") - 1
    pos = np.maximum(pos, 0)
    nxt = np.minimum(pos + 1, n - 1)
    wlow = pp - cumw[pos] / total
    if rule == "math":
        out[ok] = np.where(wlow == 0, xs[pos], xs[nxt])
    else:
        out[ok] = np.where(wlow == 0, (xs[pos] + xs[nxt]) / 2, xs[nxt])
    return out


def approx_rule2(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """``approx(x, y, xout, rule=2)`` with ties averaged."""
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    return np.interp(xout, ux, uy)
