"""Drafts do not invent codes silently: content pairing, ordered scales, provisional codes."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest
from conftest import REAL_EXPORTS

from analysis.codebook import load_codebook
from analysis.errors import CodebookError
from analysis.ingest import codebook_yaml, draft_codebook, read_export
from analysis.ingest.provisional import DraftWarning, ProvisionalCodesError
from analysis.ingest.scales import order_scale

WJX = REAL_EXPORTS / "wjx" / "reportgen-2018-800"
META = ["序号", "提交答卷时间", "所用时间"]
LIKERT = ["比较同意", "一般", "比较不同意", "非常同意", "非常不同意"]


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "s")


def _draft(path):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cb = draft_codebook(path)
    return cb, [str(w.message) for w in seen if issubclass(w.category, DraftWarning)]


@pytest.mark.parametrize(("labels", "scale", "first", "last"), [
    (LIKERT, "agreement", "非常不同意", "非常同意"),
    (["满意", "非常不满意", "一般"], "satisfaction", "非常不满意", "满意"),
    (["经常", "从不", "有时", "不知道"], "frequency", "从不", "不知道"),
    (["重要", "非常重要", "不重要"], "importance", "不重要", "非常重要"),
    (["肯定会", "不太可能", "说不准"], "likelihood", "不太可能", "肯定会"),
    (["二线城市", "一线城市", "新一线城市", "三线及以下城市"], "city_tier", "一线城市",
     "三线及以下城市"),
    (["5001-10000元", "3000元以下", "1万以上", "3001-5000元"], "bands", "3000元以下", "1万以上"),
    (["25~34岁", "60岁及以上", "18岁以下"], "bands", "18岁以下", "60岁及以上"),
    (["本科", "硕士及以上", "高中/中专", "大专"], "education", "高中/中专", "硕士及以上"),
    (["Agree", "Strongly disagree", "Neutral"], "agreement", "Strongly disagree", "Agree"),
])
def test_standard_scales_are_ordered(labels, scale, first, last):
    m = order_scale(labels)
    assert m is not None
    assert m.scale == scale
    assert (m.labels[0], m.labels[-1]) == (first, last)
    assert sorted(m.labels) == sorted(labels)  # spelling kept


def test_nominal_labels_are_no_scale():
    assert order_scale(["男", "女"]) is None
    assert order_scale(["微信", "淘宝", "京东"]) is None


def _text_code(n=6):
    meta = [[i + 1, f"2024/05/0{i + 1} 10:00:00", f"{60 + i}秒"] for i in range(n)]
    answers = [LIKERT[i % 5] for i in range(n)]
    codes = {"非常同意": 1, "比较同意": 2, "一般": 3, "比较不同意": 4, "非常不同意": 5}
    sex = ["女", "男"] * (n // 2)
    text = pd.DataFrame([m + [a, s] for m, a, s in zip(meta, answers, sex, strict=True)],
                        columns=META + ["1、您同意吗 (单选题 *必答)", "2、性别"])
    code = pd.DataFrame([m + [codes[a], 1 if s == "男" else 2]
                         for m, a, s in zip(meta, answers, sex, strict=True)],
                        columns=META + ["1、您同意吗", "2、性别"])
    return text, code


def test_text_only_draft_orders_scale_marks_codes_provisional_and_refuses_code_file(tmp_path):
    text, code = _text_code()
    text.to_csv(tmp_path / "answers.csv", index=False)
    cb, notes = _draft(tmp_path / "answers.csv")
    q1 = cb.question("q1")
    assert q1.type == "likert"
    assert [o.label.zh for o in q1.options] == ["非常不同意", "比较不同意", "一般", "比较同意",
                                               "非常同意"]
    assert q1.provisional
    assert cb.question("q2").provisional
    assert any("agreement" in n and "q1" in n for n in notes)
    assert any("provisional" in n and "q1, q2" in n for n in notes)
    out = tmp_path / "survey.yaml"
    out.write_text(codebook_yaml(cb), encoding="utf-8")
    again = load_codebook(out)
    assert again.question("q1").provisional
    # the text file decodes with its own draft
    d, _ = read_export(tmp_path / "answers.csv", again, salt="s")
    assert d["q1"].iloc[3] == q1.options[4].key  # 非常同意
    # the code file (elsewhere: no pairing) is refused, with the fix
    other = tmp_path / "elsewhere"
    other.mkdir()
    code.to_csv(other / "codes.csv", index=False)
    with pytest.raises(ProvisionalCodesError, match="provisional") as info:
        read_export(other / "codes.csv", again, salt="s")
    assert isinstance(info.value, CodebookError)
    assert "docs/codebook.md#provisional-codes" in str(info.value)


def test_downloads_pair_by_content_whatever_their_names(tmp_path):
    text, code = _text_code()
    text.to_csv(tmp_path / "mine.csv", index=False)
    code.to_csv(tmp_path / "export (3).csv", index=False)
    cb, notes = _draft(tmp_path / "mine.csv")
    q1 = cb.question("q1")
    assert not q1.provisional
    assert q1.labels() == {"1": "非常同意", "2": "比较同意", "3": "一般", "4": "比较不同意",
                           "5": "非常不同意"}
    assert q1.type == "likert"
    assert any("by content" in n and "export (3).csv" in n for n in notes)
    d_text, _ = read_export(tmp_path / "mine.csv", cb, salt="s")
    d_code, _ = read_export(tmp_path / "export (3).csv", cb, salt="s")
    assert d_text["q1"].tolist() == d_code["q1"].tolist()


def test_files_named_as_a_pair_with_other_respondents_are_not_paired(tmp_path):
    text, code = _text_code()
    code["提交答卷时间"] = code["提交答卷时间"].str.replace("10:00", "11:00")
    text.to_csv(tmp_path / "w_0.csv", index=False)
    code.to_csv(tmp_path / "w_2.csv", index=False)
    cb, notes = _draft(tmp_path / "w_0.csv")
    assert cb.question("q1").provisional
    assert any("other respondents" in n for n in notes)


@pytest.mark.skipif(not WJX.is_dir(), reason="real exports not found")
def test_real_text_download_alone_then_renamed_pair(tmp_path):
    shutil.copy(WJX / "[问卷星数据]800_800_0.xls", tmp_path / "responses.xls")
    cb, notes = _draft(tmp_path / "responses.xls")
    guessed = {q.id for q in cb.questions if q.provisional}
    assert guessed
    assert all(cb.question(q).type in ("single", "likert", "grid") for q in guessed)
    with pytest.raises(ProvisionalCodesError):
        read_export(WJX / "[问卷星数据]800_800_2.xls", cb, salt="s")
    shutil.copy(WJX / "[问卷星数据]800_800_2.xls", tmp_path / "download.xls")
    paired, notes = _draft(tmp_path / "responses.xls")
    assert not any(q.provisional for q in paired.questions)
    assert any("800 respondents" in n for n in notes)
    t, _ = read_export(tmp_path / "responses.xls", paired, salt="s")
    c, _ = read_export(tmp_path / "download.xls", paired, salt="s")
    for q in ("q1", "q2", "q4"):
        assert t[q].astype(str).tolist() == c[q].astype(str).tolist()
    # labels as written: the full-width punctuation of the questionnaire stays
    labels = [o.label.zh for q in paired.questions for o in q.options]
    assert "ACG文化(动漫、游戏等)" in labels


# ------------------------------------------------------------ other formats
def test_qualtrics_choice_text_grid_single_and_joined_multiple(tmp_path):
    from test_ingest_qualtrics import _export

    answers = [["男", "价格太高,信息不足", "非常同意", "同意", "25", "好"],
               ["女", "价格太高", "一般", "不同意", "30", ""],
               ["男", "信息不足,其他", "非常不同意", "同意", "41", "无"]]
    tags = ["Q1", "Q2", "Q3_1", "Q3_2", "Q4", "Q5"]
    ids = ["QID1", "QID2", "QID3_1", "QID3_2", "QID4_TEXT", "QID5_TEXT"]
    texts = ["性别", "障碍", "态度 - 外观", "态度 - 价格", "年龄", "意见"]
    path = tmp_path / "export.tsv"
    path.write_bytes(_export(answers, tags, ids, texts, sep="\t").encode("utf-16"))
    cb, notes = _draft(path)
    grid = next(q for q in cb.questions if q.source == "QID3")
    assert grid.type == "grid"
    assert [o.label.zh for o in grid.options] == ["非常不同意", "不同意", "一般", "同意", "非常同意"]
    assert grid.provisional
    barriers = next(q for q in cb.questions if q.source == "QID2")
    assert barriers.type == "multiple"
    assert [o.label.zh for o in barriers.options] == ["价格太高", "信息不足", "其他"]
    assert any("provisional" in n for n in notes)
    d, _ = read_export(path, cb, salt="s")  # the draft reads its own export
    assert len(d) == 3


def test_spss_split_variables_become_one_multiple_question(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame({"q1": [1.0, 2.0, 1.0], "q5_1": [1.0, 0.0, 1.0], "q5_2": [0.0, 1.0, 0.0],
                       "q5_3": [1.0, 0.0, 0.0], "age": [23.0, 45.0, 31.0]})
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(df, str(path), column_labels={
        "q1": "性别", "q5_1": "用过：A", "q5_2": "用过：B", "q5_3": "用过：其他", "age": "年龄"},
        variable_value_labels={"q1": {1: "男", 2: "女"}})
    cb, _ = _draft(path)
    assert [q.id for q in cb.questions] == ["q1", "q5", "age"]
    q5 = cb.question("q5")
    assert (q5.type, q5.label.zh) == ("multiple", "用过")
    assert [o.label.zh for o in q5.options] == ["A", "B", "其他"]
    assert not any(o.other for o in q5.options)
    assert not cb.question("q1").provisional  # value labels: real codes
    d, _ = read_export(path, cb, salt="s")
    assert d[q5.columns()[0]].tolist() == [True, False, True]


def test_stata_extended_missing_is_declared_not_a_code(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    obj = lambda *v: pd.Series(v, dtype=object)  # noqa: E731
    df = pd.DataFrame({"q1": [1.0, 2.0, 1.0], "q5_1": obj(1, 0, "a"), "q5_2": obj(0, 1, "a"),
                       "q7": obj(3.0, "b", 4.0)})
    path = tmp_path / "s.dta"
    pyreadstat.write_dta(df, str(path), missing_user_values={
        "q5_1": ["a"], "q5_2": ["a"], "q7": ["b"]},
        variable_value_labels={"q7": {3: "三", 4: "四"}})
    cb, _ = _draft(path)
    q5 = cb.question("q5")
    assert q5.type == "multiple"
    assert q5.missing == {".a": "skipped"}
    assert cb.question("q7").missing == {".b": "skipped"}
    d, _ = read_export(path, cb, salt="s")
    assert d["q5__missing"].tolist()[2] == "skipped"


def test_draft_proposes_roles_and_says_so(tmp_path):
    meta = [[i + 1, f"2024/05/0{i + 1} 10:00:00", f"{60 + i}秒"] for i in range(6)]
    rows = [["男", "是", "价格太高┋不知道去哪买", "比较同意"], ["女", "否", "价格太高", "一般"],
            ["男", "是", "不知道去哪买", "非常同意"], ["女", "否", "价格太高", "比较不同意"],
            ["男", "是", "价格太高", "非常不同意"], ["女", "否", "不知道去哪买", "一般"]]
    text = pd.DataFrame([m + r for m, r in zip(meta, rows, strict=True)],
                        columns=META + ["1、您的性别", "2、您是否购买过环保产品", "3、您没有多买的原因 (多选题)",
                                        "4、环保比价格更重要"])
    text.to_csv(tmp_path / "t.csv", index=False)
    cb, notes = _draft(tmp_path / "t.csv")
    roles = cb.analysis
    assert roles.banner == ("q1",)
    assert roles.outcome == "q2"
    assert roles.barriers == "q3"
    assert roles.attitudes == ("q4",)
    assert any("proposed report roles" in n and "outcome q2" in n for n in notes)
    out = tmp_path / "survey.yaml"
    out.write_text(codebook_yaml(cb), encoding="utf-8")
    assert load_codebook(out).analysis == roles


def test_labels_keep_full_width_punctuation(tmp_path):
    meta = [[i + 1, f"2024/05/0{i + 1} 10:00:00", "60秒"] for i in range(4)]
    rows = [["好，很好", "1"], ["一般：还行", "0"], ["好，很好", "1"], ["差！", "1"]]
    text = pd.DataFrame([m + r for m, r in zip(meta, rows, strict=True)],
                        columns=META + ["1、您觉得如何？（单选题）", "第2题(纸袋（可降解）)"])
    text.to_csv(tmp_path / "fw.csv", index=False)
    cb, _ = _draft(tmp_path / "fw.csv")
    assert cb.question("q1").label.zh == "您觉得如何？"
    assert [o.label.zh for o in cb.question("q1").options] == ["好，很好", "一般：还行", "差！"]
    assert [o.label.zh for o in cb.question("q2").options] == ["纸袋（可降解）"]
    d, _ = read_export(tmp_path / "fw.csv", cb, salt="s")
    assert len(d) == 4


def test_qualtrics_numeric_and_choice_text_exports_pair_by_response_id(tmp_path):
    from test_ingest_qualtrics import ANSWERS, Q_IDS, Q_TAGS, Q_TEXT, _export

    text_answers = [["男", "价格太高", "", "其他", "太远", "同意", "非常同意", "25", "很好"],
                    ["女", "", "信息不足", "", "", "一般", "一般", "30", ""],
                    ["男", "价格太高", "信息不足", "", "", "非常不同意", "不同意", "41", "无"],
                    ["女", "", "", "其他", "test", "非常同意", "非常同意", "99", "preview"]]
    (tmp_path / "numbers.csv").write_text(_export(ANSWERS), encoding="utf-8")
    (tmp_path / "labels.csv").write_text(_export(text_answers, Q_TAGS, Q_IDS, Q_TEXT),
                                         encoding="utf-8")
    for name in ("numbers.csv", "labels.csv"):
        cb, notes = _draft(tmp_path / name)
        sex = next(q for q in cb.questions if q.source == "QID1")
        assert sex.labels() == {"1": "男", "2": "女"}
        assert not sex.provisional
        grid = next(q for q in cb.questions if q.source == "QID3")
        assert grid.labels() == {"1": "非常不同意", "2": "不同意", "3": "一般", "4": "同意",
                                 "5": "非常同意"}
        assert not grid.provisional
        assert any("ResponseIds" in n for n in notes)
