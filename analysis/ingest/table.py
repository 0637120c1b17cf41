"""Read any supported export into a raw table of cells (no interpretation).

:func:`read_table` returns a :class:`pandas.DataFrame` whose columns are the
file's header row (duplicates kept, so work by position) and whose cells are
strings (text files) or the spreadsheet's own values (Excel: str, float,
datetime; SPSS/Stata: numbers or strings).  Format-specific facts the
readers need travel in ``table.attrs``: ``"format"`` (csv, xlsx, xls, sav,
dta), ``"delimiter"``, and for SPSS/Stata ``"value_labels"``,
``"column_labels"`` and ``"user_missing"``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import EmptyFileError, FileFormatError, MissingFileError
from .encoding import decode_bytes

__all__ = ["TEXT_SUFFIXES", "EXCEL_SUFFIXES", "STAT_SUFFIXES", "SUFFIXES", "read_table",
           "check_file"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
STAT_SUFFIXES = (".sav", ".zsav", ".dta")
SUFFIXES = TEXT_SUFFIXES + EXCEL_SUFFIXES + STAT_SUFFIXES

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, raising typed errors if it is absent or empty."""
    path = Path(path)
    if not path.exists():
        raise MissingFileError("file not found", file=path,
                               hint="check the path (and that the export was downloaded)")
    if path.is_dir():
        raise FileFormatError("expected a file but got a folder", file=path,
                              hint="pass the export file itself, or use load_wave(folder)")
    if path.stat().st_size == 0:
        raise EmptyFileError("the file is empty (0 bytes)", file=path,
                             hint="download the export again")
    return path


def read_table(path: str | Path, encoding: str = "auto") -> tuple[pd.DataFrame, str]:
    """Read an export into a raw table of cells.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv``/``.txt`` (delimiter sniffed), ``.xlsx``/``.xlsm``/
        ``.xls`` (first sheet), ``.sav``/``.zsav`` (SPSS) or ``.dta`` (Stata).
    encoding : str, default "auto"
        Text files only: a codec name, or ``"auto"`` to detect
        (BOM, UTF-8, GB18030).  Ignored for binary formats.

    Returns
    -------
    table : pandas.DataFrame
        Header row as columns (duplicates kept), one row per data row, cells
        as read; empty cells are ``""`` or NaN.  ``table.attrs["format"]``
        names the format.
    encoding : str
        The encoding used (``"utf-8"``, ``"utf-8-sig"``, ``"gb18030"``,
        ``"utf-16"``, ...; for Excel the workbook's, e.g. ``"utf-16-le"`` for
        BIFF8 code page 1200).

    Raises
    ------
    MissingFileError, EmptyFileError, EncodingError, FileFormatError
    """
    path = check_file(path)
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if suffix in (".sav", ".zsav", ".dta"):
        table, used = _read_stat(path, suffix)
    elif suffix in (".xlsx", ".xlsm"):
        if head.startswith(_ZIP):
            table, used = _read_excel(path, "xlsx")
        elif head.startswith(_OLE):
            # Old-format workbooks are often renamed .xlsx; read them if we can.
            try:
                table, used = _read_excel(path, "xls")
            except FileFormatError:
                raise FileFormatError("not a valid xlsx (not a zip archive)", file=path,
                                      hint="open it in Excel and save as .xlsx") from None
        else:
            raise FileFormatError("not a valid xlsx (not a zip archive)", file=path,
                                  hint="the download is damaged or is another format; "
                                       "download it again or save it from Excel as .xlsx")
    elif suffix == ".xls" or suffix not in TEXT_SUFFIXES:
        if head.startswith(_OLE):
            table, used = _read_excel(path, "xls")
        elif head.startswith(_ZIP):
            table, used = _read_excel(path, "xlsx")
        elif suffix in (".xls",) or suffix in TEXT_SUFFIXES or _looks_textual(path):
            # Some platforms serve tab-separated or HTML text under an .xls name.
            table, used = _read_text(path, encoding, suffix)
        else:
            raise FileFormatError(f"unsupported file type {suffix!r}", file=path,
                                  hint=f"export as one of {', '.join(SUFFIXES)}")
    else:
        table, used = _read_text(path, encoding, suffix)
    return _tidy(table, path), used


