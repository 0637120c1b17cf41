"""The pyarrow text path reads exactly what the pandas path reads, or steps aside.

:func:`analysis.ingest.table.read_table` parses the common export (UTF-8 or
GB18030, comma/tab/semicolon, rows as wide as the header) with pyarrow and
decodes each column's distinct values; everything else goes to pandas' parser.
Every file here is read both ways: same cells, header, attrs, encoding,
warnings and errors.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest import table as table_module
from analysis.ingest.table import read_table

ZH = "序号,性别,说明\n1,男,\"我觉得|很好，价格高\"\n2,女,低碳产品\n3,男,\n"

CASES: dict[str, bytes] = {
    "mid_quote.csv": b'a,b,c\n1,x"y,3\n4,5,6\n',
    "quote_then_text.csv": b'a,b,c\n1,"ab"cd,3\n4,5,6\n',
    "empty_quotes.csv": b'a,b,c\n1,"",3\n"",5,""\n',
    "quoted_newline.csv": b'a,b,c\n1,"x\ny",3\n4,"p\r\nq",6\n',
    "crlf.csv": b"a,b,c\r\n1,2,3\r\n4,5,6\r\n",
    "cr_only.csv": b"a,b,c\r1,2,3\r4,5,6\r",
    "trailing_delim.csv": b"a,b,c\n1,2,3,\n4,5,6\n",
    "blank_mid.csv": b"a,b,c\n1,2,3\n\n\n4,5,6\n",
    "ws_line.csv": b"a,b,c\n1,2,3\n   \n4,5,6\n",
    "spaces.csv": b"a , b,c \n 1 , 2,3 \n",
    "short_row.csv": b"a,b,c\n1,2\n4,5,6\n",
    "long_row.csv": b"a,b,c\n1,2,3,4\n4,5,6\n",
    "unterminated.csv": b"a,b,c\n1,2,3\n4,5,6",
    "unterminated_short.csv": b"a,b,c\n1,2,3\n4,5",
    "unclosed_quote.csv": b'a,b,c\n1,"2,3\n4,5,6\n',
    "unclosed_quote_at_end.csv": b'a,b,c\n1,2,"3\n',
    "header_only.csv": b"a,b,c\n",
    "single_col.csv": b"a\n1\n\n2\n",
    "dup_header.csv": b"a,a,b\n1,2,3\n",
    "header_quoted_nl.csv": b'"a\nx",b,c\n1,2,3\n',
    "semicolon.csv": b"a;b;c\n1;2;3\n",
    "tab.csv": b"a\tb\tc\n1\t2\t3\n",
    "tab.tsv": b"a\tb\tc\n1\t2\t3\n",
    "pipe.csv": b"a|b|c\n1|2|3\n",
    "leading_blank.csv": b"\n\na,b,c\n1,2,3\n",
    "only_newlines.csv": b"\n\n\n",
    "nul.csv": b"a,b,c\n1,\x002,3\n",
    "quote_escape.csv": b'a,b,c\n1,"he said ""hi""",3\n',
    "last_line_ws.csv": b"a,b,c\n1,2,3\n  ",
    "cell_unicode_ws.csv": "a,b,c\n1,\u3000x\u3000,3\n".encode(),
    "bom_first_cell.csv": "\ufeffa,b,c\n1,2,3\n".encode(),
    "gb.csv": ZH.encode("gb18030"),
    "gb_tab.tsv": ZH.replace(",", "\t").encode("gb18030"),
    "gb_pipe.csv": ZH.replace(",", "|").encode("gb18030"),
    "gb_bom.csv": "\ufeff".encode("gb18030") + ZH.encode("gb18030"),
    "gb_bad_late.csv": ZH.encode("gb18030") + b"4,\x80\xff,x\n",
    "gb_lead_before_comma.csv": b"a,b\n1,\x81,2\n",
    "gb_4byte.csv": "a,b\n1,\U0001F600€\n".encode("gb18030"),
    "gb_ascii_header.csv": b"id,sex,note\n" + "1,男,好\n2,女,\n".encode("gb18030"),
    "utf8_bom.csv": b"\xef\xbb\xbf" + ZH.encode(),
    "utf8_bad_late.csv": ZH.encode() + b"4,\xc4\xe3,x\n",
    "mixed.csv": ZH.encode() + "4,男,中文\n".encode("gb18030"),
    "utf16.csv": ZH.encode("utf-16"),
    "latin.csv": "a,b\n1,café\n".encode("latin-1"),
}


