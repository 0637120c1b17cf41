"""Survey GLM families and the fitted-model result (:class:`GLMResult`).

:class:`Family` holds a GLM's variance function and link (R's ``family``
objects); :class:`GLMResult` is what :func:`analysis.models.glm.svyglm`
returns.  Both live here, below the fitting code, so that modules needing only
the result type do not import the IRLS machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import special, stats

from .._formula import ModelFrame, new_design_matrix
from .._validation import check_argument
from ..errors import ModelError
from .wald import WaldInference

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["Family", "GLMResult"]

_EPS = np.finfo(float).eps


def _clamp(mu: np.ndarray) -> np.ndarray:
    """``mu`` clamped to ``[eps, 1 - eps]`` in place (``np.clip`` is slower)."""
    np.maximum(mu, _EPS, out=mu)
    return np.minimum(mu, 1 - _EPS, out=mu)


@dataclass(frozen=True)
class Family:
    """A GLM family: variance function and link, as R's ``family`` objects.

    Quasi families share the point estimates and (design-based) variance of
    their parents, so ``"quasibinomial"`` is accepted as an alias.

    Attributes
    ----------
    name : str
        ``"gaussian"``, ``"binomial"`` or ``"poisson"``.
    link : str
        ``"identity"``, ``"log"``, ``"logit"``, ``"probit"`` or ``"cloglog"``.
    """

    name: str
    link: str

    def linkfun(self, mu: np.ndarray) -> np.ndarray:
        """Apply the link function ``g(mu)``.

        Parameters
        ----------
        mu : ndarray
            Means.

        Returns
        -------
        ndarray
            Linear predictor values.
        """
        if self.link == "identity":
            return mu
        if self.link == "log":
            return np.log(mu)
        if self.link == "logit":
            return special.logit(mu)
        if self.link == "probit":
            return special.ndtri(mu)
        return np.log(-np.log1p(-mu))

    def linkinv(self, eta: np.ndarray) -> np.ndarray:
        """Apply the inverse link, clamped away from 0 and 1 like R's C code.

        Parameters
        ----------
        eta : ndarray
            Linear predictor.

        Returns
        -------
        ndarray
            Means ``mu``.
        """
        if self.link == "identity":
            return eta
        if self.link == "log":
            return np.maximum(np.exp(eta), _EPS)
        if self.link == "logit":
            return _clamp(special.expit(eta))
        if self.link == "probit":
            thresh = -special.ndtri(_EPS)
            return special.ndtr(np.clip(eta, -thresh, thresh))
        return _clamp(-np.expm1(-np.exp(eta)))

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        """Compute the derivative ``d mu / d eta``.

        Parameters
        ----------
        eta : ndarray
            Linear predictor.

        Returns
        -------
        ndarray
            The derivative at each value.
        """
        if self.link == "identity":
            return np.ones_like(eta)
        if self.link == "log":
            return np.maximum(np.exp(eta), _EPS)
        if self.link == "logit":
            e = np.exp(-np.abs(eta))
            return np.maximum(e / (1 + e) ** 2, _EPS)
        if self.link == "probit":
            return np.maximum(stats.norm.pdf(eta), _EPS)
        eta = np.minimum(eta, 700.0)
        return np.maximum(np.exp(eta - np.exp(eta)), _EPS)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        """Evaluate the variance function ``V(mu)``.

        Parameters
        ----------
        mu : ndarray
            Means.

        Returns
        -------
        ndarray
            ``V(mu)`` at each mean.
        """
        if self.name == "gaussian":
            return np.ones_like(mu)
        if self.name == "binomial":
            return mu * (1 - mu)
        return mu

    def deviance(self, y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
        """Weighted deviance (sum of unit deviances times prior weights).

        Parameters
        ----------
        y : ndarray
            Responses.
        mu : ndarray
            Fitted means.
        w : ndarray
            Prior weights.

        Returns
        -------
        float
            The deviance.
        """
        if self.name == "gaussian":
            return float(np.sum(w * (y - mu) ** 2))
        if self.name == "binomial":
            if np.all((y == 0) | (y == 1)):
                # 0/1 outcomes: the unit deviance is -2 log of the fitted probability of y.
                return float(-2 * np.dot(w, np.log(np.where(y == 1, mu, 1 - mu))))
            d = special.xlogy(y, y / mu) + special.xlogy(1 - y, (1 - y) / (1 - mu))
        else:
            d = special.xlogy(y, y / mu) - (y - mu)
        return float(np.sum(2 * w * d))

    def mustart(self, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Compute R's starting means (``family$initialize``).

        Parameters
        ----------
        y : ndarray
            Responses.
        w : ndarray
            Prior weights.

        Returns
        -------
        ndarray
            Starting ``mu``, inside the family's support.
        """
        if self.name == "binomial":
            return (w * y + 0.5) / (w + 1)
        if self.name == "poisson":
            return y + 0.1
        return y.copy()

    def check_response(self, y: np.ndarray, formula: str) -> None:
        """Raise :class:`ModelError` if ``y`` is outside the family's support.

        Parameters
        ----------
        y : ndarray
            Responses.
        formula : str
            The model's formula, for the message.
        """
        if self.name == "binomial" and (np.any(y < 0) or np.any(y > 1)):
            raise ModelError(
                f"family='binomial' needs a 0/1 (or proportion) response; {formula!r} "
                f"has values in [{y.min():g}, {y.max():g}]",
                hint="recode the outcome to 0/1 or use a two-level categorical",
            )
        if self.name == "poisson" and np.any(y < 0):
            raise ModelError(f"family='poisson' needs a non-negative response in {formula!r}",
                             hint="check the outcome for negative codes")
        if self.link == "log" and self.name == "gaussian" and np.any(y <= 0):
            raise ModelError("a log link needs a positive response",
                             hint="use link='identity' or shift the response")



