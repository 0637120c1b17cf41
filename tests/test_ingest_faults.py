"""Damaged and odd files: each is read with a warning that says what was guessed or
accepted, or refused with a typed error naming what is wrong and where (issue 11)."""

from __future__ import annotations

import codecs
import os
import signal
import warnings

import pandas as pd
import pytest

from analysis.errors import (
    ColumnMismatchError,
    DataQualityWarning,
    EmptyFileError,
    EncodingError,
    FileFormatError,
    SurveyError,
)
from analysis.ingest import load_wave, read_table
from analysis.ingest import table as table_module
from analysis.ingest._native import Refusal, run_native

SURVEY = """\
wave: f2022
title: faults
questions:
  - id: gender
    type: single
    label: 性别
    source: 1
    options: [{code: 1, label: 男}, {code: 2, label: 女}]
  - id: age
    type: numeric
    label: 年龄
    source: 2
"""
HEADER = "序号,提交答卷时间,所用时间,来自IP,1、性别,2、年龄"
ROWS = ["1,2022/01/01 10:00:00,10秒,1.2.3.4,男,30", "2,2022/01/01 10:05:00,12秒,1.2.3.5,女,41",
        "3,2022/01/01 10:09:00,15秒,1.2.3.6,男,25"]
CSV = "\n".join([HEADER, *ROWS]) + "\n"


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "faults")


def _wave(tmp_path, data: bytes, name: str = "export.csv", survey: str = SURVEY):
    folder = tmp_path / "wave"
    (folder / "raw").mkdir(parents=True)
    (folder / "survey.yaml").write_text(survey, encoding="utf-8")
    (folder / "raw" / name).write_bytes(data)
    return folder


