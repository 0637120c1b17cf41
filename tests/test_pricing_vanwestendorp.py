"""Van Westendorp price sensitivity meter: crossings, weights, codebook roles, audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.codebook import Codebook
from analysis.errors import CodebookError, ModelError
from analysis.pricing import van_westendorp

ROLES = ("too_cheap", "cheap", "expensive", "too_expensive")
FACTORS = np.array([0.5, 0.8, 1.2, 1.6])


def _psm(rng: np.random.Generator, n: int, median: float = 50.0) -> pd.DataFrame:
    base = np.exp(rng.normal(np.log(median), 0.3, n))
    noise = np.exp(rng.normal(0, 0.02, (n, 4)))
    prices = np.sort(base[:, None] * FACTORS * noise, axis=1)
    df = pd.DataFrame(prices, columns=["tc", "c", "e", "te"])
    df["w"] = rng.uniform(0.5, 2, n)
    df["st"] = rng.integers(0, 4, n)
    return df


def test_price_points_recover_the_analytic_crossings(rng):
    df = _psm(rng, 4000)
    res = van_westendorp(SurveyDesign(df, weights="w", strata="st"), "tc", "c", "e", "te",
                         replicates=60, seed=2)
    # With price = B x factor and log B symmetric, curves cross at 50 x sqrt(f1 x f2)
    # (noise shifts this by far less than the SEs).
    truth = {"pmc": 50 / np.sqrt(2 * 1.25), "opp": 50 * np.sqrt(1.6 / 2),
             "ipp": 50 * np.sqrt(0.8 * 1.2), "pme": 50 * np.sqrt(1.2 * 1.6)}
    pp = res.summary_frame()
    for k, v in truth.items():
        assert abs(pp.loc[k, "estimate"] - v) < 3.5 * pp.loc[k, "se"] + 0.3, (k, pp.loc[k])
    lo, hi = res.acceptable_range
    assert lo < pp.loc["opp", "estimate"] < pp.loc["ipp", "estimate"] < hi


def test_crossings_by_brute_force_and_weights_as_duplicates():
    df = pd.DataFrame({"tc": [5, 8, 10, 12.0], "c": [10, 12, 15, 20.0],
                       "e": [20, 18, 25, 30.0], "te": [30, 25, 35, 40.0],
                       "w": [1, 2, 1, 3]})
    d = SurveyDesign(df, weights="w")
    res = van_westendorp(d, "tc", "c", "e", "te", interpolate=False, replicates=5, seed=1)
    grid = np.unique(df[["tc", "c", "e", "te"]].to_numpy())
    w = df["w"].to_numpy()
    tc = np.array([(w * (df["tc"] >= p)).sum() for p in grid]) / w.sum()
    te = np.array([(w * (df["te"] <= p)).sum() for p in grid]) / w.sum()
    opp = grid[np.argmax(tc - te <= 0)]
    assert res.price_points.loc["opp", "estimate"] == opp
    dup = df.loc[df.index.repeat(df["w"])].assign(w=1.0).reset_index(drop=True)
    res2 = van_westendorp(SurveyDesign(dup, weights="w"), "tc", "c", "e", "te", replicates=5,
                          seed=1)
    res1 = van_westendorp(d, "tc", "c", "e", "te", replicates=5, seed=1)
    assert_allclose(res2.price_points["estimate"], res1.price_points["estimate"])
    curve = res1.tidy()
    assert set(curve["curve"]) == {"too_cheap", "cheap", "expensive", "too_expensive",
                                   "not_cheap", "not_expensive"}


def test_inconsistent_answers_are_excluded_and_audited(rng):
    df = _psm(rng, 300)
    df.loc[[4, 9, 30], "c"] = df.loc[[4, 9, 30], "te"] + 1  # cheap above too expensive
    df.loc[50, "e"] = np.nan  # incomplete: not counted as answered
    res = van_westendorp(SurveyDesign(df, weights="w"), "tc", "c", "e", "te", replicates=20,
                         seed=3)
    assert res.audit.loc["answered_all_four", "respondents"] == 299
    assert res.audit.loc["inconsistent_excluded", "respondents"] == 3
    assert res.audit.loc["used", "respondents"] == 296
    assert list(res.excluded) == [4, 9, 30]
    clean = van_westendorp(SurveyDesign(df.drop(index=[4, 9, 30, 50]), weights="w"),
                           "tc", "c", "e", "te", replicates=20, seed=3)
    assert_allclose(res.price_points["estimate"], clean.price_points["estimate"])
    # ties are allowed unless strict=True
    tied = df.drop(index=[4, 9, 30, 50]).reset_index(drop=True)
    tied.loc[0, "c"] = tied.loc[0, "tc"]
    strict = van_westendorp(SurveyDesign(tied, weights="w"), "tc", "c", "e", "te", strict=True,
                            replicates=5, seed=1)
    assert strict.audit.loc["inconsistent_excluded", "respondents"] == 1
    bad = df.assign(c=df["te"] + 1)
    with pytest.raises(ModelError, match="consistently"):
        van_westendorp(SurveyDesign(bad, weights="w"), "tc", "c", "e", "te")


def test_roles_come_from_the_codebook(rng):
    questions = [{"id": q, "type": "numeric", "label": q, "psm": role}
                 for q, role in zip(["tc", "c", "e", "te"], ROLES)]
    cb = Codebook.model_validate({"wave": "t", "title": "t", "questions": questions})
    df = _psm(rng, 300)
    df.attrs["codebook_json"] = cb.to_json()
    d = SurveyDesign(df, weights="w")
    a = van_westendorp(d, replicates=10, seed=4)
    b = van_westendorp(d, "tc", "c", "e", "te", replicates=10, seed=4)
    assert_allclose(a.price_points.to_numpy(), b.price_points.to_numpy())
    short = Codebook.model_validate({"wave": "t", "title": "t", "questions": questions[:3]})
    with pytest.raises(CodebookError, match="too_expensive"):
        van_westendorp(d, codebook=short)


def test_replicate_design_uses_its_own_replicates(rng):
    df = _psm(rng, 400)
    rep = SurveyDesign(df, weights="w", strata="st").to_replicates("JKn")
    res = van_westendorp(rep, "tc", "c", "e", "te")
    assert res.price_points["se"].gt(0).all()
