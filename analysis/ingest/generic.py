"""Plain tables (CSV/XLSX with codes or labels) and, through :mod:`.stat`, SPSS/Stata.

Columns are found by *name*: a question's ``source`` (default: its id).
Multiple choice and ranking come either as one joined column (``a┋b``,
``a;b``, ``a|b``, ``a,b``) or as one column per option named
``<source>_<key>``, ``<source>_<code>``, ``<source>_<label>`` or
``<source>(<label>)``; grid rows are ``Item.source`` or ``<source>_<item id>``;
other-specify text is ``<source>_other_text`` / ``<source>_other`` /
``<source>_text`` / ``<source>_<key>_text``.  Metadata columns are the
codebook's ``respondent`` entries or well-known names (``respondent_id``,
``序号``, ``duration``, ``提交时间``, ``ip`` ...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..codebook import Codebook, Question
from ._cells import cell_text, normalise_label, strip_decoration
from ._convert import other_option
from ._frame import Binding, Layout, raise_missing_questions, raise_unknown_columns

__all__ = ["META_NAMES", "layout", "bind_by_name", "guess_meta", "joined_separator"]

#: Well-known metadata column names (normalised) -> role.
META_NAMES: dict[str, str] = {
    **dict.fromkeys(("respondent_id", "respondentid", "id", "序号", "编号", "答卷编号",
                     "responseid", "response_id", "_recordid", "caseid", "case_id"), "id"),
    **dict.fromkeys(("duration", "duration_s", "duration(inseconds)", "所用时间", "答题时长",
                     "用时", "填写用时", "答题用时"), "duration"),
    **dict.fromkeys(("submitted_at", "submitted", "提交时间", "提交答卷时间", "结束时间",
                     "enddate", "end_time", "endtime", "submitdate", "答题结束时间"), "submitted"),
    **dict.fromkeys(("started_at", "started", "开始时间", "开始答题时间", "startdate",
                     "start_time", "starttime", "答题开始时间"), "started"),
    **dict.fromkeys(("ip", "ip_address", "ipaddress", "ip地址", "来自ip", "填写ip"), "ip"),
}
_SEPARATORS = ("┋", "|", ";", "；", "、", ",", "，")


def guess_meta(headers: list[str], codebook: Codebook) -> dict[str, int]:
    """Find the metadata columns: the codebook's ``respondent`` names, else known names.

    Parameters
    ----------
    headers : list of str
        The export's column headers.
    codebook : Codebook
        Its ``respondent`` entries name the columns explicitly.

    Returns
    -------
    dict of str to int
        Position per role (``"id"``, ``"duration"``, ``"submitted"``,
        ``"started"``, ``"ip"``); roles not found are absent.  A column found by a
        well-known name (:data:`META_NAMES`) never takes a role twice.
    """
    resp = codebook.respondent
    explicit = {"id": resp.id, "duration": resp.duration, "submitted": resp.submitted,
                "started": resp.started, "ip": resp.ip}
    norm = [normalise_label(h) for h in headers]
    out: dict[str, int] = {}
    for role, name in explicit.items():
        if name and normalise_label(name) in norm:
            out[role] = norm.index(normalise_label(name))
    for pos, key in enumerate(norm):
        known = META_NAMES.get(key)
        if known and known not in out and pos not in out.values():
            out[known] = pos
    return out


def joined_separator(cells: pd.Series) -> str:
    """Find the separator of joined multiple answers in ``cells`` (``┋`` first).

    Parameters
    ----------
    cells : pandas.Series
        Cell texts of one joined column; the first 500 non-missing are searched.

    Returns
    -------
    str
        The first of ``┋ | ; ； 、 , ，`` found in any cell, else ``"┋"``.
    """
    sample = cells.dropna().head(500)
    for sep in _SEPARATORS:
        if sample.str.contains(sep, regex=False).any():
            return sep
    return "┋"


def _part_names(q: Question, source: str) -> dict[str, list[str]]:
    """Candidate column names of each option's own column."""
    out: dict[str, list[str]] = {}
    for o in q.options:
        labels = [o.label.zh, o.label.get("en"), *o.aliases]
        names = [f"{source}_{o.key}", f"{source}_{o.code}", f"{source}.{o.code}",
                 f"{source}{o.code}" if source[-1:].isalpha() else f"{source}_{o.code}"]
        names += [f"{source}_{lb}" for lb in labels] + [f"{source}({lb})" for lb in labels]
        names += [f"{source}({strip_decoration(lb)})" for lb in labels]
        out[o.key] = [normalise_label(n) for n in names]
    return out


def _other_names(q: Question, source: str) -> list[str]:
    named = [str(q.other_text)] if q.other_text is not None else []  # the codebook's own
    names = named + [f"{source}_other_text", f"{source}_other", f"{source}_text", f"{source}_txt",
             f"{source}_其他", f"{source}_其他文本"]
    o = other_option(q)
    if o is not None:
        names += [f"{source}_{o.key}_text", f"{source}_{o.code}_text", f"{source}_{o.code}_TEXT"]
    return [normalise_label(n) for n in names]


