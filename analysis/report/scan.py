"""The PII guard of a report: every output file scanned for personal data and respondent ids.

:func:`scan_outputs` scans a finished report folder; :class:`OutputScan` does
the same file by file as a build writes them (pages while the kernels still
run), then checks the folder, reading only what it has not seen.  Numbers,
embedded images and SVG geometry are left out (decimals look like phone
numbers to a regex); :mod:`analysis.pii` holds the patterns.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ReportError

__all__ = ["OutputScan", "scan_outputs"]

_STRIP_HTML = (re.compile(r"<style\b.*?</style>", re.S | re.I),
               re.compile(r"<script\b.*?</script>", re.S | re.I),
               re.compile(r"data:[a-z]+/[a-z0-9.+\-]+;base64,[A-Za-z0-9+/=\s]+", re.I))
_SVG_GEOMETRY = re.compile(r'\s(?:d|points|transform|x|y|x1|x2|y1|y2|width|height|viewBox|'
                           r'style|clip-path|id|href|xlink:href|cx|cy|r|rx|ry)="[^"]*"')
_SVG_PATH = re.compile(r"<path\b[^>]*>", re.S)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
# Hashes (sha256 of inputs, git commits) and long decimals are not personal data, but their
# digit runs can look like phone numbers to a regex; real PII never mixes in hex letters.
_NOT_PII = re.compile(r"(?<![0-9A-Za-z])(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*[0-9])"
                      r"[0-9a-fA-F]{12,}(?![0-9A-Za-z])|\d*\.\d{4,}")
# Columns only a respondent-level table has (ARCHITECTURE.md, the tidy frame).
_RESPONDENT_COLUMNS = {"respondent_id", "source_row", "ip_hash", "submitted_at", "started_at"}
_TEXT_SUFFIXES = {".html", ".htm", ".md", ".txt", ".log"}


def _json_strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield str(k)
            yield from _json_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _json_strings(v)


def _csv_strings(text: str) -> Iterable[str]:
    for record in csv.reader(io.StringIO(text.lstrip("\ufeff"))):
        for value in record:
            try:
                float(value)
            except ValueError:
                yield value


def _xlsx_strings(path: Path) -> Iterable[str]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReportError(f"cannot read workbook for the PII scan: {exc}", file=path,
                          hint="rebuild the report") from None
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                yield from (v for v in row if isinstance(v, str))
    finally:
        wb.close()
    # Document properties (title, author, comments) are text too.
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("docProps/"):
                yield zf.read(name).decode("utf-8", "replace")


def _texts(path: Path) -> Iterable[str]:
    """The human-readable strings of an output file (numbers and image data left out).

    Numbers are skipped because decimals such as ``0.04231234567`` look like
    phone numbers to a regex; embedded base64 images and SVG geometry are
    skipped for the same reason (and :data:`_NOT_PII` masks hashes and long
    decimals inside text before the PII patterns run).
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            yield from _json_strings(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            yield path.read_text(encoding="utf-8", errors="replace")
    elif suffix == ".csv":
        yield from _csv_strings(path.read_text(encoding="utf-8", errors="replace"))
    elif suffix == ".xlsx":
        yield from _xlsx_strings(path)
    elif suffix == ".svg":
        text = path.read_text(encoding="utf-8", errors="replace")
        text = _SVG_PATH.sub("<path>", text)
        yield _SVG_GEOMETRY.sub("", text)
    elif suffix in _TEXT_SUFFIXES:
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in _STRIP_HTML:
            text = pattern.sub(" ", text)
        yield text
    elif suffix == ".png":
        # Only the text chunks of a PNG can carry text; pixel data cannot be scanned here.
        yield from _png_text(path)


def _png_text(path: Path) -> Iterable[str]:
    data = path.read_bytes()
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            yield data[pos + 8:pos + 8 + length].decode("latin-1", "replace")
        pos += 12 + length


class OutputScan:
    """The PII scan of report outputs, file by file as they are written, checked together.

    :meth:`add` reads a file and keeps what :meth:`check` needs (the personal
    data found, the file's tokens); :meth:`check` walks the folder, reads only
    the files not added (or changed since), and raises on the first bad file
    in path order, exactly as one scan of the finished folder would.  A build
    adds its pages and figures while its kernels still run, so little is left
    to read once the last chapter ends.

    Parameters
    ----------
    kinds : sequence of str, optional
        PII kinds to look for (default: all of :data:`analysis.pii.PII_KINDS`).
    min_id_length : int
        Respondent ids shorter than this are not looked for (see
        :func:`scan_outputs`).
    """

    def __init__(self, kinds: Sequence[str] | None = None, min_id_length: int = 6) -> None:
        self.kinds = None if kinds is None else tuple(kinds)
        self.min_id_length = min_id_length
        self._files: dict[Path, tuple[tuple[int, int, int], list[Any], set[str]]] = {}

    def add(self, path: str | Path) -> None:
        """Read ``path`` now (it must not change afterwards, or :meth:`check` reads it again).

        Parameters
        ----------
        path : str or Path
            An output file.
        """
        from ..pii import find_pii

        path = Path(path)
        stamp = _stamp(path)
        # One pass over the file's distinct strings (labels repeat in every table), joined
        # by NUL, which no PII pattern spans (they allow whitespace, not NUL, between parts).
        text = "\x00".join(dict.fromkeys(_texts(path)))
        hits = find_pii(_NOT_PII.sub(" ", text), self.kinds)
        self._files[path] = (stamp, list(hits), set(_TOKEN.findall(text)))

    def check(self, folder: str | Path, *, respondent_ids: Iterable[Any] = (),
              skip: Sequence[str] = ("findings",)) -> list[Path]:
        """Fail if any file below ``folder`` holds personal data or a respondent identifier.

        Parameters
        ----------
        folder : str or Path
            The report folder.
        respondent_ids : iterable
            Identifiers that must never appear.
        skip : sequence of str
            Subfolder names not scanned.

        Returns
        -------
        list of Path
            The files scanned.

        Raises
        ------
        ReportError
            As :func:`scan_outputs`.
        """
        from ..pii import PII_LABELS

        root = Path(folder)
        ids = {str(i) for i in respondent_ids
               if i is not None and len(str(i)) >= self.min_id_length}
        scanned: list[Path] = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if any(part in skip for part in path.relative_to(root).parts[:-1]):
                continue
            scanned.append(path)
            kept = self._files.get(path)
            if kept is None or kept[0] != _stamp(path):
                self.add(path)
            _, hits, tokens = self._files[path]
            if hits:
                kind = hits[0].kind
                raise ReportError(
                    f"report output contains personal data ({PII_LABELS.get(kind, kind)}, "
                    f"{len(hits)} match(es))", file=path,
                    hint="find which table or label carries free text and drop it or scrub it "
                         "with analysis.pii.scrub_text before it reaches the report")
            columns = sorted(tokens & _RESPONDENT_COLUMNS)
            if columns and path.suffix.lower() in (".csv", ".json", ".xlsx"):
                raise ReportError(
                    f"report output names respondent-level column(s) {columns}", file=path,
                    hint="publish aggregates only; respondent-level rows must not be exported")
            found = sorted(tokens & ids)
            if found:
                raise ReportError(
                    f"report output contains {len(found)} respondent id(s), e.g. {found[0]!r}",
                    file=path, hint="publish aggregates only; never add respondent-level rows "
                                    "or ids to tables, labels or charts")
        return scanned


def _stamp(path: Path) -> tuple[int, int, int]:
    """What tells a file rewritten since it was scanned: inode, size, modification time."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def scan_outputs(folder: str | Path, *, respondent_ids: Iterable[Any] = (),
                 kinds: Sequence[str] | None = None, min_id_length: int = 6,
                 skip: Sequence[str] = ("findings",)) -> list[Path]:
    """Fail if any report output holds personal data or a respondent identifier.

    Parameters
    ----------
    folder : str or Path
        The report folder; every file below it is scanned (HTML, JSON, CSV,
        XLSX, SVG, Markdown/text, PNG text chunks).
    respondent_ids : iterable
        Identifiers that must never appear (respondent ids, IP hashes).  Ids
        shorter than ``min_id_length`` characters are skipped, because short
        numeric ids (问卷星 序号 1, 2, 3 ...) also occur as ordinary numbers.
    kinds : sequence of str, optional
        PII kinds to look for (default: all of :data:`analysis.pii.PII_KINDS`).
    min_id_length : int
        See ``respondent_ids``.
    skip : sequence of str
        Subfolder names not scanned (the per-notebook fragments, whose
        content is scanned in the merged findings files).

    Returns
    -------
    list of Path
        The files scanned.

    Raises
    ------
    ReportError
        Naming the file, the kind of personal data (or "respondent id") and
        the offending text's position.
    """
    return OutputScan(kinds, min_id_length).check(folder, respondent_ids=respondent_ids, skip=skip)


