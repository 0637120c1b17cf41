"""Time one task with greensurvey; prints one JSON line (seconds, peak RSS)."""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from analysis import SurveyDesign
from tests.bench.data import SPELLINGS, make_data, margins, spell

# The categorical-predictor model of the glm_C_<spelling> tasks.
GLM_C = "y ~ C(sex) + C(age) + C(urban) + x1"


def main(task: str, n: int) -> None:
    data = make_data(n)
    m = margins(data)
    t0 = time.perf_counter()
    extra: dict = {}
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
    elif task == "prop":
        d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
        t0 = time.perf_counter()
        d.mean("y").se  # noqa: B018
    elif task == "domains":
        d = SurveyDesign(data, weights="w", strata="stratum", psu="psu", nest=True)
        t0 = time.perf_counter()
        d.mean("y", by="province").se  # noqa: B018
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
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": "greensurvey", "task": task, "n": n, "seconds": seconds,
                      "peak_mb": peak, **extra}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
