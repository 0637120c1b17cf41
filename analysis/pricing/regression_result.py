"""The result of an interval-censored WTP regression on a survey design.

:class:`IntervalRegressionResult` holds what
:func:`analysis.pricing.regression.fit_interval_model` fitted and turns it into
the numbers stakeholders read: coefficients (:meth:`summary_frame`), mean and
median WTP with delta-method or Krinsky-Robb intervals (:meth:`wtp`) and the
demand curve (:meth:`demand_curve`).  Kept apart from the fitting code, as
:mod:`analysis.pricing.wtpresult` is, so that each module stays readable.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import as_rng, check_argument, check_probability
from ..design.results import probability_interval, result_frame, t_quantile
from ..errors import ModelError, SurveyWarning
from .bounds import DesignVariance
from .censored import (
    DISTRIBUTIONS,
    check_truncate,
    error_quantile,
    inverse_transform,
    log_sf,
    row_mean,
    row_quantile,
    row_survival,
    transform,
)
from .wtpresult import WTPResult

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["WTP_STATISTICS", "IntervalRegressionResult", "infinite_mean_warning"]

WTP_STATISTICS = ("mean", "median")


def infinite_mean_warning(dist: str, scale: float, what: str, stacklevel: int = 3) -> None:
    """Warn that a mean WTP is infinite (a heavy-tailed fit) and how to get a finite summary.

    Parameters
    ----------
    dist : str
        Distribution of the fit.
    scale : float
        Fitted scale (named in the message for the log-logistic, whose mean
        diverges when it is >= 1).
    what : str
        What is infinite, e.g. ``"the mean WTP"``.
    stacklevel : int, default 3
        Passed to :func:`warnings.warn` so the warning points at the caller.
    """
    why = (f" (log-logistic scale {scale:.3g} >= 1: its mean diverges)"
           if dist == "loglogistic" else "")
    warnings.warn(f"{what} is infinite for dist={dist!r}{why}; report the median, or a "
                  "truncated mean with truncate=True / truncate=(0, hi)", SurveyWarning,
                  stacklevel=stacklevel)
_CHUNK = 2_000_000  # values per vectorised block of population statistics

class IntervalRegressionResult:
    """An interval-censored regression fitted on a survey design.

    Built by :func:`analysis.pricing.regression.fit_interval_model`; every
    constructor argument is keyword-only and kept as an attribute of the
    same name (``frame`` as ``model_frame``; ``X``, ``rows`` and ``weights``
    privately, for predictions and population summaries).

    Parameters
    ----------
    params : Series
        Coefficients of ``T(Y)`` and ``log(scale)``.
    vcov : DataFrame
        Design-based covariance.
    dist : str
        Distribution (see :data:`analysis.pricing.censored.DISTRIBUTIONS`).
    formula : str
        Right-hand side used.
    df_resid : float
        ``degf + 1 - p`` (p = regression coefficients), as ``svyglm``.
    loglik : float
        Weighted log-likelihood (weights as in the design).
    converged : bool
        Whether the Newton iterations converged.
    n_iter : int
        Number of Newton steps taken.
    variance : DesignVariance
        Influence values or replicate estimates behind ``vcov``.
    X : ndarray, shape (n, p)
        Design matrix of the model rows.
    rows : ndarray of int
        Positions of the model rows in the design.
    weights : ndarray, shape (n,)
        Full-sample weights of the model rows (zero outside a domain).
    frame : DataFrame
        Model frame of the rows (kept as ``model_frame``).
    kind : str
        What the intervals came from (``"interval"``, ``"payment_card"``,
        ``"dbdc"``, ``"sbdc"``, ``"ladder"``).
    bid_max : float or None
        Largest finite bound in the data (default truncation of the mean).
    vcov_model : DataFrame or None
        Model-based covariance, the inverse of minus the Hessian of the
        weighted log-likelihood (weights as frequencies: R ``survreg``'s
        ``vcov`` with ``weights=``, DCchoice's SEs with unit weights), for
        comparison with SRS software; not valid for a complex design.
    """

    def __init__(self, *, params: pd.Series, vcov: pd.DataFrame, dist: str, formula: str,
                 df_resid: float, loglik: float, converged: bool, n_iter: int,
                 variance: DesignVariance, X: np.ndarray, rows: np.ndarray, weights: np.ndarray,
                 frame: Any, kind: str, bid_max: float | None,
                 vcov_model: pd.DataFrame | None = None) -> None:
        self.params = params
        self.vcov = vcov
        self.vcov_model = vcov_model
        self.dist = dist
        self.formula = formula
        self.df_resid = float(df_resid)
        self.loglik = loglik
        self.converged = converged
        self.n_iter = n_iter
        self.variance = variance
        self.kind = kind
        self.bid_max = bid_max
        self.model_frame = frame
        self._X = X
        self._rows = rows
        self._w = weights  # full-sample weights of the model rows

    def __repr__(self) -> str:
        return (f"IntervalRegressionResult({self.kind}, dist={self.dist!r}, "
                f"formula={self.formula!r}, n={self.nobs})")

    # -------------------------------------------------------------- coefficients
    @property
    def nobs(self) -> int:
        """Rows in the fit (positive weight, answered, complete covariates)."""
        return int(np.count_nonzero(self._w > 0))

    @property
    def design(self) -> Design:
        """The design the variance comes from."""
        return self.variance.design

    @property
    def scale(self) -> float:
        """The scale ``sigma`` of ``T(Y)``."""
        return float(np.exp(self.params.iloc[-1]))

    @property
    def bse(self) -> pd.Series:
        """Design-based standard errors."""
        return pd.Series(np.sqrt(np.clip(np.diag(self.vcov.to_numpy()), 0, None)),
                         index=self.params.index, name="se")

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Return Wald intervals with t on ``df_resid`` degrees of freedom.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level.

        Returns
        -------
        DataFrame
            ``ci_low`` and ``ci_high``, one row per coefficient.
        """
        check_probability("level", level)
        q = t_quantile(0.5 + level / 2, self.df_resid if self.df_resid > 0 else np.nan)
        return pd.DataFrame({"ci_low": self.params - q * self.bse,
                             "ci_high": self.params + q * self.bse})

    def _vcov(self, vcov: str) -> pd.DataFrame:
        check_argument("vcov", ["design", "model"], vcov)
        if vcov == "design":
            return self.vcov
        if self.vcov_model is None:
            raise ModelError("this fit carries no model-based covariance",
                             hint="use vcov='design'")
        return self.vcov_model

    def dcchoice_params(self, vcov: str = "design") -> tuple[pd.Series, pd.DataFrame]:
        """Return the coefficients in R DCchoice's parameterisation, with their covariance.

        DCchoice models the answer "yes" to a bid as ``P(yes) = 1 -
        F_e(-(alpha + x'gamma + beta * b))`` with ``b`` the bid (``"logistic"``,
        ``"normal"``) or its log (``"loglogistic"``, ``"lognormal"``,
        ``"weibull"``; DCchoice's ``log-logistic``, ``log-normal``,
        ``weibull``, whose ``F_e`` is ``1 - exp(-exp(-v))``).  Here ``T(WTP)
        = x'theta + sigma e``, so for every distribution ``(alpha, gamma) =
        theta / sigma`` and ``beta = -1 / sigma``; conversely ``theta =
        -(alpha, gamma) / beta`` and ``sigma = -1 / beta``.  The covariance
        follows by the delta method.

        Parameters
        ----------
        vcov : {"design", "model"}
            Design-based covariance, or the model-based (inverse Hessian) one.

        Returns
        -------
        params : Series
            The covariates' coefficients (same names) and ``"BID"`` or
            ``"log(bid)"``, as DCchoice labels the bid term.
        vcov : DataFrame
            Their design-based covariance.

        Raises
        ------
        ModelError
            The distribution has no DCchoice counterpart (logit-scale ratios).
        """
        kind, _ = DISTRIBUTIONS[self.dist]
        if kind == "logit":
            raise ModelError(f"dist={self.dist!r} has no DCchoice parameterisation",
                             hint="DCchoice fits logistic, normal, log-logistic, log-normal "
                                  "and weibull models")
        theta = self.params.to_numpy()
        s = float(np.exp(theta[-1]))
        est = np.append(theta[:-1] / s, -1.0 / s)
        J = np.zeros((theta.size, theta.size))  # d(new) / d(theta, log s)
        J[:-1, :-1] = np.eye(theta.size - 1) / s
        J[:-1, -1] = -theta[:-1] / s
        J[-1, -1] = 1.0 / s
        vc = J @ self._vcov(vcov).to_numpy() @ J.T
        names = list(self.params.index[:-1]) + ["BID" if kind == "identity" else "log(bid)"]
        return (pd.Series(est, index=names, name="estimate"),
                pd.DataFrame(vc, index=names, columns=names))

    def summary_frame(self, level: float = 0.95, parameterization: str = "wtp",
                      vcov: str = "design") -> pd.DataFrame:
        """Coefficient table: ``estimate, se, ci_low, ci_high, statistic, p_value``.

        Parameters
        ----------
        level : float
            Confidence level (t on ``df_resid``).
        parameterization : {"wtp", "dcchoice"}
            ``"wtp"``: coefficients of ``T(WTP)`` and ``log(scale)`` (R
            ``survreg``); ``"dcchoice"``: intercept, covariates and bid
            coefficient of R DCchoice (see :meth:`dcchoice_params`).
        vcov : {"design", "model"}
            Design-based SEs (default), or model-based ones from the inverse
            Hessian (:attr:`vcov_model`), as SRS software reports them.

        Returns
        -------
        DataFrame
            One row per coefficient.
        """
        check_argument("parameterization", ["wtp", "dcchoice"], parameterization)
        if parameterization == "dcchoice":
            params, vc = self.dcchoice_params(vcov)
        else:
            params, vc = self.params, self._vcov(vcov)
        se = pd.Series(np.sqrt(np.clip(np.diag(vc.to_numpy()), 0, None)), index=params.index)
        check_probability("level", level)
        q = t_quantile(0.5 + level / 2, self.df_resid if self.df_resid > 0 else np.nan)
        t = params / se
        p = (2 * stats.t.sf(np.abs(t), self.df_resid) if self.df_resid > 0
             else np.full(len(t), np.nan))
        return result_frame(params, se, params - q * se, params + q * se,
                            extra={"statistic": t, "p_value": p})

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Return the forest-plot frame: a ``term`` column plus the summary columns.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the intervals.

        Returns
        -------
        DataFrame
            :meth:`summary_frame` with its index as a ``term`` column.
        """
        return self.summary_frame(level).rename_axis("term").reset_index()

    # -------------------------------------------------------------- predictions
    def _eta(self, theta: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
        X = self._X if X is None else X
        return X @ theta[:-1]

    def predict(self, newdata: pd.DataFrame | None = None, type: str = "median",
                q: float = 0.5) -> pd.Series:
        """Per-respondent predictions.

        Parameters
        ----------
        newdata : DataFrame, optional
            Rows to predict (default: the model's rows).
        type : {"median", "mean", "quantile", "linear"}
            Value scale summaries, or the linear predictor of ``T(Y)``.
        q : float
            Quantile for ``type="quantile"``.

        Returns
        -------
        Series
            One prediction per row, indexed by the rows' design positions
            (default) or ``newdata``'s index.
        """
        check_argument("type", ["median", "mean", "quantile", "linear"], type)
        theta = self.params.to_numpy()
        if newdata is None:
            X, index = self._X, pd.Index(self._rows)
        else:
            from .._formula import new_design_matrix

            X, pos = new_design_matrix(self.model_frame, newdata)
            index = newdata.index[pos]
        eta = self._eta(theta, X)
        if type == "linear":
            out = eta
        elif type == "mean":
            out = row_mean(self.dist, eta, theta[-1])
            if np.isinf(out).any():
                infinite_mean_warning(self.dist, self.scale,
                                      f"the mean of {int(np.isinf(out).sum())} row(s)")
        else:
            out = row_quantile(self.dist, eta, theta[-1], 0.5 if type == "median" else q)
        return pd.Series(out, index=index, name=type)

    # -------------------------------------------------------------- population statistics
    def _groups(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct covariate rows (WTP depends on x only) and their inverse map."""
        ux, inv = np.unique(self._X, axis=0, return_inverse=True)
        return ux, inv.ravel(), np.bincount(inv.ravel(), weights=self._w, minlength=len(ux))

    def _stats(self, name: str, thetas: np.ndarray, ux: np.ndarray, wx: np.ndarray,
               truncate: tuple[float, float] | None = None, value: float | None = None
               ) -> np.ndarray:
        """A population statistic for each row of ``thetas`` (vectorised).

        ``wx`` holds the weight of each covariate row, (g,) or one row per
        theta.  ``name`` is ``"mean"``, ``"median"``, ``"survival"`` (share
        with a value >= ``value``) or ``"quantile"`` (the value whose
        survival is ``value``).  Thetas are processed in chunks so memory
        stays near ``_CHUNK`` values whatever the number of covariate rows.
        """
        thetas = np.atleast_2d(thetas)
        wx = np.asarray(wx, dtype=float)
        step = max(1, _CHUNK // max(ux.shape[0], 1))
        out = np.empty(thetas.shape[0])
        for start in range(0, thetas.shape[0], step):  # chunks of parameter draws
            sl = slice(start, start + step)
            th = thetas[sl]
            eta = th[:, :-1] @ ux.T
            ls = th[:, [-1]]
            wrow = wx if wx.ndim == 1 else wx[sl]
            share = np.broadcast_to(wrow / wrow.sum(axis=-1, keepdims=True), eta.shape)
            if name == "mean":
                out[sl] = np.sum(row_mean(self.dist, eta, ls, truncate) * share, axis=1)
            elif name == "survival":
                out[sl] = np.sum(row_survival(self.dist, eta, ls, value)[..., 0] * share, axis=1)
            else:
                # "median", or "quantile" at survival level `value` (scalar or one per theta)
                target = 0.5 if name == "median" else np.broadcast_to(
                    np.asarray(value, dtype=float), (thetas.shape[0],))[sl]
                out[sl] = _mixture_quantile(self.dist, eta, ls, share, target)
        return out

    def _kr_rows(self, ux: np.ndarray, wx: np.ndarray, max_rows: int
                 ) -> tuple[np.ndarray, np.ndarray]:
        """At most ``max_rows`` covariate rows standing for the population in KR draws.

        A systematic sample along the fitted linear predictor (equal weights),
        so its spread of WTP matches the population's.
        """
        if ux.shape[0] <= max_rows:
            return ux, wx
        order = np.argsort(ux @ self.params.to_numpy()[:-1], kind="stable")
        cum = np.cumsum(wx[order])
        picks = np.searchsorted(cum, (np.arange(max_rows) + 0.5) * cum[-1] / max_rows)
        return ux[order[np.minimum(picks, order.size - 1)]], np.full(max_rows, cum[-1] / max_rows)

    def _gradient(self, name: str, theta: np.ndarray, ux: np.ndarray, wx: np.ndarray,
                  truncate: tuple[float, float] | None, value: float | None) -> np.ndarray:
        """Central-difference gradient in theta (all 2k evaluations in one call)."""
        k = theta.size
        h = 1e-6 * np.maximum(1.0, np.abs(theta))
        steps = np.vstack([theta + np.diag(h), theta - np.diag(h)])
        vals = self._stats(name, steps, ux, wx, truncate, value)
        return (vals[:k] - vals[k:]) / (2 * h)

    def _linearize(self, name: str, est: float, truncate: tuple[float, float] | None = None,
                   value: float | None = None) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Weighted influence (n_design,) on a Taylor design, or replicate values (R,)."""
        theta = self.params.to_numpy()
        ux, inv, wx = self._groups()
        var = self.variance
        if var.replicates is not None:
            reps = np.asarray(var.design.repweights, dtype=float)[self._rows]
            # Weight of each covariate row in each replicate (R x g).
            wr = np.zeros((reps.shape[1], ux.shape[0]))
            np.add.at(wr.T, inv, reps)
            return None, self._stats(name, var.replicates, ux, wr, truncate, value)
        # A DesignVariance without replicates carries influence values (Taylor design).
        assert var.influence is not None
        W = wx.sum()
        eta = ux @ theta[:-1]
        if name in ("median", "quantile"):
            # Implicit function of Sbar(m) = p: dm = -dSbar / (dSbar/dm).
            p = 0.5 if name == "median" else float(value)  # type: ignore[arg-type]
            h = row_survival(self.dist, eta, theta[-1], est)[:, 0] - p
            grad = self._gradient("survival", theta, ux, wx, None, est)
            scale = -1.0 / self.survival_slope(est)
        else:
            h = (row_mean(self.dist, eta, theta[-1], truncate) if name == "mean"
                 else row_survival(self.dist, eta, theta[-1], value)[:, 0]) - est
            grad = self._gradient(name, theta, ux, wx, truncate, value)
            scale = 1.0
        z = np.zeros(var.influence.shape[0])
        z[self._rows] = self._w * h[inv] / W
        return (z + var.influence @ grad) * scale, None

    def survival_slope(self, value: float) -> float:
        """Return ``d/dv`` of the population share with a value >= v, at ``value``.

        Parameters
        ----------
        value : float
            Amount at which the slope is taken (central difference).

        Returns
        -------
        float
            Slope of the population survival curve (negative or zero).
        """
        theta = self.params.to_numpy()
        ux, _, wx = self._groups()
        dm = 1e-6 * max(1.0, abs(value))
        up = self._stats("survival", theta, ux, wx, None, value + dm)[0]
        down = self._stats("survival", theta, ux, wx, None, value - dm)[0]
        return (up - down) / (2 * dm)

    def _se(self, name: str, est: float, truncate: tuple[float, float] | None = None,
            value: float | None = None) -> float:
        """Design SE of a population statistic (linearisation or replicates)."""
        if not np.isfinite(est):
            return np.nan
        z, reps = self._linearize(name, est, truncate, value)
        design = self.variance.design
        if reps is not None:
            return float(np.sqrt(design.replicate_vcov(reps[:, None], np.array([est]))[0, 0]))
        assert z is not None  # no replicate values: _linearize returned influence values
        return float(np.sqrt(max(design.vcov_scores(z[:, None])[0, 0], 0.0)))

    def wtp(self, statistics: tuple[str, ...] | str = WTP_STATISTICS, *,
            truncate: tuple[float, float] | bool | None = None, adjust: bool = False,
            at: str | pd.DataFrame = "population", krinsky_robb: bool = True,
            n_draws: int = 2000, seed: Any = None, max_kr_rows: int = 2000,
            kr_vcov: str = "design", kr_parameterization: str = "wtp",
            bootstrap: bool = False) -> WTPResult:
        """Mean and median willingness to pay: of the population, at covariate means or values.

        Parameters
        ----------
        statistics : str or tuple of str
            ``"mean"`` and/or ``"median"``.
        truncate : (lo, hi), True or None
            Report the truncated mean ``E[min(max(Y, lo), hi)]``, which is
            ``lo + integral_lo^hi P(Y >= t) dt`` (``True``: ``[0, bid_max]``,
            DCchoice's "truncated mean" ``integral_0^bid_max (1 - F(t)) dt``),
            useful when the untruncated mean is infinite (log-logistic with
            ``scale >= 1``) or driven by the tail.  Either bound may be
            infinite: ``(0, inf)`` is the mean of ``max(Y, 0)``, ``(-inf,
            inf)`` the ordinary mean.  Computed in closed form or by adaptive
            integration (see :func:`analysis.pricing.censored.row_mean`), accurate for any
            bounds.
        adjust : bool
            With ``truncate``, also report DCchoice's "truncated mean with
            adjustment", ``mean_truncated_adjusted``: the truncated mean
            divided by ``P(Y < hi)`` (DCchoice ``wtp()``'s
            ``adj.trunc.meanWTP``).
        at : "population", "means" or DataFrame
            ``"population"``: averages over the respondents (see the module
            notes).  ``"means"``: the statistics of one respondent with the
            weighted covariate means (DCchoice evaluates at ``colMeans(X)``,
            the same with unit weights); a DataFrame: at each of its rows
            (covariate values, labelled ``"<statistic>[<row>]"``).  At
            covariate values the means are held fixed and SEs come from the
            design covariance of the coefficients.
        krinsky_robb : bool
            Add Krinsky-Robb percentile intervals: the statistic recomputed
            for ``n_draws`` parameter draws from ``N(theta, vcov)``.
        n_draws : int
            Krinsky-Robb draws.
        seed : int or Generator, optional
            Seed of the draws (no global random state is used).
        max_kr_rows : int
            With more distinct covariate rows than this, Krinsky-Robb draws
            average over a systematic subsample of them (re-centred on the
            full-population estimate), keeping draws fast on large surveys.
        kr_vcov : {"design", "model"}
            Covariance of the Krinsky-Robb draws: design-based, or the
            model-based inverse Hessian (:attr:`vcov_model`, as DCchoice's
            ``krCI``).
        kr_parameterization : {"wtp", "dcchoice"}
            Scale on which the Krinsky-Robb draws are normal: the fitted
            ``(theta, log(scale))`` (default), or R DCchoice's intercept,
            covariate and bid coefficients (:meth:`dcchoice_params`), as
            ``krCI`` draws them.  The percentile limits depend on it when the
            bid coefficient is imprecise; draws with a bid coefficient ``>= 0``
            (no WTP distribution) are left out, with a warning.
        bootstrap : bool
            Add bootstrap percentile intervals (``boot_low, boot_high``): each
            statistic from each replicate refit, as R DCchoice ``bootCI``
            (which resamples respondents) -- here the design's bootstrap
            replicates, so fit with ``variance="replicate"`` (``seed=`` makes
            them reproducible) or on a bootstrap replicate design.

        Returns
        -------
        WTPResult
            ``.summary_frame(level)`` gives the intervals at ``level``.

        Raises
        ------
        ModelError
            ``truncate`` is not an interval ``lo <= hi``; ``adjust`` without
            ``truncate``; ``at`` neither a keyword nor a frame; ``bootstrap``
            without bootstrap replicates.

        Warns
        -----
        SurveyWarning
            The (truncated) mean is infinite -- a log-logistic fit with
            ``scale >= 1`` and ``hi = inf`` -- or some Krinsky-Robb draws have
            an infinite mean.  The estimate is ``inf`` and its SE ``NaN``.

        Notes
        -----
        Delta-method SEs include the variability of the population weights
        (linearisation) or of everything (replicates); Krinsky-Robb draws
        only the parameters and keeps the weights fixed.
        """
        stats_ = (statistics,) if isinstance(statistics, str) else tuple(statistics)
        for s in stats_:
            check_argument("statistics", list(WTP_STATISTICS), s)
        if truncate is True:
            if self.bid_max is None:
                raise ModelError("truncate=True needs finite bounds in the data",
                                 hint="pass truncate=(lo, hi)")
            truncate = (0.0, float(self.bid_max))
        trunc = None if truncate is None or truncate is False else check_truncate(truncate)
        if adjust and (trunc is None or "mean" not in stats_):
            raise ModelError("adjust=True needs the mean and truncate=", hint="truncate=True")
        # Each reported statistic: (label, name, truncation); "adjusted" = truncated / P(Y < hi).
        todo = [("mean_truncated" if (s == "mean" and trunc) else s, s,
                 trunc if s == "mean" else None) for s in stats_]
        if adjust:
            todo.insert(stats_.index("mean") + 1, ("mean_truncated_adjusted", "adjusted", trunc))
        theta = self.params.to_numpy()
        hi = None if trunc is None else trunc[1]

        def value(name: str, thetas: np.ndarray, uk: np.ndarray, wk: np.ndarray,
                  tr: tuple[float, float] | None) -> np.ndarray:
            if name != "adjusted":
                return self._stats(name, thetas, uk, wk, tr)
            return (self._stats("mean", thetas, uk, wk, tr)
                    / (1 - self._stats("survival", thetas, uk, wk, None, hi)))

        ux, _, wx = self._groups()
        if isinstance(at, pd.DataFrame):
            from .._formula import new_design_matrix

            X, pos = new_design_matrix(self.model_frame, at)
            points = [(f"[{lab}]", X[[i]]) for i, lab in zip(range(len(pos)), at.index[pos])]
        elif at == "means":
            points = [("", (wx @ ux / wx.sum())[None, :])]
        elif at == "population":
            points = [("", ux)]
        else:
            raise ModelError(f"at={at!r}: use 'population', 'means' or a DataFrame of "
                             "covariate values")
        vc = self.vcov.to_numpy()
        population = isinstance(at, str) and at == "population"
        estimates, ses, rows = {}, {}, {}
        for suffix, u in points:  # the population, the mean row or each given row
            wu = wx if population else np.ones(u.shape[0])
            for label, name, tr in todo:
                key = label + suffix
                est = float(value(name, theta, u, wu, tr)[0])
                if np.isinf(est):
                    infinite_mean_warning(self.dist, self.scale, f"the {label.replace('_', ' ')}")
                estimates[key] = est
                rows[key] = (name, tr, u, wu)
                if not np.isfinite(est):
                    ses[key] = np.nan
                elif population:
                    ses[key] = (self._adjusted_se(est, tr) if name == "adjusted"
                                else self._se(name, est, tr))
                else:
                    h = 1e-6 * np.maximum(1.0, np.abs(theta))
                    steps = np.vstack([theta + np.diag(h), theta - np.diag(h)])
                    v = value(name, steps, u, wu, tr)
                    g = (v[:theta.size] - v[theta.size:]) / (2 * h)
                    ses[key] = float(np.sqrt(max(g @ vc @ g, 0.0)))
        estimate = pd.Series(estimates, dtype=float).rename_axis("statistic")
        kr = None
        if krinsky_robb:
            check_argument("kr_parameterization", ["wtp", "dcchoice"], kr_parameterization)
            rng = as_rng(seed)
            if kr_parameterization == "wtp":
                draws = rng.multivariate_normal(theta, self._vcov(kr_vcov).to_numpy(),
                                                size=int(n_draws), method="eigh")
            else:
                draws = self._dcchoice_draws(rng, kr_vcov, int(n_draws))
            kr = {}
            for key, (name, tr, u, wu) in rows.items():
                # Many covariate rows: draws use a systematic subsample, re-centred on the
                # full-population estimate so only the draw-to-draw variation comes from it.
                uk, wk = self._kr_rows(u, wu, max_kr_rows)
                vals = value(name, draws, uk, wk, tr)
                if uk.shape[0] != u.shape[0]:
                    vals += estimate[key] - value(name, theta, uk, wk, tr)[0]
                if np.isinf(vals).any() and np.isfinite(estimate[key]):
                    infinite_mean_warning(
                        self.dist, self.scale, f"the {key.replace('_', ' ')} of "
                        f"{int(np.isinf(vals).sum())} of {vals.size} Krinsky-Robb draws")
                kr[key] = vals
        boot = self._boot_values(rows, value, population) if bootstrap else None
        return WTPResult(estimate, pd.Series(ses, dtype=float), self.df_resid, self.dist,
                         draws=None if kr is None else pd.DataFrame(kr), seed=seed, boot=boot)

    def _dcchoice_draws(self, rng: np.random.Generator, vcov: str, n: int) -> np.ndarray:
        """Krinsky-Robb draws normal in DCchoice's coefficients, mapped back to theta."""
        params, vc = self.dcchoice_params(vcov)
        d = rng.multivariate_normal(params.to_numpy(), vc.to_numpy(), size=n, method="eigh")
        keep = d[:, -1] < 0  # theta = -(alpha, gamma) / beta, scale = -1 / beta
        if not keep.all():
            warnings.warn(f"{int((~keep).sum())} of {n} Krinsky-Robb draws have a bid "
                          "coefficient >= 0 (no WTP distribution) and are left out",
                          SurveyWarning, stacklevel=3)
        d = d[keep]
        sigma = -1.0 / d[:, -1]
        return np.column_stack([d[:, :-1] * sigma[:, None], np.log(sigma)])

    def _boot_values(self, rows: dict[str, Any], value: Any, population: bool) -> pd.DataFrame:
        """Each statistic from each bootstrap replicate's coefficients (and weights)."""
        var = self.variance
        if var.replicates is None or getattr(var.design, "rep_type", None) != "bootstrap":
            raise ModelError("bootstrap=True needs bootstrap replicate refits",
                             hint="fit with variance='replicate', rep_type='bootstrap', seed=...")
        reps = np.asarray(var.design.repweights, dtype=float)[self._rows]
        ux, inv, _ = self._groups()
        wr = np.zeros((reps.shape[1], ux.shape[0]))  # each covariate row's weight per replicate
        np.add.at(wr.T, inv, reps)
        out = {}
        for key, (name, tr, u, wu) in rows.items():  # a few statistics
            w_rep = wr if population else np.broadcast_to(wu, (reps.shape[1], wu.size))
            out[key] = value(name, var.replicates, u, w_rep, tr)
        return pd.DataFrame(out)

    def _adjusted_se(self, est: float, trunc: tuple[float, float] | None) -> float:
        """Design SE of the population truncated mean over ``P(Y < hi)`` (a ratio)."""
        assert trunc is not None  # adjust=True requires truncate=
        theta = self.params.to_numpy()
        ux, _, wx = self._groups()
        hi = trunc[1]
        a = float(self._stats("mean", theta, ux, wx, trunc)[0])
        s_hi = float(self._stats("survival", theta, ux, wx, None, hi)[0])
        za, ra = self._linearize("mean", a, trunc)
        zs, rs = self._linearize("survival", s_hi, None, hi)
        design = self.variance.design
        if ra is not None and rs is not None:
            reps = ra / (1 - rs)
            return float(np.sqrt(design.replicate_vcov(reps[:, None], np.array([est]))[0, 0]))
        # Taylor design: both linearisations are influence values.
        assert za is not None
        assert zs is not None
        # d(A / (1 - S)) = dA / (1 - S) + A dS / (1 - S)^2
        z = za / (1 - s_hi) + a * zs / (1 - s_hi) ** 2
        return float(np.sqrt(max(design.vcov_scores(z[:, None])[0, 0], 0.0)))

    def demand_curve(self, values: np.ndarray | None = None, *, level: float = 0.95,
                     n_points: int = 50) -> pd.DataFrame:
        """Share of the population willing to pay at least each value.

        Parameters
        ----------
        values : array-like, optional
            Amounts (default: ``n_points`` from 0 to 1.5 x the largest bound;
            0 to 1 for ratio models).
        level : float
            Confidence level (logit-transformed Wald interval).
        n_points : int
            Grid size when ``values`` is omitted.

        Returns
        -------
        DataFrame
            ``value, estimate, se, ci_low, ci_high`` (plot-ready; ``estimate``
            is the share).
        """
        check_probability("level", level)
        if values is None:
            top = 1.0 if DISTRIBUTIONS[self.dist][0] == "logit" else 1.5 * (self.bid_max or 1.0)
            values = np.linspace(0, top, n_points)
        values = np.asarray(values, dtype=float)
        theta = self.params.to_numpy()
        ux, _, wx = self._groups()
        share = np.array([self._stats("survival", theta, ux, wx, None, v)[0] for v in values])
        se = np.array([self._se("survival", s, None, v) for s, v in zip(share, values)])
        low, high = probability_interval(share, se, level, self.df_resid)
        return pd.DataFrame({"value": values, "estimate": share, "se": se, "ci_low": low,
                             "ci_high": high})




def _mixture_quantile(dist: str, eta: np.ndarray, log_scale: np.ndarray, share: np.ndarray,
                      surv: Any = 0.5) -> np.ndarray:
    """Value whose mixture survival is ``surv`` (0.5: the median), by vectorised bisection.

    ``eta`` and ``share`` are (D, g): D mixtures of g components; ``log_scale``
    is (D, 1); ``surv`` is a scalar or one level per mixture.
    """
    kind, law = DISTRIBUTIONS[dist]
    surv = np.broadcast_to(np.asarray(surv, dtype=float), (eta.shape[0],))
    # The mixture's solution lies between its components' own solutions.
    comp = inverse_transform(kind, eta + np.exp(log_scale) * error_quantile(law, 1 - surv[:, None]))
    lo, hi = comp.min(axis=1), comp.max(axis=1)
    s = np.exp(log_scale)
    for _ in range(80):  # bisection iterations, all mixtures at once
        mid = 0.5 * (lo + hi)
        above = np.sum(np.exp(log_sf(law, (transform(kind, mid)[:, None] - eta) / s)) * share,
                       axis=1) > surv
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        if np.all(hi - lo <= 1e-13 * np.maximum(1.0, np.abs(hi))):
            break
    return 0.5 * (lo + hi)
