"""Collect the tables a report publishes, with disclosure control applied once.

Each notebook creates a :class:`Findings` collector, adds the estimates it
shows (``findings.add("shares.channels", result, ...)``) and displays them;
:meth:`Findings.save` writes a fragment ``<output_dir>/findings/<chapter>.json``
because every notebook runs in its own kernel.  After the last notebook,
:func:`analysis.report.export.merge_findings` joins the fragments and the writers in
:mod:`analysis.report.export` produce ``findings.json``, ``findings.csv`` and
``findings.xlsx``.

Every published number is one :class:`Cell` of a :class:`Table`: a row
(an option, a group, a model term) by a column (``"estimate"``, or
``"weighted"`` / ``"unweighted"``, or a subgroup), with its CI, SE,
unweighted and weighted base and flags (both defined in
:mod:`analysis.report.tables`, re-exported here).  Tables of subgroups may carry
significance letters in the column-letter convention of Q / Displayr and SPSS
Custom Tables: each column has a letter, shown in its header (``"一线城市 (A)"``),
and a cell's ``sig`` lists the letters of the columns it is significantly
higher than.  Disclosure control runs in
:meth:`Findings.add`, so no suppressed value ever reaches a writer or a page:

* ``n_unweighted < suppress_below`` (default 30): estimate, CI and SE become
  missing and the cell is flagged ``suppressed``;
* ``n_unweighted < flag_below`` (default 50): the cell is flagged
  ``low_base`` and shown with ``*``.

The thresholds come from the wave's codebook (``disclosure:`` in
``survey.yaml``).
"""

from __future__ import annotations

import html
import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import Disclosure
from ..errors import DisclosureWarning, ReportError
from .i18n import check_language, format_value, pick, t
from .tables import (
    CELL_FIELDS,
    FLAGS,
    UNITS,
    Cell,
    Table,
    column_header,
    count_value,
    round_value,
    table_from_dict,
)

__all__ = [
    "CELL_FIELDS",
    "FLAGS",
    "column_header",
    "UNITS",
    "Cell",
    "Table",
    "Findings",
    "disclosure_dict",
    "round_value",
    "table_from_dict",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9_.\-]*$")
_LETTER = re.compile(r"^[A-Z]$")


def _key(value: Any, what: str, table_id: str) -> str:
    if isinstance(value, tuple):
        key = "|".join(_key(v, what, table_id) for v in value)
    elif isinstance(value, (float, np.floating)) and float(value).is_integer():
        key = str(int(value)) if abs(float(value)) >= 1 else f"{float(value):g}"
    elif isinstance(value, (float, np.floating)):
        key = f"{float(value):g}"
    else:
        key = str(value)
    if "/" in key or not key:
        raise ReportError(f"{what} key {key!r} of table {table_id!r} is empty or contains '/'",
                          hint=f"rename the {what} (keys appear in data-finding='table/row/column')")
    return key


def _as_frame(data: Any, table_id: str, value: str = "estimate") -> pd.DataFrame:
    """A frame with ``estimate`` (+ ``ci_low, ci_high, se, n_unweighted, n_weighted``)."""
    if hasattr(data, "summary_frame"):
        frame = data.summary_frame().copy()
        for attr in ("n_unweighted", "n_weighted"):
            extra = getattr(data, attr, None)
            if attr not in frame.columns and isinstance(extra, pd.Series):
                frame[attr] = extra.reindex(frame.index).to_numpy(dtype=float)
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
    elif isinstance(data, pd.Series):
        frame = data.to_frame("estimate")
    else:
        raise TypeError(f"table {table_id!r}: data must be a result with .summary_frame(), a "
                        f"DataFrame or a Series, not {type(data).__name__}")
    if value != "estimate" and value in frame.columns:
        frame = frame.drop(columns="estimate", errors="ignore").rename(columns={value: "estimate"})
    if "n_unweighted" not in frame.columns and "n" in frame.columns:
        frame = frame.rename(columns={"n": "n_unweighted"})  # a hand-made frame's base
    if "estimate" not in frame.columns:
        raise ReportError(f"table {table_id!r} has no 'estimate' column",
                          hint=f"columns are {list(frame.columns)}; rename the value column "
                               "to 'estimate'")
    return frame


