"""The question models of the codebook: questions, their options and grid items, and labels.

:class:`Question` holds one question of ``survey.yaml`` with its
:class:`Option` and grid :class:`Item` entries and bilingual :class:`Label`.

:mod:`analysis.codebook` re-exports them (``analysis.codebook.Question`` is the
public name) and builds the rest of ``survey.yaml`` on :class:`CodebookModel`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ._codebook_fields import (
    Condition,
    MissingKind,
    SourceSpec,
    check_source,
    missing_keys,
    source_candidates,
)
from .errors import CodebookError

__all__ = [
    "QUESTION_TYPES", "ORDERED_TYPES", "CHOICE_TYPES", "IDENTIFIER", "CodebookModel",
    "Label", "Option", "Item", "Question",
]

QUESTION_TYPES = (
    "single",
    "multiple",
    "likert",
    "grid",
    "numeric",
    "text",
    "datetime",
    "ranking",
    "price_ladder",
    "payment_card",
    "dc_bid",
)
ORDERED_TYPES = ("likert", "grid", "price_ladder", "payment_card")
CHOICE_TYPES = ("single", "multiple", "likert", "grid", "ranking", "price_ladder", "payment_card")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CodebookModel(BaseModel):
    """Base of the codebook's models: unknown keys are errors, instances are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Label(CodebookModel):
    """A bilingual label; a bare string in YAML sets both languages.

    Attributes
    ----------
    zh : str
        Chinese text.
    en : str or None
        English text (None falls back to Chinese).
    """

    zh: str
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, (str, int, float)):
            return {"zh": str(value), "en": str(value)}
        return value

    def get(self, language: str = "zh") -> str:
        """Return the label in ``language``, falling back to Chinese.

        Parameters
        ----------
        language : {"zh", "en"}
            Language wanted.

        Returns
        -------
        str
            The label text.
        """
        return (self.en or self.zh) if language == "en" else self.zh


class Option(CodebookModel):
    """One answer option.

    ``value`` is the price ratio of a ladder rung (0.4 for 4折); ``interval``
    is an explicit ``[lower, upper]`` (``null`` = unbounded) for payment cards
    or ladders; ``never`` marks "would not buy at any price"; ``other`` marks
    an "other, please specify" option whose text is kept; ``exclusive`` marks
    "none of these" in a multiple choice; ``aliases`` lists other spellings
    seen in exports.

    Attributes
    ----------
    code : int
        Answer code (negative codes are special values).
    name : str or None
        Identifier used in column names and categorical values
        (default: the code).
    label : Label
        Option text.
    aliases : tuple of str
        Other spellings seen in exports.
    other : bool
        An "other, please specify" option whose text is kept.
    exclusive : bool
        "None of these" in a multiple choice.
    value : float or None
        Price ratio of a ladder rung.
    interval : tuple or None
        Explicit ``(lower, upper)`` bounds; None bounds are unbounded.
    never : bool
        "Would not buy at any price".
    """

    code: int
    name: str | None = None
    label: Label
    aliases: tuple[str, ...] = ()
    other: bool = False
    exclusive: bool = False
    value: float | None = None
    interval: tuple[float | None, float | None] | None = None
    never: bool = False

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, v: str | None) -> str | None:
        if v is not None and not IDENTIFIER.match(v):
            raise ValueError(f"option name {v!r} must be a Python identifier (letters, digits, _)")
        return v

    @property
    def key(self) -> str:
        """Identifier used in column names and categorical values."""
        return self.name if self.name is not None else (
            str(self.code) if self.code >= 0 else f"m{-self.code}")


