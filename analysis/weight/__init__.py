"""Weighting: the methods registry (:mod:`.methods`: rake, poststratify,
calibrate, trim), the engines and calibration objects (:mod:`.calibration`),
their array cores (:mod:`.cores`) and diagnostics (:mod:`.diagnostics`).
"""

from __future__ import annotations

from .diagnostics import effective_sample_size, kish_deff, margins_table, weight_summary
from .methods import (
           WEIGHTING_METHODS,
           calibrate,
           get_weighting_method,
           poststratify,
           rake,
           trim,
)

__all__ = ["WEIGHTING_METHODS", "get_weighting_method", "rake", "poststratify", "calibrate",
           "trim", "kish_deff", "effective_sample_size", "weight_summary", "margins_table"]
