"""``d.var`` (R's ``svyvar``) against R survey 4.1.1 (r_extensions.json, cases ``var_*``).

Variances and covariance matrices with SEs on stratified, cluster and SRS
designs of R's api data, by group, and on jackknife replicate designs (R
re-centres with every replicate weight): estimates, SEs, CIs and the full
covariance of the estimates agree to rtol 1e-8.

Where R is wrong: ``svyvar(~y, d, na.rm=TRUE)`` on a Taylor design counts the
rows with ``y`` missing in the ``n`` of ``n/(n-1)``, so it differs from
``svyvar`` on the same design subset to the complete rows (for means both agree).
The test keeps R's number and checks the corrected one is R's subset answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from extension_reference import build, cases, check_rows, vec

CASES = cases("var_")


def _run(case):
    kw = {k: v for k, v in case["call"].items() if k != "fn"}
    return build(case["design"]).var(**kw)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_svyvar_matches_r(case_id: str) -> None:
    case = CASES[case_id]
    res = _run(case)
    check_rows(res.summary_frame(level=0.95), case, case_id)
    if "vcov" in case:  # R's attr(, "var"), column-major as our (row, column) order
        np.testing.assert_allclose(res.vcov.to_numpy().ravel(order="F"), vec(case["vcov"]),
                                   rtol=1e-8, atol=1e-10)


def test_na_rm_counts_the_rows_used() -> None:
    case = CASES["var_strat_na_rm"]
    r_est, fixed = vec(case["r_wrong"]["estimate"]), vec(case["estimate"])
    n, n_all = 200 - 20, 200  # every 10th enroll missing
    # R's number is the corrected one rescaled from n/(n-1) to n_all/(n_all-1)
    np.testing.assert_allclose(r_est, fixed * (n_all / (n_all - 1)) / (n / (n - 1)), rtol=1e-12)
    got = _run(case).estimate.to_numpy()
    np.testing.assert_allclose(got, fixed, rtol=1e-8)
    assert not np.allclose(got, r_est, rtol=1e-6)


def test_var_of_a_constant_shift_is_unchanged() -> None:
    d = build(CASES["var_strat"]["design"])
    a = d.var("api00")
    b = d.update(shifted=d.data["api00"] + 1e6).var("shifted")
    np.testing.assert_allclose(b.estimate.to_numpy(), a.estimate.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(b.se.to_numpy(), a.se.to_numpy(), rtol=1e-7)


def test_categorical_is_refused() -> None:
    d = build(CASES["var_strat"]["design"])
    with pytest.raises(Exception, match="stype|categor|numeric"):
        d.var("stype")