class Item(CodebookModel):
    """One row of a grid (matrix) question.

    Attributes
    ----------
    id : str
        Item id (a Python identifier; column ``<question>_<id>``).
    label : Label
        Item text.
    source : str, int, dict, list or None
        Where the item's answer sits in the export (default: derived from
        the question).
    reverse : bool
        Whether the item is reverse-coded.
    """

    id: str
    label: Label
    source: SourceSpec = None
    reverse: bool = False

    _source_ok = field_validator("source")(check_source)

    @field_validator("id")
    @classmethod
    def _id_is_identifier(cls, v: str) -> str:
        if not IDENTIFIER.match(v):
            raise ValueError(f"item id {v!r} must be a Python identifier")
        return v


class Question(CodebookModel):
    """One question of the questionnaire.

    ``source``: where the answer sits (问卷星 question number, column name,
    Qualtrics QID/export tag, SPSS/Stata variable; default ``id``), also per
    platform or as alternatives (module docstring).  ``other_text``: the
    column of the "other, please specify" text, any format (``q5_oth``).
    ``show_if``: routing ``{question_id: condition}``, all must hold:
    ``[codes]`` (multiple choice: any selected), ``{not: [9]}`` / ``"!= 9"``
    (none), ``">= 18"`` (:class:`Condition`).  ``missing``: special values ->
    missing kinds, keyed by code (``-3``), text (Stata ``.a``, ``N/A``) or range
    (``"97..99"``).  ``integer``, ``max_choices`` and ``exclusive`` options are
    warned about on load and enforced by :func:`analysis.clean` (rules
    ``not_integer``, ``max_choices``, ``exclusive``).  Attention checks have no
    type: a ``single``/``likert`` question (or grid item) plus
    ``screening.attention_checks``.

    Attributes
    ----------
    id : str
        Question id (a Python identifier).
    type : str
        One of :data:`QUESTION_TYPES`.
    label : Label
        Question text.
    source : str, int, dict, list or None
        Where the answer sits in the export (default: ``id``).
    other_text : str, int, dict, list or None
        Column of the "other, please specify" text.
    options : tuple of Option
        Answer options (choice types, dc_bid answers).
    items : tuple of Item
        Rows of a grid.
    range : tuple of float or None
        Valid ``(min, max)`` of a numeric answer.
    integer : bool
        Whether a numeric answer must be a whole number.
    unit : str or None
        Unit of a numeric answer.
    missing : dict or None
        Special values -> missing kinds (overrides the wave's ``missing_codes``).
    show_if : dict of str to Condition or None
        Routing: the question is shown when every condition holds.
    required : bool
        Whether respondents shown the question must answer it.
    provisional : bool
        Codes guessed by a draft codebook, still to be checked.
    max_choices : int or None
        Most options a multiple-choice answer may select.
    convention : {"highest_accepted", "upper_bound"} or None
        What a chosen price-ladder rung means.
    bid : str, int, dict, list or None
        Source of a dc_bid question's first bid.
    first : str, int, dict, list or None
        Source of the answer to the first bid.
    followup : str, int, dict, list or None
        Source of the answer to the follow-up bid.
    bids : dict or None
        First bid -> ``(higher, lower)`` follow-up bids.
    yes_codes : tuple of int
        Answer codes meaning yes in a dc_bid question.
    no_codes : tuple of int
        Answer codes meaning no in a dc_bid question.
    psm : {"too_cheap", "cheap", "expensive", "too_expensive"} or None
        Role of a numeric question in a Van Westendorp set.
    psm_set : str
        Name of the Van Westendorp set the question belongs to.
    """

    id: str
    type: Literal[
        "single", "multiple", "likert", "grid", "numeric", "text", "datetime",
        "ranking", "price_ladder", "payment_card", "dc_bid",
    ]
    label: Label
    source: SourceSpec = None
    other_text: SourceSpec = None
    options: tuple[Option, ...] = ()
    items: tuple[Item, ...] = ()
    range: tuple[float, float] | None = None
    integer: bool = False
    unit: str | None = None
    missing: dict[int | str, MissingKind] | None = None
    show_if: dict[str, Condition] | None = None
    required: bool = True
    provisional: bool = False  # codes guessed by a draft: docs/codebook.md#provisional-codes
    max_choices: int | None = None
    convention: Literal["highest_accepted", "upper_bound"] | None = None
    # dichotomous-choice bid questions
    bid: SourceSpec = None
    first: SourceSpec = None
    followup: SourceSpec = None
    bids: dict[float, tuple[float, float]] | None = None
    yes_codes: tuple[int, ...] = (1,)
    no_codes: tuple[int, ...] = (2,)
    # Van Westendorp price sensitivity meter: the role of a numeric question in its set
    psm: Literal["too_cheap", "cheap", "expensive", "too_expensive"] | None = None
    psm_set: str = "psm"

    @field_validator("id")
    @classmethod
    def _id_is_identifier(cls, v: str) -> str:
        if not IDENTIFIER.match(v):
            raise ValueError(f"question id {v!r} must be a Python identifier (letters, digits, _)")
        return v

    _sources_ok = field_validator("source", "other_text", "bid", "first",
                                  "followup")(check_source)

    _missing_ok = field_validator("missing", mode="before")(missing_keys)

    @model_validator(mode="after")
    def _check_shape(self) -> Question:
        t = self.type
        if t in CHOICE_TYPES and not self.options:
            raise ValueError(f"a {t} question needs `options`")
        if t not in CHOICE_TYPES and t != "dc_bid" and self.options:
            raise ValueError(f"a {t} question takes no `options`")
        codes = [o.code for o in self.options]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"option codes repeat: {dup}")
        keys = [o.key for o in self.options]
        dupk = sorted({k for k in keys if keys.count(k) > 1})
        if dupk:
            raise ValueError(f"option names repeat: {dupk}")
        if t == "grid" and not self.items:
            raise ValueError("a grid question needs `items` (its rows)")
        if t != "grid" and self.items:
            raise ValueError(f"a {t} question takes no `items`")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range {list(self.range)} has min > max")
        if t == "price_ladder":
            if self.convention is None:
                raise ValueError("a price_ladder needs `convention`: highest_accepted or upper_bound")
            for o in self.options:
                if not o.never and o.value is None and o.interval is None:
                    raise ValueError(f"ladder option {o.code} needs `value` (the ratio) or `interval`")
        if t == "payment_card":
            for o in self.options:
                if o.interval is None:
                    raise ValueError(f"payment card option {o.code} needs `interval: [lower, upper]`")
        if self.max_choices is not None and (t != "multiple" or self.max_choices < 1):
            raise ValueError("`max_choices` needs a multiple question and a positive number")
        if self.psm is not None and t != "numeric":
            raise ValueError("only numeric questions can have a `psm` role")
        if t == "dc_bid":
            for part in ("bid", "first", "followup", "bids"):
                if getattr(self, part) is None:
                    raise ValueError(f"a dc_bid question needs `{part}`")
            for b, (hi, lo) in (self.bids or {}).items():
                if not lo < b < hi:
                    raise ValueError(
                        f"follow-up bids for {b} must be [higher, lower] around it, got {[hi, lo]}")
        return self

    # -- helpers -----------------------------------------------------------
    @property
    def source_key(self) -> str | int:
        """Where the answer sits (``source`` or ``id``; unresolved: default/first entry)."""
        found = source_candidates(self.source, None)
        if not found and isinstance(self.source, dict) and self.source:
            found = (next(iter(self.source.values())),)
        return found[0] if found else self.id

    def routing_text(self) -> str:
        """Return ``show_if`` as readable text (``q3 in [1, 2] and q4 not in [9]``).

        Returns
        -------
        str
            The routing conditions joined by "and" (empty without routing).
        """
        return " and ".join(c.describe(k) for k, c in (self.show_if or {}).items())

    @property
    def ordered(self) -> bool:
        """Whether the options are ordered (Likert, grids, ladders, cards)."""
        return self.type in ORDERED_TYPES

    def option(self, code: int) -> Option:
        """Return the option with ``code``.

        Parameters
        ----------
        code : int
            Answer code.

        Returns
        -------
        Option
            The option.

        Raises
        ------
        CodebookError
            If no option has that code.
        """
        for o in self.options:
            if o.code == code:
                return o
        raise CodebookError(f"question has no option with code {code}", question=self.id,
                            hint=f"codes are {[o.code for o in self.options]}")

    def option_by_key(self, key: str) -> Option:
        """Return the option whose name (key) is ``key``.

        Parameters
        ----------
        key : str
            Option key (:attr:`Option.key`).

        Returns
        -------
        Option
            The option.

        Raises
        ------
        CodebookError
            If no option has that key.
        """
        for o in self.options:
            if o.key == key:
                return o
        raise CodebookError(f"question has no option named {key!r}", question=self.id,
                            hint=f"names are {[o.key for o in self.options]}")

    def has_other(self) -> bool:
        """Tell whether an "other, please specify" text is collected.

        Returns
        -------
        bool
            True with an ``other_text`` column or an ``other`` option.
        """
        return self.other_text is not None or any(o.other for o in self.options)

    def columns(self) -> list[str]:
        """List the output columns in the tidy frame (see :mod:`analysis.codebook`).

        Returns
        -------
        list of str
            Column names, ``<id>_other_text`` last when collected.
        """
        if self.type in ("multiple", "ranking"):
            cols = [f"{self.id}_{o.key}" for o in self.options]
        elif self.type == "grid":
            cols = [f"{self.id}_{it.id}" for it in self.items]
        elif self.type == "dc_bid":
            cols = [f"{self.id}_{p}" for p in ("bid1", "ans1", "bid2", "ans2")]
        else:
            cols = [self.id]
        if self.has_other():
            cols.append(f"{self.id}_other_text")
        return cols

    def labels(self, language: str = "zh") -> dict[str, str]:
        """Map option keys (the categorical values) to labels in ``language``.

        Parameters
        ----------
        language : {"zh", "en"}
            Language of the labels.

        Returns
        -------
        dict of str to str
            Option key -> label.
        """
        return {o.key: o.label.get(language) for o in self.options}

    def intervals(self) -> pd.DataFrame:
        """Interval ``[lower, upper]`` implied by each option of a ladder or card.

        For a ``price_ladder`` with ``convention: highest_accepted`` a chosen
        rung ``c`` means the maximum acceptable ratio lies in ``[c, next rung)``;
        with ``upper_bound`` it lies in ``(previous rung, c]``.  "Never" options
        get ``[0, lowest rung)`` and ``never=True`` so models can treat them as
        a separate (hurdle) group.

        Returns
        -------
        DataFrame
            Indexed by option key, with columns ``code``, ``lower``,
            ``upper`` (float, NaN = unbounded) and ``never``.

        Raises
        ------
        CodebookError
            If the question is not a price ladder or payment card.
        """
        if self.type not in ("price_ladder", "payment_card"):
            raise CodebookError(f"intervals() needs a price_ladder or payment_card, not {self.type}",
                                question=self.id)
        rows = []
        rungs = sorted(o.value for o in self.options if o.value is not None and not o.never)
        for o in self.options:
            lo, hi = (o.interval if o.interval is not None else (None, None))
            if o.interval is None and o.value is not None:
                i = rungs.index(o.value)
                if self.convention == "highest_accepted":
                    lo, hi = o.value, (rungs[i + 1] if i + 1 < len(rungs) else None)
                else:
                    lo, hi = (rungs[i - 1] if i > 0 else 0.0), o.value
            elif o.never and o.interval is None:
                lo, hi = 0.0, (rungs[0] if rungs else None)
            rows.append({"key": o.key, "code": o.code, "lower": lo, "upper": hi, "never": o.never})
        out = pd.DataFrame(rows).set_index("key")
        out["lower"] = out["lower"].astype("float64")
        out["upper"] = out["upper"].astype("float64")
        return out