def _file(tmp_path, data: bytes, name: str = "x.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _only_warning(record, *words):
    texts = [str(w.message) for w in record if issubclass(w.category, DataQualityWarning)]
    assert any(all(word in t for word in words) for t in texts), texts


# ------------------------------------------------------------------ text files
def test_nul_bytes_are_removed_and_reported(tmp_path):
    path = _file(tmp_path, CSV.replace("女", "女\x00").encode())
    with pytest.warns(DataQualityWarning, match=r"1 NUL byte.*line 3"):
        table, _ = read_table(path)
    assert table.iloc[1, 4] == "女"
    with pytest.raises(FileFormatError, match="NUL"):
        read_table(path, strict=True)


def test_short_row_is_reported_with_its_row(tmp_path):
    text = "\n".join([HEADER, ROWS[0], "2,2022/01/01 10:05:00,12秒,1.2.3.5", ROWS[2]]) + "\n"
    path = _file(tmp_path, text.encode())
    with pytest.warns(DataQualityWarning, match=r"1 row\(s\) have fewer fields.*row 2 \(line 3, "
                                                r"4 fields\)"):
        table, _ = read_table(path)
    assert table.iloc[1].tolist()[-2:] == ["", ""]
    with pytest.raises(FileFormatError, match="fewer fields") as info:
        read_table(path, strict=True)
    assert info.value.line == 3


def test_short_row_count_ignores_quoted_delimiters_and_line_breaks(tmp_path):
    text = HEADER + '\n1,"2022/01/01, 10:00",10秒,"1.2.3.4\nx",男,30\n2,a,b,c,女,4\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        table, _ = read_table(_file(tmp_path, text.encode()))
    assert len(table) == 2


def test_file_cut_mid_row_is_an_error(tmp_path):
    cut = CSV[:CSV.rindex("1.2.3.6") + 3]
    with pytest.raises(FileFormatError, match=r"ends in the middle of row 3") as info:
        read_table(_file(tmp_path, cut.encode()))
    assert info.value.line == 4


def test_unterminated_last_line_is_reported(tmp_path):
    with pytest.warns(DataQualityWarning, match="no line end"):
        read_table(_file(tmp_path, CSV.rstrip("\n").encode()))


def test_semicolon_delimiter_is_said(tmp_path):
    path = _file(tmp_path, CSV.replace(",", ";").encode())
    with pytest.warns(DataQualityWarning, match="semicolon-delimited"):
        table, _ = read_table(path)
    assert list(table.columns) == HEADER.split(",")


def test_utf16_without_bom_is_said(tmp_path):
    path = _file(tmp_path, CSV.encode("utf-16-le"))
    with pytest.warns(DataQualityWarning, match="UTF-16-LE"):
        table, enc = read_table(path)
    assert enc == "utf-16-le"
    assert table.shape == (3, 6)


def test_field_size_limit_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setattr(table_module, "FIELD_SIZE_LIMIT", 2000)
    big = "\n".join([HEADER, ROWS[0], ROWS[1].replace("女", "女" + "x" * 5000), ROWS[2]]) + "\n"
    with pytest.raises(FileFormatError, match="line 3 is .* over the field-size limit") as info:
        read_table(_file(tmp_path, big.encode()))
    assert info.value.line == 3


def test_unclosed_quote_names_the_line_where_it_opens(tmp_path):
    text = "\n".join([HEADER, ROWS[0], ROWS[1].replace(",女,", ',"女,'), ROWS[2],
                      ROWS[2].replace("3,", "4,", 1)]) + "\n"
    with pytest.raises(FileFormatError, match="opening quote is on line 3") as info:
        read_table(_file(tmp_path, text.encode()))
    assert info.value.line == 3


def test_row_with_extra_fields_names_the_line(tmp_path):
    text = "\n".join([HEADER, ROWS[0], ROWS[1] + ",extra", ROWS[2]]) + "\n"
    with pytest.raises(FileFormatError, match="line 3 has 7 fields but the header has 6"):
        read_table(_file(tmp_path, text.encode()))


# ------------------------------------------------------------------- encodings
def test_utf8_bom_over_gb18030_names_the_real_offset(tmp_path):
    data = codecs.BOM_UTF8 + CSV.encode("gb18030")
    with pytest.raises(EncodingError, match="byte-order mark") as info:
        read_table(_file(tmp_path, data))
    offset = info.value.details["offset"]
    assert data[offset:offset + 2] == "序".encode("gb18030")
    assert info.value.details["works"] == "gb18030"


def test_declared_encoding_that_fails_names_one_that_works(tmp_path):
    with pytest.raises(EncodingError, match="decodes as gb18030") as info:
        read_table(_file(tmp_path, CSV.encode("gb18030")), encoding="utf-8")
    assert "gb18030" in info.value.hint


def test_mojibake_headers_get_an_encoding_hint(tmp_path):
    folder = _wave(tmp_path, CSV.encode("utf-8"),
                   survey=SURVEY + "encoding: latin-1\n")
    with pytest.raises(ColumnMismatchError, match="utf-8 text read as latin-1") as info:
        load_wave(folder)
    assert "utf-8" in info.value.hint


# ------------------------------------------------------------- wrong contents
def test_wrong_extensions_name_the_real_type(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    sav = tmp_path / "real.sav"
    pyreadstat.write_sav(pd.DataFrame({"q1": [1.0, 2.0]}), str(sav))
    with pytest.raises(FileFormatError, match="SPSS .sav") as info:
        read_table(_file(tmp_path, sav.read_bytes(), "named.xlsx"))
    assert ".sav" in info.value.hint
    xlsx = tmp_path / "real.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(xlsx, index=False)
    with pytest.raises(FileFormatError, match="named .csv but is an Excel .xlsx") as info:
        read_table(_file(tmp_path, xlsx.read_bytes(), "named.csv"))
    assert "rename it to .xlsx" in info.value.hint
    with pytest.raises(FileFormatError, match="HTML"):
        read_table(_file(tmp_path, b"<!DOCTYPE html><html><table></table></html>", "a.xls"))


def test_title_row_above_the_header_is_named(tmp_path):
    text = "2022 低碳消费调查 导出,,,,,\n" + CSV
    with pytest.raises(FileFormatError, match="header row is row 2") as info:
        load_wave(_wave(tmp_path, text.encode()))
    assert info.value.row == 2


def test_duplicate_header_names_both_column_letters(tmp_path):
    survey = """\
wave: g
title: dup
platform: generic
questions:
  - {id: q1, type: single, label: A, options: [{code: 1, label: 是}, {code: 2, label: 否}]}
"""
    data = b"respondent_id,q1,q1\n1,1,2\n2,2,1\n"
    with pytest.raises(ColumnMismatchError, match="appears in columns B and C"):
        load_wave(_wave(tmp_path, data, survey=survey))


def test_sheets_are_listed_and_chosen(tmp_path):
    rows = [r.split(",") for r in ROWS]
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"说明": ["本文件由问卷星导出"]}).to_excel(xw, sheet_name="说明", index=False)
        pd.DataFrame(rows, columns=HEADER.split(",")).to_excel(xw, sheet_name="数据", index=False)
    folder = _wave(tmp_path, path.read_bytes(), name="export.xlsx")
    with pytest.raises(ColumnMismatchError, match="responses are on sheet '数据'") as info:
        load_wave(folder)
    assert "--sheet" in info.value.hint
    assert len(load_wave(folder, sheet="数据")) == 3
    assert len(load_wave(folder, sheet=2)) == 3
    with pytest.raises(FileFormatError, match="no sheet 'nope'.*'说明', '数据'"):
        load_wave(folder, sheet="nope")


