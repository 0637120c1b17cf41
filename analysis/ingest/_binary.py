"""Binary exports: what a file really is, and the Excel/SPSS/Stata reads that run in a worker.

* :func:`sniff_content` names a file's real format from its first bytes
  (zip workbook, OLE2 workbook, SPSS, Stata, HTML, PDF, ...), so a file with
  the wrong extension is refused with its real type named.
* :func:`excel_job` and :func:`stat_job` run inside
  :func:`~analysis.ingest._native.run_native`: they check declared
  dimensions before materialising cells (a damaged ``.xls`` that reports
  65,283 columns is refused at once, not cleaned column by column).
* :func:`sav_truncation`, :func:`xlsx_extent` explain a failed read: where
  an SPSS file is cut, which stray cell blows up a worksheet.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from ._native import Refusal

__all__ = ["KIND_NAMES", "MAX_CELLS", "sniff_content", "excel_job", "stat_job",
           "sav_truncation", "xlsx_extent", "xlsx_formulas_without_values", "column_letter",
           "dta_cut"]

#: Cells a worksheet may span (rows x columns, empty ones included).
MAX_CELLS = 50_000_000
#: Human names of the formats :func:`sniff_content` recognises.
KIND_NAMES = {
    "xlsx": "an Excel .xlsx workbook", "xls": "an old-format Excel .xls workbook",
    "sav": "an SPSS .sav data file", "zsav": "a compressed SPSS .zsav data file",
    "dta": "a Stata .dta data file", "html": "an HTML/XML page", "pdf": "a PDF document",
    "docx": "a Word document", "pptx": "a PowerPoint file", "ods": "an OpenDocument file",
    "zip": "a zip archive", "gzip": "a gzip archive", "ole": "an OLE2 (Office 97) document",
    "text": "delimited text", "binary": "binary data",
}
_XLS_LIMITS = (65536, 256)  # BIFF8: rows, columns
_XLSX_LIMITS = (1048576, 16384)


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index (0 -> A, 27 -> AB).

    Parameters
    ----------
    index : int
        0-based column position.

    Returns
    -------
    str
        The column's letters.
    """
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except Exception:  # noqa: BLE001 - damaged (BadZipFile, NotImplementedError, ...)
        return "zip"  # a workbook most likely: the reader will say what is wrong
    if any(n.startswith("xl/") for n in names):
        return "xlsx"
    if any(n.startswith("word/") for n in names):
        return "docx"
    if any(n.startswith("ppt/") for n in names):
        return "pptx"
    if "content.xml" in names:
        return "ods"
    return "zip"


def sniff_content(path: Path) -> str:
    """The real format of ``path``, whatever its extension.

    Looks at magic numbers only (and the zip directory for zip files); text
    is anything else with (almost) no NUL bytes, or UTF-16 text.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str
        A key of :data:`KIND_NAMES` (``"xlsx"``, ``"sav"``, ``"text"`` ...).
    """
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(path)
        return "xlsx" if kind == "zip" and path.suffix.lower() in (".xlsx", ".xlsm") else kind
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # An OLE2 container: a workbook if its directory names one.
        return "xls" if (b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in _ole_dir(path)
                         or b"B\x00o\x00o\x00k" in _ole_dir(path)) else "ole"
    if head.startswith((b"$FL2", b"$FL3")):
        return "zsav" if head.startswith(b"$FL3") else "sav"
    if head.startswith(b"<stata_dta>") or (
            len(head) > 4 and 0x68 <= head[0] <= 0x73 and head[1] in (1, 2) and head[2] == 1):
        return "dta"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    lowered = text[:200].replace(b"\x00", b"").lower()
    if lowered.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<head", b"<meta")):
        return "html"
    if head.count(0) < 0.02 * len(head) or head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "text"  # a few NUL bytes in text are damage, reported by the text reader
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) or even.count(0) > 0.4 * len(even):
        return "text"  # UTF-16 without a byte-order mark
    return "binary"


def _ole_dir(path: Path) -> bytes:
    """Bytes that hold the OLE2 directory names (the whole head of small files)."""
    with path.open("rb") as fh:
        return fh.read(1 << 20)


