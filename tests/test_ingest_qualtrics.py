"""Qualtrics CSV/TSV: three header rows, ImportId mapping, previews dropped, drafts."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from analysis.codebook import load_codebook
from analysis.errors import ColumnMismatchError, UnknownLabelError
from analysis.ingest import (
    codebook_yaml,
    detect_platform,
    draft_codebook,
    read_export,
    read_table,
)

SURVEY = """\
wave: q2023
title: Qualtrics test
questions:
  - id: gender
    type: single
    label: 性别
    source: QID1
    options:
      - {code: 1, name: male, label: {zh: 男, en: Male}}
      - {code: 2, name: female, label: {zh: 女, en: Female}}
  - id: barriers
    type: multiple
    label: 障碍
    source: QID2
    options:
      - {code: 1, name: price, label: {zh: 价格太高, en: Too expensive}}
      - {code: 2, name: info, label: {zh: 信息不足, en: "Not enough information, really"}}
      - {code: 3, name: other, label: {zh: 其他, en: Other}, other: true}
  - id: attitude
    type: grid
    label: 态度
    source: QID3
    items: [{id: look, label: 外观, source: "1"}, {id: cost, label: 价格, source: "2"}]
    options: [{code: 1, label: "1"}, {code: 2, label: "2"}, {code: 3, label: "3"},
              {code: 4, label: "4"}, {code: 5, label: "5"}]
  - id: age
    type: numeric
    label: 年龄
    source: QID4
  - id: comment
    type: text
    label: 意见
    source: Q5
