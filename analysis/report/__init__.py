"""The report: chapter notebooks executed into HTML pages, findings and charts.

:mod:`.build` finds and executes the notebooks (``build_report``),
:mod:`.chapter` is what a notebook calls (``open_chapter``), :mod:`.findings`
collects tables with disclosure control, :mod:`.export` writes
``findings.json/csv/xlsx`` and the HTML pages, :mod:`.plots` draws the charts
(fonts from :mod:`.fonts`), :mod:`.i18n` holds the zh/en text.  The wave
itself is prepared by :func:`analysis.pipeline.prepare_wave`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from .build import (
        ReportResult,
        build_report,
        execute_notebook,
        find_notebooks,
        inject_parameters,
    )
    from .chapter import Chapter, open_chapter
    from .paths import default_output_dir

__all__ = ["ReportResult", "build_report", "execute_notebook", "find_notebooks",
           "inject_parameters", "Chapter",
           "open_chapter", "default_output_dir"]

# Resolved on first use (PEP 562): importing analysis.report.build or .kernels (the command
# line starting its kernels) need not load .chapter's stack (pandas, scipy) first.
_LAZY = {"ReportResult": ".build", "build_report": ".build", "execute_notebook": ".build",
         "find_notebooks": ".build", "inject_parameters": ".build", "Chapter": ".chapter",
         "open_chapter": ".chapter", "default_output_dir": ".paths"}

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__, globals())
