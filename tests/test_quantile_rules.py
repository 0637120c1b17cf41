"""Every R ``svyquantile`` rule and interval type against R survey (r_extensions.json).

Cases ``quantile_*`` of tests/reference/ref_extensions.R: qrule hf1-hf9 and
shahvaish, interval_type mean/beta/xlogit/asin/score on stratified, cluster and
SRS designs of R's api data.  Estimates, SEs and CIs agree to rtol 1e-8.

Two places where R survey 4.1.1 is wrong keep R's number beside the corrected
one, with the evidence:

- ``qrule="shahvaish"``: R's ``qrule_shahvaish`` subtracts the raw weight
  (``- w/2``) where Shah & Vaish subtract the normalised weight, so R's
  quantiles change when every weight is doubled.  R's own numbers with the
  weights normalised to mean 1 are the corrected reference.
- ``interval_type="score"``: R's ``ffullerCI`` maps each end through the
  quantile rule at the unweighted share of values below it; the reference
  repeats R's steps with the weighted share.  With equal weights they agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from extension_reference import build, cases, check_rows
from extension_reference import vec as _vec

from analysis.estimate import intervals
from analysis.survey import SurveyDesign

CASES = cases("quantile_")


def _r_label(lab: str) -> str:
    parts = lab.split("|")
    parts[-1] = repr(float(parts[-1]))
    return "|".join(parts)


def run(case: dict[str, Any]) -> pd.DataFrame:
    kw = {k: v for k, v in case["call"].items() if k != "fn"}
    return build(case["design"]).quantile(**kw).summary_frame(level=0.95)


def _check(frame: pd.DataFrame, rows: dict[str, Any], case_id: str) -> None:
    check_rows(frame, rows, case_id, relabel=_r_label)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_quantiles_match_r(case_id: str) -> None:
    case = CASES[case_id]
    _check(run(case), case, case_id)


SHAHVAISH = sorted(k for k in CASES if k.endswith("_shahvaish"))


@pytest.mark.parametrize("case_id", SHAHVAISH)
def test_shahvaish_r_depends_on_the_weights_scale(case_id: str) -> None:
    """R's shahvaish numbers move when every weight is doubled; ours do not."""
    case = CASES[case_id]
    r_raw, r_x2 = _vec(case["r_wrong"]["estimate"]), _vec(case["r_wrong_weights_doubled"]["estimate"])
    assert not np.allclose(r_raw, r_x2)
    # R's raw-weight numbers are R's formula with w (not w/mean(w)) in "- w/2"
    d = build(case["design"])
    x, w = d.data["api00"].to_numpy(float), d.weights
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    pk = (np.cumsum(ws / ws.mean()) + 0.5 - ws / 2) / (len(xs) + 1)
    probs = np.array(case["call"]["q"], dtype=float)
    np.testing.assert_allclose(intervals.approx_constant(pk, xs, probs), r_raw, rtol=1e-12)
    # ours: the same with the weights doubled
    doubled = SurveyDesign(d.data.assign(w2=2 * w), weights="w2", strata=d.strata_columns or None,
                           psu=d.psu_columns or None, fpc=d.fpc_columns or None)
    np.testing.assert_allclose(doubled.quantile("api00", list(probs), qrule="shahvaish").estimate,
                               _vec(case["estimate"]), rtol=1e-12)


# compared for the interpolating rule: with "math" an exact hit of a share on a
# cumulative weight decides between neighbours, and k/n, k*w/(n*w) may part by a rounding
SCORE = sorted(k for k in CASES if "_score_hf6" in k)


@pytest.mark.parametrize("case_id", SCORE)
def test_score_interval_r_uses_unweighted_shares(case_id: str) -> None:
    """R's ffullerCI agrees with the corrected interval exactly when weights are equal."""
    case = CASES[case_id]
    r_lo, fix_lo = _vec(case["r_wrong"]["ci_low"]), _vec(case["ci_low"])
    r_hi, fix_hi = _vec(case["r_wrong"]["ci_high"]), _vec(case["ci_high"])
    same = np.allclose(r_lo, fix_lo, rtol=1e-10) and np.allclose(r_hi, fix_hi, rtol=1e-10)
    assert same == case["equal_weights"]


def test_every_rule_and_interval_type_is_covered() -> None:
    from analysis.estimate.quantiles import QUANTILE_INTERVALS, QUANTILE_RULES

    calls = [c["call"] for c in CASES.values()]
    old = {"math", "school", "hf7"}  # covered in r_estimators.json
    assert set(QUANTILE_RULES) - old <= {c.get("qrule", "math") for c in calls}
    assert set(QUANTILE_INTERVALS) <= {c.get("interval_type", "mean") for c in calls}


def test_interval_type_is_checked() -> None:
    d = build(CASES[sorted(CASES)[0]]["design"])
    with pytest.raises(Exception, match="interval_type"):
        d.quantile("api00", 0.5, interval_type="wilson")
