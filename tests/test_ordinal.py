"""svyolr against R ``survey::svyolr`` (tests/reference/r_models.json) and invariances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from test_glm import MODELS, R_NAMES, SurveyDesign, build_design, load_reference

from analysis.errors import ModelError, SurveyError
from analysis.models.ordinal import OrdinalResult

pytestmark = pytest.mark.skipif(
    not MODELS.exists(), reason="tests/reference/r_models.json missing: run make reference"
)

OLR = load_reference()["olr"] if MODELS.exists() else []


def add_apicat(data: pd.DataFrame) -> pd.DataFrame:
    """R's ``cut(api00, breaks, labels, ordered_result=TRUE)`` as ``apicat``."""
    spec = load_reference()["apicat"]
    return data.assign(apicat=pd.cut(data["api00"], spec["breaks"], labels=spec["labels"],
                                     ordered=True))


class _Fits(dict):
    """Fits computed on first use, so one unavailable design skips only its cases."""

    def __missing__(self, name: str) -> tuple[dict, OrdinalResult]:
        case = next(c for c in OLR if c["name"] == name)
        prepare = add_apicat if "apicat" in case["formula"] else None
        d = build_design(case["design"], prepare)
        self[name] = (case, d.olr(case["python_formula"], link=case["link"]))
        return self[name]


@pytest.fixture(scope="module")
def olr_fits() -> _Fits:
    return _Fits()


def names(case: dict) -> list[str]:
    return [R_NAMES.get(n, n) for n in case["names"]]


@pytest.mark.parametrize("name", [c["name"] for c in OLR])
def test_olr_matches_r(olr_fits, name):
    case, res = olr_fits[name]
    idx = names(case)
    assert sorted(res.params.index) == sorted(idx)
    assert_allclose(res.params[idx], case["estimate"], rtol=1e-6)
    assert_allclose(res.bse[idx], case["se"], rtol=1e-6)
    assert res.df_resid == case["df_resid"]
    if "deviance" in case:
        assert_allclose(res.deviance, case["deviance"], rtol=1e-8)


@pytest.mark.parametrize("name", [c["name"] for c in OLR if "default_se" in c])
def test_olr_close_to_r_default_settings(olr_fits, name):
    # R's BFGS stops at reltol 1.5e-8 and uses a numerical Hessian.
    case, res = olr_fits[name]
    idx = names(case)
    assert_allclose(res.params[idx], case["default_estimate"], rtol=2e-3)
    assert_allclose(res.bse[idx], case["default_se"], rtol=2e-3)


def test_cutpoints_named_like_r_and_ordered(olr_fits):
    _, res = olr_fits["strat_logit"]
    assert list(res.cutpoints.index) == ["low|mid", "mid|high", "high|top"]
    assert np.all(np.diff(res.cutpoints) > 0)
    assert list(res.summary_frame()["kind"]) == ["slope"] * 4 + ["cutpoint"] * 3


def test_influence_reproduces_vcov(olr_fits):
    _, res = olr_fits["strat_probit"]
    assert_allclose(res.design.vcov_scores(res.influence()), res.vcov.to_numpy(), rtol=1e-10)


def test_predicted_probabilities(olr_fits):
    _, res = olr_fits["strat_logit"]
    probs = res.predict()
    assert list(probs.columns) == ["low", "mid", "high", "top"]
    assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    eta = res.predict(type="link")
    p_low = 1 / (1 + np.exp(-(res.cutpoints.iloc[0] - eta)))
    assert_allclose(probs["low"], p_low, rtol=1e-10)
    assert set(res.predict(type="class")) <= set(res.levels)
    new = pd.DataFrame({"ell": [10.0], "meals": [20.0], "stype": ["H"]})
    assert res.predict(new).shape == (1, 4)


def test_weighted_proportions_fit_exactly_without_predictors(rng):
    # With no predictors the cut-points are the link of the weighted cumulative shares.
    y = rng.choice([1, 2, 3, 4], size=500, p=[0.1, 0.2, 0.3, 0.4])
    w = rng.uniform(1, 4, size=500)
    d = SurveyDesign(pd.DataFrame({"y": y, "w": w}), weights="w")
    res = d.olr("y ~ 1", link="probit")
    cum = np.cumsum(np.bincount(y, weights=w)[1:])[:-1] / w.sum()
    from scipy.stats import norm

    assert_allclose(res.cutpoints, norm.ppf(cum), rtol=1e-9)
    assert list(res.cutpoints.index) == ["1|2", "2|3", "3|4"]


def test_needs_three_levels(rng):
    data = pd.DataFrame({"y": rng.choice(["a", "b"], size=50), "x": rng.normal(size=50)})
    with pytest.raises(ModelError, match="3 or more"):
        SurveyDesign(data).olr("y ~ x")


def test_empty_category_is_named(rng):
    y = pd.Categorical(rng.choice(["lo", "hi"], size=60), categories=["lo", "mid", "hi"],
                       ordered=True)
    data = pd.DataFrame({"y": y, "x": rng.normal(size=60)})
    with pytest.raises(ModelError, match=r"\['mid'\].*no respondents") as err:
        SurveyDesign(data).olr("y ~ x")
    assert "remove_unused_categories" in err.value.hint
    data = pd.DataFrame({"y": rng.choice([1, 2, 3], size=60), "x": rng.normal(size=60)})
    with pytest.raises(ModelError, match="no respondents") as err:
        SurveyDesign(data).subset(data["y"] != 2).olr("y ~ x")
    assert err.value.level == 2


def test_bad_link(olr_fits):
    _, res = olr_fits["strat_logit"]
    with pytest.raises(SurveyError, match="`link` must be one of"):
        res.design.olr("apicat ~ ell", link="cauchit")
