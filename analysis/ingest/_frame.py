"""Assemble the tidy frame from a reader's :class:`Layout` (shared by every reader).

A reader's only job is to *bind* raw columns to codebook questions and to
the respondent metadata; this module parses them (via ``_convert``), adds
``<qid>__missing`` statuses, derived variables, the salted IP hash and the
``attrs`` contract of ``ARCHITECTURE.md``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import pii
from ..codebook import Codebook, Question, missing_column
from ..errors import CodebookError, ColumnMismatchError, DuplicateIdError
from ._cells import cell_text, map_unique, normalise_label
from ._convert import (
    Context,
    Converted,
    convert_dc_bid,
    convert_question,
    parse_datetime,
)

__all__ = ["SourceInfo", "Binding", "Layout", "build_frame", "parse_duration", "hash_ip",
           "raise_missing_questions", "raise_unknown_columns", "close_headers"]

META_COLUMNS = ("respondent_id", "source_row", "duration_s", "submitted_at", "started_at",
                "ip_hash")
_IP = re.compile(r"((?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]*:[0-9A-Fa-f:]+)")
_DURATION = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)\s*(?:天|d))?\s*(?:(?P<h>\d+(?:\.\d+)?)\s*(?:小时|时|h))?\s*"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:分钟|分|min|m))?\s*(?:(?P<s>\d+(?:\.\d+)?)\s*(?:秒|s|sec)?)?$",
    re.IGNORECASE)


@dataclass(frozen=True)
class SourceInfo:
    """Provenance of a tidy frame: which file, read how.

    Attributes
    ----------
    file : str
        Path of the raw export.
    sha256 : str
        Hex digest of its bytes (proves which download was analysed).
    platform : str
        ``"wjx"``, ``"qualtrics"``, ``"spss"``, ``"stata"`` or ``"generic"``.
    mode : str
        ``"text"`` (answers as labels) or ``"code"`` (answers as codes).
    encoding : str
        Encoding detected or used.
    n_rows : int
        Respondents in the frame.
    n_columns : int
        Columns in the export.
    column_map : dict
        Export column -> output column (None: dropped meta/personal/ignored).
    n_dropped : int
        Rows dropped on read (Qualtrics ``Survey Preview`` responses).
    """

    file: str
    sha256: str
    platform: str
    mode: str
    encoding: str
    n_rows: int
    n_columns: int
    column_map: dict[str, str | None] = field(default_factory=dict)
    n_dropped: int = 0

    def to_json(self) -> str:
        """Serialise for ``DataFrame.attrs["source_json"]`` (``rows`` = ``n_rows``)."""
        return json.dumps({**asdict(self), "rows": self.n_rows}, ensure_ascii=False)


@dataclass
class Binding:
    """Where one question's answers sit: column positions in the raw table."""

    question: Question
    cells: int | None = None
    parts: dict[str, int] = field(default_factory=dict)
    other: int | None = None
    sep: str | None = None
    dc: tuple[int, int, int] | None = None

    def positions(self) -> list[int]:
        """Every raw column this binding reads."""
        out = [p for p in (self.cells, self.other) if p is not None]
        out += list(self.parts.values()) + list(self.dc or ())
        return out


@dataclass
class Layout:
    """A reader's result: bindings, metadata columns and rows to keep."""

    platform: str
    mode: str
    bindings: list[Binding]
    meta: dict[str, int] = field(default_factory=dict)
    hashed: dict[int, str] = field(default_factory=dict)
    dropped: set[int] = field(default_factory=set)
    rows: np.ndarray | None = None
    source_rows: np.ndarray | None = None
    n_dropped: int = 0
    duration_unit: str = "seconds"
    resolve: str | None = None  # how cells are parsed, if not ``mode`` ("auto": per cell)


