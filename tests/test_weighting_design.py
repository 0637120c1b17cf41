"""Design-level weighting: new designs, calibration residuals, invariances.

Identities checked (R survey's tests/rakecheck.R in spirit): raking equals
calibration with the raking distance; post-stratifying on one variable equals
raking on one margin; plain-weight functions equal the design methods; the SE
of a calibrated total is zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import WeightError
from analysis.survey import SurveyDesign
from analysis.weight.calibration import (
    GregCalibration,
    PostStratification,
    RakingCalibration,
)
from analysis.weight.diagnostics import WeightingInfo
from analysis.weight.methods import calibrate, rake

TYPES = {"E": 4421, "H": 755, "M": 1018}


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    """A stratified cluster sample: 6 strata x 8 PSUs x 10 respondents, unequal weights."""
    rng = np.random.default_rng(7)
    n = 480
    stratum = np.repeat(np.arange(6), 80)
    psu = np.repeat(np.arange(48), 10)
    sex = rng.choice(["m", "f"], n)
    age = rng.choice(["18-34", "35-54", "55+"], n, p=[0.45, 0.35, 0.2])
    region = np.array(["east", "central", "west", "northeast"])[stratum % 4]
    y = rng.normal(50, 10, n) + (age == "55+") * 5 + (sex == "f") * 2 + psu % 5
    return pd.DataFrame({
        "stratum": stratum, "psu": psu, "sex": sex, "age": age, "region": region, "y": y,
        "dw": np.repeat(rng.uniform(50, 150, 48), 10) * rng.uniform(0.8, 1.2, n),
    })


MARGINS = {"sex": {"m": 0.5124, "f": 0.4876},
           "age": {"18-34": 0.30, "35-54": 0.37, "55+": 0.33},
           "region": {"east": 0.3999, "central": 0.2587, "west": 0.2716, "northeast": 0.0698}}


@pytest.fixture(scope="module")
def design(survey) -> SurveyDesign:
    return SurveyDesign(survey, weights="dw", strata="stratum", psu="psu", nest=True)


def mean_se(d: SurveyDesign, y: np.ndarray) -> tuple[float, float]:
    w = d.weights
    mu = w @ y / w.sum()
    return mu, float(np.sqrt(d.vcov_scores(w * (y - mu) / w.sum())[0, 0]))


def total_se(d: SurveyDesign, y: np.ndarray) -> float:
    return float(np.sqrt(d.vcov_scores(d.weights * y)[0, 0]))


def test_rake_returns_new_design_with_info(design):
    before = design.weights.copy()
    raked = design.rake(MARGINS, tol=1e-12)
    assert raked is not design
    np.testing.assert_array_equal(design.weights, before)
    assert design.calibrations == ()
    (cal,) = raked.calibrations
    assert isinstance(cal, RakingCalibration)
    assert isinstance(cal.info, WeightingInfo)
    assert cal.info.method == "rake"
    assert cal.info.converged
    assert set(cal.info.margins["variable"]) == set(MARGINS)
    assert cal.info.after["sum"] == pytest.approx(design.weights.sum())


def test_rake_equals_calibrate_raking(design, survey):
    raked = design.rake(MARGINS, tol=1e-13, max_iter=300)
    cal = design.calibrate(MARGINS, method="raking", tol=1e-13)
    assert isinstance(cal.calibrations[-1], GregCalibration)
    np.testing.assert_allclose(raked.weights, cal.weights, rtol=1e-10)
    y = survey["y"].to_numpy()
    (m1, s1), (m2, s2) = mean_se(raked, y), mean_se(cal, y)
    assert m1 == pytest.approx(m2, rel=1e-10)
    # Same to first order: R's raking residuals use an unweighted projection.
    assert s1 == pytest.approx(s2, rel=2e-2)


def test_rake_equals_calibrate_raking_se_with_equal_weights(survey):
    d = SurveyDesign(survey, strata="stratum", psu="psu", nest=True)
    a = d.rake(MARGINS, tol=1e-13, max_iter=300)
    b = d.calibrate(MARGINS, method="raking", tol=1e-13)
    y = survey["y"].to_numpy()
    np.testing.assert_allclose(mean_se(a, y), mean_se(b, y), rtol=1e-6)


def test_poststratify_equals_one_margin_rake(survey):
    # Equal weights within post-strata, where R's two residualisations coincide.
    data = survey.assign(w55=np.where(survey["age"] == "55+", 2.0, 1.0))
    d = SurveyDesign(data, weights="w55", strata="stratum", psu="psu", nest=True)
    pop = {"18-34": 300.0, "35-54": 370.0, "55+": 330.0}
    a = d.poststratify("age", pop)
    b = d.rake({"age": pop})
    assert isinstance(a.calibrations[-1], PostStratification)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-14)
    y = survey["y"].to_numpy()
    np.testing.assert_allclose(mean_se(a, y), mean_se(b, y), rtol=1e-12)


def test_plain_functions_equal_design_methods(design, survey):
    np.testing.assert_allclose(rake(survey, MARGINS, weights="dw", tol=1e-12).to_numpy(),
                               design.rake(MARGINS, tol=1e-12).weights, rtol=1e-14)
    pop = {"sex": {"m": 51240.0, "f": 48760.0}, "y": 5.2e6}
    np.testing.assert_allclose(calibrate(survey, pop, weights="dw").to_numpy(),
                               design.calibrate(pop).weights, rtol=1e-14)


def test_calibrated_totals_have_zero_se(design, survey):
    sex_f = (survey["sex"] == "f").to_numpy(float)
    raw = total_se(design, sex_f)
    assert total_se(design.rake(MARGINS, tol=1e-12), sex_f) < 1e-6 * raw
    assert total_se(design.calibrate(MARGINS), sex_f) < 1e-9 * raw
    assert total_se(design.poststratify("sex", MARGINS["sex"]), sex_f) < 1e-9 * raw
    # and a variable that was not calibrated keeps a positive SE
    assert total_se(design.rake(MARGINS), survey["y"].to_numpy()) > 0


def test_calibrations_accumulate_and_trim_keeps_them(design):
    d2 = design.rake(MARGINS).calibrate({"sex": MARGINS["sex"]}, total="sample")
    assert [c.kind for c in d2.calibrations] == ["raking", "calibrate"]
    d3 = d2.trim(upper=float(np.quantile(d2.weights, 0.9)), strict=True)
    assert [c.kind for c in d3.calibrations] == ["raking", "calibrate", "trim"]
    assert d3.calibrations[-1].info.options["strict"] is True
    assert d3.weights.sum() == pytest.approx(d2.weights.sum())


def test_capped_rake_on_design(design, survey):
    capped = design.rake(MARGINS, cap=(0.3, 2.5), max_iter=500, tol=1e-9)
    ratio = capped.weights / (capped.weights.sum() / design.n)
    assert ratio.max() <= 2.5 * (1 + 1e-9)
    assert isinstance(capped.calibrations[-1], GregCalibration)
    mu, se = mean_se(capped, survey["y"].to_numpy())
    assert np.isfinite(se)
    assert se > 0


def test_domain_design_cannot_be_weighted(design, survey):
    sub = design.subset(survey["sex"] == "f")
    with pytest.raises(WeightError, match="weight the full design, then subset"):
        sub.rake({"age": MARGINS["age"]})


def test_raking_residuals_remove_margin_indicators(design, survey):
    raked = design.rake(MARGINS, tol=1e-12)
    cal = raked.calibrations[-1]
    x = raked.weights[:, None] * np.column_stack(
        [(survey["age"] == a).to_numpy(float) for a in MARGINS["age"]])
    assert np.abs(cal.residualize(x, raked)).max() < 1e-8 * np.abs(x).max()
    steps = cal.step_weights()
    np.testing.assert_array_equal(steps[-1], raked.weights)
    np.testing.assert_allclose(steps[0], raked.weights, rtol=1e-10)  # converged: all equal


def test_cell_collapse_matches_row_level_raking(rng):
    # Many margins: more occupied cells than the dense table allows -> np.unique path.
    n = 3000
    data = pd.DataFrame({f"v{j}": rng.integers(0, 12, n).astype(str) for j in range(7)})
    margins = {c: data[c].value_counts(normalize=True).to_dict() for c in data}
    margins["v0"] = {k: 1 / 12 for k in margins["v0"]}
    w0 = rng.uniform(0.5, 2.0, n)
    w = rake(data, margins, weights=w0, tol=1e-12).to_numpy()
    expected = w0.copy()
    for _ in range(200):
        for c, m in margins.items():
            cur = pd.Series(expected).groupby(data[c].to_numpy()).sum()
            expected *= (pd.Series(m) * w0.sum() / cur).reindex(data[c]).to_numpy()
    np.testing.assert_allclose(w, expected, rtol=1e-9)


def test_rake_million_rows_is_fast():
    # 4 margins (2, 6, 31, 2 levels) on 10^6 rows: raking runs on the 744 cells.
    import time

    rng = np.random.default_rng(3)
    n = 1_000_000
    sizes = {"sex": 2, "age": 6, "province": 31, "urban": 2}
    data = pd.DataFrame({c: pd.Categorical.from_codes(rng.integers(0, k, n, dtype=np.int8),
                                                      [f"{c}{i}" for i in range(k)])
                         for c, k in sizes.items()})
    margins = {c: dict(zip(data[c].cat.categories, rng.dirichlet(np.full(k, 5.0)), strict=True))
               for c, k in sizes.items()}
    w0 = rng.uniform(0.5, 2.0, n)
    t0 = time.perf_counter()
    w, info = rake(data, margins, weights=w0, tol=1e-6, return_info=True)
    elapsed = time.perf_counter() - t0
    assert info.max_margin_error <= 1e-6
    assert elapsed < 5.0  # ~0.05 s on one core; generous for shared CI machines


def test_replicate_columns_are_reweighted_like_the_full_sample(survey):
    # Engine level (no replicate design needed): delete-one-PSU jackknife columns.
    from analysis.weight.calibration import rake_weights
    from analysis.weight.methods import _trim, resolve_margins

    w0 = survey["dw"].to_numpy()
    psu = survey["psu"].to_numpy()
    repw = np.column_stack([np.where(psu == j, 0.0, w0 * 48 / 47) for j in range(48)])
    resolved, total, _ = resolve_margins(survey, MARGINS, w0)
    for cap in (None, (0.3, 3.0)):
        w, reps, _ = rake_weights(resolved, w0, repw, cap=cap, tol=1e-10, max_iter=500)
        assert reps.shape == repw.shape
        np.testing.assert_array_equal(reps[repw == 0], 0.0)  # structural zeros kept
        for m in resolved:
            got = np.stack([np.bincount(m.codes, weights=reps[:, r], minlength=len(m.levels))
                            for r in range(reps.shape[1])], axis=1)
            np.testing.assert_allclose(got, np.repeat(m.targets[:, None], 48, axis=1),
                                       rtol=1e-8)
        if cap is not None:
            assert reps.max() <= 3.0 * total / len(w0) * (1 + 1e-12)
    w, reps, _ = _trim(w0, repw, None, 150.0, strict=True)
    assert w.max() <= 150.0
    assert reps.max() <= 150.0
    np.testing.assert_array_equal(reps[repw == 0], 0.0)
    np.testing.assert_allclose(reps.sum(axis=0), repw.sum(axis=0), rtol=1e-12)
