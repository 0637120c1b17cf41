"""Which platform wrote an export, recognised from its format and headers."""

from __future__ import annotations

import pandas as pd

from ._cells import normalise_label
from .wjx import looks_like_wjx

__all__ = ["PLATFORMS", "detect_platform", "qualtrics_header_rows"]

PLATFORMS = ("wjx", "qualtrics", "spss", "stata", "generic")
_QUALTRICS_META = {"responseid", "startdate", "enddate", "recordeddate", "ipaddress",
                   "distributionchannel", "userlanguage", "_recordid"}


def qualtrics_header_rows(table: pd.DataFrame) -> int:
    """Header rows below the first (0, 1 or 2) of a Qualtrics export; -1 if not Qualtrics.

    The current exporter writes three header rows: export tags, question
    text, then an ImportId JSON per column (``{"ImportId":"QID2_1"}``).

    Parameters
    ----------
    table : DataFrame
        The raw table, first header row as column names.

    Returns
    -------
    int
        2 (ImportId row present), 1 or 0 extra header rows, or -1.
    """
    named = {normalise_label(h) for h in table.columns}
    first = [str(v) for v in table.iloc[:2].to_numpy().ravel().tolist()]
    if any(v.lstrip().startswith('{"ImportId"') or v.lstrip().startswith("{'ImportId'")
           for v in first):
        return 2
    if len(named & _QUALTRICS_META) >= 2:
        row0 = {normalise_label(v) for v in table.iloc[0].astype(str)} if len(table) else set()
        return 1 if {"responseid", "startdate"} & row0 else 0
    return -1


def detect_platform(table: pd.DataFrame) -> str:
    """Name the platform that wrote ``table``.

    Parameters
    ----------
    table : pandas.DataFrame
        Raw table from :func:`analysis.ingest.read_table`.

    Returns
    -------
    str
        ``"spss"`` / ``"stata"`` for .sav / .dta files; ``"qualtrics"`` when
        the ImportId header row or Qualtrics metadata columns are present;
        ``"wjx"`` for 问卷星 metadata names plus numbered question headers;
        else ``"generic"``.
    """
    fmt = table.attrs.get("format")
    if fmt == "sav":
        return "spss"
    if fmt == "dta":
        return "stata"
    if qualtrics_header_rows(table) >= 0:
        return "qualtrics"
    if looks_like_wjx([str(h) for h in table.columns]):
        return "wjx"
    return "generic"
