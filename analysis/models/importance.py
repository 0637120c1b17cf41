"""Which barriers matter most, and where they differ: key drivers and subgroup tests.

* :func:`key_drivers` -- Shapley (LMG) decomposition of the R-squared of the
  purchase outcome over drivers (each a column, or a categorical counted as
  one driver), or Johnson's relative weights, with replicate-weight CIs.
* :func:`subgroup_differences` -- barrier prevalence by city tier / age band
  / income with design-based pairwise tests, Holm or Benjamini-Hochberg
  adjustment and column significance letters for tables (each group a column
  letter; a cell lists the letters of the groups it is significantly higher
  than, as in Q / Displayr and SPSS Custom Tables).

Importance decomposes the R-squared of the survey-weighted *linear
probability* model, the usual key-driver measure (Grömping 2007): it splits
explained variance fairly among correlated drivers.  For the size of each
barrier's effect on the purchase probability read the average marginal
effects (:func:`analysis.models.effects.average_marginal_effects`).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import factorial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_argument, check_columns, check_probability
from ..design.replicates import to_replicates
from ..design.results import result_frame, t_quantile, wald_interval
from ..errors import CodebookError, ModelError
from ..estimate.descriptive import svy_mean
from ..estimate.tables import svychisq

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["KeyDriverResult", "SubgroupResult", "key_drivers", "subgroup_differences",
           "p_adjust", "significance_letters"]


# --------------------------------------------------------------------------- key drivers
def _driver_columns(data: pd.DataFrame, drivers: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """Numeric matrix of the drivers and the driver index of each column."""
    blocks, owner = [], []
    for j, name in enumerate(drivers):
        col = data[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            blocks.append(col.astype("float64").to_numpy(dtype=float, na_value=np.nan)[:, None])
            owner.append(j)
        else:
            levels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                      else sorted(col.dropna().unique().tolist()))
            # Codes on the levels, not per-cell comparisons: works for pd.NA in string columns.
            codes = pd.Categorical(col, categories=levels).codes
            dummies = (codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)
            dummies[codes < 0] = np.nan
            blocks.append(dummies)
            owner.extend([j] * dummies.shape[1])
    return np.hstack(blocks), owner


def _weighted_cov(Z: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted covariance matrices of Z's columns, one per weight column (R x q x q)."""
    tot = W.sum(axis=0)
    means = (W.T @ Z) / tot[:, None]
    second = np.einsum("nr,ni,nj->rij", W, Z, Z, optimize=True) / tot[:, None, None]
    return second - means[:, :, None] * means[:, None, :]


def _subset_r2(cov: np.ndarray, owner: list[int], k: int) -> np.ndarray:
    """R-squared of every subset of drivers (bitmask order), per covariance (R x 2^k)."""
    owner_arr = np.asarray(owner)
    vy = cov[:, 0, 0]
    out = np.zeros((cov.shape[0], 2**k))
    for mask in range(1, 2**k):  # loop over subsets of a few drivers
        members = [j for j in range(k) if mask >> j & 1]
        cols = 1 + np.flatnonzero(np.isin(owner_arr, members))
        cxx = cov[:, cols[:, None], cols[None, :]]
        cxy = cov[:, cols, 0]
        beta = np.linalg.solve(cxx, cxy[..., None])[..., 0]
        out[:, mask] = np.sum(beta * cxy, axis=1) / vy
    return out


def _shapley(r2: np.ndarray, k: int) -> np.ndarray:
    """Shapley values (R x k) from subset R-squared values (R x 2^k)."""
    phi = np.zeros((r2.shape[0], k))
    for j in range(k):  # Shapley weights by subset size
        bit = 1 << j
        for mask in range(2**k):
            if mask & bit:
                continue
            s = bin(mask).count("1")
            weight = factorial(s) * factorial(k - s - 1) / factorial(k)
            phi[:, j] += weight * (r2[:, mask | bit] - r2[:, mask])
    return phi


