"""Weighting to population margins: rake, post-stratify, calibrate, trim.

Two layers share one implementation:

* plain-weight functions for pipelines, registered in
  :data:`WEIGHTING_METHODS`: ``rake``, ``poststratify`` and ``calibrate``
  called as ``method(data, spec, weights=None, **options)``, ``trim`` as
  ``trim(data, lower, upper, weights=None, **options)`` (the option names of
  ``SurveyDesign.trim``), each returning a ``pandas.Series`` named
  ``"weight"`` on ``data.index``;
* ``design_*`` functions behind :meth:`SurveyDesign.rake` and friends, which
  return a *new* design whose standard errors account for the weighting:
  the design keeps a calibration object (:mod:`analysis.weight.calibration`) that
  the variance applies to the scores, as R's ``survey`` does, and replicate
  designs have every replicate weighted the same way.

Margins are ``{column: {level: target}}`` (or ``{column: pandas.Series}``, or
an :class:`analysis.codebook.Targets`).  Levels are matched, as strings, to
the column's values by :func:`analysis.weight.margins.resolve_margins`.  The
diagnostics of each step (:class:`~analysis.weight.diagnostics.WeightingInfo`)
are on ``design.calibrations[-1].info``.

Shares and counts
-----------------
Targets adding to 1 or 100 within :data:`SHARE_SUM_TOLERANCE` of that scale
are shares, scaled to the sample weight total (or ``total=``); others are
counts, which must agree on the population total.  A level typed on the
other scale (``female: 0.488`` beside ``male: 51.2``) or a share margin adding
to, say, 95 is a :class:`~analysis.errors.TargetsError`
(:func:`check_margin_sums`); rescaling it is the explicit opt-in
``normalize=[column, ...]`` (``normalize: true`` in ``targets.yaml``),
reported in the diagnostics' ``notes``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._shares import SHARE_SUM_TOLERANCE, Normalize, check_margin_sums, normalize_set
from .._validation import check_argument, check_columns, format_rows
from ..errors import CalibrationError, TargetsError, WeightError
from .calibration import (
    CALFUNS,
    ResolvedMargin,
    Trimming,
    build_info,
    calibrate_weights,
    collapse_cells,
    dummy_matrix,
    poststratify_weights,
    rake_weights,
    trim_weights,
)
from .margins import (
    Total,
    check_positive,
    column_codes,
    level_str,
    normalise_margins,
    resolve_margins,
    scale_totals,
    weights_array,
)

if TYPE_CHECKING:
    from ..design.core import Design, DesignT

__all__ = ["WEIGHTING_METHODS", "get_weighting_method", "rake", "poststratify", "calibrate", "trim", "design_rake", "design_poststratify", "design_calibrate", "design_trim", "SHARE_SUM_TOLERANCE", "check_margin_sums"]


# -- input handling ---------------------------------------------------------


def _replicate_weights(design: Design) -> np.ndarray | None:
    return np.asarray(design.repweights, dtype="float64") if design.is_replicate else None


# -- post-stratification ------------------------------------------------------

def _population_cells(columns: list[str], population: Any) -> dict[tuple[str, ...], float]:
    """Population counts keyed by tuples of level strings."""
    if isinstance(population, pd.DataFrame):
        value_cols = [c for c in population.columns if c not in columns]
        missing = [c for c in columns if c not in population.columns]
        if missing or len(value_cols) != 1:
            raise TargetsError(
                f"population table must hold the columns {columns} and one count column; "
                f"it has {list(population.columns)}", column=(missing or value_cols or [None])[0],
                hint="e.g. DataFrame({'stype': [...], 'Freq': [...]})")
        keys = zip(*(population[c] for c in columns), strict=True)
        items = list(zip(keys, population[value_cols[0]], strict=True))
    elif isinstance(population, pd.Series):
        items = [((k if isinstance(k, tuple) else (k,)), v) for k, v in population.items()]
    elif isinstance(population, Mapping):
        if len(columns) == 1 and set(population) == set(columns):
            population = population[columns[0]]  # {column: {level: count}}
            return _population_cells(columns, pd.Series(population))
        items = [((k if isinstance(k, tuple) else (k,)), v) for k, v in population.items()]
    else:
        raise TypeError("`population` must be a pandas Series, a DataFrame or a mapping of "
                        f"levels to counts, not {type(population).__name__}")
    out: dict[tuple[str, ...], float] = {}
    for key, value in items:
        if len(key) != len(columns):
            raise TargetsError(f"population cell {key!r} does not name one level of each of "
                               f"{columns}", hint="index the population by the columns' levels")
        k = tuple(level_str(x) for x in key)
        v = float(value)
        if not (np.isfinite(v) and v >= 0):
            raise TargetsError(f"population count of cell {k} must be non-negative, not {value!r}",
                               level="/".join(k), hint="give a count or share for every cell")
        out[k] = out.get(k, 0.0) + v
    return out


def _poststratify(data: pd.DataFrame, columns: Any, population: Any, w0: np.ndarray,
                  repw: np.ndarray | None, *, partial: bool = False, total: Total = None,
                  normalize: bool = False) -> tuple[np.ndarray, np.ndarray | None, Any]:
    if columns is None:
        names = getattr(getattr(population, "index", None), "names", None)
        if isinstance(population, pd.Series) and names and all(names):
            columns = list(names)
        elif isinstance(population, Mapping) and len(population) == 1:
            columns = list(population)
        else:
            raise TargetsError("cannot tell which columns to post-stratify on",
                               hint="pass columns=[...] or name the population's index")
    columns = [columns] if isinstance(columns, str) else list(columns)
    pop = _population_cells(columns, population)
    coded = [column_codes(data, c) for c in columns]
    cell, cell_codes = collapse_cells([c for c, _ in coded], [len(nm) for _, nm in coded])
    # one label per occupied cell (cells, not respondents)
    labels = list(zip(*([coded[j][1][i] for i in cc] for j, cc in enumerate(cell_codes)),
                      strict=True))
    absent = [lab for lab in labels if pop.get(lab, 0.0) == 0.0]
    if absent:
        raise TargetsError(
            f"sample cell(s) {absent[:5]} of {columns} have no population count",
            column=columns[0], level="/".join(absent[0]),
            hint="add the cell(s) to the population table or collapse levels")
    occupied = set(labels)
    empty = [lab for lab, v in pop.items() if v > 0 and lab not in occupied]
    if empty and not partial:
        raise TargetsError(
            f"population cell(s) {empty[:5]} of {columns} have no respondents in the sample",
            column=columns[0], level="/".join(empty[0]),
            hint="collapse levels, or pass partial=True to ignore these cells")
    target = np.array([pop[lab] for lab in labels])
    name = " x ".join(columns)
    mult, _, notes = scale_totals({name: {"/".join(k): v for k, v in pop.items()}},
                                   float(w0.sum()), total, what="population counts",
                                   normalize={name} if normalize else ())
    if empty:
        notes.append(f"population cells without respondents ignored: {empty}")
    return poststratify_weights(cell, ["/".join(lab) for lab in labels],
                                target * mult[name], w0, repw, name=name,
                                options={"columns": columns, "partial": partial}, notes=notes)


# -- calibration --------------------------------------------------------------

def _r_name(name: str) -> str:
    """Formula column name (patsy-style) -> R's model.matrix name ("x[T.a]" -> "xa", "Intercept" -> "(Intercept)")."""
    if name == "Intercept":
        return "(Intercept)"
    return ":".join(re.sub(r"\[(?:T\.)?(.*)\]$", r"\1", part) for part in name.split(":"))


