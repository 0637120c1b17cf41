"""Bad input to SurveyDesign and its estimators: typed errors naming the culprit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DesignError, LonelyPSUError, SurveyError, WeightError
from analysis.survey import SurveyDesign


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "w": [1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0],
        "s": ["a", "a", "a", "a", "b", "b", "b", "b"],
        "p": [1, 1, 2, 2, 3, 3, 4, 4],
        "g": ["u", "v", "u", "v", "u", "v", "u", "v"],
    })


def test_lonely_psu_fail_names_the_stratum(frame: pd.DataFrame) -> None:
    df = frame.assign(s=["a", "a", "a", "a", "b", "b", "lonely", "lonely"],
                      p=[1, 1, 2, 2, 3, 5, 4, 4])
    with pytest.raises(LonelyPSUError, match="'lonely'") as err:
        SurveyDesign(df, weights="w", strata="s", psu="p")
    assert err.value.stratum == "lonely"
    assert "lonely_psu='adjust'" in str(err.value)


@pytest.mark.parametrize(("bad", "what"), [(np.nan, "missing"), (-1.0, "negative"),
                                           (0.0, "zero")])
def test_bad_weights_list_rows(frame: pd.DataFrame, bad: float, what: str) -> None:
    df = frame.copy()
    df.loc[[2, 5], "w"] = bad
    with pytest.raises(WeightError, match=what) as err:
        SurveyDesign(df, weights="w")
    assert err.value.row == "2, 5"
    assert err.value.column == "w"


def test_missing_strata_psu_and_fpc_values(frame: pd.DataFrame) -> None:
    df = frame.assign(s=frame["s"].where(frame.index != 3))
    with pytest.raises(DesignError, match="missing") as err:
        SurveyDesign(df, strata="s")
    assert err.value.column == "s"
    assert err.value.row == "3"
    with pytest.raises(DesignError, match="missing"):
        SurveyDesign(frame.assign(p=frame["p"].where(frame.index != 0)), psu="p")
    with pytest.raises(DesignError, match="fpc"):
        SurveyDesign(frame.assign(N=[np.nan] + [10.0] * 7), fpc="N")


def test_unknown_columns_are_named(frame: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="'nope'") as err:
        SurveyDesign(frame, weights="w", strata="nope")
    assert err.value.column == "nope"
    d = SurveyDesign(frame, weights="w")
    with pytest.raises(DesignError, match="`by`") as err:
        d.mean("y", by="region")
    assert err.value.column == "region"
    with pytest.raises(DesignError, match="`var`"):
        d.mean("income")


def test_psu_not_nested_suggests_nest(frame: pd.DataFrame) -> None:
    df = frame.assign(p=[1, 1, 2, 2, 1, 1, 2, 2])
    with pytest.raises(DesignError, match="nested") as err:
        SurveyDesign(df, strata="s", psu="p")
    assert "nest=True" in str(err.value)
    d = SurveyDesign(df, strata="s", psu="p", nest=True)
    assert d.structure.first.n_clusters == 4


def test_fpc_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(DesignError, match="mixes"):
        SurveyDesign(frame.assign(N=[10.0] * 4 + [0.5] * 4), strata="s", fpc="N")
    with pytest.raises(DesignError, match="100%"):
        SurveyDesign(frame.assign(N=2.0), strata="s", fpc="N")
    with pytest.raises(DesignError, match="varies within a stratum") as err:
        SurveyDesign(frame.assign(N=[10.0, 11.0] + [10.0] * 6), strata="s", fpc="N")
    assert err.value.stratum == "a"


def test_argument_checks(frame: pd.DataFrame) -> None:
    with pytest.raises(SurveyError, match="`lonely_psu` must be one of"):
        SurveyDesign(frame, lonely_psu="drop")
    with pytest.raises(TypeError, match="DataFrame"):
        SurveyDesign(frame.to_dict())  # type: ignore[arg-type]
    with pytest.raises(DesignError, match="one primary sampling unit"):
        SurveyDesign(frame.assign(p=1), psu="p")
    d = SurveyDesign(frame, weights="w")
    with pytest.raises(SurveyError, match="`deff` must be one of"):
        d.mean("y", deff="yes")
    with pytest.raises(SurveyError, match="`method` must be one of"):
        d.proportion("y", method="exact")
    with pytest.raises(DesignError, match="not binary"):
        d.proportion("y")
    with pytest.raises(DesignError, match="level 'w'"):
        d.proportion("g", level="w")
    with pytest.raises(DesignError, match="probabilities"):
        d.quantile("y", 1.5)
    with pytest.raises(TypeError, match="categorical"):
        d.ratio("g", "y")
    with pytest.raises(WeightError, match="length"):
        d.with_weights(np.ones(3))
    with pytest.raises(DesignError, match="entries"):
        d.subset([True, False])


def test_replicate_errors(frame: pd.DataFrame) -> None:
    strat = SurveyDesign(frame, strata="s", psu="p")
    with pytest.raises(DesignError, match="JK1 needs an unstratified"):
        strat.to_replicates("JK1")
    with pytest.raises(DesignError, match="needs a stratified"):
        SurveyDesign(frame, psu="p").to_replicates("JKn")
    three = SurveyDesign(frame.assign(p=[1, 1, 2, 3, 4, 4, 5, 5]), strata="s", psu="p")
    with pytest.raises(DesignError, match="exactly 2 PSUs") as err:
        three.to_replicates("BRR")
    assert err.value.stratum == "a"
    rep = frame.assign(r1=1.0, r2=[np.nan] + [1.0] * 7)
    with pytest.raises(WeightError, match="replicate weights") as werr:
        SurveyDesign.from_replicates(rep, weights="w", repweights=["r1", "r2"])
    assert werr.value.row == "0"
    ok = frame.assign(r1=1.0, r2=2.0)
    with pytest.raises(DesignError, match="rscales"):
        SurveyDesign.from_replicates(ok, repweights=["r1", "r2"], type="JKn")
    with pytest.raises(DesignError, match="rho"):
        SurveyDesign.from_replicates(ok, repweights="^r[0-9]$", type="Fay")
    with pytest.raises(DesignError, match="no column matches"):
        SurveyDesign.from_replicates(ok, repweights="^zz")
    d = SurveyDesign.from_replicates(ok, repweights="^r[0-9]$", type="JK1")
    assert d.is_replicate
    assert d.repweights.shape == (8, 2)
    assert d.scale == 0.5
    with pytest.raises(TypeError, match="replicate_vcov"):
        d.vcov_scores(np.ones(8))
    with pytest.raises(TypeError, match="already uses replicate"):
        d.to_replicates("JK1")
    with pytest.raises(AttributeError, match="replicate designs"):
        _ = strat.repweights


def test_multiple_response_errors(frame: pd.DataFrame) -> None:
    d = SurveyDesign(frame.assign(a=pd.array([True, False] * 4, dtype="boolean"),
                                  b=pd.array([False, True] * 4, dtype="boolean")))
    with pytest.raises(DesignError, match="not a select-all"):
        d.mr_test(["y", "w"], "y", "w")
    with pytest.raises(DesignError, match="not an option"):
        d.mr_test(["a", "b"], "a", "c")
    with pytest.raises(DesignError, match="group"):
        d.mr_compare(["a", "b"], by="g", groups=("u", "zz"))
