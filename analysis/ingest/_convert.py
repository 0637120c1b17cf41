"""Turn raw answer cells into typed question columns plus a missing status.

Each ``convert_*`` function takes the cleaned cells of one question
(:func:`analysis.ingest._cells.cell_text`) and returns a :class:`Converted`:
the output columns named by :meth:`Question.columns` and one status Series
(``"not_asked"``, ``"skipped"``, ``"blank"``, ``"invalid:<raw>"`` or NA
where answered).  Parsing runs on each column's *distinct* values and is
gathered back with integer indexing, so cost grows with the number of
distinct answers, not respondents.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from .._codebook_fields import to_int
from ..codebook import Codebook, Option, Question
from ..errors import CoercedValueWarning, IngestWarning, UnknownLabelError
from ._cells import (
    OptionMatcher,
    is_int_like,
    map_unique,
    parse_int,
    special_status,
    spread,
    strip_decoration,
)

__all__ = ["Context", "Converted", "Issue", "convert_question", "choice_keys", "parse_numbers"]

Mode = Literal["text", "code", "auto"]
_OTHER = re.compile(r"^(.*?)〖(.*)〗\s*$", re.S)
_NUMBER = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*([^\d\s]{1,4})$")
_DATE_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M",
                 "%Y/%m/%d", "%Y-%m-%d")


@dataclass
class Context:
    """What converters need besides the cells: codebook, mode, where we are.

    Attributes
    ----------
    codebook : Codebook
        The wave's codebook.
    mode : {"auto", "text", "code"}
        Whether answers are option labels, codes, or either.
    file : str or None
        The export's file name, for messages.
    source_rows : ndarray of int
        1-based row of each respondent in the raw file, for messages.
    index : Index
        Index of the output columns.
    """

    codebook: Codebook
    mode: Mode
    file: str | None
    source_rows: np.ndarray
    index: pd.Index = field(default_factory=lambda: pd.RangeIndex(0))

    def rows(self, mask: np.ndarray | pd.Series, limit: int = 5) -> str:
        """Source rows where ``mask`` holds, for messages.

        Parameters
        ----------
        mask : ndarray or Series of bool
            Rows to list, by position.
        limit : int, default 5
            Rows shown before ``... (n rows)``.

        Returns
        -------
        str
            The source rows, comma-separated.
        """
        pos = np.flatnonzero(np.asarray(mask, dtype=bool))
        shown = ", ".join(str(int(r)) for r in self.source_rows[pos[:limit]])
        return shown + (f", ... ({len(pos)} rows)" if len(pos) > limit else "")


@dataclass
class Issue:
    """One kind of problem found in one question's (or column's) cells, for the load-time report.

    Attributes
    ----------
    kind : type
        The :class:`analysis.errors.IngestWarning` subclass to issue.
    what : str
        What is wrong, e.g. ``"text after the number dropped"``.
    question : str or None
        Question id.
    column : str or None
        Export column (header).
    mask : numpy.ndarray or None
        Boolean over the frame's rows (None for a column-level problem).
    values : pandas.Series or None
        Raw cells aligned with the frame's rows (read where ``mask`` holds).
    count : int
        Columns affected, for a column-level problem.
    """

    kind: type[IngestWarning]
    what: str
    question: str | None = None
    column: str | None = None
    mask: np.ndarray | None = None
    values: pd.Series | None = None
    count: int = 0


@dataclass
class Converted:
    """Output columns of one question, why its values are missing, and what was noticed.

    Attributes
    ----------
    columns : dict of str to Series
        Output columns named by :meth:`Question.columns`.
    status : Series
        Missing status per respondent (``"not_asked"``, ``"skipped"``,
        ``"blank"``, ``"invalid:<raw>"``), NA where answered.
    issues : list of Issue
        Problems noticed while converting, for warnings.
    """

    columns: dict[str, pd.Series]
    status: pd.Series
    issues: list[Issue] = field(default_factory=list)


def _status_series(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="string")


def _unknown_label(label: str, text: pd.Series, q: Question, header: str, ctx: Context,
                   matcher: OptionMatcher) -> UnknownLabelError:
    rows = ctx.rows(text.str.contains(label, regex=False).fillna(False))
    return UnknownLabelError(
        f"answer {label!r} of question {q.id} is not among the codebook's options",
        file=ctx.file, column=header, question=q.id, row=rows,
        hint=f"add it to the options (or an option's `aliases`) of {q.id} in survey.yaml, or "
             f"check that the question's `source` is right; options: {matcher.describe()}",
        label=label)


def _split_other_one(value: str) -> tuple[str, str | None]:
    m = _OTHER.match(value)
    if not m:
        return value, None
    return m.group(1).strip(), (m.group(2).strip() or None)


def _split_other(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``其他【请注明】〖育儿〗`` -> (``其他【请注明】``, ``育儿``)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = np.empty(len(uniques) + 1, dtype=object)
    others = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        labels[i], others[i] = _split_other_one(str(u))
    labels[-1] = others[-1] = None
    return (spread(labels, codes, values.index, "string"),
            spread(others, codes, values.index, "string"))


def choice_keys(labels: pd.Series, q: Question, ctx: Context, header: str,
                matcher: OptionMatcher | None = None) -> tuple[pd.Series, pd.Series]:
    """Map answer cells (labels or codes) to option keys.

    Returns ``(keys, invalid)``: keys as an object Series (NA where not
    parsed) and the raw cells that are codes outside the options (code
    mode).  Raises :class:`UnknownLabelError` for an unknown label in
    text or auto mode.

    Parameters
    ----------
    labels : Series
        Answer cells.
    q : Question
        The codebook question.
    ctx : Context
        Codebook, mode and source rows.
    header : str
        Header of the column, for messages.
    matcher : OptionMatcher, optional
        Built from ``q.options`` when not given.

    Returns
    -------
    keys : Series
        Option key per cell (object dtype), NA where not parsed.
    invalid : Series
        The raw cells that are codes outside the options.
    """
    matcher = matcher or OptionMatcher(q.options)
    codes, uniques = pd.factorize(labels, use_na_sentinel=True)
    keys = np.full(len(uniques) + 1, None, dtype=object)
    bad = np.zeros(len(uniques) + 1, dtype=bool)
    for i, u in enumerate(uniques):
        u = str(u)
        int_like = bool(re.fullmatch(r"[+-]?\d+(?:\.0*)?", u))
        option = _resolve(u, matcher, ctx.mode)
        if option is not None:
            keys[i] = option.key
        elif ctx.mode == "code" or (int_like and ctx.mode == "auto"):
            bad[i] = True
        else:
            raise _unknown_label(u, labels, q, header, ctx, matcher)
    return (pd.Series(keys[codes], index=labels.index, dtype=object),
            labels.where(bad[codes]))


def _choice_cells(text: pd.Series, q: Question, ctx: Context, header: str,
                  matcher: OptionMatcher) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(categorical, status, other text) for one single-answer cell column.

    The column is factorised once; missing codes, other-specify text,
    option matching and the category codes are decided on its few distinct
    values and spread to the cells by code.
    """
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="string")
    status_u = special_status(u, q, ctx.codebook, codes=ctx.mode != "text")
    todo_u = u.where(status_u.isna())
    labels_u, other_u = _split_other(todo_u)
    try:
        keys_u, bad_u = choice_keys(labels_u, q, ctx, header, matcher)
    except UnknownLabelError:
        # Said again on the cells, so the error names the respondents' rows.
        choice_keys(spread(np.append(labels_u.to_numpy(object), None), codes, text.index,
                           "string"), q, ctx, header, matcher)
        raise
    position = {o.key: i for i, o in enumerate(q.options)}
    cat_u = np.array([position.get(k, -1) if k is not None else -1 for k in keys_u]
                     + [-1], dtype=np.int64)
    taken = np.where(codes < 0, len(uniques), codes)
    values = pd.Series(pd.Categorical.from_codes(cat_u[taken], categories=list(position),
                                                 ordered=q.ordered), index=text.index)
    bad = bad_u.notna().to_numpy()
    st = status_u.to_numpy(object).copy()
    st[bad] = ["invalid:" + str(v) for v in todo_u.to_numpy(object)[bad]]
    status = spread(np.append(st, "blank"), codes, text.index, "string")
    other = spread(np.append(other_u.to_numpy(object), None), codes, text.index, "string")
    return values, status, other


