"""Respondent rules of the screening: who is excluded or flagged, and why.

Each rule takes the tidy frame and a :class:`ScreenContext` and returns a
list of :class:`Hit` (a boolean mask over rows plus a reason per caught row),
one per configured check; :func:`analysis.clean` applies their actions.  The
rules: duplicate ids, answer vectors and IPs (first submission kept, in
:func:`submission_order`), speeders, failed attention checks, straight-lining
on grids (:func:`longest_run`), dichotomous-choice bid order and Van
Westendorp price order (:func:`detect_psm`).  Their registry, with the value
rules, is :data:`analysis.cleaning.screening.RULES`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import Codebook, Screening, missing_column
from ..errors import DataQualityWarning, DuplicateIdError, SurveyError
from .audit import format_values

__all__ = [
    "PSM_SUFFIXES",
    "Hit",
    "ScreenContext",
    "answer_columns",
    "check_attention",
    "check_bid_sequence",
    "check_duplicate_answers",
    "check_duplicate_ids",
    "check_duplicate_ips",
    "check_price_order",
    "check_speeders",
    "check_straightlining",
    "detect_psm",
    "longest_run",
    "present_columns",
    "render_answers",
    "submission_order",
]

PSM_SUFFIXES = ("too_cheap", "cheap", "expensive", "too_expensive")
_PSM_ALIASES = {"too_cheap": ("too_cheap",), "cheap": ("cheap", "bargain"),
                "expensive": ("expensive",), "too_expensive": ("too_expensive",)}


@dataclass(frozen=True)
class ScreenContext:
    """What every rule may consult.

    Attributes
    ----------
    codebook : Codebook
    screening : Screening
        The effective rules (codebook's, with keyword overrides applied).
    psm : tuple of 4-tuples
        Van Westendorp question ids (too cheap, cheap, expensive, too expensive).
    order : numpy.ndarray
        Row positions in submission order (see :func:`submission_order`).
    """

    codebook: Codebook
    screening: Screening
    psm: tuple[tuple[str, str, str, str], ...] = ()
    order: np.ndarray = field(default_factory=lambda: np.arange(0))


@dataclass(frozen=True)
class Hit:
    """Respondents caught by one check of a respondent rule.

    Attributes
    ----------
    rule : str
        Rule id.
    action : {"exclude", "flag", "error"}
        ``"error"`` only for an empty ``duplicate_id`` hit (duplicates would have raised).
    question : str or None
        Question checked (None for whole-respondent rules such as speeders).
    mask : numpy.ndarray
        Boolean, one entry per row of the frame.
    reason : pandas.Series
        String, indexed by the positions where ``mask`` is True.
    """

    rule: str
    action: str
    question: str | None
    mask: np.ndarray
    reason: pd.Series


def present_columns(data: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """Return the columns of ``columns`` that ``data`` holds, in their order.

    Parameters
    ----------
    data : pandas.DataFrame
        The frame.
    columns : sequence of str
        Column names wanted.

    Returns
    -------
    list of str
        The names present in ``data`` (a question's columns may be absent when
        it was not loaded).
    """
    return [c for c in columns if c in data.columns]


def _quoted(values: pd.Series) -> pd.Series:
    """``'value'`` for answers, ``no answer`` for NA (vectorised)."""
    text = values.astype("string")
    return ("'" + text + "'").fillna("no answer")


def _str(values: Any) -> pd.Series:
    return format_values(values).fillna("NA")


def _hit(rule_id: str, action: str, question: str | None, mask: np.ndarray,
         reason: pd.Series | str) -> Hit:
    mask = np.asarray(mask, dtype=bool)
    rows = np.flatnonzero(mask)
    if isinstance(reason, str):
        text = pd.Series(reason, index=rows, dtype="string")
    else:
        # Taken in Arrow, not through a Python string per row (1e7 rows at 10^7).
        picked = reason.astype("string")
        if len(reason) == len(mask):
            picked = picked.iloc[rows]
        text = pd.Series(picked.array, index=rows)
    return Hit(rule_id, action, question, mask, text)


def answer_columns(codebook: Codebook, data: pd.DataFrame) -> list[str]:
    """Return the question columns compared by ``duplicate_answers``.

    Every question column present in ``data`` except free text (``text``
    questions and ``*_other_text``) and ``datetime`` answers: those are unique
    almost by construction, so including them would hide copied answer
    patterns that differ only in a typed comment or a timestamp.

    Parameters
    ----------
    codebook : Codebook
        The codebook whose questions are compared.
    data : pandas.DataFrame
        The tidy frame.

    Returns
    -------
    list of str
        Columns present in ``data``, in questionnaire order.
    """
    cols: list[str] = []
    for q in codebook.questions:
        if q.type in ("text", "datetime"):
            continue
        cols.extend(c for c in q.columns() if not c.endswith("_other_text"))
    return present_columns(data, cols)


def submission_order(data: pd.DataFrame) -> np.ndarray:
    """Return row positions sorted by ``submitted_at`` (missing last), then ``source_row``.

    "Keep the first submission" in the duplicate rules means first in this order.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame (``submitted_at`` and ``source_row`` are used when present;
        without either, the frame's own order).

    Returns
    -------
    numpy.ndarray of int
        Row positions, first submission first (time zones converted to UTC).
    """
    n = len(data)
    pos = np.arange(n)
    keys = [pos]
    if "source_row" in data.columns:
        src = pd.to_numeric(data["source_row"], errors="coerce").to_numpy(dtype="float64",
                                                                          na_value=np.nan)
        keys.append(np.where(np.isnan(src), np.inf, src))
    if "submitted_at" in data.columns:
        ts = pd.to_datetime(data["submitted_at"], errors="coerce")
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        raw = ts.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
        keys.append(np.where(ts.isna().to_numpy(), np.inf, raw))
    return np.lexsort(keys)


def longest_run(codes: np.ndarray) -> np.ndarray:
    """Longest run of identical consecutive values per row.

    Parameters
    ----------
    codes : numpy.ndarray
        ``n x k`` integer codes, ``-1`` for a missing answer (missing values
        break a run and never count).

    Returns
    -------
    numpy.ndarray
        ``n`` run lengths (0 for a row with no answers).

    Notes
    -----
    Vectorised: ``same[i, j]`` marks item ``j+1`` equal to item ``j``; the
    running count of ``same`` minus its value at the last break gives the
    current run, whose row maximum (+1) is the longest run.
    """
    codes = np.asarray(codes)
    n, k = codes.shape
    answered = (codes >= 0).any(axis=1) if k else np.zeros(n, dtype=bool)
    if k < 2:
        return answered.astype("int64")
    same = (codes[:, 1:] == codes[:, :-1]) & (codes[:, 1:] >= 0) & (codes[:, :-1] >= 0)
    csum = np.cumsum(same, axis=1)
    at_break = np.maximum.accumulate(np.where(~same, csum, 0), axis=1)
    run = (csum - at_break).max(axis=1) + 1
    return np.where(answered, run, 0).astype("int64")


def _codes_matrix(data: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Factorise ``columns`` jointly so equal answers share a code (-1 = NA)."""
    if not columns:
        return np.zeros((len(data), 0), dtype="int64")
    if all(isinstance(data[c].dtype, pd.CategoricalDtype) for c in columns):
        # Categorical answers: map each column's few categories into one joint numbering
        # and gather by code (no Python object per cell).
        joint: dict[Any, int] = {}
        out = np.empty((len(data), len(columns)), dtype="int64")
        for j, c in enumerate(columns):
            cats = data[c].cat.categories
            lookup = np.array([joint.setdefault(v, len(joint)) for v in cats] + [-1],
                              dtype="int64")
            out[:, j] = lookup[data[c].cat.codes.to_numpy()]  # code -1 (NA) -> -1
        return out
    stacked = np.concatenate([data[c].astype(object).to_numpy() for c in columns])
    codes, _ = pd.factorize(pd.Series(stacked, dtype=object), use_na_sentinel=True)
    return codes.reshape(len(columns), len(data)).T


def _fraction_text(x: float) -> str:
    f = Fraction(x).limit_denominator(20)
    return f"{f.numerator}/{f.denominator}" if abs(float(f) - x) < 1e-9 else f"{x:.3g}"


def render_answers(data: pd.DataFrame, cols: Sequence[str], rows: np.ndarray) -> pd.Series:
    """Return ``"col=value; col=value"`` for the non-missing answers of ``rows``.

    A single column is rendered as its value alone.

    Parameters
    ----------
    data : pandas.DataFrame
        The frame.
    cols : sequence of str
        Columns of one question.
    rows : numpy.ndarray of int
        Row positions to render.

    Returns
    -------
    pandas.Series
        String, one entry per position of ``rows`` (indexed ``0..len(rows)-1``).
    """
    if len(cols) == 1:
        return format_values(data[cols[0]].iloc[rows])
    acc = pd.Series("", index=range(len(rows)), dtype="string")
    for col in cols:
        piece = (col + "=" + format_values(data[col].iloc[rows]) + "; ").fillna("")
        acc = acc + piece
    return acc.str.removesuffix("; ")


def _duplicate_hit(data: pd.DataFrame, keys: pd.Series, order: np.ndarray, action: str,
                   rule_id: str, what: str) -> Hit:
    """Later copies (exclude) or every member (flag) of groups sharing a key."""
    n = len(data)
    ids = data["respondent_id"].astype("string").fillna("?")
    rows_src = _str(data["source_row"]) if "source_row" in data.columns else pd.Series(
        [str(i + 1) for i in range(n)], dtype="string")
    # Keys become integer codes first (one hash pass): the grouping then runs on int64,
    # not on Python objects, so it stays linear and cheap at 1e7 rows.
    codes, _ = pd.factorize(keys.reset_index(drop=True), use_na_sentinel=True)
    k = codes[order]
    valid = k >= 0
    frame = pd.DataFrame({"key": k[valid], "pos": order[valid]})
    mask = np.zeros(n, dtype=bool)
    reason = pd.Series(pd.NA, index=range(n), dtype="string")
    if frame.empty:
        return _hit(rule_id, action, None, mask, reason)
    grouped = frame.groupby("key", sort=False)["pos"]
    first = grouped.transform("first").to_numpy()
    size = grouped.transform("size").to_numpy()
    pos = frame["pos"].to_numpy()
    later = pos != first
    in_group = size > 1
    catch = later if action == "exclude" else in_group
    mask[pos[catch]] = True
    # Built and taken in Arrow: a Python string per row costs GBs at 1e7 rows.
    first_txt = ("respondent " + pd.Series(ids.iloc[first].array) + " (source row "
                 + pd.Series(rows_src.astype("string").iloc[first].array) + ")")
    text = (f"same {what} as the earlier submission of " + first_txt).where(
        later, f"shares its {what} with " + pd.Series(size - 1).astype("string")
        + " later submission(s)")
    reason.iloc[pos[catch]] = text.iloc[np.flatnonzero(catch)].array
    return _hit(rule_id, action, None, mask, reason)


def check_duplicate_ids(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``duplicate_id``: repeated ``respondent_id``.

    ``screening.duplicates.ids``: ``"error"`` raises :class:`DuplicateIdError`
    listing the ids and source rows; ``"exclude"`` keeps the first submission
    (:func:`submission_order`); ``"flag"`` flags every copy.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit: later copies (``"exclude"``) or every copy (``"flag"``); with
        ``"error"`` and no duplicates, an empty hit so the funnel shows the rule ran.

    Raises
    ------
    DuplicateIdError
        ``"error"`` and some ids repeated (ids and source rows listed).
    """
    action = ctx.screening.duplicates.ids
    ids = data["respondent_id"].astype("string")
    if action == "error":
        dup = ids.duplicated(keep=False) & ids.notna()
        if dup.any():
            shown = ", ".join(f"{i!r}" for i in pd.unique(ids[dup])[:10])
            src = data["source_row"][dup] if "source_row" in data.columns else ids.index[dup] + 1
            raise DuplicateIdError(
                f"{int(dup.sum())} rows share {ids[dup].nunique()} respondent id(s): {shown}",
                column="respondent_id", row=", ".join(map(str, list(src)[:20])),
                hint="remove the doubled export rows, or set screening.duplicates.ids to "
                     "'exclude' (keep the first submission) or 'flag' (clean(duplicates=...))",
                ids=list(pd.unique(ids[dup])), source_rows=list(src))
        # No duplicates: an empty hit, so the funnel shows the rule ran (action "error").
        return [_hit("duplicate_id", "error", None, np.zeros(len(data), bool), "")]
    return [_duplicate_hit(data, ids, ctx.order, action, "duplicate_id", "respondent id")]


def check_speeders(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``speeder``: duration below ``fraction_of_median`` x the median.

    Also below ``min_seconds`` when set.  The median is taken over every
    positive, finite ``duration_s``; a missing duration is never a speeder.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit, or none when speeders are not configured or no usable
        ``duration_s`` exists (then a :class:`DataQualityWarning` says so).
    """
    spec = ctx.screening.speeders
    if spec is None:
        return []
    if "duration_s" not in data.columns:
        warnings.warn("no duration_s column: the speeder rule was skipped", DataQualityWarning,
                      stacklevel=3)
        return []
    dur = pd.to_numeric(data["duration_s"], errors="coerce").to_numpy(dtype="float64",
                                                                      na_value=np.nan)
    ok = np.isfinite(dur) & (dur > 0)
    if not ok.any():
        if len(data):
            warnings.warn("duration_s holds no usable value: the speeder rule was skipped",
                          DataQualityWarning, stacklevel=3)
        return []
    median = float(np.median(dur[ok]))
    threshold = spec.fraction_of_median * median
    cutoff = max(threshold, spec.min_seconds or 0.0)
    mask = np.isfinite(dur) & (dur < cutoff)
    why = f"{_fraction_text(spec.fraction_of_median)} of the median {median:.0f} s = {threshold:.0f} s"
    if spec.min_seconds is not None:
        why += f"; minimum {spec.min_seconds:g} s"
    reason = "completed in " + _str(pd.Series(np.round(dur, 1))) + f" s, under {cutoff:.0f} s ({why})"
    return [_hit("speeder", spec.action, None, mask, reason)]


def check_attention(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``attention_check``: answer not among the ``correct`` codes.

    An unanswered check fails, unless its status is ``"not_asked"`` (routed
    away).  For a multiple-choice check the selected set must equal the
    correct set exactly.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit per configured attention check, the reason quoting the answer
        given and the correct codes.

    Raises
    ------
    SurveyError
        A column the check needs is absent from the data.
    """
    hits = []
    for chk in ctx.screening.attention_checks:
        q = ctx.codebook.question(chk.question)
        keys = [q.option(c).key for c in chk.correct] if q.options else [str(c) for c in chk.correct]
        mcol = missing_column(q.id)
        not_asked = (data[mcol].astype("string") == "not_asked").fillna(False).to_numpy(bool) \
            if mcol in data.columns else np.zeros(len(data), bool)
        if chk.item is not None:
            col = f"{q.id}_{chk.item}"
            _require(data, [col], q.id, "attention check")
            values = data[col]
            ok = values.astype("string").isin(keys).fillna(False).to_numpy(dtype=bool)
            answer = values.reset_index(drop=True)
        elif q.type == "multiple":
            cols = [f"{q.id}_{o.key}" for o in q.options]
            _require(data, cols, q.id, "attention check")
            sel = data[cols].astype("boolean")
            want = np.array([o.key in keys for o in q.options])
            ok = (sel == want).fillna(False).all(axis=1).to_numpy(dtype=bool)
            answer = render_answers(data, cols, np.arange(len(data)))
        else:
            _require(data, [q.id], q.id, "attention check")
            values = data[q.id]
            if not q.options and pd.api.types.is_numeric_dtype(values):
                ok = pd.to_numeric(values).isin(chk.correct).to_numpy(dtype=bool)
            else:
                ok = values.astype("string").isin(keys).fillna(False).to_numpy(dtype=bool)
            answer = values.reset_index(drop=True)
        fail = ~ok & ~not_asked
        correct = ", ".join(f"'{k}'" for k in keys)
        reason = ("answered " + _quoted(answer) + f" to attention check {q.id} (correct: {correct})"
                  ).str.replace("answered no answer to", "did not answer", regex=False)
        hits.append(_hit("attention_check", chk.action, q.id, fail, reason))
    return hits


def _require(data: pd.DataFrame, cols: Sequence[str], qid: str, what: str) -> None:
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise SurveyError(f"the {what} on {qid} needs column(s) {missing} absent from the data",
                          question=qid, column=missing[0],
                          hint=f"remove the {what} from the codebook's screening rules or load "
                               "the question")


def check_straightlining(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``straightlining``: a long run of identical answers on a grid.

    With ``min_run`` set, caught when the longest run of identical
    consecutive items (:func:`longest_run`) reaches ``min_run``.  With
    ``min_run`` None, caught only when *every* item was answered and all
    answers are identical.  Grids with fewer than two items are skipped.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit per configured grid with at least two items.

    Raises
    ------
    SurveyError
        A grid column is absent from the data.
    """
    hits = []
    for spec in ctx.screening.straightlining:
        q = ctx.codebook.question(spec.grid)
        cols = [c for c in q.columns() if not c.endswith("_other_text")]
        _require(data, cols, q.id, "straight-lining rule")
        k = len(cols)
        if k < 2:
            continue
        codes = _codes_matrix(data, cols)
        run = longest_run(codes)
        if spec.min_run is None:
            mask = (codes >= 0).all(axis=1) & (run == k)
            rule_txt = "all items"
        else:
            mask = run >= spec.min_run
            rule_txt = f"{spec.min_run} items"
        reason = ("identical answers on " + pd.Series(run).astype("string")
                  + f" consecutive of {k} items of grid {q.id} (rule: {rule_txt})")
        hits.append(_hit("straightlining", spec.action, q.id, mask, reason))
    return hits


def check_duplicate_answers(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``duplicate_answers``: identical answer vectors (:func:`answer_columns`).

    Rows that answered nothing are ignored.  ``exclude`` removes the later
    copies (first submission kept); ``flag`` flags every copy.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit, or none when no question column is present.
    """
    cols = answer_columns(ctx.codebook, data)
    if not cols:
        return []
    sub = data[cols]
    # 64-bit row hashes as keys (nullable: rows that answered nothing have none), not
    # their text: a string per respondent costs more than the whole comparison.
    hashes = pd.util.hash_pandas_object(sub, index=False).to_numpy()
    key = pd.Series(pd.array(hashes, dtype="UInt64"), index=data.index)
    key = key.where(sub.notna().any(axis=1).to_numpy(), pd.NA)
    return [_duplicate_hit(data, key, ctx.order, ctx.screening.duplicates.answers,
                           "duplicate_answers", "answers to every question")]


def check_duplicate_ips(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``duplicate_ip``: the same ``ip_hash`` (flag by default: carrier NAT shares IPs).

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit, or none without an ``ip_hash`` column.
    """
    if "ip_hash" not in data.columns:
        return []
    return [_duplicate_hit(data, data["ip_hash"].astype("string"), ctx.order,
                           ctx.screening.duplicates.ip, "duplicate_ip", "IP address")]


def check_bid_sequence(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``bid_sequence``: the follow-up bid must rise after a yes, fall after a no.

    Only ``dc_bid`` questions whose ``_bid1``, ``_ans1`` and ``_bid2`` columns
    are all present are checked; the action is ``screening.consistency``.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit per checked question.
    """
    hits = []
    for q in ctx.codebook.questions:
        if q.type != "dc_bid":
            continue
        b1c, a1c, b2c = (f"{q.id}_bid1", f"{q.id}_ans1", f"{q.id}_bid2")
        if not {b1c, a1c, b2c} <= set(data.columns):
            continue
        b1 = pd.to_numeric(data[b1c], errors="coerce")
        b2 = pd.to_numeric(data[b2c], errors="coerce")
        yes = data[a1c].astype("boolean")
        up = ((yes == True) & (b2 <= b1)).fillna(False).to_numpy(bool)  # noqa: E712
        down = ((yes == False) & (b2 >= b1)).fillna(False).to_numpy(bool)  # noqa: E712
        s1, s2 = _str(b1), _str(b2)
        reason = pd.Series(np.where(
            up, ("follow-up bid " + s2 + " is not above the first bid " + s1
                 + f" after a yes ({q.id})").to_numpy(),
            ("follow-up bid " + s2 + " is not below the first bid " + s1
             + f" after a no ({q.id})").to_numpy()))
        hits.append(_hit("bid_sequence", ctx.screening.consistency, q.id, up | down, reason))
    return hits


def detect_psm(codebook: Codebook) -> tuple[tuple[str, str, str, str], ...]:
    """Van Westendorp question sets found by id suffix.

    Numeric questions named ``<prefix>too_cheap``, ``<prefix>cheap`` (or
    ``bargain``), ``<prefix>expensive`` and ``<prefix>too_expensive`` with a
    common prefix form one set (in that price order).  Incomplete sets are
    ignored.

    Parameters
    ----------
    codebook : Codebook
        The codebook.  Explicit ``psm:`` roles win over guessing from ids.

    Returns
    -------
    tuple of 4-tuples of str
        Question ids (too cheap, cheap, expensive, too expensive), one tuple
        per complete set.
    """
    found: dict[str, dict[str, str]] = {}
    explicit = [(q.psm_set, q.psm, q.id) for q in codebook.questions if q.psm is not None]
    if explicit:
        # The codebook's `psm:` roles win over guessing from ids.
        for psm_set, role, qid in explicit:
            found.setdefault(psm_set, {})[role] = qid
        return tuple(tuple(roles[r] for r in PSM_SUFFIXES)  # type: ignore[misc]
                     for roles in found.values() if set(roles) == set(PSM_SUFFIXES))
    for q in codebook.questions:
        if q.type != "numeric":
            continue
        for role in ("too_cheap", "too_expensive", "cheap", "expensive"):
            suffix = next((s for s in _PSM_ALIASES[role] if q.id.endswith(s)), None)
            if suffix is not None:
                found.setdefault(q.id[: -len(suffix)], {}).setdefault(role, q.id)
                break
    return tuple(tuple(roles[r] for r in PSM_SUFFIXES)  # type: ignore[misc]
                 for roles in found.values() if set(roles) == set(PSM_SUFFIXES))


def check_price_order(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``price_order``: Van Westendorp prices out of order.

    Requires too cheap <= cheap <= expensive <= too expensive on every pair
    that was answered (ties allowed); sets come from ``ctx.psm``.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook, the effective screening settings and the submission order.

    Returns
    -------
    list of Hit
        One hit per set whose four columns are present, the reason naming the
        first pair out of order; the action is ``screening.consistency``.
    """
    hits = []
    pairs = [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3), (0, 3)]
    for ids in ctx.psm:
        if not set(ids) <= set(data.columns):
            continue
        values = np.column_stack([pd.to_numeric(data[c], errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan) for c in ids])
        bad = np.column_stack([values[:, i] > values[:, j] for i, j in pairs])
        mask = np.any(bad, axis=1)
        first = bad.argmax(axis=1)
        reason = pd.Series(pd.NA, index=range(len(data)), dtype="string")
        for p, (i, j) in enumerate(pairs):
            sel = mask & (first == p)
            if sel.any():
                reason[sel] = (f"Van Westendorp prices out of order: {ids[i]} "
                               + _str(values[sel, i]) + f" > {ids[j]} " + _str(values[sel, j])
                               ).to_numpy()
        hits.append(_hit("price_order", ctx.screening.consistency, ids[0], mask, reason))
    return hits
