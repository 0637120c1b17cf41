"""Weighting engines on resolved margins, and the calibration objects the variance uses.

The engines take margins already matched to the sample
(:class:`~analysis.weight.margins.ResolvedMargin`, from
:mod:`analysis.weight.margins`; argument checking lives in
:mod:`analysis.weight.methods`) and plain float arrays, run the array cores of
:mod:`analysis.weight.cores` (``ipf``, ``grake``, ``linear_calibration``), weight
every replicate column the same way, and return the new weights, the new
replicate weights and the step's calibration object:

* :func:`rake_weights` -- raking (R's ``rake``); with ``cap``, bounded raking
  as a calibration on the margin dummies (:func:`dummy_matrix`);
* :func:`poststratify_weights` -- post-stratification (``postStratify``);
* :func:`calibrate_weights` -- linear, raking or logit calibration
  (``calibrate``), collinear columns named by :func:`check_rank`.

The calibration objects (:class:`RakingCalibration`, :class:`PostStratification`,
:class:`GregCalibration`) reproduce what ``survey:::svyrecvar`` does with a
design's ``postStrata`` before computing the variance: they replace weighted
scores by their calibration residuals.  :class:`Trimming` only records a
trimming step, which R's variance ignores.  Each carries the step's
:class:`~analysis.weight.diagnostics.WeightingInfo` (:func:`build_info`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.linalg

from ..errors import CalibrationError, ConvergenceError, ConvergenceWarning
from .cores import (
    CALFUNS,
    EmptyLevelError,
    GrakeResult,
    IPFResult,
    capped_ipf,
    collapse_cells,
    grake,
    group_sums,
    ipf,
    linear_calibration,
    trim_weights,
)
from .diagnostics import WeightingInfo, resolved_margins_table, weight_summary
from .margins import ResolvedMargin

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["CALFUNS", "group_sums", "collapse_cells", "ipf", "IPFResult", "grake", "GrakeResult", "linear_calibration", "trim_weights", "RakingCalibration", "PostStratification", "GregCalibration", "Trimming", "rake_weights", "r_rake_control", "R_RAKE_CONTROL", "poststratify_weights", "calibrate_weights", "dummy_matrix", "check_rank", "build_info"]

# survey:::svyrecvar applies the raking residualisation a fixed 10 times.
_RAKING_SWEEPS = 10


# -- grouped sums -----------------------------------------------------------

def _as_matrix(x: Any) -> tuple[np.ndarray, bool]:
    arr = np.asarray(x, dtype="float64")
    return (arr[:, None], True) if arr.ndim == 1 else (arr, False)


class RakingCalibration:
    """Raking residualisation, as R stores it for ``rake()`` (class ``"raking"``).

    ``svyrecvar`` makes 10 passes over the margins, each replacing the scores
    ``x`` by ``x - w_m * ave(x / w_m, margin)``, where ``w_m`` are the
    weights just after margin ``m`` was adjusted in the last raking sweep.
    The weights ``w_m`` are rebuilt from the final weights and the last
    sweep's level factors rather than stored, to keep memory at one copy.

    Parameters
    ----------
    codes : sequence of numpy.ndarray
        Per margin, the level code of every row.
    weights : numpy.ndarray
        Final raked (full-sample) weights.
    last_factors : sequence of numpy.ndarray
        Per margin, the level factors applied in the last sweep.
    info : WeightingInfo, optional
        Diagnostics of the weighting step.
    """

    kind = "raking"
    affects_variance = True

    def __init__(self, codes: Sequence[np.ndarray], weights: np.ndarray,
                 last_factors: Sequence[np.ndarray], info: WeightingInfo | None = None) -> None:
        self.codes = [np.asarray(c) for c in codes]
        self.sizes = [len(f) for f in last_factors]
        self.weights = np.asarray(weights, dtype="float64")
        self.last_factors = [np.asarray(f, dtype="float64") for f in last_factors]
        self.info = info

    def step_weights(self) -> list[np.ndarray]:
        """List the weights right after each margin's adjustment in the last sweep.

        Returns
        -------
        list of numpy.ndarray
            One weight vector per margin, in margin order (the last is the
            final weights).
        """
        out = [self.weights]
        w = self.weights
        for m in range(len(self.codes) - 1, 0, -1):
            w = w / self.last_factors[m][self.codes[m]]
            out.append(w)
        out.reverse()
        return out

    def residualize(self, x: Any, design: Design | None = None) -> np.ndarray:
        """Calibration residuals of the weighted scores ``x`` (n or n×k).

        Parameters
        ----------
        x : array-like
            Weighted scores, shape (n,) or (n, k).
        design : Design, optional
            The design, whose frequency weights count rows in the means.

        Returns
        -------
        numpy.ndarray
            Residuals, shaped as ``x``.
        """
        x, flat = _as_matrix(x)
        x = x.copy()
        psw = self.step_weights()
        # R's ave() is a mean over respondents: a row of frequency weight f counts f times
        freq = getattr(design, "freq_weights", None)
        f = None if freq is None else np.asarray(freq, dtype="float64")[:, None]
        counts = [np.bincount(c, weights=None if f is None else f[:, 0], minlength=k)[:k]
                  for c, k in zip(self.codes, self.sizes, strict=True)]
        for _ in range(_RAKING_SWEEPS):
            for m, codes in enumerate(self.codes):
                w = psw[m][:, None]
                with np.errstate(invalid="ignore", divide="ignore"):
                    unit = x / w if f is None else x / w * f
                    means = group_sums(codes, self.sizes[m], unit) / counts[m][:, None]
                x -= w * means[codes]
        return x[:, 0] if flat else x

    def __repr__(self) -> str:
        return f"RakingCalibration({len(self.codes)} margins, sizes={self.sizes})"


class PostStratification:
    """Post-stratification residualisation, as ``svyrecvar`` does for ``postStratify``.

    Scores become ``x - w * (sum_h x * w0 / w) / (sum_h w0)`` within each
    post-stratum ``h``, with ``w0`` the weights before and ``w`` after.

    Parameters
    ----------
    codes : numpy.ndarray
        Post-stratum of every row.
    k : int
        Number of post-strata.
    oldweights, weights : numpy.ndarray
        Weights before and after post-stratification.
    info : WeightingInfo, optional
        Diagnostics of the step.
    """

    kind = "poststratify"
    affects_variance = True

    def __init__(self, codes: np.ndarray, k: int, oldweights: np.ndarray, weights: np.ndarray,
                 info: WeightingInfo | None = None) -> None:
        self.codes = np.asarray(codes)
        self.k = int(k)
        self.oldweights = np.asarray(oldweights, dtype="float64")
        self.weights = np.asarray(weights, dtype="float64")
        self.info = info

    def residualize(self, x: Any, design: Design | None = None) -> np.ndarray:
        """Calibration residuals of the weighted scores ``x`` (n or n×k).

        Parameters
        ----------
        x : array-like
            Weighted scores, shape (n,) or (n, k).
        design : Design, optional
            Not used (the post-strata are stored).

        Returns
        -------
        numpy.ndarray
            Residuals, shaped as ``x``.
        """
        x, flat = _as_matrix(x)
        psw = self.weights.copy()
        psw[(psw == 0) & (self.oldweights == 0)] = 1.0  # as R: 0/0 rows contribute nothing
        ratio = (self.oldweights / psw)[:, None]
        means = group_sums(self.codes, self.k, x * ratio) / group_sums(
            self.codes, self.k, self.oldweights)[:, None]
        out = x - means[self.codes] * psw[:, None]
        return out[:, 0] if flat else out

    def __repr__(self) -> str:
        return f"PostStratification({self.k} post-strata)"


class GregCalibration:
    """GREG residualisation, as ``svyrecvar`` does for ``calibrate()`` (stage 0).

    Scores become ``qr.resid(qr(mm * sqrt(w0)), x / w) * w`` with
    ``w = g * sqrt(w0)``: the residual of the least-squares projection on the
    calibration variables.  An orthonormal basis of ``mm * sqrt(w0)`` is kept
    (n×rank floats).

    Parameters
    ----------
    mm : numpy.ndarray
        Calibration model matrix (n×p).
    oldweights : numpy.ndarray
        Weights before calibration (``w0``).
    g : numpy.ndarray
        Calibration factors (new weights are ``g * w0``).
    method : str
        Calibration function name, for display.
    info : WeightingInfo, optional
        Diagnostics of the step.
    """

    kind = "calibrate"
    affects_variance = True

    def __init__(self, mm: np.ndarray, oldweights: np.ndarray, g: np.ndarray,
                 method: str = "linear", info: WeightingInfo | None = None) -> None:
        whalf = np.sqrt(np.asarray(oldweights, dtype="float64"))
        q, r, _ = scipy.linalg.qr(mm * whalf[:, None], mode="economic", pivoting=True)
        diag = np.abs(np.diag(r))
        rank = int((diag > 1e-7 * diag[0]).sum()) if diag.size and diag[0] > 0 else 0
        self.q = np.ascontiguousarray(q[:, :rank])
        self.w = np.asarray(g, dtype="float64") * whalf
        self.method = method
        self.info = info

    def residualize(self, x: Any, design: Design | None = None) -> np.ndarray:
        """Calibration residuals of the weighted scores ``x`` (n or n×k).

        Parameters
        ----------
        x : array-like
            Weighted scores, shape (n,) or (n, k).
        design : Design, optional
            Not used (the projection basis is stored).

        Returns
        -------
        numpy.ndarray
            Residuals, shaped as ``x``.
        """
        x, flat = _as_matrix(x)
        z = x / self.w[:, None]
        out = (z - self.q @ (self.q.T @ z)) * self.w[:, None]
        return out[:, 0] if flat else out

    def __repr__(self) -> str:
        return f"GregCalibration({self.method!r}, rank {self.q.shape[1]})"


class Trimming:
    """Record of a trimming step; leaves the variance scores unchanged, as R does.

    R's ``trimWeights`` treats the trimmed weights as design weights and adds
    no calibration; this object only carries the diagnostics.

    Parameters
    ----------
    info : WeightingInfo
        Diagnostics of the step.
    """

    kind = "trim"
    #: no residualisation: the variance should treat the design as uncalibrated
    affects_variance = False

    def __init__(self, info: WeightingInfo) -> None:
        self.info = info

    def residualize(self, x: Any, design: Design | None = None) -> np.ndarray:
        """Return ``x`` unchanged.

        Parameters
        ----------
        x : array-like
            Weighted scores.
        design : Design, optional
            Not used.

        Returns
        -------
        numpy.ndarray
            ``x`` as float64.
        """
        return np.asarray(x, dtype="float64")

    def __repr__(self) -> str:
        return f"Trimming({dict(self.info.options)})"


# -- engines: weights, replicate weights and calibration object from resolved input ----

Result = tuple[np.ndarray, np.ndarray | None, Any]


def build_info(method: str, iterations: int, converged: bool, error: float,
               table: pd.DataFrame, w0: np.ndarray, w: np.ndarray, options: dict[str, Any],
               notes: Sequence[str]) -> WeightingInfo:
    """Assemble the :class:`WeightingInfo` of a weighting step.

    Parameters
    ----------
    method : str
        Name of the step (``"rake"``, ...).
    iterations : int
        Iterations used.
    converged : bool
        Whether the tolerance was met.
    error : float
        Largest relative margin error.
    table : pandas.DataFrame
        Achieved vs target table.
    w0, w : numpy.ndarray
        Weights before and after (summarised by :func:`weight_summary`).
    options : dict
        Options used.
    notes : sequence of str
        Decisions taken on the user's behalf.

    Returns
    -------
    WeightingInfo
        The diagnostics.
    """
    return WeightingInfo(method=method, iterations=iterations, converged=converged,
                         max_margin_error=float(error), margins=table,
                         before=weight_summary(w0), after=weight_summary(w),
                         options=options, notes=tuple(notes))


def _not_converged(message: str, strict: bool, hint: str, **details: Any) -> None:
    if strict:
        raise ConvergenceError(message, hint=hint, **details)
    warnings.warn(f"{message}. Fix: {hint}", ConvergenceWarning, stacklevel=5)


def _table_error(table: pd.DataFrame) -> float:
    return float(table["error"].abs().max()) if len(table) else 0.0


def dummy_matrix(resolved: Sequence[ResolvedMargin], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Build intercept + treatment dummies of the margins, and their population totals.

    Parameters
    ----------
    resolved : sequence of ResolvedMargin
        The margins (the first level of each is the reference).
    n : int
        Number of rows.

    Returns
    -------
    mm : numpy.ndarray
        Model matrix (n×p).
    pop : numpy.ndarray
        Population totals of its columns (the intercept's is the population size).
    """
    cols = [np.ones(n)]
    pop = [float(resolved[0].targets.sum())]
    for m in resolved:
        for j in range(1, len(m.levels)):
            cols.append((m.codes == j).astype("float64"))
            pop.append(float(m.targets[j]))
    return np.column_stack(cols), np.array(pop)


