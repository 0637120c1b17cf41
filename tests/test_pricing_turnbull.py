"""Weighted Turnbull NPMLE core: R survfit reference, direct likelihood, invariances."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize

from analysis.errors import ConvergenceWarning, IntervalError
from analysis.pricing.bounds import as_bounds
from analysis.pricing.npmle import (
    curve_matrix,
    fit_turnbull,
    innermost_intervals,
    turnbull_em,
    turnbull_influence,
)

REFERENCE = Path(__file__).parent / "reference"
R_PRICING = json.loads((REFERENCE / "r_pricing.json").read_text())
CASES = {c["name"]: c for c in R_PRICING["results"]["turnbull"]}


def _bounds(case: dict) -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([np.nan if v is None else v for v in case["lower"]], dtype=float)
    hi = np.array([np.nan if v is None else v for v in case["upper"]], dtype=float)
    lo, hi, _ = as_bounds(lo, hi)
    return lo, hi


@pytest.mark.parametrize("name", list(CASES))
def test_matches_r_survfit_interval2(name):
    case = CASES[name]
    lo, hi = _bounds(case)
    fit = fit_turnbull(lo, hi, np.array(case["weights"]), closed="right")
    surv = fit.mass @ curve_matrix(fit, np.array(case["grid"]))
    # R's EM rerun to 1e-12 (see ref_pricing.R): agreement to EM precision.
    assert_allclose(surv, case["survival_tight"], atol=1e-8)
    # R as shipped stops at a 5e-5 change of the curve.
    assert_allclose(surv, case["survival_default"], atol=5e-3)


@pytest.mark.parametrize("name", ["toy_mixed", "dbdc"])
def test_em_maximises_the_weighted_likelihood(name):
    case = CASES[name]
    lo, hi = _bounds(case)
    w = np.array(case["weights"])
    fit = fit_turnbull(lo, hi, w, closed="right")
    alpha = fit.alpha.astype(float)
    counts = np.bincount(fit.pattern, weights=w)

    def negll(z):  # softmax keeps the masses on the simplex
        p = np.exp(z - z.max())
        p /= p.sum()
        return -np.sum(counts * np.log(alpha @ p))

    z0 = np.log(np.full(alpha.shape[1], 1.0 / alpha.shape[1]))
    opt = optimize.minimize(negll, z0, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
    p_direct = np.exp(opt.x - opt.x.max())
    p_direct /= p_direct.sum()
    assert negll(np.log(np.clip(fit.mass, 1e-300, None))) <= opt.fun + 1e-8
    assert_allclose(fit.mass, p_direct, atol=2e-4)


def test_closed_left_and_right_agree_without_exact_ties():
    case = CASES["dbdc"]
    lo, hi = _bounds(case)
    w = np.array(case["weights"])
    right = fit_turnbull(lo, hi, w, closed="right")
    left = fit_turnbull(lo, hi, w, closed="left")
    assert_allclose(left.mass, right.mass, atol=1e-10)
    assert_allclose(left.left, right.left)


def test_exact_values_follow_the_closed_side():
    lo = np.array([1.0, 0.0, 1.0])
    hi = np.array([1.0, 1.0, 2.0])
    # (0, 1] holds the exact 1 when closed on the right; [1, 2) holds it on the left.
    right = fit_turnbull(lo, hi, np.ones(3), closed="right")
    left = fit_turnbull(lo, hi, np.ones(3), closed="left")
    assert_allclose(right.mass @ curve_matrix(right, [1.0]), [1 / 3])
    assert_allclose(left.mass @ curve_matrix(left, [1.0]), [2 / 3])


def test_disjoint_ladder_masses_are_weighted_shares(rng):
    rungs = np.array([0.2, 0.3, 0.5, 0.7])
    k = rng.integers(0, 4, 500)
    lo = rungs[k]
    hi = np.append(rungs[1:], np.inf)[k]
    w = rng.uniform(0.5, 2, 500)
    fit = fit_turnbull(lo, hi, w)
    shares = np.bincount(k, weights=w) / w.sum()
    assert_allclose(fit.mass, shares, atol=1e-12)
    assert fit.n_iter <= 6


def test_integer_weights_equal_duplicated_rows(rng):
    case = CASES["random_inspection"]
    lo, hi = _bounds(case)
    w = rng.integers(1, 4, lo.size)
    weighted = fit_turnbull(lo, hi, w.astype(float))
    dup = fit_turnbull(np.repeat(lo, w), np.repeat(hi, w), np.ones(w.sum()))
    assert_allclose(weighted.mass, dup.mass, atol=1e-9)


def test_weight_columns_fit_like_separate_fits(rng):
    case = CASES["dbdc"]
    lo, hi = _bounds(case)
    W = rng.uniform(0, 2, (lo.size, 5))
    together = fit_turnbull(lo, hi, W)
    for r in range(5):
        alone = fit_turnbull(lo, hi, W[:, r])
        assert_allclose(together.mass[:, r], alone.mass, atol=1e-9)


def test_zero_weight_and_uninformative_rows_are_ignored():
    case = CASES["toy_mixed"]
    lo, hi = _bounds(case)
    w = np.array(case["weights"])
    base = fit_turnbull(lo, hi, w)
    more = fit_turnbull(np.append(lo, [0.1, -np.inf]), np.append(hi, [0.9, np.inf]),
                        np.append(w, [0.0, 5.0]))
    assert_allclose(more.mass, base.mass, atol=1e-12)
    assert more.pattern[-1] == -1


def test_influence_rows_sum_to_zero_and_match_numerical_derivative():
    case = CASES["dbdc"]
    lo, hi = _bounds(case)
    w = np.array(case["weights"])
    fit = fit_turnbull(lo, hi, w, tol=1e-14)
    infl = turnbull_influence(fit, w)
    assert_allclose(infl.sum(axis=1), 0, atol=1e-10)
    # Gateaux derivative: up-weighting row i by eps moves the masses by eps * infl_i / w_i.
    eps = 1e-5
    for i in (0, 7, 123):
        w2 = w.copy()
        w2[i] += eps * w[i]
        moved = fit_turnbull(lo, hi, w2, tol=1e-14)
        assert_allclose((moved.mass - fit.mass) / eps, infl[i], atol=2e-5)


def test_innermost_intervals_of_a_textbook_example():
    # Turnbull intervals of (0,2], (1,3], (4,6], (5,inf): (1,2] and (5,6].
    left, right, alpha, _, _ = innermost_intervals(
        np.array([0.0, 1, 4, 5]), np.array([2.0, 3, 6, np.inf]), closed="right")
    assert_allclose(left, [1, 5])
    assert_allclose(right, [2, 6])
    assert alpha.tolist() == [[True, False], [True, False], [False, True], [False, True]]


def test_empty_interval_names_rows():
    with pytest.raises(IntervalError, match="empty interval") as err:
        as_bounds(np.array([0.1, 0.6, 0.3]), np.array([0.2, 0.5, 0.2]))
    assert err.value.row == "1, 2"
    assert "Fix:" in str(err.value)


def test_em_flags_non_convergence():
    case = CASES["random_inspection"]
    lo, hi = _bounds(case)
    with pytest.warns(ConvergenceWarning, match="Turnbull EM stopped") as record:
        fit = fit_turnbull(lo, hi, np.ones(lo.size), maxit=3)
    assert record[0].message.diagnostics["iterations"] == 3
    assert not fit.converged
    mass, ok, _ = turnbull_em(fit.alpha, np.bincount(fit.pattern).astype(float), maxit=3)
    assert not ok
    assert_allclose(mass.sum(), 1.0)


def test_design_turnbull_delegates_and_groups(rng):
    import pandas as pd

    from analysis import SurveyDesign
    from analysis.pricing import GroupedResult

    case = CASES["dbdc"]
    lo = np.array([np.nan if v is None else v for v in case["lower"]], dtype=float)
    hi = np.array([np.nan if v is None else v for v in case["upper"]], dtype=float)
    df = pd.DataFrame({"l": lo, "u": hi, "w": case["weights"],
                       "g": rng.choice(["a", "b"], lo.size)})
    d = SurveyDesign(df, weights="w")
    direct = d.turnbull("l", "u", closed="right")
    via = d.turnbull("l", "u", closed="right")
    assert_allclose(via.curve()["estimate"], direct.curve()["estimate"])
    assert_allclose(direct.curve(case["grid"])["estimate"], case["survival_tight"], atol=1e-8)
    grouped = d.turnbull("l", "u", by="g")
    assert isinstance(grouped, GroupedResult)
    assert list(grouped) == ["a", "b"]
    frame = grouped.summary_frame()
    assert frame.index.names == ["g", "value"]
    with pytest.raises(IntervalError, match="not in the data"):
        d.turnbull("l", "nope")
