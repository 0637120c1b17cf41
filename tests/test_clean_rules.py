"""Unit tests of each cleaning rule, through clean() and through the rule functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_clean_helpers import LIKERT, make_codebook, make_frame

from analysis.cleaning.cleaner import clean
from analysis.cleaning.screening import (
    FUNNEL_ORDER,
    RULES,
    detect_psm,
    longest_run,
    submission_order,
)
from analysis.codebook import Screening
from analysis.errors import DataQualityWarning, DuplicateIdError, SurveyError


def _rows(result, rule):
    return result.audit[result.audit["rule"] == rule].reset_index(drop=True)


def _set(frame, row, **values):
    for col, value in values.items():
        frame.loc[row, col] = value
    return frame


# ------------------------------------------------------------------ registry
def test_registry_order_is_fixed():
    assert FUNNEL_ORDER == ("duplicate_id", "speeder", "attention_check", "straightlining",
                            "duplicate_answers", "duplicate_ip", "bid_sequence", "price_order")
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert ids.index("routing") < ids.index("duplicate_id") < ids.index("pii_text")


# -------------------------------------------------------------- value rules
def test_invalid_code_from_ingest_status_is_set_missing_not_excluded():
    frame = make_frame()
    frame["gender__missing"] = pd.array([None] * len(frame), dtype="string")
    _set(frame, 2, gender=np.nan, gender__missing="invalid:9")
    res = clean(frame)
    rows = _rows(res, "invalid_code")
    assert len(rows) == 1
    assert rows.loc[0, ["respondent_id", "action", "question", "old_value"]].tolist() == [
        "r002", "set_missing", "gender", "9"]
    assert res.n_kept == len(frame)
    kept = res.data.set_index("respondent_id")
    assert kept.loc["r002", "gender__missing"] == "invalid"
    assert pd.isna(kept.loc["r002", "gender"])


def test_invalid_raw_value_holding_a_phone_number_is_masked_everywhere():
    frame = make_frame()
    frame["gender__missing"] = pd.array([None] * len(frame), dtype="string")
    _set(frame, 1, gender=np.nan, gender__missing="invalid:13812345678")
    res = clean(frame)
    assert "13812345678" not in res.audit.to_csv()
    assert "13812345678" not in res.data.to_csv()
    assert _rows(res, "invalid_code").loc[0, "old_value"] == "[mobile]"


def test_categorical_value_outside_the_options_is_invalid():
    frame = make_frame()
    frame["gender"] = frame["gender"].astype(object)
    frame.loc[3, "gender"] = "robot"
    res = clean(frame)
    rows = _rows(res, "invalid_code")
    assert rows[["respondent_id", "column", "old_value"]].values.tolist() == [
        ["r003", "gender", "robot"]]
    assert pd.isna(res.data.loc[3, "gender"])
    assert res.data.loc[3, "gender__missing"] == "invalid"


def test_stray_category_on_a_grid_item_is_invalid_and_order_is_kept():
    frame = make_frame()
    frame["g_b"] = frame["g_b"].cat.add_categories(["l9"])
    frame.loc[5, "g_b"] = "l9"
    res = clean(frame)
    rows = _rows(res, "invalid_code")
    assert rows[["respondent_id", "column", "old_value"]].values.tolist() == [
        ["r005", "g_b", "l9"]]
    assert list(res.data["g_b"].cat.categories) == LIKERT
    assert res.data["g_b"].cat.ordered
    assert pd.isna(res.data.loc[5, "g_b"])


def test_out_of_range_numeric_is_set_missing_with_old_value():
    frame = _set(make_frame(), 4, age=200.0)
    res = clean(frame)
    rows = _rows(res, "out_of_range")
    assert rows.loc[0, ["respondent_id", "old_value", "action"]].tolist() == [
        "r004", "200", "set_missing"]
    assert "[18, 80]" in rows.loc[0, "reason"]
    assert np.isnan(res.data.loc[4, "age"])
    assert res.data.loc[4, "age__missing"] == "out_of_range"
    assert res.data["age"].drop(index=4).notna().all()


def test_routing_violation_clears_answers_and_chained_questions():
    frame = make_frame()
    # r001 said "no" to buy but answered why (quality) and how, which hang on it.
    _set(frame, 1, why_price=False, why_quality=True, why_other=False, why__missing=None,
         how="store", how__missing=None)
    res = clean(frame)
    rows = _rows(res, "routing")
    assert rows["question"].tolist() == ["why", "how"]
    assert (rows["respondent_id"] == "r001").all()
    assert "why_quality=True" in rows.loc[0, "old_value"]
    kept = res.data.set_index("respondent_id").loc["r001"]
    assert kept[["why_price", "why_quality", "why_other", "how"]].isna().all()
    assert kept["why__missing"] == "not_asked"
    assert kept["how__missing"] == "not_asked"
    # Respondents routed correctly are untouched.
    assert res.data.loc[0, "how"] == "online"


def test_routing_warns_when_the_source_column_is_absent():
    frame = make_frame().drop(columns=["buy"])
    with pytest.warns(DataQualityWarning, match="routing of why"):
        res = clean(frame)
    assert res.n_kept == len(frame)


# -------------------------------------------------------------- speeders
def test_speeder_is_excluded_with_median_and_threshold_in_reason():
    frame = _set(make_frame(), 5, duration_s=60.0)
    res = clean(frame)
    assert res.excluded[["respondent_id", "rule"]].values.tolist() == [["r005", "speeder"]]
    median = float(np.median(frame["duration_s"]))
    reason = res.excluded.loc[0, "reason"]
    assert f"median {median:.0f} s" in reason
    assert f"{median / 3:.0f} s" in reason


def test_speeder_overrides_beat_the_codebook():
    frame = make_frame()  # durations 300..390
    assert clean(frame).n_excluded == 0
    res = clean(frame, speeder_fraction=0.99)  # median 345 -> cutoff 341.6
    assert res.n_excluded == 5
    assert clean(frame, min_seconds=320).n_excluded == 2
    flagged = clean(frame, min_seconds=320, speeders="flag")
    assert flagged.n_excluded == 0
    assert flagged.flags["speeder"].sum() == 2
    off = clean(frame, min_seconds=320, speeders="off")
    assert "speeder" not in off.hits.columns
    assert off.funnel().set_index("rule").loc["speeder", "action"] == "off"


def test_missing_duration_is_never_a_speeder_and_absent_column_warns():
    frame = _set(make_frame(), 0, duration_s=np.nan)
    assert clean(frame).n_excluded == 0
    with pytest.warns(DataQualityWarning, match="duration_s"):
        clean(make_frame().drop(columns=["duration_s"]))


def test_bad_override_is_a_typed_error():
    with pytest.raises(SurveyError, match="fraction_of_median"):
        clean(make_frame(), speeder_fraction=1.5)
    with pytest.raises(SurveyError, match="`speeders` must be one of"):
        clean(make_frame(), speeders="drop")
    with pytest.raises(SurveyError, match="ids"):
        clean(make_frame(), duplicates={"ids": "ignore"})


# ------------------------------------------------------------ straightlining
def test_longest_run_matches_a_brute_force_count(rng):
    codes = rng.integers(-1, 3, size=(200, 7))
    expected = []
    for row in codes:
        best = cur = 0
        prev = None
        for v in row:
            cur = cur + 1 if (v >= 0 and v == prev) else (1 if v >= 0 else 0)
            prev = v if v >= 0 else None
            best = max(best, cur)
        expected.append(best)
    np.testing.assert_array_equal(longest_run(codes), expected)
    np.testing.assert_array_equal(longest_run(np.array([[2, 2, -1, 2], [-1, -1, -1, -1]])), [2, 0])


def test_straightlining_all_identical_requires_every_item():
    frame = make_frame()
    _set(frame, 2, g_a="l3", g_b="l3", g_c="l3", g_d="l3")
    _set(frame, 3, g_a=np.nan, g_b="l3", g_c="l3", g_d="l3")
    res = clean(frame)
    assert res.excluded["respondent_id"].tolist() == ["r002"]
    assert "4 consecutive of 4 items" in res.excluded.loc[0, "reason"]


def test_straightlining_min_run():
    cb = make_codebook({"straightlining": [{"grid": "g", "min_run": 3, "action": "flag"}]})
    frame = make_frame(codebook=cb)
    _set(frame, 1, g_a="l1", g_b="l3", g_c="l3", g_d="l3")   # run of 3
    _set(frame, 2, g_a="l3", g_b="l3", g_c="l1", g_d="l3")   # longest run 2
    res = clean(frame, codebook=cb)
    assert res.n_excluded == 0
    assert res.data.loc[res.flags["straightlining"], "respondent_id"].tolist() == ["r001"]


def test_straightlining_on_absent_grid_is_an_error():
    frame = make_frame().drop(columns=["g_b"])
    with pytest.raises(SurveyError, match="g_b"):
        clean(frame)


# --------------------------------------------------------- attention checks
def test_attention_check_fails_on_wrong_and_missing_answers():
    frame = make_frame()
    frame["att__missing"] = pd.array([None] * len(frame), dtype="string")
    _set(frame, 1, att="l2")
    _set(frame, 2, att=np.nan, att__missing="skipped")
    _set(frame, 3, att=np.nan, att__missing="not_asked")  # routed away: not a failure
    res = clean(frame)
    assert res.excluded["respondent_id"].tolist() == ["r001", "r002"]
    assert res.excluded["rule"].eq("attention_check").all()
    assert "answered 'l2'" in res.excluded.loc[0, "reason"]
    assert "did not answer attention check att" in res.excluded.loc[1, "reason"]


def test_attention_check_maps_several_correct_codes_to_keys():
    cb = make_codebook({"attention_checks": [{"question": "att", "correct": [4, 5],
                                              "action": "flag"}]})
    frame = make_frame(codebook=cb)
    _set(frame, 0, att="l5")
    _set(frame, 1, att="l1")
    res = clean(frame, codebook=cb)
    assert res.n_excluded == 0
    assert res.flags["attention_check"].tolist() == [False, True] + [False] * 8


# --------------------------------------------------------------- duplicates
def test_duplicate_ids_error_lists_ids_and_source_rows():
    cb = make_codebook({"duplicates": {"ids": "error"}})
    frame = make_frame(codebook=cb)
    _set(frame, 6, respondent_id="r002")
    with pytest.raises(DuplicateIdError, match="r002") as err:
        clean(frame, codebook=cb)
    assert err.value.details["source_rows"] == [3, 7]
    assert "duplicates" in err.value.hint


def test_duplicate_ids_exclude_keeps_the_first_submission():
    frame = make_frame()
    # Row 7 repeats r002's id but was submitted *before* it.
    _set(frame, 7, respondent_id="r002", submitted_at=pd.Timestamp("2024-02-01"))
    res = clean(frame)
    assert res.excluded[["source_row", "rule"]].values.tolist() == [[3, "duplicate_id"]]
    assert "source row 8" in res.excluded.loc[0, "reason"]
    assert submission_order(frame)[0] == 7


def test_duplicate_ids_flag_flags_every_copy():
    frame = _set(make_frame(), 7, respondent_id="r002")
    res = clean(frame, duplicates={"ids": "flag"})
    assert res.n_excluded == 0
    assert res.data.loc[res.flags["duplicate_id"], "source_row"].tolist() == [3, 8]


def test_identical_answer_vectors_exclude_later_copy_only():
    frame = make_frame()
    answers = [c for c in frame.columns if c not in (
        "respondent_id", "source_row", "duration_s", "submitted_at", "ip_hash", "comment")]
    frame.loc[9, answers] = frame.loc[4, answers].to_numpy()
    frame.loc[9, "comment"] = "a different comment does not matter"
    res = clean(frame, duplicates={"answers": "exclude"})
    assert res.excluded[["respondent_id", "rule"]].values.tolist() == [
        ["r009", "duplicate_answers"]]
    assert "respondent r004" in res.excluded.loc[0, "reason"]
    flagged = clean(frame)  # default: flag every copy
    assert flagged.n_excluded == 0
    assert flagged.data.loc[flagged.flags["duplicate_answers"], "respondent_id"].tolist() == [
        "r004", "r009"]


def test_blank_rows_are_not_duplicates_of_each_other():
    frame = make_frame()
    answers = [c for c in frame.columns if c not in (
        "respondent_id", "source_row", "duration_s", "submitted_at", "ip_hash")]
    frame.loc[[3, 5], answers] = np.nan
    cb = make_codebook({"duplicates": {"ids": "exclude", "answers": "exclude"}})
    res = clean(frame, codebook=cb)
    assert "duplicate_answers" not in set(res.excluded["rule"])


def test_shared_ip_is_flagged_by_default_and_excludable():
    frame = _set(make_frame(), 8, ip_hash="ip0001")
    res = clean(frame)
    assert res.n_excluded == 0
    assert res.data.loc[res.flags["duplicate_ip"], "respondent_id"].tolist() == ["r001", "r008"]
    res = clean(frame, duplicates={"ip": "exclude"})
    assert res.excluded["respondent_id"].tolist() == ["r008"]


# ------------------------------------------------------------- consistency
def test_bid_sequence_violations():
    frame = make_frame()
    _set(frame, 0, bid_bid1=20.0, bid_ans1=True, bid_bid2=10.0)   # yes, then lower
    _set(frame, 1, bid_bid1=10.0, bid_ans1=False, bid_bid2=20.0)  # no, then higher
    res = clean(frame)
    assert res.excluded[["respondent_id", "rule"]].values.tolist() == [
        ["r000", "bid_sequence"], ["r001", "bid_sequence"]]
    assert "not above the first bid 20 after a yes" in res.excluded.loc[0, "reason"]
    assert "not below the first bid 10 after a no" in res.excluded.loc[1, "reason"]
    assert clean(frame, consistency="flag").n_excluded == 0


def test_van_westendorp_order():
    cb = make_codebook()
    assert detect_psm(cb) == (("psm_too_cheap", "psm_cheap", "psm_expensive",
                               "psm_too_expensive"),)
    frame = make_frame()
    _set(frame, 2, psm_cheap=50.0)                      # cheap > expensive
    _set(frame, 3, psm_cheap=np.nan, psm_too_cheap=35.0)  # too_cheap > expensive, cheap skipped
    _set(frame, 4, psm_cheap=24.0, psm_expensive=24.0)  # ties are allowed
    res = clean(frame)
    assert res.excluded["respondent_id"].tolist() == ["r002", "r003"]
    assert res.excluded["rule"].eq("price_order").all()
    assert "psm_cheap 50 > psm_expensive 32" in res.excluded.loc[0, "reason"]
    # An explicit psm= replaces detection.
    assert clean(frame, psm=[]).n_excluded == 0


# --------------------------------------------------- funnel order / overlaps
def test_first_rule_in_funnel_order_wins_but_every_hit_is_audited():
    frame = _set(make_frame(), 6, duration_s=30.0, att="l1")
    res = clean(frame)
    assert res.excluded[["respondent_id", "rule"]].values.tolist() == [["r006", "speeder"]]
    rules = _rows(res, "speeder")["respondent_id"].tolist() + _rows(
        res, "attention_check")["respondent_id"].tolist()
    assert rules == ["r006", "r006"]
    assert res.hits.loc[6, ["speeder", "attention_check"]].tolist() == [True, True]
    funnel = res.funnel().set_index("rule")
    assert funnel.loc["speeder", "excluded"] == 1
    assert funnel.loc["attention_check", "excluded"] == 0


def test_screening_argument_replaces_codebook_rules():
    frame = _set(make_frame(), 1, att="l1")
    res = clean(frame, screening=Screening(speeders=None))
    assert res.n_excluded == 0
    assert list(res.hits.columns) == ["duplicate_id", "duplicate_answers", "duplicate_ip",
                                      "bid_sequence", "price_order"]
    actions = res.funnel().set_index("rule")["action"]
    assert actions[["duplicate_id", "speeder", "attention_check"]].tolist() == [
        "error", "off", "off"]


def test_grid_item_values_keep_likert_order():
    frame = make_frame()
    res = clean(frame)
    assert list(res.data["g_a"].cat.categories) == LIKERT
    assert res.data["g_a"].cat.ordered


def test_attention_check_on_one_grid_row_and_explicit_psm_roles():
    """Codebook `item:` targets a grid row; `psm:` roles define a Van Westendorp set."""
    import pandas as pd

    from analysis.cleaning.cleaner import clean
    from analysis.codebook import Codebook

    scale = [{"code": c, "name": f"s{c}", "label": f"{c}分"} for c in range(1, 6)]
    cb = Codebook.model_validate({
        "wave": "t", "title": "t",
        "questions": [
            {"id": "att", "type": "grid", "label": "态度", "options": scale,
             "items": [{"id": "a1", "label": "甲"}, {"id": "check", "label": "本行请选4分"}]},
            *[{"id": f"p{i}", "type": "numeric", "label": r, "psm": r}
              for i, r in enumerate(["too_cheap", "cheap", "expensive", "too_expensive"])],
        ],
        "screening": {"speeders": None, "duplicates": {"ids": "exclude"},
                      "attention_checks": [{"question": "att", "item": "check", "correct": [4]}]},
    })
    cat = pd.CategoricalDtype([f"s{c}" for c in range(1, 6)], ordered=True)
    data = pd.DataFrame({
        "respondent_id": ["1", "2", "3"], "source_row": [2, 3, 4],
        "att_a1": pd.Series(["s1", "s2", "s3"], dtype=cat),
        "att_check": pd.Series(["s4", "s5", "s4"], dtype=cat),
        "p0": [1.0, 1.0, 5.0], "p1": [2.0, 2.0, 4.0], "p2": [3.0, 3.0, 3.0], "p3": [4.0, 4.0, 2.0],
    })
    res = clean(data, cb)
    assert res.excluded.set_index("respondent_id")["rule"].to_dict() == {
        "2": "attention_check", "3": "price_order"}
    assert res.n_in == res.n_kept + res.n_excluded == 3


# ------------------------------------------------ codebook constraints (issue 11)
def _constrained_codebook():
    spec = make_codebook().model_dump(exclude={"path"})
    questions = {q["id"]: q for q in spec["questions"]}
    questions["age"]["integer"] = True
    questions["why"]["max_choices"] = 2
    questions["why"]["options"][2]["exclusive"] = True  # "other" stands for "none of these" here
    questions["how"]["show_if"] = {"buy": {"not": [2]}}
    from analysis.codebook import Codebook

    return Codebook.model_validate(spec)


def test_integer_exclusive_and_max_choices_are_enforced_with_the_rule_named():
    cb = _constrained_codebook()
    frame = make_frame(codebook=cb)
    _set(frame, 0, age=25.5)
    _set(frame, 2, why_price=True, why_quality=False, why_other=True)   # exclusive + another
    _set(frame, 6, why_price=True, why_quality=True, why_other=True)    # 3 > max_choices 2
    res = clean(frame, cb)
    assert _rows(res, "not_integer")["old_value"].tolist() == ["25.5"]
    assert _rows(res, "not_integer")["respondent_id"].tolist() == ["r000"]
    excl = _rows(res, "exclusive")
    assert excl["respondent_id"].tolist() == ["r002", "r006"]
    assert excl.loc[0, "old_value"] == "price, other"
    assert "exclusive option (other)" in excl.loc[0, "reason"]
    assert _rows(res, "max_choices")["respondent_id"].tolist() == ["r006"]
    data = res.data.set_index("respondent_id")
    assert pd.isna(data.loc["r000", "age"])
    assert data.loc["r000", "age__missing"] == "invalid"
    assert data.loc[["r002", "r006"], ["why_price", "why_quality", "why_other"]].isna().all().all()
    assert (data.loc[["r002", "r006"], "why__missing"] == "invalid").all()
    assert res.n_kept == len(frame)  # value rules never exclude


def test_negated_routing_condition_in_clean():
    cb = _constrained_codebook()
    frame = make_frame(codebook=cb)
    _set(frame, 1, how="store", how__missing=None)  # buy == no, so how is hidden
    res = clean(frame, cb)
    rows = _rows(res, "routing")
    assert rows["respondent_id"].tolist() == ["r001"]
    assert "buy not in [2]" in rows.loc[0, "reason"]
    assert res.data.loc[1, "how__missing"] == "not_asked"
    assert res.data.loc[0, "how"] == "online"


def test_invalid_part_of_a_multiple_choice_clears_the_whole_answer():
    frame = make_frame()
    _set(frame, 0, why__missing="invalid:2")
    res = clean(frame)
    assert res.data.loc[0, ["why_price", "why_quality", "why_other"]].isna().all()
    assert res.data.loc[0, "why__missing"] == "invalid"
