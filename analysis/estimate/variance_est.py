"""Design-based variances and covariances of variables (R's ``svyvar``).

The population variance ``S^2 = sum (y - Ybar)^2 / (N - 1)`` is estimated by
``n / (n - 1)`` times the weighted mean of squared deviations from the weighted
mean; a covariance likewise with cross products.  Its standard error is that
of a design mean of the (centred, scaled) products: on a Taylor design the
products are linearised with the mean held fixed (the derivative with respect
to the mean is zero at the weighted mean, as in R), on a replicate design the
whole estimate, centring included, is recomputed with each replicate weight
(R's ``svyvar.svyrep.design``).

``n`` counts the respondents the estimate uses.  R's ``svyvar`` on a Taylor
design with ``na.rm=TRUE`` counts the rows with a missing value too, so its
``n/(n-1)`` differs from that of the same design subset to the complete rows;
here both give the same answer (see tests/test_svyvar.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import as_column_list
from ..design.results import SurveyResult
from .descriptive import (
    domains,
    group_df,
    group_sums,
    mean_core,
    package,
    result_index,
    union_df,
    unit_counts,
    variable_matrix,
)

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["svy_var"]


def svy_var(design: Design, var: str | Sequence[str], *, by: Any = None,
            na_rm: bool = False) -> SurveyResult:
    """Estimate population variances (and covariances) with SEs; see :meth:`analysis.SurveyDesign.var`.

    Parameters
    ----------
    design : Design
        The survey design.
    var : str or list of str
        Numeric column(s); with several, every covariance too.
    by : str or list of str, optional
        Grouping column(s): one estimate per group.
    na_rm : bool
        Drop rows with a missing value in any of ``var``.

    Returns
    -------
    SurveyResult
        ``statistic="variance"``; one row per variable, or per ``(row, column)``
        pair of the covariance matrix with several variables (R's order:
        column-major), per group with ``by=``.
    """
    if not isinstance(na_rm, (bool, np.bool_)):
        raise TypeError(f"`na_rm` must be True or False, not {na_rm!r}")
    cols = as_column_list("var", var)
    mat = variable_matrix(design, cols, allow_categorical=False, select_all=False)
    dom = domains(design, mat, by, na_rm)
    G, g = dom.n_groups, dom.group
    p = len(cols)
    x = np.nan_to_num(mat.x, nan=0.0)
    in_dom = g >= 0
    gi = np.maximum(g, 0)
    # centre on the full-sample mean first: variances are shift-invariant and the
    # replicate formula below then cancels no large raw moments
    w = design.weights
    if in_dom.any():
        x = x - (w[in_dom] @ x[in_dom]) / w[in_dom].sum()
    x = np.where(in_dom[:, None], x, 0.0)
    n = unit_counts(design, g, G).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = n / (n - 1)
    # product column c is x[:, c % p] * x[:, c // p] (R's matrix(v, ncol = p))
    ia, ib = np.arange(p * p) % p, np.arange(p * p) // p
    wsum = np.bincount(g[in_dom], weights=w[in_dom], minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        xbar = group_sums(x, w, g, G) / wsum[:, None]
    dev = x - (xbar[0] if G == 1 else xbar[gi])
    prods = dev[:, ia] * dev[:, ib] * factor[gi][:, None]
    prods = np.where(in_dom[:, None], prods, 0.0)
    if design.is_replicate:
        est, vcov = _replicate(design, x, g, G, ia, ib, factor, prods)
    else:
        est, vcov, _ = mean_core(design, prods, dom, "mean")
    if p == 1:
        index = result_index(pd.Index(cols), dom.labels, True)
    else:
        pairs = pd.MultiIndex.from_arrays([[cols[i] for i in ia], [cols[j] for j in ib]],
                                          names=["variable", "variable2"])
        index = result_index(pairs, dom.labels, False)
    return package("variance", est, vcov, index, dom, p * p, group_df(design, dom),
                   unit_counts(design, g, G), overall_df=union_df(design, dom))


def _replicate(design: Design, x: np.ndarray, g: np.ndarray, G: int, ia: np.ndarray,
               ib: np.ndarray, factor: np.ndarray, prods: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and the replicate covariance, re-centring with every replicate weight."""
    w = design.weights
    keep = g >= 0
    wsum = np.bincount(g[keep], weights=w[keep], minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = group_sums(prods, w, g, G) / wsum[:, None]
    rw = design.repweights
    s = group_sums(np.ones((design.n, 1)), rw, g, G)[:, 0, :]     # (G, R)
    m1 = group_sums(x, rw, g, G)                                   # (G, p, R)
    m2 = group_sums(x[:, ia] * x[:, ib], rw, g, G)                 # (G, p*p, R)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_r = m1 / s[:, None, :]
        reps = (m2 / s[:, None, :] - mean_r[:, ia, :] * mean_r[:, ib, :]) * factor[:, None, None]
    k = ia.shape[0]
    vcov = design.replicate_vcov(reps.reshape(G * k, -1).T, est.ravel())
    return est, vcov
