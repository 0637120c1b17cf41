"""Survey-weighted proportional-odds models for Likert outcomes (R ``svyolr``).

The model is ``P(Y <= k | x) = F(zeta_k - x'beta)`` for ``k = 1..K-1`` with
``F`` the logistic, normal or Gumbel distribution function; the parameters
and their names follow R's ``survey::svyolr`` (``beta`` without intercept,
cut-points ``zeta`` named ``"1|2"``, ``"2|3"``, ...).

Estimates maximise the weighted log-likelihood by Newton's method with
analytic derivatives (the likelihood is concave for these links).  Standard
errors are design-based: influence values ``U_i H^-1`` through
``Design.vcov_scores`` for Taylor designs (``survey:::svyolr.survey.design2``),
refits per replicate for replicate designs (``svyolr.svyrep.design``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

from .._formula import build_model_frame, build_response_factor, new_design_matrix
from .._validation import check_argument
from ..errors import ConvergenceWarning, ModelError
from .glm import check_model_rank, complete_case_degf
from .wald import WaldInference

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["OrdinalResult", "svyolr", "fit_olr", "OLR_LINKS"]

OLR_LINKS = ("logit", "probit", "cloglog")
_ALIASES = {"logistic": "logit"}


def _cdf(link: str, x: np.ndarray) -> np.ndarray:
    if link == "logit":
        return special.expit(x)
    if link == "probit":
        return special.ndtr(x)
    return np.exp(-np.exp(-x))


def _sf(link: str, x: np.ndarray) -> np.ndarray:
    if link == "logit":
        return special.expit(-x)
    if link == "probit":
        return special.ndtr(-x)
    return -np.expm1(-np.exp(-x))


def _pdf(link: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Density and its derivative, both 0 at +-inf."""
    with np.errstate(over="ignore", invalid="ignore"):
        if link == "logit":
            f = np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))) ** 2
            df = f * (1 - 2 * special.expit(x))
        elif link == "probit":
            f = stats.norm.pdf(x)
            df = -x * f
        else:
            e = np.exp(-x)
            f = e * np.exp(-e)
            df = f * (e - 1)
    bad = ~np.isfinite(x)
    f = np.where(bad | ~np.isfinite(f), 0.0, f)
    df = np.where(bad | ~np.isfinite(df), 0.0, df)
    return f, df


@dataclass(frozen=True)
class _Pieces:
    negll: float
    grad_rows: np.ndarray  # n x (p+q) per-row gradient of the negative log-likelihood
    hessian: np.ndarray  # of the negative log-likelihood


