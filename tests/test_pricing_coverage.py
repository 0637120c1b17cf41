"""Coverage of the design-based intervals: a seeded simulation study.

Each replication draws a stratified sample (4 strata, unequal weights) of
n = 400 from a known population model, fits, and records whether the 95%
intervals hold the truth.  With 200 replications the Monte Carlo SE of a
95% coverage is 1.5 points, so the checks allow 95% +- 3.5 points (about
2.3 SEs) per quantity and +- 2.5 points on the average over quantities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import SurveyDesign

N_REP = 200
N = 400
BIDS = np.array([5.0, 10, 20, 30])
UP = {5.0: 10.0, 10.0: 20.0, 20.0: 30.0, 30.0: 50.0}
DOWN = {5.0: 2.0, 10.0: 5.0, 20.0: 10.0, 30.0: 20.0}
MU, SIGMA = np.log(12.0), 0.9  # log-normal WTP
CHECK = np.array([5.0, 10.0, 20.0, 30.0])


def _sample(rng: np.random.Generator) -> pd.DataFrame:
    # Strata differ in WTP level and sampling rate, so unweighted estimates are biased.
    st = rng.integers(0, 4, N)
    shift = np.array([-0.3, -0.1, 0.1, 0.3])[st]
    wtp = np.exp(MU + shift + np.sqrt(SIGMA**2 - 0.045) * rng.standard_normal(N))
    b1 = rng.choice(BIDS, N)
    a1 = wtp >= b1
    b2 = np.where(a1, pd.Series(b1).map(UP), pd.Series(b1).map(DOWN))
    a2 = wtp >= b2
    lower = np.where(a1 & a2, b2, np.where(a1, b1, np.where(a2, b2, np.nan)))
    upper = np.where(a1 & a2, np.nan, np.where(a1, b2, np.where(a2, b1, b2)))
    w = np.array([1.0, 2.0, 3.0, 4.0])[st]
    return pd.DataFrame({"st": st, "w": w, "l": lower, "u": upper, "b1": b1, "a1": a1,
                         "b2": b2, "a2": a2})


def _truth_survival(b: np.ndarray) -> np.ndarray:
    # Population = strata weighted by w x (sampling share 1/4 each).
    w = np.array([1.0, 2.0, 3.0, 4.0]) / 10
    shift = np.array([-0.3, -0.1, 0.1, 0.3])
    s = np.sqrt(SIGMA**2 - 0.045)
    return np.array([np.sum(w * stats.norm.sf((np.log(x) - MU - shift) / s)) for x in b])


def _coverage(hits: np.ndarray) -> np.ndarray:
    return hits.mean(axis=0)


@pytest.mark.slow
def test_turnbull_curve_intervals_cover_at_nominal_rate():
    rng = np.random.default_rng(20221201)
    truth = _truth_survival(CHECK)
    hits = np.zeros((N_REP, CHECK.size), dtype=bool)
    for r in range(N_REP):  # replications of the simulation study
        df = _sample(rng)
        d = SurveyDesign(df, weights="w", strata="st")
        curve = d.turnbull("l", "u").curve(CHECK)
        hits[r] = (curve["ci_low"].to_numpy() <= truth) & (truth <= curve["ci_high"].to_numpy())
    cover = _coverage(hits)
    assert np.all(np.abs(cover - 0.95) <= 0.035), cover
    assert abs(cover.mean() - 0.95) <= 0.025, cover


@pytest.mark.slow
def test_turnbull_replicate_intervals_cover():
    # Bootstrap replicates (the default for non-smooth statistics): one EM fits all 100.
    rng = np.random.default_rng(7)
    truth = _truth_survival(CHECK[1:3])
    hits = np.zeros((N_REP, 2), dtype=bool)
    for r in range(N_REP):
        df = _sample(rng)
        d = SurveyDesign(df, weights="w", strata="st").to_replicates(
            "bootstrap", replicates=100, seed=r)
        curve = d.turnbull("l", "u").curve(CHECK[1:3])
        hits[r] = (curve["ci_low"].to_numpy() <= truth) & (truth <= curve["ci_high"].to_numpy())
    cover = _coverage(hits)
    assert np.all(np.abs(cover - 0.95) <= 0.035), cover


@pytest.mark.slow
def test_dbdc_median_wtp_intervals_cover():
    rng = np.random.default_rng(11)
    hits = np.zeros((N_REP, 2), dtype=bool)
    # A single log-normal within strata; the weighted population is a mixture, so
    # the target is the fitted model's *population* median, computed exactly.
    grid = np.linspace(5, 25, 20001)
    median = grid[np.argmin(np.abs(_truth_survival(grid) - 0.5))]
    for r in range(N_REP):
        df = _sample(rng)
        d = SurveyDesign(df, weights="w", strata="st")
        res = d.dc_cv(bid1="b1", ans1="a1", bid2="b2", ans2="a2", formula="~ C(st)",
                    dist="lognormal")
        out = res.wtp("median", seed=r, n_draws=400).summary_frame().loc["median"]
        hits[r] = [out["ci_low"] <= median <= out["ci_high"],
                   out["kr_low"] <= median <= out["kr_high"]]
    cover = _coverage(hits)
    assert np.all(np.abs(cover - 0.95) <= 0.035), cover
