"""Pair a 问卷星 survey's two downloads by their content, whatever the files are called.

问卷星 offers the responses 按选项文本 (labels) and 按选项序号 (codes).  A
draft needs both: codes from one, labels from the other.  File names are
whatever the analyst saved (``_0``/``_2``, ``按文本``/``按序号``, ``Readable``/
``Original`` or anything else), so names only decide which file is tried
first; two files are a pair when they hold the same respondents: the same
序号 and, where both carry one, the same 提交答卷时间 for each 序号.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ._cells import cell_text, normalise_label
from .detect import detect_platform
from .table import read_table
from .wjx import detect_mode

__all__ = ["Pairing", "same_respondents", "find_pair", "candidates"]

_EXPORT_SUFFIXES = {".xls", ".xlsx", ".csv", ".tsv", ".txt"}
#: Files larger than this are not opened while looking for a partner.
_MAX_BYTES = 200 * 1024 * 1024
_MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Pairing:
    """Two downloads of one 问卷星 survey, matched by their respondents.

    Parameters
    ----------
    text, code : Path
        The 按选项文本 and the 按选项序号 download.
    text_table, code_table : DataFrame
        Their raw tables.
    rows : tuple of ndarray
        Row positions in the text and the code table of the same respondents.
    n_respondents : int
        Respondents matched by 序号.
    n_times : int
        Of those, how many had a submit time in both files (all equal).
    """

    text: Path
    code: Path
    text_table: pd.DataFrame
    code_table: pd.DataFrame
    rows: tuple[np.ndarray, np.ndarray]
    n_respondents: int
    n_times: int

    def describe(self) -> str:
        """One sentence saying what was paired and on what evidence.

        Returns
        -------
        str
            The two file names and the matched respondents and submit times.
        """
        times = (f" and the same submit time ({self.n_times} compared)" if self.n_times
                 else " (the files carry no submit times to compare)")
        return (f"paired the text-mode download {self.text.name} with the code-mode download "
                f"{self.code.name} by content: {self.n_respondents} respondents with the same "
                f"序号{times}; option codes come from {self.code.name}, labels from "
                f"{self.text.name}")


def _column(table: pd.DataFrame, name: str) -> pd.Series | None:
    for j, h in enumerate(table.columns):
        if normalise_label(h) == name:
            return cell_text(table.iloc[:, j])
    return None


def same_respondents(text: pd.DataFrame, code: pd.DataFrame,
                     ) -> tuple[tuple[np.ndarray, np.ndarray], int] | None:
    """Whether two tables hold the same respondents: same 序号, same submit times.

    Parameters
    ----------
    text, code : DataFrame
        Raw tables of the two downloads.

    Returns
    -------
    tuple or None
        ``((text rows, code rows), submit times compared)`` aligning the
        respondents by 序号; None when the 序号 differ, repeat or are absent,
        or a submit time differs.
    """
    a, b = _column(text, "序号"), _column(code, "序号")
    if a is None or b is None or len(a) == 0 or a.isna().any() or b.isna().any():
        return None
    if not (a.is_unique and b.is_unique) or set(a) != set(b):
        return None
    where = pd.Series(np.arange(len(b)), index=b.to_numpy())
    rows = (np.arange(len(a)), where.loc[a.to_numpy()].to_numpy())
    ta, tb = _column(text, "提交答卷时间"), _column(code, "提交答卷时间")
    n_times = 0
    if ta is not None and tb is not None:
        x = ta.iloc[rows[0]].reset_index(drop=True)
        y = tb.iloc[rows[1]].reset_index(drop=True)
        both = x.notna() & y.notna()
        if (x[both] != y[both]).any():
            return None
        n_times = int(both.sum())
    return rows, n_times


def candidates(path: Path, preferred: list[Path]) -> list[Path]:
    """Export files beside ``path`` that may be its other download, ``preferred`` first.

    Parameters
    ----------
    path : Path
        The export being drafted.
    preferred : list of Path
        Files to try first.

    Returns
    -------
    list of Path
        At most 20 readable-looking exports (by suffix, under 200 MB).
    """
    try:
        siblings = sorted(p for p in path.parent.iterdir()
                          if p != path and p.is_file() and p.suffix.lower() in _EXPORT_SUFFIXES
                          and p.stat().st_size <= _MAX_BYTES)
    except OSError:
        return []
    ordered = [p for p in preferred if p in siblings]
    ordered += [p for p in siblings if p not in ordered]
    return ordered[:_MAX_CANDIDATES]


def find_pair(path: Path, table: pd.DataFrame, encoding: str = "auto",
              preferred: list[Path] | None = None) -> tuple[Pairing | None, list[str]]:
    """Look beside ``path`` for the other download of the same 问卷星 survey.

    Parameters
    ----------
    path : Path
        The export being drafted.
    table : DataFrame
        Its raw table.
    encoding : str, default "auto"
        Codec for text files.
    preferred : list of Path, optional
        Files tried first (e.g. the partner its name suggests).

    Returns
    -------
    pairing : Pairing or None
        The pair, when exactly one other file (or the preferred one) holds the
        same respondents in the other mode.
    notes : list of str
        What was seen: a file named like the partner but holding other
        respondents, several matching files.
    """
    mode = detect_mode(table)
    notes: list[str] = []
    if mode not in ("text", "code"):
        return None, notes
    preferred = preferred or []
    found: list[Pairing] = []
    for cand in candidates(path, preferred):
        try:
            other, _ = read_table(cand, encoding)
            if detect_platform(other) != "wjx" or detect_mode(other) == mode:
                continue
        except Exception:  # noqa: BLE001 - an unreadable neighbour is simply not the partner
            continue
        text_t, code_t = (table, other) if mode == "text" else (other, table)
        match = same_respondents(text_t, code_t)
        if match is None:
            if cand in preferred:
                notes.append(f"{cand.name} is named like the other download of {path.name} but "
                             "holds other respondents (序号 or submit times differ): not paired")
            continue
        text_p, code_p = (path, cand) if mode == "text" else (cand, path)
        found.append(Pairing(text_p, code_p, text_t, code_t, match[0], len(match[0][0]),
                             match[1]))
    if len(found) > 1:
        notes.append("several files hold the same respondents as " + path.name + ": "
                     + ", ".join(p.code.name if mode == "text" else p.text.name for p in found)
                     + f"; paired with the first, {found[0].code.name if mode == 'text' else found[0].text.name}")
    return (found[0] if found else None), notes