# ------------------------------------------------------------------- Qualtrics
QUALTRICS_SURVEY = """\
wave: q
title: q
platform: qualtrics
questions:
  - {id: q1, type: single, label: A, source: QID1, options: [{code: 1, label: Yes}, {code: 2, label: No}]}
"""


def test_legacy_qualtrics_export_is_named(tmp_path):
    data = "V1,V2,V3,Q1\nResponseID,ResponseSet,StartDate,Pick one\nR_1,Default,2022-01-01,1\n"
    with pytest.raises(FileFormatError, match="legacy Qualtrics export"):
        load_wave(_wave(tmp_path, data.encode(), survey=QUALTRICS_SURVEY))


def test_malformed_import_id_names_the_column(tmp_path):
    data = ('ResponseId,StartDate,Q1\nResponse ID,Start Date,Pick one\n'
            '{"ImportId":"_recordId"},{"ImportId":"startDate"},{"ImportId":"QID1"\n'
            'R_1,2022-01-01,1\n')
    with pytest.raises(FileFormatError, match=r"malformed ImportId JSON in column 3 \(C"):
        load_wave(_wave(tmp_path, data.encode(), survey=QUALTRICS_SURVEY))


def test_missing_import_id_row_is_named(tmp_path):
    data = "ResponseId,StartDate,Q1\nResponse ID,Start Date,Pick one\nR_1,2022-01-01,1\n"
    with pytest.raises(FileFormatError, match="ImportId header row is missing"):
        load_wave(_wave(tmp_path, data.encode(), survey=QUALTRICS_SURVEY))


# ------------------------------------------------- 问卷星: expected header text
def test_missing_question_names_the_expected_header(tmp_path):
    data = CSV.replace("2、年龄", "3、职业").encode()
    with pytest.raises(ColumnMismatchError, match="expected a header like '2、年龄'"):
        load_wave(_wave(tmp_path, data))


# ----------------------------------------------------- native readers, isolated
def _segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


class _Panic(BaseException):
    """Like pyo3's PanicException: not an Exception."""


def _panic():
    raise _Panic("called `Option::unwrap()` on a `None` value")


def _sleep():
    import time

    time.sleep(30)


def test_native_crashes_become_refusals():
    with pytest.raises(Refusal, match="SIGSEGV"):
        run_native(_segfault)
    with pytest.raises(Refusal, match="_Panic: called"):
        run_native(_panic)
    with pytest.raises(Refusal, match="did not finish within 0.5 s"):
        run_native(_sleep, timeout=0.5)
    assert run_native(sum, [1, 2]) == 3


