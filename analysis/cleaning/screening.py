"""Screening and validation rules used by :func:`analysis.clean`.

Every rule is a small vectorised function registered in :data:`RULES`, whose
order is the order of the exclusion funnel.  There are two shapes:

* **value rules** (``invalid_code``, ``out_of_range``, ``not_integer``,
  ``exclusive``, ``max_choices``, ``routing``) take the
  tidy frame and return ``(frame, changes)``: a new frame with offending
  values set to NA and their ``<qid>__missing`` status updated, plus a
  change table (:data:`CHANGE_COLUMNS`, one row per changed value);
* **respondent rules** (``duplicate_id`` ... ``price_order``) return a list of
  :class:`Hit` (a boolean mask over rows plus a reason per caught row), one
  per configured check; :func:`analysis.clean` applies their actions.

``personal_column`` and ``pii_text`` are implemented in :mod:`analysis.cleaning.cleaner`
(with :mod:`analysis.pii`) but registered here so rule ids live in one place.

Statuses written to ``<qid>__missing``: ``"invalid"`` (a code outside the
codebook; the raw value moves to the audit, because it may hold personal
data), ``"out_of_range"`` and ``"not_asked"`` (routing).  ``not_integer``
(2.5 children on an ``integer`` question), ``exclusive`` ("none of these"
chosen with other options) and ``max_choices`` (too many options) set the
question's answer to missing with status ``"invalid"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._codebook_fields import constraint_masks, shown_mask
from ..codebook import Codebook, Question, Screening, missing_column
from ..errors import DataQualityWarning, DuplicateIdError, SurveyError
from .audit import format_values

__all__ = [
    "CHANGE_COLUMNS",
    "FUNNEL_ORDER",
    "PSM_SUFFIXES",
    "RULES",
    "Hit",
    "Rule",
    "ScreenContext",
    "answer_columns",
    "apply_routing",
    "check_attention",
    "check_bid_sequence",
    "check_codes",
    "check_constraints",
    "check_duplicate_answers",
    "check_duplicate_ids",
    "check_duplicate_ips",
    "check_price_order",
    "check_ranges",
    "check_speeders",
    "check_straightlining",
    "detect_psm",
    "longest_run",
    "rule",
    "submission_order",
]

CHANGE_COLUMNS = ("row", "rule", "question", "column", "old_value", "new_value", "reason")
PSM_SUFFIXES = ("too_cheap", "cheap", "expensive", "too_expensive")
_PSM_ALIASES = {"too_cheap": ("too_cheap",), "cheap": ("cheap", "bargain"),
                "expensive": ("expensive",), "too_expensive": ("too_expensive",)}
_SINGLE_COLUMN_CHOICE = ("single", "likert", "price_ladder", "payment_card")


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


@dataclass(frozen=True)
class Rule:
    """One entry of the rule registry."""

    id: str
    kind: Literal["column", "value", "respondent", "text"]
    label: str
    func: Callable[..., Any] | None = None


# ------------------------------------------------------------------ helpers
def _changes(rows: np.ndarray, rule_id: str, question: str | None, column: Any,
             old: Any, new: Any, reason: Any) -> pd.DataFrame:
    n = len(rows)

    def as_col(v: Any) -> Any:
        if isinstance(v, pd.Series):
            return v.to_numpy(dtype=object, na_value=None)
        return [v] * n

    return pd.DataFrame({"row": np.asarray(rows, dtype="int64"), "rule": rule_id,
                         "question": question, "column": as_col(column),
                         "old_value": as_col(old), "new_value": as_col(new),
                         "reason": as_col(reason)}, columns=list(CHANGE_COLUMNS))


def _empty_changes() -> pd.DataFrame:
    return _changes(np.zeros(0, dtype="int64"), "", None, None, None, None, None)


def _concat_changes(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else _empty_changes()


def _present(data: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return [c for c in columns if c in data.columns]


def _set_na(data: pd.DataFrame, columns: Sequence[str], mask: np.ndarray) -> None:
    for col in columns:
        if col in data.columns and mask.any():
            data.loc[mask, col] = pd.NA if not pd.api.types.is_float_dtype(data[col]) else np.nan


def _set_status(data: pd.DataFrame, qid: str, mask: np.ndarray, status: str) -> None:
    if not mask.any():
        return
    col = missing_column(qid)
    current = (data[col].astype("string") if col in data.columns
               else pd.Series(pd.NA, index=data.index, dtype="string"))
    data[col] = current.mask(mask, status)


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
        text = pd.Series(reason.to_numpy(dtype=object)[rows] if len(reason) == len(mask)
                         else reason.to_numpy(dtype=object), index=rows, dtype="string")
    return Hit(rule_id, action, question, mask, text)


def answer_columns(codebook: Codebook, data: pd.DataFrame) -> list[str]:
    """Question columns compared by ``duplicate_answers``.

    Every question column present in ``data`` except free text (``text``
    questions and ``*_other_text``) and ``datetime`` answers: those are unique
    almost by construction, so including them would hide copied answer
    patterns that differ only in a typed comment or a timestamp.
    """
    cols: list[str] = []
    for q in codebook.questions:
        if q.type in ("text", "datetime"):
            continue
        cols.extend(c for c in q.columns() if not c.endswith("_other_text"))
    return _present(data, cols)


def submission_order(data: pd.DataFrame) -> np.ndarray:
    """Row positions sorted by ``submitted_at`` (missing last), then ``source_row``.

    "Keep the first submission" in the duplicate rules means first in this order.
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
    stacked = np.concatenate([data[c].astype(object).to_numpy() for c in columns])
    codes, _ = pd.factorize(pd.Series(stacked, dtype=object), use_na_sentinel=True)
    return codes.reshape(len(columns), len(data)).T


