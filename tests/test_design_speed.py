"""Scale: a stratified cluster design on 10^6 rows estimates in well under seconds."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from analysis.survey import SurveyDesign


@pytest.mark.slow
def test_million_rows_mean_is_fast() -> None:
    rng = np.random.default_rng(1)
    n = 1_000_000
    df = pd.DataFrame({
        "s": rng.integers(0, 50, n), "p": rng.integers(0, 2000, n),
        "w": rng.uniform(1, 5, n), "y": rng.normal(size=n),
        "c": pd.Categorical(rng.choice(list("abcde"), n)), "g": rng.integers(0, 10, n),
    })
    d = SurveyDesign(df, weights="w", strata="s", psu="p", nest=True)
    start = time.perf_counter()
    res = d.mean("y")
    elapsed = time.perf_counter() - start
    assert np.isfinite(res.se.iloc[0])
    # generous bound: the machine is shared; typically ~0.1 s
    assert elapsed < 2.0
    start = time.perf_counter()
    by = d.mean("c", by="g")
    assert by.vcov.shape == (50, 50)
    assert time.perf_counter() - start < 5.0
