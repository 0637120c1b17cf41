"""Interval-censored answers: bounds from codebook questions, checks, and design variance.

Price ladders, payment cards and dichotomous-choice bids never reveal a
respondent's maximum price (or ratio) itself, only an interval that holds it.
This module turns codebook questions into ``lower`` / ``upper`` bounds:

=====================  ===========================================================
question               bounds
=====================  ===========================================================
``price_ladder``       :meth:`Question.intervals` under the codebook's ``convention``;
                       "never" options are flagged (``never=True``) for a hurdle
``payment_card``       the chosen bracket's ``interval``
``dc_bid``             yes/yes ``[bid2, inf)``, yes/no ``[bid1, bid2)``,
                       no/yes ``[bid2, bid1)``, no/no ``(-inf, bid2)``;
                       single-bounded: yes ``[bid1, inf)``, no ``(-inf, bid1)``
=====================  ===========================================================

An unbounded side is ``NaN`` (R's ``Surv(type="interval2")`` convention); a
row with both sides unbounded carries no information and counts as not
answered.  Bounds are checked (``lower <= upper``, follow-up bids on the right
side of the first bid) and every violation names the rows.

:class:`DesignVariance` is the small variance engine the pricing estimators
share: weighted influence values through ``Design.vcov_scores`` on a
Taylor design, replicate estimates through ``Design.replicate_vcov`` on
a replicate design.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import format_rows
from ..codebook import Codebook, Question
from ..errors import (
    CodebookError,
    ConvergenceWarning,
    DataQualityWarning,
    IntervalError,
)

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = [
    "as_bounds",
    "check_bounds",
    "ladder_intervals",
    "payment_card_intervals",
    "dc_bid_data",
    "question_intervals",
    "DesignVariance",
    "domain_df",
    "convergence_warning",
]


# --------------------------------------------------------------------------- bounds
def _frame(data_or_design: pd.DataFrame | Design) -> pd.DataFrame:
    data = getattr(data_or_design, "data", data_or_design)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("expected a SurveyDesign or a DataFrame, not "
                        f"{type(data_or_design).__name__}")
    return data


def _column(data: pd.DataFrame | None, value: Any, name: str) -> np.ndarray:
    if isinstance(value, str):
        if data is None or value not in data.columns:
            raise IntervalError(f"`{name}` names column {value!r} that is not in the data",
                                column=value, hint="pass a column of design.data or an array")
        col = data[value]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise IntervalError(f"`{name}` column {value!r} is not numeric ({col.dtype})",
                                column=value, hint="convert the bounds to float first")
        return col.to_numpy(dtype="float64", na_value=np.nan)
    arr = np.asarray(value, dtype="float64").ravel()
    if data is not None and arr.shape[0] != len(data):
        raise IntervalError(f"`{name}` has {arr.shape[0]} values, the data have {len(data)} rows",
                            hint="pass one bound per row of design.data")
    return arr


def check_bounds(lower: np.ndarray, upper: np.ndarray, index: Any = None,
                 what: str = "interval") -> None:
    """Raise :class:`IntervalError` naming the rows whose ``lower > upper``.

    Parameters
    ----------
    lower, upper : ndarray
        Bounds with ``-inf`` / ``inf`` for unbounded sides.
    index : sequence, optional
        Row labels used in the message (defaults to positions).
    what : str
        What the intervals are, for the message.
    """
    bad = lower > upper
    both_inf = (np.isinf(lower) & np.isinf(upper) & (lower == upper))
    bad |= both_inf
    if bad.any():
        rows = np.flatnonzero(bad)
        labels = format_rows([index[i] for i in rows] if index is not None else rows)
        first = rows[0]
        raise IntervalError(
            f"{int(bad.sum())} empty {what}(s): lower bound above upper bound "
            f"(first: [{lower[first]:g}, {upper[first]:g}])",
            row=labels, hint="swap or fix the bounds of these rows; an unbounded side is NaN",
        )


def as_bounds(lower: Any, upper: Any, data: pd.DataFrame | None = None,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return bounds as float arrays with ``-inf`` / ``inf`` for unbounded sides.

    Parameters
    ----------
    lower, upper : str or array-like
        Column names of ``data`` or arrays; ``NaN`` (or an infinite value)
        means unbounded on that side.
    data : DataFrame, optional
        Data the column names refer to.

    Returns
    -------
    lower, upper : ndarray
        ``-inf`` / ``inf`` where unbounded.
    answered : ndarray of bool
        Rows with at least one finite bound (rows unbounded on both sides
        carry no information and count as not answered).

    Raises
    ------
    IntervalError
        Unknown columns, wrong lengths, or empty intervals (``lower > upper``),
        with the rows named.
    """
    lo = _column(data, lower, "lower")
    hi = _column(data, upper, "upper")
    if lo.shape != hi.shape:
        raise IntervalError(f"`lower` has {lo.shape[0]} values but `upper` has {hi.shape[0]}",
                            hint="pass bounds of equal length")
    lo = np.where(np.isnan(lo), -np.inf, lo)
    hi = np.where(np.isnan(hi), np.inf, hi)
    index = None if data is None else data.index
    check_bounds(lo, hi, index)
    answered = np.isfinite(lo) | np.isfinite(hi)
    return lo, hi, answered