def _bounds(zeta: np.ndarray, y: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cuts = np.concatenate([[-np.inf], zeta, [np.inf]])
    return cuts[y] - eta, cuts[y - 1] - eta


def _prob(link: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # Subtract survival functions in the upper tail to avoid cancellation.
    upper = b > 0
    return np.where(upper, _sf(link, b) - _sf(link, a), _cdf(link, a) - _cdf(link, b))


def _negll(params: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray, link: str,
           p: int) -> float:
    zeta = params[p:]
    if np.any(np.diff(zeta) <= 0):
        return np.inf
    a, b = _bounds(zeta, y, X @ params[:p])
    pr = _prob(link, a, b)
    if np.any(pr <= 0):
        return np.inf
    return float(-np.sum(w * np.log(pr)))


def _pieces(params: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray, link: str,
            p: int, q: int) -> _Pieces:
    zeta = params[p:]
    a, b = _bounds(zeta, y, X @ params[:p])
    pr = _prob(link, a, b)
    fa, dfa = _pdf(link, a)
    fb, dfb = _pdf(link, b)
    n = len(y)
    # d a / d(beta, zeta) and d b / d(beta, zeta).
    Ua = np.zeros((n, p + q))
    Ub = np.zeros((n, p + q))
    Ua[:, :p] = -X
    Ub[:, :p] = -X
    hi = y <= q
    lo = y >= 2
    Ua[np.flatnonzero(hi), p + y[hi] - 1] = 1.0
    Ub[np.flatnonzero(lo), p + y[lo] - 2] = 1.0
    ga = w * fa / pr
    gb = -w * fb / pr
    grad_rows = -(Ua * ga[:, None] + Ub * gb[:, None])
    haa = w * (dfa / pr - (fa / pr) ** 2)
    hbb = w * (-dfb / pr - (fb / pr) ** 2)
    hab = w * fa * fb / pr**2
    hess = -((Ua * haa[:, None]).T @ Ua + (Ub * hbb[:, None]).T @ Ub
             + (Ua * hab[:, None]).T @ Ub + (Ub * hab[:, None]).T @ Ua)
    return _Pieces(float(-np.sum(w * np.log(pr))), grad_rows, hess)


def _start(y: np.ndarray, w: np.ndarray, link: str, p: int, q: int) -> np.ndarray:
    totals = np.bincount(y, weights=w, minlength=q + 2)[1:]
    cum = np.cumsum(totals)[:-1] / totals.sum()
    if link == "logit":
        zeta = special.logit(cum)
    elif link == "probit":
        zeta = special.ndtri(cum)
    else:
        zeta = -np.log(-np.log(cum))
    return np.concatenate([np.zeros(p), zeta])


def fit_olr(X: np.ndarray, y: np.ndarray, w: np.ndarray, link: str, *,
            start: np.ndarray | None = None, tol: float = 1e-10, maxit: int = 100
            ) -> tuple[np.ndarray, _Pieces, bool, int]:
    """Maximise the weighted ordinal likelihood by Newton-Raphson with step halving.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Model matrix without the intercept column.
    y : ndarray of int, shape (n,)
        Response codes 1..K, every category present.
    w : ndarray, shape (n,)
        Positive case weights.
    link : str
        A key of ``OLR_LINKS``.
    start : ndarray, optional
        Starting slopes and cut-points (replicate fits start at the full
        sample's); default from the marginal category shares.
    tol : float
        Convergence tolerance on the relative step size.
    maxit : int
        Iteration cap.

    Returns
    -------
    params : ndarray
        Slopes then cut-points.
    pieces : _Pieces
        Negative log-likelihood, per-row gradients and Hessian at ``params``.
    converged : bool
        Whether ``tol`` was met.
    n_iter : int
        Iterations used.
    """
    p, q = X.shape[1], int(y.max()) - 1
    params = _start(y, w, link, p, q) if start is None else np.asarray(start, float).copy()
    pieces = _pieces(params, X, y, w, link, p, q)
    for it in range(1, maxit + 1):
        grad = pieces.grad_rows.sum(axis=0)
        try:
            step = linalg.solve(pieces.hessian, grad, assume_a="sym")
        except (linalg.LinAlgError, ValueError):
            step = grad / np.maximum(np.abs(np.diag(pieces.hessian)), 1e-8)
        t = 1.0
        current = pieces.negll
        while t > 1e-10:
            trial = params - t * step
            value = _negll(trial, X, y, w, link, p)
            if np.isfinite(value) and value <= current + 1e-12 * abs(current):
                break
            t /= 2
        params = params - t * step
        pieces = _pieces(params, X, y, w, link, p, q)
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(params))):
            return params, pieces, True, it
    return params, pieces, False, maxit


