"""Contingent valuation on a survey design: interval regression of payment cards, ladders and
any bounds (R ``survreg``), and single- / double-bounded dichotomous choice (:func:`dc_cv`).

Both take a design and return an
:class:`~analysis.pricing.regression.IntervalRegressionResult` whose ``.wtp()``
gives mean and median willingness to pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._formula import build_model_frame
from ..codebook import Codebook
from ..errors import ModelError
from .bounds import (
    as_bounds,
    dc_bid_data,
    question_intervals,
)
from .regression import IntervalRegressionResult, fit_interval_model, variance_design

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["interval_regression", "dc_cv"]


# --------------------------------------------------------------------------- regression
def _response_bounds(design: Design, lhs: str, codebook: Codebook | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, np.ndarray]:
    """Bounds from a codebook question named on a formula's left side."""
    data = design.data
    cb = codebook if codebook is not None else Codebook.from_frame(data)
    q = cb.question(lhs)
    excluded = np.zeros(len(data), dtype=bool)
    if q.type in ("payment_card", "price_ladder"):
        table = question_intervals(data, q, cb)
        kind = "payment_card" if q.type == "payment_card" else "ladder"
        # Never-buyers are a separate group (hurdle), not the lowest interval.
        excluded = table["never"].fillna(False).to_numpy(dtype=bool)
    elif q.type == "dc_bid":
        table = dc_bid_data(data, q, codebook=cb)
        kind = "dbdc" if table["ans2"].notna().any() else "sbdc"
    else:
        raise ModelError(f"the response {lhs!r} is a {q.type} question, not a payment_card, "
                         "price_ladder or dc_bid", question=lhs,
                         hint="use lower=/upper= columns for other bounds")
    lo, hi, answered = as_bounds(table["lower"].to_numpy(), table["upper"].to_numpy())
    return lo, hi, answered & ~excluded, kind, excluded


