"""Spike models of dichotomous-choice WTP: a share with zero WTP (Kriström 1997).

Besides the bid question(s), respondents say whether they would pay anything
at all (``spike``: 1 yes, 0 no).  WTP is ``max(W, 0)`` with ``W`` logistic
(or normal) in the bid, so ``P(WTP = 0) = F_W(0)`` -- the spike -- and the
answers bound ``W``: "no" to paying anything gives ``(-inf, 0)``, "no" to a
bid but willing to pay something ``[0, bid)``, "yes" ``[bid, inf)`` (or the
double-bounded intervals, cut at 0).  That is the interval likelihood of
:func:`~analysis.pricing.contingent.interval_regression`, the likelihood of R
``DCchoice::sbspike`` / ``dbspike``.  Summaries:

* the spike: ``1 - result.demand_curve([0])["estimate"]``;
* mean WTP ``E[max(W, 0)] = log(1 + exp(alpha)) / -beta`` (DCchoice's spike
  mean): ``result.wtp("mean", truncate=(0, np.inf))``;
* DCchoice's coefficients: ``result.summary_frame(parameterization="dcchoice")``.

A "yes" to the bid with "no" to paying anything contradicts itself; DCchoice
drops such rows silently (their pattern code matches no likelihood term);
here they are left out and counted in ``result.n_contradictory``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_argument, check_columns
from ..codebook import Codebook
from .bounds import dc_bid_data
from .contingent import interval_regression
from .regression import IntervalRegressionResult

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["spike_cv"]


def spike_cv(design: Design, formula: str = "~ 1", *, bid1: str, ans1: str, spike: str,
             bid2: str | None = None, ans2: str | None = None, dist: str = "logistic",
             codebook: Codebook | None = None, variance: str = "auto",
             rep_type: str = "bootstrap", replicates: int = 200, seed: Any = None,
             tol: float = 1e-10, maxit: int = 100) -> IntervalRegressionResult:
    """Fit a single- or double-bounded spike model on a design.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    formula : str
        Right-hand side with covariates of WTP.
    bid1, ans1 : str
        First bid and answer (1/0).
    spike : str
        Whether the respondent would pay anything (1/0).
    bid2, ans2 : str, optional
        Follow-up bid and answer (double-bounded spike, DCchoice ``dbspike``).
    dist : {"logistic", "normal"}
        Distribution of ``W`` (DCchoice's spike models are logistic).
    codebook : Codebook, optional
        Passed on (covariates only).
    variance : {"auto", "linearization", "replicate"}
        Variance method.
    rep_type : str
        Replicate type of a conversion.
    replicates : int
        Replicates of a conversion.
    seed : int or Generator, optional
        Seed of bootstrap replicates.
    tol : float
        Newton tolerance.
    maxit : int
        Newton iterations.

    Returns
    -------
    IntervalRegressionResult
        With ``kind="spike"`` and ``n_contradictory`` (rows left out).
    """
    check_argument("dist", ["logistic", "normal"], dist)
    check_columns(design.data, [spike], "spike column")
    dc = dc_bid_data(design.data, None, bid1=bid1, ans1=ans1, bid2=bid2, ans2=ans2)
    lower = dc["lower"].to_numpy(dtype=float, na_value=np.nan)
    upper = dc["upper"].to_numpy(dtype=float, na_value=np.nan)
    spk = pd.to_numeric(design.data[spike], errors="coerce").to_numpy(dtype=float,
                                                                     na_value=np.nan)
    yes1 = dc["ans1"].to_numpy(dtype=float, na_value=np.nan) == 1
    zero = spk == 0
    contradictory = zero & yes1
    # Willing to pay something: W >= 0 (cut the lower bound at 0).
    lower = np.where(spk == 1, np.fmax(np.nan_to_num(lower, nan=0.0), 0.0), lower)
    # Nothing at all: W < 0, whatever the bid answers said.
    lower = np.where(zero, np.nan, lower)
    upper = np.where(zero, 0.0, upper)
    lower = np.where(contradictory | np.isnan(spk), np.nan, lower)
    upper = np.where(contradictory | np.isnan(spk), np.nan, upper)
    res = interval_regression(design, formula, lower, upper, dist=dist, codebook=codebook,
                              variance=variance, rep_type=rep_type, replicates=replicates,
                              seed=seed, tol=tol, maxit=maxit, kind="spike")
    res.n_contradictory = int(contradictory.sum())  # type: ignore[attr-defined]
    return res
