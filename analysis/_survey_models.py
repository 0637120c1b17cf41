"""The model verbs of :class:`~analysis.survey.SurveyDesign` (a mixin).

Survey GLMs (:mod:`analysis.models.glm`), ordinal regression
(:mod:`analysis.models.ordinal`), key-driver importance and subgroup tests
(:mod:`analysis.models.importance`).  Effects of a fitted model
(``average_marginal_effects(fit)``, ``predicted_probabilities(fit)``) take no
design and stay free functions in :mod:`analysis.models`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .design.core import Design
from .models.glm import GLMResult, svyglm
from .models.importance import (
    KeyDriverResult,
    SubgroupResult,
    key_drivers,
    subgroup_differences,
)
from .models.ordinal import OrdinalResult, svyolr

__all__ = ["ModelMethods"]


class ModelMethods(Design):
    """Regression models and driver analyses as design methods.

    Parameters
    ----------
    data, weights, strata, psu, fpc, nest, lonely_psu, freq_weights, pps, variance : see Design
        The constructor's arguments, as :class:`~analysis.design.core.Design`.
    """

    def glm(self, formula: str, family: str = "gaussian", *, link: str | None = None,
            maxit: int = 100, tol: float = 1e-10) -> GLMResult:
        """Survey-weighted GLM with design-based SEs (R's ``svyglm``).

        Parameters
        ----------
        formula : str
            An R-style formula, e.g. ``"bought ~ price_too_high + C(city_tier)"``.
        family : {"gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson"}
            Error family; quasi families give the same estimates and SEs.
        link : str, optional
            ``"identity"``, ``"log"``, ``"logit"``, ``"probit"`` or ``"cloglog"``
            (default: the family's canonical link).
        maxit, tol : int, float
            IRLS iteration limit and relative deviance tolerance.  The
            default iterates to convergence; R's ``svyglm`` default
            (``epsilon=1e-8``) can stop one IRLS step early, so a logistic fit
            agrees with R to 1e-6 only when R is given ``epsilon=1e-12``
            (``tol=1e-8`` here applies R's rule: the criterion is the same,
            ``|change in deviance| / (|deviance| + 0.1)``).

        Returns
        -------
        GLMResult
            Raises :class:`~analysis.errors.SeparationError` naming the
            variables on perfect separation.

        See Also
        --------
        analysis.models.glm.svyglm
        """
        return svyglm(self, formula, family, link=link, maxit=maxit, tol=tol)

    def olr(self, formula: str, link: str = "logit", *, tol: float = 1e-10,
            maxit: int = 100) -> OrdinalResult:
        """Fit a proportional-odds (cumulative link) regression (R's ``svyolr``).

        Parameters
        ----------
        formula : str
            ``"y ~ x1 + x2"``, ``y`` with three or more ordered categories.
        link : {"logit", "probit", "cloglog"}
            Link function.
        tol, maxit : float, int
            Newton tolerance and iteration cap.

        Returns
        -------
        OrdinalResult
            Coefficients and cut-points with design-based SEs.

        See Also
        --------
        analysis.models.ordinal.svyolr
        """
        return svyolr(self, formula, link, tol=tol, maxit=maxit)

    def key_drivers(self, outcome: str, drivers: Sequence[str], *, method: str = "shapley",
                    rep_type: str = "bootstrap", replicates: int = 200,
                    seed: Any = None) -> KeyDriverResult:
        """Relative importance of drivers of an outcome, with replicate CIs.

        Parameters
        ----------
        outcome : str
            Outcome column (boolean or numeric).
        drivers : list of str
            Driver columns; a categorical column counts as one driver.
        method : {"shapley", "relative_weights"}
            Shapley / LMG decomposition of R-squared or Johnson's relative weights.
        rep_type : str
            Replicate type made from a Taylor design (a replicate design uses its own).
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.

        Returns
        -------
        KeyDriverResult
            Importance of each driver with replicate CIs.

        See Also
        --------
        analysis.models.importance.key_drivers
        """
        return key_drivers(self, outcome, drivers, method=method, rep_type=rep_type,
                           replicates=replicates, seed=seed)

    def subgroup_differences(self, variables: str | Sequence[str], by: str, *,
                             adjust: str = "holm", family: str = "variable",
                             alpha: float = 0.05) -> SubgroupResult:
        """Prevalence by subgroup with adjusted pairwise tests and significance letters.

        Parameters
        ----------
        variables : str or list of str
            Boolean / 0-1 columns or a select-all question id.
        by : str
            Subgroup column.
        adjust : {"holm", "BH", "fdr", "bonferroni", "none"}
            Multiple-comparison adjustment of the pairwise p-values.
        family : {"variable", "all"}
            Adjust within each variable or across all of them.
        alpha : float
            Significance level of ``significant`` and ``sig``.

        Returns
        -------
        SubgroupResult
            ``.prevalence`` with significance letters and ``.pairs`` of tests.

        See Also
        --------
        analysis.models.importance.subgroup_differences
        """
        return subgroup_differences(self, variables, by, adjust=adjust, family=family,
                                    alpha=alpha)
