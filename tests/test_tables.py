"""crosstab and svychisq against R ``survey`` (tests/reference/r_models.json)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from test_glm import MODELS, SurveyDesign, build_design, load_data, load_reference

from analysis.errors import DesignError, SurveyError

pytestmark = pytest.mark.skipif(
    not MODELS.exists(), reason="tests/reference/r_models.json missing: run make reference"
)

CHISQ = load_reference()["chisq"] if MODELS.exists() else []
CROSSTAB = load_reference()["crosstab"] if MODELS.exists() else []


class _Designs(dict):
    def __missing__(self, name: str) -> SurveyDesign:
        self[name] = build_design(name)
        return self[name]


@pytest.fixture(scope="module")
def designs() -> _Designs:
    return _Designs()


@pytest.mark.parametrize(
    "case", CHISQ, ids=[f"{c['design']}-{c['row']}x{c['col']}-{c['statistic']}" for c in CHISQ]
)
def test_chisq_matches_r(designs, case):
    res = designs[case["design"]].chisq(case["row"], case["col"], statistic=case["statistic"])
    assert_allclose(res.statistic, case["value"], rtol=1e-8)
    assert_allclose(res.ndf, case["ndf"], rtol=1e-8)
    if case["ddf"] is None:
        assert res.ddf == np.inf
    else:
        assert_allclose(res.ddf, case["ddf"], rtol=1e-8)
    assert_allclose(res.pvalue, case["p"], rtol=1e-7, atol=1e-300)
    frame = res.to_frame()
    assert frame.loc[0, "test"] == case["statistic"]
    assert frame.loc[0, "p_value"] == res.pvalue


@pytest.mark.parametrize("case", CROSSTAB, ids=[c["design"] for c in CROSSTAB])
def test_crosstab_matches_r(designs, case):
    tab = designs[case["design"]].crosstab(case["row"], case["col"])
    # R's interaction() cells are "rowlevel.collevel", row level varying fastest.
    cells = [tuple(c.split(".", 1)) for c in case["cells"]]
    long = tab.cells().astype({case["row"]: str, case["col"]: str})
    long = long.set_index([case["row"], case["col"]]).loc[cells]
    for ours, theirs in [("count", "count"), ("count_se", "count_se"), ("prop", "prop"),
                         ("prop_se", "prop_se")]:
        assert_allclose(long[ours], case[theirs], rtol=1e-8)
    rows = [str(v) for v in tab.row_prop.index]
    cols = [str(v) for v in tab.col_prop.columns]
    assert rows == case["row_levels"]
    assert cols == case["col_levels"]
    assert_allclose(tab.row_prop.to_numpy(), case["row_prop"], rtol=1e-8)
    assert_allclose(tab.row_prop_se.to_numpy(), case["row_prop_se"], rtol=1e-8)
    assert_allclose(tab.col_prop.to_numpy().T, case["col_prop"], rtol=1e-8)
    assert_allclose(tab.col_prop_se.to_numpy().T, case["col_prop_se"], rtol=1e-8)


def test_crosstab_margins_are_consistent(designs):
    d = designs["strat"]
    tab = d.crosstab("sch.wide", "stype")
    assert_allclose(tab.counts.to_numpy().sum(), d.weights.sum(), rtol=1e-12)
    assert_allclose(tab.cell.to_numpy().sum(), 1.0, rtol=1e-12)
    assert_allclose(tab.row_prop.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(tab.col_prop.sum(axis=0), 1.0, rtol=1e-12)
    # stype is the stratum: its totals are fixed, so column proportions of
    # complementary cells share one SE.
    assert_allclose(tab.col_prop_se.iloc[0], tab.col_prop_se.iloc[1], rtol=1e-12)
    assert tab.test().statistic == d.chisq("sch.wide", "stype").statistic


def test_crosstab_skips_missing_and_zero_weight_rows(rng):
    n = 300
    data = pd.DataFrame({
        "a": rng.choice(["x", "y"], size=n), "b": rng.choice(["p", "q", "r"], size=n),
        "w": rng.uniform(1, 3, size=n),
    })
    data.loc[:9, "b"] = None
    inside = np.arange(n) >= 20
    tab = SurveyDesign(data, weights="w").subset(inside).crosstab("a", "b")
    keep = data.iloc[20:]
    expected = keep.groupby(["a", "b"])["w"].sum().unstack()
    assert_allclose(tab.counts.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_chisq_needs_two_levels(designs):
    data = load_data("apistrat").assign(one="k")
    d = SurveyDesign(data, weights="pw", strata="stype", fpc="fpc")
    with pytest.raises(DesignError, match="'one' has 1 observed level") as err:
        d.chisq("one", "stype")
    assert err.value.column == "one"


def test_chisq_rejects_unknown_statistic(designs):
    with pytest.raises(SurveyError, match="`statistic` must be one of"):
        designs["strat"].chisq("sch.wide", "stype", statistic="G2")


def test_chisq_missing_column(designs):
    with pytest.raises(DesignError, match="nope"):
        designs["strat"].chisq("nope", "stype")
