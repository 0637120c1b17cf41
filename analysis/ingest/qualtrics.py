"""Qualtrics CSV/TSV exports (three header rows; columns mapped by ImportId).

Row 1 holds export tags (renamable), row 2 question text (``Q2 - Ann`` for
sub-items), row 3 an ImportId JSON per column (``{"ImportId":"QID2_1"}``).
A question's ``source`` is its QID (preferred: stable when tags are renamed)
or its export tag; sub-columns ``<QID>_<k>`` are options (multiple choice,
ranking) or rows (matrix), ``<QID>_<k>_TEXT`` is other-specify text and
``<QID>_TEXT`` a text-entry answer.  Split multiple-choice columns that
share one ImportId and differ by ``choiceId``
(``{"ImportId":"QID5","choiceId":"1"}``) are ``QID5_1`` ...; a question's
``other_text`` may name any column (ImportId or tag).  ``Survey Preview``
responses are dropped and counted in ``SourceInfo.n_dropped``.  Export tags
(row 1) that repeat are reported (:class:`analysis.errors.ExportMetadataWarning`),
and refused when a question can only be found through such a tag.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from ..codebook import Codebook, Question
from ..errors import ColumnMismatchError, ExportMetadataWarning
from ._cells import OptionMatcher, cell_text, normalise_label
from ._frame import (
    Binding,
    Issue,
    Layout,
    raise_missing_questions,
    raise_unknown_columns,
)
from .detect import qualtrics_header_rows

__all__ = ["META", "PERSONAL", "import_ids", "question_texts", "layout", "preview_rows"]

#: Qualtrics metadata (ImportId or export tag, normalised) -> role.
META: dict[str, str] = {
    "_recordid": "id", "responseid": "id",
    "startdate": "started", "enddate": "submitted", "recordeddate": "meta",
    "duration": "duration", "duration(inseconds)": "duration",
    "ipaddress": "ip",
    "status": "meta", "progress": "meta", "finished": "meta", "distributionchannel": "meta",
    "userlanguage": "meta",
}
#: Personal metadata: dropped on ingest, never put in the frame.
PERSONAL = {"recipientlastname", "recipientfirstname", "recipientemail",
            "externaldatareference", "externalreference", "locationlatitude",
            "locationlongitude"}
_PREVIEW = {"surveypreview", "1", "preview"}


def import_ids(table: pd.DataFrame, extra_rows: int) -> list[str]:
    """ImportId of each column (its export tag when there is no ImportId row).

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table (row 1 = question text, row 2 = ImportIds).
    extra_rows : int
        Header rows below the tags (2 in a current export).

    Returns
    -------
    list of str
        ``QID5_1`` for ``{"ImportId":"QID5","choiceId":"1"}`` (split
        multiple choice), the ImportId otherwise, the tag where none.
    """
    tags = [str(h).strip() for h in table.columns]
    if extra_rows < 2:
        return tags
    out = []
    for tag, cell in zip(tags, table.iloc[1].tolist(), strict=True):
        text = str(cell).strip()
        value = None
        # Legacy exports quote the JSON with single quotes.
        for candidate in (text, text.replace("'", '"')):
            try:
                value = json.loads(candidate) if candidate.startswith("{") else None
                break
            except json.JSONDecodeError:
                continue
        if not isinstance(value, dict):
            out.append(tag)
            continue
        iid = str(value.get("ImportId", tag))
        choice = value.get("choiceId")
        out.append(f"{iid}_{choice}" if choice not in (None, "") and
                   not iid.endswith(f"_{choice}") else iid)
    return out


def question_texts(table: pd.DataFrame, extra_rows: int) -> list[str]:
    """Row-2 question text per column ('' when absent).

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table (its first row is the question-text header row).
    extra_rows : int
        Header rows below the tags; below 1 there is no question-text row.

    Returns
    -------
    list of str
        One stripped text per column.
    """
    if extra_rows < 1:
        return [""] * table.shape[1]
    return ["" if pd.isna(v) else str(v).strip() for v in table.iloc[0].tolist()]


def column_role(import_id: str, tag: str) -> str | None:
    for key in (normalise_label(import_id), normalise_label(tag)):
        if key in META:
            return META[key]
        if key in PERSONAL:
            return "personal"
        if key.startswith(("q_", "relevantid", "sc0", "q_recaptcha")):
            return "meta"
    return None


def preview_rows(table: pd.DataFrame, ids: list[str], tags: list[str], extra: int) -> np.ndarray:
    """Boolean mask of ``Survey Preview`` responses among the data rows.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table.
    ids : list of str
        ImportId per column (:func:`import_ids`).
    tags : list of str
        Export tag per column.
    extra : int
        Header rows to skip before the data rows.

    Returns
    -------
    numpy.ndarray
        Boolean, one per data row: True where the ``Status`` column says
        ``Survey Preview`` (all False without a ``Status`` column).
    """
    n = len(table) - extra
    for pos, (iid, tag) in enumerate(zip(ids, tags, strict=True)):
        if normalise_label(iid) == "status" or normalise_label(tag) == "status":
            status = cell_text(table.iloc[extra:, pos]).fillna("")
            return status.map(normalise_label).isin(_PREVIEW).to_numpy()
    return np.zeros(n, dtype=bool)


def _suffix_key(q: Question, suffix: str, texts: str, matcher: OptionMatcher | None,
                ) -> str | None:
    """Option key (or item id) a ``<QID>_<suffix>`` column belongs to."""
    if q.type == "grid":
        full = f"{q.source_key}_{suffix}"
        for item in q.items:
            if str(item.source) in (suffix, full) or item.id == suffix:
                return item.id
        label = texts.rsplit(" - ", 1)[-1].strip() if texts else ""
        for item in q.items:
            if label and normalise_label(label) in (normalise_label(item.label.zh),
                                                    normalise_label(item.label.get("en"))):
                return item.id
        return None
    if suffix.isdigit():
        for o in q.options:
            if o.code == int(suffix):
                return o.key
    if matcher is not None and texts:
        hit = matcher.match(texts.rsplit(" - ", 1)[-1])
        if hit is not None:
            return hit.key
    return None


def layout(table: pd.DataFrame, codebook: Codebook, *, mode: str = "auto",
           file: str | None = None) -> Layout:
    """The Qualtrics reader: bind by ImportId (or export tag), drop previews.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw export, export tags as column names, header rows 2-3 still in
        the data.
    codebook : Codebook
        The codebook; each question's ``source`` is a QID or an export tag.
    mode : {"auto", "text", "code"}, default "auto"
        How answers are written (choice text or recode values); ``"auto"``
        detects it and reads each cell as a label first, a code second.
    file : str, optional
        The export, for messages.

    Returns
    -------
    Layout
        Bindings, metadata, hashed and dropped columns; ``rows`` skips the
        header rows and ``Survey Preview`` responses (counted in ``n_dropped``).

    Raises
    ------
    ColumnMismatchError
        If a question has no column, a question is found only through a
        repeated export tag, a grid row or option has no sub-column, or a column
        belongs to nothing in the codebook.
    """
    extra = max(qualtrics_header_rows(table), 0)
    tags = [str(h).strip() for h in table.columns]
    ids = import_ids(table, extra)
    texts = question_texts(table, extra)
    out = Layout("qualtrics", "auto", [], duration_unit=codebook.respondent.duration_unit)
    used: set[int] = set()
    missing: list[Question] = []
    unknown: list[int] = []
    context: dict[int, str] = {}

    def columns_of(source: str) -> dict[str, int]:
        """``{suffix: position}`` of the columns of ``source`` ("" = the column itself)."""
        found: dict[str, int] = {}
        for names in (ids, tags):
            for pos, name in enumerate(names):
                if pos in used:
                    continue
                if name == source:
                    found.setdefault("", pos)
                elif name.startswith(source + "_"):
                    found.setdefault(name[len(source) + 1:], pos)
            if found:
                return found
        return found

    repeated = _repeated_tags(tags, ids)
    for q in codebook.questions:
        b = Binding(q, sep=",")
        if q.type == "dc_bid":
            parts = [columns_of(str(s)) for s in (q.bid, q.first, q.followup)]
            if not all(parts):
                missing.append(q)
                continue
            bid, first, followup = (p.get("", p.get("TEXT", next(iter(p.values())))) for p in parts)
            b.dc = (bid, first, followup)
            used.update(b.dc)
            out.bindings.append(b)
            continue
        cols = columns_of(str(q.source_key))
        if not cols:
            missing.append(q)
            continue
        if any(tags[p] in repeated and ids[p] == tags[p] for p in cols.values()):
            raise ColumnMismatchError(
                f"question {q.id} is found through export tag(s) that repeat: "
                + "; ".join(f"{t!r} in columns {repeated[t]}" for t in
                            sorted({tags[p] for p in cols.values() if tags[p] in repeated})),
                file=file, question=q.id,
                hint="give the question's ImportId (QID...) as its source, or rename the "
                     "repeated tags in Qualtrics and export again")
        matcher = OptionMatcher(q.options) if q.options else None
        if q.other_text is not None:
            named = columns_of(str(q.other_text)).get("")
            if named is not None and named not in cols.values():
                b.other = named
                used.add(named)
        for suffix, pos in cols.items():
            if suffix in ("", "TEXT") and b.cells is None and (suffix == "" or q.type in (
                    "text", "numeric", "datetime")):
                b.cells = pos
            elif suffix.endswith("TEXT") and q.has_other() and b.other is None:
                b.other = pos
            elif q.type in ("multiple", "ranking", "grid") and (
                    key := _suffix_key(q, suffix, texts[pos], matcher)) is not None:
                b.parts[key] = pos
            else:
                unknown.append(pos)
                context[pos] = f"an unmatched column of question {q.id}"
        wanted = [it.id for it in q.items] if q.type == "grid" else (
            [o.key for o in q.options] if q.type in ("multiple", "ranking") and b.parts else [])
        absent = [k for k in wanted if k not in b.parts]
        if absent:
            raise ColumnMismatchError(
                f"{'rows' if q.type == 'grid' else 'options'} {absent} of question {q.id} have "
                f"no column in the Qualtrics export", file=file, question=q.id,
                hint="sub-columns are matched by choice/row id (<QID>_<code>): align the "
                     "codebook codes (or item `source`) with the survey's recode values")
        if b.cells is None and not b.parts:
            missing.append(q)
            continue
        used.update(cols.values())
        out.bindings.append(b)
    personal = {normalise_label(p.column): p.action for p in codebook.personal}
    ignore = {normalise_label(str(x)) for x in codebook.ignore}
    resp = codebook.respondent
    explicit = {normalise_label(v): role for role, v in
                (("id", resp.id), ("duration", resp.duration), ("submitted", resp.submitted),
                 ("started", resp.started), ("ip", resp.ip)) if v}
    for pos, (iid, tag) in enumerate(zip(ids, tags, strict=True)):
        if pos in used or pos in unknown:
            continue
        keys = {normalise_label(iid), normalise_label(tag)}
        role = next((explicit[k] for k in keys if k in explicit), None) or column_role(iid, tag)
        if keys & set(personal) and role != "ip":
            if any(personal.get(k) == "hash" for k in keys):
                out.hashed[pos] = f"{tag}_hash"
            out.dropped.add(pos)
        elif role in ("id", "duration", "submitted", "started", "ip") and role not in out.meta:
            out.meta[role] = pos
        elif role is not None or keys & ignore:
            out.dropped.add(pos)
        else:
            unknown.append(pos)
    if repeated:
        out.issues.append(Issue(
            ExportMetadataWarning,
            "export tags repeat: " + "; ".join(f"{t!r} in columns {c}" for t, c in
                                               list(repeated.items())[:8])
            + " (columns were matched by ImportId; rename the tags in Qualtrics)",
            count=sum(len(c) for c in repeated.values())))
    raise_missing_questions(missing, tags, file, "Qualtrics")
    raise_unknown_columns(sorted(unknown), tags, file, context)
    preview = preview_rows(table, ids, tags, extra)
    out.rows = np.flatnonzero(~preview) + extra
    out.n_dropped = int(preview.sum())
    out.source_rows = np.concatenate([np.zeros(extra, dtype=np.int64),
                                      np.arange(1, len(table) - extra + 1)])
    from .wjx import detect_mode

    body = table.iloc[extra:].reset_index(drop=True)
    shifted = Layout(out.platform, "auto", out.bindings)
    out.mode = mode if mode in ("text", "code") else detect_mode(body, shifted, codebook)
    out.resolve = "auto" if mode == "auto" else mode
    return out


def _repeated_tags(tags: list[str], ids: list[str]) -> dict[str, list[int]]:
    """Export tags used by more than one column -> 1-based column numbers."""
    where: dict[str, list[int]] = {}
    for pos, tag in enumerate(tags):
        if tag:
            where.setdefault(tag, []).append(pos + 1)
    return {t: c for t, c in where.items() if len(c) > 1}


def split_tag(text: str) -> tuple[str, str]:
    """``"Q2 - Ann"`` -> (``"Q2"``, ``"Ann"``)."""
    m = re.match(r"^(.*?)\s+-\s+(.*)$", text)
    return (m.group(1), m.group(2)) if m else (text, "")
