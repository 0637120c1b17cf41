"""Kriström's nonparametric estimator of single-bounded dichotomous-choice WTP.

Kriström (1990): the share answering "yes" at each bid estimates the
survival function ``S(bid) = P(WTP >= bid)``; adjacent bids whose shares
rise are pooled until the shares fall (pool-adjacent-violators, the NPMLE
for these data), ``S(0) = 1`` is added, and ``S`` is joined linearly between
bids.

R ``DCchoice::kristrom`` pools differently once a pool grows past two bids:
its loop sets the two rows of the first rise to their summed counts, so when
a bid joins an existing pool its counts are added to one row of that pool
only and the pool's counts are then counted again.  With 10 answers at
each of four bids and 8, 1, 2, 3 of them "yes", the last three bids pool
to 6 / 30 = 0.2; DCchoice's loop keeps re-adding counts between the rows
and stops, when float rounding makes the rows equal, at 0.18541.  ``pooling="dcchoice"`` reproduces R's numbers;
the default ``"pava"`` is the NPMLE (a higher likelihood, shares that are
weighted averages of the pooled bids).  Summaries, as R ``DCchoice::summary.kristrom``:

``mean_spearman_karber``
    The area under the linear survival curve, continued past the highest
    bid along the last falling segment until it reaches zero (DCchoice's
    ``meanWTP(SK)`` and its rule for the x intercept: the last segment's
    slope, else the one before, else ``1.5 x`` the highest bid).
``mean_truncated``
    The area up to the highest bid only (the Spearman-Kärber mean truncated
    at the highest bid).
``mean_lower_bound``
    ``sum S(b_{k+1}) (b_{k+1} - b_k)``: each step at its lower value
    (DCchoice's ``meanWTP(KM)``).
``median``
    The bid where the linear curve crosses 0.5.

With survey weights the shares are weighted; standard errors are
design-based: by linearisation (the pooling pattern held fixed, each pooled
share a domain ratio) on Taylor designs, or by recomputing everything --
pooling included -- with each replicate weight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_argument, check_probability
from ..codebook import Codebook
from ..design.results import probability_interval, result_frame, t_quantile
from ..errors import ModelError
from .bounds import dc_bid_data, domain_df
from .npmle import linear_survival_summaries
from .regression import variance_design

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["KristromResult", "kristrom", "pool_decreasing"]

POOLING = ("pava", "dcchoice")
KRISTROM_STATISTICS = ("mean_spearman_karber", "mean_truncated", "mean_lower_bound", "median")


def pool_decreasing(yes: np.ndarray, total: np.ndarray, pooling: str = "pava"
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Pool adjacent bids until the yes shares do not rise.

    Parameters
    ----------
    yes, total : ndarray, shape (k,)
        Weighted "yes" answers and weighted totals at increasing bids.
    pooling : {"pava", "dcchoice"}
        ``"pava"``: pool-adjacent-violators, each pool's share its yes over
        its total (the NPMLE).  ``"dcchoice"``: R ``DCchoice::kristrom``'s
        loop, which merges only the two rows of the first rise, so a bid
        joining an existing pool adds its counts to one row of it and the
        pool's counts are counted again (see the module notes).

    Returns
    -------
    share : ndarray
        Pooled share at each bid.
    M : ndarray, shape (k, k)
        Multiplicity of each bid's counts in each bid's pooled ratio:
        ``share = (M @ yes) / (M @ total)``.
    """
    check_argument("pooling", list(POOLING), pooling)
    k = yes.size
    M = np.eye(k)
    if pooling == "pava":
        blocks: list[list[int]] = []
        for j in range(k):  # stack of pools, merged while the newest one rises
            blocks.append([j])
            while len(blocks) > 1 and ((yes[blocks[-2]].sum() * total[blocks[-1]].sum())
                                       < (yes[blocks[-1]].sum() * total[blocks[-2]].sum())):
                last = blocks.pop()
                blocks[-1].extend(last)
        for b in blocks:
            M[np.ix_(b, b)] = 1.0
    else:
        # DCchoice: the row for bid 0 is (1 yes of 1) and never pools, so it is left out.
        for _ in range(1000 * k):  # R loops until no rise; the values converge geometrically
            share = (M @ yes) / (M @ total)
            rise = np.flatnonzero(np.diff(share) > 0)
            if rise.size == 0:
                break
            j = rise[0]
            M[j] = M[j + 1] = M[j] + M[j + 1]
    return (M @ yes) / (M @ total), M


