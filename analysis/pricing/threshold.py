"""Turnbull acceptance curves and second-hand discount thresholds on a survey design.

Each function takes a design (:class:`~analysis.design.core.Design`), never
reads files, and returns a result with ``.summary_frame()`` and a plot-ready
``.tidy()``; each is also a method of :class:`analysis.SurveyDesign`:

=================================  ===========================================================
function                           estimates
=================================  ===========================================================
:func:`turnbull`                   weighted Turnbull NPMLE acceptance curve with design SEs
:func:`second_hand_threshold`      price-ratio ladder: "never" share (hurdle), buyers' and
                                   population acceptance curves, "share who need ratio <= r"
:func:`threshold_model`            hurdle with covariates: a logit for "never" and an
                                   interval model (logit-normal, ...) for buyers' thresholds
:func:`dc_turnbull`                nonparametric Turnbull curve of bid answers and its
                                   lower-bound mean WTP
=================================  ===========================================================

Interval regression and dichotomous-choice CV are in
:mod:`analysis.pricing.contingent`, the payment-card hurdle in
:mod:`analysis.pricing.hurdle` and the price sensitivity meter in
:mod:`analysis.pricing.vanwestendorp`.

Variance: Taylor designs use linearisation (the sandwich for parametric
models, the NPMLE's influence function for Turnbull curves) through
``design.vcov_scores``; replicate designs refit with every replicate weight
(Turnbull: one EM vectorised across all replicates).  ``variance="replicate"``
converts a Taylor design first (``rep_type``, ``replicates``, ``seed``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_argument, check_columns
from ..codebook import Codebook
from ..design.results import probability_interval, result_frame
from ..errors import IntervalError, ModelError
from .bounds import (
    DesignVariance,
    as_bounds,
    dc_bid_data,
    domain_df,
    ladder_intervals,
)
from .contingent import interval_regression
from .npmle import TurnbullResult, fit_turnbull, turnbull_influence
from .regression import IntervalRegressionResult, variance_design

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["GroupedResult", "turnbull", "ThresholdResult", "second_hand_threshold", "dc_turnbull", "HurdleResult", "threshold_model"]


class GroupedResult(dict):
    """Results by group (a dict ``label -> result``) with stacked tables.

    ``summary_frame()`` and ``tidy()`` concatenate the members' tables with
    the group label as the outer index level / first column.

    Parameters
    ----------
    results : dict
        Group label -> result (each with ``summary_frame`` and ``tidy``).
    by : str
        Name of the grouping (column name, or ``"question"``).
    """

    def __init__(self, results: dict[Any, Any], by: str) -> None:
        super().__init__(results)
        self.by = by

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Stack the members' ``summary_frame(level)``, indexed by group first.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            The members' tables with the group as outer index level ``<by>``.
        """
        return pd.concat({k: r.summary_frame(level) for k, r in self.items()}, names=[self.by])

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Stack the members' ``tidy(level)`` with a ``<by>`` column.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            ``<by>`` first, then the members' tidy columns.
        """
        parts = [r.tidy(level).assign(**{self.by: k}) for k, r in self.items()]
        out = pd.concat(parts, ignore_index=True)
        return out[[self.by] + [c for c in out.columns if c != self.by]]


# --------------------------------------------------------------------------- Turnbull
def _groups(design: Design, by: str | None) -> list[tuple[Any, np.ndarray]]:
    if by is None:
        return [(None, np.ones(design.n, dtype=bool))]
    check_columns(design.data, [by], "by")
    col = design.data[by]
    levels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
              else sorted(col.dropna().unique().tolist()))
    values = col.to_numpy()
    return [(lev, (values == lev) & col.notna().to_numpy()) for lev in levels]


def _turnbull_one(vd: Design, lo: np.ndarray, hi: np.ndarray, mask: np.ndarray, *, closed: str,
                  ci: str, name: str, tol: float, maxit: int) -> TurnbullResult:
    w = np.where(mask, vd.weights, 0.0)
    if not np.any(w > 0):
        raise IntervalError("no answered row with positive weight in this domain",
                            hint="check the domain (by=) and the answers")
    if vd.is_replicate:
        reps = np.where(mask[:, None], np.asarray(vd.repweights, dtype=float), 0.0)
        fit = fit_turnbull(lo, hi, np.column_stack([w, reps]), closed=closed, tol=tol,
                           maxit=maxit)
        full = np.asarray(fit.mass)
        fit = dataclasses.replace(fit, mass=full[:, 0])
        variance = DesignVariance(vd, full[:, 0], replicates=full[:, 1:].T)
    else:
        fit = fit_turnbull(lo, hi, w, closed=closed, tol=tol, maxit=maxit)
        variance = DesignVariance(vd, np.asarray(fit.mass),
                                  influence=turnbull_influence(fit, w))
    used = (w > 0) & (fit.pattern >= 0)
    df = domain_df(vd, used)
    bounds = np.concatenate([lo[used], hi[used]])
    grid = np.unique(bounds[np.isfinite(bounds)])
    return TurnbullResult(fit, variance, df, ci, int(used.sum()), grid, name=name)


def turnbull(design: Design, lower: Any, upper: Any, *, by: str | None = None,
             closed: str = "left", variance: str = "auto", rep_type: str = "bootstrap",
             replicates: int = 200, seed: Any = None, ci: str = "logit",
             name: str = "value", tol: float = 1e-11, maxit: int = 20000
             ) -> TurnbullResult | GroupedResult:
    """Weighted Turnbull NPMLE of interval-censored values with design-based CIs.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    lower, upper : str or array-like
        Column names or arrays of bounds; ``NaN`` / infinite = unbounded on
        that side (rows unbounded on both sides count as not answered and
        form no part of the domain).
    by : str, optional
        Estimate each group as a domain of the full design.
    closed : {"left", "right"}
        ``[lower, upper)`` (default: a ladder's highest accepted rung, a
        "yes" to a bid) or ``(lower, upper]`` (R's ``interval2``).
    variance : {"auto", "linearization", "replicate"}
        ``"auto"``: the design's own method (linearisation of the NPMLE for
        Taylor designs, refits for replicate designs).
    rep_type : {"bootstrap", "JK1", "JKn", "BRR", "Fay"}, default "bootstrap"
        How a Taylor design is converted for ``variance="replicate"``.
    replicates : int, default 200
        Number of bootstrap replicates.
    seed : int or numpy.random.Generator, optional
        Bootstrap randomness.
    ci : {"logit", "wald"}
        Interval scale for curve values.
    name : str
        Name of the value column in tables (e.g. ``"ratio"``).
    tol, maxit : float, int
        EM tolerance and iteration cap.

    Returns
    -------
    TurnbullResult or GroupedResult
        ``.curve(at)`` (``S(t)`` = share at or above ``t``, with SE and CI),
        ``.share_below(t)``, ``.mean_lower_bound()``, ``.intervals()``.

    Raises
    ------
    IntervalError
        Empty intervals (lower > upper; rows named), unknown columns, no
        answered rows.

    Notes
    -----
    Point estimates equal R's ``survfit(Surv(l, r, type="interval2") ~ 1,
    weights=w)`` (with survival's EM run to convergence).  Linearisation
    treats the NPMLE on its support as the MLE of multinomial-mixture
    proportions (masses at zero held fixed); it is valid at the data's bounds
    with a fixed set of rungs or bids, the setting of price ladders, payment
    cards and DC-CV designs.
    """
    check_argument("closed", ["left", "right"], closed)
    check_argument("ci", ["logit", "wald"], ci)
    lo, hi, answered = as_bounds(lower, upper, design.data)
    vd = variance_design(design, variance, rep_type, replicates, seed)
    kw = dict(closed=closed, ci=ci, name=name, tol=tol, maxit=maxit)
    groups = _groups(design, by)
    results = {g: _turnbull_one(vd, lo, hi, answered & m, **kw) for g, m in groups}
    return results[None] if by is None else GroupedResult(results, by)


# --------------------------------------------------------------------------- second-hand
def _share(vd: Design, indicator: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Weighted share of ``indicator`` in the domain ``mask`` and its design SE."""
    w = np.where(mask, vd.weights, 0.0)
    est = float(w @ indicator / w.sum())
    if vd.is_replicate:
        reps = np.where(mask[:, None], np.asarray(vd.repweights, dtype=float), 0.0)
        theta = (reps.T @ indicator) / reps.sum(axis=0)
        return est, float(np.sqrt(vd.replicate_vcov(theta[:, None], np.array([est]))[0, 0]))
    z = w * (indicator - est) / w.sum()
    return est, float(np.sqrt(max(vd.vcov_scores(z[:, None])[0, 0], 0.0)))


class ThresholdResult:
    """Second-hand price-ratio threshold from a ladder, with "never" kept apart.

    Parameters
    ----------
    question : str
        Ladder question id.
    convention : {"highest_accepted", "upper_bound"}
        How a chosen rung bounds the ratio.
    never : tuple
        ``(estimate, se, df, interval method)`` of the never share.
    buyers : TurnbullResult
        Acceptance curve among buyers.
    population : TurnbullResult
        Acceptance curve among everyone who answered.
    needs : list of tuple of float
        ``(requested ratio c, curve point t)`` pairs behind :meth:`need_table`.

    Attributes
    ----------
    question : str
        Ladder question id.
    convention : str
        ``"highest_accepted"`` or ``"upper_bound"``.
    never : DataFrame
        One row: the share who would never buy second-hand (``estimate, se,
        ci_low, ci_high``), among respondents who answered (level 0.95;
        :meth:`summary_frame` takes a level).
    buyers : TurnbullResult
        Acceptance curve among those who would buy at some ratio.
    population : TurnbullResult
        Acceptance curve in the whole answering population (never-buyers
        accept no ratio): ``(1 - never) x buyers`` at every rung.
    needs : DataFrame
        :meth:`need_table` at level 0.95: for each ``need_at_most`` ratio
        ``c``, the share who would buy only at ``c`` or deeper, among buyers
        and among everyone who answered (never-buyers count in the
        denominator, not the numerator, as in the published
        "超过六成只接受4折及以下").
    """

    def __init__(self, question: str, convention: str,
                 never: tuple[float, float, float, str], buyers: TurnbullResult,
                 population: TurnbullResult, needs: list[tuple[float, float]]) -> None:
        self.question = question
        self.convention = convention
        self._never = never  # estimate, se, df, interval method
        self.buyers = buyers
        self.population = population
        self._needs = needs  # (requested ratio c, curve point t)

    def __repr__(self) -> str:
        return (f"<ThresholdResult {self.question!r} ({self.convention}): never "
                f"{self._never[0]:.3f}>\n{self.summary_frame()}")

    def never_share(self, level: float = 0.95) -> pd.DataFrame:
        """Estimate the share who would never buy second-hand, one row ``never``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            ``estimate, se, ci_low, ci_high``.
        """
        est, se, df, ci = self._never
        low, high = probability_interval(np.array([est]), np.array([se]), level, df, ci)
        return result_frame([est], [se], low, high, index=["never"])

    @property
    def never(self) -> pd.DataFrame:
        """:meth:`never_share` at level 0.95."""
        return self.never_share()

    def need_table(self, level: float = 0.95) -> pd.DataFrame:
        """Estimate the share needing a ratio of ``c`` or less, indexed by ``(ratio, base)``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            ``estimate, se, ci_low, ci_high``; ``base`` is ``buyers`` or
            ``population`` (never-buyers in the denominator only).
        """
        rows, index = [], []
        for c, t in self._needs:  # a few requested ratios
            for label, res in (("buyers", self.buyers), ("population", self.population)):
                # Buyers whose ratio lies in [0, t): never-buyers are in the population's
                # denominator only (the published headline's definition).
                rows.append(res.share_between(0.0, t, level=level).iloc[0])
                index.append((c, label))
        frame = pd.DataFrame(rows)
        return result_frame(frame["estimate"], frame["se"], frame["ci_low"], frame["ci_high"],
                            index=pd.MultiIndex.from_tuples(index, names=["ratio", "base"]))

    @property
    def needs(self) -> pd.DataFrame:
        """:meth:`need_table` at level 0.95."""
        return self.need_table()

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tabulate the acceptance at every rung, buyers and population, plus the never share.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``(base, ratio)``; the never share is row ``("never", NaN)``.
        """
        parts = {"buyers": self.buyers.summary_frame(level),
                 "population": self.population.summary_frame(level)}
        out = pd.concat(parts, names=["base"])
        never = self.never_share(level)
        never.index = pd.MultiIndex.from_tuples([("never", np.nan)], names=out.index.names)
        return pd.concat([out, never])

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the plot-ready acceptance curves: ``base, ratio, estimate, se, ci_low, ci_high``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            Buyers' then population's curve, long.
        """
        return pd.concat([self.buyers.tidy(level).assign(base="buyers"),
                          self.population.tidy(level).assign(base="population")],
                         ignore_index=True)[["base", "ratio", "estimate", "se", "ci_low",
                                             "ci_high"]]


def _need_points(table: pd.DataFrame, convention: str, need: Sequence[float]
                 ) -> list[float]:
    """Curve point ``t`` with ``share needing <= c = 1 - S(t)`` for each ``c``."""
    rungs = np.sort(np.unique(np.concatenate([table["lower"].dropna(), table["upper"].dropna()])))
    out = []
    for c in need:  # a few requested ratios
        if convention == "highest_accepted":
            above = rungs[rungs > c + 1e-12]
            out.append(float(above[0]) if above.size else np.inf)
        else:
            out.append(float(c))
    return out


def second_hand_threshold(design: Design, question: str | Sequence[str], *,
                          by: str | None = None, need_at_most: Sequence[float] = (0.4,),
                          codebook: Codebook | None = None, variance: str = "auto",
                          rep_type: str = "bootstrap", replicates: int = 200, seed: Any = None,
                          ci: str = "logit") -> ThresholdResult | GroupedResult:
    """Second-hand discount threshold from a price-ratio ladder (a hurdle).

    Parameters
    ----------
    design : SurveyDesign
        The design (its frame carries the codebook unless ``codebook=``).
    question : str or list of str
        ``price_ladder`` question id(s); several ids (e.g. one per product
        category) give a :class:`GroupedResult` keyed by question.
    by : str, optional
        Subgroup column; each group is a domain of the full design.
    need_at_most : sequence of float
        Ratios ``c`` for "share who need a price of ``c`` x new or less".
        Under ``highest_accepted`` that is the share choosing a rung at or
        below ``c`` (they refuse the next rung up); under ``upper_bound``
        ``P(ratio <= c)``.  Never-buyers are kept apart (hurdle): they
        count in the population denominator but not in the share.
    codebook : Codebook, optional
        Defaults to the frame's.
    variance : {"auto", "linearization", "replicate"}, default "auto"
        As :func:`turnbull`.
    rep_type : str, default "bootstrap"
        As :func:`turnbull`.
    replicates : int, default 200
        As :func:`turnbull`.
    seed : int or numpy.random.Generator, optional
        As :func:`turnbull`.
    ci : {"logit", "wald"}, default "logit"
        Interval scale for shares.

    Returns
    -------
    ThresholdResult or GroupedResult
        The never share, buyers' and population acceptance curves and the
        ``need_at_most`` shares; a :class:`GroupedResult` with ``by`` or
        several questions.

    Raises
    ------
    IntervalError
        A ladder answer outside the codebook's rungs (rows named).
    """
    if not isinstance(question, str):
        return GroupedResult({q: second_hand_threshold(
            design, q, by=by, need_at_most=need_at_most, codebook=codebook, variance=variance,
            rep_type=rep_type, replicates=replicates, seed=seed, ci=ci)
            for q in question}, "question")
    data = design.data
    cb = codebook if codebook is not None else Codebook.from_frame(data)
    q = cb.question(question)
    table = ladder_intervals(data, q, cb)
    answered = table["answered"].to_numpy()
    never = table["never"].fillna(False).to_numpy(dtype=bool)
    closed = "left" if q.convention == "highest_accepted" else "right"
    vd = variance_design(design, variance, rep_type, replicates, seed)
    lower, upper = table["lower"].to_numpy(), table["upper"].to_numpy()
    # Never-buyers accept no ratio at all: below 0, not in the lowest rung's interval.
    lower = np.where(never, np.nan, lower)
    upper = np.where(never, 0.0, upper)
    lo, hi, _ = as_bounds(lower, upper)
    kw = dict(closed=closed, ci=ci, name="ratio", tol=1e-12, maxit=20000)
    points = _need_points(table[answered & ~never], q.convention, need_at_most)

    def one(mask: np.ndarray) -> ThresholdResult:
        base = answered & mask
        est, se = _share(vd, never.astype(float), base)
        df = domain_df(vd, base & (vd.weights > 0))
        buyers = _turnbull_one(vd, lo, hi, base & ~never, **kw)
        population = _turnbull_one(vd, lo, hi, base, **kw)
        return ThresholdResult(q.id, q.convention, (est, se, df, ci), buyers, population,
                               list(zip(need_at_most, points)))

    groups = _groups(design, by)
    results = {g: one(m) for g, m in groups}
    return results[None] if by is None else GroupedResult(results, by)


def dc_turnbull(design: Design, question: str | None = None, *, bid1: str | None = None,
                ans1: str | None = None, bid2: str | None = None, ans2: str | None = None,
                codebook: Codebook | None = None, **kw: Any) -> TurnbullResult | GroupedResult:
    """Estimate the Turnbull acceptance curve of dichotomous-choice answers.

    ``result.mean_lower_bound()`` is the nonparametric lower-bound mean WTP
    (mass at each interval's lower bid, 0 below the lowest bid).  Arguments
    as :func:`dc_cv`; ``**kw`` go to :func:`turnbull`.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    question : str, optional
        A ``dc_bid`` question (columns ``<id>_bid1`` ... ``<id>_ans2``).
    bid1, ans1, bid2, ans2 : str, optional
        Column names instead of (or overriding) the question's.
    codebook : Codebook, optional
        Defaults to the frame's.
    **kw
        Passed to :func:`turnbull` (``by``, ``variance``, ``ci`` ...); ``name``
        defaults to ``"bid"``.

    Returns
    -------
    TurnbullResult or GroupedResult
        The acceptance curve ``S(bid)``: share who would pay at least each bid.
    """
    dc = dc_bid_data(design.data, question, bid1=bid1, ans1=ans1, bid2=bid2, ans2=ans2,
                     codebook=codebook)
    kw.setdefault("name", "bid")
    return turnbull(design, dc["lower"].to_numpy(), dc["upper"].to_numpy(), closed="left", **kw)


class HurdleResult:
    """Hurdle model of a ladder: who would never buy, and how deep a discount buyers need.

    Parameters
    ----------
    never : GLMResult
        Survey-weighted logit of "would never buy second-hand".
    threshold : IntervalRegressionResult
        Interval model of buyers' maximum acceptable ratio.

    Attributes
    ----------
    never : GLMResult
        Survey-weighted logit of "would never buy second-hand".
    threshold : IntervalRegressionResult
        Interval model of buyers' maximum acceptable ratio.
    """

    def __init__(self, never: Any, threshold: IntervalRegressionResult) -> None:
        self.never = never
        self.threshold = threshold

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Stack both coefficient tables (``part`` = ``never`` / ``threshold``).

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``(part, term)``.
        """
        return pd.concat({"never": self.never.summary_frame(level),
                          "threshold": self.threshold.summary_frame(level)}, names=["part"])

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the forest-plot frame with ``part`` and ``term`` columns.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        pandas.DataFrame
            :meth:`summary_frame` with its index as columns.
        """
        return self.summary_frame(level).reset_index().rename(columns={"level_1": "term"})


def threshold_model(design: Design, question: str, formula: str = "~ 1", *,
                    dist: str = "logitnormal", codebook: Codebook | None = None,
                    **kw: Any) -> HurdleResult:
    """Who needs a deeper second-hand discount: a two-part (hurdle) model.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    question : str
        ``price_ladder`` question id.
    formula : str
        Right-hand side (covariates), e.g. ``"~ C(city_tier) + age"``.
    dist : str
        Model of buyers' maximum ratio: ``"logitnormal"`` (default),
        ``"logitlogistic"``, ``"loglogistic"``, ``"lognormal"``, ...  A
        negative coefficient means a deeper discount is needed.
    codebook : Codebook, optional
        Defaults to the frame's.
    **kw
        Passed to :func:`interval_regression`.

    Returns
    -------
    HurdleResult
        The logit of never buying and the interval model of buyers' ratio.
    """
    from ..models.glm import svyglm

    data = design.data
    cb = codebook if codebook is not None else Codebook.from_frame(data)
    q = cb.question(question)
    table = ladder_intervals(data, q, cb)
    keys = [o.key for o in q.options if o.never]
    if not keys:
        raise ModelError(f"ladder {question!r} has no 'never' option, so there is no hurdle",
                         question=question, hint="use interval_regression for the ratio alone")
    rhs = formula.split("~", 1)[1].strip() or "1"
    # The never part is a logit on the answering domain (the full design is kept).
    answered = design.subset(table["answered"].to_numpy())
    never_fit = svyglm(answered, f"I({question}.isin({keys!r})) ~ {rhs}",
                       family="quasibinomial")
    threshold = interval_regression(design, f"{question} ~ {rhs}", dist=dist, codebook=codebook,
                                    **kw)
    return HurdleResult(never_fit, threshold)
