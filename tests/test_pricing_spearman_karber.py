"""Spearman-Kärber means of a Turnbull acceptance curve (R DCchoice::summary.turnbull).

DCchoice is not installable here; the reference is a transcription of
summary.turnbull's formulas (survival ``suv`` at 0 and each bid, its
Kaplan-Meier lower bound ``sum(x.interval * suv[-c(1, n)])`` and its
Spearman-Kärber mean ``sum(med.suv * x.interval)``) applied to the Turnbull
curve at the bids (the NPMLE itself is checked against R interval::icfit in
test_pricing_turnbull).  The extrapolated tail uses Kriström's x-intercept
rule (DCchoice summary.kristrom).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign

KW = dict(bid1="q_bid1", ans1="q_ans1", bid2="q_bid2", ans2="q_ans2")


def _dbdc(rng: np.random.Generator, n: int) -> pd.DataFrame:
    bids = np.array([5.0, 10, 20, 30])
    up = {5.0: 10.0, 10.0: 20.0, 20.0: 30.0, 30.0: 50.0}
    down = {5.0: 2.0, 10.0: 5.0, 20.0: 10.0, 30.0: 20.0}
    wtp = 15 + 6 * rng.logistic(size=n)
    b1 = rng.choice(bids, n)
    a1 = wtp >= b1
    b2 = np.where(a1, pd.Series(b1).map(up), pd.Series(b1).map(down))
    return pd.DataFrame({"q_bid1": b1, "q_ans1": a1, "q_bid2": b2, "q_ans2": wtp >= b2,
                         "w": rng.uniform(0.5, 2, n), "st": rng.integers(0, 4, n)})


def _summary_turnbull(bids: np.ndarray, surv: np.ndarray) -> tuple[float, float]:
    x_ax = np.concatenate([[0.0], bids])
    suv = np.concatenate([[1.0], surv, [0.0]])  # labelled 0, bids..., Inf
    x_interval = np.diff(x_ax)
    km = np.sum(x_interval * suv[1:-1])
    med_suv = 0.5 * (suv[:-1] + suv[1:])
    sk = np.sum(med_suv[:-1] * x_interval)
    return float(km), float(sk)


def test_truncated_sk_and_lower_bound_equal_dcchoice_formulas(rng):
    df = _dbdc(rng, 800)
    tb = SurveyDesign(df.assign(one=1.0), weights="one").dc_turnbull(**KW)
    bids = np.unique(df[["q_bid1", "q_bid2"]].to_numpy())
    surv = tb.curve(at=bids)["estimate"].to_numpy()
    km, sk = _summary_turnbull(bids, surv)
    got = tb.mean_spearman_karber()
    assert got.index[0] == "mean_sk_truncated"
    assert got["estimate"].iloc[0] == pytest.approx(sk, rel=1e-13)
    assert tb.mean_lower_bound()["estimate"].iloc[0] == pytest.approx(km, rel=1e-13)
    assert km < sk
    ext = tb.mean_spearman_karber(tail="extrapolate")
    assert ext["estimate"].iloc[0] > sk  # the tail beyond the highest bid adds area


def test_extrapolated_tail_follows_the_x_intercept_rule(rng):
    df = _dbdc(rng, 800)
    tb = SurveyDesign(df, weights="w").dc_turnbull(**KW)
    bids = np.unique(df[["q_bid1", "q_bid2"]].to_numpy())
    s = tb.curve(at=bids)["estimate"].to_numpy()
    assert s[-2] != s[-1]
    icpt = bids[-1] + s[-1] * (bids[-1] - bids[-2]) / (s[-2] - s[-1])
    _, sk = _summary_turnbull(bids, s)
    got = tb.mean_spearman_karber(tail="extrapolate")["estimate"].iloc[0]
    assert got == pytest.approx(sk + 0.5 * (icpt - bids[-1]) * s[-1], rel=1e-13)


def test_design_se_weights_and_replicates(rng):
    df = _dbdc(rng, 1200)
    d = SurveyDesign(df, weights="w", strata="st")
    tb = d.dc_turnbull(**KW)
    sk = tb.mean_spearman_karber()
    assert sk["se"].iloc[0] > 0
    assert sk["ci_low"].iloc[0] < sk["estimate"].iloc[0] < sk["ci_high"].iloc[0]
    jk = d.to_replicates("JKn").dc_turnbull(**KW).mean_spearman_karber()
    assert_allclose(jk["estimate"], sk["estimate"], rtol=1e-8)
    assert_allclose(jk["se"], sk["se"], rtol=0.1)
    w = rng.integers(1, 4, len(df)).astype(float)
    a = SurveyDesign(df.assign(w=w), weights="w").dc_turnbull(**KW).mean_spearman_karber()
    dup = df.assign(w=w).loc[lambda x: x.index.repeat(x["w"].astype(int))].assign(w=1.0)
    b = SurveyDesign(dup, weights="w").dc_turnbull(**KW).mean_spearman_karber()
    assert_allclose(a["estimate"], b["estimate"], rtol=1e-8)
