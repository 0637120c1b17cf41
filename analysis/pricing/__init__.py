"""Pricing: the premium people will pay and the discount a second-hand item needs.

Layers, bottom up: :mod:`.bounds` (interval bounds from codebook questions),
:mod:`.censored` (interval-censored likelihoods of every distribution),
:mod:`.npmle` (weighted Turnbull NPMLE, Spearman-Kärber means),
:mod:`.wtpresult` (the WTP result type), :mod:`.regression` (design-level
interval regression, WTP, DCchoice's parameterisation, model-based SEs),
:mod:`.contingent` (``interval_regression``, ``dc_cv``), :mod:`.oohb`
(one-and-one-half-bound ``oohb_cv``), :mod:`.spike` (``spike_cv``),
:mod:`.nonparametric` (Kriström's ``kristrom``), :mod:`.hurdle`
(``wtp_hurdle``), :mod:`.nms` and :mod:`.vanwestendorp` (price sensitivity
meter with the Newton-Miller-Smith extension) and :mod:`.threshold`
(``turnbull``, ``second_hand_threshold``, ``threshold_model``,
``dc_turnbull``).

The estimators take a design, so they are methods of
:class:`analysis.SurveyDesign` (``d.turnbull``, ``d.second_hand_threshold``,
``d.threshold_model``, ``d.dc_turnbull``, ``d.interval_regression``,
``d.dc_cv``, ``d.oohb_cv``, ``d.spike_cv``, ``d.kristrom``, ``d.wtp_hurdle``,
``d.van_westendorp``), each returning a result with ``.summary_frame()``.
Exported here: the interval builders, which read a data frame (or a
design's), and the result types.
"""

from __future__ import annotations

from .bounds import dc_bid_data, ladder_intervals, payment_card_intervals
from .hurdle import WTPHurdleResult
from .nonparametric import KristromResult
from .npmle import TurnbullResult
from .regression import IntervalRegressionResult
from .threshold import GroupedResult, HurdleResult, ThresholdResult
from .vanwestendorp import VanWestendorpResult

__all__ = [
    "ladder_intervals",
    "payment_card_intervals",
    "dc_bid_data",
    "GroupedResult",
    "ThresholdResult",
    "HurdleResult",
    "TurnbullResult",
    "IntervalRegressionResult",
    "VanWestendorpResult",
    "WTPHurdleResult",
    "KristromResult",
]
