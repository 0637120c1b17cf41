"""The numpy floor: the least work a design-based proportion or domain mean can cost.

A hand-written Taylor linearisation for a stratified cluster design (PSUs
nested in strata, with-replacement variance), on integer-coded columns, no
validation, no labels: what a tool cannot beat by much.  ``make bench``
times greensurvey against it and checks that both give the same answers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["floor_domains", "floor_prop"]


def _taylor_var(z: np.ndarray, psu: np.ndarray, psu_stratum: np.ndarray) -> float:
    """Variance of sum(z): PSU totals, centred within strata, times n_h/(n_h-1)."""
    tot = np.bincount(psu, weights=z, minlength=len(psu_stratum))
    n_h = np.bincount(psu_stratum).astype(float)
    dev = tot - (np.bincount(psu_stratum, weights=tot) / n_h)[psu_stratum]
    return float(((n_h / (n_h - 1))[psu_stratum] * dev**2).sum())


def floor_prop(y: np.ndarray, w: np.ndarray, psu: np.ndarray, psu_stratum: np.ndarray
               ) -> tuple[float, float]:
    """Weighted mean of ``y`` and its Taylor SE.

    Parameters
    ----------
    y, w : ndarray
        Outcome (0/1) and weights.
    psu : ndarray of int
        PSU code of each row, 0..P-1 (unique across strata).
    psu_stratum : ndarray of int
        Stratum code of each PSU.

    Returns
    -------
    (float, float)
        Estimate and standard error.
    """
    total = w.sum()
    m = np.einsum("i,i->", w, y) / total  # einsum: no threaded BLAS call for one dot
    z = w * (y - m) / total
    return float(m), float(np.sqrt(_taylor_var(z, psu, psu_stratum)))


def floor_domains(y: np.ndarray, w: np.ndarray, group: np.ndarray, n_groups: int,
                  psu: np.ndarray, psu_stratum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean of ``y`` in each group and their Taylor SEs (domain estimation).

    Parameters
    ----------
    y, w : ndarray
        Outcome and weights.
    group : ndarray of int
        Group code of each row, 0..G-1.
    n_groups : int
        G.
    psu, psu_stratum : ndarray of int
        As in :func:`floor_prop`.

    Returns
    -------
    (ndarray, ndarray)
        Estimates and standard errors, one per group.
    """
    wsum = np.bincount(group, weights=w, minlength=n_groups)
    m = np.bincount(group, weights=w * y, minlength=n_groups) / wsum
    r = w * (y - m[group]) / wsum[group]
    # one PSU-by-group table: column g holds the linearised values of domain g
    n_psu = len(psu_stratum)
    tot = np.bincount(psu * n_groups + group, weights=r,
                      minlength=n_psu * n_groups).reshape(n_psu, n_groups)
    n_h = np.bincount(psu_stratum).astype(float)
    sums = np.zeros((len(n_h), n_groups))
    np.add.at(sums, psu_stratum, tot)
    dev = tot - (sums / n_h[:, None])[psu_stratum]
    f = (n_h / (n_h - 1))[psu_stratum]
    return m, np.sqrt((f[:, None] * dev**2).sum(axis=0))