def _looks_textual(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(2048)
    return b"\x00" not in head.lstrip(b"\xff\xfe\xef\xbb\xbf") or head[:2] in (b"\xff\xfe",
                                                                             b"\xfe\xff")


def _sniff_delimiter(first_line: str, suffix: str) -> str:
    counts = {d: len(next(csv.reader([first_line], delimiter=d))) for d in ("\t", ",", ";", "|")}
    if suffix in (".tsv", ".tab") and counts["\t"] > 1:
        return "\t"
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def _read_text(path: Path, encoding: str, suffix: str) -> tuple[pd.DataFrame, str]:
    text, used = decode_bytes(path.read_bytes(), encoding, file=path)
    stripped = text.lstrip()
    if not stripped.strip():
        raise EmptyFileError("the file holds no header and no data", file=path,
                             hint="download the export again")
    if stripped[:200].lower().startswith(("<html", "<!doctype", "<table", "<?xml")):
        raise FileFormatError("the file is an HTML/XML page, not a data table", file=path,
                              hint="open it in Excel and save it as .xlsx or CSV UTF-8")
    first = text.lstrip("\r\n").split("\n", 1)[0]
    sep = _sniff_delimiter(first, suffix)
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str,
                          keep_default_na=False, na_filter=False, skip_blank_lines=True,
                          engine="c")
    except pd.errors.ParserError as exc:
        raise FileFormatError(f"malformed delimited text ({exc})", file=path,
                              hint="check quoting: a cell with a line break or the delimiter "
                                   "must be in double quotes") from None
    except pd.errors.EmptyDataError:
        raise EmptyFileError("the file holds no header and no data", file=path) from None
    table = raw.iloc[1:].reset_index(drop=True)
    table.columns = [str(h) for h in raw.iloc[0].tolist()]
    table.attrs = {"format": "tsv" if sep == "\t" else "csv", "delimiter": sep}
    return table, used


def _read_excel(path: Path, kind: str) -> tuple[pd.DataFrame, str]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        rows: list[list[Any]] = []
        for name in wb.sheet_names:
            rows = wb.get_sheet_by_name(name).to_python()
            if any(any(c not in ("", None) for c in r) for r in rows[:5]):
                break
    except Exception as exc:  # calamine raises its own error types per format
        what = "xlsx (corrupt zip/XML)" if kind == "xlsx" else "xls (BIFF) workbook"
        raise FileFormatError(f"not a valid {what}: {exc}", file=path,
                              hint="open the file in Excel and save it again as .xlsx") from None
    if not rows or not any(c not in ("", None) for c in rows[0]):
        raise EmptyFileError("the workbook's first sheet is empty", file=path,
                             hint="check that the export holds data")
    width = max(len(r) for r in rows)
    header = [_header_text(c) for c in rows[0]] + [""] * (width - len(rows[0]))
    body = [list(r) + [""] * (width - len(r)) for r in rows[1:]]
    table = pd.DataFrame(body, columns=range(width), dtype=object)
    table.columns = header
    encoding = "utf-8" if kind == "xlsx" else _xls_encoding(path)
    table.attrs = {"format": kind}
    return table, encoding


def _xls_encoding(path: Path) -> str:
    """The BIFF workbook's code page (1200 = UTF-16 LE, 936 = GBK), for the record."""
    try:
        import xlrd

        book = xlrd.open_workbook(str(path), on_demand=True)
        name = str(book.encoding or "").replace("_", "-")
        book.release_resources()
        return name or "unknown"
    except Exception:  # the encoding is informative only; calamine already read the data
        return "unknown"


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_stat(path: Path, suffix: str) -> tuple[pd.DataFrame, str]:
    import pyreadstat

    reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
    try:
        data, meta = reader(str(path), user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises ReadstatError/PyreadstatError
        kind = "Stata .dta" if suffix == ".dta" else "SPSS .sav"
        raise FileFormatError(f"not a valid {kind} file: {exc}", file=path,
                              hint="export the data again from SPSS/Stata") from None
    if data.shape[1] == 0:
        raise EmptyFileError("the file holds no variables", file=path)
    user_missing: dict[str, list[Any]] = {}
    for col, values in (getattr(meta, "missing_user_values", None) or {}).items():
        user_missing[col] = list(values)
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        user_missing.setdefault(col, []).extend(
            r["lo"] for r in ranges if r.get("lo") == r.get("hi"))
    data.attrs = {
        "format": "dta" if suffix == ".dta" else "sav",
        "value_labels": {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()},
        "column_labels": dict(meta.column_names_to_labels or {}),
        "user_missing": user_missing,
    }
    return data, str(meta.file_encoding or "unknown")


def _blank_cells(column: pd.Series) -> np.ndarray:
    """Empty cells (NA, "" or whitespace) of one column."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    blank = np.array([not str(u).strip() for u in uniques] + [True], dtype=bool)
    return blank[codes]


def _tidy(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Drop fully empty rows and unnamed empty columns (Excel's trailing debris)."""
    attrs = dict(table.attrs)
    if table.shape[1] and attrs.get("format") not in ("sav", "dta"):
        # A blank row is blank in its first column: check the others on those rows only.
        rows = _blank_cells(table.iloc[:, 0])
        for j in range(1, table.shape[1]):
            if not rows.any():
                break
            candidates = np.flatnonzero(rows)
            rows[candidates] = _blank_cells(table.iloc[candidates, j])
        keep_rows = np.flatnonzero(~rows)
        keep = [j for j, h in enumerate(table.columns)
                if str(h).strip() or not _blank_cells(table.iloc[keep_rows, j]).all()]
        if len(keep_rows) < len(table) or len(keep) < table.shape[1]:
            table = table.iloc[keep_rows, keep].reset_index(drop=True)
    table.attrs = attrs
    return table
