"""Quantiles on a :class:`~analysis.design.core.Design` (R's ``svyquantile``).

Every quantile rule R survey 4.1 has (``qrule``: math, school, shahvaish,
hf1-hf9; the rules themselves are in :func:`analysis.estimate.intervals.qrule`)
and every ``interval.type``: Woodruff intervals (``"mean"``, ``"beta"``,
``"xlogit"``, ``"asin"``: an interval for the CDF at the estimate, mapped back
through the rule) and the Francisco-Fuller test-inversion interval
(``"score"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import as_column_list, check_argument, check_probability
from ..design.results import SurveyResult, t_quantile
from ..errors import DesignError
from . import intervals as _iv
from .descriptive import (
    Domains,
    VariableMatrix,
    domains,
    group_df,
    mean_core,
    package,
    result_index,
    unit_counts,
    variable_matrix,
)

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["svy_quantile", "QUANTILE_RULES", "QUANTILE_INTERVALS"]

QUANTILE_RULES = _iv.QRULES
QUANTILE_INTERVALS = ("mean", "beta", "xlogit", "asin", "score")


def svy_quantile(design: Design, var: str | Sequence[str], q: float | Sequence[float], *,
                 by: Any = None, na_rm: bool = False, qrule: str = "math",
                 interval_type: str = "mean", conf_level: float = 0.95,
                 df: float | None = None) -> SurveyResult:
    """Estimate quantiles with confidence intervals; see :meth:`analysis.SurveyDesign.quantile`.

    Parameters
    ----------
    design : Design
        The survey design.
    var : str or list of str
        Numeric column(s).
    q : float or list of float
        Probabilities in [0, 1].
    by : str or list of str, optional
        Grouping column(s).
    na_rm : bool
        Drop rows with a missing value.
    qrule : str
        One of :data:`QUANTILE_RULES` (R's ``qrule``).
    interval_type : str
        One of :data:`QUANTILE_INTERVALS` (R's ``interval.type``).
    conf_level : float
        Confidence level of the interval the SE is derived from.
    df : float, optional
        Degrees of freedom (default: the design's).

    Returns
    -------
    SurveyResult
        One row per (variable, group, probability).
    """
    check_argument("qrule", QUANTILE_RULES, qrule)
    check_argument("interval_type", QUANTILE_INTERVALS, interval_type)
    check_probability("conf_level", conf_level)
    if not isinstance(na_rm, (bool, np.bool_)):
        raise TypeError(f"`na_rm` must be True or False, not {na_rm!r}")
    probs = np.atleast_1d(np.asarray(q, dtype=float))
    if probs.ndim != 1 or ((probs < 0) | (probs > 1) | np.isnan(probs)).any():
        raise DesignError(f"`q` must hold probabilities in [0, 1], not {q!r}",
                          hint="pass e.g. q=0.5 or q=[0.25, 0.5, 0.75]")
    cols = as_column_list("var", var)
    mat = variable_matrix(design, cols, allow_categorical=False, select_all=False)
    results = []
    for j, col in enumerate(cols):  # R's svyquantile treats each variable on its own
        # na_rm drops rows missing in any variable, as R's svyquantile(~a + b, na.rm=TRUE)
        miss = mat.missing if na_rm else np.isnan(mat.x[:, j])
        sub = VariableMatrix(x=mat.x[:, [j]], missing=miss, index=pd.Index([col]), scalar=True)
        results.append(_quantile_one(design, sub, probs, by, na_rm, qrule, interval_type,
                                     conf_level, df))
    if len(results) == 1:
        return results[0]
    parts = []
    for col, r in zip(cols, results):
        idx = r.estimate.index
        tuples = [(col,) + (t if isinstance(t, tuple) else (t,)) for t in idx]
        parts.append(pd.MultiIndex.from_tuples(tuples, names=["variable", *idx.names]))
    index = parts[0].append(parts[1:])
    est = np.concatenate([r.estimate.to_numpy() for r in results])
    se = np.concatenate([r.se.to_numpy() for r in results])

    def joined(lev: float) -> tuple[np.ndarray, np.ndarray]:
        cis = [r.conf_int(lev) for r in results]
        return (np.concatenate([c["ci_low"].to_numpy() for c in cis]),
                np.concatenate([c["ci_high"].to_numpy() for c in cis]))

    df_all = pd.concat([r.df if isinstance(r.df, pd.Series) else
                        pd.Series(r.df, index=r.estimate.index) for r in results])
    return SurveyResult(
        estimate=pd.Series(est, index=index, name="quantile"),
        vcov=pd.DataFrame(np.diag(se**2), index=index, columns=index),
        statistic="quantile", df=pd.Series(df_all.to_numpy(), index=index, name="df"),
        n_unweighted=pd.Series(np.concatenate([r.n_unweighted.to_numpy() for r in results]),
                               index=index, name="n"),
        method=qrule, se_values=pd.Series(se, index=index, name="se"), interval=joined)


def _quantile_one(design: Design, mat: VariableMatrix, probs: np.ndarray, by: Any,
                  na_rm: bool, qrule: str, interval_type: str, conf_level: float,
                  df: float | None) -> SurveyResult:
    dom = domains(design, mat, by, na_rm)
    # svyquantile takes degf() and nrow() after dropping missing rows (svyciprop before)
    dom = replace(dom, base_group=dom.group)
    G, g, w = dom.n_groups, dom.group, design.weights
    x = np.nan_to_num(mat.x[:, 0], nan=0.0)
    m = probs.shape[0]
    design_df = group_df(design, dom)
    use_df = design_df if df is None else np.full(G, float(df))
    # sort every group's values once: by (group, value), stable like R's order()
    rows = np.nonzero(g >= 0)[0]
    order = rows[np.lexsort((x[rows], g[rows]))]
    gs = g[order]
    starts = np.searchsorted(gs, np.arange(G + 1))
    sorted_groups = []
    qhat = np.full((G, m), np.nan)
    for gg in range(G):  # one sort slice per group
        idx = order[starts[gg]:starts[gg + 1]]
        xs, cw = x[idx], w[idx]
        sorted_groups.append((xs, cw))
        qhat[gg] = _iv.qrule(xs, cw, probs, qrule)
    rep_df, rep_dd = np.repeat(use_df, m), np.repeat(design_df, m)
    if interval_type == "score":
        ci = _score_interval(design, dom, x, probs, sorted_groups, qrule, use_df)
    else:
        # Woodruff: design mean of 1[x <= qhat] for every (group, q) at once
        ind = (x[:, None] <= qhat[np.maximum(g, 0)]).astype(float)
        pm, pv, _ = mean_core(design, ind, dom, "mean")
        p_hat, p_var = pm.ravel(), np.diag(pv)
        base_rows = unit_counts(design, dom.base_group, G).astype(float)

        def ci(lev: float) -> tuple[np.ndarray, np.ndarray]:
            lo_p, hi_p = _iv.prop_interval(interval_type, p_hat, p_var, rep_df,
                                           np.repeat(base_rows, m), rep_dd, lev)
            lo_p = np.where(np.isnan(lo_p) | (lo_p < 0), np.nan, lo_p)
            hi_p = np.where(np.isnan(hi_p) | (hi_p > 1), np.nan, hi_p)
            lo, hi = np.full(G * m, np.nan), np.full(G * m, np.nan)
            for gg, (xs, cw) in enumerate(sorted_groups):
                sl = slice(gg * m, (gg + 1) * m)
                lo[sl] = _iv.qrule(xs, cw, lo_p[sl], qrule)
                hi[sl] = _iv.qrule(xs, cw, hi_p[sl], qrule)
            bad = np.repeat(dom.failed, m)
            return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)

    lo, hi = ci(conf_level)
    with np.errstate(invalid="ignore"):
        se = (hi - lo) / (2 * t_quantile(0.5 + conf_level / 2, rep_df))
    labels = pd.Index(probs, name="q")
    index = result_index(labels, dom.labels, False)
    n_unw = unit_counts(design, g, G)
    res = package("quantile", qhat, np.diag(se**2), index, dom, m, design_df, n_unw,
                  ci_df=use_df, method=qrule)
    se_s = pd.Series(np.where(np.repeat(dom.failed, m), np.nan, se), index=index, name="se")
    return replace(res, se_values=se_s, interval=ci)


def _score_interval(design: Design, dom: Domains, x: np.ndarray, probs: np.ndarray,
                    sorted_groups: list[tuple[np.ndarray, np.ndarray]], qrule: str,
                    use_df: np.ndarray) -> Any:
    """Francisco & Fuller (1991) interval: the values not rejected by the score test.

    For each end the test statistic ``(mean(x > theta) - (1 - p)) / se`` is a step
    function of ``theta``; its crossing of the critical value is found among the
    domain's distinct values (R's ``uniroot`` between ``min + IQR/100`` and
    ``max - IQR/100`` stops next to the same jump, on the side where the
    statistic is nearer the critical value).  The end is mapped back through
    the quantile rule at the *weighted* share of values at or below it.  R's
    ``ffullerCI`` uses the unweighted share there (``mean(x <= qlow)``), which
    agrees only when the weights are equal; see tests/test_quantile_rules.py.
    """
    G, m = dom.n_groups, probs.shape[0]
    cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}

    def one_group(gg: int, lev: float) -> tuple[np.ndarray, np.ndarray]:
        xs, cw = sorted_groups[gg]
        lo, hi = np.full(m, np.nan), np.full(m, np.nan)
        if xs.shape[0] < 2 or dom.failed[gg]:
            return lo, hi
        sub = Domains(group=np.where(dom.group == gg, 0, -1), n_groups=1, labels=None,
                      base_group=np.where(dom.base_group == gg, 0, -1),
                      failed=np.zeros(1, dtype=bool))
        q25, q75 = np.percentile(xs, [25, 75])  # R's IQR: type-7 quantiles, unweighted
        iqr = q75 - q25
        lower_t, upper_t = xs[0] + iqr / 100, xs[-1] - iqr / 100
        crit = float(t_quantile(1 - (1 - lev) / 2, use_df[gg]))
        ux = np.unique(xs)
        # theta pieces: [lower_t, first value above it), then [u, next) for u in range
        inner = ux[(ux > lower_t) & (ux <= upper_t)]
        thetas = np.concatenate([[lower_t], inner])
        stat_cache: dict[tuple[int, float], float] = {}

        def stat(i: int, p: float) -> float:
            key = (i, p)
            if key not in stat_cache:
                u = (x > thetas[i]).astype(float)[:, None] - (1 - p)
                est, v, _ = mean_core(design, u, sub, "mean")
                with np.errstate(divide="ignore", invalid="ignore"):
                    stat_cache[key] = float(est[0, 0] / np.sqrt(v[0, 0]))
            return stat_cache[key]

        for j, p in enumerate(probs):
            for out, target in ((lo, crit), (hi, -crit)):
                f0, f1 = stat(0, p) - target, stat(len(thetas) - 1, p) - target
                if not (np.isfinite(f0) and np.isfinite(f1)) or np.sign(f0) == np.sign(f1):
                    continue  # R's uniroot stops: no sign change in the search range
                a, b = 0, len(thetas) - 1  # bisect on pieces: f(a) has f0's sign
                while b - a > 1:
                    mid = (a + b) // 2
                    if np.sign(stat(mid, p) - target) == np.sign(f0):
                        a = mid
                    else:
                        b = mid
                fa, fb = stat(a, p) - target, stat(b, p) - target
                theta = thetas[b] if abs(fb) <= abs(fa) else thetas[a]
                # as R's sum(): long double accumulation (exact hits matter to "math")
                share = (float(np.sum(np.where(xs <= theta, cw, 0.0), dtype=np.longdouble))
                         / float(np.sum(cw, dtype=np.longdouble)))
                out[j] = _iv.qrule(xs, cw, np.array([share]), qrule)[0]
        return lo, hi

    def ci(lev: float) -> tuple[np.ndarray, np.ndarray]:
        if lev not in cache:
            parts = [one_group(gg, lev) for gg in range(G)]
            cache[lev] = (np.concatenate([p[0] for p in parts]),
                          np.concatenate([p[1] for p in parts]))
        return cache[lev]

    return ci
