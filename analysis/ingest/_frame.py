"""Assemble the tidy frame from a reader's :class:`Layout` (shared by every reader).

A reader's only job is to *bind* raw columns to codebook questions and to
the respondent metadata; this module parses them (via ``_convert``), adds
``<qid>__missing`` statuses, derived variables, the salted IP hash and the
``attrs`` contract of ``ARCHITECTURE.md``.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import pii
from .._codebook_fields import constraint_masks, shown_mask, to_int
from ..codebook import Codebook, Question, missing_column
from ..errors import (
    CodebookError,
    ColumnMismatchError,
    ConstraintWarning,
    DataValueError,
    DuplicateIdError,
    IngestWarning,
    InvalidValueWarning,
    MetadataWarning,
    RoutingWarning,
    UnavailableDataWarning,
)
from ._cells import cell_text, map_unique, normalise_label
from ._convert import (
    Context,
    Converted,
    Issue,
    convert_dc_bid,
    convert_question,
    other_option,
    parse_datetime,
)

__all__ = ["SourceInfo", "Binding", "Layout", "Issue", "build_frame", "parse_duration",
           "hash_ip", "raise_missing_questions", "raise_unknown_columns", "close_headers",
           "report_issues"]

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
    notes : list of str
        How values were read where a reader had to interpret them (e.g.
        durations written ``3分12秒``, read as 192 seconds).
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
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """Serialise for ``DataFrame.attrs["source_json"]`` (``rows`` = ``n_rows``).

        Returns
        -------
        str
            JSON object of every field, plus ``rows`` (a copy of ``n_rows``).
        """
        return json.dumps({**asdict(self), "rows": self.n_rows}, ensure_ascii=False)


@dataclass
class Binding:
    """Where one question's answers sit: column positions in the raw table.

    Attributes
    ----------
    question : Question
        The codebook question bound.
    cells : int or None
        Position of the single column holding the answers (single, multiple
        joined with ``sep``, open, numeric ...), if there is one.
    parts : dict of str to int
        One column per grid item (keyed by item id) or per multiple/ranking
        option (keyed by option key), when the answers are split over columns.
    other : int or None
        Position of the other-specify text column.
    sep : str or None
        Separator of a multiple or ranking answer joined in one cell
        (``"┋"``, ``"→"``, ...).
    dc : tuple of int or None
        Bid, first-answer and follow-up-answer columns of a ``dc_bid`` question.
    """

    question: Question
    cells: int | None = None
    parts: dict[str, int] = field(default_factory=dict)
    other: int | None = None
    sep: str | None = None
    dc: tuple[int, int, int] | None = None

    def positions(self) -> list[int]:
        """Every raw column this binding reads.

        Returns
        -------
        list of int
            Positions of ``cells``, ``other``, every part and the ``dc`` columns.
        """
        out = [p for p in (self.cells, self.other) if p is not None]
        out += list(self.parts.values()) + list(self.dc or ())
        return out


@dataclass
class Layout:
    """A reader's result: bindings, metadata columns and rows to keep.

    Attributes
    ----------
    platform : str
        Reader that made the layout (``"wjx"``, ``"qualtrics"``, ``"generic"`` ...).
    mode : str
        ``"text"`` (answers as labels) or ``"code"`` (answers as codes).
    bindings : list of Binding
        One per codebook question found in the export.
    meta : dict of str to int
        Respondent metadata column positions keyed by role: ``"id"``,
        ``"duration"``, ``"submitted"``, ``"started"``, ``"ip"``.
    hashed : dict of int to str
        Personal columns kept only as salted hashes: position -> output column.
    dropped : set of int
        Positions not carried into the frame (personal, platform or ignored columns).
    rows : numpy.ndarray or None
        Raw table rows to keep (None: all); Qualtrics drops header and preview rows.
    source_rows : numpy.ndarray or None
        Export row number (1-based) of each raw table row, for messages
        (None: ``1..n``).
    n_dropped : int
        Rows dropped on read (Qualtrics ``Survey Preview`` responses).
    duration_unit : str
        Unit of plain-number durations, ``"seconds"`` or ``"minutes"``.
    resolve : str or None
        How cells are parsed if not per ``mode``: ``"auto"`` resolves each cell
        (labels first, then codes).
    issues : list of Issue
        What the reader noticed, reported with the frame's own issues.
    notes : list of str
        How values were interpreted, copied to :class:`SourceInfo`.
    """

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
    issues: list[Issue] = field(default_factory=list)  # what the reader noticed, for the report
    notes: list[str] = field(default_factory=list)  # how values were interpreted (SourceInfo)


def close_headers(name: str, headers: Iterable[str], n: int = 3) -> list[str]:
    """Find the headers that look like ``name`` (for "did you mean" hints).

    Parameters
    ----------
    name : str
        The source name looked for.
    headers : iterable of str
        Candidate headers; compared after label normalisation.
    n : int, default 3
        Most matches returned.

    Returns
    -------
    list of str
        Up to ``n`` headers as written, closest first (difflib ratio at least 0.3).
    """
    pool = {normalise_label(h): h for h in headers if h}
    hits = difflib.get_close_matches(normalise_label(name), list(pool), n=n, cutoff=0.3)
    return [pool[h] for h in hits]


def raise_missing_questions(missing: Sequence[Question], headers: Sequence[str],
                            file: str | None, platform: str) -> None:
    """Raise :class:`ColumnMismatchError` naming questions absent from the export.

    Parameters
    ----------
    missing : sequence of Question
        Codebook questions whose source columns were not found.
    headers : sequence of str
        The export's column headers (searched for close matches).
    file : str or None
        The export, for the error.
    platform : str
        Platform name for the message (``"问卷星"``, ``"Qualtrics"`` ...).

    Raises
    ------
    ColumnMismatchError
        If ``missing`` is not empty; names up to ten questions with the closest
        headers to each source.
    """
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
    """Raise :class:`ColumnMismatchError` naming export columns the codebook does not know.

    Parameters
    ----------
    positions : sequence of int
        Positions of the export columns no question, metadata role or ``ignore``
        entry claimed.
    headers : sequence of str
        The export's column headers.
    file : str or None
        The export, for the error.
    context : dict of int to str, optional
        Extra words shown after a column's position (e.g. its Qualtrics question text).

    Raises
    ------
    ColumnMismatchError
        If ``positions`` is not empty; names up to ten columns.
    """
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

    Parameters
    ----------
    text : pandas.Series
        Cell texts.
    unit : {"seconds", "minutes"}
        Unit of plain numbers.

    Returns
    -------
    pandas.Series
        Seconds (float64); NaN where unreadable (``abc``, infinite, negative).
    """
    return _durations(text, unit)[0]