class OrdinalResult(WaldInference):
    """Result of :func:`svyolr`.

    Parameters
    ----------
    params : Series
        Slopes then cut-points (``"1|2"``, ...), in R's order and signs:
        ``logit P(Y <= k) = zeta_k - x'beta``.
    vcov : DataFrame
        Design-based covariance of ``params``.
    n_coef : int
        Number of slopes (the first ``n_coef`` entries of ``params``).
    df_resid : float
        ``degf(design) - len(coefficients)``, as R's ``svyolr``.
    levels : list
        Response categories in order.
    link : str
        ``"logit"``, ``"probit"`` or ``"cloglog"``.
    formula : str
        The fitted formula.
    frame : ModelFrame
        Model frame of the right-hand side (kept as ``model_frame``).
    design : Design
        The design the model was fitted on.
    influence : ndarray, shape (n, len(params))
        Weighted influence values of every design row (zero off the fit).
    converged : bool
        Whether the Newton iterations met the tolerance.
    n_iter : int
        Newton iterations used.
    deviance : float
        ``2 * negative log-likelihood / mean(weights)`` (R's ``deviance``).
    replicates : ndarray or None
        Replicate estimates for replicate designs.

    Attributes
    ----------
    coefficients, cutpoints : Series
        The two parts of ``params``.
    """

    def __init__(self, *, params: pd.Series, vcov: pd.DataFrame, n_coef: int,
                 df_resid: float, levels: list[Any], link: str, formula: str, frame: Any,
                 design: Design, influence: np.ndarray, converged: bool, n_iter: int,
                 deviance: float, replicates: np.ndarray | None) -> None:
        self.params = params
        self.vcov = vcov
        self.df_resid = float(df_resid)
        self.levels = levels
        self.link = link
        self.formula = formula
        self.converged = converged
        self.n_iter = n_iter
        self.deviance = deviance
        self.replicates = replicates
        self.design = design
        self.model_frame = frame
        self._n_coef = n_coef
        self._influence = influence

    def __repr__(self) -> str:
        return (f"OrdinalResult({self.formula!r}, link={self.link!r}, "
                f"levels={len(self.levels)}, df_resid={self.df_resid:g})")

    @property
    def coefficients(self) -> pd.Series:
        """Slopes ``beta``."""
        return self.params.iloc[: self._n_coef]

    @property
    def cutpoints(self) -> pd.Series:
        """Cut-points ``zeta``."""
        return self.params.iloc[self._n_coef:]

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tidy table: ``estimate, se, ci_low, ci_high, statistic, p_value, kind`` (slope/cutpoint).

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the t-based interval.

        Returns
        -------
        DataFrame
            One row per parameter, slopes first.
        """
        kind = ["slope"] * self._n_coef + ["cutpoint"] * (len(self.params) - self._n_coef)
        return super().summary_frame(level).assign(kind=kind)

    def influence(self) -> np.ndarray:
        """Weighted influence values (design rows x parameters); zero off the fit.

        Returns
        -------
        ndarray, shape (n, len(params))
            A copy, so callers may modify it.
        """
        return self._influence.copy()

    def predict(self, newdata: pd.DataFrame | None = None, type: str = "probs"
                ) -> pd.DataFrame | pd.Series:
        """Predicted category probabilities, most likely class, or linear predictor.

        Parameters
        ----------
        newdata : DataFrame, optional
            Defaults to the rows used in the fit.
        type : {"probs", "class", "link"}
            ``"probs"``: DataFrame with one column per level; ``"class"``:
            Series of the most probable level; ``"link"``: ``x'beta``.

        Returns
        -------
        DataFrame or Series
            Indexed by row position; rows with missing predictors are absent.
        """
        check_argument("type", ["probs", "class", "link"], type)
        frame = self.model_frame
        if newdata is None:
            X, rows = frame.X, frame.rows
        else:
            X, rows = new_design_matrix(frame, newdata)
        keep = [c != "Intercept" for c in frame.columns]
        eta = X[:, keep] @ self.coefficients.to_numpy()
        if type == "link":
            return pd.Series(eta, index=rows, name="eta")
        cum = _cdf(self.link, self.cutpoints.to_numpy()[None, :] - eta[:, None])
        probs = np.diff(np.column_stack([np.zeros(len(eta)), cum, np.ones(len(eta))]), axis=1)
        out = pd.DataFrame(probs, index=rows, columns=pd.Index(self.levels, name="level"))
        if type == "class":
            return out.idxmax(axis=1).rename("class")
        return out


def svyolr(design: Design, formula: str, link: str = "logit", *, tol: float = 1e-10,
           maxit: int = 100) -> OrdinalResult:
    """Survey-weighted proportional-odds (cumulative link) regression.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design.
    formula : str
        ``"y ~ x1 + x2"`` with ``y`` a single column with three or more
        ordered categories (a pandas categorical keeps its order; other
        values are sorted).  The intercept is absorbed in the cut-points.
    link : {"logit", "probit", "cloglog"}
        ``"cloglog"`` uses the Gumbel distribution ``F(x) = exp(-exp(-x))``,
        exactly as R's ``svyolr(method="cloglog")`` on a Taylor design.
    tol, maxit : float, int
        Newton convergence tolerance (relative step size) and iteration cap.

    Returns
    -------
    OrdinalResult
        Estimates with design-based covariance (linearisation or replicates).

    Raises
    ------
    ModelError
        Fewer than three response levels, an empty category, no intercept,
        or a rank-deficient model matrix.

    Warns
    -----
    ConvergenceWarning
        The Newton iterations did not converge.

    Notes
    -----
    R fits with BFGS and a numerical Hessian, so its estimates carry about
    ``1e-5`` relative error at default settings; the reference tests compare
    with R run at ``reltol=1e-14``.  R's replicate-design method calls
    ``MASS::polr``, whose ``"cloglog"`` is the *other* Gumbel; here every
    design uses the same link.
    """
    link = _ALIASES.get(link, link)
    check_argument("link", list(OLR_LINKS), link)
    rhs, codes, levels = build_response_factor(formula, design.data)
    if len(levels) < 3:
        raise ModelError(f"the response of {formula!r} has {len(levels)} level(s); an "
                         "ordinal model needs 3 or more", hint="use svyglm(family='binomial')")
    frame = build_model_frame(rhs, design.data)
    if not frame.has_intercept:
        raise ModelError(f"{formula!r} removes the intercept, which the cut-points need",
                         hint="drop '- 1' / '0 +' from the formula")
    yfull = codes.to_numpy()
    rows = frame.rows[np.isfinite(yfull[frame.rows])]
    mask = np.isin(frame.rows, rows)
    X_all = frame.X[mask]
    w_all = np.asarray(design.weights, dtype=float)
    w = w_all[rows]
    y = yfull[rows].astype(np.int64)
    use = w > 0
    present = np.bincount(y[use], minlength=len(levels) + 1)[1:]
    if np.any(present == 0):
        empty = [lev for lev, k in zip(levels, present) if k == 0]
        raise ModelError(f"response level(s) {empty} of {formula!r} have no respondents "
                         "in the fit", level=empty[0],
                         hint="merge the empty categories, or drop declared but unused ones "
                         "with .cat.remove_unused_categories()")
    check_model_rank(X_all[use], frame.columns, formula)
    keep = np.array([c != "Intercept" for c in frame.columns])
    X = X_all[:, keep]
    p, q = X.shape[1], len(levels) - 1
    params, pieces, converged, n_iter = fit_olr(X[use], y[use], w[use], link, tol=tol,
                                                maxit=maxit)
    if not converged:
        warnings.warn(f"svyolr({formula!r}) did not converge in {maxit} iterations",
                      ConvergenceWarning, stacklevel=2)
    full = _pieces(params, X, y, np.where(use, w, 0.0), link, p, q)
    hinv = linalg.inv(full.hessian)
    influence = np.zeros((len(w_all), p + q))
    influence[rows] = np.where(use[:, None], full.grad_rows, 0.0) @ hinv
    replicates = None
    if getattr(design, "is_replicate", False):
        reps = np.asarray(design.repweights, dtype=float)[rows]
        replicates = np.empty((reps.shape[1], p + q))
        for r in range(reps.shape[1]):  # loop over replicates, not respondents
            wr = reps[:, r]
            k = wr > 0
            est, _, ok, _ = fit_olr(X[k], y[k], wr[k], link, start=params, tol=tol, maxit=maxit)
            if not ok:
                warnings.warn(f"replicate {r + 1} of svyolr({formula!r}) did not converge",
                              ConvergenceWarning, stacklevel=2)
            replicates[r] = est
        vc = np.asarray(design.replicate_vcov(replicates, params), dtype=float)
    else:
        vc = np.asarray(design.vcov_scores(influence), dtype=float)
    names = [c for c, k in zip(frame.columns, keep) if k]
    names += [f"{lo}|{hi}" for lo, hi in zip(levels[:-1], levels[1:])]
    index = pd.Index(names)
    complete = np.zeros(len(w_all), dtype=bool)
    complete[rows] = True
    return OrdinalResult(
        params=pd.Series(params, index=index, name="estimate"),
        vcov=pd.DataFrame(vc, index=index, columns=index), n_coef=p,
        df_resid=complete_case_degf(design, complete) - p, levels=levels, link=link, formula=formula, frame=frame,
        design=design, influence=influence, converged=converged, n_iter=n_iter,
        deviance=2 * pieces.negll / w.mean(), replicates=replicates,
    )
