"""Population margins resolved against the sample: level codes, targets, scaling.

The bottom of the weighting family: :mod:`.diagnostics`, :mod:`.calibration`
and :mod:`.methods` all work on the :class:`ResolvedMargin` objects made here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._shares import Normalize, check_margin_sums, normalize_set
from .._validation import check_columns, check_weights, format_rows
from ..errors import (
    TargetsError,
    WeightError,
)

if TYPE_CHECKING:
    pass

__all__ = ["ResolvedMargin", "Total", "resolve_margins"]


@dataclass(frozen=True)
class ResolvedMargin:
    """One margin matched to the data.

    Attributes
    ----------
    column : str
        Data column.
    levels : tuple of str
        Target levels, in order; ``codes`` index into them.
    codes : numpy.ndarray
        Integer code of each row's level (0 .. len(levels) - 1).
    targets : numpy.ndarray
        Population count of each level (already scaled to the common total).
    """

    column: str
    levels: tuple[str, ...]
    codes: np.ndarray
    targets: np.ndarray


Total = float | Literal["sample"] | None


_TOTAL_TOL = 1e-6


def level_str(value: Any) -> str:
    """Level as compared with margin keys: 1.0 -> "1", "E" -> "E"."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def weights_array(data: pd.DataFrame, weights: Any, name: str = "weights") -> np.ndarray:
    """Base weights as float64: None -> ones, a column name, or an array-like."""
    if weights is None:
        return np.ones(len(data))
    if isinstance(weights, str):
        check_columns(data, [weights], "weights")
        w = data[weights].to_numpy(dtype="float64", na_value=np.nan)
        name = weights
    else:
        w = np.asarray(weights, dtype="float64").ravel()
    if len(w) != len(data):
        raise WeightError(f"{name} have {len(w)} values but the data have {len(data)} rows",
                          hint="pass one weight per row of the data")
    return check_positive(w, data.index, name)


def check_positive(w: np.ndarray, index: Any, name: str) -> np.ndarray:
    # Fast path; the shared helper builds the row list only when something is wrong.
    if not (np.isfinite(w).all() and (w > 0).all()):
        check_weights(w, index, name=name)
    return w


def _counted_codes(values: np.ndarray) -> tuple[np.ndarray, list[str]] | None:
    """Codes and levels of small non-negative integers by counting (no hash table)."""
    lo, hi = int(values.min()), int(values.max())
    if lo < 0 or hi > 4 * len(values) + 1024:
        return None
    present = np.flatnonzero(np.bincount(values, minlength=hi + 1))
    if len(present) == hi + 1:  # every value 0..hi occurs: each is its own code
        codes = values.astype(np.int64)
    else:
        rank = np.zeros(hi + 1, dtype=np.int64)
        rank[present] = np.arange(len(present))
        codes = rank[values]
    return codes, [level_str(v) for v in present.tolist()]


