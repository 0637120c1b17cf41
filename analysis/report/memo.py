"""Results computed once per report build and read by the other language's pass.

A chapter runs once per language, often in another kernel, and its numbers
do not depend on the language.  :class:`BuildMemo` keeps such results in the
build's prepared-wave cache folder (``GREENSURVEY_WAVE_CACHE``; removed when
the build ends, never published), in a file named after the wave's cache key
(its inputs and the software), so a result is only reused for the same data.
The warnings of a computation are saved with it and issued again on every
read, so a chapter's data notes do not depend on which pass computed it.
Outside a build (no cache folder) every result is computed.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from ..pipeline import (
    WAVE_CACHE_ENV,
    CaughtWarnings,
    record_warnings,
    replay_warnings,
    wave_cache_key,
)

__all__ = ["BuildMemo"]

T = TypeVar("T")


class BuildMemo:
    """Results of one kind (``name``) for one wave, shared by a build's passes.

    Parameters
    ----------
    wave : str or Path
        The wave folder (its cache key names the file).
    name : str
        What the results are (``"banner-letters"``), part of the file name.

    Attributes
    ----------
    path : Path or None
        The memo file, None outside a build.
    """

    def __init__(self, wave: str | Path, name: str) -> None:
        cache = os.environ.get(WAVE_CACHE_ENV)
        self.path = Path(cache) / f"{name}-{wave_cache_key(wave)}.pickle" if cache else None
        self._entries: dict[Hashable, tuple[Any, CaughtWarnings]] = {}
        self._new = False
        if self.path is not None and self.path.is_file():
            with self.path.open("rb") as fh:
                # written by this build into its own cache folder, keyed by the wave's inputs
                self._entries = dict(pickle.load(fh))  # noqa: S301

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The result saved under ``key``, else ``compute()`` (saved by :meth:`save`).

        Parameters
        ----------
        key : hashable
            Everything the result depends on besides the wave's data.
        compute : callable
            Computes the result; its warnings are recorded with it.

        Returns
        -------
        object
            The result; the warnings of its computation are issued again.
        """
        hit = self._entries.get(key)
        if hit is None:
            hit = self._entries[key] = record_warnings(compute)
            self._new = True
        value, caught = hit
        replay_warnings(caught)
        return value

    def save(self) -> None:
        """Write the results computed since the file was read (nothing outside a build)."""
        if self.path is None or not self._new:
            return
        # temporary name and rename: a pass reading at the same time never sees half a file
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(self._entries, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, self.path)
        self._new = False

