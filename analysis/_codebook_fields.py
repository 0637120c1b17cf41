"""Codebook field types that need more than a plain value: routing, sources, missing codes.

* :class:`Condition` is one routing test of ``show_if`` (``[1, 2]``,
  ``{not: [9]}``, ``"!= 9"``, ``">= 18"``) and :func:`shown_mask` evaluates a
  question's ``show_if`` on a tidy frame (used by ingest *and* cleaning, so
  both read routing the same way).
* Sources: a question's ``source`` (and an item's, ``other_text``, the
  ``respondent`` columns) may be one name, a mapping platform -> name, or a
  list of alternatives; :func:`source_candidates` lists what to look for on a
  platform.
* Missing codes: keys may be integers (``-3``), strings (Stata ``.a``, ``N/A``)
  or inclusive numeric ranges (``"97..99"``, SPSS user-missing ranges);
  :func:`missing_lookup` maps a cell's text to its missing kind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, model_serializer, model_validator

__all__ = [
    "constraint_masks",
    "guide_hint",
    "MISSING_KINDS",
    "MissingKind",
    "PLATFORM_KEYS",
    "Condition",
    "SourceSpec",
    "missing_key",
    "missing_keys",
    "missing_lookup",
    "resolve_sources",
    "shown_mask",
    "source_candidates",
    "to_int",
]

#: Why an answer is missing.  ``not_ranked``: an item a ranking left out;
#: ``unavailable``: the export cannot carry the value (问卷星 code-mode other-text).
MISSING_KINDS = ("not_asked", "skipped", "blank", "refused", "dont_know", "not_ranked",
                 "unavailable")
MissingKind = Literal["not_asked", "skipped", "blank", "refused", "dont_know", "not_ranked",
                      "unavailable"]
#: Keys of a per-platform ``source`` mapping (``default`` applies to the others).
PLATFORM_KEYS = ("wjx", "qualtrics", "spss", "stata", "generic", "default")
SourceSpec = str | int | dict[str, str | int] | tuple[str | int, ...] | None

_INT = re.compile(r"^\s*[+-]?\d+(?:\.0*)?\s*$")
_RANGE = re.compile(r"^\s*([+-]?\d+(?:\.\d+)?)\s*\.\.\s*([+-]?\d+(?:\.\d+)?)\s*$")
_OPS = ("in", "not_in", "==", "!=", "<", "<=", ">", ">=")
_TEXT_COND = re.compile(r"^\s*(not\s+in|not|in|==|!=|<=|>=|<|>|=)\s*(.*?)\s*$", re.I)
_INT64_MAX = 2 ** 63 - 1


def to_int(text: Any) -> int | None:
    """Read an integer-like text (``"3"``, ``"-2"``, ``"4.0"``) as int.

    Parameters
    ----------
    text : Any
        A cell's text.

    Returns
    -------
    int or None
        None for other text and for values outside the int64 range (they
        cannot be codes), so a 40-digit cell is an invalid answer, never an
        ``OverflowError``.
    """
    s = str(text)
    if not _INT.match(s):
        return None
    value = int(s.strip().split(".")[0])
    return value if -_INT64_MAX <= value <= _INT64_MAX else None


# ------------------------------------------------------------------ routing
class Condition(BaseModel):
    """One routing test of ``show_if``: ``{question: condition}``.

    YAML forms: ``[1, 2]`` or ``1`` (answer is one of these codes),
    ``{not: [9]}`` / ``{not_in: [9]}`` / ``"not 9"`` (answer is none of
    them), ``"!= 9"``, ``"== 3"``, and for numeric questions (or codes of an
    ordered scale) ``"< 18"``, ``"<= 18"``, ``"> 0"``, ``">= 18"``.

    Attributes
    ----------
    op : str
        ``in``, ``not_in``, ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``.
    values : tuple of number
        The codes (membership) or the one bound (comparison).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Literal["in", "not_in", "==", "!=", "<", "<=", ">", ">="] = "in"
    values: tuple[int | float, ...]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"op": "in", "values": (value,)}
        if isinstance(value, (list, tuple)):
            return {"op": "in", "values": tuple(value)}
        if isinstance(value, str):
            m = _TEXT_COND.match(value)
            if not m:
                raise ValueError(f"cannot read the condition {value!r}; write e.g. [1, 2], "
                                 "{not: [9]}, '!= 9' or '>= 18'")
            op = re.sub(r"\s+", "_", m.group(1).lower())
            op = {"not": "not_in", "=": "=="}.get(op, op)
            body = m.group(2).strip().strip("[]")
            try:
                values = tuple(_number(v) for v in body.split(",") if v.strip())
            except ValueError:
                raise ValueError(f"condition {value!r}: {body!r} is not a list of numbers"
                                 ) from None
            return {"op": op, "values": values}
        if isinstance(value, Mapping) and "op" not in value and len(value) == 1:
            (key, vals), = value.items()
            op = {"not": "not_in", "in": "in", "not_in": "not_in"}.get(str(key), str(key))
            if op not in _OPS:
                raise ValueError(f"unknown routing operator {key!r}; use one of "
                                 "in, not, ==, !=, <, <=, >, >=")
            vals = vals if isinstance(vals, (list, tuple)) else [vals]
            return {"op": op, "values": tuple(vals)}
        return value

    @model_validator(mode="after")
    def _one_value(self) -> Condition:
        if not self.values:
            raise ValueError("a routing condition needs at least one value")
        if self.op not in ("in", "not_in") and len(self.values) != 1:
            raise ValueError(f"operator {self.op!r} takes one value, got {list(self.values)}")
        return self

    @property
    def negated(self) -> bool:
        """Whether the condition holds when the listed answers are *absent*."""
        return self.op in ("not_in", "!=")

    @property
    def membership(self) -> bool:
        """Whether the condition tests membership (in, not in, ==, !=)."""
        return self.op in ("in", "not_in", "==", "!=")

    @model_serializer
    def compact(self) -> Any:
        """Give the shortest YAML form (a list for ``in``); what ``model_dump`` writes.

        Returns
        -------
        Any
            ``[1, 2]``, ``{"not": [9]}`` or ``"!= 9"``.
        """
        if self.op == "in":
            return list(self.values)
        if self.op == "not_in":
            return {"not": list(self.values)}
        return f"{self.op} {self.values[0]:g}"

    def describe(self, ref: str) -> str:
        """Render the condition as text, e.g. ``q3 not in [9]``.

        Parameters
        ----------
        ref : str
            The id of the question it tests.

        Returns
        -------
        str
            Readable text.
        """
        if self.membership:
            word = "in" if not self.negated else "not in"
            return f"{ref} {word} {list(self.values)}"
        return f"{ref} {self.op} {self.values[0]:g}"


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _column(data: pd.DataFrame, name: str) -> pd.Series | None:
    return data[name] if name in data.columns else None


