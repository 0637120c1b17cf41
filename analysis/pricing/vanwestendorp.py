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
expensive <= too expensive) are excluded and counted in
:attr:`VanWestendorpResult.audit`, as R's
``pricesensitivitymeter::psm_analysis(validate=TRUE)``.  Price points are
not smooth functions of the data, so their design-based SEs come from
replicate weights (a Taylor design is converted, by default with the
bootstrap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_argument, check_columns, check_probability, format_rows
from ..codebook import Codebook
from ..design.replicates import to_replicates
from ..design.results import result_frame, t_quantile
from ..errors import CodebookError, ModelError

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["VanWestendorpResult", "van_westendorp", "PSM_ROLES"]

PSM_ROLES = ("too_cheap", "cheap", "expensive", "too_expensive")
# (falling curve, rising curve) whose crossing defines each price point.
_POINTS = {"pmc": ("too_cheap", "not_cheap"), "opp": ("too_cheap", "too_expensive"),
           "ipp": ("cheap", "expensive"), "pme": ("not_expensive", "too_expensive")}


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
              n: int = 1) -> np.ndarray:
    """First price where the falling curve meets the rising one (per row).

    Curves are shares of the total weight, built from cumulative sums, so an
    exact tie can come out a few ulps apart (1 - 43/46 and 3/46 differ by
    4e-17); differences within ``max(1e-12, 4 n eps)`` -- rounding in sums of
    ``n`` respondents' weights, far below one respondent's share -- count as
    ties.
    """
    d = fall - rise
    tol = max(1e-12, 4 * n * np.finfo(float).eps)
    d = np.where(np.abs(d) <= tol, 0.0, d)
    below = d <= 0
    has = below.any(axis=1)
    i = np.where(has, below.argmax(axis=1), grid.size - 1)
    out = grid[i].astype(float)
    if interpolate:
        prev = np.maximum(i - 1, 0)
        rows = np.arange(d.shape[0])
        d1, d0 = d[rows, i], d[rows, prev]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where((i > 0) & (d0 > 0) & (d1 < 0), d0 / (d0 - d1), 1.0)
        out = np.where(i > 0, grid[prev] + frac * (grid[i] - grid[prev]), out)
    return np.where(has, out, np.nan)


class VanWestendorpResult:
    """Price points, curves and the consistency audit of a price sensitivity meter.

    Intervals are Wald intervals on the replicate SE with t on the replicate
    df, at the level given to :meth:`summary_frame` / :meth:`tidy`.

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
        four, inconsistent (excluded), used.
    excluded : Index
        Row labels of the inconsistent respondents.
    df : float
        Degrees of freedom of the intervals (the replicate design's).
    cheap_counting : str
        How the cheap curves counted answers (``"at_or_above"`` or ``"above"``).
    """

    def __init__(self, points: pd.DataFrame, curves: pd.DataFrame, audit: pd.DataFrame,
                 excluded: pd.Index, df: float, cheap_counting: str = "at_or_above") -> None:
        self._points = points  # estimate, se by price point
        self._curves = curves  # price, curve, estimate, se
        self.audit = audit
        self.excluded = excluded
        self.df = df
        self.cheap_counting = cheap_counting

    def _q(self, level: float) -> float:
        check_probability("level", level)
        return float(t_quantile(0.5 + level / 2, self.df if self.df > 0 else np.inf))

    @property
    def acceptable_range(self) -> tuple[float, float]:
        """``(PMC, PME)``."""
        pp = self._points["estimate"]
        return float(pp["pmc"]), float(pp["pme"])

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """The price points with SEs and intervals: ``estimate, se, ci_low, ci_high``."""
        q = self._q(level)
        est, se = self._points["estimate"], self._points["se"]
        return result_frame(est, se, est - q * se, est + q * se)

    @property
    def price_points(self) -> pd.DataFrame:
        """:meth:`summary_frame` at level 0.95."""
        return self.summary_frame()

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """The curves in long form (``price, curve, estimate, se, ci_low, ci_high``)."""
        q = self._q(level)
        est, se = self._curves["estimate"], self._curves["se"]
        return self._curves.assign(ci_low=np.clip(est - q * se, 0, 1),
                                   ci_high=np.clip(est + q * se, 0, 1))

    @property
    def curves(self) -> pd.DataFrame:
        """:meth:`tidy` at level 0.95."""
        return self.tidy()

    def __repr__(self) -> str:
        lo, hi = self.acceptable_range
        return (f"<VanWestendorpResult: acceptable range {lo:.4g} - {hi:.4g}, "
                f"{len(self.excluded)} inconsistent respondent(s) excluded>\n"
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


def van_westendorp(design: Design, too_cheap: str | None = None, cheap: str | None = None,
                   expensive: str | None = None, too_expensive: str | None = None, *,
                   psm_set: str = "psm", codebook: Codebook | None = None,
                   strict: bool = False, interpolate: bool = True,
                   cheap_counting: str = "at_or_above",
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
        Require strictly increasing answers (``<``); default allows ties.
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
    rep_type, replicates, seed
        Replicates made from a Taylor design (``design.to_replicates``); for
        a raked design convert before raking, so replicates repeat it.
    n_grid : int
        Most prices at which :attr:`~VanWestendorpResult.curves` are reported
        (quantiles of the answers); price points always use every answer.

    Returns
    -------
    VanWestendorpResult

    Raises
    ------
    CodebookError
        The codebook lacks one of the four roles.
    ModelError
        No respondent answered the four questions consistently.
    """
    check_argument("interpolate", [True, False], interpolate)
    check_argument("cheap_counting", list(CHEAP_COUNTING), cheap_counting)
    cols = _columns(design, {"too_cheap": too_cheap, "cheap": cheap, "expensive": expensive,
                             "too_expensive": too_expensive}, psm_set, codebook)
    check_columns(design.data, cols, "price columns")
    prices = np.column_stack([pd.to_numeric(design.data[c], errors="coerce")
                              .to_numpy(dtype=float, na_value=np.nan) for c in cols])
    w = np.asarray(design.weights, dtype=float)
    complete = np.isfinite(prices).all(axis=1) & (w > 0)
    steps = np.diff(prices, axis=1)
    ordered = (steps > 0 if strict else steps >= 0).all(axis=1)
    inconsistent = complete & ~ordered
    use = complete & ordered
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
    points = {k: _crossing(curves[a], curves[b], grid, interpolate, p.shape[0])
              for k, (a, b) in _POINTS.items()}
    df = float(rep.degf())
    pp_rows = []
    for k, v in points.items():  # four price points
        est, reps = v[0], v[1:]
        ok = np.isfinite(reps)
        se = (float(np.sqrt(rep.replicate_vcov(reps[ok, None], np.array([est]))[0, 0]))
              if np.isfinite(est) and ok.all() else np.nan)
        pp_rows.append({"point": k, "estimate": est, "se": se})
    price_points = pd.DataFrame(pp_rows).set_index("point")
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
    audit = pd.DataFrame({
        "respondents": [int(complete.sum()), int(inconsistent.sum()), int(use.sum())],
        "weighted_share": [1.0, float(w[inconsistent].sum() / wc), float(w[use].sum() / wc)],
    }, index=pd.Index(["answered_all_four", "inconsistent_excluded", "used"], name="step"))
    excluded = design.data.index[inconsistent]
    if inconsistent.any():
        audit.attrs["excluded_rows"] = format_rows(excluded)
    return VanWestendorpResult(price_points, pd.concat(long, ignore_index=True), audit,
                               excluded, df, cheap_counting)
