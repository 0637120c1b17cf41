"""SPSS ``.sav`` and Stata ``.dta`` files (read with pyreadstat, value labels kept).

Variables are found by name (a question's ``source``, default its id), as
in :mod:`.generic`; answers are codes, mapped through the codebook's
options.  User-defined missing values are read as values, so codes such as
-3 (or an SPSS range such as 97..99) reach the codebook's ``missing_codes``
instead of vanishing as NaN.  Stata's extended missing values ``.a`` ...
``.z`` arrive as the text ``.a`` ... ``.z``: declare what each means
(``missing: {".a": not_asked, ".b": not_ranked}``); an undeclared one is an
invalid value, never an answer.  A question's ``other_text`` names the
variable holding its other-specify text (``q5_oth``).

The file's value labels are checked against the codebook's options: a code
whose label is another option's label (1 = 女 in the file, 1 = 男 in the
codebook) and a file without value labels are reported
(:class:`analysis.errors.ExportMetadataWarning`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..codebook import Codebook, Question
from ..errors import ExportMetadataWarning
from ._cells import OptionMatcher, normalise_label
from ._frame import Binding, Issue, Layout
from .generic import bind_by_name

__all__ = ["layout", "stata_missing"]

_LETTER = re.compile(r"^[a-z]$")
_CHOICE = ("single", "likert", "price_ladder", "payment_card", "grid")


def stata_missing(table: pd.DataFrame) -> None:
    """Write Stata's extended missing values as ``.a`` ... ``.z`` (in place).

    pyreadstat returns them as the bare letters ``a`` ... ``z`` inside an
    otherwise numeric variable; the dot makes them the codebook keys users
    write (``".a": not_asked``) and keeps them apart from a text answer ``a``.
    Only variables that are numeric apart from such letters are touched.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table of a ``.dta`` file.
    """
    declared = set((table.attrs.get("user_missing") or {}).keys())
    for pos in range(table.shape[1]):
        col = table.iloc[:, pos]
        if col.dtype != object:
            continue
        uniques = pd.unique(col.dropna())
        letters = [u for u in uniques if isinstance(u, str) and _LETTER.match(u)]
        if not letters:
            continue
        numeric = all(isinstance(u, (int, float, np.integer, np.floating)) or u in letters
                      for u in uniques)
        if numeric or str(table.columns[pos]) in declared:
            table.isetitem(pos, col.replace({u: f".{u}" for u in letters}))


def _labels_issues(table: pd.DataFrame, bindings: list[Binding], platform: str) -> list[Issue]:
    """Value labels that contradict the options, or none at all, as load-time issues."""
    labels = table.attrs.get("value_labels") or {}
    headers = [str(h) for h in table.columns]
    issues: list[Issue] = []
    unlabelled: list[str] = []
    for b in bindings:
        q = b.question
        if q.type not in _CHOICE:
            continue
        positions = [b.cells] if b.cells is not None else list(b.parts.values())
        for pos in positions:
            if pos is None:
                continue
            name = headers[pos]
            file_labels = labels.get(name)
            if not file_labels:
                unlabelled.append(name)
                continue
            clash = _contradictions(q, file_labels)
            if clash:
                issues.append(Issue(
                    ExportMetadataWarning,
                    f"the file's value labels contradict the codebook ({clash}); the codes "
                    "were used, so check which is right", q.id, name, count=1))
    if unlabelled and not labels:
        shown = ", ".join(unlabelled[:8]) + (", ..." if len(unlabelled) > 8 else "")
        issues.append(Issue(
            ExportMetadataWarning,
            f"the {platform.upper()} file carries no value labels, so its codes cannot be "
            f"checked against the questionnaire's options (choice variables: {shown})",
            None, None, count=len(unlabelled)))
    return issues


def _contradictions(q: Question, file_labels: dict) -> str:
    """``"1='女' is option 2 (女)"`` for codes whose file label names another option."""
    matcher = OptionMatcher(q.options)
    found = []
    for code, label in file_labels.items():
        try:
            code = int(float(code))
        except (TypeError, ValueError, OverflowError):
            continue
        mine = matcher.by_code(code)
        other = matcher.match(str(label))
        if mine is None or other is None or other.code == code:
            continue
        if normalise_label(str(label)) in (normalise_label(mine.label.zh),
                                           normalise_label(mine.label.get("en"))):
            continue
        found.append(f"{code}={str(label)!r} in the file, {code}={mine.label.zh!r} in the "
                     "codebook")
    return "; ".join(found[:4])


def layout(table: pd.DataFrame, codebook: Codebook, *, mode: str = "auto",
           file: str | None = None) -> Layout:
    """The SPSS/Stata reader: variables by name, values as codes.

    Parameters
    ----------
    table : pandas.DataFrame
        The raw table (``attrs``: value labels, user-missing values).
    codebook : Codebook
        The codebook, sources resolved for the platform.
    mode : {"auto", "text", "code"}
        ``"auto"`` reads codes.
    file : str, optional
        The file, for messages.

    Returns
    -------
    Layout
        Bindings by variable name, plus the value-label issues.
    """
    platform = "stata" if table.attrs.get("format") == "dta" else "spss"
    if platform == "stata":
        stata_missing(table)
    out = bind_by_name(table, codebook, platform, file=file)
    out.mode = mode if mode in ("text", "code") else "code"
    out.source_rows = np.arange(1, len(table) + 1)
    out.issues.extend(_labels_issues(table, out.bindings, platform))
    return out