def _duration_one(value: str, scale: float) -> tuple[float, int]:
    """(seconds, how): how 0 plain number, 1 written with units, 2 unreadable."""
    try:
        seconds, how = float(value) * scale, 0
    except ValueError:
        parsed = _seconds(value)
        seconds, how = (math.nan, 2) if parsed is None else (parsed, 1)
    if not math.isfinite(seconds) or seconds < 0:
        return math.nan, 2
    return seconds, how


def _durations(text: pd.Series, unit: str) -> tuple[pd.Series, pd.Series]:
    scale = 60.0 if unit == "minutes" else 1.0
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    seconds = np.full(len(uniques) + 1, np.nan)
    how = np.zeros(len(uniques) + 1, dtype=np.int8)
    for i, u in enumerate(uniques):
        seconds[i], how[i] = _duration_one(str(u), scale)
    return (pd.Series(seconds[codes], index=text.index, dtype="float64"),
            pd.Series(how[codes], index=text.index, dtype="int8"))


def hash_ip(text: pd.Series, salt: str) -> pd.Series:
    """Salted HMAC-SHA256 of the IP part of ``183.192.16.69(上海-上海)``.

    Parameters
    ----------
    text : pandas.Series
        IP cells as exported, e.g. ``183.192.16.69(上海-上海)``; the first IPv4 or
        IPv6 address in each is hashed.
    salt : str
        Secret for the HMAC (:func:`analysis.pii.salted_hash`).

    Returns
    -------
    pandas.Series
        16-character hex digests (string dtype); missing where a cell holds no
        address.
    """
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
                file: str | None, salt: str, strict: bool | None = None) -> pd.DataFrame:
    """Parse the bound columns into the tidy frame (attrs added by the caller).

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table (:func:`analysis.ingest.read_table`).
    layout : Layout
        A reader's bindings.
    codebook : Codebook
        The codebook, sources resolved for the platform.
    file : str or None
        The export, for messages.
    salt : str
        Secret for the IP hash.
    strict : bool, optional
        Raise :class:`DataValueError` instead of warning; default ``codebook.strict``.

    Returns
    -------
    pandas.DataFrame
        The tidy frame.  Everything wrong that ingest can see has been
        reported (:func:`report_issues`): one :class:`IngestWarning` per kind.
    """
    rows = layout.rows if layout.rows is not None else np.arange(len(table))
    source_rows = (layout.source_rows if layout.source_rows is not None
                   else np.arange(1, len(table) + 1))[rows]
    index = pd.RangeIndex(len(rows))
    cache: dict[int, pd.Series] = {}
    # A column's cell texts are dropped after their last use below: holding every
    # column's until the end doubled the peak memory of a large export.
    uses = Counter(meta_pos for role, meta_pos in layout.meta.items()
                   if role in ("id", "duration", "submitted", "started", "ip"))
    uses.update(list(layout.hashed))  # the positions (a mapping would add counts)
    for b in layout.bindings:
        uses.update([*(b.dc or ()), *b.parts.values(),
                     *(p for p in (b.other, b.cells) if p is not None)])

    def cells(pos: int) -> pd.Series:
        text = cache.get(pos)
        if text is None:
            # All rows: a view of the column, not a copy taken row by row.
            col = table.iloc[:, pos] if layout.rows is None else table.iloc[rows, pos]
            text = cell_text(col.reset_index(drop=True))
        uses[pos] -= 1
        if uses[pos] > 0:
            cache[pos] = text
        else:
            cache.pop(pos, None)
        return text

    resolve = layout.resolve or layout.mode
    ctx = Context(codebook, resolve if resolve in ("text", "code") else "auto",  # type: ignore[arg-type]
                  file, source_rows, index)
    meta = layout.meta
    headers = [str(h) for h in table.columns]
    issues: list[Issue] = list(layout.issues)
    cols: dict[str, pd.Series] = {}
    ids = cells(meta["id"]) if "id" in meta else pd.Series(source_rows.astype(str), index=index)
    cols["respondent_id"] = ids.astype("string")
    cols["source_row"] = pd.Series(source_rows, index=index, dtype="Int64")
    if "duration" in meta:
        text = cells(meta["duration"])
        cols["duration_s"], how = _durations(text, layout.duration_unit)
        _meta_issue(issues, (how == 2).to_numpy(), text, headers[meta["duration"]],
                    "not a duration (left missing)")
        units = (how == 1).to_numpy()
        if units.any():
            # The longest such cell is the most telling example (3分12秒 over 60秒).
            first = int(text.where(units).str.len().fillna(0).to_numpy().argmax())
            layout.notes.append(
                f"{int(units.sum())} durations in column {headers[meta['duration']]!r} are "
                f"written with units (e.g. {text.iloc[first]!r} = "
                f"{cols['duration_s'].iloc[first]:g} s) and were read as seconds")
    for role, name in (("submitted", "submitted_at"), ("started", "started_at")):
        if role in meta:
            text = cells(meta[role])
            cols[name] = parse_datetime(text)
            _meta_issue(issues, (cols[name].isna() & text.notna()).to_numpy(), text,
                        headers[meta[role]], "not a date and time (left missing)")
    if "ip" in meta:
        cols["ip_hash"] = hash_ip(cells(meta["ip"]), salt)
    for pos, name in layout.hashed.items():
        cols[name] = pii.salted_hash(cells(pos), salt)
    unavailable: list[str] = []
    for b in layout.bindings:
        q = b.question
        result: Converted
        if b.dc is not None:
            result = convert_dc_bid(cells(b.dc[0]), cells(b.dc[1]), cells(b.dc[2]),
                                    tuple(headers[p] for p in b.dc), q, ctx)  # type: ignore[arg-type]
        else:
            parts = {k: cells(p) for k, p in b.parts.items()} or None
            part_headers = {k: headers[p] for k, p in b.parts.items()}
            other = None if b.other is None else cells(b.other)
            if other is not None and q.other_text is not None:
                # A named other-text column is text whatever it holds ("123" too).
                result = convert_question(
                    q, ctx, cells=None if b.cells is None else cells(b.cells), parts=parts,
                    headers=part_headers, header=headers[b.cells] if b.cells is not None else "",
                    sep=b.sep)
                result.columns[f"{q.id}_other_text"] = other.astype("string")
            else:
                result = convert_question(
                    q, ctx, cells=None if b.cells is None else cells(b.cells), parts=parts,
                    headers=part_headers,
                    header=headers[b.cells] if b.cells is not None else "",
                    other_cells=other, sep=b.sep)
        issues.extend(result.issues)
        for name in q.columns():
            cols[name] = result.columns.get(name, pd.Series(pd.NA, index=index, dtype="string"))
        if result.status.notna().any():
            cols[missing_column(q.id)] = result.status.astype("string")
        if (layout.platform == "wjx" and layout.mode == "code" and q.has_other()
                and b.other is None):
            if _mark_unavailable(cols, q, index):
                unavailable.append(q.id)
    frame = pd.DataFrame(cols, index=index)
    _route(frame, codebook, issues)
    for q in codebook.questions:
        for rule, mask, reason in constraint_masks(q, frame):
            issues.append(Issue(ConstraintWarning, f"{reason} (clean rule {rule})", q.id,
                                q.id if q.id in frame.columns else None, mask,
                                frame[q.id] if q.id in frame.columns else None))
    _invalid_issues(frame, layout, headers, ctx, issues)
    if unavailable:
        issues.append(Issue(UnavailableDataWarning,
                            "the 问卷星 code-mode download (按选项序号) carries no other-specify "
                            "text; <id>_other_text is marked 'unavailable' in "
                            "<id>_other_text__missing (download 按选项文本 for the texts)",
                            ", ".join(unavailable), count=len(unavailable)))
    for name, series in _derived(frame, codebook).items():
        frame[name] = series
    _check_duplicates(frame["respondent_id"], source_rows, codebook, file)
    report_issues(issues, source_rows, file, codebook.strict if strict is None else strict)
    return frame


