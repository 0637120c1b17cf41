"""Plain-weight rake / poststratify / calibrate / trim: results, invariances, errors.

Expected values not from R are derived in the test (closed forms or a naive
row-by-row IPF written here); the R reference values are in
``test_weighting_reference.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import SurveyDesign
from analysis.codebook import Margin, Targets
from analysis.errors import (
    CalibrationError,
    ConvergenceError,
    ConvergenceWarning,
    TargetsError,
    WeightError,
)
from analysis.weight.methods import (
    WEIGHTING_METHODS,
    calibrate,
    get_weighting_method,
    poststratify,
    rake,
    resolve_margins,
    trim,
)


@pytest.fixture
def sample(rng: np.random.Generator) -> pd.DataFrame:
    """400 respondents, unequal design weights, sex x age x urban."""
    n = 400
    sex = rng.choice(["m", "f"], n, p=[0.4, 0.6])
    age = rng.choice(["18-34", "35-54", "55+"], n, p=[0.5, 0.3, 0.2])
    urban = np.where(rng.random(n) < np.where(age == "18-34", 0.8, 0.5), "urban", "rural")
    return pd.DataFrame({
        "sex": pd.Categorical(sex, categories=["m", "f"]),
        "age": age,
        "urban": urban,
        "income": rng.gamma(2.0, 3000.0, n),
        "dw": rng.uniform(0.5, 3.0, n),
    }, index=pd.RangeIndex(100, 100 + n))


MARGINS = {
    "sex": {"m": 0.5124, "f": 0.4876},
    "age": {"18-34": 0.30, "35-54": 0.37, "55+": 0.33},
    "urban": {"urban": 0.6389, "rural": 0.3611},
}


def naive_rake(data: pd.DataFrame, margins: dict, w: np.ndarray, total: float,
               sweeps: int = 200) -> np.ndarray:
    """Textbook IPF with pandas groupby, row level (the reference for these tests)."""
    w = w.astype(float).copy()
    for _ in range(sweeps):
        for col, m in margins.items():
            key = data[col].astype(str).to_numpy()
            cur = pd.Series(w).groupby(key).sum()
            target = pd.Series(m) / sum(m.values()) * total
            w *= (target / cur).reindex(key).to_numpy()
    return w


def weighted_shares(data, col, w):
    return pd.Series(w, index=data.index).groupby(data[col].astype(str)).sum() / w.sum()


# -- raking -----------------------------------------------------------------

def test_rake_meets_margins_with_unequal_design_weights(sample):
    # balance#431: the design weights must enter raking, not be replaced by ones.
    w, info = rake(sample, MARGINS, weights="dw", tol=1e-12, return_info=True)
    assert isinstance(w, pd.Series)
    assert w.name == "weight"
    assert w.index.equals(sample.index)
    for col, m in MARGINS.items():
        got = weighted_shares(sample, col, w.to_numpy())
        np.testing.assert_allclose(got[list(m)], list(m.values()), rtol=1e-10)
    expected = naive_rake(sample, MARGINS, sample["dw"].to_numpy(), sample["dw"].sum())
    np.testing.assert_allclose(w.to_numpy(), expected, rtol=1e-9)
    assert w.sum() == pytest.approx(sample["dw"].sum(), rel=1e-12)
    assert info.converged
    assert info.max_margin_error < 1e-12
    assert any("shares" in note for note in info.notes)


def test_rake_ignores_design_weights_is_different(sample):
    # Guard for the test above: equal starting weights give other weights.
    w_dw = rake(sample, MARGINS, weights="dw", tol=1e-10)
    w_eq = rake(sample, MARGINS, tol=1e-10)
    assert np.abs(w_dw / sample["dw"].sum() - w_eq / len(sample)).max() > 1e-3


def test_rake_one_margin_is_closed_form(sample):
    m = {"age": {"18-34": 300.0, "35-54": 370.0, "55+": 330.0}}
    w = rake(sample, m, weights="dw")
    dw = sample["dw"]
    tot = dw.groupby(sample["age"]).transform("sum")
    expected = dw * sample["age"].map(m["age"]) / tot
    np.testing.assert_allclose(w.to_numpy(), expected.to_numpy(), rtol=1e-14)


def test_rake_equals_poststratify_on_one_variable(sample):
    pop = {"18-34": 300.0, "35-54": 370.0, "55+": 330.0}
    a = rake(sample, {"age": pop}, weights="dw")
    b = poststratify(sample, {"age": pop}, weights="dw")
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-14)


def test_rake_equals_calibrate_raking(sample):
    counts = {c: {k: v * 1e6 for k, v in m.items()} for c, m in MARGINS.items()}
    a = rake(sample, counts, weights="dw", tol=1e-13, max_iter=200)
    b = calibrate(sample, counts, weights="dw", method="raking", tol=1e-13)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-10)


def test_rake_counts_keep_population_total(sample):
    counts = {c: {k: v * 1_409_778_724 for k, v in m.items()} for c, m in MARGINS.items()}
    w, info = rake(sample, counts, tol=1e-12, return_info=True)
    assert w.sum() == pytest.approx(1_409_778_724, rel=1e-12)
    assert info.notes == ()


def test_rake_accepts_series_targets_and_categorical_keys(sample):
    margins = {"sex": pd.Series({"f": 48.76, "m": 51.24}),
               "age": pd.Series([30.0, 37.0, 33.0], index=["18-34", "35-54", "55+"])}
    w = rake(sample, margins, total="sample")
    np.testing.assert_allclose(weighted_shares(sample, "sex", w.to_numpy())["m"], 0.5124,
                               rtol=1e-6)
    assert w.sum() == pytest.approx(len(sample))


def test_rake_accepts_targets_object(sample):
    targets = Targets(population="adults", margins={
        col: Margin(levels=m, source="census 2020") for col, m in MARGINS.items()})
    a = rake(sample, targets, weights="dw", tol=1e-12)
    b = rake(sample, MARGINS, weights="dw", tol=1e-12)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
    c = rake(sample, targets.model_copy(update={"total": 1e6}), tol=1e-12)
    assert c.sum() == pytest.approx(1e6)


def test_rake_matches_integer_codes_with_string_keys(sample):
    data = sample.assign(code=sample["age"].map({"18-34": 1, "35-54": 2, "55+": 3}))
    a = rake(data, {"code": {"1": 0.3, "2": 0.37, "3": 0.33}})
    b = rake(data, {"age": MARGINS["age"]})
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-14)


def test_rake_zero_target_level_absent_from_sample_is_dropped(sample):
    m = {"age": {**MARGINS["age"], "under18": 0.0}}
    w = rake(sample, m)
    np.testing.assert_allclose(weighted_shares(sample, "age", w.to_numpy())["55+"], 0.33)


def test_rake_nonconvergence_warns_or_raises(sample):
    with pytest.warns(ConvergenceWarning, match="did not converge in 1 iterations"):
        w, info = rake(sample, MARGINS, max_iter=1, tol=1e-14, return_info=True)
    assert not info.converged
    assert info.iterations == 1
    assert info.max_margin_error > 1e-14
    with pytest.raises(ConvergenceError, match="largest relative margin error"):
        rake(sample, MARGINS, max_iter=1, tol=1e-14, strict=True)


def test_rake_with_caps_meets_margins_and_caps(sample):
    free = rake(sample, MARGINS, weights="dw", tol=1e-10)
    ratio = free / free.mean()
    hi = float(ratio.max()) * 0.8
    w, info = rake(sample, MARGINS, weights="dw", cap=(0.3, hi), tol=1e-8, max_iter=500,
                   return_info=True)
    r = w / (sample["dw"].sum() / len(sample))  # caps are multiples of total / n
    assert r.max() <= hi * (1 + 1e-12)
    assert r.min() >= 0.3 * (1 - 1e-12)
    assert info.max_margin_error <= 1e-8
    for col, m in MARGINS.items():
        got = weighted_shares(sample, col, w.to_numpy())
        np.testing.assert_allclose(got[list(m)], list(m.values()), rtol=1e-7)


def test_rake_infeasible_caps_name_the_level(sample):
    share = sample["age"].value_counts(normalize=True)
    # 55+ needs more than twice its sample share; the others stay within the caps
    m = {"age": {"55+": 2.2 * share["55+"], "18-34": share["18-34"],
                 "35-54": 1 - 2.2 * share["55+"] - share["18-34"]}}
    with pytest.raises(CalibrationError, match="infeasible") as err:
        rake(sample, m, cap=(0.5, 2))
    assert err.value.column == "age"
    assert err.value.level == "55+"
    assert "respondents can carry a total between" in str(err.value)


def test_rake_caps_that_cannot_be_met_jointly_fail_loudly():
    # Each level is feasible alone; jointly urban needs fu = mr + 6 > cap 3.
    rows = [("m", "u")] * 45 + [("f", "r")] * 45 + [("m", "r")] * 5 + [("f", "u")] * 5
    data = pd.DataFrame(rows, columns=["sex", "urban"])
    m = {"sex": {"m": 0.5, "f": 0.5}, "urban": {"u": 0.8, "r": 0.2}}
    rake(data, m)  # feasible without caps
    with pytest.raises(CalibrationError, match="did not meet the margins in 100 iterations"):
        rake(data, m, cap=(0.3, 3), max_iter=100)


# -- margin errors -----------------------------------------------------------

def test_margin_level_absent_from_sample(sample):
    m = {"age": {**MARGINS["age"], "80+": 0.01}}
    with pytest.raises(TargetsError, match=r"\['80\+'\] of 'age' have no respondents") as err:
        rake(sample, m)
    assert err.value.level == "80+"
    assert "collapse" in err.value.hint


def test_sample_level_absent_from_margins(sample):
    m = {"age": {"18-34": 0.5, "35-54": 0.5}}
    with pytest.raises(TargetsError, match=r"sample level\(s\) \['55\+'\] of 'age'") as err:
        rake(sample, m)
    assert err.value.column == "age"


def test_zero_target_for_a_sampled_level(sample):
    m = {"age": {"18-34": 0.5, "35-54": 0.5, "55+": 0.0}}
    with pytest.raises(TargetsError, match="zero population target"):
        rake(sample, m)


def test_counts_that_disagree_name_both_totals(sample):
    m = {"sex": {"m": 500, "f": 500}, "age": {"18-34": 300, "35-54": 370, "55+": 331}}
    with pytest.raises(TargetsError, match=r"'sex' sums to 1000 but 'age' sums to 1001"):
        rake(sample, m)
    w = rake(sample, m, total="sample")
    assert w.sum() == pytest.approx(len(sample))


def test_missing_weighting_variable_lists_rows(sample):
    data = sample.astype({"age": object})
    data.loc[[103, 250], "age"] = None
    with pytest.raises(TargetsError, match="missing in 2 row") as err:
        rake(data, MARGINS)
    assert err.value.row == "103, 250"


def test_unknown_margin_column(sample):
    with pytest.raises(ValueError, match="not in the data"):
        rake(sample, {"region": {"east": 1.0}})


def test_bad_target_values(sample):
    with pytest.raises(TargetsError, match="non-negative number"):
        rake(sample, {"sex": {"m": -1, "f": 2}})
    with pytest.raises(TypeError, match="mapping or a pandas Series"):
        rake(sample, {"sex": [0.5, 0.5]})


@pytest.mark.parametrize(("value", "what"), [(np.nan, "missing or infinite"),
                                             (-1.0, "zero or negative"),
                                             (0.0, "zero or negative")])
def test_bad_weights_list_rows(sample, value, what):
    w = sample["dw"].to_numpy().copy()
    w[[3, 7]] = value
    with pytest.raises(WeightError, match=what) as err:
        rake(sample, MARGINS, weights=w)
    assert err.value.row == "103, 107"


def test_weights_of_wrong_length(sample):
    with pytest.raises(WeightError, match="have 3 values but the data have 400 rows"):
        rake(sample, MARGINS, weights=[1, 2, 3])


# -- post-stratification ------------------------------------------------------

def test_poststratify_two_way_cells(sample):
    pop = (pd.crosstab(sample["sex"], sample["urban"]).stack() * 0 + 1).astype(float)
    pop[:] = [1000.0, 2000.0, 3000.0, 4000.0]  # counts (cells adding to 100 are percentages)
    w, info = poststratify(sample, pop, weights="dw", return_info=True)
    got = pd.Series(w.to_numpy()).groupby(
        [sample["sex"].astype(str).to_numpy(), sample["urban"].to_numpy()]).sum()
    for key, v in pop.items():
        assert got[key] == pytest.approx(v, rel=1e-13)
    assert info.margins["variable"].iloc[0] == "sex x urban"
    # R-style data frame input gives the same weights
    frame = pop.rename("Freq").reset_index()
    w2 = poststratify(sample, frame, weights="dw", columns=["sex", "urban"])
    np.testing.assert_allclose(w.to_numpy(), w2.to_numpy(), rtol=1e-15)


def test_poststratify_partial(sample):
    pop = {"18-34": 30.0, "35-54": 37.0, "55+": 33.0, "80+": 5.0}
    with pytest.raises(TargetsError, match="no respondents"):
        poststratify(sample, pop, columns="age")
    w, info = poststratify(sample, pop, columns="age", partial=True, return_info=True)
    assert w.sum() == pytest.approx(100.0)
    assert any("80+" in note for note in info.notes)


def test_poststratify_sample_cell_without_population(sample):
    with pytest.raises(TargetsError, match="have no population count"):
        poststratify(sample, {"18-34": 30.0, "35-54": 37.0}, columns="age")


# -- calibration ----------------------------------------------------------------

def test_linear_calibration_hits_numeric_totals(sample):
    pop = {"sex": {"m": 5124.0, "f": 4876.0}, "income": 6.1e7}
    w, info = calibrate(sample, pop, weights="dw", return_info=True)
    assert (w * sample["income"]).sum() == pytest.approx(6.1e7, rel=1e-12)
    assert w.sum() == pytest.approx(10000.0, rel=1e-12)
    assert info.iterations == 1


def test_formula_calibration_r_and_patsy_names_agree(sample):
    data = sample.rename(columns={"urban": "urban.rural"})
    totals_r = {"(Intercept)": 1000.0, "sexf": 480.0, "income": 6.1e6}
    totals_p = {"Intercept": 1000.0, "sex[T.f]": 480.0, "income": 6.1e6}
    a = calibrate(data, totals_r, weights="dw", formula="~ sex + income")
    b = calibrate(data, totals_p, weights="dw", formula="~ sex + income")
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-14)
    c = calibrate(data, {"(Intercept)": 1000.0, "urban.ruralurban": 640.0}, weights="dw",
                  formula="~ urban.rural")
    assert c[data["urban.rural"] == "urban"].sum() == pytest.approx(640.0)


def test_formula_calibration_missing_total(sample):
    with pytest.raises(TargetsError, match="no population total for model-matrix column 'sexf'"):
        calibrate(sample, {"(Intercept)": 1000.0}, formula="~ sex")
    with pytest.raises(TargetsError, match="match no model-matrix column"):
        calibrate(sample, {"(Intercept)": 1000.0, "sexf": 1.0, "zzz": 2.0}, formula="~ sex")


def test_bounded_calibration_respects_bounds(sample):
    pop = {c: {k: v * 1000 for k, v in m.items()} for c, m in MARGINS.items()}
    for method in ("linear", "logit", "raking"):
        free = calibrate(sample, pop, weights="dw", method="linear" if method == "logit"
                         else method) / sample["dw"]
        lo, hi = 0.9 * free.min() + 0.1, 0.97 * free.max()
        g = calibrate(sample, pop, weights="dw", method=method, bounds=(lo, hi),
                      tol=1e-10) / sample["dw"]
        assert g.min() >= lo - 1e-9
        assert g.max() <= hi + 1e-9
        assert (g * sample["dw"]).sum() == pytest.approx(1000.0, rel=1e-9)


def test_infeasible_bounds_report_how_close(sample):
    pop = {c: {k: v * 1000 for k, v in m.items()} for c, m in MARGINS.items()}
    with pytest.raises(CalibrationError, match=r"largest relative misfit .* may be infeasible") as err:
        calibrate(sample, pop, weights="dw", method="logit", bounds=(0.95, 1.05))
    assert err.value.details["achieved"] > 1e-3


def test_logit_needs_finite_bounds(sample):
    with pytest.raises(CalibrationError, match="finite bounds"):
        calibrate(sample, {"sex": {"m": 1, "f": 1}}, method="logit")
    with pytest.raises(ValueError, match="`method` must be one of"):
        calibrate(sample, {"sex": {"m": 1, "f": 1}}, method="probit")


def test_collinear_calibration_variables(sample):
    data = sample.assign(income2=sample["income"] * 2)
    with pytest.raises(CalibrationError, match="collinear"):
        calibrate(data, {"sex": {"m": 500, "f": 500}, "income": 6e6, "income2": 1.2e7})


def test_numeric_totals_with_share_margins_rejected(sample):
    with pytest.raises(TargetsError, match="numeric totals need categorical margins"):
        calibrate(sample, {"sex": {"m": 0.5, "f": 0.5}, "income": 6e6})


# -- trimming --------------------------------------------------------------------

def test_trim_one_pass_redistributes_equally():
    data = pd.DataFrame(index=range(5))
    w = trim(data, None, 5.0, weights=[1, 1, 1, 1, 10])
    np.testing.assert_allclose(w.to_numpy(), [2.25, 2.25, 2.25, 2.25, 5.0])


def test_trim_strict_iterates_until_inside():
    data = pd.DataFrame(index=range(6))
    raw = np.array([1.0, 1.0, 1.0, 4.0, 4.0, 13.0])
    loose = trim(data, None, 5.0, weights=raw)
    assert loose.max() > 5.0  # one pass pushes the 4s past the cap
    w, info = trim(data, None, 5.0, weights=raw, strict=True, return_info=True)
    assert w.max() <= 5.0
    assert w.sum() == pytest.approx(raw.sum())
    assert info.iterations > 1
    assert info.converged


def test_trim_relative_bounds_and_infeasible():
    data = pd.DataFrame(index=range(4))
    w = trim(data, None, 1.5, weights=[1, 1, 1, 5], relative=True)
    assert w.iloc[3] == pytest.approx(3.0)
    with pytest.raises(CalibrationError, match="infeasible"):
        trim(data, None, 1.0, weights=[1, 1, 1, 5], strict=True)


def test_trim_takes_the_options_of_the_design_method():
    data = pd.DataFrame(index=range(5))
    raw = [1.0, 1.0, 1.0, 1.0, 10.0]
    d = SurveyDesign(data.assign(w=raw), weights="w")
    for lower, upper, strict, relative in [(None, 5.0, False, False), (0.3, 2.0, True, True)]:
        np.testing.assert_allclose(
            trim(data, lower, upper, weights=raw, strict=strict, relative=relative).to_numpy(),
            d.trim(lower, upper, strict=strict, relative=relative).weights)
    assert trim(data, upper=5.0, weights=raw).iloc[4] == 5.0
    with pytest.raises(TypeError, match=r"trim\(data, lower, upper\)"):
        trim(data, (None, 5.0), weights=raw)  # the old bounds=(lo, hi) spelling is gone


# -- registry and resolution -----------------------------------------------------

def test_registry_dispatch(sample):
    assert set(WEIGHTING_METHODS) == {"rake", "poststratify", "calibrate", "trim"}
    assert get_weighting_method("rake") is rake
    with pytest.raises(ValueError, match=r"Unknown weighting method: 'ipf'; choose from \["):
        get_weighting_method("ipf")
    specs = {"rake": (MARGINS,), "poststratify": ({"age": MARGINS["age"]},),
             "calibrate": ({"sex": {"m": 0.5, "f": 0.5}},), "trim": (None, 2.0)}
    for name, spec in specs.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = get_weighting_method(name)(sample, *spec, weights="dw")
        assert isinstance(out, pd.Series)
        assert out.name == "weight"
        assert out.index.equals(sample.index)


def test_resolve_margins_reports_scaling(sample):
    resolved, total, notes = resolve_margins(sample, MARGINS, sample["dw"])
    assert total == pytest.approx(sample["dw"].sum())
    assert [m.column for m in resolved] == ["sex", "age", "urban"]
    assert resolved[0].levels == ("m", "f")
    assert "scaled to the sample weight total" in notes[0]
