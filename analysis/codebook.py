"""The machine-readable questionnaire: ``surveys/<wave>/survey.yaml``.

A :class:`Codebook` describes the respondent metadata columns, the personal
data to drop or pseudonymise, every question (type, bilingual label, options
with codes, missing codes, valid range, routing) and the screening rules.
It is validated on load; every error cites the YAML line.

Output columns
--------------
Readers turn the raw export into one tidy frame whose columns are named from
the codebook (:meth:`Question.columns`):

=================================  =============================================
question type                      columns
=================================  =============================================
single, likert, price_ladder,      ``<id>`` (categorical of option names; ordered
payment_card                       for likert / ladder / card)
multiple                           ``<id>_<option>`` (boolean, NA if not asked)
grid                               ``<id>_<item>`` (ordered categorical)
ranking                            ``<id>_<option>`` (Int64 rank, NA = not ranked)
numeric                            ``<id>`` (float)
text                               ``<id>`` (string)
datetime                           ``<id>`` (datetime64)
dc_bid                             ``<id>_bid1``, ``<id>_ans1``, ``<id>_bid2``,
                                   ``<id>_ans2`` (bids float, answers boolean)
=================================  =============================================

Questions with an "other, please specify" option (or an ``other_text``
column) add ``<id>_other_text``.  Missing answers are NA; *why* is kept in
``<id>__missing`` (:data:`analysis._codebook_fields.MISSING_KINDS`: not_asked,
skipped, blank, refused, dont_know, not_ranked, unavailable), so "not asked"
stays distinct from "asked, blank"; ``show_if`` decides, on every platform,
that a blank of a respondent not shown the question is ``not_asked``.  An
other-text the export cannot carry (问卷星 code mode) reads ``"unavailable"``
in ``<id>_other_text__missing``.  One codebook serves several platforms:
``source`` (items' ``source``, ``other_text``, ``bid``/``first``/``followup``,
the ``respondent`` columns) is a name, a mapping ``{wjx: 5, qualtrics: QID5,
spss: q5, default: ...}`` or a list of alternatives (first present wins).
``strict: true`` turns every load-time data warning into an error.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ._codebook_fields import (
    Condition,
    MissingKind,
    SourceSpec,
    check_source,
    guide_hint,
    missing_key,
    missing_keys,
    resolve_sources,
    source_candidates,
)
from ._codebook_roles import AnalysisRoles, check_roles
from ._shares import check_margin_sums
from ._yaml import LineMap, line_of, load_yaml_with_lines
from .errors import CodebookError, TargetsError, UnknownQuestionTypeError

__all__ = [
    "QUESTION_TYPES", "Label", "Option", "Item", "Question", "Screening",
    "Codebook", "Condition", "Margin", "Targets", "load_codebook", "load_targets", "missing_column",
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
Action = Literal["exclude", "flag"]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def missing_column(question_id: str) -> str:
    """Name of the column that records why ``question_id`` is missing."""
    return f"{question_id}__missing"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Label(_Model):
    """A bilingual label; a bare string in YAML sets both languages."""

    zh: str
    en: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, (str, int, float)):
            return {"zh": str(value), "en": str(value)}
        return value

    def get(self, language: str = "zh") -> str:
        """The label in ``language`` ("zh" or "en"), falling back to Chinese."""
        return (self.en or self.zh) if language == "en" else self.zh


class Option(_Model):
    """One answer option.

    ``value`` is the price ratio of a ladder rung (0.4 for 4折); ``interval``
    is an explicit ``[lower, upper]`` (``null`` = unbounded) for payment cards
    or ladders; ``never`` marks "would not buy at any price"; ``other`` marks
    an "other, please specify" option whose text is kept; ``exclusive`` marks
    "none of these" in a multiple choice; ``aliases`` lists other spellings
    seen in exports.
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
        if v is not None and not _IDENT.match(v):
            raise ValueError(f"option name {v!r} must be a Python identifier (letters, digits, _)")
        return v

    @property
    def key(self) -> str:
        """Identifier used in column names and categorical values."""
        return self.name if self.name is not None else (
            str(self.code) if self.code >= 0 else f"m{-self.code}")


class Item(_Model):
    """One row of a grid (matrix) question."""

    id: str
    label: Label
    source: SourceSpec = None
    reverse: bool = False

    _source_ok = field_validator("source")(check_source)

    @field_validator("id")
    @classmethod
    def _id_is_identifier(cls, v: str) -> str:
        if not _IDENT.match(v):
            raise ValueError(f"item id {v!r} must be a Python identifier")
        return v


