"""Codebook drafts: types from answers, mode pairing, YAML that loads back."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REAL_EXPORTS

from analysis.codebook import load_codebook
from analysis.ingest import (
    codebook_yaml,
    draft_codebook,
    load_wave,
    read_export,
    read_wave,
)
from analysis.ingest.draft import find_partner

META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]


def _meta(n: int) -> list[list[object]]:
    return [[i + 1, f"2022/10/0{i + 1} 12:00:00", f"{30 + i}秒", "手机提交", "微信",
             f"1.2.3.{i}(上海-上海)"] for i in range(n)]


TEXT = pd.DataFrame(
    [m + r for m, r in zip(_meta(4), [
        ["女", "40~49岁", "运动┋阅读┋其他【请注明】〖钓鱼〗", "B→A", "3分", "4分", "28", "好"],
        ["男", "16~19岁", "阅读", "A→B→C", "5分", "5分", "35", "不错"],
        ["女", "25~29岁", "(跳过)", "(跳过)", "1分", "2分", "19", "(跳过)"],
        ["男", "16~19岁", "运动", "C", "3分", "3分", "52", ""],
    ], strict=True)],
    columns=META + ["1、性别", "2、年龄段 (单选题 *必答)", "3、爱好 (多选题)", "4、排序",
                    "5、评价—外观", "价格", "6、您的年龄 (填空题)", "7、建议 (填空题)"])
CODE = pd.DataFrame(
    [m + r for m, r in zip(_meta(4), [
        [2, 4, 1, 1, 1, 2, 1, -2, 3, 4, 28, "好"],
        [1, 1, 0, 1, 0, 1, 2, 3, 5, 5, 35, "不错"],
        [2, 2, -3, -3, -3, -2, -2, -2, 1, 2, 19, -3],
        [1, 1, 1, 0, 0, -2, -2, 1, 3, 3, 52, ""],
    ], strict=True)],
    columns=META + ["1、性别", "2、年龄段", "3. 爱好(运动)", "3(阅读)", "3(其他【请注明】)",
                    "第4题(A)", "第4题(B)", "第4题(C)", "5、评价—外观", "5、价格", "6、您的年龄",
                    "7、建议"])


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "s")


def test_text_only_draft_guesses_types(tmp_path):
    path = tmp_path / "survey_0.csv"
    TEXT.to_csv(path, index=False, encoding="gb18030")
    cb = draft_codebook(path)
    types = {q.id: q.type for q in cb.questions}
    assert types == {"q1": "single", "q2": "single", "q3": "multiple", "q4": "ranking",
                     "q5": "grid", "q6": "numeric", "q7": "text"}
    assert cb.question("q2").labels() == {"1": "16~19岁", "2": "25~29岁", "3": "40~49岁"}
    q3 = cb.question("q3")
    assert [o.label.zh for o in q3.options] == ["运动", "阅读", "其他【请注明】"]
    assert q3.options[2].other
    assert [it.label.zh for it in cb.question("q5").items] == ["外观", "价格"]
    assert cb.respondent.ip == "来自IP"
    assert "来源详情" in cb.personal_columns()
    d, src = read_export(path, cb, salt="s")
    assert src.mode == "text"
    assert bool(d["q3_3"].iloc[0])
    assert d["q3_other_text"].iloc[0] == "钓鱼"


def test_pairing_current_code_headers(tmp_path):
    text, code = tmp_path / "123_按文本_调查_4_4.csv", tmp_path / "123_按序号_调查_4_4.csv"
    TEXT.to_csv(text, index=False, encoding="utf-8-sig")
    CODE.to_csv(code, index=False, encoding="utf-8-sig")
    assert find_partner(code) == (text, code)
    cb = draft_codebook(code)
    assert cb.question("q2").labels() == {"1": "16~19岁", "2": "25~29岁", "4": "40~49岁"}
    assert cb.question("q5").labels() == {"1": "1分", "2": "2分", "3": "3分", "4": "4分",
                                          "5": "5分"}
    assert cb.question("q3").options[2].other
    t, _ = read_export(text, cb, salt="s")
    c, _ = read_export(code, cb, salt="s")
    cols = [x for x in t.columns if not x.endswith("_other_text")]
    pd.testing.assert_frame_equal(t[cols], c[cols])
    assert t["q4_1"].tolist()[:2] == [2, 1]


@pytest.mark.parametrize(("text", "code"), [
    ("x_0.xls", "x_2.xls"), ("All_Data_Readable.xls", "All_Data_Original.xls"),
    ("1_按文本_t_5_5.xlsx", "1_按序号_t_5_5.xlsx"),
])
def test_find_partner_names(tmp_path, text, code):
    for name in (text, code):
        (tmp_path / name).write_bytes(b"")
    assert find_partner(tmp_path / text) == (tmp_path / text, tmp_path / code)
    assert find_partner(tmp_path / code) == (tmp_path / text, tmp_path / code)


def test_yaml_round_trip(tmp_path):
    path = tmp_path / "survey_0.csv"
    TEXT.to_csv(path, index=False, encoding="utf-8")
    cb = draft_codebook(path)
    text = codebook_yaml(cb)
    assert text.startswith("# survey.yaml")
    assert "label: 性别" in text  # one-language labels stay one string
    (tmp_path / "survey.yaml").write_text(text, encoding="utf-8")
    again = load_codebook(tmp_path / "survey.yaml")
    assert again.model_dump(exclude={"path"}) == cb.model_dump(exclude={"path"})


def test_bare_export_and_folder_without_codebook(tmp_path, monkeypatch):
    monkeypatch.delenv("GREENSURVEY_SALT")
    wave = tmp_path / "mywave"
    (wave / "raw").mkdir(parents=True)
    TEXT.to_csv(wave / "raw" / "export.csv", index=False, encoding="gb18030")
    w = read_wave(wave)
    assert w.codebook.wave == "mywave"
    assert w.codebook.raw == "export.csv"
    assert len(w.data) == 4
    assert (wave / "interim" / ".salt").is_file()
    bare = load_wave(wave / "raw" / "export.csv")
    assert bare["q1"].tolist() == w.data["q1"].tolist()


@pytest.mark.skipif(not (REAL_EXPORTS / "wjx").is_dir(), reason="real exports not available")
def test_real_paired_draft_yaml_loads_back(tmp_path):
    path = REAL_EXPORTS / "wjx" / "reportgen-2016-zte" / "All_Data_Original.xls"
    cb = draft_codebook(path)
    (tmp_path / "survey.yaml").write_text(codebook_yaml(cb), encoding="utf-8")
    again = load_codebook(tmp_path / "survey.yaml")
    a, _ = read_export(path, cb, salt="s")
    b, _ = read_export(path, again, salt="s")
    pd.testing.assert_frame_equal(a.drop(columns=[]), b, check_like=False,
                                  obj="frame read with the reloaded draft")
