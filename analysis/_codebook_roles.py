"""Analysis roles of a codebook: the ``analysis:`` section of ``survey.yaml``.

The report's generic chapters (cleaning, weighting, topline, banner tables,
methods) need only the questions.  The mission chapters need to know which
question plays which part: the purchase outcome, the barriers question, the
attitude items, the price-premium questions, the second-hand discount ladder.
A wave declares them once::

    analysis:
      banner: [sex, age_band]          # subgroups across banner tables
                                       #   (default: the weighting variables)
      outcome: purchased               # a single-choice behaviour question
      outcome_level: 'yes'             # the option counted as "did it"
                                       #   (default: option 'yes', else the first)
      barriers: barriers               # a select-all question of barriers
      attitudes: [attitudes]           # grid or Likert attitude questions
      controls: [sex, age_band, city_tier]   # covariates of the driver model
      premium:
        payment_card: premium_card     # a payment_card question
        dc: premium_dc                 # a dc_bid question
        van_westendorp:                # four numeric price questions
          too_cheap: vw_too_cheap
          cheap: vw_cheap
          expensive: vw_expensive
          too_expensive: vw_too_expensive
      second_hand: secondhand          # a price_ladder question (or a list)

Every entry is optional.  Each id must name a question of a type fit for the
role (or, for ``banner`` and ``controls``, a ``derived`` variable); anything
else is a :class:`~analysis.errors.CodebookError` citing the YAML line.  A
role given as a single id or a list is stored as a tuple where a list is
allowed.  This module is on the ground floor: it validates against the
questions passed in (:func:`check_roles`) and imports nothing of the codebook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["ROLE_TYPES", "VanWestendorpRoles", "PremiumRoles", "AnalysisRoles", "check_roles"]

# Question types each role accepts; "derived" marks roles that also take a derived variable.
ROLE_TYPES: dict[str, tuple[str, ...]] = {
    "banner": ("single", "likert", "price_ladder", "payment_card", "derived"),
    "outcome": ("single",),
    "barriers": ("multiple",),
    "attitudes": ("grid", "likert"),
    "controls": ("single", "likert", "numeric", "derived"),
    "premium.payment_card": ("payment_card",),
    "premium.dc": ("dc_bid",),
    "premium.van_westendorp": ("numeric",),
    "second_hand": ("price_ladder",),
}


class _QuestionLike(Protocol):
    # Read-only: a frozen Question (its type a Literal) matches only read-only members.
    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def options(self) -> Any: ...


class _Roles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_tuple(value: Any) -> Any:
    """A single id where a list is allowed reads as a one-element list."""
    return (value,) if isinstance(value, str) else value


class VanWestendorpRoles(_Roles):
    """The four price-sensitivity questions of a Van Westendorp block (numeric ids).

    Parameters
    ----------
    too_cheap : str
        "At what price would it be so cheap you would doubt its quality?" question.
    cheap : str
        "At what price would it be a bargain?" question.
    expensive : str
        "At what price would it start to seem expensive?" question.
    too_expensive : str
        "At what price would it be too expensive to consider?" question.
    """

    too_cheap: str
    cheap: str
    expensive: str
    too_expensive: str


class PremiumRoles(_Roles):
    """Price-premium questions: a payment card, a double-bounded bid, a Van Westendorp block.

    Parameters
    ----------
    payment_card : str, optional
        A ``payment_card`` question (interval-censored willingness to pay).
    dc : str, optional
        A ``dc_bid`` question (dichotomous choice, single or double bounded).
    van_westendorp : VanWestendorpRoles, optional
        The four numeric questions of a price-sensitivity meter.
    """

    payment_card: str | None = None
    dc: str | None = None
    van_westendorp: VanWestendorpRoles | None = None

    @property
    def declared(self) -> bool:
        """Whether any premium question is declared."""
        return bool(self.payment_card or self.dc or self.van_westendorp)


class AnalysisRoles(_Roles):
    """The ``analysis:`` section: which question plays which part in the report.

    Parameters
    ----------
    banner : tuple of str or None
        Subgroup variables across banner tables; ``None`` (not given) means
        the weighting variables, ``[]`` means no banner.
    outcome : str or None
        Single-choice behaviour question (barriers and drivers chapter).
    outcome_level : str or None
        Option key counted as the behaviour; default ``yes`` if an option is
        so named, else the first option.
    barriers : str or None
        Select-all question of barriers.
    attitudes : tuple of str
        Grid (mean score) or Likert attitude questions.
    controls : tuple of str
        Covariates of the driver model (questions or derived variables).
    premium : PremiumRoles
        Price-premium questions.
    second_hand : tuple of str
        Discount-ladder questions (price_ladder).
    """

    banner: tuple[str, ...] | None = None
    outcome: str | None = None
    outcome_level: str | None = None
    barriers: str | None = None
    attitudes: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    premium: PremiumRoles = PremiumRoles()
    second_hand: tuple[str, ...] = ()

    _lists = field_validator("banner", "attitudes", "controls", "second_hand",
                             mode="before")(_as_tuple)

    def entries(self) -> list[tuple[str, str, str]]:
        """Every declared id, for validation and listing.

        Returns
        -------
        list of tuple
            ``(yaml path, role, question id)``, e.g.
            ``("analysis.controls.1", "controls", "age_band")``.
        """
        out: list[tuple[str, str, str]] = []
        for role in ("banner", "attitudes", "controls", "second_hand"):
            out += [(f"analysis.{role}.{i}", role, v) for i, v in enumerate(getattr(self, role) or ())]
        for role in ("outcome", "barriers"):
            if getattr(self, role):
                out.append((f"analysis.{role}", role, getattr(self, role)))
        for role in ("payment_card", "dc"):
            if getattr(self.premium, role):
                out.append((f"analysis.premium.{role}", f"premium.{role}", getattr(self.premium, role)))
        if self.premium.van_westendorp is not None:
            for key, qid in self.premium.van_westendorp.model_dump().items():
                out.append((f"analysis.premium.van_westendorp.{key}", "premium.van_westendorp", qid))
        return out


def check_roles(roles: AnalysisRoles, questions: Mapping[str, _QuestionLike],
                derived: set[str]) -> None:
    """Check that every role names a question of a fitting type.

    Parameters
    ----------
    roles : AnalysisRoles
        The parsed ``analysis:`` section.
    questions : mapping
        Question id -> question (anything with ``id``, ``type``, ``options``).
    derived : set of str
        Ids of the codebook's derived variables.

    Raises
    ------
    ValueError
        With a message starting ``@analysis.<role>:`` so the codebook loader
        cites the YAML line.
    """
    for where, role, qid in roles.entries():
        allowed = ROLE_TYPES[role]
        if qid in derived:
            if "derived" in allowed:
                continue
            raise ValueError(f"@{where}: {qid!r} is a derived variable; the {role} role needs a "
                             f"question of type {' or '.join(allowed)}")
        if qid not in questions:
            raise ValueError(f"@{where}: the {role} role names {qid!r}, which is not a question "
                             f"id{' or derived variable' if 'derived' in allowed else ''}")
        qtype = questions[qid].type
        if qtype not in allowed:
            kinds = " or ".join(a for a in allowed if a != "derived")
            raise ValueError(f"@{where}: the {role} role needs a {kinds} question; "
                             f"{qid!r} is {qtype}")
    if roles.outcome and roles.outcome_level:
        keys = [getattr(o, "key", None) for o in questions[roles.outcome].options]
        if roles.outcome_level not in keys:
            raise ValueError(f"@analysis.outcome_level: {roles.outcome_level!r} is not an option "
                             f"of {roles.outcome!r} (options: {keys})")
    if roles.outcome_level and not roles.outcome:
        raise ValueError("@analysis.outcome_level: outcome_level needs an outcome question")