# ----------------------------------------------------------------------- Excel
def _pick_sheet(names: list[str], sheet: str | int | None) -> str | None:
    if sheet is None:
        return None
    if isinstance(sheet, str) and sheet in names:
        return sheet
    text = str(sheet).strip()
    lowered = {n.strip().lower(): n for n in names}
    if text.lower() in lowered:
        return lowered[text.lower()]
    if text.isdigit() and 1 <= int(text) <= len(names):
        return names[int(text) - 1]
    raise Refusal(f"the workbook has no sheet {sheet!r} (its sheets: "
                  + ", ".join(repr(n) for n in names) + ")",
                  "pass one of these names (or its 1-based number) as --sheet / sheet=")


def _trim(row: list[Any]) -> list[Any]:
    """The row without trailing empty cells (linear in what is trimmed)."""
    end = len(row)
    while end and (row[end - 1] is None or (isinstance(row[end - 1], str)
                                             and not row[end - 1].strip())):
        end -= 1
    return row[:end] if end < len(row) else row


def excel_job(path: str, kind: str, sheet: str | int | None) -> dict[str, Any]:
    """Read one worksheet (run in the worker): rows trimmed, dimensions checked.

    Parameters
    ----------
    path : str
        The workbook.
    kind : {"xlsx", "xls"}
        Its format (sets the dimension limits).
    sheet : str or int or None
        Sheet name or 1-based number; None: the first sheet with data.

    Returns
    -------
    dict
        ``rows`` (lists of cells, trailing blanks trimmed), ``sheet`` (read),
        ``sheets`` (all names) and ``encoding``.

    Raises
    ------
    Refusal
        A sheet that cannot be a real export (more columns than the format
        holds, more than :data:`MAX_CELLS` cells) or no such sheet.
    """
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(path)
    names = list(wb.sheet_names)
    chosen = _pick_sheet(names, sheet)
    max_rows, max_cols = _XLS_LIMITS if kind == "xls" else _XLSX_LIMITS
    rows: list[list[Any]] = []
    for name in [chosen] if chosen else names:
        ws = wb.get_sheet_by_name(name)
        height, width = ws.height, ws.width
        if width > max_cols or height > max_rows:
            raise Refusal(f"sheet {name!r} reports {height:,} rows x {width:,} columns, more "
                          f"than a .{kind} can hold ({max_rows:,} x {max_cols:,}): the file is "
                          "damaged", "download the export again, or open it in Excel and "
                                     "save it as .xlsx")
        if height * width > MAX_CELLS:
            end = ws.end
            where = f" (its last cell is {column_letter(end[1])}{end[0] + 1})" if end else ""
            raise Refusal(f"sheet {name!r} spans {height:,} rows x {width:,} columns "
                          f"({height * width:,} cells, the limit is {MAX_CELLS:,}){where}",
                          "delete stray cells far outside the data (Ctrl+End shows the last "
                          "one) and save again")
        rows = ws.to_python()
        chosen = name
        if chosen == sheet or any(any(c not in ("", None) for c in r) for r in rows[:5]):
            break
    rows = [_trim(list(r)) for r in rows]
    while rows and not rows[-1]:
        rows.pop()
    encoding = "utf-8" if kind == "xlsx" else _xls_encoding(path)
    return {"rows": rows, "sheet": chosen, "sheets": names, "encoding": encoding}


def _xls_encoding(path: str) -> str:
    """The BIFF workbook's code page (1200 = UTF-16 LE, 936 = GBK), for the record."""
    try:
        import xlrd

        book = xlrd.open_workbook(path, on_demand=True)
        name = str(book.encoding or "").replace("_", "-")
        book.release_resources()
        return name or "unknown"
    except Exception:  # the encoding is informative only; calamine already read the data
        return "unknown"


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]+)(\d+)"')


def _letters_index(letters: bytes) -> int:
    out = 0
    for ch in letters:
        out = out * 26 + ch - 64
    return out - 1


def xlsx_extent(path: Path) -> str:
    """Describe the worksheets' declared extents and farthest cells (after a failed read).

    Parameters
    ----------
    path : Path
        The workbook.

    Returns
    -------
    str
        ``"sheet1.xml declares A1:XFD1048576; ..."``, or "" if nothing is known.
    """
    notes = []
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not re.fullmatch(r"xl/worksheets/sheet\d+\.xml", info.filename):
                    continue
                with zf.open(info) as fh:
                    head = fh.read(4096)
                    m = _DIMENSION.search(head)
                    far_row = far_col = 0
                    far = ""
                    data = head
                    while data:
                        for col, row in _CELL_REF.findall(data):
                            r, c = int(row), _letters_index(col)
                            if r * (c + 1) > far_row * (far_col + 1):
                                far_row, far_col, far = r, c, (col + row).decode()
                        data = fh.read(1 << 22)
                name = info.filename.rsplit("/", 1)[-1]
                if m and m.group(3):
                    notes.append(f"{name} declares {m.group(1).decode()}{m.group(2).decode()}:"
                                 f"{m.group(3).decode()}{m.group(4).decode()}")
                if far:
                    notes.append(f"{name}'s farthest cell is {far}")
    except Exception as exc:  # noqa: BLE001 - any damage: this only explains a failed read
        return f"its zip structure is damaged ({type(exc).__name__}: {exc})"
    return "; ".join(notes)


