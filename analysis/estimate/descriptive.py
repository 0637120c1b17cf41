"""Means, totals, ratios and proportions on a :class:`~analysis.design.core.Design`
(R's ``svymean``, ``svytotal``, ``svyratio``, ``svyciprop``, ``svyby``); quantiles
are in :mod:`.quantiles`, variances in :mod:`.variance_est`.

Every estimator follows one recipe: turn the variable(s) into an n x k matrix
(one column per level for categoricals), mark the domain (group, non-missing,
asked), compute per-group weighted sums with ``np.bincount``, and get the
covariance from the design's linearised scores (Taylor designs) or from the
estimates recomputed with each replicate weight (replicate designs).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from .._validation import (
    as_column_list,
    check_argument,
    check_columns,
    check_probability,
    format_rows,
)
from ..design.results import SurveyResult
from ..errors import CodebookError, DataQualityWarning, DesignError, IntervalError
from . import intervals as _iv

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = [
    "VariableMatrix",
    "Domains",
    "variable_matrix",
    "domains",
    "group_sums",
    "mean_core",
    "svy_mean",
    "svy_total",
    "svy_ratio",
    "svy_proportion",
    "PROPORTION_METHODS",
]

DEFF_OPTIONS = (False, True, "replace")


# --------------------------------------------------------------------------- variables

@dataclass(frozen=True, eq=False)
class VariableMatrix:
    """Variables as an n x k float matrix (categoricals one-hot).

    Attributes
    ----------
    x : ndarray, shape (n, k)
        Values; NaN where missing.
    missing : ndarray of bool, shape (n,)
        Rows missing in any column (R's ``rowSums(is.na(x)) > 0``).
    index : Index
        Row labels of the estimates (levels, variables or options).
    asked : ndarray of bool or None
        For select-all questions: rows shown the question (the base).
    scalar : bool
        A single numeric variable (``by=`` results are then indexed by group only).
    """

    x: np.ndarray
    missing: np.ndarray
    index: pd.Index
    asked: np.ndarray | None = None
    scalar: bool = False


def _is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s.dtype) \
        or pd.api.types.is_string_dtype(s.dtype)


def _is_boolean(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s.dtype)


def numeric_values(s: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for NA (nullable Int64/Float64/boolean handled)."""
    if _is_categorical(s) and not _is_boolean(s):
        raise TypeError(f"column {s.name!r} is {s.dtype}, not numeric; "
                        "use it as a categorical (mean gives one row per level)")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        raise TypeError(f"column {s.name!r} holds dates; convert to a number first")
    return s.to_numpy(dtype="float64", na_value=np.nan)


def category_codes(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for NA) and levels; categories keep their order, strings sort."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return np.asarray(s.cat.codes, dtype=np.int64), pd.Index(s.cat.categories)
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu" and len(s):
        # small non-negative integer codes (provinces, bands): levels by counting, no hash
        # table and no sort -- the same sorted levels and codes as factorize(sort=True)
        values = s.to_numpy()
        lo, hi = int(values.min()), int(values.max())
        if lo >= 0 and hi <= 4 * len(values) + 1024:
            present = np.flatnonzero(np.bincount(values, minlength=hi + 1))
            rank = np.full(hi + 1, -1, dtype=np.int64)
            rank[present] = np.arange(len(present))
            return rank[values], pd.Index(present.astype(s.dtype, copy=False))
    codes, levels = pd.factorize(s, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), pd.Index(levels)


def _multi_choice_columns(design: Design, name: str) -> tuple[list[str], list[str]] | None:
    """Option columns and keys of codebook multi-choice question ``name``, if it is one."""
    cb = design.codebook
    if cb is None:
        return None
    try:
        q = cb.question(name)
    except CodebookError:  # not a question id: let the column check report it
        return None
    if q.type != "multiple":
        return None
    cols = [c for c in q.columns() if not c.endswith("_other_text")]
    keys = [c[len(name) + 1:] for c in cols]
    return cols, keys


def variable_matrix(design: Design, var: str | Sequence[str], *,
                    allow_categorical: bool = True, select_all: bool = True) -> VariableMatrix:
    """Resolve ``var`` (column(s) or a multi-choice question id) to a :class:`VariableMatrix`."""
    data = design.data
    if isinstance(var, str) and var not in data.columns:
        mc = _multi_choice_columns(design, var)
        if mc is not None:
            cols, keys = mc
            check_columns(data, cols, "var")
            return _select_all(data, cols, pd.Index(keys, name="option"))
    cols = as_column_list("var", var)
    if not cols:
        raise DesignError("no variable given", hint="pass a column name or a list of column names")
    check_columns(data, cols, "var")
    if select_all and len(cols) > 1 and all(_is_boolean(data[c]) for c in cols):
        return _select_all(data, cols, pd.Index(cols, name="option"))
    blocks: list[np.ndarray] = []
    labels: list[tuple[str, Any]] = []
    any_cat = False
    for c in cols:
        s = data[c]
        if _is_categorical(s) and not _is_boolean(s):
            if not allow_categorical:
                raise TypeError(f"column {c!r} is categorical ({s.dtype}); a numeric column is needed")
            any_cat = True
            codes, levels = category_codes(s)
            onehot = (codes[:, None] == np.arange(len(levels))[None, :]).astype("float64")
            onehot[codes < 0] = np.nan
            blocks.append(onehot)
            labels.extend((c, lev) for lev in levels)
        else:
            blocks.append(numeric_values(s)[:, None])
            labels.append((c, None))
    x = np.hstack(blocks) if len(blocks) > 1 else blocks[0]
    missing = np.isnan(x).any(axis=1)
    if len(cols) == 1:
        if any_cat:
            index = pd.Index([lev for _, lev in labels], name=cols[0])
        else:
            index = pd.Index(cols)
    elif any_cat:
        index = pd.MultiIndex.from_tuples([(c, "" if lev is None else lev) for c, lev in labels],
                                          names=["variable", "level"])
    else:
        index = pd.Index(cols)
    return VariableMatrix(x=x, missing=missing, index=index,
                          scalar=len(cols) == 1 and not any_cat)


def _select_all(data: pd.DataFrame, cols: list[str], index: pd.Index) -> VariableMatrix:
    """Select-all options: base = rows with any answer; NA inside the base = not chosen."""
    x = np.column_stack([numeric_values(data[c]) for c in cols])
    asked = ~np.isnan(x).all(axis=1)
    x = np.where(np.isnan(x) & asked[:, None], 0.0, x)
    return VariableMatrix(x=x, missing=np.zeros(len(data), dtype=bool), index=index, asked=asked)


# --------------------------------------------------------------------------- domains

@dataclass(frozen=True, eq=False)
class Domains:
    """Which rows each estimate uses.

    Attributes
    ----------
    group : ndarray of int64, shape (n,)
        Group code of each row in a domain; -1 outside every domain.
    n_groups : int
    labels : Index or None
        Group labels (None without ``by=``).
    base_group : ndarray of int64
        Group codes before removing missing values (R's ``degf`` counts them).
    failed : ndarray of bool, shape (n_groups,)
        Groups with a missing value and ``na_rm=False`` (estimate NaN).
    """

    group: np.ndarray
    n_groups: int
    labels: pd.Index | None
    base_group: np.ndarray
    failed: np.ndarray
    full: bool = False  # one domain holding every row: estimators skip the masking

    @property
    def rows(self) -> np.ndarray:
        return self.group >= 0


def _by_key(data: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray, list[pd.Index]]:
    """Mixed-radix key of the ``by=`` columns per row, rows with no NA level, the levels."""
    if len(cols) == 1:  # one column: its codes are the key (no n-row scratch arrays)
        codes, levels = category_codes(data[cols[0]])
        return codes, codes >= 0, [levels]
    key = np.zeros(len(data), dtype=np.int64)
    valid = np.ones(len(data), dtype=bool)
    level_lists = []
    for c in cols:
        codes, levels = category_codes(data[c])
        valid &= codes >= 0
        key = key * max(len(levels), 1) + np.where(codes >= 0, codes, 0)
        level_lists.append(levels)
    return key, valid, level_lists


def _column_identity(s: pd.Series) -> tuple[Any, ...]:
    """What tells a column's storage apart: its buffer (numpy) or its array object."""
    if isinstance(s.dtype, np.dtype):
        arr = np.asarray(s)  # a view: no copy
        return (arr.__array_interface__["data"][0], arr.dtype.str, arr.shape)
    return (id(s.array), len(s))


def by_codes(design: Design, by: str | Sequence[str], usable: np.ndarray
             ) -> tuple[np.ndarray, pd.Index]:
    """Group code per row (-1: NA group or unusable row) and sorted group labels."""
    cols = as_column_list("by", by)
    check_columns(design.data, cols, "by")
    # The factorisation depends on the columns alone: once per design (a column
    # replaced in the frame has another array, hence another key).
    ident = tuple((c, _column_identity(design.data[c])) for c in cols)
    key, valid0, level_lists = design.memo(("by_key", ident),
                                           lambda: _by_key(design.data, cols))
    valid = usable & valid0
    radix = 1
    for levels in level_lists:
        radix *= max(len(levels), 1)
    if radix <= 4 * design.n + 1024:
        # present keys and their ranks by counting, not sorting
        every = bool(valid.all())
        present = np.flatnonzero(np.bincount(key if every else key[valid], minlength=radix))
        rank = np.full(radix, -1, dtype=np.int64)
        rank[present] = np.arange(len(present))
        group = rank[np.maximum(key, 0)]  # NA keys (-1) are masked just below
        if not every:
            group[~valid] = -1
    else:
        group = np.full(design.n, -1, dtype=np.int64)
        present = np.unique(key[valid])
        group[valid] = np.searchsorted(present, key[valid])
    # decode mixed-radix keys back to level tuples
    parts = []
    rem = present.copy()
    for levels in reversed(level_lists):
        size = max(len(levels), 1)
        parts.append(levels[rem % size])
        rem = rem // size
    parts.reverse()
    if len(cols) == 1:
        labels = pd.Index(parts[0], name=cols[0])
    else:
        labels = pd.MultiIndex.from_arrays(parts, names=cols)
    return group, labels


def domains(design: Design, mat: VariableMatrix, by: str | Sequence[str] | None,
            na_rm: bool) -> Domains:
    """Domain rows and groups for an estimate (R's ``svyby`` + ``na.rm`` semantics)."""
    positive = design.memo(("positive_weights",), lambda: design.weights > 0)
    usable = positive if mat.asked is None else positive & mat.asked
    if by is None:
        if usable.all() and not mat.missing.any():
            # the common case on a small survey: every row, nothing to mask or count
            zeros = np.zeros(design.n, dtype=np.int64)
            return Domains(group=zeros, n_groups=1, labels=None, base_group=zeros,
                           failed=np.zeros(1, dtype=bool), full=True)
        group = np.where(usable, 0, -1).astype(np.int64, copy=False)
        labels = None
        n_groups = 1
    elif usable is positive:
        # the same rows every time: the groups are a property of the design
        cols = as_column_list("by", by)
        ident = tuple((c, _column_identity(design.data[c])) for c in cols) \
            if all(isinstance(c, str) and c in design.data.columns for c in cols) else None
        group, labels = by_codes(design, by, usable) if ident is None else design.memo(
            ("by_group", ident), lambda: by_codes(design, by, usable))
        n_groups = len(labels)
    else:
        group, labels = by_codes(design, by, usable)
        n_groups = len(labels)
    base_group = group
    failed = np.zeros(n_groups, dtype=bool)
    if not mat.missing.any():
        full = bool(design.memo(("all_grouped", id(group)), lambda: group.min() >= 0)) \
            if usable is positive and by is not None else False
        return Domains(group=group, n_groups=n_groups, labels=labels, base_group=base_group,
                       failed=failed, full=full)
    missing_in = (group >= 0) & mat.missing
    if missing_in.any():
        if na_rm:
            group = np.where(missing_in, -1, group)
        else:
            failed = np.bincount(group[missing_in], minlength=n_groups) > 0
    return Domains(group=group, n_groups=n_groups, labels=labels, base_group=base_group,
                   failed=failed)


def group_sums(values: np.ndarray, weights: np.ndarray, group: np.ndarray, n_groups: int,
               full: bool = False) -> np.ndarray:
    """``sum_i w_i x_ij`` per group: (G, k) for 1-D weights, (G, k, R) for (n, R) weights.

    ``full``: every row is in a group (no -1), so nothing is masked or copied.
    """
    if full and weights.ndim == 1 and n_groups > 1:
        out = np.empty((n_groups, values.shape[1]))
        for j in range(values.shape[1]):
            out[:, j] = np.bincount(group, weights=weights * values[:, j], minlength=n_groups)
        return out
    keep = group >= 0
    if n_groups == 1:
        # one domain: plain dot products, no fancy indexing of n-row arrays; einsum, not
        # BLAS, for a vector: a threaded gemv costs milliseconds on a busy machine
        wk = weights * keep[:, None] if weights.ndim == 2 else np.where(keep, weights, 0.0)
        return (wk.T @ values).T[None, ...] if weights.ndim == 2 else \
            np.einsum("i,ij->j", wk, values)[None, :]
    g = group[keep]
    v = values[keep]
    if weights.ndim == 1:
        w = weights[keep]
        out = np.empty((n_groups, v.shape[1]))
        for j in range(v.shape[1]):
            out[:, j] = np.bincount(g, weights=w * v[:, j], minlength=n_groups)
        return out
    w = weights[keep]
    out = np.empty((n_groups, v.shape[1], w.shape[1]))
    for j in range(v.shape[1]):
        a = sparse.csr_matrix((v[:, j], (g, np.arange(g.shape[0]))), shape=(n_groups, g.shape[0]))
        out[:, j, :] = a @ w
    return out


# --------------------------------------------------------------------------- assembly

def result_index(mat_index: pd.Index, labels: pd.Index | None, scalar: bool) -> pd.Index:
    """Estimate index: variable labels, or (group, label) pairs with ``by=``."""
    if labels is None:
        return mat_index
    if scalar:
        return labels
    g_tuples = [t if isinstance(t, tuple) else (t,) for t in labels]
    m_tuples = [t if isinstance(t, tuple) else (t,) for t in mat_index]
    tuples = [g + m for g in g_tuples for m in m_tuples]
    names = list(labels.names) + list(mat_index.names)
    names = [n if n is not None else ("variable" if i == len(labels.names) else None)
             for i, n in enumerate(names)]
    return pd.MultiIndex.from_tuples(tuples, names=names)


def unit_counts(design: Design, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Respondents per group: rows, or the sum of their frequency weights."""
    if design.freq_weight_column is None and n_groups == 1 and len(group) and \
            group[0] == 0 and group[-1] == 0 and not group.any():
        return np.array([len(group)], dtype=np.int64)  # one domain of every row
    keep = group >= 0
    if design.freq_weight_column is None:  # every row one respondent
        return np.bincount(group[keep], minlength=n_groups).astype(np.int64)
    n = np.bincount(group[keep], weights=design.freq_weights[keep], minlength=n_groups)
    return np.rint(n).astype(np.int64)


def group_df(design: Design, dom: Domains) -> np.ndarray:
    """Design df of each group's domain (R's ``degf`` on the ``svyby`` subset)."""
    bg = dom.base_group
    if dom.labels is None and (dom.full or ((bg >= 0) | (design.weights == 0)).all()):
        return np.array([float(design.degf())])
    if design.is_replicate:
        return np.array([float(design.degf(rows=bg == g)) for g in range(dom.n_groups)])
    # #PSU - #strata per group in one pass: distinct (unit, group) pairs
    G = dom.n_groups
    rows = (bg >= 0) & (design.weights != 0)
    assert design.structure is not None  # Taylor designs (not replicate) always have one
    st = design.structure.first
    out = np.zeros(G)
    if st.units is not None:  # frequency weights without psu: every unit is a PSU
        out += np.bincount(bg[rows], weights=st.units[rows], minlength=G)
    for codes, sign in ((st.cluster, 1.0), (st.stratum_code, -1.0)):
        if sign > 0 and st.units is not None:
            continue
        size = (int(codes.max()) + 1) * G if len(codes) else 0
        if size <= 4 * len(codes) + 1024:  # count the occupied (unit, group) cells
            cells = np.bincount(codes[rows] * G + bg[rows], minlength=size).reshape(-1, G)
            out += sign * np.count_nonzero(cells, axis=0)
        else:
            pairs = pd.unique(codes[rows] * G + bg[rows])
            out += sign * np.bincount(pairs % G, minlength=G)
    return out


def union_df(design: Design, dom: Domains) -> float | None:
    """Design df of all rows in any group (None without ``by=``)."""
    if dom.labels is None:
        return None
    return float(design.degf(rows=dom.base_group >= 0))


def package(statistic: str, estimate: np.ndarray, vcov: np.ndarray, index: pd.Index,
            dom: Domains, k: int, df: np.ndarray, n_unw: np.ndarray,
            deff: np.ndarray | None = None, ci_df: Any = np.inf,
            overall_df: float | None = None, **extra: Any) -> SurveyResult:
    """Build a :class:`SurveyResult`, blanking groups with missing values (R's NA)."""
    est = np.asarray(estimate, dtype=float).ravel()
    v = np.asarray(vcov, dtype=float)
    bad = np.repeat(dom.failed, k)
    if bad.any():
        est = est.copy()
        est[bad] = np.nan
        v = v.copy()
        v[bad, :] = np.nan
        v[:, bad] = np.nan
        if deff is not None:
            deff = np.where(bad, np.nan, deff)
    df_rows = np.repeat(df, k)
    df_value: float | pd.Series = float(df[0]) if dom.labels is None else pd.Series(df_rows, index=index, name="df")
    if overall_df is None and dom.labels is None:
        overall_df = float(df[0])
    if isinstance(ci_df, np.ndarray):  # per-group df -> per-row, like `df`
        ci_df = float(ci_df[0]) if dom.labels is None else pd.Series(
            np.repeat(ci_df, k), index=index, name="df")
    return SurveyResult(
        estimate=pd.Series(est, index=index, name=statistic),
        vcov=pd.DataFrame(v, index=index, columns=index),
        statistic=statistic,
        df=df_value,
        n_unweighted=pd.Series(np.repeat(n_unw, k).astype(np.int64), index=index, name="n"),
        deff=None if deff is None else pd.Series(deff, index=index, name="deff"),
        ci_df=ci_df,
        overall_df=overall_df,
        **extra,
    )


def srs_variance(x: np.ndarray, w: np.ndarray, group: np.ndarray, n_groups: int,
                 centre: np.ndarray, freq: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted element variance ``n/(n-1) sum w (x - centre)^2 / sum w`` per group (R's ``svyvar``).

    ``n`` counts respondents (``freq``: frequency weights of the rows).
    Returns (variance (G, k), n (G,), N (G,)).
    """
    keep = group >= 0
    g = group[keep]
    n = np.bincount(g, weights=None if freq is None else freq[keep],
                    minlength=n_groups).astype(float)
    big_n = np.bincount(g, weights=w[keep], minlength=n_groups)
    dev = x[keep] - centre[g]
    var = np.empty((n_groups, x.shape[1]))
    for j in range(x.shape[1]):
        var[:, j] = np.bincount(g, weights=w[keep] * dev[:, j] ** 2, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = var / big_n[:, None] * (n / (n - 1))[:, None]
    return var, n, big_n


def deff_factor(kind: str, deff: bool | str, n: np.ndarray, big_n: np.ndarray) -> np.ndarray:
    """Multiplier turning the element variance into R's SRS variance of a mean/total."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if deff == "replace":
            f = 1 / n
        else:
            f = (big_n - n) / (big_n * n)
            if kind == "mean" and (big_n < n).any():
                warnings.warn("sample size greater than population size: are weights correctly "
                              "scaled? (design effect set to NaN)", DataQualityWarning, stacklevel=4)
                f = np.where(big_n < n, np.nan, f)
        if kind != "mean":
            f = f * big_n**2
    return f


def _check_common(by: Any, na_rm: Any, deff: Any) -> None:
    check_argument("deff", DEFF_OPTIONS, deff)
    if not isinstance(na_rm, (bool, np.bool_)):
        raise TypeError(f"`na_rm` must be True or False, not {na_rm!r}")


def mean_core(design: Design, x: np.ndarray, dom: Domains, kind: str = "mean"
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group means (or totals) of ``x`` (n x k, no NaN) and their covariance.

    Returns
    -------
    est : ndarray, shape (G, k)
    vcov : ndarray, shape (G*k, G*k)
        Group-major (row ``g*k + j``), across groups too.
    wsum : ndarray, shape (G,)
        Weighted size of each domain.
    """
    k = x.shape[1]
    G, g, w = dom.n_groups, dom.group, design.weights
    if dom.full and G == 1 and not design.is_replicate:
        # every row in the one domain: no masks, no gathers (the small-survey fixed cost)
        wsum = np.array([np.add.reduce(w)])
        tot = np.einsum("i,ij->j", w, x)[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            est = tot / wsum[:, None] if kind == "mean" else tot
        if kind == "mean":
            values = (x - est[0]) * (w / wsum[0])[:, None]
        else:
            values = x * w[:, None]
        return est, design.vcov_scores(values), wsum
    if dom.full and not design.is_replicate:
        # every row in some group: no masks (the domain-estimate fixed cost)
        wsum = np.bincount(g, weights=w, minlength=G)
        tot = group_sums(x, w, g, G, full=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = tot / wsum[:, None] if kind == "mean" else tot
            if kind == "mean":
                values = (x - est[g]) * (w / wsum[g])[:, None]
            else:
                values = x * w[:, None]
        return est, design._vcov_grouped(values, g, G), wsum
    in_dom = g >= 0
    gi = np.maximum(g, 0)
    wsum = np.bincount(g[in_dom], weights=w[in_dom], minlength=G)
    tot = group_sums(x, w, g, G)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = tot / wsum[:, None] if kind == "mean" else tot
    if design.is_replicate:
        rw = design.repweights
        reps = group_sums(x, rw, g, G)  # (G, k, R)
        if kind == "mean":
            den = group_sums(np.ones((design.n, 1)), rw, g, G)[:, 0, :]
            with np.errstate(divide="ignore", invalid="ignore"):
                reps = reps / den[:, None, :]
        vcov = design.replicate_vcov(reps.reshape(G * k, -1).T, est.ravel())
        return est, vcov, wsum
    centre = est[0] if G == 1 else est[gi]  # broadcasting avoids an n x k gather
    if kind == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(in_dom, w / (wsum[0] if G == 1 else wsum[gi]), 0.0)
        values = (x - centre) * scale[:, None]
    else:
        values = x * np.where(in_dom, w, 0.0)[:, None]
    return est, design._vcov_grouped(values, g, G, domain=in_dom), wsum


def _linear(design: Design, var: str | Sequence[str], by: Any, na_rm: bool,
            deff: bool | str, kind: str) -> SurveyResult:
    """Shared body of :func:`svy_mean` and :func:`svy_total`."""
    _check_common(by, na_rm, deff)
    mat = variable_matrix(design, var)
    dom = domains(design, mat, by, na_rm)
    # nan_to_num copies: only when there is something to replace (NaN, or inf)
    x = mat.x if np.isfinite(mat.x).all() else np.nan_to_num(mat.x, nan=0.0)
    k = x.shape[1]
    est, vcov, wsum = mean_core(design, x, dom, kind)
    g = dom.group
    if dom.full and dom.labels is not None:
        # the groups are cached on the design (see domains): so are their counts and df
        n_unw = design.memo(("unit_counts", id(g)), lambda: unit_counts(design, g, dom.n_groups))
        df = design.memo(("group_df", id(g)), lambda: group_df(design, dom))
    else:
        n_unw = unit_counts(design, g, dom.n_groups)
        df = group_df(design, dom)
    deffs = None
    if deff:
        centre = est if kind == "mean" else est / wsum[:, None]
        var_srs, n, big_n = srs_variance(x, design.weights, g, dom.n_groups, centre,
                                         design.freq_weights)
        vsrs = var_srs * deff_factor(kind, deff, n, big_n)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            deffs = np.diag(vcov) / vsrs.ravel()
    index = result_index(mat.index, dom.labels, mat.scalar)
    return package(kind, est, vcov, index, dom, k, df, n_unw, deffs,
                   overall_df=union_df(design, dom))


def svy_mean(design: Design, var: str | Sequence[str], *, by: Any = None,
             na_rm: bool = False, deff: bool | str = False) -> SurveyResult:
    """Design-based mean; see :meth:`analysis.SurveyDesign.mean`."""
    return _linear(design, var, by, na_rm, deff, "mean")


def svy_total(design: Design, var: str | Sequence[str], *, by: Any = None,
              na_rm: bool = False, deff: bool | str = False) -> SurveyResult:
    """Design-based total; see :meth:`analysis.SurveyDesign.total`."""
    return _linear(design, var, by, na_rm, deff, "total")


def svy_ratio(design: Design, numerator: str | Sequence[str],
              denominator: str | Sequence[str], *, by: Any = None, na_rm: bool = False,
              deff: bool | str = False) -> SurveyResult:
    """Ratio of totals; see :meth:`analysis.SurveyDesign.ratio`."""
    _check_common(by, na_rm, deff)
    num_cols = as_column_list("numerator", numerator)
    den_cols = as_column_list("denominator", denominator)
    check_columns(design.data, num_cols, "numerator")
    check_columns(design.data, den_cols, "denominator")
    mat = variable_matrix(design, num_cols + den_cols, allow_categorical=False,
                          select_all=False)
    dom = domains(design, mat, by, na_rm)
    nn, nd = len(num_cols), len(den_cols)
    x = np.nan_to_num(mat.x, nan=0.0)
    G, g, w = dom.n_groups, dom.group, design.weights
    tot = group_sums(x, w, g, G)  # (G, nn+nd)
    pairs = [(i, j) for i in range(nn) for j in range(nd)]
    k = len(pairs)
    num_t = tot[:, [nn * 0 + i for i, _ in pairs]]
    den_t = tot[:, [nn + j for _, j in pairs]]
    with np.errstate(divide="ignore", invalid="ignore"):
        est = num_t / den_t
    in_dom = g >= 0
    gi = np.maximum(g, 0)
    if design.is_replicate:
        reps = group_sums(x, design.repweights, g, G)
        with np.errstate(divide="ignore", invalid="ignore"):
            rr = reps[:, [i for i, _ in pairs], :] / reps[:, [nn + j for _, j in pairs], :]
        vcov = design.replicate_vcov(rr.reshape(G * k, -1).T, est.ravel())
        values = None
    else:
        y = x[:, [i for i, _ in pairs]]
        d = x[:, [nn + j for _, j in pairs]]
        with np.errstate(divide="ignore", invalid="ignore"):
            values = (y - est[gi] * d) / den_t[gi]
        values = values * np.where(in_dom, w, 0.0)[:, None]
        values[~in_dom] = 0.0
        vcov = design._vcov_grouped(values, g, G, domain=in_dom)
    deffs = None
    if deff:
        y = x[:, [i for i, _ in pairs]]
        d = x[:, [nn + j for _, j in pairs]]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (y - est[gi] * d) / den_t[gi]
        var, n, big_n = srs_variance(r, w, g, G, np.zeros((G, k)), design.freq_weights)
        vsrs = var * deff_factor("total", deff, n, big_n)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            deffs = np.diag(vcov) / vsrs.ravel()
    labels = pd.Index([f"{num_cols[i]}/{den_cols[j]}" for i, j in pairs])
    index = result_index(labels, dom.labels, k == 1)
    n_unw = unit_counts(design, g, G)
    return package("ratio", est, vcov, index, dom, k, group_df(design, dom), n_unw, deffs,
                   overall_df=union_df(design, dom))


# --------------------------------------------------------------------------- proportions

PROPORTION_METHODS = ("logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson")


def _binary(design: Design, var: str, level: Any) -> VariableMatrix:
    """0/1 indicator column(s) for a proportion; one per level when ``level`` is None."""
    if not isinstance(var, str):
        raise TypeError(f"`var` must be one column name, not {var!r}")
    check_columns(design.data, [var], "var")
    s = design.data[var]
    if _is_categorical(s) and not _is_boolean(s):
        codes, levels = category_codes(s)
        if level is None:
            return variable_matrix(design, var)
        if level not in set(levels):
            raise DesignError(f"level {level!r} is not a level of {var!r}", column=var,
                              level=level, hint=f"levels are {list(levels)}")
        x = (codes == levels.get_loc(level)).astype(float)
        x[codes < 0] = np.nan
        return VariableMatrix(x=x[:, None], missing=codes < 0,
                              index=pd.Index([level], name=var), scalar=True)
    x = numeric_values(s)
    bad = ~np.isnan(x) & (x != 0) & (x != 1)
    if bad.any():
        raise DesignError(f"column {var!r} is not binary (values other than 0/1)", column=var,
                          row=format_rows(design.data.index[bad]),
                          hint="pass a boolean or 0/1 column, or a categorical with level=")
    return VariableMatrix(x=x[:, None], missing=np.isnan(x), index=pd.Index([var]), scalar=True)


def svy_proportion(design: Design, var: str, *, level: Any = None, method: str = "logit",
                   by: Any = None, na_rm: bool = False, conf_level: float = 0.95,
                   df: float | None = None) -> SurveyResult:
    """Proportion with a ``svyciprop`` interval; see :meth:`analysis.SurveyDesign.proportion`."""
    check_argument("method", PROPORTION_METHODS, method)
    check_probability("conf_level", conf_level)
    _check_common(by, na_rm, False)
    if method == "likelihood" and design.is_replicate:
        raise DesignError("method='likelihood' is available for Taylor designs only",
                          hint="use method='logit' or 'beta' on a replicate design")
    mat = _binary(design, var, level)
    dom = domains(design, mat, by, na_rm)
    x = np.nan_to_num(mat.x, nan=0.0)
    k, G = x.shape[1], dom.n_groups
    est, vcov, _ = mean_core(design, x, dom, "mean")
    g, w = dom.group, design.weights
    bg = dom.base_group
    base_rows = unit_counts(design, bg, G)  # respondents, as on expanded rows
    design_df = group_df(design, dom)
    use_df = design_df if df is None else np.full(G, float(df))
    p = est.ravel().copy()
    var_p = np.diag(vcov).copy()
    rep_df, rep_dd = np.repeat(use_df, k), np.repeat(design_df, k)
    rep_rows = np.repeat(base_rows, k).astype(float)
    fits: dict[int, _iv.LogitFit] = {}
    coef_var = None
    if method in ("logit", "likelihood"):
        # svyglm(y ~ 1, quasibinomial) per domain: IRLS fit of the log-odds
        base_mean = np.bincount(bg[bg >= 0], weights=w[bg >= 0], minlength=G) \
            / np.maximum(base_rows, 1)
        values = np.zeros_like(x)
        for gg in range(G):  # a handful of domains x levels
            rows = g == gg
            for j in range(k):
                if dom.failed[gg] or not rows.any():
                    continue
                fit = _iv.logit_fit(x[rows, j], w[rows] / base_mean[gg],
                                    freq=design.freq_weights[rows])
                fits[gg * k + j] = fit
                values[rows, j] = fit.working * fit.naive * (x[rows, j] - fit.mu) \
                    / (fit.mu * (1 - fit.mu))
                p[gg * k + j] = fit.mu
        if design.is_replicate:
            rw = design.repweights
            with np.errstate(divide="ignore", invalid="ignore"):
                p_reps = group_sums(x, rw, g, G) / group_sums(np.ones((design.n, 1)), rw, g, G)
            beta0 = np.array([fits[i].beta if i in fits else np.nan for i in range(G * k)])
            b_reps = _iv.logit_reps(p_reps.reshape(G * k, -1).T, beta0)
            coef_var = np.diag(design.replicate_vcov(b_reps, beta0))
        else:
            coef_var = np.diag(design._vcov_grouped(values, g, G, domain=g >= 0))

    def interval(lev: float) -> tuple[np.ndarray, np.ndarray]:
        if method not in ("logit", "likelihood"):
            return _iv.prop_interval(method, p, var_p, rep_df, rep_rows, rep_dd, lev)
        if method == "logit":
            return _iv.prop_interval("logit", p, var_p, rep_df, rep_rows, rep_dd, lev, coef_var)
        if coef_var is None:  # the logit fits above set it for method='likelihood'
            raise IntervalError("likelihood interval asked for without the logit fits' variance",
                                hint="report this as a bug in analysis.estimate.descriptive")
        lo, hi = np.full(G * k, np.nan), np.full(G * k, np.nan)
        for i, fit in fits.items():
            rows = g == i // k
            lo[i], hi[i] = _iv.likelihood_interval(fit, x[rows, i % k], w[rows], coef_var[i],
                                                rep_df[i], lev,
                                                n=design.freq_weights[rows].sum())
        return lo, hi

    n_unw = unit_counts(design, g, G)
    index = result_index(mat.index, dom.labels, mat.scalar)
    res = package("proportion", p, vcov, index, dom, k, design_df, n_unw, ci_df=use_df,
                  method=method, overall_df=union_df(design, dom))
    cache = {conf_level: interval(conf_level)}

    def cached(lev: float) -> tuple[np.ndarray, np.ndarray]:
        if lev not in cache:
            cache[lev] = interval(lev)
        lo, hi = cache[lev]
        bad = np.repeat(dom.failed, k)
        return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)

    return replace(res, interval=cached)
