"""Values in real export formats: nothing lost, nothing wrong accepted without a word (issue 11).

Each test writes an export the way the platform does (问卷星 code mode,
Qualtrics CSV with display logic, SPSS .sav and Stata .dta via pyreadstat)
and asserts the exact decoded values, missing statuses and the load-time
warnings (or the strict-mode error).
"""

from __future__ import annotations

import csv
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.codebook import Codebook, Condition, load_codebook
from analysis.errors import (
    CodebookError,
    CoercedValueWarning,
    ColumnMismatchError,
    ConstraintWarning,
    DataValueError,
    ExportMetadataWarning,
    IngestWarning,
    InvalidValueWarning,
    MetadataWarning,
    RoutingWarning,
    UnavailableDataWarning,
)
from analysis.ingest import load_wave, read_export


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "test-salt")


def _codebook(tmp_path, text: str):
    path = tmp_path / "survey.yaml"
    path.write_text(text, encoding="utf-8")
    return load_codebook(path)


def _l(series) -> list:
    """Values with every missing marker as None (None does not compare in lists)."""
    return [None if pd.isna(v) else v for v in series.tolist()]


def _read(path, cb, **kw):
    """read_export, returning (frame, source, {warning class: [warnings]})."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d, src = read_export(path, cb, salt="s", **kw)
    found: dict[type, list] = {}
    for w in caught:
        if isinstance(w.message, IngestWarning):
            found.setdefault(type(w.message), []).append(w.message)
    return d, src, found


# ------------------------------------------------------------------ 问卷星 code mode
WJX = """\
wave: w
title: t
respondent: {id: 序号, duration: 所用时间, submitted: 提交答卷时间}
questions:
  - id: gender
    type: single
    label: 性别
    source: 1
    options: [{code: 1, name: male, label: 男}, {code: 2, name: female, label: 女}]
  - id: use
    type: multiple
    label: 用过
    source: 2
    max_choices: 2
    options:
      - {code: 1, name: a, label: A}
      - {code: 2, name: b, label: B}
      - {code: 3, name: none, label: 都没有, exclusive: true}
      - {code: 4, name: other, label: 其他, other: true}
  - id: age
    type: numeric
    label: 年龄
    source: 3
    unit: 岁
    range: [16, 99]
  - id: kids
    type: numeric
    label: 孩子数
    source: 4
    integer: true
  - id: rank
    type: ranking
    label: 排序
    source: 5
    options: [{code: 1, name: x, label: X}, {code: 2, name: y, label: Y},
              {code: 3, name: z, label: Z}]
