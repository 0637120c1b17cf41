"""Delimited text read by pyarrow's CSV parser, decoded on each column's distinct values.

The common export (UTF-8 or GB18030, comma/tab/semicolon, every row as wide
as the header) is parsed as bytes by pyarrow's multi-threaded C++ reader.
UTF-8 cells are validated in place; GB18030 cells are decoded once per
distinct value (a survey column holds a few dozen), never per cell and
never as a whole-file string.  Cell boundaries found in the raw bytes are
the decoded text's: delimiter, quote and line end are ASCII bytes, which
GB18030 never uses inside a multi-byte character (its trail bytes are
``0x30-0x39`` and ``0x40-0xFE``; the pipe ``0x7C`` can be one, so a
pipe-delimited GB18030 file is not read here).

Anything else (a ragged row, an unclosed quote, undecodable bytes, another
encoding) returns None and :mod:`analysis.ingest.table` reads the file with
pandas' parser, which finds and reports the fault by line.
"""

from __future__ import annotations

import codecs

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; pyarrow is a dependency
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]

__all__ = ["ARROW_DELIMITERS", "arrow_encodings", "read_arrow_text"]

#: Delimiters read here (never inside a GB18030 character).
ARROW_DELIMITERS = (",", "\t", ";")
_UTF8 = ("utf-8", "utf-8-sig")
_GB = ("gb18030", "gbk", "gb2312")
_BLOCK = 1 << 24  # bytes per parse block: few chunks, both cores busy


def arrow_encodings(encoding: str, bom: str | None) -> tuple[tuple[str, ...], int] | None:
    """Plan the encodings to try in order and the mark to skip (None: not read here).

    Parameters
    ----------
    encoding : str
        The encoding asked for (``"auto"`` or a codec name).
    bom : str or None
        The byte-order mark found (:func:`analysis.ingest.encoding.detect_bom`).

    Returns
    -------
    tuple or None
        ``(names, skip)``: the names :func:`read_arrow_text` tries (as
        :func:`~analysis.ingest.encoding.decode_bytes` would report them) and
        the length of a UTF-8 mark to skip; None for UTF-16/32 and other codecs.
    """
    if bom not in (None, "utf-8-sig"):
        return None
    skip = 3 if bom else 0
    if encoding == "auto":
        return (("utf-8-sig",) if bom else ("utf-8", "gb18030")), skip
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None  # the pandas path names the unknown codec
    if name in _UTF8:
        return (encoding,), skip
    if name in _GB and not bom:
        return (encoding,), 0
    return None


def read_arrow_text(data: bytes | memoryview, *, sep: str, width: int,
                    encodings: tuple[str, ...]) -> tuple[pd.DataFrame, str] | None:
    """Parse delimited bytes into a raw table of string cells, or None to leave it to pandas.

    Parameters
    ----------
    data : bytes or memoryview
        The file's bytes after any byte-order mark; no NUL byte.
    sep : str
        The delimiter, one of :data:`ARROW_DELIMITERS`.
    width : int
        Fields in the header line: every row must have as many.
    encodings : tuple of str
        Codec names tried in order; the first that decodes every cell is used.

    Returns
    -------
    tuple or None
        ``(table, encoding)``: the header row as columns (duplicates kept) and
        one row per data row, cells as ``str`` dtype (``""`` when empty), as
        ``pandas.read_csv(..., header=None, dtype=str, na_filter=False)``
        gives them; None when the file is not the simple case.
    """
    if sep not in ARROW_DELIMITERS or width < 1:
        return None
    names = [f"c{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=_BLOCK),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char='"', double_quote=True,
                                             escape_char=False, newlines_in_values=True,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_binary()),
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # ragged rows, an unclosed quote: pandas finds and names the line
    if table.num_rows == 0:
        return None
    for name in encodings:
        columns = _decoded(table, name)
        if columns is not None:
            break
    else:
        return None
    header = [str(c[0]) for c in columns]
    if header[0].startswith("\ufeff"):
        return None  # a byte-order mark the detector does not know (GB18030's): pandas strips it
    out = pd.DataFrame({i: _body(c) for i, c in enumerate(columns)}, copy=False)
    out.columns = header
    return out, name


def _body(column: pd.Series) -> pd.Series:
    """The cells below the header row; a category only the header used is dropped."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return column[1:].reset_index(drop=True)
    codes = column.cat.codes.to_numpy()[1:]
    categories = column.cat.categories
    used = np.bincount(codes, minlength=len(categories)) > 0
    if not used.all():
        codes = (np.cumsum(used) - 1).astype(codes.dtype)[codes]
        categories = categories[used]
    return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories),
                                               validate=False))


def _decoded(table: pa.Table, encoding: str) -> list[pd.Series] | None:
    """Every column's cells decoded with ``encoding``; None if a cell does not decode.

    UTF-8 columns are validated in C++ and keep their buffers (``str`` dtype).
    Other encodings are decoded once per distinct value: a column of few
    distinct answers becomes a ``Categorical`` of them (its codes are the
    factorisation every later step needs), a column of mostly distinct
    cells (ids, times) ``str`` cells.
    """
    if codecs.lookup(encoding).name in _UTF8:
        try:
            return [pd.Series(c.cast(pa.large_string()), dtype="str") for c in table.columns]
        except pa.ArrowInvalid:
            return None
    out = []
    for column in table.columns:
        distinct = pc.unique(column)
        values = distinct.to_pylist()
        try:
            # One decode per column: distinct values never hold NUL (the caller checks).
            text = b"\x00".join(values).decode(encoding).split("\x00")
        except UnicodeDecodeError:
            return None
        if len(text) != len(values):
            return None
        codes = pc.index_in(column, value_set=distinct)
        if 4 * len(text) > len(column):
            lookup = pa.array(text, type=pa.large_string())
            out.append(pd.Series(pc.take(lookup, codes), dtype="str"))
        else:
            codes = codes.combine_chunks().to_numpy(zero_copy_only=False)
            out.append(pd.Series(pd.Categorical.from_codes(
                codes, dtype=pd.CategoricalDtype(pd.Index(text, dtype=object)), validate=False)))
    return out
