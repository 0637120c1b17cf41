"""Recovery of the demo wave's true parameters (surveys/demo-2022/truth.yaml).

The full pipeline runs on the raw 问卷星 export: ingest -> clean -> rake to
targets.yaml (``analysis.pipeline.prepare_wave``), then the model-ready
covariates the generator used (``truth.yaml: features``) are added and the
design is raked again to the same margins.  Every estimate must lie within 3
design SEs (~99.7%) of the truth it targets: the purchase logit's
coefficients, the payment-card and double-bounded WTP models (reduced form
among payers; zero-WTP respondents, who choose "would not pay more", form the
hurdle), the Turnbull acceptance of each bid, and the second-hand hurdle
(never share, the headline "share who need 4折 or less", the buyers' ratio
model).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import SurveyDesign
from analysis.models import predicted_probabilities

WAVE = Path(__file__).resolve().parents[1] / "surveys" / "demo-2022"
pytestmark = pytest.mark.skipif(not (WAVE / "truth.yaml").exists(),
                                reason="demo wave surveys/demo-2022 not generated")
AGE_C = {"age18_24": -1.9, "age25_34": -1.05, "age35_44": -0.05, "age45_54": 0.95,
         "age55_64": 1.95, "age65_69": 2.7}
FEATURES = "female + age_c + urban01 + edu_c + inc_c + tier_c + east"


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((WAVE / "truth.yaml").read_text(encoding="utf-8"))


def _prepared() -> tuple[pd.DataFrame, dict, object]:
    from analysis.pipeline import prepare_wave

    prepared = prepare_wave(WAVE)
    df = prepared.design.data
    data = df.assign(
        female=(df["sex"] == "female").astype(float),
        age_c=df["age_band"].astype(object).map(AGE_C).astype(float),
        urban01=(df["urban"] == "urban").astype(float),
        edu_c=df["education"].cat.codes.astype(float) - 2,
        inc_c=df["income"].cat.codes.astype(float) - 2,
        tier_c=2 - df["city_tier"].cat.codes.astype(float),
        east=(df["region"] == "east").astype(float),
        college=df["education"].isin(["junior_college", "bachelor", "postgraduate"])
        .astype(float),
        high_income=df["income"].isin(["inc_8k_12k", "inc_12k_plus"]).astype(float),
        att_score_c=df["attitudes_score"] - 3,
    )
    spec = prepared.codebook.weighting
    margins = {k: v for k, v in prepared.targets.as_margins().items() if k in spec.variables}
    return data, margins, prepared


@pytest.fixture(scope="module")
def wave() -> tuple[pd.DataFrame, dict, object]:
    return _prepared()


@pytest.fixture(scope="module")
def design(wave) -> SurveyDesign:
    data, margins, prepared = wave
    d = SurveyDesign(data).rake(margins)
    np.testing.assert_allclose(d.weights, prepared.design.weights)
    return d


def _within(estimate: float, truth: float, se: float, what: str) -> None:
    assert abs(estimate - truth) <= 3 * se, f"{what}: {estimate:.4g} vs truth {truth:.4g} (se {se:.3g})"


def _payers(design: SurveyDesign) -> SurveyDesign:
    return design.subset(design.data["premium_card"].astype(object) != "none")


def test_purchase_logit_and_share(design, truth):
    coef = truth["purchase"]["coefficients"]
    terms = ["att_score_c", "barriers_hard_to_identify", "barriers_price_too_high",
             "barriers_dont_know_where", "female", "urban01", "college", "high_income"]
    fit = design.glm("purchased_yes ~ " + " + ".join(terms), family="quasibinomial")
    table = fit.summary_frame()
    for term in ["Intercept", *terms]:
        key = {"Intercept": "intercept", "urban01": "urban"}.get(term, term)
        _within(table.loc[term, "estimate"], coef[key], table.loc[term, "se"], term)
    share = predicted_probabilities(fit).summary_frame().iloc[0]
    _within(share["estimate"], truth["purchase"]["population_share"], share["se"], "purchase share")


def test_payment_card_wtp(design, truth):
    wtp = truth["wtp"]
    res = design.interval_regression("premium_card ~ " + FEATURES, dist="lognormal")
    assert res.nobs == int((design.data["premium_card"].astype(object) != "none").sum())
    table = res.summary_frame()
    _within(table.loc["Intercept", "estimate"], wtp["location"], table.loc["Intercept", "se"],
            "card location")
    for k, v in wtp["reduced_form"]["slopes"].items():
        term = "urban01" if k == "urban" else k
        _within(table.loc[term, "estimate"], v, table.loc[term, "se"], f"card {k}")
    _within(table.loc["log(scale)", "estimate"], np.log(wtp["reduced_form"]["scale"]),
            table.loc["log(scale)", "se"], "card log(scale)")
    summary = res.wtp(seed=2022, n_draws=500).summary_frame()
    median = wtp["population"]["median_payers"]
    _within(summary.loc["median", "estimate"], median, summary.loc["median", "se"], "median")
    assert summary.loc["median", "kr_low"] < median < summary.loc["median", "kr_high"]
    mean_payers = wtp["population"]["mean_all"] / (1 - wtp["population"]["zero_share"])
    _within(summary.loc["mean", "estimate"], mean_payers, summary.loc["mean", "se"], "mean")


def test_premium_over_everyone_with_the_zero_hurdle(design, truth):
    pop = truth["wtp"]["population"]
    res = design.wtp_hurdle("premium_card", "~ " + FEATURES)
    zero = res.zero.iloc[0]
    _within(zero["estimate"], pop["zero_share"], zero["se"], "zero share")
    table = res.wtp().summary_frame()
    for stat in ("mean_all", "median_all", "median_payers"):
        _within(table.loc[stat, "estimate"], pop[stat], table.loc[stat, "se"], stat)
    most = res.share_at_most([10.0]).iloc[0]
    _within(most["estimate"], pop["share_at_most_10"], most["se"], "share paying <= 10%")


def test_double_bounded_wtp_and_turnbull(design, truth):
    wtp = truth["wtp"]
    res = _payers(design).dc_cv("premium_dc", "~ " + FEATURES, dist="lognormal")
    table = res.summary_frame()
    _within(table.loc["Intercept", "estimate"], wtp["location"], table.loc["Intercept", "se"],
            "dc location")
    _within(table.loc["inc_c", "estimate"], wtp["reduced_form"]["slopes"]["inc_c"],
            table.loc["inc_c", "se"], "dc inc_c")
    _within(table.loc["log(scale)", "estimate"], np.log(wtp["reduced_form"]["scale"]),
            table.loc["log(scale)", "se"], "dc log(scale)")
    median = res.wtp("median", krinsky_robb=False).summary_frame().loc["median"]
    _within(median["estimate"], wtp["population"]["median_payers"], median["se"], "dc median")
    # Nonparametric: share of everyone (zero-WTP included) saying yes at each first bid.
    curve = design.dc_turnbull("premium_dc").curve(list(truth["premium_dc"]["bids"]))
    yes = truth["premium_dc"]["population_yes_at_initial_bid"]
    for row in curve.itertuples():
        _within(row.estimate, yes[row.bid], row.se, f"P(WTP >= {row.bid})")


def test_second_hand_hurdle(design, truth):
    sh = truth["secondhand"]
    res = design.second_hand_threshold("secondhand", need_at_most=[0.4])
    never = res.never.iloc[0]
    _within(never["estimate"], sh["population"]["never_share"], never["se"], "never share")
    need = res.needs.loc[(0.4, "population")]
    _within(need["estimate"], sh["population"]["share_at_most_4_all"], need["se"], "headline")
    need = res.needs.loc[(0.4, "buyers")]
    _within(need["estimate"], sh["population"]["share_at_most_4_buyers"], need["se"],
            "buyers <= 4折")
    shares = sh["population_share"]
    keys = ["r1_2", "r3", "r4", "r5", "r6", "r7"]
    accept = 1 - shares["never"] - np.cumsum([shares[k] for k in keys])
    curve = res.population.curve([0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    for row, value in zip(curve.itertuples(), accept):
        _within(row.estimate, value, row.se, f"accept {row.ratio}")
    model = design.threshold_model("secondhand", "~ " + FEATURES)
    table = model.threshold.summary_frame()
    _within(table.loc["Intercept", "estimate"], sh["location"], table.loc["Intercept", "se"],
            "ratio location")
    for k, v in sh["reduced_form"]["slopes"].items():
        term = "urban01" if k == "urban" else k
        _within(table.loc[term, "estimate"], v, table.loc[term, "se"], f"ratio {k}")
    _within(table.loc["log(scale)", "estimate"], np.log(sh["reduced_form"]["scale"]),
            table.loc["log(scale)", "se"], "ratio log(scale)")
    never_fit = model.never.summary_frame()
    _within(never_fit.loc["Intercept", "estimate"], sh["never_intercept"],
            never_fit.loc["Intercept", "se"], "never intercept")
    for k, v in sh["never_slopes"].items():
        term = "urban01" if k == "urban" else k
        _within(never_fit.loc[term, "estimate"], v, never_fit.loc[term, "se"], f"never {k}")


def test_drivers_and_subgroups(design, wave):
    data, margins, _ = wave
    # Replicates first, then raking, so each replicate repeats the calibration.
    replicated = SurveyDesign(data).to_replicates("bootstrap", replicates=40, seed=1).rake(margins)
    drivers = replicated.key_drivers("purchased_yes",
                          ["att_score_c", "barriers_hard_to_identify", "barriers_price_too_high",
                           "barriers_dont_know_where", "city_tier"])
    assert drivers.summary_frame().index[0] == "att_score_c"
    # "don't know where to buy" rises from first-tier cities to the countryside.
    sub = design.subgroup_differences(["barriers_dont_know_where"], "city_tier", adjust="holm")
    prev = sub.prevalence.set_index("group")["estimate"]
    assert prev["tier4_below"] > prev["tier1"]
    prev = sub.prevalence.set_index("group")
    assert prev.loc["tier1", "column_letter"] in prev.loc["tier4_below", "sig"]
    assert prev.loc["tier4_below", "column_letter"] not in prev.loc["tier1", "sig"]
    assert isinstance(sub.summary_frame(), pd.DataFrame)
