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
import warnings
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["BuildMemo"]

T = TypeVar("T")
_Caught = list[tuple[Any, type[Warning], str, int]]


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
        from ..pipeline import WAVE_CACHE_ENV, wave_cache_key

        cache = os.environ.get(WAVE_CACHE_ENV)
        self.path = Path(cache) / f"{name}-{wave_cache_key(wave)}.pickle" if cache else None
        self._entries: dict[Hashable, tuple[Any, _Caught]] = {}
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
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                value = compute()
            hit = self._entries[key] = (value, [_replayable(r) for r in record])
            self._new = True
        value, caught = hit
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)
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


def _replayable(record: warnings.WarningMessage) -> tuple[Any, type[Warning], str, int]:
    """A caught warning as ``warn_explicit`` arguments; its text if the warning does not pickle."""
    message: Any = record.message
    try:
        pickle.loads(pickle.dumps(message))  # noqa: S301 - our own bytes, just written
    except Exception:  # noqa: BLE001 - any warning class may refuse; its text is what notes show
        message = str(message)
    return message, record.category, record.filename, record.lineno