# --------------------------------------------------------------------------- codebook
def _codebook(data: pd.DataFrame, codebook: Codebook | None) -> Codebook:
    return codebook if codebook is not None else Codebook.from_frame(data)


def _question(data: pd.DataFrame, question_id: str | Question, codebook: Codebook | None,
              types: tuple[str, ...]) -> Question:
    q = (question_id if isinstance(question_id, Question)
         else _codebook(data, codebook).question(question_id))
    if q.type not in types:
        raise CodebookError(f"question {q.id!r} is a {q.type}, not a {' or '.join(types)}",
                            question=q.id, hint="pass the id of a matching question")
    return q


def _option_lookup(q: Question, answers: pd.Series) -> pd.Series:
    """Map each answer (option key, code, or ladder ratio) to its option key."""
    keys = {o.key: o.key for o in q.options}
    codes = {o.code: o.key for o in q.options}
    values = {float(o.value): o.key for o in q.options if o.value is not None}
    present = answers.notna().to_numpy()
    raw = answers.astype(object).to_numpy()
    out = np.full(len(raw), None, dtype=object)
    bad = np.zeros(len(raw), dtype=bool)
    for value in pd.unique(raw[present]):  # loop over distinct answers, not respondents
        key = keys.get(str(value))
        if key is None and isinstance(value, (int, float, np.integer, np.floating)):
            num = float(value)
            key = codes.get(int(num)) if num.is_integer() else None
            if key is None:
                key = next((k for v, k in values.items() if np.isclose(v, num)), None)
        hit = present & (raw == value)
        if key is None:
            bad |= hit
        else:
            out[hit] = key
    if bad.any():
        rows = answers.index[bad]
        shown = sorted({str(v) for v in raw[bad]})
        raise IntervalError(
            f"{int(bad.sum())} answer(s) to {q.id!r} are not among the codebook's options: {shown}",
            question=q.id, column=q.id, row=format_rows(rows),
            hint=f"valid answers are the option keys {list(keys)} (or their codes "
                 f"{list(codes)}); fix the data or add the option to survey.yaml",
        )
    return pd.Series(out, index=answers.index)


