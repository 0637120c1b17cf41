"""greensurvey: design-based analysis of green, low-carbon consumer surveys.

The public surface is re-exported here; see ``ARCHITECTURE.md`` for the data
flow (ingest -> clean -> weight -> estimate -> model -> report).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