_SHEET_ENTRY = re.compile(rb'<(?:\w+:)?sheet\b([^>]*)>')
_REL_ENTRY = re.compile(rb'<(?:\w+:)?Relationship\b([^>]*)>')
_CELL = re.compile(rb'<(?:\w+:)?c\s([^>]*?)(/>|>(.*?)</(?:\w+:)?c>)', re.S)
_REF = re.compile(rb'\br="([A-Z]+\d+)"')


def _attr(attrs: bytes, name: bytes) -> bytes:
    m = re.search(rb"(?:^|\s)" + re.escape(name) + rb'="([^"]*)"', attrs)
    return m.group(1) if m else b""


def xlsx_formulas_without_values(path: Path, sheet: str) -> list[str]:
    """List the cells of ``sheet`` holding a formula but no stored result.

    Excel stores each formula's last result next to it; files written by other
    programs may not, and every reader then sees an empty cell where the
    formula would have given an answer.

    Parameters
    ----------
    path : Path
        The ``.xlsx`` workbook (already read successfully).
    sheet : str
        The sheet the responses were read from.

    Returns
    -------
    list of str
        Cell references (``"C5"``) in file order; empty when every formula
        has a stored value or the sheet cannot be located.
    """
    from html import unescape

    try:
        with zipfile.ZipFile(path) as zf:
            book = zf.read("xl/workbook.xml")
            # Attribute order varies between writers: read each attribute on its own.
            rels = {_attr(a, b"Id"): _attr(a, b"Target")
                    for a in _REL_ENTRY.findall(zf.read("xl/_rels/workbook.xml.rels"))}
            target = next((rels.get(_attr(a, b"r:id")) for a in _SHEET_ENTRY.findall(book)
                           if unescape(_attr(a, b"name").decode("utf-8")) == sheet), None)
            if target is None:
                return []
            member = target.decode().lstrip("/")
            member = member if member.startswith("xl/") else f"xl/{member}"
            data = zf.read(member)
    except (KeyError, OSError, zipfile.BadZipFile, UnicodeDecodeError):
        return []
    if b"<f" not in data and b":f" not in data:
        return []  # no formula at all: the common case costs one scan
    out = []
    for attrs, _, body in _CELL.findall(data):
        # A value element with content is a stored result; "<v />" or none is not.
        if body and re.search(rb"<(?:\w+:)?f[\s>/]", body) and not re.search(
                rb"<(?:\w+:)?v>[^<]", body) and b"t=\"inlineStr\"" not in attrs:
            ref = _REF.search(attrs)
            if ref:
                out.append(ref.group(1).decode())
    return out


# -------------------------------------------------------------------- SPSS/Stata
def stat_job(path: str, suffix: str) -> tuple[pd.DataFrame, dict[str, Any], str, int]:
    """Read an SPSS/Stata file with value labels (run in the worker).

    Parameters
    ----------
    path : str
        The file.
    suffix : {".sav", ".dta"}
        Which reader.

    Returns
    -------
    tuple
        ``(data, attrs, encoding, declared_rows)``; ``declared_rows`` is -1
        when the file does not say.
    """
    import pyreadstat

    reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
    data, meta = reader(path, user_missing=True, apply_value_formats=False)
    user_missing: dict[str, list[Any]] = {}
    for col, values in (getattr(meta, "missing_user_values", None) or {}).items():
        user_missing[col] = list(values)
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        user_missing.setdefault(col, []).extend(
            r["lo"] for r in ranges if r.get("lo") == r.get("hi"))
    attrs = {
        "format": "dta" if suffix == ".dta" else "sav",
        "value_labels": {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()},
        "column_labels": dict(meta.column_names_to_labels or {}),
        "user_missing": user_missing,
    }
    declared = getattr(meta, "number_rows", None)
    return data, attrs, str(meta.file_encoding or "unknown"), -1 if declared is None else declared