def _meta_issue(issues: list[Issue], mask: np.ndarray, text: pd.Series, header: str,
                what: str) -> None:
    if mask.any():
        issues.append(Issue(MetadataWarning, what, None, header, mask, text))


def _mark_unavailable(cols: dict[str, pd.Series], q: Question, index: pd.Index) -> bool:
    """``<id>_other_text__missing = "unavailable"`` where the other option was chosen."""
    other = other_option(q)
    if other is None:
        chosen = pd.Series(True, index=index)
    elif q.type == "multiple":
        chosen = cols[f"{q.id}_{other.key}"].astype("boolean").fillna(False)
    elif q.type == "ranking":
        chosen = cols[f"{q.id}_{other.key}"].notna()
    elif q.id in cols:
        chosen = cols[q.id].astype("string") == other.key
    else:
        chosen = pd.Series(True, index=index)
    status = pd.Series(pd.NA, index=index, dtype="string")
    status[chosen.fillna(False).to_numpy(dtype=bool)] = "unavailable"
    cols[missing_column(f"{q.id}_other_text")] = status
    return bool(status.notna().any())


def _route(frame: pd.DataFrame, codebook: Codebook, issues: list[Issue]) -> None:
    """Apply ``show_if`` in questionnaire order: a blank where hidden is ``not_asked``.

    Answers given although hidden, and blanks of required questions although
    shown, are reported (:class:`RoutingWarning`); the answers stay for
    :func:`analysis.clean`'s ``routing`` rule to audit.
    """
    for q in codebook.questions:
        if not q.show_if:
            continue
        shown = shown_mask(frame, q, codebook.question)
        if shown is None:
            continue
        mcol = missing_column(q.id)
        status = (frame[mcol].astype("string") if mcol in frame.columns
                  else pd.Series(pd.NA, index=frame.index, dtype="string"))
        blank = (status == "blank").fillna(False).to_numpy(dtype=bool)
        if (blank & ~shown).any():
            frame[mcol] = status.mask(blank & ~shown, "not_asked")
        cols = [c for c in q.columns() if not c.endswith("_other_text") and c in frame.columns]
        answered = frame[cols].notna().any(axis=1).to_numpy(dtype=bool)
        rule = q.routing_text()
        if (answered & ~shown).any():
            issues.append(Issue(RoutingWarning, f"answered although hidden by show_if ({rule})",
                                q.id, cols[0], answered & ~shown,
                                frame[cols[0]] if len(cols) == 1 else None))
        if q.required and (blank & shown).any():
            issues.append(Issue(RoutingWarning, f"blank although shown by show_if ({rule})",
                                q.id, cols[0], blank & shown))