R_RAKE_CONTROL = {"maxit": 10, "epsilon": 1.0}


def r_rake_control(control: Any, w0: np.ndarray) -> tuple[int, float, dict[str, float]]:
    """Check R's ``control=list(maxit, epsilon)``.

    Parameters
    ----------
    control : dict
        ``maxit`` and/or ``epsilon`` (``verbose`` is accepted and ignored);
        R's defaults fill missing keys.
    w0 : numpy.ndarray
        Starting weights (an ``epsilon`` below 1 is a share of their sum).

    Returns
    -------
    maxit : int
        Sweep cap.
    epsilon : float
        Absolute stopping threshold.
    control : dict
        The completed control.

    Raises
    ------
    CalibrationError
        Unknown keys, ``maxit < 1`` or ``epsilon <= 0``.
    """
    if not isinstance(control, dict) or set(control) - set(R_RAKE_CONTROL) - {"verbose"}:
        raise CalibrationError(
            f"`control` must be a dict with keys 'maxit' and/or 'epsilon', not {control!r}",
            hint="pass e.g. control={'maxit': 10, 'epsilon': 1} (R's defaults)")
    full = {**R_RAKE_CONTROL, **{k: v for k, v in control.items() if k != "verbose"}}
    maxit, eps = full["maxit"], float(full["epsilon"])
    if not isinstance(maxit, (int, np.integer)) or maxit < 1 or not eps > 0:
        raise CalibrationError(f"`control` needs maxit >= 1 and epsilon > 0, not {control!r}",
                               hint="pass e.g. control={'maxit': 10, 'epsilon': 1}")
    # R: epsilon below 1 is relative to the sum of the starting weights
    return int(maxit), eps * float(w0.sum()) if eps < 1 else eps, full


