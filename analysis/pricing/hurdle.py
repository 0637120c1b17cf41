"""Willingness to pay with a "would not pay more" group kept apart (a hurdle).

Payment cards usually offer "不愿意多付" (would not pay more).  Those
respondents are a spike at zero, not the bottom of a log-normal: mixing them
into an interval model biases its location and scale.  :func:`wtp_hurdle`
keeps them apart:

* ``zero`` -- the weighted share who would not pay more (design SE);
* ``payers`` -- the interval regression of the others' premium
  (:class:`~analysis.pricing.regression.IntervalRegressionResult`);
* population summaries that combine both: the mean premium over everyone
  ``(1 - zero) x mean_payers``, the median over everyone (0 when at least
  half would not pay more), the demand curve ``(1 - zero) x S_payers(v)``
  and the share paying at most ``v``.

Design-based SEs combine the two parts' influence values (Taylor designs)
or replicate estimates (replicate designs), so their covariance is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_probability
from ..codebook import Codebook
from ..design.results import probability_interval, result_frame
from ..errors import ModelError
from .bounds import domain_df, question_intervals
from .contingent import interval_regression
from .regression import IntervalRegressionResult, WTPResult, variance_design
from .regression_result import infinite_mean_warning

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["WTPHurdleResult", "wtp_hurdle"]


class WTPHurdleResult:
    """Premium among payers plus the share who would not pay more.

    Parameters
    ----------
    question : str
        The payment-card question.
    zero_est : float
        Weighted share who would not pay more.
    zero_infl : numpy.ndarray or None
        Its influence values (Taylor designs).
    zero_reps : numpy.ndarray or None
        Its replicate estimates (replicate designs).
    payers : IntervalRegressionResult
        The interval model among those who would pay more.
    df : float
        Design degrees of freedom of the answering rows.

    Attributes
    ----------
    question : str
        The payment-card question.
    zero : DataFrame
        One row: share who would not pay more (``estimate, se, ci_low,
        ci_high`` at level 0.95; :meth:`zero_share` takes a level).
    payers : IntervalRegressionResult
        The interval model among those who would pay more.
    df : float
        Design degrees of freedom of the answering rows.
    """

    def __init__(self, question: str, zero_est: float, zero_infl: np.ndarray | None,
                 zero_reps: np.ndarray | None, payers: IntervalRegressionResult, df: float
                 ) -> None:
        self.question = question
        self.payers = payers
        self.df = df
        self._pi = zero_est
        self._pi_z = zero_infl
        self._pi_r = zero_reps
        self._pi_se = self._se(zero_est, zero_infl, zero_reps)

    def zero_share(self, level: float = 0.95) -> pd.DataFrame:
        """Estimate the share who would not pay more, one row ``zero`` (logit-scale interval).

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the interval.

        Returns
        -------
        pandas.DataFrame
            ``estimate, se, ci_low, ci_high``.
        """
        check_probability("level", level)
        low, high = probability_interval(np.array([self._pi]), np.array([self._pi_se]), level,
                                         self.df)
        return result_frame([self._pi], [self._pi_se], low, high, index=["zero"])

    @property
    def zero(self) -> pd.DataFrame:
        """:meth:`zero_share` at level 0.95."""
        return self.zero_share()

    def __repr__(self) -> str:
        return (f"<WTPHurdleResult {self.question!r}: would not pay more "
                f"{self._pi:.3f}; payers {self.payers.dist}>\n{self.summary_frame()}")

    @property
    def design(self) -> Design:
        """The design behind the variances."""
        return self.payers.design

    def _se(self, est: float, z: np.ndarray | None, reps: np.ndarray | None) -> float:
        if reps is not None:
            return float(np.sqrt(self.design.replicate_vcov(reps[:, None], np.array([est]))[0, 0]))
        return float(np.sqrt(max(self.design.vcov_scores(z[:, None])[0, 0], 0.0)))

    def _combine(self, est_p: float, name: str, value: float | None = None
                 ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Linearisation of ``(1 - zero) x payers statistic``."""
        z, reps = self.payers._linearize(name, est_p, None, value)
        if reps is not None:
            return None, (1 - self._pi_r) * reps
        return (1 - self._pi) * z - est_p * self._pi_z, None

    def _row(self, est: float, z: np.ndarray | None, reps: np.ndarray | None
             ) -> tuple[float, float]:
        """Estimate and its design SE."""
        return est, (self._se(est, z, reps) if np.isfinite(est) else np.nan)

    def wtp(self) -> WTPResult:
        """Mean and median premium over everyone and among payers.

        Returns
        -------
        WTPResult
            Statistics ``mean_all, median_all, mean_payers, median_payers``;
            ``.summary_frame(level)`` gives ``estimate, se, ci_low, ci_high``
            (delta method / replicates, t on the answering rows' design df).

        Warns
        -----
        SurveyWarning
            The payers' mean is infinite (log-logistic with ``scale >= 1``);
            the median rows stay finite.
        """
        pay = self.payers
        theta = pay.params.to_numpy()
        ux, _, wx = pay._groups()
        mean_p = float(pay._stats("mean", theta, ux, wx)[0])
        if np.isinf(mean_p):
            infinite_mean_warning(pay.dist, pay.scale, "the payers' mean premium")
        med_p = float(pay._stats("median", theta, ux, wx)[0])
        rows = {"mean_all": self._row((1 - self._pi) * mean_p, *self._combine(mean_p, "mean"))}
        if self._pi >= 0.5:
            rows["median_all"] = (0.0, 0.0)
        else:
            target = 0.5 / (1 - self._pi)  # payers' survival level of the overall median
            m = float(pay._stats("quantile", theta, ux, wx, value=target)[0])
            z, reps = pay._linearize("survival", target, None, m)
            if reps is not None:
                # Replicate r solves S_r(m) = 0.5 / (1 - zero_r).
                rt = 0.5 / (1 - self._pi_r)
                var = pay.variance
                rw = np.asarray(var.design.repweights, dtype=float)[pay._rows]
                inv = np.unique(pay._X, axis=0, return_inverse=True)[1].ravel()
                wr = np.zeros((rw.shape[1], ux.shape[0]))
                np.add.at(wr.T, inv, rw)
                reps = pay._stats("quantile", var.replicates, ux, wr, value=rt)
                rows["median_all"] = self._row(m, None, reps)
            else:
                # (1 - zero) S(m) = 1/2: dm = -[(1 - zero) dS - S dzero] / ((1 - zero) S'(m)).
                slope = pay.survival_slope(m)
                zm = -((1 - self._pi) * z - target * self._pi_z) / ((1 - self._pi) * slope)
                rows["median_all"] = self._row(m, zm, None)
        rows["mean_payers"] = self._row(mean_p, *pay._linearize("mean", mean_p))
        rows["median_payers"] = self._row(med_p, *pay._linearize("median", med_p))
        index = pd.Index(list(rows), name="statistic")
        return WTPResult(pd.Series([r[0] for r in rows.values()], index=index, dtype=float),
                         pd.Series([r[1] for r in rows.values()], index=index, dtype=float),
                         self.df, pay.dist)

    def demand_curve(self, values: Any = None, *, level: float = 0.95,
                     n_points: int = 50) -> pd.DataFrame:
        """Estimate the share of everyone willing to pay at least each value (0 counts everyone).

        Parameters
        ----------
        values : array_like, optional
            Premium values; default ``n_points`` from 0 to 1.5 times the highest bid.
        level : float, default 0.95
            Confidence level of the intervals.
        n_points : int, default 50
            Size of the default grid.

        Returns
        -------
        DataFrame
            ``value, estimate, se, ci_low, ci_high`` (``estimate`` is the
            share; logit-scale intervals).
        """
        check_probability("level", level)
        pay = self.payers
        if values is None:
            values = np.linspace(0, 1.5 * (pay.bid_max or 1.0), n_points)
        values = np.atleast_1d(np.asarray(values, dtype=float))
        theta = pay.params.to_numpy()
        ux, _, wx = pay._groups()
        share, se = [], []
        for v in values:  # a grid of amounts
            if v <= 0:
                share.append(1.0)
                se.append(0.0)
                continue
            s = float(pay._stats("survival", theta, ux, wx, None, v)[0])
            est = (1 - self._pi) * s
            share.append(est)
            se.append(self._se(est, *self._combine(s, "survival", v)))
        share_a, se_a = np.array(share), np.array(se)
        low, high = probability_interval(share_a, se_a, level, self.df)
        return pd.DataFrame({"value": values, "estimate": share_a, "se": se_a, "ci_low": low,
                             "ci_high": high})

    def share_at_most(self, values: Any, *, level: float = 0.95) -> pd.DataFrame:
        """Estimate the share of everyone who would pay at most each value (including those paying nothing).

        Columns as :meth:`demand_curve`.

        Parameters
        ----------
        values : array_like
            Premium values.
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            ``value, estimate, se, ci_low, ci_high``: one minus :meth:`demand_curve`.
        """
        curve = self.demand_curve(values, level=level)
        return curve.assign(estimate=1 - curve["estimate"], ci_low=1 - curve["ci_high"],
                            ci_high=1 - curve["ci_low"])

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tabulate the zero share and the WTP summaries (``estimate, se, ci_low, ci_high``).

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            Row ``zero`` (:meth:`zero_share`), then the rows of ``wtp().summary_frame``.
        """
        return pd.concat([self.zero_share(level), self.wtp().summary_frame(level)])

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the summary plot-ready: ``statistic, estimate, se, ci_low, ci_high``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        pandas.DataFrame
            :meth:`summary_frame` with its index as column ``statistic``.
        """
        return self.summary_frame(level).rename_axis("statistic").reset_index()