# ----------------------------------------------------------------- converters
def convert_single(cells: pd.Series, header: str, q: Question, ctx: Context,
                   other_cells: pd.Series | None = None) -> Converted:
    """Single choice, Likert, price ladder, payment card: one cell per answer."""
    matcher = OptionMatcher(q.options)
    values, status, other = _choice_cells(cells, q, ctx, header, matcher)
    cols = {q.id: values}
    if q.has_other():
        if other_cells is not None:
            other = other.fillna(other_cells.where(~is_int_like(other_cells)))
        cols[f"{q.id}_other_text"] = other.astype("string")
    return Converted(cols, status)


def _split_unique(cell: str, sep: str, matcher: OptionMatcher, mode: Mode,
                  ) -> list[tuple[str, str | None]]:
    """Split a joined multiple answer, re-joining pieces of labels that contain ``sep``."""
    pieces = [p.strip() for p in cell.split(sep)]
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(pieces):
        taken = 1
        if sep in (",", ";", "，"):
            for j in range(len(pieces), i + 1, -1):
                if matcher.match(sep.join(pieces[i:j])) is not None:
                    taken = j - i
                    break
        piece = sep.join(pieces[i:i + taken]).strip()
        i += taken
        if not piece:
            continue
        m = _OTHER.match(piece)
        out.append((m.group(1).strip(), m.group(2).strip() or None) if m else (piece, None))
    return out


