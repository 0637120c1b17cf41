"""One-and-one-half-bound dichotomous choice (R DCchoice::oohbchoice / turnbull.oohb).

References: a transcription of turnbull.oohb's left/right bounds, and of
oohbchoice's likelihood (yy, yn, nn terms in DCchoice's coefficients) maximised
with scipy on unit weights.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize, special, stats

from analysis import SurveyDesign
from analysis.errors import IntervalError
from analysis.pricing.oohb import oohb_intervals

PAIRS = [(5.0, 10.0), (10.0, 20.0), (20.0, 40.0), (40.0, 80.0)]
CDF = {"logistic": special.expit, "lognormal": stats.norm.cdf,
       "weibull": lambda v: np.exp(-np.exp(-v))}


def _oohb(rng: np.random.Generator, n: int, dist: str = "lognormal") -> pd.DataFrame:
    k = rng.integers(0, len(PAIRS), n)
    bl = np.array([p[0] for p in PAIRS])[k]
    bh = np.array([p[1] for p in PAIRS])[k]
    x = rng.normal(size=n)
    wtp = np.exp(np.log(20) + 0.3 * x + 0.6 * rng.normal(size=n))
    if dist == "logistic":
        wtp = wtp - 5
    low_first = rng.random(n) < 0.5
    y1 = np.where(low_first, wtp >= bl, wtp >= bh).astype(float)
    y2 = np.where(low_first, np.where(y1 == 1, wtp >= bh, -9),
                  np.where(y1 == 0, wtp >= bl, -9)).astype(float)
    return pd.DataFrame({"BL": bl, "BH": bh, "R1": y1, "R2": y2, "x": x, "w": 1.0})


def test_bounds_equal_turnbull_oohb(rng):
    df = _oohb(rng, 300)
    got = oohb_intervals(df, "BL", "BH", "R1", "R2")
    y1, y2, bl, bh = df["R1"], df["R2"], df["BL"], df["BH"]
    fl_yy, fl_yn, fl_n = (y1 == 1) & (y2 == 1), (y1 == 1) & (y2 == 0), (y1 == 0) & (y2 == -9)
    fh_y, fh_ny, fh_nn = (y1 == 1) & (y2 == -9), (y1 == 0) & (y2 == 1), (y1 == 0) & (y2 == 0)
    left = np.where(fl_yy | fh_y, bh, np.where(fl_yn | fh_ny, bl, 0))
    right = np.where(fl_yn | fh_ny, bh, np.where(fl_n | fh_nn, bl, np.inf))
    assert_allclose(got["lower"].fillna(0), left)
    assert_allclose(got["upper"].fillna(np.inf), right)


@pytest.mark.parametrize("dist", list(CDF))
def test_coefficients_equal_the_oohbchoice_likelihood(rng, dist):
    df = _oohb(rng, 1500, dist)
    res = SurveyDesign(df, weights="w").oohb_cv("~ x", bid_low="BL", bid_high="BH",
                                                ans1="R1", ans2="R2", dist=dist)
    table = res.summary_frame(parameterization="dcchoice")
    t = oohb_intervals(df, "BL", "BH", "R1", "R2")
    log = dist != "logistic"
    b = (np.log if log else np.asarray)
    X1 = np.column_stack([np.ones(len(df)), df["x"], b(df["BL"])])
    X2 = np.column_stack([np.ones(len(df)), df["x"], b(df["BH"])])
    yy = t["pattern"].isin(["yy", "y"]).to_numpy()
    yn = t["pattern"].isin(["yn", "ny"]).to_numpy()
    nn = t["pattern"].isin(["n", "nn"]).to_numpy()
    F = CDF[dist]

    def nll(c: np.ndarray) -> float:
        p_hi, p_lo = F(X2 @ c), F(X1 @ c)  # P(yes at BH), P(yes at BL)
        ll = (np.log(p_hi[yy]).sum() + np.log1p(-p_lo[nn]).sum()
              + np.log(np.clip(p_lo[yn] - p_hi[yn], 1e-300, None)).sum())
        return -float(ll)

    fit = optimize.minimize(nll, table["estimate"].to_numpy() * 0.9, method="BFGS",
                            options={"gtol": 1e-9})
    assert_allclose(table["estimate"].to_numpy(), fit.x, rtol=2e-5, atol=1e-6)
    assert res.kind == "oohb"


def test_bad_answers_are_named(rng):
    df = _oohb(rng, 20)
    df.loc[3, "R2"] = 2
    with pytest.raises(IntervalError, match="rows 3"):
        oohb_intervals(df, "BL", "BH", "R1", "R2")
