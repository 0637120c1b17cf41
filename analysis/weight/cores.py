"""Numerical cores of weighting: raking, GREG calibration and trimming on arrays.

Everything here works on integer-coded margins and plain float arrays, with no
pandas and no design: :func:`ipf` is iterative proportional fitting on the
cells of the margins' cross-classification (R's ``rake``), :func:`grake` a port
of ``survey:::grake`` with the ``cal.linear`` / ``cal.raking`` / ``cal.logit``
functions, :func:`linear_calibration` ``regcalibrate``, and
:func:`trim_weights` ``trimWeights.survey.design2``.  The calibration objects
and the engines that use these cores live in :mod:`analysis.weight.calibration`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import CalibrationError, ConvergenceError

__all__ = [
    "CALFUNS",
    "EmptyLevelError",
    "group_sums",
    "collapse_cells",
    "ipf",
    "capped_ipf",
    "IPFResult",
    "grake",
    "GrakeResult",
    "linear_calibration",
    "trim_weights",
]

# survey:::grake rescales the weights when every total is this many times the sample's.
_GRAKE_RESCALE = 20.0
# ipf keeps a dense table of the cross-classification while it has at most this many
# cells per occupied cell (margin totals are then sums along axes, with no bincount)
_DENSE_IPF_RATIO = 4


def group_sums(codes: np.ndarray, k: int, x: np.ndarray) -> np.ndarray:
    """Sum ``x`` (n or n×c) within the ``k`` groups given by ``codes``.

    One ``numpy.bincount`` pass (over a flattened index for 2-D input).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Group code of each row, 0 .. k - 1.
    k : int
        Number of groups (empty groups sum to 0).
    x : numpy.ndarray
        Values, shape (n,) or (n, c).

    Returns
    -------
    numpy.ndarray
        Group sums, shape (k,) or (k, c).
    """
    if x.ndim == 1:
        return np.bincount(codes, weights=x, minlength=k)[:k]
    c = x.shape[1]
    flat = (codes.astype(np.int64)[:, None] * c + np.arange(c)).ravel()
    return np.bincount(flat, weights=x.ravel(), minlength=k * c)[: k * c].reshape(k, c)


def collapse_cells(codes: Sequence[np.ndarray], sizes: Sequence[int]
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """Map rows to the occupied cells of the cross-classification of ``codes``.

    Parameters
    ----------
    codes : sequence of numpy.ndarray
        Per margin, the level code of every row.
    sizes : sequence of int
        Number of levels of each margin.

    Returns
    -------
    cell : numpy.ndarray
        Cell index of every row (0 .. K - 1).
    cell_codes : list of numpy.ndarray
        For each margin, the level code of each of the K cells.
    """
    n = len(codes[0])
    total = int(np.prod([int(s) for s in sizes], dtype=object))
    if total >= 2**62:  # the mixed-radix id would overflow: every row is its own cell
        return np.arange(n), [np.asarray(c, dtype=np.int64) for c in codes]
    # int32 ids halve the memory traffic whenever the full table fits
    idt = np.int32 if total < 2**31 else np.int64
    cid: np.ndarray = np.asarray(codes[0], dtype=idt)  # int32 or int64, chosen at run time
    for c, s in zip(codes[1:], sizes[1:], strict=True):
        cid *= idt(s)
        cid += c
    if total <= max(4 * n, 1 << 20):
        present = np.bincount(cid, minlength=total) > 0
        cell_ids = np.flatnonzero(present)
        lookup = np.cumsum(present) - 1
        cell = lookup[cid]
    else:
        cell_ids, cell = np.unique(cid, return_inverse=True)
    cell_codes: list[np.ndarray] = []
    rem = cell_ids
    for s in reversed(sizes):
        cell_codes.append(rem % int(s))
        rem = rem // int(s)
    cell_codes.reverse()
    small = np.int32 if len(cell_ids) < 2**31 else np.int64
    return cell.astype(small, copy=False), cell_codes


# -- raking ----------------------------------------------------------------

class EmptyLevelError(Exception):
    """Internal: a margin level has zero weight in some weight column.

    Parameters
    ----------
    margin : int
        Position of the margin.
    level : int
        Code of the empty level within the margin.
    column : int
        Weight column (0: full sample, then the replicates).
    """

    def __init__(self, margin: int, level: int, column: int) -> None:
        super().__init__(margin, level, column)
        self.margin, self.level, self.column = margin, level, column


@dataclass
class IPFResult:
    """Output of :func:`ipf`.

    Attributes
    ----------
    factor : numpy.ndarray
        Cumulative multiplier of each cell (K×c).
    last : list of numpy.ndarray
        Per margin, the level factors of the final sweep (L_m×c), from which
        the weights after each step of that sweep can be recovered.
    iterations : int
        Sweeps made.
    max_error : float
        Largest relative error of a level total after the last sweep.
    converged : bool
        Whether the stopping rule was met.
    """

    factor: np.ndarray
    last: list[np.ndarray]
    iterations: int
    max_error: float
    converged: bool


def ipf(cell_codes: Sequence[np.ndarray], targets: Sequence[np.ndarray],
        cell_weights: np.ndarray, *, max_iter: int = 50, tol: float = 1e-7,
        r_epsilon: float | None = None) -> IPFResult:
    """Iterative proportional fitting of cell weights to margins.

    Parameters
    ----------
    cell_codes : sequence of numpy.ndarray
        Per margin, the level code of each cell.
    targets : sequence of numpy.ndarray
        Per margin, the target total of each level (all > 0).
    cell_weights : numpy.ndarray
        K×c starting weights of the cells (one column per weight vector,
        e.g. full-sample weights followed by replicate weights).
    max_iter : int
        Maximum number of sweeps over the margins.
    tol : float
        Stop once every level total of every column is within a relative
        ``tol`` of its target.
    r_epsilon : float, optional
        R ``rake()``'s stopping rule instead: stop after the first sweep that
        moves no cell total of the first column by ``r_epsilon`` or more
        (absolute); ``converged`` then says whether that happened.

    Returns
    -------
    IPFResult
        Cell multipliers, last sweep's level factors and convergence.

    Raises
    ------
    EmptyLevelError
        If a level has zero total in some column (internal; callers re-raise
        a :class:`CalibrationError` naming it).
    """
    w0 = cell_weights if cell_weights.ndim == 2 else cell_weights[:, None]
    nlev = [len(t) for t in targets]
    tcol = [np.asarray(t, dtype="float64")[:, None] for t in targets]
    size = int(np.prod(nlev, dtype=object))
    if nlev and size <= _DENSE_IPF_RATIO * max(w0.shape[0], 1):
        return _ipf_dense(cell_codes, nlev, tcol, w0, max_iter, tol, r_epsilon)
    factor = np.ones_like(w0)
    last = [np.ones((k, w0.shape[1])) for k in nlev]
    err = np.inf
    it = 0
    stop = _StopRule(tol, r_epsilon, w0[:, 0].copy())
    with np.errstate(divide="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported
            for m, codes in enumerate(cell_codes):
                tot = group_sums(codes, nlev[m], w0 * factor)
                if not (tot > 0).all():
                    lev, col = np.argwhere(~(tot > 0))[0]
                    raise EmptyLevelError(m, int(lev), int(col))
                f = tcol[m] / tot
                factor *= f[codes]
                last[m] = f
            err = max(float(np.max(np.abs(group_sums(c, k, w0 * factor) / t - 1.0)))
                      for c, k, t in zip(cell_codes, nlev, tcol, strict=True))
            if stop.done(err, None if r_epsilon is None else w0[:, 0] * factor[:, 0]):
                break
    return IPFResult(factor, last, it, err, stop.converged(err))


class _StopRule:
    """When raking stops: the margins within ``tol``, or R's rule when ``r_epsilon`` is set.

    R: ``delta <- max(abs(oldtable - newtable))`` over the cells of the
    full-sample weights; stop when ``delta < epsilon``.  ``start`` is that
    column before the first sweep.
    """

    def __init__(self, tol: float, r_epsilon: float | None, start: np.ndarray) -> None:
        self.tol, self.r_epsilon, self.old = tol, r_epsilon, start
        self.r_done = False

    def done(self, err: float, new: np.ndarray | None) -> bool:
        """Whether to stop after a sweep: ``err`` its largest margin error, ``new`` R's column."""
        if self.r_epsilon is None or new is None:
            return err <= self.tol
        self.r_done = float(np.max(np.abs(self.old - new))) < self.r_epsilon
        self.old = new
        return self.r_done

    def converged(self, err: float) -> bool:
        """Whether the last sweep met the rule in force."""
        return self.r_done if self.r_epsilon is not None else err <= self.tol


