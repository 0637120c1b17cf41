"""SurveyDesign estimators against R survey (tests/reference/r_estimators.json).

Every case in the JSON names a design (SurveyDesign arguments), a call and R's
rows.  Estimates, SEs, CIs and design effects must agree to rtol 1e-8 (1e-6
for R's iterative fits: svyciprop "logit"/"likelihood" via svyglm).
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.survey import SurveyDesign

REFERENCE = Path(__file__).resolve().parent / "reference"

REF = json.loads((REFERENCE / "r_estimators.json").read_text())
CASES = {c["id"]: c for c in REF["results"]}
DATA = REFERENCE / "data"


@cache
def _raw(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


def _derive(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Derived columns, computed exactly as in ref_estimators.R."""
    df = df.copy()
    if name == "api":
        df["sw"] = (df["sch.wide"] == "Yes").astype(float)
        df["nh"] = df.groupby("stype")["stype"].transform("size").astype(float)
        df["fpc_frac"] = df["nh"] / df["fpc"] if "fpc" in df else np.nan
    elif name == "mr":
        na = np.arange(len(df)) % 7 == 0
        for col, value in (("b_a", df["api00"] > 650), ("b_b", df["api99"] > 650),
                           ("b_c", df["meals"] > 50)):
            s = pd.array(value.to_numpy(), dtype="boolean")
            s[na] = pd.NA
            df[col] = s
    elif name == "drop86":
        df = df[df["SDMVSTRA"] != 86].reset_index(drop=True)
    return df


def _scalar(v: Any) -> Any:
    return v[0] if isinstance(v, list) and len(v) == 1 else v


def build_design(spec: dict[str, Any]) -> SurveyDesign:
    data = _raw(spec["data"])
    for name in spec["derive"] or []:
        data = _derive(data, name)
    rep = spec.get("replicates") or None
    if rep and rep.get("file"):
        boot = _raw(rep["file"])
        cols = [c for c in boot.columns if c != "cds"]
        data = pd.concat([data, boot[cols]], axis=1)
        return SurveyDesign.from_replicates(data, weights=spec["weights"], repweights=cols,
                                            type=rep["type"], scale=rep.get("scale"),
                                            mse=bool(rep.get("mse", False)))
    d = SurveyDesign(data, weights=_scalar(spec["weights"]), strata=_scalar(spec["strata"]),
                     psu=spec["psu"], fpc=spec["fpc"], nest=bool(_scalar(spec["nest"])),
                     lonely_psu=_scalar(spec["lonely_psu"]))
    if spec.get("subset"):
        sub = spec["subset"]
        d = d.subset(data[sub["column"]] == sub["equals"])
    if rep:
        d = d.to_replicates(rep["type"], fay_rho=float(rep.get("fay_rho", 0.0)))
    return d


@cache
def design_for(case_id: str) -> SurveyDesign:
    import warnings

    from analysis.errors import SurveyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurveyWarning)
        return build_design(CASES[case_id]["design"])


def run_call(d: SurveyDesign, call: dict[str, Any]) -> Any:
    kw = {k: v for k, v in call.items() if k not in ("fn", "mr")}
    for key in ("var", "by", "q", "numerator", "denominator"):
        if key in kw and isinstance(kw[key], list) and len(kw[key]) == 1 and key != "var":
            kw[key] = kw[key][0]
    if "groups" in kw:
        kw["groups"] = tuple(kw["groups"])
    return getattr(d, call["fn"])(**kw)


def label(x: Any) -> str:
    if isinstance(x, tuple):
        return "|".join(label(v) for v in x)
    if isinstance(x, float) and x.is_integer() and not math.isnan(x):
        return repr(x) if x < 1 else str(int(x))
    return str(x)


def _vec(v: Any) -> np.ndarray:
    v = v if isinstance(v, list) else [v]
    return np.array([np.nan if x is None else x for x in v], dtype=float)


ESTIMATE_CASES = sorted(k for k, c in CASES.items() if "label" in c)


def _rtol(case: dict[str, Any]) -> float:
    return 1e-6 if case["call"].get("method") in ("logit", "likelihood") else 1e-8


@pytest.mark.parametrize("case_id", ESTIMATE_CASES)
def test_estimates_match_r(case_id: str) -> None:
    case = CASES[case_id]
    res = run_call(design_for(case_id), case["call"])
    frame = res.summary_frame(level=case["call"].get("conf_level", 0.95))
    got = {label(i): row for i, row in frame.iterrows()}
    labels = case["label"] if isinstance(case["label"], list) else [case["label"]]
    assert sorted(got) == sorted(labels), f"{case_id}: rows {sorted(got)} != R {sorted(labels)}"
    order = [got[lab] for lab in labels]
    rtol = _rtol(case)
    for col_py, col_r in (("estimate", "estimate"), ("se", "se"), ("ci_low", "ci_low"),
                          ("ci_high", "ci_high")):
        np.testing.assert_allclose([r[col_py] for r in order], _vec(case[col_r]), rtol=rtol,
                                   atol=1e-12, equal_nan=True, err_msg=f"{case_id}: {col_py}")
    if "deff" in case:
        np.testing.assert_allclose([r["deff"] for r in order], _vec(case["deff"]), rtol=1e-8,
                                   equal_nan=True, err_msg=f"{case_id}: deff")
    if "degf" in case and not case["call"].get("by"):
        assert design_for(case_id).degf() == case["degf"]
    if "vcov" in case:
        np.testing.assert_allclose(res.vcov.to_numpy().ravel(order="F"), _vec(case["vcov"]),
                                   rtol=1e-8)


REPLICATE_CASES = sorted(k for k, c in CASES.items() if "repweight_colsums" in c)


@pytest.mark.parametrize("case_id", REPLICATE_CASES)
def test_replicate_weights_match_r(case_id: str) -> None:
    case = CASES[case_id]
    d = design_for(case_id)
    rw = d.repweights
    assert rw.shape[1] == case["n_replicates"]
    assert d.scale == pytest.approx(case["scale"], rel=1e-12)
    if "rscales" in case:
        np.testing.assert_allclose(d.rscales, _vec(case["rscales"]), rtol=1e-12)
    np.testing.assert_allclose(rw.sum(axis=0), _vec(case["repweight_colsums"]), rtol=1e-12)
    if "repweight_colsumsq" in case:
        np.testing.assert_allclose((rw**2).sum(axis=0), _vec(case["repweight_colsumsq"]),
                                   rtol=1e-12)
        np.testing.assert_allclose(rw[:, 0], _vec(case["repweight_first"]), rtol=1e-12)
        np.testing.assert_allclose(rw[:, -1], _vec(case["repweight_last"]), rtol=1e-12)
    if "degf" in case:
        assert d.degf() == case["degf"]


@pytest.mark.parametrize("case_id", ["mr_test", "mr_compare"])
def test_multiple_response_tests_match_svyttest(case_id: str) -> None:
    case = CASES[case_id]
    res = run_call(design_for(case_id), case["call"])
    if isinstance(res, pd.DataFrame):
        assert len(res) == 1
        row = res.iloc[0]
        got = (row["estimate"], row["se"], row["statistic"], row["df"], row["p_value"])
    else:
        got = (res.estimate, res.se, res.statistic, res.df, res.p_value)
    want = tuple(_scalar(case[k]) for k in ("estimate", "se", "t", "df", "p_value"))
    np.testing.assert_allclose(got, want, rtol=1e-8)


def test_reference_provenance() -> None:
    prov = REF["provenance"]
    assert prov["survey"].startswith("4.")
    assert len(CASES) > 150
