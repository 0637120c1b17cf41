"""Two-way survey tables: weighted crosstabs with SEs and Rao-Scott tests.

:func:`crosstab` gives weighted counts and cell, row and column proportions
(``summary_frame(level, of=...)``, the result protocol of
:mod:`analysis.design.results`) with design-based standard errors (linearisation through
``Design.vcov_scores``, or replicate weights).  :func:`svychisq` tests
independence exactly as R's ``survey::svychisq``: Rao-Scott second-order
``"F"`` (default), first-order ``"Chisq"``, and the design-based ``"Wald"``
and ``"adjWald"`` tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

from .._validation import check_argument, check_columns, check_probability
from ..design.results import result_frame, wald_interval
from ..errors import DesignError

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["ChisqResult", "CrosstabResult", "crosstab", "svychisq", "linear_vcov",
           "CHISQ_STATISTICS", "CROSSTAB_TABLES", "saddlepoint_pfsum"]

CHISQ_STATISTICS = ("F", "Chisq", "Wald", "adjWald", "saddlepoint")


def _levels(series: pd.Series) -> list[Any]:
    """Observed levels in R's ``factor()`` order: categorical order, else sorted."""
    observed = series.dropna()
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(observed.unique().tolist())
        return [c for c in series.cat.categories if c in present]
    return sorted(observed.unique().tolist())


def _indicators(series: pd.Series, levels: list[Any]) -> np.ndarray:
    codes = pd.Categorical(series, categories=levels).codes
    out = np.zeros((len(series), len(levels)))
    ok = codes >= 0
    out[np.flatnonzero(ok), codes[ok]] = 1.0
    return out


