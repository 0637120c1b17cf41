"""Payment-card premium with "would not pay more" kept apart (wtp_hurdle)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from analysis import SurveyDesign
from analysis.codebook import Codebook
from analysis.errors import ModelError

CARDS = [(0.0, 5.0), (5.0, 10.0), (10.0, 20.0), (20.0, 30.0), (30.0, None)]


def _codebook(with_none: bool = True) -> Codebook:
    options = [{"code": i + 2, "name": f"c{i}", "label": f"{lo}-{hi}", "interval": [lo, hi]}
               for i, (lo, hi) in enumerate(CARDS)]
    if with_none:
        options.insert(0, {"code": 1, "name": "none", "label": "不愿意多付",
                           "interval": [0.0, 0.0], "never": True})
    return Codebook.model_validate({"wave": "t", "title": "t", "questions": [
        {"id": "card", "type": "payment_card", "label": "溢价", "options": options}]})


def _wave(rng: np.random.Generator, n: int = 3000, zero: float = 0.2) -> pd.DataFrame:
    wtp = np.exp(np.log(8.0) + 0.7 * rng.standard_normal(n))
    lows = np.array([c[0] for c in CARDS])
    answer = np.array([f"c{k - 1}" for k in np.searchsorted(lows, wtp, side="right")], dtype=object)
    answer[rng.random(n) < zero] = "none"
    df = pd.DataFrame({"card": pd.Categorical(answer, categories=["none"] + [f"c{i}" for i in
                                                                            range(5)]),
                       "st": rng.integers(0, 6, n), "w": rng.uniform(0.5, 2.0, n)})
    df["psu"] = df["st"] * 100 + rng.integers(0, 10, n)
    df.attrs["codebook_json"] = _codebook().to_json()
    return df


def test_population_summaries_combine_the_two_parts(rng):
    df = _wave(rng)
    d = SurveyDesign(df, weights="w", strata="st")
    res = d.wtp_hurdle("card")
    w = df["w"].to_numpy()
    zero = (df["card"] == "none").to_numpy()
    pi = w[zero].sum() / w.sum()
    assert_allclose(res.zero["estimate"].iloc[0], pi)
    direct = d.interval_regression("card ~ 1", dist="lognormal")
    assert_allclose(res.payers.params, direct.params)
    mu, log_s = direct.params.to_numpy()
    s = np.exp(log_s)
    table = res.wtp().summary_frame()
    assert_allclose(table.loc["mean_payers", "estimate"], np.exp(mu + s**2 / 2), rtol=1e-9)
    assert_allclose(table.loc["mean_all", "estimate"], (1 - pi) * np.exp(mu + s**2 / 2),
                    rtol=1e-9)
    # (1 - zero) P(WTP >= m) = 1/2 for the median over everyone
    m = np.exp(mu + s * stats.norm.ppf(1 - 0.5 / (1 - pi)))
    assert_allclose(table.loc["median_all", "estimate"], m, rtol=1e-8)
    curve = res.demand_curve([0.0, 10.0])
    assert curve["estimate"].iloc[0] == 1.0
    assert_allclose(curve["estimate"].iloc[1], (1 - pi) * stats.norm.sf((np.log(10) - mu) / s),
                    rtol=1e-9)
    most = res.share_at_most([10.0])
    assert_allclose(most["estimate"].iloc[0], 1 - curve["estimate"].iloc[1])
    assert list(res.tidy()["statistic"]) == ["zero", "mean_all", "median_all", "mean_payers",
                                             "median_payers"]


def test_linearization_agrees_with_replicates(rng):
    df = _wave(rng)
    d = SurveyDesign(df, weights="w", strata="st", psu="psu", nest=True)
    taylor = d.wtp_hurdle("card").summary_frame()
    jk = d.to_replicates("JKn").wtp_hurdle("card").summary_frame()
    assert_allclose(jk["estimate"], taylor["estimate"], rtol=1e-8)
    assert_allclose(jk["se"], taylor["se"], rtol=0.02)
    boot = d.wtp_hurdle("card", variance="replicate", replicates=100, seed=4).summary_frame()
    assert_allclose(boot["se"], taylor["se"], rtol=0.35)


def test_median_is_zero_when_most_would_not_pay(rng):
    df = _wave(rng, 800, zero=0.6)
    res = SurveyDesign(df, weights="w").wtp_hurdle("card")
    assert res.wtp().summary_frame().loc["median_all", "estimate"] == 0.0


def test_question_without_a_zero_option(rng):
    df = _wave(rng, 200)
    df = df[df["card"] != "none"].reset_index(drop=True)
    df["card"] = df["card"].cat.remove_categories("none")
    with pytest.raises(ModelError, match="would not pay more"):
        SurveyDesign(df, weights="w").wtp_hurdle("card", codebook=_codebook(with_none=False))