"""

META_TAGS = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
             "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
             "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
             "DistributionChannel", "UserLanguage"]
META_TEXT = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
             "Duration (in seconds)", "Finished", "Recorded Date", "Response ID",
             "Recipient Last Name", "Recipient First Name", "Recipient Email",
             "External Data Reference", "Location Latitude", "Location Longitude",
             "Distribution Channel", "User Language"]
META_IDS = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished",
            "recordedDate", "_recordId", "recipientLastName", "recipientFirstName",
            "recipientEmail", "externalDataReference", "locationLatitude", "locationLongitude",
            "distributionChannel", "userLanguage"]
Q_TAGS = ["Q1", "Q2_1", "Q2_2", "Q2_3", "Q2_3_TEXT", "Q3_1", "Q3_2", "Q4", "Q5"]
Q_TEXT = ["性别", "障碍 - 价格太高", "障碍 - 信息不足", "障碍 - 其他", "障碍 - 其他 - Text",
          "态度 - 外观", "态度 - 价格", "年龄", "意见"]
Q_IDS = ["QID1", "QID2_1", "QID2_2", "QID2_3", "QID2_3_TEXT", "QID3_1", "QID3_2", "QID4_TEXT",
         "QID5_TEXT"]
ANSWERS = [  # numeric (choice code) export
    ["1", "1", "", "1", "太远", "4", "5", "25", "很好"],
    ["2", "", "1", "", "", "3", "3", "30", ""],
    ["1", "1", "1", "", "", "1", "2", "41", "无"],
    ["2", "", "", "1", "test", "5", "5", "99", "preview"],
]
STATUS = ["IP Address", "IP Address", "IP Address", "Survey Preview"]


def _meta_row(i: int) -> list[str]:
    return [f"2023-03-0{i + 1} 10:00:00", f"2023-03-0{i + 1} 10:05:00", STATUS[i],
            f"10.0.0.{i + 1}", "100", str(300 + i), "True", f"2023-03-0{i + 1} 10:05:01",
            f"R_{i + 1:03d}", "Zhang", "San", "z@example.com", "", "31.2", "121.5",
            "anonymous", "ZH-S"]


def _export(answers: list[list[str]], tags: list[str] = Q_TAGS, ids: list[str] = Q_IDS,
            texts: list[str] = Q_TEXT, sep: str = ",") -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=sep, lineterminator="\n")
    w.writerow(META_TAGS + tags)
    w.writerow(META_TEXT + texts)
    w.writerow([json.dumps({"ImportId": i}) for i in META_IDS + ids])
    for i, row in enumerate(answers):
        w.writerow(_meta_row(i) + row)
    return out.getvalue()


@pytest.fixture
def codebook(tmp_path):
    path = tmp_path / "survey.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return load_codebook(path)


@pytest.fixture
def numeric_csv(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(_export(ANSWERS).encode("utf-8-sig"))
    return path


def test_numeric_export_maps_by_import_id_and_drops_previews(numeric_csv, codebook):
    table, enc = read_table(numeric_csv)
    assert enc == "utf-8-sig"
    assert detect_platform(table) == "qualtrics"
    d, src = read_export(numeric_csv, codebook, salt="s")
    assert (src.platform, src.mode, src.n_dropped, src.n_rows) == ("qualtrics", "code", 1, 3)
    assert d["respondent_id"].tolist() == ["R_001", "R_002", "R_003"]
    assert d["source_row"].tolist() == [1, 2, 3]
    assert d["duration_s"].tolist() == [300.0, 301.0, 302.0]
    assert d["submitted_at"].iloc[0] == pd.Timestamp("2023-03-01 10:05:00")
    assert d["started_at"].iloc[0] == pd.Timestamp("2023-03-01 10:00:00")
    assert d["gender"].tolist() == ["male", "female", "male"]
    assert d["barriers_price"].tolist() == [True, False, True]
    assert d["barriers_other"].tolist() == [True, False, False]
    assert d["barriers_other_text"].tolist() == ["太远", pd.NA, pd.NA]
    assert d["attitude_cost"].tolist() == ["5", "3", "2"]
    assert d["age"].tolist() == [25.0, 30.0, 41.0]
    assert d["comment"].tolist() == ["很好", pd.NA, "无"]
    # Names, e-mail and location never reach the frame; the IP only as a hash.
    text = d.astype(str).to_numpy().ravel().tolist()
    assert not {"Zhang", "z@example.com", "31.2", "10.0.0.1"} & set(text)
    assert src.column_map["RecipientEmail"] is None
    assert src.column_map["Q2_3_TEXT"] == "barriers_other_text"
    assert d["ip_hash"].notna().all()


def test_text_export_utf16_tsv_with_joined_multiple(tmp_path, codebook):
    answers = [["男", "Too expensive,Not enough information, really", "4", "5", "25", "好"],
               ["女", "Other", "3", "3", "30", ""],
               ["男", "", "1", "2", "41", "无"],
               ["女", "其他", "5", "5", "99", "p"]]
    tags = ["Q1", "Q2", "Q3_1", "Q3_2", "Q4", "Q5"]
    ids = ["QID1", "QID2", "QID3_1", "QID3_2", "QID4_TEXT", "QID5_TEXT"]
    texts = ["性别", "障碍", "态度 - 外观", "态度 - 价格", "年龄", "意见"]
    path = tmp_path / "export.tsv"
    path.write_bytes(_export(answers, tags, ids, texts, sep="\t").encode("utf-16"))
    table, enc = read_table(path)
    assert enc == "utf-16"
    d, src = read_export(path, codebook, salt="s")
    assert src.mode == "text"
    assert src.encoding == "utf-16"
    assert d["gender"].tolist() == ["male", "female", "male"]
    assert d["barriers_price"].tolist() == [True, False, pd.NA]
    assert d["barriers_info"].tolist() == [True, False, pd.NA]  # label with a comma
    assert d["barriers_other"].tolist() == [False, True, pd.NA]
    assert d["barriers__missing"].tolist() == [pd.NA, pd.NA, "blank"]


def test_export_tag_fallback_and_unknown_column(tmp_path, codebook, numeric_csv):
    # "Q5" has no QID match: found by its export tag.
    d, _ = read_export(numeric_csv, codebook, salt="s")
    assert d["comment"].iloc[0] == "很好"
    path = tmp_path / "extra.csv"
    path.write_text(_export([r + ["x"] for r in ANSWERS], Q_TAGS + ["Q9"], Q_IDS + ["QID9"],
                            Q_TEXT + ["新题"]), encoding="utf-8")
    with pytest.raises(ColumnMismatchError, match="Q9"):
        read_export(path, codebook, salt="s")


def test_unknown_choice_text_is_an_error(tmp_path, codebook):
    answers = [["男", "", "4", "5", "25", "好"], ["其他性别", "", "3", "3", "30", ""]]
    tags = ["Q1", "Q2", "Q3_1", "Q3_2", "Q4", "Q5"]
    ids = ["QID1", "QID2", "QID3_1", "QID3_2", "QID4_TEXT", "QID5_TEXT"]
    path = tmp_path / "export.csv"
    path.write_text(_export(answers, tags, ids, ["a"] * 6), encoding="utf-8")
    with pytest.raises(UnknownLabelError, match="其他性别") as info:
        read_export(path, codebook, salt="s")
    assert info.value.question == "gender"
    assert info.value.row == "2"


def test_draft_from_qualtrics_roundtrips(numeric_csv, tmp_path):
    cb = draft_codebook(numeric_csv)
    assert cb.platform == "qualtrics"
    types = {q.source: q.type for q in cb.questions}
    assert types["QID2"] == "multiple"
    assert types["QID3"] == "grid"
    assert types["QID5"] == "text"
    barriers = next(q for q in cb.questions if q.source == "QID2")
    assert [o.label.zh for o in barriers.options] == ["价格太高", "信息不足", "其他"]
    assert barriers.options[2].other
    assert cb.respondent.id == "ResponseId"
    assert "RecipientEmail" in cb.personal_columns()
    path = tmp_path / "survey.yaml"
    path.write_text(codebook_yaml(cb), encoding="utf-8")
    again = load_codebook(path)
    d, src = read_export(numeric_csv, again, salt="s")
    assert src.n_rows == 3
    assert d[f"{barriers.id}_1"].tolist() == [True, False, True]
