"""Synthetic benchmark data: the same columns for every tool.

Columns: sex (2), age (6 bands), province (31), urban (2), stratum (31 provinces
serve as strata), psu (20 clusters per stratum), y (0/1 outcome), x1, x2 (numeric
covariates), w (design weight).  Generated from a seed so every tool sees the
same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_data", "margins"]


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
