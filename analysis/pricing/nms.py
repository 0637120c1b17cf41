"""Newton-Miller-Smith extension of the Van Westendorp price sensitivity meter.

Besides the four prices, each respondent rates how likely they are to buy at
their own "cheap" and "expensive" prices (e.g. a 5-point scale).  The ratings
are calibrated to purchase probabilities (by default ``5 -> 0.7, 4 -> 0.5,
3 -> 0.3, 2 -> 0.1, 1 -> 0``, Newton, Miller & Smith 1993) and each
respondent's probability of buying at price ``p`` is taken piecewise linear
through

    (too cheap, 0), (cheap, P_cheap), (expensive, P_expensive), (too expensive, 0)

and zero outside ``[too cheap, too expensive]``.  The weighted mean over
respondents is the *trial* curve, ``price x trial`` the *revenue* curve; the
prices maximising them are the trial- and revenue-optimal prices.

Where two of a respondent's prices coincide the later role wins (expensive
over cheap over too expensive over too cheap) and the neighbouring segments
lead to that value, as R ``pricesensitivitymeter::psm_analysis`` fills and
interpolates its matrix.  The curves are
evaluated on the distinct answered prices, the same grid as R's, and the
optimal prices are the first grid price reaching the maximum (R's
``which.max``).  R interpolates linearly in the *position* of a price among
the distinct prices, not in the price itself; the two agree for evenly spaced
prices.  ``interpolation="price"`` (the default) is linear in price, the
model's stated meaning; ``"position"`` reproduces R.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validation import check_argument, format_rows
from ..errors import ModelError

__all__ = ["DEFAULT_PI_SCALE", "DEFAULT_PI_CALIBRATED", "calibrate_intent",
           "purchase_probabilities"]

DEFAULT_PI_SCALE = (5, 4, 3, 2, 1)
DEFAULT_PI_CALIBRATED = (0.7, 0.5, 0.3, 0.1, 0.0)
NMS_INTERPOLATION = ("price", "position")


def calibrate_intent(values: np.ndarray, scale: Sequence[float], calibrated: Sequence[float],
                     column: str, index: Sequence[object] | None = None) -> np.ndarray:
    """Map purchase-intent answers to calibrated probabilities.

    Parameters
    ----------
    values : ndarray
        Answers (``NaN``: not answered, kept as ``NaN``).
    scale : sequence of float
        The answer codes.
    calibrated : sequence of float
        Purchase probability of each code (same length as ``scale``, in [0, 1]).
    column : str
        Column name, for messages.
    index : sequence, optional
        Row labels, for messages.

    Returns
    -------
    ndarray
        Probabilities (``NaN`` where not answered).

    Raises
    ------
    ModelError
        Scale and calibration differ in length, a probability is outside
        [0, 1], or an answer is not on the scale (rows named).
    """
    scale_a = np.asarray(scale, dtype=float)
    cal = np.asarray(calibrated, dtype=float)
    if scale_a.shape != cal.shape or scale_a.ndim != 1 or scale_a.size == 0:
        raise ModelError("pi_scale and pi_calibrated must be sequences of the same length",
                         hint="one calibrated purchase probability per scale code")
    if not np.all(np.isfinite(cal)) or np.any((cal < 0) | (cal > 1)):
        raise ModelError(f"pi_calibrated must hold probabilities in [0, 1], not {list(cal)}",
                         hint="e.g. (0.7, 0.5, 0.3, 0.1, 0)")
    if np.unique(scale_a).size != scale_a.size:
        raise ModelError(f"pi_scale repeats a code: {list(scale_a)}")
    order = np.argsort(scale_a)
    codes, probs = scale_a[order], cal[order]
    out = np.full(values.shape, np.nan)
    answered = np.isfinite(values)
    pos = np.minimum(np.searchsorted(codes, values[answered]), codes.size - 1)
    hit = codes[pos] == values[answered]
    if not hit.all():
        rows = np.flatnonzero(answered)[~hit]
        labels = rows if index is None else np.asarray(index)[rows]
        raise ModelError(f"{column!r} has answers not on pi_scale {list(scale_a)} "
                         f"(rows {format_rows(labels)})",
                         hint="recode the answers or pass pi_scale= and pi_calibrated=",
                         columns=[column])
    out[answered] = probs[pos]
    return out


def purchase_probabilities(prices: np.ndarray, p_cheap: np.ndarray, p_expensive: np.ndarray,
                           grid: np.ndarray, interpolation: str = "price") -> np.ndarray:
    """Each respondent's purchase probability at each grid price, shape ``(n, len(grid))``.

    Parameters
    ----------
    prices : ndarray, shape (n, 4)
        Too cheap, cheap, expensive, too expensive (ordered, ties allowed).
    p_cheap, p_expensive : ndarray, shape (n,)
        Calibrated purchase probabilities at the cheap and expensive price.
    grid : ndarray
        Sorted distinct prices containing every price in ``prices``.
    interpolation : {"price", "position"}
        Linear in price, or in the position among the grid prices (R).

    Returns
    -------
    ndarray
        Probabilities, zero outside each respondent's ``[too cheap, too expensive]``.
    """
    check_argument("interpolation", list(NMS_INTERPOLATION), interpolation)
    if interpolation == "position":
        x = np.searchsorted(grid, prices).astype(float)
        g = np.arange(grid.size, dtype=float)
    else:
        x, g = prices.astype(float), grid.astype(float)
    tc, c, e, te = (x[:, [j]] for j in range(4))
    pc, pe = p_cheap[:, None], p_expensive[:, None]
    gg = g[None, :]

    def ramp(a: np.ndarray, b: np.ndarray, ya: np.ndarray, yb: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(b > a, (gg - a) / (b - a), 1.0)
        return ya + frac * (yb - ya)

    # Knot values at tied prices: the later role wins (R fills too cheap, too expensive,
    # cheap, expensive in turn), so a tie of cheap and expensive carries P_expensive.
    yc = np.where(c == e, pe, pc)
    ytc = np.where(tc == c, yc, 0.0)
    yte = np.where(te == e, pe, 0.0)
    out = np.zeros((prices.shape[0], grid.size))
    out = np.where((gg >= tc) & (gg < c), ramp(tc, c, ytc, yc), out)
    out = np.where((gg > e) & (gg <= te), ramp(e, te, pe, yte), out)
    out = np.where((gg >= c) & (gg <= e), ramp(c, e, yc, pe), out)
    return out