def interval_regression(design: Design, formula: str = "~ 1", lower: Any = None, upper: Any = None,
                        *, dist: str = "lognormal", codebook: Codebook | None = None,
                        variance: str = "auto", rep_type: str = "bootstrap",
                        replicates: int = 200, seed: Any = None, tol: float = 1e-10,
                        maxit: int = 100, kind: str = "interval") -> IntervalRegressionResult:
    """Interval-censored regression with survey weights and design-based SEs.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    formula : str
        ``"~ x1 + x2"`` with bounds from ``lower``/``upper``, or
        ``"<question> ~ x1 + x2"`` with a ``payment_card``, ``price_ladder``
        (never-buyers left out: see :func:`threshold_model`) or ``dc_bid``
        question whose bounds come from the codebook.
    lower, upper : str or array-like, optional
        Bounds (``NaN`` = unbounded) when the formula has no left side.
    dist : str
        ``"lognormal"``, ``"loglogistic"``, ``"weibull"``, ``"normal"``,
        ``"logistic"``, ``"logitnormal"``, ``"logitlogistic"``.
    codebook : Codebook, optional
        Defaults to the frame's.
    variance : {"auto", "linearization", "replicate"}
        Variance method; ``"replicate"`` converts a Taylor design first (see
        :func:`analysis.pricing.threshold.turnbull`).
    rep_type : str, default "bootstrap"
        Replicate type of that conversion.
    replicates : int, default 200
        Number of replicates of that conversion.
    seed : int or Generator, optional
        Seed of the bootstrap replicates.
    tol : float, default 1e-10
        Convergence tolerance of Newton's method.
    maxit : int, default 100
        Maximum Newton iterations.
    kind : str
        Label of the data kind kept on the result.

    Returns
    -------
    IntervalRegressionResult
        ``.summary_frame()``, ``.tidy()``, ``.wtp()``, ``.demand_curve()``,
        ``.predict()``.

    Raises
    ------
    IntervalError
        Empty intervals or answers outside the codebook (rows named),
        bounds outside ``dist``'s support.
    ModelError
        Bad formula, rank deficiency, unidentified model.

    Warns
    -----
    ConvergenceWarning
        Newton's method stopped early (largest score reported).

    Notes
    -----
    Point estimates and log-likelihood equal R's ``survreg(Surv(l, r,
    type="interval2") ~ x, weights=w, dist=...)``; Taylor SEs equal
    ``survey::svysurvreg``.
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise ModelError(f"`formula` must look like '~ x' or 'question ~ x', not {formula!r}",
                         hint="use '~ 1' for a model without covariates")
    lhs, rhs = (part.strip() for part in formula.split("~", 1))
    data = design.data
    if lhs:
        if lower is not None or upper is not None:
            raise ModelError("give either a response question in the formula or lower=/upper=",
                             hint=f"drop {lhs!r} from the formula or the bounds")
        lo, hi, answered, kind, _ = _response_bounds(design, lhs, codebook)
    else:
        if lower is None or upper is None:
            raise ModelError("interval_regression needs lower= and upper= (or a question id "
                             "on the left of the formula)", hint="e.g. '~ 1', lower='l', upper='r'")
        lo, hi, answered = as_bounds(lower, upper, data)
    frame = build_model_frame("~ " + (rhs or "1"), data)
    keep = answered[frame.rows]
    rows = frame.rows[keep]
    return fit_interval_model(design if variance == "auto" else variance_design(
        design, variance, rep_type, replicates, seed), frame.X[keep], lo[rows], hi[rows], rows,
        dist=dist, names=frame.columns, formula=formula, frame=frame, kind=kind, tol=tol,
        maxit=maxit)


def dc_cv(design: Design, question: str | None = None, formula: str = "~ 1", *,
          dist: str = "logistic", bid1: str | None = None, ans1: str | None = None,
          bid2: str | None = None, ans2: str | None = None, codebook: Codebook | None = None,
          **kw: Any) -> IntervalRegressionResult:
    """Single- or double-bounded dichotomous-choice contingent valuation.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    question : str, optional
        A ``dc_bid`` question (columns ``<id>_bid1`` ... ``<id>_ans2``).
    formula : str
        Right-hand side with covariates of WTP (``"~ 1"``: none).
    dist : str
        WTP distribution: ``"logistic"`` / ``"normal"`` (linear utility
        difference, WTP may be negative) or ``"loglogistic"``,
        ``"lognormal"``, ``"weibull"`` (positive WTP).
    bid1, ans1, bid2, ans2 : str, optional
        Column names instead of (or overriding) the question's.
    codebook : Codebook, optional
        Defaults to the frame's.
    **kw
        Passed to :func:`interval_regression` (``variance``, ``seed``, ...).

    Returns
    -------
    IntervalRegressionResult
        Call ``.wtp()`` for mean / median WTP with delta-method and
        Krinsky-Robb intervals, ``.demand_curve()`` for acceptance by bid.

    Raises
    ------
    IntervalError
        Follow-up bids not higher after "yes" / lower after "no" (rows named).

    Notes
    -----
    The double-bounded likelihood of Hanemann, Loomis & Kanninen (1991) is
    the interval likelihood of the answer intervals (yy ``[B_h, inf)``, yn
    ``[B, B_h)``, ny ``[B_l, B)``, nn ``(-inf, B_l)``).  For every
    distribution the DCchoice coefficients are ``(alpha, gamma) = theta /
    scale`` (intercept and covariates) and ``beta = -1 / scale`` on the bid
    (``"logistic"``, ``"normal"``) or on ``log(bid)`` (``"loglogistic"``,
    ``"lognormal"``, ``"weibull"``); ``.summary_frame(parameterization=
    "dcchoice")`` reports them with design-based SEs (see
    :meth:`~analysis.pricing.regression.IntervalRegressionResult.dcchoice_params`).
    """
    dc = dc_bid_data(design.data, question, bid1=bid1, ans1=ans1, bid2=bid2, ans2=ans2,
                     codebook=codebook)
    kind = "dbdc" if dc["ans2"].notna().any() else "sbdc"
    return interval_regression(design, formula, dc["lower"].to_numpy(), dc["upper"].to_numpy(),
                               dist=dist, kind=kind, **kw)
