"""The design core: structure, Taylor and replicate variance, result objects.

:class:`~analysis.design.core.Design` holds the data, weights, strata, PSUs,
fpc and calibrations and computes ``vcov_scores`` (:mod:`.variance`, R's
``svyrecvar``) and replicate variances (:mod:`.replicates`); every family
(estimate, weight, models, pricing) types against it.  The user-facing class
with every verb as a method is :class:`analysis.SurveyDesign`.
"""

from __future__ import annotations

from .core import Design
from .results import ContrastResult, SurveyResult

__all__ = ["Design", "SurveyResult", "ContrastResult"]
