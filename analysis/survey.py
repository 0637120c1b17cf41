"""``SurveyDesign``: the design with every family's verbs as methods.

:class:`~analysis.design.core.Design` holds the structure and the variance;
this subclass adds the estimators, weighting, models and pricing verbs as thin
delegations, so it is the one module that imports every family (the
families import only the core, never this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ._docstrings import fill_doc
from .design.core import Design
from .design.replicates import from_replicates, to_replicates
from .design.results import ContrastResult, SurveyResult
from .estimate.descriptive import (
    svy_mean,
    svy_proportion,
    svy_quantile,
    svy_ratio,
    svy_total,
)
from .estimate.multiresponse import mr_compare, mr_test
from .estimate.tables import crosstab, svychisq
from .models import svyolr
from .models.glm import svyglm
from .pricing.threshold import turnbull
from .weight.methods import (
    design_calibrate,
    design_poststratify,
    design_rake,
    design_trim,
)

__all__ = ["SurveyDesign"]


class SurveyDesign(Design):
    """A complex survey design (R's ``svydesign``) with every analysis verb.

    Constructed exactly as :class:`~analysis.design.core.Design` (see its
    parameters); the methods below delegate to the estimator, weighting,
    model and pricing families and return new designs or result objects.
    """

    @fill_doc
    def mean(self, var: str | Sequence[str], by: str | Sequence[str] | None = None,
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
    def total(self, var: str | Sequence[str], by: str | Sequence[str] | None = None,
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
    def ratio(self, numerator: str | Sequence[str], denominator: str | Sequence[str],
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
    def proportion(self, var: str, level: Any = None, method: str = "logit",
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
    def quantile(self, var: str | Sequence[str], q: float | Sequence[float] = 0.5,
                 by: str | Sequence[str] | None = None, na_rm: bool = False,
                 qrule: str = "math", interval: str = "mean", conf_level: float = 0.95,
                 df: float | None = None) -> SurveyResult:
        """Quantiles with Woodruff confidence intervals (R's ``svyquantile``, survey >= 4.1).

        Parameters
        ----------
        var : str or list of str
            Numeric column(s).
        q : float or list of float
            Probabilities in [0, 1].
        {{by}}
        {{na_rm}}
        qrule : {"math", "school", "hf7"}
            R's quantile rule: ``"math"`` (default; inverse of the weighted
            CDF), ``"school"`` (midpoint at ties), ``"hf7"`` (Hyndman-Fan type 7
            interpolation).
        interval : {"mean", "beta", "xlogit", "asin"}
            How the Woodruff interval for the CDF value is built (R's
            ``interval.type``).
        {{conf_level}}
        df : float, optional
            Degrees of freedom (default design df).

        Returns
        -------
        {{returns_result}}
            ``se`` is the interval width over ``2 * qt(1 - alpha/2, df)``, as R.
        """
        return svy_quantile(self, var, q, by=by, na_rm=na_rm, qrule=qrule, interval=interval,
                            conf_level=conf_level, df=df)

    # multiple response --------------------------------------------------
    def mr_test(self, var: str | Sequence[str], option_a: str, option_b: str,
                by: str | None = None, group: Any = None) -> ContrastResult:
        """Paired design-based t test of two options' shares in a select-all question.

        See :func:`analysis.estimate.multiresponse.mr_test`.
        """
        return mr_test(self, var, option_a, option_b, by=by, group=group)

    def mr_compare(self, var: str | Sequence[str], by: str, option: str | None = None,
                   groups: tuple[Any, Any] | None = None) -> pd.DataFrame:
        """Design-based test of the difference in an option's share between two groups.

        See :func:`analysis.estimate.multiresponse.mr_compare`.
        """
        return mr_compare(self, var, by=by, option=option, groups=groups)

    # ------------------------------------------------------------------ replicates
    @classmethod
    def from_replicates(cls, data: pd.DataFrame, weights: str | None = None,
                        repweights: Sequence[str] | str | None = None, type: str = "JK1",
                        rho: float | None = None, scale: float | None = None,
                        rscales: Sequence[float] | float | None = None, mse: bool = False,
                        combined_weights: bool = True) -> SurveyDesign:
        """A replicate-weight design (R's ``svrepdesign``).

        See :func:`analysis.design.replicates.from_replicates`.
        """
        return from_replicates(cls, data, weights=weights, repweights=repweights, type=type,
                               rho=rho, scale=scale, rscales=rscales, mse=mse,
                               combined_weights=combined_weights)

    def to_replicates(self, type: str = "JK1", replicates: int = 200, seed: Any = None,
                      fay_rho: float = 0.0, mse: bool = False) -> SurveyDesign:
        """Convert to a replicate design (R's ``as.svrepdesign``).

        See :func:`analysis.design.replicates.to_replicates`.
        """
        return to_replicates(self, type=type, replicates=replicates, seed=seed,
                             fay_rho=fay_rho, mse=mse)

    # ------------------------------------------------------------------ delegations
    def rake(self, margins: Any, max_iter: int = 50, tol: float = 1e-7, **kw: Any) -> SurveyDesign:
        """Rake to population margins; see ``analysis.weight.methods.design_rake``."""
        return design_rake(self, margins, max_iter=max_iter, tol=tol, **kw)

    def poststratify(self, columns: Any, population: Any, **kw: Any) -> SurveyDesign:
        """Post-stratify; see ``analysis.weight.methods.design_poststratify``."""
        return design_poststratify(self, columns, population, **kw)

    def calibrate(self, population: Any = None, *, formula: Any = None, method: str = "linear",
                  bounds: Any = None, **kw: Any) -> SurveyDesign:
        """Calibrate (GREG / raking / logit); see ``analysis.weight.methods.design_calibrate``."""
        return design_calibrate(self, population, formula=formula, method=method,
                                bounds=bounds, **kw)

    def trim(self, lower: float | None = None, upper: float | None = None, strict: bool = False,
             **kw: Any) -> SurveyDesign:
        """Trim weights; see ``analysis.weight.methods.design_trim``."""
        return design_trim(self, lower=lower, upper=upper, strict=strict, **kw)

    def glm(self, formula: str, family: Any = "gaussian", **kw: Any) -> Any:
        """Survey GLM; see ``analysis.models.glm.svyglm``."""
        return svyglm(self, formula, family=family, **kw)

    def chisq(self, row: str, col: str, statistic: str = "F", **kw: Any) -> Any:
        """Rao-Scott test of independence; see ``analysis.estimate.tables.svychisq``."""
        return svychisq(self, row, col, statistic=statistic, **kw)

    def crosstab(self, row: str, col: str, **kw: Any) -> Any:
        """Weighted crosstab; see ``analysis.estimate.tables.crosstab``."""
        return crosstab(self, row, col, **kw)

    def olr(self, formula: str, link: str = "logit", **kw: Any) -> Any:
        """Ordinal regression; see ``analysis.models.svyolr``."""
        return svyolr(self, formula, link=link, **kw)

    def turnbull(self, lower: str, upper: str, **kw: Any) -> Any:
        """Turnbull acceptance curve; see ``analysis.pricing.turnbull``."""
        return turnbull(self, lower, upper, **kw)

