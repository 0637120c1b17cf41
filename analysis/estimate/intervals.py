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
    "QRULES",
    "approx_constant",
]


def expit(x: np.ndarray) -> np.ndarray:
    """Compute the inverse logit ``exp(x) / (1 + exp(x))``.

    Parameters
    ----------
    x : ndarray
        Values on the logit scale.

    Returns
    -------
    ndarray
        Probabilities.
    """
    return np.exp(x) / (1 + np.exp(x))


def prop_interval(method: str, p: np.ndarray, var: np.ndarray, df: np.ndarray,
                   n_rows: np.ndarray, design_df: np.ndarray, level: float,
                   logit_var: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Compute R's ``svyciprop`` interval of each proportion (vectorised, not likelihood).

    Parameters
    ----------
    method : {"mean", "asin", "xlogit", "logit", "beta", "wilson"}
        The ``svyciprop`` method.
    p : ndarray
        Proportions.
    var : ndarray
        Their design variances.
    df : ndarray
        Degrees of freedom of the t quantile (``"logit"`` gives NaN at ``<= 0``).
    n_rows : ndarray
        Respondents behind each proportion (``"beta"``'s df ratio).
    design_df : ndarray
        Design df of each proportion (``"beta"``'s df ratio).
    level : float
        Confidence level.
    logit_var : ndarray, optional
        Variance of the logit coefficient (``"logit"``/``"xlogit"``); default
        by the delta method from ``var``.

    Returns
    -------
    low : ndarray
        Lower bounds.
    high : ndarray
        Upper bounds.
    """
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
    """Evaluate R's ``spline(method="fmm")`` at ``xout`` (Forsythe, Malcolm & Moler).

    Parameters
    ----------
    x, y : ndarray
        Knots (increasing) and values.
    xout : ndarray
        Where to evaluate.

    Returns
    -------
    ndarray
        Spline values at ``xout``.
    """
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
    seg = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, n - 1)  # spline piece of xout
    dx = xout - x[seg]
    return y[seg] + dx * (b[seg] + dx * (c[seg] + dx * d[seg]))


def approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """Interpolate linearly as R's ``approx`` (ties averaged, NaN outside the range).

    Parameters
    ----------
    x, y : ndarray
        Points and values.
    xout : ndarray
        Where to interpolate.

    Returns
    -------
    ndarray
        Values at ``xout``.
    """
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    out = np.interp(xout, ux, uy)
    return np.where((xout < ux[0]) | (xout > ux[-1]), np.nan, out)


@dataclass(frozen=True, eq=False)
class LogitFit:
    """R's ``glm(y ~ 1, quasibinomial, weights=W)`` reproduced iteration by iteration.

    Attributes
    ----------
    beta : float
        The intercept (logit of ``mu``).
    mu : float
        The fitted proportion.
    sw : float
        Sum of the prior weights.
    sy : float
        Weighted sum of ``y``.
    working : ndarray
        Working weights of the final WLS step (from the previous ``mu``).
    naive : float
        ``summary.glm()$cov.unscaled`` of the intercept.
    """

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
    weights of the last step, as ``summary.glm`` does.

    Parameters
    ----------
    y : ndarray
        0/1 responses.
    big_w : ndarray
        Prior weights.
    eps : float
        Tolerance on the relative deviance change.
    maxit : int
        Iteration cap.
    freq : ndarray, optional
        Row ``i`` holds ``freq[i]`` respondents of weight ``big_w[i] / freq[i]``
        each (R's start is per respondent).

    Returns
    -------
    LogitFit
        The fit after the last iteration.
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

    Parameters
    ----------
    p_reps : ndarray
        Replicate proportions.
    beta0 : ndarray
        Full-sample intercept(s), broadcast against ``p_reps``.
    eps : float
        Tolerance on the relative deviance change.
    maxit : int
        Iteration cap.

    Returns
    -------
    ndarray
        Replicate intercepts (logit scale), shaped as ``p_reps``.
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
    """Compute R's ``svyciprop(method="likelihood")``: Rao-Scott scaled profile likelihood.

    Mirrors ``confint.svyglm(method="likelihood")``: the MASS profile grid
    (steps of ``zmax/5`` design SEs), an fmm spline through it and linear
    inversion at the design-effect-adjusted cut-offs.

    Parameters
    ----------
    fit : LogitFit
        The intercept-only fit.
    y : ndarray
        0/1 responses.
    w : ndarray
        Weights of the fit.
    var_coef : float
        Design variance of the intercept.
    df : float
        Design degrees of freedom.
    level : float
        Confidence level.
    n : float, optional
        Number of respondents (``len(y)``; the sum of frequency weights when
        rows are counts).

    Returns
    -------
    low : float
        Lower bound; NaN when ``mu`` is 0 or 1, the variance is not positive
        or ``df <= 0``.
    high : float
        Upper bound (NaN likewise).
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


QRULES = ("math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7",
          "hf8", "hf9")


def _qs(xs: np.ndarray, cumw: np.ndarray, pp: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """R's ``qs()``: (pos, next position, wlow, wup), 0-based positions."""
    n, total = xs.shape[0], cumw[-1]
    # last position with cumw <= p * total (R's last(); position 1 when there is none)
    pos = np.maximum(np.searchsorted(cumw, pp * total, side="right") - 1, 0)
    nxt = np.minimum(pos + 1, n - 1)
    return pos, nxt, pp - cumw[pos] / total, cumw[nxt] / total - pp


def qrule(xs: np.ndarray, ws: np.ndarray, p: np.ndarray, rule: str) -> np.ndarray:
    """Apply R's ``qrule_<rule>`` (survey 4.1) to sorted values, vectorised over ``p``.

    Rows of zero weight take no part, as in R.  Rules ``hf1``-``hf9``
    are the Hyndman-Fan definitions with weights; ``shahvaish`` is Shah & Vaish
    (2006) with weights normalised to mean 1 (R's code mixes in the raw
    weights; see tests/test_quantile_rules.py).

    Parameters
    ----------
    xs : ndarray
        Values sorted ascending (stable, as R's ``order``).
    ws : ndarray
        Their weights, in the same order.
    p : ndarray
        Probabilities (NaN gives NaN).
    rule : str
        One of :data:`QRULES`.

    Returns
    -------
    ndarray
        Quantiles, shaped as ``p``.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    w = np.asarray(ws, dtype=float)
    if (w == 0).any():
        xs, w = xs[w != 0], w[w != 0]
    n = xs.shape[0]
    if n == 0 or not ok.any():
        return out
    # R's cumsum/sum accumulate in long double: exact ties at p*sum(w) decide "math"
    cumw = np.cumsum(w, dtype=np.longdouble).astype("float64")
    pp = p[ok]
    if rule in ("hf5", "hf6", "hf7", "hf8", "hf9", "shahvaish"):
        if rule == "hf7" and n == 1:
            out[ok] = xs[0]
            return out
        prev = np.concatenate([[0.0], cumw[:-1]])
        if rule == "hf5":
            pk = (cumw - w / 2) / cumw[-1]
        elif rule == "hf6":
            pk = cumw / (cumw[-1] + w[-1])
        elif rule == "hf7":
            pk = prev / cumw[-2]
        elif rule == "hf8":
            pk = (prev / 3 + cumw * 2 / 3) / (cumw[-1] + w[-1] / 3)
        elif rule == "hf9":
            pk = (prev * 3 / 8 + cumw * 5 / 8) / (cumw[-1] + w[-1] / 4)
        else:
            wbar = w / w.mean()
            pk = (np.cumsum(wbar) + 0.5 - wbar / 2) / (n + 1)
            out[ok] = approx_constant(pk, xs, pp)
            return out
        out[ok] = approx_rule2(pk, xs, pp)
        return out
    if rule == "hf3":  # on distinct values with their summed weights (R's rowsum)
        ux, first = np.unique(xs, return_index=True)
        ends = np.append(first[1:], n)
        # rowsum adds each value's weights one after another in double precision
        wsum = np.array([np.cumsum(w[a:b])[-1] for a, b in zip(first, ends)])
        xs, cumw = ux, np.cumsum(wsum, dtype=np.longdouble).astype("float64")
    pos, nxt, wlow, wup = _qs(xs, cumw, pp)
    if rule in ("math", "hf1"):
        out[ok] = np.where(wlow == 0, xs[pos], xs[nxt])
    elif rule in ("school", "hf2"):
        out[ok] = np.where(wlow == 0, (xs[pos] + xs[nxt]) / 2, xs[nxt])
    elif rule == "hf3":
        # R: the lower value at an exact hit on an even (1-based) position
        out[ok] = np.where((wlow == 0) & (pos % 2 == 1), xs[pos], xs[nxt])
    elif rule == "hf4":
        with np.errstate(divide="ignore", invalid="ignore"):
            gamma = wlow / (wup + wlow)
        out[ok] = xs[pos] * (1 - gamma) + xs[nxt] * gamma
    else:
        raise ValueError(f"unknown quantile rule {rule!r}")
    return out


def approx_constant(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """Step-interpolate as ``approx(x, y, xout, method="constant", f=0, rule=2)``, ties averaged.

    Parameters
    ----------
    x, y : ndarray
        Points and values.
    xout : ndarray
        Where to interpolate (clamped to the range of ``x``).

    Returns
    -------
    ndarray
        Values at ``xout``.
    """
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    i = np.clip(np.searchsorted(ux, xout, side="right") - 1, 0, ux.shape[0] - 1)
    return uy[i]


def approx_rule2(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """``approx(x, y, xout, rule=2)`` with ties averaged."""
    ux, inv = np.unique(x, return_inverse=True)
    uy = np.bincount(inv, weights=y) / np.bincount(inv)
    return np.interp(xout, ux, uy)
