"""Replicate-weight designs (R's ``svrepdesign`` and ``as.svrepdesign``).

A replicate design carries ``R`` columns of *full* replicate weights (the
sampling weight already multiplied in, R's ``combined.weights=TRUE``); an
estimate's variance is ``scale * sum_r rscales_r (theta_r - centre)^2`` over
the estimates recomputed with each column (:func:`analysis.design.variance.svr_vcov`).

:func:`to_replicates` builds the weights from a Taylor design exactly as R
survey 4.1 does for the jackknives (JK1, JKn; same replicate order, fpc and
lonely-PSU handling) and for BRR given the same Hadamard matrix (we use
Sylvester's construction; R picks from a table, so the two may differ in size
but both are full orthogonal balance).  The bootstrap is R's (Canty-Davison
rescaled, ``n_h`` PSUs drawn with replacement per stratum) drawn from a seeded
numpy Generator, so it matches R in distribution, not draw for draw.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import (
    as_rng,
    check_argument,
    check_columns,
    check_weights,
    format_rows,
)
from ..errors import DesignError, LonelyPSUError, SurveyWarning, WeightError

if TYPE_CHECKING:
    from ..design.core import Design, DesignT
    from .variance import Stage

__all__ = ["REPLICATE_TYPES", "from_replicates", "to_replicates", "sylvester_hadamard"]

REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap")
CONVERSION_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap")


def _replicate_design(cls: type[DesignT], data: pd.DataFrame, weights: np.ndarray,
                      weight_column: str | None, repweights: np.ndarray, rep_type: str,
                      scale: float, rscales: np.ndarray, mse: bool, rho: float | None,
                      freq_weight_column: str | None = None, freq: np.ndarray | None = None
                      ) -> DesignT:
    new = object.__new__(cls)
    new._init(data=data, weights=weights, weight_column=weight_column, strata_columns=[],
              psu_columns=[], fpc_columns=[], nest=False, lonely_psu="fail", structure=None,
              calibrations=(), domain=None, freq_weight_column=freq_weight_column, freq=freq,
              replicate={"repweights": repweights, "type": rep_type, "scale": float(scale),
                         "rscales": np.asarray(rscales, dtype="float64"), "mse": bool(mse),
                         "rho": rho})
    return new


def from_replicates(cls: type[DesignT], data: pd.DataFrame, *, weights: str | None = None,
                    repweights: Sequence[str] | str | None = None, type: str = "JK1",
                    rho: float | None = None, scale: float | None = None,
                    rscales: Sequence[float] | float | None = None, mse: bool = False,
                    combined_weights: bool = True) -> DesignT:
    """Build a design from supplied replicate weights (R's ``svrepdesign``).

    ``cls`` is the design class to build (``SurveyDesign``), as for a
    classmethod.

    Parameters
    ----------
    data : DataFrame
        Respondent data holding the weight and replicate-weight columns.
    weights : str, optional
        Full-sample weight column (None: all 1).
    repweights : list of str or str
        Replicate-weight columns, or a regular expression matching them
        (R's ``repweights="wt[0-9]+"``).
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
        How the replicates were made; sets the default variance multipliers.
    rho : float, optional
        Fay's rho (required for ``type="Fay"``).
    scale, rscales : optional
        Variance multipliers; defaults as R: BRR ``1/R``, Fay ``1/(R(1-rho)^2)``,
        bootstrap ``1/(R-1)``, JK1 ``(R-1)/R``; JKn needs ``rscales``.
    mse : bool
        Centre replicates at the full-sample estimate instead of their mean.
    combined_weights : bool
        Replicate columns already include the sampling weight (default, as R).

    Returns
    -------
    Design
        ``is_replicate`` is True.

    Raises
    ------
    DesignError
        Unknown columns, missing or negative replicate weights, bad ``rscales``.
    """
    check_argument("type", REPLICATE_TYPES, type)
    if repweights is None:
        raise DesignError("no replicate weights given", hint="pass repweights=[column names]")
    if isinstance(repweights, str):
        cols = [c for c in data.columns if re.search(repweights, str(c))]
        if not cols:
            raise DesignError(f"no column matches the pattern {repweights!r}",
                              hint="pass a list of replicate-weight columns")
    else:
        cols = list(repweights)
    check_columns(data, cols, "repweights")
    rw = data[cols].to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(rw).all(axis=1) | (rw < 0).any(axis=1)
    if bad.any():
        raise WeightError(f"replicate weights have missing, infinite or negative values in "
                          f"{int(bad.sum())} row(s)", column=cols[0],
                          row=format_rows(data.index[bad]),
                          hint="replicate weights must be finite and >= 0")
    if weights is None:
        w = np.ones(len(data))
    else:
        check_columns(data, [weights], "weights")
        w = check_weights(data[weights].to_numpy(dtype="float64", na_value=np.nan), data.index,
                          allow_zero=True, name=weights)
    if not combined_weights:
        rw = rw * w[:, None]
    n_rep = rw.shape[1]
    if type == "Fay" and rho is None:
        raise DesignError("type='Fay' needs rho", hint="pass the Fay coefficient, e.g. rho=0.5")
    if type == "BRR":
        scale = 1 / n_rep
    elif type == "Fay" and rho is not None:  # None raised above
        scale = 1 / (n_rep * (1 - rho) ** 2)
    elif type == "bootstrap" and scale is None:
        scale = 1 / (n_rep - 1)
    elif type == "JK1" and scale is None:
        scale = (n_rep - 1) / n_rep
    elif type == "JKn" and rscales is None:
        raise DesignError("type='JKn' needs rscales ((n_h - 1)/n_h for each replicate)",
                          hint="pass rscales=[...] with one value per replicate column")
    scale = 1.0 if scale is None else float(scale)
    rs = np.ones(n_rep) if rscales is None else np.broadcast_to(
        np.asarray(rscales, dtype="float64"), (n_rep,)).copy()
    if rs.shape[0] != n_rep:
        raise DesignError(f"rscales has length {rs.shape[0]}, expected {n_rep}")
    return _replicate_design(cls, data, w, weights, rw, type, scale, rs, mse, rho)


def sylvester_hadamard(size: int) -> np.ndarray:
    """Build a Hadamard matrix by Sylvester's doubling, entries +-1.

    Parameters
    ----------
    size : int
        Wanted order; the result has the smallest power of 2 >= ``size``.

    Returns
    -------
    ndarray, shape (m, m)
        The Sylvester-Hadamard matrix, ``m`` a power of 2.
    """
    h = np.ones((1, 1))
    while h.shape[0] < size:
        h = np.block([[h, h], [h, -h]])
    return h


def to_replicates(design: DesignT, *, type: str = "JK1", replicates: int = 200,
                  seed: np.random.Generator | int | None = None, fay_rho: float = 0.0,
                  mse: bool = False) -> DesignT:
    """Replicate weights for a Taylor design (R's ``as.svrepdesign``).

    Parameters
    ----------
    design : Design
        A Taylor design (first-stage strata and PSUs are used).
    type : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
        Delete-one-PSU jackknife (unstratified), stratified jackknife,
        balanced repeated replication (exactly 2 PSUs per stratum; Fay with
        ``fay_rho > 0``), or the Canty-Davison bootstrap.
    replicates : int
        Number of bootstrap replicates (other types fix their own).
    seed : int or Generator, optional
        Bootstrap randomness (no global state is used).
    fay_rho : float
        Fay's perturbation, 0 <= rho < 1 (BRR/Fay only).
    mse : bool
        Centre replicates at the full-sample estimate.

    Returns
    -------
    Design
        A replicate design of the same class with the same weights (zero
        outside a domain), ``is_replicate`` True.

    Raises
    ------
    DesignError
        JK1 on a stratified design, JKn/BRR on an unstratified one, BRR with
        strata not holding exactly 2 PSUs; frequency weights without ``psu``
        (each respondent, not each row, would be a replicate unit: use the
        Taylor design, whose SEs equal the expanded rows', or expand the rows).
        With ``psu`` the replicates work on the clusters as usual.
        A PPS design (``pps=``): its replicates would ignore the PPS variance.
    LonelyPSUError
        JKn with a one-PSU stratum under ``lonely_psu="fail"``.

    Notes
    -----
    The finite-population correction of the first stage is kept for JK1 and
    JKn (R's ``fpctype="population"``) and for the bootstrap (sampling from a
    pseudo-population); later-stage fpcs are dropped, and BRR drops it, with
    a warning as R.
    """
    if design.is_replicate:
        raise TypeError("the design already uses replicate weights")
    if design.is_pps:
        # The replicate formulas would silently drop the PPS (HT/YG/Brewer) variance.
        raise DesignError("to_replicates() does not convert a PPS design: its replicates would "
                          "ignore the joint inclusion probabilities",
                          hint="use the Taylor (PPS) design's standard errors, or build "
                               "replicate weights yourself and use from_replicates()")
    check_argument("type", CONVERSION_TYPES, type)
    if type == "Fay" and fay_rho == 0:
        raise DesignError("type='Fay' needs fay_rho > 0", hint="e.g. fay_rho=0.5")
    if not 0 <= fay_rho < 1:
        raise DesignError(f"fay_rho must lie in [0, 1), not {fay_rho!r}")
    assert design.structure is not None  # Taylor designs (not replicate) always have one
    st = design.structure.first
    if st.units is not None:
        raise DesignError(
            f"cannot build {type} replicates on frequency weights "
            f"({design.freq_weight_column!r}) without psu: the replicates would have to "
            f"delete or resample each of the {design.n_units} respondents, not the "
            f"{design.n} rows", column=design.freq_weight_column,
            hint="use the Taylor design (its SEs equal those of the expanded rows), or "
                 "expand the rows first: data.loc[data.index.repeat(data[count])]")
    has_strata = design.structure.has_strata
    if type == "JK1" and has_strata:
        raise DesignError("JK1 needs an unstratified design", column=design.strata_columns[0],
                          hint="use type='JKn' for a stratified design")
    if type in ("JKn", "BRR", "Fay") and not has_strata:
        raise DesignError(f"type={type!r} needs a stratified design",
                          hint="use type='JK1' or 'bootstrap'")
    finite = np.isfinite(st.popsize)
    if design.structure.has_fpc and len(design.structure.stages) > 1 and type != "BRR":
        warnings.warn("finite population corrections after the first stage are dropped",
                      SurveyWarning, stacklevel=3)
    if design.calibrations:
        warnings.warn("the replicates reuse the calibrated weights but do not repeat the "
                      "calibration; for calibrated SEs convert first, then calibrate the "
                      "replicate design", SurveyWarning, stacklevel=3)
    w = design.weights
    if type == "JK1":
        rw, scale, rscales = _jk1(st, finite)
        rep_type, rho = "JK1", None
    elif type == "JKn":
        rw, scale, rscales = _jkn(design, st, finite)
        rep_type, rho = "JKn", None
    elif type in ("BRR", "Fay"):
        if finite.any():
            warnings.warn("finite population correction dropped in BRR conversion",
                          SurveyWarning, stacklevel=3)
        rw, scale, rscales = _brr(design, st, fay_rho)
        rep_type, rho = ("BRR", None) if fay_rho == 0 else ("Fay", fay_rho)
    else:
        if int(replicates) < 2:
            raise DesignError(f"`replicates` must be at least 2, not {replicates!r}")
        rw, scale, rscales = _bootstrap(st, int(replicates), as_rng(seed), finite)
        rep_type, rho = "bootstrap", None
    full = rw * w[:, None]
    if design.domain is not None:
        full = full * design.domain[:, None]
    return _replicate_design(design.__class__, design.data, w, design.weight_column, full,
                             rep_type, scale, rscales, mse, rho,
                             freq_weight_column=design.freq_weight_column,
                             freq=None if design.freq_weight_column is None
                             else design.freq_weights)


def _jk1(st: Stage, finite: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Delete-one-PSU jackknife: replicate r drops PSU r (first-appearance order)."""
    n = st.n_clusters
    f = 1.0
    if finite.any():
        f = float((st.popsize[0] - n) / st.popsize[0])
    rw = np.full((st.cluster.shape[0], n), n / (n - 1))
    rw[np.arange(st.cluster.shape[0]), st.cluster] = 0.0
    return rw, f * (n - 1) / n, np.ones(n)


def _jkn(design: Design, st: Stage, finite: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Stratified jackknife in R's replicate order (strata, then PSUs, by first appearance)."""
    n_strata = st.n_strata
    f = np.where(finite, (st.popsize - st.n_psu) / np.where(finite, st.popsize, 1), 1.0)
    rule = design.lonely_psu
    lonely = st.n_psu == 1
    census = finite & (f == 0)  # R drops a censused stratum's replicates
    if rule == "fail" and (lonely & ~census).any():
        h = int(np.nonzero(lonely & ~census)[0][0])
        assert design.structure is not None  # Taylor designs (not replicate) always have one
        lab = design.structure.stratum_labels[st.stratum_code[st.first_row[h]]]
        raise LonelyPSUError("a stratum has only one PSU: no jackknife replicate possible",
                             stratum=lab, hint="pass lonely_psu='adjust', 'average', "
                                               "'certainty' or 'remove' to the design")
    # clusters in replicate order: by stratum, then first appearance
    order = np.lexsort((np.arange(st.n_clusters), st.cluster_stratum))
    keep_c = ~census[st.cluster_stratum[order]] & ~lonely[st.cluster_stratum[order]]
    rep_clusters = order[keep_c]
    rep_strata = st.cluster_stratum[rep_clusters]
    adjust = lonely & ~census if rule == "adjust" else np.zeros(n_strata, dtype=bool)
    # "adjust": one replicate per lonely stratum, slotted at its stratum's position
    slots = np.concatenate([rep_strata, np.nonzero(adjust)[0]])
    kinds = np.concatenate([np.zeros(rep_clusters.shape[0], dtype=bool),
                            np.ones(int(adjust.sum()), dtype=bool)])
    clusters = np.concatenate([rep_clusters, np.full(int(adjust.sum()), -1)])
    pos = np.lexsort((np.arange(slots.shape[0]), slots))
    slots, kinds, clusters = slots[pos], kinds[pos], clusters[pos]
    n_rep = slots.shape[0]
    if n_rep == 0:
        raise DesignError("every stratum was censused: there is no sampling variance")
    nrow = st.cluster.shape[0]
    row_h = st.stratum_code
    rw = np.ones((nrow, n_rep))
    factor = st.n_psu / np.maximum(st.n_psu - 1, 1)
    same = row_h[:, None] == slots[None, :]
    jk = ~kinds
    rw[:, jk] = np.where(same[:, jk], factor[slots[jk]][None, :], 1.0)
    col_of_cluster = np.full(st.n_clusters, -1)
    col_of_cluster[clusters[jk]] = np.nonzero(jk)[0]
    hit = col_of_cluster[st.cluster]
    rows = np.nonzero(hit >= 0)[0]
    rw[rows, hit[rows]] = 0.0
    if kinds.any():
        rw[:, kinds] = np.where(same[:, kinds], 0.0, n_strata / (n_strata - 1))
    rscales = np.where(kinds, (n_strata - 1) / n_strata,
                       f[slots] * (st.n_psu[slots] - 1) / st.n_psu[slots])
    scale = 1.0
    if rule == "average" and n_rep < st.n_clusters:
        scale = st.n_clusters / n_rep
    return rw, scale, rscales


def _brr(design: Design, st: Stage, rho: float) -> tuple[np.ndarray, float, np.ndarray]:
    """Half-samples from a Sylvester Hadamard matrix, as R's ``brrweights``."""
    assert design.structure is not None  # Taylor designs (not replicate) always have one
    if (st.n_psu != 2).any():
        h = int(np.nonzero(st.n_psu != 2)[0][0])
        lab = design.structure.stratum_labels[st.stratum_code[st.first_row[h]]]
        raise DesignError(f"BRR needs exactly 2 PSUs per stratum; a stratum has {st.n_psu[h]}",
                          stratum=lab, hint="use type='JKn' or 'bootstrap', or pair the PSUs")
    labels = design.structure.stratum_labels
    # R numbers strata and orders PSUs by as.character(stratum), then first appearance
    names = np.array([str(labels[st.stratum_code[st.first_row[h]]]) for h in range(st.n_strata)])
    rank = np.empty(st.n_strata, dtype=np.int64)
    rank[np.argsort(names, kind="stable")] = np.arange(st.n_strata)
    c_rank = rank[st.cluster_stratum]
    order = np.lexsort((np.arange(st.n_clusters), c_rank))
    second = np.zeros(st.n_clusters, dtype=bool)
    second[order[1::2]] = True  # the second PSU of each stratum in R's order
    size = 1
    while size < st.n_strata + 1:
        size *= 2
    hmat = sylvester_hadamard(size) == -1  # R maps the first value (+1) to 0
    col = hmat[1 + c_rank, :]  # (C, R): True -> R's column 2 of the weight pair
    first_gets = np.where(col, 2 - rho, rho)
    factor = np.where(second[:, None], 2 - first_gets, first_gets)
    rw = factor[st.cluster]
    return rw, 1 / (size * (1 - rho) ** 2), np.ones(size)


def _bootstrap(st: Stage, n_rep: int, rng: np.random.Generator, finite: np.ndarray
               ) -> tuple[np.ndarray, float, np.ndarray]:
    """R's ``bootweights``: per stratum draw n_h PSUs (with replacement, or from a
    pseudo-population of N_h when fpc is known); weights = times drawn."""
    counts = np.zeros((st.n_clusters, n_rep))
    by_stratum = np.argsort(st.cluster_stratum, kind="stable")
    starts = np.concatenate([[0], np.cumsum(st.n_psu)])
    for h in range(st.n_strata):  # one vectorised draw per stratum
        members = by_stratum[starts[h]:starts[h + 1]]
        n_h = members.shape[0]
        if finite[h]:
            pop = int(np.floor(st.popsize[h]))
            copies = np.full(n_h, pop // n_h, dtype=np.int64)
            copies[rng.permutation(n_h)[: pop % n_h]] += 1
            draws = rng.multivariate_hypergeometric(copies, n_h, size=n_rep)
        else:
            draws = rng.multinomial(n_h, np.full(n_h, 1 / n_h), size=n_rep)
        counts[members] = draws.T
    harmonic = 1 / np.mean(1 / st.n_psu)
    scale = harmonic / ((harmonic - 1) * (n_rep - 1))
    return counts[st.cluster], float(scale), np.ones(n_rep)
