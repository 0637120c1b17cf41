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
  per configured check; :func:`analysis.clean` applies their actions.  They
  live in :mod:`analysis.cleaning.respondent_rules` (with :class:`ScreenContext`
  and :class:`Hit`) and are re-exported here.

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
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._codebook_fields import constraint_masks, shown_mask
from ..codebook import Codebook, Question, missing_column
from ..errors import DataQualityWarning, SurveyError
from .audit import format_values
from .respondent_rules import (
    PSM_SUFFIXES,
    Hit,
    ScreenContext,
    answer_columns,
    check_attention,
    check_bid_sequence,
    check_duplicate_answers,
    check_duplicate_ids,
    check_duplicate_ips,
    check_price_order,
    check_speeders,
    check_straightlining,
    detect_psm,
    longest_run,
    present_columns,
    render_answers,
    submission_order,
)

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
_SINGLE_COLUMN_CHOICE = ("single", "likert", "price_ladder", "payment_card")


@dataclass(frozen=True)
class Rule:
    """One entry of the rule registry.

    Attributes
    ----------
    id : str
        Rule id, as written in the audit and the funnel.
    kind : {"column", "value", "respondent", "text"}
        What the rule acts on: whole columns, single answers, respondents, or
        free text.
    label : str
        Funnel / audit label.
    func : callable or None
        The function applying it; None when another entry's function or
        :mod:`analysis.cleaning.cleaner` does the work.
    """

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


# ------------------------------------------------------------- value rules
def check_codes(data: pd.DataFrame, ctx: ScreenContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule ``invalid_code``: answers that are not codes of the codebook.

    Two sources: ``<qid>__missing == "invalid:<raw>"`` left by ingest, and
    categorical values that are not option keys.  The value is set to NA,
    the status to ``"invalid"``, and the raw value goes to the audit.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook and settings.

    Returns
    -------
    frame : pandas.DataFrame
        A shallow copy with the offending answers set to NA and their
        ``<qid>__missing`` status updated.
    changes : pandas.DataFrame
        One row per changed answer (:data:`CHANGE_COLUMNS`).
    """
    out = data.copy(deep=False)
    parts: list[pd.DataFrame] = []
    for q in ctx.codebook.questions:
        mcol = missing_column(q.id)
        cols = present_columns(out, [c for c in q.columns() if not c.endswith("_other_text")])
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
                bad = _not_keys(values, keys)
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


def _not_keys(values: pd.Series, keys: list[str]) -> np.ndarray:
    """Answered cells whose text is not one of ``keys``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        # Judged once per category, then spread by code: a string per cell costs
        # seconds at 1e6 rows.  Code -1 (missing) takes the trailing False.
        allowed = set(keys)
        stray = np.array([str(c) not in allowed for c in values.cat.categories] + [False])
        return stray[values.cat.codes.to_numpy()]
    return (values.notna() & ~values.astype("string").isin(keys)).to_numpy(dtype=bool)


def check_ranges(data: pd.DataFrame, ctx: ScreenContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rule ``out_of_range``: numeric answers outside ``Question.range`` become NA.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame.
    ctx : ScreenContext
        The codebook and settings.

    Returns
    -------
    frame : pandas.DataFrame
        A shallow copy with the offending answers set to NA and their
        ``<qid>__missing`` status updated.
    changes : pandas.DataFrame
        One row per changed answer (:data:`CHANGE_COLUMNS`).
    """
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
    """Apply rules ``not_integer``, ``exclusive``, ``max_choices``: answers the codebook forbids.

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
            cols = present_columns(out, [c for c in q.columns() if not c.endswith("_other_text")])
            rows = np.flatnonzero(mask)
            old = render_answers(out, cols, rows) if q.type != "multiple" else \
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
        cols = present_columns(out, q.columns())
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
        old = render_answers(out, cols, rows)
        _set_na(out, cols, bad)
        _set_status(out, q.id, bad, "not_asked")
        cond = q.routing_text()
        parts.append(_changes(rows, "routing", q.id, ", ".join(cols) if len(cols) > 1 else cols[0],
                              old, None, f"{q.id} is shown only if {cond}, yet it was answered; "
                                         "set to missing (not asked)"))
    return out, _concat_changes(parts)


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
    """Return the registry entry of ``rule_id``.

    Parameters
    ----------
    rule_id : str
        A rule id of :data:`RULES`.

    Returns
    -------
    Rule
        Its registry entry.

    Raises
    ------
    SurveyError
        ``rule_id`` is not a registered rule.
    """
    for r in RULES:
        if r.id == rule_id:
            return r
    raise SurveyError(f"unknown rule id {rule_id!r}", hint=f"use one of {[r.id for r in RULES]}")
