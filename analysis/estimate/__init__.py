"""Descriptive estimation on a design: means, totals, ratios, proportions,
quantiles (:mod:`.descriptive`, intervals in :mod:`.intervals`), select-all
questions (:mod:`.multiresponse`) and crosstabs with Rao-Scott tests
(:mod:`.tables`).
"""

from __future__ import annotations

from .descriptive import svy_mean, svy_proportion, svy_quantile, svy_ratio, svy_total
from .multiresponse import mr_compare, mr_shares, mr_test
from .tables import crosstab, svychisq

__all__ = ["svy_mean", "svy_total", "svy_ratio", "svy_proportion", "svy_quantile",
           "mr_shares", "mr_test", "mr_compare", "crosstab", "svychisq"]
