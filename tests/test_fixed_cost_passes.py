"""Fixed costs of small surveys counted in n-row passes, not timed (issue 13).

A first estimate in a fresh process pays for everything it computes over the
rows; these tests count the ``np.bincount`` calls over all n rows (the
costliest pass) with a counting wrapper, and pin each shortcut to the
general path it replaces.  Speed claims live in ``make bench``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import SurveyDesign
from analysis.estimate.descriptive import domains, group_df, union_df, unit_counts
from analysis.estimate.domains import variable_matrix


def _data(n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 6, n)
    return pd.DataFrame({
        "stratum": stratum, "psu": stratum * 10 + rng.integers(0, 8, n),
        "g": rng.integers(0, 5, n), "y": rng.integers(0, 2, n), "x": rng.normal(size=n),
        "w": rng.uniform(0.5, 2.0, n),
    })


@pytest.fixture
def row_passes(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[int]]:
    """Record the length of every ``np.bincount`` input; ``calls(n)`` lists the n-row ones."""
    seen: list[int] = []
    real = np.bincount

    def counting(x: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        seen.append(len(x))
        return real(x, *args, **kwargs)

    monkeypatch.setattr(np, "bincount", counting)
    return lambda n: [k for k in seen if k == n]


def test_first_proportion_makes_one_row_pass(row_passes: Callable[[int], list[int]]) -> None:
    """The df of a whole-sample estimate comes from the design's structure, not the rows."""
    data = _data()
    d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
    before = len(row_passes(len(data)))
    d.mean("y").se  # noqa: B018
    assert len(row_passes(len(data))) - before == 1  # the PSU totals of the scores


def test_first_domain_estimate_row_passes(row_passes: Callable[[int], list[int]]) -> None:
    """Codes, cell counts (n and df of every group), group weights and sums, PSU totals."""
    data = _data()
    d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
    before = len(row_passes(len(data)))
    d.mean("y", by="g").se  # noqa: B018
    first = len(row_passes(len(data))) - before
    d.mean("y", by="g").se  # noqa: B018
    again = len(row_passes(len(data))) - before - first
    assert first <= 5
    assert again <= 3  # codes, cells and counts are kept on the design


def test_degf_shortcut_matches_counting_rows() -> None:
    data = _data()
    d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
    assert d.all_positive
    every = np.ones(len(data), dtype=bool)
    assert d.degf() == d.degf(rows=every) == data["psu"].nunique() - data["stratum"].nunique()
    # a subset (zero weights) takes the general path
    sub = d.subset(data["g"] != 0)
    assert not sub.all_positive
    kept = data[data["g"] != 0]
    assert sub.degf() == kept["psu"].nunique() - kept["stratum"].nunique()


@pytest.mark.parametrize("freq", [False, True])
def test_cell_count_df_and_counts_match_the_general_path(freq: bool) -> None:
    data = _data()
    if freq:
        data["f"] = np.random.default_rng(1).integers(1, 4, len(data))
    d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True,
                     freq_weights="f" if freq else None)
    mat = variable_matrix(d, "y")
    dom = domains(d, mat, "g", False)
    assert dom.full
    # base_group a copy: the general (row-masking) path
    general = type(dom)(group=dom.group, n_groups=dom.n_groups, labels=dom.labels,
                        base_group=dom.group.copy(), failed=dom.failed, full=dom.full)
    np.testing.assert_array_equal(group_df(d, dom), group_df(d, general))
    np.testing.assert_array_equal(unit_counts(d, dom.group, dom.n_groups, dom),
                                  unit_counts(d, dom.group.copy(), dom.n_groups))
    assert union_df(d, dom) == float(d.degf(rows=np.ones(len(data), dtype=bool)))


def test_domain_estimates_match_an_explicit_subset() -> None:
    """The full-domain fast path against each group's own subset design."""
    data = _data()
    d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
    res = d.mean("x", by="g")
    for g in range(5):
        sub = d.subset(data["g"] == g).mean("x")
        assert res.estimate.loc[g] == pytest.approx(float(sub.estimate.iloc[0]), rel=1e-12)
        assert res.se.loc[g] == pytest.approx(float(sub.se.iloc[0]), rel=1e-10)


def test_memo_on_holds_its_array() -> None:
    """An entry keyed by an array's id keeps the array alive: no id reuse by another array."""
    d = SurveyDesign(_data(), weights="w", strata="stratum", psu="psu", nest=True)

    def total(values: np.ndarray) -> int:
        return int(d.memo_on(values, "sum", lambda: int(values.sum())))

    assert total(np.arange(5)) == 10  # the temporary array lives on in the entry
    assert total(np.arange(5) * 2) == 20  # so a new array cannot take its id


def test_float_and_missing_values_keep_their_na_handling() -> None:
    data = _data()
    data.loc[[3, 10], "x"] = np.nan
    d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
    assert np.isnan(d.mean("x").estimate.iloc[0])
    kept = d.mean("x", na_rm=True).estimate.iloc[0]
    ok = data["x"].notna()
    expected = np.average(data.loc[ok, "x"], weights=data.loc[ok, "w"])
    assert kept == pytest.approx(expected, rel=1e-12)
    by = d.mean("x", by="g")
    bad = {data.loc[3, "g"], data.loc[10, "g"]}
    assert all(np.isnan(by.estimate.loc[g]) == (g in bad) for g in range(5))


@pytest.mark.parametrize("shape", [(620, 31), (5000, 9), (40, 3), (7, 50), (2000, 40), (300, 80)])
def test_blockwise_crossproduct_matches_blas(shape: tuple[int, int]) -> None:
    """Cluster totals' cross-product in blocks below OpenBLAS's threading threshold."""
    from analysis.design.variance import _crossprod  # noqa: PLC0415 - private helper under test

    dev = np.random.default_rng(2).normal(size=shape)
    np.testing.assert_allclose(_crossprod(dev), dev.T @ dev, rtol=1e-12, atol=1e-12)


def test_unused_categories_are_no_domains() -> None:
    """A categorical by= with an unused category: only the categories with rows are groups."""
    data = _data()
    data["c"] = pd.Categorical(np.asarray(["a", "b", "c"])[data["g"].to_numpy() % 3],
                               categories=["z", "a", "b", "c", "unused"])
    d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
    res = d.mean("x", by="c")
    assert list(res.estimate.index) == ["a", "b", "c"]
    for level in ("a", "b", "c"):
        sub = d.subset(data["c"] == level).mean("x")
        assert res.estimate.loc[level] == pytest.approx(float(sub.estimate.iloc[0]), rel=1e-12)
        assert res.se.loc[level] == pytest.approx(float(sub.se.iloc[0]), rel=1e-10)
