"""问卷星 (Wenjuanxing) exports: both download modes, any header variant.

Headers are parsed into *groups*, one per question number:

* ``12、题干`` / ``12.题干`` / ``12:题干`` (stray spaces, type tags such as
  ``(单选题 *必答)`` or ``[下拉题]``) start a question;
* ``第12题(选项)``, ``12、(选项)`` and ``12(选项)`` are one column of question
  12 (an option's 0/1 or rank, or a matrix row), split on the *outermost*
  parentheses because labels hold parentheses too;
* ``13、题干—行`` starts a matrix whose further rows are bare labels or
  ``13、行``;
* the first column of a current code-mode multiple choice reads
  ``12. 题干(选项)`` and is followed by ``12(选项)``.

Metadata columns (序号, 提交答卷时间, 所用时间, 来自IP, 来源, 来源详情, 总分)
are found by name, in any order.  Questions are matched to groups through
``Question.source`` (the number) and options/rows by label, never by position.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..codebook import Codebook, Question
from ..errors import ColumnMismatchError
from ._cells import SKIP_TOKENS, OptionMatcher, cell_text, is_int_like, normalise_label
from ._convert import looks_like_other, other_option
from ._frame import (
    Binding,
    Layout,
    close_headers,
    raise_missing_questions,
    raise_unknown_columns,
)

__all__ = ["META", "Header", "Group", "parse_header", "group_headers", "bind", "detect_mode", "layout",
           "looks_like_wjx"]

#: Known metadata headers -> role ("id", "submitted", "started", "duration", "ip",
#: "personal" = dropped, "meta" = accepted and dropped).
META: dict[str, str] = {
    "序号": "id", "编号": "id", "答卷编号": "id",
    "提交答卷时间": "submitted", "提交时间": "submitted", "答题结束时间": "submitted",
    "结束答题时间": "submitted",
    "开始答题时间": "started", "开始时间": "started", "答题开始时间": "started",
    "所用时间": "duration", "答题时长": "duration", "填写用时": "duration", "用时": "duration",
    "来自ip": "ip", "ip": "ip", "ip地址": "ip", "填写ip": "ip",
    "来源详情": "personal", "微信昵称": "personal", "openid": "personal",
    "来源": "meta", "总分": "meta", "填写设备": "meta", "来自": "meta", "答题设备": "meta",
    "操作系统": "meta", "浏览器": "meta", "来源渠道": "meta",
}
_TAGS = ("单选题|多选题|填空题|矩阵单选题|矩阵多选题|矩阵量表题|矩阵填空题|矩阵滑动条|量表题|"
         "排序题|下拉题|下拉框|比重题|滑动条|多项填空题|NPS量表题|评分题|判断题|级联题|地区题|"
         "日期题|文件上传题|简答题")
_TAG = re.compile(r"\s*[(\[]\s*(" + _TAGS + r")[^)\]]*[)\]]\s*")
_SUB_FORMS = (
    re.compile(r"^第\s*(\d+)\s*题\s*\((.*)\)$", re.S),
    re.compile(r"^(\d+)\s*[、.:]\s*\((.*)\)$", re.S),
    re.compile(r"^(\d+)\((.*)\)$", re.S),
)
_QUESTION = re.compile(r"^(\d+)\s*(?:、|\.(?!\d)|:)\s*(.*)$", re.S)


@dataclass
class Header:
    """One parsed export header.

    Attributes
    ----------
    position : int
        Column position in the raw table.
    raw : str
        The header as exported.
    number : int or None
        Question number (``12`` of ``12、题干`` or ``第12题(选项)``); None for
        metadata and unnumbered headers.
    stem : str
        Question text without number and type tag (the whole header when it is
        metadata or unnumbered).
    sub : str or None
        Option or matrix-row label of a sub-column (``选项`` of ``12(选项)``).
    tag : str or None
        Type tag (``单选题``, ``矩阵单选题`` ...), if present.
    dash : str or None
        Text after the last ``—`` of a question header: the first row of a matrix.
    paren : str or None
        Text in the outermost final parentheses of the stem (the first option
        of a code-mode multiple choice).
    meta : str or None
        Metadata role from :data:`META` (``"id"``, ``"submitted"`` ...,
        ``"personal"``, ``"meta"``).
    """

    position: int
    raw: str
    number: int | None = None
    stem: str = ""
    sub: str | None = None
    tag: str | None = None
    dash: str | None = None
    paren: str | None = None
    meta: str | None = None


@dataclass
class Group:
    """Columns of one 问卷星 question (or one unnumbered column).

    Attributes
    ----------
    number : int or None
        Question number; None for an unnumbered column.
    head : Header or None
        The question's own header (``12、题干``), if the export has one.
    parts : list of Header
        Its sub-columns: options (0/1 or rank) or matrix rows.
    matrix : bool
        Whether the head started a matrix (``13、题干—行``), so that bare labels
        that follow are further rows.
    """

    number: int | None
    head: Header | None = None
    parts: list[Header] = field(default_factory=list)
    matrix: bool = False

    @property
    def label(self) -> str:
        """The question text (stem without tags)."""
        return self.head.stem if self.head else (self.parts[0].stem if self.parts else "")

    @property
    def tag(self) -> str | None:
        """The type tag (``单选题``, ``矩阵单选题`` ...), if the header carries one."""
        return self.head.tag if self.head else None

    def positions(self) -> list[int]:
        """Raw column positions of the group.

        Returns
        -------
        list of int
            The head's position first, then the parts' in export order.
        """
        return ([self.head.position] if self.head else []) + [p.position for p in self.parts]


def _outer_paren(text: str) -> tuple[str, str] | None:
    """Split ``题干(选项(x))`` into (``题干``, ``选项(x)``) on the outermost final pair."""
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return text[:i].strip(), text[i + 1:-1].strip()
    return None


def parse_header(raw: str, position: int = 0) -> Header:
    """Parse one header (see the module docstring for the forms).

    Parameters
    ----------
    raw : str
        The header as exported.
    position : int, default 0
        Its column position, stored in the result.

    Returns
    -------
    Header
        Number, stem, sub-label, type tag, matrix dash text, final parenthesis
        and metadata role, as far as the header has them.
    """
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    h = Header(position=position, raw=str(raw))
    key = normalise_label(text)
    if key in META:
        h.meta = META[key]
        h.stem = text
        return h
    for form in _SUB_FORMS:
        m = form.match(text)
        if m:
            h.number, h.sub = int(m.group(1)), m.group(2).strip()
            return h
    m = _QUESTION.match(text)
    if not m:
        h.stem = text
        return h
    h.number = int(m.group(1))
    stem = m.group(2).strip()
    if "—" in stem:
        stem, dash = stem.rsplit("—", 1)
        h.dash = dash.strip()
    tag = _TAG.search(stem)
    if tag:
        h.tag = tag.group(1)
        stem = (stem[:tag.start()] + " " + stem[tag.end():]).strip()
    paren = _outer_paren(stem)
    if paren and paren[0]:
        h.paren = paren[1]
    h.stem = stem
    return h


def group_headers(headers: list[str], standalone: set[str] = frozenset()) -> tuple[
        list[Group], list[Header]]:
    """Group headers into questions; returns (groups, metadata headers).

    ``standalone`` holds normalised header names that are questions of their
    own even where they follow a matrix (a codebook ``source``).

    Parameters
    ----------
    headers : list of str
        The export's headers, in order.
    standalone : set of str, optional
        Normalised header names that are questions of their own even where they
        follow a matrix (a codebook ``source``).

    Returns
    -------
    groups : list of Group
        One per question number or unnumbered column, in export order.
    meta : list of Header
        The metadata headers.
    """
    groups: dict[int, Group] = {}
    ordered: list[Group] = []
    meta: list[Header] = []
    previous: Group | None = None
    for pos, raw in enumerate(headers):
        h = parse_header(raw, pos)
        if normalise_label(raw) in standalone and (h.number is None or h.sub is not None):
            # A codebook source naming this exact column (e.g. one blank of a 多项填空题).
            h.number, h.sub, h.meta = None, None, None
            g = Group(None, head=h)
            ordered.append(g)
            previous = g
            continue
        if h.meta and normalise_label(h.stem) not in standalone:
            meta.append(h)
            previous = None
            continue
        if h.number is None:
            if previous is not None and previous.matrix and normalise_label(h.stem) not in standalone:
                h.sub = h.stem
                previous.parts.append(h)
                continue
            g = Group(None, head=h)
            ordered.append(g)
            previous = g
            continue
        g = groups.get(h.number)
        if g is None:
            g = groups[h.number] = Group(h.number)
            ordered.append(g)
        if h.sub is not None:
            g.parts.append(h)
        elif g.head is None and not g.parts:
            g.head = h
            g.matrix = h.dash is not None
        else:
            # ``13、行`` after ``13、题干—行``: another matrix row.
            h.sub = h.stem if h.dash is None else h.dash
            g.parts.append(h)
        previous = g
    for g in ordered:
        if g.head is None:
            continue
        if g.matrix:
            g.head.sub = g.head.dash
            g.parts.insert(0, g.head)
            g.head = None
        elif g.parts and g.head.paren is not None and any(
                _SUB_FORMS[2].match(unicodedata.normalize("NFKC", p.raw).strip()) for p in g.parts):
            # Current code-mode multiple choice: ``12. 题干(选项)`` + ``12(选项)``.
            g.head.sub = g.head.paren
            g.head.stem = _outer_paren(g.head.stem)[0]  # type: ignore[index]
            g.parts.insert(0, g.head)
            g.head = None
    return ordered, meta


def looks_like_wjx(headers: list[str]) -> bool:
    """Tell whether headers look like a 问卷星 export (metadata names + numbered questions).

    Parameters
    ----------
    headers : list of str
        The export's headers.

    Returns
    -------
    bool
        True with a numbered question and 提交答卷时间, 所用时间 or 来自IP, or with
        a numbered question, 序号 and two metadata roles.
    """
    parsed = [parse_header(h) for h in headers]
    metas = {p.meta for p in parsed if p.meta}
    numbered = sum(p.number is not None for p in parsed)
    named = {normalise_label(h) for h in headers}
    return (("提交答卷时间" in named or "所用时间" in named or "来自ip" in named)
            and numbered > 0) or (len(metas) >= 2 and numbered >= 1 and "序号" in named)


# --------------------------------------------------------------------- binding
def _source_number(q: Question) -> int | None:
    src = q.source_key
    if isinstance(src, int):
        return src
    text = str(src).strip()
    if text.isdigit():
        return int(text)
    m = re.fullmatch(r"[qQ](\d+)", text)
    return int(m.group(1)) if m and q.source is None else None


def _match_parts(parts: list[Header], labels: dict[str, list[str]],
                 matcher: OptionMatcher | None, by_position: dict[int, str] | None = None,
                 ) -> tuple[dict[str, Header], list[Header]]:
    """Assign part headers to option keys / item ids by label; leftovers returned."""
    out: dict[str, Header] = {}
    left: list[Header] = []
    for i, p in enumerate(parts, start=1):
        key = None
        if by_position and i in by_position:
            key = by_position[i]
        elif matcher is not None:
            o = matcher.match(p.sub or "")
            key = o.key if o else None
        else:
            norm = normalise_label(p.sub or "")
            key = next((k for k, names in labels.items() if norm in names), None)
        if key is None or key in out:
            left.append(p)
        else:
            out[key] = p
    return out, left


def _expected_header(q: Question, number: int | None) -> str:
    """The header 问卷星 would write for ``q`` (its number and stem)."""
    stem = q.label.zh if q.label is not None else ""
    return f"{number}、{stem}" if number is not None else str(q.source_key)


def _raise_absent(q: Question, what: str, absent: list[str], found: list[Header],
                  file: str | None) -> None:
    seen = ", ".join(repr(h.sub) for h in found[:12])
    number = _source_number(q)
    if what == "rows":
        rows = {it.id: it for it in q.items}
        expected = [str(rows[a].source) if isinstance(rows[a].source, str) else
                    f"{_expected_header(q, number)}—{rows[a].label.zh}" for a in absent[:5]]
    else:
        opts = {o.key: o for o in q.options}
        expected = [f"第{number}题({opts[a].label.zh})" if number is not None else
                    f"{q.source_key}_{opts[a].code}" for a in absent[:5]]
    raise ColumnMismatchError(
        f"{what} {absent} of question {q.id} have no column in the export (expected headers "
        f"such as {', '.join(map(repr, expected))}; its columns are: {seen})", file=file,
        question=q.id, column=found[0].raw if found else None, expected=expected,
        hint=f"make the {what} labels of {q.id} match the export's, add `aliases`, or give "
             "grid rows a `source:` (the row label as exported)")


def _raise_missing(missing: list[Question], headers: list[str], file: str | None) -> None:
    """Name each missing question with the header 问卷星 would have written for it."""
    if not missing:
        return
    described = []
    for q in missing[:10]:
        expected = _expected_header(q, _source_number(q))
        close = close_headers(expected, headers) or close_headers(str(q.source_key), headers)
        described.append(f"{q.id} (source {q.source_key!r}, expected a header like {expected!r}"
                         + (f"; closest headers {close}" if close else "") + ")")
    more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
    raise ColumnMismatchError(
        f"{len(missing)} codebook question(s) not found in the 问卷星 export: "
        + "; ".join(described) + more, file=file, question=missing[0].id,
        hint="fix each question's `source` in survey.yaml (the question number), or check "
             "that this is the right export", questions=[q.id for q in missing])


def _textual(table: pd.DataFrame, pos: int) -> bool:
    """Whether a column holds free text rather than 0/1 codes (other-text columns)."""
    sample = cell_text(table.iloc[:200, pos]).dropna()
    return len(sample) > 0 and not is_int_like(sample).all()


def bind(table: pd.DataFrame, codebook: Codebook, *, file: str | None = None) -> Layout:
    """Bind a 问卷星 export's columns to the codebook (mode decided afterwards).

    Parameters
    ----------
    table : pandas.DataFrame
        The raw export, headers as column names.
    codebook : Codebook
        The codebook; a question's ``source`` is its number or header text, and
        options and rows are matched by label.
    file : str, optional
        The export, for messages.

    Returns
    -------
    Layout
        Bindings, metadata, hashed and dropped columns; ``mode`` is left ``"auto"``.

    Raises
    ------
    ColumnMismatchError
        If a question has no columns or a column belongs to nothing in the codebook.
    """
    headers = [str(h) for h in table.columns]
    string_sources = {normalise_label(str(q.source)) for q in codebook.questions
                      if q.source is not None and _source_number(q) is None}
    groups, meta_headers = group_headers(headers, string_sources)
    by_number = {g.number: g for g in groups if g.number is not None}
    by_name: dict[str, Group] = {}
    for g in groups:
        for h in ([g.head] if g.head else []):
            by_name.setdefault(normalise_label(h.raw), g)
            by_name.setdefault(normalise_label(h.stem), g)
    layout = Layout("wjx", "auto", [], duration_unit=codebook.respondent.duration_unit)
    used: set[int] = set()
    unknown: list[int] = []
    context: dict[int, str] = {}
    missing: list[Question] = []

    def find(src: str | int | None, q: Question) -> Group | None:
        if src is None:
            return None
        number = _source_number(q) if src == q.source_key else (
            int(src) if str(src).strip().isdigit() else None)
        if number is not None:
            return by_number.get(number)
        return by_name.get(normalise_label(str(src)))

    for q in codebook.questions:
        if q.type == "dc_bid":
            found = [find(s, q) for s in (q.bid, q.first, q.followup)]
            if any(g is None or g.head is None for g in found):
                missing.append(q)
                continue
            pos = tuple(g.head.position for g in found)  # type: ignore[union-attr]
            layout.bindings.append(Binding(q, dc=pos))  # type: ignore[arg-type]
            used.update(pos)
            continue
        g = find(q.source_key, q)
        if g is None:
            missing.append(q)
            continue
        b = Binding(q, sep="→" if q.type == "ranking" else "┋")
        extra: list[Header] = []
        if q.type == "grid":
            labels = {it.id: [normalise_label(str(it.source))] if isinstance(it.source, str)
                      else [normalise_label(it.label.zh), normalise_label(it.label.get("en"))]
                      for it in q.items}
            by_pos = {it.source: it.id for it in q.items if isinstance(it.source, int)}
            parts = g.parts or ([g.head] if g.head else [])
            for p in parts:
                if p.sub is None:
                    p.sub = p.dash or p.stem
            matched, extra = _match_parts(parts, labels, None, by_pos)
            absent = [it.id for it in q.items if it.id not in matched]
            if absent:
                _raise_absent(q, "rows", absent, parts, file)
            b.parts = {k: h.position for k, h in matched.items()}
        elif q.type in ("multiple", "ranking") and g.parts:
            matched, extra = _match_parts(g.parts, {}, OptionMatcher(q.options))
            absent = [o.key for o in q.options if o.key not in matched]
            if absent:
                _raise_absent(q, "options", absent, g.parts, file)
            b.parts = {k: h.position for k, h in matched.items()}
            other = other_option(q)
            if other is not None and _textual(table, b.parts[other.key]):
                # The only column matching "other" holds its text: the choice is implied.
                b.other = b.parts.pop(other.key)
            if g.head is not None:
                extra.append(g.head)
        elif g.head is None:
            missing.append(q)
            continue
        else:
            b.cells = g.head.position
            extra = list(g.parts)
        other = other_option(q)
        for h in list(extra):
            if other is not None and b.other is None and (looks_like_other(h.sub or "")
                                                          or _textual(table, h.position)):
                b.other = h.position
                extra.remove(h)
        for h in extra:
            unknown.append(h.position)
            context[h.position] = f"an unmatched column of question {q.id} ({q.type})"
        used.update(g.positions())
        if b.cells is not None or b.parts:
            layout.bindings.append(b)
    resp = codebook.respondent
    explicit = {normalise_label(v): role for role, v in
                (("id", resp.id), ("duration", resp.duration), ("submitted", resp.submitted),
                 ("started", resp.started), ("ip", resp.ip)) if v}
    personal = {normalise_label(p.column): p.action for p in codebook.personal}
    ignore = {normalise_label(str(x)) for x in codebook.ignore}
    for pos, raw in enumerate(headers):
        if pos in used:
            continue
        key = normalise_label(raw)
        h = parse_header(raw, pos)
        role = explicit.get(key) or h.meta
        if key in personal and role != "ip":
            if personal[key] == "hash":
                layout.hashed[pos] = f"{raw.strip()}_hash"
            layout.dropped.add(pos)
        elif role in ("id", "duration", "submitted", "started", "ip") and role not in layout.meta:
            layout.meta[role] = pos
        elif role is not None or key in ignore or (h.number is not None and str(h.number) in ignore):
            layout.dropped.add(pos)
        else:
            unknown.append(pos)
    if any(q.type != "dc_bid" for q in missing):
        _raise_missing([q for q in missing if q.type != "dc_bid"], headers, file)
    raise_missing_questions(missing, headers, file, "问卷星")
    raise_unknown_columns(sorted(set(unknown)), headers, file, context)
    return layout


# ------------------------------------------------------------------------ mode
def detect_mode(table: pd.DataFrame, layout: Layout | None = None,
                codebook: Codebook | None = None, sample: int = 2000) -> str:
    """``"text"`` (按选项文本: labels) or ``"code"`` (按选项序号: codes).

    Parameters
    ----------
    table : pandas.DataFrame
        Raw table from :func:`analysis.ingest.read_table`.
    layout : Layout, optional
        A reader's bindings; only the bound question columns are examined.
        Without it, every numbered 问卷星 question column is.
    codebook : Codebook, optional
        With ``layout``, compare answers with the options' labels and codes.
    sample : int, default 2000
        Rows examined.

    Returns
    -------
    str
        Text-only marks (``┋``, ``→``, ``〖…〗``, ``(跳过)``) mean ``"text"``;
        else, with a codebook, whichever of labels and codes the
        single-answer cells match more often (codes on a tie); else
        ``"code"`` when most question columns hold only integers.
    """
    head = table.iloc[:sample]
    if layout is not None:
        positions = sorted({p for b in layout.bindings for p in b.positions()})
    else:
        groups, _ = group_headers([str(h) for h in table.columns])
        positions = [p for g in groups for p in g.positions()]
    columns = {p: cell_text(head.iloc[:, p]) for p in positions}
    for col in columns.values():
        values = col.dropna()
        if values.isin(SKIP_TOKENS).any() or values.str.contains("┋|〖|→", regex=True).any():
            return "text"
    if layout is not None and codebook is not None:
        labels = codes = 0
        for b in layout.bindings:
            q = b.question
            if q.type not in ("single", "likert", "grid", "price_ladder", "payment_card"):
                continue
            matcher = OptionMatcher(q.options)
            valid = {str(o.code) for o in q.options}
            for p in ([b.cells] if b.cells is not None else list(b.parts.values())):
                uniq = columns[p].dropna().unique()
                labels += sum(matcher.match(str(u)) is not None for u in uniq)
                codes += sum(str(u) in valid for u in uniq)
        if labels or codes:
            return "code" if codes >= labels else "text"
    numeric = [bool(len(c.dropna())) and bool(is_int_like(c.dropna()).mean() > 0.95)
               for c in columns.values()]
    filled = [len(c.dropna()) > 0 for c in columns.values()]
    return "code" if filled and sum(numeric) > 0.5 * sum(filled) else "text"


def source_rows(table: pd.DataFrame) -> np.ndarray:
    """1-based data-row numbers (the header is row 0)."""
    return np.arange(1, len(table) + 1)


def layout(table: pd.DataFrame, codebook: Codebook, *, mode: str = "auto",
           file: str | None = None) -> Layout:
    """The 问卷星 reader: bind columns, then settle the download mode.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw export, headers as column names.
    codebook : Codebook
        The codebook.
    mode : {"auto", "text", "code"}, default "auto"
        The download mode (按选项文本 or 按选项序号); ``"auto"`` detects it
        (:func:`detect_mode`).
    file : str, optional
        The export, for messages.

    Returns
    -------
    Layout
        :func:`bind`'s layout with its mode and row numbers set.

    Raises
    ------
    ColumnMismatchError
        If a question has no columns or a column belongs to nothing in the codebook.
    """
    out = bind(table, codebook, file=file)
    out.mode = mode if mode in ("text", "code") else detect_mode(table, out, codebook)
    out.source_rows = source_rows(table)
    return out
