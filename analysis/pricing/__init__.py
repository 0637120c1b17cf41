"""Pricing: the premium people will pay and the discount a second-hand item needs.

Layers, bottom up: :mod:`.bounds` (interval bounds from codebook questions),
:mod:`.censored` (interval-censored likelihoods of every distribution),
:mod:`.npmle` (weighted Turnbull NPMLE), :mod:`.regression` (design-level
interval regression and WTP), :mod:`.contingent` (``interval_regression``,
``dc_cv``), :mod:`.hurdle` (``wtp_hurdle``), :mod:`.vanwestendorp` (price
sensitivity meter) and :mod:`.threshold` (``turnbull``,
``second_hand_threshold``, ``threshold_model``, ``dc_turnbull``).
Every function takes a design and returns a result with ``.summary_frame()``.
"""

from __future__ import annotations

from .bounds import dc_bid_data, ladder_intervals, payment_card_intervals
from .contingent import dc_cv, interval_regression
from .hurdle import WTPHurdleResult, wtp_hurdle
from .npmle import TurnbullResult
from .regression import IntervalRegressionResult
from .threshold import (
    GroupedResult,
    HurdleResult,
    ThresholdResult,
    dc_turnbull,
    second_hand_threshold,
    threshold_model,
    turnbull,
)
from .vanwestendorp import VanWestendorpResult, van_westendorp

__all__ = [
    "turnbull",
    "second_hand_threshold",
    "threshold_model",
    "interval_regression",
    "dc_cv",
    "wtp_hurdle",
    "dc_turnbull",
    "van_westendorp",
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
]