def close_headers(name: str, headers: Iterable[str], n: int = 3) -> list[str]:
    """Headers that look like ``name`` (for "did you mean" hints)."""
    pool = {normalise_label(h): h for h in headers if h}
    hits = difflib.get_close_matches(normalise_label(name), list(pool), n=n, cutoff=0.3)
    return [pool[h] for h in hits]


def raise_missing_questions(missing: Sequence[Question], headers: Sequence[str],
                            file: str | None, platform: str) -> None:
    """Raise :class:`ColumnMismatchError` naming questions absent from the export."""
    if not missing:
        return
    described = []
    for q in missing[:10]:
        close = close_headers(str(q.source_key), headers)
        described.append(f"{q.id} (source {q.source_key!r}"
                         + (f"; closest headers {close}" if close else "") + ")")
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    raise ColumnMismatchError(
        f"{len(missing)} codebook question(s) not found in the {platform} export: "
        + "; ".join(described) + more,
        file=file, question=missing[0].id,
        hint="fix each question's `source` in survey.yaml (问卷星: the question number), or "
             "check that this is the right export", questions=[q.id for q in missing])


def raise_unknown_columns(positions: Sequence[int], headers: Sequence[str],
                          file: str | None, context: dict[int, str] | None = None) -> None:
    """Raise :class:`ColumnMismatchError` naming export columns the codebook does not know."""
    if not positions:
        return
    context = context or {}
    named = [f"{headers[p]!r} (column {p + 1}{', ' + context[p] if p in context else ''})"
             for p in positions[:10]]
    more = f" and {len(positions) - 10} more" if len(positions) > 10 else ""
    raise ColumnMismatchError(
        f"{len(positions)} export column(s) are not in the codebook: " + ", ".join(named) + more,
        file=file, column=headers[positions[0]],
        hint="add the question (or option/row) to survey.yaml, or list the column under "
             "`ignore:`", columns=[headers[p] for p in positions])


def _seconds(text: str) -> float | None:
    m = _DURATION.match(text.strip())
    if not m or not any(m.groupdict().values()):
        return None
    parts = {k: float(v) for k, v in m.groupdict().items() if v}
    return (parts.get("d", 0.0) * 86400 + parts.get("h", 0.0) * 3600
            + parts.get("m", 0.0) * 60 + parts.get("s", 0.0))


def parse_duration(text: pd.Series, unit: str = "seconds") -> pd.Series:
    """``235秒`` / ``1分30秒`` / ``1小时2分`` / plain numbers -> float seconds.

    Plain numbers are in ``unit`` (``"seconds"`` or ``"minutes"``).
    """
    scale = 60.0 if unit == "minutes" else 1.0

    def one(value: str) -> float | None:
        try:
            return float(value) * scale
        except ValueError:
            return _seconds(value)

    return map_unique(text, one, na=np.nan).astype("float64")


def hash_ip(text: pd.Series, salt: str) -> pd.Series:
    """Salted HMAC-SHA256 of the IP part of ``183.192.16.69(上海-上海)``."""
    def one(value: str) -> str | None:
        m = _IP.search(value)
        return m.group(1) if m else None

    return pii.salted_hash(map_unique(text, one, dtype="string"), salt)


def _check_duplicates(ids: pd.Series, source_rows: np.ndarray, codebook: Codebook,
                      file: str | None) -> None:
    if codebook.screening.duplicates.ids != "error":
        return
    dup = ids.duplicated(keep=False) & ids.notna()
    if not dup.any():
        return
    repeated = list(pd.unique(ids[dup]))
    rows = source_rows[dup.to_numpy()]
    shown = ", ".join(map(str, repeated[:10])) + (" ..." if len(repeated) > 10 else "")
    raise DuplicateIdError(
        f"{len(repeated)} respondent id(s) occur more than once: {shown}", file=file,
        column="respondent_id", row=", ".join(map(str, rows[:20])),
        hint="set screening.duplicates.ids: exclude in survey.yaml to keep the first submission",
        ids=repeated, source_rows=[int(r) for r in rows])