def _routed_away(data: pd.DataFrame, qid: str) -> np.ndarray:
    """Rows where question ``qid`` itself was not shown (status not_asked/skipped)."""
    status = _column(data, f"{qid}__missing")
    if status is None:
        return np.zeros(len(data), dtype=bool)
    return status.astype("string").isin(["not_asked", "skipped"]).fillna(False).to_numpy(bool)


def _holds(cond: Condition, ref: Any, data: pd.DataFrame) -> np.ndarray | None:
    """Rows where ``cond`` on question ``ref`` holds (None: a column is absent)."""
    n = len(data)
    if ref.options:
        by_code = {o.code: o.key for o in ref.options}
        if cond.membership:
            keys = [by_code[int(v)] for v in cond.values if int(v) in by_code]
        else:
            limit = float(cond.values[0])
            keys = [o.key for o in ref.options if _compare(np.array([float(o.code)]),
                                                           cond.op, limit)[0]]
        if ref.type in ("multiple", "ranking"):
            cols = [f"{ref.id}_{k}" for k in keys]
            if any(c not in data.columns for c in cols):
                return None
            if not cols:
                hit = np.zeros(n, dtype=bool)
            elif ref.type == "multiple":
                hit = data[cols].astype("boolean").fillna(False).any(axis=1).to_numpy(bool)
            else:
                hit = data[cols].notna().any(axis=1).to_numpy(bool)
        elif ref.type == "grid":
            cols = [f"{ref.id}_{it.id}" for it in ref.items]
            if any(c not in data.columns for c in cols):
                return None
            hit = data[cols].astype("string").isin(keys).fillna(False).any(axis=1).to_numpy(bool)
        else:
            col = _column(data, ref.id)
            if col is None:
                return None
            hit = col.astype("string").isin(keys).fillna(False).to_numpy(bool)
        if cond.negated:
            # keys were the *excluded* answers: the condition holds where none was given.
            hit = ~hit
        return hit
    col = _column(data, ref.id)
    if col is None:
        return None
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if cond.membership:
        hit = np.isin(values, np.asarray(cond.values, dtype="float64"))
        return ~hit if cond.negated else hit
    return _compare(values, cond.op, float(cond.values[0]))


