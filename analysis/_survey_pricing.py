"""The pricing verbs of :class:`~analysis.survey.SurveyDesign` (a mixin).

Turnbull curves and second-hand thresholds (:mod:`analysis.pricing.threshold`),
interval regression and dichotomous-choice CV (:mod:`analysis.pricing.contingent`),
the payment-card hurdle (:mod:`analysis.pricing.hurdle`) and the Van Westendorp
price sensitivity meter (:mod:`analysis.pricing.vanwestendorp`).  Where an
implementation forwards options to :func:`~analysis.pricing.contingent.interval_regression`
or :func:`~analysis.pricing.threshold.turnbull`, the method spells them out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .codebook import Codebook
from .design.core import Design
from .pricing.contingent import dc_cv, interval_regression
from .pricing.hurdle import WTPHurdleResult, wtp_hurdle
from .pricing.nms import DEFAULT_PI_CALIBRATED, DEFAULT_PI_SCALE
from .pricing.nonparametric import KristromResult, kristrom
from .pricing.npmle import TurnbullResult
from .pricing.oohb import oohb_cv
from .pricing.regression import IntervalRegressionResult
from .pricing.spike import spike_cv
from .pricing.threshold import (
    GroupedResult,
    HurdleResult,
    ThresholdResult,
    dc_turnbull,
    second_hand_threshold,
    threshold_model,
    turnbull,
)
from .pricing.vanwestendorp import VanWestendorpResult, van_westendorp

__all__ = ["PricingMethods"]


class PricingMethods(Design):
    """Willingness to pay and second-hand thresholds as design methods.

    Parameters
    ----------
    data, weights, strata, psu, fpc, nest, lonely_psu, freq_weights, pps, variance : see Design
        The constructor's arguments, as :class:`~analysis.design.core.Design`.
    """

    def turnbull(self, lower: Any, upper: Any, *, by: str | None = None, closed: str = "left",
                 variance: str = "auto", rep_type: str = "bootstrap", replicates: int = 200,
                 seed: Any = None, ci: str = "logit", name: str = "value",
                 tol: float = 1e-11, maxit: int = 20000) -> TurnbullResult | GroupedResult:
        """Weighted Turnbull NPMLE of interval-censored values with design-based CIs.

        Parameters
        ----------
        lower, upper : str or array-like
            Column names or arrays of bounds (``NaN`` / infinite: unbounded).
        by : str, optional
            Estimate each group as a domain of the full design.
        closed : {"left", "right"}
            ``[lower, upper)`` or ``(lower, upper]``.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        ci : {"logit", "wald"}
            Interval scale for curve values.
        name : str
            Name of the value column in tables.
        tol : float
            EM convergence tolerance.
        maxit : int
            EM iteration cap.

        Returns
        -------
        TurnbullResult or GroupedResult
            ``.curve(at)``, ``.share_below(t)``, ``.mean_lower_bound()``.

        See Also
        --------
        analysis.pricing.threshold.turnbull
        """
        return turnbull(self, lower, upper, by=by, closed=closed, variance=variance,
                        rep_type=rep_type, replicates=replicates, seed=seed, ci=ci,
                        name=name, tol=tol, maxit=maxit)

    def second_hand_threshold(self, question: str | Sequence[str], *, by: str | None = None,
                              need_at_most: Sequence[float] = (0.4,),
                              codebook: Codebook | None = None, variance: str = "auto",
                              rep_type: str = "bootstrap", replicates: int = 200,
                              seed: Any = None, ci: str = "logit"
                              ) -> ThresholdResult | GroupedResult:
        """Second-hand discount threshold from a price-ratio ladder (a hurdle).

        Parameters
        ----------
        question : str or list of str
            ``price_ladder`` question id(s); several give a :class:`GroupedResult`.
        by : str, optional
            Subgroup column; each group is a domain of the full design.
        need_at_most : sequence of float
            Ratios ``c`` for "share who need a price of ``c`` x new or less".
        codebook : Codebook, optional
            Defaults to the frame's.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        ci : {"logit", "wald"}
            Interval scale for curve values.

        Returns
        -------
        ThresholdResult or GroupedResult
            Acceptance curve, shares needing at most each ratio, never-buyers.

        See Also
        --------
        analysis.pricing.threshold.second_hand_threshold
        """
        return second_hand_threshold(self, question, by=by, need_at_most=need_at_most,
                                     codebook=codebook, variance=variance, rep_type=rep_type,
                                     replicates=replicates, seed=seed, ci=ci)

    def threshold_model(self, question: str, formula: str = "~ 1", *, dist: str = "logitnormal",
                        codebook: Codebook | None = None, variance: str = "auto",
                        rep_type: str = "bootstrap", replicates: int = 200, seed: Any = None,
                        tol: float = 1e-10, maxit: int = 100) -> HurdleResult:
        """Who needs a deeper second-hand discount: a two-part (hurdle) model.

        Parameters
        ----------
        question : str
            ``price_ladder`` question id.
        formula : str
            Right-hand side (covariates), e.g. ``"~ C(city_tier) + age"``.
        dist : str
            Model of buyers' maximum ratio (``"logitnormal"``, ``"lognormal"``, ...).
        codebook : Codebook, optional
            Defaults to the frame's.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        tol : float
            Newton convergence tolerance.
        maxit : int
            Newton iteration cap.

        Returns
        -------
        HurdleResult
            ``.never`` (logit of never buying) and ``.threshold`` (buyers' model).

        See Also
        --------
        analysis.pricing.threshold.threshold_model
        """
        return threshold_model(self, question, formula, dist=dist, codebook=codebook,
                               variance=variance, rep_type=rep_type, replicates=replicates,
                               seed=seed, tol=tol, maxit=maxit)

    def dc_turnbull(self, question: str | None = None, *, bid1: str | None = None,
                    ans1: str | None = None, bid2: str | None = None, ans2: str | None = None,
                    codebook: Codebook | None = None, by: str | None = None,
                    variance: str = "auto", rep_type: str = "bootstrap", replicates: int = 200,
                    seed: Any = None, ci: str = "logit", name: str = "bid",
                    tol: float = 1e-11, maxit: int = 20000) -> TurnbullResult | GroupedResult:
        """Turnbull acceptance curve of dichotomous-choice answers.

        Parameters
        ----------
        question : str, optional
            A ``dc_bid`` question (columns ``<id>_bid1`` ... ``<id>_ans2``).
        bid1, ans1, bid2, ans2 : str, optional
            Column names instead of (or overriding) the question's.
        codebook : Codebook, optional
            Defaults to the frame's.
        by : str, optional
            Estimate each group as a domain of the full design.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        ci : {"logit", "wald"}
            Interval scale for curve values.
        name : str
            Name of the value column in tables.
        tol : float
            EM convergence tolerance.
        maxit : int
            EM iteration cap.

        Returns
        -------
        TurnbullResult or GroupedResult
            ``.mean_lower_bound()`` is the nonparametric lower-bound mean WTP.

        See Also
        --------
        analysis.pricing.threshold.dc_turnbull
        """
        return dc_turnbull(self, question, bid1=bid1, ans1=ans1, bid2=bid2, ans2=ans2,
                           codebook=codebook, by=by, variance=variance, rep_type=rep_type,
                           replicates=replicates, seed=seed, ci=ci, name=name,
                           tol=tol, maxit=maxit)

    def interval_regression(self, formula: str = "~ 1", lower: Any = None, upper: Any = None,
                            *, dist: str = "lognormal", codebook: Codebook | None = None,
                            variance: str = "auto", rep_type: str = "bootstrap",
                            replicates: int = 200, seed: Any = None, tol: float = 1e-10,
                            maxit: int = 100, kind: str = "interval") -> IntervalRegressionResult:
        """Interval-censored regression with survey weights and design-based SEs.

        Parameters
        ----------
        formula : str
            ``"~ x1 + x2"`` with ``lower``/``upper``, or ``"<question> ~ x1"``
            with bounds from a codebook question.
        lower, upper : str or array-like, optional
            Bounds (``NaN`` = unbounded) when the formula has no left side.
        dist : str
            ``"lognormal"``, ``"loglogistic"``, ``"weibull"``, ``"normal"``,
            ``"logistic"``, ``"logitnormal"``, ``"logitlogistic"``.
        codebook : Codebook, optional
            Defaults to the frame's.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        tol : float
            Newton convergence tolerance.
        maxit : int
            Newton iteration cap.
        kind : str
            Label of the data kind kept on the result.

        Returns
        -------
        IntervalRegressionResult
            ``.summary_frame()``, ``.wtp()``, ``.demand_curve()``, ``.predict()``.

        See Also
        --------
        analysis.pricing.contingent.interval_regression
        """
        return interval_regression(self, formula, lower, upper, dist=dist, codebook=codebook,
                                   variance=variance, rep_type=rep_type, replicates=replicates,
                                   seed=seed, tol=tol, maxit=maxit, kind=kind)

    def dc_cv(self, question: str | None = None, formula: str = "~ 1", *,
              dist: str = "logistic", bid1: str | None = None, ans1: str | None = None,
              bid2: str | None = None, ans2: str | None = None, codebook: Codebook | None = None,
              variance: str = "auto", rep_type: str = "bootstrap", replicates: int = 200,
              seed: Any = None, tol: float = 1e-10, maxit: int = 100) -> IntervalRegressionResult:
        """Single- or double-bounded dichotomous-choice contingent valuation.

        Parameters
        ----------
        question : str, optional
            A ``dc_bid`` question.
        formula : str
            Right-hand side with covariates of WTP (``"~ 1"``: none).
        dist : str
            ``"logistic"`` / ``"normal"`` (WTP may be negative) or
            ``"loglogistic"``, ``"lognormal"``, ``"weibull"``.
        bid1, ans1, bid2, ans2 : str, optional
            Column names instead of (or overriding) the question's.
        codebook : Codebook, optional
            Defaults to the frame's.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        tol : float
            Newton convergence tolerance.
        maxit : int
            Newton iteration cap.

        Returns
        -------
        IntervalRegressionResult
            ``.wtp()`` for mean / median WTP, ``.demand_curve()``.

        See Also
        --------
        analysis.pricing.contingent.dc_cv
        """
        return dc_cv(self, question, formula, dist=dist, bid1=bid1, ans1=ans1, bid2=bid2,
                     ans2=ans2, codebook=codebook, variance=variance, rep_type=rep_type,
                     replicates=replicates, seed=seed, tol=tol, maxit=maxit)

    def wtp_hurdle(self, question: str, formula: str = "~ 1", *, dist: str = "lognormal",
                   codebook: Codebook | None = None, variance: str = "auto",
                   rep_type: str = "bootstrap", replicates: int = 200, seed: Any = None,
                   tol: float = 1e-10, maxit: int = 100) -> WTPHurdleResult:
        """Payment-card premium with "would not pay more" as its own group.

        Parameters
        ----------
        question : str
            A ``payment_card`` (or ``price_ladder``) question with a ``never`` option.
        formula : str
            Right-hand side of the payers' model.
        dist : str
            Payers' premium distribution.
        codebook : Codebook, optional
            Defaults to the frame's.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        tol : float
            Newton convergence tolerance.
        maxit : int
            Newton iteration cap.

        Returns
        -------
        WTPHurdleResult
            ``.wtp()`` over everyone and among payers, ``.demand_curve()``.

        See Also
        --------
        analysis.pricing.hurdle.wtp_hurdle
        """
        return wtp_hurdle(self, question, formula, dist=dist, codebook=codebook,
                          variance=variance, rep_type=rep_type, replicates=replicates, seed=seed,
                          tol=tol, maxit=maxit)

    def oohb_cv(self, formula: str = "~ 1", *, bid_low: str, bid_high: str, ans1: str,
                ans2: str, dist: str = "logistic", codebook: Codebook | None = None,
                variance: str = "auto", rep_type: str = "bootstrap", replicates: int = 200,
                seed: Any = None, tol: float = 1e-10, maxit: int = 100
                ) -> IntervalRegressionResult:
        """Fit a one-and-one-half-bound dichotomous-choice model.

        Parameters
        ----------
        formula : str
            Right-hand side with covariates of WTP.
        bid_low, bid_high : str
            Columns of each respondent's lower and upper bid.
        ans1, ans2 : str
            First and second answers (1/0; the second -9 or missing when not asked).
        dist : str
            ``"logistic"``, ``"normal"``, ``"loglogistic"``, ``"lognormal"``, ``"weibull"``.
        codebook : Codebook, optional
            Defaults to the frame's.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        tol : float
            Newton convergence tolerance.
        maxit : int
            Newton iteration cap.

        Returns
        -------
        IntervalRegressionResult
            ``.wtp()``, ``.summary_frame(parameterization="dcchoice")``.

        See Also
        --------
        analysis.pricing.oohb.oohb_cv
        """
        return oohb_cv(self, formula, bid_low=bid_low, bid_high=bid_high, ans1=ans1, ans2=ans2,
                       dist=dist, codebook=codebook, variance=variance, rep_type=rep_type,
                       replicates=replicates, seed=seed, tol=tol, maxit=maxit)

    def spike_cv(self, formula: str = "~ 1", *, bid1: str, ans1: str, spike: str,
                 bid2: str | None = None, ans2: str | None = None, dist: str = "logistic",
                 codebook: Codebook | None = None, variance: str = "auto",
                 rep_type: str = "bootstrap", replicates: int = 200, seed: Any = None,
                 tol: float = 1e-10, maxit: int = 100) -> IntervalRegressionResult:
        """Fit a single- or double-bounded spike model (a share with zero WTP).

        Parameters
        ----------
        formula : str
            Right-hand side with covariates of WTP.
        bid1, ans1 : str
            First bid and answer (1/0).
        spike : str
            Whether the respondent would pay anything (1/0).
        bid2, ans2 : str, optional
            Follow-up bid and answer (double-bounded spike).
        dist : {"logistic", "normal"}
            Distribution of the latent WTP.
        codebook : Codebook, optional
            Defaults to the frame's.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        tol : float
            Newton convergence tolerance.
        maxit : int
            Newton iteration cap.

        Returns
        -------
        IntervalRegressionResult
            ``.wtp("mean", truncate=(0, np.inf))`` is the spike mean.

        See Also
        --------
        analysis.pricing.spike.spike_cv
        """
        return spike_cv(self, formula, bid1=bid1, ans1=ans1, spike=spike, bid2=bid2,
                        ans2=ans2, dist=dist, codebook=codebook, variance=variance,
                        rep_type=rep_type, replicates=replicates, seed=seed, tol=tol,
                        maxit=maxit)

    def kristrom(self, question: str | None = None, *, bid: str | None = None,
                 answer: str | None = None, codebook: Codebook | None = None,
                 pooling: str = "pava", variance: str = "auto", rep_type: str = "bootstrap",
                 replicates: int = 200, seed: Any = None) -> KristromResult:
        """Estimate WTP nonparametrically (Kriström) from single-bounded dichotomous-choice answers.

        Parameters
        ----------
        question : str, optional
            A ``dc_bid`` question (its first bid and answer).
        bid, answer : str, optional
            Bid and yes/no (1/0) columns instead of the question's.
        codebook : Codebook, optional
            Defaults to the frame's.
        pooling : {"pava", "dcchoice"}
            NPMLE pooling of rising shares, or R DCchoice's loop.
        variance : {"auto", "linearization", "replicate"}
            Variance method (``"auto"``: the design's own).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.

        Returns
        -------
        KristromResult
            ``.summary_frame()`` (Spearman-Kärber, truncated and lower-bound
            means, median) and ``.curve()``.

        See Also
        --------
        analysis.pricing.nonparametric.kristrom
        """
        return kristrom(self, question, bid=bid, answer=answer, codebook=codebook,
                        pooling=pooling, variance=variance, rep_type=rep_type, replicates=replicates, seed=seed)

    def van_westendorp(self, too_cheap: str | None = None, cheap: str | None = None,
                       expensive: str | None = None, too_expensive: str | None = None, *,
                       psm_set: str = "psm", codebook: Codebook | None = None,
                       strict: bool = False, interpolate: bool = True,
                       cheap_counting: str = "at_or_above", intersection: str = "min",
                       price_range: str = "classic", inconsistent: str = "exclude",
                       pi_cheap: str | None = None, pi_expensive: str | None = None,
                       pi_scale: Sequence[float] = DEFAULT_PI_SCALE,
                       pi_calibrated: Sequence[float] = DEFAULT_PI_CALIBRATED,
                       nms_interpolation: str = "price", rep_type: str = "bootstrap",
                       replicates: int = 200, seed: Any = None, n_grid: int = 200
                       ) -> VanWestendorpResult:
        """Weighted Van Westendorp price sensitivity meter with replicate CIs.

        Parameters
        ----------
        too_cheap, cheap, expensive, too_expensive : str, optional
            Price columns; by default the codebook's ``psm`` questions.
        psm_set : str
            Which set of four questions.
        codebook : Codebook, optional
            Defaults to the frame's.
        strict : bool
            Require strictly increasing answers.
        interpolate : bool
            Locate crossings by linear interpolation.
        cheap_counting : {"at_or_above", "above"}
            How the "cheap" curves count answers at a price.
        intersection : {"min", "max", "mean", "median"}
            Which price of a lasting tie is the price point.
        price_range : {"classic", "narrower"}
            Curves defining PMC and PME.
        inconsistent : {"exclude", "keep"}
            Leave out or keep respondents whose prices are not ordered.
        pi_cheap, pi_expensive : str, optional
            Purchase intent at the cheap / expensive price (Newton-Miller-Smith).
        pi_scale : sequence of float
            Purchase-intent answer codes.
        pi_calibrated : sequence of float
            Purchase probability of each code.
        nms_interpolation : {"price", "position"}
            Purchase probability linear in price or in price position (R).
        rep_type : str
            Replicate type when a Taylor design is converted to replicates.
        replicates : int
            Number of bootstrap replicates.
        seed : int or numpy.random.Generator, optional
            Bootstrap randomness.
        n_grid : int
            Most prices at which the curves are reported.

        Returns
        -------
        VanWestendorpResult
            Price points with replicate CIs, the four curves and, with
            purchase intent, trial / revenue curves and optimal prices.

        See Also
        --------
        analysis.pricing.vanwestendorp.van_westendorp
        """
        return van_westendorp(self, too_cheap, cheap, expensive, too_expensive, psm_set=psm_set,
                              codebook=codebook, strict=strict, interpolate=interpolate,
                              cheap_counting=cheap_counting, intersection=intersection,
                              price_range=price_range, inconsistent=inconsistent,
                              pi_cheap=pi_cheap, pi_expensive=pi_expensive, pi_scale=pi_scale,
                              pi_calibrated=pi_calibrated, nms_interpolation=nms_interpolation,
                              rep_type=rep_type, replicates=replicates, seed=seed,
                              n_grid=n_grid)
