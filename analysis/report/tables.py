"""The published tables: :class:`Cell`, :class:`Table` and their serialised form.

Every number a report publishes is one :class:`Cell` of a :class:`Table`: a
row (an option, a group, a model term) by a column (``"estimate"``, or
``"weighted"`` / ``"unweighted"``, or a subgroup), with its CI, SE,
unweighted and weighted base, disclosure flags (:data:`FLAGS`) and
significance letters.  A table renders itself as HTML (:meth:`Table.to_html`)
and round-trips through :meth:`Table.to_dict` / :func:`table_from_dict`, the
fragment format :class:`analysis.report.findings.Findings` writes and
:mod:`analysis.report.export` reads.  Values are rounded to 10 significant
digits (:func:`round_value`) so outputs are byte-identical across runs.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .i18n import check_language, format_ci, format_count, format_value, pick, t

__all__ = [
    "CELL_FIELDS",
    "FLAGS",
    "UNITS",
    "Cell",
    "Table",
    "column_header",
    "count_value",
    "round_value",
    "table_from_dict",
]

#: Columns of the long format (findings.csv, the cells of findings.json), in order.
CELL_FIELDS: tuple[str, ...] = (
    "table_id", "row", "column", "row_label", "column_label", "estimate", "ci_low",
    "ci_high", "se", "n_unweighted", "n_weighted", "flag", "column_letter", "sig",
)
#: Flags set by disclosure control.
FLAGS: tuple[str, ...] = ("suppressed", "low_base")
UNITS: tuple[str, ...] = ("share", "percent", "points", "number", "ratio", "count")
_SIGNIFICANT = 10  # digits kept in outputs: well beyond any survey's precision, and stable


def column_header(label: str, letter: str) -> str:
    """Return a column header: its label followed by its significance letter, ``"一线城市 (A)"``.

    Parameters
    ----------
    label : str
        The column's label.
    letter : str
        Its significance letter (``""``: none, the label alone).

    Returns
    -------
    str
        The header text.
    """
    return f"{label} ({letter})" if letter else label


def round_value(value: Any) -> float | None:
    """Return a float rounded to 10 significant digits, or ``None`` for missing.

    Rounding makes outputs byte-identical across runs and platforms even when
    the last bits of a floating-point sum differ.

    Parameters
    ----------
    value : scalar or None
        The value (None, ``pd.NA`` and NaN are missing).

    Returns
    -------
    float or None
        The rounded value (``-0.0`` becomes ``0.0``; infinities are kept).
    """
    if value is None or value is pd.NA:
        return None
    x = float(value)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return x
    return float(f"{x:.{_SIGNIFICANT}g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def count_value(value: Any) -> int | float | None:
    """Return a base rounded as :func:`round_value`: an int when integral (``100``, not ``100.0``).

    Parameters
    ----------
    value : scalar or None
        The base (NA and NaN are missing).

    Returns
    -------
    int, float or None
        The base; infinity stays a float, missing is None.
    """
    v = round_value(value)
    if v is None or math.isinf(v):
        return v
    return int(round(v)) if abs(v - round(v)) < 1e-9 else v


@dataclass(frozen=True)
class Cell:
    """One published number (see :data:`CELL_FIELDS`).

    Attributes
    ----------
    table_id : str
        Id of the table the cell belongs to.
    row : str
        Row key (no ``/``: keys form ``data-finding`` ids).
    column : str
        Column key (no ``/``).
    row_label : str
        Row label in the report language.
    column_label : str
        Column label in the report language.
    estimate : float or None
        The value (None when missing or suppressed).
    ci_low : float or None
        Lower confidence limit (None when not given or suppressed).
    ci_high : float or None
        Upper confidence limit (None when not given or suppressed).
    se : float or None
        Standard error (None when not given or suppressed).
    n_unweighted : int, float or None
        Unweighted base (an int when integral).
    n_weighted : float or None
        Weighted base.
    flag : str
        Disclosure flags (:data:`FLAGS`) joined by ``";"``; ``""`` for none.
    column_letter : str
        The column's significance letter (``""``: none).
    sig : str
        Letters of the columns this cell is significantly higher than.
    """

    table_id: str
    row: str
    column: str
    row_label: str
    column_label: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    n_unweighted: int | float | None
    n_weighted: float | None
    flag: str = ""
    column_letter: str = ""
    sig: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the fields in :data:`CELL_FIELDS` order.

        Returns
        -------
        dict
            Field name -> value, JSON-ready.
        """
        return {k: getattr(self, k) for k in CELL_FIELDS}

    @property
    def suppressed(self) -> bool:
        """Whether disclosure control hid the value."""
        return "suppressed" in self.flag.split(";")


