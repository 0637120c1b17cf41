"""Synthetic benchmark data: the same columns for every tool.

Columns: sex (2), age (6 bands), province (31), urban (2), stratum (31 provinces
serve as strata), psu (20 clusters per stratum), y (0/1 outcome), x1, x2 (numeric
covariates), w (design weight).  Generated from a seed so every tool sees the
same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SPELLINGS", "make_data", "margins", "spell"]

# How a categorical predictor can be stored: the glm_C_* tasks fit
# ``y ~ C(sex) + C(age) + C(urban) + x1`` on each.  The text labels sort in
# code order, so every spelling has the same reference levels and coefficients.
SPELLINGS = ("int", "cat", "str", "Int64")
_LABELS = {"sex": ["female", "male"], "age": [f"a{k}" for k in range(6)],
           "urban": ["rural", "urban"]}


def make_data(n: int, seed: int = 2022) -> pd.DataFrame:
    """Return ``n`` rows of benchmark data (deterministic in ``seed``)."""
    rng = np.random.default_rng(seed)
    province = rng.integers(0, 31, n)
    psu = province * 20 + rng.integers(0, 20, n)
    sex = rng.integers(0, 2, n)
    age = rng.choice(6, n, p=[0.25, 0.25, 0.2, 0.15, 0.1, 0.05])
    urban = (rng.random(n) < 0.75).astype(int)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    eta = -0.3 + 0.5 * x1 - 0.25 * x2 + 0.2 * sex + 0.1 * urban
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    w = rng.uniform(0.5, 2.0, n)
    return pd.DataFrame({
        "sex": sex, "age": age, "province": province, "urban": urban,
        "stratum": province, "psu": psu, "y": y, "x1": x1, "x2": x2, "w": w,
    })


def margins(data: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Population margins (shares scaled to the weight total) that differ from the sample."""
    total = float(data["w"].sum())
    prov = np.linspace(1.0, 3.0, 31)
    return {
        "sex": {0: 0.5124 * total, 1: 0.4876 * total},
        "age": dict(zip(range(6), (np.array([9.35, 19.41, 17.25, 21.15, 15.71, 17.13]) / 100 * total))),
        "province": dict(zip(range(31), prov / prov.sum() * total)),
        "urban": {0: 0.3611 * total, 1: 0.6389 * total},
    }


def spell(data: pd.DataFrame, spelling: str) -> pd.DataFrame:
    """``data`` with sex, age and urban stored as ``spelling`` (one of :data:`SPELLINGS`).

    ``int``: the integer codes; ``cat``: pandas categoricals of the codes;
    ``str``: text labels (object dtype); ``Int64``: pandas nullable integers.
    """
    if spelling == "int":
        return data
    out = data.copy()
    for col, labels in _LABELS.items():
        if spelling == "cat":
            out[col] = pd.Categorical(data[col])
        elif spelling == "str":
            out[col] = pd.Series(np.asarray(labels, dtype=object)[data[col].to_numpy()],
                                 index=data.index, dtype=object)
        elif spelling == "Int64":
            out[col] = data[col].astype("Int64")
        else:
            raise ValueError(f"unknown spelling {spelling!r}; use one of {SPELLINGS}")
    return out
