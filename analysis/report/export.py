"""Write the report's findings for stakeholders and dashboards, and guard outputs for PII.

:func:`merge_findings` joins the per-notebook fragments
(``<output_dir>/findings/*.json``, written by :class:`analysis.report.findings.Findings`)
into a :class:`FindingsSet`; :func:`export_findings` writes

``findings.json``
    ``{"schema": "greensurvey.findings", "schema_version": 3, "wave", "title",
    "synthetic", "language", "disclosure", "fields", "tables", "figures"}``;
    each table has ``id, chapter, title{zh,en}, unit, decimals, headline,
    notes{zh,en}, disclosure, rows[{key,label}], columns[{key,label,letter}],
    cells``.  ``letter`` is the column's significance letter (shown in its
    header as ``"label (A)"``) and a cell's ``sig`` lists the letters of the
    columns it is significantly higher than.
``findings.csv``
    The cells of every table in the long format :data:`analysis.report.findings.CELL_FIELDS`:
    ``table_id, row, column, row_label, column_label, estimate, ci_low, ci_high,
    se, n_unweighted, n_weighted, flag, column_letter, sig``, then :data:`CSV_FILE_FIELDS`
    ``wave, wave_title, synthetic`` on every line (a file passed on alone still says
    what it is).  UTF-8 with BOM so Excel shows Chinese; empty = missing or suppressed.
``findings.xlsx``
    A contents sheet, a notes sheet (disclosure rules, flags, schema), one
    banner sheet per set of subgroup columns (:mod:`analysis.report.banners`:
    questions down, subgroups across, estimate / CI / base / letters under each
    subgroup) and one formatted long sheet per table, readable without Python.

Outputs are deterministic: tables in chapter order, floats rounded to 10
significant digits, fixed key order, no timestamps, fixed workbook metadata.

:func:`scan_outputs` (from :mod:`analysis.report.scan`) scans every file of a
report folder for personal data (:mod:`analysis.pii`) and respondent
identifiers, raising :class:`~analysis.errors.ReportError` naming the file and
what was found.

The HTML pages are rendered by :mod:`analysis.report.pages`; the methods
appendix helpers (:func:`provenance`, :func:`questions_table`, ...) live here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..codebook import Disclosure
from ..errors import ReportError
from .banners import BANNER_NOTE, write_banner_sheets
from .findings import (
    CELL_FIELDS,
    Table,
    column_header,
    disclosure_dict,
    table_from_dict,
)
from .i18n import check_language, pick, t
from .scan import scan_outputs

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "FIELD_DOCS",
    "CSV_FILE_FIELDS",
    "FindingsSet",
    "merge_findings",
    "write_json",
    "write_csv",
    "write_xlsx",
    "export_findings",
    "scan_outputs",
    "git_commit",
    "provenance",
    "questions_table",
    "targets_table",
    "provenance_table",
]

SCHEMA = "greensurvey.findings"
# 2: column_letter field, sig in the column-letter convention; 3: findings.csv carries
# wave, wave_title and synthetic on every line, findings.xlsx has banner sheets.
SCHEMA_VERSION = 3
#: Meaning of each long-format field, written into findings.json and the notes sheet.
FIELD_DOCS: dict[str, str] = {
    "table_id": "stable id of the table (e.g. shares.channels)",
    "row": "row key: option, group or model term (stable, language independent)",
    "column": "column key: 'estimate', 'weighted', 'unweighted' or a subgroup level",
    "row_label": "row label in the report language",
    "column_label": "column label in the report language",
    "estimate": "point estimate (shares as proportions 0-1); empty if suppressed",
    "ci_low": "lower end of the 95% confidence interval",
    "ci_high": "upper end of the 95% confidence interval",
    "se": "design-based standard error",
    "n_unweighted": "unweighted base: respondents behind the estimate",
    "n_weighted": "weighted base (sum of weights)",
    "flag": "';'-separated flags: suppressed (base below suppress_below), "
            "low_base (base below flag_below)",
    "column_letter": "the column's significance letter (A, B, C, ... in column order), shown "
                     "in its header as 'label (A)'; empty when the table has no significance "
                     "tests",
    "sig": "column letters of the columns this cell is significantly higher than, in the same "
           "row (pairwise design-based tests adjusted for multiple comparisons); empty: "
           "significantly higher than none, or suppressed",
}
#: Wave-level fields appended to every line of findings.csv (findings.json holds them once,
#: at the top level), with their meaning (written into the notes sheet too).
CSV_FILE_FIELDS: dict[str, str] = {
    "wave": "wave id (survey.yaml `wave`)",
    "wave_title": "survey title in the report language",
    "synthetic": "'true': simulated data, describes no real population; else 'false'",
}
_FIXED_DATE = datetime(2000, 1, 1)  # workbook 'created' metadata: fixed so files do not differ


@dataclass
class FindingsSet:
    """All tables of one report, in chapter order.

    Attributes
    ----------
    wave : str
        Wave id.
    title : dict of str to str
        Survey title per language.
    synthetic : bool
        Whether the wave is synthetic (shown in every output).
    language : {"zh", "en"}
        Default language of the files.
    disclosure : Disclosure
        Suppression and flag thresholds applied to the cells.
    tables : list of Table
        Every table, in chapter order.
    figures : list of dict
        Figure records of every chapter.
    """

    wave: str
    title: dict[str, str]
    synthetic: bool
    language: str
    disclosure: Disclosure
    tables: list[Table] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)

    def __getitem__(self, table_id: str) -> Table:
        for tab in self.tables:
            if tab.id == table_id:
                return tab
        raise KeyError(f"no table {table_id!r}; tables are {[x.id for x in self.tables]}")

    @property
    def headlines(self) -> list[Table]:
        """Tables marked ``headline=True``."""
        return [tab for tab in self.tables if tab.headline]

    def to_dict(self) -> dict[str, Any]:
        """Build the findings.json document (fixed key order).

        Returns
        -------
        dict
            Schema, wave, title, disclosure, tables and figures, JSON-ready.
        """
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "wave": self.wave,
            "title": {"zh": self.title.get("zh", ""), "en": self.title.get("en", "")},
            "synthetic": self.synthetic,
            "language": self.language,
            "disclosure": disclosure_dict(self.disclosure),
            "fields": dict(FIELD_DOCS),
            "tables": [tab.to_dict() for tab in self.tables],
            "figures": list(self.figures),
        }


def merge_findings(output_dir: str | Path, *, wave: str, title: Any = None, synthetic: bool = False,
                   language: str = "zh", disclosure: Disclosure | None = None,
                   chapters: Sequence[str] | None = None) -> FindingsSet:
    """Join the fragments ``<output_dir>/findings/<chapter>.json`` into one set.

    Parameters
    ----------
    output_dir : str or Path
        The report folder.
    wave : str
        Wave id (from the codebook).
    title : str or mapping, optional
        Survey title.
    synthetic : bool
        Whether the wave is synthetic (shown in every output).
    language : {"zh", "en"}
        Default language of the files.
    disclosure : Disclosure, optional
        Suppression and flag thresholds (default: the codebook defaults).
    chapters : sequence of str, optional
        Merge only these fragments, in this order (default: all, sorted by name).

    Returns
    -------
    FindingsSet
        The chapters' tables and figures in chapter order.

    Raises
    ------
    ReportError
        A fragment is unreadable or two chapters publish the same table id.
    """
    check_language(language)
    folder = Path(output_dir) / "findings"
    if chapters is None:
        paths = sorted(folder.glob("*.json"))
    else:
        paths = [folder / f"{c}.json" for c in chapters if (folder / f"{c}.json").is_file()]
    fs = FindingsSet(wave=wave, title={"zh": pick(title, "zh"), "en": pick(title, "en")},
                     synthetic=bool(synthetic), language=language,
                     disclosure=disclosure or Disclosure())
    owner: dict[str, str] = {}
    for path in paths:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReportError(f"cannot read findings fragment: {exc}", file=path,
                              hint="rebuild the report; fragments are written by each notebook") from None
        for d in doc.get("tables", []):
            if d["id"] in owner:
                raise ReportError(f"table id {d['id']!r} is published by both {owner[d['id']]!r} and "
                                  f"{doc.get('chapter')!r}", file=path,
                                  hint="rename one of the tables")
            owner[d["id"]] = doc.get("chapter", path.stem)
            fs.tables.append(table_from_dict(d, language))
        fs.figures.extend(doc.get("figures", []))
    return fs


# ---------------------------------------------------------------------------- writers

def write_json(fs: FindingsSet, path: str | Path) -> Path:
    """Write findings.json (UTF-8, sorted as built, 1-space indent, trailing newline).

    Parameters
    ----------
    fs : FindingsSet
        The findings.
    path : str or pathlib.Path
        File to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    text = json.dumps(fs.to_dict(), ensure_ascii=False, indent=1, allow_nan=False)
    path.write_bytes((text + "\n").encode("utf-8"))
    return path


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(fs: FindingsSet, path: str | Path) -> Path:
    """Write findings.csv: one line per cell, :data:`CELL_FIELDS` + :data:`CSV_FILE_FIELDS`.

    Parameters
    ----------
    fs : FindingsSet
        The findings.
    path : str or pathlib.Path
        File to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CELL_FIELDS, *CSV_FILE_FIELDS])
    wave = [fs.wave, pick(fs.title, fs.language), "true" if fs.synthetic else "false"]
    for tab in fs.tables:
        for cell in tab.cells:
            writer.writerow([_csv_value(v) for v in cell.to_dict().values()] + wave)
    # The BOM makes Excel open the file as UTF-8, so Chinese labels are not garbled.
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    return path


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_names(tables: Sequence[Table]) -> list[str]:
    names: list[str] = []
    for i, tab in enumerate(tables, start=1):
        base = _SHEET_BAD.sub("_", f"T{i:02d} {tab.id}")[:31]
        names.append(base)
    return names


def write_xlsx(fs: FindingsSet, path: str | Path) -> Path:
    """Write findings.xlsx: contents, notes, banner sheets and one formatted sheet per table.

    Banner sheets (:func:`analysis.report.banners.write_banner_sheets`) show
    the subgroup tables as cross-tab readers know them: questions down,
    subgroups across, estimate / CI / base / letters under each subgroup.
    Each table sheet has the title, then one line per cell with the row and
    column labels, estimate, 95% CI, SE, unweighted and weighted base, flag,
    column letter and significance letters; shares are formatted as
    percentages.  A table with significance letters shows each column as
    ``"label (A)"`` and a legend line under its title.  Workbook
    metadata is fixed, so repeated runs give identical cell values.

    Parameters
    ----------
    fs : FindingsSet
        The findings.
    path : str or pathlib.Path
        File to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import xlsxwriter

    path = Path(path)
    lang = fs.language
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False,
                                         "strings_to_formulas": False})
    wb.set_properties({"title": pick(fs.title, lang) or fs.wave, "author": "greensurvey",
                       "created": _FIXED_DATE, "comments": SCHEMA})
    bold = wb.add_format({"bold": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 13})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                          "valign": "top"})
    warn = wb.add_format({"bold": True, "font_color": "#C00000"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    number_fmts = {
        "share": wb.add_format({"num_format": "0.0%"}),
        "percent": wb.add_format({"num_format": "0.0"}),
        "points": wb.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
        "number": wb.add_format({"num_format": "#,##0.00"}),
        "ratio": wb.add_format({"num_format": "0.00"}),
        "count": wb.add_format({"num_format": "#,##0"}),
    }
    se_fmt = {"share": wb.add_format({"num_format": "0.00%"})}
    base_fmt = wb.add_format({"num_format": "#,##0"})
    names = _sheet_names(fs.tables)

    contents = wb.add_worksheet("Contents")
    notes = wb.add_worksheet("Notes")
    banner_sheets = write_banner_sheets(
        wb, fs.tables, language=lang, synthetic=fs.synthetic, taken=["Contents", "Notes", *names],
        formats={"title": title_fmt, "head": head, "warn": warn, "wrap": wrap, "bold": bold,
                 **{f"unit:{u}": f for u, f in number_fmts.items()}})
    row = 0
    contents.write(row, 0, pick(fs.title, lang) or fs.wave, title_fmt)
    row += 1
    contents.write(row, 0, t("report.wave", lang, wave=fs.wave))
    row += 1
    if fs.synthetic:
        contents.write(row, 0, t("report.synthetic", lang), warn)
        row += 1
    row += 1
    headers = ["sheet", "table_id", "chapter", "title_zh", "title_en", "unit", "cells"]
    contents.write_row(row, 0, headers, head)
    for name, tab in zip(names, fs.tables):
        row += 1
        contents.write_url(row, 0, f"internal:'{name}'!A1", string=name)
        contents.write_row(row, 1, [tab.id, tab.chapter, tab.title.get("zh", ""),
                                    tab.title.get("en", ""), tab.unit, len(tab.cells)])
    for name, group in banner_sheets:
        row += 1
        contents.write_url(row, 0, f"internal:'{name}'!A1", string=name)
        contents.write_row(row, 1, ["banner", "", *group.titles(), "", group.n_cells])
    contents.set_column(0, 0, 30)
    contents.set_column(1, 2, 22)
    contents.set_column(3, 4, 40)

    d = disclosure_dict(fs.disclosure)
    lines = [
        ("schema", f"{SCHEMA} v{SCHEMA_VERSION}"),
        ("wave", fs.wave),
        ("synthetic", "yes: simulated data, describes no real population" if fs.synthetic else "no"),
        ("disclosure", f"estimates with an unweighted base below {d['suppress_below']} are "
                       f"suppressed (blank, flag 'suppressed'); below {d['flag_below']} they are "
                       "flagged 'low_base' (indicative only)"),
        ("confidence intervals", "95%; shares use the interval method named in the methods "
                                 "appendix; bases are unweighted respondent counts"),
        ("privacy", "no respondent-level rows and no personal data are included"),
        ("banner sheets", BANNER_NOTE),
    ] + [(f"field: {k}", v) for k, v in FIELD_DOCS.items()] + [
        (f"findings.csv: {k}", v) for k, v in CSV_FILE_FIELDS.items()]
    notes.write_row(0, 0, ["item", "note"], head)
    for i, (k, v) in enumerate(lines, start=1):
        notes.write(i, 0, k, bold)
        notes.write(i, 1, v, wrap)
    notes.set_column(0, 0, 24)
    notes.set_column(1, 1, 100)

    cols = ["row", "column", "estimate", "ci_low", "ci_high", "se", "n_unweighted", "n_weighted",
            "flag", "column_letter", "sig"]
    labels = [t("table.row", lang), t("table.column", lang), t("table.estimate", lang),
              t("table.ci_low", lang), t("table.ci_high", lang),
              t("table.se", lang), t("table.n", lang), t("table.n_weighted", lang),
              t("table.flag", lang), t("table.column_letter", lang), t("table.sig", lang)]
    for name, tab in zip(names, fs.tables):
        ws = wb.add_worksheet(name)
        ws.write(0, 0, pick(tab.title, lang), title_fmt)
        ws.write(1, 0, f"table_id: {tab.id}   unit: {tab.unit}")
        r = 2
        if fs.synthetic:
            ws.write(r, 0, t("report.synthetic", lang), warn)
            r += 1
        if pick(tab.notes, lang):
            ws.write(r, 0, pick(tab.notes, lang), wrap)
            r += 1
        if tab.column_letters:
            ws.write(r, 0, t("flag.sig", lang))
            r += 1
        r += 1
        ws.write_row(r, 0, labels, head)
        ws.write_row(r + 1, 0, cols, head)
        r += 2
        value_fmt = number_fmts[tab.unit]
        for cell in tab.cells:
            ws.write(r, 0, cell.row_label)
            ws.write(r, 1, column_header(cell.column_label, cell.column_letter))
            for j, key in enumerate(("estimate", "ci_low", "ci_high"), start=2):
                value = getattr(cell, key)
                if value is None:
                    ws.write_blank(r, j, None)
                else:
                    ws.write_number(r, j, value, value_fmt)
            for j, key, fmt in ((5, "se", se_fmt.get(tab.unit, value_fmt)),
                                (6, "n_unweighted", base_fmt), (7, "n_weighted", base_fmt)):
                value = getattr(cell, key)
                if value is None:
                    ws.write_blank(r, j, None)
                else:
                    ws.write_number(r, j, value, fmt)
            ws.write_string(r, 8, cell.flag)
            ws.write_string(r, 9, cell.column_letter)
            ws.write_string(r, 10, cell.sig)
            r += 1
        ws.set_column(0, 1, 24)
        ws.set_column(2, 7, 13)
        ws.set_column(8, 10, 12)
        ws.freeze_panes(r - len(tab.cells), 1)
    wb.close()
    return path


def export_findings(fs: FindingsSet, folder: str | Path) -> dict[str, Path]:
    """Write findings.json, findings.csv and findings.xlsx into ``folder``.

    Parameters
    ----------
    fs : FindingsSet
        The findings.
    folder : str or pathlib.Path
        Created if missing.

    Returns
    -------
    dict of str to pathlib.Path
        ``{"json", "csv", "xlsx"}`` -> the file written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return {"json": write_json(fs, out / "findings.json"),
            "csv": write_csv(fs, out / "findings.csv"),
            "xlsx": write_xlsx(fs, out / "findings.xlsx")}


# ------------------------------------------------------------------ methods appendix
def git_commit(folder: str | Path) -> str:
    """Find the short commit of the repository holding ``folder`` (``+dirty`` if modified), or ``""``.

    Parameters
    ----------
    folder : str or pathlib.Path
        A folder inside the checkout.

    Returns
    -------
    str
        ``""`` without git, outside a checkout or on a git error.
    """
    import subprocess

    git = shutil.which("git")
    if git is None:
        return ""
    try:
        head = subprocess.run([git, "-C", str(folder), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=20, check=False)
        if head.returncode != 0:
            return ""
        dirty = subprocess.run([git, "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def provenance(wave: str | Path) -> dict[str, Any]:
    """Collect software versions, input file hashes and git commit for the methods appendix.

    Parameters
    ----------
    wave : str or pathlib.Path
        The wave folder.

    Returns
    -------
    dict
        ``{"software": {name: version}, "inputs": {relative path: sha256},
        "git_commit": str}``; input files are every file of the wave folder
        except ``interim/``.
    """
    import platform
    from importlib import metadata

    from ..ingest.wave import file_sha256

    folder = Path(wave).resolve()
    software = {"python": platform.python_version()}
    for name in ("greensurvey", "numpy", "pandas", "scipy", "statsmodels", "matplotlib",
                 "seaborn", "nbclient", "nbconvert", "jupytext", "xlsxwriter"):
        try:
            software[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            software[name] = "not installed"
    inputs = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and rel.parts[0] != "interim":
            inputs[rel.as_posix()] = file_sha256(p)
    return {"software": software, "inputs": inputs, "git_commit": git_commit(folder)}


def questions_table(codebook: Any, language: str = "zh") -> Any:
    """Tabulate the questionnaire for the methods appendix: id, type, label, options, routing.

    Parameters
    ----------
    codebook : Codebook
        The wave's codebook (derived variables are listed after the questions).
    language : {"zh", "en"}, default "zh"
        Language of labels.

    Returns
    -------
    pandas.DataFrame
        ``type, label, options, shown if``, indexed by ``id``.
    """
    import pandas as pd

    rows = []
    for q in codebook.questions:
        options = "; ".join(o.label.get(language) for o in q.options)
        items = "; ".join(it.label.get(language) for it in q.items)
        routing = q.routing_text()
        rows.append({"id": q.id, "type": q.type, "label": q.label.get(language),
                     "options": options or items, "shown if": routing})
    for d in codebook.derived:
        rows.append({"id": d.id, "type": "derived", "label": f"{d.source} →",
                     "options": "; ".join(v.get(language) for v in d.labels.values()),
                     "shown if": ""})
    return pd.DataFrame(rows).set_index("id")


def targets_table(targets: Any, language: str = "zh") -> Any:
    """Tabulate the weighting targets with their sources: variable, level, population share, source.

    Parameters
    ----------
    targets : Targets
        The wave's targets.
    language : {"zh", "en"}, default "zh"
        Unused: sources are quoted as written in targets.yaml.

    Returns
    -------
    pandas.DataFrame
        ``share, source, note``, indexed by ``(variable, level)``.
    """
    import pandas as pd

    del language  # sources are quoted as written in targets.yaml
    rows = [{"variable": var, "level": level, "share": round(float(share), 4),
             "source": m.source, "note": m.note or ""}
            for var, m in targets.margins.items() for level, share in m.shares().items()]
    return pd.DataFrame(rows).set_index(["variable", "level"])


def provenance_table(wave: str | Path) -> Any:
    """Tabulate :func:`provenance` as one long table: kind (software / input / git), name, value.

    Parameters
    ----------
    wave : str or pathlib.Path
        The wave folder.

    Returns
    -------
    pandas.DataFrame
        ``value``, indexed by ``(kind, name)``.
    """
    import pandas as pd

    info = provenance(wave)
    rows = [{"kind": "software", "name": k, "value": v} for k, v in info["software"].items()]
    rows += [{"kind": "input sha256", "name": k, "value": v} for k, v in info["inputs"].items()]
    rows.append({"kind": "git", "name": "commit", "value": info["git_commit"] or "(not a git checkout)"})
    return pd.DataFrame(rows).set_index(["kind", "name"])
