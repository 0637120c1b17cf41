"""greensurvey: design-based analysis of green, low-carbon consumer surveys.

The user verbs, in pipeline order (see ``ARCHITECTURE.md``)::

    data = load_wave("surveys/demo-2022")          # ingest: raw export -> tidy frame
    result = clean(data)                           # screen, scrub, audit
    d = SurveyDesign(result.data).rake(targets)    # weight (SEs account for it)
    d.mean("barriers")                             # estimate, with design-based SEs

Everything else lives in the submodules (``analysis.weight``,
``analysis.models``, ``analysis.pricing``, ``analysis.report``, ...).
"""

from __future__ import annotations

from ._version import __version__
from .cleaning import CleanResult, clean
from .codebook import Codebook, Targets, load_codebook, load_targets
from .design.results import ContrastResult, SurveyResult
from .estimate.multiresponse import mr_compare, mr_shares, mr_test
from .estimate.tables import crosstab, svychisq
from .ingest import load_wave, read_wave
from .models.glm import svyglm
from .survey import SurveyDesign
from .weight.methods import calibrate, poststratify, rake, trim

__all__ = [
    "__version__",
    "load_wave",
    "read_wave",
    "Codebook",
    "Targets",
    "load_codebook",
    "load_targets",
    "clean",
    "CleanResult",
    "SurveyDesign",
    "SurveyResult",
    "ContrastResult",
    "mr_shares",
    "mr_test",
    "mr_compare",
    "rake",
    "poststratify",
    "calibrate",
    "trim",
    "svyglm",
    "crosstab",
    "svychisq",
]