def _relative_weights(cov: np.ndarray, owner: list[int], k: int) -> np.ndarray:
    """Johnson's (2000) relative weights, summed within each driver (R x k)."""
    sd = np.sqrt(np.einsum("rii->ri", cov))
    corr = cov / (sd[:, :, None] * sd[:, None, :])
    rxx, rxy = corr[:, 1:, 1:], corr[:, 1:, 0]
    lam, vec = np.linalg.eigh(rxx)
    root = vec @ (np.sqrt(np.clip(lam, 0, None))[:, :, None] * np.swapaxes(vec, 1, 2))
    beta = np.linalg.solve(root, rxy[..., None])[..., 0]
    raw = (root**2) @ (beta**2)[..., None]
    raw = raw[..., 0]
    out = np.zeros((cov.shape[0], k))
    for c, j in enumerate(owner):
        out[:, j] += raw[:, c]
    return out


class KeyDriverResult:
    """Driver importance with replicate-weight confidence intervals.

    Parameters
    ----------
    frame : DataFrame
        Indexed by driver: ``estimate`` (importance: share of variance
        explained), ``se``, ``share`` (of the total R-squared), ``share_se``
        and ``rank`` (1 = most important).
    r2 : float
        R-squared of the full linear probability model.
    r2_se : float
        Replicate standard error of ``r2``.
    df : float
        Degrees of freedom of the intervals (the replicate design's).
    method : str
        ``"shapley"`` or ``"relative_weights"``.
    replicates : ndarray
        Replicate importances (R x k).
    outcome : str
        The outcome column.
    """

    def __init__(self, frame: pd.DataFrame, r2: float, r2_se: float, df: float, method: str,
                 replicates: np.ndarray, outcome: str) -> None:
        self.frame = frame
        self.r2 = r2
        self.r2_se = r2_se
        self.df = df
        self.method = method
        self.replicates = replicates
        self.outcome = outcome

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """The importance table, most important first.

        Columns ``estimate, se, ci_low, ci_high`` (the importance, Wald with
        t on the replicate df), then ``share, share_ci_low, share_ci_high``
        (of the total R-squared) and ``rank``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of both intervals.

        Returns
        -------
        DataFrame
            Indexed by driver, sorted by importance.
        """
        check_probability("level", level)
        q = t_quantile(0.5 + level / 2, self.df if self.df > 0 else np.inf)
        f = self.frame.sort_values("estimate", ascending=False)
        est, se, share, sse = f["estimate"], f["se"], f["share"], f["share_se"]
        return result_frame(est, se, est - q * se, est + q * se,
                            extra={"share": share, "share_ci_low": share - q * sse,
                                   "share_ci_high": share + q * sse, "rank": f["rank"]})

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Plot-ready bars: ``driver`` then the :meth:`summary_frame` columns.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        DataFrame
            One row per driver, most important first.
        """
        return self.summary_frame(level).rename_axis("driver").reset_index()

    def __repr__(self) -> str:
        return (f"<KeyDriverResult {self.method} for {self.outcome!r}: R2 = {self.r2:.4f}>\n"
                f"{self.summary_frame()}")


def key_drivers(design: Design, outcome: str, drivers: Sequence[str], *, method: str = "shapley",
                rep_type: str = "bootstrap", replicates: int = 200, seed: Any = None
                ) -> KeyDriverResult:
    """Relative importance of drivers of an outcome, with design-based CIs.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    outcome : str
        Purchase outcome (boolean or numeric column).
    drivers : list of str
        Barrier indicators, attitude scores, demographics; a categorical
        column counts as one driver (its dummies enter together).
    method : {"shapley", "relative_weights"}
        Exact Shapley / LMG decomposition of R-squared over all ``2^k``
        driver subsets (k <= 15), or Johnson's relative weights.
    rep_type : str
        Replicate type made from a Taylor design, as :func:`to_replicates`.
    replicates : int
        Number of bootstrap replicates made from a Taylor design.
    seed : int or Generator, optional
        Randomness of the bootstrap replicates.

        Replicates are made from a Taylor design (``design.to_replicates``); a
        replicate design uses its own.  For a raked or calibrated design,
        convert to replicates *before* weighting so every replicate repeats
        the calibration (``SurveyDesign(df).to_replicates(...).rake(...)``).

    Returns
    -------
    KeyDriverResult
        ``.summary_frame(level)``: Wald intervals on the replicate SE, t on
        the replicate df.

    Raises
    ------
    ModelError
        Too many drivers for an exact Shapley decomposition, or a constant
        driver.
    """
    check_argument("method", ["shapley", "relative_weights"], method)
    drivers = list(drivers)
    check_columns(design.data, [outcome, *drivers], "drivers")
    k = len(drivers)
    if method == "shapley" and k > 15:
        raise ModelError(f"an exact Shapley decomposition over {k} drivers needs 2^{k} fits",
                         hint="use method='relative_weights' or group drivers")
    rep = design if design.is_replicate else to_replicates(
        design, type=rep_type, replicates=replicates, seed=seed)
    X, owner = _driver_columns(design.data, drivers)
    y = design.data[outcome].astype("float64").to_numpy(dtype=float, na_value=np.nan)
    Z = np.column_stack([y, X])
    ok = np.isfinite(Z).all(axis=1) & (rep.weights > 0)
    Z = Z[ok]
    W = np.column_stack([rep.weights[ok], np.asarray(rep.repweights, dtype=float)[ok]])
    cov = _weighted_cov(Z, W)
    if np.any(np.einsum("rii->ri", cov[:1])[:, 1:] <= 1e-14):
        flat = [drivers[owner[c]] for c in np.flatnonzero(np.einsum("ii->i", cov[0])[1:] <= 1e-14)]
        raise ModelError(f"driver(s) {flat} are constant among complete rows", column=flat[0],
                         hint="drop them or check the domain")
    if method == "shapley":
        r2 = _subset_r2(cov, owner, k)
        imp = _shapley(r2, k)
        total = r2[:, -1]
    else:
        imp = _relative_weights(cov, owner, k)
        total = imp.sum(axis=1)
    est, reps = imp[0], imp[1:]
    share_reps = reps / total[1:, None]
    share = est / total[0]
    vc = rep.replicate_vcov(reps, est)
    svc = rep.replicate_vcov(share_reps, share)
    se = np.sqrt(np.clip(np.diag(vc), 0, None))
    sse = np.sqrt(np.clip(np.diag(svc), 0, None))
    r2_se = float(np.sqrt(rep.replicate_vcov(total[1:, None], total[:1])[0, 0]))
    df = float(rep.degf())
    rank = pd.Series(est).rank(ascending=False, method="min").astype(int).to_numpy()
    frame = pd.DataFrame({"estimate": est, "se": se, "share": share, "share_se": sse,
                          "rank": rank}, index=pd.Index(drivers, name="driver"))
    return KeyDriverResult(frame, float(total[0]), r2_se, df, method, reps, outcome)


# --------------------------------------------------------------------------- subgroups
def p_adjust(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons (R's ``p.adjust``).

    NaN p-values are left out of the family and stay NaN.

    Parameters
    ----------
    p : array-like of float
        Raw p-values.
    method : {"holm", "BH", "fdr", "bonferroni", "none"}
        Adjustment (``"fdr"`` is ``"BH"``).

    Returns
    -------
    ndarray
        Adjusted p-values, capped at 1, in the input's order.
    """
    check_argument("method", ["holm", "BH", "fdr", "bonferroni", "none"], method)
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0 or method == "none":
        return np.where(ok, p, np.nan)
    x = p[ok]
    order = np.argsort(x)
    ranked = x[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    elif method == "bonferroni":
        adj = m * ranked
    else:
        adj = np.minimum.accumulate((m / np.arange(m, 0, -1)) * ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


#: Column letters, in the groups' own order (Q / Displayr, SPSS Custom Tables).
_COLUMN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def significance_letters(groups: Sequence[Any], pairs: Sequence[tuple[Any, Any]],
                         significant: Sequence[bool],
                         differences: Sequence[float]) -> pd.DataFrame:
    """Column letters and, per group, the letters of the groups it is significantly higher than.

    The column-letter convention of Q / Displayr and SPSS Custom Tables: each
    group (a table column) gets a letter, ``A, B, C, ...`` in the order of
    ``groups``, shown in its column header; a cell lists the letters of the
    columns it is significantly *higher* than.  A group higher than no other
    gets an empty string.

    Parameters
    ----------
    groups : sequence
        The groups, in column order (at most 26).
    pairs : sequence of (group_a, group_b)
        The pairs tested.
    significant : sequence of bool
        Whether each pair differs significantly (after any p-value adjustment).
    differences : sequence of float
        Estimate of ``group_a`` minus estimate of ``group_b`` for each pair;
        its sign says which group of a significant pair is higher.

    Returns
    -------
    DataFrame
        Indexed by group, columns ``column_letter`` and ``sig`` (the column
        letters of the groups it is significantly higher than, in column order).

    Raises
    ------
    ModelError
        More than 26 groups, duplicate groups, a pair naming an unknown group,
        or ``pairs``, ``significant`` and ``differences`` of unequal length.
    """
    groups = list(groups)
    if len(groups) > len(_COLUMN_LETTERS):
        raise ModelError(f"significance letters need at most {len(_COLUMN_LETTERS)} groups, "
                         f"got {len(groups)}", hint="combine small groups before testing")
    if len(set(groups)) != len(groups):
        raise ModelError(f"groups must be distinct, got {groups}")
    pairs, significant, differences = list(pairs), list(significant), list(differences)
    if not len(pairs) == len(significant) == len(differences):
        raise ModelError(f"pairs ({len(pairs)}), significant ({len(significant)}) and "
                         f"differences ({len(differences)}) must have the same length")
    letter = dict(zip(groups, _COLUMN_LETTERS))
    higher: dict[Any, set[Any]] = {g: set() for g in groups}
    for (a, b), sig, diff in zip(pairs, significant, differences):  # a few groups' pairs
        unknown = [g for g in (a, b) if g not in letter]
        if unknown:
            raise ModelError(f"pair ({a!r}, {b!r}) names group(s) {unknown} not in {groups}")
        if not sig or not np.isfinite(diff) or diff == 0:
            continue
        hi, lo = (a, b) if diff > 0 else (b, a)
        higher[hi].add(lo)
    return pd.DataFrame(
        {"column_letter": [letter[g] for g in groups],
         "sig": ["".join(letter[h] for h in groups if h in higher[g]) for g in groups]},
        index=pd.Index(groups, name="group"))


class SubgroupResult:
    """Prevalence by subgroup with pairwise design-based tests.

    Parameters
    ----------
    table : DataFrame
        One row per (variable, group): ``variable, group, estimate, se,
        n_unweighted, df, column_letter, sig`` (read through ``prevalence``).
    pairwise : DataFrame
        ``variable, group_a, group_b, difference, se, statistic, df, p_value,
        p_adjusted, significant``.
    overall : DataFrame
        Per variable: Rao-Scott F test of no difference between groups
        (``statistic, df1, df2, p_value, p_adjusted``).
    by : str
        The grouping column.
    adjust : str
        Multiple-comparison method.
    alpha : float
        Significance level of ``sig``.

    Attributes
    ----------
    prevalence : DataFrame
        Long, one row per (variable, group): ``variable, group`` then the
        :meth:`summary_frame` columns at level 0.95 (``estimate, se, ci_low,
        ci_high, n_unweighted, df, column_letter, sig``).  ``column_letter``
        is the group's letter (``A, B, ...`` in the groups' order, the same
        for every variable) and ``sig`` the letters of the groups this group
        is significantly higher than on the variable (empty if none).
    """

    def __init__(self, table: pd.DataFrame, pairwise: pd.DataFrame, overall: pd.DataFrame,
                 by: str, adjust: str, alpha: float) -> None:
        self._table = table  # variable, group, estimate, se, n_unweighted, df, letters
        self.pairwise = pairwise
        self.overall = overall
        self.by = by
        self.adjust = adjust
        self.alpha = alpha

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tabulate the prevalences, indexed by ``(variable, group)``.

        Columns ``estimate, se, ci_low, ci_high, n_unweighted`` (Wald, t on
        each group's design df), then ``df, column_letter, sig``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        DataFrame
            One row per (variable, group).
        """
        check_probability("level", level)
        tab = self._table
        low, high = wald_interval(tab["estimate"].to_numpy(float), tab["se"].to_numpy(float),
                                  level, tab["df"].to_numpy(float))
        index = pd.MultiIndex.from_frame(tab[["variable", "group"]])
        return result_frame(tab["estimate"], tab["se"], low, high, index=index,
                            n_unweighted=tab["n_unweighted"],
                            extra={c: tab[c] for c in ("df", "column_letter", "sig")})

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Plot-ready prevalence: ``variable, group`` then the :meth:`summary_frame` columns.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        DataFrame
            One row per (variable, group).
        """
        return self.summary_frame(level).reset_index()

    @property
    def prevalence(self) -> pd.DataFrame:
        """:meth:`tidy` at level 0.95."""
        return self.tidy()

    def letter_table(self, digits: int = 1) -> pd.DataFrame:
        """Table for reports: variables x groups, headers like ``"t1 (A)"``, cells ``"45.3 BC"``.

        Cells are percentages followed by the letters of the columns they are
        significantly higher than (nothing when none).

        Parameters
        ----------
        digits : int, default 1
            Decimals of the percentages.

        Returns
        -------
        DataFrame
            Strings, one row per variable, one column per group.
        """
        prev = self._table
        cell = ((prev["estimate"] * 100).round(digits).map(lambda v: f"{v:.{digits}f}")
                + (" " + prev["sig"]).where(prev["sig"] != "", ""))
        table = prev.assign(cell=cell).pivot(index="variable", columns="group", values="cell")
        letters = dict(zip(prev["group"], prev["column_letter"]))
        order = sorted(letters, key=letters.__getitem__)
        table = table.loc[prev["variable"].unique(), order]
        table.columns = pd.Index([f"{g} ({letters[g]})" for g in order], name=self.by)
        return table

    def __repr__(self) -> str:
        return (f"<SubgroupResult by {self.by!r} ({self.adjust}, alpha {self.alpha:g})>\n"
                f"{self.letter_table()}")


def _expand(design: Design, variables: str | Sequence[str]) -> list[str]:
    """Columns of the variables; a codebook select-all question gives its option columns."""
    names = [variables] if isinstance(variables, str) else list(variables)
    out = []
    for v in names:
        if v in design.data.columns:
            out.append(v)
            continue
        cb = design.codebook
        try:
            q = None if cb is None else cb.question(v)
        except CodebookError:  # not a question: report the missing column below
            q = None
        if q is None or q.type != "multiple":
            check_columns(design.data, [v], "variables")  # raises: v is not a column
            continue
        out.extend(c for c in q.columns() if c in design.data.columns and
                   not c.endswith("_other_text"))
    return out


def _group_order(column: pd.Series, groups: Sequence[Any]) -> list[Any]:
    """Groups in the ``by`` column's order (categories, else sorted), as ``design.mean`` gives them.

    One letter per group for the whole table, so a column keeps its letter on
    every row even when a variable lacks a group.
    """
    present = list(dict.fromkeys(groups))
    if isinstance(column.dtype, pd.CategoricalDtype):
        order = [g for g in column.cat.categories if g in present]
        return order + [g for g in present if g not in order]
    try:
        return sorted(present)
    except TypeError:  # mixed types: keep the order of appearance
        return present


def subgroup_differences(design: Design, variables: str | Sequence[str], by: str, *,
                         adjust: str = "holm", family: str = "variable", alpha: float = 0.05
                         ) -> SubgroupResult:
    """Barrier prevalence by subgroup with pairwise tests and column significance letters.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    variables : str or list of str
        Boolean / 0-1 columns (barrier indicators) or a codebook select-all
        question id (its option columns).
    by : str
        Subgroup column (city tier, age band, income band, ...).
    adjust : {"holm", "BH", "fdr", "bonferroni", "none"}
        Multiple-comparison adjustment of the pairwise p-values.
    family : {"variable", "all"}
        Adjust within each variable's comparisons or across all of them.
    alpha : float
        Significance level for ``significant`` and ``sig``.

    Returns
    -------
    SubgroupResult
        ``.summary_frame(level)`` gives the prevalence intervals at ``level``.

    Notes
    -----
    Prevalences are domain means (``design.mean(var, by=by)``); differences
    use their joint design covariance, t tests on the design df of the rows
    used.  The overall test per variable is the Rao-Scott F test
    (``design.chisq``).  Significance letters follow the column-letter
    convention (:func:`significance_letters`): a group's ``sig`` lists the
    ``column_letter`` of every group it is significantly higher than after
    the ``adjust`` correction at ``alpha``.
    """
    check_argument("family", ["variable", "all"], family)
    check_probability("alpha", alpha)
    check_columns(design.data, [by], "by")
    names = _expand(design, variables)
    prev_rows, pair_rows, overall_rows = [], [], []
    for var in names:  # a few barrier variables
        res = svy_mean(design, var, by=by, na_rm=True)
        est = res.estimate
        groups = list(est.index)
        group_df = np.broadcast_to(np.asarray(res.df, dtype=float), (len(groups),))
        vcov = res.vcov.to_numpy()
        df = res.overall_df if res.overall_df is not None else float(np.min(res.df))
        for i, g in enumerate(groups):
            prev_rows.append({"variable": var, "group": g, "estimate": float(est.iloc[i]),
                              "se": float(res.se.iloc[i]),
                              "n_unweighted": int(res.n_unweighted.iloc[i]),
                              "df": float(group_df[i])})
        for i, j in combinations(range(len(groups)), 2):
            diff = float(est.iloc[i] - est.iloc[j])
            se = float(np.sqrt(max(vcov[i, i] + vcov[j, j] - 2 * vcov[i, j], 0.0)))
            t = diff / se if se > 0 else np.nan
            p = float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) and df > 0 else np.nan
            pair_rows.append({"variable": var, "group_a": groups[i], "group_b": groups[j],
                              "difference": diff, "se": se, "statistic": t, "df": df,
                              "p_value": p})
        try:
            test = svychisq(design, var, by)
            overall_rows.append({"variable": var, "statistic": float(test.statistic),
                                 "df1": float(test.ndf), "df2": float(test.ddf),
                                 "p_value": float(test.pvalue)})
        except (ValueError, TypeError, AttributeError):
            overall_rows.append({"variable": var, "statistic": np.nan, "df1": np.nan,
                                 "df2": np.nan, "p_value": np.nan})
    pairwise = pd.DataFrame(pair_rows)
    if len(pairwise):
        if family == "all":
            pairwise["p_adjusted"] = p_adjust(pairwise["p_value"], adjust)
        else:
            pairwise["p_adjusted"] = pairwise.groupby("variable", sort=False)["p_value"].transform(
                lambda s: p_adjust(s.to_numpy(), adjust))
        pairwise["significant"] = pairwise["p_adjusted"] < alpha
    prevalence = pd.DataFrame(prev_rows)
    all_groups = _group_order(design.data[by], prevalence["group"] if len(prevalence) else [])
    column_letter, sig = [], []
    for var in names:
        sub = pairwise[pairwise["variable"] == var] if len(pairwise) else pairwise
        groups = prevalence.loc[prevalence["variable"] == var, "group"].tolist()
        letters = significance_letters(all_groups, list(zip(sub["group_a"], sub["group_b"])),
                                       sub["significant"].tolist() if len(sub) else [],
                                       sub["difference"].tolist() if len(sub) else [])
        column_letter.extend(letters.loc[groups, "column_letter"])
        sig.extend(letters.loc[groups, "sig"])
    prevalence["column_letter"] = column_letter
    prevalence["sig"] = sig
    overall = pd.DataFrame(overall_rows).set_index("variable")
    overall["p_adjusted"] = p_adjust(overall["p_value"].to_numpy(), adjust)
    return SubgroupResult(prevalence, pairwise, overall, by, adjust, alpha)