def _ipf_dense(cell_codes: Sequence[np.ndarray], nlev: list[int], tcol: list[np.ndarray],
               w0: np.ndarray, max_iter: int, tol: float, r_epsilon: float | None) -> IPFResult:
    """:func:`ipf` on the dense (L_1 x ... x L_M x c) table of the cross-classification.

    A margin's totals are a sum along the other axes and its update a
    broadcast multiply: no bincount, no gather of the cells per step.  The
    cells' factors are the product of each margin's cumulative level factors.
    """
    n_m, c = len(nlev), w0.shape[1]
    flat = np.ravel_multi_index(tuple(np.asarray(k, dtype=np.intp) for k in cell_codes), nlev)
    table = np.zeros((int(np.prod(nlev)), c))
    table[flat] = w0
    table = table.reshape(*nlev, c)
    others = [tuple(a for a in range(n_m) if a != m) for m in range(n_m)]
    shapes = [tuple(nlev[m] if a == m else 1 for a in range(n_m)) + (c,) for m in range(n_m)]
    cumulative = [np.ones((k, c)) for k in nlev]
    last = [np.ones((k, c)) for k in nlev]
    err = np.inf
    it = 0
    # R's rule compares the full-sample column between sweeps
    stop = _StopRule(tol, r_epsilon, table[..., 0].copy())
    with np.errstate(divide="ignore", invalid="ignore"):
        for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported
            for m in range(n_m):
                tot = table.sum(axis=others[m])
                if not (tot > 0).all():
                    lev, col = np.argwhere(~(tot > 0))[0]
                    raise EmptyLevelError(m, int(lev), int(col))
                f = tcol[m] / tot
                table *= f.reshape(shapes[m])
                cumulative[m] *= f
                last[m] = f
            err = max(float(np.max(np.abs(table.sum(axis=others[m]) / tcol[m] - 1.0)))
                      for m in range(n_m))
            if stop.done(err, None if r_epsilon is None else table[..., 0].copy()):
                break
    factor = cumulative[0][cell_codes[0]]
    for m in range(1, n_m):
        factor = factor * cumulative[m][cell_codes[m]]
    return IPFResult(factor, last, it, err, stop.converged(err))


