"""docs/from-r.md names only methods, options and result attributes that exist."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from analysis import SurveyDesign
from analysis.pricing.regression_result import IntervalRegressionResult

TEXT = (Path(__file__).resolve().parents[1] / "docs" / "from-r.md").read_text(encoding="utf-8")
# Fenced blocks out, their code in: inline `code` pairs up only without the fences.
DOC = re.sub(r"```\w*\n(.*?)```", lambda m: "`" + m.group(1).replace("`", "") + "`", TEXT,
             flags=re.S)


def _calls(prefix: str) -> list[tuple[str, str]]:
    # `d.mean("y", by="g")` -> ("mean", '"y", by="g"'), inside back-ticked code only.
    out = []
    for code in re.findall(r"`([^`]+)`", DOC):
        out += re.findall(rf"\b{prefix}\.([a-z_]+)\(([^)]*)\)", code)
    return out


def test_every_design_method_named_exists_with_its_options() -> None:
    calls = _calls("d")
    assert len(calls) > 25
    for name, args in calls:
        assert hasattr(SurveyDesign, name), name
        params = inspect.signature(getattr(SurveyDesign, name)).parameters
        if any(p.kind is p.VAR_KEYWORD for p in params.values()):
            continue  # update(**columns): any name is a column
        for option in re.findall(r"\b([a-z_]+)=", args):
            assert option in params, f"d.{name}({option}=)"


def test_constructor_and_result_options_exist() -> None:
    params = inspect.signature(SurveyDesign.__init__).parameters
    for code in re.findall(r"`(SurveyDesign\([^`]*)`", DOC):
        for option in re.findall(r"\b([a-z_]+)=", code):
            assert option in params, option
    wtp = inspect.signature(IntervalRegressionResult.wtp).parameters
    for _, args in _calls("fit"):
        for option in re.findall(r"\b([a-z_]+)=", args):
            assert option in wtp or option == "parameterization", option