def _compare(values: np.ndarray, op: str, limit: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = {"<": values < limit, "<=": values <= limit, ">": values > limit,
               ">=": values >= limit}[op]
    return np.asarray(out, dtype=bool)


def shown_mask(data: pd.DataFrame, question: Any, lookup: Callable[[str], Any],
               ) -> np.ndarray | None:
    """Whether ``question`` was shown to each respondent under its ``show_if``.

    Parameters
    ----------
    data : pandas.DataFrame
        A tidy frame (question columns and ``<qid>__missing`` statuses).
    question : Question
        The routed question.
    lookup : callable
        Question id -> Question (``Codebook.question``).

    Returns
    -------
    numpy.ndarray or None
        Boolean per row; None when a column the routing needs is absent.

    Notes
    -----
    Every entry must hold.  A multiple choice holds ``in`` when any listed
    option is selected and ``not`` when none is.  An unanswered (blank)
    question holds no ``in`` and every ``not``; a question that was itself
    routed away (``not_asked``/``skipped``) holds nothing, so routing chains.
    """
    shown = np.ones(len(data), dtype=bool)
    for ref_id, cond in (question.show_if or {}).items():
        hit = _holds(cond, lookup(ref_id), data)
        if hit is None:
            return None
        shown &= hit & ~_routed_away(data, ref_id)
    return shown


# ------------------------------------------------------------------ sources
def source_candidates(spec: SourceSpec, platform: str | None) -> tuple[str | int, ...]:
    """List the names to look for on ``platform`` (first found wins).

    Parameters
    ----------
    spec : str, int, dict, tuple or None
        A ``source`` as written in the codebook.
    platform : str or None
        The reader's platform (None: only ``default`` of a mapping).

    Returns
    -------
    tuple
        A mapping gives the platform's entry, else ``default``, else ``()``
        (the caller falls back to the question id); a list gives every entry.
    """
    if spec is None:
        return ()
    if isinstance(spec, dict):
        for key in (platform, "default"):
            if key is not None and key in spec:
                return (spec[key],)
        return ()
    if isinstance(spec, tuple):
        return spec
    return (spec,)


def check_source(spec: Any) -> Any:
    """Validate the keys of a per-platform source mapping (pydantic hook)."""
    if isinstance(spec, dict):
        bad = sorted(str(k) for k in spec if k not in PLATFORM_KEYS)
        if bad:
            raise ValueError(f"source platforms {bad} are unknown; use {list(PLATFORM_KEYS)}")
    if isinstance(spec, tuple) and not spec:
        raise ValueError("a list of sources needs at least one entry")
    return spec


def resolve_sources(codebook: Any, platform: str, present: Callable[[Any], bool] | None = None,
                    ) -> Any:
    """A copy of ``codebook`` whose sources are single names for ``platform``.

    Parameters
    ----------
    codebook : Codebook
        The codebook (any source form).
    platform : str
        The reader's platform.
    present : callable, optional
        ``name -> bool``; picks the first present alternative of a list.

    Returns
    -------
    Codebook
        Questions, items and respondent columns with plain sources.
    """
    def pick(spec: Any) -> Any:
        found = source_candidates(spec, platform)
        if not found:
            return None
        hit = next((c for c in found if present is not None and present(c)), None)
        return found[0] if hit is None else hit

    def plain(spec: Any) -> bool:
        return spec is None or isinstance(spec, (str, int))

    questions = []
    for q in codebook.questions:
        update = {f: pick(getattr(q, f)) for f in ("source", "other_text", "bid", "first",
                                                   "followup") if not plain(getattr(q, f))}
        if any(not plain(it.source) for it in q.items):
            update["items"] = tuple(it.model_copy(update={"source": pick(it.source)})
                                    for it in q.items)
        questions.append(q.model_copy(update=update) if update else q)
    resp = codebook.respondent
    roles = {f: pick(getattr(resp, f)) for f in ("id", "duration", "submitted", "started",
                                                 "ip") if not plain(getattr(resp, f))}
    return codebook.model_copy(update={"questions": tuple(questions),
                                   "respondent": resp.model_copy(update=roles)})



# ------------------------------------------------------------- missing codes
def missing_key(key: Any) -> int | str:
    """Normalise a missing-code key.

    Parameters
    ----------
    key : Any
        As written in YAML (or read back from JSON, where keys are text).

    Returns
    -------
    int or str
        Integer-like keys as int; other text kept (``.a``, ``97..99``).
    """
    if isinstance(key, bool):
        raise ValueError(f"missing code {key!r} must be a number or text")
    if isinstance(key, int):
        return key
    if isinstance(key, float):
        if not key.is_integer():
            return repr(key)
        return int(key)
    as_int = to_int(key)
    return as_int if as_int is not None else str(key).strip()


def missing_keys(table: Any) -> Any:
    """Normalise the keys of a missing-code mapping (pydantic hook; see :func:`missing_key`).

    Parameters
    ----------
    table : Any
        The mapping as written (other values pass through for pydantic to reject).

    Returns
    -------
    Any
        The mapping with normalised keys.
    """
    return {missing_key(k): v for k, v in table.items()} if isinstance(table, dict) else table


def missing_lookup(table: Mapping[int | str, str], *, codes: bool) -> Callable[[str], str | None]:
    """Build the ``cell text -> missing kind`` function of one missing-code table.

    Parameters
    ----------
    table : mapping
        Keys as :func:`missing_key` returns them, values missing kinds.
    codes : bool
        Whether integer keys and ``lo..hi`` ranges apply (code-mode
        downloads, SPSS/Stata); text keys (Stata ``.a``, ``N/A``, ``不知道``)
        apply in every mode, compared exactly.

    Returns
    -------
    callable
        ``text -> kind or None``.
    """
    ints: dict[int, str] = {}
    texts: dict[str, str] = {}
    ranges: list[tuple[float, float, str]] = []
    for key, kind in table.items():
        if isinstance(key, int):
            ints[key] = kind
            continue
        m = _RANGE.match(key)
        if m:
            ranges.append((float(m.group(1)), float(m.group(2)), kind))
        else:
            texts[key] = kind

    def one(text: str) -> str | None:
        if text in texts:
            return texts[text]
        if not codes:
            return None
        value = to_int(text)
        if value is not None and value in ints:
            return ints[value]
        if ranges:
            try:
                number = float(text)
            except ValueError:
                return None
            if math.isfinite(number):
                for lo, hi, kind in ranges:
                    if lo <= number <= hi:
                        return kind
        return None

    return one


# --------------------------------------------------------------- constraints
def constraint_masks(question: Any, data: pd.DataFrame,
                     ) -> list[tuple[str, np.ndarray, str]]:
    """Find answers breaking ``range``, ``integer``, ``exclusive`` or ``max_choices``.

    Parameters
    ----------
    question : Question
        The question.
    data : pandas.DataFrame
        A tidy frame holding its columns.

    Returns
    -------
    list of tuple
        ``(rule, mask, reason)`` per constraint that some row breaks; rules
        are ``out_of_range``, ``not_integer``, ``exclusive``, ``max_choices``
        (the :func:`analysis.clean` rule ids).
    """
    q = question
    out: list[tuple[str, np.ndarray, str]] = []
    if q.type == "numeric" and q.id in data.columns:
        v = pd.to_numeric(data[q.id], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(v)
        if q.range is not None:
            lo, hi = q.range
            with np.errstate(invalid="ignore"):
                mask = finite & ((v < lo) | (v > hi))
            out.append(("out_of_range", mask, f"outside the valid range [{lo:g}, {hi:g}]"))
        if q.integer:
            with np.errstate(invalid="ignore"):
                mask = finite & (v != np.round(v))
            out.append(("not_integer", mask, "not a whole number although the question is "
                                             "`integer`"))
    elif q.type == "multiple":
        cols = [f"{q.id}_{o.key}" for o in q.options]
        if all(c in data.columns for c in cols) and cols:
            sel = data[cols].astype("boolean").fillna(False).to_numpy(dtype=bool)
            chosen = sel.sum(axis=1)
            exclusive = [i for i, o in enumerate(q.options) if o.exclusive]
            if exclusive:
                names = ", ".join(q.options[i].key for i in exclusive)
                out.append(("exclusive", sel[:, exclusive].any(axis=1) & (chosen > 1),
                            f"the exclusive option ({names}) chosen together with others"))
            if q.max_choices is not None:
                out.append(("max_choices", chosen > q.max_choices,
                            f"more than max_choices = {q.max_choices} options chosen"))
    return [item for item in out if item[1].any()]


#: Sections of docs/codebook.md by the first key of an entry's location (and the
#: second under ``questions``).
_GUIDE = {"questions": "questions", "options": "options", "items": "grids-and-items",
          "missing": "missing-codes", "missing_codes": "missing-codes",
          "show_if": "routing-show_if", "source": "sources", "other_text": "other-text",
          "respondent": "respondent-columns", "personal": "personal-columns",
          "screening": "screening", "weighting": "weighting", "disclosure": "disclosure",
          "derived": "derived-variables", "analysis": "roles", "strict": "strict",
          "fieldwork": "wave-title-and-fieldwork", "provisional": "provisional-codes",
          "bid": "pricing-questions", "bids": "pricing-questions", "psm": "pricing-questions",
          "margins": "targetsyaml", "population": "targetsyaml", "total": "targetsyaml"}


def guide_hint(where: tuple[Any, ...] | list[Any], targets: bool = False) -> str:
    """The hint of a codebook error: the section of the user guide to read.

    Parameters
    ----------
    where : sequence
        Location of the entry in the YAML (``("questions", 3, "options")``).
    targets : bool, default False
        Whether the file is ``targets.yaml``.

    Returns
    -------
    str
        ``see docs/codebook.md#<section>`` naming the most specific section.
    """
    keys = [k for k in where if isinstance(k, str)]
    section = "targetsyaml" if targets else "questions" if where and where[0] == "questions" \
        else "surveyyaml-at-a-glance"
    for k in reversed(keys):
        if k in _GUIDE and not targets:
            section = _GUIDE[k]
            break
    return f"see docs/codebook.md#{section}"
