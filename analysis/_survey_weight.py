"""The weighting verbs of :class:`~analysis.survey.SurveyDesign` (a mixin).

Each returns a *new* design whose standard errors account for the weighting
(:mod:`analysis.weight.methods`; :mod:`analysis.weight.targets` for a wave's
targets).  The options carry the same names as the plain-weight functions
``analysis.rake`` / ``poststratify`` / ``calibrate`` / ``trim``, which take a
DataFrame and return weights.
"""

from __future__ import annotations

from typing import Any, Self

from .codebook import Codebook, Targets
from .design.core import Design
from .weight.methods import (
    design_calibrate,
    design_poststratify,
    design_rake,
    design_trim,
)
from .weight.targets import weight_to_targets

__all__ = ["WeightMethods"]


class WeightMethods(Design):
    """Raking, post-stratification, calibration and trimming as design methods.

    Parameters
    ----------
    data, weights, strata, psu, fpc, nest, lonely_psu, freq_weights, pps, variance : see Design
        The constructor's arguments, as :class:`~analysis.design.core.Design`.
    """

    def rake(self, margins: Any, *, max_iter: int = 50, tol: float = 1e-7,
             cap: tuple[float | None, float | None] | None = None, strict: bool = False,
             total: float | str | None = None, normalize: bool | list[str] = False,
             control: dict[str, float] | None = None) -> Self:
        """Rake to population margins (R's ``rake``); SEs account for the raking.

        Parameters
        ----------
        margins : mapping or Targets
            ``{column: {level: count_or_share}}``, ``{column: pandas.Series}``
            or :class:`analysis.Targets`.
        max_iter : int
            Maximum number of sweeps over the margins.
        tol : float
            Relative tolerance on every level's weighted total.
        cap : tuple, optional
            ``(lower, upper)`` bounds on the weights as multiples of the mean
            weight (either may be None), applied after every sweep.
        strict : bool
            Raise instead of warning on non-convergence.
        total : float or "sample", optional
            Population total for share margins.
        normalize : bool or list of str
            Margins whose shares may be rescaled to add to 1 (``True``: all).
        control : dict, optional
            R ``rake()``'s stopping rule, ``{"maxit": 10, "epsilon": 1}``, to
            get an R script's numbers (see :func:`analysis.rake`): R stops
            before the margins are met, and a warning says by how much the
            weights differ from converged raking.  Default: iterate to
            convergence (``max_iter``, ``tol``).

        Returns
        -------
        SurveyDesign
            Replicate designs have every replicate raked the same way.

        See Also
        --------
        analysis.rake : the same on a DataFrame, returning weights.
        """
        return design_rake(self, margins, max_iter=max_iter, tol=tol, cap=cap,
                           strict=strict, total=total, normalize=normalize,
                           control=control)

    def poststratify(self, columns: str | list[str], population: Any, *, partial: bool = False,
                     total: float | str | None = None, normalize: bool = False) -> Self:
        """Post-stratify to population cell counts (R's ``postStratify``).

        Parameters
        ----------
        columns : str or list of str
            Post-stratification columns.
        population : pandas.Series, pandas.DataFrame or mapping
            Cell counts or shares keyed by the columns' levels (see
            :func:`analysis.poststratify`).
        partial : bool
            Ignore population cells without respondents instead of raising.
        total : float or "sample", optional
            Scale the population to this total.
        normalize : bool
            Rescale cell shares that do not add to 1 or 100.

        Returns
        -------
        SurveyDesign
            A new design; its SEs account for the post-stratification.

        See Also
        --------
        analysis.poststratify : the same on a DataFrame, returning weights.
        """
        return design_poststratify(self, columns, population, partial=partial,
                                   total=total, normalize=normalize)

    def calibrate(self, spec: Any = None, /, population: Any = None, *,
                  formula: str | None = None,
                  method: str = "linear", bounds: tuple[float | None, float | None] | None = None,
                  max_iter: int = 50, tol: float = 1e-7, strict: bool = False,
                  total: float | str | None = None, normalize: bool | list[str] = False) -> Self:
        """Calibrate to population totals (R's ``calibrate``: GREG, raking or logit).

        Both R's order, ``d.calibrate("~ x + z", {"(Intercept)": N, "x": T,
        "z": T})``, and ``d.calibrate(population, formula="~ x + z")`` work;
        without a formula the population is margins.

        Parameters
        ----------
        spec : str, mapping or pandas.Series, optional
            The formula (a string, R's second argument), or the population.
        population : mapping or pandas.Series, optional
            Margins ``{column: {level: count}}`` and numeric totals
            ``{column: total}``, or with a formula totals keyed by the
            model-matrix columns.
        formula : str, optional
            An R-style formula of the calibration variables, e.g.
            ``"~ stype * sch.wide + api99:stype"``: factors (text, categorical,
            ``C(x)`` or R's ``factor(x)`` on numbers) in treatment coding,
            interactions, ``I()``; ``population`` then maps R's
            ``model.matrix`` column names (``"(Intercept)"``, ``"stypeH"``,
            ``"stypeH:sch.wideYes"``; an interaction's parts in either order)
            to totals, as R's ``calibrate(design, formula, population)``.
        method : {"linear", "raking", "logit"}
            Calibration function (R's ``calfun``).
        bounds : tuple, optional
            ``(lower, upper)`` bounds on the g-weights; required for logit.
        max_iter, tol : int, float
            Newton iterations and tolerance.
        strict : bool
            Raise instead of warning on non-convergence.
        total : float or "sample", optional
            Population total for share margins.
        normalize : bool or list of str
            Margins whose shares may be rescaled to add to 1.

        Returns
        -------
        SurveyDesign
            Its SEs use the GREG residuals.

        See Also
        --------
        analysis.calibrate : the same on a DataFrame, returning weights.
        """
        return design_calibrate(self, spec, population, formula=formula, method=method,
                                bounds=bounds, max_iter=max_iter, tol=tol,
                                strict=strict, total=total, normalize=normalize)

    def trim(self, lower: float | None = None, upper: float | None = None, *,
             strict: bool = False, relative: bool = False) -> Self:
        """Trim weights to ``[lower, upper]``, sharing the excess (R's ``trimWeights``).

        Parameters
        ----------
        lower, upper : float, optional
            Bounds on the weights (None: unbounded on that side).
        strict : bool
            Repeat until no weight lies outside the bounds.
        relative : bool
            Bounds are multiples of the mean weight.

        Returns
        -------
        SurveyDesign
            Earlier calibrations are kept, as in R.

        See Also
        --------
        analysis.trim : the same on a DataFrame, returning weights.
        """
        return design_trim(self, lower, upper, strict=strict, relative=relative)

    def weight_to_targets(self, targets: Targets, codebook: Codebook, *, max_iter: int = 50,
                          tol: float = 1e-7) -> Self:
        """Weight to a wave's targets with the codebook's method, variables and trimming.

        The one weighting path of the CLI, the report and the API.

        Parameters
        ----------
        targets : Targets
            Population margins (``targets.yaml``).
        codebook : Codebook
            Its ``weighting:`` section chooses the method, the margins used and
            the trimming bounds.
        max_iter, tol : int, float
            Iteration limit and tolerance of raking and calibration.

        Returns
        -------
        SurveyDesign
            A new design; its calibrations carry the weighting diagnostics.

        See Also
        --------
        analysis.weight.targets.weight_to_targets
        """
        return weight_to_targets(self, targets, codebook, max_iter=max_iter, tol=tol)
