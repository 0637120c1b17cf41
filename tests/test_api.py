"""One way to do each thing: every verb that takes a design is a method of it.

The naming rule (ARCHITECTURE.md): a method carries R ``survey``'s name
without the ``svy`` prefix (``mean``, ``glm``, ``olr``, ``chisq``) or the family
function's own name (``turnbull``, ``key_drivers``); it spells out its
implementation's options with the same names, defaults and order (keyword-only
where the implementation's are), never behind ``**kw``.  Free functions take no
design, and the public surfaces (``analysis`` and its subpackages) export no
function that does.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import SurveyDesign
from analysis.design import replicates
from analysis.design.core import Design
from analysis.estimate import (
    descriptive,
    multiresponse,
    quantiles,
    tables,
    variance_est,
)
from analysis.models import glm, importance, ordinal
from analysis.pricing import (
    contingent,
    hurdle,
    nonparametric,
    oohb,
    spike,
    threshold,
    vanwestendorp,
)
from analysis.weight import methods, targets

FAMILIES = ("estimate", "models", "pricing", "weight", "design")

# method name -> the family function it delegates to
IMPLEMENTATION: dict[str, Callable[..., Any]] = {
    "mean": descriptive.svy_mean, "total": descriptive.svy_total,
    "ratio": descriptive.svy_ratio, "proportion": descriptive.svy_proportion,
    "quantile": quantiles.svy_quantile, "var": variance_est.svy_var,
    "mr_shares": multiresponse.mr_shares, "mr_test": multiresponse.mr_test,
    "mr_compare": multiresponse.mr_compare,
    "crosstab": tables.crosstab, "chisq": tables.svychisq,
    "glm": glm.svyglm, "olr": ordinal.svyolr,
    "key_drivers": importance.key_drivers,
    "subgroup_differences": importance.subgroup_differences,
    "turnbull": threshold.turnbull, "second_hand_threshold": threshold.second_hand_threshold,
    "threshold_model": threshold.threshold_model, "dc_turnbull": threshold.dc_turnbull,
    "interval_regression": contingent.interval_regression, "dc_cv": contingent.dc_cv,
    "wtp_hurdle": hurdle.wtp_hurdle, "van_westendorp": vanwestendorp.van_westendorp,
    "kristrom": nonparametric.kristrom, "oohb_cv": oohb.oohb_cv,
    "spike_cv": spike.spike_cv,
    "rake": methods.design_rake, "poststratify": methods.design_poststratify,
    "calibrate": methods.design_calibrate, "trim": methods.design_trim,
    "weight_to_targets": targets.weight_to_targets,
    "to_replicates": replicates.to_replicates, "from_replicates": replicates.from_replicates,
}
# implementations that forward **kw: the method spells the receiver's options out
FORWARDS_TO = {"dc_cv": contingent.interval_regression,
               "wtp_hurdle": contingent.interval_regression,
               "threshold_model": contingent.interval_regression,
               "dc_turnbull": threshold.turnbull}
# the weighting methods take the options of the plain-weight function of the same name
PLAIN_WEIGHTING = {"rake": methods.rake, "poststratify": methods.poststratify,
                   "calibrate": methods.calibrate, "trim": methods.trim}
# public building blocks that take a design but are no verb (other families use them)
BUILDING_BLOCKS = {"variable_matrix", "domains", "mean_core", "linear_vcov", "domain_df",
                   "fit_interval_model", "variance_design"}
# the one option kept positional although the implementation's is keyword-only:
# the replicate type, as R's as.svrepdesign(design, type)
POSITIONAL_EXCEPTIONS = {("to_replicates", "type")}

_SURVEY_LAYER = ("analysis.survey", "analysis._survey_")


def _family_modules() -> list[Any]:
    out = []
    for fam in FAMILIES:
        pkg = importlib.import_module(f"analysis.{fam}")
        out += [importlib.import_module(f"analysis.{fam}.{m.name}")
                for m in pkgutil.iter_modules(pkg.__path__)]
    return out


def _takes_design(func: Any) -> bool:
    if not inspect.isfunction(func):
        return False
    params = list(inspect.signature(func).parameters)
    return bool(params) and params[0] in ("design", "cls")


def _verbs() -> dict[str, Callable[..., Any]]:
    """The methods the survey layer defines (not the core's structure methods)."""
    out = {}
    for klass in SurveyDesign.__mro__:
        if not klass.__module__.startswith(_SURVEY_LAYER):
            continue
        for name, attr in vars(klass).items():
            if name.startswith("_") or name in out:
                continue
            func = attr.__func__ if isinstance(attr, classmethod) else attr
            if inspect.isfunction(func):
                out[name] = func
    return out


VERBS = _verbs()


def _params(func: Callable[..., Any], drop: int = 1) -> list[inspect.Parameter]:
    """Parameters after the first ``drop`` (self / design / cls), without ``**kw``."""
    ps = list(inspect.signature(func).parameters.values())[drop:]
    return [p for p in ps if p.kind is not p.VAR_KEYWORD]


def test_every_family_verb_has_a_method():
    missing = []
    for mod in _family_modules():
        for name in getattr(mod, "__all__", []):
            func = getattr(mod, name)
            if name in BUILDING_BLOCKS or not _takes_design(func):
                continue
            if func not in IMPLEMENTATION.values():
                missing.append(f"{mod.__name__}.{name}")
    assert missing == [], "give these a SurveyDesign method (and a row in IMPLEMENTATION)"


def test_the_method_list_is_complete():
    assert set(VERBS) == set(IMPLEMENTATION)


@pytest.mark.parametrize("surface", ["analysis"] + [f"analysis.{p}" for p in
                                     (*FAMILIES, "cleaning", "report", "ingest")])
def test_public_surfaces_export_no_function_taking_a_design(surface):
    mod = importlib.import_module(surface)
    bad = [name for name in mod.__all__ if _takes_design(getattr(mod, name))]
    assert bad == []


def test_root_keeps_the_user_verbs():
    assert set(analysis.__all__) == {
        "__version__", "load_wave", "read_wave", "clean", "CleanResult", "Codebook", "Targets",
        "load_codebook", "load_targets", "SurveyDesign", "SurveyResult", "ContrastResult",
        "rake", "poststratify", "calibrate", "trim"}
    for gone in ("svyglm", "crosstab", "svychisq", "mr_shares", "mr_test", "mr_compare"):
        assert not hasattr(analysis, gone)


@pytest.mark.parametrize("name", sorted(VERBS))
def test_methods_spell_out_their_options(name):
    method = VERBS[name]
    assert not any(p.kind is p.VAR_KEYWORD for p in inspect.signature(method).parameters.values())
    if name in PLAIN_WEIGHTING:
        return  # checked against the plain-weight function below
    impl = IMPLEMENTATION[name]
    mine = [(p.name, p.default, p.kind) for p in _params(method)]
    theirs = [(p.name, p.default, p.kind) for p in _params(impl)]
    theirs = [(n, d, k) if (name, n) not in POSITIONAL_EXCEPTIONS else (n, d, mine[i][2])
              for i, (n, d, k) in enumerate(theirs)]
    if name in FORWARDS_TO:
        assert any(p.kind is p.VAR_KEYWORD for p in inspect.signature(impl).parameters.values())
        assert mine[:len(theirs)] == theirs
        forwarded = {p.name: p.default for p in _params(FORWARDS_TO[name])}
        for n, default, kind in mine[len(theirs):]:
            assert kind is inspect.Parameter.KEYWORD_ONLY, n
            assert n in forwarded, n
            if not (name == "dc_turnbull" and n == "name"):  # dc_turnbull names its column "bid"
                assert default == forwarded[n], n
    else:
        assert mine == theirs


@pytest.mark.parametrize("name", sorted(PLAIN_WEIGHTING))
def test_weighting_methods_share_the_plain_functions_option_names(name):
    def options(func: Callable[..., Any]) -> dict[str, Any]:
        return {p.name: p.default for p in _params(func) if p.kind is p.KEYWORD_ONLY}

    plain = [p.name for p in _params(PLAIN_WEIGHTING[name])]
    for common in ("weights", "return_info"):  # a design has its weights and diagnostics
        plain.remove(common)
    assert sorted(p.name for p in _params(VERBS[name])) == sorted(plain)
    mine = options(VERBS[name])
    assert mine == {k: v for k, v in options(PLAIN_WEIGHTING[name]).items() if k in mine}


@pytest.mark.parametrize("name", sorted(VERBS))
def test_methods_have_numpydoc_docstrings(name):
    doc = inspect.getdoc(VERBS[name]) or ""
    assert re.search(r"^Parameters\n-+$", doc, re.M)
    assert re.search(r"^Returns\n-+$", doc, re.M)
    documented = " ".join(re.findall(r"^(\w[\w, ]*?)(?: :|$)", doc.split("Returns")[0], re.M))
    for p in _params(VERBS[name]):
        assert re.search(rf"\b{p.name}\b", documented), f"{name}: {p.name} undocumented"


def test_families_import_the_core_not_the_survey_layer():
    for mod in _family_modules():
        assert "SurveyDesign" not in vars(mod), mod.__name__
    assert issubclass(SurveyDesign, Design)


def test_trim_free_function_and_method_agree():
    raw = np.array([1.0, 1.0, 1.0, 1.0, 10.0])
    data = pd.DataFrame({"w": raw})
    d = SurveyDesign(data, weights="w")
    np.testing.assert_allclose(analysis.trim(data, None, 5.0, "w").to_numpy(),
                               d.trim(None, 5.0).weights)
