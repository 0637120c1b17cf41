"""Models of what drives and blocks low-carbon purchasing.

One import point for the driver analyses (each takes a fitted survey model or
a :class:`~analysis.SurveyDesign` and returns a result with
``.summary_frame()`` and a plot-ready ``.tidy()``):

===================================  ==========================================================
function                             answers
===================================  ==========================================================
:func:`svyolr`                       ordinal (Likert) regression, R's ``svyolr``
                                     (``design.olr`` delegates here)
:func:`average_marginal_effects`     percentage-point change in the purchase probability when a
                                     barrier is present, with design-based SEs
:func:`predicted_probabilities`      population-average purchase probability by subgroup or
                                     under a scenario (``at={"price_too_high": False}``)
:func:`key_drivers`                  Shapley / relative-weights importance with replicate CIs
:func:`subgroup_differences`         barrier prevalence by city tier / age / income with
                                     Holm or BH-adjusted pairwise tests and significance letters
===================================  ==========================================================

The logistic regression itself is :func:`analysis.models.glm.svyglm` (``design.glm``);
it detects perfect separation and names the variables responsible.
"""

from __future__ import annotations

from .effects import (
    AMEResult,
    PredictionResult,
    average_marginal_effects,
    predicted_probabilities,
)
from .glm import GLMResult, svyglm
from .importance import (
    KeyDriverResult,
    SubgroupResult,
    key_drivers,
    p_adjust,
    significance_letters,
    subgroup_differences,
)
from .ordinal import OrdinalResult, svyolr

__all__ = [
    "svyglm",
    "svyolr",
    "average_marginal_effects",
    "predicted_probabilities",
    "key_drivers",
    "subgroup_differences",
    "p_adjust",
    "significance_letters",
    "GLMResult",
    "OrdinalResult",
    "AMEResult",
    "PredictionResult",
    "KeyDriverResult",
    "SubgroupResult",
]
