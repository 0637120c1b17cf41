"""Which platform wrote an export, recognised from its format and headers."""

from __future__ import annotations

import json
import re

import pandas as pd

from ..codebook import Codebook
from ..errors import FileFormatError
from ._binary import column_letter
from ._cells import normalise_label
from .wjx import looks_like_wjx

__all__ = ["PLATFORMS", "detect_platform", "qualtrics_header_rows", "legacy_qualtrics",
           "check_qualtrics_headers"]

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


def legacy_qualtrics(table: pd.DataFrame) -> bool:
    """Whether ``table`` is a legacy Qualtrics export (columns ``V1, V2, V3 ...``).

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table.

    Returns
    -------
    bool
        True for the legacy layout (question ids in the second row).
    """
    heads = [str(h).strip() for h in table.columns[:3]]
    if heads != ["V1", "V2", "V3"] or not len(table):
        return False
    row0 = {normalise_label(str(v)) for v in table.iloc[0].tolist()[:12]}
    return bool(row0 & {"responseid", "responseset", "startdate", "ipaddress"})


_QID = re.compile(r"^QID\d+", re.IGNORECASE)


def check_qualtrics_headers(table: pd.DataFrame, codebook: Codebook, *, file: str) -> None:
    """Refuse a Qualtrics export whose header rows cannot bind the codebook.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table (first header row as columns).
    codebook : Codebook
        The codebook (questions named by ImportId need the ImportId row).
    file : str
        The export, for the error.

    Raises
    ------
    FileFormatError
        An ImportId cell (third header row) that is not valid JSON (its
        column number and letter named), or a missing ImportId row while
        the codebook names questions by ImportId (``QID5``).
    """
    row = table.iloc[1].tolist() if len(table) > 1 else []
    cells = ["" if pd.isna(v) else str(v).strip() for v in row]
    if any("importid" in c.lower() for c in cells):
        for pos, cell in enumerate(cells):
            value = None
            for candidate in (cell, cell.replace("'", '"')):
                try:
                    value = json.loads(candidate)
                    break
                except (json.JSONDecodeError, ValueError):
                    continue
            if not (isinstance(value, dict) and "ImportId" in value):
                header = str(table.columns[pos])
                raise FileFormatError(
                    f"malformed ImportId JSON in column {pos + 1} ({column_letter(pos)}, "
                    f"{header!r}) of the third header row: {cell[:80]!r}", file=file, line=3,
                    column=header, hint='each cell of that row must read like '
                                        '{"ImportId":"QID5"}; export the responses again')
        return
    wanted = [q for q in codebook.questions if _QID.match(str(q.source_key))]
    tags = {str(h).strip() for h in table.columns}
    if wanted and not any(str(q.source_key) in tags or any(
            t.startswith(f"{q.source_key}_") for t in tags) for q in wanted):
        raise FileFormatError(
            f"the ImportId header row is missing: the export has "
            f"{qualtrics_header_rows(table) + 1} header row(s), but the codebook names "
            f"questions by ImportId ({wanted[0].source_key}, ...)", file=file,
            hint="export the responses again from Qualtrics (the CSV/TSV export writes three "
                 "header rows: tags, question text, ImportId), or use export tags as `source:`")


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
