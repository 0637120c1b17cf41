"""``calibrate`` with R's formula interface (r_extensions.json, ``calibrate_*``): ``d.calibrate("~ x", population)`` as R orders it, or ``d.calibrate(population, formula="~ x")``.

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


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_r_argument_order_gives_r_weights(case_id: str) -> None:
    # calibrate(design, formula, population) as an R script writes it, positional
    # and by name, gives the same weights as R.
    case = CASES[case_id]
    call = case["call"]
    opts = {"method": call["method"], "tol": 1e-12, "max_iter": 200}
    d = build(case["design"])
    positional = d.calibrate(call["formula"], call["population"], **opts)
    named = d.calibrate(call["formula"], population=call["population"], **opts)
    keywords = d.calibrate(formula=call["formula"], population=call["population"], **opts)
    np.testing.assert_allclose(positional.weights, vec(case["weights"]), rtol=1e-8)
    np.testing.assert_array_equal(positional.weights, named.weights)
    np.testing.assert_array_equal(positional.weights, keywords.weights)


def test_formula_or_population_given_twice_is_refused() -> None:
    case = CASES["calibrate_clus1_interaction"]
    call = case["call"]
    d = build(case["design"])
    with pytest.raises(TargetsError, match="two formulas"):
        d.calibrate(call["formula"], call["population"], formula=call["formula"])
    with pytest.raises(TargetsError, match="population twice"):
        d.calibrate(call["population"], population=call["population"], formula=call["formula"])
    with pytest.raises(TargetsError, match="needs population totals"):
        d.calibrate(call["formula"])


def test_plain_calibrate_takes_r_argument_order() -> None:
    # The DataFrame function accepts the same two spellings as the design verb.
    from analysis import calibrate
    case = CASES["calibrate_clus1_interaction"]
    call = case["call"]
    d = build(case["design"])
    a = calibrate(d.data, call["formula"], call["population"], weights=d.weights)
    b = calibrate(d.data, call["population"], weights=d.weights, formula=call["formula"])
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    np.testing.assert_allclose(a.to_numpy(), d.calibrate(call["formula"], call["population"]).weights,
                               rtol=1e-12)
