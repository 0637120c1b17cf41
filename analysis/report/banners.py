"""Banner sheets of ``findings.xlsx``: questions down, subgroups across.

Market-research readers (Q, SPSS Custom Tables, the agencies' Excel decks)
read cross-tabulations as *banners*: one sheet per set of subgroup columns
(the banner), every question stacked down the rows, and under each subgroup
column four sub-columns: the estimate, its 95% confidence interval, the
unweighted base and the significance letters.  Each column has a letter in
its header (``"男 (A)"``) and a cell lists the letters of the columns it is
significantly higher than: the column-letter convention of
:mod:`analysis.report.findings`.

A table goes on a banner sheet when it carries column letters (a subgroup
table); tables with exactly the same columns (keys and labels, in order) share
a sheet, in the order they first appear.  The long per-table sheets and
findings.csv keep every field (SE, weighted base, flags); the banner shows
what a reader scans.  Suppressed cells show no estimate, CI or letters (their
base is shown); low-base estimates are italic, as a legend line says.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .findings import Cell, Table, column_header
from .i18n import format_ci, pick, t

__all__ = ["BANNER_FIELDS", "BANNER_NOTE", "Banner", "banners", "banner_sheet_names",
           "write_banner_sheets"]

#: Sub-columns under each subgroup column of a banner sheet, in order.
BANNER_FIELDS: tuple[str, ...] = ("estimate", "ci", "n", "sig")
#: What the notes sheet of findings.xlsx says about the banner sheets.
BANNER_NOTE = ("sheets B01, B02, ...: the tables with significance letters, one sheet per set of "
               "subgroup columns; questions down (column A: table_id, B: row), subgroups across; "
               "under each subgroup: estimate, 95% CI, unweighted base, and the letters of the "
               "columns it is significantly higher than")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\']")
_LOW_BASE = {"zh": "斜体：未加权样本量少于 {flag} 人，结果仅供参考；空白：少于 {suppress} 人，不予显示",
             "en": "Italic: unweighted base below {flag}, treat as indicative; blank: base below "
                   "{suppress}, not shown"}
_QUESTION = {"zh": "问题", "en": "Question"}


@dataclass(frozen=True)
class Banner:
    """One banner: the shared subgroup columns and the tables shown against them.

    Attributes
    ----------
    columns : tuple of (str, str, str)
        The subgroup columns as ``(key, label, letter)``.
    tables : tuple of Table
        The tables that share these columns, in report order.
    """

    columns: tuple[tuple[str, str, str], ...]  # (key, label, letter)
    tables: tuple[Table, ...]

    @property
    def n_cells(self) -> int:
        """Cells of all its tables."""
        return sum(len(tab.cells) for tab in self.tables)

    def titles(self) -> tuple[str, str]:
        """Contents-sheet description in Chinese and English.

        Returns
        -------
        tuple of str
            ``(zh, en)`` descriptions naming the columns and the number of tables.
        """
        heads = " | ".join(column_header(label, letter) for _, label, letter in self.columns)
        return (f"横幅：{heads}（{len(self.tables)} 个表格）",
                f"banner: {heads} ({len(self.tables)} table(s))")


def banners(tables: Sequence[Table]) -> list[Banner]:
    """Group the tables that have column letters by their columns, in order of appearance.

    Parameters
    ----------
    tables : sequence of Table
        All tables of the report.

    Returns
    -------
    list of Banner
        One banner per distinct set of lettered columns.
    """
    groups: dict[tuple[tuple[str, str, str], ...], list[Table]] = {}
    for tab in tables:
        letters = tab.column_letters
        if not letters:
            continue
        key = tuple((k, label, letters.get(k, "")) for k, label in tab.columns)
        groups.setdefault(key, []).append(tab)
    return [Banner(columns=k, tables=tuple(v)) for k, v in groups.items()]


def banner_sheet_names(groups: Sequence[Banner], taken: Sequence[str] = ()) -> list[str]:
    """Sheet names ``"B01 男·女"`` (31 characters at most, unique, legal in Excel).

    Parameters
    ----------
    groups : sequence of Banner
        The banners, in sheet order.
    taken : sequence of str
        Sheet names already used in the workbook (compared case-insensitively).

    Returns
    -------
    list of str
        One sheet name per banner.
    """
    names: list[str] = []
    used = {n.lower() for n in taken}
    for i, b in enumerate(groups, start=1):
        base = _SHEET_BAD.sub("_", f"B{i:02d} " + "·".join(label for _, label, _ in b.columns))
        name = base[:31].rstrip()
        # The numbered prefix keeps names unique unless truncation collides with a table sheet.
        while name.lower() in used:
            name = name[:29] + "_" + str(len(used) % 10)
        used.add(name.lower())
        names.append(name)
    return names


def write_banner_sheets(wb: Any, tables: Sequence[Table], *, language: str, synthetic: bool,
                        formats: dict[str, Any], taken: Sequence[str] = (),
                        ) -> list[tuple[str, Banner]]:
    """Add one banner sheet per :func:`banners` group to an open xlsxwriter workbook.

    Parameters
    ----------
    wb : xlsxwriter.Workbook
        The open workbook the sheets are added to.
    tables : sequence of Table
        All tables of the report; those without column letters are skipped.
    language : {"zh", "en"}
        Language of headers and legends (labels are already in the report language).
    synthetic : bool
        Write the synthetic-data warning on every sheet.
    formats : dict
        Workbook formats by name: ``title``, ``head``, ``warn``, ``wrap``,
        ``bold`` and ``unit:<unit>`` (number format of each table unit).
    taken : sequence of str
        Sheet names already used in the workbook.

    Returns
    -------
    list of (str, Banner)
        The sheets written, in order, with what each shows.
    """
    groups = banners(tables)
    names = banner_sheet_names(groups, taken)
    italic_cache: dict[str, Any] = {}

    def italic(unit: str) -> Any:
        if unit not in italic_cache:
            italic_cache[unit] = wb.add_format({"italic": True, "font_color": "#7F7F7F",
                                                "num_format": formats[f"unit:{unit}"].num_format})
        return italic_cache[unit]

    sub = [t("table.estimate", language), t("table.ci", language), t("table.n", language),
           t("table.sig", language)]
    for name, group in zip(names, groups):
        ws = wb.add_worksheet(name)
        heads = [column_header(label, letter) for _, label, letter in group.columns]
        ws.write(0, 0, " | ".join(heads), formats["title"])
        r = 1
        if synthetic:
            ws.write(r, 0, t("report.synthetic", language), formats["warn"])
            r += 1
        limits = group.tables[0].disclosure or {}
        ws.write(r, 0, t("flag.sig", language))
        ws.write(r + 1, 0, pick(_LOW_BASE, language).format(
            flag=limits.get("flag_below", 50), suppress=limits.get("suppress_below", 30)))
        r += 3
        ws.write(r, 0, pick(_QUESTION, language), formats["head"])
        ws.write(r, 1, t("table.row", language), formats["head"])
        for j, head in enumerate(heads):
            c0 = 2 + j * len(BANNER_FIELDS)
            ws.merge_range(r, c0, r, c0 + len(BANNER_FIELDS) - 1, head, formats["head"])
            ws.write_row(r + 1, c0, sub, formats["head"])
        ws.write(r + 1, 0, "table_id", formats["head"])
        ws.write_blank(r + 1, 1, None, formats["head"])
        r += 2
        first_body = r
        for tab in group.tables:
            ws.write(r, 0, pick(tab.title, language), formats["bold"])
            ws.write(r, 1, tab.id)
            r += 1
            by_key = {(c.row, c.column): c for c in tab.cells}
            for row_key, row_label in tab.rows:
                ws.write(r, 0, tab.id)
                ws.write(r, 1, row_label)
                for j, (col_key, _, _) in enumerate(group.columns):
                    cell = by_key.get((row_key, col_key))
                    if cell is not None:
                        _write_cell(ws, r, 2 + j * len(BANNER_FIELDS), cell, tab,
                                    formats[f"unit:{tab.unit}"], italic(tab.unit))
                r += 1
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 24)
        ws.set_column(2, 1 + len(BANNER_FIELDS) * len(group.columns), 11)
        ws.freeze_panes(first_body, 2)
    return list(zip(names, groups))


def _write_cell(ws: Any, r: int, c0: int, cell: Cell, tab: Table, value_fmt: Any,
                low_fmt: Any) -> None:
    """Estimate, CI text, unweighted base and letters of one cell (blank when suppressed)."""
    low = "low_base" in cell.flag.split(";")
    if cell.estimate is None:
        ws.write_blank(r, c0, None)
    else:
        ws.write_number(r, c0, cell.estimate, low_fmt if low else value_fmt)
    ws.write_string(r, c0 + 1, format_ci(cell.ci_low, cell.ci_high, tab.unit, tab.decimals))
    if cell.n_unweighted is None:
        ws.write_blank(r, c0 + 2, None)
    else:
        ws.write_number(r, c0 + 2, cell.n_unweighted)
    ws.write_string(r, c0 + 3, cell.sig)