def column_codes(data: pd.DataFrame, column: str, *, any_order: bool = False
                 ) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a column's values and their string levels; NaN is an error.

    Levels come in order of first appearance; with ``any_order`` small
    non-negative integers are coded by counting, in sorted order (for callers
    that match levels by name).  Every level returned occurs in the column,
    except a categorical's unused categories.
    """
    check_columns(data, [column], "margins")
    s = data[column]
    if any_order and isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu" and len(s):
        counted = _counted_codes(s.to_numpy())
        if counted is not None:
            return counted
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.cat.codes.to_numpy()
        uniques: Any = s.cat.categories
    else:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    missing = codes < 0
    if missing.any():
        rows = data.index[missing]
        raise TargetsError(
            f"weighting variable {column!r} is missing in {int(missing.sum())} row(s)",
            column=column, row=format_rows(rows),
            hint="drop these rows or impute the variable before weighting")
    names = [level_str(u) for u in uniques]
    distinct = list(dict.fromkeys(names))
    if len(distinct) < len(names):  # e.g. 1 and "1" in an object column: one level
        pos = {nm: i for i, nm in enumerate(distinct)}
        codes = np.array([pos[nm] for nm in names], dtype=np.int64)[codes]
    return codes, distinct


def _margin_dict(column: str, spec: Any) -> dict[str, float]:
    """One margin as ``{level string: target}``, with values checked."""
    if hasattr(spec, "levels") and isinstance(getattr(spec, "levels", None), Mapping):
        spec = spec.levels  # analysis.codebook.Margin
    if isinstance(spec, pd.Series):
        items = list(spec.items())
    elif isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        raise TypeError(f"margin for {column!r} must be a mapping or a pandas Series of "
                        f"level -> target, not {type(spec).__name__}")
    out: dict[str, float] = {}
    for key, value in items:
        level = level_str(key)
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = float("nan")
        if not (np.isfinite(v) and v >= 0):
            raise TargetsError(f"target of level {level!r} of {column!r} must be a non-negative "
                               f"number, not {value!r}", column=column, level=level,
                               hint="give a count or a share for every level")
        if level in out:
            raise TargetsError(f"level {level!r} of {column!r} is given twice", column=column,
                               level=level, hint="merge the duplicate entries")
        out[level] = v
    if not out or sum(out.values()) <= 0:
        raise TargetsError(f"margin for {column!r} has no positive target", column=column,
                           hint="give the population count or share of each level")
    return out


def normalise_margins(margins: Any, total: Total
                       ) -> tuple[dict[str, Any], Total, set[str], list[str]]:
    """Accept Targets or a mapping of margins; return (mapping, total, normalize, notes).

    A :class:`~analysis.codebook.Targets` was checked when built; its margins
    come as shares, with the notes of its ``normalize`` margins.  Margin
    objects in a mapping bring their ``normalize`` flag.
    """
    notes: list[str] = []
    flagged: set[str] = set()
    if hasattr(margins, "as_margins") and hasattr(margins, "margins"):
        if total is None and getattr(margins, "total", None) is not None:
            total = float(margins.total)
        if hasattr(margins, "scaling_notes"):
            notes = list(margins.scaling_notes())
        margins = margins.as_margins()
    if not isinstance(margins, Mapping) or not margins:
        raise TypeError("`margins` must be a non-empty mapping {column: {level: target}} "
                        f"or a Targets object, not {type(margins).__name__}")
    flagged = {col for col, spec in margins.items() if getattr(spec, "normalize", False) is True}
    return dict(margins), total, flagged, notes


def _match_levels(column: str, codes: np.ndarray, names: list[str], target: dict[str, float],
                  every_name_present: bool = False
                  ) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Codes into the margin's positive-target levels, with errors for mismatches.

    ``every_name_present``: each of ``names`` occurs (no count needed).
    """
    if every_name_present:
        sample_levels = set(names)
    else:
        present = np.bincount(codes, minlength=len(names))[: len(names)] > 0
        sample_levels = {names[i] for i in np.flatnonzero(present)}
    extra = sorted(sample_levels - set(target))
    if extra:
        raise TargetsError(
            f"sample level(s) {extra} of {column!r} have no population target",
            column=column, level=extra[0],
            hint=f"add them to the margin (levels given: {sorted(target)}) or recode the column")
    zero = sorted(lv for lv in sample_levels if target[lv] == 0)
    if zero:
        raise TargetsError(
            f"sample level(s) {zero} of {column!r} have a zero population target",
            column=column, level=zero[0],
            hint="drop these respondents or give the level a positive target")
    absent = [lv for lv, v in target.items() if v > 0 and lv not in sample_levels]
    if absent:
        raise TargetsError(
            f"population level(s) {absent} of {column!r} have no respondents in the sample",
            column=column, level=absent[0],
            hint="collapse the level with a neighbouring one in both the data and the margin")
    levels = tuple(lv for lv, v in target.items() if v > 0)
    pos = {lv: i for i, lv in enumerate(levels)}
    small = np.min_scalar_type(max(len(levels) - 1, len(names) - 1, 0))
    # names absent from the sample (unused categories) never occur; map them to 0
    lut = np.array([pos.get(nm, 0) for nm in names], dtype=np.int64)
    if np.array_equal(lut, np.arange(len(names))):
        mapped = codes.astype(small, copy=False)  # levels already in margin order
    else:
        mapped = lut.astype(small)[codes]
    return mapped, levels, np.array([target[lv] for lv in levels])


