"""The weighted Turnbull NPMLE for interval-censored data (numerical core).

Each respondent's value (a maximum price ratio, a willingness to pay) is
known only to lie in an interval.  Turnbull (1976) showed the nonparametric
maximum-likelihood estimate puts all its mass on the *innermost intervals*:
the gaps between a left end and the next right end of the data.  The masses
``p`` maximise the weighted log-likelihood ``sum_i w_i log(alpha_i . p)``
(``alpha_ij = 1`` if innermost interval ``j`` lies inside respondent ``i``'s
interval) and are found by EM (self-consistency), accelerated with SQUAREM
(Varadhan & Roland, 2008).

Respondents with the same interval share a *pattern*; EM runs on pattern
totals, which makes fits on 10^6 rows or on hundreds of replicate weight
columns (one EM, vectorised across columns) cheap.

Intervals are half-open on one side, all the same way: ``closed="left"``
reads ``[lower, upper)`` (a ladder's "highest accepted" rung, a "yes" to a
bid), ``closed="right"`` reads ``(lower, upper]`` (R's
``Surv(type="interval2")``).  ``lower == upper`` is an exact value.  The
masses are the same either way when no exact values tie with bounds.

The curve reported is ``S(t) = P(T >= t)`` (``closed="left"``) or
``P(T > t)`` (``closed="right"``): the sum of the masses of innermost
intervals lying at or above ``t``.  It is identified at every bound of the
data; inside an innermost interval the NPMLE does not say where the mass
sits, and this (lower) curve assumes it sits below ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_argument, check_probability
from ..design.results import probability_interval, result_frame, wald_interval
from ..errors import IntervalError

__all__ = ["TurnbullFit", "innermost_intervals", "turnbull_em", "fit_turnbull",
           "turnbull_influence", "curve_matrix", "TurnbullResult", "linear_survival_summaries"]


@dataclass(frozen=True)
class TurnbullFit:
    """A fitted Turnbull NPMLE.

    Attributes
    ----------
    left : ndarray, shape (m,)
        Left ends of the innermost intervals (original scale; ``-inf`` allowed).
    right : ndarray, shape (m,)
        Right ends (``inf`` allowed).
    mass : ndarray, shape (m,) or (m, R)
        Probability masses (one column per weight column).
    alpha : ndarray of bool, shape (k, m)
        Pattern-by-interval incidence.
    pattern : ndarray of int, shape (n,)
        Pattern of each row (-1 for rows carrying no information).
    converged : bool
        Whether EM met its tolerance for every column.
    n_iter : int
        EM iterations used.
    closed : str
        ``"left"`` or ``"right"``.
    """

    left: np.ndarray
    right: np.ndarray
    mass: np.ndarray
    alpha: np.ndarray
    pattern: np.ndarray
    converged: bool
    n_iter: int
    closed: str


def _codes(lower: np.ndarray, upper: np.ndarray, closed: str
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer codes of the bounds on one grid, so every interval is ``(a, b]``.

    Finite values sit at even codes; an exact value ``x`` becomes the one-slot
    interval just below (``closed="right"``) or above (``"left"``) ``x``.
    """
    finite = np.concatenate([lower[np.isfinite(lower)], upper[np.isfinite(upper)]])
    values = np.unique(finite)
    big = 2 * values.size + 4
    rank_lo = 2 * np.searchsorted(values, lower) + 2
    rank_hi = 2 * np.searchsorted(values, upper) + 2
    exact = lower == upper
    if closed == "right":
        a = np.where(np.isfinite(lower), rank_lo, 0)
        b = np.where(np.isfinite(upper), rank_hi, big)
        a = np.where(exact, a - 1, a)
    else:
        # [l, u) on values == (l-, u-] on codes: shift both ends down one slot.
        a = np.where(np.isfinite(lower), rank_lo - 1, 0)
        b = np.where(np.isfinite(upper), rank_hi - 1, big)
        b = np.where(exact, b + 1, b)
    return a.astype(np.int64), b.astype(np.int64), values


