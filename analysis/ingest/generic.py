"""Placeholder."""

from __future__ import annotations

__all__ = ["layout"]


def layout(table, codebook, *, mode="auto", file=None):  # noqa: ANN001
    raise NotImplementedError
