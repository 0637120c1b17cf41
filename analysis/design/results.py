"""Result objects of the estimators, and the one protocol every result follows.

A :class:`SurveyResult` is immutable and tidy: ``.estimate`` and ``.se`` are
Series sharing one index (levels, options or ``(group, level)`` pairs),
``.vcov`` the full covariance, ``.summary_frame()`` the table a report prints.
Confidence intervals are Wald intervals on the estimate scale unless the
estimator supplies its own (proportions use R's ``svyciprop`` methods,
quantiles Woodruff intervals).

The result protocol
-------------------
Every result object of the package (descriptive estimates, contrasts,
crosstabs, model coefficients, marginal effects, key drivers, subgroup
prevalences, Turnbull curves, WTP summaries, price points, ...) satisfies
:class:`Result`:

* ``summary_frame(level=0.95)`` -- the confidence level is the first
  parameter, named ``level``, default 0.95, and it changes the interval
  columns; other options are keyword-only and come after it.  The level is
  chosen when a result is read, not when it is fitted.
* The returned DataFrame's first columns are exactly :data:`RESULT_COLUMNS`
  (``estimate, se, ci_low, ci_high``), followed by ``n_unweighted`` (the
  unweighted base of each row) when the result knows its bases.
* Extra columns come after those, each with one spelling across classes:

  =================  ==========================================================
  ``statistic``      test statistic (t or z of a Wald test)
  ``df``             degrees of freedom of that test / of the interval
  ``p_value``        two-sided p-value of ``statistic``
  ``deff``           design effect
  ``kr_low``,        Krinsky-Robb percentile interval (WTP)
  ``kr_high``
  ``kind``, ...      labels (``slope`` / ``cutpoint``, ...)
  =================  ==========================================================

* ``conf_int(level=0.95)`` returns a DataFrame with columns ``ci_low`` and
  ``ci_high``; ``tidy(level=0.95)`` the same estimates as a plot-ready long
  frame (the index turned into columns).
* A method name means one return type: ``wtp()`` is always a
  :class:`~analysis.pricing.regression.WTPResult`; ``curve()`` and
  ``demand_curve()`` frames name the curve value ``estimate``.

Tables that are not estimates (test statistics of a crosstab, weighting
diagnostics) use ``to_frame()``, so ``summary_frame`` always means the
protocol.  :func:`result_frame` builds the protocol's frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_probability

__all__ = ["SurveyResult", "ContrastResult", "Result", "RESULT_COLUMNS", "result_frame",
           "wald_interval", "probability_interval", "t_quantile"]

Interval = Callable[[float], tuple[np.ndarray, np.ndarray]]

#: The first columns of every ``summary_frame()``, in this order.
RESULT_COLUMNS = ("estimate", "se", "ci_low", "ci_high")


@runtime_checkable
class Result(Protocol):
    """What every result object offers (see the module docstring).

    ``summary_frame(level=0.95)`` returns a DataFrame whose first columns are
    :data:`RESULT_COLUMNS`, then ``n_unweighted`` when the result knows its
    bases, then any extra columns.

    Parameters
    ----------
    *args, **kwargs
        Not used: a protocol is only checked against, never instantiated.
    """

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """The protocol's table at confidence ``level``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of ``ci_low, ci_high``.

        Returns
        -------
        DataFrame
            Columns :data:`RESULT_COLUMNS` first.
        """
        ...


def result_frame(estimate: Any, se: Any, ci_low: Any, ci_high: Any, *,
                 index: Any = None, n_unweighted: Any = None,
                 extra: dict[str, Any] | None = None) -> pd.DataFrame:
    """The protocol's table: ``estimate, se, ci_low, ci_high[, n_unweighted]``, then ``extra``.

    Parameters
    ----------
    estimate, se, ci_low, ci_high : array-like
        One value per row.
    index : Index or array-like, optional
        Row labels (default: the index of ``estimate`` when it is a Series).
    n_unweighted : array-like, optional
        Unweighted base of each row; the column is left out when None.
    extra : dict, optional
        Further columns, in order, after the protocol's.

    Returns
    -------
    DataFrame
        The columns as float (``n_unweighted`` as given).
    """
    if index is None and isinstance(estimate, pd.Series):
        index = estimate.index
    cols: dict[str, Any] = {c: np.asarray(v, dtype=float).reshape(-1) for c, v in
                            zip(RESULT_COLUMNS, (estimate, se, ci_low, ci_high))}
    if n_unweighted is not None:
        cols["n_unweighted"] = np.asarray(n_unweighted).reshape(-1)
    for name, values in (extra or {}).items():
        cols[name] = values.to_numpy() if isinstance(values, pd.Series) else values
    return pd.DataFrame(cols, index=index)


def t_quantile(p: float, df: float | np.ndarray) -> np.ndarray:
    """Compute ``qt(p, df)`` with ``df = inf`` giving the normal quantile (R's convention).

    Parameters
    ----------
    p : float
        Probability.
    df : float or ndarray
        Degrees of freedom; ``<= 0`` gives NaN.

    Returns
    -------
    ndarray
        The quantile(s), shaped as ``df``.
    """
    df = np.asarray(df, dtype="float64")
    with np.errstate(invalid="ignore"):
        q = np.where(np.isinf(df), stats.norm.ppf(p), stats.t.ppf(p, np.where(df > 0, df, np.nan)))
    return q


def wald_interval(estimate: np.ndarray, se: np.ndarray, level: float,
                  df: float | np.ndarray = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """Compute ``estimate -/+ qt(1 - alpha/2, df) * se`` (R's ``confint.svystat``).

    Parameters
    ----------
    estimate, se : ndarray
        Estimates and their standard errors.
    level : float
        Confidence level ``1 - alpha``.
    df : float or ndarray
        Degrees of freedom (``inf``: normal quantile).

    Returns
    -------
    low : ndarray
        Lower bounds.
    high : ndarray
        Upper bounds.
    """
    q = t_quantile(0.5 + level / 2, df)
    return estimate - q * se, estimate + q * se



def probability_interval(estimate: np.ndarray, se: np.ndarray, level: float, df: float,
                         method: str = "logit") -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval of probabilities from their standard errors.

    Parameters
    ----------
    estimate, se : ndarray
        Probabilities and their standard errors.
    level : float
        Confidence level.
    df : float
        Degrees of freedom of the t quantile (``<= 0`` gives NaN bounds).
    method : {"logit", "wald"}
        ``"logit"``: the Wald interval on the logit scale, back-transformed
        (delta method: ``se / (p (1 - p))``), so it stays inside [0, 1];
        degenerate at estimates within 1e-12 of 0 or 1, where the logit has no
        finite variance.  ``"wald"``: ``p -/+ q se``, clipped to [0, 1].

    Returns
    -------
    low : ndarray
        Lower bounds.
    high : ndarray
        Upper bounds.
    """
    from scipy import special

    q = t_quantile(0.5 + level / 2, df if df > 0 else np.nan)
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    if method == "wald":
        return np.clip(est - q * se, 0, 1), np.clip(est + q * se, 0, 1)
    inner = (est > 1e-12) & (est < 1 - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = special.logit(np.where(inner, est, 0.5))
        sl = np.where(inner, se / (est * (1 - est)), 0.0)
    return (np.where(inner, special.expit(lg - q * sl), est),
            np.where(inner, special.expit(lg + q * sl), est))

@dataclass(frozen=True, eq=False, repr=False)
class SurveyResult:
    """A design-based estimate with its covariance.

    Attributes
    ----------
    estimate : Series
        Point estimates; index = variable, level, option or ``(group, level)``.
    vcov : DataFrame
        Design covariance of the estimates (same index on both axes).
    statistic : str
        ``"mean"``, ``"total"``, ``"ratio"``, ``"proportion"``, ``"quantile"``.
    df : float or Series
        Design degrees of freedom (``#PSU - #strata`` of the rows used); a
        Series aligned with ``estimate`` for ``by=`` results, whose groups
        each have their own.
    n_unweighted : Series
        Unweighted base of each row: non-missing respondents in its domain.
    deff : Series or None
        Design effects when requested (``deff=True`` or ``"replace"``).
    ci_df : float or Series
        Degrees of freedom of the default Wald interval.  ``inf`` (normal) for
        means, totals and ratios, as R's ``confint.svystat``.
    method : str or None
        Interval method (proportions) or quantile rule.
    overall_df : float or None
        For ``by=`` results: design df of all rows used (the union of the
        groups), the df of comparisons between groups.
    se_values : Series or None
        Standard errors set by the estimator (e.g. quantiles); None derives
        them from ``vcov``.
    interval : callable or None
        ``level -> (low, high)`` for method-specific intervals (proportions,
        quantiles); None gives Wald intervals.
    replicates : ndarray or None
        Replicate estimates on replicate designs.
    """

    estimate: pd.Series
    vcov: pd.DataFrame
    statistic: str
    df: float | pd.Series
    n_unweighted: pd.Series
    deff: pd.Series | None = None
    ci_df: float | pd.Series = np.inf
    method: str | None = None
    se_values: pd.Series | None = None
    overall_df: float | None = None
    interval: Interval | None = field(default=None, compare=False)
    replicates: np.ndarray | None = field(default=None, compare=False)

    @property
    def se(self) -> pd.Series:
        """Standard errors (``sqrt(diag(vcov))`` unless the estimator set them)."""
        if self.se_values is not None:
            return self.se_values
        return pd.Series(np.sqrt(np.clip(np.diag(self.vcov.to_numpy()), 0, None)),
                         index=self.estimate.index, name="se")

    @property
    def cv(self) -> pd.Series:
        """Coefficient of variation ``se / estimate``."""
        return (self.se / self.estimate).rename("cv")

    def conf_int(self, level: float = 0.95, df: float | str | None = None) -> pd.DataFrame:
        """Confidence intervals.

        Parameters
        ----------
        level : float
            Confidence level in (0, 1).
        df : float, "design" or None
            Degrees of freedom of a Wald interval: ``None`` uses ``ci_df``
            (the estimator's default), ``"design"`` the design df.  Ignored by
            proportions and quantiles, whose intervals are method-specific.

        Returns
        -------
        DataFrame
            Columns ``ci_low`` and ``ci_high``.
        """
        check_probability("level", level)
        if self.interval is not None:
            low, high = self.interval(level)
        else:
            if df is None:
                use = self.ci_df
            elif isinstance(df, str):
                if df != "design":
                    raise ValueError(f"`df` must be a number, 'design' or None, not {df!r}")
                use = self.df
            else:
                use = df
            use = np.asarray(use.to_numpy() if isinstance(use, pd.Series) else use, dtype=float)
            low, high = wald_interval(self.estimate.to_numpy(), self.se.to_numpy(), level, use)
        return pd.DataFrame({"ci_low": np.asarray(low, dtype=float),
                             "ci_high": np.asarray(high, dtype=float)}, index=self.estimate.index)

    def summary_frame(self, level: float = 0.95, *, df: float | str | None = None
                      ) -> pd.DataFrame:
        """Tidy table: ``estimate, se, ci_low, ci_high, n_unweighted`` (+ ``deff`` when computed).

        Parameters
        ----------
        level : float
            Confidence level of ``ci_low, ci_high``.
        df : float, "design" or None
            Degrees of freedom of Wald intervals, as :meth:`conf_int`.

        Returns
        -------
        DataFrame
            One row per estimate, indexed as ``estimate``.
        """
        ci = self.conf_int(level, df)
        n = self.n_unweighted
        if n is not None and len(n) != len(self.estimate):
            n = n.reindex(self.estimate.index)
        extra = {} if self.deff is None else {"deff": self.deff.to_numpy(dtype=float)}
        return result_frame(self.estimate, self.se, ci["ci_low"], ci["ci_high"],
                            n_unweighted=None if n is None else n.to_numpy(), extra=extra)

    def __len__(self) -> int:
        return len(self.estimate)

    def __repr__(self) -> str:
        head = f"<SurveyResult: {self.statistic}"
        if self.method:
            head += f" ({self.method})"
        df = "by group" if isinstance(self.df, pd.Series) else self.df
        head += f", design df {df}>"
        with pd.option_context("display.width", 100, "display.max_rows", 40):
            return f"{head}\n{self.summary_frame()}"

    def _repr_html_(self) -> str:
        return self.summary_frame()._repr_html_()

    def contrast(self, weights: dict[Any, float] | pd.Series, *, name: str = "contrast",
                 df: float | None = None) -> ContrastResult:
        """A linear combination ``sum_j c_j * estimate_j`` with its design SE.

        Parameters
        ----------
        weights : dict or Series
            Coefficients keyed by index labels of ``estimate``; others are 0.
        name : str
            Label of the contrast.
        df : float, optional
            Degrees of freedom of the t test (default: the design df; for
            ``by=`` results the df of all groups together).

        Returns
        -------
        ContrastResult
            The contrast, its SE (from the full covariance) and t test.

        Raises
        ------
        KeyError
            ``weights`` names a label that is not in ``estimate``.
        """
        c = pd.Series(weights, dtype=float).reindex(self.estimate.index, fill_value=0.0)
        missing = set(pd.Series(weights).index) - set(self.estimate.index)
        if missing:
            raise KeyError(f"contrast names {sorted(map(str, missing))} not in the estimates; "
                           f"choose from {list(map(str, self.estimate.index))}")
        cv = c.to_numpy()
        est = float(cv @ self.estimate.to_numpy())
        var = float(cv @ self.vcov.to_numpy() @ cv)
        if df is None:
            if self.overall_df is not None:
                df = self.overall_df
            else:
                df = float(np.min(self.df)) if isinstance(self.df, pd.Series) else float(self.df)
        return ContrastResult.from_estimate(name, est, np.sqrt(max(var, 0.0)), df)


@dataclass(frozen=True, eq=False, repr=False)
class ContrastResult:
    """A design-based test of a difference (or any linear contrast) against 0.

    Attributes
    ----------
    name : str
        What is compared (e.g. ``"price - quality"``).
    estimate : float
        The contrast.
    se : float
        Its design standard error.
    statistic : float
        ``estimate / se``.
    df : float
        Degrees of freedom of the t reference distribution (design df).
    p_value : float
        Two-sided p-value.
    """

    name: str
    estimate: float
    se: float
    statistic: float
    df: float
    p_value: float

    @classmethod
    def from_estimate(cls, name: str, estimate: float, se: float, df: float) -> ContrastResult:
        """Build the t test of ``estimate`` with ``se`` on ``df`` degrees of freedom.

        Parameters
        ----------
        name : str
            What is compared.
        estimate : float
            The contrast.
        se : float
            Its standard error (``<= 0`` gives NaN statistic and p-value).
        df : float
            Degrees of freedom (``inf``: normal reference).

        Returns
        -------
        ContrastResult
            With the t statistic and two-sided p-value.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            t = estimate / se if se > 0 else np.nan
        if np.isnan(t):
            p = np.nan
        elif np.isinf(df):
            p = float(2 * stats.norm.sf(abs(t)))
        else:
            p = float(2 * stats.t.sf(abs(t), df)) if df > 0 else np.nan
        return cls(name=name, estimate=float(estimate), se=float(se), statistic=float(t),
                   df=float(df), p_value=p)

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Compute the t interval for the contrast.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        DataFrame
            One row (indexed by ``name``), columns ``ci_low, ci_high``.
        """
        check_probability("level", level)
        low, high = wald_interval(np.array(self.estimate), np.array(self.se), level, self.df)
        return pd.DataFrame({"ci_low": [float(low)], "ci_high": [float(high)]},
                            index=[self.name])

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """One-row table: ``estimate, se, ci_low, ci_high, statistic, df, p_value``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the t interval.

        Returns
        -------
        DataFrame
            Indexed by ``name``.
        """
        ci = self.conf_int(level)
        return result_frame([self.estimate], [self.se], ci["ci_low"], ci["ci_high"],
                            index=[self.name], extra={"statistic": [self.statistic],
                                                      "df": [self.df],
                                                      "p_value": [self.p_value]})

    def __repr__(self) -> str:
        return (f"<ContrastResult {self.name}: {self.estimate:.6g} (se {self.se:.4g}), "
                f"t = {self.statistic:.3f} on {self.df:g} df, p = {self.p_value:.4g}>")
