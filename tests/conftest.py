"""Shared fixtures: a seeded RNG, paths, and a headless matplotlib backend."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest

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
