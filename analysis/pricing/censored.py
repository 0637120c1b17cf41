"""Parametric interval-censored regression for willingness to pay (numerical core).

A respondent's value ``Y`` (a premium, a price, a price ratio) is modelled as
``T(Y) = x'beta + sigma * e`` with a transform ``T`` (identity, log or logit)
and a standard error law ``e`` (normal, logistic or minimum extreme value),
which gives R ``survreg``'s families plus logit models for ratios in (0, 1):

================  =========  ==========  ===========================================
``dist``          ``T``      ``e``       use
================  =========  ==========  ===========================================
``normal``        identity   normal      DC-CV (Hanemann) with negative WTP allowed
``logistic``      identity   logistic    DC-CV linear-logistic (DCchoice "logistic")
``lognormal``     log        normal      payment cards, DC-CV log-normal
``loglogistic``   log        logistic    payment cards, DC-CV log-logistic
``weibull``       log        extreme     payment cards, DC-CV Weibull
``logitnormal``   logit      normal      second-hand price ratios in (0, 1)
``logitlogistic`` logit      logistic    second-hand price ratios in (0, 1)
================  =========  ==========  ===========================================

Each row contributes ``log(F(z_b) - F(z_a))`` for an interval ``[a, b)`` (an
unbounded side has ``F = 0`` or ``1``) or the log density of ``Y`` for an
exact value, with ``z = (T(bound) - x'beta) / sigma``.  Scores and Hessian are
analytic; Newton's method with step halving maximises the weighted
log-likelihood over ``(beta, log sigma)``, so its design-based variance is
the sandwich ``H^-1 V(sum U_i) H^-1`` of :class:`~analysis.SurveyDesign`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special
from scipy.integrate import quad_vec

from .._validation import check_argument
from ..errors import ConvergenceWarning, IntervalError, ModelError

__all__ = ["DISTRIBUTIONS", "IntervalFit", "loglik_pieces", "fit_interval", "transform",
           "inverse_transform", "error_cdf", "error_quantile", "row_mean", "row_quantile",
           "row_survival"]

DISTRIBUTIONS: dict[str, tuple[str, str]] = {
    "normal": ("identity", "normal"),
    "gaussian": ("identity", "normal"),
    "logistic": ("identity", "logistic"),
    "lognormal": ("log", "normal"),
    "loglogistic": ("log", "logistic"),
    "weibull": ("log", "extreme"),
    "logitnormal": ("logit", "normal"),
    "logitlogistic": ("logit", "logistic"),
}
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


# --------------------------------------------------------------------------- laws
def _log_cdf(law: str, z: np.ndarray) -> np.ndarray:
    if law == "normal":
        return special.log_ndtr(z)
    if law == "logistic":
        return -_softplus(-z)
    with np.errstate(over="ignore"):
        ez = np.exp(np.minimum(z, 700.0))
        out = np.log(-np.expm1(-ez))
    return np.where(z < -700, z, out)


def log_sf(law: str, z: np.ndarray) -> np.ndarray:
    if law == "normal":
        return special.log_ndtr(-z)
    if law == "logistic":
        return -_softplus(z)
    return -np.exp(np.minimum(z, 700.0))


def _log_pdf(law: str, z: np.ndarray) -> np.ndarray:
    if law == "normal":
        return -0.5 * z**2 - _LOG_SQRT_2PI
    if law == "logistic":
        return -z - 2 * _softplus(-z)
    return z - np.exp(np.minimum(z, 700.0))


def _psi(law: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``d log f / dz`` and its derivative."""
    if law == "normal":
        return -z, -np.ones_like(z)
    if law == "logistic":
        f = special.expit(z)
        return 1 - 2 * f, -2 * f * (1 - f)
    ez = np.exp(np.minimum(z, 700.0))
    return 1 - ez, -ez


