"""Design-based interval regression and willingness-to-pay summaries.

:func:`fit_interval_model` fits :mod:`analysis.pricing.censored`'s interval-censored
location-scale model on a :class:`~analysis.design.core.Design` and returns an
:class:`IntervalRegressionResult`: coefficients with design-based standard
errors (sandwich through ``design.vcov_scores`` on Taylor designs, as R
``survey::svysurvreg``; refits per replicate on replicate designs), and the
numbers stakeholders read: mean and median WTP (delta-method and
Krinsky-Robb intervals) and the demand curve, the population share willing
to pay at least each amount.

With covariates, WTP summaries describe the *population*: the mean is the
weighted average of respondents' expected WTP, the median solves
"half the population would pay more", and the demand curve averages each
respondent's acceptance probability.  Without covariates they reduce to the
textbook formulas (e.g. ``exp(mu + sigma^2/2)`` for the log-normal mean).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._validation import check_argument
from ..design.replicates import to_replicates
from ..errors import ModelError
from .bounds import DesignVariance, convergence_warning, domain_df
from .censored import fit_interval
from .regression_result import IntervalRegressionResult
from .wtpresult import WTPResult

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["IntervalRegressionResult", "WTPResult", "fit_interval_model", "variance_design"]


def variance_design(design: Design, variance: str, rep_type: str = "bootstrap",
                    replicates: int = 200, seed: Any = None) -> Design:
    """Return the design whose variance method an estimator uses.

    Parameters
    ----------
    design : Design
        The design the estimator was given.
    variance : {"auto", "linearization", "replicate"}
        ``"auto"`` keeps the design's own (Taylor or replicate);
        ``"replicate"`` converts a Taylor design with ``design.to_replicates``;
        ``"linearization"`` needs a Taylor design.
    rep_type : str, default "bootstrap"
        Replicate type when a Taylor design is converted (``variance="replicate"``).
    replicates : int, default 200
        Number of replicates when a Taylor design is converted.
    seed : int, Generator or None
        Seed of the conversion's random draws.

    Returns
    -------
    Design
        ``design`` itself, or its replicate version.

    Raises
    ------
    ModelError
        ``variance="linearization"`` on a design that carries replicate weights.
    """
    check_argument("variance", ["auto", "linearization", "replicate"], variance)
    if variance == "replicate" and not design.is_replicate:
        return to_replicates(design, type=rep_type, replicates=replicates, seed=seed)
    if variance == "linearization" and design.is_replicate:
        raise ModelError("variance='linearization' needs a Taylor design; this one carries "
                         "replicate weights", hint="use variance='auto' or 'replicate'")
    return design


def fit_interval_model(design: Design, X: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                       rows: np.ndarray, *, dist: str, names: list[str], formula: str,
                       frame: Any, kind: str, tol: float = 1e-10,
                       maxit: int = 100) -> IntervalRegressionResult:
    """Fit the interval model on design rows ``rows`` with design-based variance.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design (its weights; zero outside a domain).
    X : ndarray, shape (len(rows), p)
        Design matrix of the rows.
    lower, upper : ndarray, shape (len(rows),)
        Bounds (``-inf`` / ``inf`` unbounded).
    rows : ndarray of int
        Positions of the rows in the design.
    dist : str
        Distribution (a key of :data:`analysis.pricing.censored.DISTRIBUTIONS`).
    names : list of str
        Column names of ``X`` (coefficient labels).
    formula : str
        Right-hand side the design matrix came from, kept on the result.
    frame : DataFrame
        Model frame of the rows, kept on the result as ``model_frame``.
    kind : str
        What the intervals came from (``"interval"``, ``"payment_card"``,
        ``"dbdc"``, ``"sbdc"``, ``"ladder"``).
    tol : float, default 1e-10
        Newton convergence tolerance.
    maxit : int, default 100
        Largest number of Newton steps.

    Returns
    -------
    IntervalRegressionResult
        Coefficients, design-based covariance (sandwich on Taylor designs,
        replicate refits otherwise) and the model-based covariance.

    Raises
    ------
    ModelError
        Fewer answered rows with positive weight than parameters, or a
        rank-deficient design matrix.
    """
    w_all = np.asarray(design.weights, dtype=float)
    w = w_all[rows]
    use = w > 0
    if use.sum() < X.shape[1] + 1:
        raise ModelError(f"only {int(use.sum())} answered row(s) with positive weight for "
                         f"{X.shape[1] + 1} parameters", hint="check the domain and the answers")
    from ..models.glm import check_model_rank

    check_model_rank(X[use], names, formula)
    fit = fit_interval(X[use], lower[use], upper[use], w[use], dist, tol=tol, maxit=maxit)
    if not fit.converged:
        convergence_warning(f"interval regression ({dist}, {formula!r}) did not converge in "
                            f"{fit.n_iter} Newton steps (largest score {fit.gradient_norm:.3g}); "
                            "raise maxit= or check for near-empty brackets",
                            iterations=fit.n_iter, gradient_norm=fit.gradient_norm,
                            theta=fit.theta.tolist(), loglik=fit.loglik)
    theta = fit.theta
    influence = np.zeros((w_all.size, theta.size))
    influence[rows[use]] = fit.influence
    replicates = None
    if design.is_replicate:
        reps = np.asarray(design.repweights, dtype=float)[rows]
        replicates = np.empty((reps.shape[1], theta.size))
        for r in range(reps.shape[1]):  # loop over replicates, not respondents
            k = reps[:, r] > 0
            rf = fit_interval(X[k], lower[k], upper[k], reps[k, r], dist, start=theta,
                              tol=tol, maxit=maxit)
            if not rf.converged:
                convergence_warning(f"replicate {r + 1} of the interval regression did not "
                                    "converge", replicate=r + 1, iterations=rf.n_iter,
                                    gradient_norm=rf.gradient_norm)
            replicates[r] = rf.theta
        vc = np.asarray(design.replicate_vcov(replicates, theta), dtype=float)
        variance = DesignVariance(design, theta, replicates=replicates)
    else:
        vc = np.asarray(design.vcov_scores(influence), dtype=float)
        variance = DesignVariance(design, theta, influence=influence)
    mask = np.zeros(w_all.size, dtype=bool)
    mask[rows[use]] = True
    degf = domain_df(design, mask)
    index = pd.Index(list(names) + ["log(scale)"])
    finite = np.concatenate([lower[use][np.isfinite(lower[use])], upper[use][np.isfinite(upper[use])]])
    return IntervalRegressionResult(
        params=pd.Series(theta, index=index, name="estimate"),
        vcov=pd.DataFrame(vc, index=index, columns=index), dist=dist, formula=formula,
        df_resid=degf + 1 - X.shape[1], loglik=fit.loglik, converged=fit.converged,
        n_iter=fit.n_iter, variance=variance, X=X, rows=rows, weights=w, frame=frame, kind=kind,
        bid_max=float(finite.max()) if finite.size else None,
        vcov_model=pd.DataFrame(_inverse_information(fit.hessian), index=index, columns=index),
    )


def _inverse_information(hessian: np.ndarray) -> np.ndarray:
    """``inv(-H)``, NaN where the information is singular."""
    try:
        return np.linalg.inv(-hessian)
    except np.linalg.LinAlgError:
        return np.full(hessian.shape, np.nan)