def question_intervals(data_or_design: pd.DataFrame | Design, question_id: str | Question,
                       codebook: Codebook | None = None) -> pd.DataFrame:
    """Find the bounds implied by a ``price_ladder`` or ``payment_card`` answer, row by row.

    Parameters
    ----------
    data_or_design : DataFrame or SurveyDesign
        The tidy frame (column ``<id>`` holds option keys; codes or ladder
        ratios are accepted too).
    question_id : str or Question
        The question.
    codebook : Codebook, optional
        Defaults to the codebook carried by the frame (``attrs``).

    Returns
    -------
    DataFrame
        Same index as the data; columns ``lower``, ``upper`` (``NaN`` =
        unbounded or not answered), ``never`` (boolean; NA if not answered),
        ``answered`` (bool) and ``option`` (the option key).

    Raises
    ------
    IntervalError
        An answer is not among the codebook's options (rows named).
    CodebookError
        Unknown question, or not a ladder / card.
    """
    data = _frame(data_or_design)
    q = _question(data, question_id, codebook, ("price_ladder", "payment_card"))
    if q.id not in data.columns:
        raise IntervalError(f"the data have no column {q.id!r}", question=q.id, column=q.id,
                            hint="load the wave with analysis.load_wave so columns follow the codebook")
    table = q.intervals()
    keys = _option_lookup(q, data[q.id])
    answered = keys.notna().to_numpy()
    k = keys.where(keys.notna(), table.index[0]).to_numpy()
    lower = np.where(answered, table["lower"].reindex(k).to_numpy(), np.nan)
    upper = np.where(answered, table["upper"].reindex(k).to_numpy(), np.nan)
    never = pd.array(np.where(answered, table["never"].reindex(k).to_numpy(dtype=bool), False),
                     dtype="boolean")
    never[~answered] = pd.NA
    return pd.DataFrame({"lower": lower, "upper": upper, "never": never, "answered": answered,
                         "option": keys.to_numpy()}, index=data.index)


def ladder_intervals(data_or_design: pd.DataFrame | Design, question_id: str | Question,
                     codebook: Codebook | None = None) -> pd.DataFrame:
    """Find the bounds of a second-hand price-ratio ladder under its codebook convention.

    With ``convention: highest_accepted`` a chosen rung ``c`` means the
    maximum acceptable ratio lies in ``[c, next rung)``; with ``upper_bound``
    in ``(previous rung, c]``.  "Never" answers are flagged in ``never`` so a
    hurdle model can keep them apart (their bounds ``[0, lowest rung)`` are
    only used where stated).

    Parameters
    ----------
    data_or_design : pandas.DataFrame or SurveyDesign
        The tidy frame (column ``<id>`` holds option keys, codes or ladder ratios).
    question_id : str or Question
        A ``price_ladder`` question.
    codebook : Codebook, optional
        Defaults to the codebook carried by the frame (``attrs``).

    Returns
    -------
    pandas.DataFrame
        ``lower, upper, never, answered, option`` per row, as
        :func:`question_intervals`.

    Raises
    ------
    CodebookError
        Unknown question, or not a ``price_ladder``.
    IntervalError
        An answer is not among the codebook's options (rows named).
    """
    data = _frame(data_or_design)
    _question(data, question_id, codebook, ("price_ladder",))
    return question_intervals(data, question_id, codebook)


def payment_card_intervals(data_or_design: pd.DataFrame | Design, question_id: str | Question,
                           codebook: Codebook | None = None) -> pd.DataFrame:
    """Find the bounds of a payment-card premium bracket (``[lower, upper)`` of the chosen card).

    Parameters
    ----------
    data_or_design : pandas.DataFrame or SurveyDesign
        The tidy frame (column ``<id>`` holds option keys or codes).
    question_id : str or Question
        A ``payment_card`` question.
    codebook : Codebook, optional
        Defaults to the codebook carried by the frame (``attrs``).

    Returns
    -------
    pandas.DataFrame
        ``lower, upper, never, answered, option`` per row, as
        :func:`question_intervals`.

    Raises
    ------
    CodebookError
        Unknown question, or not a ``payment_card``.
    IntervalError
        An answer is not among the codebook's options (rows named).
    """
    data = _frame(data_or_design)
    _question(data, question_id, codebook, ("payment_card",))
    return question_intervals(data, question_id, codebook)


