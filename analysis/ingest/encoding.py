"""Decode the bytes of a text export, detecting and recording the encoding.

Chinese survey platforms and Excel write CSVs as UTF-8, UTF-8 with a BOM or
GBK/GB18030; Qualtrics TSVs are often UTF-16 LE with a BOM.  Detection tries,
in order: a byte-order mark (UTF-8 / UTF-16 / UTF-32), ``utf-8``, then
``gb18030`` (a superset of GBK and GB2312, so it is preferred over them).
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import EncodingError

__all__ = ["AUTO_ENCODINGS", "decode_bytes", "detect_bom"]

#: Encodings tried, in order, when no byte-order mark is present.
AUTO_ENCODINGS = ("utf-8", "gb18030")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_bom(data: bytes) -> str | None:
    """Encoding implied by a byte-order mark at the start of ``data``, if any.

    Also recognises BOM-less UTF-16 from its NUL bytes (every other byte of
    ASCII text), as written by some Windows tools.

    Parameters
    ----------
    data : bytes
        The start of the file (at least the first 4000 bytes for UTF-16 sniffing).

    Returns
    -------
    str or None
        Codec name, or None without a BOM.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    head = data[:4000]
    if len(head) >= 8:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of ``offset``."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def decode_bytes(data: bytes, encoding: str = "auto", *,
                 file: str | Path | None = None) -> tuple[str, str]:
    """Decode ``data``, returning ``(text, encoding_used)``.

    Parameters
    ----------
    data : bytes
        Raw file content.
    encoding : str, default "auto"
        A Python codec name, or ``"auto"`` to detect (BOM, ``utf-8``,
        ``gb18030``).
    file : str or Path, optional
        Used in error messages only.

    Returns
    -------
    text : str
        The decoded text, without a byte-order mark.
    encoding_used : str
        ``"utf-8"``, ``"utf-8-sig"``, ``"gb18030"``, ``"utf-16"``, ... or the
        codec passed in.

    Raises
    ------
    EncodingError
        If no candidate decodes the bytes; names the first bad byte (offset,
        line) and suggests re-saving as UTF-8.
    """
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise EncodingError(f"unknown encoding {encoding!r}", file=file,
                                hint="pass a Python codec name such as 'utf-8' or 'gb18030', "
                                     "or encoding='auto'") from None
        candidates: tuple[str, ...] = (encoding,)
    else:
        bom = detect_bom(data)
        candidates = (bom,) if bom else AUTO_ENCODINGS
    failures: list[tuple[str, UnicodeDecodeError]] = []
    for name in candidates:
        try:
            text = data.decode(name)
        except UnicodeDecodeError as exc:
            failures.append((name, exc))
            continue
        return text.lstrip("\ufeff"), name
    # Report the failure that got furthest: it is the most plausible encoding.
    name, exc = max(failures, key=lambda f: f[1].start)
    line, col = _position(data, exc.start)
    tried = ", ".join(n for n, _ in failures)
    bad = data[exc.start:exc.start + 4].hex(" ")
    raise EncodingError(
        f"cannot decode the file as {tried}: byte offset {exc.start} (line {line}, byte {col} "
        f"of the line: {bad}) is invalid {name}", file=file, line=line, offset=exc.start,
        hint="re-save the file as UTF-8 (Excel: Save As > CSV UTF-8) or pass the right "
             "encoding=...")
