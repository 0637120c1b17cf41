"""Respondent-level microdata out: the cleaned wave with its final weights, for SPSS, Stata, Q.

:func:`export_microdata` writes the kept respondents of a prepared wave
(:func:`analysis.pipeline.prepare_wave`) to CSV, Parquet, SPSS ``.sav``,
Stata ``.dta`` or Excel ``.xlsx``:

* **Weights.**  ``weight`` is the final weight of the design the report uses
  (raked and trimmed to ``targets.yaml``; 1 for an unweighted wave).  With
  ``replicates=`` the columns ``repw_1 .. repw_R`` follow: the unweighted
  design converted to bootstrap or JK1 replicates with the weighting redone
  in every replicate (:meth:`analysis.pipeline.PreparedWave.replicates`), so
  replicate variances include the weighting.  Their variance formula
  (``scale * sum_r rscales_r (theta_r - theta)^2``) is in the file's notes.
* **Labels and missing kinds** (SPSS, Stata: :mod:`analysis.report.labelled`).
  Choice answers become the codebook's integer codes with value labels in
  ``language``, variable labels are the question text, names and labels are
  fitted to the format with a :class:`MicrodataWarning`; each missing answer
  keeps its kind as an SPSS user-missing code (``-1`` blank, ``-2`` not asked,
  ``-3`` skipped, ...) or a Stata extended missing value (``.a`` not asked,
  ``.b`` skipped, ``.c`` blank, ...).  CSV, Parquet and xlsx keep the option
  keys, 1/0 for select-all options (Parquet: the tidy frame's own dtypes),
  and the ``<qid>__missing`` columns (the kind, e.g. ``not_asked``), as do
  SPSS and Stata files; the xlsx adds a ``variables`` sheet with the labels
  and a ``notes`` sheet.
* **Privacy.**  Personal columns of the codebook (dropped or hashed on
  ingest), the IP hash and the raw-file row number are left out; free text is
  the text :func:`analysis.cleaning.cleaner.clean` scrubbed; respondent ids are
  written only as salted hashes (the ids ``clean()`` hashed, or the ids hashed
  with ``salt`` / ``GREENSURVEY_SALT`` the way ``clean()`` hashes them), else
  left out.  The written file is read back and its text scanned for personal
  data (:func:`analysis.pii.find_pii`); if anything is found the file is
  deleted and :class:`~analysis.errors.ReportError` raised.

Rows are the kept respondents in input order; the xlsx has fixed metadata.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..codebook import Codebook, missing_column
from ..errors import ReportError
from .i18n import check_language
from .labelled import (
    MISSING_CODES,
    STATA_MISSING,
    MicrodataWarning,
    Variable,
    variables,
    write_labelled,
)

if TYPE_CHECKING:
    from ..pipeline import PreparedWave

__all__ = ["FORMATS", "MISSING_CODES", "STATA_MISSING", "MicrodataExport", "MicrodataWarning",
           "Variable", "export_microdata", "microdata_frame"]

FORMATS: tuple[str, ...] = ("csv", "parquet", "sav", "dta", "xlsx")
# Raw-file row numbers and IP hashes link rows back to the raw export (which holds the
# personal data); they never leave the package.
_ALWAYS_DROPPED = ("source_row", "ip_hash")
_FIXED_DATE = datetime(2000, 1, 1)


@dataclass(frozen=True)
class MicrodataExport:
    """What :func:`export_microdata` wrote.

    Attributes
    ----------
    path : Path
    format : str
    n_rows : int
    columns : tuple of str
        Column names as written (after any renaming for the format).
    dropped : tuple of str
        Columns of the cleaned data left out (personal data, linkage keys).
    renamed : dict
        Original name -> name in the file (SPSS/Stata rules).
    shortened : tuple of str
        Variables whose label was cut to the format's limit.
    replicates : dict or None
        ``type``, ``n``, ``seed``, ``scale``, ``rscales``, ``mse`` of the
        replicate weights written.
    notes : tuple of str
        What a reader of the file should know (also written into SPSS notes
        and the xlsx notes sheet).
    """

    path: Path
    format: str
    n_rows: int
    columns: tuple[str, ...]
    dropped: tuple[str, ...]
    renamed: dict[str, str]
    shortened: tuple[str, ...]
    replicates: dict[str, Any] | None
    notes: tuple[str, ...]


# ------------------------------------------------------------------ the frame

def _respondent_ids(prepared: PreparedWave, salt: str | None) -> pd.Series | None:
    """The salted ids ``clean()`` produced, or the ids hashed with ``salt``; else ``None``."""
    from ..pii import salted_hash

    ids = prepared.cleaned.data["respondent_id"]
    audit = prepared.cleaned.audit
    hashed = bool(((audit["rule"] == "personal_column") & (audit["column"] == "respondent_id")
                   & (audit["action"] == "hash_column")).any()) if len(audit) else False
    if hashed:
        return ids.astype("string")
    if salt:
        return salted_hash(ids, salt)
    return None


def microdata_frame(prepared: PreparedWave, *, replicates: int | None = None,
                    seed: int | None = None, replicate_type: str | None = None,
                    salt: str | None = None) -> tuple[pd.DataFrame, tuple[str, ...], dict | None]:
    """Build the respondent-level frame to export: cleaned data, weight, replicate weights.

    Parameters
    ----------
    prepared : PreparedWave
        From :func:`analysis.pipeline.prepare_wave`.
    replicates : int, optional
        Number of bootstrap replicates (JK1: ``None`` or the number of respondents).
    seed : int, optional
        Seed of the bootstrap (default: :meth:`PreparedWave.replicates`' default).
    replicate_type : {"bootstrap", "JK1"}, optional
        Default ``"bootstrap"`` when ``replicates`` is given.
    salt : str, optional
        Secret for salted respondent ids; default ``GREENSURVEY_SALT``.

    Returns
    -------
    frame : pandas.DataFrame
        Option keys, booleans and NA as in the cleaned data.
    dropped : tuple of str
        Columns left out.
    replicate_info : dict or None
        ``type``, ``n``, ``seed``, ``scale``, ``rscales``, ``mse`` of the
        replicate weights, ``None`` without them.
    """
    from ..ingest.wave import SALT_ENV

    cleaned = prepared.cleaned.data
    design_data = prepared.design.data
    if len(design_data) != len(cleaned) or not design_data.index.equals(cleaned.index):
        raise ReportError("the weighted design's rows do not match the cleaned data",
                          hint="prepare the wave again with analysis.pipeline.prepare_wave")
    codebook = prepared.codebook
    # Ingest keeps a personal column marked `hash` as `<column>_hash` (a salted hash is still
    # a key to the person across files): every such column stays out too.
    answers = set(codebook.columns())
    personal = set(codebook.personal_columns())
    drop = [c for c in cleaned.columns
            if c in personal or c in _ALWAYS_DROPPED
            or (str(c).endswith("_hash") and c not in answers)]
    frame = cleaned.drop(columns=drop + ["respondent_id"])
    ids = _respondent_ids(prepared, salt if salt is not None else os.environ.get(SALT_ENV) or None)
    if ids is None:
        drop.append("respondent_id")
    else:
        frame.insert(0, "respondent_id", ids.to_numpy())
    for col in frame.columns:
        if col.endswith("__missing"):
            # Ingest may record "invalid:<raw value>"; only the kind leaves (the raw value could
            # hold personal data and is in the audit).
            frame[col] = frame[col].astype("string").str.split(":").str[0].astype("string")
    frame["weight"] = np.asarray(prepared.design.weights, dtype="float64")
    info = None
    if replicates is not None or replicate_type is not None:
        rep_type = replicate_type or "bootstrap"
        if rep_type not in ("bootstrap", "JK1"):
            raise ReportError(f"replicate type must be 'bootstrap' or 'JK1', not {rep_type!r}",
                              hint="use bootstrap (any number of replicates) or JK1 (one per "
                                   "respondent)")
        n = len(frame)
        if rep_type == "JK1" and replicates not in (None, n):
            raise ReportError(f"JK1 deletes one respondent per replicate: {n} replicates, not "
                              f"{replicates}", hint=f"pass {n} replicates, or use bootstrap")
        count = int(replicates) if replicates is not None else (n if rep_type == "JK1" else 200)
        kwargs: dict[str, Any] = {"replicates": count, "rep_type": rep_type}
        if seed is not None:
            kwargs["seed"] = int(seed)
        rep = prepared.replicates(**kwargs)
        weights = np.asarray(rep.repweights, dtype="float64")
        reps = pd.DataFrame(weights, columns=[f"repw_{i}" for i in range(1, weights.shape[1] + 1)],
                            index=frame.index)
        frame = pd.concat([frame, reps], axis=1)
        info = {"type": rep.rep_type, "n": int(weights.shape[1]),
                "seed": kwargs.get("seed"), "scale": float(rep.scale),
                "rscales": [float(x) for x in np.unique(rep.rscales)], "mse": bool(rep.mse)}
    return frame, tuple(drop), info


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """CSV/xlsx values: option keys as text, booleans as 1/0, NA empty."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = s.astype("Int64")
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.astype("string")
    return out


def _write_xlsx(frame: pd.DataFrame, vars_: list[Variable], path: Path, notes: list[str],
                language: str) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False,
                                         "strings_to_formulas": False, "nan_inf_to_errors": False})
    wb.set_properties({"title": notes[0] if notes else "", "author": "greensurvey",
                       "created": _FIXED_DATE})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    ws = wb.add_worksheet("data")
    plain = _plain(frame)
    ws.write_row(0, 0, list(plain.columns), head)
    for j, col in enumerate(plain.columns):
        s = plain[col]
        is_time = pd.api.types.is_datetime64_any_dtype(s)
        for i, v in enumerate(s.tolist(), start=1):
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
                continue
            if is_time:
                ws.write_datetime(i, j, v.to_pydatetime(), stamp)
            elif isinstance(v, (int, float, np.integer, np.floating)):
                ws.write_number(i, j, float(v))
            else:
                ws.write_string(i, j, str(v))
    ws.freeze_panes(1, 0)
    info = wb.add_worksheet("variables")
    info.write_row(0, 0, ["variable", "label", "type", "values", "missing kinds in"], head)
    for i, var in enumerate(vars_, start=1):
        values = "; ".join(f"{k}={var.value_labels.get(c, '')}" if var.kind == "category"
                           else f"{c}={var.value_labels.get(c, '')}"
                           for k, c in var.codes.items())
        info.write_row(i, 0, [var.name, var.label, var.kind, values,
                              missing_column(var.missing_of) if var.missing_of else ""])
    info.set_column(0, 0, 28)
    info.set_column(1, 1, 60)
    info.set_column(3, 3, 60)
    note = wb.add_worksheet("notes")
    for i, line in enumerate(notes):
        note.write_string(i, 0, line)
    note.set_column(0, 0, 120)
    wb.close()


