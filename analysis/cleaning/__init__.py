"""Cleaning: validation, screening rules, PII scrubbing and the audit trail.

:mod:`.cleaner` runs the pipeline (``clean``), :mod:`.screening` holds the
rules (speeders, straight-lining, attention checks, duplicates, ...) and
:mod:`.audit` the audit table and exclusion funnel.
"""

from __future__ import annotations

from .cleaner import CleanResult, clean

__all__ = ["CleanResult", "clean"]