def _invalid_issues(frame: pd.DataFrame, layout: Layout, headers: list[str], ctx: Context,
                    issues: list[Issue]) -> None:
    """One :class:`InvalidValueWarning` entry per question with ``invalid:`` statuses."""
    for b in layout.bindings:
        q = b.question
        mcol = missing_column(q.id)
        if mcol not in frame.columns:
            continue
        status = frame[mcol].astype("string")
        bad = status.str.startswith("invalid:").fillna(False).to_numpy(dtype=bool)
        if not bad.any():
            continue
        raw = status.str.slice(len("invalid:"))
        where = ", ".join(headers[p] for p in b.positions()[:3]) + (
            ", ..." if len(b.positions()) > 3 else "")
        special = map_unique(raw, lambda v: (to_int(v) or 0) < 0 and ctx.mode != "text",
                             na=False).to_numpy(dtype=bool) & bad
        if special.any():
            issues.append(Issue(InvalidValueWarning,
                                "negative special code not declared (declare it under "
                                "`missing_codes` or the question's `missing`)",
                                q.id, where, special, raw))
        rest = bad & ~special
        if rest.any():
            what = {"numeric": "not a number", "datetime": "not a date",
                    "multiple": "a selection cell that is not 0/1 (nor a declared missing "
                                "value)" if b.parts else "not an option",
                    "ranking": "not a valid ranking (an undefined code, a tie, an item "
                               "ranked twice)"}.get(q.type, "not a code of the options")
            issues.append(Issue(InvalidValueWarning, what, q.id, where, rest, raw))