def linear_vcov(design: Design, Z: np.ndarray, D: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Estimate totals ``sum w Z`` or ratios ``sum w Z / sum w D`` with their covariance.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    Z : ndarray (n, k)
        Numerator variables (zero on rows to leave out).
    D : ndarray (n, k), optional
        Denominator variables; ``None`` for totals.

    Returns
    -------
    estimate : ndarray (k,)
        The totals or ratios.
    vcov : ndarray (k, k)
        Their design covariance (linearised ratios, or replicates).
    """
    w = np.asarray(design.weights, dtype=float)
    num = w @ Z
    if D is None:
        est = num
        scores = w[:, None] * Z
    else:
        den = w @ D
        est = num / den
        scores = w[:, None] * (Z - est * D) / den
    if getattr(design, "is_replicate", False):
        reps = np.asarray(design.repweights, dtype=float)
        theta = reps.T @ Z
        if D is not None:
            theta = theta / (reps.T @ D)
        return est, np.asarray(design.replicate_vcov(theta, est), dtype=float)
    return est, np.asarray(design.vcov_scores(scores), dtype=float)


@dataclass(frozen=True)
class _Table:
    row: str
    col: str
    row_levels: list[Any]
    col_levels: list[Any]
    cells: np.ndarray  # n x (nr*nc), row level varying fastest (R's interaction())
    R: np.ndarray
    C: np.ndarray
    valid: np.ndarray


def _table(design: Design, row: str, col: str) -> _Table:
    check_columns(design.data, [row, col], param="row/col")
    data = design.data
    rv, cv = data[row].reset_index(drop=True), data[col].reset_index(drop=True)
    rl, cl = _levels(rv), _levels(cv)
    for name, lev in ((row, rl), (col, cl)):
        if len(lev) < 2:
            raise DesignError(f"column {name!r} has {len(lev)} observed level(s); a table "
                              "test needs at least 2", column=name,
                              hint="choose a variable that varies, or drop the empty domain")
    valid = (rv.notna() & cv.notna()).to_numpy()
    R = _indicators(rv, rl) * valid[:, None]
    C = _indicators(cv, cl) * valid[:, None]
    # Row level varies fastest, as in R's interaction(rows, cols).
    cells = np.concatenate([R * C[:, [j]] for j in range(len(cl))], axis=1)
    return _Table(row, col, rl, cl, cells, R, C, valid)


#: What :meth:`CrosstabResult.summary_frame` reports (``of=``).
CROSSTAB_TABLES = ("cell", "row", "col", "count")


@dataclass(frozen=True)
class CrosstabResult:
    """Weighted two-way table with design-based standard errors.

    Attributes
    ----------
    row : str
        The column whose levels label the table's rows.
    col : str
        The column whose levels label the table's columns.
    counts : DataFrame
        Estimated population counts (weighted totals) per cell.
    counts_se : DataFrame
        Standard errors of ``counts``.
    cell : DataFrame
        Cell proportions (sum to 1 over the table).
    cell_se : DataFrame
        Standard errors of ``cell``.
    row_prop : DataFrame
        Proportions within rows (each row sums to 1).
    row_prop_se : DataFrame
        Standard errors of ``row_prop``.
    col_prop : DataFrame
        Proportions within columns (each column sums to 1).
    col_prop_se : DataFrame
        Standard errors of ``col_prop``.
    n_unweighted : DataFrame
        Respondents (positive weight, both answers) in each cell.
    design : SurveyDesign
        The design, for :meth:`test`.
    """

    row: str
    col: str
    counts: pd.DataFrame
    counts_se: pd.DataFrame
    cell: pd.DataFrame
    cell_se: pd.DataFrame
    row_prop: pd.DataFrame
    row_prop_se: pd.DataFrame
    col_prop: pd.DataFrame
    col_prop_se: pd.DataFrame
    n_unweighted: pd.DataFrame
    design: Design = field(repr=False, compare=False)

    def summary_frame(self, level: float = 0.95, *, of: str = "cell") -> pd.DataFrame:
        """One line per cell, indexed by ``(row, col)``: the result protocol's table.

        Parameters
        ----------
        level : float
            Confidence level of the Wald intervals (normal quantile, as R's
            ``confint`` of ``svymean`` / ``svytotal``).
        of : {"cell", "row", "col", "count"}
            Cell proportions, proportions within rows, within columns, or
            weighted counts.

        Returns
        -------
        DataFrame
            ``estimate, se, ci_low, ci_high, n_unweighted``.
        """
        check_argument("of", list(CROSSTAB_TABLES), of)
        check_probability("level", level)
        est, se = {"cell": (self.cell, self.cell_se), "row": (self.row_prop, self.row_prop_se),
                   "col": (self.col_prop, self.col_prop_se),
                   "count": (self.counts, self.counts_se)}[of]
        e, s = est.to_numpy().ravel(), se.to_numpy().ravel()
        low, high = wald_interval(e, s, level)
        index = pd.MultiIndex.from_product([est.index, est.columns], names=[self.row, self.col])
        return result_frame(e, s, low, high, index=index,
                            n_unweighted=self.n_unweighted.to_numpy().ravel())

    def cells(self) -> pd.DataFrame:
        """Wide, one line per cell: count, cell/row/column proportions and their SEs.

        Returns
        -------
        DataFrame
            Columns ``row`` and ``col`` (the two levels), then ``count``,
            ``prop``, ``row_prop``, ``col_prop`` (each with ``_se``) and
            ``n_unweighted``.
        """
        parts = {
            "count": self.counts, "count_se": self.counts_se,
            "prop": self.cell, "prop_se": self.cell_se,
            "row_prop": self.row_prop, "row_prop_se": self.row_prop_se,
            "col_prop": self.col_prop, "col_prop_se": self.col_prop_se,
            "n_unweighted": self.n_unweighted,
        }
        nr, nc = self.counts.shape
        out = pd.DataFrame({
            self.row: np.repeat(self.counts.index.to_numpy(), nc),
            self.col: np.tile(self.counts.columns.to_numpy(), nr),
        })
        for key, frame in parts.items():
            out[key] = frame.to_numpy().ravel()
        return out

    def test(self, statistic: str = "F") -> ChisqResult:
        """Test of independence on the same table (:func:`svychisq`).

        Parameters
        ----------
        statistic : {"F", "Chisq", "Wald", "adjWald", "saddlepoint"}
            The test, as for :func:`svychisq`.

        Returns
        -------
        ChisqResult
            The test on the table's design.
        """
        return svychisq(self.design, self.row, self.col, statistic=statistic)


def crosstab(design: Design, row: str, col: str) -> CrosstabResult:
    """Weighted crosstab of two categorical columns with design-based SEs.

    Parameters
    ----------
    design : SurveyDesign
        The survey design; rows with weight 0 (outside a domain) count zero.
    row, col : str
        Column names of the table's row and column variables.  Rows where
        either is missing are left out of every estimate.

    Returns
    -------
    CrosstabResult
        Counts and proportions with SEs, and unweighted cell sizes.

    Notes
    -----
    Counts are ``svytotal`` of the cell indicators; proportions are ratios of
    totals (``svymean``/``svyratio`` in R), linearised for Taylor designs.
    """
    t = _table(design, row, col)
    nr, nc = len(t.row_levels), len(t.col_levels)
    ones = np.repeat(t.valid[:, None].astype(float), nr * nc, axis=1)
    counts, v_counts = linear_vcov(design, t.cells)
    cell, v_cell = linear_vcov(design, t.cells, ones)
    # Denominators: the cell's row total (row_prop) or column total (col_prop).
    row_den = np.tile(t.R, (1, nc))
    col_den = np.repeat(t.C, nr, axis=1)
    rprop, v_rprop = linear_vcov(design, t.cells, row_den)
    cprop, v_cprop = linear_vcov(design, t.cells, col_den)

    def frame(x: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(x.reshape(nr, nc, order="F"),
                            index=pd.Index(t.row_levels, name=row),
                            columns=pd.Index(t.col_levels, name=col))

    def se(v: np.ndarray) -> pd.DataFrame:
        return frame(np.sqrt(np.clip(np.diag(v), 0, None)))

    counted = np.asarray(design.weights, dtype=float) > 0
    n_cells = frame((t.cells[counted] > 0).sum(axis=0).astype("int64"))

    return CrosstabResult(
        row=row, col=col, counts=frame(counts), counts_se=se(v_counts),
        cell=frame(cell), cell_se=se(v_cell), row_prop=frame(rprop), row_prop_se=se(v_rprop),
        col_prop=frame(cprop), col_prop_se=se(v_cprop), n_unweighted=n_cells, design=design,
    )


@dataclass(frozen=True)
class ChisqResult:
    """A design-based test of independence in a two-way table.

    Attributes
    ----------
    row : str
        The column whose levels form the table's rows.
    col : str
        The column whose levels form the table's columns.
    statistic : float
        ``"F"``: Pearson X^2 / trace(Delta); ``"Chisq"``: Pearson X^2 itself
        (compared with ``chi2(ndf)`` after dividing by ``mean(eigen(Delta))``,
        see ``scaled_statistic``); ``"Wald"``/``"adjWald"``: the F-scaled Wald
        statistic.
    ndf : float
        Numerator degrees of freedom.
    ddf : float
        Denominator degrees of freedom (``inf`` for ``"Chisq"``).
    pvalue : float
        Upper-tail p-value.
    method : str
        Which test, in words.
    test : str
        The ``statistic`` option that was asked for (``"F"``, ``"Chisq"``, ...).
    pearson : float
        Pearson X^2 of the weighted table scaled to the sample size.
    design_effects : ndarray
        Eigenvalues of the generalised design-effect matrix Delta (empty for
        the Wald tests).
    """

    row: str
    col: str
    statistic: float
    ndf: float
    ddf: float
    pvalue: float
    method: str
    test: str
    pearson: float
    design_effects: np.ndarray = field(repr=False)

    @property
    def scaled_statistic(self) -> float:
        """Statistic on the scale of its reference distribution."""
        if self.test == "Chisq":
            return self.pearson / float(np.mean(self.design_effects))
        return self.statistic

    def to_frame(self) -> pd.DataFrame:
        """One-row table: ``row, col, test, statistic, ndf, ddf, p_value, method``.

        A test has no estimate, so it offers ``to_frame()`` rather than the
        result protocol's ``summary_frame()``.

        Returns
        -------
        DataFrame
            The test's fields as one row.
        """
        return pd.DataFrame({
            "row": [self.row], "col": [self.col], "test": [self.test],
            "statistic": [self.statistic], "ndf": [self.ndf], "ddf": [self.ddf],
            "p_value": [self.pvalue], "method": [self.method],
        })


def _design_df(design: Design) -> float:
    """Denominator df ``nu`` of ``svychisq``: PSUs minus strata of the design.

    R counts every row of the design it is given.  A domain of an
    uncalibrated design has its other rows removed in R, which is ``degf``;
    a calibrated design keeps them at weight zero, so count all rows then.
    """
    if getattr(design, "is_replicate", False) or not getattr(design, "calibrations", ()):
        return float(design.degf())
    assert design.structure is not None  # Taylor designs (not replicate) always have one
    first = design.structure.first
    return float(np.unique(first.cluster).size - np.unique(first.stratum_code).size)


def _pearson(counts: np.ndarray, n_total: float) -> float:
    tbl = counts * n_total / counts.sum()
    expected = np.outer(tbl.sum(axis=1), tbl.sum(axis=0)) / tbl.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum((tbl - expected) ** 2 / expected))


def svychisq(design: Design, row: str, col: str, statistic: str = "F") -> ChisqResult:
    """Design-based test of independence, as R's ``svychisq``.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    row, col : str
        The two categorical columns.  Rows missing either are dropped (R's
        ``na.rm=TRUE``).
    statistic : {"F", "Chisq", "Wald", "adjWald"}
        ``"F"``: Rao-Scott second-order correction, the Pearson X^2 divided
        by the mean generalised design effect and referred to F with
        Satterthwaite ``d0`` and ``d0 * nu`` df (default).  ``"Chisq"``:
        first-order Rao-Scott, X^2 / mean(deff) ~ chi2((r-1)(c-1)).
        ``"Wald"``: Koch et al. Wald test / ((r-1)(c-1)) ~ F(ndf, nu).
        ``"adjWald"``: Wald statistic times ``(nu - ndf + 1) / (ndf nu)``.
        ``"saddlepoint"``: the Pearson X^2 itself, its p-value from the
        saddlepoint approximation to its asymptotic distribution, a sum of
        design effects times chi2(1) over a chi2(d0 * nu) / (d0 * nu) (R's
        ``pFsum``, which keeps ``floor(d0 * nu)`` denominator df and falls back
        to the Satterthwaite F when the saddlepoint is too near 0); on a
        replicate design, as R, the tail of the sum of chi-squares alone
        (``pchisqsum``, ``ddf`` inf); ``ndf`` is the number of design effects.

    Returns
    -------
    ChisqResult
        Statistic, degrees of freedom, p-value and design effects.

    Raises
    ------
    DesignError
        A column is missing or has fewer than two levels.

    References
    ----------
    Rao, J. N. K. and Scott, A. J. (1984). On chi-squared tests for multiway
    contingency tables with cell properties estimated from survey data.
    Annals of Statistics 12, 46-60.
    """
    check_argument("statistic", list(CHISQ_STATISTICS), statistic)
    t = _table(design, row, col)
    nr, nc = len(t.row_levels), len(t.col_levels)
    n_total = float(len(t.valid))
    nu = _design_df(design)
    w = np.asarray(design.weights, dtype=float)
    counts = (w @ t.cells).reshape(nr, nc, order="F")
    x2 = _pearson(counts, n_total)
    if statistic in ("Wald", "adjWald"):
        return _wald(design, t, statistic, nu, x2)
    ones = np.repeat(t.valid[:, None].astype(float), nr * nc, axis=1)
    mean2, V = linear_vcov(design, t.cells, ones)
    # Interaction contrasts orthogonal to the main effects (R's Cmat).
    rows_i = np.tile(np.arange(nr), nc)
    cols_j = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack([np.ones(nr * nc)]
                         + [(rows_i == i).astype(float) for i in range(1, nr)]
                         + [(cols_j == j).astype(float) for j in range(1, nc)])
    inter = np.column_stack([((rows_i == i) & (cols_j == j)).astype(float)
                             for j in range(1, nc) for i in range(1, nr)])
    q, _ = linalg.qr(X1, mode="economic")
    cmat = inter - q @ (q.T @ inter)
    idiag = np.where(mean2 == 0, 0.0, 1.0 / np.where(mean2 == 0, 1.0, mean2))
    ic = idiag[:, None] * cmat
    denom = cmat.T @ ic / n_total
    numr = ic.T @ V @ ic
    delta = linalg.solve(denom, numr)
    tr, tr2 = np.trace(delta), np.trace(delta @ delta)
    d0 = float(tr**2 / tr2)
    eig = np.sort(np.real(linalg.eigvals(delta)))[::-1]
    if statistic == "saddlepoint":
        # R: pFsum(ddf = d0 * nu) on Taylor designs, pchisqsum (no denominator) on replicates
        ddf = np.inf if getattr(design, "is_replicate", False) else d0 * nu
        p = saddlepoint_pfsum(x2, eig, ddf)
        return ChisqResult(row, col, x2, float(eig.size), ddf, p,
                           "Pearson's X^2: saddlepoint approximation", "saddlepoint", x2, eig)
    if statistic == "F":
        stat = float(x2 / tr)
        p = float(stats.f.sf(stat, d0, d0 * nu))
        return ChisqResult(row, col, stat, d0, d0 * nu, p,
                           "Pearson's X^2: Rao & Scott adjustment (second order, F)",
                           "F", x2, eig)
    ndf = float(delta.shape[1])
    p = float(stats.chi2.sf(x2 / np.mean(np.diag(delta)), ndf))
    return ChisqResult(row, col, x2, ndf, np.inf, p,
                       "Pearson's X^2: Rao & Scott adjustment (first order, chi-squared)",
                       "Chisq", x2, eig)


def _wald(design: Design, t: _Table, statistic: str, nu: float, x2: float) -> ChisqResult:
    nr, nc = len(t.row_levels), len(t.col_levels)
    one = t.valid[:, None].astype(float)
    cells, V = linear_vcov(design, np.hstack([t.cells, t.R, t.C, one]))
    nrc = nr * nc
    rtot, ctot, tot = cells[nrc:nrc + nr], cells[nrc + nr:nrc + nr + nc], cells[-1]
    rows_i = np.tile(np.arange(nr), nc)
    cols_j = np.repeat(np.arange(nc), nr)
    # Jacobian of Y_rc = N_rc - N_r. N_.c / N w.r.t. (cells, row, col, total).
    jac = np.hstack([
        np.eye(nrc),
        -(rows_i[:, None] == np.arange(nr)[None, :]).astype(float) * (ctot[cols_j] / tot)[:, None],
        -(cols_j[:, None] == np.arange(nc)[None, :]).astype(float) * (rtot[rows_i] / tot)[:, None],
        (rtot[rows_i] * ctot[cols_j] / tot**2)[:, None],
    ])
    Y = cells[:nrc] - rtot[rows_i] * ctot[cols_j] / tot
    VY = jac @ V @ jac.T
    use = (rows_i > 0) & (cols_j > 0)
    stat = float(Y[use] @ linalg.solve(VY[np.ix_(use, use)], Y[use], assume_a="sym"))
    ndf = float((nr - 1) * (nc - 1))
    if statistic == "Wald":
        stat, ddf = stat / ndf, nu
    else:
        ddf = nu - ndf + 1
        stat = stat * ddf / (ndf * nu)
    p = float(stats.f.sf(stat, ndf, ddf))
    return ChisqResult(t.row, t.col, stat, ndf, ddf, p,
                       "Design-based Wald test of association", statistic, x2,
                       np.empty(0))


def saddlepoint_pfsum(x: float, a: np.ndarray, ddf: float) -> float:
    """Upper tail of ``sum a_i chi2_1`` over ``chi2_ddf / ddf`` at ``x`` (R's ``pFsum``).

    Parameters
    ----------
    x : float
        The statistic (Pearson X^2).
    a : ndarray
        Coefficients (the design effects, eigenvalues of Delta).
    ddf : float
        Denominator df; R repeats ``-x/ddf`` ``floor(ddf)`` times (``rep``).
        ``inf``: the tail of ``sum a_i chi2_1`` itself (R's ``pchisqsum``,
        which ``svychisq`` uses on replicate designs).

    Returns
    -------
    float
        Lugannani-Rice saddlepoint tail probability (R's ``saddle``), or the
        Satterthwaite approximation where R's saddle gives NA.
    """
    a = np.asarray(a, dtype=float)
    tr = a.mean()
    tr2 = np.mean(a**2) / tr**2
    ndf = a.size / tr2
    if not np.isfinite(ddf):
        fallback = float(stats.chi2.sf(x / (tr * tr2), ndf))
        p = _saddle(x, a, np.ones(a.size))
        return fallback if p is None else p
    fallback = float(stats.f.sf(x / ndf / (tr * tr2), ndf, ddf))
    # R: rep(-x/ddf, ddf) truncates; a ddf within rounding of an integer is that integer
    reps = np.floor(ddf + 1e-9)
    if reps < 1:
        return fallback
    p = _saddle(0.0, np.concatenate([a, [-x / ddf]]), np.concatenate([np.ones(a.size), [reps]]))
    return fallback if p is None else p


def _saddle(x: float, lam: np.ndarray, mult: np.ndarray) -> float | None:
    """R's ``survey:::saddle(x, rep(lam, mult))``; None where R returns NA."""
    d = lam.max()
    lam, x = lam / d, x / d

    def k0(z: float) -> float:
        return float(-np.sum(mult * np.log(1 - 2 * z * lam)) / 2)

    def k1(z: float) -> float:
        return float(np.sum(mult * lam / (1 - 2 * z * lam))) - x

    def k2(z: float) -> float:
        return float(2 * np.sum(mult * lam**2 / (1 - 2 * z * lam) ** 2))

    lmin: float
    if (lam < 0).any():
        lmin = float(np.max(1 / (2 * lam[lam < 0]))) * 0.99999
    elif x > np.sum(mult * lam):
        lmin = -0.01
    else:
        lmin = -float(np.sum(mult)) / (2 * x)
    lmax = float(np.min(1 / (2 * lam[lam > 0]))) * 0.99999
    try:
        # R: uniroot(tol = 1e-8); solved to full precision here (the tail moves ~1e-9)
        zeta = optimize.brentq(k1, lmin, lmax, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    except ValueError:
        return None
    if abs(zeta) < 1e-4:
        return None
    w = np.sign(zeta) * np.sqrt(2 * (zeta * x - k0(zeta)))
    v = zeta * np.sqrt(k2(zeta))
    return float(stats.norm.sf(w + np.log(v / w) / w))
