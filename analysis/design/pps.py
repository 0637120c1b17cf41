"""Variance of designs sampled with probability proportional to size, without replacement.

R's ``svydesign(..., fpc = ~pi, pps = ...)``: the fpc column holds each PSU's
inclusion probability ``pi_i``, the weights default to ``1/pi_i``, and the
variance of a total of weighted scores ``x`` (``xc_i``: PSU totals) is one of

* ``"brewer"`` -- Brewer's approximation, ``sum_h n_h/(n_h-1) sum_i (1 - pi_i)
  (xc_i - mean_h xc)^2`` (R's ``pps = "brewer"``);
* a joint-inclusion-probability matrix ``pi_ij`` (R's ``ppsmat``): the
  Horvitz-Thompson form ``xc' D xc`` with ``D_ij = (pi_ij - pi_i pi_j) / pi_ij``
  (entries below ``tolerance`` in size set to 0, as R), or with
  ``variance="YG"`` the Yates-Grundy form ``xc' D xc - sum_j (sum_i D_ij) xc_j^2``;
* ``"HR"`` -- Hartley & Rao's approximation to ``pi_ij`` within each stratum,
  ``D_ij = 1 - (n_h - pi_i - pi_j + p2_h) / (n_h - 1)`` (``p2_h``: the
  population ``sum pi^2 / n_h``, given as ``psum``, else the mean sampled
  ``pi``, as R's ``HR()``), in the HT or YG form.

Sampling with replacement needs none of this: a design with ``weights`` of
``1/p`` and no fpc is R's ``svydesign(id=~1, probs=~p)``.  One sampling stage only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import format_rows
from ..errors import DesignError

__all__ = ["PPS_VARIANCES", "PPSVariance", "build_pps", "pps_vcov"]

PPS_VARIANCES = ("HT", "YG")


@dataclass(frozen=True, eq=False)
class PPSVariance:
    """What the variance of a PPS design needs.

    Attributes
    ----------
    method : str
        ``"brewer"``, ``"HR"`` or ``"ppsmat"``.
    variance : str
        ``"HT"`` or ``"YG"`` (not used by Brewer's approximation).
    cluster : ndarray of int64, shape (n,)
        PSU code of every row.
    prob : ndarray, shape (n_psu,)
        Inclusion probability of every PSU.
    stratum : ndarray of int64, shape (n_psu,)
        Stratum code of every PSU.
    dcheck : ndarray, shape (n_psu, n_psu) or None
        ``D`` (None for Brewer).
    """

    method: str
    variance: str
    cluster: np.ndarray
    prob: np.ndarray
    stratum: np.ndarray
    dcheck: np.ndarray | None


def build_pps(data: pd.DataFrame, pps: Any, variance: str, fpc: list[str],
              cluster: np.ndarray, stratum_code: np.ndarray, psu_stages: int,
              psum: float | Mapping[Any, float] | None, strata_col: str | None,
              tolerance: float = 1e-4) -> PPSVariance:
    """Check a ``pps=`` specification and precompute its variance matrix.

    Parameters
    ----------
    data : DataFrame
        The survey frame.
    pps : str or ndarray
        ``"brewer"``, ``"HR"`` or the (n_psu x n_psu) joint inclusion
        probabilities, PSUs in order of first appearance.
    variance : str
        ``"HT"`` or ``"YG"``.
    fpc : list of str
        The fpc column: inclusion probabilities.
    cluster, stratum_code : ndarray of int64, shape (n,)
        First-stage PSU and stratum codes (PSU codes in order of appearance).
    psu_stages : int
        Number of psu columns (PPS supports one stage).
    psum : float or mapping, optional
        Hartley-Rao's population ``sum(pi^2) / n`` (per stratum label as a mapping).
    strata_col : str, optional
        The stratum column (to read ``psum`` per stratum).
    tolerance : float
        ``ppsmat``'s tolerance: smaller ``|D_ij|`` are set to 0.

    Returns
    -------
    PPSVariance
        PSU codes, probabilities, strata and the ``D`` matrix.

    Raises
    ------
    DesignError
        No or several fpc columns, probabilities outside (0, 1], multistage
        designs, a joint matrix of the wrong shape or inconsistent with the fpc.
    """
    if variance not in PPS_VARIANCES:
        raise DesignError(f"`variance` must be 'HT' or 'YG', not {variance!r}",
                          hint="variance='HT' (Horvitz-Thompson) or 'YG' (Yates-Grundy)")
    if psu_stages > 1:
        raise DesignError("PPS variances are implemented for one sampling stage",
                          hint="give a single psu column (or none)")
    if len(fpc) != 1:
        raise DesignError("a PPS design needs fpc= holding each PSU's inclusion probability",
                          hint="pass fpc='<column of inclusion probabilities>'")
    p = pd.to_numeric(data[fpc[0]], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = ~((p > 0) & (p <= 1))
    if bad.any():
        raise DesignError(f"inclusion probabilities in {fpc[0]!r} must lie in (0, 1]",
                          column=fpc[0], row=format_rows(data.index[bad]),
                          hint="for PPS designs fpc holds probabilities, not population counts")
    n_psu = int(cluster.max()) + 1
    first = np.full(n_psu, -1, dtype=np.int64)
    first[cluster[::-1]] = np.arange(len(cluster))[::-1]
    prob, strat = p[first], stratum_code[first]
    n_h = np.bincount(strat)[strat].astype(float)
    if isinstance(pps, str):
        if pps == "brewer":
            return PPSVariance("brewer", variance, cluster, prob, strat, None)
        if pps != "HR":
            raise DesignError(f"unknown pps method {pps!r}",
                              hint="pps='brewer', 'HR' or a matrix of joint inclusion probabilities")
        if psum is None:  # R's HR(): the mean sampled probability of the stratum
            p2 = np.bincount(strat, weights=prob)[strat] / n_h
        elif isinstance(psum, Mapping):
            labels = data[strata_col].to_numpy()[first] if strata_col else np.zeros(n_psu)
            missing = [lab for lab in pd.unique(labels) if lab not in psum]
            if missing:
                raise DesignError(f"no Hartley-Rao psum for stratum {missing[0]!r}",
                                  hint="give psum for every stratum")
            p2 = np.array([float(psum[lab]) for lab in labels])
        else:
            p2 = np.full(n_psu, float(psum))
        fbar = prob[:, None] + prob[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = 1 - (n_h[:, None] - fbar + p2[:, None]) / (n_h[:, None] - 1)
        d[(strat[:, None] != strat[None, :]) | (fbar == 1)] = 0.0
        np.fill_diagonal(d, 1 - prob)
        return PPSVariance("HR", variance, cluster, prob, strat, d)
    pij = np.asarray(pps, dtype="float64")
    if pij.shape != (n_psu, n_psu):
        raise DesignError(f"the joint inclusion probabilities are {pij.shape}, the design has "
                          f"{n_psu} PSUs", hint="pass an n_psu x n_psu matrix, PSUs in data order")
    if not np.allclose(np.diag(pij), prob, rtol=1e-8):
        raise DesignError("the diagonal of the joint inclusion probabilities is not the fpc's "
                          "inclusion probabilities", column=fpc[0],
                          hint="pi_ii must equal pi_i")
    d = (pij - np.outer(prob, prob)) / pij
    d[np.abs(d) < tolerance] = 0.0  # R's ppsmat(tolerance = 1e-4)
    return PPSVariance("ppsmat", variance, cluster, prob, strat, d)


def pps_vcov(spec: PPSVariance, x: np.ndarray) -> np.ndarray:
    """Covariance of the column totals of weighted scores ``x`` (n x k) on a PPS design.

    Parameters
    ----------
    spec : PPSVariance
        From :func:`build_pps`.
    x : ndarray, shape (n, k)
        Weighted scores (calibration residuals already taken).

    Returns
    -------
    ndarray, shape (k, k)
        The design covariance.
    """
    n_psu = spec.prob.shape[0]
    xc = np.zeros((n_psu, x.shape[1]))
    np.add.at(xc, spec.cluster, x)
    if spec.method == "brewer":  # R's onestrat with per-PSU f = 1 - pi
        n_h = np.bincount(spec.stratum)
        means = np.stack([np.bincount(spec.stratum, weights=xc[:, j]) / n_h
                          for j in range(xc.shape[1])], axis=1)
        nh = n_h[spec.stratum].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(nh > 1, (1 - spec.prob) * nh / (nh - 1), 1 - spec.prob)
        dev = (xc - means[spec.stratum]) * np.sqrt(scale)[:, None]
        return dev.T @ dev
    assert spec.dcheck is not None
    v = xc.T @ spec.dcheck @ xc
    if spec.variance == "YG":
        c = spec.dcheck.sum(axis=0)
        v = v - xc.T @ (c[:, None] * xc)
    return v