def _write(frame: pd.DataFrame, vars_: list[Variable], codebook: Codebook, path: Path, fmt: str,
           language: str, notes: list[str]) -> tuple[dict[str, str], list[str]]:
    if fmt in ("sav", "dta"):
        return write_labelled(frame, vars_, codebook, path, fmt, language, notes)
    if fmt == "csv":
        buf = io.StringIO()
        _plain(frame).to_csv(buf, index=False, lineterminator="\n", date_format="%Y-%m-%d %H:%M:%S")
        path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))  # BOM: Excel reads UTF-8
    elif fmt == "parquet":
        try:
            frame.to_parquet(path, index=False, engine="pyarrow")
        except ImportError as exc:
            raise ReportError("writing Parquet needs pyarrow", hint="pip install pyarrow") from exc
    else:
        _write_xlsx(frame, vars_, path, notes, language)
    return {}, []


# ------------------------------------------------------------------ PII scan of the written file

def _strings_read_back(path: Path, fmt: str, skip: set[str]) -> Iterable[tuple[str, str]]:
    """(where, text) for every text in the written file (numbers are not text)."""
    if fmt == "csv":
        rows = csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))
        header = next(rows, [])
        yield from (("header", h) for h in header)
        for record in rows:
            for col, value in zip(header, record):
                if col in skip or not value:
                    continue
                try:
                    float(value)
                except ValueError:
                    yield col, value
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        try:
            for ws in wb.worksheets:
                sheet_header: tuple[Any, ...] = ()
                for i, row in enumerate(ws.iter_rows(values_only=True)):
                    if i == 0:
                        sheet_header = row
                    for column, value in zip(sheet_header if ws.title == "data"
                                             else [None] * len(row), row):
                        if isinstance(value, str) and column not in skip:
                            yield f"{ws.title}:{column}", value
        finally:
            wb.close()
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.startswith("docProps/"):
                    yield name, zf.read(name).decode("utf-8", "replace")
    else:
        if fmt == "parquet":
            data = pd.read_parquet(path)
            texts: list[tuple[str, str]] = []
        else:
            import pyreadstat

            reader = pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav
            data, meta = reader(str(path))
            texts = [("file label", meta.file_label or "")]
            texts += [("note", n) for n in (getattr(meta, "notes", None) or [])]
            texts += [(f"label of {k}", v) for k, v in meta.column_names_to_labels.items() if v]
            texts += [(f"value labels of {k}", str(lab))
                      for k, labels in meta.variable_value_labels.items()
                      for lab in labels.values()]
        yield from texts
        yield from (("header", str(c)) for c in data.columns)
        for col in data.columns:
            s = data[col]
            if col in skip or not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
                                   or isinstance(s.dtype, pd.CategoricalDtype)):
                continue
            for value in pd.unique(s.dropna().astype(str)):
                yield str(col), value


