"""The report: chapter notebooks executed into HTML pages, findings and charts.

:mod:`.build` finds and executes the notebooks (``build_report``),
:mod:`.chapter` is what a notebook calls (``open_chapter``), :mod:`.findings`
collects tables with disclosure control, :mod:`.export` writes
``findings.json/csv/xlsx`` and the HTML pages, :mod:`.plots` draws the charts
(fonts from :mod:`.fonts`), :mod:`.i18n` holds the zh/en text.  The wave
itself is prepared by :func:`analysis.pipeline.prepare_wave`.
"""

from __future__ import annotations

from .build import (
    ReportResult,
    build_report,
    execute_notebook,
    find_notebooks,
    inject_parameters,
)
from .chapter import Chapter, default_output_dir, open_chapter

__all__ = ["ReportResult", "build_report", "execute_notebook", "find_notebooks",
           "inject_parameters", "Chapter",
           "open_chapter", "default_output_dir"]
