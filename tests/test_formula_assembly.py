"""The design matrix is assembled block by block, never by ``numpy.stack`` (issue 13).

formulaic's numpy output stacks every column across the whole matrix (and copies
each column twice before); ``analysis._formula`` fills row blocks instead.  The
matrix must be the one formulaic builds, across block boundaries, with dropped
NA rows, interactions and every spelling of a factor.  No timings here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from formulaic import Formula
from formulaic.materializers import FormulaMaterializer

from analysis._formula import _SPEC, build_model_frame


def _data(n: int = 40_000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    data = pd.DataFrame({
        "y": rng.integers(0, 2, n), "x": rng.normal(size=n), "z": rng.normal(size=n),
        "sex": rng.integers(1, 3, n), "age": rng.integers(0, 6, n),
        "region": np.asarray(["north", "south", "east"], dtype=object)[rng.integers(0, 3, n)],
    })
    data.loc[[5, 17_000, 39_999], "x"] = np.nan  # dropped rows on both sides of a block edge
    data["band"] = pd.Categorical(data["age"].map({0: "a", 1: "a", 2: "b", 3: "b", 4: "c", 5: "c"}))
    data["sexI"] = data["sex"].astype("Int64")
    return data


FORMULAS = [
    "y ~ C(sex) + C(age) + region + x",
    "y ~ C(sexI) + band * x + z",
    "y ~ region:x + I(x ** 2) + band",
    "~ 0 + region + C(age)",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_matrix_is_formulaics(formula: str) -> None:
    data = _data()
    frame = build_model_frame(formula, data)
    # formulaic on its own (numpy.stack); C() of a nullable column needs plain ints there
    plain = data.assign(sexI=data["sexI"].astype("int64"))
    mm = FormulaMaterializer.for_data(plain)(plain, context={"np": np}).get_model_matrix(
        Formula(formula), **_SPEC)
    rhs = mm.rhs if hasattr(mm, "rhs") else mm
    ref = np.asarray(rhs, dtype=float)
    assert frame.X.shape == ref.shape
    assert frame.X.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(frame.X, ref)
    assert len(frame.columns) == ref.shape[1]


def test_no_stack_of_whole_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = np.stack

    def counting(arrays: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        calls.append(len(arrays))
        return real(arrays, *args, **kwargs)

    monkeypatch.setattr(np, "stack", counting)
    frame = build_model_frame(FORMULAS[0], _data())
    assert frame.X.shape[1] == 1 + 1 + 5 + 2 + 1
    assert calls == []