class Question(_Model):
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
        if not _IDENT.match(v):
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
        """``show_if`` as readable text (``q3 in [1, 2] and q4 not in [9]``)."""
        return " and ".join(c.describe(k) for k, c in (self.show_if or {}).items())

    @property
    def ordered(self) -> bool:
        """Whether the options are ordered (Likert, grids, ladders, cards)."""
        return self.type in ORDERED_TYPES

    def option(self, code: int) -> Option:
        """The option with ``code``."""
        for o in self.options:
            if o.code == code:
                return o
        raise CodebookError(f"question has no option with code {code}", question=self.id,
                            hint=f"codes are {[o.code for o in self.options]}")

    def option_by_key(self, key: str) -> Option:
        """The option whose name (key) is ``key``."""
        for o in self.options:
            if o.key == key:
                return o
        raise CodebookError(f"question has no option named {key!r}", question=self.id,
                            hint=f"names are {[o.key for o in self.options]}")

    def has_other(self) -> bool:
        """Whether an "other, please specify" text is collected."""
        return self.other_text is not None or any(o.other for o in self.options)

    def columns(self) -> list[str]:
        """Output columns in the tidy frame (see module docstring)."""
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
        """Map option keys (the categorical values) to labels in ``language``."""
        return {o.key: o.label.get(language) for o in self.options}

    def intervals(self) -> pd.DataFrame:
        """Interval ``[lower, upper]`` implied by each option of a ladder or card.

        For a ``price_ladder`` with ``convention: highest_accepted`` a chosen
        rung ``c`` means the maximum acceptable ratio lies in ``[c, next rung)``;
        with ``upper_bound`` it lies in ``(previous rung, c]``.  "Never" options
        get ``[0, lowest rung)`` and ``never=True`` so models can treat them as
        a separate (hurdle) group.
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


class RespondentSpec(_Model):
    """Source columns of the respondent metadata (all optional; per platform allowed)."""

    id: SourceSpec = None
    duration: SourceSpec = None
    duration_unit: Literal["seconds", "minutes"] = "seconds"
    submitted: SourceSpec = None
    started: SourceSpec = None
    ip: SourceSpec = None

    _sources_ok = field_validator("id", "duration", "submitted", "started", "ip")(check_source)


class PersonalColumn(_Model):
    """A source column holding personal data, dropped or salted-hashed on ingest."""

    column: str
    action: Literal["drop", "hash"] = "drop"


class SpeederRule(_Model):
    fraction_of_median: float = Field(default=1 / 3, gt=0, lt=1)
    min_seconds: float | None = None
    action: Action = "exclude"


class AttentionCheck(_Model):
    """An instructed-response item; ``item`` targets one row of a grid question."""

    question: str
    correct: tuple[int, ...]
    item: str | None = None
    action: Action = "exclude"


class StraightLineRule(_Model):
    grid: str
    min_run: int | None = None  # None = every item identical
    action: Action = "exclude"


class DuplicateRules(_Model):
    # Repeated respondent ids usually mean two files were merged twice: fail by default.
    ids: Literal["error", "exclude", "flag"] = "error"
    answers: Action = "flag"
    ip: Action = "flag"


class Screening(_Model):
    """Screening rules applied by :func:`analysis.clean`."""

    speeders: SpeederRule | None = SpeederRule()
    attention_checks: tuple[AttentionCheck, ...] = ()
    straightlining: tuple[StraightLineRule, ...] = ()
    duplicates: DuplicateRules = DuplicateRules()
    consistency: Action = "exclude"


class Derived(_Model):
    """A variable computed from a question's options, e.g. province -> region.

    ``map`` sends each option key of ``source`` to a level of the new
    variable; ``labels`` gives the levels' bilingual labels (their order is
    the categorical order).
    """

    id: str
    source: str
    map: dict[str, str]
    labels: dict[str, Label]

    @model_validator(mode="after")
    def _levels_labelled(self) -> Derived:
        missing = sorted(set(self.map.values()) - set(self.labels))
        if missing:
            raise ValueError(f"derived {self.id!r}: levels {missing} have no label")
        return self


class Fieldwork(_Model):
    start: date | None = None
    end: date | None = None
    mode: str | None = None


class Disclosure(_Model):
    suppress_below: int = 30
    flag_below: int = 50


class WeightingSpec(_Model):
    variables: tuple[str, ...] = ()
    targets: str = "targets.yaml"
    method: Literal["rake", "poststratify", "calibrate"] = "rake"
    trim: tuple[float | None, float | None] | None = None


class Codebook(_Model):
    """A validated ``survey.yaml``; see the module docstring for the column scheme."""

    wave: str
    title: Label
    synthetic: bool = False
    language: Literal["zh", "en"] = "zh"
    platform: Literal["auto", "wjx", "qualtrics", "spss", "stata", "generic"] = "auto"
    mode: Literal["auto", "text", "code"] = "auto"
    raw: str | None = None
    encoding: str = "auto"
    fieldwork: Fieldwork = Fieldwork()
    respondent: RespondentSpec = RespondentSpec()
    personal: tuple[PersonalColumn, ...] = ()
    scan_free_text: bool = True
    missing_codes: dict[int | str, MissingKind] = Field(
        default_factory=lambda: dict[int | str, MissingKind]({-3: "skipped", -2: "not_asked"}))
    strict: bool = False
    questions: tuple[Question, ...]
    derived: tuple[Derived, ...] = ()
    ignore: tuple[str, ...] = ()
    screening: Screening = Screening()
    weighting: WeightingSpec = WeightingSpec()
    disclosure: Disclosure = Disclosure()
    analysis: AnalysisRoles = AnalysisRoles()  # report roles: see analysis._codebook_roles
    path: Path | None = Field(default=None, exclude=True)

    _missing_ok = field_validator("missing_codes", mode="before")(missing_keys)

    @model_validator(mode="after")
    def _check_references(self) -> Codebook:
        # Messages start with "@path:" so the loader can cite the YAML line.
        ids = [q.id for q in self.questions]
        for i, qid in enumerate(ids):
            if qid in ids[:i]:
                raise ValueError(f"@questions.{i}.id: question id {qid!r} repeats")
        known = {q.id: q for q in self.questions}
        for i, q in enumerate(self.questions):
            for ref, cond in (q.show_if or {}).items():
                if ref not in known:
                    raise ValueError(f"@questions.{i}.show_if: question {q.id!r} is routed on "
                                     f"unknown question {ref!r}")
                valid = {o.code for o in known[ref].options}
                bad = [c for c in cond.values if valid and cond.membership and c not in valid]
                if bad:
                    raise ValueError(f"@questions.{i}.show_if: codes {bad} are not options of {ref!r}")
        for i, chk in enumerate(self.screening.attention_checks):
            if chk.question not in known:
                raise ValueError(f"@screening.attention_checks.{i}: unknown question {chk.question!r}")
            valid = {o.code for o in known[chk.question].options}
            if valid and not set(chk.correct) <= valid:
                raise ValueError(f"@screening.attention_checks.{i}: correct codes {list(chk.correct)} "
                                 f"are not options of {chk.question!r}")
            items = {it.id for it in known[chk.question].items}
            if chk.item is not None and chk.item not in items:
                raise ValueError(f"@screening.attention_checks.{i}.item: {chk.item!r} is not a row of "
                                 f"grid {chk.question!r} (rows: {sorted(items)})")
        for i, rule in enumerate(self.screening.straightlining):
            if rule.grid not in known or known[rule.grid].type != "grid":
                raise ValueError(f"@screening.straightlining.{i}: {rule.grid!r} is not a grid question")
        for i, d in enumerate(self.derived):
            if d.id in known:
                raise ValueError(f"@derived.{i}.id: {d.id!r} is also a question id")
            if d.source not in known:
                raise ValueError(f"@derived.{i}.source: unknown question {d.source!r}")
            keys = {o.key for o in known[d.source].options}
            unmapped = sorted(keys - set(d.map))
            unknown = sorted(set(d.map) - keys)
            if unknown or unmapped:
                raise ValueError(f"@derived.{i}.map: keys {unknown} are not options of "
                                 f"{d.source!r}; options {unmapped} are not mapped")
        variables = set(known) | {d.id for d in self.derived}
        for i, v in enumerate(self.weighting.variables):
            if v not in variables:
                raise ValueError(f"@weighting.variables.{i}: {v!r} is not a question or derived id")
        check_roles(self.analysis, known, {d.id for d in self.derived})
        return self

    def __iter__(self) -> Iterator[Question]:  # type: ignore[override]
        return iter(self.questions)

    def question(self, qid: str) -> Question:
        """The question with id ``qid``."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise CodebookError(f"no question {qid!r} in the codebook", question=qid,
                            file=self.path, hint=f"known ids: {[q.id for q in self.questions]}")

    def missing_kind(self, question: Question, code: int | str) -> MissingKind | None:
        """What a special code means for ``question`` (question overrides wave default)."""
        return self.missing_table(question).get(missing_key(code))

    def missing_table(self, question: Question) -> dict[int | str, MissingKind]:
        """The special values of ``question``: its ``missing`` or the wave's ``missing_codes``."""
        return question.missing if question.missing is not None else self.missing_codes

    def for_platform(self, platform: str, present: Any = None) -> Codebook:
        """Resolve every source for ``platform`` (:func:`resolve_sources`).

        Parameters
        ----------
        platform : str
            ``"wjx"``, ``"qualtrics"``, ``"spss"``, ``"stata"`` or ``"generic"``.
        present : callable, optional
            ``name -> bool``: whether the export holds ``name`` (first present
            alternative of a list wins; default the first).

        Returns
        -------
        Codebook
            Sources are single names (or None = the id).
        """
        return resolve_sources(self, platform, present)

    def columns(self) -> list[str]:
        """All question and derived output columns, in questionnaire order."""
        return [c for q in self.questions for c in q.columns()] + [d.id for d in self.derived]

    def personal_columns(self) -> list[str | int]:
        """Source columns that hold personal data (including the IP column)."""
        cols: list[str | int] = [p.column for p in self.personal]
        ip = self.respondent.ip
        if isinstance(ip, (dict, tuple)):  # per-platform alternatives: no one column to name
            raise CodebookError("the respondent IP source is not resolved for a platform",
                                file=self.path, hint="resolve it with Codebook.for_platform()")
        if ip and ip not in cols:
            cols.append(ip)
        return cols

    def to_json(self) -> str:
        """Serialise (for ``DataFrame.attrs['codebook_json']``)."""
        return self.model_dump_json()

    @classmethod
    def from_frame(cls, data: pd.DataFrame) -> Codebook:
        """The codebook a reader attached to ``data`` (``attrs['codebook_json']``)."""
        text = data.attrs.get("codebook_json")
        if not text:
            raise CodebookError("the frame carries no codebook",
                                hint="pass codebook= explicitly or load the data with analysis.load_wave")
        return _codebook_from_json(text)

    @property
    def folder(self) -> Path | None:
        """The wave folder (the codebook's directory), if loaded from disk."""
        return None if self.path is None else self.path.parent