def _scan(path: Path, fmt: str, skip: set[str], name: str) -> None:
    """Delete the file and raise if its text holds personal data (``name``: the file's name)."""
    from ..pii import PII_LABELS, find_pii

    for where, text in _strings_read_back(path, fmt, skip):
        hits = find_pii(text)
        if hits:
            path.unlink(missing_ok=True)
            kind = hits[0].kind
            raise ReportError(f"the microdata holds personal data ({PII_LABELS.get(kind, kind)}) "
                              f"in {where}; the file was not kept", file=name,
                              column=where,
                              hint="add the column to `personal:` in survey.yaml, or keep "
                                   "scan_free_text on so clean() scrubs free text")


# ------------------------------------------------------------------ the API

def export_microdata(prepared: PreparedWave, path: str | Path, format: str | None = None, *,
                     replicates: int | None = None, seed: int | None = None,
                     replicate_type: str | None = None, language: str = "zh",
                     salt: str | None = None) -> MicrodataExport:
    """Write the cleaned respondent-level data with final weights (see the module docstring).

    Parameters
    ----------
    prepared : PreparedWave
        From :func:`analysis.pipeline.prepare_wave`.
    path : str or Path
        File to write (its folder is created).
    format : {"csv", "parquet", "sav", "dta", "xlsx"}, optional
        Default: from the file's suffix.
    replicates : int, optional
        Add ``repw_1 .. repw_R``: ``R`` bootstrap replicates (JK1: one per
        respondent), with the weighting redone in each.
    seed : int, optional
        Seed of the bootstrap replicates.
    replicate_type : {"bootstrap", "JK1"}, optional
        Default ``"bootstrap"``; giving it without ``replicates`` asks for
        replicate weights too (200 bootstrap replicates).
    language : {"zh", "en"}
        Language of variable and value labels.
    salt : str, optional
        Secret for salted respondent ids (default ``GREENSURVEY_SALT``);
        without it, and when ``clean()`` did not hash the ids, ids are left out.

    Returns
    -------
    MicrodataExport
        The file written, its columns, what was left out, renamed or shortened.

    Raises
    ------
    ReportError
        Unknown format; bad replicate request; personal data found in the
        written file (which is deleted).

    Warns
    -----
    MicrodataWarning
        Names or labels shortened or renamed for SPSS/Stata; numeric answers
        equal to a missing code (their missing kinds then stay in
        ``<qid>__missing`` only).
    """
    check_language(language)
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ReportError(f"unknown microdata format {fmt!r}", file=path.name,
                          hint=f"use one of {list(FORMATS)}")
    frame, dropped, info = microdata_frame(prepared, replicates=replicates, seed=seed,
                                           replicate_type=replicate_type, salt=salt)
    codebook = prepared.codebook
    vars_ = variables(frame, codebook, language, info)
    notes = _notes(prepared, info, dropped, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial.{fmt}")  # readers go by the suffix
    try:
        renamed, shortened = _write(frame, vars_, codebook, tmp, fmt, language, notes)
        _scan(tmp, fmt, {"respondent_id"}, path.name)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    columns = tuple(renamed.get(c, c) for c in frame.columns)
    return MicrodataExport(path=path, format=fmt, n_rows=len(frame), columns=columns,
                           dropped=dropped, renamed=renamed, shortened=tuple(shortened),
                           replicates=info, notes=tuple(notes))


def _notes(prepared: PreparedWave, info: Mapping[str, Any] | None, dropped: tuple[str, ...],
           language: str) -> list[str]:
    """Lines for SPSS notes and the xlsx notes sheet (the first line is the file label)."""
    cb = prepared.codebook
    title = cb.title.get(language) or cb.wave
    lines = [f"{title} ({cb.wave})" + (" - SYNTHETIC DATA" if cb.synthetic else "")]
    if cb.synthetic:
        lines.append("synthetic: simulated data, describes no real population")
    lines.append(f"rows: {prepared.cleaned.n_kept} respondents kept by cleaning "
                 f"(of {prepared.cleaned.n_in})")
    if prepared.targets is not None:
        lines.append("weight: final weight, " + cb.weighting.method + " to "
                     + ", ".join(prepared.targets.margins) + " (targets.yaml)")
    else:
        lines.append("weight: 1 for everyone (no targets.yaml: unweighted)")
    if info is not None:
        lines.append(f"repw_1..repw_{info['n']}: {info['type']} replicate weights, weighting redone "
                     f"in each; variance = {info['scale']:.6g} * sum_r {info['rscales'][0]:.6g} * "
                     f"(theta_r - theta)^2" + (f"; seed {info['seed']}" if info["seed"] is not None
                                              else ""))
    lines.append("missing kinds: <question>__missing says why an answer is missing "
                 "(not_asked, skipped, blank, ...); SPSS: user-missing codes, Stata: .a not asked, "
                 ".b skipped, .c blank, .d refused, .e don't know, .f out of range, .g invalid")
    if dropped:
        lines.append("left out (personal data or links to the raw export): " + ", ".join(dropped))
    return lines