def _answer(values: pd.Series, q: Question | None, name: str) -> np.ndarray:
    """Yes/no answers as float 1/0 (NaN missing); booleans or codebook codes."""
    if pd.api.types.is_bool_dtype(values) or values.dtype == object and values.dropna().map(
            lambda v: isinstance(v, (bool, np.bool_))).all():
        return values.astype("float64").to_numpy(dtype="float64", na_value=np.nan)
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    yes = (1,) if q is None else q.yes_codes
    no = (2, 0) if q is None else q.no_codes
    seen = set(np.unique(num[~np.isnan(num)]).tolist())
    if seen <= {0.0, 1.0} and 0 not in yes and 0 not in no:
        return num  # booleans stored as 0/1 floats (e.g. model-ready frames)
    out = np.where(np.isin(num, yes), 1.0, np.where(np.isin(num, no), 0.0, np.nan))
    bad = ~np.isnan(num) & np.isnan(out)
    if bad.any():
        raise IntervalError(
            f"{int(bad.sum())} answer(s) in {name!r} are neither yes {list(yes)} nor no {list(no)}",
            column=name, row=format_rows(values.index[bad]),
            hint="answers must be booleans or the question's yes_codes / no_codes")
    return out


def dc_bid_data(data_or_design: pd.DataFrame | Design, question_id: str | Question | None = None, *,
                bid1: str | None = None, ans1: str | None = None, bid2: str | None = None,
                ans2: str | None = None, codebook: Codebook | None = None) -> pd.DataFrame:
    """Single- or double-bounded dichotomous-choice answers as WTP intervals.

    Parameters
    ----------
    data_or_design : DataFrame or SurveyDesign
        The tidy frame.
    question_id : str or Question, optional
        A ``dc_bid`` question; its columns are ``<id>_bid1``, ``<id>_ans1``,
        ``<id>_bid2``, ``<id>_ans2``.
    bid1, ans1, bid2, ans2 : str, optional
        Column names overriding (or replacing) the question's; ``bid2`` /
        ``ans2`` may be omitted for single-bounded data.
    codebook : Codebook, optional
        Defaults to the frame's codebook.

    Returns
    -------
    DataFrame
        Same index as the data: ``bid1, ans1, bid2, ans2`` (answers 1/0),
        ``pattern`` (``"yy"``, ``"yn"``, ``"ny"``, ``"nn"``, ``"y"``, ``"n"``),
        ``lower``, ``upper`` (``NaN`` = unbounded) and ``answered``.

    Raises
    ------
    IntervalError
        A follow-up bid is not higher than the first after a "yes" or not
        lower after a "no", a follow-up answer has no follow-up bid, or a bid
        is missing or not positive -- naming the rows.

    Warns
    -----
    DataQualityWarning
        Follow-up bids that differ from the codebook's ``bids`` design.

    Notes
    -----
    Intervals follow Hanemann, Loomis & Kanninen (1991): "yes" to a bid
    means WTP is at least the bid, "no" that it is below it.
    """
    data = _frame(data_or_design)
    q: Question | None = None
    if question_id is not None:
        q = _question(data, question_id, codebook, ("dc_bid",))
        bid1 = bid1 or f"{q.id}_bid1"
        ans1 = ans1 or f"{q.id}_ans1"
        bid2 = bid2 or f"{q.id}_bid2"
        ans2 = ans2 or f"{q.id}_ans2"
    if bid1 is None or ans1 is None:
        raise IntervalError("dc_bid_data needs a dc_bid question id or bid1= and ans1= columns",
                            hint="pass question_id='<id>' or the column names")
    need = [c for c in (bid1, ans1, bid2, ans2) if c is not None]
    missing = [c for c in need if c not in data.columns]
    if missing:
        if q is not None and missing == [bid2, ans2]:
            bid2 = ans2 = None
        else:
            raise IntervalError(f"the data have no column(s) {missing}", column=missing[0],
                                question=None if q is None else q.id,
                                hint="check the dc_bid column names (<id>_bid1, _ans1, _bid2, _ans2)")
    index = data.index
    b1 = pd.to_numeric(data[bid1], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    a1 = _answer(data[ans1], q, ans1)
    b2 = (np.full(len(data), np.nan) if bid2 is None else
          pd.to_numeric(data[bid2], errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    a2 = np.full(len(data), np.nan) if ans2 is None else _answer(data[ans2], q, ans2)
    answered = ~np.isnan(a1)
    qid = None if q is None else q.id

    def fail(mask: np.ndarray, message: str, hint: str, column: str | None) -> None:
        if mask.any():
            raise IntervalError(f"{int(mask.sum())} respondent(s): {message}", question=qid,
                                column=column, row=format_rows(index[mask]), hint=hint)

    fail(answered & ~(b1 > 0), "the first bid is missing or not positive",
         "every answered bid question needs a positive first bid", bid1)
    has2 = answered & ~np.isnan(a2)
    fail(has2 & np.isnan(b2), "a follow-up answer without a follow-up bid",
         "fill in the follow-up bid or drop the follow-up answer", bid2)
    fail(has2 & (a1 == 1) & ~(b2 > b1), "the follow-up bid after a 'yes' is not higher than "
         "the first bid", "after 'yes' the follow-up bid must be higher (and lower after 'no'); "
         "check the bid columns are not swapped", bid2)
    fail(has2 & (a1 == 0) & ~(b2 < b1), "the follow-up bid after a 'no' is not lower than "
         "the first bid", "after 'no' the follow-up bid must be lower (and higher after 'yes'); "
         "check the bid columns are not swapped", bid2)
    if q is not None and q.bids and has2.any():
        design = {float(k): v for k, v in q.bids.items()}
        # Loop over the (few) first-bid levels of the design, not respondents.
        expect = np.full(len(data), np.nan)
        for b, (hi, lo) in design.items():
            at = has2 & np.isclose(b1, b)
            expect[at] = np.where(a1[at] == 1, hi, lo)
        off = has2 & ~np.isclose(b2, expect, equal_nan=False)
        if off.any():
            warnings.warn(f"{int(off.sum())} follow-up bid(s) of {qid!r} differ from the "
                          f"codebook's bid design (rows {format_rows(index[off])})",
                          DataQualityWarning, stacklevel=2)
    yes1 = a1 == 1
    yes2 = a2 == 1
    lower = np.full(len(data), np.nan)
    upper = np.full(len(data), np.nan)
    single = answered & ~has2
    lower[single & yes1] = b1[single & yes1]
    upper[single & ~yes1] = b1[single & ~yes1]
    lower[has2 & yes1 & yes2] = b2[has2 & yes1 & yes2]
    yn = has2 & yes1 & ~yes2
    lower[yn], upper[yn] = b1[yn], b2[yn]
    ny = has2 & ~yes1 & yes2
    lower[ny], upper[ny] = b2[ny], b1[ny]
    nn = has2 & ~yes1 & ~yes2
    upper[nn] = b2[nn]
    pattern = np.full(len(data), None, dtype=object)
    pattern[single & yes1], pattern[single & ~yes1] = "y", "n"
    pattern[has2 & yes1 & yes2], pattern[yn], pattern[ny], pattern[nn] = "yy", "yn", "ny", "nn"
    return pd.DataFrame({"bid1": b1, "ans1": a1, "bid2": b2, "ans2": a2,
                         "pattern": pd.array(pattern, dtype="string"),
                         "lower": lower, "upper": upper, "answered": answered}, index=index)


def convergence_warning(message: str, stacklevel: int = 3, **diagnostics: Any) -> None:
    """Warn with a :class:`ConvergenceWarning` carrying ``.diagnostics`` (a dict).

    Parameters
    ----------
    message : str
        The warning text.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn` (3: the caller of the estimator).
    **diagnostics
        Stored as the warning's ``.diagnostics`` dict (iterations, gradient
        norm, ...).
    """
    warning = ConvergenceWarning(message)
    warning.diagnostics = diagnostics  # type: ignore[attr-defined]
    warnings.warn(warning, stacklevel=stacklevel)


# --------------------------------------------------------------------------- variance
def domain_df(design: Design, rows: np.ndarray) -> float:
    """Compute the design degrees of freedom for estimates on ``rows``.

    Taylor designs count the PSUs and strata of those rows (R's ``degf`` on
    the subset); replicate designs use the rank of all replicate weights
    minus one (computed once per design), as R's ``degf.svyrep.design``.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    rows : numpy.ndarray
        Boolean mask (or positions) of the rows the estimates use.

    Returns
    -------
    float
        Degrees of freedom.
    """
    if design.is_replicate:
        return float(design.degf())
    try:
        return float(design.degf(rows=rows))
    except TypeError:  # a design without row selection
        return float(design.degf())


@dataclass(frozen=True)
class DesignVariance:
    """Design covariance of estimates that are (locally) linear in their inputs.

    Taylor designs carry ``influence`` (n x k weighted influence values, so
    ``design.vcov_scores(influence)`` is the covariance); replicate designs
    carry ``replicates`` (R x k estimates, one per replicate weight).

    Attributes
    ----------
    design : SurveyDesign
        The design the estimates come from.
    estimate : ndarray, shape (k,)
        Full-sample estimates.
    influence : ndarray or None
        Weighted influence values (Taylor).
    replicates : ndarray or None
        Replicate estimates (replicate designs).
    df : float
        Design degrees of freedom for t intervals.
    """

    design: Design
    estimate: np.ndarray
    influence: np.ndarray | None = None
    replicates: np.ndarray | None = None
    df: float = np.inf

    @property
    def method(self) -> str:
        """``"linearization"`` or ``"replicate"``."""
        return "replicate" if self.replicates is not None else "linearization"

    def vcov(self, gradient: np.ndarray | None = None) -> np.ndarray:
        """Covariance of ``gradient.T @ estimate`` (of the estimates if ``None``).

        Parameters
        ----------
        gradient : ndarray, shape (k, q), optional
            Jacobian of q derived statistics with respect to the estimates
            (exact for linear statistics, the delta method otherwise).

        Returns
        -------
        numpy.ndarray
            ``(q, q)`` covariance (``(k, k)`` without ``gradient``), from the
            replicates or the influence values.
        """
        g = np.eye(self.estimate.size) if gradient is None else np.asarray(gradient, dtype=float)
        if g.ndim == 1:
            g = g[:, None]
        if self.replicates is not None:
            return np.atleast_2d(self.design.replicate_vcov(self.replicates @ g, self.estimate @ g))
        return np.atleast_2d(self.design.vcov_scores(self.influence @ g))

    def vcov_of(self, values: np.ndarray, *, influence: np.ndarray | None = None,
                replicates: np.ndarray | None = None) -> np.ndarray:
        """Compute the covariance of other statistics given their own influence or replicates.

        Parameters
        ----------
        values : numpy.ndarray
            Full-sample values of the statistics (centre of the replicates).
        influence : numpy.ndarray, optional
            Their weighted influence values, n x q; needed on a Taylor design.
        replicates : numpy.ndarray, optional
            Their replicate estimates, R x q; needed on a replicate design.

        Returns
        -------
        numpy.ndarray
            ``(q, q)`` covariance.

        Raises
        ------
        ValueError
            The input the design's variance method needs is missing.
        """
        if self.replicates is not None:
            if replicates is None:
                raise ValueError("replicate estimates are needed on a replicate design")
            return np.atleast_2d(self.design.replicate_vcov(replicates, np.atleast_1d(values)))
        if influence is None:
            raise ValueError("influence values are needed on a Taylor design")
        return np.atleast_2d(self.design.vcov_scores(influence))
