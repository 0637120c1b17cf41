"""The formula layer (formulaic): every spelling of a categorical, names, rows, new data.

``C(sex)`` must mean the same model whether ``sex`` holds integer codes, a
pandas categorical, text labels or nullable ``Int64``: same coefficients, same
R baselines (first level; sorted values for codes and text), names that read
the value as stored (``C(sex)[T.2]``, never ``[T.2.0]``).  Speed is measured in
``make bench`` (tests/bench, tasks ``glm_C_*``), not here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis._formula import build_model_frame, new_design_matrix
from analysis.errors import ModelError

ROOT = Path(__file__).resolve().parents[1]
FORMULA = "y ~ C(sex) + C(age) + x"


def _codes(n: int = 600, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.integers(1, 3, n)  # 1, 2 as a survey codes them
    age = rng.integers(0, 4, n)
    x = rng.normal(size=n)
    eta = -0.2 + 0.5 * (sex == 2) - 0.3 * age + 0.8 * x
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return pd.DataFrame({"y": y, "sex": sex, "age": age, "x": x,
                         "w": rng.uniform(1, 3, n), "st": np.repeat(np.arange(4), n // 4)})


LABELS = {"sex": {1: "female", 2: "male"}, "age": {0: "a18", 1: "a30", 2: "a45", 3: "a60"}}


def _spell(data: pd.DataFrame, spelling: str) -> pd.DataFrame:
    out = data.copy()
    for col in LABELS:
        if spelling == "cat":
            out[col] = pd.Categorical(data[col])
        elif spelling == "Int64":
            out[col] = data[col].astype("Int64")
        elif spelling == "str":
            out[col] = data[col].map(LABELS[col]).astype(object)
        elif spelling == "string":
            out[col] = data[col].map(LABELS[col]).astype("string")
    return out


def _fit(data: pd.DataFrame, formula: str = FORMULA):
    return SurveyDesign(data, weights="w", strata="st").glm(formula, family="binomial")


@pytest.fixture(scope="module")
def codes() -> pd.DataFrame:
    return _codes()


@pytest.mark.parametrize("spelling", ["int", "cat", "Int64", "str", "string"])
def test_every_spelling_of_a_categorical_is_the_same_model(codes, spelling):
    want = _fit(codes)
    got = _fit(_spell(codes, spelling))
    assert_allclose(got.params.to_numpy(), want.params.to_numpy(), rtol=1e-10)
    assert_allclose(got.bse.to_numpy(), want.bse.to_numpy(), rtol=1e-10)
    assert got.nobs == want.nobs
    # R's baselines: the first (sorted) level is the reference.
    if spelling in ("str", "string"):
        assert list(got.params.index) == ["Intercept", "C(sex)[T.male]", "C(age)[T.a30]",
                                          "C(age)[T.a45]", "C(age)[T.a60]", "x"]
    else:
        assert list(got.params.index) == list(want.params.index)


def test_nullable_integers_in_c_are_named_by_their_values(codes):
    """Int64 codes read as the integers they are, like int64 (patsy said ``[T.2.0]``)."""
    frame = build_model_frame("y ~ C(sex) + C(age)", _spell(codes, "Int64"))
    assert frame.columns == ["Intercept", "C(sex)[T.2]", "C(age)[T.1]", "C(age)[T.2]",
                             "C(age)[T.3]"]
    flags = codes.assign(b=pd.array(codes["x"] > 0, dtype="boolean"))
    assert build_model_frame("y ~ C(b)", flags).columns == ["Intercept", "C(b)[T.True]"]
    # Bare, a nullable column is numeric, named after the column.
    assert build_model_frame("y ~ b", flags).columns == ["Intercept", "b"]


def test_missing_values_drop_the_row_in_every_spelling(codes):
    data = codes.copy()
    data.loc[[3, 50], "x"] = np.nan
    data.loc[7, "y"] = np.nan
    for spelling in ("int", "cat", "Int64", "str"):
        spelled = _spell(data, spelling)
        if spelling in ("cat", "Int64", "str"):
            spelled.loc[9, "sex"] = None  # a missing factor value
        frame = build_model_frame(FORMULA, spelled, binary_response=True)
        dropped = {3, 50, 7} | ({9} if spelling != "int" else set())
        assert set(range(len(data))) - set(frame.rows.tolist()) == dropped, spelling
        assert frame.X.shape == (len(data) - len(dropped), 6)
        assert frame.y is not None
        assert len(frame.y) == frame.X.shape[0]


def test_category_order_is_the_reference_for_categoricals(codes):
    data = codes.assign(sex=pd.Categorical(codes["sex"].map(LABELS["sex"]),
                                           categories=["male", "female"]))
    assert build_model_frame("y ~ sex", data).columns == ["Intercept", "sex[T.female]"]


def test_patsy_names_for_contrasts_interactions_and_no_intercept(codes):
    data = _spell(codes, "str")
    names = build_model_frame('y ~ C(age, Treatment("a45")) + sex:x', data).columns
    assert names == ["Intercept", 'C(age, Treatment("a45"))[T.a18]',
                     'C(age, Treatment("a45"))[T.a30]', 'C(age, Treatment("a45"))[T.a60]',
                     "sex[female]:x", "sex[male]:x"]
    assert build_model_frame("y ~ 0 + sex", data).columns == ["sex[female]", "sex[male]"]
    assert build_model_frame("y ~ sex * x", data).columns == [
        "Intercept", "sex[T.male]", "x", "sex[T.male]:x"]


def test_dotted_names_in_c_and_q(codes):
    data = codes.rename(columns={"sex": "sex.code"})
    assert build_model_frame("y ~ C(sex.code)", data).columns == ["Intercept",
                                                                 "C(sex.code)[T.2]"]
    assert build_model_frame('y ~ Q("sex.code")', data).columns == ["Intercept", "sex.code"]


@pytest.mark.parametrize("spelling", ["int", "cat", "Int64", "str"])
def test_new_data_takes_the_fitted_levels(codes, spelling):
    data = _spell(codes, spelling)
    fit = _fit(data)
    # Rows of one sex and two ages only: the columns still line up with the fit.
    sub = data[(codes["sex"] == 2) & (codes["age"] >= 2)].head(8)
    if spelling == "cat":  # a fresh categorical of the subset has fewer categories
        sub = sub.assign(sex=pd.Categorical(sub["sex"].astype(int)),
                         age=pd.Categorical(sub["age"].astype(int)))
    X, rows = new_design_matrix(fit.model_frame, sub)
    want = fit.model_matrix().loc[codes.index.get_indexer(sub.index)]
    assert_allclose(X, want.to_numpy())
    assert rows.tolist() == list(range(len(sub)))
    bad = sub.assign(age=sub["age"].astype(object).where(np.arange(len(sub)) != 0, 99))
    with pytest.raises(ModelError, match="99"):
        fit.predict(bad)


def test_unknown_column_names_the_column(codes):
    with pytest.raises(ModelError, match="agee") as err:
        build_model_frame("y ~ C(agee)", codes)
    assert err.value.hint


def test_no_patsy_on_the_model_path():
    """patsy's per-value categorical checks made C() 10x slower; it must not come back."""
    code = ("import sys, numpy as np, pandas as pd\n"
            "from analysis import SurveyDesign\n"
            "rng = np.random.default_rng(1)\n"
            "d = pd.DataFrame({'y': rng.integers(0, 2, 200), 'g': rng.integers(1, 4, 200),"
            " 'x': rng.normal(size=200), 'w': 1.0})\n"
            "SurveyDesign(d, weights='w').glm('y ~ C(g) + x', family='binomial').bse\n"
            "print('patsy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
