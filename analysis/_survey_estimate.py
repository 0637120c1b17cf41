"""The estimation verbs of :class:`~analysis.survey.SurveyDesign` (a mixin).

Means, totals, ratios, proportions and quantiles (:mod:`analysis.estimate.descriptive`),
select-all questions (:mod:`analysis.estimate.multiresponse`) and two-way tables
(:mod:`analysis.estimate.tables`), each a thin method spelling out its
implementation's options.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ._docstrings import fill_doc
from .design.core import Design
from .design.results import ContrastResult, SurveyResult
from .estimate.descriptive import (
    svy_mean,
    svy_proportion,
    svy_ratio,
    svy_total,
)
from .estimate.multiresponse import mr_compare, mr_shares, mr_test
from .estimate.quantiles import svy_quantile
from .estimate.tables import ChisqResult, CrosstabResult, crosstab, svychisq
from .estimate.variance_est import svy_var

__all__ = ["EstimateMethods"]


class EstimateMethods(Design):
    """Descriptive estimators, select-all questions and crosstabs as design methods.

    Parameters
    ----------
    data, weights, strata, psu, fpc, nest, lonely_psu, freq_weights, pps, variance : see Design
        The constructor's arguments, as :class:`~analysis.design.core.Design`.
    """

    @fill_doc
    def mean(self, var: str | Sequence[str], *, by: str | Sequence[str] | None = None,
             na_rm: bool = False, deff: bool | str = False) -> SurveyResult:
        """Design-based mean (R's ``svymean``; ``svyby`` with ``by=``).

        Parameters
        ----------
        {{var}}
        {{by}}
        {{na_rm}}
        {{deff}}

        Returns
        -------
        {{returns_result}}

        Examples
        --------
        >>> d.mean("api00")                      # doctest: +SKIP
        >>> d.mean("stype", by="awards")         # doctest: +SKIP
        """
        return svy_mean(self, var, by=by, na_rm=na_rm, deff=deff)

    @fill_doc
    def total(self, var: str | Sequence[str], *, by: str | Sequence[str] | None = None,
              na_rm: bool = False, deff: bool | str = False) -> SurveyResult:
        """Design-based population total (R's ``svytotal``).

        Parameters
        ----------
        {{var}}
        {{by}}
        {{na_rm}}
        {{deff}}

        Returns
        -------
        {{returns_result}}
        """
        return svy_total(self, var, by=by, na_rm=na_rm, deff=deff)

    @fill_doc
    def ratio(self, numerator: str | Sequence[str], denominator: str | Sequence[str], *,
              by: str | Sequence[str] | None = None, na_rm: bool = False,
              deff: bool | str = False) -> SurveyResult:
        """Ratio of two population totals (R's ``svyratio``).

        Parameters
        ----------
        numerator, denominator : str or list of str
            Numeric columns; every numerator/denominator pair gives a row
            (index ``"num/den"``).
        {{by}}
        {{na_rm}}
        {{deff}}

        Returns
        -------
        {{returns_result}}
        """
        return svy_ratio(self, numerator, denominator, by=by, na_rm=na_rm, deff=deff)

    @fill_doc
    def proportion(self, var: str, *, level: Any = None, method: str = "logit",
                   by: str | Sequence[str] | None = None, na_rm: bool = False,
                   conf_level: float = 0.95, df: float | None = None) -> SurveyResult:
        """Proportion with a confidence interval suited to proportions (R's ``svyciprop``).

        Parameters
        ----------
        var : str
            A boolean / 0-1 column, or a categorical column.
        level : optional
            The category counted as "yes" for a categorical ``var``; ``None``
            gives every level (one row each).  Ignored for boolean columns.
        method : {"logit", "likelihood", "asin", "beta", "mean", "xlogit", "wilson"}
            Interval method, as R's ``svyciprop`` (``"wilson"``: Wilson score
            interval on the Kish-Korn effective sample size with t quantiles,
            not in R survey 4.1).
        {{by}}
        {{na_rm}}
        {{conf_level}}
        df : float, optional
            Degrees of freedom (default: the design df of each domain, R's
            ``degf``); ``numpy.inf`` gives normal intervals.

        Returns
        -------
        {{returns_result}}
        """
        return svy_proportion(self, var, level=level, method=method, by=by, na_rm=na_rm,
                              conf_level=conf_level, df=df)

    @fill_doc
    def quantile(self, var: str | Sequence[str], q: float | Sequence[float], *,
                 by: str | Sequence[str] | None = None, na_rm: bool = False,
                 qrule: str = "math", interval_type: str = "mean", conf_level: float = 0.95,
                 df: float | None = None) -> SurveyResult:
        """Estimate quantiles with confidence intervals (R's ``svyquantile``).

        Parameters
        ----------
        var : str or list of str
            Numeric column(s).
        q : float or list of float
            Probabilities in [0, 1] (``0.5``: the median).
        {{by}}
        {{na_rm}}
        qrule : {"math", "school", "shahvaish", "hf1", ..., "hf9"}
            R's quantile rule: ``"math"`` (default; inverse of the weighted
            CDF, = ``"hf1"``), ``"school"`` (midpoint at ties, = ``"hf2"``),
            ``"hf3"``-``"hf9"`` (Hyndman-Fan types with weights), ``"shahvaish"``
            (Shah & Vaish 2006, weights normalised to mean 1; R mixes in the raw
            weights, so its numbers change when the weights are rescaled).
        interval_type : {"mean", "beta", "xlogit", "asin", "score"}
            R's ``interval.type``: a Woodruff interval for the CDF value
            (``"mean"``: Wald; ``"beta"``, ``"xlogit"``, ``"asin"`` as
            :meth:`proportion`) mapped back through the rule, or ``"score"``
            (Francisco-Fuller test inversion; the ends are mapped through the
            rule at the weighted share below them, where R uses the unweighted
            share: the same when weights are equal).
        {{conf_level}}
        df : float, optional
            Degrees of freedom (default design df).

        Returns
        -------
        {{returns_result}}
            ``se`` is the interval width over ``2 * qt(1 - alpha/2, df)``, as R.
        """
        return svy_quantile(self, var, q, by=by, na_rm=na_rm, qrule=qrule,
                            interval_type=interval_type,
                            conf_level=conf_level, df=df)

    @fill_doc
    def var(self, var: str | Sequence[str], *, by: str | Sequence[str] | None = None,
            na_rm: bool = False) -> SurveyResult:
        """Estimate population variances and covariances with SEs (R's ``svyvar``).

        Parameters
        ----------
        var : str or list of str
            Numeric column(s); with several, every covariance as well.
        {{by}}
        {{na_rm}}

        Returns
        -------
        {{returns_result}}
            One row per variable (several: per ``(row, column)`` cell of the
            covariance matrix, column-major as R), per group with ``by=``.
            The estimate is ``n/(n-1)`` times the weighted mean squared
            deviation, ``n`` the respondents used; R's Taylor ``svyvar`` with
            ``na.rm=TRUE`` also counts rows with a missing value in ``n``.
        """
        return svy_var(self, var, by=by, na_rm=na_rm)

    # -- multiple response ---------------------------------------------------
    def mr_shares(self, var: str | Sequence[str], by: str | None = None) -> SurveyResult:
        """Share choosing each option of a select-all question (base: respondents asked).

        Parameters
        ----------
        var : str or list of str
            A codebook multiple-choice question id, or its boolean option columns.
        by : str, optional
            Grouping column (domains keep the full design).

        Returns
        -------
        SurveyResult
            One row per option (per group with ``by=``), full covariance; the
            same numbers as :meth:`mean`, which also accepts other columns.

        See Also
        --------
        analysis.estimate.multiresponse.mr_shares
        """
        return mr_shares(self, var, by=by)

    def mr_test(self, var: str | Sequence[str], option_a: str, option_b: str, *,
                by: str | None = None, group: Any = None) -> ContrastResult:
        """Paired design-based t test of two options' shares in a select-all question.

        Parameters
        ----------
        var : str or list of str
            Question id or option columns.
        option_a, option_b : str
            Options (keys, or column names).
        by, group : optional
            Test within one group: the domain ``data[by] == group``.

        Returns
        -------
        ContrastResult
            ``estimate`` = share(a) - share(b) among respondents asked.

        See Also
        --------
        analysis.estimate.multiresponse.mr_test
        """
        return mr_test(self, var, option_a, option_b, by=by, group=group)

    def mr_compare(self, var: str | Sequence[str], by: str, option: str | None = None,
                   groups: tuple[Any, Any] | None = None) -> pd.DataFrame:
        """Compare options' shares between groups (domain t tests on the full design).

        Parameters
        ----------
        var : str or list of str
            Question id or option columns.
        by : str
            Grouping column.
        option : str, optional
            One option; default every option.
        groups : (a, b), optional
            One pair of groups; default every pair.

        Returns
        -------
        pandas.DataFrame
            One row per (option, group_a, group_b): ``share_a, share_b,
            estimate, se, t, df, p_value``.

        See Also
        --------
        analysis.estimate.multiresponse.mr_compare
        """
        return mr_compare(self, var, by, option=option, groups=groups)

    # -- two-way tables --------------------------------------------------------
    def crosstab(self, row: str, col: str) -> CrosstabResult:
        """Weighted crosstab of two categorical columns with design-based SEs.

        Parameters
        ----------
        row, col : str
            The table's row and column variables; rows missing either are left out.

        Returns
        -------
        CrosstabResult
            Counts and cell, row and column proportions with SEs; ``.chisq()``.

        See Also
        --------
        analysis.estimate.tables.crosstab
        """
        return crosstab(self, row, col)

    def chisq(self, row: str, col: str, statistic: str = "F") -> ChisqResult:
        """Design-based test of independence (R's ``svychisq``).

        Parameters
        ----------
        row, col : str
            The two categorical columns; rows missing either are dropped.
        statistic : {"F", "Chisq", "Wald", "adjWald", "saddlepoint"}
            Rao-Scott second-order F (default), first-order chi-squared, the
            design-based Wald tests, or the Pearson X^2 with a saddlepoint
            p-value from its asymptotic distribution (a weighted sum of
            chi-squares over a chi-square; R's ``pFsum``).

        Returns
        -------
        ChisqResult
            ``statistic``, ``df``, ``p_value`` (R's ``svychisq`` htest).

        See Also
        --------
        analysis.estimate.tables.svychisq
        """
        return svychisq(self, row, col, statistic=statistic)