def _lookup(spec: Any, row: Any, column: str) -> Any:
    """Value of a per-cell option given as scalar, Series (by row), DataFrame or mapping."""
    if spec is None:
        return None
    if isinstance(spec, pd.DataFrame):
        return spec.at[row, column] if row in spec.index and column in spec.columns else None
    if isinstance(spec, pd.Series):
        return spec.get(row)
    if isinstance(spec, Mapping):
        if column in spec:
            return _lookup(spec[column], row, column)
        return spec.get(row)
    return spec


def _column_letter(spec: Any, frame: pd.DataFrame, column: Any, table_id: str) -> str:
    """The significance letter of one table column (``""`` when the table has none)."""
    if spec is None:
        return ""
    if isinstance(spec, str):
        if spec not in frame.columns:
            raise ReportError(f"table {table_id!r}: column_letters names {spec!r}, which is not a "
                              f"column of the data", hint=f"columns are {list(frame.columns)}")
        values = frame[spec].dropna().unique()
        if len(values) != 1:
            raise ReportError(f"table {table_id!r}: column {column!r} has letters "
                              f"{sorted(map(str, values))} in {spec!r}; each column needs one",
                              hint="give every row of a column the same column letter")
        value = values[0]
    elif isinstance(spec, Mapping):
        value = spec.get(column)
        if value is None:
            raise ReportError(f"table {table_id!r}: column_letters has no letter for column "
                              f"{column!r}", hint="give every column of the table a letter")
    else:
        raise TypeError(f"table {table_id!r}: column_letters must be a column name or a mapping, "
                        f"not {type(spec).__name__}")
    return str(value)


def _check_letters(table: Table) -> None:
    """Column letters are single distinct capitals; each cell's letters name other columns."""
    letters = {c.column: c.column_letter for c in table.cells}
    given = [x for x in dict.fromkeys(letters.values()) if x]
    if not given:
        bad = next((c for c in table.cells if c.sig), None)
        if bad is not None:
            raise ReportError(f"table {table.id!r} has significance letters ({bad.sig!r} at "
                              f"{bad.row!r}/{bad.column!r}) but its columns have no letters",
                              hint="pass column_letters= (e.g. 'column_letter' for the prevalence "
                                   "of subgroup_differences)")
        return
    wrong = [x for x in given if not _LETTER.match(x)]
    if wrong:
        raise ReportError(f"table {table.id!r}: column letters must be one capital A-Z, got {wrong}",
                          hint="letter the columns A, B, C, ... in order")
    if "" in letters.values() or len(set(letters.values())) != len(letters):
        raise ReportError(f"table {table.id!r}: every column needs its own letter, got {letters}",
                          hint="letter the columns A, B, C, ... in order")
    for c in table.cells:
        unknown = [x for x in c.sig if x not in given or x == c.column_letter]
        if unknown:
            raise ReportError(f"table {table.id!r}, cell {c.row!r}/{c.column!r}: sig {c.sig!r} "
                              f"names {unknown}, not another column's letter ({letters})",
                              hint="sig lists the letters of the columns the cell is "
                                   "significantly higher than")


def _label(labels: Any, key: Any, language: str, default: str) -> str:
    if labels is None:
        return default
    if isinstance(labels, (pd.Series, Mapping)):
        value = labels.get(key)
        if value is None and not isinstance(key, str):
            value = labels.get(str(key))
        return default if value is None else pick(value, language)
    return default


