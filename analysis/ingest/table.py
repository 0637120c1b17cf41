"""Read any supported export into a raw table of cells (no interpretation).

:func:`read_table` returns a :class:`pandas.DataFrame` whose columns are the
file's header row (duplicates kept, so work by position) and whose cells are
strings (text files) or the spreadsheet's own values (Excel: str, float,
datetime; SPSS/Stata: numbers or strings).  Format-specific facts the
readers need travel in ``table.attrs``: ``"format"`` (csv, tsv, xlsx, xls,
sav, dta), ``"delimiter"``, ``"sheet"`` and ``"sheets"`` (Excel), and for
SPSS/Stata ``"value_labels"``, ``"column_labels"`` and ``"user_missing"``.

What the file says is never changed silently.  A file whose content is not
what its extension says is refused with its real type named; text files
report (as :class:`~analysis.errors.DataQualityWarning`, or as
:class:`~analysis.errors.FileFormatError` with ``strict=True``) a guessed
delimiter or UTF-16 byte order, NUL bytes (removed), rows with fewer fields
than the header (padded with blanks) and a last line without a line end; a
last row cut short, a line longer than :data:`FIELD_SIZE_LIMIT` and an
unclosed quote (named by the line where it opens) are errors.  Excel,
SPSS and Stata files are read in a worker process
(:mod:`analysis.ingest._native`), so a damaged file that crashes the native
reader becomes a typed error.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import (
    DataQualityWarning,
    EmptyFileError,
    FileFormatError,
    MissingFileError,
)
from ._binary import (
    KIND_NAMES,
    dta_cut,
    excel_job,
    sav_truncation,
    sniff_content,
    stat_job,
    xlsx_extent,
    xlsx_formulas_without_values,
)
from ._cells import WHITESPACE
from ._native import Refusal, run_native
from .arrow_text import ARROW_DELIMITERS, arrow_encodings, read_arrow_text
from .encoding import decode_bytes, detect_bom

__all__ = ["TEXT_SUFFIXES", "EXCEL_SUFFIXES", "STAT_SUFFIXES", "SUFFIXES", "FIELD_SIZE_LIMIT",
           "read_table", "check_file", "report"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
STAT_SUFFIXES = (".sav", ".zsav", ".dta")
SUFFIXES = TEXT_SUFFIXES + EXCEL_SUFFIXES + STAT_SUFFIXES
#: Longest line (in bytes) and so longest field a text export may hold: 1 MiB.  Open
#: answers are a few thousand characters at most; a longer line is a damaged file or
#: not survey data, and parsing it costs ~10x its size in memory.
FIELD_SIZE_LIMIT = 1 << 20

#: What each extension promises (text files: ``"text"``).
_PROMISED = {**dict.fromkeys(TEXT_SUFFIXES, "text"), ".xlsx": "xlsx", ".xlsm": "xlsx",
             ".xls": "xls", ".sav": "sav", ".zsav": "zsav", ".dta": "dta"}
_RENAME = {"xlsx": ".xlsx", "xls": ".xls", "sav": ".sav", "zsav": ".zsav", "dta": ".dta",
           "text": ".csv", "ods": ".ods"}
_NATURAL_SEP = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_SEP_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def check_file(path: str | Path) -> Path:
    """Return ``path`` as a Path, raising typed errors if it is absent or empty.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to read.

    Returns
    -------
    pathlib.Path
        ``path`` as a Path.

    Raises
    ------
    MissingFileError
        If nothing exists at ``path``.
    FileFormatError
        If ``path`` is a folder.
    EmptyFileError
        If the file has 0 bytes.
    """
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


def report(message: str, *, strict: bool, file: Path, stacklevel: int = 3, **where: Any) -> None:
    """Say that something in the file was accepted as it is: a warning, or an error if strict.

    Parameters
    ----------
    message : str
        What was found and what was done with it, with counts and first rows.
    strict : bool
        Raise :class:`FileFormatError` instead of warning.
    file : Path
        The export.
    stacklevel : int, default 3
        Where the warning points.
    **where
        ``line``/``row``/``column``/``hint`` for the error.
    """
    if strict:
        raise FileFormatError(message, file=file, **where)
    loc = ", ".join(f"{k} {v}" for k, v in where.items() if k != "hint" and v is not None)
    warnings.warn(f"{file.name}: {message}" + (f" [{loc}]" if loc else ""), DataQualityWarning,
                  stacklevel=stacklevel)


def read_table(path: str | Path, encoding: str = "auto", *, sheet: str | int | None = None,
               strict: bool = False) -> tuple[pd.DataFrame, str]:
    """Read an export into a raw table of cells.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv``/``.txt`` (delimiter sniffed), ``.xlsx``/``.xlsm``/
        ``.xls`` (first sheet with data, or ``sheet``), ``.sav``/``.zsav``
        (SPSS) or ``.dta`` (Stata).
    encoding : str, default "auto"
        Text files only: a codec name, or ``"auto"`` to detect
        (BOM, UTF-8, GB18030).  Ignored for binary formats.
    sheet : str or int, optional
        Excel only: the sheet to read, by name or 1-based number.
    strict : bool, default False
        Refuse (:class:`FileFormatError`) what is otherwise accepted with a
        :class:`DataQualityWarning`: a guessed delimiter or byte order, NUL
        bytes, short rows, a last line without a line end, a file whose
        extension names another Excel format.

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
        Unreadable, empty or damaged files, and files whose content is not
        what their extension says (the real type is named).
    """
    path = check_file(path)
    suffix = path.suffix.lower()
    kind = sniff_content(path)
    promised = _PROMISED.get(suffix)
    if kind == "ole" and promised in ("xls", "xlsx"):
        kind = "xls"  # an OLE2 file named as a workbook: a damaged one, most likely
    if kind in ("html", "pdf", "docx", "pptx", "ods", "gzip", "ole"):
        named = f"named {suffix}, " if suffix else ""
        raise FileFormatError(
            f"the file is {KIND_NAMES[kind]}, {named}not a data table", file=path, content=kind,
            hint="download the responses again as CSV or Excel (.xlsx); if it is an Excel "
                 "page saved from a browser, open it in Excel and save it as .xlsx")
    if promised is not None and kind != promised and not _compatible(promised, kind):
        if promised == "xlsx" and kind in ("text", "binary"):
            what = f": it holds {KIND_NAMES[kind]}" if kind == "text" else ""
            raise FileFormatError(f"not a valid xlsx (not a zip archive){what}", file=path,
                                  content=kind,
                                  hint="the download is damaged or is another format; download "
                                       "it again or save it from Excel as .xlsx")
        real = KIND_NAMES.get(kind, kind)
        fix = (f"rename it to {_RENAME[kind]}" if kind in _RENAME
               else "download the export again in the format its name says")
        raise FileFormatError(f"the file is named {suffix} but is {real}", file=path,
                              content=kind, hint=fix)
    if kind != promised and promised in ("xlsx", "xls") and kind in ("xlsx", "xls"):
        report(f"the file is named {suffix} but is {KIND_NAMES[kind]}; read as such",
               strict=strict, file=path, hint=f"rename it to .{kind}")
    if kind in ("sav", "zsav", "dta"):
        table, used = _read_stat(path, ".dta" if kind == "dta" else ".sav", strict)
    elif kind in ("xlsx", "xls", "zip"):
        table, used = _read_excel(path, "xls" if kind == "xls" else "xlsx", sheet, strict)
    elif kind == "text":
        table, used = _read_text(path, encoding, suffix, strict)
    else:
        raise FileFormatError(f"unsupported file type {suffix!r} ({KIND_NAMES.get(kind, kind)})",
                              file=path, hint=f"export as one of {', '.join(SUFFIXES)}")
    return _tidy(table, path), used


def _compatible(promised: str, kind: str) -> bool:
    """Content the extension's reader takes anyway (Excel formats, text under .xls)."""
    return (promised in ("xlsx", "xls") and kind in ("xlsx", "xls", "zip")) or (
        promised == "xls" and kind == "text") or (promised == "zsav" and kind == "sav") or (
        promised == "sav" and kind == "zsav")


