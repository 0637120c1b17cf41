"""Shared fixtures: a seeded RNG, paths, and a headless matplotlib backend."""

from __future__ import annotations

import os
from pathlib import Path

# One BLAS thread per test worker: the suite runs on 2 cores with 2 xdist workers,
# and oversubscribed BLAS made small QRs 100x slower.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import matplotlib  # noqa: E402 - after the BLAS thread settings above
import numpy as np  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"
SHARED = Path(os.environ.get("GREENSURVEY_SHARED", ROOT.parent / "shared"))
REAL_EXPORTS = SHARED / "real-exports"


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator per test (no global random state)."""
    return np.random.default_rng(20221201)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