def bind_by_name(table: pd.DataFrame, codebook: Codebook, platform: str, *,
                 file: str | None = None) -> Layout:
    """Bind columns by name (plain tables, SPSS, Stata).

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table, header row as column names.
    codebook : Codebook
        The codebook; sources are matched to headers after label normalisation.
    platform : str
        Platform recorded in the layout (``"generic"``, ``"spss"``, ``"stata"``).
    file : str, optional
        The export, for messages.

    Returns
    -------
    Layout
        One binding per question, metadata, hashed and dropped columns; ``mode``
        is left ``"auto"`` for the caller to set.

    Raises
    ------
    ColumnMismatchError
        If a question (or a grid row, or option column) has no column, or a
        column is neither a question, metadata, personal nor ``ignore``.
    """
    headers = [str(h) for h in table.columns]
    norm = [normalise_label(h) for h in headers]
    where: dict[str, int] = {}
    for pos, key in enumerate(norm):
        where.setdefault(key, pos)
    out = Layout(platform, "auto", [], duration_unit=codebook.respondent.duration_unit)
    used: set[int] = set()
    missing: list[Question] = []

    def take(name: object) -> int | None:
        pos = where.get(normalise_label(str(name)))
        return pos if pos is not None and pos not in used else None

    for q in codebook.questions:
        source = str(q.source_key)
        b = Binding(q)
        if q.type == "dc_bid":
            pos3 = [take(s) for s in (q.bid, q.first, q.followup)]
            if any(p is None for p in pos3):
                missing.append(q)
                continue
            b.dc = tuple(pos3)  # type: ignore[assignment]
        elif q.type == "grid":
            for item in q.items:
                candidates = [item.source] if item.source is not None else []
                candidates += [f"{source}_{item.id}", f"{source}_{item.label.zh}",
                               f"{source}({item.label.zh})"]
                at = next((p for p in map(take, candidates) if p is not None), None)
                if at is None:
                    break
                b.parts[item.id] = at
            if len(b.parts) < len(q.items):
                missing.append(q)
                continue
        else:
            b.cells = take(source)
            if b.cells is None and q.type in ("multiple", "ranking"):
                for key, names in _part_names(q, source).items():
                    at = next((where[n] for n in names if n in where and where[n] not in used),
                              None)
                    if at is not None:
                        b.parts[key] = at
                if len(b.parts) < len(q.options):
                    missing.append(q)
                    continue
            elif b.cells is None:
                missing.append(q)
                continue
            if b.cells is not None and q.type in ("multiple", "ranking"):
                b.sep = "→" if q.type == "ranking" and _has(table, b.cells, "→") else \
                    joined_separator(cell_text(table.iloc[:, b.cells]))
            if q.has_other():
                b.other = next((where[n] for n in _other_names(q, source)
                                if n in where and where[n] not in used), None)
        used.update(b.positions())
        out.bindings.append(b)
    meta = guess_meta(headers, codebook)
    out.meta = {role: pos for role, pos in meta.items() if pos not in used}
    used.update(out.meta.values())
    personal = {normalise_label(p.column): p.action for p in codebook.personal}
    ignore = {normalise_label(str(x)) for x in codebook.ignore}
    unknown = []
    for pos, key in enumerate(norm):
        if pos in used:
            continue
        if key in personal:
            if personal[key] == "hash":
                out.hashed[pos] = f"{headers[pos].strip()}_hash"
            out.dropped.add(pos)
        elif key in ignore:
            out.dropped.add(pos)
        else:
            unknown.append(pos)
    raise_missing_questions(missing, headers, file, platform)
    raise_unknown_columns(unknown, headers, file)
    return out


def _has(table: pd.DataFrame, pos: int, text: str) -> bool:
    return bool(cell_text(table.iloc[:500, pos]).str.contains(text, regex=False).any())


def detect_value_mode(table: pd.DataFrame, out: Layout, codebook: Codebook) -> str:
    """"code" if single-answer cells are mostly codes, else "text"."""
    from .wjx import detect_mode

    return detect_mode(table, out, codebook)


def layout(table: pd.DataFrame, codebook: Codebook, *, mode: str = "auto",
           file: str | None = None) -> Layout:
    """The generic reader: columns by name, codes or labels per cell.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table, header row as column names.
    codebook : Codebook
        The codebook; each question's ``source`` (default: its id) names its column.
    mode : {"auto", "text", "code"}, default "auto"
        How answers are written; ``"auto"`` detects the mode and then reads each
        cell as a label first, a code second.
    file : str, optional
        The export, for messages.

    Returns
    -------
    Layout
        Bindings by column name, metadata columns and the detected mode.

    Raises
    ------
    ColumnMismatchError
        If a question has no column or a column belongs to nothing in the codebook.
    """
    out = bind_by_name(table, codebook, "generic", file=file)
    out.mode = mode if mode in ("text", "code") else detect_value_mode(table, out, codebook)
    # Plain files mix coded and labelled columns: resolve each cell (labels first).
    out.resolve = "auto" if mode == "auto" else mode
    out.source_rows = np.arange(1, len(table) + 1)
    return out
