"""greensurvey: design-based analysis of green, low-carbon consumer surveys.

The user verbs, in pipeline order (see ``ARCHITECTURE.md``)::

    data = load_wave("surveys/demo-2022")          # ingest: raw export -> tidy frame
    result = clean(data)                           # screen, scrub, audit
    d = SurveyDesign(result.data).rake(targets)    # weight (SEs account for it)
    d.mean("barriers")                             # estimate, with design-based SEs

Every verb that takes a design is a method of :class:`SurveyDesign`
(``d.mean``, ``d.glm``, ``d.crosstab``, ``d.key_drivers``,
``d.second_hand_threshold``, ...).  The free functions here take no design:
``rake``, ``poststratify``, ``calibrate`` and ``trim`` weight a DataFrame and
return the weights.  Everything else lives in the subpackages
(``analysis.weight``, ``analysis.models``, ``analysis.pricing``,
``analysis.report``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_attributes
from ._version import __version__

if TYPE_CHECKING:
    from .cleaning import CleanResult, clean
    from .codebook import Codebook, Targets, load_codebook, load_targets
    from .design.results import ContrastResult, SurveyResult
    from .ingest import load_wave, read_wave
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
    "rake",
    "poststratify",
    "calibrate",
    "trim",
]

# Where each public name lives.  The root imports none of them up front: importing any
# submodule (``analysis.cli``, ``analysis.report.kernels``) runs this file first, and the
# whole stack (pandas, scipy, formulaic) costs ~1.4 s the command line need not wait for.
_LAZY = {
    "load_wave": ".ingest", "read_wave": ".ingest",
    "Codebook": ".codebook", "Targets": ".codebook", "load_codebook": ".codebook",
    "load_targets": ".codebook",
    "clean": ".cleaning", "CleanResult": ".cleaning",
    "SurveyDesign": ".survey",
    "SurveyResult": ".design.results", "ContrastResult": ".design.results",
    "rake": ".weight.methods", "poststratify": ".weight.methods",
    "calibrate": ".weight.methods", "trim": ".weight.methods",
}

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__, globals())