def _sniff_delimiter(first_line: str, suffix: str) -> str:
    counts = {d: len(next(csv.reader([first_line], delimiter=d))) for d in ("\t", ",", ";", "|")}
    if suffix in (".tsv", ".tab") and counts["\t"] > 1:
        return "\t"
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def _check_line_lengths(data: bytes, path: Path) -> None:
    """Refuse a line longer than :data:`FIELD_SIZE_LIMIT` (O(n) in C, before parsing)."""
    if len(data) <= FIELD_SIZE_LIMIT:
        return
    ends = _line_ends(np.frombuffer(data, dtype=np.uint8))
    bounds = np.concatenate([[-1], ends, [len(data)]])
    lengths = np.diff(bounds) - 1
    long = np.flatnonzero(lengths > FIELD_SIZE_LIMIT)
    if long.size:
        line = int(long[0]) + 1
        raise FileFormatError(
            f"line {line} is {int(lengths[long[0]]):,} bytes long, over the field-size limit of "
            f"{FIELD_SIZE_LIMIT:,} bytes per line (a damaged file, or a cell holding a "
            f"pasted document)", file=path, line=line, limit=FIELD_SIZE_LIMIT,
            hint="check that line in a text editor; shorten or remove the oversized cell")


def _unclosed_quote_line(text: str, sep: str) -> int | None:
    """Line where a quoted field opens that never closes (None if all close)."""
    pattern = re.compile(r'(?:(?<=^)|(?<=[\n' + re.escape(sep) + r']))"(?:[^"]|"")*("|\Z)')
    for m in pattern.finditer(text):
        if not m.group(1):
            return text.count("\n", 0, m.start()) + 1
    return None