"""
WJX_HEADERS = ["序号", "提交答卷时间", "所用时间", "1、性别", "第2题(A)", "第2题(B)", "第2题(都没有)",
               "第2题(其他)", "3、年龄", "4、孩子数", "第5题(X)", "第5题(Y)", "第5题(Z)"]
WJX_ROWS = [
    [1, "2022/11/01 10:00:00", "235秒", 1, 1, 0, 0, 0, "25岁", 1, 1, 2, 3],
    [2, "2022/11/01 10:05:00", "3分12秒", 2, 2, 0, 0, 1, "二十", 2.5, 1, 1, 2],
    [3, "-1", "abc", 7, 1, 1, 1, 0, "10%", 0, -2, -2, -2],
    [4, "2022/11/02 09:00:00", "60秒", -5, 0, 0, 1, 0, "150", 3, 3, 1, 2],
    [5, "not a date", "45", 18446744073709551617, 1, 1, 0, 1, "9" * 40, 1, 2, 1, -2],
]


def _wjx(tmp_path, rows=WJX_ROWS, survey=WJX):
    path = tmp_path / "1_按序号_t_5_5.csv"
    pd.DataFrame(rows, columns=WJX_HEADERS).to_csv(path, index=False, encoding="utf-8")
    return path, _codebook(tmp_path, survey)


def test_wjx_code_mode_values_and_load_time_warnings(tmp_path):
    path, cb = _wjx(tmp_path)
    d, src, found = _read(path, cb)
    assert src.mode == "code"
    # undefined code 7, undeclared special code -5 and a 20-digit code are invalid, not answers
    assert _l(d["gender"]) == ["male", "female", None, None, None]
    assert _l(d["gender__missing"]) == [None, None, "invalid:7", "invalid:-5",
                                             "invalid:18446744073709551617"]
    # a selection cell holding 2 is invalid, never "selected" nor "not selected"
    assert d["use__missing"].iloc[1] == "invalid:2"
    assert _l(d["use_a"])[2:] == [True, False, True]
    # 25岁 with unit 岁 is 25; 二十 and 10% are not numbers; 150 and 1e40 are kept (out of range)
    assert _l(d["age"])[0] == 25.0
    assert _l(d["age__missing"]) == [None, "invalid:二十", "invalid:10%", None, None]
    assert _l(d["age"])[3:] == [150.0, 1e40]
    # a tie at rank 1 is invalid (never silently broken); -2 everywhere = skipped
    assert _l(d["rank__missing"])[1:3] == ["invalid:x=1;y=1;z=2", "skipped"]
    assert _l(d["rank_x"]) == [1, 1, None, 3, 2]
    # durations: units read as seconds and reported in the source notes; abc is NaN
    assert _l(d["duration_s"])[:2] == [235.0, 192.0]
    assert np.isnan(d["duration_s"].iloc[2])
    assert any("3分12秒" in n and "192" in n for n in src.notes)
    # -1 and free text as submit time: NaT, not OutOfBoundsDatetime
    assert d["submitted_at"].isna().tolist() == [False, False, True, False, True]

    invalid = " ".join(str(w) for w in found[InvalidValueWarning])
    assert len(found[InvalidValueWarning]) == 1  # one warning per kind
    assert "negative special code not declared" in invalid
    assert "row 4 '-5'" in invalid
    assert "not 0/1" in invalid
    assert "'2'" in invalid
    assert "not a number" in invalid
    assert "'二十'" in invalid
    assert "'10%'" in invalid
    assert "x=1;y=1;z=2" in invalid
    assert found[InvalidValueWarning][0].count == 7
    constraint = str(found[ConstraintWarning][0])
    assert "outside the valid range [16, 99]" in constraint
    assert "row 4 '150.0'" in constraint
    assert "not a whole number" in constraint
    assert "row 2 '2.5'" in constraint
    assert "exclusive option (none)" in constraint
    assert "row 3" in constraint
    assert "max_choices = 2" in constraint
    meta = str(found[MetadataWarning][0])
    assert "'abc'" in meta
    assert "'-1'" in meta
    assert "'not a date'" in meta
    # code mode carries no other-text: unavailable, said once
    assert len(found[UnavailableDataWarning]) == 1
    assert _l(d["use_other_text__missing"]) == [None, "unavailable", None, None,
                                                     "unavailable"]
    assert d["use_other_text"].isna().all()


def test_wjx_strict_mode_refuses_with_a_typed_error(tmp_path):
    path, cb = _wjx(tmp_path)
    with pytest.raises(DataValueError) as info:
        read_export(path, cb, salt="s", strict=True)
    err = info.value
    assert err.file == str(path)
    kinds = {i["kind"] for i in err.details["issues"]}
    assert {"InvalidValueWarning", "ConstraintWarning", "MetadataWarning"} <= kinds
    assert "UnavailableDataWarning" not in kinds  # a limit of the download, not an error
    strict_cb = _codebook(tmp_path, WJX + "strict: true\n")
    with pytest.raises(DataValueError):
        read_export(path, strict_cb, salt="s")
    # strict=False overrides the codebook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d, _ = read_export(path, strict_cb, salt="s", strict=False)
    assert len(d) == 5


def test_clean_wave_loads_without_ingest_warnings(tmp_path):
    rows = [r[:3] + [1, 1, 0, 0, 0, "25", 1, 1, 2, 3] for r in WJX_ROWS]
    for r in rows:
        r[1], r[2] = "2022/11/01 10:00:00", "100秒"
    path, cb = _wjx(tmp_path, rows)
    _, _, found = _read(path, cb)
    assert set(found) == set()  # no other option chosen: nothing unavailable either


def test_huge_and_infinite_cells_never_raise(tmp_path):
    rows = [list(r) for r in WJX_ROWS]
    rows[0][3] = 10 ** 20
    rows[1][3] = "1" + "0" * 400
    rows[0][9] = "1.7e308"
    rows[1][9] = "1e309"
    path, cb = _wjx(tmp_path, rows)
    d, _, _ = _read(path, cb)
    assert d["gender__missing"].iloc[0] == "invalid:100000000000000000000"
    assert d["kids"].iloc[0] == 1.7e308
    assert d["kids__missing"].iloc[1] == "invalid:1e309"


# ------------------------------------------------------------------ Qualtrics
QUALTRICS = """\
wave: q
title: t
questions:
  - id: owns
    type: single
    label: 有车
    source: {qualtrics: QID1, wjx: 1, spss: q1}
    options: [{code: 1, name: owner, label: 有}, {code: 2, name: none, label: 没有}]
  - id: brands
    type: multiple
    label: 品牌
    source: {qualtrics: QID2, wjx: 2}
    show_if: {owns: [1]}
    options:
      - {code: 1, name: byd, label: BYD}
      - {code: 2, name: tesla, label: Tesla}
      - {code: 4, name: other, label: 其他, other: true}
  - id: why_not
    type: text
    label: 为什么
    source: [QID9, QID3]
    show_if: {owns: {not: [1]}}
