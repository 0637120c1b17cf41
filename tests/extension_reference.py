"""Shared reading of tests/reference/r_extensions.json (written by ref_extensions.R).

Each case names a design (SurveyDesign arguments, as ref_estimators.R), a call
(the Python method and its arguments) and R's rows.  Used by
test_quantile_rules.py, test_svyvar.py, test_design_pps.py, ...
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import SurveyWarning
from analysis.survey import SurveyDesign

REFERENCE = Path(__file__).resolve().parent / "reference"
REF = json.loads((REFERENCE / "r_extensions.json").read_text())


def cases(prefix: str) -> dict[str, dict[str, Any]]:
    """Cases whose id starts with ``prefix``, by id."""
    return {c["id"]: c for c in REF["results"] if c["id"].startswith(prefix)}


def one(v: Any) -> Any:
    """JSON's one-element list as its element (R's length-1 vectors)."""
    return v[0] if isinstance(v, list) and len(v) == 1 else v


def vec(v: Any) -> np.ndarray:
    """A JSON number or list (null: NaN) as a float array."""
    v = v if isinstance(v, list) else [v]
    return np.array([np.nan if x is None else x for x in v], dtype=float)


def data_for(spec: dict[str, Any]) -> pd.DataFrame:
    """The case's data set with the derived columns of ref_extensions.R."""
    data = pd.read_csv(REFERENCE / "data" / f"{one(spec['data'])}.csv")
    if "sch.wide" in data:
        data["sw"] = (data["sch.wide"] == "Yes").astype(float)
    if "stype" in data and "fpc" in data:
        data["fpc_frac"] = data.groupby("stype")["stype"].transform("size") / data["fpc"]
    if "stype" in data:  # R's as.integer(stype): codes of the sorted levels E, H, M
        data["stype_code"] = data["stype"].map({"E": 1, "H": 2, "M": 3})
    if spec.get("missing_every"):
        k = int(one(spec["missing_every"]))
        data["enroll_na"] = data["enroll"].where((np.arange(len(data)) + 1) % k != 0)
    return data


def build(spec: dict[str, Any]) -> SurveyDesign:
    """The case's design."""
    data = data_for(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurveyWarning)
        pps: Any = one(spec.get("pps"))
        if pps == "ppsmat":  # R's ppsmat(election_jointprob), exported beside the data
            pps = pd.read_csv(REFERENCE / "data" / "election_jointprob.csv").to_numpy()
        elif pps == "HR" and spec.get("psum") is not None:
            pps = ("HR", float(one(spec["psum"])))
        d = SurveyDesign(data, weights=one(spec["weights"]), strata=one(spec["strata"]),
                         psu=spec["psu"], fpc=spec["fpc"], pps=pps,
                         variance=one(spec.get("variance")) or "HT")
        rep = spec.get("replicates")
        if rep:
            d = d.to_replicates(one(rep["type"]))
    return d


def label(x: Any) -> str:
    """A result index entry as R's row label ("a|b" for tuples)."""
    if isinstance(x, tuple):
        return "|".join(label(v) for v in x)
    return repr(float(x)) if isinstance(x, float) else str(x)


def check_rows(frame: pd.DataFrame, rows: dict[str, Any], case_id: str, rtol: float = 1e-8,
               relabel: Any = None) -> None:
    """Compare estimate, se, ci_low, ci_high of ``frame`` with R's rows, by label."""
    labels = rows["label"] if isinstance(rows["label"], list) else [rows["label"]]
    if relabel is not None:
        labels = [relabel(lab) for lab in labels]
    frame = frame.copy()
    frame.index = [label(i) for i in frame.index]
    assert sorted(frame.index) == sorted(labels), case_id
    got = frame.loc[labels]
    for col in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(got[col].to_numpy(), vec(rows[col]), rtol=rtol, atol=1e-12,
                                   equal_nan=True, err_msg=f"{case_id}: {col}")
