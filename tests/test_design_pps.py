"""PPS designs (``SurveyDesign(..., fpc=<inclusion probabilities>, pps=...)``) against R.

R survey 4.1.1's own ``election_pps`` sample (40 counties drawn with
probability proportional to votes, ``election_jointprob`` its joint inclusion
probabilities) and ``apistrat`` (cases ``pps_*`` of r_extensions.json):
Brewer's approximation, the exact Horvitz-Thompson variance with the joint
matrix and its Yates-Grundy form, Hartley-Rao with the population ``sum(p^2)``
and with R's ``HR()`` default, in both forms, and sampling with replacement
(weights ``1/p``, no fpc), and GREG-calibrated PPS designs.  Totals, means, ratios and domain totals: estimates,
SEs and CIs agree to rtol 1e-8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from extension_reference import REFERENCE, build, cases, check_rows, vec

from analysis.errors import DesignError
from analysis.survey import SurveyDesign

CASES = cases("pps_")


def _run(case):
    call = dict(case["call"])
    fn = call.pop("fn")
    cal = call.pop("calibrate", None)
    d = build(case["design"])
    if cal:  # GREG on a PPS design: residuals first, then the PPS variance (R's ppsvar)
        d = d.calibrate(cal["population"], formula=cal["formula"])
    for key in ("numerator", "denominator", "by"):
        if isinstance(call.get(key), list) and len(call[key]) == 1:
            call[key] = call[key][0]
    return getattr(d, fn)(**call)


def _q_label(lab: str) -> str:
    return repr(float(lab))


def _relabel(lab: str) -> str:
    return lab.replace(".0", "") if lab.endswith(".0") else lab


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_pps_matches_r(case_id: str) -> None:
    case = CASES[case_id]
    frame = _run(case).summary_frame(level=0.95)
    frame.index = [_relabel(str(i)) for i in frame.index]
    check_rows(frame, case, case_id, relabel=_q_label if "q" in case["call"] else None)
    if "deff" in case:
        np.testing.assert_allclose(frame["deff"].to_numpy(), vec(case["deff"]), rtol=1e-8)


CALIBRATED_R_WRONG = sorted(k for k, c in CASES.items() if "r_wrong" in c)


@pytest.mark.parametrize("case_id", CALIBRATED_R_WRONG)
def test_r_ppsvar_ignores_the_calibration(case_id: str) -> None:
    case = CASES[case_id]
    r_se, unres = vec(case["r_wrong"]["se"]), vec(case["r_unresidualized_se"])
    np.testing.assert_allclose(r_se, unres, rtol=1e-10)  # R = no residuals
    assert (vec(case["se"]) < 0.9 * r_se).all()          # calibrating on votes helps


def _election() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "data" / "election_pps.csv")


def test_yates_grundy_differs_from_horvitz_thompson() -> None:
    ht = build(CASES["pps_ht_total"]["design"]).total("Bush").se.iloc[0]
    yg = build(CASES["pps_yg_total"]["design"]).total("Bush").se.iloc[0]
    assert ht != pytest.approx(yg, rel=1e-6)


def test_pps_needs_probabilities() -> None:
    data = _election()
    with pytest.raises(DesignError, match="inclusion probabilit"):
        SurveyDesign(data, fpc="votes", pps="brewer")
    with pytest.raises(DesignError, match="fpc"):
        SurveyDesign(data, pps="brewer")
    with pytest.raises(DesignError, match="joint inclusion"):
        SurveyDesign(data, fpc="p", pps=np.eye(3))
    with pytest.raises(DesignError, match="variance"):
        SurveyDesign(data, fpc="p", pps="HR", variance="XX")


def test_pps_weights_default_to_inverse_probabilities() -> None:
    data = _election()
    d = SurveyDesign(data, fpc="p", pps="brewer")
    np.testing.assert_allclose(d.weights, 1 / data["p"].to_numpy(), rtol=1e-15)


def test_pps_design_is_not_converted_to_replicates() -> None:
    """Replicates would silently drop the PPS variance, so the conversion is refused."""
    d = SurveyDesign(_election(), fpc="p", pps="brewer")
    assert d.is_pps
    with pytest.raises(DesignError, match="PPS"):
        d.to_replicates("JK1")