def innermost_intervals(lower: np.ndarray, upper: np.ndarray, closed: str = "left"
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Find Turnbull's innermost intervals and the pattern incidence matrix.

    Parameters
    ----------
    lower, upper : ndarray
        Bounds with ``-inf`` / ``inf`` for unbounded sides (``lower <= upper``).
    closed : {"left", "right"}
        Which end of each interval is closed.

    Returns
    -------
    left, right : ndarray, shape (m,)
        Innermost intervals on the original scale.
    alpha : ndarray of bool, shape (k, m)
        ``alpha[g, j]``: innermost interval ``j`` lies inside pattern ``g``.
    pattern : ndarray of int, shape (n,)
        Pattern id of each row.
    patterns : ndarray, shape (k, 2)
        The distinct ``(lower, upper)`` pairs.
    """
    check_argument("closed", ["left", "right"], closed)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    a, b, values = _codes(lower, upper, closed)
    pairs, pattern = np.unique(np.stack([a, b], axis=1), axis=0, return_inverse=True)
    pattern = pattern.ravel()
    lefts = np.unique(pairs[:, 0])
    rights = np.unique(pairs[:, 1])
    grid = np.union1d(lefts, rights)
    is_left = np.isin(grid, lefts)
    is_right = np.isin(grid, rights)
    # An innermost interval is a left end immediately followed by a right end.
    start = np.flatnonzero(is_left[:-1] & is_right[1:])
    q, p = grid[start], grid[start + 1]
    alpha = (q[None, :] >= pairs[:, [0]]) & (p[None, :] <= pairs[:, [1]])
    # Codes are one-to-one with values on each side, so decode through any row using them.
    ua, ia = np.unique(a, return_index=True)
    ub, ib = np.unique(b, return_index=True)
    left = lower[ia[np.searchsorted(ua, q)]]
    right = upper[ib[np.searchsorted(ub, p)]]
    _, first = np.unique(pattern, return_index=True)
    raw = np.stack([lower[first], upper[first]], axis=1)
    return left, right, alpha, pattern, raw


def _em_step(p: np.ndarray, alpha: np.ndarray, c: np.ndarray, total: np.ndarray) -> np.ndarray:
    denom = alpha @ p
    ratio = np.divide(c, denom, out=np.zeros_like(c), where=denom > 0)
    return p * (alpha.T @ ratio) / total


def _loglik(p: np.ndarray, alpha: np.ndarray, c: np.ndarray) -> np.ndarray:
    denom = alpha @ p
    with np.errstate(divide="ignore"):
        terms = np.where(c > 0, c * np.log(np.where(denom > 0, denom, 1e-300)), 0.0)
    return terms.sum(axis=0)


def turnbull_em(alpha: np.ndarray, counts: np.ndarray, *, start: np.ndarray | None = None,
                tol: float = 1e-11, maxit: int = 20000) -> tuple[np.ndarray, bool, int]:
    """Run EM (self-consistency) for the Turnbull masses, SQUAREM-accelerated.

    Parameters
    ----------
    alpha : ndarray of bool, shape (k, m)
        Pattern-by-interval incidence.
    counts : ndarray, shape (k,) or (k, R)
        Weight total of each pattern (one column per weight vector).
    start : ndarray, shape (m,) or (m, R), optional
        Starting masses (default: uniform on the intervals).
    tol : float
        Stop when no mass changes by more than ``tol`` in one EM step.
    maxit : int
        Iteration limit (one SQUAREM cycle counts as three EM steps).

    Returns
    -------
    mass : ndarray, shape (m,) or (m, R)
        Masses on the innermost intervals (each column sums to 1).
    converged : bool
        Whether every column met ``tol``.
    n_iter : int
        EM steps used.
    """
    alpha = np.asarray(alpha, dtype=float)
    c = np.asarray(counts, dtype=float)
    vector = c.ndim == 1
    if vector:
        c = c[:, None]
    m, r = alpha.shape[1], c.shape[1]
    total = c.sum(axis=0)
    if np.any(total <= 0):
        raise IntervalError("a weight column gives no weight to any answered row",
                            hint="check the domain or the replicate weights")
    if start is None:
        # Start from the data spread evenly over each pattern's intervals.
        share = alpha / alpha.sum(axis=1, keepdims=True)
        p = share.T @ c / total
    else:
        p = np.array(start, dtype=float).reshape(m, -1) * np.ones((1, r))
        p = np.clip(p, 1e-12, None)
        p /= p.sum(axis=0)
    it = 0
    active = np.ones(r, dtype=bool)
    while it < maxit and active.any():
        cols = np.flatnonzero(active)
        pa, ca, ta = p[:, cols], c[:, cols], total[cols]
        p1 = _em_step(pa, alpha, ca, ta)
        p2 = _em_step(p1, alpha, ca, ta)
        r1 = p1 - pa
        v = p2 - 2 * p1 + pa
        nr = np.sqrt((r1**2).sum(axis=0))
        nv = np.sqrt((v**2).sum(axis=0))
        step = np.where(nv > 0, -nr / np.where(nv > 0, nv, 1.0), -1.0)
        step = np.minimum(step, -1.0)
        cand = pa - 2 * step * r1 + step**2 * v
        cand = np.clip(cand, 0.0, None)
        cand /= np.where(cand.sum(axis=0) > 0, cand.sum(axis=0), 1.0)
        cand = _em_step(cand, alpha, ca, ta)
        # Keep the extrapolation only where it does not lower the likelihood.
        worse = ~(_loglik(cand, alpha, ca) >= _loglik(p2, alpha, ca) - 1e-12 * np.abs(
            _loglik(p2, alpha, ca))) | ~np.isfinite(cand).all(axis=0)
        cand[:, worse] = p2[:, worse]
        change = np.abs(_em_step(cand, alpha, ca, ta) - cand).max(axis=0)
        p[:, cols] = cand
        active[cols] = change > tol
        it += 3
    mass = p[:, 0] if vector else p
    return mass, not active.any(), it


def fit_turnbull(lower: np.ndarray, upper: np.ndarray, weights: np.ndarray, *,
                 closed: str = "left", tol: float = 1e-11, maxit: int = 20000,
                 warn: bool = True) -> TurnbullFit:
    """Weighted Turnbull NPMLE of interval-censored values.

    Parameters
    ----------
    lower, upper : ndarray, shape (n,)
        Bounds with ``-inf`` / ``inf`` for unbounded sides.
    weights : ndarray, shape (n,) or (n, R)
        Non-negative weights (zero rows are ignored); several columns fit
        several weightings at once (replicates) on the same intervals.
    closed : {"left", "right"}
        ``[lower, upper)`` or ``(lower, upper]``.
    tol, maxit : float, int
        EM tolerance on the masses and iteration limit.
    warn : bool
        Warn with :class:`ConvergenceWarning` if EM stops early.

    Returns
    -------
    TurnbullFit
        Innermost intervals, masses (one column per weight column), incidence
        and row patterns (-1 for unused rows), convergence.
    """
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    w = np.asarray(weights, dtype=float)
    informative = np.isfinite(lower) | np.isfinite(upper)
    w2 = w if w.ndim == 2 else w[:, None]
    use = informative & (w2 > 0).any(axis=1)
    if not use.any():
        raise IntervalError("no answered interval has positive weight",
                            hint="check the bounds (both NaN = not answered) and the domain")
    left, right, alpha, pat, _ = innermost_intervals(lower[use], upper[use], closed)
    k = alpha.shape[0]
    counts = np.zeros((k, w2.shape[1]))
    np.add.at(counts, pat, w2[use])
    mass, converged, n_iter = turnbull_em(alpha, counts[:, 0] if w.ndim == 1 else counts,
                                          tol=tol, maxit=maxit)
    if not converged and warn:
        from .bounds import convergence_warning

        convergence_warning(f"Turnbull EM stopped after {n_iter} iterations without reaching "
                            f"tol={tol:g} ({alpha.shape[1]} innermost intervals, {k} patterns); "
                            "raise maxit= or loosen tol=", iterations=n_iter, tol=tol,
                            intervals=alpha.shape[1], patterns=k)
    pattern = np.full(lower.shape[0], -1, dtype=np.int64)
    pattern[use] = pat
    return TurnbullFit(left=left, right=right, mass=mass, alpha=alpha, pattern=pattern,
                       converged=converged, n_iter=n_iter, closed=closed)


def curve_matrix(fit: TurnbullFit, at: np.ndarray) -> np.ndarray:
    """Build the matrix ``G`` (m x T) with ``S(at) = mass @ G``.

    ``S(t)`` is ``P(T >= t)`` for ``closed="left"`` and ``P(T > t)`` for
    ``closed="right"``: an innermost interval counts when all its values lie
    at or above (strictly above) ``t``.  An exact value ``x`` is the point
    ``[x, x]``: it counts in ``P(T >= x)`` but not in ``P(T > x)``.

    Parameters
    ----------
    fit : TurnbullFit
        The fit.
    at : numpy.ndarray
        The T points ``t``.

    Returns
    -------
    numpy.ndarray
        0/1 floats, shape ``(m, T)``.
    """
    at = np.asarray(at, dtype=float)[None, :]
    left = fit.left[:, None]
    if fit.closed == "left":
        return (left >= at).astype(float)
    point = (fit.left == fit.right)[:, None]
    return ((left > at) | ((left == at) & ~point)).astype(float)


def turnbull_influence(fit: TurnbullFit, weights: np.ndarray, *, zero: float = 1e-8
                       ) -> np.ndarray:
    """Compute the weighted influence values of the Turnbull masses (n x m).

    The NPMLE on its support (masses above ``zero``) is the MLE of a
    mixture's proportions, so its linearisation is the usual sandwich piece
    ``U_i H^-1`` with scores in the free masses (the last support mass is
    one minus the others).  Masses at zero are held fixed (their influence
    is zero), the usual treatment of a boundary NPMLE.

    Parameters
    ----------
    fit : TurnbullFit
        A single-column fit.
    weights : ndarray, shape (n,)
        The weights of the fit.
    zero : float, default 1e-8
        Masses below ``zero`` times the largest mass count as zero (held fixed).

    Returns
    -------
    ndarray, shape (n, m)
        Rows sum to zero; ``design.vcov_scores(result @ G)`` is the design
        covariance of ``mass @ G``.
    """
    p = np.asarray(fit.mass, dtype=float)
    if p.ndim != 1:
        raise ValueError("turnbull_influence needs a single-column fit")
    m = p.size
    support = np.flatnonzero(p > zero * p.max())
    alpha = fit.alpha.astype(float)
    denom = alpha @ p
    d = alpha[:, support] / denom[:, None]  # per-pattern derivative of log(alpha.p)
    last = support[-1]
    u = d[:, :-1] - d[:, [-1]]  # scores in the free masses (k x s-1)
    w = np.asarray(weights, dtype=float)
    used = fit.pattern >= 0
    counts = np.bincount(fit.pattern[used], weights=w[used], minlength=alpha.shape[0])
    info = (u * counts[:, None]).T @ u
    inv = np.linalg.pinv(info, hermitian=True)
    pattern_infl = np.zeros((alpha.shape[0], m))
    if support.size > 1:
        free = u @ inv  # influence on the free masses
        pattern_infl[:, support[:-1]] = free
        pattern_infl[:, last] = -free.sum(axis=1)
    out = np.zeros((w.shape[0], m))
    out[used] = pattern_infl[fit.pattern[used]] * w[used, None]
    return out


# --------------------------------------------------------------------------- result


def linear_survival_summaries(bids: np.ndarray, surv: np.ndarray) -> np.ndarray:
    """Compute the means (Spearman-Kärber, truncated, lower bound) and median of a linear survival curve.

    ``S`` is joined linearly through ``(0, 1)`` and ``(bids, surv)``; past the
    highest bid it continues along the last falling segment to zero (R
    DCchoice's x-intercept rule: the last segment's slope, else the one
    before, else ``1.5 x`` the highest bid).

    Parameters
    ----------
    bids : ndarray, shape (k,)
        Increasing positive bids.
    surv : ndarray, shape (k,)
        Non-increasing ``S`` at the bids (``S(0) = 1`` is added).

    Returns
    -------
    ndarray
        ``[mean_spearman_karber, mean_truncated, mean_lower_bound, median]``
        (the median is ``NaN`` when ``S`` stays above 0.5 at the highest bid).
    """
    x = np.concatenate([[0.0], bids])
    s = np.concatenate([[1.0], surv])
    area = float(np.sum(0.5 * (s[:-1] + s[1:]) * np.diff(x)))
    lower = float(np.sum(s[1:] * np.diff(x)))
    m = x.size
    if s[m - 2] != s[m - 1]:
        icpt = x[-1] + s[-1] * (x[-1] - x[-2]) / (s[-2] - s[-1])
    elif m > 2 and s[m - 3] != s[m - 2]:
        icpt = x[-1] + s[-1] * (x[-2] - x[-3]) / (s[-3] - s[-2])
    else:
        icpt = 1.5 * x[-1]  # DCchoice's fallback when the last two segments are flat
    sk = area + 0.5 * (icpt - x[-1]) * s[-1]
    above = np.flatnonzero(s > 0.5)
    k = int(above.max())
    if k + 1 < m:
        median = x[k] + (x[k + 1] - x[k]) * (s[k] - 0.5) / (s[k] - s[k + 1])
    else:
        median = np.nan
    return np.array([sk, area, lower, median])


class TurnbullResult:
    """A design-based Turnbull acceptance curve.

    ``S(t)`` is the population share whose value is at least ``t``
    (``closed="left"``: a ladder's "would buy at ratio t", a bid's "would pay
    t") or above ``t`` (``closed="right"``, R's convention).

    Parameters
    ----------
    fit : TurnbullFit
        The NPMLE.
    variance : DesignVariance
        The design variance of the masses.
    df : float
        Design degrees of freedom.
    ci : {"logit", "wald"}
        Default interval scale for probabilities.
    n : int
        Answered rows with positive weight.
    grid : numpy.ndarray
        The finite bounds of the data.
    name : str, default "value"
        Name of the value column in :meth:`curve` and :meth:`share_below`.

    Attributes
    ----------
    fit : TurnbullFit
        The NPMLE (innermost intervals and masses).
    variance : DesignVariance
        Influence values (Taylor) or replicate masses behind every SE.
    df : float
        Design degrees of freedom of the answered rows (t intervals).
    ci : str
        ``"logit"`` (default) or ``"wald"`` intervals for probabilities.
    n : int
        Answered rows with positive weight.
    grid : ndarray
        Every finite bound in the data (where ``S`` is identified).
    """

    def __init__(self, fit: TurnbullFit, variance: Any, df: float, ci: str,
                 n: int, grid: np.ndarray, name: str = "value") -> None:
        self.fit = fit
        self.variance = variance
        self.df = float(df)
        self.ci = ci
        self.n = n
        self.grid = grid
        self.name = name

    def __repr__(self) -> str:
        return (f"<TurnbullResult: {self.fit.left.size} innermost intervals, n={self.n}, "
                f"{self.variance.method} SEs>\n{self.summary_frame()}")

    @property
    def mass(self) -> np.ndarray:
        """Masses of the innermost intervals."""
        return np.asarray(self.fit.mass)

    def _linear(self, G: np.ndarray, level: float, ci: str | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        check_probability("level", level)
        est = self.mass @ G
        se = np.sqrt(np.clip(np.diag(self.variance.vcov(G)), 0, None))
        low, high = probability_interval(est, se, level, self.df, ci or self.ci)
        return est, se, low, high

    def intervals(self) -> pd.DataFrame:
        """List the innermost intervals with their masses and SEs.

        Returns
        -------
        pandas.DataFrame
            ``left, right, mass, se``, one row per innermost interval.
        """
        se = np.sqrt(np.clip(np.diag(self.variance.vcov()), 0, None))
        return pd.DataFrame({"left": self.fit.left, "right": self.fit.right,
                             "mass": self.mass, "se": se})

    def curve(self, at: Any = None, *, level: float = 0.95,
              ci: str | None = None) -> pd.DataFrame:
        """``S(t)`` with design SEs and confidence intervals.

        Parameters
        ----------
        at : array-like, optional
            Points (default: :attr:`grid`).  Inside an innermost interval the
            NPMLE is not identified; the value assumes the mass lies below.
        level : float
            Confidence level.
        ci : {"logit", "wald"}, optional
            Interval scale (default: the result's).

        Returns
        -------
        DataFrame
            ``<name>, estimate, se, ci_low, ci_high`` (plot-ready).
        """
        at = self.grid if at is None else np.atleast_1d(np.asarray(at, dtype=float))
        est, se, low, high = self._linear(curve_matrix(self.fit, at), level, ci)
        return pd.DataFrame({self.name: at, "estimate": est, "se": se, "ci_low": low,
                             "ci_high": high})

    def share_below(self, t: Any, *, level: float = 0.95,
                    ci: str | None = None) -> pd.DataFrame:
        """Estimate ``1 - S(t)``: the share whose value is below ``t`` (at most ``t`` if closed right).

        For a ladder read as "highest accepted rung", the share who need a
        price ratio of ``c`` or lower is ``share_below(next rung above c)``;
        :meth:`analysis.SurveyDesign.second_hand_threshold` does this lookup.

        Parameters
        ----------
        t : float or array_like
            The values.
        level : float, default 0.95
            Confidence level.
        ci : {"logit", "wald"}, optional
            Interval scale (default: the result's).

        Returns
        -------
        pandas.DataFrame
            ``<name>, estimate, se, ci_low, ci_high``, one row per value.
        """
        at = np.atleast_1d(np.asarray(t, dtype=float))
        est, se, low, high = self._linear(1 - curve_matrix(self.fit, at), level, ci)
        return pd.DataFrame({self.name: at, "estimate": est, "se": se, "ci_low": low,
                             "ci_high": high})

    def share_between(self, a: float, b: float, *, level: float = 0.95,
                      ci: str | None = None) -> pd.DataFrame:
        """Estimate ``S(a) - S(b)``: the share whose value lies in ``[a, b)`` (``(a, b]`` if closed right).

        ``b = inf`` gives ``S(a)``.  Used for "share of everyone who would buy
        only at ratio c or deeper" with never-buyers (placed below 0) left out
        of the numerator.

        Parameters
        ----------
        a : float
            Lower end.
        b : float
            Upper end; ``inf`` for no upper end.
        level : float, default 0.95
            Confidence level.
        ci : {"logit", "wald"}, optional
            Interval scale (default: the result's).

        Returns
        -------
        pandas.DataFrame
            One row: ``lower, upper, estimate, se, ci_low, ci_high``.
        """
        G = curve_matrix(self.fit, [a]) - (curve_matrix(self.fit, [b]) if np.isfinite(b)
                                           else 0.0)
        est, se, low, high = self._linear(G, level, ci)
        return pd.DataFrame({"lower": [a], "upper": [b], "estimate": est, "se": se,
                             "ci_low": low, "ci_high": high})

    def mean_lower_bound(self, floor: float = 0.0, *, level: float = 0.95
                         ) -> pd.DataFrame:
        """Turnbull lower-bound mean: each mass placed at its interval's left end.

        Parameters
        ----------
        floor : float
            Value given to mass on an interval unbounded below (0 for WTP).
        level : float
            Confidence level (Wald interval).

        Returns
        -------
        DataFrame
            One row: ``estimate, se, ci_low, ci_high``.
        """
        left = np.where(np.isfinite(self.fit.left), np.maximum(self.fit.left, floor), floor)
        est = float(self.mass @ left)
        se = float(np.sqrt(max(self.variance.vcov(left[:, None])[0, 0], 0.0)))
        check_probability("level", level)
        low, high = wald_interval(np.array(est), np.array(se), level, self.df)
        return result_frame([est], [se], [low], [high], index=["mean_lower_bound"])

    def mean_spearman_karber(self, floor: float = 0.0, *, tail: str = "truncate",
                             level: float = 0.95) -> pd.DataFrame:
        """Spearman-Kärber mean: the area under ``S`` joined linearly between the bounds.

        ``S(floor) = 1`` (values below ``floor`` count as ``floor``, as in
        :meth:`mean_lower_bound`), then ``S`` at every bound of the data above
        ``floor``, joined by straight lines.

        Parameters
        ----------
        floor : float
            Lowest value (0 for WTP).
        tail : {"truncate", "extrapolate"}
            ``"truncate"``: the area up to the highest bound, the adjusted
            (monotone, Turnbull) Spearman-Kärber mean truncated there -- R
            ``DCchoice::summary.turnbull``'s "Spearman-Karber" mean.
            ``"extrapolate"``: the last falling segment continued to zero
            (DCchoice's rule for Kriström's curve).
        level : float
            Confidence level (Wald interval on the design df).

        Returns
        -------
        DataFrame
            One row (``mean_sk_truncated`` or ``mean_spearman_karber``):
            ``estimate, se, ci_low, ci_high``.
        """
        check_argument("tail", ["truncate", "extrapolate"], tail)
        check_probability("level", level)
        at = np.unique(self.grid[np.isfinite(self.grid) & (self.grid > floor)])
        if at.size == 0:
            raise IntervalError(f"no bound of the data lies above floor={floor}",
                                hint="lower the floor")
        G = curve_matrix(self.fit, at)
        which = 0 if tail == "extrapolate" else 1
        surv = self.mass @ G

        def stat(s: np.ndarray) -> float:
            return float(linear_survival_summaries(at - floor, s)[which] + floor)

        est = stat(surv)
        # Linear in S when truncated; the extrapolated tail by central differences.
        h = 1e-6
        grad = np.array([(stat(surv + h * e) - stat(surv - h * e)) / (2 * h)
                         for e in np.eye(at.size)])
        se = float(np.sqrt(max(self.variance.vcov(G @ grad)[0, 0], 0.0)))
        low, high = wald_interval(np.array(est), np.array(se), level, self.df)
        name = "mean_spearman_karber" if tail == "extrapolate" else "mean_sk_truncated"
        return result_frame([est], [se], [low], [high], index=[name])

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tabulate the curve at every bound of the data: ``estimate, se, ci_low, ci_high``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            :meth:`curve` at :attr:`grid`, indexed by the bound.
        """
        return self.curve(level=level).set_index(self.name)

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the plot-ready step curve: ``<name>, estimate, se, ci_low, ci_high``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            :meth:`curve` at :attr:`grid`.
        """
        return self.curve(level=level)
