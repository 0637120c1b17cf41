"""One-and-one-half-bound (OOHB) dichotomous choice (Cooper, Hanemann & Signorello 2002).

Each respondent is given a bid pair ``(BL, BH)`` and asked about one of them
first.  Starting at ``BL``: "yes" leads to ``BH``; "no" ends the question.
Starting at ``BH``: "no" leads to ``BL``; "yes" ends it.  The answers bound
WTP to ``[BH, inf)``, ``[BL, BH)`` or ``(-inf, BL)`` (``[0, BL)`` for
positive-WTP models, whose likelihood is the same), so the model is the
interval likelihood of :func:`~analysis.pricing.contingent.interval_regression`.

Answers follow R ``DCchoice::oohbchoice``: ``ans1`` is the first answer (1/0),
``ans2`` the second (1/0, or ``-9`` / missing when not asked); which bid came
first is implied by the pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_columns, format_rows
from ..codebook import Codebook
from ..errors import IntervalError
from .contingent import interval_regression
from .regression import IntervalRegressionResult

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["oohb_intervals", "oohb_cv"]


def oohb_intervals(data: pd.DataFrame, bid_low: str, bid_high: str, ans1: str,
                   ans2: str) -> pd.DataFrame:
    """WTP bounds of one-and-one-half-bound answers.

    Parameters
    ----------
    data : DataFrame
        The answers.
    bid_low, bid_high : str
        Columns of each respondent's lower and upper bid.
    ans1, ans2 : str
        First and second answers (1 yes, 0 no; ``ans2`` -9 or missing when
        not asked).

    Returns
    -------
    DataFrame
        Same index: ``pattern`` (``"yy"``, ``"yn"``, ``"n"`` starting low;
        ``"y"``, ``"ny"``, ``"nn"`` starting high), ``lower``, ``upper``
        (``NaN`` unbounded).

    Raises
    ------
    IntervalError
        ``bid_low`` not below ``bid_high``, or answers outside 1/0/-9 (rows
        named).
    """
    check_columns(data, [bid_low, bid_high, ans1, ans2], "OOHB columns")
    bl = pd.to_numeric(data[bid_low], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bh = pd.to_numeric(data[bid_high], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y1 = pd.to_numeric(data[ans1], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y2 = pd.to_numeric(data[ans2], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y2 = np.where(np.isnan(y2), -9.0, y2)
    answered = np.isfinite(y1)
    bad = answered & ~(np.isin(y1, [0, 1]) & np.isin(y2, [0, 1, -9]))
    bad |= answered & np.isfinite(bl) & np.isfinite(bh) & ~(bl < bh)
    if bad.any():
        raise IntervalError(f"one-and-one-half-bound answers must be 1/0 (second -9 when not "
                            f"asked) with {bid_low} < {bid_high} (rows "
                            f"{format_rows(data.index[bad])})",
                            hint="check the bid pair and the answer codes")
    patterns = {
        "yy": (y1 == 1) & (y2 == 1), "yn": (y1 == 1) & (y2 == 0), "n": (y1 == 0) & (y2 == -9),
        "y": (y1 == 1) & (y2 == -9), "ny": (y1 == 0) & (y2 == 1), "nn": (y1 == 0) & (y2 == 0),
    }
    lower = np.full(len(data), np.nan)
    upper = np.full(len(data), np.nan)
    pattern = np.full(len(data), None, dtype=object)
    for name, m in patterns.items():  # six answer patterns
        pattern[m] = name
        if name in ("yy", "y"):
            lower[m] = bh[m]
        elif name in ("yn", "ny"):
            lower[m], upper[m] = bl[m], bh[m]
        else:
            upper[m] = bl[m]
    return pd.DataFrame({"pattern": pattern, "lower": lower, "upper": upper}, index=data.index)


def oohb_cv(design: Design, formula: str = "~ 1", *, bid_low: str, bid_high: str, ans1: str,
            ans2: str, dist: str = "logistic", codebook: Codebook | None = None,
            variance: str = "auto", rep_type: str = "bootstrap", replicates: int = 200,
            seed: Any = None, tol: float = 1e-10, maxit: int = 100) -> IntervalRegressionResult:
    """Fit a one-and-one-half-bound dichotomous-choice model on a design.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    formula : str
        Right-hand side with covariates of WTP.
    bid_low, bid_high, ans1, ans2 : str
        Bid pair and answers (see :func:`oohb_intervals`).
    dist : str
        ``"logistic"``, ``"normal"``, ``"loglogistic"``, ``"lognormal"``,
        ``"weibull"``.
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
        ``.wtp()``, ``.summary_frame(parameterization="dcchoice")`` (R
        ``oohbchoice``'s coefficients), ``.demand_curve()``.
    """
    table = oohb_intervals(design.data, bid_low, bid_high, ans1, ans2)
    return interval_regression(design, formula, table["lower"].to_numpy(),
                               table["upper"].to_numpy(), dist=dist, codebook=codebook,
                               variance=variance, rep_type=rep_type, replicates=replicates,
                               seed=seed, tol=tol, maxit=maxit, kind="oohb")