_KIND_TEXT: dict[type, tuple[str, str]] = {
    InvalidValueWarning: (
        "cells are not answers the codebook allows; their status reads 'invalid:<value>' "
        "and clean() sets them to missing",
        "add the code to the question's options, or declare it as missing (missing_codes / "
        "missing, e.g. -9: refused, '.a': not_asked, '97..99': dont_know)"),
    ConstraintWarning: (
        "answers break a constraint of the codebook (kept; clean() sets them aside)",
        "check the export, or the question's range / integer / max_choices / exclusive"),
    RoutingWarning: (
        "answers contradict the routing (show_if)",
        "check show_if against the questionnaire's display logic"),
    MetadataWarning: (
        "metadata cells cannot be read",
        "check the column, or name the right one under respondent: in survey.yaml"),
}


def report_issues(issues: Sequence[Issue], source_rows: np.ndarray, file: str | None,
                  strict: bool) -> None:
    """Issue one :class:`IngestWarning` per kind, or raise :class:`DataValueError` if strict.

    Parameters
    ----------
    issues : sequence of Issue
        What the readers and converters found.
    source_rows : numpy.ndarray
        Source row of each frame row (for the examples).
    file : str or None
        The export.
    strict : bool
        Raise instead of warning (kinds whose ``strict`` attribute is true).
    """
    by_kind: dict[type[IngestWarning], list[Issue]] = {}
    for issue in issues:
        if issue.mask is not None and not issue.mask.any():
            continue
        by_kind.setdefault(issue.kind, []).append(issue)
    errors: list[tuple[type[IngestWarning], str, int, list[dict[str, Any]], list[str]]] = []
    for kind, group in by_kind.items():
        total = 0
        parts: list[str] = []
        examples: list[dict[str, Any]] = []
        for issue in group:
            n, text, ex = _describe(issue, source_rows)
            total += n
            parts.append(text)
            examples.extend(ex)
        title, hint = _KIND_TEXT.get(kind, ("", ""))
        message = (f"{file}: " if file else "") + (f"{total} {title}: " if title else "") + \
            "; ".join(parts) + (f". Fix: {hint}" if hint else "")
        questions = sorted({i.question for i in group if i.question})
        if strict and kind.strict:
            errors.append((kind, message, total, examples, questions))
        else:
            warnings.warn(kind(message, count=total, examples=examples[:20],
                               questions=questions), stacklevel=4)
    if errors:
        first = errors[0]
        example = first[3][0] if first[3] else {}
        raise DataValueError(
            "strict mode: " + " | ".join(f"{k.__name__}: {m}" for k, m, *_ in errors),
            file=file, row=example.get("row"), column=example.get("column"),
            question=first[4][0] if first[4] else None,
            hint="correct the export or the codebook, or load without strict to get warnings",
            issues=[{"kind": k.__name__, "count": n, "message": m} for k, m, n, _, _ in errors])