"""
META_TAGS = ["StartDate", "EndDate", "Status", "Duration (in seconds)", "ResponseId"]
META_IDS = ["startDate", "endDate", "status", "duration", "_recordId"]


def _qualtrics(answers, tags=None):
    tags = tags or ["Q1", "Q2_1", "Q2_2", "Q2_4", "Q2_4_TEXT", "Q3"]
    ids = [{"ImportId": "QID1"}, {"ImportId": "QID2", "choiceId": "1"},
           {"ImportId": "QID2", "choiceId": "2"}, {"ImportId": "QID2", "choiceId": "4"},
           {"ImportId": "QID2_4_TEXT"}, {"ImportId": "QID3_TEXT"}]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(META_TAGS + tags)
    w.writerow(META_TAGS + ["有车", "品牌 - BYD", "品牌 - Tesla", "品牌 - 其他",
                            "品牌 - 其他 - Text", "为什么"])
    w.writerow([json.dumps({"ImportId": i}) for i in META_IDS] + [json.dumps(i) for i in ids])
    for i, row in enumerate(answers):
        w.writerow(["2023-03-01 10:00:00", "2023-03-01 10:05:00", "IP Address", str(300 + i),
                    f"R_{i}"] + row)
    return out.getvalue()


ROUTED = [
    ["1", "1", "", "1", "蔚来", ""],      # shown, answered
    ["2", "", "", "", "", "太贵"],        # hidden by display logic: not asked
    ["1", "", "", "", "", ""],            # shown, blank: blank (and reported)
    ["2", "1", "", "", "", "没钱"],       # answered although hidden
    ["", "", "", "", "", ""],             # owns blank: brands hidden, why_not shown
]


def test_qualtrics_display_logic_split_choice_ids_and_platform_sources(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(_qualtrics(ROUTED), encoding="utf-8")
    cb = _codebook(tmp_path, QUALTRICS)
    d, src, found = _read(path, cb)
    assert src.platform == "qualtrics"
    assert _l(d["owns"]) == ["owner", "none", "owner", "none", None]
    assert _l(d["brands_byd"]) == [True, None, None, True, None]
    assert _l(d["brands_other"]) == [True, None, None, False, None]
    assert _l(d["brands_other_text"]) == ["蔚来", None, None, None, None]
    assert _l(d["brands__missing"]) == [None, "not_asked", "blank", None, "not_asked"]
    # `not: [1]` holds for a blank owns: why_not was shown to row 5, so its blank is blank
    assert _l(d["why_not"]) == [None, "太贵", None, "没钱", None]
    assert _l(d["why_not__missing"]) == ["not_asked", None, "not_asked", None, "blank"]
    assert src.column_map["Q2_4"] == "brands_other"
    routing = str(found[RoutingWarning][0])
    assert "answered although hidden by show_if (owns in [1])" in routing
    assert "row 4" in routing
    assert "blank although shown by show_if (owns in [1])" in routing
    assert "row 3" in routing
    assert "why_not" in routing
    assert "row 5" in routing


def test_qualtrics_repeated_export_tags(tmp_path):
    path = tmp_path / "export.csv"
    tags = ["Q1", "Q2", "Q2", "Q2", "Q2_4_TEXT", "Q3"]
    path.write_text(_qualtrics(ROUTED, tags), encoding="utf-8")
    cb = _codebook(tmp_path, QUALTRICS)
    d, _, found = _read(path, cb)
    assert d["brands_byd"].tolist()[0] is True
    assert "'Q2' in columns [7, 8, 9]" in str(found[ExportMetadataWarning][0])
    by_tag = _codebook(tmp_path, QUALTRICS.replace("{qualtrics: QID2, wjx: 2}", "Q2"))
    text = _qualtrics(ROUTED, tags)
    for k in (1, 2, 4):  # ImportId = tag: the columns are known by their (repeated) tag only
        text = text.replace(f'{{""ImportId"": ""QID2"", ""choiceId"": ""{k}""}}', '{""ImportId"": ""Q2""}')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ColumnMismatchError, match="export tag"):
        read_export(path, by_tag, salt="s")


# ------------------------------------------------------------------ SPSS / Stata
STAT = """\
wave: s
title: t
questions:
  - id: gender
    type: single
    label: 性别
    source: {spss: q1, stata: q1}
    missing: {97..99: refused, -1: dont_know}
    options: [{code: 1, name: male, label: 男}, {code: 2, name: female, label: 女}]
  - id: use
    type: multiple
    label: 用过
    source: q5
    other_text: q5_oth
    missing: {.a: not_asked}
    options:
      - {code: 1, name: a, label: A}
      - {code: 2, name: b, label: B}
      - {code: 3, name: other, label: 其他, other: true}
  - id: rank
    type: ranking
    label: 排序
    source: r
    missing: {.a: not_asked, .b: not_ranked}
    options: [{code: 1, name: x, label: X}, {code: 2, name: y, label: Y}]
