"""Kriström's nonparametric estimator (R DCchoice::kristrom + summary.kristrom).

DCchoice is not installable here (no CRAN), so the reference is a literal
transcription of kristrom.R (the pooling ``while`` loop on the table with a
``(1, 1, 1)`` row for bid 0) and summary.kristrom (area, x intercept,
Spearman-Kärber, Kaplan-Meier and median formulas), run on unit weights;
design SEs are checked against a hand-written linearisation and a
replicate design.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.errors import ModelError


def _dcchoice(bid: np.ndarray, yes: np.ndarray) -> dict[str, float]:
    """kristrom() and summary.kristrom() of DCchoice, step by step."""
    unq = np.unique(bid)
    tab = np.array([[1.0, 1.0, 1.0]] + [[yes[bid == b].sum(), (bid == b).sum(), 0.0]
                                        for b in unq])
    tab[1:, 2] = tab[1:, 0] / tab[1:, 1]
    x = np.concatenate([[0.0], unq])
    while True:
        d = np.diff(tab[:, 2])
        up = np.flatnonzero(d > 0)
        if up.size == 0:
            break
        j = up[0]
        tab[j, 0] = tab[j + 1, 0] = tab[j, 0] + tab[j + 1, 0]
        tab[j, 1] = tab[j + 1, 1] = tab[j, 1] + tab[j + 1, 1]
        tab[:, 2] = tab[:, 0] / tab[:, 1]
    p = tab[:, 2]
    M = p.size
    area = np.sum(0.5 * (p[:-1] + p[1:]) * np.diff(x))
    if p[M - 2] != p[M - 1]:
        icpt = x[M - 1] + p[M - 1] * (x[M - 1] - x[M - 2]) / (p[M - 2] - p[M - 1])
    elif p[M - 3] != p[M - 2]:
        icpt = x[M - 1] + p[M - 1] * (x[M - 2] - x[M - 3]) / (p[M - 3] - p[M - 2])
    else:
        icpt = 1.5 * x[M - 1]
    m = np.flatnonzero(p > 0.5).max()
    ratio = (p[m] - 0.5, 0.5 - p[m + 1])
    return {"p": p[1:], "mean_spearman_karber": area + 0.5 * (icpt - x[M - 1]) * p[M - 1],
            "mean_truncated": area, "mean_lower_bound": np.sum(p[1:] * np.diff(x)),
            "median": x[m] + (x[m + 1] - x[m]) * ratio[0] / sum(ratio)}


def _sb(rng: np.random.Generator, n: int, bids=(10, 20, 40, 70, 100, 150)) -> pd.DataFrame:
    bid = rng.choice(bids, n)
    wtp = np.exp(rng.normal(np.log(50), 0.9, n))
    return pd.DataFrame({"bid": bid.astype(float), "yes": (wtp >= bid).astype(float),
                         "w": rng.uniform(0.5, 2, n), "st": rng.integers(0, 3, n)})


@pytest.mark.parametrize("n", [40, 400])
def test_point_estimates_equal_dcchoice_including_pooling(rng, n):
    df = _sb(rng, n)
    ref = _dcchoice(df["bid"].to_numpy(), df["yes"].to_numpy())
    res = SurveyDesign(df.assign(one=1.0), weights="one").kristrom(bid="bid", answer="yes",
                                                                   pooling="dcchoice")
    assert_allclose(res.survival, ref["p"], rtol=1e-14)
    est = res.summary_frame()["estimate"]
    for k in ("mean_spearman_karber", "mean_truncated", "mean_lower_bound", "median"):
        assert est[k] == pytest.approx(ref[k], rel=1e-13), k
    if n == 40:  # small samples produce rising shares, so pooling is exercised
        assert np.unique(res.pools).size < res.bids.size


def test_forced_pooling_and_the_x_intercept_fallbacks():
    # Shares 0.8, 0.9 (pooled to 0.85), 0.4, 0.4 (flat tail: the second x-intercept rule).
    rows = [(10, 1)] * 4 + [(10, 0)] + [(20, 1)] * 9 + [(20, 0)] + [(40, 1)] * 2 + \
        [(40, 0)] * 3 + [(80, 1)] * 2 + [(80, 0)] * 3
    df = pd.DataFrame(rows, columns=["bid", "yes"], dtype=float).assign(w=1.0)
    ref = _dcchoice(df["bid"].to_numpy(), df["yes"].to_numpy())
    res = SurveyDesign(df, weights="w").kristrom(bid="bid", answer="yes", pooling="dcchoice")
    assert_allclose(res.survival, [13 / 15, 13 / 15, 0.4, 0.4])
    assert_allclose(res.summary_frame()["estimate"],
                    [ref[k] for k in ("mean_spearman_karber", "mean_truncated",
                                      "mean_lower_bound", "median")], rtol=1e-14)


def test_dcchoice_double_counts_pools_of_three_and_pava_is_the_npmle():
    # 10 answers at each bid, 8, 1, 2, 3 of them "yes": the last three bids pool to 6/30.
    rows = [(b, 1.0) for b, k in zip((10, 20, 40, 80), (8, 1, 2, 3)) for _ in range(k)] + \
        [(b, 0.0) for b, k in zip((10, 20, 40, 80), (2, 9, 8, 7)) for _ in range(k)]
    df = pd.DataFrame(rows, columns=["bid", "yes"]).assign(w=1.0)
    ref = _dcchoice(df["bid"].to_numpy(), df["yes"].to_numpy())
    d = SurveyDesign(df, weights="w")
    r_like = d.kristrom(bid="bid", answer="yes", pooling="dcchoice")
    npmle = d.kristrom(bid="bid", answer="yes")
    assert_allclose(r_like.survival, ref["p"], rtol=1e-14)  # R's number, kept
    assert ref["p"][1] == pytest.approx(0.18541, abs=1e-5)
    assert_allclose(npmle.survival, [0.8, 0.2, 0.2, 0.2])  # the pooled share 6/30

    def loglik(p: np.ndarray) -> float:
        yes, tot = np.array([8, 1, 2, 3.0]), np.full(4, 10.0)
        return float(np.sum(yes * np.log(p) + (tot - yes) * np.log1p(-p)))

    assert loglik(npmle.survival) > loglik(r_like.survival)


def test_weights_act_as_duplicates(rng):
    df = _sb(rng, 150).assign(w=lambda d: rng.integers(1, 4, len(d)).astype(float))
    dup = df.loc[df.index.repeat(df["w"].astype(int))].assign(w=1.0)
    a = SurveyDesign(df, weights="w").kristrom(bid="bid", answer="yes")
    b = SurveyDesign(dup, weights="w").kristrom(bid="bid", answer="yes")
    assert_allclose(a.summary_frame()["estimate"], b.summary_frame()["estimate"], rtol=1e-13)


def test_linearization_se_by_hand_and_close_to_jackknife(rng):
    df = _sb(rng, 800)
    d = SurveyDesign(df, weights="w")
    res = d.kristrom(bid="bid", answer="yes")
    assert np.unique(res.pools).size == res.bids.size  # no pooling: shares are domain ratios
    # mean_truncated = sum_j c_j p_j (trapezoid weights); its influence by hand.
    x = np.concatenate([[0.0], res.bids])
    dx = np.diff(x)
    c = 0.5 * (dx + np.append(dx[1:], 0.0))
    w, y = df["w"].to_numpy(), df["yes"].to_numpy()
    j = np.searchsorted(res.bids, df["bid"].to_numpy())
    tot = np.bincount(j, weights=w)
    z = c[j] * w * (y - res.survival[j]) / tot[j]
    n = len(df)
    se = np.sqrt(n / (n - 1) * np.sum((z - z.mean()) ** 2))
    table = res.summary_frame()
    assert table.loc["mean_truncated", "se"] == pytest.approx(se, rel=1e-8)
    jk = d.to_replicates("JK1").kristrom(bid="bid", answer="yes").summary_frame()
    assert_allclose(jk["estimate"], table["estimate"], rtol=1e-12)
    assert_allclose(jk["se"], table["se"], rtol=0.05)
    curve = res.curve()
    assert (curve["ci_low"] < curve["estimate"]).all()


def test_dc_question_and_errors(rng):
    df = _sb(rng, 50).assign(bid=10.0)
    with pytest.raises(ModelError, match="at least two distinct bids"):
        SurveyDesign(df, weights="w").kristrom(bid="bid", answer="yes")
