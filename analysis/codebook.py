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
)
from ._codebook_question import (
    QUESTION_TYPES,
    CodebookModel,
    Item,
    Label,
    Option,
    Question,
)
from ._codebook_roles import AnalysisRoles, check_roles
from ._shares import check_margin_sums
from ._yaml import LineMap, line_of, load_yaml_with_lines
from .errors import CodebookError, TargetsError, UnknownQuestionTypeError

__all__ = [
    "QUESTION_TYPES", "Label", "Option", "Item", "Question", "Screening",
    "Codebook", "Condition", "Margin", "Targets", "load_codebook", "load_targets", "missing_column",
]

Action = Literal["exclude", "flag"]


def missing_column(question_id: str) -> str:
    """Name of the column that records why ``question_id`` is missing.

    Parameters
    ----------
    question_id : str
        A question id (or output column) of the codebook.

    Returns
    -------
    str
        ``"<question_id>__missing"``.
    """
    return f"{question_id}__missing"


class RespondentSpec(CodebookModel):
    """Source columns of the respondent metadata (all optional; per platform allowed)."""

    id: SourceSpec = None
    duration: SourceSpec = None
    duration_unit: Literal["seconds", "minutes"] = "seconds"
    submitted: SourceSpec = None
    started: SourceSpec = None
    ip: SourceSpec = None

    _sources_ok = field_validator("id", "duration", "submitted", "started", "ip")(check_source)


class PersonalColumn(CodebookModel):
    """A source column holding personal data, dropped or salted-hashed on ingest."""

    column: str
    action: Literal["drop", "hash"] = "drop"


class SpeederRule(CodebookModel):
    fraction_of_median: float = Field(default=1 / 3, gt=0, lt=1)
    min_seconds: float | None = None
    action: Action = "exclude"


class AttentionCheck(CodebookModel):
    """An instructed-response item; ``item`` targets one row of a grid question."""

    question: str
    correct: tuple[int, ...]
    item: str | None = None
    action: Action = "exclude"


class StraightLineRule(CodebookModel):
    grid: str
    min_run: int | None = None  # None = every item identical
    action: Action = "exclude"


class DuplicateRules(CodebookModel):
    # Repeated respondent ids usually mean two files were merged twice: fail by default.
    ids: Literal["error", "exclude", "flag"] = "error"
    answers: Action = "flag"
    ip: Action = "flag"


class Screening(CodebookModel):
    """Screening rules applied by :func:`analysis.clean`.

    Attributes
    ----------
    speeders : SpeederRule or None
        Completion-time rule; None switches the speeder check off.
    attention_checks : tuple of AttentionCheck
        Questions (or grid items) with a required answer.
    straightlining : tuple of StraightLineRule
        Grids on which identical answers in every row are flagged.
    duplicates : DuplicateRules
        How duplicate respondents are found.
    consistency : {"exclude", "flag"}
        What happens to respondents who break a consistency rule.
    """

    speeders: SpeederRule | None = SpeederRule()
    attention_checks: tuple[AttentionCheck, ...] = ()
    straightlining: tuple[StraightLineRule, ...] = ()
    duplicates: DuplicateRules = DuplicateRules()
    consistency: Action = "exclude"


class Derived(CodebookModel):
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


class Fieldwork(CodebookModel):
    start: date | None = None
    end: date | None = None
    mode: str | None = None


class Disclosure(CodebookModel):
    suppress_below: int = 30
    flag_below: int = 50


class WeightingSpec(CodebookModel):
    variables: tuple[str, ...] = ()
    targets: str = "targets.yaml"
    method: Literal["rake", "poststratify", "calibrate"] = "rake"
    trim: tuple[float | None, float | None] | None = None


