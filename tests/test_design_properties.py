"""Property-based checks on random stratified cluster designs (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.survey import SurveyDesign


@st.composite
def designs(draw: st.DrawFn) -> pd.DataFrame:
    seed = draw(st.integers(0, 2**32 - 1))
    n_strata = draw(st.integers(1, 4))
    psu_per = draw(st.integers(2, 5))
    rows_per = draw(st.integers(1, 6))
    rng = np.random.default_rng(seed)
    n = n_strata * psu_per * rows_per
    return pd.DataFrame({
        "s": np.repeat(np.arange(n_strata), psu_per * rows_per),
        "p": np.repeat(np.arange(n_strata * psu_per), rows_per),
        "w": rng.uniform(0.2, 5.0, n),
        "y": rng.normal(0, 1, n) * 10,
        "x": rng.uniform(1, 2, n),
        "c": pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c"]),
        "g": rng.choice(["u", "v"], n),
    })


SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _frame(d: SurveyDesign, method: str, *args: object, **kw: object) -> pd.DataFrame:
    return getattr(d, method)(*args, **kw).summary_frame()


@SETTINGS
@given(df=designs(), perm_seed=st.integers(0, 1000))
def test_estimates_invariant_to_row_order(df: pd.DataFrame, perm_seed: int) -> None:
    shuffled = df.sample(frac=1.0, random_state=perm_seed)
    a = SurveyDesign(df, weights="w", strata="s", psu="p")
    b = SurveyDesign(shuffled, weights="w", strata="s", psu="p")
    for method, args, kw in (("mean", ("y",), {}), ("total", ("c",), {}),
                             ("ratio", ("y", "x"), {}), ("mean", ("y",), {"by": "g"})):
        pd.testing.assert_frame_equal(_frame(a, method, *args, **kw),
                                      _frame(b, method, *args, **kw), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(df=designs(), factor=st.floats(0.01, 1000))
def test_means_invariant_to_weight_scale(df: pd.DataFrame, factor: float) -> None:
    a = SurveyDesign(df, weights="w", strata="s", psu="p")
    b = SurveyDesign(df.assign(w=df["w"] * factor), weights="w", strata="s", psu="p")
    for var in ("y", "c"):
        pd.testing.assert_frame_equal(_frame(a, "mean", var), _frame(b, "mean", var),
                                      rtol=1e-9, atol=1e-12)
    ta, tb = a.total("y"), b.total("y")
    np.testing.assert_allclose(tb.estimate * 1.0, ta.estimate * factor, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(tb.se, ta.se * factor, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(df=designs())
def test_category_shares_sum_to_one_with_singular_vcov(df: pd.DataFrame) -> None:
    res = SurveyDesign(df, weights="w", strata="s", psu="p").mean("c")
    assert abs(res.estimate.sum() - 1) < 1e-12
    # shares are constrained: the covariance annihilates the vector of ones
    np.testing.assert_allclose(res.vcov.to_numpy() @ np.ones(3), 0, atol=1e-12)


@SETTINGS
@given(df=designs())
def test_by_groups_equal_domains(df: pd.DataFrame) -> None:
    d = SurveyDesign(df, weights="w", strata="s", psu="p")
    by = d.mean("y", by="g")
    for group in by.estimate.index:
        dom = d.subset(df["g"] == group).mean("y")
        np.testing.assert_allclose(by.estimate[group], dom.estimate.iloc[0], rtol=1e-12)
        np.testing.assert_allclose(by.se[group], dom.se.iloc[0], rtol=1e-9, atol=1e-14)
