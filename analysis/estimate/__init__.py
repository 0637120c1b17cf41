"""Descriptive estimation on a design: means, totals, ratios, proportions,
quantiles (:mod:`.descriptive`, intervals in :mod:`.intervals`), select-all
questions (:mod:`.multiresponse`) and crosstabs with Rao-Scott tests
(:mod:`.tables`).

Every function here takes a design, so the public spelling is the method of
:class:`analysis.SurveyDesign` (``d.mean``, ``d.total``, ``d.ratio``,
``d.proportion``, ``d.quantile``, ``d.mr_shares``, ``d.mr_test``,
``d.mr_compare``, ``d.crosstab``, ``d.chisq``); this package exports only
the result types those methods return beyond
:class:`~analysis.design.results.SurveyResult`.
"""

from __future__ import annotations

from .tables import ChisqResult, CrosstabResult

__all__ = ["CrosstabResult", "ChisqResult"]
