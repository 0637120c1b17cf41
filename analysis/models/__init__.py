"""Models of what drives and blocks low-carbon purchasing.

The fits take a design, so they are methods of :class:`analysis.SurveyDesign`:

===================================  ==========================================================
method                               answers
===================================  ==========================================================
``d.glm`` (:mod:`.glm`)              survey-weighted GLM, R's ``svyglm``; detects perfect
                                     separation and names the variables responsible
``d.olr`` (:mod:`.ordinal`)          ordinal (Likert) regression, R's ``svyolr``
``d.key_drivers``                    Shapley / relative-weights importance with replicate CIs
``d.subgroup_differences``           barrier prevalence by city tier / age / income with
                                     Holm or BH-adjusted pairwise tests and significance letters
===================================  ==========================================================

The free functions exported here take a fitted model or plain numbers, not a
design:

===================================  ==========================================================
function                             answers
===================================  ==========================================================
:func:`average_marginal_effects`     percentage-point change in the purchase probability when a
                                     barrier is present, with design-based SEs
:func:`predicted_probabilities`      population-average purchase probability by subgroup or
                                     under a scenario (``at={"price_too_high": False}``)
:func:`p_adjust`                     Holm / BH / Bonferroni adjusted p-values (R's ``p.adjust``)
:func:`significance_letters`         column-letter significance marks from pairwise tests
===================================  ==========================================================
"""

from __future__ import annotations

from .effects import (
    AMEResult,
    PredictionResult,
    average_marginal_effects,
    predicted_probabilities,
)
from .glm import GLMResult
from .importance import KeyDriverResult, SubgroupResult, p_adjust, significance_letters
from .ordinal import OrdinalResult

__all__ = [
    "average_marginal_effects",
    "predicted_probabilities",
    "p_adjust",
    "significance_letters",
    "GLMResult",
    "OrdinalResult",
    "AMEResult",
    "PredictionResult",
    "KeyDriverResult",
    "SubgroupResult",
]
