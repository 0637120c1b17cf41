"""Taylor-linearisation and replicate variance, matching R ``survey`` 4.1.

The design structure is factorised once (:func:`build_structure`): for each
sampling stage, integer codes of the clusters and strata of every row, the
number of sampled clusters per stratum and its population size.  The variance
of a set of weighted score totals is then a handful of ``np.bincount`` calls
per stage (:func:`taylor_vcov`), never a Python loop over rows or PSUs.

The formulas follow ``survey:::svyrecvar`` / ``multistage`` / ``onestage`` /
``onestrat`` (R survey 4.1.1) with ``options(survey.ultimate.cluster=FALSE,
survey.adjust.domain.lonely=FALSE)``, the package defaults:

* stage ``s`` contributes ``sum_h f_h n_h/(n_h-1) sum_c (T_c - mean_h T)^2``
  where ``f_h = (N_h - n_h)/N_h`` (1 without fpc) and ``T_c`` are cluster totals;
* a later stage is added inside each sampled unit of the previous stage and
  multiplied by the product of the sampling fractions ``n/N`` above it, so it
  vanishes without fpc (R's ultimate-cluster variance);
* frequency weights without PSUs make each row ``f`` identical units of the
  single stage: ``n_h`` counts units and the sum of squares runs over them
  (``sum_i f_i (T_i / f_i - mean_h T)^2``), which is the variance of the
  expanded rows;
* strata with a single PSU follow the ``lonely_psu`` rule (``"adjust"`` centres
  at zero, ``"average"`` rescales by ``#strata/#strata with >1 PSU``,
  ``"certainty"``/``"remove"`` contribute nothing, ``"fail"`` raises).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .._validation import format_rows
from ..errors import (
    DataQualityWarning,
    DesignError,
    LonelyPSUError,
    LonelyPSUWarning,
    WeightError,
)

__all__ = [
    "LONELY_PSU_RULES",
    "Stage",
    "DesignStructure",
    "build_structure",
    "fpc_weights",
    "freq_counts",
    "warn_if_counts",
    "taylor_vcov",
    "svr_vcov",
    "replicate_degf",
]

LONELY_PSU_RULES = ("fail", "remove", "adjust", "average", "certainty")

# R treats a stratum as censused (no variance) when every f < 1e-7.
_CENSUS_TOL = 1e-7
# Above this many cells a by-group cluster-total matrix is kept sparse.
_DENSE_CELLS = 8_000_000


@dataclass(frozen=True, eq=False)
class Stage:
    """Factorised structure of one sampling stage.

    Attributes
    ----------
    cluster : ndarray of int64, shape (n,)
        Cluster code of every row (``0 .. n_clusters-1``), unique over the design.
    identity : bool
        Whether ``cluster`` is ``arange(n)`` (each row is its own PSU).
    cluster_stratum : ndarray of int64, shape (n_clusters,)
        Stratum code of every cluster.
    n_psu : ndarray of int64, shape (n_strata,)
        Sampled clusters per stratum (R's ``fpc$sampsize``).
    popsize : ndarray of float, shape (n_strata,)
        Population clusters per stratum (``inf`` without fpc).
    parent : ndarray of int64, shape (n_strata,)
        Code of the previous-stage cluster holding the stratum (0 at stage 1).
    multiplier : ndarray of float, shape (n_strata,)
        Product of the sampling fractions of the enclosing units.
    first_row : ndarray of int64, shape (n_strata,)
        First row of each stratum, used to name it in messages.
    stratum_code : ndarray of int64, shape (n,)
        Stratum code of every row.
    units : ndarray of float, shape (n_clusters,), optional
        Frequency weights of a stage whose rows are its units: row ``c``
        stands for ``units[c]`` identical units, so ``n_psu`` counts units and
        the variance sums over them (``None``: one unit per cluster).
    """

    cluster: np.ndarray
    identity: bool
    cluster_stratum: np.ndarray
    n_psu: np.ndarray
    popsize: np.ndarray
    parent: np.ndarray
    multiplier: np.ndarray
    first_row: np.ndarray
    stratum_code: np.ndarray = field(repr=False)
    units: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_clusters(self) -> int:
        """Number of sampled clusters of the stage."""
        return int(self.cluster_stratum.shape[0])

    @property
    def n_strata(self) -> int:
        """Number of strata of the stage."""
        return int(self.n_psu.shape[0])

    @property
    def f(self) -> np.ndarray:
        """Finite-population factor ``(N - n)/N`` per stratum (1 without fpc)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(np.isinf(self.popsize), 1.0,
                         (self.popsize - self.n_psu) / self.popsize)
        return f

    def count_clusters(self, rows: np.ndarray) -> int:
        """Count sampled clusters (units, with frequency weights) holding any of ``rows``.

        Parameters
        ----------
        rows : ndarray of bool or int
            Rows to look at.

        Returns
        -------
        int
            Clusters with at least one of ``rows``.
        """
        if self.units is not None:  # each row is a cluster of units[row] units
            return int(round(float(self.units[rows].sum())))
        return int(np.count_nonzero(np.bincount(self.cluster[rows], minlength=self.n_clusters)))

    @property
    def lonely(self) -> np.ndarray:
        """Strata with one sampled PSU that are not censused."""
        return (self.n_psu == 1) & (self.f >= _CENSUS_TOL)


@dataclass(frozen=True, eq=False)
class DesignStructure:
    """All stages of a design plus stage-1 labels for messages and ``degf``.

    Attributes
    ----------
    stages : tuple of Stage
        One per sampling stage, first stage first.
    n : int
        Number of rows.
    stratum_labels : ndarray
        Label of each first-stage stratum.
    has_strata : bool
        Whether strata were given.
    has_fpc : bool
        Whether a finite-population correction was given.
    """

    stages: tuple[Stage, ...]
    n: int
    stratum_labels: np.ndarray
    has_strata: bool
    has_fpc: bool

    @property
    def first(self) -> Stage:
        """The first sampling stage."""
        return self.stages[0]


def _factorize(values: pd.Series | np.ndarray, what: str, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (first-appearance order) and levels; NA raises DesignError."""
    codes, levels = pd.factorize(values, sort=False, use_na_sentinel=True)
    bad = codes < 0
    if bad.any():
        raise DesignError(
            f"{what} has {int(bad.sum())} missing value(s)",
            column=what if isinstance(what, str) else None,
            row=format_rows(index[bad]),
            hint="fill or drop these rows before building the design",
        )
    return codes.astype(np.int64, copy=False), np.asarray(levels, dtype=object)


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the pairs ``(a, b)`` in first-appearance order."""
    nb = int(b.max()) + 1 if b.size else 1
    codes, _ = pd.factorize(a * nb + b, sort=False)
    return codes.astype(np.int64, copy=False)


def _first_rows(codes: np.ndarray, k: int) -> np.ndarray:
    """Index of the first row carrying each code ``0..k-1``."""
    new = ~pd.Series(codes).duplicated().to_numpy()
    first = np.full(k, codes.shape[0], dtype=np.int64)
    first[codes[new]] = np.nonzero(new)[0]
    return first


def _fpc_matrix(data: pd.DataFrame, fpc_cols: Sequence[str], n_stages: int) -> np.ndarray | None:
    """Raw fpc values (n x stages); later stages without fpc are infinite."""
    if not fpc_cols:
        return None
    if len(fpc_cols) > n_stages:
        raise DesignError(
            f"{len(fpc_cols)} fpc column(s) given for {n_stages} sampling stage(s)",
            column=fpc_cols[-1],
            hint="give at most one fpc column per psu column",
        )
    out = np.full((len(data), n_stages), np.inf)
    for j, col in enumerate(fpc_cols):
        v = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            raise DesignError(
                f"fpc column {col!r} has {int(bad.sum())} missing, infinite or non-positive value(s)",
                column=col, row=format_rows(data.index[bad]),
                hint="fpc holds the population number of PSUs (> 1) or the sampling fraction (0 < f <= 1)",
            )
        out[:, j] = v
    given = out[:, : len(fpc_cols)]
    is_count = bool((given > 1).any())
    if is_count and not bool((given >= 1).all()):
        rows = np.nonzero((given < 1).any(axis=1))[0]
        raise DesignError(
            "fpc mixes population counts (> 1) and sampling fractions (< 1)",
            column=list(fpc_cols)[0], row=format_rows(data.index[rows]),
            hint="use either counts of population PSUs or sampling fractions throughout",
        )
    if not is_count:
        out[:, : len(fpc_cols)] = -given  # negative marks a fraction; resolved per stratum
    return out


def build_structure(
    data: pd.DataFrame,
    *,
    strata: Sequence[str],
    psu: Sequence[str],
    fpc: Sequence[str],
    nest: bool,
    lonely_psu: str,
    freq: np.ndarray | None = None,
) -> DesignStructure:
    """Factorise strata/PSU/fpc columns into per-stage codes (R's ``svydesign``).

    Parameters
    ----------
    data : DataFrame
        The survey frame.
    strata, psu, fpc : sequence of str
        Column names per stage (``psu`` empty: each row is a PSU).
    nest : bool
        Whether PSU ids repeat across strata (R's ``nest=TRUE``).
    lonely_psu : str
        One of :data:`LONELY_PSU_RULES`; ``"fail"`` raises on a lonely PSU and
        the other rules warn once.
    freq : ndarray, shape (n,), optional
        Frequency weights (whole numbers >= 1): row ``i`` stands for
        ``freq[i]`` identical respondents.  Without ``psu`` they are the units
        of the single stage (``n_psu`` per stratum is ``sum(freq)``); with
        ``psu`` the copies stay in their row's cluster and change nothing here.

    Returns
    -------
    DesignStructure
        Per-stage codes, PSU counts, population sizes and multipliers.

    Raises
    ------
    DesignError
        Missing strata/PSU/fpc values, PSUs not nested in strata, fpc below the
        sample size or varying within a stratum.
    LonelyPSUError
        A stratum with one PSU under ``lonely_psu="fail"``.
    """
    n = len(data)
    index = data.index
    n_stages = max(1, len(psu))
    fpcm = _fpc_matrix(data, fpc, n_stages)

    strata_codes = [_factorize(data[c], c, index) for c in strata]
    has_strata = bool(strata)
    if has_strata:
        s1, s1_levels = strata_codes[0]
    else:
        s1, s1_levels = np.zeros(n, dtype=np.int64), np.array([None], dtype=object)

    stages: list[Stage] = []
    prev_cluster = np.zeros(n, dtype=np.int64)
    prev_mult_row = np.ones(n)
    for i in range(n_stages):
        # stage-i strata: the stratum column (last one reused) within the parent unit
        if i == 0:
            stratum = s1
        else:
            col_codes = strata_codes[min(i, len(strata) - 1)][0] if has_strata else np.zeros(n, np.int64)
            stratum = _combine(prev_cluster, col_codes)
        identity = False
        if psu:
            ids, _ = _factorize(data[psu[i]], psu[i], index)
            if i > 0:
                ids = _combine(prev_cluster, ids)
            if nest and has_strata:
                for j in range(min(i + 1, len(strata))):
                    ids = _combine(strata_codes[j][0], ids)
            cluster = pd.factorize(ids, sort=False)[0].astype(np.int64, copy=False)
        else:
            cluster = np.arange(n, dtype=np.int64)
            identity = True
        n_clusters = int(cluster.max()) + 1 if n else 0
        n_strata = int(stratum.max()) + 1 if n else 0
        first_c = _first_rows(cluster, n_clusters)
        cluster_stratum = stratum[first_c]
        split = cluster_stratum[cluster] != stratum
        if split.any():
            col = psu[i] if psu else None
            rows = np.nonzero(split)[0]
            msg = ("PSUs are not nested in strata at the top level" if i == 0
                   else f"clusters are not nested in strata at stage {i + 1}")
            raise DesignError(
                msg, column=col, row=format_rows(index[rows]),
                hint="pass nest=True if PSU ids repeat across strata" if i == 0
                else "make stage ids unique within their stratum",
            )
        units = freq if (identity and freq is not None) else None
        n_psu = np.bincount(cluster_stratum, weights=units, minlength=n_strata)
        n_psu = np.rint(n_psu).astype(np.int64)
        first_h = _first_rows(stratum, n_strata)
        popsize = np.full(n_strata, np.inf)
        if fpcm is not None and np.isfinite(fpcm[:, i]).any():
            raw = fpcm[:, i]
            first_raw = raw[first_h]
            varies = raw != first_raw[stratum]
            if varies.any():
                h = int(stratum[np.nonzero(varies)[0][0]])
                raise DesignError(
                    f"fpc varies within a stratum at stage {i + 1}",
                    column=fpc[i], stratum=_label(s1_levels, s1, first_h, h, i, data, psu),
                    row=format_rows(index[varies]),
                    hint="fpc must be constant within each stratum",
                )
            popsize = np.where(first_raw < 0, n_psu / -first_raw, first_raw)
            over = popsize < n_psu * (1 - 1e-12)
            if over.any():
                h = int(np.nonzero(over)[0][0])
                raise DesignError(
                    f"fpc implies more than 100% sampling at stage {i + 1}: "
                    f"{n_psu[h]} PSUs sampled but population size {popsize[h]:g}",
                    column=fpc[i], stratum=_label(s1_levels, s1, first_h, h, i, data, psu),
                    hint="fpc is the population number of PSUs in the stratum (or the sampling fraction)",
                )
        parent = prev_cluster[first_h]
        multiplier = prev_mult_row[first_h]
        stages.append(Stage(cluster=cluster, identity=identity, cluster_stratum=cluster_stratum,
                            n_psu=n_psu, popsize=popsize, parent=parent, multiplier=multiplier,
                            first_row=first_h, stratum_code=stratum,
                            units=None if units is None else np.asarray(units, dtype="float64")))
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(np.isinf(popsize), 0.0, n_psu / popsize)
        prev_mult_row = prev_mult_row * frac[stratum]
        prev_cluster = cluster

    structure = DesignStructure(stages=tuple(stages), n=n, stratum_labels=s1_levels,
                                has_strata=has_strata, has_fpc=fpcm is not None)
    _check_lonely(structure, lonely_psu, data, psu, strata)
    return structure


def _label(levels: np.ndarray, s1: np.ndarray, first_h: np.ndarray, h: int, stage: int,
           data: pd.DataFrame, psu: Sequence[str]) -> Any:
    """Human-readable name of stratum ``h`` at ``stage`` (0-based)."""
    row = int(first_h[h])
    if stage == 0:
        lab = levels[s1[row]]
        return None if lab is None else (lab.item() if hasattr(lab, "item") else lab)
    path = "/".join(str(data[psu[j]].iloc[row]) for j in range(stage))
    return f"{levels[s1[row]]}:{path}" if levels[0] is not None else path


def _check_lonely(structure: DesignStructure, rule: str, data: pd.DataFrame,
                  psu: Sequence[str], strata: Sequence[str]) -> None:
    """Raise (``fail``) or warn once about strata with a single PSU."""
    s1 = structure.first.stratum_code
    for i, st in enumerate(structure.stages):
        active = st.multiplier > 0
        lonely = st.lonely & active
        if not lonely.any():
            continue
        hs = np.nonzero(lonely)[0]
        names = [_label(structure.stratum_labels, s1, st.first_row, int(h), i, data, psu) for h in hs]
        where = f" at stage {i + 1}" if len(structure.stages) > 1 else ""
        if rule == "fail":
            raise LonelyPSUError(
                f"{len(hs)} stratum/strata have only one PSU{where}: {format_rows(map(repr, names))}",
                stratum=names[0], column=strata[0] if strata else None,
                hint="pass lonely_psu='adjust' (or 'average', 'certainty', 'remove'), or collapse the stratum into a neighbour",
            )
        warnings.warn(
            f"{len(hs)} stratum/strata have only one PSU{where} ({format_rows(map(repr, names))}); "
            f"variance uses lonely_psu={rule!r}",
            LonelyPSUWarning, stacklevel=4,
        )


def fpc_weights(structure: DesignStructure) -> np.ndarray:
    """Compute the weights implied by the fpc, ``prod_s N_s / n_s`` (R's ``weights(fpc)``).

    Parameters
    ----------
    structure : DesignStructure
        From :func:`build_structure`.

    Returns
    -------
    ndarray, shape (n,)
        The weights (factor 1 for stages without fpc).
    """
    w = np.ones(structure.n)
    for st in structure.stages:
        ratio = np.where(np.isinf(st.popsize), 1.0, st.popsize / st.n_psu)
        w = w * ratio[st.stratum_code]
    return w


# --------------------------------------------------------------------------- frequency weights
# Count-like sampling weights: whole numbers, not all equal, averaging >= 5 on a frame
# of at most 1000 rows (raked or design weights are rarely all integers on a small
# frame; a constant weight is an SRS expansion factor, not a table of counts).
_COUNT_MEAN = 5.0
_COUNT_ROWS = 1000


def freq_counts(data: pd.DataFrame, column: str) -> np.ndarray:
    """Validated frequency weights: whole numbers >= 1 (float64).

    Parameters
    ----------
    data : DataFrame
        The survey frame.
    column : str
        The frequency-weight column.

    Returns
    -------
    ndarray
        The counts as float64.

    Raises
    ------
    WeightError
        The column is not numeric, or holds values that are missing, not
        whole or below 1.
    """
    col = data[column]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise WeightError(f"frequency-weight column {column!r} is not numeric ({col.dtype})",
                          column=column, hint="freq_weights holds counts of identical rows")
    f = col.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(f) | (f < 1) | (f != np.round(f))
    if bad.any():
        zero = bool(np.any(f[bad] == 0))
        raise WeightError(
            f"frequency weights in {column!r} must be whole numbers >= 1; "
            f"{int(bad.sum())} row(s) are not", column=column,
            row=format_rows(data.index[bad]),
            hint=("drop the rows with count 0 (they hold no respondents)" if zero else
                  "freq_weights counts identical respondents; put non-integer weights "
                  "in weights="))
    return f


def warn_if_counts(w: np.ndarray, column: str) -> None:
    """Warn when sampling weights look like the cell counts of a table.

    Parameters
    ----------
    w : ndarray
        Sampling weights.
    column : str
        Their column, named in the warning (which suggests ``freq_weights=``).
    """
    n = w.shape[0]
    if (n > _COUNT_ROWS or not np.all(w == np.round(w)) or w.sum() < _COUNT_MEAN * n
            or np.all(w == w[0])):
        return
    warnings.warn(
        f"weights {column!r} look like counts of a table (whole numbers; {n} rows stand "
        f"for {w.sum():.0f}): as sampling weights the standard errors are those of {n} "
        f"respondents, not {w.sum():.0f}. If each row stands for that many identical "
        f"respondents, pass freq_weights={column!r} instead of weights=; if they are "
        "sampling weights, ignore this DataQualityWarning",
        DataQualityWarning, stacklevel=3)


# --------------------------------------------------------------------------- Taylor variance

def _cluster_totals(st: Stage, x: np.ndarray) -> np.ndarray:
    """Cluster totals of the columns of ``x`` (n x k) -> (n_clusters x k)."""
    if st.identity:
        return x
    out = np.empty((st.n_clusters, x.shape[1]))
    for j in range(x.shape[1]):
        out[:, j] = np.bincount(st.cluster, weights=x[:, j], minlength=st.n_clusters)
    return out


def _grouped_totals(st: Stage, values: np.ndarray, group: np.ndarray, n_groups: int,
                    cells: np.ndarray | None = None) -> np.ndarray | sparse.csr_matrix:
    """Cluster totals of ``values`` split by ``group`` (-1 = excluded): (C x G*k).

    ``cells``: ``cluster * n_groups + group`` when every row is in a group
    (no masking then).
    """
    k = values.shape[1]
    if cells is not None:
        key, v = cells, values
    else:
        keep = group >= 0
        key = st.cluster[keep] * n_groups + group[keep]
        v = values[keep]
    if st.n_clusters * n_groups * k <= _DENSE_CELLS:
        out = np.zeros((st.n_clusters, n_groups * k))
        for j in range(k):
            t = np.bincount(key, weights=v[:, j], minlength=st.n_clusters * n_groups)
            out[:, j::k] = t.reshape(st.n_clusters, n_groups)
        return out
    # aggregate to (cluster, group) cells first: the sparse matrix holds one entry per cell
    codes, cells = pd.factorize(key, sort=True)
    rows = cells // n_groups
    base = (cells % n_groups) * k
    m = cells.shape[0]
    data = np.empty((m, k))
    for j in range(k):
        data[:, j] = np.bincount(codes, weights=v[:, j], minlength=m)
    indptr = np.zeros(st.n_clusters + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=st.n_clusters) * k, out=indptr[1:])
    indices = (base[:, None] + np.arange(k)[None, :]).ravel()
    return sparse.csr_matrix((data.ravel(), indices, indptr),
                             shape=(st.n_clusters, n_groups * k))


def _stage_weights(st: Stage, rule: str, present: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-stratum scale and a flag for strata centred at their mean.

    ``present`` marks strata with at least one row in the domain; R drops the
    others from the ``"average"`` rule's stratum counts.
    """
    n_psu = st.n_psu
    f = st.f
    lonely = st.lonely
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n_psu > 1, f * n_psu / np.maximum(n_psu - 1, 1), f)
    scale = np.where(f < _CENSUS_TOL, 0.0, scale)
    centred = np.ones(st.n_strata, dtype=bool)
    if rule == "adjust":
        centred = ~lonely
    elif rule in ("certainty", "remove", "fail"):
        scale = np.where(lonely, 0.0, scale)
    elif rule == "average":
        scale = np.where(lonely, 0.0, scale)
        counted = np.ones(st.n_strata, dtype=bool) if present is None else present
        n_parent = int(st.parent.max()) + 1 if st.n_strata else 0
        nstrat = np.bincount(st.parent, weights=counted, minlength=n_parent)
        nok = np.bincount(st.parent, weights=counted & ~lonely, minlength=n_parent)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(nstrat > 0, nstrat / nok, 1.0)
        scale = scale * factor[st.parent]
    return scale * st.multiplier, centred


def _stage_vcov(st: Stage, totals: np.ndarray | sparse.csr_matrix, rule: str,
                present: np.ndarray | None) -> np.ndarray:
    """One stage's contribution from its cluster totals (C x K).

    With frequency weights a row's total ``T_c`` is ``units_c`` equal unit
    totals ``T_c / units_c``, so the sum over units of squared deviations is
    ``sum_c units_c (T_c / units_c - mean_h)^2`` with ``n_h = sum units``.
    """
    scale, centred = _stage_weights(st, rule, present)
    h = st.cluster_stratum
    units = st.units
    if not isinstance(totals, np.ndarray):  # csr_matrix (isinstance narrows; issparse cannot)
        # sum_c s_c T_c T_c' / u_c - sum_h s_h/n_h S_h S_h' (no dense C x K matrix)
        s_c = scale[h] if units is None else scale[h] / units
        ind = sparse.csr_matrix((np.ones(st.n_clusters), (h, np.arange(st.n_clusters))),
                                shape=(st.n_strata, st.n_clusters))
        strat_tot = ind @ totals
        first = (totals.T @ totals.multiply(s_c[:, None]).tocsr()).toarray()
        t_h = np.where(centred, scale / st.n_psu, 0.0)
        second = (strat_tot.T @ strat_tot.multiply(t_h[:, None]).tocsr())
        second = second.toarray() if sparse.issparse(second) else np.asarray(second)
        return first - second
    k = totals.shape[1]
    if k == 1:
        means = np.bincount(h, weights=totals[:, 0], minlength=st.n_strata)[:, None]
    else:  # all columns in one pass: the (C, k) totals summed by stratum
        flat = (h[:, None] * k + np.arange(k)).ravel()
        means = np.bincount(flat, weights=totals.ravel(),
                            minlength=st.n_strata * k).reshape(st.n_strata, k)
    means = means / st.n_psu[:, None]
    means[~centred] = 0.0
    if units is None:
        dev = totals - means[h]
        dev *= np.sqrt(scale)[h][:, None]
    else:
        dev = totals / units[:, None] - means[h]
        dev *= np.sqrt(scale[h] * units)[:, None]
    return _crossprod(dev)


# OpenBLAS runs an m x k by k x n product on several threads once m n k exceeds
# 2^18; on a busy machine the main thread then waits for a scheduler slice
# (milliseconds), so the clusters are summed in blocks below it.
_THREADED_GEMM = 1 << 18
# Up to this many multiply-adds einsum's own loop does the product (well under a
# millisecond): a process's first BLAS call starts OpenBLAS's threads, and on a
# busy machine waits for them about a scheduler slice.
_EINSUM_CROSSPROD = 1 << 20


def _crossprod(dev: np.ndarray) -> np.ndarray:
    """``dev.T @ dev`` without OpenBLAS threads (einsum for small products)."""
    c, k = dev.shape
    if c * k * k <= _EINSUM_CROSSPROD:
        return np.einsum("ck,cl->kl", dev, dev)
    rows = max(1, (_THREADED_GEMM - 1) // (k * k))
    if c <= rows:
        return dev.T @ dev
    out = np.zeros((k, k))
    for start in range(0, c, rows):
        block = dev[start:start + rows]
        out += block.T @ block
    return out


def taylor_vcov(
    structure: DesignStructure,
    scores: np.ndarray | None = None,
    *,
    lonely_psu: str,
    present_rows: np.ndarray | None = None,
    grouped: tuple[np.ndarray, np.ndarray, int] | None = None,
    cells: Sequence[np.ndarray] | None = None,
) -> np.ndarray:
    """Design covariance of the column totals of weighted scores (R's ``svyrecvar``).

    Parameters
    ----------
    structure : DesignStructure
        From :func:`build_structure`.
    scores : ndarray, shape (n, k), optional
        Weighted scores (influence x weight), zero outside the domain.
    lonely_psu : str
        Lonely-PSU rule.
    present_rows : ndarray of bool, optional
        Rows in the domain; strata without such rows are left out of the
        ``"average"`` rule's counts, as R does for a subset design.
    grouped : (values, group, n_groups), optional
        Instead of ``scores``: an (n x k) array whose row ``i`` belongs to the
        score columns ``group[i]*k .. group[i]*k+k-1`` (zero elsewhere); used
        by ``by=`` estimators to avoid an n x (G*k) matrix.
    cells : sequence of ndarray, optional
        With ``grouped`` when every row is in a group: per stage, the
        ``cluster * n_groups + group`` code of every row (``Design.cluster_cells``).

    Returns
    -------
    ndarray, shape (K, K)
        Covariance of the ``K`` score totals (``K = n_groups * k`` with ``grouped``).
    """
    if grouped is None:
        x = np.asarray(scores, dtype="float64")
        if x.ndim == 1:
            x = x[:, None]
        k = x.shape[1]
    else:
        values, group, n_groups = grouped
        k = values.shape[1] * n_groups
    v = np.zeros((k, k))
    for i, st in enumerate(structure.stages):
        if not (st.multiplier > 0).any():
            continue
        present = None
        if present_rows is not None and st.n_strata:
            present = np.bincount(st.stratum_code, weights=present_rows,
                                  minlength=st.n_strata) > 0
        if grouped is None:
            totals = _cluster_totals(st, x)
        else:
            totals = _grouped_totals(st, values, group, n_groups,
                                     None if cells is None else cells[i])
        v += _stage_vcov(st, totals, lonely_psu, present)
    return v


# --------------------------------------------------------------------------- replicates

def svr_vcov(thetas: np.ndarray, theta: np.ndarray, *, scale: float, rscales: np.ndarray,
             mse: bool) -> np.ndarray:
    """Replicate covariance (R's ``svrVar``).

    Parameters
    ----------
    thetas : ndarray, shape (R, k)
        Replicate estimates.
    theta : ndarray, shape (k,)
        Full-sample estimate (the centre when ``mse=True``).
    scale : float
        Overall variance multiplier.
    rscales : ndarray, shape (R,)
        Per-replicate multipliers.
    mse : bool
        Centre at ``theta`` instead of the replicates' mean.

    Returns
    -------
    ndarray, shape (k, k)
        Replicates with a non-finite estimate are dropped with a warning, as R does.
    """
    th = np.asarray(thetas, dtype="float64")
    if th.ndim == 1:
        th = th[:, None]
    rs = np.asarray(rscales, dtype="float64")
    ok = np.isfinite(th).all(axis=1)
    if not ok.all():
        if not ok.any():
            return np.full((th.shape[1], th.shape[1]), np.nan)
        from ..errors import SurveyWarning

        warnings.warn(f"{int((~ok).sum())} replicates gave NA results and were discarded",
                      SurveyWarning, stacklevel=3)
        th, rs = th[ok], rs[ok]
    centre = np.asarray(theta, dtype="float64") if mse else th[rs > 0].mean(axis=0)
    dev = (th - centre) * np.sqrt(rs)[:, None]
    return scale * (dev.T @ dev)


def replicate_degf(repweights: np.ndarray, rows: np.ndarray | None = None) -> int:
    """Compute R's ``degf`` for replicate designs: rank of the replicate weights minus 1.

    Rows with identical replicate weights (typically all rows of a PSU) are
    collapsed first, so the QR decomposition is on a small matrix.

    Parameters
    ----------
    repweights : ndarray, shape (n, R)
        Replicate weights.
    rows : ndarray of bool, optional
        Restrict to these rows (a domain).

    Returns
    -------
    int
        The rank minus 1 (0 with no rows).
    """
    from scipy.linalg import qr

    w = repweights if rows is None else repweights[rows]
    if w.shape[0] == 0:
        return 0
    # a fixed projection hashes rows; deterministic, no global RNG involved
    proj = np.random.default_rng(0).standard_normal(w.shape[1])
    _, first = np.unique(w @ proj, return_index=True)
    u = w[np.sort(first)]
    _, r, _ = qr(u, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    rank = int((d > 1e-5 * d[0]).sum()) if d.size and d[0] > 0 else 0
    return rank - 1
