"""What drives and blocks purchasing: marginal effects and predicted probabilities.

Stakeholders read percentage points, not log-odds.  From a survey-weighted
GLM (:func:`analysis.models.glm.svyglm`) this module computes

* :func:`average_marginal_effects` -- the population-average change in the
  predicted probability when a barrier is present (discrete change for
  binary and categorical variables, derivative for continuous ones);
* :func:`predicted_probabilities` -- population-average predictions, overall
  or by subgroup, optionally with every respondent set to a scenario
  (``at={"hard_to_identify": False}``).

Both are weighted means of per-respondent functions of the coefficients, so
their design-based variance is the delta method through the linearisation:
the weighted influence of respondent ``i`` is
``w_i (h_i - H) / W + IF_i(beta) . dH/dbeta`` (``GLMResult.influence()``),
fed to ``Design.vcov_scores``.  Replicate designs recompute everything
with each replicate's weights and coefficients.

Key-driver importance and subgroup tests live in :mod:`analysis.models.importance`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from .._formula import new_design_matrix
from .._validation import check_probability
from ..design.results import result_frame, t_quantile
from ..errors import ModelError

__all__ = ["AMEResult", "PredictionResult", "average_marginal_effects",
           "predicted_probabilities", "formula_variables"]


def formula_variables(result: Any) -> list[str]:
    """List the data columns named on the right-hand side of a fitted model's formula.

    Parameters
    ----------
    result : GLMResult or OrdinalResult
        A fitted model with ``formula`` and ``design``.

    Returns
    -------
    list of str
        Column names in data order (matched as whole names, so ``age`` does
        not match ``age2``).
    """
    rhs = result.formula.split("~", 1)[1]
    names = [c for c in map(str, result.design.data.columns)
             if re.search(r"(?<![\w.])" + re.escape(c) + r"(?![\w.])", rhs)]
    return names


@dataclass(frozen=True)
class _Effect:
    variable: str
    contrast: str
    kind: str  # "binary", "level", "slope"
    high: Any
    low: Any


def _effects(data: pd.DataFrame, variable: str) -> list[_Effect]:
    col = data[variable]
    if pd.api.types.is_bool_dtype(col):
        return [_Effect(variable, "True vs False", "binary", True, False)]
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or \
            pd.api.types.is_string_dtype(col):
        levels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                  else sorted(col.dropna().unique().tolist()))
        ref = levels[0]
        return [_Effect(variable, f"{lev} vs {ref}", "level", lev, ref) for lev in levels[1:]]
    values = pd.unique(col.dropna())
    if len(values) <= 2 and set(np.asarray(values, dtype=float).tolist()) <= {0.0, 1.0}:
        return [_Effect(variable, "1 vs 0", "binary", 1, 0)]
    return [_Effect(variable, "per unit", "slope", None, None)]


def _set(frame: pd.DataFrame, variable: str, value: Any) -> pd.DataFrame:
    """``frame`` with every row of ``variable`` set to ``value``, in the column's own dtype.

    Keeping the dtype (nullable boolean stays ``boolean``, a categorical keeps its
    categories) makes the counterfactual read exactly as the fitted column did.
    """
    col = frame[variable]
    n = len(frame)
    if isinstance(col.dtype, pd.CategoricalDtype):
        categories = col.cat.categories
        if value not in categories:
            raise ModelError(f"{value!r} is not a level of {variable!r}", column=variable,
                             hint=f"use one of {list(categories)}")
        code = categories.get_loc(value)
        new: Any = pd.Categorical.from_codes(np.full(n, code), dtype=col.dtype)
    else:
        # numpy would read any non-empty string ("no" too) as True: accept bools and 0/1.
        binary = pd.api.types.is_bool_dtype(col.dtype)
        ok = not binary or (isinstance(value, (bool, np.bool_, int, float, np.number))
                            and value in (0, 1))
        try:
            if not ok:
                raise ValueError
            new = pd.array(np.full(n, value), dtype=col.dtype)
        except (TypeError, ValueError):
            raise ModelError(f"cannot set {variable!r} ({col.dtype}) to {value!r}",
                             column=variable,
                             hint="give a value of the column's type, e.g. True/False for "
                                  "a yes/no option") from None
    return frame.assign(**{variable: new})


def _group_indicators(col: pd.Series, labels: list[Any]) -> np.ndarray:
    """n x len(labels) membership matrix; missing values belong to no group."""
    return np.column_stack([col.eq(lev).to_numpy(dtype=bool, na_value=False)
                            for lev in labels])


class _Model:
    """The fit's rows, weights and counterfactual design matrices."""

    def __init__(self, result: Any) -> None:
        if getattr(result, "family", None) is None or not hasattr(result, "influence"):
            raise TypeError("expected a GLMResult from svyglm / design.glm")
        self.result = result
        self.design = result.design
        frame = result.model_frame
        self.rows = frame.rows
        w = np.asarray(self.design.weights, dtype=float)[self.rows]
        self.w = w
        needed = formula_variables(result)
        self.data = self.design.data.iloc[self.rows][needed].reset_index(drop=True)
        self.beta = result.params.to_numpy()
        self.reps = None if result.replicates is None else np.asarray(result.replicates)

    def X(self, data: pd.DataFrame) -> np.ndarray:
        X, pos = new_design_matrix(self.result.model_frame, data)
        if pos.size != len(data):
            raise ModelError("counterfactual rows lost predictors", hint="check missing values")
        return X

    def mu(self, X: np.ndarray, beta: np.ndarray) -> np.ndarray:
        return self.result.inverse_link(X @ beta)

    def dmu(self, X: np.ndarray, beta: np.ndarray) -> np.ndarray:
        """d mu / d beta for each row (n x p)."""
        return X * self.result.link_derivative(X @ beta)[:, None]


