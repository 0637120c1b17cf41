"""Design-based generalised linear models (R ``survey::svyglm``).

Point estimates solve the survey-weighted score equations (a weighted GLM fit
by iteratively reweighted least squares).  Standard errors are design-based:

* Taylor designs: sandwich ``A^-1 V(U) A^-1`` where ``U`` are the weighted
  score contributions ``x_i w_i (y_i - mu_i) mu'_i / V(mu_i)`` and ``V`` is the
  design variance of their totals (``Design.vcov_scores``), exactly as
  ``survey:::svy.varcoef``;
* replicate designs: the model is refitted with every replicate weight and the
  replicate estimates go through ``Design.replicate_vcov``, as
  ``survey:::svyglm.svyrep.design``.

Inference uses a t distribution on ``degf(design) + 1 - p`` residual degrees of
freedom, as ``summary.svyglm`` and ``confint.svyglm`` (Wald) do.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from .._formula import ModelFrame, build_model_frame
from .._validation import check_argument
from ..errors import ConvergenceWarning, ModelError, SeparationError
from .glm_result import Family, GLMResult

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["GLMResult", "Family", "FAMILIES", "svyglm", "irls", "find_separation"]

_EPS = np.finfo(float).eps
_LINKS = ("identity", "log", "logit", "probit", "cloglog")
_DEFAULT_LINK = {"gaussian": "identity", "binomial": "logit", "poisson": "log"}
FAMILIES = {"gaussian": "gaussian", "binomial": "binomial", "quasibinomial": "binomial",
            "poisson": "poisson", "quasipoisson": "poisson"}


def _family(family: str, link: str | None) -> Family:
    check_argument("family", list(FAMILIES), family)
    base = FAMILIES[family]
    if link is None:
        link = _DEFAULT_LINK[base]
    check_argument("link", list(_LINKS), link)
    return Family(base, link)


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    deviance: float
    converged: bool
    n_iter: int


# Rows per block of the QR passes (TSQR): a few MB, cache-friendly.
_BLOCK = 1 << 14
# Rows per block of the matrix products with p-column results.  OpenBLAS runs
# a product of m x k by k x n on several threads once m n k exceeds 2^18; for
# p ~ 10 columns that split costs far more than it saves (measured ~10x CPU on
# 2 busy cores), so the blocks stay below it: 2048 x 9 x 9 < 2^18.
_GEMM_ROWS = 2048
# The same for matrix-vector products (threaded from m n >= 9216).
_GEMV_ROWS = 1024


def _r_factor(A: np.ndarray) -> np.ndarray:
    """R of a thin QR of ``A``, block by block (TSQR: stable as QR, cache-friendly)."""
    if A.shape[0] <= 2 * _BLOCK:
        return np.linalg.qr(A, mode="r")
    rs = [np.linalg.qr(A[i:i + _BLOCK], mode="r") for i in range(0, A.shape[0], _BLOCK)]
    return np.linalg.qr(np.vstack(rs), mode="r")


def _wls(X: np.ndarray, z: np.ndarray, ww: np.ndarray) -> np.ndarray:
    # QR of [sqrt(w) X | sqrt(w) z] block by block: R's last column holds Q'z, so
    # no Q and no full-size weighted copy of X is formed.
    n, p = X.shape
    rs = []
    for start in range(0, n, _BLOCK):
        rows = slice(start, start + _BLOCK)
        sw = np.sqrt(ww[rows])
        block = np.empty((sw.size, p + 1))
        np.multiply(X[rows], sw[:, None], out=block[:, :p])
        np.multiply(z[rows], sw, out=block[:, p])
        rs.append(np.linalg.qr(block, mode="r"))
    R = rs[0] if len(rs) == 1 else np.linalg.qr(np.vstack(rs), mode="r")
    return linalg.solve_triangular(R[:p, :p], R[:p, p])


def _gram_cross(X: np.ndarray, ww: np.ndarray, v: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """``X' diag(ww) X`` and ``X'v`` (zeros without ``v``) in one pass over ``X``.

    Block by block: no n x p temporary, and every product small enough for
    one thread (see ``_GEMM_ROWS``).
    """
    n, p = X.shape
    gram = np.zeros((p, p))
    cross = np.zeros(p)
    buf = np.empty((min(n, _GEMM_ROWS), p))
    for start in range(0, n, _GEMM_ROWS):
        stop = start + _GEMM_ROWS
        xb = X[start:stop]
        wb = buf[:len(xb)]
        np.multiply(xb, ww[start:stop, None], out=wb)
        gram += wb.T @ xb
        if v is not None:
            cross += xb.T @ v[start:stop]
    return gram, cross


def _working(family: Family, y: np.ndarray, w: np.ndarray, eta: np.ndarray, mu: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """IRLS working weights ``w mu'^2 / V`` and score contributions ``w mu' (y - mu) / V``.

    For a canonical link ``mu' = V(mu)``, so they are ``w V`` and ``w (y - mu)``:
    fewer passes over the n values, and the score is the exact likelihood score.
    """
    if (family.name, family.link) in _CANONICAL:
        # not in place: a variance function may return mu itself (poisson)
        return w * family.variance(mu), w * (y - mu)
    mu_eta = family.mu_eta(eta)
    var = family.variance(mu)
    return w * mu_eta**2 / var, w * mu_eta * (y - mu) / var


_CANONICAL = {("binomial", "logit"), ("poisson", "log"), ("gaussian", "identity")}


def _matvec(X: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``X @ b`` block by block: OpenBLAS threads a long matrix-vector product too."""
    out = np.empty(X.shape[0])
    for start in range(0, X.shape[0], _GEMV_ROWS):
        np.matmul(X[start:start + _GEMV_ROWS], b, out=out[start:start + _GEMV_ROWS])
    return out