def _resolve(label: str, matcher: OptionMatcher, mode: Mode) -> Option | None:
    code = to_int(label)
    if mode == "code" and code is not None:
        return matcher.by_code(code)
    option = matcher.match(label)
    if option is None and code is not None and mode == "auto":
        option = matcher.by_code(code)
    return option


def _joined(cells: pd.Series, header: str, q: Question, ctx: Context, sep: str,
            ranking: bool) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """Parse joined answers into an (n, k) matrix (selection or rank), status, other text."""
    matcher = OptionMatcher(q.options)
    # factorised once: missing codes and the parse are decided per distinct cell
    codes, distinct = pd.factorize(cells, use_na_sentinel=True)
    status_u = special_status(pd.Series(distinct, dtype="string"), q, ctx.codebook,
                              codes=ctx.mode != "text").to_numpy(object)
    status_u = np.append(status_u, "blank")  # the NA cells' slot
    uniques = [u if status_u[i] is pd.NA else None for i, u in enumerate(distinct)]
    k = len(q.options)
    position = {o.key: i for i, o in enumerate(q.options)}
    table = np.zeros((len(uniques) + 1, k), dtype=np.int64)  # last row: NA cells
    other_u = np.full(len(uniques) + 1, None, dtype=object)
    bad_u = np.full(len(uniques) + 1, None, dtype=object)
    for u_i, cell in enumerate(uniques):
        if cell is None:  # a missing code: nothing to parse
            continue
        for rank, (label, other) in enumerate(_split_unique(str(cell), sep, matcher, ctx.mode),
                                              start=1):
            option = _resolve(label, matcher, ctx.mode)
            if option is None:
                if ctx.mode == "text" or not re.fullmatch(r"[+-]?\d+(?:\.0*)?", label):
                    raise _unknown_label(label, cells, q, header, ctx, matcher)
                bad_u[u_i] = str(cell)
                continue
            if ranking and table[u_i, position[option.key]]:
                bad_u[u_i] = str(cell)  # the same item ranked twice
            table[u_i, position[option.key]] = rank if ranking else 1
            if other is not None:
                other_u[u_i] = other if other_u[u_i] is None else f"{other_u[u_i]}; {other}"
    codes = np.where(codes < 0, len(uniques), codes)
    matrix = table[codes]
    other_text = spread(other_u, codes, cells.index, "string")
    for u_i, raw in enumerate(bad_u):
        if raw is not None:
            status_u[u_i] = "invalid:" + raw
    status = spread(status_u, codes, cells.index, "string")
    return matrix, status, other_text


