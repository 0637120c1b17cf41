"""Select-all questions: shares with design SEs, paired and between-group tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.codebook import Codebook, Option, Question
from analysis.survey import SurveyDesign


@pytest.fixture
def survey(rng: np.random.Generator) -> pd.DataFrame:
    n = 300
    asked = rng.random(n) > 0.2
    frame = pd.DataFrame({
        "tier": rng.choice(["t1", "t2", "t3"], n),
        "psu": np.repeat(np.arange(30), 10),
        "w": rng.uniform(0.5, 2.0, n),
    })
    probs = {"price": 0.6, "avail": 0.4, "trust": 0.2, "other": 0.05}
    for key, p in probs.items():
        col = pd.array(rng.random(n) < p, dtype="boolean")
        col[~asked] = pd.NA
        frame[f"barriers_{key}"] = col
    frame["barriers_other_text"] = pd.Series([None] * n, dtype="string")
    cb = Codebook(
        wave="test", title="t",
        questions=[Question(id="barriers", type="multiple", label="障碍",
                            options=[Option(code=1, name="price", label="价格"),
                                     Option(code=2, name="avail", label="买不到"),
                                     Option(code=3, name="trust", label="不信任"),
                                     Option(code=4, name="other", label="其他", other=True)])],
    )
    frame.attrs["codebook_json"] = cb.to_json()
    return frame


def test_question_id_expands_to_options_on_asked_base(survey: pd.DataFrame) -> None:
    d = SurveyDesign(survey, weights="w", psu="psu")
    res = d.mean("barriers")
    assert list(res.estimate.index) == ["price", "avail", "trust", "other"]
    asked = survey["barriers_price"].notna().to_numpy()
    w = survey["w"].to_numpy()
    for key in res.estimate.index:
        x = survey[f"barriers_{key}"].to_numpy(dtype=float, na_value=np.nan)
        want = np.nansum(w * x) / w[asked].sum()
        assert res.estimate[key] == pytest.approx(want, rel=1e-12)
    assert (res.n_unweighted == asked.sum()).all()
    # same as the explicit list of option columns, and as a domain of asked respondents
    cols = [f"barriers_{k}" for k in ("price", "avail", "trust", "other")]
    listed = d.mean(cols)
    np.testing.assert_allclose(listed.vcov.to_numpy(), res.vcov.to_numpy(), rtol=1e-12)
    plain = d.subset(asked).mean([c for c in cols], na_rm=False)
    np.testing.assert_allclose(plain.se.to_numpy(), res.se.to_numpy(), rtol=1e-12)


def test_paired_option_test_uses_covariance(survey: pd.DataFrame) -> None:
    d = SurveyDesign(survey, weights="w", psu="psu")
    res = d.mean("barriers")
    t = d.mr_test("barriers", "price", "barriers_avail")
    assert t.estimate == pytest.approx(res.estimate["price"] - res.estimate["avail"])
    v = res.vcov
    var = v.loc["price", "price"] + v.loc["avail", "avail"] - 2 * v.loc["price", "avail"]
    assert t.se == pytest.approx(np.sqrt(var))
    assert t.df == d.degf(rows=survey["barriers_price"].notna().to_numpy()) - 1
    assert 0 <= t.p_value <= 1
    # the difference of two binary options equals the mean of their difference
    diff = (survey["barriers_price"].astype("Float64") - survey["barriers_avail"].astype("Float64"))
    direct = SurveyDesign(survey.assign(diff=diff), weights="w", psu="psu").mean("diff", na_rm=True)
    assert t.se == pytest.approx(direct.se.iloc[0], rel=1e-12)
    within = d.mr_test("barriers", "price", "avail", by="tier", group="t1")
    assert within.name.endswith("[tier=t1]")


def test_group_comparison_keeps_full_design(survey: pd.DataFrame) -> None:
    d = SurveyDesign(survey, weights="w", psu="psu")
    table = d.mr_compare("barriers", by="tier")
    assert len(table) == 4 * 3
    assert list(table.columns) == ["option", "group_a", "group_b", "share_a", "share_b",
                                   "estimate", "se", "statistic", "df", "p_value"]
    one = d.mr_compare("barriers", by="tier", option="trust", groups=("t3", "t1"))
    by = d.mean("barriers", by="tier")
    row = one.iloc[0]
    assert row["estimate"] == pytest.approx(by.estimate[("t3", "trust")] - by.estimate[("t1", "trust")])
    assert row["se"] > 0
    assert np.isfinite(row["p_value"])