_R_FACTOR = re.compile(r"(?<![\w.])factor\(")


def _parts(name: str) -> tuple[str, ...]:
    """An R model-matrix column name as the sorted parts of its interaction."""
    return tuple(sorted(_R_FACTOR.sub("C(", name).split(":")))


def _formula_matrix(data: pd.DataFrame, formula: str, population: Any
                    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from .._formula import build_model_frame

    if not isinstance(population, (Mapping, pd.Series)):
        raise TypeError("with `formula`, `population` must map model-matrix columns to totals, "
                        f"not {type(population).__name__}")
    # R's factor(x) is the formula engine's C(x); totals may use either name
    frame = build_model_frame(_R_FACTOR.sub("C(", formula), data)
    if len(frame.rows) != len(data):
        rows = np.setdiff1d(np.arange(len(data)), frame.rows)
        raise TargetsError(f"calibration variables of {formula!r} are missing in {len(rows)} "
                           "row(s)", row=format_rows(data.index[rows]),
                           hint="drop these rows or impute the variables before calibrating")
    pop = {str(k): v for k, v in population.items()}
    names = [_r_name(c) for c in frame.columns]
    # an interaction's parts may come in either order: R names `x:stype` "stypeE:x" when
    # stype appears first in the formula, so match on the set of parts
    by_parts = {_parts(k): k for k in pop}
    values = []
    used = set()
    for col, rname in zip(frame.columns, names, strict=True):
        key = col if col in pop else by_parts.get(_parts(rname), rname)
        if key not in pop:
            raise TargetsError(f"no population total for model-matrix column {rname!r}",
                               column=rname, hint=f"give totals for {names}")
        values.append(float(pop[key]))
        used.add(key)
    extra = [k for k in pop if k not in used]
    if extra:
        raise TargetsError(f"population totals {extra} match no model-matrix column",
                           column=extra[0], hint=f"the columns are {names}")
    return frame.X, np.array(values), names


def _margins_matrix(data: pd.DataFrame, population: Any, w0: np.ndarray, total: Total,
                    normalize: Normalize = False
                    ) -> tuple[np.ndarray, np.ndarray, list[str], list[ResolvedMargin], list[str]]:
    margins, total, flagged, target_notes = normalise_margins(population, total)
    cat = {c: v for c, v in margins.items() if not np.isscalar(v)}
    num = {c: float(v) for c, v in margins.items() if c not in cat}  # the scalar margins
    resolved: list[ResolvedMargin] = []
    notes: list[str] = []
    cols: list[np.ndarray] = []
    pop: list[float] = []
    names: list[str] = []
    if cat:
        flagged |= normalize_set(normalize, cat)
        resolved, _, notes = resolve_margins(data, cat, w0, total=total, normalize=flagged)
        notes += target_notes
        if num and total is None and any("given as shares" in nt for nt in notes):
            raise TargetsError("numeric totals need categorical margins given as counts, "
                               "not shares", column=next(iter(num)),
                               hint="give the margins as population counts or pass total=N")
        mm, tot = dummy_matrix(resolved, len(data))
        cols, pop = list(mm.T), list(tot)
        names = ["(Intercept)"] + [f"{m.column}{lv}" for m in resolved for lv in m.levels[1:]]
    elif total is not None:
        n_total = float(w0.sum()) if total == "sample" else float(total)
        cols, pop, names = [np.ones(len(data))], [n_total], ["(Intercept)"]
    for c, v in num.items():
        check_columns(data, [c], "population")
        x = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(x)
        if bad.any():
            raise TargetsError(f"calibration variable {c!r} is missing or not numeric in "
                               f"{int(bad.sum())} row(s)", column=c,
                               row=format_rows(data.index[bad]),
                               hint="drop or impute these rows before calibrating")
        cols.append(x)
        pop.append(v)
        names.append(c)
    return np.column_stack(cols), np.array(pop), names, resolved, notes


def _calibrate(data: pd.DataFrame, population: Any, w0: np.ndarray, repw: np.ndarray | None, *,
               formula: str | None = None, method: str = "linear",
               bounds: tuple[float | None, float | None] | None = None, max_iter: int = 50,
               tol: float = 1e-7, strict: bool = False, total: Total = None,
               normalize: Normalize = False) -> tuple[np.ndarray, np.ndarray | None, Any]:
    check_argument("method", list(CALFUNS), method)
    lo = -np.inf if bounds is None or bounds[0] is None else float(bounds[0])
    hi = np.inf if bounds is None or bounds[1] is None else float(bounds[1])
    if not lo < 1 < hi:
        raise CalibrationError(f"`bounds` on the g-weights must satisfy lower < 1 < upper, "
                               f"not {bounds!r}", hint="e.g. bounds=(0.5, 2)")
    if method == "logit" and not (np.isfinite(lo) and np.isfinite(hi)):
        raise CalibrationError("logit calibration needs finite bounds",
                               hint="pass bounds=(lower, upper), e.g. (0.5, 2)")
    resolved: list[ResolvedMargin] = []
    notes: list[str] = []
    if formula is not None:
        mm, pop, names = _formula_matrix(data, formula, population)
    else:
        mm, pop, names, resolved, notes = _margins_matrix(data, population, w0, total,
                                                          normalize)
    return calibrate_weights(mm, pop, names, w0, repw, method=method, bounds=(lo, hi),
                             max_iter=max_iter, tol=tol, strict=strict, resolved=resolved,
                             options={"formula": formula}, notes=notes)


# -- trimming -------------------------------------------------------------------

def _trim(w0: np.ndarray, repw: np.ndarray | None, lower: float | None, upper: float | None,
          *, strict: bool = False, relative: bool = False
          ) -> tuple[np.ndarray, np.ndarray | None, Trimming]:
    """Trim weights and each replicate column (skipping its structural zeros)."""
    lo = -np.inf if lower is None else float(lower)
    hi = np.inf if upper is None else float(upper)
    if relative:
        mean = float(w0.mean())
        lo, hi = lo * mean, hi * mean
    if not lo < hi:
        raise CalibrationError(f"trimming bounds need lower < upper, got ({lower}, {upper})",
                               hint="swap or widen the bounds")
    n, tot = len(w0), float(w0.sum())
    if strict and not (lo * n <= tot <= hi * n):
        raise CalibrationError(
            f"strict trimming to [{lo:.6g}, {hi:.6g}] is infeasible: {n} weights within these "
            f"bounds total {lo * n:.6g} to {hi * n:.6g}, but the weights sum to {tot:.6g}",
            hint="widen the bounds (the mean weight must lie between them)")
    w, passes = trim_weights(w0, lo, hi, strict=strict)
    reps = None
    if repw is not None:
        reps = repw.copy()
        for r in range(repw.shape[1]):
            keep = repw[:, r] > 0  # structural zeros of a replicate stay zero
            reps[keep, r] = trim_weights(repw[keep, r], lo, hi, strict=strict)[0]
    options = {"lower": lo, "upper": hi, "strict": strict, "relative": relative,
               "trimmed": int(((w0 < lo) | (w0 > hi)).sum())}
    inside = bool(((w >= lo) & (w <= hi)).all())
    info = build_info("trim", passes, inside, 0.0, pd.DataFrame(), w0, w, options, [])
    return w, reps, Trimming(info)


# -- plain-weight functions ---------------------------------------------------

def _series(data: pd.DataFrame, w: np.ndarray, cal: Any, return_info: bool) -> Any:
    s = pd.Series(w, index=data.index, name="weight")
    return (s, cal.info) if return_info else s


def rake(data: pd.DataFrame, margins: Any, weights: Any = None, *, max_iter: int = 50,
         tol: float = 1e-7, cap: tuple[float | None, float | None] | None = None,
         strict: bool = False, total: Total = None, normalize: Normalize = False,
         control: dict[str, float] | None = None, return_info: bool = False) -> Any:
    """Rake weights to population margins (iterative proportional fitting).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent data holding the margin columns.
    margins : mapping or Targets
        ``{column: {level: count_or_share}}`` or ``{column: pandas.Series}``.
        Shares add to 1 or 100 within :data:`SHARE_SUM_TOLERANCE`; other
        margins are counts, which must agree on the population total.
    weights : array-like or str, optional
        Base (design) weights or the name of their column; default ones.
    max_iter : int
        Maximum number of sweeps over the margins.
    tol : float
        Stop when every level's weighted total is within a relative ``tol``
        of its target.
    cap : tuple, optional
        ``(lower, upper)`` bounds on the final weights as multiples of the
        mean weight (either may be None); weights are clipped after every
        sweep.  Raises :class:`CalibrationError` if the caps cannot be met.
    strict : bool
        Raise :class:`ConvergenceError` instead of warning on non-convergence.
    total : float or "sample", optional
        Population total for every margin (see :func:`resolve_margins`).
    normalize : bool or list of str
        The explicit opt-in to rescale margins whose shares do not add to 1
        or 100, e.g. ``normalize=["tier"]`` (``True``: all margins); each is
        reported in the diagnostics' ``notes``.
    control : dict, optional
        Reproduce an R script: R ``rake()``'s stopping rule,
        ``{"maxit": 10, "epsilon": 1}`` (R's defaults fill missing keys).
        R stops after the first sweep that moves no weighted cell count of
        the margins' cross-table by ``epsilon`` (a count; below 1 a share of
        the weight total), which leaves the margins short of their targets:
        R's weights then differ from converged raking (by up to a few percent
        on small samples).  A :class:`ConvergenceWarning` says how far, or
        repeats R's warning when ``maxit`` sweeps were not enough.
        ``max_iter`` and ``tol`` are then not used; by default (None) raking
        iterates to convergence.
    return_info : bool
        Also return the :class:`~analysis.weight.diagnostics.WeightingInfo`.

    Returns
    -------
    pandas.Series or (pandas.Series, WeightingInfo)
        Weights named ``"weight"`` on ``data.index``.

    Raises
    ------
    TargetsError
        Levels that do not match, missing values, totals that disagree,
        shares that do not add to 1 or 100 (naming a level that looks typed
        on the other scale, e.g. ``female: 0.488`` beside ``male: 51.2``).
    WeightError
        Missing, zero or negative base weights (rows listed).
    CalibrationError
        Infeasible caps.

    Warns
    -----
    ConvergenceWarning
        If the tolerance is not met in ``max_iter`` sweeps (unless strict).

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["m", "f", "f", "f"], "urban": ["u", "u", "r", "r"]})
    >>> rake(df, {"sex": {"m": 0.5, "f": 0.5}, "urban": {"u": 0.6, "r": 0.4}}).round(3).tolist()
    [2.0, 0.4, 0.8, 0.8]
    """
    w0 = weights_array(data, weights)
    resolved, _, notes = resolve_margins(data, margins, w0, total=total, normalize=normalize)
    w, _, cal = rake_weights(resolved, w0, None, max_iter=max_iter, tol=tol, cap=cap,
                             strict=strict, notes=notes, control=control)
    return _series(data, w, cal, return_info)


def poststratify(data: pd.DataFrame, population: Any, weights: Any = None, *,
                 columns: str | list[str] | None = None, partial: bool = False,
                 total: Total = None, normalize: bool = False,
                 return_info: bool = False) -> Any:
    """Post-stratify weights to population cell counts.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent data.
    population : pandas.Series, pandas.DataFrame or mapping
        Cell counts (or shares): a Series indexed by the levels (a MultiIndex
        for several columns, index names = columns), a DataFrame with the
        columns plus one count column (R style), ``{level: count}``,
        ``{(level1, level2): count}`` or ``{column: {level: count}}``.
    weights : array-like or str, optional
        Base weights or their column; default ones.
    columns : str or list of str, optional
        Post-stratification columns (default: the population's index names).
    partial : bool
        Ignore population cells without respondents instead of raising.
    total : float or "sample", optional
        Scale the population to this total.
    normalize : bool
        Rescale cell shares that do not add to 1 or 100 (reported in the
        diagnostics' ``notes``); without it they are an error.
    return_info : bool
        Also return the diagnostics.

    Returns
    -------
    pandas.Series or (pandas.Series, WeightingInfo)
        The new weights, indexed as ``data``, and with ``return_info`` the
        diagnostics.
    """
    w0 = weights_array(data, weights)
    w, _, cal = _poststratify(data, columns, population, w0, None, partial=partial, total=total,
                              normalize=normalize)
    return _series(data, w, cal, return_info)


def calibrate(data: pd.DataFrame, spec: Any = None, /, population: Any = None, *,
              weights: Any = None, formula: str | None = None, method: str = "linear",
              bounds: tuple[float | None, float | None] | None = None, max_iter: int = 50,
              tol: float = 1e-7, strict: bool = False, total: Total = None,
              normalize: Normalize = False, return_info: bool = False) -> Any:
    """Calibrate weights to population totals (GREG, raking or logit distance).

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent data.
    spec : str, mapping or pandas.Series, optional
        R's order, ``calibrate(data, "~ x + z", population)``: the formula;
        or the population itself (margins, or totals with ``formula=``).
    population : mapping or pandas.Series, optional
        Without ``formula``: ``{column: {level: count}}`` for categorical
        margins and ``{column: total}`` for numeric variables (an intercept
        fixes the population size).  With ``formula``: totals keyed by the
        model-matrix columns, in R (``"stypeH"``, ``"(Intercept)"``) or patsy-style
        (``"stype[T.H]"``) spelling.
    weights : array-like or str, optional
        Base weights or their column; default ones.
    formula : str, optional
        R-style formula of the calibration variables, e.g. ``"~ stype + api99"``.
    method : {"linear", "raking", "logit"}
        Calibration function (R's ``calfun``).
    bounds : tuple, optional
        ``(lower, upper)`` bounds on the g-weights (new / old weight);
        required for logit.
    max_iter, tol : int, float
        Newton iterations and the tolerance on ``|misfit| / (1 + |total|)``.
    strict : bool
        Raise instead of warning when unbounded calibration fails to converge.
    total : float or "sample", optional
        Population total for share margins.
    normalize : bool or list of str
        Categorical margins to rescale although their shares do not add to
        1 or 100 (as for :func:`rake`).
    return_info : bool
        Also return the diagnostics.

    Returns
    -------
    pandas.Series or (pandas.Series, WeightingInfo)
        The new weights, indexed as ``data``, and with ``return_info`` the
        diagnostics.

    Raises
    ------
    CalibrationError
        Bounds that cannot be met (with the misfit achieved) or collinear
        calibration variables.
    TargetsError
        No population, or the formula or population given twice.
    """
    population, formula = _calibration_arguments(spec, population, formula)
    w0 = weights_array(data, weights)
    w, _, cal = _calibrate(data, population, w0, None, formula=formula, method=method,
                           bounds=bounds, max_iter=max_iter, tol=tol, strict=strict, total=total,
                           normalize=normalize)
    return _series(data, w, cal, return_info)


def trim(data: pd.DataFrame, lower: float | None = None, upper: float | None = None,
         weights: Any = None, *, strict: bool = False, relative: bool = False,
         return_info: bool = False) -> Any:
    """Trim weights to ``[lower, upper]``, sharing the excess equally (R's ``trimWeights``).

    The options are those of :meth:`SurveyDesign.trim <analysis.SurveyDesign.trim>`.

    Parameters
    ----------
    data : pandas.DataFrame
        Respondent data (for the index, and the weight column if named).
    lower, upper : float, optional
        Bounds on the weights; None leaves that side unbounded.
    weights : array-like or str, optional
        Weights to trim or their column; default ones.
    strict : bool
        Repeat until no weight lies outside the bounds (one pass otherwise,
        after which redistribution may push weights past a bound).
    relative : bool
        Bounds are multiples of the mean weight instead of weight values.
    return_info : bool
        Also return the diagnostics.

    Returns
    -------
    pandas.Series or (pandas.Series, WeightingInfo)
        Weights named ``"weight"`` on ``data.index`` (and the diagnostics).

    Raises
    ------
    TypeError
        A bound that is not a number (e.g. a ``(lower, upper)`` tuple).
    CalibrationError
        ``lower >= upper``, or strict bounds the mean weight lies outside.

    Examples
    --------
    >>> df = pd.DataFrame({"x": range(5)})
    >>> trim(df, None, 5.0, weights=[1, 1, 1, 1, 10]).tolist()
    [2.25, 2.25, 2.25, 2.25, 5.0]
    """
    for name, bound in (("lower", lower), ("upper", upper)):
        if bound is not None and not isinstance(bound, (int, float, np.number)):
            raise TypeError(f"`{name}` must be a number or None, not {type(bound).__name__}; "
                            "trim takes the bounds as two arguments: trim(data, lower, upper)")
    w0 = weights_array(data, weights)
    w, _, cal = _trim(w0, None, lower, upper, strict=strict, relative=relative)
    return _series(data, w, cal, return_info)


WEIGHTING_METHODS: dict[str, Callable[..., Any]] = {
    "rake": rake,
    "poststratify": poststratify,
    "calibrate": calibrate,
    "trim": trim,
}


def get_weighting_method(name: str) -> Callable[..., Any]:
    """Look up the plain-weight function registered under ``name`` in :data:`WEIGHTING_METHODS`.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"rake"``.

    Returns
    -------
    callable
        The function (``rake``, ``poststratify``, ...).

    Raises
    ------
    ValueError
        ``name`` is not registered; the message lists the names.
    """
    try:
        return WEIGHTING_METHODS[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown weighting method: {name!r}; choose from "
                         f"{sorted(WEIGHTING_METHODS)}") from None


# -- design functions (behind SurveyDesign.rake etc.) -------------------------

def _design_weights(design: Design) -> np.ndarray:
    w = np.asarray(design.weights, dtype="float64")
    if design.all_positive:  # finite (checked when set) and positive (known to the design)
        return w
    if getattr(design, "domain", None) is not None and not (w > 0).all():
        raise WeightError("cannot weight a domain (subset) design: rows outside the domain "
                          "have zero weight", hint="weight the full design, then subset it")
    return check_positive(w, design.data.index, "design weights")


def design_rake(design: DesignT, margins: Any, max_iter: int = 50, tol: float = 1e-7,
                **kw: Any) -> DesignT:
    """Rake a design (see :func:`rake` for the options); SEs account for the raking.

    Linearisation designs keep a :class:`RakingCalibration`; replicate
    designs have every replicate raked to the same margins.

    Parameters
    ----------
    design : Design
        The design to re-weight (its current weights are the base weights).
    margins : mapping
        Population margins, as for :func:`rake`.
    max_iter : int
        Raking sweeps allowed.
    tol : float
        Convergence tolerance on the margins.
    **kw
        ``total``, ``normalize``, ``cap``, ``strict``, ``control`` of :func:`rake`.

    Returns
    -------
    Design
        A design of the same class with the raked weights.
    """
    w0 = _design_weights(design)
    total = kw.pop("total", None)
    normalize = kw.pop("normalize", False)
    resolved, _, notes = resolve_margins(design.data, margins, w0, total=total,
                                         normalize=normalize)
    w, reps, cal = rake_weights(resolved, w0, _replicate_weights(design), max_iter=max_iter,
                                tol=tol, notes=notes, **kw)
    return design.with_weights(w, calibration=cal, repweights=reps)


def design_poststratify(design: DesignT, columns: str | list[str], population: Any,
                        **kw: Any) -> DesignT:
    """Post-stratify a design (see :func:`poststratify`); SEs account for it.

    Parameters
    ----------
    design : Design
        The design to re-weight (its current weights are the base weights).
    columns : str or list of str
        Post-stratification columns.
    population : Series, DataFrame or mapping
        Cell counts or shares, as for :func:`poststratify`.
    **kw
        ``partial``, ``total``, ``normalize`` of :func:`poststratify`.

    Returns
    -------
    Design
        A design of the same class with the post-stratified weights.
    """
    w0 = _design_weights(design)
    w, reps, cal = _poststratify(design.data, columns, population, w0,
                                 _replicate_weights(design), **kw)
    return design.with_weights(w, calibration=cal, repweights=reps)


def _calibration_arguments(spec: Any, population: Any, formula: str | None
                          ) -> tuple[Any, str | None]:
    """Resolve the spellings of a calibration call to ``(population, formula)``.

    R's order ``calibrate(design, "~ x + z", population)`` and this package's
    ``calibrate(population, formula="~ x + z")`` (or margins alone) name the
    same call; a string in first place is the formula.

    Parameters
    ----------
    spec : str, mapping, pandas.Series or None
        The first positional argument: a formula (str) or the population.
    population : mapping, pandas.Series or None
        The population given by name (or second, after a formula).
    formula : str or None
        The formula given by name.

    Returns
    -------
    population : mapping or pandas.Series
        The population totals or margins.
    formula : str or None
        The calibration formula, if any.

    Raises
    ------
    TargetsError
        The formula or the population is given twice, or no population is given.
    """
    if isinstance(spec, str):
        if formula is not None:
            raise TargetsError(f"calibrate got two formulas: {spec!r} and formula={formula!r}",
                               hint="give the formula once: d.calibrate('~ x + z', population)")
        spec, formula = None, spec
    if spec is not None:
        if population is not None:
            raise TargetsError("calibrate got the population twice (first argument and "
                               "population=)", hint="give it once: d.calibrate(population, "
                               "formula='~ x') or d.calibrate('~ x', population)")
        population = spec
    if population is None:
        raise TargetsError("calibration needs population totals",
                           hint="pass population={column: {level: count}}, or a formula and "
                                "its totals: d.calibrate('~ x + z', {'(Intercept)': N, 'x': T})")
    return population, formula


def design_calibrate(design: DesignT, spec: Any = None, /, population: Any = None, *,
                     formula: str | None = None, method: str = "linear",
                     bounds: tuple[float | None, float | None] | None = None,
                     **kw: Any) -> DesignT:
    """Calibrate a design (see :func:`calibrate`); SEs use the GREG residuals.

    Parameters
    ----------
    design : Design
        The design to re-weight (its current weights are the base weights).
    spec : str, mapping or Series, optional
        R's order: the formula (``"~ x + z"``), then ``population``; or the
        population itself (margins, or totals with ``formula=``).
    population : mapping or Series, optional
        Population totals, as for :func:`calibrate`.
    formula : str, optional
        R-style formula of the calibration variables.
    method : {"linear", "raking", "logit"}
        Calibration function.
    bounds : tuple, optional
        ``(lower, upper)`` bounds on the g-weights.
    **kw
        ``max_iter``, ``tol``, ``strict``, ``total``, ``normalize`` of :func:`calibrate`.

    Returns
    -------
    Design
        A design of the same class with the calibrated weights.

    Raises
    ------
    TargetsError
        No population given, or the formula or population given twice.
    """
    population, formula = _calibration_arguments(spec, population, formula)
    w0 = _design_weights(design)
    w, reps, cal = _calibrate(design.data, population, w0, _replicate_weights(design),
                              formula=formula, method=method, bounds=bounds, **kw)
    return design.with_weights(w, calibration=cal, repweights=reps)


def design_trim(design: DesignT, lower: float | None = None, upper: float | None = None,
                strict: bool = False, **kw: Any) -> DesignT:
    """Trim a design's weights (see :func:`trim`); earlier calibrations are kept, as in R.

    Parameters
    ----------
    design : Design
        The design whose weights are trimmed.
    lower, upper : float, optional
        Bounds on the weights (no bound when None).
    strict : bool
        Repeat until no weight lies outside the bounds.
    **kw
        ``relative`` of :func:`trim`.

    Returns
    -------
    Design
        A design of the same class with the trimmed weights.
    """
    w0 = _design_weights(design)
    w, reps, cal = _trim(w0, _replicate_weights(design), lower, upper,
                                       strict=strict, **kw)
    return design.with_weights(w, calibration=cal, repweights=reps)