def capped_ipf(codes: Sequence[np.ndarray], targets: Sequence[np.ndarray],
               weights: np.ndarray, lower: float, upper: float, *,
               max_iter: int = 50, tol: float = 1e-7) -> IPFResult:
    """Raking with absolute weight caps: a sweep over the margins, then clipping.

    Works on rows (clipping breaks the cell structure).

    Parameters
    ----------
    codes : sequence of numpy.ndarray
        Per margin, the level code of every row.
    targets : sequence of numpy.ndarray
        Per margin, the target total of each level.
    weights : numpy.ndarray
        Starting weights of the rows.
    lower, upper : float
        Absolute bounds applied to the weights after every sweep.
    max_iter : int
        Maximum number of sweeps.
    tol : float
        Stop once every level total is within a relative ``tol`` of its target.

    Returns
    -------
    IPFResult
        ``factor`` is the per-row multiplier (n×1); ``last`` is empty.
    """
    nlev = [len(t) for t in targets]
    w = weights.astype("float64", copy=True)
    err = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it` is reported
        for m, c in enumerate(codes):
            w *= (targets[m] / group_sums(c, nlev[m], w))[c]
        np.clip(w, lower, upper, out=w)
        err = max(float(np.max(np.abs(group_sums(c, k, w) / t - 1.0)))
                  for c, k, t in zip(codes, nlev, targets, strict=True))
        if err <= tol:
            break
    return IPFResult((w / weights)[:, None], [], it, err, err <= tol)


# -- calibration functions (survey's cal.linear / cal.raking / cal.logit) ----

def _linear_fm1(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.minimum(np.maximum(u + 1.0, lo), hi) - 1.0


def _linear_df(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return ((u < hi - 1.0) & (u > lo - 1.0)).astype("float64")


def _raking_fm1(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.minimum(np.maximum(np.exp(u), lo), hi) - 1.0


def _raking_df(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    # R tests u against bounds - 1 here (not log bounds); kept to follow R's iterates.
    return np.where((u < hi - 1.0) & (u > lo - 1.0), np.exp(u), 0.0)


def _logit_parts(u: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, float]:
    a = (hi - lo) / ((hi - 1.0) * (1.0 - lo))
    return np.exp(a * u), a


def _logit_fm1(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    e, _ = _logit_parts(u, lo, hi)
    return (lo * (hi - 1.0) + hi * (1.0 - lo) * e) / (hi - 1.0 + (1.0 - lo) * e) - 1.0


def _logit_df(u: np.ndarray, lo: float, hi: float) -> np.ndarray:
    e, a = _logit_parts(u, lo, hi)
    den = hi - 1.0 + (1.0 - lo) * e
    return (hi * (1.0 - lo) * e * a / den
            - (lo * (hi - 1.0) + hi * (1.0 - lo) * e) * ((1.0 - lo) * e * a) / den**2)


CalFun = tuple[Callable[[np.ndarray, float, float], np.ndarray],
               Callable[[np.ndarray, float, float], np.ndarray]]
CALFUNS: dict[str, CalFun] = {
    "linear": (_linear_fm1, _linear_df),
    "raking": (_raking_fm1, _raking_df),
    "logit": (_logit_fm1, _logit_df),
}


def _ginv(a: np.ndarray, tol: float) -> np.ndarray:
    """Moore-Penrose inverse as MASS::ginv (singular values below tol * max dropped)."""
    u, d, vt = np.linalg.svd(a)
    keep = d > max(tol * d[0], 0.0)
    return (vt[keep].T / d[keep]) @ u[:, keep].T


@dataclass
class GrakeResult:
    """Output of :func:`grake`: g-weights and how the Newton iteration went.

    Attributes
    ----------
    g : numpy.ndarray
        The g-weights (new / old weight), including any rescaling.
    iterations : int
        Newton iterations made.
    achieved : float
        Largest ``|misfit| / (1 + |population|)`` at the end.
    converged : bool
        Whether ``achieved < tol`` for every total.
    scale : float or None
        The mean population / sample ratio the weights were first rescaled
        by (None when no rescaling was needed).
    misfit : numpy.ndarray
        Population totals minus the calibrated totals.
    """

    g: np.ndarray
    iterations: int
    achieved: float
    converged: bool
    scale: float | None
    misfit: np.ndarray


def grake(mm: np.ndarray, ww: np.ndarray, calfun: str, bounds: tuple[float, float],
          population: np.ndarray, *, tol: float = 1e-7, max_iter: int = 50) -> GrakeResult:
    """Generalised raking (``survey:::grake``): solve for g with ``mm' (ww g) = population``.

    Parameters
    ----------
    mm : numpy.ndarray
        Model matrix (n×p) of the calibration variables.
    ww : numpy.ndarray
        Weights before calibration.
    calfun : {"linear", "raking", "logit"}
        Calibration (distance) function.
    bounds : tuple of float
        Bounds on g (``-inf``/``inf`` for none; logit needs finite bounds
        with ``lower < 1 < upper``).
    population : numpy.ndarray
        Population totals of the columns of ``mm``.
    tol : float
        Convergence when ``|misfit| / (1 + |population|) < tol`` for all totals.
    max_iter : int
        Iteration limit (R's ``maxit``).

    Returns
    -------
    GrakeResult
        ``converged=False`` leaves it to the caller to warn or raise.

    Notes
    -----
    As in R, when every population total is more than 20 times the sample
    total the weights are first rescaled by the mean ratio, so bounds then
    apply to g relative to the rescaled weights.
    """
    fm1, df = CALFUNS[calfun]
    lo, hi = float(bounds[0]), float(bounds[1])
    ww = np.asarray(ww, dtype="float64")
    sample_total = mm.T @ ww
    eta = np.zeros(mm.shape[1])
    xeta = mm @ eta
    deriv = df(xeta, lo, hi)
    it = 1
    scale: float | None = None
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = population / sample_total
    if np.min(scales) > _GRAKE_RESCALE:
        scale = float(np.mean(scales))
        ww = ww * scale
        sample_total = sample_total * scale
    denom = 1.0 + np.abs(population)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while True:
            tmat = (mm * (ww * deriv)[:, None]).T @ mm
            misfit = population - sample_total - mm.T @ (ww * fm1(xeta, lo, hi))
            deta = _ginv(tmat, 256 * np.finfo(float).eps) @ misfit
            eta = eta + deta
            xeta = mm @ eta
            g = 1.0 + fm1(xeta, lo, hi)
            deriv = df(xeta, lo, hi)
            while it < max_iter and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
                it += 1
                deta = deta / 2.0
                eta = eta - deta
                xeta = mm @ eta
                g = 1.0 + fm1(xeta, lo, hi)
                deriv = df(xeta, lo, hi)
            misfit = population - sample_total - mm.T @ (ww * fm1(xeta, lo, hi))
            rel = np.abs(misfit) / denom
            achieved = float(np.max(rel)) if np.isfinite(rel).all() else float("inf")
            if (rel < tol).all():
                converged = True
                break
            it += 1
            if it > max_iter:
                converged = False
                break
    if scale is not None:
        g = g * scale
    return GrakeResult(g, it, achieved, converged, scale, misfit)


def linear_calibration(mm: np.ndarray, ww: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Unbounded linear (GREG) calibration in closed form (``regcalibrate``).

    Parameters
    ----------
    mm : numpy.ndarray
        Model matrix (n×p) of the calibration variables.
    ww : numpy.ndarray
        Weights before calibration.
    population : numpy.ndarray
        Population totals of the columns of ``mm``.

    Returns
    -------
    numpy.ndarray
        The g-weights (new / old weight), possibly negative.
    """
    a = mm * np.sqrt(ww)[:, None]
    tt = np.linalg.solve(a.T @ a, population - mm.T @ ww)
    return 1.0 + mm @ tt


# -- trimming ---------------------------------------------------------------

def trim_weights(w: np.ndarray, lower: float, upper: float, *, strict: bool = False,
                 max_passes: int = 100_000) -> tuple[np.ndarray, int]:
    """Clip to ``[lower, upper]`` and share the excess equally (R's ``trimWeights``).

    The trimmed amount is added in equal parts to the weights that were not
    outside the bounds (so the total is unchanged).  With ``strict`` this is
    repeated until no weight lies outside the bounds.

    Parameters
    ----------
    w : numpy.ndarray
        Weights.
    lower, upper : float
        Bounds (``-inf``/``inf`` for none).
    strict : bool
        Repeat until no weight lies outside the bounds.
    max_passes : int
        Safety cap on the passes of ``strict``.

    Returns
    -------
    weights : numpy.ndarray
        The trimmed weights, same total.
    passes : int
        Trimming passes made (0 if nothing was outside the bounds).
    """
    w = np.asarray(w, dtype="float64")
    passes = 0
    while True:
        outside = (w < lower) | (w > upper)
        if not outside.any():
            return w, passes
        inside = ~outside
        if not inside.any():
            raise CalibrationError(
                f"every weight lies outside the trimming bounds [{lower}, {upper}]",
                hint="widen the bounds; the excess has nowhere to go")
        new = np.clip(w, lower, upper)
        new[inside] += (w - new).sum() / inside.sum()
        w = new
        passes += 1
        if not strict:
            return w, passes
        if passes >= max_passes:
            raise ConvergenceError(
                f"strict trimming did not settle after {passes} passes",
                hint="widen the bounds or use strict=False")


# -- calibration objects ----------------------------------------------------
