"""Variables and domains of the descriptive estimators (R's ``svyby`` + ``na.rm``).

:func:`variable_matrix` turns column(s) or a multi-choice question into an
n x k float matrix (:class:`VariableMatrix`, categoricals one-hot);
:func:`domains` marks which rows each estimate uses (:class:`Domains`: group,
non-missing, asked); :func:`group_sums` gives the per-group weighted sums, and
:func:`group_df` / :func:`union_df` / :func:`unit_counts` the degrees of freedom
and respondent counts of each group.  The estimators themselves are in
:mod:`.descriptive`, :mod:`.quantiles` and :mod:`.variance_est`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from .._validation import as_column_list, check_columns
from ..errors import CodebookError, DesignError

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["VariableMatrix", "Domains", "variable_matrix", "domains", "group_sums"]


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
    finite : bool
        Every value is known to be finite (integer or boolean columns), so
        estimators need not look for NaN.
    """

    x: np.ndarray
    missing: np.ndarray
    index: pd.Index
    asked: np.ndarray | None = None
    scalar: bool = False
    finite: bool = False


def is_categorical(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s.dtype) \
        or pd.api.types.is_string_dtype(s.dtype)


def is_boolean(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s.dtype)


def numeric_values(s: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for NA (nullable Int64/Float64/boolean handled)."""
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf":
        # numpy storage has no NA but NaN: a plain conversion (no copy of float64)
        return np.asarray(s, dtype="float64")
    if is_categorical(s) and not is_boolean(s):
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
            levels = pd.Index(present.astype(s.dtype, copy=False))
            if len(present) == hi + 1:  # every value 0..hi occurs: each is its own code
                return values.astype(np.int64), levels
            rank = np.full(hi + 1, -1, dtype=np.int64)
            rank[present] = np.arange(len(present))
            return rank[values], levels
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
    """Resolve ``var`` (column(s) or a multi-choice question id) to a :class:`VariableMatrix`.

    Parameters
    ----------
    design : Design
        The design holding the columns (and codebook).
    var : str or list of str
        Column name(s) or a codebook multiple-choice question id.
    allow_categorical : bool
        One-hot categorical columns; False raises ``TypeError`` on them.
    select_all : bool
        Read two or more boolean columns as one select-all question.

    Returns
    -------
    VariableMatrix
        The values, missing rows, estimate labels and base.
    """
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
    series = [data[c] for c in cols]  # each looked up once (a frame lookup is not free)
    if select_all and len(cols) > 1 and all(is_boolean(s) for s in series):
        return _select_all(data, cols, pd.Index(cols, name="option"))
    blocks: list[np.ndarray] = []
    labels: list[tuple[str, Any]] = []
    any_cat = False
    # integer and boolean numpy columns hold no NaN: no scan for missing values
    finite = all(isinstance(s.dtype, np.dtype) and s.dtype.kind in "biu" for s in series)
    for c, s in zip(cols, series, strict=True):
        if is_categorical(s) and not is_boolean(s):
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
    if finite:
        missing = np.zeros(x.shape[0], dtype=bool)
    else:
        missing = np.isnan(x[:, 0]) if x.shape[1] == 1 else np.isnan(x).any(axis=1)
    if len(cols) == 1:
        if any_cat:
            index = pd.Index([lev for _, lev in labels], name=cols[0])
        else:  # the same label every time: built once per design (an Index is immutable)
            index = design.memo(("variable_index", cols[0]), lambda: pd.Index(cols))
    elif any_cat:
        index = pd.MultiIndex.from_tuples([(c, "" if lev is None else lev) for c, lev in labels],
                                          names=["variable", "level"])
    else:
        index = pd.Index(cols)
    return VariableMatrix(x=x, missing=missing, index=index,
                          scalar=len(cols) == 1 and not any_cat, finite=finite)


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
        Number of groups (1 without ``by=``).
    labels : Index or None
        Group labels (None without ``by=``).
    base_group : ndarray of int64
        Group codes before removing missing values (R's ``degf`` counts them).
    failed : ndarray of bool, shape (n_groups,)
        Groups with a missing value and ``na_rm=False`` (estimate NaN).
    full : bool
        Every row is in a domain, so estimators skip the masking.
    """

    group: np.ndarray
    n_groups: int
    labels: pd.Index | None
    base_group: np.ndarray
    failed: np.ndarray
    full: bool = False  # one domain holding every row: estimators skip the masking

    @property
    def rows(self) -> np.ndarray:
        """Rows in some domain (boolean mask)."""
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


def _every_level_used(codes: np.ndarray, valid: np.ndarray, levels: pd.Index,
                      column: pd.Series) -> bool:
    """Every row has a level and every level a row.

    Only a categorical's levels need counting: it may carry unused categories,
    while other columns' levels are the values found (:func:`category_codes`).
    """
    if not codes.size or not valid.all():
        return False
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return True
    return int(np.count_nonzero(np.bincount(codes, minlength=len(levels)))) == len(levels)


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
    if len(cols) == 1 and usable is design.positive_rows and design.all_positive \
            and design.memo(("by_valid", ident), lambda: _every_level_used(
                key, valid0, level_lists[0], design.data[cols[0]])):
        # every row in a group: the column's codes (ranks of the levels present) are the groups
        design.memo_on(key, "all_grouped", lambda: True)
        return key, pd.Index(level_lists[0], name=cols[0])
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
    """Domain rows and groups for an estimate (R's ``svyby`` + ``na.rm`` semantics).

    Parameters
    ----------
    design : Design
        The design (rows of zero weight are in no domain).
    mat : VariableMatrix
        The variables, whose missing rows and base shape the domains.
    by : str or list of str or None
        Grouping column(s).
    na_rm : bool
        Drop rows with a missing value from their domain instead of failing it.

    Returns
    -------
    Domains
        Group code of every row and the failed groups.
    """
    positive = design.positive_rows
    usable = positive if mat.asked is None else positive & mat.asked
    if by is None:
        if (design.all_positive if usable is positive else usable.all()) \
                and not mat.missing.any():
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
        full = bool(design.memo_on(group, "all_grouped", lambda: group.min() >= 0)) \
            if usable is positive and by is not None and len(group) else False
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
    """Sum ``w_i x_ij`` per group: (G, k) for 1-D weights, (G, k, R) for (n, R) weights.

    Parameters
    ----------
    values : ndarray, shape (n, k)
        Values without NaN.
    weights : ndarray, shape (n,) or (n, R)
        Weights, or replicate weights.
    group : ndarray of int64, shape (n,)
        Group code of each row; -1 outside every group.
    n_groups : int
        Number of groups.
    full : bool
        Every row is in a group (no -1), so nothing is masked or copied.

    Returns
    -------
    ndarray
        Weighted sums, shape (G, k) or (G, k, R).
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



# --------------------------------------------------------------------------- group counts and df

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


def _cell_counts(design: Design, dom: Domains) -> np.ndarray | None:
    """Rows per (first-stage cluster, group) cell, (C, G), when every row is in a group.

    One count of the kept :meth:`~analysis.design.core.Design.cluster_cells`
    serves the groups' respondent counts and their df.  ``None`` when it does
    not apply (masked rows, replicate designs, frequency weights, too many cells).
    """
    st = None if design.structure is None else design.structure.first
    G = dom.n_groups
    if (st is None or not dom.full or dom.labels is None or design.is_replicate
            or not design.all_positive or design.freq_weight_column is not None
            or st.n_clusters * G > 4 * design.n + 1024):
        return None
    cells = design.cluster_cells(dom.group, G)[0]
    return design.memo_on(dom.group, "cell_counts", lambda: np.bincount(
        cells, minlength=st.n_clusters * G).reshape(st.n_clusters, G))


def unit_counts(design: Design, group: np.ndarray, n_groups: int,
                dom: Domains | None = None) -> np.ndarray:
    """Respondents per group: rows, or the sum of their frequency weights.

    ``dom``: the domains ``group`` comes from, when known (their kept cell
    counts then give the answer without an n-row pass).
    """
    if design.freq_weight_column is None and n_groups == 1 and len(group) and \
            group[0] == 0 and group[-1] == 0 and not group.any():
        return np.array([len(group)], dtype=np.int64)  # one domain of every row
    cells = None if dom is None or dom.group is not group else _cell_counts(design, dom)
    if cells is not None:
        return cells.sum(axis=0).astype(np.int64)
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
    assert design.structure is not None  # Taylor designs (not replicate) always have one
    st = design.structure.first
    counts = _cell_counts(design, dom) if dom.base_group is dom.group else None
    if counts is not None:
        # PSUs with a row in the group, minus strata with such a PSU (from the C x G counts)
        occupied = counts > 0
        h = np.repeat(st.cluster_stratum * G, G) + np.tile(np.arange(G), st.n_clusters)
        strata = np.bincount(h, weights=occupied.ravel(), minlength=st.n_strata * G)
        return (np.count_nonzero(occupied, axis=0)
                - np.count_nonzero(strata.reshape(st.n_strata, G), axis=0)).astype(float)
    rows = (bg >= 0) & (design.weights != 0)
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
    if dom.full and dom.base_group is dom.group and design.all_positive:
        return float(design.degf())  # every row is in some group
    return float(design.degf(rows=dom.base_group >= 0))
