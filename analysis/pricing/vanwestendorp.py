"""Van Westendorp price sensitivity meter on a survey design.

Four open price questions -- at what price is the low-carbon version *too
cheap* (quality doubts), *cheap* (a bargain), *expensive* (still considered),
*too expensive* (not considered) -- give four weighted cumulative curves.
Their crossings are the classic price points (Van Westendorp 1976):

=======================================  ======================================
point                                    crossing
=======================================  ======================================
PMC, point of marginal cheapness         "too cheap" and "not cheap"
OPP, optimal price point                 "too cheap" and "too expensive"
IPP, indifference price point            "cheap" and "expensive"
PME, point of marginal expensiveness     "too expensive" and "not expensive"
=======================================  ======================================

The acceptable price range is ``[PMC, PME]``.

Counting conventions.  "Expensive" and "too expensive" at price ``p`` count
respondents whose answer is at or below ``p``.  "Cheap" and "too cheap" count,
by default (``cheap_counting="at_or_above"``), answers at or above ``p`` -- a
respondent who calls 10 too cheap finds 10 too cheap -- so each curve
includes its own answers.  ``cheap_counting="above"`` counts answers strictly
above ``p`` (``1 - ecdf(answers)(p)``), the convention of R's
``pricesensitivitymeter::psm_analysis``; at each observed price it leaves out
the respondents who gave exactly that price, so its cheap curves are the
default ones moved one observed price to the left and price points can differ
by up to one price step.  Curves meet when they differ by less than
rounding (see :func:`_crossing`), so exact ties are crossings.

Respondents whose four answers are not ordered (too cheap <= cheap <=
expensive <= too expensive) are by default excluded and counted in
:attr:`VanWestendorpResult.audit`, as R's
``pricesensitivitymeter::psm_analysis(validate=TRUE)``; ``inconsistent=
"keep"`` keeps them (``validate=FALSE``) and still counts them.

Options beyond the classic four points: ``intersection=`` resolves a tie
lasting over several prices (R's ``intersection_method``),
``price_range="narrower"`` defines PMC where "too cheap" meets "expensive"
and PME where "too expensive" meets "cheap" (a range inside the classic
one), and purchase-intent answers at the cheap and expensive prices give
the Newton-Miller-Smith trial- and revenue-optimal prices
(:mod:`analysis.pricing.nms`).

Price points are not smooth functions of the data, so their design-based
SEs come from replicate weights (a Taylor design is converted, by default
with the bootstrap); every point, the NMS optima included, gets a
replicate SE and interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_argument, check_columns, check_probability, format_rows
from ..codebook import Codebook
from ..design.replicates import to_replicates
from ..design.results import result_frame, t_quantile
from ..errors import CodebookError, ModelError
from .nms import (
    DEFAULT_PI_CALIBRATED,
    DEFAULT_PI_SCALE,
    calibrate_intent,
    purchase_probabilities,
)

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["VanWestendorpResult", "van_westendorp", "PSM_ROLES"]

PSM_ROLES = ("too_cheap", "cheap", "expensive", "too_expensive")
# (falling curve, rising curve) whose crossing defines each price point.
_POINTS = {"pmc": ("too_cheap", "not_cheap"), "opp": ("too_cheap", "too_expensive"),
           "ipp": ("cheap", "expensive"), "pme": ("not_expensive", "too_expensive")}
# The narrower range: "too cheap" meets "expensive", "cheap" meets "too expensive".
_NARROWER = {"pmc": ("too_cheap", "expensive"), "pme": ("cheap", "too_expensive")}
PRICE_RANGES = ("classic", "narrower")
INTERSECTIONS = ("min", "max", "mean", "median")
INCONSISTENT = ("exclude", "keep")


CHEAP_COUNTING = ("at_or_above", "above")


def _curves(prices: np.ndarray, W: np.ndarray, grid: np.ndarray,
            cheap_counting: str = "at_or_above") -> dict[str, np.ndarray]:
    """Weighted curves at ``grid`` for each weight column: dict of (R, G) arrays.

    Weighted ECDFs by sorting and cumulative sums (no respondent x price matrix).
    ``cheap_counting`` is ``"at_or_above"`` or ``"above"`` (see the module notes).
    """
    tot = W.sum(axis=0)
    side = "left" if cheap_counting == "at_or_above" else "right"
    share = {}
    for j, role in enumerate(PSM_ROLES):
        order = np.argsort(prices[:, j], kind="stable")
        x = prices[order, j]
        cum = np.vstack([np.zeros((1, W.shape[1])), np.cumsum(W[order], axis=0)])
        if j < 2:  # "too cheap"/"cheap" at p: threshold at or above p (or strictly above)
            at = tot - cum[np.searchsorted(x, grid, side=side)]
        else:  # "expensive"/"too expensive" at p: threshold at or below p
            at = cum[np.searchsorted(x, grid, side="right")]
        share[role] = (at / tot).T
    share["not_cheap"] = 1 - share["cheap"]
    share["not_expensive"] = 1 - share["expensive"]
    return share


def _crossing(fall: np.ndarray, rise: np.ndarray, grid: np.ndarray, interpolate: bool,
              n: int = 1, method: str = "min") -> np.ndarray:
    """First price where the falling curve meets the rising one (per row).

    Curves are shares of the total weight, built from cumulative sums, so an
    exact tie can come out a few ulps apart (1 - 43/46 and 3/46 differ by
    4e-17); differences within ``max(1e-12, 4 n eps)`` -- rounding in sums of
    ``n`` respondents' weights, far below one respondent's share -- count as
    ties.  Where the curves first meet in a tie they may stay tied over
    several prices (both flat); ``method`` picks the ``"min"``, ``"max"``,
    ``"mean"`` or ``"median"`` of the prices at which both curves keep the
    values of the first tie (R ``pricesensitivitymeter``'s
    ``intersection_method``).  A strict crossing is one point whatever the
    method.
    """
    d = fall - rise
    tol = max(1e-12, 4 * n * np.finfo(float).eps)
    d = np.where(np.abs(d) <= tol, 0.0, d)
    below = d <= 0
    has = below.any(axis=1)
    i = np.where(has, below.argmax(axis=1), grid.size - 1)
    rows = np.arange(d.shape[0])
    out = grid[i].astype(float)
    if interpolate:
        prev = np.maximum(i - 1, 0)
        d1, d0 = d[rows, i], d[rows, prev]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where((i > 0) & (d0 > 0) & (d1 < 0), d0 / (d0 - d1), 1.0)
        out = np.where(i > 0, grid[prev] + frac * (grid[i] - grid[prev]), out)
    if method != "min":
        tie = has & (d[rows, i] == 0)
        same = ((np.abs(fall - fall[rows, i][:, None]) <= tol)
                & (np.abs(rise - rise[rows, i][:, None]) <= tol))
        pick = {"max": np.max, "mean": np.mean, "median": np.median}[method]
        for r in np.flatnonzero(tie):  # rows tied at their first meeting (a few at most)
            out[r] = float(pick(grid[same[r]]))  # type: ignore[operator]
    return np.where(has, out, np.nan)


class VanWestendorpResult:
    """Price points, curves and the consistency audit of a price sensitivity meter.

    Intervals are Wald intervals on the replicate SE with t on the replicate
    df, at the level given to :meth:`summary_frame` / :meth:`tidy`.

    Parameters
    ----------
    points : pandas.DataFrame
        ``estimate, se`` per price point (``pmc, opp, ipp, pme`` and, with
        purchase intent, the optimal prices).
    curves : pandas.DataFrame
        Long ``price, curve, estimate, se`` of the six curves.
    audit : pandas.DataFrame
        The consistency audit.
    excluded : pandas.Index
        Row labels of the inconsistent respondents left out.
    df : float
        Replicate degrees of freedom.
    cheap_counting : {"at_or_above", "above"}, default "at_or_above"
        How the cheap curves counted answers.
    nms : pandas.DataFrame, optional
        Long ``price, curve, estimate, se`` of the trial and revenue curves
        (Newton-Miller-Smith).
    price_range : {"classic", "narrower"}, default "classic"
        Definition of PMC and PME used.
    intersection : {"min", "max", "mean", "median"}, default "min"
        How ties over several prices were resolved.
    inconsistent : pandas.Index, optional
        Row labels of every inconsistent respondent; default ``excluded``.

    Attributes
    ----------
    price_points : DataFrame
        :meth:`summary_frame` at level 0.95: indexed by ``pmc, opp, ipp,
        pme``: ``estimate, se, ci_low, ci_high``.
    curves : DataFrame
        :meth:`tidy` at level 0.95: long, plot-ready ``price, curve,
        estimate, se, ci_low, ci_high`` for the curves too_cheap, cheap,
        expensive, too_expensive, not_cheap, not_expensive.
    audit : DataFrame
        Respondent counts (unweighted) and weighted shares: answered all
        four (six with purchase intent), inconsistent (excluded or kept),
        used.
    excluded : Index
        Row labels of the inconsistent respondents left out (empty when kept).
    inconsistent : Index
        Row labels of every inconsistent respondent, kept or not.
    df : float
        Degrees of freedom of the intervals (the replicate design's).
    cheap_counting : str
        How the cheap curves counted answers (``"at_or_above"`` or ``"above"``).
    price_range : str
        ``"classic"`` or ``"narrower"`` definition of PMC and PME.
    intersection : str
        How a tie lasting over several prices was resolved.
    has_nms : bool
        Whether the Newton-Miller-Smith extension was computed.
    """

    def __init__(self, points: pd.DataFrame, curves: pd.DataFrame, audit: pd.DataFrame,
                 excluded: pd.Index, df: float, cheap_counting: str = "at_or_above", *,
                 nms: pd.DataFrame | None = None, price_range: str = "classic",
                 intersection: str = "min", inconsistent: pd.Index | None = None) -> None:
        self._points = points  # estimate, se by price point
        self._curves = curves  # price, curve, estimate, se
        self._nms = nms  # price, curve (trial / revenue), estimate, se
        self.audit = audit
        self.excluded = excluded
        self.inconsistent = excluded if inconsistent is None else inconsistent
        self.df = df
        self.cheap_counting = cheap_counting
        self.price_range = price_range
        self.intersection = intersection
        self.has_nms = nms is not None

    def _q(self, level: float) -> float:
        check_probability("level", level)
        return float(t_quantile(0.5 + level / 2, self.df if self.df > 0 else np.inf))

    @property
    def acceptable_range(self) -> tuple[float, float]:
        """``(PMC, PME)`` (classic or narrower, as fitted)."""
        pp = self._points["estimate"]
        return float(pp["pmc"]), float(pp["pme"])

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tabulate the price points with SEs and intervals: ``estimate, se, ci_low, ci_high``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            One row per price point.
        """
        q = self._q(level)
        est, se = self._points["estimate"], self._points["se"]
        return result_frame(est, se, est - q * se, est + q * se)

    @property
    def price_points(self) -> pd.DataFrame:
        """:meth:`summary_frame` at level 0.95."""
        return self.summary_frame()

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the curves in long form (``price, curve, estimate, se, ci_low, ci_high``).

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            One row per curve and price; intervals clipped to [0, 1].
        """
        q = self._q(level)
        est, se = self._curves["estimate"], self._curves["se"]
        return self._curves.assign(ci_low=np.clip(est - q * se, 0, 1),
                                   ci_high=np.clip(est + q * se, 0, 1))

    @property
    def curves(self) -> pd.DataFrame:
        """:meth:`tidy` at level 0.95."""
        return self.tidy()

    def nms_curves(self, level: float = 0.95) -> pd.DataFrame:
        """Newton-Miller-Smith trial and revenue curves by price.

        Parameters
        ----------
        level : float
            Confidence level of the replicate Wald intervals.

        Returns
        -------
        DataFrame
            ``price, curve, estimate, se, ci_low, ci_high`` with ``curve`` in
            ``trial`` (weighted mean purchase probability) and ``revenue``
            (price x trial).

        Raises
        ------
        ModelError
            The meter was run without purchase-intent columns.
        """
        if self._nms is None:
            raise ModelError("no purchase-intent answers were given",
                             hint="call van_westendorp(..., pi_cheap=..., pi_expensive=...)")
        q = self._q(level)
        est, se = self._nms["estimate"], self._nms["se"]
        low, high = est - q * se, est + q * se
        trial = (self._nms["curve"] == "trial").to_numpy()
        return self._nms.assign(ci_low=np.where(trial, np.clip(low, 0, 1), low),
                                ci_high=np.where(trial, np.clip(high, 0, 1), high))

    def __repr__(self) -> str:
        lo, hi = self.acceptable_range
        fate = "excluded" if len(self.excluded) or not len(self.inconsistent) else "kept"
        return (f"<VanWestendorpResult: {self.price_range} acceptable range {lo:.4g} - "
                f"{hi:.4g}, {len(self.inconsistent)} inconsistent respondent(s) {fate}>\n"
                f"{self.summary_frame()}")


def _columns(design: Design, given: dict[str, str | None], psm_set: str,
             codebook: Codebook | None) -> list[str]:
    if all(given.values()):
        return [given[r] for r in PSM_ROLES]  # type: ignore[misc]
    cb = codebook if codebook is not None else Codebook.from_frame(design.data)
    found = {q.psm: q.id for q in cb.questions if q.psm is not None and q.psm_set == psm_set}
    roles = {r: given[r] or found.get(r) for r in PSM_ROLES}
    missing = [r for r, c in roles.items() if c is None]
    if missing:
        raise CodebookError(f"the price sensitivity meter {psm_set!r} has no question for "
                            f"role(s) {missing}",
                            hint="give numeric questions `psm: <role>` (and `psm_set`) in "
                                 "survey.yaml, or pass the columns")
    return [roles[r] for r in PSM_ROLES]  # type: ignore[misc]


def _intent_codes(design: Design, col: str, codebook: Codebook | None) -> np.ndarray:
    """Numeric purchase-intent codes of a column: numbers as they are, a categorical
    (a cleaned ``single`` / ``likert`` question) through its codebook option codes."""
    s = design.data[col]
    if pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    cb = codebook if codebook is not None else Codebook.from_frame(design.data)
    codes: dict[Any, int] = {o.name: o.code for o in cb.question(col).options
                             if o.name is not None}
    codes.update({o.code: o.code for o in cb.question(col).options})
    out = s.astype(object).map(codes)
    unknown = s.notna() & out.isna()
    if unknown.any():
        raise ModelError(f"{col!r} holds answers that are not options of question {col!r} "
                         f"(rows {format_rows(s.index[unknown])})", columns=[col],
                         hint="recode the purchase-intent answers to the codebook's options")
    return out.to_numpy(dtype=float, na_value=np.nan)


def _intent(design: Design, pi_cheap: str | None, pi_expensive: str | None,
            pi_scale: Sequence[float], pi_calibrated: Sequence[float],
            codebook: Codebook | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Calibrated purchase probabilities at the cheap and expensive price (or None)."""
    if pi_cheap is None and pi_expensive is None:
        return None
    if pi_cheap is None or pi_expensive is None:
        raise ModelError("the Newton-Miller-Smith extension needs both pi_cheap= and "
                         "pi_expensive=", hint="name the purchase-intent columns at the "
                                               "cheap and at the expensive price")
    check_columns(design.data, [pi_cheap, pi_expensive], "purchase-intent columns")
    out = [calibrate_intent(_intent_codes(design, col, codebook), pi_scale, pi_calibrated, col,
                            design.data.index) for col in (pi_cheap, pi_expensive)]
    return out[0], out[1]


def _replicate_frame(rep: Any, values: np.ndarray, index: Any) -> pd.DataFrame:
    """Estimate (row 0) and replicate SE (rows 1:) of each column of ``values``."""
    est, reps = values[0], values[1:]
    ok = np.isfinite(reps).all(axis=0) & np.isfinite(est)
    se = np.full(est.shape, np.nan)
    for j in np.flatnonzero(ok):  # a handful of price points
        se[j] = float(np.sqrt(rep.replicate_vcov(reps[:, [j]], est[[j]])[0, 0]))
    return pd.DataFrame({"estimate": est, "se": se}, index=index)


def van_westendorp(design: Design, too_cheap: str | None = None, cheap: str | None = None,
                   expensive: str | None = None, too_expensive: str | None = None, *,
                   psm_set: str = "psm", codebook: Codebook | None = None,
                   strict: bool = False, interpolate: bool = True,
                   cheap_counting: str = "at_or_above", intersection: str = "min",
                   price_range: str = "classic", inconsistent: str = "exclude",
                   pi_cheap: str | None = None, pi_expensive: str | None = None,
                   pi_scale: Sequence[float] = DEFAULT_PI_SCALE,
                   pi_calibrated: Sequence[float] = DEFAULT_PI_CALIBRATED,
                   nms_interpolation: str = "price",
                   rep_type: str = "bootstrap", replicates: int = 200, seed: Any = None,
                   n_grid: int = 200) -> VanWestendorpResult:
    """Weighted Van Westendorp price sensitivity meter with replicate CIs.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    too_cheap, cheap, expensive, too_expensive : str, optional
        Numeric price columns; by default the codebook's questions with
        ``psm`` roles in set ``psm_set``.
    psm_set : str
        Which set of four questions (a codebook may hold several).
    codebook : Codebook, optional
        Defaults to the frame's.
    strict : bool
        Require strictly increasing answers (``<``, R's ``validate=TRUE``);
        default allows ties.
    interpolate : bool
        Locate crossings by linear interpolation between observed prices;
        ``False`` returns the lowest observed price at which the curves have
        crossed.
    cheap_counting : {"at_or_above", "above"}
        Whether the "too cheap" and "cheap" curves at price ``p`` count
        answers at or above ``p`` (default: each respondent's own answer
        counts) or strictly above ``p`` (R ``pricesensitivitymeter``'s
        ``1 - ecdf``); see the module notes.  "Expensive" curves always count
        answers at or below ``p``.
    intersection : {"min", "max", "mean", "median"}
        Where two curves first meet in a tie that lasts over several prices,
        which of those prices is the price point (R's
        ``intersection_method``; ``"min"``: the first).
    price_range : {"classic", "narrower"}
        ``"classic"``: PMC where "too cheap" meets "not cheap" and PME where
        "too expensive" meets "not expensive" (Van Westendorp).
        ``"narrower"``: PMC where "too cheap" meets "expensive" and PME where
        "too expensive" meets "cheap", a range inside the classic one.
    inconsistent : {"exclude", "keep"}
        Leave out respondents whose four prices are not ordered (default, R's
        ``validate=TRUE``) or keep them (``validate=FALSE``); either way they
        are counted in :attr:`~VanWestendorpResult.audit`.
    pi_cheap, pi_expensive : str, optional
        Purchase-intent answers at the respondent's own cheap and expensive
        price: give both for the Newton-Miller-Smith extension (trial and
        revenue curves and their optimal prices, see
        :mod:`analysis.pricing.nms`).  Numeric codes, or a cleaned
        ``single`` / ``likert`` question whose options' codes are used.
        Respondents then need all six answers.
    pi_scale : sequence of float
        The purchase-intent answer codes.
    pi_calibrated : sequence of float
        Purchase probability of each code.
    nms_interpolation : {"price", "position"}
        Purchase probability linear in price, or in the position among the
        distinct prices (R ``pricesensitivitymeter``).
    rep_type : {"bootstrap", "JK1", "JKn", "BRR", "Fay"}, default "bootstrap"
        Replicates made from a Taylor design (``design.to_replicates``); for
        a raked design convert before raking, so replicates repeat it.
    replicates : int, default 200
        Number of bootstrap replicates.
    seed : int or numpy.random.Generator, optional
        Bootstrap randomness.
    n_grid : int
        Most prices at which :attr:`~VanWestendorpResult.curves` are reported
        (quantiles of the answers); price points always use every answer.

    Returns
    -------
    VanWestendorpResult
        Price points (and, with purchase intent, ``trial_optimal`` and
        ``revenue_optimal``) with replicate SEs and intervals.

    Raises
    ------
    CodebookError
        The codebook lacks one of the four roles.
    ModelError
        No respondent answered the four questions consistently; purchase
        intent off its scale (rows named); the extension asked for with
        inconsistent respondents kept.
    """
    check_argument("interpolate", [True, False], interpolate)
    check_argument("cheap_counting", list(CHEAP_COUNTING), cheap_counting)
    check_argument("intersection", list(INTERSECTIONS), intersection)
    check_argument("price_range", list(PRICE_RANGES), price_range)
    check_argument("inconsistent", list(INCONSISTENT), inconsistent)
    check_argument("nms_interpolation", ["price", "position"], nms_interpolation)
    cols = _columns(design, {"too_cheap": too_cheap, "cheap": cheap, "expensive": expensive,
                             "too_expensive": too_expensive}, psm_set, codebook)
    check_columns(design.data, cols, "price columns")
    prices = np.column_stack([pd.to_numeric(design.data[c], errors="coerce")
                              .to_numpy(dtype=float, na_value=np.nan) for c in cols])
    intent = _intent(design, pi_cheap, pi_expensive, pi_scale, pi_calibrated, codebook)
    w = np.asarray(design.weights, dtype=float)
    complete = np.isfinite(prices).all(axis=1) & (w > 0)
    if intent is not None:
        complete &= np.isfinite(intent[0]) & np.isfinite(intent[1])
    steps = np.diff(prices, axis=1)
    ordered = (steps > 0 if strict else steps >= 0).all(axis=1)
    bad = complete & ~ordered
    if intent is not None and inconsistent == "keep" and bad.any():
        raise ModelError("the Newton-Miller-Smith extension needs ordered prices; "
                         f"{int(bad.sum())} respondent(s) are inconsistent",
                         hint="use inconsistent='exclude'", columns=cols)
    use = complete & (ordered | (inconsistent == "keep"))
    if not use.any():
        raise ModelError("no respondent answered the four price questions consistently",
                         hint="check the role of each question (too cheap < cheap < expensive "
                              "< too expensive)", columns=cols)
    rep = design if design.is_replicate else to_replicates(
        design, type=rep_type, replicates=replicates, seed=seed)
    W = np.column_stack([rep.weights, np.asarray(rep.repweights, dtype=float)])[use]
    p = prices[use]
    grid = np.unique(p)
    curves = _curves(p, W, grid, cheap_counting)
    which = {**_POINTS, **(_NARROWER if price_range == "narrower" else {})}
    points = {k: _crossing(curves[a], curves[b], grid, interpolate, p.shape[0], intersection)
              for k, (a, b) in which.items()}
    nms = None
    if intent is not None:
        prob = purchase_probabilities(p, intent[0][use], intent[1][use], grid, nms_interpolation)
        trial = (W.T @ prob) / W.sum(axis=0)[:, None]  # (R + 1) x prices
        revenue = trial * grid
        points["trial_optimal"] = grid[trial.argmax(axis=1)]
        points["revenue_optimal"] = grid[revenue.argmax(axis=1)]
        nms = pd.concat([_replicate_frame(rep, trial, grid).assign(curve="trial"),
                         _replicate_frame(rep, revenue, grid).assign(curve="revenue")])
        nms = nms.rename_axis("price").reset_index()[["price", "curve", "estimate", "se"]]
    price_points = _replicate_frame(rep, np.column_stack(list(points.values())),
                                    pd.Index(list(points), name="point"))
    # Plot curves on at most `n_grid` prices: the covariance is quadratic in the grid size.
    show = grid if grid.size <= n_grid else np.unique(np.quantile(p, np.linspace(0, 1, n_grid),
                                                                  method="inverted_cdf"))
    shown = _curves(p, W, show, cheap_counting) if show.size != grid.size else curves
    long = []
    for name, c in shown.items():  # six curves
        est, reps = c[0], c[1:]
        se = np.sqrt(np.clip(np.diag(rep.replicate_vcov(reps, est)), 0, None))
        long.append(pd.DataFrame({"price": show, "curve": name, "estimate": est, "se": se}))
    wc = w[complete].sum()
    step = "inconsistent_excluded" if inconsistent == "exclude" else "inconsistent_kept"
    audit = pd.DataFrame({
        "respondents": [int(complete.sum()), int(bad.sum()), int(use.sum())],
        "weighted_share": [1.0, float(w[bad].sum() / wc), float(w[use].sum() / wc)],
    }, index=pd.Index(["answered_all_four" if intent is None else "answered_all_six", step,
                       "used"], name="step"))
    flagged = design.data.index[bad]
    if bad.any():
        audit.attrs[f"{step.split('_')[1]}_rows"] = format_rows(flagged)
    return VanWestendorpResult(price_points, pd.concat(long, ignore_index=True), audit,
                               flagged if inconsistent == "exclude" else design.data.index[[]],
                               float(rep.degf()), cheap_counting, nms=nms,
                               price_range=price_range, intersection=intersection,
                               inconsistent=flagged)
