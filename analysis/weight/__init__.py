"""Weighting: the methods registry (:mod:`.methods`: rake, poststratify,
calibrate, trim), the engines and calibration objects (:mod:`.calibration`),
their array cores (:mod:`.cores`), diagnostics (:mod:`.diagnostics`) and a
wave's weighting as its codebook says (:mod:`.targets`).

Exported here: the plain-weight functions, which take a DataFrame and return
weights, and the diagnostics of a weight vector.  Weighting a design is a
method of :class:`analysis.SurveyDesign` (``d.rake``, ``d.poststratify``,
``d.calibrate``, ``d.trim``, ``d.weight_to_targets``) with the same option
names.
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