@functools.lru_cache(maxsize=32)
def _codebook_from_json(text: str) -> Codebook:
    """Parse a frame's codebook once: every later call with the same text shares it (frozen)."""
    return Codebook.model_validate_json(text)


def _raise_validation(exc: ValidationError, lines: LineMap, path: Path,
                      error: type[CodebookError] = CodebookError) -> None:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # pydantic adds the union member name (e.g. "str") to loc; drop non-path parts.
    clean: list[Any] = []
    for p in loc:
        if isinstance(p, str) and p in ("str", "int", "float", "bool", "tuple[float, float]"):
            continue
        clean.append(p)
    msg = err["msg"].removeprefix("Value error, ")
    marked = re.match(r"@([^:]+): (.*)", msg, flags=re.S)
    if marked:
        clean = [int(p) if p.isdigit() else p for p in marked.group(1).split(".")]
        msg = marked.group(2)
    where = ".".join(str(p) for p in clean) or "(top level)"
    raise error(f"invalid codebook entry at {where}: {msg}", file=path,
                line=line_of(lines, tuple(clean)),
                hint=guide_hint(clean, issubclass(error, TargetsError))) from None


def load_codebook(path: str | Path) -> Codebook:
    """Load and validate a codebook.

    Parameters
    ----------
    path : str or Path
        ``survey.yaml`` itself or the wave folder that holds it.

    Returns
    -------
    Codebook

    Raises
    ------
    MissingFileError, CodebookError, UnknownQuestionTypeError
        With the YAML file and line of the problem.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "survey.yaml"
    data, lines = load_yaml_with_lines(path)
    if not isinstance(data, dict):
        raise CodebookError("codebook must be a YAML mapping", file=path, line=1)
    for i, q in enumerate(data.get("questions") or []):
        if isinstance(q, dict) and "type" in q and q["type"] not in QUESTION_TYPES:
            raise UnknownQuestionTypeError(
                f"unknown question type {q['type']!r}", file=path,
                line=line_of(lines, ("questions", i, "type")), question=q.get("id"),
                hint=f"use one of {list(QUESTION_TYPES)}; see docs/codebook.md#questions")
    try:
        cb = Codebook.model_validate({**data, "path": path.resolve()})
    except ValidationError as exc:
        _raise_validation(exc, lines, path)
    return cb


class Margin(_Model):
    """Population distribution of one weighting variable.

    ``levels`` are shares adding to 1 or 100 (within
    :data:`analysis._shares.SHARE_SUM_TOLERANCE`) or population counts.
    ``normalize: true`` is the explicit opt-in to rescale a margin whose
    shares do not add up (e.g. to 95 because a level was left out); the
    weighting diagnostics report it.
    """

    levels: dict[str, float]
    source: str
    note: str | None = None
    normalize: bool = False

    @field_validator("levels", mode="before")
    @classmethod
    def _keys_to_str(cls, v: Any) -> Any:
        return {str(k): x for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("levels")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: x for k, x in v.items() if not x >= 0}
        if bad:
            raise ValueError(f"margin levels must be non-negative numbers, got {bad}")
        if sum(v.values()) <= 0:
            raise ValueError("margin levels sum to zero")
        return v

    def shares(self) -> pd.Series:
        """Levels as shares summing to 1."""
        s = pd.Series(self.levels, dtype="float64")
        return s / s.sum()


class Targets(_Model):
    """Population margins for weighting (``surveys/<wave>/targets.yaml``).

    Checked when built (:func:`analysis._shares.check_margin_sums`): the
    margins are shares adding to 1 or 100 within the tolerance, or counts;
    a level that looks typed on the other scale (``male: 0.512`` among
    percentages) or a share margin adding to, say, 95 is an error unless the
    margin sets ``normalize: true``.
    """

    population: str
    total: float | None = None
    margins: dict[str, Margin]
    path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _check_sums(self) -> Targets:
        check_margin_sums({k: m.levels for k, m in self.margins.items()}, self._normalized())
        return self

    def _normalized(self) -> set[str]:
        return {k for k, m in self.margins.items() if m.normalize}

    def scaling_notes(self) -> list[str]:
        """Margins rescaled by ``normalize`` or within the tolerance, for the diagnostics."""
        return check_margin_sums({k: m.levels for k, m in self.margins.items()},
                                 self._normalized())[1]

    def as_margins(self, scale: float | None = None) -> dict[str, pd.Series]:
        """``{column: Series(level -> share or count)}`` for :meth:`SurveyDesign.rake`.

        Parameters
        ----------
        scale : float, optional
            Multiply shares by this total (e.g. the sample's weight sum).
            Defaults to shares summing to 1.
        """
        return {k: m.shares() * (scale if scale is not None else 1.0) for k, m in self.margins.items()}

    def check(self, data: pd.DataFrame) -> None:
        """Raise :class:`TargetsError` if a margin's column or levels do not match ``data``."""
        for var, margin in self.margins.items():
            if var not in data.columns:
                raise TargetsError(f"targets name a variable absent from the data: {var!r}",
                                   file=self.path, column=var,
                                   hint="rename the margin or derive the column before weighting")
            present = set(data[var].dropna().astype(str).unique())
            absent = [lv for lv in margin.levels if lv not in present and margin.levels[lv] > 0]
            if absent:
                raise TargetsError(f"target levels {absent} of {var!r} do not occur in the data",
                                   file=self.path, column=var, level=absent[0],
                                   hint=f"levels in the data are {sorted(present)}")
            extra = sorted(present - set(margin.levels))
            if extra:
                raise TargetsError(f"data levels {extra} of {var!r} have no population target",
                                   file=self.path, column=var, level=extra[0],
                                   hint="add them to targets.yaml or collapse them in the data")


def load_targets(path: str | Path) -> Targets:
    """Load and validate ``targets.yaml`` (a file or the wave folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "targets.yaml"
    data, lines = load_yaml_with_lines(path, error=TargetsError)  # type: ignore[arg-type]
    try:
        return Targets.model_validate({**data, "path": path.resolve()})
    except ValidationError as exc:
        cause = (exc.errors()[0].get("ctx") or {}).get("error")
        if isinstance(cause, TargetsError):  # a sum check: cite the margin's (or level's) line
            loc: tuple[Any, ...] = ("margins", cause.column, "levels")
            if cause.level is not None and (*loc, cause.level) in lines:
                loc = (*loc, cause.level)
            raise TargetsError(cause.message, file=path, line=line_of(lines, loc),
                               column=cause.column, level=cause.level,
                               hint=cause.hint) from None
        _raise_validation(exc, lines, path, error=TargetsError)  # type: ignore[arg-type]
    raise AssertionError("unreachable")
