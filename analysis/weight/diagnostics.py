"""Weight diagnostics: design effect, effective sample size, summaries, margins.

These functions take plain weight arrays so they serve both the weighting
functions (:mod:`analysis.weight.methods`) and the report, which shows how far
weighting moved the sample and what it cost in precision.

Kish's design effect due to unequal weighting is

.. math:: \\mathrm{deff}_w = n \\sum w_i^2 / (\\sum w_i)^2 = 1 + \\mathrm{CV}^2,

with the CV computed with divisor ``n``; the effective sample size is
:math:`n / \\mathrm{deff}_w = (\\sum w_i)^2 / \\sum w_i^2`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_weights

if TYPE_CHECKING:
    from .margins import ResolvedMargin

__all__ = [
    "kish_deff",
    "effective_sample_size",
    "weight_summary",
    "margins_table",
    "WeightingInfo",
]


def _as_weights(w: Any) -> np.ndarray:
    arr = np.asarray(w, dtype="float64").ravel()
    # The shared check lists bad rows; only pay for that when something is wrong.
    if not (np.isfinite(arr).all() and (arr >= 0).all()):
        check_weights(arr, allow_zero=True)
    return arr


def kish_deff(weights: Any) -> float:
    """Compute Kish's design effect due to unequal weighting, ``n * sum(w**2) / sum(w)**2``.

    Parameters
    ----------
    weights : array-like
        Non-negative weights; zero weights count as sampled units.

    Returns
    -------
    float
        ``1 + CV**2`` (CV with divisor ``n``); 1 for equal weights.

    Examples
    --------
    >>> kish_deff([1, 1, 2, 2])
    1.1111111111111112
    """
    w = _as_weights(weights)
    return float(len(w) * _sum_squares(w) / w.sum() ** 2)


def _sum_squares(w: np.ndarray) -> float:
    # einsum, not np.dot: a threaded BLAS dot costs milliseconds on a busy machine
    return float(np.einsum("i,i->", w, w))


def effective_sample_size(weights: Any) -> float:
    """Compute Kish's effective sample size, ``sum(w)**2 / sum(w**2)`` (= ``n / deff``).

    Parameters
    ----------
    weights : array-like
        Non-negative weights.

    Returns
    -------
    float
        The number of equally weighted respondents giving the same precision;
        ``n`` for equal weights.
    """
    w = _as_weights(weights)
    return float(w.sum() ** 2 / _sum_squares(w))


def weight_summary(weights: Any) -> pd.Series:
    """Summary of a weight vector for reports and the CLI.

    Parameters
    ----------
    weights : array-like
        Non-negative weights.

    Returns
    -------
    pandas.Series
        ``n, sum, min, max, mean, cv, max_min_ratio, deff, ess``.  ``cv`` uses
        divisor ``n`` so that ``deff == 1 + cv**2``; ``max_min_ratio`` is
        ``inf`` when a weight is zero.
    """
    w = _as_weights(weights)
    n = len(w)
    total = float(w.sum())
    mean = total / n
    wmin, wmax = float(w.min()), float(w.max())
    cv = float(np.sqrt(np.mean((w - mean) ** 2)) / mean)
    squares = _sum_squares(w)
    return pd.Series(
        {
            "n": float(n),
            "sum": total,
            "min": wmin,
            "max": wmax,
            "mean": mean,
            "cv": cv,
            "max_min_ratio": wmax / wmin if wmin > 0 else float("inf"),
            "deff": float(n * squares / total**2),
            "ess": float(total**2 / squares),
        },
        name="weights",
    )


def resolved_margins_table(resolved: Sequence[ResolvedMargin], before: np.ndarray,
                   after: np.ndarray, cells: tuple[Sequence[np.ndarray], np.ndarray] | None = None
                   ) -> pd.DataFrame:
    """Achieved vs target table from already-resolved margins (see :func:`margins_table`).

    With ``cells = (cell_codes, cell_counts)``, ``before`` and ``after`` are
    cell totals and ``cell_codes[m]`` the level of each cell in margin ``m``,
    which avoids passes over the rows.
    """
    tb, ta = before.sum(), after.sum()
    n = len(before) if cells is None else int(cells[1].sum())
    cols = ["variable", "level", "target", "target_share", "sample_n", "sample_share",
            "before_share", "after_share", "after_total", "error"]
    if not resolved:
        return pd.DataFrame(columns=cols)
    parts: dict[str, list[Any]] = {c: [] for c in cols}
    for j, m in enumerate(resolved):
        k = len(m.levels)
        codes = m.codes if cells is None else cells[0][j]
        count = (np.bincount(codes, minlength=k) if cells is None else np.rint(
            np.bincount(codes, weights=cells[1], minlength=k)).astype(np.int64))[:k]
        wb = np.bincount(codes, weights=before, minlength=k)[:k]
        wa = np.bincount(codes, weights=after, minlength=k)[:k]
        parts["variable"] += [m.column] * k
        parts["level"] += list(m.levels)
        for name, values in (("target", m.targets), ("target_share", m.targets / m.targets.sum()),
                             ("sample_n", count), ("sample_share", count / n),
                             ("before_share", wb / tb), ("after_share", wa / ta),
                             ("after_total", wa), ("error", wa / m.targets - 1.0)):
            parts[name].append(values)
    # one frame from the joined columns (a frame per margin and a concat cost more than
    # the whole raking at 1e5 rows)
    return pd.DataFrame({c: v if c in ("variable", "level") else np.concatenate(v)
                         for c, v in parts.items()})


def margins_table(data: pd.DataFrame, margins: Any, weights: Any,
                  before: Any = None, *, normalize: Any = False) -> pd.DataFrame:
    """Achieved versus target margins, one row per variable and level.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent-level data holding the margin columns.
    margins : mapping or Targets
        Population margins, as for :func:`analysis.weight.methods.rake`.
    weights : array-like
        Weights after weighting.
    before : array-like, optional
        Weights before weighting (defaults to equal weights).
    normalize : bool or list of str
        Margins whose shares do not add to 1 or 100 but were rescaled on
        purpose (as for :func:`analysis.weight.methods.rake`).

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, level, target, target_share, sample_n,
        sample_share`` (unweighted), ``before_share, after_share``
        (weighted), ``after_total`` and ``error`` (relative error of the
        achieved total, ``after_total / target - 1``).  Shares are scaled to
        the weight total of ``weights`` before comparison.
    """
    from .margins import resolve_margins  # deferred: weighting imports this module

    after = check_weights(weights, data.index, allow_zero=True)
    before_w = np.ones(len(data)) if before is None else check_weights(
        before, data.index, allow_zero=True, name="before")
    resolved, _, _ = resolve_margins(data, margins, after, normalize=normalize)
    return resolved_margins_table(resolved, before_w, after)


@dataclass(frozen=True)
class WeightingInfo:
    """What a weighting step did, attached to its calibration object.

    Attributes
    ----------
    method : str
        ``"rake"``, ``"poststratify"``, ``"calibrate"``, ``"trim"``, ...
    iterations : int
        Iterations used (1 for one-step methods).
    converged : bool
        Whether the tolerance was met.
    max_margin_error : float
        Largest relative error ``|achieved / target - 1|`` over all target
        levels or totals (0 when there are no targets, as for trimming).
    margins : pandas.DataFrame
        Achieved vs target table (see :func:`margins_table`).  Calibration
        with a ``formula`` gives one row per model-matrix column instead
        (``variable, target, before_total, after_total, error``); empty for
        trimming.
    before : pandas.Series
        :func:`weight_summary` of the weights before the step.
    after : pandas.Series
        :func:`weight_summary` of the weights after the step.
    options : dict
        The options used (tolerance, bounds, calibration function, ...).
    notes : tuple of str
        Decisions taken on the user's behalf: shares scaled to a total, a
        share margin within :data:`analysis.weight.methods.SHARE_SUM_TOLERANCE`
        of 1 or 100 put on its scale, a margin rescaled because it asked to
        be (``normalize``), with its sum.  Reporting code (the CLI, the
        methods appendix) should show them.
    """

    method: str
    iterations: int
    converged: bool
    max_margin_error: float
    margins: pd.DataFrame
    before: pd.Series
    after: pd.Series
    options: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Weight summary before and after, side by side.

        Weighting diagnostics are not estimates, so they offer ``to_frame()``
        rather than the result protocol's ``summary_frame()``.

        Returns
        -------
        DataFrame
            Columns ``before`` and ``after``, one row per summary statistic.
        """
        return pd.DataFrame({"before": self.before, "after": self.after})

    def __repr__(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        return (f"WeightingInfo(method={self.method!r}, {state} in {self.iterations} "
                f"iteration(s), max margin error {self.max_margin_error:.3g}, "
                f"deff {self.before['deff']:.3f} -> {self.after['deff']:.3f})")
