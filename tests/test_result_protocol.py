"""One result protocol (issue 14): every result's ``summary_frame(level=0.95)``.

Each result class is built on a small design; its ``summary_frame`` must start
with ``estimate, se, ci_low, ci_high`` (then ``n_unweighted`` when it knows
its bases), name its level ``level`` with default 0.95, and give narrower
intervals at level 0.9 than at 0.99.  One method name, one return type:
``wtp()`` is a :class:`WTPResult` on every result, ``conf_int()`` a frame of
``ci_low, ci_high``.
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import SurveyDesign
from analysis.codebook import Codebook
from analysis.design.results import RESULT_COLUMNS, Result
from analysis.estimate.tables import CrosstabResult, crosstab
from analysis.models.effects import average_marginal_effects, predicted_probabilities
from analysis.models.glm import svyglm
from analysis.models.importance import key_drivers, subgroup_differences
from analysis.models.ordinal import svyolr
from analysis.pricing.contingent import interval_regression
from analysis.pricing.hurdle import wtp_hurdle
from analysis.pricing.regression import WTPResult
from analysis.pricing.threshold import second_hand_threshold, threshold_model, turnbull
from analysis.pricing.vanwestendorp import van_westendorp

RUNGS = [0.2, 0.4, 0.6, 0.8]
CARD = [(0.0, 5.0), (5.0, 10.0), (10.0, 20.0), (20.0, None)]


def _codebook() -> Codebook:
    ladder = [{"code": i + 1, "name": f"r{int(v * 10)}", "label": f"{int(v * 10)}折", "value": v}
              for i, v in enumerate(RUNGS)]
    ladder.append({"code": 9, "name": "never", "label": "不买", "never": True})
    card = [{"code": 1, "name": "none", "label": "不愿意多付", "interval": [0.0, 0.0],
             "never": True}]
    card += [{"code": i + 2, "name": f"c{i}", "label": f"{lo}-{hi}", "interval": [lo, hi]}
             for i, (lo, hi) in enumerate(CARD)]
    return Codebook.model_validate({"wave": "t", "title": "t", "questions": [
        {"id": "sh", "type": "price_ladder", "label": "二手", "convention": "highest_accepted",
         "options": ladder},
        {"id": "card", "type": "payment_card", "label": "溢价", "options": card}]})


@pytest.fixture(scope="module")
def design() -> SurveyDesign:
    rng = np.random.default_rng(14)
    n = 500
    x = rng.standard_normal(n)
    g = rng.choice(["a", "b", "c"], n)
    y = rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * x + 0.5 * (g == "b"))))
    likert = np.digitize(x + rng.standard_normal(n), [-1.0, 0.0, 1.0]) + 1
    ratio = np.clip(rng.uniform(0.1, 0.9, n), 0.2, 0.9)
    sh = np.array([f"r{int(RUNGS[k] * 10)}" for k in
                   np.searchsorted(RUNGS, ratio, side="right") - 1], dtype=object)
    sh[rng.random(n) < 0.2] = "never"
    wtp = np.exp(np.log(8.0) + 0.7 * rng.standard_normal(n))
    lows = np.array([c[0] for c in CARD])
    card = np.array([f"c{k - 1}" for k in np.searchsorted(lows, wtp, side="right")],
                    dtype=object)
    card[rng.random(n) < 0.2] = "none"
    base = np.exp(rng.normal(np.log(50), 0.3, n))
    psm = np.sort(base[:, None] * np.array([0.5, 0.8, 1.2, 1.6])
                  * np.exp(rng.normal(0, 0.05, (n, 4))), axis=1)
    lo = np.floor(wtp / 5) * 5
    cb = _codebook()
    df = pd.DataFrame({
        "y": y, "x": x, "g": g, "likert": pd.Categorical(likert, ordered=True),
        "sh": pd.Categorical(sh, categories=[o.key for o in cb.question("sh").options]),
        "card": pd.Categorical(card, categories=[o.key for o in cb.question("card").options]),
        "tc": psm[:, 0], "c": psm[:, 1], "e": psm[:, 2], "te": psm[:, 3],
        "lo": lo, "hi": lo + 5, "st": rng.integers(0, 4, n), "w": rng.uniform(0.5, 2.0, n)})
    df.attrs["codebook_json"] = cb.to_json()
    return SurveyDesign(df, weights="w", strata="st")


def _results(d: SurveyDesign) -> dict[str, object]:
    fit = svyglm(d, "y ~ x + g", family="quasibinomial")
    lnorm = interval_regression(d, "~ 1", lower="lo", upper="hi", dist="lognormal")
    hurdle = wtp_hurdle(d, "card")
    mean = d.mean("x", by="g")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small replicate designs may warn about their df
        out = {
            "SurveyResult": mean,
            "ContrastResult": mean.contrast({"a": 1.0, "b": -1.0}),
            "CrosstabResult": crosstab(d, "g", "y"),
            "GLMResult": fit,
            "OrdinalResult": svyolr(d, "likert ~ x"),
            "AMEResult": average_marginal_effects(fit),
            "PredictionResult": predicted_probabilities(fit, by="g"),
            "KeyDriverResult": key_drivers(d, "y", ["x", "g"], replicates=20, seed=1),
            "SubgroupResult": subgroup_differences(d, ["y"], by="g"),
            "TurnbullResult": turnbull(d, "lo", "hi"),
            "GroupedResult": turnbull(d, "lo", "hi", by="g"),
            "ThresholdResult": second_hand_threshold(d, "sh"),
            "HurdleResult": threshold_model(d, "sh", "~ x"),
            "IntervalRegressionResult": lnorm,
            "WTPResult": lnorm.wtp(n_draws=200, seed=1),
            "WTPResult (hurdle)": hurdle.wtp(),
            "WTPHurdleResult": hurdle,
            "VanWestendorpResult": van_westendorp(d, "tc", "c", "e", "te", replicates=20,
                                                  seed=1),
        }
    return out


@pytest.fixture(scope="module")
def results(design) -> dict[str, object]:
    return _results(design)


NAMES = ["SurveyResult", "ContrastResult", "CrosstabResult", "GLMResult", "OrdinalResult",
         "AMEResult", "PredictionResult", "KeyDriverResult", "SubgroupResult", "TurnbullResult",
         "GroupedResult", "ThresholdResult", "HurdleResult", "IntervalRegressionResult",
         "WTPResult", "WTPResult (hurdle)", "WTPHurdleResult", "VanWestendorpResult"]


@pytest.mark.parametrize("name", NAMES)
def test_summary_frame_follows_the_protocol(results, name):
    res = results[name]
    assert isinstance(res, Result)
    param = list(inspect.signature(res.summary_frame).parameters.values())[0]
    assert (param.name, param.default) == ("level", 0.95)
    frame = res.summary_frame()
    assert tuple(frame.columns[:4]) == RESULT_COLUMNS
    pd.testing.assert_frame_equal(frame, res.summary_frame(0.95))
    narrow, wide = res.summary_frame(0.9), res.summary_frame(0.99)
    width90 = (narrow["ci_high"] - narrow["ci_low"]).to_numpy(float)
    width99 = (wide["ci_high"] - wide["ci_low"]).to_numpy(float)
    ok = np.isfinite(width99) & (width99 > 1e-12)
    assert ok.any()
    assert (width90[ok] < width99[ok]).all()
    pd.testing.assert_frame_equal(narrow[["estimate", "se"]], wide[["estimate", "se"]])


@pytest.mark.parametrize("name", ["SurveyResult", "CrosstabResult", "PredictionResult",
                                  "SubgroupResult"])
def test_bases_follow_the_interval_columns(results, name):
    frame = results[name].summary_frame()
    assert frame.columns[4] == "n_unweighted"
    assert (frame["n_unweighted"] > 0).all()


def test_extra_columns_have_one_spelling(results):
    spelled = {"t", "p", "lower", "upper", "pvalue", "n"}
    for name in NAMES:
        assert not spelled & set(results[name].summary_frame().columns), name
    for name in ("ContrastResult", "GLMResult", "OrdinalResult", "AMEResult",
                 "IntervalRegressionResult"):
        assert {"statistic", "p_value"} <= set(results[name].summary_frame().columns), name


def test_wtp_is_one_type_everywhere(results):
    for name in ("WTPResult", "WTPResult (hurdle)"):
        assert isinstance(results[name], WTPResult)
    hurdle = results["WTPHurdleResult"].wtp().summary_frame()
    assert list(hurdle.index) == ["mean_all", "median_all", "mean_payers", "median_payers"]
    kr = results["WTPResult"].summary_frame()
    assert list(kr.columns) == [*RESULT_COLUMNS, "kr_low", "kr_high"]
    kr90 = results["WTPResult"].summary_frame(0.9)
    assert ((kr90["kr_high"] - kr90["kr_low"]) < (kr["kr_high"] - kr["kr_low"])).all()


def test_conf_int_is_one_type_everywhere(results):
    for name in ("SurveyResult", "ContrastResult", "GLMResult", "OrdinalResult",
                 "IntervalRegressionResult", "WTPResult"):
        ci = results[name].conf_int(0.9)
        assert isinstance(ci, pd.DataFrame), name
        assert list(ci.columns) == ["ci_low", "ci_high"], name


def test_crosstab_tables_read_the_right_proportions(results):
    tab: CrosstabResult = results["CrosstabResult"]
    rows = tab.summary_frame(of="row")
    np.testing.assert_allclose(rows["estimate"].to_numpy(), tab.row_prop.to_numpy().ravel())
    np.testing.assert_allclose(rows["se"].to_numpy(), tab.row_prop_se.to_numpy().ravel())
    counts = tab.summary_frame(of="count")
    np.testing.assert_allclose(counts["estimate"].sum(), tab.counts.to_numpy().sum())
    assert counts["n_unweighted"].sum() == len(tab.design.data)


def test_level_is_chosen_when_reading_not_when_fitting():
    for fit in (average_marginal_effects, predicted_probabilities, key_drivers,
                subgroup_differences, turnbull, second_hand_threshold, wtp_hurdle,
                van_westendorp):
        assert "level" not in inspect.signature(fit).parameters, fit.__name__