def _describe(issue: Issue, source_rows: np.ndarray) -> tuple[int, str, list[dict[str, Any]]]:
    """(count, text, examples) of one issue; example values are scrubbed of personal data."""
    head = f"{issue.question}" if issue.question else ""
    if issue.column:
        head += f" (column {issue.column!r})" if head else f"column {issue.column!r}"
    if issue.mask is None:
        return issue.count, f"{head}: {issue.what}" if head else issue.what, []
    pos = np.flatnonzero(issue.mask)
    shown = pos[:3]
    examples = [{"row": int(source_rows[p]), "column": issue.column,
                 "question": issue.question, "value": None} for p in shown]
    pieces = [f"row {int(source_rows[p])}" for p in shown]
    if issue.values is not None:
        values, _ = pii.scrub_text(issue.values.iloc[shown].astype("string").reset_index(drop=True))
        for i, v in enumerate(values.tolist()):
            if v is not None and v is not pd.NA:
                examples[i]["value"] = v
                pieces[i] += f" {str(v)[:40]!r}"
    more = ", ..." if len(pos) > len(shown) else ""
    return len(pos), f"{head} {len(pos)} cell(s) {issue.what}: {', '.join(pieces)}{more}", examples


def as_attrs(codebook: Codebook, source: SourceInfo) -> dict[str, Any]:
    """The ``attrs`` every tidy frame carries (strings only; see ARCHITECTURE.md)."""
    return {"wave": codebook.wave, "codebook_json": codebook.to_json(),
            "source_json": source.to_json()}


_WJX_NUMBER = re.compile(r"^\s*(?:第\s*)?(\d+)\s*(?:[、.:：(（]|题)")


def source_present(table: pd.DataFrame, platform: str) -> Any:
    """A predicate ``name -> bool``: whether the export holds a source ``name``.

    Used to pick the first present alternative of a list ``source``
    (:meth:`Codebook.for_platform`).  A name is present when it is a header,
    a Qualtrics ImportId (row 3) or the stem of split columns (``QID5`` of
    ``QID5_1``); on 问卷星 a number is present when a header carries it.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table.
    platform : str
        The reader's platform.

    Returns
    -------
    callable
        ``name -> bool``.
    """
    names = [str(h) for h in table.columns]
    if platform == "qualtrics":
        for row in range(min(2, len(table))):
            for cell in table.iloc[row].tolist():
                text = str(cell).strip()
                if text.startswith("{") and "ImportId" in text:
                    try:
                        names.append(str(json.loads(text.replace("'", '"')).get("ImportId", "")))
                    except (json.JSONDecodeError, AttributeError):
                        continue
    keys: set[str] = set()
    for name in names:
        key = normalise_label(name)
        keys.add(key)
        pieces = key.split("_")
        keys.update("_".join(pieces[:i]) for i in range(1, len(pieces)))
    numbers = {m.group(1) for m in map(_WJX_NUMBER.match, names) if m} if platform == "wjx" \
        else set()

    def present(name: Any) -> bool:
        text = str(name).strip()
        return normalise_label(text) in keys or text in numbers

    return present