def _first(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per row, the value of the first column where ``mask`` holds (None if none)."""
    idx = mask.argmax(axis=1)
    out = values[np.arange(len(values)), idx]
    return np.where(mask.any(axis=1), out, None)


def _combine(statuses: list[pd.Series], answered: np.ndarray) -> pd.Series:
    """One status per row from per-column statuses.

    An invalid cell wins; otherwise rows with no answer in any column take
    the first column's reason (``-3`` in every part -> skipped), else blank.
    """
    index = statuses[0].index
    values = np.column_stack([s.to_numpy(dtype=object, na_value=None) for s in statuses])
    present = np.column_stack([s.notna().to_numpy() for s in statuses])
    invalid = np.column_stack([map_unique(s, lambda v: str(v).startswith("invalid:"),
                                          na=False).to_numpy(dtype=bool) for s in statuses])
    first_any = _first(values, present)
    first_any = np.where(first_any == None, "blank", first_any)  # noqa: E711
    status = np.where(answered, None, first_any)
    first_invalid = _first(values, invalid)
    status = np.where(first_invalid != None, first_invalid, status)  # noqa: E711
    return pd.Series(pd.array(status, dtype="string"), index=index)


def _part_matrix(parts: Mapping[str, pd.Series], q: Question, ctx: Context,
                 ranking: bool) -> tuple[np.ndarray, pd.Series]:
    """Per-option columns (0/1 or ranks) into a matrix and a row status.

    A selection cell must be 0 or 1 (a declared missing value aside); only
    the "other" option's column may hold its typed text instead of 1 (问卷星
    code mode).  Anything else -- 2, a Stata ``.a`` the codebook does not
    declare -- is invalid, never "selected".  Ranks are positive integers;
    two items at one rank make the row invalid (a tie is never broken).
    """
    keys = [o.key for o in q.options]
    other = other_option(q)
    index = ctx.index
    matrix = np.zeros((len(index), len(keys)), dtype=np.int64)
    statuses = []
    skip_kind = ctx.codebook.missing_kind(q, -3) or "skipped"
    for i, key in enumerate(keys):
        cells = parts.get(key)
        if cells is None:
            continue
        st = special_status(cells, q, ctx.codebook, codes=True)
        values = parse_int(cells)
        if ranking:
            # 问卷星 writes -2 in every rank column of a skipped ranking, where the
            # text download says (跳过): give it -3's kind so both downloads agree.
            st = st.mask((values == -2).fillna(False), skip_kind)
        live = st.isna()
        if ranking:
            ok = ((values >= 0).fillna(False) & live).to_numpy()
            matrix[ok, i] = values[ok].to_numpy(dtype=np.int64)
        else:
            typed = (~is_int_like(cells) & cells.notna()) if other is not None and \
                key == other.key else False
            chosen = ((values == 1).fillna(False) | typed) & live
            matrix[chosen.to_numpy(), i] = 1
            ok = (chosen | ((values == 0).fillna(False) & live)).to_numpy()
        weird = live.to_numpy() & ~ok
        matrix[weird, i] = -1  # neither chosen nor not chosen: NA in the output
        statuses.append(st.mask(weird, "invalid:" + cells.fillna("")))
    if not statuses:
        statuses.append(pd.Series("blank", index=index, dtype="string"))
    status = _combine(statuses, (matrix > 0).any(axis=1))
    if ranking:
        status = _mark_ties(matrix, keys, status)
    return matrix, status


def _mark_ties(matrix: np.ndarray, keys: list[str], status: pd.Series) -> pd.Series:
    """Rows where two items share a rank become ``invalid:<key=rank;...>``."""
    ranks = np.sort(np.where(matrix > 0, matrix, 0), axis=1)
    tie = ((ranks[:, 1:] == ranks[:, :-1]) & (ranks[:, 1:] > 0)).any(axis=1)
    if not tie.any():
        return status
    rows = np.flatnonzero(tie)
    text = pd.Series("", index=range(len(rows)), dtype="string")
    for i, key in enumerate(keys):  # a loop over options, vectorised over the tied rows
        r = matrix[rows, i]
        piece = pd.Series(np.where(r > 0, key + "=" + r.astype(str) + ";", ""), dtype="string")
        text = text + piece
    out = status.copy()
    out.iloc[rows] = ("invalid:" + text.str.removesuffix(";")).to_numpy()
    return out


def _option_matrix(cells: pd.Series | None, parts: Mapping[str, pd.Series] | None,
                   header: str, q: Question, ctx: Context, sep: str,
                   other_cells: pd.Series | None, *, ranking: bool
                   ) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """Option matrix, status and other-text from one joined cell or per-option columns."""
    if parts:
        matrix, status = _part_matrix(parts, q, ctx, ranking=ranking)
        other = pd.Series(pd.NA, index=ctx.index, dtype="string")
    else:
        assert cells is not None
        matrix, status, other = _joined(cells, header, q, ctx, sep, ranking=ranking)
    if other_cells is not None:
        other = other.fillna(other_cells.where(~is_int_like(other_cells)))
    return matrix, status, other


def convert_multiple(cells: pd.Series | None, parts: Mapping[str, pd.Series] | None,
                     header: str, q: Question, ctx: Context, *, sep: str = "┋",
                     other_cells: pd.Series | None = None) -> Converted:
    """Multiple choice: a joined cell (``a┋b``) or one 0/1 column per option."""
    matrix, status, other = _option_matrix(cells, parts, header, q, ctx, sep, other_cells,
                                           ranking=False)
    answered = status.isna().to_numpy() | status.str.startswith("invalid:").fillna(False).to_numpy()
    cols: dict[str, pd.Series] = {}
    for i, o in enumerate(q.options):
        values = pd.array(matrix[:, i] > 0, dtype="boolean")
        values[~answered | (matrix[:, i] < 0)] = pd.NA
        cols[f"{q.id}_{o.key}"] = pd.Series(values, index=ctx.index)
    if q.has_other():
        cols[f"{q.id}_other_text"] = other.astype("string")
    return Converted(cols, status)


def convert_ranking(cells: pd.Series | None, parts: Mapping[str, pd.Series] | None,
                    header: str, q: Question, ctx: Context, *, sep: str = "→",
                    other_cells: pd.Series | None = None) -> Converted:
    """Ranking: ``a→b→c`` (text) or one rank column per option (-2 = not ranked)."""
    matrix, status, other = _option_matrix(cells, parts, header, q, ctx, sep, other_cells,
                                           ranking=True)
    cols: dict[str, pd.Series] = {}
    for i, o in enumerate(q.options):
        ranks = pd.array(matrix[:, i], dtype="Int64")
        ranks[matrix[:, i] <= 0] = pd.NA
        cols[f"{q.id}_{o.key}"] = pd.Series(ranks, index=ctx.index)
    if q.has_other():
        cols[f"{q.id}_other_text"] = other.astype("string")
    return Converted(cols, status)


def convert_grid(parts: Mapping[str, pd.Series], headers: Mapping[str, str], q: Question,
                 ctx: Context) -> Converted:
    """Matrix question: one single-answer column per row (item)."""
    matcher = OptionMatcher(q.options)
    cols: dict[str, pd.Series] = {}
    statuses = []
    for item in q.items:
        values, st, _ = _choice_cells(parts[item.id], q, ctx, headers[item.id], matcher)
        cols[f"{q.id}_{item.id}"] = values
        statuses.append(st)
    answered = np.column_stack([c.notna().to_numpy() for c in cols.values()]).any(axis=1)
    status = _combine(statuses, answered)
    if q.has_other():
        cols[f"{q.id}_other_text"] = pd.Series(pd.NA, index=ctx.index, dtype="string")
    return Converted(cols, status)


def _number_one(text: str, unit: str | None) -> tuple[float, int]:
    """``(value, how)``: how = 0 plain number, 1 number + the question's unit, 2 other text
    dropped, 3 not a number (value NaN)."""
    t = unicodedata.normalize("NFKC", text).strip()
    try:
        value = float(t)
    except ValueError:
        m = _NUMBER.match(t)
        if not m:
            return math.nan, 3
        suffix = m.group(2)
        if unit is not None and suffix == unicodedata.normalize("NFKC", unit).strip():
            return float(m.group(1)), 1
        if suffix in ("%", "‰") or suffix[0] in "+-*/^eE.,":
            # 10% is not 10, 1e5x is not 1, 3.5.1 is not 3.5: never a silent reading.
            return math.nan, 3
        return float(m.group(1)), 2
    # "inf", "nan", 1e400 and 400-digit numbers are not answers.
    return (value, 0) if math.isfinite(value) else (math.nan, 3)


def parse_numbers(text: pd.Series, unit: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Read numeric cells, each distinct text once.

    Parameters
    ----------
    text : pandas.Series
        Cell texts (NA = empty).
    unit : str, optional
        The question's unit: ``25岁`` reads as 25 without a word when it is ``岁``.

    Returns
    -------
    values : pandas.Series
        Float64 values, NaN where not a number (including ``10%``, ``二十``,
        infinities).
    how : pandas.Series
        Int8 per cell: 0 plain (or empty), 1 with the unit, 2 other text dropped
        (``25 years`` with no unit declared: to be reported), 3 not a number.
    """
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    values = np.full(len(uniques) + 1, np.nan)
    how = np.zeros(len(uniques) + 1, dtype=np.int8)
    for i, u in enumerate(uniques):
        values[i], how[i] = _number_one(str(u), unit)
    return (pd.Series(values[codes], index=text.index, dtype="float64"),
            pd.Series(how[codes], index=text.index, dtype="int8"))


