"""One raking sweep's work, counted (issue 13): no timings, the passes themselves.

A sweep over the margins needs each margin's totals in turn.  On the dense
table of the cross-classification (as many cells as the occupied ones, or a
few times more) these are sums along axes; the bincount path over the
occupied cells is kept for sparse cross-classifications.  Both give the same
factors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

import analysis.weight.cores as cores
from analysis import SurveyDesign
from analysis.weight.cores import collapse_cells, group_sums, ipf
from analysis.weight.margins import resolve_margins


def make_data(n: int, seed: int = 2022) -> pd.DataFrame:
    """Rows like the bench's (tests/bench/data.py): sex, age, province, urban, w."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "sex": rng.integers(0, 2, n), "age": rng.choice(6, n, p=[0.25, 0.25, 0.2, 0.15, 0.1, 0.05]),
        "province": rng.integers(0, 31, n), "urban": (rng.random(n) < 0.75).astype(int),
        "w": rng.uniform(0.5, 2.0, n),
    })


def margins(data: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Population margins that differ from the sample, on the weight total."""
    total = float(data["w"].sum())
    prov = np.linspace(1.0, 3.0, 31)
    return {
        "sex": {0: 0.5124 * total, 1: 0.4876 * total},
        "age": dict(zip(range(6), np.array([9.35, 19.41, 17.25, 21.15, 15.71, 17.13]) / 100 * total,
                        strict=True)),
        "province": dict(zip(range(31), prov / prov.sum() * total, strict=True)),
        "urban": {0: 0.3611 * total, 1: 0.6389 * total},
    }


def _cells(n: int = 20_000) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """The bench's raking problem: 4 margins (2, 6, 31, 2 levels) as occupied cells."""
    data = make_data(n)
    resolved, _, _ = resolve_margins(data, margins(data), data["w"].to_numpy())
    cell, cell_codes = collapse_cells([m.codes for m in resolved], [len(m.levels) for m in resolved])
    start = group_sums(cell, len(cell_codes[0]), data["w"].to_numpy())[:, None]
    return cell_codes, [m.targets for m in resolved], start


def test_a_sweep_costs_at_most_three_bincount_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    cell_codes, targets, start = _cells()
    calls = []
    real = np.bincount

    def counting(*args: Any, **kwargs: Any) -> np.ndarray:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "bincount", counting)
    res = ipf(cell_codes, targets, start, max_iter=100, tol=1e-10)
    assert res.converged
    assert res.iterations >= 2
    assert len(calls) <= 3 * res.iterations


@pytest.mark.parametrize("r_epsilon", [None, 1.0])
def test_dense_table_and_cell_paths_agree(monkeypatch: pytest.MonkeyPatch,
                                          r_epsilon: float | None) -> None:
    cell_codes, targets, start = _cells()
    # a replicate-like second column: every path rakes columns alike
    start = np.hstack([start, start * np.linspace(0.5, 1.5, len(start))[:, None]])
    dense = ipf(cell_codes, targets, start, max_iter=100, tol=1e-10, r_epsilon=r_epsilon)
    monkeypatch.setattr(cores, "_DENSE_IPF_RATIO", 0)  # force the bincount path
    cells = ipf(cell_codes, targets, start, max_iter=100, tol=1e-10, r_epsilon=r_epsilon)
    assert dense.iterations == cells.iterations
    assert dense.converged == cells.converged
    np.testing.assert_allclose(dense.factor, cells.factor, rtol=1e-12)
    for a, b in zip(dense.last, cells.last, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert dense.max_error == pytest.approx(cells.max_error, abs=1e-13)


def test_empty_level_is_reported_on_the_dense_path() -> None:
    cell_codes, targets, start = _cells()
    start = np.hstack([start, np.where(cell_codes[1][:, None] == 3, 0.0, start)])
    with pytest.raises(cores.EmptyLevelError) as info:
        ipf(cell_codes, targets, start, max_iter=10, tol=1e-10)
    assert (info.value.margin, info.value.level, info.value.column) == (1, 3, 1)


def test_raked_design_meets_its_margins() -> None:
    data = make_data(5_000)
    d = SurveyDesign(data, weights="w").rake(margins(data), tol=1e-9, max_iter=100)
    for col, target in margins(data).items():
        got = np.bincount(data[col].to_numpy(), weights=d.weights)
        np.testing.assert_allclose(got, [target[k] for k in sorted(target)], rtol=1e-8)


def test_integer_margins_are_coded_by_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small non-negative integer columns: no hash factorisation, the same margins."""
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"gap": rng.choice([1, 3, 7], 500), "full": rng.integers(0, 4, 500),
                         "w": rng.uniform(0.5, 2, 500)})
    targets = {"gap": {1: 0.2, 3: 0.3, 7: 0.5}, "full": {3: 0.1, 2: 0.2, 1: 0.3, 0: 0.4}}
    text = data.assign(gap=data["gap"].astype(str).astype(object),
                       full=data["full"].astype(str).astype(object))
    general, _, _ = resolve_margins(text, targets, data["w"].to_numpy())
    calls = []
    real = pd.factorize

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pd, "factorize", counting)
    counted, _, _ = resolve_margins(data, targets, data["w"].to_numpy())
    assert calls == []
    for a, b in zip(counted, general, strict=True):
        assert a.levels == b.levels
        np.testing.assert_array_equal(a.codes, b.codes)
        np.testing.assert_allclose(a.targets, b.targets, rtol=1e-15)
