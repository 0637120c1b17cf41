"""``rake(..., control=)``: R ``rake()``'s stopping rule on request (r_extensions.json, ``rake_*``).

R stops raking after the first sweep that moves no weighted cell count by
``epsilon`` (default 1 count, at most ``maxit=10`` sweeps), before the margins
are met; greensurvey iterates to convergence unless ``control=`` asks for R's
rule.  With it, the weights, a mean and a total with their SEs agree with R to
rtol 1e-8, R's non-convergence warning is repeated, and otherwise a warning
says how far R's weights are from converged raking.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from extension_reference import build, cases, check_rows, vec

from analysis.errors import CalibrationError, ConvergenceWarning

CASES = cases("rake_")


def _rake(case, **over):
    d = build(case["design"])
    kw = {"margins": case["call"]["margins"], "control": case["call"]["control"], **over}
    return d.rake(**kw)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_r_stopping_rule_gives_r_numbers(case_id: str) -> None:
    case = CASES[case_id]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = _rake(case)
    np.testing.assert_allclose(r.weights, vec(case["weights"]), rtol=1e-8)
    frame = r.mean("api00").summary_frame().iloc[[0]]
    tot = r.total("enroll").summary_frame().iloc[[0]]
    check_rows(pd.concat([frame, tot]), case, case_id)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    if case["r_warning"]:  # R: "Raking did not converge after 2 iterations."
        assert any("did not converge after 2 iterations" in m for m in messages), messages
    else:
        assert any("R's stopping rule" in m and "omit control" in m for m in messages), messages


def test_default_iterates_to_convergence_and_differs_from_r() -> None:
    case = CASES["rake_strat_default"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        converged = build(case["design"]).rake(case["call"]["margins"])
    r_weights = vec(case["weights"])
    diff = np.max(np.abs(converged.weights / r_weights - 1))
    assert diff > 1e-4  # R's default stops early ...
    with pytest.warns(ConvergenceWarning, match=r"differ from raking to convergence by up to"):
        _rake(case)
    # ... and its margins are off where ours are met
    data = converged.data
    for col, targets in case["call"]["margins"].items():
        for level, target in targets.items():
            assert converged.weights[data[col] == level].sum() == pytest.approx(target, rel=1e-7)


def test_control_is_checked() -> None:
    case = CASES["rake_clus1_default"]
    with pytest.raises(CalibrationError, match="control"):
        _rake(case, control={"maxiter": 3})
    with pytest.raises(CalibrationError, match="cap"):
        _rake(case, cap=(0.5, 2.0))
