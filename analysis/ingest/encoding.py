"""Decode the bytes of a text export, detecting and recording the encoding.

Chinese survey platforms and Excel write CSVs as UTF-8, UTF-8 with a BOM or
GBK/GB18030; Qualtrics TSVs are often UTF-16 LE with a BOM.  Detection tries,
in order: a byte-order mark (UTF-8 / UTF-16 / UTF-32), ``utf-8``, then
``gb18030`` (a superset of GBK and GB2312, so it is preferred over them).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ..errors import EncodingError

__all__ = ["AUTO_ENCODINGS", "decode_bytes", "detect_bom", "working_encoding", "mojibake"]

#: Encodings tried, in order, when no byte-order mark is present.
AUTO_ENCODINGS = ("utf-8", "gb18030")
#: Encodings named as "would have worked" when a declared one fails.  Never latin-1 or
#: cp1252: (almost) every byte string decodes in them, so success proves nothing.
_ALTERNATIVES = ("utf-8", "gb18030", "big5", "shift_jis")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

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
    name, furthest = max(failures, key=lambda f: f[1].start)
    skip = len(codecs.BOM_UTF8) if name == "utf-8-sig" and data.startswith(codecs.BOM_UTF8) else 0
    offset = furthest.start + skip  # Python counts utf-8-sig offsets after the BOM
    line, col = _position(data, offset)
    tried = ", ".join(n for n, _ in failures)
    bad = data[offset:offset + 4].hex(" ")
    where = f"byte offset {offset} (line {line}, byte {col} of the line: {bad})"
    if encoding == "auto" and skip:
        other = working_encoding(data[skip:], exclude=("utf-8",))
        raise EncodingError(
            f"the file starts with a UTF-8 byte-order mark, but {where} is not UTF-8"
            + (f"; after the mark the bytes decode as {other}" if other else ""),
            file=file, line=line, offset=offset, bom="utf-8", works=other,
            hint=(f"the file was re-encoded without removing the mark: pass encoding={other!r} "
                  f"(survey.yaml `encoding: {other}`) or re-save it as CSV UTF-8") if other
            else "re-save the file as UTF-8 (Excel: Save As > CSV UTF-8)")
    if encoding == "auto" and name.startswith("utf-16") and detect_bom(data[:4]) is None:
        raise EncodingError(
            f"the file looks like UTF-16 without a byte-order mark (every other byte is 0) but "
            f"{where} is not valid {name}", file=file, line=line, offset=offset,
            hint="re-save the file as UTF-8, or pass the right encoding=...")
    if encoding != "auto":
        other = working_encoding(data, exclude=(codecs.lookup(encoding).name,))
        raise EncodingError(
            f"the file is not {encoding}: {where} is invalid"
            + (f"; it decodes as {other}" if other else ""),
            file=file, line=line, offset=offset, works=other,
            hint=(f"use encoding {other!r} (survey.yaml `encoding: {other}`, --encoding "
                  f"{other}) or encoding 'auto'") if other
            else "re-save the file as UTF-8 (Excel: Save As > CSV UTF-8) or pass the right "
                 "encoding=...")
    raise EncodingError(
        f"cannot decode the file as {tried}: {where} is invalid {name}", file=file, line=line,
        offset=offset,
        hint="re-save the file as UTF-8 (Excel: Save As > CSV UTF-8) or pass the right "
             "encoding=...")


def working_encoding(data: bytes, exclude: tuple[str, ...] = ()) -> str | None:
    """The first encoding that decodes ``data`` (BOM first, then common ones), or None.

    Used to say which encoding would have worked when the declared one fails.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    exclude : tuple of str
        Encodings not to suggest (the one that already failed).

    Returns
    -------
    str or None
        Codec name, or None if none of them decodes ``data``.
    """
    excluded = {codecs.lookup(e).name for e in exclude}
    bom = detect_bom(data)
    for name in ((bom,) if bom else ()) + _ALTERNATIVES:
        if codecs.lookup(name).name in excluded:
            continue
        try:
            data.decode(name)
        except UnicodeDecodeError:
            continue
        return name
    return None


def mojibake(texts: list[str]) -> tuple[str, str, str, str] | None:
    """Whether ``texts`` look like text decoded with the wrong encoding.

    Returns ``(read_as, really, example, repaired)`` for the first text that,
    re-encoded with ``read_as`` and decoded with ``really``, turns into
    Chinese/Japanese/Korean text it did not contain (``"æ€§åˆ«"`` is UTF-8
    ``"性别"`` read as cp1252); else None.

    Parameters
    ----------
    texts : list of str
        Header or cell texts as decoded.

    Returns
    -------
    tuple of str or None
        ``(read_as, really, example, repaired)``, or None.
    """
    pairs = (("cp1252", "utf-8"), ("latin-1", "utf-8"), ("gbk", "utf-8"), ("latin-1", "gbk"),
             ("cp1252", "gbk"))
    for text in texts:
        text = str(text).strip()
        if not text or text.isascii():
            continue
        for read_as, really in pairs:
            try:
                repaired = text.encode(read_as).decode(really)
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if _CJK.search(repaired) and len(_CJK.findall(repaired)) > len(_CJK.findall(text)) \
                    or (read_as == "gbk" and repaired != text and _CJK.search(repaired)
                        and len(repaired) < len(text)):
                return read_as, really, text, repaired
    return None