def _fraction_text(x: float) -> str:
    f = Fraction(x).limit_denominator(20)
    return f"{f.numerator}/{f.denominator}" if abs(float(f) - x) < 1e-9 else f"{x:.3g}"


# ------------------------------------------------------------- value rules
def check_codes(data: pd.DataFrame, ctx: ScreenContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule ``invalid_code``: answers that are not codes of the codebook.

    Two sources: ``<qid>__missing == "invalid:<raw>"`` left by ingest, and
    categorical values that are not option keys.  The value is set to NA,
    the status to ``"invalid"``, and the raw value goes to the audit.
    """
    out = data.copy(deep=False)
    parts: list[pd.DataFrame] = []
    for q in ctx.codebook.questions:
        mcol = missing_column(q.id)
        cols = _present(out, [c for c in q.columns() if not c.endswith("_other_text")])
        valid = ", ".join(o.key for o in q.options[:12]) + (", ..." if len(q.options) > 12 else "")
        hint = f" (options: {valid})" if q.options else ""
        if mcol in out.columns:
            status = out[mcol].astype("string")
            bad = status.str.startswith("invalid:").fillna(False).to_numpy(dtype=bool)
            if bad.any():
                raw = status[bad].str.slice(len("invalid:"))
                if len(cols) == 1 or q.type in ("multiple", "ranking"):
                    # A selection or ranking with an invalid part is not an answer.
                    _set_na(out, cols, bad)
                _set_status(out, q.id, bad, "invalid")
                parts.append(_changes(np.flatnonzero(bad), "invalid_code", q.id, mcol, raw, None,
                                      f"answer is not a code of {q.id}{hint}; set to missing"))
        if q.type in _SINGLE_COLUMN_CHOICE or q.type == "grid":
            keys = [o.key for o in q.options]
            for col in cols:
                values = out[col]
                bad = (values.notna() & ~values.astype("string").isin(keys)).to_numpy(dtype=bool)
                if bad.any():
                    old = format_values(values[bad])
                    if isinstance(values.dtype, pd.CategoricalDtype):
                        # Drop the stray categories too, keeping the option order.
                        extra = [c for c in values.cat.categories if str(c) not in keys]
                        out[col] = values.mask(bad).cat.remove_categories(extra)
                    else:
                        _set_na(out, [col], bad)
                    if q.type != "grid":
                        _set_status(out, q.id, bad, "invalid")
                    parts.append(_changes(np.flatnonzero(bad), "invalid_code", q.id, col, old,
                                          None, f"answer is not an option of {q.id}{hint}; "
                                                "set to missing"))
    return out, _concat_changes(parts)


def check_ranges(data: pd.DataFrame, ctx: ScreenContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule ``out_of_range``: numeric answers outside ``Question.range`` become NA."""
    out = data.copy(deep=False)
    parts: list[pd.DataFrame] = []
    for q in ctx.codebook.questions:
        if q.type != "numeric" or q.range is None or q.id not in out.columns:
            continue
        lo, hi = q.range
        values = pd.to_numeric(out[q.id], errors="coerce")
        bad = (values.notna() & ((values < lo) | (values > hi))).to_numpy(dtype=bool)
        if not bad.any():
            continue
        old = format_values(values[bad])
        _set_na(out, [q.id], bad)
        _set_status(out, q.id, bad, "out_of_range")
        unit = f" {q.unit}" if q.unit else ""
        parts.append(_changes(np.flatnonzero(bad), "out_of_range", q.id, q.id, old, None,
                              f"value outside the valid range [{lo:g}, {hi:g}]{unit} of {q.id}; "
                              "set to missing"))
    return out, _concat_changes(parts)


def check_constraints(data: pd.DataFrame, ctx: ScreenContext,
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rules ``not_integer``, ``exclusive``, ``max_choices``: answers the codebook forbids.

    A non-whole number on an ``integer`` question, an ``exclusive`` option
    chosen with others, more than ``max_choices`` options: the question's
    answer becomes NA with status ``"invalid"`` and the old value is audited
    under the rule's name.  (Ranges are :func:`check_ranges`.)

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook and settings.

    Returns
    -------
    frame : pandas.DataFrame
        Offending answers set to NA.
    changes : pandas.DataFrame
        One row per changed answer (:data:`CHANGE_COLUMNS`).
    """
    out = data.copy(deep=False)
    parts: list[pd.DataFrame] = []
    for q in ctx.codebook.questions:
        for rule_id, mask, reason in constraint_masks(q, out):
            if rule_id == "out_of_range":
                continue
            cols = _present(out, [c for c in q.columns() if not c.endswith("_other_text")])
            rows = np.flatnonzero(mask)
            old = _render_answers(out, cols, rows) if q.type != "multiple" else \
                _chosen(out, q, rows)
            _set_na(out, cols, mask)
            _set_status(out, q.id, mask, "invalid")
            parts.append(_changes(rows, rule_id, q.id, ", ".join(cols) if len(cols) > 1
                                  else cols[0], old, None, f"{q.id}: {reason}; set to missing"))
    return out, _concat_changes(parts)


def _chosen(data: pd.DataFrame, q: Question, rows: np.ndarray) -> pd.Series:
    """The chosen option keys of ``rows`` of a multiple choice, ``a, b, c``."""
    acc = pd.Series("", index=range(len(rows)), dtype="string")
    for o in q.options:
        sel = data[f"{q.id}_{o.key}"].iloc[rows].astype("boolean").fillna(False).to_numpy(bool)
        acc = acc + pd.Series(np.where(sel, o.key + ", ", ""), dtype="string")
    return acc.str.removesuffix(", ")


def _shown(data: pd.DataFrame, codebook: Codebook, q: Question) -> np.ndarray | None:
    """Whether ``q`` was shown to each respondent under its ``show_if`` (None = unknown)."""
    return shown_mask(data, q, codebook.question)


def _render_answers(data: pd.DataFrame, cols: Sequence[str], rows: np.ndarray) -> pd.Series:
    """``"col=value; col=value"`` for the non-missing answers of ``rows``."""
    if len(cols) == 1:
        return format_values(data[cols[0]].iloc[rows])
    acc = pd.Series("", index=range(len(rows)), dtype="string")
    for col in cols:
        piece = (col + "=" + format_values(data[col].iloc[rows]) + "; ").fillna("")
        acc = acc + piece
    return acc.str.removesuffix("; ")


def apply_routing(data: pd.DataFrame, ctx: ScreenContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule ``routing``: answers to questions the respondent should not have seen.

    ``show_if`` entries must all hold (a multiple-choice source holds ``in``
    when any listed option is selected, ``not`` when none is; see
    :func:`analysis._codebook_fields.shown_mask`).  Questions are processed in
    questionnaire order, so removing an answer also hides the questions
    routed on it.  Offending answers become NA with status ``"not_asked"``.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook and settings.

    Returns
    -------
    frame : pandas.DataFrame
        Answers outside the routing set to NA.
    changes : pandas.DataFrame
        One row per changed answer (:data:`CHANGE_COLUMNS`).
    """
    out = data.copy(deep=False)
    parts: list[pd.DataFrame] = []
    for q in ctx.codebook.questions:
        if not q.show_if:
            continue
        cols = _present(out, q.columns())
        if not cols:
            continue
        shown = _shown(out, ctx.codebook, q)
        if shown is None:
            warnings.warn(f"cannot check the routing of {q.id}: a column of "
                          f"{list(q.show_if)} is missing from the data", DataQualityWarning,
                          stacklevel=3)
            continue
        answered = out[cols].notna().any(axis=1).to_numpy(dtype=bool)
        bad = answered & ~shown
        if not bad.any():
            continue
        rows = np.flatnonzero(bad)
        old = _render_answers(out, cols, rows)
        _set_na(out, cols, bad)
        _set_status(out, q.id, bad, "not_asked")
        cond = q.routing_text()
        parts.append(_changes(rows, "routing", q.id, ", ".join(cols) if len(cols) > 1 else cols[0],
                              old, None, f"{q.id} is shown only if {cond}, yet it was answered; "
                                         "set to missing (not asked)"))
    return out, _concat_changes(parts)


# -------------------------------------------------------- respondent rules
def _duplicate_hit(data: pd.DataFrame, keys: pd.Series, order: np.ndarray, action: str,
                   rule_id: str, what: str) -> Hit:
    """Later copies (exclude) or every member (flag) of groups sharing a key."""
    n = len(data)
    ids = data["respondent_id"].astype("string").fillna("?").to_numpy(dtype=object)
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
    first_txt = ("respondent " + pd.Series(ids[first], dtype="string") + " (source row "
                 + rows_src.to_numpy(dtype=object)[first] + ")")
    text = np.where(later, (f"same {what} as the earlier submission of " + first_txt).to_numpy(),
                    (f"shares its {what} with " + pd.Series(size - 1).astype("string")
                     + " later submission(s)").to_numpy())
    reason.iloc[pos[catch]] = text[catch]
    return _hit(rule_id, action, None, mask, reason)


def check_duplicate_ids(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``duplicate_id``: repeated ``respondent_id``.

    ``screening.duplicates.ids``: ``"error"`` raises :class:`DuplicateIdError`
    listing the ids and source rows; ``"exclude"`` keeps the first submission
    (:func:`submission_order`); ``"flag"`` flags every copy.
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
            answer = _render_answers(data, cols, np.arange(len(data)))
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
    """Rule ``duplicate_ip``: the same ``ip_hash`` (flag by default: carrier NAT shares IPs)."""
    if "ip_hash" not in data.columns:
        return []
    return [_duplicate_hit(data, data["ip_hash"].astype("string"), ctx.order,
                           ctx.screening.duplicates.ip, "duplicate_ip", "IP address")]


def check_bid_sequence(data: pd.DataFrame, ctx: ScreenContext) -> list[Hit]:
    """Rule ``bid_sequence``: the follow-up bid must rise after a yes, fall after a no."""
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


RULES: tuple[Rule, ...] = (
    Rule("personal_column", "column", "personal columns dropped or hashed"),
    Rule("invalid_code", "value", "invalid codes set to missing", check_codes),
    Rule("out_of_range", "value", "out-of-range values set to missing", check_ranges),
    # One function checks the three constraints; the other two entries register their ids.
    Rule("not_integer", "value", "non-whole numbers on integer questions set to missing",
         check_constraints),
    Rule("exclusive", "value", "exclusive options chosen with others set to missing"),
    Rule("max_choices", "value", "selections over max_choices set to missing"),
    Rule("routing", "value", "answers outside routing set to missing", apply_routing),
    Rule("duplicate_id", "respondent", "duplicate respondent ids", check_duplicate_ids),
    Rule("speeder", "respondent", "speeders", check_speeders),
    Rule("attention_check", "respondent", "failed attention checks", check_attention),
    Rule("straightlining", "respondent", "straight-lining on grids", check_straightlining),
    Rule("duplicate_answers", "respondent", "identical answer vectors", check_duplicate_answers),
    Rule("duplicate_ip", "respondent", "shared IP address", check_duplicate_ips),
    Rule("bid_sequence", "respondent", "inconsistent bid sequence", check_bid_sequence),
    Rule("price_order", "respondent", "inconsistent Van Westendorp prices", check_price_order),
    Rule("pii_text", "text", "personal data redacted from free text"),
)
#: Respondent rules in funnel order.
FUNNEL_ORDER: tuple[str, ...] = tuple(r.id for r in RULES if r.kind == "respondent")


def rule(rule_id: str) -> Rule:
    """The registry entry of ``rule_id``."""
    for r in RULES:
        if r.id == rule_id:
            return r
    raise SurveyError(f"unknown rule id {rule_id!r}", hint=f"use one of {[r.id for r in RULES]}")
