"""greensurvey: design-based analysis of green, low-carbon consumer surveys.

The user verbs, in pipeline order (see ``ARCHITECTURE.md``)::

    data = load_wave("surveys/demo-2022")          # ingest: raw export -> tidy frame
    result = clean(data)                           # screen, scrub, audit
    d = SurveyDesign(result.data).rake(targets)    # weight (SEs account for it)
    d.mean("barriers")                             # estimate, with design-based SEs

Everything else lives in the submodules (``analysis.weighting``,
``analysis.models``, ``analysis.pricing``, ``analysis.report``, ...).
"""

from __future__ import annotations

from .clean import CleanResult, clean
from .codebook import Codebook, Targets, load_codebook, load_targets
from .design import SurveyDesign
from .glm import svyglm
from .ingest import load_wave, read_wave
from .multiresponse import mr_compare, mr_shares, mr_test
from .results import ContrastResult, SurveyResult
from .tables import crosstab, svychisq
from .weighting import calibrate, poststratify, rake, trim

__version__ = "0.1.0"

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
