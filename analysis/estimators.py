"""Means, totals and ratios on a :class:`~analysis.SurveyDesign` (R's ``svymean``,
``svytotal``, ``svyratio``, ``svyby``).

Every estimator follows one recipe: turn the variable(s) into an n x k matrix
(one column per level for categoricals), mark the domain (group, non-missing,
asked), compute per-group weighted sums with ``np.bincount``, and get the
covariance from the design's linearised scores (Taylor designs) or from the
estimates recomputed with each replicate weight (replicate designs).
Proportions and quantiles live in :mod:`analysis._intervals`-style helpers in
:mod:`analysis.estimators_ci`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from ._validation import as_column_list, check_argument, check_columns
from .errors import DataQualityWarning, DesignError
from .results import SurveyResult

if TYPE_CHECKING:
    from .design import SurveyDesign

__all__ = [
    "VariableMatrix",
    "Domains",
    "variable_matrix",
    "domains",
    "group_sums",
    "svy_mean",
    "svy_total",
    "svy_ratio",
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
    codes, levels = pd.factorize(s, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), pd.Index(levels)


def _multi_choice_columns(design: SurveyDesign, name: str) -> tuple[list[str], list[str]] | None:
    """Option columns and keys of codebook multi-choice question ``name``, if it is one."""
    if "codebook_json" not in design.data.attrs:
        return None
    from .codebook import Codebook

    cb = Codebook.from_frame(design.data)
    try:
        q = cb.question(name)
    except Exception:  # not a question id: let the column check report it
        return None
    if q.type != "multiple":
        return None
    cols = [c for c in q.columns() if not c.endswith("_other_text")]
    keys = [c[len(name) + 1:] for c in cols]
    return cols, keys


def variable_matrix(design: SurveyDesign, var: str | Sequence[str], *,
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

    @property
    def rows(self) -> np.ndarray:
        return self.group >= 0


def by_codes(design: SurveyDesign, by: str | Sequence[str], usable: np.ndarray
             ) -> tuple[np.ndarray, pd.Index]:
    """Group code per row (-1: NA group or unusable row) and sorted group labels."""
    cols = as_column_list("by", by)
    check_columns(design.data, cols, "by")
    key = np.zeros(design.n, dtype=np.int64)
    valid = usable.copy()
    level_lists = []
    for c in cols:
        codes, levels = category_codes(design.data[c])
        valid &= codes >= 0
        key = key * max(len(levels), 1) + np.where(codes >= 0, codes, 0)
        level_lists.append(levels)
    present = np.unique(key[valid])
    group = np.full(design.n, -1, dtype=np.int64)
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


def domains(design: SurveyDesign, mat: VariableMatrix, by: str | Sequence[str] | None,
            na_rm: bool) -> Domains:
    """Domain rows and groups for an estimate (R's ``svyby`` + ``na.rm`` semantics)."""
    usable = design.weights > 0
    if mat.asked is not None:
        usable = usable & mat.asked
    if by is None:
        group = np.where(usable, 0, -1).astype(np.int64)
        labels = None
        n_groups = 1
    else:
        group, labels = by_codes(design, by, usable)
        n_groups = len(labels)
    base_group = group
    missing_in = (group >= 0) & mat.missing
    failed = np.zeros(n_groups, dtype=bool)
    if missing_in.any():
        if na_rm:
            group = np.where(missing_in, -1, group)
        else:
            failed = np.bincount(group[missing_in], minlength=n_groups) > 0
    return Domains(group=group, n_groups=n_groups, labels=labels, base_group=base_group,
                   failed=failed)


def group_sums(values: np.ndarray, weights: np.ndarray, group: np.ndarray, n_groups: int
               ) -> np.ndarray:
    """``sum_i w_i x_ij`` per group: (G, k) for 1-D weights, (G, k, R) for (n, R) weights."""
    keep = group >= 0
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


def group_df(design: SurveyDesign, dom: Domains) -> np.ndarray:
    """Design df of each group's domain (R's ``degf`` on the ``svyby`` subset)."""
    bg = dom.base_group
    if dom.labels is None and ((bg >= 0) | (design.weights == 0)).all():
        return np.array([float(design.degf())])
    return np.array([float(design.degf(rows=bg == g)) for g in range(dom.n_groups)])


def package(statistic: str, estimate: np.ndarray, vcov: np.ndarray, index: pd.Index,
            dom: Domains, k: int, df: np.ndarray, n_unw: np.ndarray,
            deff: np.ndarray | None = None, ci_df: Any = np.inf, **extra: Any) -> SurveyResult:
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
    return SurveyResult(
        estimate=pd.Series(est, index=index, name=statistic),
        vcov=pd.DataFrame(v, index=index, columns=index),
        statistic=statistic,
        df=df_value,
        n_unweighted=pd.Series(np.repeat(n_unw, k).astype(np.int64), index=index, name="n"),
        deff=None if deff is None else pd.Series(deff, index=index, name="deff"),
        ci_df=ci_df,
        **extra,
    )


def srs_variance(x: np.ndarray, w: np.ndarray, group: np.ndarray, n_groups: int,
                 centre: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted element variance ``n/(n-1) sum w (x - centre)^2 / sum w`` per group (R's ``svyvar``).

    Returns (variance (G, k), n (G,), N (G,)).
    """
    keep = group >= 0
    g = group[keep]
    n = np.bincount(g, minlength=n_groups).astype(float)
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


def _linear(design: SurveyDesign, var: str | Sequence[str], by: Any, na_rm: bool,
            deff: bool | str, kind: str) -> SurveyResult:
    """Shared body of :func:`svy_mean` and :func:`svy_total`."""
    _check_common(by, na_rm, deff)
    mat = variable_matrix(design, var)
    dom = domains(design, mat, by, na_rm)
    x = np.nan_to_num(mat.x, nan=0.0)
    k = x.shape[1]
    G = dom.n_groups
    g = dom.group
    w = design.weights
    wsum = np.bincount(g[g >= 0], weights=w[g >= 0], minlength=G)
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
        theta_reps = reps.reshape(G * k, -1).T
        vcov = design.replicate_vcov(theta_reps, est.ravel())
    else:
        in_dom = g >= 0
        if kind == "mean":
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.where(in_dom, w / wsum[np.maximum(g, 0)], 0.0)
            values = (x - est[np.maximum(g, 0)]) * scale[:, None]
        else:
            values = x * np.where(in_dom, w, 0.0)[:, None]
        values[~in_dom] = 0.0
        vcov = design._vcov_grouped(values, g, G, domain=in_dom)
    n_unw = np.bincount(g[g >= 0], minlength=G)
    deffs = None
    if deff:
        centre = est if kind == "mean" else tot / wsum[:, None]
        var, n, big_n = srs_variance(x, w, g, G, centre)
        vsrs = var * deff_factor(kind, deff, n, big_n)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            deffs = np.diag(vcov) / vsrs.ravel()
    index = result_index(mat.index, dom.labels, mat.scalar)
    return package(kind, est, vcov, index, dom, k, group_df(design, dom), n_unw, deffs)


def svy_mean(design: SurveyDesign, var: str | Sequence[str], *, by: Any = None,
             na_rm: bool = False, deff: bool | str = False) -> SurveyResult:
    """Design-based mean; see :meth:`analysis.SurveyDesign.mean`."""
    return _linear(design, var, by, na_rm, deff, "mean")


def svy_total(design: SurveyDesign, var: str | Sequence[str], *, by: Any = None,
              na_rm: bool = False, deff: bool | str = False) -> SurveyResult:
    """Design-based total; see :meth:`analysis.SurveyDesign.total`."""
    return _linear(design, var, by, na_rm, deff, "total")


def svy_ratio(design: SurveyDesign, numerator: str | Sequence[str],
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
        var, n, big_n = srs_variance(r, w, g, G, np.zeros((G, k)))
        vsrs = var * deff_factor("total", deff, n, big_n)[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            deffs = np.diag(vcov) / vsrs.ravel()
    labels = pd.Index([f"{num_cols[i]}/{den_cols[j]}" for i, j in pairs])
    index = result_index(labels, dom.labels, k == 1)
    n_unw = np.bincount(g[in_dom], minlength=G)
    return package("ratio", est, vcov, index, dom, k, group_df(design, dom), n_unw, deffs)