class Findings:
    """The tables one notebook publishes, persisted as a fragment for the merge.

    Parameters
    ----------
    output_dir : str or Path
        The report folder (``reports/<wave>``); fragments go to its
        ``findings/`` subfolder and figures to ``figures/``.
    chapter : str
        Notebook stem, e.g. ``"03-headline-shares"``.
    language : {"zh", "en"}
        Language of row/column labels and displayed text.
    disclosure : Disclosure, optional
        Thresholds (default: suppress below 30, flag below 50).
    warn : bool, default False
        Emit a :class:`DisclosureWarning` for each table with suppressed cells
        (off by default in reports, whose tables already show the flags).
    autosave : bool, default False
        Write the fragment after every table and figure, so a notebook needs
        no closing ``save()`` call.
    figure_formats : sequence of {"png", "svg", "pdf"}, default ("png", "svg")
        File formats :meth:`figure` writes unless told otherwise.
    """

    def __init__(self, output_dir: str | Path, chapter: str, language: str = "zh",
                 disclosure: Disclosure | None = None, *, warn: bool = False,
                 autosave: bool = False,
                 figure_formats: Sequence[str] = ("png", "svg")) -> None:
        self.output_dir = Path(output_dir)
        self.chapter = chapter
        self.language = check_language(language)
        self.disclosure = disclosure or Disclosure()
        if not self.disclosure.flag_below >= self.disclosure.suppress_below >= 0:
            raise ReportError("disclosure thresholds must satisfy flag_below >= suppress_below >= 0",
                              hint="fix `disclosure:` in survey.yaml")
        self.warn = warn
        self.autosave = autosave
        self.figure_formats = tuple(figure_formats)
        self.tables: list[Table] = []
        self.figures: list[dict[str, Any]] = []
        # Each table's JSON, written once: autosave rewrites the fragment after every table,
        # and re-encoding every earlier table each time made a chapter's saves quadratic.
        self._table_json: dict[int, tuple[Table, str]] = {}

    def __len__(self) -> int:
        return len(self.tables)

    def __getitem__(self, table_id: str) -> Table:
        for tab in self.tables:
            if tab.id == table_id:
                return tab
        raise KeyError(f"no table {table_id!r}; tables are {[x.id for x in self.tables]}")

    def add(self, table_id: str, data: Any, *, title: Any, unit: str = "share",
            row_labels: Any = None, column_labels: Any = None, n_weighted: Any = None,
            n_unweighted: Any = None, sig: Any = None, column_letters: Any = None,
            notes: Any = None,
            headline: bool = False, decimals: int | None = None,
            rows: Sequence[Any] | None = None, index: str | None = None,
            split: str | None = None, value: str = "estimate",
            show: Sequence[str] | None = None) -> Table:
        """Add a table, applying disclosure control.

        Parameters
        ----------
        table_id : str
            Stable id, unique in the report (``[a-z0-9_.-]``).
        data : result, DataFrame, Series or mapping of them
            A result object (``.summary_frame()`` with ``estimate, se, ci_low,
            ci_high``; ``.n_unweighted`` is read if present) or a frame with an
            ``estimate`` column; a mapping ``{column key: data}`` gives several
            columns side by side (e.g. ``{"weighted": r1, "unweighted": r0}``).
            A single object gives the one column ``"estimate"``.
        title : str, mapping or Label
            Bilingual title (``{"zh": ..., "en": ...}``).
        unit : {"share", "percent", "points", "number", "ratio", "count"}
            ``points``: a difference of proportions, shown in percentage points.
        row_labels, column_labels : mapping, optional
            Key -> label (str, ``{"zh","en"}`` or Label); default: the key.
            ``column_labels`` defaults to catalogue labels for ``weighted``,
            ``unweighted`` and ``estimate``.
        n_weighted, n_unweighted : scalar, Series, DataFrame or mapping, optional
            Bases, when not columns of ``data`` (Series by row; a mapping by
            column key; a DataFrame rows x columns).
        sig : str, Series, DataFrame or mapping, optional
            Significance letters per cell: the ``column_letters`` of the
            columns in the same row that the cell is significantly higher
            than (``""``: none).  A string names a column of ``data``.
        column_letters : str or mapping, optional
            Each column's letter (one of ``A``-``Z``), shown in its header as
            ``"label (A)"``: a mapping column key -> letter, or the name of a
            column of ``data`` constant within each column (with ``split``).
            Required when ``sig`` is given.
        notes : str or mapping, optional
            Footnote.
        headline : bool
            Also show the table on the index page.
        decimals : int, optional
            Display decimals.
        rows : sequence, optional
            Keep and order only these rows.
        index : str, optional
            Column of ``data`` holding the row keys (e.g. ``"value"`` of a
            demand curve); default: the index.
        split : str, optional
            For a long DataFrame: the column whose values become the table's
            columns (e.g. ``"group"`` of subgroup prevalence).
        value : str
            Column holding the estimate (e.g. ``"share"`` of a key-driver table).
        show : sequence of {"estimate", "ci", "n", "sig"}, optional
            Sub-columns shown on the page (default: all that have values);
            the exports always hold every field.

        Returns
        -------
        Table
            The table as published (suppressed values already removed); it
            is also kept in :attr:`tables`.

        Raises
        ------
        ReportError
            Bad id or unit; ``sig`` without ``column_letters``; letters that
            are not single capitals, repeat across columns, or name no other
            column of the table.

        Notes
        -----
        For :meth:`analysis.SurveyDesign.subgroup_differences` pass its
        ``prevalence`` with ``split="group", sig="sig",
        column_letters="column_letter"``.  A column ``n`` is read as
        ``n_unweighted``.  A suppressed cell shows no letters.
        """
        if not isinstance(table_id, str) or not _ID.match(table_id):
            raise ReportError(f"table id {table_id!r} must be lower case letters, digits, '_', "
                              "'.' or '-'", hint="use ids like 'shares.channels'")
        if any(tab.id == table_id for tab in self.tables):
            raise ReportError(f"table {table_id!r} was added twice in chapter {self.chapter!r}",
                              hint="give each table a unique id")
        if unit not in UNITS:
            raise ReportError(f"`unit` must be one of {list(UNITS)}, not {unit!r}",
                              hint="use 'share' for proportions in [0, 1]")
        if split is not None and isinstance(data, pd.DataFrame):
            parts = {k: g.drop(columns=split) for k, g in data.groupby(split, sort=False)}
        else:
            parts = dict(data) if isinstance(data, Mapping) else {"estimate": data}
        lang = self.language
        default_cols = {k: t(f"table.{k}", lang) for k in ("weighted", "unweighted", "estimate")}
        columns: list[tuple[str, str]] = []
        row_order: list[Any] = []
        cells: dict[tuple[str, str], Cell] = {}
        for col, part in parts.items():
            ckey = _key(col, "column", table_id)
            columns.append((ckey, _label(column_labels, col, lang, default_cols.get(ckey, ckey))))
            frame = _as_frame(part, table_id, value)
            letter = _column_letter(column_letters, frame, col, table_id)
            if index is not None and index in frame.columns:
                frame = frame.set_index(index)
            keys = list(frame.index) if rows is None else [r for r in rows if r in frame.index]
            for r in keys:
                if r not in row_order:
                    row_order.append(r)
                rec = frame.loc[r]
                n = rec.get("n_unweighted")
                n = _lookup(n_unweighted, r, col) if n is None or pd.isna(n) else n
                nw = rec.get("n_weighted")
                nw = _lookup(n_weighted, r, col) if nw is None or pd.isna(nw) else nw
                letters = rec.get(sig) if isinstance(sig, str) else _lookup(sig, r, col)
                cells[(_key(r, "row", table_id), ckey)] = self._cell(
                    table_id, r, ckey, rec, n, nw, letter, letters, row_labels,
                    columns[-1][1])
        title_d = self._bilingual(title)
        table = Table(id=table_id, chapter=self.chapter, title=title_d, unit=unit,
                      rows=[(_key(r, "row", table_id), _label(row_labels, r, lang, str(r)))
                            for r in row_order],
                      columns=columns,
                      cells=[cells[(rk, ck)] for rk in (_key(r, "row", table_id) for r in row_order)
                             for ck, _ in columns if (rk, ck) in cells],
                      notes=self._bilingual(notes) if notes is not None else {},
                      headline=headline, decimals=decimals, language=lang,
                      disclosure=disclosure_dict(self.disclosure),
                      show=tuple(show) if show is not None else None)
        _check_letters(table)
        n_sup = sum(c.suppressed for c in table.cells)
        if n_sup and self.warn:
            warnings.warn(f"table {table_id!r}: {n_sup} cell(s) suppressed (unweighted base below "
                          f"{self.disclosure.suppress_below})", DisclosureWarning, stacklevel=2)
        self.tables.append(table)
        if self.autosave:
            self.save()
        return table

    def _cell(self, table_id: str, row: Any, column: str, rec: pd.Series, n: Any, nw: Any,
              letter: str, sig: Any, row_labels: Any, column_label: str) -> Cell:
        n_val = count_value(n)
        flags = []
        values = {k: round_value(rec.get(k)) for k in ("estimate", "ci_low", "ci_high", "se")}
        if n_val is not None and n_val < self.disclosure.suppress_below:
            flags.append("suppressed")
            values = dict.fromkeys(values)
            sig = None  # no claim about a value that is not shown
        elif n_val is not None and n_val < self.disclosure.flag_below:
            flags.append("low_base")
        return Cell(table_id=table_id, row=_key(row, "row", table_id), column=column,
                    row_label=_label(row_labels, row, self.language, str(row)),
                    column_label=column_label, **values, n_unweighted=n_val,
                    n_weighted=round_value(nw), flag=";".join(flags), column_letter=letter,
                    sig="" if sig is None or (isinstance(sig, float) and math.isnan(sig))
                    else str(sig))

    @staticmethod
    def _bilingual(value: Any) -> dict[str, str]:
        return {"zh": pick(value, "zh"), "en": pick(value, "en")}

    def show(self, table_id: str) -> Table:
        """Return the table, for ``display()`` (renders as HTML with data-finding marks).

        Parameters
        ----------
        table_id : str
            Id of a table added to this collector.

        Returns
        -------
        Table
            The table.

        Raises
        ------
        KeyError
            No table has that id.
        """
        return self[table_id]

    def value(self, table_id: str, row: Any, column: str = "estimate") -> str:
        """Return one formatted estimate wrapped in a ``data-finding`` span, for prose.

        The returned HTML string can be embedded in a Markdown paragraph so
        the browser test can check numbers quoted in the text too.

        Parameters
        ----------
        table_id : str
            Id of a table added to this collector.
        row : scalar or tuple
            Row key, as given to :meth:`add` (normalised the same way).
        column : str, default "estimate"
            Column key.

        Returns
        -------
        str
            ``<span data-finding="table/row/column">value</span>``.

        Raises
        ------
        KeyError
            No such table or cell.
        """
        tab = self[table_id]
        c = tab.cell(_key(row, "row", table_id), column)
        attr = html.escape(f"{tab.id}/{c.row}/{c.column}")
        return f'<span data-finding="{attr}">{format_value(c.estimate, tab.unit, tab.decimals)}</span>'

    def figure(self, fig: Any, figure_id: str, *, title: Any = None,
               formats: Sequence[str] | None = None) -> Any:
        """Save a matplotlib figure under ``figures/`` and return an image to display.

        The figure is closed afterwards so the notebook does not display it a
        second time; the returned :class:`IPython.display.Image` holds the
        saved PNG, which nbconvert embeds in the HTML page.

        Parameters
        ----------
        fig : matplotlib.figure.Figure
            The figure.
        figure_id : str
            Stable id (``[a-z0-9_.-]``), the file stem under ``figures/``.
        title : str, mapping or Label, optional
            Bilingual title recorded in the fragment.
        formats : sequence of str, optional
            File formats written (default :attr:`figure_formats`).

        Returns
        -------
        IPython.display.Image or None
            The saved PNG at display size, or None when no PNG was written.

        Raises
        ------
        ReportError
            ``figure_id`` is not a valid id.
        """
        from IPython.display import Image

        from .plots import save_figure

        if not _ID.match(figure_id):
            raise ReportError(f"figure id {figure_id!r} must be lower case letters, digits, "
                              "'_', '.' or '-'", hint="use ids like 'shares-channels'")
        paths = save_figure(fig, self.output_dir / "figures", figure_id,
                            formats=self.figure_formats if formats is None else formats)
        self.figures.append({"id": figure_id, "chapter": self.chapter,
                             "title": self._bilingual(title),
                             "files": [f"figures/{p.name}" for p in paths]})
        if self.autosave:
            self.save()
        import matplotlib.pyplot as plt

        plt.close(fig)
        png = next((p for p in paths if p.suffix == ".png"), None)
        if png is None:
            return None
        # Saved at 150 dpi, shown at 100 dpi: sharp on high-density screens, sensible size.
        width = int.from_bytes(png.read_bytes()[16:20], "big")
        return Image(filename=str(png), width=round(width * 2 / 3))

    def to_dict(self) -> dict[str, Any]:
        """Return the fragment: chapter, language, disclosure, tables and figures.

        Returns
        -------
        dict
            JSON-ready; :func:`analysis.report.export.merge_findings` reads it.
        """
        return {"chapter": self.chapter, "language": self.language,
                "disclosure": disclosure_dict(self.disclosure),
                "tables": [tab.to_dict() for tab in self.tables], "figures": list(self.figures)}

    def save(self) -> Path:
        """Write ``<output_dir>/findings/<chapter>.json`` and return its path.

        Returns
        -------
        pathlib.Path
            The fragment's path (folders created as needed).
        """
        folder = self.output_dir / "findings"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.chapter}.json"
        path.write_text(self._json() + "\n", encoding="utf-8")
        return path

    def _json(self) -> str:
        """``json.dumps(self.to_dict(), indent=1)``, each table encoded once (tables are final once added)."""
        def dumps(value: Any) -> str:
            return json.dumps(value, ensure_ascii=False, indent=1, allow_nan=False)

        def nested(text: str, depth: int) -> str:  # the lines of a value nested ``depth`` deep
            return text.replace("\n", "\n" + " " * depth)

        tables = []
        for tab in self.tables:
            cached = self._table_json.get(id(tab))
            if cached is None or cached[0] is not tab:
                cached = self._table_json[id(tab)] = (tab, "  " + nested(dumps(tab.to_dict()), 2))
            tables.append(cached[1])
        parts = {"chapter": self.chapter, "language": self.language,  # to_dict's keys, in order
                 "disclosure": disclosure_dict(self.disclosure), "tables": None,
                 "figures": list(self.figures)}
        items = [f" {json.dumps(key)}: " + (("[\n" + ",\n".join(tables) + "\n ]" if tables else "[]")
                                           if key == "tables" else nested(dumps(value), 1))
                 for key, value in parts.items()]
        return "{\n" + ",\n".join(items) + "\n}"


def disclosure_dict(d: Disclosure) -> dict[str, int]:
    """Return the disclosure thresholds as a plain dict in a fixed order.

    Parameters
    ----------
    d : Disclosure
        The thresholds.

    Returns
    -------
    dict
        ``{"suppress_below": int, "flag_below": int}``.
    """
    return {"suppress_below": int(d.suppress_below), "flag_below": int(d.flag_below)}
