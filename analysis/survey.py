"""``SurveyDesign``: the design with every family's verbs as methods.

:class:`~analysis.design.core.Design` holds the structure and the variance;
``SurveyDesign`` adds the verbs of the estimate, weight, models and pricing
families as thin methods, grouped in one mixin per family
(:mod:`analysis._survey_estimate`, :mod:`analysis._survey_weight`,
:mod:`analysis._survey_models`, :mod:`analysis._survey_pricing`).  These
modules and this one are the survey layer: the only modules that import
every family (the families import only the core, never this layer).

Naming rule: a method carries R ``survey``'s name without the ``svy`` prefix
(``mean``, ``glm``, ``olr``, ``chisq``, ...) or the family function's own
name (``turnbull``, ``key_drivers``, ...), and spells out that function's
options with the same names, defaults and order.  A verb that takes a design
exists only as a method; free functions take no design.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from typing import Self, TypeVar

import numpy as np
import pandas as pd

from ._survey_estimate import EstimateMethods
from ._survey_models import ModelMethods
from ._survey_pricing import PricingMethods
from ._survey_weight import WeightMethods
from .design.core import Design
from .design.replicates import from_replicates, to_replicates

__all__ = ["SurveyDesign"]

_C = TypeVar("_C", bound=type)


def _with_design_parameters(cls: _C) -> _C:
    """Append the core's ``Parameters`` section to ``cls``'s docstring (written once, in core)."""
    core = inspect.cleandoc(Design.__doc__ or "")
    found = re.search(r"^Parameters\n-+\n.*?(?=\n\n\w[\w ]*\n-+\n|\Z)", core, re.S | re.M)
    if found:
        section = "\n".join("    " + ln if ln else ln for ln in found.group(0).splitlines())
        cls.__doc__ = (cls.__doc__ or "").rstrip() + "\n\n" + section + "\n"
    return cls


@_with_design_parameters
class SurveyDesign(EstimateMethods, WeightMethods, ModelMethods, PricingMethods):
    """A complex survey design (R's ``svydesign``) with every analysis verb.

    Constructed exactly as :class:`~analysis.design.core.Design`; the
    methods delegate to the estimate, weight, models and pricing families and
    return new designs or result objects.
    """

    @classmethod
    def from_replicates(cls, data: pd.DataFrame, *, weights: str | None = None,
                        repweights: Sequence[str] | str | None = None, type: str = "JK1",
                        rho: float | None = None, scale: float | None = None,
                        rscales: Sequence[float] | float | None = None, mse: bool = False,
                        combined_weights: bool = True) -> Self:
        """A design from supplied replicate weights (R's ``svrepdesign``).

        Parameters
        ----------
        data : pandas.DataFrame
            One row per respondent.
        weights : str, optional
            Full-sample weight column (None: all 1).
        repweights : list of str or str
            Replicate-weight columns, or a regular expression matching them.
        type : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
            Replicate method.
        rho : float, optional
            Fay's rho (required for ``type="Fay"``).
        scale, rscales : optional
            Variance multipliers (defaults as R; JKn needs ``rscales``).
        mse : bool
            Centre replicates at the full-sample estimate.
        combined_weights : bool
            Replicate columns already include the sampling weight.

        Returns
        -------
        SurveyDesign
            ``is_replicate`` is True.

        See Also
        --------
        analysis.design.replicates.from_replicates
        """
        return from_replicates(cls, data, weights=weights, repweights=repweights,
                               type=type, rho=rho, scale=scale, rscales=rscales,
                               mse=mse, combined_weights=combined_weights)

    def to_replicates(self, type: str = "JK1", *, replicates: int = 200,
                      seed: np.random.Generator | int | None = None, fay_rho: float = 0.0,
                      mse: bool = False) -> Self:
        """Convert to a replicate design (R's ``as.svrepdesign``).

        Parameters
        ----------
        type : {"JK1", "JKn", "BRR", "Fay", "bootstrap"}
            Replicate method; the one option that may be given by position,
            as R's ``as.svrepdesign(design, type)``.
        replicates : int
            Number of bootstrap replicates (other types fix their own).
        seed : int or Generator, optional
            Bootstrap randomness (no global state is used).
        fay_rho : float
            Fay's perturbation, 0 <= rho < 1 (BRR/Fay only).
        mse : bool
            Centre replicates at the full-sample estimate.

        Returns
        -------
        SurveyDesign
            ``is_replicate`` is True.

        See Also
        --------
        analysis.design.replicates.to_replicates
        """
        return to_replicates(self, type=type, replicates=replicates, seed=seed,
                             fay_rho=fay_rho, mse=mse)
