"""``calibrate(population, formula=...)`` with R's formula interface (r_extensions.json, ``calibrate_*``).

Interactions of factors, factor-by-numeric interactions and R's ``factor(x)``
on a numeric column, totals keyed by R's ``model.matrix`` names (from
``colSums(model.matrix(formula, apipop))``), linear and raking calibration:
weights, a mean and a total with SEs agree with R's ``calibrate`` to rtol 1e-8
(R iterated to epsilon 1e-12 for raking).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from extension_reference import build, cases, check_rows, vec

from analysis.errors import TargetsError

CASES = cases("calibrate_")


def _calibrate(case):
    call = case["call"]
    return build(case["design"]).calibrate(call["population"], formula=call["formula"],
                                           method=call["method"], tol=1e-12, max_iter=200)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_formula_calibration_matches_r(case_id: str) -> None:
    case = CASES[case_id]
    c = _calibrate(case)
    np.testing.assert_allclose(c.weights, vec(case["weights"]), rtol=1e-8)
    frame = pd.concat([c.mean("api00").summary_frame(), c.total("enroll").summary_frame()])
    check_rows(frame[["estimate", "se", "ci_low", "ci_high"]], case, case_id)


def test_interaction_totals_in_either_order() -> None:
    case = CASES["calibrate_clus1_interaction"]
    pop = dict(case["call"]["population"])
    swapped = {(":".join(reversed(k.split(":"))) if k.endswith("api99") else k): v
               for k, v in pop.items()}
    assert swapped != pop
    a = build(case["design"]).calibrate(pop, formula=case["call"]["formula"])
    b = build(case["design"]).calibrate(swapped, formula=case["call"]["formula"])
    np.testing.assert_array_equal(a.weights, b.weights)


def test_missing_total_names_the_column() -> None:
    case = CASES["calibrate_clus1_interaction"]
    pop = {k: v for k, v in case["call"]["population"].items() if k != "stypeH:sch.wideYes"}
    with pytest.raises(TargetsError, match="stypeH:sch.wideYes"):
        build(case["design"]).calibrate(pop, formula=case["call"]["formula"])