def error_cdf(law: str, z: np.ndarray) -> np.ndarray:
    """Evaluate the distribution function of the standard error law.

    Parameters
    ----------
    law : {"normal", "logistic", "extreme"}
        The error law (``"extreme"``: minimum extreme value, the Weibull's).
    z : numpy.ndarray
        Standardised values.

    Returns
    -------
    numpy.ndarray
        ``P(e <= z)``.
    """
    return np.exp(_log_cdf(law, np.asarray(z, dtype=float)))


def error_quantile(law: str, u: np.ndarray) -> np.ndarray:
    """Evaluate the quantile function of the standard error law.

    Parameters
    ----------
    law : {"normal", "logistic", "extreme"}
        The error law.
    u : numpy.ndarray
        Probabilities in (0, 1).

    Returns
    -------
    numpy.ndarray
        ``z`` with ``P(e <= z) = u``.
    """
    u = np.asarray(u, dtype=float)
    if law == "normal":
        return special.ndtri(u)
    if law == "logistic":
        return special.logit(u)
    return np.log(-np.log1p(-u))


def transform(kind: str, y: np.ndarray) -> np.ndarray:
    """Apply ``T(y)``, with ``T(0) = -inf`` for log and logit, ``T(1) = inf`` for logit.

    Parameters
    ----------
    kind : {"identity", "log", "logit"}
        The transform of a distribution (first item of :data:`DISTRIBUTIONS`).
    y : numpy.ndarray
        Values on the original scale.

    Returns
    -------
    numpy.ndarray
        Transformed values, float.
    """
    y = np.asarray(y, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "identity":
            return y
        if kind == "log":
            return np.where(y == np.inf, np.inf, np.log(np.where(y == np.inf, 1.0, y)))
        return special.logit(y)


def inverse_transform(kind: str, t: np.ndarray) -> np.ndarray:
    """Apply ``T^-1(t)``, back to the original scale.

    Parameters
    ----------
    kind : {"identity", "log", "logit"}
        The transform of a distribution.
    t : numpy.ndarray
        Values on the transformed scale.

    Returns
    -------
    numpy.ndarray
        ``t``, ``exp(t)`` or ``expit(t)``.
    """
    t = np.asarray(t, dtype=float)
    if kind == "identity":
        return t
    if kind == "log":
        with np.errstate(over="ignore"):
            return np.exp(t)
    return special.expit(t)


def _log_jacobian(kind: str, y: np.ndarray) -> np.ndarray:
    """``log |dT/dy|`` for the density of exact values."""
    if kind == "identity":
        return np.zeros_like(y)
    if kind == "log":
        return -np.log(y)
    return -np.log(y) - np.log1p(-y)


# --------------------------------------------------------------------------- likelihood
@dataclass(frozen=True)
class _Data:
    X: np.ndarray
    ta: np.ndarray  # transformed lower bounds (-inf allowed)
    tb: np.ndarray  # transformed upper bounds (inf allowed)
    exact: np.ndarray
    jac: np.ndarray  # log-Jacobian of exact rows (0 elsewhere)


def _prepare(X: np.ndarray, lower: np.ndarray, upper: np.ndarray, dist: str) -> tuple[_Data, str, str]:
    check_argument("dist", list(DISTRIBUTIONS), dist)
    kind, law = DISTRIBUTIONS[dist]
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    lower = np.where(np.isnan(lower), -np.inf, lower)
    upper = np.where(np.isnan(upper), np.inf, upper)
    if np.any(lower > upper):
        rows = np.flatnonzero(lower > upper)
        raise IntervalError(f"{rows.size} empty interval(s) (lower > upper)",
                            row=", ".join(map(str, rows[:10])),
                            hint="fix the bounds of these rows")
    if kind in ("log", "logit"):
        neg = (upper < 0) | (lower < 0) & np.isfinite(lower)
        if neg.any():
            raise IntervalError(f"dist={dist!r} needs non-negative values, but {int(neg.sum())} "
                                "row(s) have negative bounds",
                                row=", ".join(map(str, np.flatnonzero(neg)[:10])),
                                hint="use dist='normal' or 'logistic' for values that can be negative")
        lower = np.maximum(lower, 0.0)
    if kind == "logit":
        over = (lower > 1) | ((upper > 1) & np.isfinite(upper))
        if over.any():
            raise IntervalError(f"dist={dist!r} models ratios in (0, 1), but {int(over.sum())} "
                                "row(s) have bounds above 1",
                                row=", ".join(map(str, np.flatnonzero(over)[:10])),
                                hint="use a log-scale dist ('lognormal', 'loglogistic') for ratios above 1")
        upper = np.minimum(upper, 1.0)
    exact = lower == upper
    bad_exact = exact & ((kind != "identity") & ((lower <= 0) | (kind == "logit") & (lower >= 1)))
    if bad_exact.any():
        raise IntervalError(f"{int(bad_exact.sum())} exact value(s) on the boundary of "
                            f"dist={dist!r}'s support", hint="use an interval for these rows")
    ta = transform(kind, lower)
    tb = transform(kind, upper)
    jac = np.where(exact, _log_jacobian(kind, np.where(exact, lower, 0.5)), 0.0)
    return _Data(np.asarray(X, dtype=float), ta, tb, exact, jac), kind, law


def loglik_pieces(theta: np.ndarray, data: _Data, law: str, w: np.ndarray, *,
                  hessian: bool = True) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Weighted log-likelihood, per-row weighted scores and the Hessian.

    Parameters
    ----------
    theta : ndarray
        ``(beta, log sigma)``.
    data : _Data
        Prepared design matrix and transformed bounds.
    law : str
        Error law.
    w : ndarray
        Row weights.
    hessian : bool
        Also compute the Hessian.

    Returns
    -------
    loglik : float
        ``sum_i w_i log L_i``.
    scores : ndarray, shape (n, p + 1)
        ``w_i * d log L_i / d theta``.
    hess : ndarray or None
        ``sum_i w_i d^2 log L_i / d theta^2``.
    """
    X = data.X
    p = X.shape[1]
    beta, log_s = theta[:p], theta[p]
    s = np.exp(log_s)
    eta = X @ beta
    ex = data.exact
    iv = ~ex
    n = X.shape[0]
    ll = np.zeros(n)
    dz_eta = np.zeros(n)  # d ll / d eta
    dz_ls = np.zeros(n)  # d ll / d log sigma
    h_ee = np.zeros(n)
    h_el = np.zeros(n)
    h_ll = np.zeros(n)
    # interval rows
    fa_fin = np.isfinite(data.ta) & iv
    fb_fin = np.isfinite(data.tb) & iv
    za = np.where(fa_fin, (np.where(fa_fin, data.ta, 0.0) - eta) / s, -np.inf)
    zb = np.where(fb_fin, (np.where(fb_fin, data.tb, 0.0) - eta) / s, np.inf)
    # Difference of CDFs in log space, from the tail that keeps precision.
    upper_tail = za > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        l_sa, l_sb = log_sf(law, za), log_sf(law, zb)
        l_fa, l_fb = _log_cdf(law, za), _log_cdf(law, zb)
        lp_upper = l_sa + np.log1p(-np.exp(np.minimum(l_sb - l_sa, 0.0)))
        lp_lower = l_fb + np.log1p(-np.exp(np.minimum(l_fa - l_fb, 0.0)))
        logp = np.where(upper_tail, lp_upper, lp_lower)
        ga = np.where(fa_fin, -np.exp(_log_pdf(law, np.where(fa_fin, za, 0.0)) - logp), 0.0)
        gb = np.where(fb_fin, np.exp(_log_pdf(law, np.where(fb_fin, zb, 0.0)) - logp), 0.0)
    if np.any(iv & ~np.isfinite(logp)):
        raise ModelError("an interval has zero probability at the current estimates",
                         hint="check for extreme bounds or start values")
    za0 = np.where(fa_fin, za, 0.0)
    zb0 = np.where(fb_fin, zb, 0.0)
    ll[iv] = logp[iv]
    dz_eta[iv] = -(ga + gb)[iv] / s
    dz_ls[iv] = -(ga * za0 + gb * zb0)[iv]
    if hessian:
        psa, _ = _psi(law, za0)
        psb, _ = _psi(law, zb0)
        # d2 ll / dz2 with f' = psi f; g* = +-f/P as above.
        haa = ga * psa - ga**2
        hbb = gb * psb - gb**2
        hab = -ga * gb
        # chain rule: z = (t - eta)/s; dz/deta = -1/s, dz/dls = -z; d2z/deta dls = 1/s, d2z/dls2 = z
        h_ee[iv] = ((haa + 2 * hab + hbb) / s**2)[iv]
        h_el[iv] = ((haa * za0 + hab * (za0 + zb0) + hbb * zb0) / s + (ga + gb) / s)[iv]
        h_ll[iv] = (haa * za0**2 + 2 * hab * za0 * zb0 + hbb * zb0**2 + ga * za0 + gb * zb0)[iv]
    # exact rows
    if ex.any():
        z = (data.ta[ex] - eta[ex]) / s
        psi, dpsi = _psi(law, z)
        ll[ex] = _log_pdf(law, z) - log_s + data.jac[ex]
        dz_eta[ex] = -psi / s
        dz_ls[ex] = -psi * z - 1
        if hessian:
            h_ee[ex] = dpsi / s**2
            h_el[ex] = (dpsi * z + psi) / s
            h_ll[ex] = dpsi * z**2 + psi * z
    scores = np.column_stack([X * (w * dz_eta)[:, None], w * dz_ls])
    hess = None
    if hessian:
        hess = np.empty((p + 1, p + 1))
        hess[:p, :p] = (X * (w * h_ee)[:, None]).T @ X
        hess[:p, p] = hess[p, :p] = X.T @ (w * h_el)
        hess[p, p] = np.sum(w * h_ll)
    return float(np.sum(w * ll)), scores, hess


# --------------------------------------------------------------------------- fitting
@dataclass(frozen=True)
class IntervalFit:
    """A fitted interval-censored model.

    Attributes
    ----------
    theta : ndarray
        ``(beta, log sigma)``.
    loglik : float
        Weighted log-likelihood at ``theta`` (weights as given).
    scores : ndarray, shape (n, k)
        Weighted per-row scores at ``theta`` (sum ~ 0).
    hessian : ndarray, shape (k, k)
        Weighted Hessian at ``theta``.
    converged : bool
    n_iter : int
    gradient_norm : float
        Max absolute total score at the end (diagnostic).
    """

    theta: np.ndarray
    loglik: float
    scores: np.ndarray
    hessian: np.ndarray
    converged: bool
    n_iter: int
    gradient_norm: float

    @property
    def influence(self) -> np.ndarray:
        """Weighted influence values ``U_i (-H)^-1`` (n x k)."""
        return self.scores @ np.linalg.inv(-self.hessian)


def _start(data: _Data) -> np.ndarray:
    ta, tb = data.ta, data.tb
    fa, fb = np.isfinite(ta), np.isfinite(tb)
    both = fa & fb
    spread = np.median(tb[both] - ta[both]) if both.any() else 1.0
    spread = spread if np.isfinite(spread) and spread > 0 else 1.0
    mid = np.where(both, (np.where(fa, ta, 0) + np.where(fb, tb, 0)) / 2,
                   np.where(fa, np.where(fa, ta, 0) + spread / 2, np.where(fb, tb, 0) - spread / 2))
    beta, *_ = np.linalg.lstsq(data.X, mid, rcond=None)
    resid = mid - data.X @ beta
    sd = max(float(np.std(resid)), spread / 2, 1e-3)
    return np.append(beta, np.log(sd))


def fit_interval(X: np.ndarray, lower: np.ndarray, upper: np.ndarray, weights: np.ndarray,
                 dist: str, *, start: np.ndarray | None = None, tol: float = 1e-10,
                 maxit: int = 100) -> IntervalFit:
    """Maximum-likelihood fit of an interval-censored location-scale model.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Design matrix (include an intercept column).
    lower, upper : ndarray, shape (n,)
        Bounds on the original scale; ``NaN`` / ``-inf`` / ``inf`` = unbounded,
        ``lower == upper`` = exact value.
    weights : ndarray, shape (n,)
        Positive weights.
    dist : str
        One of :data:`DISTRIBUTIONS`.
    start : ndarray, optional
        Starting ``(beta, log sigma)``.
    tol : float
        Convergence when the Newton step's largest component and the
        relative change in log-likelihood fall below ``tol``.
    maxit : int
        Newton iteration limit.

    Returns
    -------
    IntervalFit
        Estimates, log-likelihood, per-row scores, Hessian and convergence
        diagnostics.

    Raises
    ------
    ModelError
        Unidentified models (no row bounded above, or none bounded below).
    IntervalError
        Empty intervals or bounds outside ``dist``'s support.
    """
    data, _, law = _prepare(X, lower, upper, dist)
    w = np.asarray(weights, dtype=float)
    if not np.isfinite(data.tb).any() and not data.exact.any():
        raise ModelError("no answer bounds the value from above (everyone accepted every bid or "
                         "chose the top bracket), so location and scale are not identified",
                         hint="check the yes/no coding or add a higher bid / bracket")
    if not np.isfinite(data.ta).any() and not data.exact.any():
        raise ModelError("no answer bounds the value from below (everyone refused every bid or "
                         "chose the bottom bracket), so location and scale are not identified",
                         hint="check the yes/no coding or add a lower bid / bracket")
    # Scale weights to mean 1 for the iterations (estimates do not depend on it).
    ws = w / w.mean()
    theta = _start(data) if start is None else np.asarray(start, dtype=float).copy()
    ll, sc, hess = loglik_pieces(theta, data, law, ws)
    converged = False
    n_iter = 0
    for it in range(1, maxit + 1):
        n_iter = it
        grad = sc.sum(axis=0)
        neg = -hess
        # Levenberg damping keeps the step an ascent direction away from the optimum.
        lam = 0.0
        for _ in range(30):
            try:
                chol = np.linalg.cholesky(neg + lam * np.eye(neg.shape[0]))
                break
            except np.linalg.LinAlgError:
                lam = max(2 * lam, 1e-6 * (np.abs(np.diag(neg)).max() + 1))
        else:
            raise ModelError("the Hessian of the interval likelihood is not usable",
                             hint="check for constant covariates or empty categories")
        step = np.linalg.solve(chol.T, np.linalg.solve(chol, grad))
        t = 1.0
        for _ in range(40):
            cand = theta + t * step
            try:
                ll_new, sc_new, hess_new = loglik_pieces(cand, data, law, ws)
            except ModelError:
                ll_new = -np.inf
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        else:
            break
        change = np.max(np.abs(t * step))
        rel = abs(ll_new - ll) / (abs(ll) + 1e-10)
        theta, ll, sc, hess = cand, ll_new, sc_new, hess_new
        if change < tol and rel < 1e-13 or change < tol * 1e-3:
            converged = True
            break
    llw, scw, hw = loglik_pieces(theta, data, law, w)
    return IntervalFit(theta=theta, loglik=llw, scores=scw, hessian=hw, converged=converged,
                       n_iter=n_iter, gradient_norm=float(np.abs(sc.sum(axis=0)).max()))


# --------------------------------------------------------------------------- WTP per row
_GL_U, _GL_W = np.polynomial.legendre.leggauss(96)
_GL_U = (_GL_U + 1) / 2
_GL_W = _GL_W / 2


def row_quantile(dist: str, eta: np.ndarray, log_scale: Any, q: float = 0.5) -> np.ndarray:
    """Compute the ``q`` quantile of each row's value distribution (median for 0.5).

    ``eta`` may have any shape; ``log_scale`` broadcasts against it.

    Parameters
    ----------
    dist : str
        One of :data:`DISTRIBUTIONS`.
    eta : numpy.ndarray
        Linear predictors (location on the transformed scale), any shape.
    log_scale : float or numpy.ndarray
        ``log sigma``; broadcasts against ``eta``.
    q : float, default 0.5
        The probability.

    Returns
    -------
    numpy.ndarray
        Quantiles on the original scale, shaped like ``eta``.
    """
    kind, law = DISTRIBUTIONS[dist]
    return inverse_transform(kind, eta + np.exp(log_scale) * error_quantile(law, q))


def row_survival(dist: str, eta: np.ndarray, log_scale: Any, value: Any) -> np.ndarray:
    """Compute ``P(Y >= value)`` of each row's value distribution.

    Parameters
    ----------
    dist : str
        One of :data:`DISTRIBUTIONS`.
    eta : numpy.ndarray
        Linear predictors (location on the transformed scale), any shape.
    log_scale : float or numpy.ndarray
        ``log sigma``; broadcasts against ``eta``.
    value : float or array_like
        Values on the original scale.

    Returns
    -------
    numpy.ndarray
        Shape ``eta.shape + (len(value),)``.
    """
    kind, law = DISTRIBUTIONS[dist]
    t = transform(kind, np.atleast_1d(np.asarray(value, dtype=float)))
    eta = np.asarray(eta, dtype=float)[..., None]
    s = np.exp(np.asarray(log_scale, dtype=float))[..., None]
    return np.exp(log_sf(law, (t - eta) / s))


def row_mean(dist: str, eta: np.ndarray, log_scale: Any,
             truncate: tuple[float, float] | None = None) -> np.ndarray:
    """Each row's mean value (``inf`` when it does not exist).

    Parameters
    ----------
    dist : str
        One of :data:`DISTRIBUTIONS`.
    eta : ndarray
        Linear predictors of ``T(Y)`` (any shape).
    log_scale : float or ndarray
        ``log sigma``, broadcasting against ``eta``.
    truncate : (lo, hi), optional
        Return the truncated mean instead: the mean of ``min(max(Y, lo), hi)``,
        which is ``lo + integral_lo^hi P(Y >= t) dt`` for finite ``lo``
        (DCchoice's "truncated mean" ``integral_0^bmax (1 - F(t)) dt`` for
        ``lo = 0``, ``hi`` = the largest bid).  Either bound may be infinite;
        ``(-inf, inf)`` gives the ordinary mean.

    Returns
    -------
    ndarray
        Shape of ``eta`` broadcast with ``log_scale``.  ``inf`` marks a
        divergent mean (log-logistic with ``sigma >= 1`` and ``hi = inf``);
        callers reporting it should warn (see
        :meth:`~analysis.pricing.regression.IntervalRegressionResult.wtp`).

    Raises
    ------
    ModelError
        ``truncate`` bounds that are NaN, ``lo = inf``, ``hi = -inf`` or
        ``lo > hi``.

    Notes
    -----
    Truncated means use closed forms where they exist -- normal and logistic
    (partial expectations), log-normal (normal CDF), Weibull (incomplete
    gamma), log-logistic with ``sigma < 1`` (incomplete beta) -- as
    ``lo P(Y <= lo) + hi P(Y >= hi) + E[Y; lo < Y < hi]``.  Log-logistic with
    ``sigma >= 1`` and a finite ``hi`` and the logit models integrate the
    survival function adaptively (:func:`scipy.integrate.quad_vec`) once per
    distinct ``(eta, sigma)`` pair.
    """
    kind, law = DISTRIBUTIONS[dist]
    eta = np.asarray(eta, dtype=float)
    s = np.exp(np.asarray(log_scale, dtype=float))
    if truncate is not None:
        return _clipped_mean(kind, law, eta, s, *check_truncate(truncate))
    if kind == "identity":
        shift = {"normal": 0.0, "logistic": 0.0, "extreme": -np.euler_gamma}[law]
        return eta + s * shift
    if kind == "log":
        if law == "normal":
            return np.exp(eta + s**2 / 2)
        if law == "logistic":
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(s < 1, np.pi * s / np.sin(np.pi * np.where(s < 1, s, 0.5)),
                                  np.inf)
            return np.exp(eta) * factor
        return np.exp(eta) * special.gamma(1 + s)
    # logit: E[expit(eta + s e)] by quadrature on the error's quantile scale
    e = error_quantile(law, _GL_U)
    return special.expit(eta[..., None] + np.asarray(s)[..., None] * e) @ _GL_W


def check_truncate(truncate: Any) -> tuple[float, float]:
    try:
        lo, hi = map(float, truncate)
    except (TypeError, ValueError):
        raise ModelError(f"truncate must be a pair (lo, hi) of numbers, not {truncate!r}",
                         hint="e.g. truncate=(0, bid_max) or (0, float('inf'))") from None
    if np.isnan(lo) or np.isnan(hi) or lo > hi or lo == np.inf or hi == -np.inf:
        raise ModelError(f"truncate=({lo!r}, {hi!r}) is not an interval lo <= hi",
                         hint="pass finite or infinite bounds with lo <= hi, e.g. (0, inf)")
    return lo, hi


def _prob(law: str, za: np.ndarray, zb: np.ndarray) -> np.ndarray:
    """``P(za < e < zb)``, differencing the tail that keeps precision."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        up = np.exp(log_sf(law, za)) - np.exp(log_sf(law, zb))
        down = np.exp(_log_cdf(law, zb)) - np.exp(_log_cdf(law, za))
    return np.where(za > 0, up, down)


def _logistic_g(z: np.ndarray) -> np.ndarray:
    """``z F(z) - log(1 + e^z)``: antiderivative of ``z f(z)``, even, 0 at +-inf."""
    a = np.abs(z)
    with np.errstate(invalid="ignore", over="ignore"):
        out = -a * special.expit(-a) - np.log1p(np.exp(-a))
    return np.where(np.isinf(a), 0.0, out)


def _partial_mean(kind: str, law: str, mu: np.ndarray, s: np.ndarray, za: np.ndarray,
                  zb: np.ndarray) -> np.ndarray:
    """Closed-form ``E[Y; za < e < zb]`` (NaN where there is none: see :func:`row_mean`)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if kind == "identity":
            p = _prob(law, za, zb)
            if law == "normal":
                dens = np.exp(_log_pdf(law, za)) - np.exp(_log_pdf(law, zb))
                return mu * p + s * np.where(np.isnan(dens), 0.0, dens)
            return mu * p + s * (_logistic_g(zb) - _logistic_g(za))
        if law == "normal":  # lognormal: e^(mu + s^2/2) P(za - s < e < zb - s)
            return np.exp(mu + s**2 / 2) * _prob(law, za - s, zb - s)
        if law == "extreme":  # Weibull: e^mu int v^s e^-v dv over (e^za, e^zb)
            a, va, vb = 1 + s, np.exp(za), np.exp(zb)
            diff = np.where(va > a, special.gammaincc(a, va) - special.gammaincc(a, vb),
                            special.gammainc(a, vb) - special.gammainc(a, va))
            return np.exp(mu + special.gammaln(a)) * diff
        # log-logistic: e^mu int u^s (1-u)^-s du over (F(za), F(zb)), finite for s < 1
        ok = s < 1
        a, b = 1 + np.where(ok, s, 0.5), 1 - np.where(ok, s, 0.5)
        fa, fb = np.exp(_log_cdf(law, za)), np.exp(_log_cdf(law, zb))
        sa, sb = np.exp(log_sf(law, za)), np.exp(log_sf(law, zb))
        # F near 1 is rounded while S is not, and the integrand grows like (1-u)^-s there:
        # take each end from the tail that is accurate.
        upper_b = np.where(zb > 0, 1 - special.betainc(b, a, sb), special.betainc(a, b, fb))
        diff = np.where(za > 0, special.betainc(b, a, sa) - special.betainc(b, a, sb),
                        upper_b - special.betainc(a, b, fa))
        out = np.exp(mu + special.betaln(a, b)) * diff
        return np.where(ok, out, np.where(np.isposinf(zb), np.inf, np.nan))


def _clipped_mean(kind: str, law: str, eta: np.ndarray, s: np.ndarray, lo: float, hi: float
                  ) -> np.ndarray:
    """``E[min(max(Y, lo), hi)]`` for every (eta, s) pair (see :func:`row_mean`)."""
    eta, s = np.broadcast_arrays(eta, s)
    if kind != "identity":
        # Y lives in (0, inf) or (0, 1): bounds outside the support never bind.
        top = np.inf if kind == "log" else 1.0
        if hi <= 0:
            return np.full(eta.shape, hi)
        if lo >= top:
            return np.full(eta.shape, lo)
        if kind == "logit":
            return _survival_integral(kind, law, eta, s, lo, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        za = (transform(kind, lo if kind == "identity" else max(lo, 0.0)) - eta) / s
        zb = (transform(kind, hi) - eta) / s
        below = np.exp(_log_cdf(law, za))
        above = np.exp(log_sf(law, zb))
        ends = (np.where(below > 0, lo * below, 0.0) + np.where(above > 0, hi * above, 0.0))
    pm = _partial_mean(kind, law, eta, s, za, zb)
    pm = np.where(zb > za, pm, 0.0)
    out = ends + pm
    todo = np.isnan(out)  # log-logistic, sigma >= 1, finite hi: no closed form
    if todo.any():
        out[todo] = _survival_integral(kind, law, eta[todo], s[todo], lo, hi)
    return out


def _survival_integral(kind: str, law: str, eta: np.ndarray, s: np.ndarray, lo: float,
                       hi: float) -> np.ndarray:
    """``c + integral_c^hi P(Y >= t) dt`` with ``c = max(lo, 0)``, adaptively.

    For log / logit models (``Y > 0``), integrating over ``x = T(t)`` so the
    integrand is smooth with tails that quad_vec's infinite-interval rule
    handles.  One vector integrand over the distinct (eta, s) pairs, each
    scaled by a rough size of its result so the common (max-norm) tolerance
    is relative for every pair; breakpoints split the range at the pairs'
    locations.
    """
    shape = eta.shape
    pairs, inv = np.unique(np.column_stack([eta.ravel(), s.ravel()]), axis=0, return_inverse=True)
    mu, sig = pairs[:, 0], pairs[:, 1]
    c = max(lo, 0.0)
    top = min(hi, 1.0) if kind == "logit" else hi
    a, b = float(transform(kind, c)), float(transform(kind, top))
    size = np.maximum(np.minimum(top - c, inverse_transform(kind, mu)), 1e-300)

    def integrand(x: float) -> np.ndarray:
        jac = x if kind == "log" else -_softplus(-x) - _softplus(x)  # log dt/dx
        return np.exp(log_sf(law, (x - mu) / sig) + jac) / size

    cuts = np.unique(np.quantile(mu, [0.0, 0.5, 1.0]))
    edges = np.concatenate([[a], cuts[(cuts > a) & (cuts < b)], [b]])
    total = np.zeros(mu.size)
    for x0, x1 in zip(edges[:-1], edges[1:]):  # a few pieces, each vectorised over pairs
        with np.errstate(over="ignore", under="ignore"):
            val, err, info = quad_vec(integrand, x0, x1, epsabs=0.0, epsrel=1e-11, norm="max",
                                      full_output=True)
        if not info.success:
            warnings.warn(f"truncated mean: adaptive integration over [{x0:.4g}, {x1:.4g}] "
                          f"stopped with error estimate {err:.3g}", ConvergenceWarning,
                          stacklevel=4)
        total += val
    return (c + total * size)[inv.ravel()].reshape(shape)