_LEADING_BREAKS = re.compile(r"[\r\n]*")
_CHUNK = 1 << 24  # bytes scanned at a time: no file-sized boolean or position arrays


def _line_ends(raw: np.ndarray) -> np.ndarray:
    """Positions of the ``\\n`` bytes of ``raw``, in chunks (no file-sized boolean array)."""
    return np.concatenate([np.flatnonzero(raw[i:i + _CHUNK] == 10) + i
                           for i in range(0, len(raw), _CHUNK)] or [np.zeros(0, np.int64)])


def _per_line(raw: np.ndarray, byte: int, ends: np.ndarray) -> np.ndarray:
    """How often ``byte`` occurs on each line (lines end at ``ends``), in chunks."""
    out = np.zeros(len(ends) + 1, dtype=np.int64)
    for i in range(0, len(raw), _CHUNK):
        pos = np.flatnonzero(raw[i:i + _CHUNK] == byte)
        if len(pos):
            out += np.bincount(np.searchsorted(ends, pos + i), minlength=len(out))
    return out


def _field_counts(data: bytes, sep: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Fields per non-blank record and the line each starts on (None if quoting is odd).

    ``data`` is the text as UTF-8 (the parser's own buffer: no second copy of
    the text), where quote, delimiter and line end are single bytes that never
    occur inside a multi-byte character.  Quoted fields are removed first (only
    a quote at the start of a field opens one, as for the C parser), so
    delimiters inside them do not count.
    """
    if b'"' in data:
        quoted = re.compile(rb'(?:(?<=^)|(?<=[\n' + re.escape(sep.encode()) + rb']))"(?:[^"]|"")*"')
        pieces: list[bytes] = []
        pos = 0
        for m in quoted.finditer(data):
            pieces.append(data[pos:m.start()])
            # Keep the line count: a quoted line break joins two physical lines.
            pieces.append(b"\x01" * m.group(0).count(b"\n"))
            pos = m.end()
        pieces.append(data[pos:])
        body = b"".join(pieces)
        del pieces  # one copy of the text at a time (peak memory)
    else:
        body = data
    raw = np.frombuffer(body, dtype=np.uint8)
    del body
    ends = _line_ends(raw)
    starts = np.concatenate([[0], ends + 1])
    stops = np.concatenate([ends, [len(raw)]])
    counts = _per_line(raw, ord(sep), ends) + 1
    # Joined lines (quoted line breaks) count toward the record they belong to.
    joined = _per_line(raw, 1, ends)
    width = stops - starts
    blank = width - (stops > starts) * (raw[np.maximum(stops - 1, 0)] == 13) - joined <= 0
    line_no = np.cumsum(np.concatenate([[1], 1 + joined[:-1]]))
    keep = ~blank
    return counts[keep], line_no[keep]


def _read_text(path: Path, encoding: str, suffix: str, strict: bool) -> tuple[pd.DataFrame, str]:
    data = path.read_bytes()
    fast = _read_text_arrow(data, path, encoding, suffix, strict)
    if fast is not None:
        return fast
    text, used = decode_bytes(data, encoding, file=path)
    if used in ("utf-16-le", "utf-16-be") and encoding == "auto":
        report(f"the file has no byte-order mark; read as {used.upper()} (guessed from its "
               "zero bytes)", strict=strict, file=path,
               hint="re-save it as UTF-8 or pass encoding=" + repr(used))
    _check_line_lengths(text.encode("utf-8", "surrogatepass") if used.startswith("utf-16")
                        else data, path)
    del data  # the raw bytes are not needed again: not held through the parse (peak memory)
    # No whole-text copies below (strip, split): each costs the file's size in memory.
    if not text or text.isspace():
        raise EmptyFileError("the file holds no header and no data", file=path,
                             hint="download the export again")
    head = text[:4096].lstrip() or text.lstrip()
    if head[:200].lower().startswith(("<html", "<!doctype", "<table", "<?xml")):
        raise FileFormatError("the file is an HTML/XML page, not a data table", file=path,
                              hint="open it in Excel and save it as .xlsx or CSV UTF-8")
    if "\x00" in text:
        first = text.count("\n", 0, text.index("\x00")) + 1
        report(f"{text.count(chr(0))} NUL byte(s) in the text (first on line {first}); removed",
               strict=strict, file=path, line=first,
               hint="a NUL byte is not text: the file is damaged or in another encoding")
        text = text.replace("\x00", "")
    start = _LEADING_BREAKS.match(text).end()  # type: ignore[union-attr]  # always matches
    end = text.find("\n", start)
    first_line = text[start:end if end >= 0 else len(text)]
    sep = _sniff_delimiter(first_line, suffix)
    _report_delimiter(sep, first_line, suffix, path, strict)
    unterminated = not text.endswith(("\n", "\r"))
    utf8 = _utf8(text)
    source = io.StringIO(text) if utf8 is None else io.BytesIO(utf8)
    if utf8 is not None:
        text = ""  # the parser and the row check read the UTF-8 bytes (peak memory)
    try:
        raw = pd.read_csv(source, sep=sep, header=None, dtype=str, keep_default_na=False,
                          na_filter=False,
                          skip_blank_lines=True, engine="c", encoding="utf-8")
    except pd.errors.ParserError as exc:
        raise _parser_error(exc, text if utf8 is None else utf8.decode("utf-8"), sep,
                            path) from None
    except pd.errors.EmptyDataError:
        raise EmptyFileError("the file holds no header and no data", file=path) from None
    header = [str(h) for h in raw.iloc[0].tolist()]
    table = raw.iloc[1:].reset_index(drop=True)
    del raw
    table.columns = header
    table.attrs = {"format": "tsv" if sep == "\t" else "csv", "delimiter": sep}
    _check_rows(utf8 if utf8 is not None else text.encode("utf-8", "surrogatepass"), sep,
                table, path, strict, unterminated)
    return table, used


def _report_delimiter(sep: str, first_line: str, suffix: str, path: Path, strict: bool) -> None:
    if sep != _NATURAL_SEP.get(suffix, sep if suffix in (".xls", "") else None):
        n = len(next(csv.reader([first_line], delimiter=sep)))
        report(f"no standard delimiter for {suffix or 'this file'}: read as "
               f"{_SEP_NAMES[sep]}-delimited ({n} columns in the header line)",
               strict=strict, file=path, line=1,
               hint="if the columns look wrong, re-save the file as CSV UTF-8 (comma-delimited)")


_LEADING_BREAK_BYTES = re.compile(rb"[\r\n]*")
_MARKUP = (b"<html", b"<!doctype", b"<table", b"<?xml")


def _read_text_arrow(data: bytes, path: Path, encoding: str, suffix: str,
                     strict: bool) -> tuple[pd.DataFrame, str] | None:
    """The common export through :func:`read_arrow_text`; None leaves the file to pandas.

    Everything the pandas path would report or refuse (NUL bytes, UTF-16, markup,
    ragged rows, an unclosed quote, undecodable bytes, a pipe delimiter) falls back
    before anything is reported, so each fault is said once, by line.
    """
    plan = arrow_encodings(encoding, detect_bom(data[:4000]))
    # An odd count of quotes: a literal quote inside a cell, or a quote that never closes
    # (pyarrow would take the rest of the file as the last cell); pandas tells them apart.
    if plan is None or b"\x00" in data or data.count(b'"') % 2:
        return None
    names, skip = plan
    start = _LEADING_BREAK_BYTES.match(data, skip).end()  # type: ignore[union-attr]  # always matches
    if data[start:start + 200].lstrip().lower().startswith(_MARKUP):
        return None
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)]
    sniffed = next(((n, t) for n, t in ((n, _try_decode(line, n)) for n in names)
                    if t is not None), None)
    if sniffed is None or not sniffed[1].strip():
        return None
    first_line = sniffed[1]
    sep = _sniff_delimiter(first_line, suffix)
    if sep not in ARROW_DELIMITERS:
        return None
    _check_line_lengths(data, path)
    width = len(next(csv.reader([first_line], delimiter=sep)))
    read = read_arrow_text(memoryview(data)[skip:], sep=sep, width=width, encodings=names)
    if read is None:
        return None
    table, used = read
    if used != sniffed[0] and not line.isascii():
        return None  # the header was sniffed in another encoding than the file's
    _report_delimiter(sep, first_line, suffix, path, strict)
    table.attrs = {"format": "tsv" if sep == "\t" else "csv", "delimiter": sep}
    if not data.endswith((b"\n", b"\r")):
        _check_rows(data[skip:], sep, table, path, strict, unterminated=True)
    return table, used


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf8(text: str) -> bytes | None:
    """``text`` for the C parser: UTF-8 bytes, which it reads directly (None if impossible).

    Given a StringIO, pandas re-encodes it through a Python-level wrapper in
    small chunks, about 7x the parse itself (20 s for 2e5 rows of a 问卷星
    export).  Text holding lone surrogates (undecodable bytes kept by the
    decoder) cannot be UTF-8, so it keeps the slow path.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _parser_error(exc: Exception, text: str, sep: str, path: Path) -> FileFormatError:
    message = str(exc).split("C error:", 1)[-1].strip()
    if "EOF inside string" in message or "EOF while" in message:
        line = _unclosed_quote_line(text, sep)
        return FileFormatError(
            "a quoted cell never closes: its opening quote is on line "
            f"{line}" if line else f"a quoted cell never closes ({message})", file=path,
            line=line, hint="close the quote (a quote inside a cell is written twice: \"\") or "
                            "download the export again if it was cut off")
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if m:
        n, line, saw = map(int, m.groups())
        return FileFormatError(
            f"line {line} has {saw} fields but the header has {n}", file=path, line=line,
            hint=f"a {_SEP_NAMES.get(sep, repr(sep))} inside a cell must be in double quotes; "
                 "or the header lost columns")
    return FileFormatError(f"malformed delimited text ({message})", file=path,
                           hint="check quoting: a cell with a line break or the delimiter "
                                "must be in double quotes")


def _check_rows(data: bytes, sep: str, table: pd.DataFrame, path: Path, strict: bool,
                unterminated: bool) -> None:
    """Report rows with fewer fields than the header, and a cut-off last line.

    ``data`` is the text as UTF-8; ``unterminated`` whether it lacks a final line end.
    """
    n = table.shape[1]
    found = _field_counts(data, sep) if n > 1 else None
    if found is None or len(found[0]) != len(table) + 1:
        return  # the record split disagrees with the parser's: say nothing rather than wrong
    counts, lines = found[0][1:], found[1][1:]
    short = np.flatnonzero(counts < n)
    last = len(table) - 1
    if unterminated and short.size and short[-1] == last and len(short) == 1 and last > 0:
        raise FileFormatError(
            f"the file ends in the middle of row {last + 1}: its last line ({int(lines[last])}) "
            f"has {int(counts[last])} of {n} fields and no line end; the download was cut off",
            file=path, line=int(lines[last]), row=last + 1,
            hint="download the export again (the other rows are complete)")
    if short.size:
        shown = ", ".join(f"row {r + 1} (line {int(lines[r])}, {int(counts[r])} fields)"
                          for r in short[:5])
        report(f"{short.size} row(s) have fewer fields than the {n} of the header, the missing "
               f"cells read as blank: {shown}" + (" ..." if short.size > 5 else ""),
               strict=strict, file=path, line=int(lines[short[0]]), row=int(short[0]) + 1,
               hint="check those rows in the original export")
    elif unterminated and len(table):
        report(f"the last line ({int(lines[last])}) has no line end: if the download was cut, "
               "its last answer may be incomplete", strict=strict, file=path,
               line=int(lines[last]), row=last + 1,
               hint="compare the last row with the platform, or download the export again")


def _formula_gaps(path: Path, sheet: str, strict: bool) -> None:
    """Say which formula cells have no stored result (every reader sees them empty)."""
    cells = xlsx_formulas_without_values(path, sheet)
    if cells:
        shown = ", ".join(cells[:10]) + (" ..." if len(cells) > 10 else "")
        report(f"{len(cells)} formula cell(s) in sheet {sheet!r} have no stored result and read "
               f"as blank answers: {shown}", strict=strict, file=path,
               hint="open the workbook in Excel (or LibreOffice), let it recalculate and save it "
                    "again, or replace the formulas by their values")


def _read_excel(path: Path, kind: str, sheet: str | int | None,
                strict: bool = False) -> tuple[pd.DataFrame, str]:
    from python_calamine import CalamineWorkbook  # noqa: F401 - loaded once, inherited by workers

    size = path.stat().st_size
    try:
        out = run_native(excel_job, str(path), kind, sheet, size=size)
    except Refusal as exc:
        if "no sheet" in exc.message:
            raise FileFormatError(exc.message, file=path, hint=exc.hint) from None
        what = "xlsx workbook" if kind == "xlsx" else "xls (BIFF) workbook"
        detail = exc.message
        hint = exc.hint or "open the file in Excel and save it again as .xlsx, or download it again"
        if kind == "xlsx" and ("memory" in detail or "SIG" in detail):
            extent = xlsx_extent(path)
            if extent:
                detail = f"{extent}: {detail}"
                hint = ("delete the stray cells far outside the data (Ctrl+End shows the last "
                        "one) and save again")
        raise FileFormatError(f"not a valid {what}: {detail}", file=path, hint=hint) from None
    rows: list[list[Any]] = out["rows"]
    name = out["sheet"]
    if kind == "xlsx":
        _formula_gaps(path, name, strict)
    if not rows or not any(c not in ("", None) for c in rows[0]):
        others = [s for s in out["sheets"] if s != name]
        raise EmptyFileError(
            f"the workbook's sheet {name!r} is empty" + (
                f" (other sheets: {', '.join(map(repr, others))})" if others else ""),
            file=path, sheets=out["sheets"],
            hint="pick the sheet with the responses (--sheet / sheet=)" if others
            else "check that the export holds data")
    width = max(len(r) for r in rows)
    header = [_header_text(c) for c in rows[0]] + [""] * (width - len(rows[0]))
    body = [r + [""] * (width - len(r)) for r in rows[1:]]
    table = pd.DataFrame(body, columns=range(width), dtype=object)
    table.columns = header
    table.attrs = {"format": kind, "sheet": name, "sheets": list(out["sheets"])}
    return table, out["encoding"]


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_stat(path: Path, suffix: str, strict: bool) -> tuple[pd.DataFrame, str]:
    import pyreadstat  # noqa: F401 - loaded once here, inherited by every worker

    kind = "Stata .dta" if suffix == ".dta" else "SPSS .sav"
    try:
        data, attrs, used, declared = run_native(stat_job, str(path), suffix,
                                                 size=path.stat().st_size)
    except Refusal as exc:
        cut = sav_truncation(path) if suffix == ".sav" else None
        if cut is None and suffix == ".dta" and dta_cut(path):
            cut = "the file lacks its closing </stata_dta> tag"
        raise FileFormatError(
            f"not a valid {kind} file: " + (f"{cut} ({exc.message})" if cut else exc.message),
            file=path, hint="the file is cut short: download or export it again" if cut
            else "export the data again from SPSS/Stata") from None
    if declared >= 0 and len(data) < declared:
        cut = sav_truncation(path) if suffix == ".sav" else None
        raise FileFormatError(f"the {kind} file declares {declared} cases but holds "
                              f"{len(data)}" + (f": {cut}" if cut else ""), file=path,
                              hint="download or export the file again")
    if suffix == ".dta" and dta_cut(path):
        report(f"the {kind} file lacks its closing </stata_dta> tag: it was cut after the "
               f"data ({len(data)} rows read, as declared)", strict=strict, file=path,
               hint="export the file again")
    if data.shape[1] == 0:
        raise EmptyFileError("the file holds no variables", file=path)
    data.attrs = attrs
    return data, used


def _blank_cells(column: pd.Series) -> np.ndarray:
    """Empty cells (NA, "" or whitespace) of one column."""
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        # Whole column in Arrow (ids are a distinct value per row); the characters are
        # exactly those str.strip() removes, as in the general path.
        lengths = column.str.strip(WHITESPACE).str.len()
        return (lengths.isna() | (lengths == 0)).to_numpy(dtype=bool)
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