class GLMResult(WaldInference):
    """Result of :func:`svyglm`.

    Parameters
    ----------
    params : Series
        Coefficients.
    vcov : DataFrame
        Design-based covariance of the coefficients (``cov_params()``).
    df_resid : float
        Residual degrees of freedom, ``degf(design) + 1 - p``.
    family : Family
        The model's family and link (kept as the names ``family``, ``link``).
    formula : str
        The formula as given.
    frame : ModelFrame
        The model frame (kept as ``model_frame``).
    design : Design
        The design the model was fitted on.
    eta : ndarray
        Fitted linear predictor of the rows used.
    influence : ndarray
        Weighted influence values, one row per design row.
    converged : bool
        Whether the IRLS fit converged.
    n_iter : int
        IRLS iterations used.
    deviance : float
        Deviance with weights scaled to mean 1 (R's ``rescale=TRUE``).
    replicates : ndarray or None
        Replicate estimates (R x p) for replicate designs.
    """

    def __init__(self, *, params: pd.Series, vcov: pd.DataFrame, df_resid: float,
                 family: Family, formula: str, frame: ModelFrame, design: Design,
                 eta: np.ndarray, influence: np.ndarray, converged: bool, n_iter: int,
                 deviance: float, replicates: np.ndarray | None = None) -> None:
        self.params = params
        self.vcov = vcov
        self.df_resid = float(df_resid)
        self.family = family.name
        self.link = family.link
        self.formula = formula
        self.converged = converged
        self.n_iter = n_iter
        self.deviance = deviance
        self.replicates = replicates
        self.design = design
        self.model_frame = frame
        self._family = family
        self._eta = eta
        self._influence = influence

    def __repr__(self) -> str:
        return (f"GLMResult({self.formula!r}, family={self.family!r}, link={self.link!r}, "
                f"n={self.nobs}, df_resid={self.df_resid:g})")

    @property
    def nobs(self) -> int:
        """Number of rows used in the fit (complete cases, any weight)."""
        return int(self.model_frame.rows.size)

    def influence(self) -> np.ndarray:
        """Weighted influence values of the coefficients, one row per design row.

        ``vcov_scores(result.influence())`` reproduces the Taylor covariance;
        rows not used in the fit (missing values, weight 0) are zero.  Feed
        ``influence() @ grad`` to ``design.vcov_scores`` for the delta method.

        Returns
        -------
        ndarray, shape (n, p)
            A copy, so callers may modify it.
        """
        return self._influence.copy()

    def linear_predictor(self, X: np.ndarray | None = None) -> np.ndarray:
        """Compute ``X @ params`` (the fitted linear predictor when ``X`` is None).

        Parameters
        ----------
        X : ndarray, optional
            Model matrix with the fit's columns.

        Returns
        -------
        ndarray
            Linear predictor, one value per row.
        """
        if X is None:
            return self._eta.copy()
        return np.asarray(X, dtype=float) @ self.params.to_numpy()

    def inverse_link(self, eta: np.ndarray) -> np.ndarray:
        """Apply the model's inverse link ``mu = g^-1(eta)``.

        Parameters
        ----------
        eta : ndarray
            Linear predictor.

        Returns
        -------
        ndarray
            Means ``mu``.
        """
        return self._family.linkinv(np.asarray(eta, dtype=float))

    def link_derivative(self, eta: np.ndarray) -> np.ndarray:
        """Compute ``d mu / d eta`` at ``eta`` (for marginal effects).

        Parameters
        ----------
        eta : ndarray
            Linear predictor.

        Returns
        -------
        ndarray
            The derivative at each value.
        """
        return self._family.mu_eta(np.asarray(eta, dtype=float))

    def model_matrix(self, newdata: pd.DataFrame | None = None) -> pd.DataFrame:
        """Design matrix of the fit, or built from ``newdata``, indexed by row position.

        Parameters
        ----------
        newdata : DataFrame, optional
            Rows to build the matrix for (the fit's columns and coding).

        Returns
        -------
        DataFrame
            One column per coefficient; rows with missing predictors are left out.
        """
        if newdata is None:
            X, rows = self.model_frame.X, self.model_frame.rows
        else:
            X, rows = new_design_matrix(self.model_frame, newdata)
        return pd.DataFrame(X, index=rows, columns=self.params.index)

    def predict(self, newdata: pd.DataFrame | None = None, type: str = "response") -> pd.Series:
        """Predict on the response or link scale.

        Parameters
        ----------
        newdata : DataFrame, optional
            Rows to predict; defaults to the rows used in the fit.
        type : {"response", "link"}
            Scale of the predictions.

        Returns
        -------
        Series
            Indexed by row position in ``newdata`` (or in the design's data);
            rows with missing predictors are NaN.
        """
        check_argument("type", ["response", "link"], type)
        data = self.design.data if newdata is None else newdata
        X = self.model_matrix(newdata)
        out = pd.Series(np.nan, index=pd.RangeIndex(len(data)), name="predicted")
        eta = X.to_numpy() @ self.params.to_numpy()
        out.iloc[X.index.to_numpy()] = eta if type == "link" else self.inverse_link(eta)
        return out