def scale_totals(targets: Mapping[str, Mapping[str, float]], sample_total: float,
                  total: Total, what: str = "margins", normalize: Collection[str] = ()
                  ) -> tuple[dict[str, float], float, list[str]]:
    """Per-margin multipliers that bring every margin to the common population total.

    Shares (see :func:`check_margin_sums`) go to the sample weight total,
    counts keep their common total, and ``total`` overrides both; margins in
    ``normalize`` are rescaled to whichever applies.
    """
    if total is not None and total != "sample" and (
            isinstance(total, str) or not float(total) > 0):
        raise TargetsError(f"`total` must be a positive number or 'sample', not {total!r}",
                           hint="pass total='sample' or the population size")
    kind, notes = check_margin_sums(targets, normalize)
    sums = {k: float(sum(t.values())) for k, t in targets.items()}
    if total == "sample" or (total is None and kind == "shares"):
        if total is None:
            notes.insert(0, f"{what} given as shares; scaled to the sample weight total "
                            f"{sample_total:.6g}")
        else:
            notes.insert(0, f"{what} normalised to the sample weight total {sample_total:.6g}")
        return {k: sample_total / s for k, s in sums.items()}, sample_total, notes
    if total is not None:
        notes.insert(0, f"{what} normalised to the population total {float(total):.6g}")
        return {k: float(total) / s for k, s in sums.items()}, float(total), notes
    names = [k for k in sums if k not in normalize]  # counts: the margins that fix the total
    lo = min(names, key=lambda k: sums[k])
    hi = max(names, key=lambda k: sums[k])
    if sums[hi] - sums[lo] > _TOTAL_TOL * sums[hi]:
        raise TargetsError(
            f"margins disagree on the population total: {lo!r} sums to {sums[lo]:.10g} but "
            f"{hi!r} sums to {sums[hi]:.10g}", column=hi,
            hint="give every margin the same total, or shares (each adding to 1 or 100), or "
                 "pass total='sample' to normalise each margin")
    common = float(np.mean([sums[k] for k in names]))
    return {k: common / s for k, s in sums.items()}, common, notes


def resolve_margins(data: pd.DataFrame, margins: Any, weights: Any = None, *,
                    total: Total = None, normalize: Normalize = False
                    ) -> tuple[list[ResolvedMargin], float, list[str]]:
    """Match margins to the data: level codes per row and targets on a common total.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent data holding the margin columns.
    margins : mapping or Targets
        ``{column: {level: target}}`` or ``{column: pandas.Series}``.
    weights : array-like, optional
        Base weights (their total is the scale for shares); default ones.
    total : float or "sample", optional
        Population total to scale every margin to; ``"sample"`` uses the
        sample weight total.  By default shares are scaled to the sample
        weight total and counts must agree.
    normalize : bool or list of str
        Margins to rescale as given although their targets do not add to 1
        or 100 (``True``: every margin); see the module docstring.  Each is
        reported in ``notes``.  A :class:`~analysis.codebook.Margin` with
        ``normalize=True`` (``normalize: true`` in ``targets.yaml``) needs
        no entry here.

    Returns
    -------
    resolved : list of ResolvedMargin
        One per margin: level codes per row and targets on the common total.
    total : float
        The common population total.
    notes : list of str
        Scaling decisions, for the diagnostics.

    Raises
    ------
    TargetsError
        Unknown or missing levels, missing values, disagreeing totals, shares
        that do not add to 1 or 100 (naming a level that looks mistyped).
    """
    margins, total, flagged, notes = normalise_margins(margins, total)
    w = weights_array(data, weights)
    parsed = {col: _margin_dict(col, spec) for col, spec in margins.items()}
    flagged |= normalize_set(normalize, parsed)
    mult, common, more = scale_totals(parsed, float(w.sum()), total, normalize=flagged)
    notes = more + notes
    out = []
    for col, target in parsed.items():
        codes, names = column_codes(data, col, any_order=True)  # matched to targets by name
        # only a categorical can name levels that do not occur (unused categories)
        every = not isinstance(data[col].dtype, pd.CategoricalDtype)
        mcodes, levels, values = _match_levels(col, codes, names, target, every)
        out.append(ResolvedMargin(col, levels, mcodes, values * mult[col]))
    return out, common, notes
