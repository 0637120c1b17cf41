"""Time one task with greensurvey; prints one JSON line (seconds, peak RSS).

``seconds`` is the first call in this fresh process (cold: any first-call
setup inside the call counts; importing the package and building the data
and the design do not).  The ``prop`` and ``domains`` tasks also report
``warm_s``, the median of :data:`WARM_REPEATS` further calls on the same
design, and ``floor:prop`` / ``floor:domains`` time the numpy floor
(:mod:`tests.bench.floor`) the same way, on the same rows.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from analysis import SurveyDesign
from tests.bench.data import SPELLINGS, make_data, margins, spell
from tests.bench.floor import floor_domains, floor_prop

# The categorical-predictor model of the glm_C_<spelling> tasks.
GLM_C = "y ~ C(sex) + C(age) + C(urban) + x1"
# Calls timed after the first one for the warm figure of the small-survey tasks.
WARM_REPEATS = 20


def _cold_warm(call: Callable[[], object]) -> tuple[float, float]:
    """Seconds of the first call and the median of :data:`WARM_REPEATS` more."""
    t0 = time.perf_counter()
    call()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(WARM_REPEATS):
        t0 = time.perf_counter()
        call()
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm)


def _floor_call(data: pd.DataFrame, domains: bool) -> Callable[[], object]:
    """The numpy floor on integer-coded columns (their coding is not timed)."""
    y = data["y"].to_numpy(dtype=float)
    w = data["w"].to_numpy()
    psu = data["psu"].to_numpy()
    psu_stratum = np.arange(int(psu.max()) + 1) // 20  # 20 PSUs per stratum (data.py)
    group = data["province"].to_numpy()
    if domains:
        return lambda: floor_domains(y, w, group, 31, psu, psu_stratum)
    return lambda: floor_prop(y, w, psu, psu_stratum)


def main(task: str, n: int) -> None:
    data = make_data(n)
    m = margins(data)
    t0 = time.perf_counter()
    extra: dict = {}
    cold: float | None = None  # the first call's seconds, where the task times it itself
    if task == "rake":
        d = SurveyDesign(data, weights="w")
        r = d.rake(m, tol=1e-6, max_iter=200)
        cal = r.calibrations[-1]
        extra["iterations"] = getattr(getattr(cal, "info", None), "iterations", None)
    elif task == "bincount":
        # the yardstick for one raking iteration: a weighted bincount per margin
        w = data["w"].to_numpy()
        codes = [data[c].to_numpy() for c in ("sex", "age", "province", "urban")]
        t0 = time.perf_counter()
        for c in codes:
            np.bincount(c, weights=w)
    elif task in ("prop", "domains"):
        d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
        by = "province" if task == "domains" else None
        cold, extra["warm_s"] = _cold_warm(lambda: d.mean("y", by=by).se)
    elif task in ("floor:prop", "floor:domains"):
        cold, extra["warm_s"] = _cold_warm(_floor_call(data, task == "floor:domains"))
    elif task == "glm":
        d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
        t0 = time.perf_counter()
        d.glm("y ~ x1 + x2 + sex + urban", family="binomial").bse  # noqa: B018
    elif task.startswith("glm_C_") and task[6:] in SPELLINGS:
        data = spell(data, task[6:])
        d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
        t0 = time.perf_counter()
        fit = d.glm(GLM_C, family="binomial")
        fit.bse  # noqa: B018
        # Coefficients in the order every tool reports them, checked by run.py.
        extra["coef"] = [float(v) for v in fit.params]
    else:
        raise SystemExit(f"unknown task {task}")
    seconds = time.perf_counter() - t0 if cold is None else cold
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tool = "numpy floor" if task.startswith("floor:") else "greensurvey"
    print(json.dumps({"tool": tool, "task": task, "n": n, "seconds": seconds,
                      "peak_mb": peak, **extra}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
