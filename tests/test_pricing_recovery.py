"""Recovery of known truths from a synthetic stratified survey (one seeded draw).

A finite population of 100,000 consumers is generated from known models
(purchase logit with barriers, log-normal premium WTP, a hurdle for the
second-hand price ratio); a stratified sample with unequal selection
probabilities is drawn and answered through a codebook's payment card, double-
bounded bid question and price-ratio ladder.  Every estimator must land within
3 design SEs of the population value it targets.

The demo wave's own truths are checked in ``test_pricing_demo.py``; this
wave adds checks the demo wave cannot make (a known ladder below its lowest
rung, exact finite-population targets).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from analysis import SurveyDesign
from analysis.codebook import Codebook
from analysis.models import average_marginal_effects, predicted_probabilities

RUNGS = np.round(np.arange(0.1, 1.0, 0.1), 1)
CARDS = [(0, 5), (5, 10), (10, 20), (20, 30), (30, None)]
BIDS = {5.0: (10.0, 2.0), 10.0: (20.0, 5.0), 20.0: (30.0, 10.0), 30.0: (50.0, 20.0)}
BETA = {"Intercept": 0.4, "hard": -0.9, "price": -0.5, "t1": 0.5, "att": 0.6}
WTP_MU, WTP_T1, WTP_SIGMA = np.log(10.0), 0.3, 0.7
RATIO_MU, RATIO_T1, RATIO_SIGMA, NEVER = -0.3, 0.4, 0.8, 0.25


def _codebook() -> Codebook:
    ladder = [{"code": i + 1, "name": f"r{i + 1}", "label": f"{i + 1}折", "value": float(v)}
              for i, v in enumerate(RUNGS)]
    ladder.append({"code": 99, "name": "never", "label": "不买二手", "never": True})
    cards = [{"code": i + 1, "name": f"c{i + 1}", "label": f"{lo}-{hi}",
              "interval": [lo, hi]} for i, (lo, hi) in enumerate(CARDS)]
    return Codebook.model_validate({"wave": "synthetic", "title": "synthetic", "questions": [
        {"id": "secondhand", "type": "price_ladder", "label": "二手", "options": ladder,
         "convention": "highest_accepted"},
        {"id": "premium", "type": "payment_card", "label": "溢价", "options": cards},
        {"id": "dc", "type": "dc_bid", "label": "出价", "bid": "b", "first": "f",
         "followup": "u", "bids": {k: list(v) for k, v in BIDS.items()}},
    ]})


@pytest.fixture(scope="module")
def wave() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(2022)
    N = 100_000
    tier = rng.choice(["t1", "t2", "t3"], N, p=[0.2, 0.3, 0.5])
    t1 = tier == "t1"
    pop = pd.DataFrame({
        "tier": tier, "hard": rng.random(N) < np.where(t1, 0.4, 0.55),
        "price": rng.random(N) < 0.45, "att": rng.standard_normal(N)})
    eta = (BETA["Intercept"] + BETA["hard"] * pop["hard"] + BETA["price"] * pop["price"]
           + BETA["t1"] * t1 + BETA["att"] * pop["att"])
    pop["buy"] = rng.random(N) < special.expit(eta)
    pop["wtp"] = np.exp(WTP_MU + WTP_T1 * t1 + WTP_SIGMA * rng.standard_normal(N))
    pop["never"] = rng.random(N) < NEVER
    pop["ratio"] = special.expit(RATIO_MU + RATIO_T1 * t1 + RATIO_SIGMA * rng.standard_normal(N))
    # Stratified sample, 1,000 per tier: tier 1 is heavily over-sampled.
    idx = np.concatenate([rng.choice(np.flatnonzero(tier == t), 1000, replace=False)
                          for t in ("t1", "t2", "t3")])
    s = pop.iloc[idx].reset_index(drop=True)
    s["w"] = s["tier"].map(pop["tier"].value_counts() / 1000)
    s["psu"] = np.arange(len(s)) // 5  # pairs of interviewers' clusters within tier
    # payment card: bracket holding the WTP
    lows = np.array([c[0] for c in CARDS], dtype=float)
    s["premium"] = pd.Categorical([f"c{k}" for k in np.searchsorted(lows, s["wtp"],
                                                                     side="right")])
    # double-bounded bids
    b1 = rng.choice(list(BIDS), len(s))
    a1 = s["wtp"].to_numpy() >= b1
    b2 = np.where(a1, [BIDS[b][0] for b in b1], [BIDS[b][1] for b in b1])
    s["dc_bid1"], s["dc_ans1"], s["dc_bid2"] = b1, a1, b2
    s["dc_ans2"] = s["wtp"].to_numpy() >= b2
    # ladder: highest rung accepted; below the lowest rung is indistinguishable from never
    k = np.searchsorted(RUNGS, s["ratio"].to_numpy(), side="right")
    answer = np.where(k == 0, "never", np.array([f"r{max(x, 1)}" for x in k], dtype=object))
    answer = np.where(s["never"], "never", answer)
    cats = [f"r{i + 1}" for i in range(RUNGS.size)] + ["never"]
    s["secondhand"] = pd.Categorical(answer, categories=cats, ordered=True)
    s.attrs["codebook_json"] = _codebook().to_json()
    return pop, s


@pytest.fixture(scope="module")
def design(wave) -> SurveyDesign:
    _, s = wave
    return SurveyDesign(s, weights="w", strata="tier", psu="psu", nest=True)


def _within(estimate: float, truth: float, se: float, k: float = 3.0) -> None:
    assert abs(estimate - truth) <= k * se, (estimate, truth, se)


def test_purchase_drivers_recover_the_population_effects(wave, design):
    pop, _ = wave
    fit = design.glm("buy ~ hard + price + C(tier) + att", family="quasibinomial")
    ame = average_marginal_effects(fit, ["hard", "price"]).summary_frame()
    base = (BETA["Intercept"] + BETA["price"] * pop["price"] + BETA["t1"] * (pop["tier"] == "t1")
            + BETA["att"] * pop["att"])
    truth_hard = np.mean(special.expit(base + BETA["hard"]) - special.expit(base))
    _within(ame.loc[("hard", "True vs False"), "estimate"], truth_hard,
            ame.loc[("hard", "True vs False"), "se"])
    pred = predicted_probabilities(fit, by="tier").summary_frame()
    for t in ("t1", "t2", "t3"):
        _within(pred.loc[t, "estimate"], pop.loc[pop["tier"] == t, "buy"].mean(),
                pred.loc[t, "se"])
    coef = fit.summary_frame()
    _within(coef.loc["hard[T.True]", "estimate"], BETA["hard"], coef.loc["hard[T.True]", "se"])


def test_payment_card_premium_recovers_wtp(wave, design):
    pop, _ = wave
    res = design.interval_regression("premium ~ C(tier, Treatment('t2'))", dist="lognormal")
    p = res.summary_frame()
    _within(p.iloc[0]["estimate"], WTP_MU, p.iloc[0]["se"])
    _within(p.loc["log(scale)", "estimate"], np.log(WTP_SIGMA), p.loc["log(scale)", "se"])
    wtp = res.wtp(seed=1, n_draws=500).summary_frame()
    _within(wtp.loc["median", "estimate"], np.median(pop["wtp"]), wtp.loc["median", "se"])
    _within(wtp.loc["mean", "estimate"], pop["wtp"].mean(), wtp.loc["mean", "se"])
    assert wtp.loc["median", "kr_low"] < np.median(pop["wtp"]) < wtp.loc["median", "kr_high"]


def test_double_bounded_cv_recovers_wtp(wave, design):
    pop, _ = wave
    res = design.dc_cv("dc", "~ C(tier)", dist="lognormal")
    wtp = res.wtp("median", krinsky_robb=False).summary_frame()
    _within(wtp.loc["median", "estimate"], np.median(pop["wtp"]), wtp.loc["median", "se"])
    curve = res.demand_curve([10.0, 20.0])
    for v, row in zip([10.0, 20.0], curve.itertuples()):
        _within(row.estimate, np.mean(pop["wtp"] >= v), row.se)
    tb = design.dc_turnbull("dc").curve([10.0, 20.0, 30.0])
    for v, row in zip([10.0, 20.0, 30.0], tb.itertuples()):
        _within(row.estimate, np.mean(pop["wtp"] >= v), row.se)


def test_second_hand_threshold_recovers_the_hurdle(wave, design):
    pop, _ = wave
    res = design.second_hand_threshold("secondhand", need_at_most=[0.4])
    never_pop = np.mean(pop["never"] | (pop["ratio"] < RUNGS[0]))
    _within(res.never["estimate"].iloc[0], never_pop, res.never["se"].iloc[0])
    buyers = pop[~pop["never"]]
    curve = res.buyers.curve([0.3, 0.5, 0.7])
    for t, row in zip([0.3, 0.5, 0.7], curve.itertuples()):
        truth = np.mean(buyers["ratio"] >= t) / np.mean(buyers["ratio"] >= RUNGS[0])
        _within(row.estimate, truth, row.se)
    need = res.needs.loc[(0.4, "population")]
    truth = np.mean(~pop["never"] & (pop["ratio"] >= RUNGS[0]) & (pop["ratio"] < 0.5))
    _within(need["estimate"], truth, need["se"])
    model = design.threshold_model("secondhand", "~ C(tier, Treatment('t2'))")
    coef = model.threshold.summary_frame()
    t1 = "C(tier, Treatment('t2'))[T.t1]"
    _within(coef.loc[t1, "estimate"], RATIO_T1, coef.loc[t1, "se"])
    _within(coef.loc["log(scale)", "estimate"], np.log(RATIO_SIGMA),
            coef.loc["log(scale)", "se"])
