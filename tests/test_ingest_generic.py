"""Plain CSV/XLSX (codes or labels) and SPSS/Stata files with value labels."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

from analysis.codebook import load_codebook
from analysis.errors import ColumnMismatchError
from analysis.ingest import (
    codebook_yaml,
    detect_platform,
    draft_codebook,
    read_export,
    read_table,
)

SURVEY = """\
wave: g2022
title: generic
personal: [{column: phone, action: drop}, {column: wechat, action: hash}]
questions:
  - id: gender
    type: single
    label: 性别
    options:
      - {code: 1, name: male, label: 男}
      - {code: 2, name: female, label: 女}
  - id: edu
    type: single
    label: 学历
    options: [{code: 1, label: 初中}, {code: 2, label: 高中}, {code: 3, label: 大学}]
  - id: barriers
    type: multiple
    label: 障碍
    options:
      - {code: 1, name: price, label: 价格太高}
      - {code: 2, name: info, label: 信息不足}
      - {code: 3, name: other, label: 其他, other: true}
  - id: attitude
    type: grid
    label: 态度
    items: [{id: look, label: 外观}, {id: cost, label: 价格}]
    options: [{code: 1, label: 低}, {code: 2, label: 中}, {code: 3, label: 高}]
  - id: q9
    type: multiple
    label: 渠道
    options: [{code: 1, label: 线上}, {code: 2, label: 线下}, {code: 3, label: 二手}]
  - id: age
    type: numeric
    label: 年龄
  - id: comment
    type: text
    label: 意见
"""

ROWS = {
    "respondent_id": ["a1", "a2", "a3"],
    "duration": ["120", "1分5秒", ""],
    "提交时间": ["2022-05-01 08:00:00", "2022-05-01 09:00:00", "2022/05/02 10:00:00"],
    "gender": ["男", "2", "女"],
    "edu": ["1", "3", "7"],
    "barriers": ["价格太高;其他〖不好找〗", "信息不足", ""],
    "barriers_other_text": ["", "", ""],
    "attitude_look": ["低", "3", "-3"],
    "attitude_cost": ["高", "3", "-3"],
    "q9_1": ["1", "0", "0"], "q9_2": ["0", "1", "0"], "q9_3": ["1", "1", "0"],
    "age": ["25", "31岁", "-3"],
    "comment": ["ok", "", "fine"],
    "phone": ["13800138000", "", ""],
    "wechat": ["wx_abc123", "wx_x", ""],
}


@pytest.fixture
def codebook(tmp_path):
    (tmp_path / "survey.yaml").write_text(SURVEY, encoding="utf-8")
    return load_codebook(tmp_path / "survey.yaml")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_plain_table_with_codes_and_labels(tmp_path, codebook, suffix):
    path = tmp_path / f"data{suffix}"
    frame = pd.DataFrame(ROWS)
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        frame.to_excel(path, index=False)
    table, _ = read_table(path)
    assert detect_platform(table) == "generic"
    d, src = read_export(path, codebook, salt="s")
    assert src.platform == "generic"
    assert d["respondent_id"].tolist() == ["a1", "a2", "a3"]
    assert d["duration_s"].iloc[:2].tolist() == [120.0, 65.0]
    assert d["submitted_at"].iloc[2] == pd.Timestamp("2022-05-02 10:00:00")
    assert d["gender"].tolist() == ["male", "female", "female"]  # labels and codes mixed
    assert d["edu"].iloc[:2].tolist() == ["1", "3"]
    assert pd.isna(d["edu"].iloc[2])
    assert d["edu__missing"].iloc[2] == "invalid:7"
    assert d["barriers_price"].tolist() == [True, False, pd.NA]
    assert d["barriers_other"].tolist() == [True, False, pd.NA]
    assert d["barriers_other_text"].iloc[0] == "不好找"
    assert d["barriers__missing"].iloc[2] == "blank"
    assert d["attitude_look"].iloc[:2].tolist() == ["1", "3"]
    assert d["attitude__missing"].iloc[2] == "skipped"
    assert d["q9_2"].tolist() == [False, True, pd.NA]
    assert d["q9__missing"].iloc[2] == "blank"
    assert d["age"].iloc[:2].tolist() == [25.0, 31.0]
    assert "phone" not in d.columns
    assert "wechat" not in d.columns
    assert d["wechat_hash"].iloc[0] not in ("wx_abc123", None)
    assert src.column_map["phone"] is None
    assert src.column_map["wechat"] == "wechat_hash"


def test_plain_table_missing_question(tmp_path, codebook):
    path = tmp_path / "data.csv"
    pd.DataFrame(ROWS).drop(columns=["q9_2"]).to_csv(path, index=False)
    with pytest.raises(ColumnMismatchError, match="q9"):
        read_export(path, codebook, salt="s")


def _spss_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["r1", "r2", "r3", "r4"],
        "gender": [1.0, 2.0, 2.0, 9.0],
        "q9_1": [1.0, 0.0, 0.0, 1.0], "q9_2": [0.0, 1.0, 0.0, 1.0], "q9_3": [0.0, 0.0, 1.0, 0.0],
        "age": [25.0, -3.0, 40.0, None],
        "comment": ["好", "", "差", "一般"],
    })


SPSS_SURVEY = """\
wave: s2021
title: spss
questions:
  - id: gender
    type: single
    label: 性别
    options: [{code: 1, name: male, label: 男}, {code: 2, name: female, label: 女}]
  - id: q9
    type: multiple
    label: 渠道
    options: [{code: 1, label: 线上}, {code: 2, label: 线下}, {code: 3, label: 二手}]
  - id: age
    type: numeric
    label: 年龄
  - id: comment
    type: text
    label: 意见
