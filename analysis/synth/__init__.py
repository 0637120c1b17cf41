"""The seeded generator of the synthetic demo wave (``python -m analysis.synth``).

:mod:`.spec` holds the questionnaire and population parameters,
:mod:`.model` draws respondents, :mod:`.export` writes the 问卷星 export and
:mod:`.yaml_out` the codebook, targets and truth files; :mod:`.demo` ties
them together.
"""

from __future__ import annotations

from .demo import DEFAULT_N, DEFAULT_SEED, generate, main, params_from_truth, write_wave

__all__ = ["generate", "write_wave", "params_from_truth", "main", "DEFAULT_SEED", "DEFAULT_N"]