def _linearized(model: _Model, h: np.ndarray, grad: np.ndarray, est: np.ndarray,
                groups: np.ndarray | None = None) -> np.ndarray:
    """Weighted influence (n_design x q) of weighted means of ``h`` (n x q)."""
    w = model.w
    n_all = model.design.n
    if groups is None:
        groups = np.ones((w.size, h.shape[1]), dtype=bool)
    wg = w[:, None] * groups
    W = wg.sum(axis=0)
    z = np.zeros((n_all, h.shape[1]))
    z[model.rows] = wg * (h - est) / W
    return z + model.result.influence() @ grad


class _Table:
    """Shared table methods for AMEs and predictions (the result protocol)."""

    frame: pd.DataFrame
    df: float
    vcov: np.ndarray

    def _interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Table with ``estimate, se, ci_low, ci_high`` then the stored extra columns.

        Extra columns: ``statistic, p_value`` for effects, ``n_unweighted``
        for predictions.
        """
        check_probability("level", level)
        low, high = self._interval(level)
        rest = self.frame.drop(columns=["estimate", "se"])
        n = rest.pop("n_unweighted") if "n_unweighted" in rest else None
        return result_frame(self.frame["estimate"], self.frame["se"], low, high,
                            n_unweighted=n, extra=dict(rest.items()))

    def _q(self, level: float) -> float:
        return float(t_quantile(0.5 + level / 2, self.df if self.df > 0 else np.nan))


class AMEResult(_Table):
    """Average marginal effects with design-based SEs.

    Parameters
    ----------
    frame : DataFrame
        Indexed by ``(variable, contrast)``: ``estimate`` (probability scale;
        ``* 100`` = percentage points), ``se``, ``statistic`` (t),
        ``p_value``.
    vcov : ndarray
        Covariance of the effects (joint, so effects can be compared).
    df : float
        Degrees of freedom (the GLM's ``df_resid``).
    method : str
        ``"linearization"`` or ``"replicate"``.
    """

    def __init__(self, frame: pd.DataFrame, vcov: np.ndarray, df: float, method: str) -> None:
        self.frame = frame
        self.vcov = vcov
        self.df = df
        self.method = method

    def _interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        q = self._q(level)
        est, se = self.frame["estimate"].to_numpy(), self.frame["se"].to_numpy()
        return est - q * se, est + q * se

    def tidy(self, level: float = 0.95, *, percent: bool = True) -> pd.DataFrame:
        """Forest-plot frame: ``variable, contrast, estimate, se, ci_low, ci_high, p_value``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of ``ci_low, ci_high``.
        percent : bool, default True
            Report ``estimate``, ``se`` and the interval in percentage points.

        Returns
        -------
        DataFrame
            One row per effect.
        """
        out = self.summary_frame(level).reset_index()
        if percent:
            for c in ("estimate", "se", "ci_low", "ci_high"):
                out[c] = out[c] * 100
        return out[["variable", "contrast", "estimate", "se", "ci_low", "ci_high", "p_value"]]

    def __repr__(self) -> str:
        return f"<AMEResult ({self.method} SEs)>\n{self.summary_frame()}"


class PredictionResult(_Table):
    """Population-average predicted probabilities (overall or by group).

    Parameters
    ----------
    frame : DataFrame
        Indexed by group (``"all"`` without ``by``): ``estimate, se,
        n_unweighted`` (model rows with positive weight in the group).
    vcov : ndarray
        Covariance across groups.
    df : float
        Degrees of freedom.
    scenario : dict
        Counterfactual settings applied to every respondent (``at=``).
    """

    def __init__(self, frame: pd.DataFrame, vcov: np.ndarray, df: float,
                 scenario: dict[str, Any]) -> None:
        self.frame = frame
        self.vcov = vcov
        self.df = df
        self.scenario = scenario

    def _interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        # Logit-scale Wald interval keeps probabilities inside (0, 1).
        q = self._q(level)
        p, se = self.frame["estimate"].to_numpy(), self.frame["se"].to_numpy()
        inner = (p > 0) & (p < 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            lg = special.logit(np.where(inner, p, 0.5))
            sl = np.where(inner, se / (p * (1 - p)), 0.0)
        return (np.where(inner, special.expit(lg - q * sl), p),
                np.where(inner, special.expit(lg + q * sl), p))

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Plot-ready: ``group, estimate, se, ci_low, ci_high, n_unweighted``.

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the logit-scale interval.

        Returns
        -------
        DataFrame
            One row per group.
        """
        return self.summary_frame(level).rename_axis("group").reset_index()

    def __repr__(self) -> str:
        return f"<PredictionResult {self.scenario or ''}>\n{self.summary_frame()}"


def _replicate_means(model: _Model, values: Any, groups: np.ndarray | None) -> np.ndarray:
    """Replicate estimates (R x q): ``values(beta_r)`` averaged with replicate weights."""
    if model.reps is None:  # callers come here for replicate designs only
        raise ModelError("replicate estimates asked for on a model fitted without replicates",
                         hint="report this as a bug in analysis.models.effects")
    beta_reps = model.reps
    reps = np.asarray(model.design.repweights, dtype=float)[model.rows]
    out = np.empty((reps.shape[1], 0))
    rows = []
    for r in range(reps.shape[1]):  # loop over replicates
        h = values(beta_reps[r])
        g = np.ones_like(h, dtype=bool) if groups is None else groups
        wr = reps[:, [r]] * g
        rows.append((wr * h).sum(axis=0) / wr.sum(axis=0))
    out = np.vstack(rows)
    return out


def average_marginal_effects(result: Any, variables: str | list[str] | None = None, *,
                             step: float = 1e-4) -> AMEResult:
    """Average marginal effects of a binary-outcome survey GLM.

    Parameters
    ----------
    result : GLMResult
        From ``svyglm(design, "bought ~ hard_to_identify + price + ...",
        family="quasibinomial")`` (any family/link works: effects are on the
        response scale).
    variables : str or list of str, optional
        Data columns (default: every column in the formula).  Booleans and
        0/1 numbers give the discrete change ``P(x=1) - P(x=0)``; categorical
        columns the change from the first level to each other level;
        continuous columns the average derivative ``dP/dx`` (per unit).
    step : float
        Relative step of the numerical derivative for continuous variables.

    Returns
    -------
    AMEResult
        ``.summary_frame(level)``, ``.tidy(level)`` (percentage points,
        forest plot); the confidence level is chosen there.

    Notes
    -----
    Effects average each respondent's counterfactual change with the survey
    weights (the population AME), the estimand of Stata's ``margins, dydx()``
    with ``vce(linearized)``.
    """
    model = _Model(result)
    names = formula_variables(result) if variables is None else (
        [variables] if isinstance(variables, str) else list(variables))
    effects = [e for v in names for e in _effects(model.data, v)]
    if not effects:
        raise ModelError("no variables to compute marginal effects for",
                         hint="name data columns used in the model's formula")
    pairs = []
    for e in effects:  # a few variables
        if e.kind == "slope":
            x = model.data[e.variable].to_numpy(dtype=float)
            delta = step * max(float(np.nanstd(x)), 1.0)
            pairs.append((model.X(model.data.assign(**{e.variable: x + delta})),
                          model.X(model.data.assign(**{e.variable: x - delta})), 2 * delta))
        else:
            pairs.append((model.X(_set(model.data, e.variable, e.high)),
                          model.X(_set(model.data, e.variable, e.low)), 1.0))

    def values(beta: np.ndarray) -> np.ndarray:
        return np.column_stack([(model.mu(a, beta) - model.mu(b, beta)) / d for a, b, d in pairs])

    h = values(model.beta)
    W = model.w.sum()
    est = model.w @ h / W
    if model.reps is not None:
        reps = _replicate_means(model, values, None)
        vcov = np.asarray(model.design.replicate_vcov(reps, est), dtype=float)
        method = "replicate"
    else:
        grad = np.column_stack([model.w @ ((model.dmu(a, model.beta) - model.dmu(b, model.beta))
                                           / d) / W for a, b, d in pairs])
        vcov = np.asarray(model.design.vcov_scores(_linearized(model, h, grad, est)), dtype=float)
        method = "linearization"
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    df = result.df_resid
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    p = 2 * stats.t.sf(np.abs(t), df) if df > 0 else np.full(t.shape, np.nan)
    index = pd.MultiIndex.from_tuples([(e.variable, e.contrast) for e in effects],
                                      names=["variable", "contrast"])
    frame = pd.DataFrame({"estimate": est, "se": se, "statistic": t, "p_value": p},
                         index=index)
    return AMEResult(frame, vcov, df, method)


def predicted_probabilities(result: Any, by: str | None = None,
                            at: dict[str, Any] | None = None) -> PredictionResult:
    """Population-average predicted probability, overall or by subgroup.

    Parameters
    ----------
    result : GLMResult
        A fitted survey GLM.
    by : str, optional
        Column of the design's data; each group is a domain.
    at : dict, optional
        Scenario: set these columns to these values for every respondent
        (e.g. ``{"hard_to_identify": False}``) before averaging.

    Returns
    -------
    PredictionResult
        ``.summary_frame(level)`` gives logit-scale intervals at ``level``.
    """
    model = _Model(result)
    data = model.data
    for var, value in (at or {}).items():
        if var not in data.columns:
            raise ModelError(f"`at` names {var!r}, which is not a variable of the model",
                             column=var, hint=f"model variables: {list(data.columns)}")
        data = _set(data, var, value)
    X = model.X(data)
    if by is None:
        groups = np.ones((model.rows.size, 1), dtype=bool)
        labels = ["all"]
    else:
        col = model.design.data[by].iloc[model.rows].reset_index(drop=True)
        labels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                  else sorted(col.dropna().unique().tolist()))
        groups = _group_indicators(col, labels)
    wg = model.w[:, None] * groups
    W = wg.sum(axis=0)
    if np.any(W <= 0):
        empty = [lab for lab, x in zip(labels, W) if x <= 0]
        raise ModelError(f"group(s) {empty} of {by!r} have no weight among the model's rows",
                         column=by, hint="drop empty categories")

    def values(beta: np.ndarray) -> np.ndarray:
        return np.repeat(model.mu(X, beta)[:, None], groups.shape[1], axis=1)

    h = values(model.beta)
    est = (wg * h).sum(axis=0) / W
    if model.reps is not None:
        reps = _replicate_means(model, values, groups)
        vcov = np.asarray(model.design.replicate_vcov(reps, est), dtype=float)
    else:
        d = model.dmu(X, model.beta)
        grad = (d.T @ wg) / W
        vcov = np.asarray(model.design.vcov_scores(
            _linearized(model, h, grad, est, groups)), dtype=float)
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    frame = pd.DataFrame({"estimate": est, "se": se,
                          "n_unweighted": ((model.w > 0)[:, None] & groups).sum(axis=0)},
                         index=pd.Index(labels, name=by or "group"))
    return PredictionResult(frame, vcov, result.df_resid, dict(at or {}))