"""


@pytest.mark.parametrize("kind", ["sav", "dta"])
def test_spss_and_stata_with_value_labels(tmp_path, kind):
    path = tmp_path / f"data.{kind}"
    labels = {"gender": {1: "男", 2: "女"}}
    column_labels = {"gender": "性别", "q9_1": "线上", "q9_2": "线下", "q9_3": "二手",
                     "age": "年龄", "comment": "意见", "id": "编号"}
    if kind == "sav":
        pyreadstat.write_sav(_spss_frame(), str(path), variable_value_labels=labels,
                             column_labels=column_labels, missing_ranges={"age": [-3]})
    else:
        pyreadstat.write_dta(_spss_frame(), str(path), variable_value_labels=labels,
                             column_labels=column_labels)
    (tmp_path / "survey.yaml").write_text(SPSS_SURVEY, encoding="utf-8")
    cb = load_codebook(tmp_path / "survey.yaml")
    table, _ = read_table(path)
    assert detect_platform(table) == ("spss" if kind == "sav" else "stata")
    d, src = read_export(path, cb, salt="s")
    assert (src.platform, src.mode) == ("spss" if kind == "sav" else "stata", "code")
    assert d["respondent_id"].tolist() == ["r1", "r2", "r3", "r4"]
    assert d["gender"].iloc[:3].tolist() == ["male", "female", "female"]
    assert d["gender__missing"].iloc[3] == "invalid:9"
    assert d["q9_1"].tolist() == [True, False, False, True]
    # The user-missing code -3 reaches the codebook: "skipped", not a number.
    assert d["age"].iloc[0] == 25.0
    assert d["age__missing"].iloc[1] == "skipped"
    assert d["age__missing"].iloc[3] == "blank"
    # Draft from the file itself: value labels become options, 0/1 sets multiple choice.
    draft = draft_codebook(path)
    gender = next(q for q in draft.questions if q.source == "gender")
    assert gender.type == "single"
    assert gender.labels() == {"1": "男", "2": "女"}
    q9 = next(q for q in draft.questions if q.source == "q9")
    assert q9.type == "multiple"
    assert [o.label.zh for o in q9.options] == ["线上", "线下", "二手"]
    assert draft.respondent.id == "id"
    yaml_text = codebook_yaml(draft)
    (tmp_path / "draft.yaml").write_text(yaml_text, encoding="utf-8")
    again = load_codebook(tmp_path / "draft.yaml")
    d2, _ = read_export(path, again, salt="s")
    assert len(d2) == 4


@pytest.mark.parametrize("ext", ["sav", "dta"])
def test_bare_spss_stata_unlabelled_numbers_stay_numeric(tmp_path, ext):
    """Without a codebook, labelled variables become choices and unlabelled ones numbers."""

    writer = pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta
    frame = pd.DataFrame({"id": [1, 2, 3], "sex": [1, 2, 1], "age": [23, 45, 37.0],
                          "kids": [0, 2, 1]})
    path = tmp_path / f"bare.{ext}"
    writer(frame, str(path), variable_value_labels={"sex": {1: "男", 2: "女"}},
           column_labels=["编号", "性别", "年龄", "子女数"])
    from analysis import load_wave

    data = load_wave(path)
    assert isinstance(data["sex"].dtype, pd.CategoricalDtype)
    assert data["age"].tolist() == [23.0, 45.0, 37.0]
    assert data["kids"].tolist() == [0.0, 2.0, 1.0]
