"""SPSS ``.sav`` and Stata ``.dta`` files (read with pyreadstat, value labels kept).

Variables are found by name (a question's ``source``, default its id), as
in :mod:`.generic`; answers are codes, mapped through the codebook's
options.  User-defined missing values are read as values, so codes such as
-3 reach the codebook's ``missing_codes`` instead of vanishing as NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..codebook import Codebook
from ._frame import Layout
from .generic import bind_by_name

__all__ = ["layout"]


def layout(table: pd.DataFrame, codebook: Codebook, *, mode: str = "auto",
           file: str | None = None) -> Layout:
    """The SPSS/Stata reader: variables by name, values as codes.

    Parameters
    ----------
    table : DataFrame
        The raw table (:func:`analysis.ingest.table.read_table` of a ``.sav`` or ``.dta``).
    codebook : Codebook
        The wave's codebook.
    mode : {"auto", "text", "code"}
        How answers are read; ``"auto"`` reads codes.
    file : str, optional
        File name, for messages.

    Returns
    -------
    Layout
        The bound columns, answer mode and source rows.
    """
    platform = "stata" if table.attrs.get("format") == "dta" else "spss"
    out = bind_by_name(table, codebook, platform, file=file)
    out.mode = mode if mode in ("text", "code") else "code"
    out.source_rows = np.arange(1, len(table) + 1)
    return out
