"""svyglm against R ``survey::svyglm`` (tests/reference/r_models.json) and invariances."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.errors import ModelError, SeparationError, SurveyError
from analysis.models.glm import GLMResult, find_separation
from analysis.survey import SurveyDesign

REFERENCE = Path(__file__).resolve().parent / "reference"
DATA = REFERENCE / "data"
MODELS = REFERENCE / "r_models.json"
pytestmark = pytest.mark.skipif(
    not MODELS.exists(), reason="tests/reference/r_models.json missing: run make reference"
)


def load_reference() -> dict:
    return json.loads(MODELS.read_text())["results"]


def load_data(name: str) -> pd.DataFrame:
    path = DATA / f"{name}.csv"
    if not path.exists():
        pytest.skip(f"{path} missing: tests/reference/ref_00_data.R exports it (make reference)")
    return pd.read_csv(path)


def build_design(name: str, prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
                 ) -> SurveyDesign:
    """The designs of ref_models.R, from their recorded arguments.

    ``prepare`` adds derived columns to the data before the design is built.
    """
    info = load_reference()["designs"][name]
    if info.get("type") == "JK1":
        base = build_design(info["from"], prepare)
        reps = np.asarray(info["repweights"], dtype=float)
        cols = [f"repw{r + 1}" for r in range(reps.shape[1])]
        data = pd.concat([base.data, pd.DataFrame(reps, columns=cols)], axis=1)
        return SurveyDesign.from_replicates(
            data, weights=base.weight_column, repweights=cols, type=info["type"],
            scale=info["scale"], rscales=info["rscales"],
        )
    if "poststratify" in info:
        base = build_design(info["from"], prepare)
        return base.poststratify(info["poststratify"], info["population"])
    data = load_data(info["data"])
    if prepare is not None:
        data = prepare(data)
    return SurveyDesign(data, weights=info["weights"], strata=info["strata"],
                        psu=info["psu"], fpc=info["fpc"], nest=info.get("nest", False))


# R's coefficient names -> patsy's, for the terms used in ref_models.R.
R_NAMES = {
    "(Intercept)": "Intercept", "stypeH": "stype[T.H]", "stypeM": "stype[T.M]",
    "factor(RIAGENDR)2": "C(RIAGENDR)[T.2]", "agecat(19,39]": "agecat[T.(19,39]]",
    "agecat(39,59]": "agecat[T.(39,59]]", "agecat(59,Inf]": "agecat[T.(59,Inf]]",
}


def py_names(r_names: list[str]) -> list[str]:
    return [R_NAMES.get(n, n) for n in r_names]


GLM_CASES = [c["name"] for c in load_reference()["glm"]] if MODELS.exists() else []


class _Fits(dict):
    """Fits computed on first use, so one unavailable design skips only its cases."""

    def __missing__(self, name: str) -> tuple[dict, GLMResult]:
        case = next(c for c in load_reference()["glm"] if c["name"] == name)
        d = build_design(case["design"])
        self[name] = (case, d.glm(case["python_formula"], family=case["family"]))
        return self[name]


@pytest.fixture(scope="module")
def glm_fits() -> _Fits:
    return _Fits()


@pytest.mark.parametrize("name", GLM_CASES)
def test_glm_matches_r(glm_fits, name):
    case, res = glm_fits[name]
    names = py_names(case["names"])
    rtol = 1e-8 if case["family"] == "gaussian" else 1e-6
    assert sorted(res.params.index) == sorted(names)
    assert_allclose(res.params[names], case["estimate"], rtol=rtol)
    assert_allclose(res.bse[names], case["se"], rtol=rtol)
    assert_allclose(res.tvalues[names], case["t"], rtol=rtol)
    assert_allclose(res.pvalues[names], case["p"], rtol=10 * rtol, atol=1e-300)
    assert res.df_resid == case["df_resid"]
    ci = res.conf_int()
    assert_allclose(ci.loc[names, "ci_low"], case["ci_low"], rtol=rtol)
    assert_allclose(ci.loc[names, "ci_high"], case["ci_high"], rtol=rtol)
    # Covariances near zero: compare on the scale of se_i * se_j.
    vr = np.asarray(case["vcov"])
    scale = np.sqrt(np.outer(np.diag(vr), np.diag(vr)))
    assert_allclose(res.cov_params().loc[names, names] / scale, vr / scale, rtol=0, atol=rtol)


def test_summary_frame_columns(glm_fits):
    _, res = glm_fits["strat_gaussian"]
    frame = res.summary_frame()
    assert list(frame.columns) == ["estimate", "se", "ci_low", "ci_high", "statistic", "p_value"]
    assert_allclose(frame["se"], res.bse)
    narrow = res.summary_frame(level=0.5)
    assert (narrow["ci_high"] - narrow["ci_low"] < frame["ci_high"] - frame["ci_low"]).all()


@pytest.mark.parametrize("name", ["strat_gaussian", "strat_binomial", "nhanes_binomial_na"])
def test_influence_reproduces_taylor_vcov(glm_fits, name):
    _, res = glm_fits[name]
    infl = res.influence()
    assert infl.shape == (res.design.n, len(res.params))
    assert_allclose(res.design.vcov_scores(infl), res.vcov.to_numpy(), rtol=1e-10)
    # The weighted score equations hold at the estimate.
    assert_allclose(infl.sum(axis=0), 0, atol=1e-8 * np.abs(res.params).max())


def test_replicate_fit_records_replicates(glm_fits):
    _, res = glm_fits["jk1_gaussian"]
    assert res.replicates.shape == (15, 4)


def test_dotted_names_and_q_quoting_agree():
    d = build_design("strat")
    auto = d.glm("api00 ~ api.stu + sch.wide")
    quoted = d.glm('api00 ~ Q("api.stu") + Q("sch.wide")')
    assert list(auto.params.index) == ["Intercept", "sch.wide[T.Yes]", "api.stu"]
    assert list(quoted.params.index) == list(auto.params.index)
    assert_allclose(quoted.params, auto.params, rtol=1e-12)


def test_unknown_column_is_named():
    d = build_design("strat")
    with pytest.raises(ModelError, match="api_stu") as err:
        d.glm("api00 ~ api_stu")
    assert "api.stu" in str(err.value)


def test_bad_family_lists_choices():
    d = build_design("strat")
    with pytest.raises(SurveyError, match="`family` must be one of"):
        d.glm("api00 ~ ell", family="gamma")


def test_binomial_response_out_of_range():
    d = build_design("strat")
    with pytest.raises(ModelError, match="0/1"):
        d.glm("api00 ~ ell", family="binomial")


def test_rank_deficiency_names_the_column():
    data = load_data("apistrat").assign(ell2=lambda f: 2 * f["ell"])
    d = SurveyDesign(data, weights="pw", strata="stype", fpc="fpc")
    with pytest.raises(ModelError, match="ell2") as err:
        d.glm("api00 ~ ell + ell2")
    assert err.value.hint


def _toy(rng, n=400):
    x = rng.normal(size=n)
    g = rng.choice(["a", "b", "c"], size=n)
    w = rng.uniform(1, 5, size=n)
    return pd.DataFrame({"x": x, "g": g, "w": w, "id": np.arange(n)})


def test_complete_separation_names_variable(rng):
    data = _toy(rng).assign(y=lambda f: (f["x"] > 0.3).astype(int))
    d = SurveyDesign(data, weights="w")
    with pytest.raises(SeparationError, match="x") as err:
        d.glm("y ~ x + g", family="binomial")
    assert err.value.column == "x"
    assert err.value.hint


def test_quasi_separation_by_category(rng):
    data = _toy(rng)
    p = 1 / (1 + np.exp(-data["x"]))
    y = (rng.uniform(size=len(data)) < p).astype(int)
    data["y"] = np.where(data["g"] == "c", 0, y)
    d = SurveyDesign(data, weights="w")
    with pytest.raises(SeparationError) as err:
        d.glm("y ~ x + g", family="binomial")
    assert err.value.details["columns"] == ["g[T.c]"]
    assert err.value.column == "g"


def test_no_false_separation_alarm(rng):
    data = _toy(rng)
    data["y"] = (rng.uniform(size=len(data)) < 1 / (1 + np.exp(-2 * data["x"]))).astype(int)
    X = np.column_stack([np.ones(len(data)), data["x"]])
    assert find_separation(X, data["y"].to_numpy(float), ["Intercept", "x"]) == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = SurveyDesign(data, weights="w").glm("y ~ x", family="binomial")
    assert res.converged


def test_uniform_weights_match_unweighted_fits(rng):
    data = _toy(rng)
    data["y"] = 1 + 2 * data["x"] + rng.normal(size=len(data))
    data["k"] = rng.poisson(np.exp(0.3 + 0.5 * data["x"]))
    d = SurveyDesign(data.assign(w7=7.0), weights="w7")
    X = np.column_stack([np.ones(len(data)), data["x"]])
    ols = np.linalg.lstsq(X, data["y"], rcond=None)[0]
    assert_allclose(d.glm("y ~ x").params, ols, rtol=1e-10)
    import statsmodels.api as sm

    pois = sm.GLM(data["k"], X, family=sm.families.Poisson()).fit(tol=1e-12)
    assert_allclose(d.glm("k ~ x", family="poisson").params, pois.params, rtol=1e-8)


def test_integer_weights_equal_duplicated_rows(rng):
    data = _toy(rng, n=120)
    data["y"] = (rng.uniform(size=len(data)) < 1 / (1 + np.exp(-data["x"]))).astype(int)
    k = rng.integers(1, 4, size=len(data))
    dup = data.loc[data.index.repeat(k)].reset_index(drop=True)
    a = SurveyDesign(data.assign(k=k), weights="k").glm("y ~ x + g", family="binomial")
    b = SurveyDesign(dup).glm("y ~ x + g", family="binomial")
    assert_allclose(a.params, b.params, rtol=1e-9)


def test_zero_weight_rows_are_left_out_of_the_fit(rng):
    data = _toy(rng)
    data["y"] = 2 * data["x"] + rng.normal(size=len(data))
    inside = (data["g"] != "a").to_numpy()
    full = SurveyDesign(data, weights="w").subset(inside).glm("y ~ x")
    alone = SurveyDesign(data[inside], weights="w").glm("y ~ x")
    assert_allclose(full.params, alone.params, rtol=1e-10)
    assert np.all(full.influence()[~inside] == 0)
    # Domain SEs differ from the subset-as-population SEs: the design is kept.
    assert not np.allclose(full.bse, alone.bse, rtol=1e-6)


def test_predict_scales(glm_fits):
    _, res = glm_fits["strat_binomial"]
    link = res.predict(type="link")
    resp = res.predict()
    assert_allclose(resp, 1 / (1 + np.exp(-link)), rtol=1e-12)
    new = pd.DataFrame({"ell": [0.0, 50.0], "meals": [10.0, 90.0]})
    eta = res.params["Intercept"] + new["ell"] * res.params["ell"] + new["meals"] * res.params["meals"]
    assert_allclose(res.predict(new, type="link"), eta, rtol=1e-12)
    with pytest.raises(SurveyError, match="`type` must be one of"):
        res.predict(type="probability")


def test_nullable_boolean_and_integer_columns_in_formulas():
    """Select-all options are stored as pandas 'boolean'; formulas take them as 0/1."""
    rng = np.random.default_rng(7)
    n = 300
    df = pd.DataFrame({
        "y": pd.array(rng.random(n) < 0.4, dtype="boolean"),
        "b": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "k": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        "w": rng.uniform(1, 2, n),
    })
    df.loc[3, "b"] = pd.NA
    plain = df.assign(y=df["y"].astype(float), b=df["b"].astype(float), k=df["k"].astype(float))
    got = SurveyDesign(df, weights="w").glm("y ~ b + k", family="binomial")
    want = SurveyDesign(plain, weights="w").glm("y ~ b + k", family="binomial")
    pd.testing.assert_series_equal(got.params, want.params)
    pd.testing.assert_series_equal(got.bse, want.bse)
    assert got.nobs == n - 1


def _qr_irls(X, y, w, tol=1e-15, maxit=100):
    """Reference logistic fit: every IRLS step a least-squares solve by QR (glm.fit's way)."""
    beta = np.zeros(X.shape[1])
    for _ in range(maxit):
        mu = 1 / (1 + np.exp(-(X @ beta)))
        ww = w * mu * (1 - mu)
        z = X @ beta + (y - mu) / (mu * (1 - mu))
        new = np.linalg.lstsq(X * np.sqrt(ww)[:, None], z * np.sqrt(ww), rcond=None)[0]
        if np.max(np.abs(new - beta)) <= tol * max(1.0, np.max(np.abs(new))):
            return new
        beta = new
    return beta


def test_irls_normal_equations_keep_qr_accuracy(rng):
    # Badly scaled, nearly collinear columns: the squared condition number of
    # X'WX (~1e14) would cost digits in a direct normal-equation solve; Newton
    # steps with scores from the residuals converge to the QR answer anyway.
    from analysis.models.glm import Family, irls

    n = 5000
    x1 = rng.normal(size=n)
    x2 = x1 + 1e-4 * rng.normal(size=n)
    X = np.column_stack([np.ones(n), 1e3 * x1, x2, rng.integers(0, 2, n)])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.3 + 0.5 * x1)))).astype(float)
    w = rng.uniform(0.5, 2, n)
    fit = irls(X, y, w, Family("binomial", "logit"), tol=1e-14)
    assert fit.converged
    assert_allclose(fit.beta, _qr_irls(X, y, w), rtol=1e-9)


def test_full_rank_check_needs_no_qr_pass(rng, monkeypatch):
    # A well-conditioned design is cleared by the p x p cross-product matrix
    # alone: no second QR pass over the rows.
    from analysis.models import glm

    def no_qr(_):
        raise AssertionError("QR pass over the rows")

    monkeypatch.setattr(glm, "_r_factor", no_qr)
    n = 20_000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n),
                         (rng.uniform(size=n) < 0.001).astype(float)])
    glm.check_model_rank(X, ["Intercept", "x", "d", "rare"], "y ~ x + d + rare")


@pytest.mark.parametrize("noise", [0.0, 1e-7])
def test_near_collinear_columns_get_the_exact_rank_test(rng, noise):
    # Too close to call from X'X: the QR decides, as before (exact collinearity
    # is named, a tiny but real difference is a full-rank model).
    from analysis.models.glm import check_model_rank

    n = 2000
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x, 2 * x + noise * rng.normal(size=n)])
    if noise == 0.0:
        with pytest.raises(ModelError, match="x2"):
            check_model_rank(X, ["Intercept", "x", "x2"], "y ~ x + x2")
    else:
        check_model_rank(X, ["Intercept", "x", "x2"], "y ~ x + x2")
