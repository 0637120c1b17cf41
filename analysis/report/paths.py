"""Where a report build writes, and the environment its kernels read: no heavy imports.

:func:`default_output_dir` and :data:`FIGURE_FORMATS_ENV` live here rather
than in :mod:`.chapter` (which re-exports them) so that
:func:`~analysis.report.build.build_report` can name its folders and start its
kernels before it loads pandas and the analysis stack.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_output_dir", "FIGURE_FORMATS_ENV"]

#: Comma-separated figure formats a chapter writes (default ``png,svg``); the report
#: build sets ``png`` for the other language's pass, whose figures are only shown.
FIGURE_FORMATS_ENV = "GREENSURVEY_FIGURE_FORMATS"


def default_output_dir(wave: str | Path) -> Path:
    """Find the report folder: ``$GREENSURVEY_REPORTS/<wave>`` if set, else ``reports/<wave>`` next to ``surveys/``.

    Parameters
    ----------
    wave : str or pathlib.Path
        The wave folder.

    Returns
    -------
    pathlib.Path
        The folder (not created).
    """
    folder = Path(wave).resolve()
    env = os.environ.get("GREENSURVEY_REPORTS")
    if env:
        return Path(env).resolve() / folder.name
    return folder.parent.parent / "reports" / folder.name
