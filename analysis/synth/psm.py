"""The demo wave's Van Westendorp block: four prices and two purchase intents.

Drawn from a random stream of its own (the main generator's
``spawn(1)[0]``), so adding the block leaves every other answer -- and the
published headline shares -- exactly as before.  The model is in
:data:`analysis.synth.spec.VW` and :data:`~analysis.synth.spec.INTENT`;
sampling uses ``Generator.random`` and inverse CDFs only, like the rest of
the generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from . import spec as S
from .model import Demographics, features

__all__ = ["VWAnswers", "draw_vw", "round_price"]


@dataclass
class VWAnswers:
    """Van Westendorp answers of every respondent, genuine and careless versions.

    Parameters
    ----------
    prices : ndarray, shape (n, 4)
        Too cheap, cheap, expensive, too expensive (yuan), as typed.
    intent : ndarray, shape (n, 2)
        Purchase-intent codes 1..5 at the cheap and at the expensive price.
    swapped : ndarray of bool
        Genuine respondents made to swap "cheap" and "expensive".
    careless_prices : ndarray, shape (n, 4)
        What each respondent types instead when answering carelessly.
    careless_intent : ndarray, shape (n, 2)
        Careless purchase-intent codes.
    """

    prices: np.ndarray  # (n, 4) too cheap, cheap, expensive, too expensive (yuan)
    intent: np.ndarray  # (n, 2) codes 1..5 at the cheap and at the expensive price
    swapped: np.ndarray  # bool: genuine respondents who swapped cheap and expensive
    careless_prices: np.ndarray  # (n, 4) what a careless respondent types instead
    careless_intent: np.ndarray  # (n, 2)


def round_price(v: np.ndarray) -> np.ndarray:
    """Round prices as people type them: to 5 yuan below 100, to 10 from 100, at least the minimum.

    Parameters
    ----------
    v : ndarray
        Prices in yuan.

    Returns
    -------
    ndarray
        Rounded prices.
    """
    step = np.where(v < 100, 5.0, 10.0)
    return np.maximum(np.round(v / step) * step, S.VW["min_price"])


def _intent(u: np.ndarray, eta: np.ndarray, shift: float) -> np.ndarray:
    spec = S.INTENT
    latent = spec["loading"] * eta + shift + special.logit(u)
    return 1 + (latent[:, None] > np.asarray(spec["cuts"])).sum(axis=1)


def draw_vw(rng: np.random.Generator, d: Demographics, eta: np.ndarray) -> VWAnswers:
    """Draw the block for respondents ``d`` with latent engagement ``eta``.

    Parameters
    ----------
    rng : numpy.random.Generator
        The block's own stream.
    d : Demographics
        The respondents.
    eta : ndarray
        Their latent engagement (as drawn for the other answers).

    Returns
    -------
    VWAnswers
        Genuine answers, and the random answers used where a respondent is careless.
    """
    vw = S.VW
    n = len(d)
    x = features(d)
    slopes = np.array([vw["slopes"].get(f, 0.0) for f in S.FEATURES])
    u = rng.random((n, 10))
    log_b = (np.log(vw["median_price"]) + x @ slopes + vw["eta_slope"] * eta
             + vw["sigma"] * special.ndtri(u[:, 0]))
    raw = np.exp(log_b[:, None] + np.log(vw["factors"]) + vw["noise"] * special.ndtri(u[:, 1:5]))
    prices = round_price(raw)
    swapped = u[:, 5] < vw["swap_share"]
    prices[np.ix_(swapped, [1, 2])] = prices[np.ix_(swapped, [2, 1])]
    intent = np.column_stack([_intent(u[:, 6], eta, 0.0),
                              _intent(u[:, 7], eta, S.INTENT["shift_expensive"])])
    lo, hi = vw["careless_range"]
    careless = round_price(lo * (hi / lo) ** rng.random((n, 4)))  # log-uniform, unordered
    careless_intent = 1 + (u[:, 8:10] * 5).astype(int)
    return VWAnswers(prices, intent, swapped, careless, careless_intent)