def _times(X: np.ndarray, A: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``(X @ A) * scale[:, None]`` block by block (see ``_GEMM_ROWS``)."""
    out = np.empty((X.shape[0], A.shape[1]))
    for start in range(0, X.shape[0], _GEMM_ROWS):
        stop = start + _GEMM_ROWS
        block = out[start:stop]
        np.matmul(X[start:stop], A, out=block)
        block *= scale[start:stop, None]
    return out


def _newton_step(gram: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """``gram^-1 rhs`` by Cholesky of the p x p matrix; None if it is not positive definite."""
    try:
        return linalg.cho_solve(linalg.cho_factor(gram), rhs)
    except linalg.LinAlgError:
        return None


def _deviance_of(family: Family, y: np.ndarray, w: np.ndarray) -> Callable[[np.ndarray], float]:
    """``mu -> family.deviance(y, mu, w)``, with the 0/1 test of a binomial ``y`` done once."""
    if family.name == "binomial" and np.all((y == 0) | (y == 1)):
        success = y == 1

        def binary(mu: np.ndarray) -> float:
            # -2 log of the fitted probability of the observed outcome
            p = np.subtract(1.0, mu)
            np.copyto(p, mu, where=success)
            return float(-2 * np.dot(w, np.log(p, out=p)))
        return binary
    return lambda mu: family.deviance(y, mu, w)


def irls(X: np.ndarray, y: np.ndarray, w: np.ndarray, family: Family, *,
         start: np.ndarray | None = None, tol: float = 1e-10, maxit: int = 100) -> _Fit:
    """Fit a weighted GLM by Fisher scoring, as ``stats::glm.fit``.

    Rows must have positive weight.  Convergence: relative deviance change
    below ``tol`` (R uses 1e-8 and so stops one step early; a tighter default
    gives R's answer to more digits than R itself reports).

    Each step solves ``(X'WX) delta = X'W (y - mu) / mu'(eta)`` by Cholesky of
    the small ``X'WX`` (one pass over ``X``) instead of R's QR of the weighted
    ``X`` (the slow part of ``glm.fit`` on many rows).  The scores on the right
    are computed from the residuals at the current coefficients, so the fixed
    point (score = 0) is as accurate as a QR fit: rounding in the p x p solve
    only changes the path, which Newton's method corrects on the next step.
    A step whose ``X'WX`` is numerically singular falls back to QR.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Model matrix.
    y : ndarray
        Responses.
    w : ndarray
        Positive prior weights.
    family : Family
        Variance function and link.
    start : ndarray, optional
        Starting coefficients (replicate fits start at the full sample's).
    tol : float
        Tolerance on the relative deviance change.
    maxit : int
        Iteration cap.

    Returns
    -------
    _Fit
        Coefficients, linear predictor, means, deviance, convergence, iterations.
    """
    if family.name == "gaussian" and family.link == "identity":
        beta = _wls(X, y, w)
        mu = X @ beta
        return _Fit(beta, mu, mu, family.deviance(y, mu, w), True, 1)
    if start is None:
        mu = family.mustart(y, w)
        eta = family.linkfun(mu)
    else:
        eta = _matvec(X, start)
        mu = family.linkinv(eta)
    deviance = _deviance_of(family, y, w)
    dev_old = deviance(mu)
    beta = start
    for it in range(1, maxit + 1):
        ww, v = _working(family, y, w, eta, mu)
        if beta is None:
            # From mustart there is no beta yet: the step is the whole solve
            # X'WX b = X'W z, with z = eta + (y - mu) / mu'.
            v += ww * eta
        gram, score = _gram_cross(X, ww, v)
        step = _newton_step(gram, score)
        if step is None:  # X'WX numerically singular: QR of the weighted X
            new = _wls(X, v / ww if beta is None else eta + v / ww, ww)
        else:
            new = step if beta is None else beta + step
        eta_new = _matvec(X, new)
        mu_new = family.linkinv(eta_new)
        dev = deviance(mu_new)
        halvings = 0
        # Step halving when the update leaves the valid region (R's glm.fit).
        while not np.isfinite(dev) and beta is not None and halvings < 30:
            new = (new + beta) / 2
            eta_new = _matvec(X, new)
            mu_new = family.linkinv(eta_new)
            dev = deviance(mu_new)
            halvings += 1
        beta, eta, mu = new, eta_new, mu_new
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            return _Fit(beta, eta, mu, dev, True, it)
        dev_old = dev
    return _Fit(beta, eta, mu, dev_old, False, maxit)


def _full_rank_by_gram(X: np.ndarray) -> bool:
    """True if ``X'X`` (one pass) proves that the QR rank test below finds full rank.

    With columns scaled to unit norm, ``lam``, the smallest eigenvalue of the
    scaled ``X'X``, is ``sigma_min^2`` of that matrix (to ~1e-15: its norm is at
    most p).  Scaling to unit column maxima instead can only raise
    ``sigma_min`` (every column norm is at least its maximum) and keeps every
    column norm at most ``sqrt(n)``; every diagonal element of a QR is at least
    ``sigma_min``.  So ``sqrt(lam) > 100 sqrt(n) * tol`` (tol the relative QR
    threshold) leaves a margin of 100 over rounding, and a margin of 1e-8 on
    ``lam`` keeps far from the Gram matrix's own rounding.  Models with nearly
    collinear columns fail this and get the exact QR test.
    """
    n, p = X.shape
    gram = X.T @ X
    norms = np.sqrt(np.diag(gram))
    if not (np.isfinite(gram).all() and (norms > 0).all()):
        return False
    lam = np.linalg.eigvalsh(gram / np.outer(norms, norms))[0]
    bound = 100 * np.sqrt(n) * max(n, p) * _EPS * 10
    return bool(lam > max(1e-8, bound**2))


def check_model_rank(X: np.ndarray, columns: list[str], formula: str) -> None:
    """Raise :class:`ModelError` if ``X`` has fewer rows than columns or is rank deficient.

    Parameters
    ----------
    X : ndarray
        Design matrix of the fitting rows.
    columns : list of str
        Its column names (to name the aliased ones).
    formula : str
        The formula, for the message.

    Raises
    ------
    ModelError
        Naming the columns that are linear combinations of the others.

    Notes
    -----
    The rank is that of a column-pivoted QR of ``X`` scaled to unit column
    maxima (threshold ``max(n, p) * 10 eps`` of the largest diagonal element).
    The smallest eigenvalue of the scaled ``X'X`` (a p x p matrix from one
    pass) shows most designs to be of full rank beyond rounding doubt; only a
    nearly collinear design pays for the QR.
    """
    if X.shape[0] < X.shape[1]:
        raise ModelError(
            f"{formula!r} has {X.shape[1]} coefficients but only {X.shape[0]} usable rows",
            hint="simplify the model or check for missing values in the predictors",
        )
    if X.size and _full_rank_by_gram(X):
        return
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    # Pivoting the small R factor gives the same column order as pivoting X itself.
    _, r, piv = linalg.qr(_r_factor(X / scale), pivoting=True)
    d = np.abs(np.diag(r))
    rank = int(np.sum(d > d[0] * max(X.shape) * _EPS * 10)) if d.size else 0
    if rank < X.shape[1]:
        dropped = [columns[j] for j in piv[rank:]]
        raise ModelError(
            f"the model matrix of {formula!r} is rank deficient: {dropped} "
            "are linear combinations of other columns (or constant)",
            column=dropped[0],
            hint="drop these terms, merge empty categories, or check the domain",
            aliased=dropped,
        )


def find_separation(X: np.ndarray, y: np.ndarray, columns: list[str]) -> list[str]:
    """Find the columns involved in (quasi-)complete separation of a binary outcome.

    A direction ``b`` with ``s_i x_i'b >= 0`` for every row (``s = 2y - 1``)
    and ``sum s_i x_i'b > 0`` makes the likelihood increase forever (Konis,
    2007).  The sparsest such direction (least L1 norm, the intercept free)
    is found by linear programming; its non-zero components name the
    culprits.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Model matrix.
    y : ndarray
        0/1 responses.
    columns : list of str
        Names of the columns of ``X``.

    Returns
    -------
    list of str
        Names of the columns of that direction (empty if not separated).
    """
    n, p = X.shape
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    frac = (y > 0) & (y < 1)
    s = np.where(y >= 0.5, 1.0, -1.0)
    sX = (s[:, None] * Xs)[~frac]
    # b = b_plus - b_minus; rows with a fractional response pin x'b = 0.
    a_ub = np.vstack([np.hstack([-sX, sX]), np.hstack([-sX.sum(0), sX.sum(0)])])
    b_ub = np.concatenate([np.zeros(len(sX)), [-1.0]])
    cost = np.array([1e-6 if c == "Intercept" else 1.0 for c in columns])
    res = optimize.linprog(
        np.concatenate([cost, cost]), A_ub=a_ub, b_ub=b_ub,
        A_eq=np.hstack([Xs[frac], -Xs[frac]]) if frac.any() else None,
        b_eq=np.zeros(int(frac.sum())) if frac.any() else None,
        bounds=[(0, None)] * (2 * p), method="highs",
    )
    if res.status != 0:  # infeasible: no separating direction
        return []
    b = res.x[:p] - res.x[p:]
    return [c for c, bj in zip(columns, b) if abs(bj) > 1e-9 * max(1.0, np.abs(b).max())]


def _separation_error(X: np.ndarray, y: np.ndarray, frame: ModelFrame) -> None:
    culprits = find_separation(X, y, frame.columns)
    if not culprits:
        return
    named = [c for c in culprits if c != "Intercept"] or culprits
    variables = sorted({v for c in named for v in frame.column_variables.get(c, [c])})
    raise SeparationError(
        f"perfect or quasi-perfect separation in {frame.formula!r}: "
        f"{', '.join(named)} predict(s) the outcome exactly for some respondents, "
        "so the maximum-likelihood estimate is infinite",
        column=variables[0] if variables else named[0],
        hint=f"drop or merge categories of {', '.join(variables or named)}, "
             "or collapse the sparse levels before fitting",
        columns=named, variables=variables,
    )


def _replicate_fits(design: Design, X: np.ndarray, y: np.ndarray, rows: np.ndarray,
                    family: Family, beta0: np.ndarray, frame: ModelFrame) -> np.ndarray:
    reps = np.asarray(design.repweights, dtype=float)[rows]
    out = np.empty((reps.shape[1], X.shape[1]))
    for r in range(reps.shape[1]):  # loop over replicates, not respondents
        wr = reps[:, r]
        keep = wr > 0
        if not np.isfinite(wr).all() or wr.sum() <= 0:
            raise ModelError(f"replicate weight {r + 1} is empty on the model's rows",
                             hint="check the replicate weights of the design")
        check_model_rank(X[keep], frame.columns, f"{frame.formula} (replicate {r + 1})")
        fit = irls(X[keep], y[keep], wr[keep] / wr.sum(), family, start=beta0)
        if not fit.converged:
            warnings.warn(f"replicate {r + 1} of {frame.formula!r} did not converge",
                          ConvergenceWarning, stacklevel=3)
        out[r] = fit.beta
    return out


def complete_case_degf(design: Design, rows: np.ndarray) -> float:
    """Design df on the complete cases (R: ``degf(design[-nas, ])``)."""
    if rows.all():
        return float(design.degf())
    try:
        return float(design.degf(rows=rows))
    except TypeError:  # a design without row selection
        return float(design.degf())


def svyglm(design: Design, formula: str, family: str = "gaussian", *, link: str | None = None,
           maxit: int = 100, tol: float = 1e-10) -> GLMResult:
    """Fit a survey-weighted GLM with design-based standard errors.

    Parameters
    ----------
    design : SurveyDesign
        Taylor or replicate design; rows with weight 0 (outside a domain) are
        kept in the design but do not enter the fit.
    formula : str
        R-style formula; dotted column names (``api.stu``) are handled
        automatically (see :mod:`analysis._formula`).
    family : {"gaussian", "binomial", "quasibinomial", "poisson", "quasipoisson"}
        Quasi families give the same estimates and design-based SEs.
    link : str, optional
        ``"identity"``, ``"log"``, ``"logit"``, ``"probit"`` or ``"cloglog"``;
        the family's canonical link by default.
    maxit, tol : int, float
        IRLS iteration limit and relative deviance tolerance.

    Returns
    -------
    GLMResult
        Coefficients with design-based covariance (linearisation or replicates).

    Raises
    ------
    ModelError
        Bad formula, response outside the family's support, rank deficiency.
    SeparationError
        Perfect or quasi-perfect separation in a binomial model; names the
        variables.

    Warns
    -----
    ConvergenceWarning
        IRLS stopped after ``maxit`` iterations without separation.

    Notes
    -----
    Rows with missing values in the model's columns are treated like rows
    outside a domain (score zero) and ``degf`` counts the PSUs of complete
    rows only, which is what R's ``na.omit`` on the design gives.

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators
    from complex surveys. International Statistical Review 51, 279-292.
    Lumley, T. (2024). survey: analysis of complex survey samples. R package.
    """
    fam = _family(family, link)
    frame = build_model_frame(formula, design.data, binary_response=fam.name == "binomial")
    if frame.y is None:
        raise ModelError(f"svyglm needs a two-sided formula, got {formula!r}",
                         hint="put the outcome left of '~'")
    w_all = np.asarray(design.weights, dtype=float)
    # R rescales to mean 1 (rescale=TRUE); estimates and SEs do not change.
    w_all = w_all / w_all.mean()
    rows, X, y = frame.rows, frame.X, frame.y
    w = w_all[rows]
    use = w > 0
    # Domains zero some weights; copy the fitting rows once, and not at all if all are used.
    Xu, yu, wu = (X, y, w) if use.all() else (X[use], y[use], w[use])
    fam.check_response(yu, formula)
    check_model_rank(Xu, frame.columns, formula)
    fit = irls(Xu, yu, wu, fam, tol=tol, maxit=maxit)
    if fam.name == "binomial":
        extreme = (fit.mu < 1e-8) | (fit.mu > 1 - 1e-8)
        if not fit.converged or extreme.any():
            _separation_error(Xu, yu, frame)
    if not fit.converged:
        warnings.warn(f"svyglm({formula!r}) did not converge in {maxit} iterations",
                      ConvergenceWarning, stacklevel=2)
    beta = fit.beta
    all_used = bool(use.all())
    # The fit's eta and mu are those of every model row when all are used.
    eta = fit.eta if all_used else _matvec(X, beta)
    mu = fit.mu if all_used else fam.linkinv(eta)
    ww, resid = _working(fam, y, w, eta, mu)
    if not all_used:
        ww[~use] = 0.0
        resid[~use] = 0.0
    ainv = linalg.inv(_gram_cross(X, ww)[0])
    scores = _times(X, ainv, resid)  # (X * resid) @ ainv; ainv is symmetric
    if len(rows) == len(w_all):  # no incomplete rows: skip the scatter into design rows
        influence = scores
    else:
        influence = np.zeros((len(w_all), X.shape[1]))
        influence[rows] = scores
    replicates = None
    if getattr(design, "is_replicate", False):
        replicates = _replicate_fits(design, X, y, rows, fam, beta, frame)
        vc = np.asarray(design.replicate_vcov(replicates, beta), dtype=float)
    else:
        vc = np.asarray(design.vcov_scores(influence), dtype=float)
    names = pd.Index(frame.columns)
    # R drops incomplete rows from the design (na.omit), so degf counts the rest.
    complete = np.zeros(len(w_all), dtype=bool)
    complete[rows] = True
    eta_full = np.full(len(w_all), np.nan)
    eta_full[rows] = eta
    return GLMResult(
        params=pd.Series(beta, index=names, name="estimate"),
        vcov=pd.DataFrame(vc, index=names, columns=names),
        df_resid=complete_case_degf(design, complete) + 1 - X.shape[1], family=fam, formula=formula, frame=frame,
        design=design, eta=eta_full, influence=influence, converged=fit.converged,
        n_iter=fit.n_iter, deviance=fit.deviance,
        replicates=replicates,
    )