@dataclass
class Table:
    """A published table: its metadata and its cells, rows by columns.

    Attributes
    ----------
    id : str
        Stable identifier (lower case, ``[a-z0-9_.-]``), e.g. ``"shares.channels"``.
    chapter : str
        Notebook that produced it (``"03-headline-shares"``).
    title : dict
        ``{"zh": ..., "en": ...}``.
    unit : str
        One of :data:`UNITS`; drives display and xlsx number formats.
    rows : list of (key, label)
        Rows in display order; labels in the report language.
    columns : list of (key, label)
        Columns in display order; labels in the report language.
    cells : list of Cell
        The published numbers, rows by columns.
    notes : dict
        ``{"zh": ..., "en": ...}`` footnote (may be empty).
    headline : bool
        Shown on the index page too.
    decimals : int or None
        Display decimals (default by unit).
    language : {"zh", "en"}
        Display language of :meth:`to_html`.
    disclosure : dict
        ``{"suppress_below": ..., "flag_below": ...}`` used, for the footnotes.
    show : tuple of str or None
        Sub-columns shown on the page (``"estimate"``, ``"ci"``, ``"n"``,
        ``"sig"``); None: all that have values.
    """

    id: str
    chapter: str
    title: dict[str, str]
    unit: str
    rows: list[tuple[str, str]]
    columns: list[tuple[str, str]]
    cells: list[Cell]
    notes: dict[str, str] = field(default_factory=dict)
    headline: bool = False
    decimals: int | None = None
    language: str = "zh"
    disclosure: dict[str, int] = field(default_factory=dict)
    show: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with a fixed key order.

        Returns
        -------
        dict
            The table's metadata, rows, columns (with letters) and cells; the
            fragment format :func:`table_from_dict` reads back.
        """
        return {
            "id": self.id,
            "chapter": self.chapter,
            "title": {"zh": self.title.get("zh", ""), "en": self.title.get("en", "")},
            "unit": self.unit,
            "decimals": self.decimals,
            "headline": self.headline,
            "notes": {"zh": self.notes.get("zh", ""), "en": self.notes.get("en", "")},
            "disclosure": dict(self.disclosure),
            "show": list(self.show) if self.show is not None else None,
            "rows": [{"key": k, "label": lab} for k, lab in self.rows],
            "columns": [{"key": k, "label": lab, "letter": self.column_letters.get(k, "")}
                        for k, lab in self.columns],
            "cells": [c.to_dict() for c in self.cells],
        }

    def frame(self) -> pd.DataFrame:
        """Return the cells as a long DataFrame with :data:`CELL_FIELDS` columns.

        Returns
        -------
        pandas.DataFrame
            One row per cell, in the table's cell order.
        """
        return pd.DataFrame([c.to_dict() for c in self.cells], columns=list(CELL_FIELDS))

    @property
    def column_letters(self) -> dict[str, str]:
        """Column key -> significance letter, for columns that have one."""
        return {c.column: c.column_letter for c in self.cells if c.column_letter}

    def cell(self, row: str, column: str = "estimate") -> Cell:
        """Return the cell at ``(row, column)``.

        Parameters
        ----------
        row : str
            Row key.
        column : str, default "estimate"
            Column key.

        Returns
        -------
        Cell
            The cell.

        Raises
        ------
        KeyError
            The table has no such cell.
        """
        for c in self.cells:
            if c.row == row and c.column == column:
                return c
        raise KeyError(f"table {self.id!r} has no cell ({row!r}, {column!r})")

    # -- display -----------------------------------------------------------------------
    def to_html(self, language: str | None = None) -> str:
        """Render an HTML table; every shown estimate carries ``data-finding="<table>/<row>/<column>"``.

        The browser test reads these attributes to check the page against
        ``findings.json``.

        Parameters
        ----------
        language : {"zh", "en"}, optional
            Language of headers and footnotes (default: the table's).

        Returns
        -------
        str
            The ``<table>`` element, followed by a footnote paragraph when the
            table has notes, flagged cells or significance letters.
        """
        lang = check_language(language or self.language)
        by_key = {(c.row, c.column): c for c in self.cells}
        fields = self._fields()
        letters = self.column_letters
        esc = html.escape
        heads = "".join(f"<th>{esc(t(f'table.{f}', lang))}</th>" for f in fields)
        out = [f'<table class="gs-table" data-table="{esc(self.id)}">',
               f'<caption>{esc(pick(self.title, lang))}</caption><thead>']
        if len(self.columns) > 1:
            out.append(f'<tr><th rowspan="{2 if len(fields) > 1 else 1}">'
                       f'{esc(t("table.row", lang))}</th>')
            out += [f'<th colspan="{len(fields)}">{esc(column_header(lab, letters.get(k, "")))}'
                    "</th>" for k, lab in self.columns]
            out.append("</tr>")
            if len(fields) > 1:
                out.append("<tr>" + heads * len(self.columns) + "</tr>")
        else:
            out.append(f'<tr><th>{esc(t("table.row", lang))}</th>{heads}</tr>')
        out.append("</thead><tbody>")
        for row, label in self.rows:
            out.append(f'<tr><th scope="row">{esc(label)}</th>')
            for col, _ in self.columns:
                c = by_key.get((row, col))
                out.append(self._cell_html(c, fields) if c is not None
                           else "<td></td>" * len(fields))
            out.append("</tr>")
        out.append("</tbody></table>")
        foot = self._footnotes(lang)
        if foot:
            out.append(f'<p class="gs-note">{esc(foot)}</p>')
        return "".join(out)

    def _fields(self) -> list[str]:
        """Sub-columns shown: the estimate, plus CI, base and letters when any cell has them."""
        fields = ["estimate"]
        if any(c.ci_low is not None for c in self.cells):
            fields.append("ci")
        if any(c.n_unweighted is not None for c in self.cells):
            fields.append("n")
        if any(c.sig or c.column_letter for c in self.cells):
            fields.append("sig")
        return [f for f in fields if self.show is None or f in self.show]

    def _cell_html(self, c: Cell, fields: Sequence[str]) -> str:
        mark = "*" if "low_base" in c.flag.split(";") else ""
        value = format_value(c.estimate, self.unit, self.decimals)
        attr = html.escape(f"{self.id}/{c.row}/{c.column}")
        parts = {"estimate": f'<td class="gs-est"><span data-finding="{attr}">{value}</span>'
                             f"{mark}</td>",
                 "ci": f"<td>{format_ci(c.ci_low, c.ci_high, self.unit, self.decimals)}</td>",
                 "n": f'<td class="gs-n">{format_count(c.n_unweighted)}</td>',
                 "sig": f'<td class="gs-sig">{html.escape(c.sig)}</td>'}
        return "".join(parts[f] for f in fields)

    def _footnotes(self, lang: str) -> str:
        flags = {f for c in self.cells for f in c.flag.split(";") if f}
        notes = [pick(self.notes, lang)] if pick(self.notes, lang) else []
        limits = {"suppress": self.disclosure.get("suppress_below", 30),
                  "flag": self.disclosure.get("flag_below", 50)}
        notes += [t(f"flag.{f}", lang, **limits) for f in FLAGS if f in flags]
        if self.column_letters:
            notes.append(t("flag.sig", lang))
        return "  ".join(notes)

    def _repr_html_(self) -> str:
        return self.to_html()


def table_from_dict(d: Mapping[str, Any], language: str = "zh") -> Table:
    """Rebuild a :class:`Table` from :meth:`Table.to_dict` output (a fragment).

    Parameters
    ----------
    d : mapping
        One table of a fragment, as written by :meth:`Table.to_dict`.
    language : {"zh", "en"}, default "zh"
        Display language of the rebuilt table.

    Returns
    -------
    Table
        The table, its cells rebuilt as :class:`Cell`.
    """
    return Table(
        id=d["id"], chapter=d["chapter"], title=dict(d["title"]), unit=d["unit"],
        rows=[(r["key"], r["label"]) for r in d["rows"]],
        columns=[(c["key"], c["label"]) for c in d["columns"]],
        cells=[Cell(**c) for c in d["cells"]], notes=dict(d.get("notes") or {}),
        headline=bool(d.get("headline", False)), decimals=d.get("decimals"), language=language,
        disclosure=dict(d.get("disclosure") or {}),
        show=tuple(d["show"]) if d.get("show") is not None else None)