def _numbers(text: pd.Series) -> pd.Series:
    return parse_numbers(text)[0]


def convert_numeric(cells: pd.Series, header: str, q: Question, ctx: Context) -> Converted:
    """Numeric answer (float); out-of-range values are kept for ``clean`` to audit.

    A number followed by other text than the question's ``unit`` is read
    and reported (:class:`analysis.errors.CoercedValueWarning`); ``10%``,
    ``二十`` and infinite values are invalid.
    """
    status = special_status(cells, q, ctx.codebook, codes=ctx.mode == "code")
    todo = cells.where(status.isna())
    values, how = parse_numbers(todo, q.unit)
    bad = (how == 3).to_numpy()
    status = status.mask(bad, "invalid:" + todo.fillna(""))
    issues = []
    coerced = (how == 2).to_numpy()
    if coerced.any():
        issues.append(Issue(CoercedValueWarning, "text after the number dropped (declare the "
                            "question's `unit` if it is one)", q.id, header, coerced, cells))
    return Converted({q.id: values}, status, issues)


def convert_text(cells: pd.Series, header: str, q: Question, ctx: Context) -> Converted:
    """Free text (string)."""
    status = special_status(cells, q, ctx.codebook, codes=ctx.mode == "code")
    return Converted({q.id: cells.where(status.isna()).astype("string")}, status)