def rake_weights(resolved: Sequence[ResolvedMargin], w0: np.ndarray, repw: np.ndarray | None,
                 *, max_iter: int = 50, tol: float = 1e-7,
                 cap: tuple[float | None, float | None] | None = None, strict: bool = False,
                 notes: Sequence[str] = (), control: dict[str, float] | None = None) -> Result:
    """Rake ``w0`` (and each replicate column of ``repw``) to resolved margins.

    With ``control`` (R's ``rake(control=)``) the sweeps stop by R's rule
    and ``max_iter``/``tol`` are not used.

    Parameters
    ----------
    resolved : sequence of ResolvedMargin
        Margins with row codes and targets.
    w0 : numpy.ndarray
        Starting weights.
    repw : numpy.ndarray or None
        Replicate weights (n×R), raked column by column.
    max_iter : int
        Sweep cap.
    tol : float
        Relative tolerance on the margins.
    cap : tuple, optional
        ``(lower, upper)`` bounds on the weights as multiples of the mean weight.
    strict : bool
        Raise instead of warning when the raking does not converge.
    notes : sequence of str
        Notes passed on to the diagnostics.
    control : dict, optional
        R's ``rake(control=)``.

    Returns
    -------
    weights : numpy.ndarray
        The new weights.
    repweights : numpy.ndarray or None
        The new replicate weights.
    calibration : RakingCalibration or GregCalibration
        The variance hook (a :class:`GregCalibration` on the margin dummies
        when ``cap`` is given).
    """
    if max_iter < 1:
        raise CalibrationError(f"`max_iter` must be at least 1, not {max_iter}",
                               hint="pass max_iter=50")
    common = float(resolved[0].targets.sum())
    options: dict[str, Any] = {"max_iter": max_iter, "tol": tol, "cap": cap, "total": common}
    r_eps = None
    if control is not None:
        if cap is not None:
            raise CalibrationError("`control` (R's stopping rule) cannot be combined with `cap`",
                                   hint="R's rake() has no caps: drop one of them")
        max_iter, r_eps, full = r_rake_control(control, w0)
        options["control"] = full
    codes = [m.codes for m in resolved]
    targets = [m.targets for m in resolved]
    if cap is None:
        cell, cell_codes = collapse_cells(codes, [len(m.levels) for m in resolved])
        k = len(cell_codes[0])
        start = group_sums(cell, k, w0)[:, None]
        if repw is not None:
            start = np.hstack([start, group_sums(cell, k, repw)])
        try:
            res = ipf(cell_codes, targets, start, max_iter=max_iter, tol=tol, r_epsilon=r_eps)
        except EmptyLevelError as exc:
            m = resolved[exc.margin]
            level = m.levels[exc.level]
            raise CalibrationError(
                f"replicate {exc.column - 1} has zero weight in level {level!r} of "
                f"{m.column!r}, so it cannot be raked", column=m.column, level=level,
                hint="collapse this level with a neighbour; it is too small for the replicates"
            ) from None
        w = w0 * res.factor[:, 0][cell]
        reps = None if repw is None else repw * res.factor[cell, 1:]
        iterations, converged = res.iterations, res.converged
        cells = (cell_codes, np.bincount(cell, minlength=k).astype("float64"))
        table = resolved_margins_table(resolved, start[:, 0], start[:, 0] * res.factor[:, 0], cells)
    else:
        w, reps, iterations = _capped(resolved, w0, repw, cap, common, max_iter=max_iter,
                                      tol=tol)
        converged = True
        table = resolved_margins_table(resolved, w0, w)
    info = build_info("rake", iterations, converged, _table_error(table), table, w0, w, options, notes)
    cal: RakingCalibration | GregCalibration
    if cap is None:
        cal = RakingCalibration(codes, w, [f[:, 0] for f in res.last], info=info)
    else:
        cal = GregCalibration(dummy_matrix(resolved, len(w0))[0], w0, w / w0,
                              method="raking with caps", info=info)
    if control is not None:
        _r_rule_notice(options["control"], iterations, converged, info, strict, cell_codes,
                       targets, start[:, 0], res.factor[:, 0], tol)
    elif not converged:
        _not_converged(f"raking did not converge in {iterations} iterations: largest relative "
                       f"margin error {info.max_margin_error:.3g} (tol {tol:g})", strict,
                       hint="raise max_iter, loosen tol, or collapse sparse levels")
    return w, reps, cal


