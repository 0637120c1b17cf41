"""Means, totals, ratios and proportions on a :class:`~analysis.design.core.Design`
(R's ``svymean``, ``svytotal``, ``svyratio``, ``svyciprop``, ``svyby``); quantiles
are in :mod:`.quantiles`, variances in :mod:`.variance_est`, and the variable
matrices and domains they share in :mod:`.domains`.

Every estimator follows one recipe: turn the variable(s) into an n x k matrix
(one column per level for categoricals), mark the domain (group, non-missing,
asked), compute per-group weighted sums with ``np.bincount``, and get the
covariance from the design's linearised scores (Taylor designs) or from the
estimates recomputed with each replicate weight (replicate designs).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import (
    as_column_list,
    check_argument,
    check_columns,
    check_probability,
    format_rows,
)
from ..design.results import SurveyResult
from ..errors import DataQualityWarning, DesignError, IntervalError
from . import intervals as _iv
from .domains import (
    Domains,
    VariableMatrix,
    category_codes,
    domains,
    group_df,
    group_sums,
    is_boolean,
    is_categorical,
    numeric_values,
    result_index,
    union_df,
    unit_counts,
    variable_matrix,
)

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


# --------------------------------------------------------------------------- assembly

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

    Parameters
    ----------
    design : Design
        Taylor or replicate design.
    x : ndarray, shape (n, k)
        Values without NaN.
    dom : Domains
        Groups from :func:`domains`.
    kind : {"mean", "total"}
        The statistic.

    Returns
    -------
    est : ndarray, shape (G, k)
        The estimates.
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
        # in place: each n-row temporary costs page faults on a first call
        if kind == "mean":
            values = np.subtract(x, est[0])
            values *= w[:, None]
            values /= wsum[0]
        else:
            values = np.multiply(x, w[:, None])
        return est, design.vcov_scores(values), wsum
    if dom.full and not design.is_replicate:
        # every row in some group: no masks (the domain-estimate fixed cost)
        wsum = np.bincount(g, weights=w, minlength=G)
        tot = group_sums(x, w, g, G, full=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            est = tot / wsum[:, None] if kind == "mean" else tot
            if kind == "mean":
                scale = wsum.take(g)
                np.divide(w, scale, out=scale)
                values = np.empty_like(x)
                for j in range(k):  # column by column: gathers of a vector, in place
                    col = values[:, j]
                    np.subtract(x[:, j], est[:, j].take(g), out=col)
                    col *= scale
            else:
                values = x * w[:, None]
        return est, design._vcov_grouped(values, g, G, full=True), wsum
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
    x = mat.x if mat.finite or np.isfinite(mat.x).all() else np.nan_to_num(mat.x, nan=0.0)
    k = x.shape[1]
    est, vcov, wsum = mean_core(design, x, dom, kind)
    g = dom.group
    if dom.full and dom.labels is not None:
        # the groups are cached on the design (see domains): so are their counts and df
        n_unw = design.memo_on(g, "unit_counts", lambda: unit_counts(design, g, dom.n_groups, dom))
        df = design.memo_on(g, "group_df", lambda: group_df(design, dom))
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
    """Design-based mean; see :meth:`analysis.SurveyDesign.mean`.

    Parameters
    ----------
    design : Design
        Taylor or replicate design.
    var : str or list of str
        Column name(s) or a multiple-choice question id.
    by : str or list of str, optional
        Grouping column(s) (domains of the full design).
    na_rm : bool
        Leave rows with a missing value out instead of giving NaN.
    deff : bool or "replace"
        Also compute design effects.

    Returns
    -------
    SurveyResult
        Means with their design covariance.
    """
    return _linear(design, var, by, na_rm, deff, "mean")


def svy_total(design: Design, var: str | Sequence[str], *, by: Any = None,
              na_rm: bool = False, deff: bool | str = False) -> SurveyResult:
    """Design-based total; see :meth:`analysis.SurveyDesign.total`.

    Parameters
    ----------
    design : Design
        Taylor or replicate design.
    var : str or list of str
        Column name(s) or a multiple-choice question id.
    by : str or list of str, optional
        Grouping column(s) (domains of the full design).
    na_rm : bool
        Leave rows with a missing value out instead of giving NaN.
    deff : bool or "replace"
        Also compute design effects.

    Returns
    -------
    SurveyResult
        Totals with their design covariance.
    """
    return _linear(design, var, by, na_rm, deff, "total")


def svy_ratio(design: Design, numerator: str | Sequence[str],
              denominator: str | Sequence[str], *, by: Any = None, na_rm: bool = False,
              deff: bool | str = False) -> SurveyResult:
    """Ratio of totals; see :meth:`analysis.SurveyDesign.ratio`.

    Parameters
    ----------
    design : Design
        Taylor or replicate design.
    numerator, denominator : str or list of str
        Numeric columns; every numerator is divided by every denominator.
    by : str or list of str, optional
        Grouping column(s) (domains of the full design).
    na_rm : bool
        Leave rows with a missing value out instead of giving NaN.
    deff : bool or "replace"
        Also compute design effects.

    Returns
    -------
    SurveyResult
        One ratio per (numerator, denominator) pair, linearised covariance.
    """
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
    if is_categorical(s) and not is_boolean(s):
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
    """Proportion with a ``svyciprop`` interval; see :meth:`analysis.SurveyDesign.proportion`.

    Parameters
    ----------
    design : Design
        Taylor or replicate design (``"likelihood"``: Taylor only).
    var : str
        A boolean / 0-1 column, or a categorical column.
    level : optional
        The category counted as "yes"; None gives every level.
    method : str
        One of ``PROPORTION_METHODS`` (R's ``svyciprop`` methods, ``"wilson"``).
    by : str or list of str, optional
        Grouping column(s) (domains of the full design).
    na_rm : bool
        Leave rows with a missing value out instead of giving NaN.
    conf_level : float
        Confidence level of the intervals kept on the result.
    df : float, optional
        Degrees of freedom (default: each domain's design df).

    Returns
    -------
    SurveyResult
        Proportions with method-specific intervals.

    Raises
    ------
    DesignError
        ``method="likelihood"`` on a replicate design.
    """
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
