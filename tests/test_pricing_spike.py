"""Spike models (R DCchoice::sbspike / dbspike): a share with zero WTP.

Reference: a transcription of sbspike's log-likelihood (yes; no-but-positive;
zero, with the bid set to 0) maximised with scipy on unit weights, and
DCchoice's spike mean log(1 + exp(alpha)) / -beta.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, special

from analysis import SurveyDesign

BIDS = np.array([2.0, 5, 10, 20, 40])


def _spike(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x = rng.normal(size=n)
    w = 8 + 2 * x + 6 * rng.logistic(size=n)
    bid = rng.choice(BIDS, n)
    df = pd.DataFrame({"bid": bid, "yes": (w >= bid).astype(float), "spk": (w > 0) * 1.0,
                       "x": x, "w": 1.0})
    df.loc[[0, 1], ["yes", "spk"]] = [[1.0, 0.0], [1.0, 0.0]]  # contradictory answers
    return df


def test_sbspike_likelihood_mean_and_spike(rng):
    df = _spike(rng, 2000)
    res = SurveyDesign(df, weights="w").spike_cv("~ x", bid1="bid", ans1="yes", spike="spk")
    assert res.n_contradictory == 2
    table = res.summary_frame(parameterization="dcchoice")
    X1 = np.column_stack([np.ones(len(df)), df["x"], df["bid"]])
    X0 = X1.copy()
    X0[:, -1] = 0.0
    y1, spk = df["yes"].to_numpy(), df["spk"].to_numpy()
    code = 1 * (y1 == 1) + 2 * (y1 == 0) * (spk == 1) + 3 * (spk == 0)

    def nll(c: np.ndarray) -> float:
        f1, f0 = special.expit(-(X1 @ c)), special.expit(-(X0 @ c))  # P(W < bid), P(W < 0)
        def lg(p: np.ndarray) -> float:
            return float(np.log(np.clip(p, 1e-300, None)).sum())

        return -(lg(1 - f1[code == 1]) + lg(f1[code == 2] - f0[code == 2]) + lg(f0[code == 3]))

    fit = optimize.minimize(nll, table["estimate"].to_numpy() * 0.9, method="BFGS",
                            options={"gtol": 1e-9})
    assert_allclose(table["estimate"].to_numpy(), fit.x, rtol=2e-5, atol=1e-6)
    # Without covariates the spike mean is log(1 + exp(alpha)) / -beta.
    r0 = SurveyDesign(df, weights="w").spike_cv("~ 1", bid1="bid", ans1="yes", spike="spk")
    a, b = r0.dcchoice_params()[0]
    mean = r0.wtp("mean", truncate=(0, np.inf), krinsky_robb=False).summary_frame()
    assert mean["estimate"].iloc[0] == pytest.approx(np.log1p(np.exp(a)) / -b, rel=1e-7)
    share_zero = 1 - r0.demand_curve([0.0])["estimate"].iloc[0]
    assert share_zero == pytest.approx(special.expit(-a), rel=1e-10)
    assert share_zero == pytest.approx((df["spk"] == 0).mean(), abs=0.03)