def _r_rule_notice(control: dict[str, float], iterations: int, converged: bool,
                   info: WeightingInfo, strict: bool, cell_codes: Sequence[np.ndarray],
                   targets: Sequence[np.ndarray], start: np.ndarray, factor: np.ndarray,
                   tol: float) -> None:
    """Say how R's stopping rule left the weights: R's warning, or how far from converged."""
    if not converged:  # R: warning("Raking did not converge after ", iter, " iterations.")
        _not_converged(f"raking did not converge after {iterations} iterations by R's rule "
                       f"(control={control}): largest relative margin error "
                       f"{info.max_margin_error:.3g}", strict,
                       hint="raise control['maxit'], or omit control to iterate to convergence")
        return
    if info.max_margin_error <= tol:
        return
    full = ipf(cell_codes, targets, start[:, None], max_iter=1000, tol=tol).factor[:, 0]
    diff = float(np.max(np.abs(factor / full - 1.0)))
    warnings.warn(
        f"R's stopping rule (control={control}) ended raking after {iterations} sweeps, when "
        f"no weighted cell count moved by epsilon={control['epsilon']:g} "
        f"({'relative to the total' if control['epsilon'] < 1 else 'absolute'}); the margins "
        f"are still off by up to {info.max_margin_error:.3g} (relative) and the weights differ "
        f"from raking to convergence by up to {diff:.3g} (relative). These are R's numbers; "
        "omit control to iterate to convergence", ConvergenceWarning, stacklevel=4)


