"""Cleaning: validation, screening rules, PII scrubbing and the audit trail.

:mod:`.cleaner` runs the pipeline (``clean``), :mod:`.screening` holds the
rules (speeders, straight-lining, attention checks, duplicates, ...),
:mod:`.audit` the audit table and exclusion funnel, and :mod:`.derived` the
model-ready analysis variables built from the cleaned frame
(``analysis_variables``).
"""

from __future__ import annotations

from .cleaner import CleanResult, clean

__all__ = ["CleanResult", "clean"]