def _derived(frame: pd.DataFrame, codebook: Codebook) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    for d in codebook.derived:
        if d.source not in frame.columns:
            raise CodebookError(f"derived {d.id!r} needs a single-column question, "
                                f"but {d.source!r} has columns {codebook.question(d.source).columns()}",
                                file=codebook.path, question=d.source,
                                hint="derive from a single-choice question")
        keys = frame[d.source].astype("object").map(d.map, na_action="ignore")
        out[d.id] = pd.Series(pd.Categorical(keys, categories=list(d.labels)), index=frame.index)
    return out


def build_frame(table: pd.DataFrame, layout: Layout, codebook: Codebook, *,
                file: str | None, salt: str) -> pd.DataFrame:
    """Parse the bound columns into the tidy frame (attrs added by the caller)."""
    rows = layout.rows if layout.rows is not None else np.arange(len(table))
    source_rows = (layout.source_rows if layout.source_rows is not None
                   else np.arange(1, len(table) + 1))[rows]
    index = pd.RangeIndex(len(rows))
    cache: dict[int, pd.Series] = {}

    def cells(pos: int) -> pd.Series:
        if pos not in cache:
            col = table.iloc[rows, pos]
            cache[pos] = cell_text(col.reset_index(drop=True))
        return cache[pos]

    resolve = layout.resolve or layout.mode
    ctx = Context(codebook, resolve if resolve in ("text", "code") else "auto",  # type: ignore[arg-type]
                  file, source_rows, index)
    meta = layout.meta
    cols: dict[str, pd.Series] = {}
    ids = cells(meta["id"]) if "id" in meta else pd.Series(source_rows.astype(str), index=index)
    cols["respondent_id"] = ids.astype("string")
    cols["source_row"] = pd.Series(source_rows, index=index, dtype="Int64")
    if "duration" in meta:
        cols["duration_s"] = parse_duration(cells(meta["duration"]), layout.duration_unit)
    for role, name in (("submitted", "submitted_at"), ("started", "started_at")):
        if role in meta:
            cols[name] = parse_datetime(cells(meta[role]))
    if "ip" in meta:
        cols["ip_hash"] = hash_ip(cells(meta["ip"]), salt)
    for pos, name in layout.hashed.items():
        cols[name] = pii.salted_hash(cells(pos), salt)
    headers = [str(h) for h in table.columns]
    for b in layout.bindings:
        q = b.question
        result: Converted
        if b.dc is not None:
            result = convert_dc_bid(cells(b.dc[0]), cells(b.dc[1]), cells(b.dc[2]),
                                    tuple(headers[p] for p in b.dc), q, ctx)  # type: ignore[arg-type]
        else:
            parts = {k: cells(p) for k, p in b.parts.items()} or None
            part_headers = {k: headers[p] for k, p in b.parts.items()}
            result = convert_question(
                q, ctx, cells=None if b.cells is None else cells(b.cells), parts=parts,
                headers=part_headers, header=headers[b.cells] if b.cells is not None else "",
                other_cells=None if b.other is None else cells(b.other), sep=b.sep)
        for name in q.columns():
            cols[name] = result.columns.get(name, pd.Series(pd.NA, index=index, dtype="string"))
        if result.status.notna().any():
            cols[missing_column(q.id)] = result.status.astype("string")
    frame = pd.DataFrame(cols, index=index)
    for name, series in _derived(frame, codebook).items():
        frame[name] = series
    _check_duplicates(frame["respondent_id"], source_rows, codebook, file)
    return frame


def as_attrs(codebook: Codebook, source: SourceInfo) -> dict[str, Any]:
    """The ``attrs`` every tidy frame carries (strings only; see ARCHITECTURE.md)."""
    return {"wave": codebook.wave, "codebook_json": codebook.to_json(),
            "source_json": source.to_json()}