"""


def test_spss_user_missing_ranges_other_text_and_contradicting_labels(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame({"q1": [1.0, 2.0, 98.0, -1.0, 5.0],
                       "q5_1": [1.0, 0.0, 1.0, 0.0, 0.0], "q5_2": [0.0, 1.0, 0.0, 0.0, 0.0],
                       "q5_3": [1.0, 0.0, 0.0, 1.0, 0.0],
                       "q5_oth": ["骑车", "", "", "123", ""],
                       "r_1": [1.0, 2.0, 1.0, 1.0, 2.0], "r_2": [2.0, 1.0, 2.0, 2.0, 1.0]})
    path = tmp_path / "data.sav"
    pyreadstat.write_sav(df, str(path), missing_ranges={"q1": [{"lo": 97, "hi": 99}]},
                         variable_value_labels={"q1": {1: "女", 2: "男", 98: "拒答"}})
    cb = _codebook(tmp_path, STAT)
    d, src, found = _read(path, cb)
    assert src.platform == "spss"
    assert _l(d["gender"]) == ["male", "female", None, None, None]
    assert _l(d["gender__missing"]) == [None, None, "refused", "dont_know", "invalid:5"]
    assert _l(d["use_other_text"]) == ["骑车", None, None, "123", None]
    assert _l(d["use_other"]) == [True, False, False, True, None]  # all 0 = blank
    labels = str(found[ExportMetadataWarning][0])
    assert "1='女' in the file, 1='男' in the codebook" in labels


def test_stata_extended_missing_values_and_no_value_labels(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    obj = lambda *v: pd.Series(v, dtype=object)  # noqa: E731
    df = pd.DataFrame({"q1": [1.0, 2.0, 1.0, 2.0],
                       "q5_1": obj(1, 0, "a", "c"), "q5_2": obj(0, 1, "a", 0),
                       "q5_3": obj(0, 0, "a", 1), "q5_oth": ["", "", "", "修车"],
                       "r_1": obj(1, "b", "a", 2), "r_2": obj(2, 1, "a", 1)})
    path = tmp_path / "data.dta"
    pyreadstat.write_dta(df, str(path), missing_user_values={
        "q5_1": ["a", "c"], "q5_2": ["a"], "q5_3": ["a"], "r_1": ["a", "b"], "r_2": ["a"]})
    cb = _codebook(tmp_path, STAT)
    d, src, found = _read(path, cb)
    assert src.platform == "stata"
    # .a is "not asked", never "every option selected"; .c is undeclared: invalid
    assert _l(d["use_a"]) == [True, False, None, None]
    assert _l(d["use__missing"]) == [None, None, "not_asked", "invalid:.c"]
    assert _l(d["use_other_text"]) == [None, None, None, "修车"]
    # .b = not ranked: the ranking stays valid with y first
    assert _l(d["rank_x"]) == [1, None, None, 2]
    assert _l(d["rank_y"]) == [2, 1, None, 1]
    assert _l(d["rank__missing"]) == [None, None, "not_asked", None]
    assert "carries no value labels" in str(found[ExportMetadataWarning][0])
    assert "'.c'" in str(found[InvalidValueWarning][0])


# ------------------------------------------------------------------ codebook forms
def test_routing_conditions_parse_and_roundtrip():
    assert Condition.model_validate([1, 2]) == Condition(op="in", values=(1, 2))
    assert Condition.model_validate({"not": [9]}) == Condition(op="not_in", values=(9,))
    assert Condition.model_validate("!= 9") == Condition(op="!=", values=(9,))
    assert Condition.model_validate("not 8, 9") == Condition(op="not_in", values=(8, 9))
    assert Condition.model_validate(">= 18").describe("age") == "age >= 18"
    with pytest.raises(ValueError):
        Condition.model_validate("~ 9")
    cb = Codebook.model_validate({
        "wave": "w", "title": "t", "questions": [
            {"id": "a", "type": "numeric", "label": "a"},
            {"id": "b", "type": "text", "label": "b", "show_if": {"a": ">= 18"},
             "missing": {".a": "not_asked", "97..99": "refused", "-3": "skipped"}}]})
    again = Codebook.model_validate_json(cb.to_json())
    assert again == cb
    assert again.questions[1].missing == {".a": "not_asked", "97..99": "refused", -3: "skipped"}


def test_bad_platform_key_and_unknown_missing_kind_cite_the_line(tmp_path):
    with pytest.raises(CodebookError, match="platforms"):
        _codebook(tmp_path, QUALTRICS.replace("wjx: 1, spss: q1", "wjx: 1, sas: q1"))
    with pytest.raises(CodebookError):
        _codebook(tmp_path, STAT.replace("not_ranked", "gone"))


def test_numeric_comparison_routing_on_a_plain_table(tmp_path):
    cb = _codebook(tmp_path, """\