def dta_cut(path: Path) -> bool:
    """Whether a Stata 117+ file lacks its closing ``</stata_dta>`` tag (cut short).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    bool
        True if the file opens with ``<stata_dta>`` but does not end with its tag.
    """
    with path.open("rb") as fh:
        if fh.read(11) != b"<stata_dta>":
            return False
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 12))
        return fh.read() != b"</stata_dta>"


class _Cut(Exception):
    """The file ended inside a record."""


def sav_truncation(path: Path) -> str | None:
    """Where an SPSS ``.sav`` file is cut short, in words.

    Walks the header, the dictionary records and the case data (plain or
    bytecode-compressed) and names the record or the case the file ends in.

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    str or None
        ``"the data stop inside case 129 of 300 (byte ...)"``; None if it looks whole.
    """
    data = path.read_bytes()
    size = len(data)
    if size < 176 or data[:4] not in (b"$FL2", b"$FL3"):
        return f"the file ends inside its 176-byte header (it has {size} bytes)" \
            if size < 176 else None
    endian = "<" if struct.unpack_from("<i", data, 64)[0] in (2, 3) else ">"
    case_size, compression, _, ncases = struct.unpack_from(endian + "4i", data, 68)
    bias = struct.unpack_from(endian + "d", data, 84)[0]
    pos = 176

    def need(n: int, what: str) -> None:
        if n < 0:
            raise _Cut(f"{what} declares a negative length: the dictionary is damaged")
        if pos + n > size:
            raise _Cut(f"the file ends inside {what} (it has {size} bytes)")

    def i32() -> int:
        nonlocal pos
        need(4, f"a dictionary record at byte {pos}")
        v = struct.unpack_from(endian + "i", data, pos)[0]
        pos += 4
        return v

    try:
        while True:
            start = pos
            rec = i32()
            if rec == 2:
                need(28, f"the variable record at byte {start}")
                _, has_label, n_missing = struct.unpack_from(endian + "3i", data, pos)
                pos += 28
                if has_label:
                    n = i32()
                    need((n + 3) // 4 * 4, f"a variable label at byte {pos}")
                    pos += (n + 3) // 4 * 4
                need(abs(n_missing) * 8, f"the missing values at byte {pos}")
                pos += abs(n_missing) * 8
            elif rec == 3:
                for _ in range(i32()):
                    need(9, f"the value labels record at byte {start}")
                    n = data[pos + 8]
                    step = 8 + (n + 8) // 8 * 8
                    need(step, f"the value labels record at byte {start}")
                    pos += step
            elif rec == 4:
                n = i32()
                need(4 * n, f"the value-label variables record at byte {start}")
                pos += 4 * n
            elif rec == 6:
                n = i32()
                need(80 * n, f"the document record at byte {start}")
                pos += 80 * n
            elif rec == 7:
                _, width, count = i32(), i32(), i32()
                need(width * count, f"the extension record at byte {start}")
                pos += width * count
            elif rec == 999:
                i32()
                break
            else:
                return f"byte {start} holds an unknown record type {rec}: the dictionary is damaged"
    except _Cut as cut:
        return str(cut)
    except (struct.error, IndexError):
        return f"the dictionary is damaged near byte {pos}"
    if ncases < 0 or case_size <= 0:
        return None
    if compression == 0:
        whole = (size - pos) // (8 * case_size)
        if whole < ncases:
            return (f"the data stop inside case {whole + 1} of {ncases} (byte {size}; the "
                    f"dictionary ends at byte {pos})")
        return None
    if compression == 1:
        cells = 0
        end = False
        while pos + 8 <= size and not end:
            block = data[pos:pos + 8]
            pos += 8
            for code in block:
                if code == 0:
                    continue
                if code == 252:
                    end = True
                    break
                if code == 253:
                    if pos + 8 > size:
                        break
                    pos += 8
                cells += 1
        whole = cells // case_size
        if whole < ncases:
            return (f"the compressed data stop inside case {whole + 1} of {ncases} "
                    f"(byte {size}, bias {bias:g})")
        return None
    if compression == 2 and pos + 24 <= size:
        _, trailer_ofs, trailer_len = struct.unpack_from(endian + "3q", data, pos)
        if trailer_ofs + trailer_len > size:
            return (f"the zlib data stop at byte {size}, before the trailer that should end at "
                    f"byte {trailer_ofs + trailer_len}")
    return None
