"""Shared fixtures: a seeded RNG, paths, a headless matplotlib backend, a hands-off checkout.

The suite never writes into the checkout's ``reports/`` or ``surveys/``: the
demo report is built in the run's temporary folder (:func:`run_dir`), the
IP-hash salt comes from the environment instead of ``surveys/<wave>/interim/.salt``,
and :func:`_checkout_untouched` fails the run if either folder changed.
"""

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
#: Folders of the checkout that hold the user's data and reports; tests must leave them as found.
UNTOUCHED = (ROOT / "reports", ROOT / "surveys")
_SNAPSHOT = pytest.StashKey[dict[str, tuple[int, int]]]()


def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder of this test run, shared by all pytest-xdist workers.

    Each xdist worker's base temp is ``<run's base temp>/popen-gwN``, so its
    parent is common to the run (and new for every run); without xdist the
    base temp itself is.
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _snapshot() -> dict[str, tuple[int, int]]:
    """Every file and folder under :data:`UNTOUCHED`: path -> (size, mtime_ns); folders (-1, 0)."""
    out: dict[str, tuple[int, int]] = {}
    for top in UNTOUCHED:
        for p in [top, *top.rglob("*")] if top.exists() else []:
            st = p.lstat()
            out[str(p.relative_to(ROOT))] = (-1, 0) if p.is_dir() else (st.st_size, st.st_mtime_ns)
    return out


def pytest_configure(config: pytest.Config) -> None:
    # Before collection, so a test module that writes at import is caught too.
    config.stash[_SNAPSHOT] = _snapshot()


@pytest.fixture(scope="session", autouse=True)
def _checkout_untouched(request: pytest.FixtureRequest):
    """Fail the run if any test wrote, changed or removed a file under reports/ or surveys/.

    Also pins the environment that decides where outputs go: a fixed IP-hash
    salt (else reading the demo wave persists one in its ``interim/``) and no
    ``GREENSURVEY_REPORTS`` (else default report folders point at the user's).
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GREENSURVEY_SALT", "greensurvey-test-suite")
        mp.delenv("GREENSURVEY_REPORTS", raising=False)
        yield
    before, after = request.config.stash[_SNAPSHOT], _snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        pytest.fail(f"the test suite changed {len(changed)} path(s) in the checkout's "
                    f"reports/ or surveys/ (tests must write to tmp_path): {changed[:10]}",
                    pytrace=False)


@pytest.fixture
def rng() -> np.random.Generator:
    """A freshly seeded generator per test (no global random state)."""
    return np.random.default_rng(20221201)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
