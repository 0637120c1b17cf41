"""The reader registry: platform name -> ``reader(table, codebook, *, mode, file) -> Layout``."""

from __future__ import annotations

from . import generic, qualtrics, stat, wjx

__all__ = ["READERS"]

READERS = {
    "wjx": wjx.layout,
    "qualtrics": qualtrics.layout,
    "spss": stat.layout,
    "stata": stat.layout,
    "generic": generic.layout,
}
