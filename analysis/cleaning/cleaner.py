"""Clean a tidy survey frame: validate, screen, scrub PII, account for everyone.

:func:`clean` takes the tidy frame from :mod:`analysis.ingest` and returns a
:class:`CleanResult` holding the kept respondents, an audit table with one
row per excluded/flagged respondent per rule hit, per changed value, per
redacted PII item and per dropped personal column, and a CONSORT-style
exclusion funnel.  The input frame is never modified and nothing is written
to disk.

Steps, in order (rule ids in brackets, see :data:`analysis.cleaning.screening.RULES`):

1. personal columns named by the codebook are dropped or salted-hashed
   [``personal_column``]; respondent ids that look like personal data are
   hashed too;
2. value checks set bad answers to NA and record why in ``<qid>__missing``:
   invalid codes [``invalid_code``], numbers outside their range
   [``out_of_range``], answers the routing should have hidden [``routing``];
3. respondent rules run on the checked values, each on the whole frame, and
   every hit is audited: [``duplicate_id``], [``speeder``],
   [``attention_check``], [``straightlining``], [``duplicate_answers``],
   [``duplicate_ip``], [``bid_sequence``], [``price_order``].  A respondent
   is excluded if any rule with action ``"exclude"`` caught them; the
   funnel and ``.excluded`` credit the *first* such rule in this order;
4. free text (text questions, other-specify texts, any other string
   column) is scanned for personal data and redacted [``pii_text``].

The invariant ``n_in == n_kept + n_excluded`` (and the funnel summing to it)
is checked before the result is returned.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from .. import pii
from ..codebook import Codebook, DuplicateRules, Screening, missing_column
from ..errors import CleaningInvariantError, DataQualityWarning, SurveyError
from .audit import (
    audit_frame,
    build_funnel,
    empty_audit,
    format_values,
    render_funnel,
    scrub_audit,
)
from .screening import (
    FUNNEL_ORDER,
    RULES,
    Hit,
    ScreenContext,
    detect_psm,
    submission_order,
)

__all__ = ["CleanResult", "clean"]

_RULE_INDEX = {r.id: i for i, r in enumerate(RULES)}
_LABELS = {r.id: r.label for r in RULES}
_META_COLUMNS = ("respondent_id", "source_row", "duration_s", "submitted_at", "started_at",
                 "ip_hash")


@dataclass(frozen=True, eq=False)  # eq=False: comparing DataFrames with == is ambiguous
class CleanResult:
    """Outcome of :func:`clean`.

    Attributes
    ----------
    data : pandas.DataFrame
        Kept respondents (``RangeIndex``), values checked, ``<qid>__missing``
        updated, free text scrubbed, personal columns dropped or hashed.
        ``attrs`` are those of the input.
    audit : pandas.DataFrame
        See :mod:`analysis.cleaning.audit` for the columns.  Holds no personal data.
        A respondent caught by several rules has several rows; count
        exclusions with :attr:`excluded` or :meth:`funnel`.
    excluded : pandas.DataFrame
        One row per excluded respondent, input order: ``respondent_id``,
        ``source_row``, ``rule`` (the first excluding rule in funnel order),
        ``question``, ``reason``.
    flags : pandas.DataFrame
        Aligned with :attr:`data` (same index): one boolean column per rule
        that ran with action ``"flag"``, True where that rule flagged the
        kept respondent.
    hits : pandas.DataFrame
        Indexed like the input: one boolean column per respondent rule that
        ran, True where it caught the respondent (whatever its action).
    settings : Screening
        The screening rules actually applied (codebook plus overrides).
    n_in : int
        Rows in the input.
    wave : str or None
        Wave name, shown in the funnel's title.
    """

    data: pd.DataFrame
    audit: pd.DataFrame
    excluded: pd.DataFrame
    flags: pd.DataFrame
    hits: pd.DataFrame
    settings: Screening
    n_in: int
    wave: str | None = None
    _funnel: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def n_kept(self) -> int:
        """Respondents kept."""
        return len(self.data)

    @property
    def n_excluded(self) -> int:
        """Respondents excluded."""
        return len(self.excluded)

    def funnel(self) -> pd.DataFrame:
        """The exclusion funnel (CONSORT style), in the fixed rule order.

        Returns
        -------
        pandas.DataFrame
            ``step``, ``rule``, ``label``, ``action`` (``"off"`` when the rule
            did not run), ``excluded`` (first excluded at this step),
            ``flagged`` (kept respondents flagged by the rule), ``remaining``.
            Step 0 is the input; ``excluded.sum() + n_kept == n_in``.
        """
        return self._funnel.copy()

    def funnel_text(self) -> str:
        """The funnel as an aligned text table (what ``greensurvey clean`` prints).

        Returns
        -------
        str
            Title line and one line per funnel step.
        """
        title = "Exclusion funnel" + (f" (wave {self.wave})" if self.wave else "")
        return render_funnel(self._funnel, title=title)

    def summary(self) -> str:
        """A few lines for the CLI: counts in, kept, excluded by rule, flags, edits.

        Returns
        -------
        str
            Two lines: responses in/kept/excluded by rule; flags and edits.
        """
        by_rule = self.excluded["rule"].value_counts()
        parts = [f"{r} {int(by_rule[r])}" for r in FUNNEL_ORDER if r in by_rule.index]
        actions = self.audit["action"].value_counts()
        pct = f" ({100 * self.n_kept / self.n_in:.1f}%)" if self.n_in else ""
        lines = [f"{self.n_in} responses in, {self.n_kept} kept{pct}, {self.n_excluded} excluded"
                 + (f" ({', '.join(parts)})" if parts else "")]
        flagged = int(self.flags.any(axis=1).sum()) if self.flags.shape[1] else 0
        lines.append(f"{flagged} kept respondents flagged; "
                     f"{int(actions.get('set_missing', 0))} values set to missing; "
                     f"{int(actions.get('redact', 0))} PII items redacted; "
                     f"{int(actions.get('drop_column', 0) + actions.get('hash_column', 0))} "
                     "personal columns dropped or hashed")
        return "\n".join(lines)


# ------------------------------------------------------------ configuration
_Model = TypeVar("_Model", bound=BaseModel)


def _validated(model: type[_Model], data: dict[str, Any], what: str) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise SurveyError(f"invalid {what}: {where}: {err['msg']}",
                          hint="see docs/codebook.md#screening for allowed values") from None


def _settings(codebook: Codebook, screening: Screening | None, speeder_fraction: float | None,
              min_seconds: float | None, speeders: str | None,
              duplicates: DuplicateRules | Mapping[str, str] | None,
              consistency: str | None) -> Screening:
    """The codebook's screening rules with keyword overrides applied."""
    base = screening if screening is not None else codebook.screening
    if not isinstance(base, Screening):
        raise TypeError(f"`screening` must be a Screening, not {type(base).__name__}")
    spec = base.model_dump()
    if speeders is not None and speeders not in ("exclude", "flag", "off"):
        raise SurveyError(f"`speeders` must be one of ['exclude', 'flag', 'off'], not {speeders!r}",
                          hint="pass speeders='flag' to keep speeders but flag them")
    if speeders == "off":
        spec["speeders"] = None
    elif speeders is not None or speeder_fraction is not None or min_seconds is not None:
        sp = dict(spec["speeders"] or {})
        if speeders is not None:
            sp["action"] = speeders
        if speeder_fraction is not None:
            sp["fraction_of_median"] = speeder_fraction
        if min_seconds is not None:
            sp["min_seconds"] = min_seconds
        spec["speeders"] = sp
    if duplicates is not None:
        if isinstance(duplicates, DuplicateRules):
            spec["duplicates"] = duplicates.model_dump()
        elif isinstance(duplicates, Mapping):
            spec["duplicates"] = {**spec["duplicates"], **dict(duplicates)}
        else:
            raise TypeError("`duplicates` must be a DuplicateRules or a mapping such as "
                            f"{{'ids': 'exclude'}}, not {type(duplicates).__name__}")
    if consistency is not None:
        spec["consistency"] = consistency
    return _validated(Screening, spec, "screening rules")