def _capped(resolved: Sequence[ResolvedMargin], w0: np.ndarray, repw: np.ndarray | None,
            cap: tuple[float | None, float | None], common: float, *, max_iter: int, tol: float
            ) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Raking with weight caps given as multiples of the mean weight."""
    lo_r = 0.0 if cap[0] is None else float(cap[0])
    hi_r = np.inf if cap[1] is None else float(cap[1])
    if not 0 <= lo_r < 1 < hi_r:
        raise CalibrationError(f"`cap` must be (lower, upper) multiples of the mean weight "
                               f"with 0 <= lower < 1 < upper, not {cap!r}",
                               hint="e.g. cap=(0.25, 4)")
    n = len(w0)
    lo, hi = lo_r * common / n, hi_r * common / n
    for m in resolved:
        count = np.bincount(m.codes, minlength=len(m.levels))
        bad = np.flatnonzero((count * hi < m.targets) | (count * lo > m.targets))
        if bad.size:
            j = int(bad[0])
            raise CalibrationError(
                f"caps {cap} make level {m.levels[j]!r} of {m.column!r} infeasible: its "
                f"{count[j]} respondents can carry a total between {count[j] * lo:.6g} and "
                f"{count[j] * hi:.6g}, but the target is {m.targets[j]:.6g}",
                column=m.column, level=m.levels[j],
                hint="widen the caps or collapse this level with a neighbour")
    codes = [m.codes for m in resolved]
    targets = [m.targets for m in resolved]
    res = capped_ipf(codes, targets, w0, lo, hi, max_iter=max_iter, tol=tol)
    if not res.converged:
        raise CalibrationError(
            f"raking with caps {cap} did not meet the margins in {res.iterations} iterations: "
            f"largest relative margin error {res.max_error:.3g} (tol {tol:g})",
            achieved=res.max_error,
            hint="widen the caps, raise max_iter, or collapse sparse levels")
    reps = None
    if repw is not None:
        reps = np.zeros_like(repw)
        for r in range(repw.shape[1]):
            keep = repw[:, r] > 0  # structural zeros of a replicate stay zero
            rr = capped_ipf([c[keep] for c in codes], targets, repw[keep, r], lo, hi,
                            max_iter=max_iter, tol=tol)
            reps[keep, r] = repw[keep, r] * rr.factor[:, 0]
            if not rr.converged:
                warnings.warn(f"replicate {r} did not meet the margins under the caps "
                              f"(error {rr.max_error:.3g})", ConvergenceWarning, stacklevel=4)
    return w0 * res.factor[:, 0], reps, res.iterations


def poststratify_weights(cell: np.ndarray, labels: Sequence[str], target: np.ndarray,
                         w0: np.ndarray, repw: np.ndarray | None, *, name: str,
                         options: dict[str, Any], notes: Sequence[str] = ()) -> Result:
    """Post-stratify: each cell's weights scaled to its population count.

    Replicates are post-stratified separately (``postStratify.svyrep.design``).

    Parameters
    ----------
    cell : numpy.ndarray
        Post-stratum code of every row.
    labels : sequence of str
        Label of each post-stratum.
    target : numpy.ndarray
        Population count of each post-stratum.
    w0 : numpy.ndarray
        Starting weights.
    repw : numpy.ndarray or None
        Replicate weights (n×R).
    name : str
        Name of the post-stratification variable, for the diagnostics.
    options : dict
        Options recorded in the diagnostics.
    notes : sequence of str
        Notes passed on to the diagnostics.

    Returns
    -------
    weights : numpy.ndarray
        The new weights.
    repweights : numpy.ndarray or None
        The new replicate weights.
    calibration : PostStratification
        The variance hook, carrying the diagnostics.

    Raises
    ------
    CalibrationError
        A replicate has no weight in a post-stratum.
    """
    k = len(labels)
    w = w0 * (target / group_sums(cell, k, w0))[cell]
    reps = None
    if repw is not None:
        rfreq = group_sums(cell, k, repw)
        if not (rfreq > 0).all():
            i, r = np.argwhere(~(rfreq > 0))[0]
            raise CalibrationError(f"replicate {r} has no weight in post-stratum {labels[i]!r}",
                                   level=labels[i],
                                   hint="collapse this post-stratum with a neighbour")
        reps = repw * (target[:, None] / rfreq)[cell]
    resolved = [ResolvedMargin(name, tuple(labels), cell, target)]
    table = resolved_margins_table(resolved, w0, w)
    info = build_info("poststratify", 1, True, _table_error(table), table, w0, w, options, notes)
    return w, reps, PostStratification(cell, k, w0, w, info=info)


def check_rank(mm: np.ndarray, ww: np.ndarray, names: Sequence[str]) -> None:
    """Raise :class:`CalibrationError` naming calibration columns that are collinear.

    Parameters
    ----------
    mm : numpy.ndarray
        Calibration model matrix (n×p).
    ww : numpy.ndarray
        Weights (the rank is that of ``mm * sqrt(ww)``).
    names : sequence of str
        Column names, for the message.
    """
    _, r, piv = scipy.linalg.qr(mm * np.sqrt(ww)[:, None], mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int((d > 1e-7 * d[0]).sum()) if d.size and d[0] > 0 else 0
    if rank < mm.shape[1]:
        dropped = [names[i] for i in piv[rank:]]
        raise CalibrationError(f"calibration variables are collinear: {dropped} add nothing "
                               "to the other columns", column=dropped[0],
                               hint="drop the redundant variables or levels")


def _g_weights(mm: np.ndarray, ww: np.ndarray, pop: np.ndarray, method: str,
               bounds: tuple[float, float], max_iter: int, tol: float) -> GrakeResult:
    if method == "linear" and bounds == (-np.inf, np.inf):
        g = linear_calibration(mm, ww, pop)
        misfit = pop - mm.T @ (ww * g)
        return GrakeResult(g, 1, float(np.max(np.abs(misfit) / (1 + np.abs(pop)))), True,
                           None, misfit)
    return grake(mm, ww, method, bounds, pop, tol=tol, max_iter=max_iter)


def calibrate_weights(mm: np.ndarray, pop: np.ndarray, names: Sequence[str], w0: np.ndarray,
                      repw: np.ndarray | None, *, method: str = "linear",
                      bounds: tuple[float, float] = (-np.inf, np.inf), max_iter: int = 50,
                      tol: float = 1e-7, strict: bool = False,
                      resolved: Sequence[ResolvedMargin] = (), options: dict[str, Any] | None = None,
                      notes: Sequence[str] = ()) -> Result:
    """Calibrate ``w0`` to the totals ``pop`` of the columns of ``mm``.

    Unbounded linear calibration is closed-form (``regcalibrate``); the rest
    go through :func:`grake`.  Replicate columns are calibrated one by one,
    as ``calibrate.svyrep.design`` does.  Failure to converge with finite
    bounds raises :class:`CalibrationError` (the bounds are infeasible);
    without bounds it warns (or raises under ``strict``).

    Parameters
    ----------
    mm : numpy.ndarray
        Calibration model matrix (n×p).
    pop : numpy.ndarray
        Population totals of its columns.
    names : sequence of str
        Column names, for messages and the diagnostics.
    w0 : numpy.ndarray
        Starting weights.
    repw : numpy.ndarray or None
        Replicate weights (n×R).
    method : {"linear", "raking", "logit"}
        Calibration function.
    bounds : tuple of float
        Bounds on the g-weights.
    max_iter : int
        Newton iteration cap.
    tol : float
        Tolerance on ``|misfit| / (1 + |total|)``.
    strict : bool
        Raise instead of warning when unbounded calibration does not converge.
    resolved : sequence of ResolvedMargin
        Categorical margins behind ``mm``; their achieved vs target table
        replaces the per-column one in the diagnostics.
    options : dict, optional
        Options recorded in the diagnostics.
    notes : sequence of str
        Notes passed on to the diagnostics.

    Returns
    -------
    weights : numpy.ndarray
        The new weights.
    repweights : numpy.ndarray or None
        The new replicate weights.
    calibration : GregCalibration
        The variance hook, carrying the diagnostics.
    """
    lo, hi = bounds
    check_rank(mm, w0, names)
    res = _g_weights(mm, w0, pop, method, bounds, max_iter, tol)
    if not res.converged:
        rel = np.abs(res.misfit) / (1 + np.abs(pop))
        worst = names[int(np.nanargmax(rel))] if np.isfinite(rel).any() else names[0]
        msg = (f"{method} calibration did not meet the totals in {res.iterations} iterations: "
               f"largest relative misfit {res.achieved:.3g} (tol {tol:g}), worst for {worst!r}")
        if np.isfinite(lo) or np.isfinite(hi):
            raise CalibrationError(f"{msg}; the bounds ({lo:g}, {hi:g}) may be infeasible",
                                   column=worst, achieved=res.achieved,
                                   hint="widen the bounds or drop/collapse calibration variables")
        _not_converged(msg, strict, hint="raise max_iter or loosen tol", column=worst)
    w = w0 * res.g
    reps = None
    if repw is not None:
        reps = np.empty_like(repw)
        for r in range(repw.shape[1]):
            rr = _g_weights(mm, repw[:, r], pop, method, bounds, max_iter, tol)
            reps[:, r] = repw[:, r] * rr.g
            if not rr.converged:
                warnings.warn(f"calibration of replicate {r} did not converge (misfit "
                              f"{rr.achieved:.3g})", ConvergenceWarning, stacklevel=4)
    if resolved:
        table = resolved_margins_table(resolved, w0, w)
    else:
        after = mm.T @ w
        table = pd.DataFrame({"variable": list(names), "target": pop,
                              "before_total": mm.T @ w0, "after_total": after})
        with np.errstate(divide="ignore", invalid="ignore"):
            table["error"] = np.where(pop != 0, after / pop - 1.0, after - pop)
    opts = {"method": method, "bounds": (lo, hi), "max_iter": max_iter, "tol": tol,
            "totals": dict(zip(names, pop.tolist(), strict=True)), **(options or {})}
    if res.scale is not None:
        notes = [*notes, f"weights rescaled by {res.scale:.6g} before calibration (as R's "
                         "grake); bounds apply to the rescaled weights"]
    info = build_info("calibrate", res.iterations, res.converged, _table_error(table), table, w0, w,
                 opts, notes)
    return w, reps, GregCalibration(mm, w0, res.g, method=method, info=info)