def test_stray_cell_at_xfd1048576_is_a_typed_error(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [HEADER.split(","), *[r.split(",") for r in ROWS]]:
        ws.append(row)
    ws["XFD1048576"] = "x"
    path = tmp_path / "stray.xlsx"
    wb.save(path)
    with pytest.raises(FileFormatError, match="XFD1048576") as info:
        read_table(path)
    assert "stray" in info.value.hint


def test_truncated_spss_names_the_case(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame({"q1": [float(i % 5 + 1) for i in range(300)], "q2": [1.5] * 300})
    whole = tmp_path / "whole.sav"
    pyreadstat.write_sav(df, str(whole))
    data = whole.read_bytes()
    with pytest.raises(FileFormatError, match=r"stop inside case \d+ of 300"):
        read_table(_file(tmp_path, data[:len(data) - 100], "cut.sav"))
    with pytest.raises(FileFormatError, match="ends inside"):
        read_table(_file(tmp_path, data[:300], "head.sav"))


def test_stata_without_end_tag_is_reported(tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    whole = tmp_path / "whole.dta"
    pyreadstat.write_dta(pd.DataFrame({"q1": [1.0, 2.0, 3.0]}), str(whole))
    path = _file(tmp_path, whole.read_bytes()[:-4], "cut.dta")
    with pytest.warns(DataQualityWarning, match="</stata_dta>"):
        table, _ = read_table(path)
    assert len(table) == 3


def test_damaged_binaries_never_escape_the_error_contract(tmp_path):
    """Byte damage in real binary formats: a table or a SurveyError, the process alive."""
    import random

    pyreadstat = pytest.importorskip("pyreadstat")
    sav = tmp_path / "w.sav"
    pyreadstat.write_sav(pd.DataFrame({"q1": [1.0, 2.0] * 50, "s": ["ab"] * 100}), str(sav))
    xlsx = tmp_path / "w.xlsx"
    pd.DataFrame([r.split(",") for r in ROWS], columns=HEADER.split(",")).to_excel(xlsx,
                                                                                  index=False)
    rng = random.Random(11)
    for src in (sav, xlsx):
        data = bytearray(src.read_bytes())
        for i in range(12):
            bad = bytearray(data)
            for _ in range(rng.randint(1, 8)):
                bad[rng.randrange(len(bad))] = rng.randrange(256)
            path = _file(tmp_path, bytes(bad), f"d{i}{src.suffix}")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DataQualityWarning)
                    read_table(path)
            except (SurveyError, EmptyFileError):
                pass


def test_xls_reporting_65283_columns_is_refused_fast(tmp_path):
    """A damaged cell record (column 65282) used to cost 15-17 s of column clean-up."""
    import time

    from conftest import REAL_EXPORTS

    real = REAL_EXPORTS / "wjx" / "reportgen-2016-zte" / "All_Data_Readable.xls"
    if not real.is_file():
        pytest.skip(f"real exports not found at {real}")
    data = bytearray(real.read_bytes())
    at = data.find(b"\xfd\x00\x0a\x00")  # the first LABELSST cell record
    data[at + 6:at + 8] = (65282).to_bytes(2, "little")
    start = time.perf_counter()
    with pytest.raises(FileFormatError, match="65,283 columns, more than a .xls can hold"):
        read_table(_file(tmp_path, bytes(data), "wide.xls"))
    assert time.perf_counter() - start < 5


# ------------------------------------------------------------------ xlsx formulas
def _formula_workbook(path, cached: bool):
    """A workbook whose C3 is a formula; openpyxl stores none of its results."""
    import shutil
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "答卷"
    ws.append(["序号", "1、您的性别", "2、年龄"])
    ws.append([1, "男", 30])
    ws.append([2, "女", "=C2*2"])
    wb.save(path)
    if cached:  # what Excel writes: the formula and its last result
        raw = path.with_suffix(".tmp")
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(raw, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"<v />", b"<v>60</v>").replace(b"<v/>", b"<v>60</v>")
                dst.writestr(info, data)
        shutil.move(raw, path)
    return path


def test_formula_cells_without_a_stored_result_are_reported(tmp_path):
    path = _formula_workbook(tmp_path / "f.xlsx", cached=False)
    with pytest.warns(DataQualityWarning, match=r"1 formula cell.*'答卷'.*C3"):
        read_table(path)
    with pytest.raises(FileFormatError, match="formula"):
        read_table(path, strict=True)


def test_formula_cells_with_their_result_read_silently(tmp_path):
    path = _formula_workbook(tmp_path / "g.xlsx", cached=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table, _ = read_table(path)
    assert str(table.iloc[1, 2]) in ("60", "60.0")