def _read(path: Path, arrow: bool, monkeypatch: pytest.MonkeyPatch, encoding: str = "auto"):
    used: list[bool] = []
    real = table_module.read_arrow_text

    def spy(*args, **kwargs):
        out = real(*args, **kwargs) if arrow else None
        used.append(out is not None)
        return out

    monkeypatch.setattr(table_module, "read_arrow_text", spy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result: object = read_table(path, encoding)
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            result = (type(exc).__name__, str(exc))
    return result, [(w.category, str(w.message)) for w in caught], any(used)


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_paths_read_the_same(name: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / name
    path.write_bytes(CASES[name])
    fast, fast_warnings, _ = _read(path, True, monkeypatch)
    slow, slow_warnings, _ = _read(path, False, monkeypatch)
    assert fast_warnings == slow_warnings
    if isinstance(slow, tuple) and isinstance(slow[0], pd.DataFrame):
        assert isinstance(fast, tuple)
        assert isinstance(fast[0], pd.DataFrame)
        assert fast[1] == slow[1]
        assert fast[0].attrs == slow[0].attrs
        assert list(fast[0].columns) == list(slow[0].columns)
        pd.testing.assert_frame_equal(fast[0].astype(object), slow[0].astype(object))
    else:
        assert fast == slow


@pytest.mark.parametrize(("name", "encoding"), [
    ("gb.csv", "auto"), ("gb.csv", "gb18030"), ("gb_tab.tsv", "auto"), ("gb_4byte.csv", "auto"),
    ("utf8_bom.csv", "auto"), ("utf8_bom.csv", "utf-8"), ("crlf.csv", "auto"),
    ("quoted_newline.csv", "auto"), ("gb_ascii_header.csv", "auto")])
def test_common_exports_take_the_arrow_path(name: str, encoding: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / name
    path.write_bytes(CASES[name])
    fast, _, used = _read(path, True, monkeypatch, encoding)
    slow, _, _ = _read(path, False, monkeypatch, encoding)
    assert used, "the common export fell back to the pandas parser"
    assert isinstance(fast, tuple)
    assert isinstance(slow, tuple)
    assert fast[1] == slow[1]
    pd.testing.assert_frame_equal(fast[0].astype(object), slow[0].astype(object))


def test_gb18030_cells_are_decoded_per_distinct_value(tmp_path: Path) -> None:
    rows = "".join(f"{i},{'男' if i % 3 else '女'},{'低碳' * (i % 2)}\n" for i in range(1, 401))
    path = tmp_path / "export.csv"
    path.write_bytes(("序号,性别,说明\n" + rows).encode("gb18030"))
    table, used = read_table(path)
    assert used == "gb18030"
    sex = table["性别"]
    # Few answers: kept as a factorisation of the decoded labels.
    assert isinstance(sex.dtype, pd.CategoricalDtype)
    assert sorted(sex.cat.categories) == ["女", "男"]
    assert (sex == "女").sum() == len(range(3, 401, 3))
    assert table["说明"].tolist() == ["低碳" if i % 2 else "" for i in range(1, 401)]
    # Mostly distinct (ids): plain strings.
    assert table["序号"].tolist() == [str(i) for i in range(1, 401)]


def test_demo_export_reads_the_same_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    export = next((Path(__file__).parents[1] / "surveys" / "demo-2022" / "raw").iterdir())
    fast, fast_warnings, used = _read(export, True, monkeypatch)
    slow, slow_warnings, _ = _read(export, False, monkeypatch)
    assert used
    assert fast_warnings == slow_warnings
    assert isinstance(fast, tuple)
    assert isinstance(slow, tuple)
    assert fast[1] == slow[1] == "gb18030"
    pd.testing.assert_frame_equal(fast[0].astype(object), slow[0].astype(object))