def _psm_sets(codebook: Codebook, psm: Sequence[Sequence[str]] | None,
              ) -> tuple[tuple[str, str, str, str], ...]:
    if psm is None:
        return detect_psm(codebook)
    sets: list[tuple[str, str, str, str]] = []
    for ids in psm:
        if isinstance(ids, str) or len(ids) != 4:
            raise SurveyError(f"each `psm` entry must list 4 question ids, got {ids!r}",
                              hint="psm=[('too_cheap', 'cheap', 'expensive', 'too_expensive')]")
        for qid in ids:
            codebook.question(qid)
        too_cheap, cheap, expensive, too_expensive = ids
        sets.append((too_cheap, cheap, expensive, too_expensive))
    return tuple(sets)


# --------------------------------------------------------------- PII steps
def _personal(work: pd.DataFrame, codebook: Codebook, salt: str | None,
              ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Drop or hash the codebook's personal columns (ingest should have done it)."""
    actions: dict[str | int, str] = {p.column: p.action for p in codebook.personal}
    rows = []
    for col in codebook.personal_columns():
        if col not in work.columns:
            continue
        is_ip = col == codebook.respondent.ip
        wanted = "hash" if is_ip else actions.get(col, "drop")
        if wanted == "hash" and salt is None:
            warnings.warn(f"personal column {col!r} is dropped instead of hashed: no salt given "
                          "(pass clean(salt=...) to hash it)", DataQualityWarning, stacklevel=3)
            # The audit is read outside Python too (greensurvey clean --audit): no API syntax.
            wanted, why = "drop", "personal column dropped (hashing needs a salt)"
        elif wanted == "hash":
            why = "personal column replaced by a salted hash"
        else:
            why = "personal column dropped"
        if wanted == "hash" and is_ip:
            target = "ip_hash" if "ip_hash" not in work.columns else None
            if target:
                work["ip_hash"] = pii.salted_hash(work[col], salt)  # type: ignore[arg-type]
                why = "raw IP column replaced by its salted hash in ip_hash"
            else:
                why = "raw IP column dropped (ip_hash already present)"
            work = work.drop(columns=[col])
            act = "hash_column" if target else "drop_column"
        elif wanted == "hash":
            work[col] = pii.salted_hash(work[col], salt)  # type: ignore[arg-type]
            act = "hash_column"
        else:
            work = work.drop(columns=[col])
            act = "drop_column"
        rows.append(audit_frame(respondent_id=None, source_row=None, rule="personal_column",
                                action=act, column=col, reason=why))
    ids = work["respondent_id"].astype("string")
    _, found = pii.scrub_text(ids)
    if len(found):
        if salt is None:
            raise SurveyError(
                f"{found['row'].nunique()} respondent id(s) look like personal data "
                f"({', '.join(sorted(set(found['kind'])))})", column="respondent_id",
                hint="pass clean(salt=...) to replace respondent ids by salted hashes")
        work["respondent_id"] = pii.salted_hash(ids, salt)
        rows.append(audit_frame(respondent_id=None, source_row=None, rule="personal_column",
                                action="hash_column", column="respondent_id",
                                reason="respondent ids hold personal data; replaced by salted "
                                       "hashes"))
    return work, rows


def _text_columns(work: pd.DataFrame, codebook: Codebook) -> list[str]:
    cols = [c for q in codebook.questions for c in q.columns()
            if (q.type == "text" and c == q.id) or c.endswith("_other_text")]
    for c in work.columns:
        if c in cols or c in _META_COLUMNS or isinstance(work[c].dtype, pd.CategoricalDtype):
            continue
        if pd.api.types.is_object_dtype(work[c]) or pd.api.types.is_string_dtype(work[c]):
            cols.append(c)
    return [c for c in cols if c in work.columns]


def _owners(codebook: Codebook) -> dict[str, str]:
    owner = {}
    for q in codebook.questions:
        for c in q.columns():
            owner[c] = q.id
        owner[missing_column(q.id)] = q.id
    return owner


def _scrub(work: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Redact personal data in every free-text column (rule ``pii_text``)."""
    owner = _owners(codebook)
    parts = []
    for col in _text_columns(work, codebook):
        scrubbed, report = pii.scrub_text(work[col])
        if not len(report):
            continue
        work[col] = scrubbed if pd.api.types.is_string_dtype(work[col]) else scrubbed.astype(object)
        pos = report["row"].to_numpy(dtype="int64")
        labels = report["kind"].map(pii.PII_LABELS)
        tags = report["kind"].map(pii.PII_TAGS)
        parts.append(audit_frame(
            respondent_id=work["respondent_id"].iloc[pos], source_row=work["source_row"].iloc[pos],
            rule="pii_text", action="redact", question=owner.get(col), column=col,
            old_value="[" + labels + "]", new_value=tags,
            reason=labels + " found in free text (count " + report["count"].astype("string")
            + "); replaced by " + tags).assign(_pos=pos))
    return work, parts


# ------------------------------------------------------------------- clean
def _hit_rows(work: pd.DataFrame, hit: Hit) -> pd.DataFrame:
    pos = np.flatnonzero(hit.mask)
    return audit_frame(respondent_id=work["respondent_id"].iloc[pos],
                       source_row=work["source_row"].iloc[pos], rule=hit.rule, action=hit.action,
                       question=hit.question, reason=hit.reason.loc[pos]).assign(_pos=pos)


def _change_rows(work: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    pos = changes["row"].to_numpy(dtype="int64")
    return audit_frame(respondent_id=work["respondent_id"].iloc[pos],
                       source_row=work["source_row"].iloc[pos], rule=changes["rule"],
                       action="set_missing", question=changes["question"],
                       column=changes["column"], old_value=format_values(changes["old_value"]),
                       new_value=changes["new_value"], reason=changes["reason"]).assign(_pos=pos)


def clean(data: pd.DataFrame, codebook: Codebook | None = None, *,
          screening: Screening | None = None, speeder_fraction: float | None = None,
          min_seconds: float | None = None, speeders: str | None = None,
          duplicates: DuplicateRules | Mapping[str, str] | None = None,
          consistency: str | None = None, psm: Sequence[Sequence[str]] | None = None,
          salt: str | None = None, scrub_text: bool | None = None) -> CleanResult:
    """Validate, screen and scrub a tidy survey frame.

    Parameters
    ----------
    data : pandas.DataFrame
        The tidy frame (see ``ARCHITECTURE.md``); needs ``respondent_id``.
        ``source_row`` defaults to the 1-based position when absent.
    codebook : Codebook, optional
        Defaults to the codebook the reader attached (``attrs["codebook_json"]``).
    screening : Screening, optional
        Replace the codebook's screening rules wholesale.
    speeder_fraction, min_seconds : float, optional
        Override ``screening.speeders.fraction_of_median`` / ``min_seconds``.
    speeders : {"exclude", "flag", "off"}, optional
        Override the speeder action (``"off"`` skips the rule).
    duplicates : DuplicateRules or mapping, optional
        Override duplicate handling, e.g. ``{"ids": "exclude", "ip": "flag"}``.
    consistency : {"exclude", "flag"}, optional
        Action for ``bid_sequence`` and ``price_order``.
    psm : sequence of 4-sequences, optional
        Van Westendorp question ids ``(too_cheap, cheap, expensive,
        too_expensive)``; default: detected by id suffix
        (:func:`analysis.cleaning.screening.detect_psm`).
    salt : str, optional
        Secret for salted hashes of personal columns marked ``hash``; without
        it such columns are dropped (with a :class:`DataQualityWarning`).
        Also needed when respondent ids look like personal data (they are
        then replaced by salted hashes).  Platform-generated ids (Qualtrics
        ``R_...``, 问卷星 序号) never do.  The ``greensurvey`` command passes
        ``--salt`` or the ``GREENSURVEY_SALT`` environment variable here;
        :func:`clean` itself reads no environment.
    scrub_text : bool, optional
        Scan free text for personal data; default ``codebook.scan_free_text``.

    Returns
    -------
    CleanResult
        The kept data with the audit, exclusions, flags and the funnel.

    Raises
    ------
    DuplicateIdError
        Respondent ids repeat and ``duplicates.ids`` is ``"error"``.
    SurveyError
        Bad overrides, a screening rule naming absent columns, respondent ids
        holding personal data without a ``salt``.

    Examples
    --------
    >>> result = clean(wave.data)                       # doctest: +SKIP
    >>> print(result.funnel_text())                     # doctest: +SKIP
    >>> result.audit.query("rule == 'speeder'")         # doctest: +SKIP
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, not {type(data).__name__}")
    if codebook is None:
        codebook = Codebook.from_frame(data)
    elif not isinstance(codebook, Codebook):
        raise TypeError(f"`codebook` must be a Codebook, not {type(codebook).__name__}")
    if "respondent_id" not in data.columns:
        raise SurveyError("the data has no respondent_id column", column="respondent_id",
                          hint="load the data with analysis.load_wave, which adds it")
    settings = _settings(codebook, screening, speeder_fraction, min_seconds, speeders,
                         duplicates, consistency)
    psm_sets = _psm_sets(codebook, psm)
    do_scrub = codebook.scan_free_text if scrub_text is None else bool(scrub_text)

    n_in = len(data)
    work = data.copy(deep=True).reset_index(drop=True)
    if "source_row" not in work.columns:
        work["source_row"] = pd.array(np.arange(1, n_in + 1), dtype="Int64")
    work, audit_parts = _personal(work, codebook, salt)
    row_parts: list[pd.DataFrame] = []

    ctx = ScreenContext(codebook=codebook, screening=settings, psm=psm_sets,
                        order=submission_order(work))
    hits: list[Hit] = []
    for rule in RULES:
        if rule.kind == "value" and rule.func is not None:
            work, changes = rule.func(work, ctx)
            if len(changes):
                row_parts.append(_change_rows(work, changes))
        elif rule.kind == "respondent" and rule.func is not None:
            hits.extend(rule.func(work, ctx))
    if do_scrub:
        work, pii_parts = _scrub(work, codebook)
        row_parts.extend(pii_parts)

    # First excluding rule per respondent, in funnel order (a loop over rules, not rows).
    first_rule = pd.Series(pd.NA, index=range(n_in), dtype="string")
    first_question = pd.Series(pd.NA, index=range(n_in), dtype="string")
    first_reason = pd.Series(pd.NA, index=range(n_in), dtype="string")
    for hit in hits:  # hits are already in funnel order
        if hit.action != "exclude":
            continue
        new = hit.mask & first_rule.isna().to_numpy()
        if new.any():
            first_rule[new] = hit.rule
            first_question[new] = hit.question
            first_reason[new] = hit.reason.loc[np.flatnonzero(new)].astype("string").array
    excluded_mask = first_rule.notna().to_numpy()
    kept_mask = ~excluded_mask

    ran = [r for r in FUNNEL_ORDER if any(h.rule == r for h in hits)]
    hit_table = pd.DataFrame({r: np.logical_or.reduce([h.mask for h in hits if h.rule == r])
                              for r in ran}, index=data.index, columns=ran)
    flag_rules = [r for r in ran if any(h.rule == r and h.action == "flag" for h in hits)]
    flags = pd.DataFrame({r: np.logical_or.reduce(
        [h.mask for h in hits if h.rule == r and h.action == "flag"])[kept_mask]
        for r in flag_rules}, index=pd.RangeIndex(int(kept_mask.sum())), columns=flag_rules)
    actions = {r: "/".join(sorted({h.action for h in hits if h.rule == r})) for r in ran}

    row_parts.extend(_hit_rows(work, h) for h in hits if h.mask.any())
    audit, audited = _assemble_audit(audit_parts, row_parts)

    kept = work.loc[kept_mask].reset_index(drop=True)
    kept.attrs = dict(data.attrs)
    excluded = pd.DataFrame({
        "respondent_id": work["respondent_id"].astype("string")[excluded_mask],
        "source_row": work["source_row"].astype("Int64")[excluded_mask],
        "rule": first_rule[excluded_mask], "question": first_question[excluded_mask],
        "reason": first_reason[excluded_mask]}).reset_index(drop=True)
    excluded["reason"], _ = pii.scrub_text(excluded["reason"])
    funnel = build_funnel(first_rule, FUNNEL_ORDER, labels=_LABELS, actions=actions,
                          flagged={r: int(flags[r].sum()) for r in flag_rules})
    result = CleanResult(data=kept, audit=audit, excluded=excluded, flags=flags, hits=hit_table,
                         settings=settings, n_in=n_in, wave=codebook.wave, _funnel=funnel)
    _check_invariant(result, excluded_mask, audited)
    return result


def _assemble_audit(column_parts: list[pd.DataFrame], row_parts: list[pd.DataFrame],
                    ) -> tuple[pd.DataFrame, np.ndarray]:
    """Column-level rows first, then by respondent (input order), then rule order.

    Also returns the input positions that have an ``exclude`` row.
    """
    rows = [p for p in row_parts if len(p)]
    # The parts are dropped once joined (the caller's lists too): at 10^7 respondents
    # they hold a row per excluded respondent, and two copies of that do not fit.
    row_parts.clear()
    audited = np.zeros(0, dtype="int64")
    if rows:
        body = pd.concat(rows, ignore_index=True)
        rows.clear()
        codes, rules = pd.factorize(body["rule"])  # rule order looked up per distinct rule
        key = np.array([_RULE_INDEX[r] for r in rules], dtype="int64")[codes]
        body = body.iloc[np.lexsort((key, body["_pos"].to_numpy()))]
        audited = body.loc[body["action"] == "exclude", "_pos"].to_numpy(dtype="int64")
        body = body.drop(columns="_pos")
    else:
        body = empty_audit()
    parts = [p for p in column_parts if len(p)] + [body]
    del body
    audit = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(
        drop=True)
    parts.clear()
    return scrub_audit(audit.astype({"source_row": "Int64"})), audited


def _check_invariant(result: CleanResult, excluded_mask: np.ndarray,
                     audited: np.ndarray) -> None:
    """Every respondent is kept or excluded, exactly once, with an audited rule."""
    problems = []
    if result.n_kept + result.n_excluded != result.n_in:
        problems.append(f"kept {result.n_kept} + excluded {result.n_excluded} != in {result.n_in}")
    if int(excluded_mask.sum()) != result.n_excluded:
        problems.append("the excluded table does not match the exclusion mask")
    funnel = result._funnel
    if int(funnel["excluded"].sum()) + result.n_kept != result.n_in or (
            int(funnel["remaining"].iloc[-1]) != result.n_kept):
        problems.append("the funnel does not add up")
    if not np.isin(np.flatnonzero(excluded_mask), audited).all():
        problems.append("an excluded respondent has no exclusion row in the audit")
    if problems:
        raise CleaningInvariantError("internal error, the cleaning accounts do not balance: "
                          + "; ".join(problems),
                          hint="report this as a bug with the codebook and a data sample")