def wtp_hurdle(design: Design, question: str, formula: str = "~ 1", *, dist: str = "lognormal",
               codebook: Codebook | None = None, **kw: Any) -> WTPHurdleResult:
    """Payment-card premium with "would not pay more" as its own group.

    Parameters
    ----------
    design : SurveyDesign
        The design (its frame carries the codebook unless ``codebook=``).
    question : str
        A ``payment_card`` (or ``price_ladder``) question whose "would not pay
        more" option is marked ``never: true`` in the codebook.
    formula : str
        Right-hand side of the payers' model (``"~ 1"``: none).
    dist : str
        Payers' premium distribution (``"lognormal"``, ``"loglogistic"``,
        ``"weibull"``, ...).
    codebook : Codebook, optional
        Defaults to the frame's.
    **kw
        Passed to :meth:`analysis.SurveyDesign.interval_regression` (``variance``,
        ``seed``, ...).

    Returns
    -------
    WTPHurdleResult
        The zero share, the payers' interval model and their combination
        (premium summaries and demand curve over everyone).

    Raises
    ------
    ModelError
        The question has no ``never`` option.
    """
    data = design.data
    cb = codebook if codebook is not None else Codebook.from_frame(data)
    q = cb.question(question)
    if not any(o.never for o in q.options):
        raise ModelError(f"{question!r} has no 'would not pay more' option (never: true)",
                         question=question, hint="use interval_regression for the premium alone")
    vd = variance_design(design, kw.get("variance", "auto"), kw.get("rep_type", "bootstrap"),
                         kw.get("replicates", 200), kw.get("seed"))
    kw = {k: v for k, v in kw.items() if k not in ("variance", "rep_type", "replicates", "seed")}
    table = question_intervals(data, q, cb)
    answered = table["answered"].to_numpy()
    zero = table["never"].fillna(False).to_numpy(dtype=float)
    payers = interval_regression(vd, f"{question} ~ {formula.split('~', 1)[1].strip() or '1'}",
                                 dist=dist, codebook=cb, **kw)
    w = np.where(answered, vd.weights, 0.0)
    pi = float(w @ zero / w.sum())
    infl = reps = None
    if vd.is_replicate:
        rw = np.where(answered[:, None], np.asarray(vd.repweights, dtype=float), 0.0)
        reps = (rw.T @ zero) / rw.sum(axis=0)
    else:
        infl = w * (zero - pi) / w.sum()
    df = domain_df(vd, answered & (vd.weights > 0))
    return WTPHurdleResult(q.id, pi, infl, reps, payers, df)