wave: g
title: t
questions:
  - {id: age, type: numeric, label: 年龄}
  - {id: job, type: text, label: 工作, show_if: {age: ">= 18"}}
""")
    path = tmp_path / "data.csv"
    pd.DataFrame({"respondent_id": [1, 2, 3, 4], "age": [30, 12, 40, ""],
                  "job": ["教师", "", "", ""]}).to_csv(path, index=False)
    d, _, found = _read(path, cb, platform="generic")
    assert _l(d["job__missing"]) == [None, "not_asked", "blank", "not_asked"]
    assert "row 3" in str(found[RoutingWarning][0])


def test_load_wave_strict_argument(tmp_path):
    path, _ = _wjx(tmp_path)
    folder = tmp_path
    (folder / "survey.yaml").write_text(WJX, encoding="utf-8")
    with pytest.raises(DataValueError):
        load_wave(path, codebook=folder / "survey.yaml", strict=True)


def test_coerced_number_is_reported_unless_it_is_the_unit(tmp_path):
    survey = WJX.replace("    unit: 岁\n", "")
    rows = [list(r) for r in WJX_ROWS]
    path, cb = _wjx(tmp_path, rows, survey)
    _, _, found = _read(path, cb)
    assert "'25岁'" in str(found[CoercedValueWarning][0])
    path, cb = _wjx(tmp_path, rows, WJX)
    _, _, found = _read(path, cb)
    assert CoercedValueWarning not in found


def test_qualtrics_routing_survives_cleaning(tmp_path):
    from analysis.cleaning.cleaner import clean

    path = tmp_path / "export.csv"
    path.write_text(_qualtrics(ROUTED), encoding="utf-8")
    cb = _codebook(tmp_path, QUALTRICS)
    d, _, _ = _read(path, cb)
    res = clean(d, cb)
    assert _l(res.data["brands__missing"]) == [None, "not_asked", "blank", "not_asked",
                                               "not_asked"]
    routing = res.audit[res.audit["rule"] == "routing"]
    assert routing["source_row"].tolist() == [4]
    assert res.n_in == res.n_kept + res.n_excluded
