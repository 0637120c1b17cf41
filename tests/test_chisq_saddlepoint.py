"""``d.chisq(row, col, statistic="saddlepoint")`` against R's ``svychisq`` (``chisq_*`` cases).

The Pearson X^2 and its saddlepoint p-value (R's ``pFsum``: design effects
times chi2(1) over chi2(d0 * nu) / (d0 * nu)) on stratified, cluster, SRS and
jackknife designs of R's api data.  R solves the saddlepoint equation with
``uniroot(tol = 1e-8)`` and greensurvey to full precision: the p-values agree
to rtol 1e-6, the statistic to 1e-8.
"""

from __future__ import annotations

import numpy as np
import pytest
from extension_reference import build, cases, one

from analysis.estimate.tables import saddlepoint_pfsum

CASES = cases("chisq_")


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_saddlepoint_matches_r(case_id: str) -> None:
    case = CASES[case_id]
    call = case["call"]
    res = build(case["design"]).chisq(call["row"], call["col"], statistic="saddlepoint")
    assert res.test == "saddlepoint"
    np.testing.assert_allclose(res.statistic, one(case["statistic"]), rtol=1e-8)
    np.testing.assert_allclose(res.pvalue, one(case["p_value"]), rtol=1e-6)
    assert res.to_frame()["p_value"].iloc[0] == res.pvalue


def test_saddlepoint_is_near_the_chi_square_tail_for_plain_chi_squares() -> None:
    from scipy import stats

    # with unit design effects and huge ddf the sum is chi2(k): the saddlepoint is close
    for x in (3.0, 8.0, 15.0):
        np.testing.assert_allclose(saddlepoint_pfsum(x, np.ones(4), 1e6), stats.chi2.sf(x, 4),
                                   rtol=0.02)
