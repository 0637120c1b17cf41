"""The synthetic demo wave (analysis.synth, surveys/demo-2022).

Regeneration reproduces the committed files byte for byte; the codebook
and targets validate; the population shares implied by ``truth.yaml`` equal
the published 2022 figures; the export reads cleanly; screening finds
exactly the injected dirt; raking brings the sample near the published
shares.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.codebook import load_codebook, load_targets
from analysis.synth import demo as synth
from analysis.synth.export import META_COLUMNS, id_number
from analysis.synth.model import population_values

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "surveys" / "demo-2022"
PUBLISHED = {"channels_tv_radio_print": 62.80, "channels_public_ads": 62.61,
             "products_electronics": 34.88, "products_paper_cleaning": 34.24,
             "products_cars": 34.13, "barriers_hard_to_identify": 50.75,
             "barriers_price_too_high": 44.94}


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((DEMO / "truth.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw_file() -> Path:
    cb = load_codebook(DEMO)
    return DEMO / "raw" / cb.raw


@pytest.fixture(scope="module")
def wave():
    from analysis.errors import ConstraintWarning, InvalidValueWarning
    from analysis.ingest import read_wave

    # The demo's injected dirt (purchase counts out of range or typed as words) is said at
    # load time; any other warning is a failure.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConstraintWarning)
        warnings.simplefilter("ignore", InvalidValueWarning)
        return read_wave(DEMO)


@pytest.fixture(scope="module")
def cleaned(wave):
    from analysis.cleaning.cleaner import clean

    return clean(wave.data, wave.codebook)


@pytest.fixture(scope="module")
def raked(cleaned, wave):
    from analysis.survey import SurveyDesign

    return SurveyDesign(cleaned.data).rake(wave.targets.as_margins())


# ------------------------------------------------------------- reproduction
def test_regeneration_is_byte_identical(tmp_path, raw_file):
    written = synth.write_wave(tmp_path)
    assert written.name == raw_file.name
    assert written.read_bytes() == raw_file.read_bytes()
    for name in ("survey.yaml", "targets.yaml", "truth.yaml"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_generate_is_deterministic_and_seed_dependent():
    a, ta = synth.generate(seed=7, n=400)
    b, tb = synth.generate(seed=7, n=400)
    c, _ = synth.generate(seed=8, n=400)
    pd.testing.assert_frame_equal(a, b)
    assert ta == tb
    assert len(a) == 400
    assert not a.iloc[:, 6:].equals(c.iloc[:, 6:])
    assert ta["dirt"]["counts"]["speeders"] == 20  # 5% scaled from the 4,000-row spec


def test_generate_rejects_bad_n():
    with pytest.raises(ValueError, match="`n` must be an integer"):
        synth.generate(n=50)


def test_cli_writes_the_wave(tmp_path):
    assert synth.main([str(tmp_path / "w"), "--n", "300", "--seed", "3"]) == 0
    assert len(list((tmp_path / "w" / "raw").glob("*_按文本_*_300_300.csv"))) == 1
    load_codebook(tmp_path / "w")


# ---------------------------------------------------------- schema, targets
def test_codebook_and_targets_validate_and_agree():
    cb = load_codebook(DEMO)
    targets = load_targets(DEMO)
    assert cb.synthetic
    assert cb.weighting.variables == ("sex", "age_band", "region", "urban")
    levels = {q.id: [o.key for o in q.options] for q in cb.questions}
    levels["region"] = list(cb.derived[0].labels)
    for var, margin in targets.margins.items():
        assert list(margin.levels) == levels[var], var
        assert "census" in margin.source.lower()
    assert targets.margins["urban"].shares()["urban"] == pytest.approx(0.6389)
    assert targets.margins["region"].shares()["east"] == pytest.approx(0.3999 / 1.0001)
    barriers = cb.question("barriers")
    assert [o.key for o in barriers.options] == [
        "hard_to_identify", "price_too_high", "dont_know_where", "few_choices",
        "quality_doubts", "marketing_gimmick", "other", "none"]
    ladder = cb.question("secondhand").intervals()
    assert ladder.loc["r4", ["lower", "upper"]].tolist() == [0.4, 0.5]
    assert bool(ladder.loc["never", "never"])


# ------------------------------------------------------------ calibration
def test_population_shares_equal_published_figures(truth):
    values = population_values(synth.params_from_truth(truth))
    for key, target in truth["published_targets"].items():
        q, option = key.split(".")
        assert values[q][option] == pytest.approx(target / 100, abs=1e-6), key
        assert truth["multiple_choice"][q][option]["population_share"] == pytest.approx(
            target / 100, abs=1e-6)
    summary = values["secondhand_summary"]
    assert summary["share_at_most_4_all"] == pytest.approx(0.62, abs=1e-6)
    assert summary["share_at_most_4_all"] > 0.60
    assert summary["never_share"] == pytest.approx(0.10, abs=1e-6)
    assert values["wtp"]["median_payers"] == pytest.approx(8.0, abs=1e-5)
    assert values["purchased"] == pytest.approx(truth["purchase"]["population_share"], abs=1e-6)
    assert sum(values["secondhand"].values()) == pytest.approx(1.0)
    assert sum(values["premium_card"].values()) == pytest.approx(1.0)


def test_sample_carries_the_panel_bias(cleaned):
    data = cleaned.data
    young = data["age_band"].isin(["age18_24", "age25_34"]).mean()
    assert young > 0.45  # census 18-69: 32.1%
    assert (data["urban"] == "urban").mean() > 0.75  # census: 63.89%
    assert (data["region"] == "east").mean() > 0.45  # census: 39.99%


def test_raked_estimates_are_near_the_published_figures(raked, cleaned):
    w = raked.weights
    data = raked.data
    for col, target in PUBLISHED.items():
        x = data[col].astype("float64").to_numpy()
        assert 100 * np.sum(w * x) / w.sum() == pytest.approx(target, abs=2.5), col
    tv = data["channels_tv_radio_print"].astype("float64").to_numpy()
    unweighted = 100 * tv.mean()
    weighted = 100 * np.sum(w * tv) / w.sum()
    assert abs(weighted - 62.80) < abs(unweighted - 62.80) - 3  # weighting matters here
    cheap = data["secondhand"].astype("string").isin(["r1_2", "r3", "r4"]).to_numpy()
    assert 100 * np.sum(w * cheap) / w.sum() > 60


def test_purchase_logit_is_recoverable(cleaned, truth):
    import statsmodels.api as sm

    data = cleaned.data
    items = [c for c in data.columns if c.startswith("attitudes_")]
    codes = np.column_stack([data[c].cat.codes.to_numpy() + 1 for c in items])
    reverse = np.array([c.removeprefix("attitudes_") in ("hassle", "gimmick") for c in items])
    att = np.where(reverse, 6 - codes, codes).mean(axis=1)
    terms = pd.DataFrame({
        "intercept": 1.0, "att_score_c": att - 3,
        "barriers_hard_to_identify": data["barriers_hard_to_identify"].astype(float),
        "barriers_price_too_high": data["barriers_price_too_high"].astype(float),
        "barriers_dont_know_where": data["barriers_dont_know_where"].astype(float),
        "female": (data["sex"] == "female").astype(float),
        "urban": (data["urban"] == "urban").astype(float),
        "college": data["education"].isin(["junior_college", "bachelor", "postgraduate"]
                                          ).astype(float),
        "high_income": data["income"].isin(["inc_8k_12k", "inc_12k_plus"]).astype(float)})
    y = (data["purchased"] == "yes").astype(float)
    fit = sm.Logit(y.to_numpy(), terms.to_numpy()).fit(disp=0)
    true = np.array([truth["purchase"]["coefficients"][k] for k in terms.columns])
    z = (fit.params - true) / fit.bse
    assert np.all(np.abs(z) < 3.5), dict(zip(terms.columns, np.round(z, 2)))


# ------------------------------------------------------------------ export
def test_export_looks_like_a_wjx_text_download(raw_file):
    data = raw_file.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gb18030")
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    assert re.fullmatch(r"\d+_按文本_.+_4000_4000\.csv", raw_file.name)
    table = pd.read_csv(raw_file, encoding="gb18030", dtype=str, keep_default_na=False)
    assert tuple(table.columns[:6]) == META_COLUMNS
    assert "1、您的性别 " in table.columns  # trailing space, as real exports have
    assert "6.您的最高学历" in table.columns
    assert table["序号"].tolist() == [str(i) for i in range(1, len(table) + 1)]
    assert table["提交答卷时间"].str.fullmatch(r"2022/09/\d\d \d\d:\d\d:\d\d").all()
    assert table["提交答卷时间"].is_monotonic_increasing
    assert table["所用时间"].str.fullmatch(r"\d+秒").all()
    assert table["来自IP"].str.fullmatch(r"\d{1,3}(\.\d{1,3}){3}\([^-()]+-[^-()]+\)").all()
    joined = table.iloc[:, 6:].apply(lambda c: c.str.contains("┋", regex=False).any())
    assert joined.sum() >= 3
    assert table.iloc[:, 6:].apply(lambda c: c.str.contains("〖", regex=False).any()).any()
    count = [c for c in table.columns if c.startswith("14、")][0]
    assert (table[count] == "(跳过)").any()
    suggestion = next(c for c in table.columns if c.startswith("20、"))
    assert (table[suggestion] == "(空)").any()


def test_pii_in_open_text_is_valid_and_counted(raw_file, truth):
    from analysis.pii import find_pii, is_valid_id_number

    table = pd.read_csv(raw_file, encoding="gb18030", dtype=str, keep_default_na=False)
    text = table[next(c for c in table.columns if c.startswith("20、"))]
    ids = text.str.extract(r"(\d{17}[\dX])")[0].dropna()
    assert len(ids) == truth["dirt"]["counts"]["pii_id_number"]
    assert all(is_valid_id_number(i) for i in ids)
    kinds = pd.Series([m.kind for t in text for m in find_pii(t)]).value_counts()
    assert kinds.get("mobile", 0) == truth["dirt"]["counts"]["pii_mobile"]
    assert kinds.get("id_number", 0) == truth["dirt"]["counts"]["pii_id_number"]


def test_id_number_check_character_matches_the_standard():
    # GB 11643-1999 examples quoted in domain.md section 6.
    assert id_number("110105", "19491231", 2) == "11010519491231002X"
    assert id_number("440524", "18800101", 1) == "440524188001010014"


# ------------------------------------------------------- ingest and clean
def test_load_wave_reads_every_question(wave):
    data = wave.data
    assert len(data) == 4000
    assert wave.source.encoding == "gb18030"
    assert wave.source.mode == "text"
    for col in wave.codebook.columns():
        assert col in data.columns, col
    assert data["channels_tv_radio_print"].notna().all()
    assert data["premium_dc_bid1"].isin([5.0, 10.0, 20.0, 30.0]).all()
    status = data["purchase_count__missing"]
    routed = data["purchased"] == "no"
    assert (status[routed] == "skipped").all()
    assert data.loc[routed, "purchase_count"].isna().all()
    assert status[~routed].dropna().tolist() == ["invalid:记不清了"] * 3
    assert (data["purchase_count"] > 100).sum() == 8  # 999, 365, 1000: left for clean


def test_screening_finds_exactly_the_injected_dirt(cleaned, truth):
    counts = truth["dirt"]["counts"]
    expected = {"speeder": counts["speeders"], "attention_check": counts["attention_failures"],
                "straightlining": counts["straightliners"]
                + truth["screening_expectations"]["natural_straightliners"],
                "duplicate_answers": counts["repeat_submissions"]}
    excluded = cleaned.excluded
    got = excluded["rule"].value_counts().to_dict()
    assert {k: int(v) for k, v in got.items()} == expected
    ids = truth["dirt"]["ids"]
    by_rule = excluded.groupby("rule")["respondent_id"].apply(lambda s: sorted(map(int, s)))
    assert by_rule["speeder"] == ids["speeders"]
    assert by_rule["attention_check"] == ids["attention_failures"]
    assert by_rule["duplicate_answers"] == ids["repeat_submissions"]
    audit = cleaned.audit
    assert (audit["rule"] == "out_of_range").sum() == counts["out_of_range_counts"]
    assert (audit["rule"] == "invalid_code").sum() == counts["counts_not_a_number"]
    pii = counts["pii_mobile"] + counts["pii_id_number"] + counts["pii_wechat"] + \
        counts["pii_other_text_mobile"]
    assert (audit["rule"] == "pii_text").sum() == pii
    shared = audit[audit["rule"] == "duplicate_ip"]
    assert shared["respondent_id"].nunique() == truth["screening_expectations"][
        "rows_sharing_an_ip"]


def test_dirt_groups_are_disjoint(truth):
    ids = truth["dirt"]["ids"]
    groups = ["speeders", "attention_failures", "straightliners", "repeat_submissions"]
    seen: set[int] = set()
    for g in groups:
        assert not seen & set(ids[g]), g
        seen |= set(ids[g])
    assert len(seen) == sum(truth["dirt"]["counts"][k] for k in (
        "speeders", "attention_failures", "straightliners", "repeat_submissions"))


def test_price_questions_match_their_population_distributions(raked, truth):
    w = raked.weights
    data = raked.data

    def share(mask: np.ndarray) -> float:
        return float(np.sum(w * mask) / w.sum())

    for question, expected in (("premium_card", truth["premium_card"]["population_share"]),
                               ("secondhand", truth["secondhand"]["population_share"])):
        answers = data[question].astype("string").to_numpy()
        for key, p in expected.items():
            assert share(answers == key) == pytest.approx(p, abs=0.035), (question, key)
    bid = data["premium_dc_bid1"].to_numpy()
    yes = data["premium_dc_ans1"].astype("float64").to_numpy()
    for b, p in truth["premium_dc"]["population_yes_at_initial_bid"].items():
        at = bid == float(b)
        assert np.sum(w[at] * yes[at]) / w[at].sum() == pytest.approx(p, abs=0.05), b


def test_population_expectations_need_population_cells():
    # Drawn respondents carry no population mass: a clear error, not numpy's TypeError on None.
    from analysis.errors import SurveyError
    from analysis.synth.model import calibrate, draw_demographics

    drawn = draw_demographics(np.random.default_rng(1), 50)
    with pytest.raises(SurveyError, match="no population weights"):
        calibrate(drawn)
