"""Shortcuts that remove fixed costs give the answers of the general paths (issue 13).

No timings here (speed claims live in ``make bench``): each test pins a fast
path to the slow one it replaces, or a cache to the data it was built from.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import SurveyDesign
from analysis.estimate.descriptive import category_codes
from analysis.ingest._cells import cell_text, map_unique


def _design(rng: np.random.Generator, n: int = 600) -> tuple[pd.DataFrame, SurveyDesign]:
    data = pd.DataFrame({
        "stratum": rng.integers(0, 4, n), "y": rng.integers(0, 2, n).astype(float),
        "w": rng.uniform(0.5, 2.0, n), "g": rng.integers(0, 5, n),
    })
    data["psu"] = data["stratum"] * 10 + rng.integers(0, 5, n)
    return data, SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)


def test_by_groups_follow_a_replaced_column() -> None:
    """The by= factorisation is cached on the design, keyed by the column's storage."""
    rng = np.random.default_rng(3)
    data, d = _design(rng)
    first = d.mean("y", by="g")
    d.data["g"] = (data["g"].to_numpy() + 1) % 5 + 10  # a new array under the same name
    again = d.mean("y", by="g")
    assert list(again.estimate.index) == [10, 11, 12, 13, 14]
    fresh = SurveyDesign(d.data.copy(), weights="w", strata="stratum", psu="psu", nest=True)
    pd.testing.assert_series_equal(again.estimate, fresh.mean("y", by="g").estimate)
    assert not np.allclose(first.estimate.to_numpy(), again.estimate.to_numpy())


def test_repeated_domain_estimates_agree() -> None:
    """Cached groups, counts and df give the first call's answer again, SEs included."""
    rng = np.random.default_rng(4)
    _, d = _design(rng)
    a, b = d.mean("y", by="g"), d.mean("y", by="g")
    pd.testing.assert_frame_equal(a.summary_frame(), b.summary_frame())


@pytest.mark.parametrize("dtype", ["int64", "uint8", "int32"])
def test_integer_codes_by_counting_match_factorize(dtype: str) -> None:
    s = pd.Series(np.array([7, 3, 3, 0, 12, 7], dtype=dtype))
    codes, levels = category_codes(s)
    ref_codes, ref_levels = pd.factorize(s, sort=True)
    np.testing.assert_array_equal(codes, ref_codes)
    assert list(levels) == list(ref_levels)


def test_negative_or_sparse_integers_take_the_general_path() -> None:
    s = pd.Series([-2, 5, -2, 10**12])
    codes, levels = category_codes(s)
    assert list(levels) == [-2, 5, 10**12]
    assert list(codes) == [0, 1, 0, 2]


def test_arrow_cell_text_matches_the_per_value_path() -> None:
    """Trimming in Arrow removes exactly what str.strip() removes; blanks become NA."""
    cells = ["  a ", "NULL", "", "\u3000b\x1c", "(空)", "\x85c\u2028", "d e", "nan", " 0 "]
    arrow = cell_text(pd.Series(cells, dtype="str"))
    general = map_unique(pd.Series(cells, dtype=object),
                         lambda v: (v.strip() or None) if v.strip() not in
                         {"NULL", "null", "(空)", "（空）", "#N/A", "NaN", "nan"} else None,
                         dtype="string")
    pd.testing.assert_series_equal(arrow, general, check_names=False)
    assert cell_text(pd.Series(cells, dtype=object)).tolist() == general.tolist()