def parse_datetime(text: pd.Series) -> pd.Series:
    """Parse timestamps (问卷星 ``%Y/%m/%d %H:%M:%S`` first), NaT where unparsable."""
    best = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    todo = text.notna()
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        best[parsed.index] = best[parsed.index].fillna(parsed.astype("datetime64[ns]"))
        todo = text.notna() & best.isna()
    if todo.any():
        rest = text[todo]
        codes, uniques = pd.factorize(rest, use_na_sentinel=True)
        parsed = np.array([_one_datetime(str(u)) for u in uniques] + [np.datetime64("NaT")],
                          dtype="datetime64[ns]")
        best[rest.index] = parsed[codes]
    return best


def _one_datetime(text: str) -> np.datetime64:
    """One free-form timestamp, NaT when unreadable or outside 1677-2262 (``-1``)."""
    if to_int(text) is not None:
        # A bare integer is no timestamp (dateutil would read "1" as this month's 1st).
        return np.datetime64("NaT")
    try:
        value = pd.to_datetime(text, format="mixed")
    except (ValueError, OverflowError, TypeError):  # OutOfBoundsDatetime is a ValueError
        return np.datetime64("NaT")
    if value is pd.NaT:
        return np.datetime64("NaT")
    if value.tzinfo is not None:
        value = value.tz_localize(None)
    return np.datetime64(value.to_datetime64(), "ns")


def convert_datetime(cells: pd.Series, header: str, q: Question, ctx: Context) -> Converted:
    """Date/time answer (datetime64)."""
    status = special_status(cells, q, ctx.codebook, codes=ctx.mode == "code")
    todo = cells.where(status.isna())
    values = parse_datetime(todo)
    status = status.mask(values.isna() & todo.notna(), "invalid:" + todo.fillna(""))
    return Converted({q.id: values}, status)


