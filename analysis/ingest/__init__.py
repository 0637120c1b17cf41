"""Ingest: raw survey-platform export -> one tidy, typed table.

Readers, auto-detected from the file, bind the export's columns to the
codebook's questions (by question number, column name, ImportId or
variable name; never by position) and hand them to one shared parser::

    data = load_wave("surveys/demo-2022")        # folder, survey.yaml or export
    wave = read_wave("surveys/demo-2022")        # + codebook, targets, provenance
    cb = draft_codebook("raw/123_按文本_x.xlsx")  # no survey.yaml yet? draft one
    print(codebook_yaml(cb))

``READERS`` maps each platform to its reader:
``reader(table, codebook, *, mode="auto", file=None) -> Layout``.
"""

from __future__ import annotations

from ._frame import SourceInfo
from .detect import PLATFORMS, detect_platform
from .draft import codebook_yaml, draft_codebook, pair_exports
from .encoding import decode_bytes
from .readers import READERS
from .table import read_table
from .wave import Wave, load_wave, read_export, read_wave
from .wjx import detect_mode

__all__ = [
    "READERS",
    "PLATFORMS",
    "Wave",
    "SourceInfo",
    "load_wave",
    "read_wave",
    "read_export",
    "read_table",
    "decode_bytes",
    "detect_platform",
    "detect_mode",
    "draft_codebook",
    "codebook_yaml",
    "pair_exports",
]