class Codebook(CodebookModel):
    """A validated ``survey.yaml``; see the module docstring for the column scheme.

    Attributes
    ----------
    wave : str
        Wave identifier.
    title : Label
        Survey title.
    synthetic : bool
        Whether the wave holds generated (not real) respondents.
    language : {"zh", "en"}
        Language of the export's option texts and of the report.
    platform : {"auto", "wjx", "qualtrics", "spss", "stata", "generic"}
        Export platform; ``"auto"`` detects it from the file.
    mode : {"auto", "text", "code"}
        Whether answers are exported as option texts or codes.
    raw : str or None
        Raw export file name inside the wave folder.
    encoding : str
        Text encoding of the export (``"auto"`` detects it).
    fieldwork : Fieldwork
        Fieldwork dates and mode.
    respondent : RespondentSpec
        Respondent metadata columns (id, times, IP, ...).
    personal : tuple of PersonalColumn
        Columns holding personal data and what to do with them.
    scan_free_text : bool
        Whether free-text answers are scanned for personal data.
    missing_codes : dict
        Wave-wide special values -> missing kinds (a question's ``missing``
        overrides them).
    strict : bool
        Turn every load-time data warning into an error.
    questions : tuple of Question
        The questionnaire, in order.
    derived : tuple of Derived
        Variables computed from a question's options.
    ignore : tuple of str
        Export columns to drop without a warning.
    screening : Screening
        Screening rules applied by :func:`analysis.clean`.
    weighting : WeightingSpec
        Weighting variables, targets file, method and trimming.
    disclosure : Disclosure
        Cell sizes below which estimates are suppressed or flagged.
    analysis : AnalysisRoles
        Which questions play the report's roles.
    path : Path or None
        The ``survey.yaml`` this was loaded from (not serialised).
    """

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
        """The question with id ``qid``.

        Parameters
        ----------
        qid : str
            Question id.

        Returns
        -------
        Question
            The question.

        Raises
        ------
        CodebookError
            If no question has that id.
        """
        for q in self.questions:
            if q.id == qid:
                return q
        raise CodebookError(f"no question {qid!r} in the codebook", question=qid,
                            file=self.path, hint=f"known ids: {[q.id for q in self.questions]}")

    def missing_kind(self, question: Question, code: int | str) -> MissingKind | None:
        """What a special code means for ``question`` (question overrides wave default).

        Parameters
        ----------
        question : Question
            The question the value belongs to.
        code : int or str
            The special value (code, or text such as Stata ``.a``).

        Returns
        -------
        str or None
            The missing kind, or None if ``code`` is an ordinary answer.
        """
        return self.missing_table(question).get(missing_key(code))

    def missing_table(self, question: Question) -> dict[int | str, MissingKind]:
        """The special values of ``question``: its ``missing`` or the wave's ``missing_codes``.

        Parameters
        ----------
        question : Question
            The question.

        Returns
        -------
        dict
            Special value -> missing kind.
        """
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
        """All question and derived output columns, in questionnaire order.

        Returns
        -------
        list of str
            Column names of the tidy frame (without respondent metadata).
        """
        return [c for q in self.questions for c in q.columns()] + [d.id for d in self.derived]

    def personal_columns(self) -> list[str | int]:
        """Source columns that hold personal data (including the IP column).

        Returns
        -------
        list of str or int
            Column names (or positions) in the raw export.

        Raises
        ------
        CodebookError
            If a source is still unresolved (per-platform mapping).
        """
        cols: list[str | int] = [p.column for p in self.personal]
        ip = self.respondent.ip
        if isinstance(ip, (dict, tuple)):  # per-platform alternatives: no one column to name
            raise CodebookError("the respondent IP source is not resolved for a platform",
                                file=self.path, hint="resolve it with Codebook.for_platform()")
        if ip and ip not in cols:
            cols.append(ip)
        return cols

    def to_json(self) -> str:
        """Serialise (for ``DataFrame.attrs['codebook_json']``).

        Returns
        -------
        str
            The codebook as JSON (without its path).
        """
        return self.model_dump_json()

    @classmethod
    def from_frame(cls, data: pd.DataFrame) -> Codebook:
        """The codebook a reader attached to ``data`` (``attrs['codebook_json']``).

        Parameters
        ----------
        data : DataFrame
            A frame read by :func:`analysis.load_wave` (or any reader).

        Returns
        -------
        Codebook
            The attached codebook (parsed once per text and shared).

        Raises
        ------
        CodebookError
            If ``data`` carries no codebook.
        """
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
        The validated codebook, with ``path`` set.

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


class Margin(CodebookModel):
    """Population distribution of one weighting variable.

    ``levels`` are shares adding to 1 or 100 (within
    :data:`analysis._shares.SHARE_SUM_TOLERANCE`) or population counts.
    ``normalize: true`` is the explicit opt-in to rescale a margin whose
    shares do not add up (e.g. to 95 because a level was left out); the
    weighting diagnostics report it.

    Attributes
    ----------
    levels : dict of str to float
        Level -> share or population count (non-negative).
    source : str
        Where the figures come from (census table, year).
    note : str or None
        Free-text note for the diagnostics.
    normalize : bool
        Rescale shares that do not add up to 1 or 100.
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
        """Return the levels as shares summing to 1.

        Returns
        -------
        Series
            Level -> share.
        """
        s = pd.Series(self.levels, dtype="float64")
        return s / s.sum()


class Targets(CodebookModel):
    """Population margins for weighting (``surveys/<wave>/targets.yaml``).

    Checked when built (:func:`analysis._shares.check_margin_sums`): the
    margins are shares adding to 1 or 100 within the tolerance, or counts;
    a level that looks typed on the other scale (``male: 0.512`` among
    percentages) or a share margin adding to, say, 95 is an error unless the
    margin sets ``normalize: true``.

    Attributes
    ----------
    population : str
        Description of the target population.
    total : float or None
        Population size, if known.
    margins : dict of str to Margin
        Column -> its population distribution.
    path : Path or None
        The ``targets.yaml`` this was loaded from (not serialised).
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
        """List the margins rescaled by ``normalize`` or within the tolerance, for the diagnostics.

        Returns
        -------
        list of str
            One note per rescaled margin.
        """
        return check_margin_sums({k: m.levels for k, m in self.margins.items()},
                                 self._normalized())[1]

    def as_margins(self, scale: float | None = None) -> dict[str, pd.Series]:
        """``{column: Series(level -> share or count)}`` for :meth:`SurveyDesign.rake`.

        Parameters
        ----------
        scale : float, optional
            Multiply shares by this total (e.g. the sample's weight sum).
            Defaults to shares summing to 1.

        Returns
        -------
        dict of str to Series
            Column -> level shares (or counts).
        """
        return {k: m.shares() * (scale if scale is not None else 1.0) for k, m in self.margins.items()}

    def check(self, data: pd.DataFrame) -> None:
        """Raise :class:`TargetsError` if a margin's column or levels do not match ``data``.

        Parameters
        ----------
        data : DataFrame
            The frame to weight.

        Raises
        ------
        TargetsError
            A margin's column is missing, a level with a positive target is
            absent, or the data hold levels the margin lacks.
        """
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
    """Load and validate ``targets.yaml`` (a file or the wave folder holding it).

    Parameters
    ----------
    path : str or Path
        ``targets.yaml`` itself or the wave folder that holds it.

    Returns
    -------
    Targets
        The validated targets, with ``path`` set.

    Raises
    ------
    MissingFileError, TargetsError
        With the YAML file and line of the problem.
    """
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
