"""Second-hand thresholds from a codebook ladder: bounds, hurdle, design SEs, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis import SurveyDesign
from analysis.codebook import Codebook
from analysis.errors import CodebookError, DataQualityWarning, IntervalError
from analysis.pricing import (
    GroupedResult,
)
from analysis.pricing.bounds import (
    dc_bid_data,
    ladder_intervals,
    payment_card_intervals,
)

RUNGS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]


def _codebook(convention: str = "highest_accepted") -> Codebook:
    ladder = [{"code": i + 1, "name": f"r{int(round(v * 10))}", "label": f"{int(round(v * 10))}折", "value": v}
              for i, v in enumerate(RUNGS)]
    ladder.append({"code": 9, "name": "never", "label": "不买二手", "never": True})
    card = [{"code": 1, "name": "p0", "label": "0", "interval": [0, 1]},
            {"code": 2, "name": "p1_5", "label": "1-5%", "interval": [1, 5]},
            {"code": 3, "name": "p5_10", "label": "5-10%", "interval": [5, 10]},
            {"code": 4, "name": "p10_20", "label": "10-20%", "interval": [10, 20]},
            {"code": 5, "name": "p20", "label": ">20%", "interval": [20, None]}]
    return Codebook.model_validate({
        "wave": "test", "title": "t",
        "questions": [
            {"id": "sh_clothes", "type": "price_ladder", "label": "服装", "convention": convention,
             "options": ladder},
            {"id": "sh_phone", "type": "price_ladder", "label": "手机", "convention": convention,
             "options": ladder},
            {"id": "premium", "type": "payment_card", "label": "溢价", "options": card},
            {"id": "dc", "type": "dc_bid", "label": "出价", "bid": "b", "first": "f",
             "followup": "u", "bids": {10: [20, 5], 20: [30, 10]}},
            {"id": "tier", "type": "single", "label": "城市",
             "options": [{"code": 1, "name": "t1", "label": "一线"},
                         {"code": 2, "name": "t2", "label": "其他"}]},
        ]})


def _wave(rng: np.random.Generator, n: int = 1200, never: float = 0.2,
          convention: str = "highest_accepted") -> pd.DataFrame:
    cb = _codebook(convention)
    tier = rng.choice(["t1", "t2"], n)
    x = rng.standard_normal(n)
    ratio = 1 / (1 + np.exp(-(-0.2 + 0.3 * (tier == "t1") + 0.4 * x + 0.8 * rng.standard_normal(n))))
    rungs = np.array(RUNGS)
    if convention == "highest_accepted":
        k = np.searchsorted(rungs, ratio, side="right") - 1  # highest rung <= ratio
    else:
        k = np.searchsorted(rungs, ratio, side="left")  # lowest rung >= ratio
    keys = np.array([f"r{int(round(v * 10))}" for v in RUNGS])
    below = k < 0
    k = np.clip(k, 0, len(RUNGS) - 1)
    # Below the lowest rung cannot be told from "never" in such a ladder; rare here.
    answer = np.where(below, "r1", keys[k])
    is_never = rng.random(n) < never
    answer = np.where(is_never, "never", answer)
    answer = answer.astype(object)
    answer[rng.random(n) < 0.05] = None  # not answered
    cats = [o.key for o in cb.question("sh_clothes").options]
    df = pd.DataFrame({
        "sh_clothes": pd.Categorical(answer, categories=cats, ordered=True),
        "sh_phone": pd.Categorical(np.where(is_never, "never", keys[np.clip(k - 1, 0, 7)]),
                                   categories=cats, ordered=True),
        "tier": tier, "x": x, "ratio": ratio, "never_true": is_never,
        "st": rng.integers(0, 5, n), "w": rng.uniform(0.5, 2.5, n)})
    df["psu"] = df["st"] * 100 + rng.integers(0, 12, n)
    df.attrs["codebook_json"] = cb.to_json()
    return df


def test_ladder_bounds_follow_the_convention(rng):
    df = _wave(rng, 50)
    hi = ladder_intervals(df, "sh_clothes")
    row = hi[df["sh_clothes"] == "r4"].iloc[0]
    assert (row["lower"], row["upper"], row["never"]) == (0.4, 0.5, False)
    top = hi[df["sh_clothes"] == "r8"]
    if len(top):
        assert np.isnan(top["upper"].iloc[0])
    nv = hi[df["sh_clothes"] == "never"].iloc[0]
    assert nv["never"]
    assert not hi["answered"][df["sh_clothes"].isna()].any()
    up = ladder_intervals(df, _codebook("upper_bound").question("sh_clothes"),
                          codebook=_codebook("upper_bound"))
    row = up[df["sh_clothes"] == "r4"].iloc[0]
    assert (row["lower"], row["upper"]) == (0.3, 0.4)


def test_ladder_answer_outside_the_rungs_names_rows(rng):
    df = _wave(rng, 30)
    df["sh_clothes"] = df["sh_clothes"].astype(object)
    df.loc[[3, 7], "sh_clothes"] = "r45"
    with pytest.raises(IntervalError, match="not among the codebook's options") as err:
        ladder_intervals(df, "sh_clothes")
    assert err.value.row == "3, 7"
    assert err.value.question == "sh_clothes"
    # codes and ratio values are accepted
    df.loc[[3, 7], "sh_clothes"] = [4, 0.4]
    out = ladder_intervals(df, "sh_clothes")
    assert out.loc[3, "lower"] == out.loc[7, "lower"] == 0.4


def test_payment_card_bounds_and_wrong_question_type(rng):
    cb = _codebook()
    df = pd.DataFrame({"premium": ["p5_10", "p20", None, "p0"]})
    out = payment_card_intervals(df, "premium", codebook=cb)
    assert_allclose(out["lower"].to_numpy(), [5, 20, np.nan, 0])
    assert_allclose(out["upper"].to_numpy(), [10, np.nan, np.nan, 1])
    with pytest.raises(CodebookError, match="is a single"):
        payment_card_intervals(pd.DataFrame({"tier": ["t1"]}), "tier", codebook=cb)


def test_dc_bid_intervals_and_follow_up_checks():
    cb = _codebook()
    df = pd.DataFrame({"dc_bid1": [10.0, 10, 20, 20, 10, 20],
                       "dc_ans1": [True, True, False, False, True, None],
                       "dc_bid2": [20.0, 20, 10, 10, np.nan, np.nan],
                       "dc_ans2": [True, False, True, False, None, None]})
    out = dc_bid_data(df, "dc", codebook=cb)
    assert out["pattern"].iloc[:5].tolist() == ["yy", "yn", "ny", "nn", "y"]
    assert out["pattern"].isna().iloc[5]
    assert_allclose(out["lower"].to_numpy(), [20, 10, 10, np.nan, 10, np.nan])
    assert_allclose(out["upper"].to_numpy(), [np.nan, 20, 20, 10, np.nan, np.nan])
    bad = df.copy()
    bad.loc[1, "dc_bid2"] = 5.0  # lower after a yes
    with pytest.raises(IntervalError, match="after a 'yes' is not higher") as err:
        dc_bid_data(bad, "dc", codebook=cb)
    assert err.value.row == "1"
    bad = df.copy()
    bad.loc[3, "dc_bid2"] = 30.0
    with pytest.raises(IntervalError, match="after a 'no' is not lower"):
        dc_bid_data(bad, "dc", codebook=cb)
    off = df.copy()
    off.loc[0, "dc_bid2"] = 25.0
    with pytest.warns(DataQualityWarning, match="differ from the codebook's bid design"):
        dc_bid_data(off, "dc", codebook=cb)
    codes = df.assign(dc_ans1=[1, 1, 2, 2, 1, None], dc_ans2=[1, 2, 1, 2, None, None])
    assert dc_bid_data(codes, "dc", codebook=cb)["pattern"].tolist()[:4] == ["yy", "yn", "ny", "nn"]


def _replicate_share(rep: SurveyDesign, ind: np.ndarray) -> float:
    ok = ~np.isnan(ind)
    w = np.where(ok, rep.weights, 0.0)
    est = np.sum(w * np.nan_to_num(ind)) / w.sum()
    rw = np.where(ok[:, None], rep.repweights, 0.0)
    reps = (rw * np.nan_to_num(ind)[:, None]).sum(0) / rw.sum(0)
    return float(np.sqrt(rep.replicate_vcov(reps[:, None], np.array([est]))[0, 0]))


def test_turnbull_se_on_a_ladder_equals_the_design_share(rng):
    """Disjoint rungs: S(c) is the share choosing a rung >= c, a design mean."""
    df = _wave(rng)
    bounds = ladder_intervals(df, "sh_clothes")
    lo, hi = bounds["lower"].to_numpy(), bounds["upper"].to_numpy()
    answered = bounds["answered"].to_numpy()
    d = SurveyDesign(df, weights="w", strata="st", psu="psu", nest=True)
    curve = d.turnbull(lo, hi).curve([0.3, 0.5, 0.7])
    rep = d.to_replicates("JKn")
    jk = rep.turnbull(lo, hi).curve([0.3, 0.5, 0.7])
    for i, t in enumerate([0.3, 0.5, 0.7]):
        ind = np.where(answered, (np.nan_to_num(lo, nan=0.0) >= t).astype(float), np.nan)
        dd = SurveyDesign(df.assign(ind=ind), weights="w", strata="st", psu="psu", nest=True)
        m = dd.mean("ind", na_rm=True)
        assert_allclose(curve["estimate"].iloc[i], m.estimate.iloc[0], rtol=1e-10)
        assert_allclose(curve["se"].iloc[i], m.se.iloc[0], rtol=1e-8)
        assert_allclose(jk["se"].iloc[i], _replicate_share(rep, ind), rtol=1e-8)


def test_hurdle_threshold_never_share_and_needs(rng):
    df = _wave(rng)
    d = SurveyDesign(df, weights="w", strata="st", psu="psu", nest=True)
    res = d.second_hand_threshold("sh_clothes", need_at_most=[0.4, 0.8])
    bounds = ladder_intervals(df, "sh_clothes")
    answered = bounds["answered"].to_numpy()
    never = bounds["never"].fillna(False).to_numpy(dtype=bool)
    w = df["w"].to_numpy() * answered
    assert_allclose(res.never["estimate"].iloc[0], w[never].sum() / w.sum())
    # Population acceptance = (1 - never) x buyers' acceptance at every rung.
    pop = res.population.curve(RUNGS)["estimate"].to_numpy()
    buy = res.buyers.curve(RUNGS)["estimate"].to_numpy()
    assert_allclose(pop, (1 - res.never["estimate"].iloc[0]) * buy, rtol=1e-9)
    # "need 0.4 or less" under highest_accepted = chose a rung <= 0.4 (refuse 0.5).
    key = df["sh_clothes"].astype(object)
    low = key.isin(["r1", "r2", "r3", "r4"]).to_numpy()
    got = res.needs.loc[(0.4, "buyers"), "estimate"]
    assert_allclose(got, w[low].sum() / w[answered & ~never].sum(), rtol=1e-9)
    # Everyone who answered is the base; never-buyers are not in the numerator.
    got = res.needs.loc[(0.4, "population"), "estimate"]
    assert_allclose(got, w[low].sum() / w.sum(), rtol=1e-9)
    assert res.needs.loc[(0.8, "buyers"), "estimate"] == 1.0
    table = res.summary_frame()
    assert ("never", ) == table.index[-1][:1]
    tidy = res.tidy()
    assert set(tidy["base"]) == {"buyers", "population"}
    assert (tidy["ci_low"] <= tidy["estimate"]).all()


def test_upper_bound_convention_reads_p_at_most(rng):
    df = _wave(rng, convention="upper_bound")
    cb = _codebook("upper_bound")
    d = SurveyDesign(df, weights="w")
    res = d.second_hand_threshold("sh_clothes", need_at_most=[0.4], codebook=cb)
    key = df["sh_clothes"].astype(object)
    bounds = ladder_intervals(df, "sh_clothes", codebook=cb)
    answered = bounds["answered"].to_numpy()
    never = bounds["never"].fillna(False).to_numpy(dtype=bool)
    w = df["w"].to_numpy() * answered
    low = key.isin(["r1", "r2", "r3", "r4"]).to_numpy()
    assert_allclose(res.needs.loc[(0.4, "buyers"), "estimate"],
                    w[low].sum() / w[answered & ~never].sum(), rtol=1e-9)


def test_by_groups_and_several_categories(rng):
    df = _wave(rng)
    d = SurveyDesign(df, weights="w", strata="st")
    by = d.second_hand_threshold("sh_clothes", by="tier")
    assert isinstance(by, GroupedResult)
    assert list(by) == ["t1", "t2"]
    # Each group is a domain of the full design: same estimate as subsetting.
    sub = d.subset(df["tier"] == "t1").second_hand_threshold("sh_clothes")
    assert_allclose(by["t1"].buyers.curve()["estimate"], sub.buyers.curve()["estimate"])
    assert_allclose(by["t1"].buyers.curve()["se"], sub.buyers.curve()["se"], rtol=1e-10)
    assert by.tidy().columns[0] == "tier"
    many = d.second_hand_threshold(["sh_clothes", "sh_phone"])
    frame = many.summary_frame()
    assert set(frame.index.get_level_values("question")) == {"sh_clothes", "sh_phone"}
    # phone answers sit one rung lower: more need a deep discount
    assert (many["sh_phone"].needs.loc[(0.4, "buyers"), "estimate"]
            > many["sh_clothes"].needs.loc[(0.4, "buyers"), "estimate"])


def test_threshold_model_hurdle_with_covariates(rng):
    df = _wave(rng, 2000, never=0.25)
    d = SurveyDesign(df, weights="w", strata="st")
    res = d.threshold_model("sh_clothes", "~ tier + x", dist="logitnormal")
    coef = res.threshold.params
    # Data: logit(ratio) = -0.2 + 0.3 [t1] + 0.4 x + 0.8 e  (tier t2 is the baseline here)
    ci = res.threshold.conf_int(0.999)
    assert ci.loc["tier[T.t2]", "ci_low"] < -0.3 < ci.loc["tier[T.t2]", "ci_high"]
    assert ci.loc["x", "ci_low"] < 0.4 < ci.loc["x", "ci_high"]
    assert ci.loc["log(scale)", "ci_low"] < np.log(0.8) < ci.loc["log(scale)", "ci_high"]
    assert abs(coef["x"] - 0.4) < 0.1
    # never is independent of the covariates in the simulation
    nci = res.never.conf_int(0.999)
    assert nci.loc["x", "ci_low"] < 0 < nci.loc["x", "ci_high"]
    assert set(res.tidy()["part"]) == {"never", "threshold"}
    # the interval model leaves never-buyers out
    direct = d.interval_regression("sh_clothes ~ tier + x", dist="logitnormal")
    assert_allclose(direct.params, coef)
    assert direct.nobs == int(((~df["never_true"]) & df["sh_clothes"].notna()).sum())
