"""Bad input: each gets a typed error naming file/row/column/question, and nothing is written."""

from __future__ import annotations

import pytest

from analysis.errors import (
    CodebookError,
    ColumnMismatchError,
    EmptyFileError,
    EncodingError,
    FileFormatError,
    MissingFileError,
    SurveyError,
    UnknownQuestionTypeError,
)
from analysis.ingest import decode_bytes, load_wave, read_table

GOOD_SURVEY = """\
wave: e2022
title: errors
questions:
  - id: gender
    type: single
    label: 性别
    source: 1
    options: [{code: 1, label: 男}, {code: 2, label: 女}]
"""
GOOD_CSV = "序号,提交答卷时间,所用时间,来自IP,1、性别\n1,2022/01/01 10:00:00,10秒,1.2.3.4,男\n"


def _wave(tmp_path, survey: str = GOOD_SURVEY, export: bytes | None = None,
          name: str = "export.csv"):
    folder = tmp_path / "wave"
    (folder / "raw").mkdir(parents=True)
    (folder / "survey.yaml").write_text(survey, encoding="utf-8")
    (folder / "raw" / name).write_bytes(GOOD_CSV.encode("utf-8") if export is None else export)
    return folder


def _one_line(err: SurveyError) -> str:
    text = str(err)
    assert "\n" not in text
    return text


def test_good_wave_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "s")
    assert load_wave(_wave(tmp_path))["gender"].tolist() == ["1"]


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(MissingFileError) as info:
        load_wave(tmp_path / "nope")
    assert isinstance(info.value, FileNotFoundError)
    assert "nope" in _one_line(info.value)
    with pytest.raises(MissingFileError, match="file not found"):
        read_table(tmp_path / "absent.csv")
    folder = tmp_path / "w"
    (folder / "raw").mkdir(parents=True)
    (folder / "survey.yaml").write_text(GOOD_SURVEY, encoding="utf-8")
    with pytest.raises(MissingFileError, match="no export found"):
        load_wave(folder)


@pytest.mark.parametrize(("content", "match"), [
    (b"", "empty"),
    (b"\n\n  \n", "no header"),
    ("序号,提交答卷时间,所用时间,来自IP,1、性别\n".encode(), "no responses"),
])
def test_empty_files(tmp_path, content, match):
    folder = _wave(tmp_path, export=content)
    with pytest.raises(EmptyFileError, match=match) as info:
        load_wave(folder)
    assert info.value.file.endswith("export.csv")
    assert not (folder / "interim").exists()


def test_undecodable_bytes_name_the_offset_and_line(tmp_path):
    bad = GOOD_CSV.encode("utf-8") + b"2,x,\x80\xff,1.2.3.4,\xff\n"
    folder = _wave(tmp_path, export=bad)
    with pytest.raises(EncodingError, match="re-save the file as UTF-8") as info:
        load_wave(folder)
    err = info.value
    assert err.line == 3
    assert err.details["offset"] == len(GOOD_CSV.encode("utf-8")) + 4
    assert "utf-8" in str(err)
    assert "gb18030" in str(err)


def test_wrong_explicit_encoding(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("性别\n男\n".encode("gb18030"))
    with pytest.raises(EncodingError):
        read_table(path, encoding="utf-8")
    with pytest.raises(EncodingError, match="unknown encoding"):
        read_table(path, encoding="no-such-codec")
    table, enc = read_table(path, encoding="gbk")
    assert (enc, table.iloc[0, 0]) == ("gbk", "男")


def test_xlsx_that_is_not_a_zip(tmp_path):
    folder = _wave(tmp_path, export=b"this is not a workbook", name="export.xlsx")
    with pytest.raises(FileFormatError, match=r"not a valid xlsx \(not a zip archive\)") as info:
        load_wave(folder)
    assert info.value.file.endswith("export.xlsx")


def test_corrupt_zip_xlsx(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(FileFormatError, match="not a valid xlsx"):
        read_table(path)


def test_html_disguised_as_xls(tmp_path):
    path = tmp_path / "export.xls"
    path.write_bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    with pytest.raises(FileFormatError, match="HTML"):
        read_table(path)


def test_tab_separated_text_named_xls_is_read(tmp_path):
    path = tmp_path / "export.xls"
    path.write_bytes("序号\t1、性别\n1\t男\n".encode("gb18030"))
    table, enc = read_table(path)
    assert (enc, list(table.columns)) == ("gb18030", ["序号", "1、性别"])


def test_columns_not_matching_the_codebook(tmp_path):
    folder = _wave(tmp_path, export=(GOOD_CSV.replace("1、性别", "2、年龄")).encode())
    with pytest.raises(ColumnMismatchError) as info:
        load_wave(folder)
    text = _one_line(info.value)
    assert "gender (source 1" in text
    assert info.value.question == "gender"


def test_codebook_yaml_error_cites_the_line(tmp_path):
    folder = _wave(tmp_path, survey=GOOD_SURVEY + "  - id: [broken\n")
    with pytest.raises(CodebookError) as info:
        load_wave(folder)
    assert info.value.line is not None
    assert info.value.line >= 9
    assert info.value.file.endswith("survey.yaml")


def test_codebook_validation_error_cites_the_line(tmp_path):
    folder = _wave(tmp_path, survey=GOOD_SURVEY.replace("{code: 2, label: 女}",
                                                        "{code: 1, label: 女}"))
    with pytest.raises(CodebookError, match="repeat") as info:
        load_wave(folder)
    assert info.value.line == 4  # the question holding the repeated code


def test_unknown_question_type(tmp_path):
    folder = _wave(tmp_path, survey=GOOD_SURVEY.replace("type: single", "type: slider"))
    with pytest.raises(UnknownQuestionTypeError, match="slider") as info:
        load_wave(folder)
    assert (info.value.line, info.value.question) == (5, "gender")


def test_several_exports_without_raw_setting(tmp_path):
    folder = _wave(tmp_path)
    (folder / "raw" / "other.csv").write_bytes(GOOD_CSV.encode())
    with pytest.raises(FileFormatError, match="raw: <file>"):
        load_wave(folder)


def test_decode_bytes_detection():
    text = "序号,性别\n1,男\n"
    assert decode_bytes(text.encode("utf-8"))[1] == "utf-8"
    assert decode_bytes(text.encode("utf-8-sig")) == (text, "utf-8-sig")
    assert decode_bytes(text.encode("gb18030")) == (text, "gb18030")
    assert decode_bytes(text.encode("gbk"))[0] == text
    assert decode_bytes(text.encode("utf-16")) == (text, "utf-16")
    assert decode_bytes(text.encode("utf-16-le")) == (text, "utf-16-le")