class KristromResult:
    """Kriström's survival curve and WTP summaries with design-based SEs.

    Parameters
    ----------
    bids : ndarray
        Distinct bids.
    survival : ndarray
        Pooled (non-increasing) share saying "yes" at each bid.
    raw_share : ndarray
        Weighted "yes" share at each bid before pooling.
    pools : ndarray of int
        Pool of each bid (bids with the same pooled share).
    vcov : ndarray
        Design covariance of the survival values and the four summaries.
    n : int
        Respondents used.
    df : float
        Design degrees of freedom.
    variance : str
        ``"linearization"`` or ``"replicate"``.
    """

    def __init__(self, bids: np.ndarray, survival: np.ndarray, raw_share: np.ndarray,
                 pools: np.ndarray, vcov: np.ndarray, n: int, df: float,
                 variance: str) -> None:
        self.bids = bids
        self.survival = survival
        self.raw_share = raw_share
        self.pools = pools
        self._vcov = vcov  # of (survival at bids, the four summaries)
        self.n = n
        self.df = df
        self.variance = variance

    def _se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self._vcov), 0, None))

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and median WTP: ``estimate, se, ci_low, ci_high`` by statistic.

        Parameters
        ----------
        level : float
            Confidence level (t intervals on :attr:`df`).

        Returns
        -------
        DataFrame
            Rows ``mean_spearman_karber``, ``mean_truncated``,
            ``mean_lower_bound``, ``median``.
        """
        check_probability("level", level)
        est = linear_survival_summaries(self.bids, self.survival)
        se = self._se()[self.bids.size:]
        q = t_quantile(0.5 + level / 2, self.df if self.df > 0 else np.inf)
        idx = pd.Index(KRISTROM_STATISTICS, name="statistic")
        return result_frame(pd.Series(est, index=idx), pd.Series(se, index=idx),
                            pd.Series(est - q * se, index=idx), pd.Series(est + q * se, index=idx))

    def curve(self, level: float = 0.95, ci: str = "logit") -> pd.DataFrame:
        """The survival curve at the bids: ``bid, estimate, se, ci_low, ci_high, raw_share``.

        Parameters
        ----------
        level : float
            Confidence level.
        ci : {"logit", "wald"}
            Interval scale of the shares.

        Returns
        -------
        DataFrame
            One row per bid (``estimate`` is the pooled share saying yes).
        """
        check_argument("ci", ["logit", "wald"], ci)
        se = self._se()[:self.bids.size]
        low, high = probability_interval(self.survival, se, level, self.df, ci)
        return pd.DataFrame({"bid": self.bids, "estimate": self.survival, "se": se,
                             "ci_low": low, "ci_high": high, "raw_share": self.raw_share})

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """:meth:`curve` (plot-ready).

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        DataFrame
            The curve.
        """
        return self.curve(level)

    def __repr__(self) -> str:
        return f"<KristromResult: {self.bids.size} bids, n={self.n}>\n{self.summary_frame()}"


def kristrom(design: Design, question: str | None = None, *, bid: str | None = None,
             answer: str | None = None, codebook: Codebook | None = None,
             pooling: str = "pava", variance: str = "auto", rep_type: str = "bootstrap",
             replicates: int = 200, seed: Any = None) -> KristromResult:
    """Estimate WTP nonparametrically (Kriström) from single-bounded dichotomous-choice answers.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    question : str, optional
        A ``dc_bid`` question: its first bid and first answer are used (a
        double-bounded question is read as single-bounded).
    bid, answer : str, optional
        Bid and yes/no (1/0) columns instead of the question's.
    codebook : Codebook, optional
        Defaults to the frame's.
    pooling : {"pava", "dcchoice"}
        How rising shares are pooled: the NPMLE (default) or R DCchoice's
        loop (see the module notes).
    variance : {"auto", "linearization", "replicate"}
        Variance method (``"auto"``: the design's own).
    rep_type : str
        Replicate type when a Taylor design is converted.
    replicates : int
        Number of replicates of that conversion.
    seed : int or numpy.random.Generator, optional
        Seed of the bootstrap replicates.

    Returns
    -------
    KristromResult
        ``.summary_frame()`` (means and median) and ``.curve()``.

    Raises
    ------
    ModelError
        Fewer than two distinct bids, or no answered respondent.

    Notes
    -----
    With ``pooling="dcchoice"`` point estimates equal R
    ``DCchoice::kristrom`` and its summary (unit weights); they differ from
    the default only where three or more bids are pooled.  On Taylor designs the SEs hold the pooling fixed; on
    replicate designs each replicate pools afresh.
    """
    dc = dc_bid_data(design.data, question, bid1=bid, ans1=answer, codebook=codebook)
    b = dc["bid1"].to_numpy(dtype=float, na_value=np.nan)
    y = dc["ans1"].to_numpy(dtype=float, na_value=np.nan)
    use_design = design if variance == "auto" else variance_design(
        design, variance, rep_type, replicates, seed)
    w = np.asarray(use_design.weights, dtype=float)
    use = np.isfinite(b) & np.isfinite(y) & (w > 0)
    bids, codes = np.unique(b[use], return_inverse=True)
    if bids.size < 2:
        raise ModelError(f"Kriström's estimator needs at least two distinct bids, found "
                         f"{bids.size}", hint="check the bid column")
    k = bids.size
    ys = np.bincount(codes, weights=w[use] * y[use], minlength=k)
    tot = np.bincount(codes, weights=w[use], minlength=k)
    surv, M = pool_decreasing(ys, tot, pooling)
    est = np.concatenate([surv, linear_survival_summaries(bids, surv)])
    if use_design.is_replicate:
        R = np.asarray(use_design.repweights, dtype=float)[use]
        reps = np.empty((R.shape[1], est.size))
        for r in range(R.shape[1]):  # re-pool with each replicate weight
            yr = np.bincount(codes, weights=R[:, r] * y[use], minlength=k)
            tr = np.bincount(codes, weights=R[:, r], minlength=k)
            sr, _ = pool_decreasing(yr, np.where(tr > 0, tr, 1e-300), pooling)
            reps[r] = np.concatenate([sr, linear_survival_summaries(bids, sr)])
        vc = np.atleast_2d(use_design.replicate_vcov(reps, est))
        method = "replicate"
    else:
        # share_r = (M_r . yes) / (M_r . total) is a ratio of weighted totals (pooling held
        # fixed): influence of respondent i on it is M[r, b_i] w_i (y_i - share_r) / (M_r . total).
        rows = np.flatnonzero(use)
        infl = np.zeros((w.size, k))
        infl[rows] = (M[:, codes].T * (w[use] * 1.0)[:, None]
                      * (y[use][:, None] - surv[None, :]) / (M @ tot)[None, :])
        # Summaries: delta method, numerical gradient moving the bids of a pool together,
        # so ties that decide DCchoice's x-intercept rule stay ties.
        h = 1e-6
        groups = np.unique(surv, return_inverse=True)[1].ravel()
        grad = np.zeros((k, 4))
        for g in np.unique(groups):  # a handful of distinct shares
            step = h * (groups == g)
            diff = (linear_survival_summaries(bids, surv + step)
                    - linear_survival_summaries(bids, surv - step)) / (2 * h)
            grad[np.flatnonzero(groups == g)[0]] = diff
        # Tied bids share one value: give the gradient to one of them, and its influence.
        full = np.column_stack([infl, infl @ grad])
        vc = np.atleast_2d(use_design.vcov_scores(full))
        method = "linearization"
    pools = np.unique(surv, return_inverse=True)[1].ravel()
    return KristromResult(bids, surv, ys / tot, pools, vc, int(use.sum()),
                          domain_df(use_design, use), method)
