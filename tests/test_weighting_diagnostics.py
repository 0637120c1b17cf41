"""Weight diagnostics: Kish deff, effective sample size, summaries, margins table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import WeightError
from analysis.weight.diagnostics import (
    WeightingInfo,
    effective_sample_size,
    kish_deff,
    margins_table,
    weight_summary,
)
from analysis.weight.methods import rake


def test_kish_deff_and_ess_by_hand():
    w = np.array([1.0, 1.0, 2.0, 2.0])
    # n * sum(w^2) / sum(w)^2 = 4 * 10 / 36
    assert kish_deff(w) == pytest.approx(10 / 9)
    assert effective_sample_size(w) == pytest.approx(36 / 10)
    assert kish_deff(np.full(7, 3.2)) == pytest.approx(1.0)
    assert effective_sample_size(np.full(7, 3.2)) == pytest.approx(7.0)


def test_weight_summary_identities(rng):
    w = rng.lognormal(0.0, 0.6, 500)
    s = weight_summary(w)
    assert list(s.index) == ["n", "sum", "min", "max", "mean", "cv", "max_min_ratio", "deff",
                             "ess"]
    assert s["n"] == 500
    assert s["deff"] == pytest.approx(1 + s["cv"] ** 2, rel=1e-12)
    assert s["ess"] == pytest.approx(s["n"] / s["deff"], rel=1e-12)
    assert s["max_min_ratio"] == pytest.approx(w.max() / w.min())
    assert s["cv"] == pytest.approx(np.std(w) / np.mean(w))


def test_weight_summary_zero_weight_and_bad_input():
    s = weight_summary([0.0, 1.0, 2.0])
    assert s["max_min_ratio"] == np.inf
    with pytest.raises(WeightError, match="negative"):
        weight_summary([1.0, -1.0])
    with pytest.raises(WeightError, match="missing or infinite"):
        kish_deff([1.0, np.nan])


def test_margins_table_columns_and_values():
    data = pd.DataFrame({"sex": ["m", "f", "f", "f"], "urban": ["u", "u", "r", "r"]})
    margins = {"sex": {"m": 0.5, "f": 0.5}, "urban": {"u": 0.6, "r": 0.4}}
    w, info = rake(data, margins, return_info=True, tol=1e-12, max_iter=500)
    table = margins_table(data, margins, w)
    assert list(table.columns) == ["variable", "level", "target", "target_share", "sample_n",
                                   "sample_share", "before_share", "after_share",
                                   "after_total", "error"]
    row = table.set_index(["variable", "level"]).loc[("sex", "m")]
    assert row["sample_n"] == 1
    assert row["sample_share"] == pytest.approx(0.25)
    assert row["before_share"] == pytest.approx(0.25)
    assert row["after_share"] == pytest.approx(0.5)
    assert row["target"] == pytest.approx(2.0)  # shares scaled to the weight total 4
    assert table["error"].abs().max() < 1e-12
    pd.testing.assert_frame_equal(table, info.margins)


def test_weighting_info_summary_and_repr():
    data = pd.DataFrame({"g": ["a", "a", "b"]})
    _, info = rake(data, {"g": {"a": 0.5, "b": 0.5}}, return_info=True)
    assert isinstance(info, WeightingInfo)
    frame = info.to_frame()
    assert list(frame.columns) == ["before", "after"]
    assert frame.loc["deff", "before"] == pytest.approx(1.0)
    assert frame.loc["deff", "after"] == pytest.approx(kish_deff([0.75, 0.75, 1.5]))
    assert "converged in 1 iteration" in repr(info)