def _yes_no(cells: pd.Series, q: Question, ctx: Context, header: str) -> tuple[pd.Series,
                                                                               pd.Series]:
    status = special_status(cells, q, ctx.codebook, codes=ctx.mode != "text")
    todo = cells.where(status.isna())
    codes = parse_int(todo)
    if q.options:
        keys, _ = choice_keys(todo.where(codes.isna()), q, ctx.__class__(
            ctx.codebook, "text", ctx.file, ctx.source_rows, ctx.index), header)
        by_key = {o.key: o.code for o in q.options}
        codes = codes.fillna(keys.map(by_key).astype("Int64"))
    else:
        words = todo.str.lower().map({"是": 1, "yes": 1, "否": 2, "no": 2, "愿意": 1,
                                      "不愿意": 2}).astype("Int64")
        codes = codes.fillna(words)
    answer = pd.Series(pd.NA, index=cells.index, dtype="boolean")
    answer[codes.isin(q.yes_codes).fillna(False)] = True
    answer[codes.isin(q.no_codes).fillna(False)] = False
    bad = answer.isna() & todo.notna()
    status = status.mask(bad, "invalid:" + todo.fillna(""))
    return answer, status


def convert_dc_bid(bid: pd.Series, first: pd.Series, followup: pd.Series,
                   headers: tuple[str, str, str], q: Question, ctx: Context) -> Converted:
    """Double-bounded dichotomous choice: first bid, two yes/no answers, implied second bid."""
    bid1 = _numbers(bid)
    ans1, status = _yes_no(first, q, ctx, headers[1])
    ans2, status2 = _yes_no(followup, q, ctx, headers[2])
    bids = q.bids or {}
    hi = bid1.map({b: v[0] for b, v in bids.items()})
    lo = bid1.map({b: v[1] for b, v in bids.items()})
    bid2 = pd.Series(np.where(ans1.fillna(False).to_numpy(dtype=bool), hi, lo),
                     index=bid1.index, dtype="float64").where(ans1.notna())
    status = status.fillna(status2.where(status2.str.startswith("invalid:").fillna(False)))
    cols = {f"{q.id}_bid1": bid1, f"{q.id}_ans1": ans1, f"{q.id}_bid2": bid2,
            f"{q.id}_ans2": ans2}
    return Converted(cols, status)


def convert_question(q: Question, ctx: Context, *, cells: pd.Series | None = None,
                     parts: Mapping[str, pd.Series] | None = None,
                     headers: Mapping[str, str] | None = None, header: str = "",
                     other_cells: pd.Series | None = None, sep: str | None = None,
                     ) -> Converted:
    """Dispatch on the question type (dc_bid has its own entry point).

    Parameters
    ----------
    q : Question
        The codebook question.
    ctx : Context
        Codebook, mode and source rows.
    cells : Series, optional
        The question's one column (single choice, numeric, text, datetime; a
        joined multiple choice or ranking).
    parts : mapping of str to Series, optional
        One column per option (multiple choice, ranking) or per row (grid).
    headers : mapping of str to str, optional
        Header of each grid row, for messages.
    header : str, default ""
        Header of the question's column, for messages.
    other_cells : Series, optional
        The "other, please specify" text column.
    sep : str, optional
        Separator of joined answers; default ``┋`` (multiple) or ``→`` (ranking).

    Returns
    -------
    Converted
        The question's columns, missing status and issues.
    """
    t = q.type
    if t in ("single", "likert", "price_ladder", "payment_card"):
        assert cells is not None
        return convert_single(cells, header, q, ctx, other_cells)
    if t == "multiple":
        return convert_multiple(cells, parts, header, q, ctx, sep=sep or "┋",
                                other_cells=other_cells)
    if t == "ranking":
        return convert_ranking(cells, parts, header, q, ctx, sep=sep or "→",
                               other_cells=other_cells)
    if t == "grid":
        assert parts is not None
        assert headers is not None
        return convert_grid(parts, headers, q, ctx)
    assert cells is not None
    if t == "numeric":
        return convert_numeric(cells, header, q, ctx)
    if t == "datetime":
        return convert_datetime(cells, header, q, ctx)
    return convert_text(cells, header, q, ctx)


def other_option(q: Question) -> Option | None:
    """The question's "other, please specify" option, if any."""
    for o in q.options:
        if o.other:
            return o
    return None


def looks_like_other(label: str) -> bool:
    """Whether a header/label names an "other, please specify" option."""
    return strip_decoration(label) != label.strip() or bool(
        re.match(r"^(其他|其它|other)", label.strip(), re.IGNORECASE))
