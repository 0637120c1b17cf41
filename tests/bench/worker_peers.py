"""Time one task with a Python peer (svy, samplics, balance, weightipy).

Runs in the separate benchmark venv (the peers pin their own dependency
versions), so it imports nothing from ``analysis``.  Prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings

import numpy as np
import pandas as pd

from tests.bench.data import SPELLINGS, make_data, margins, spell

# The model of the glm_C_<spelling> tasks: y ~ C(sex) + C(age) + C(urban) + x1.
FACTORS = ["sex", "age", "urban"]

warnings.filterwarnings("ignore")


def _glm_c(task: str) -> str | None:
    """The spelling of a glm_C_<spelling> task, else None."""
    return task[6:] if task.startswith("glm_C_") and task[6:] in SPELLINGS else None


def _svy(task: str, data: pd.DataFrame, m: dict) -> float | tuple[float, dict]:
    import polars as pl
    import svy

    spelling = _glm_c(task)
    if spelling is not None:
        frame = pl.from_pandas(spell(data, spelling))
        s = svy.Sample(frame, svy.Design(stratum="stratum", psu="psu", wgt="w"))
        t0 = time.perf_counter()
        g = s.glm.fit("y", x=[*(svy.Cat(c) for c in FACTORS), "x1"], family="binomial")
        seconds = time.perf_counter() - t0
        return seconds, {"coef": [float(c.est) for c in g.coefs]}
    frame = pl.from_pandas(data)
    if task == "rake":
        s = svy.Sample(frame, svy.Design(wgt="w"))
        controls = {k: {int(a): float(b) for a, b in v.items()} for k, v in m.items()}
        t0 = time.perf_counter()
        s.weighting.rake(controls=controls, tol=1e-6, max_iter=200)
        return time.perf_counter() - t0
    s = svy.Sample(frame, svy.Design(stratum="stratum", psu="psu", wgt="w"))
    t0 = time.perf_counter()
    if task == "prop":
        s.estimation.mean("y")
    elif task == "domains":
        s.estimation.mean("y", by="province")
    elif task == "glm":
        s.glm.fit("y", x=["x1", "x2", "sex", "urban"], family="binomial")
    return time.perf_counter() - t0


def _samplics(task: str, data: pd.DataFrame, m: dict) -> float | tuple[float, dict]:
    t0 = time.perf_counter()
    spelling = _glm_c(task)
    if spelling is not None:
        from samplics.regression import SurveyGLM
        from samplics.utils.types import ModelType

        data = spell(data, spelling)
        t0 = time.perf_counter()
        # samplics takes a numeric matrix: the treatment coding is the user's job, timed.
        dummies = pd.get_dummies(data[FACTORS].astype("category"), drop_first=True, dtype=float)
        x = np.column_stack([dummies.to_numpy(), data["x1"].to_numpy()])
        fit = SurveyGLM(model=ModelType.LOGISTIC)
        fit.estimate(y=data["y"].to_numpy(), x=x, samp_weight=data["w"].to_numpy(),
                     stratum=data["stratum"].to_numpy(), psu=data["psu"].to_numpy(),
                     add_intercept=True)
        seconds = time.perf_counter() - t0
        return seconds, {"coef": [float(v) for v in np.ravel(fit.beta["point_est"])]}
    if task == "rake":
        from samplics.weighting import SampleWeight

        t0 = time.perf_counter()
        SampleWeight().rake(samp_weight=data["w"].to_numpy(),
                            margins={k: data[k].to_numpy() for k in m},
                            control=m, tol=1e-6, max_iter=200)
    elif task in ("prop", "domains"):
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam

        t0 = time.perf_counter()
        TaylorEstimator(PopParam.mean).estimate(
            y=data["y"].to_numpy(), samp_weight=data["w"].to_numpy(),
            stratum=data["stratum"].to_numpy(), psu=data["psu"].to_numpy(),
            domain=data["province"].to_numpy() if task == "domains" else None,
            remove_nan=False)
    elif task == "glm":
        from samplics.regression import SurveyGLM
        from samplics.utils.types import ModelType

        t0 = time.perf_counter()
        SurveyGLM(model=ModelType.LOGISTIC).estimate(
            y=data["y"].to_numpy(), x=data[["x1", "x2", "sex", "urban"]].to_numpy(),
            samp_weight=data["w"].to_numpy(), stratum=data["stratum"].to_numpy(),
            psu=data["psu"].to_numpy(), add_intercept=True)
    return time.perf_counter() - t0


def _balance(task: str, data: pd.DataFrame, m: dict) -> float:
    if task != "rake":
        raise NotImplementedError("balance has no design-based SEs")
    from balance.weighting_methods.rake import prepare_marginal_dist_for_raking, rake

    shares = {k: {str(a): b / sum(v.values()) for a, b in v.items()} for k, v in m.items()}
    sample = data[list(m)].astype(str)
    t0 = time.perf_counter()
    target = prepare_marginal_dist_for_raking(shares)
    rake(sample, data["w"], target, pd.Series(np.ones(len(target))), variables=list(m),
         transformations=None, na_action="drop", max_iteration=200, convergence_rate=1e-6)
    return time.perf_counter() - t0


def _weightipy(task: str, data: pd.DataFrame, m: dict) -> float:
    if task != "rake":
        raise NotImplementedError("weightipy has no standard errors")
    import weightipy as wp

    scheme = wp.scheme_from_dict(
        {k: {a: b / sum(v.values()) * 100 for a, b in v.items()} for k, v in m.items()})
    t0 = time.perf_counter()
    wp.weight_dataframe(data, scheme, weight_column="rk_w")
    return time.perf_counter() - t0


TOOLS = {"svy": _svy, "samplics": _samplics, "balance": _balance, "weightipy": _weightipy}


def main(tool: str, task: str, n: int) -> None:
    data = make_data(n)
    m = margins(data)
    out = TOOLS[tool](task, data, m)
    seconds, extra = out if isinstance(out, tuple) else (out, {})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": tool, "task": task, "n": n, "seconds": seconds, "peak_mb": peak,
                      **extra}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
