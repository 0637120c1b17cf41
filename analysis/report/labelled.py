"""SPSS and Stata files with labels: codes, value and variable labels, missing kinds.

The SPSS/Stata side of :func:`analysis.report.microdata.export_microdata`:

* choice answers (option keys in the tidy frame) become the codebook's
  integer codes with value labels in the chosen language; select-all options
  and yes/no answers become 1/0; variable labels are the question text
  (``"question: option"`` for option columns, ``"question: row"`` for grid
  rows), see :func:`variables`;
* names and labels are fitted to the format (Stata: names of 32 characters
  and labels of 80; SPSS: names of 64 bytes, variable labels of 256 bytes,
  value labels of 120 bytes: pyreadstat would cut SPSS labels silently and
  refuse long Stata ones), with a :class:`MicrodataWarning` naming everything
  shortened or renamed;
* each missing answer keeps its kind (from ``<qid>__missing``): in SPSS as a
  user-missing code declared as missing and labelled (the codebook's own
  ``missing_codes``, else :data:`MISSING_CODES`: ``-1`` blank, ``-2`` not
  asked, ``-3`` skipped, ...), in Stata as the extended missing value of
  :data:`STATA_MISSING` (``.a`` not asked, ``.b`` skipped, ``.c`` blank, ...),
  labelled too.  An answer missing without a recorded kind is system missing.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..codebook import Codebook, Question, missing_column
from ..errors import SurveyWarning
from .i18n import pick

__all__ = ["MISSING_CODES", "STATA_MISSING", "MicrodataWarning", "Variable", "missing_code_table",
           "variables", "write_labelled"]

#: SPSS user-missing code of each missing kind, when the codebook declares none for it.
MISSING_CODES: dict[str, int] = {"blank": -1, "not_asked": -2, "skipped": -3, "refused": -4,
                                 "dont_know": -5, "out_of_range": -6, "invalid": -7}
#: Stata extended missing value (``.a`` ...) of each missing kind.
STATA_MISSING: dict[str, str] = {"not_asked": "a", "skipped": "b", "blank": "c", "refused": "d",
                                 "dont_know": "e", "out_of_range": "f", "invalid": "g"}
_KIND_LABELS = {
    "blank": {"zh": "未作答", "en": "blank"},
    "not_asked": {"zh": "未问（跳转）", "en": "not asked (routing)"},
    "skipped": {"zh": "跳过", "en": "skipped"},
    "refused": {"zh": "拒答", "en": "refused"},
    "dont_know": {"zh": "不知道", "en": "don't know"},
    "out_of_range": {"zh": "超出范围（已清除）", "en": "out of range (removed)"},
    "invalid": {"zh": "无效代码（已清除）", "en": "invalid code (removed)"},
}
_TEXT = {
    "selected": {"zh": "选中", "en": "selected"},
    "not_selected": {"zh": "未选", "en": "not selected"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "weight": {"zh": "最终权重", "en": "final weight"},
    "unweighted": {"zh": "（未加权：均为 1）", "en": " (unweighted: all 1)"},
    "repw": {"zh": "重复权重", "en": "replicate weight"},
    "missing": {"zh": "缺失原因", "en": "why missing"},
    "other_text": {"zh": "其他（请注明）", "en": "other (specify)"},
    "rank": {"zh": "排名", "en": "rank"},
    "respondent_id": {"zh": "受访者编号（加盐哈希）", "en": "respondent id (salted hash)"},
    "duration_s": {"zh": "答题用时（秒）", "en": "duration (seconds)"},
    "submitted_at": {"zh": "提交时间", "en": "submitted at"},
    "started_at": {"zh": "开始时间", "en": "started at"},
    "bid1": {"zh": "首次出价", "en": "first bid"}, "ans1": {"zh": "首次回答", "en": "first answer"},
    "bid2": {"zh": "追问出价", "en": "follow-up bid"},
    "ans2": {"zh": "追问回答", "en": "follow-up answer"},
}
_STATA_RESERVED = {"_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int",
                   "long", "_n", "_N", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with"}
_SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}


class MicrodataWarning(SurveyWarning):
    """A name or label was shortened or renamed to fit the file format, or a code was left out."""


@dataclass(frozen=True)
class Variable:
    """How one column is written: label, codes and value labels, missing kinds.

    Attributes
    ----------
    name : str
        Column name in the tidy frame.
    label : str
        Variable label (question text) in the export language.
    kind : {"category", "boolean", "number", "text", "datetime"}
        How values are stored.
    codes : dict
        Stored value (option key, or True/False) -> integer code.
    value_labels : dict
        Integer code -> label.
    missing_of : str or None
        Question whose ``<qid>__missing`` column says why a value is missing.
    measure : {"nominal", "ordinal", "scale", "unknown"}
        SPSS measurement level.
    """

    name: str
    label: str
    kind: str  # "category", "boolean", "number", "text", "datetime"
    codes: dict[Any, int] = field(default_factory=dict)
    value_labels: dict[int, str] = field(default_factory=dict)
    missing_of: str | None = None
    measure: str = "unknown"



# ------------------------------------------------------------------ labels and codes

def _question_variables(q: Question, language: str) -> dict[str, Variable]:
    """Variables of one question's columns (see :meth:`Question.columns`)."""
    text = q.label.get(language)
    out: dict[str, Variable] = {}
    choice = {o.key: o.code for o in q.options}
    labels = {o.code: o.label.get(language) for o in q.options}
    measure = "ordinal" if q.ordered else "nominal"
    yes_no = {1: pick(_TEXT["selected"], language), 0: pick(_TEXT["not_selected"], language)}
    if q.type in ("single", "likert", "price_ladder", "payment_card"):
        out[q.id] = Variable(q.id, text, "category", choice, labels, q.id, measure)
    elif q.type == "multiple":
        for o in q.options:
            name = f"{q.id}_{o.key}"
            out[name] = Variable(name, f"{text}: {o.label.get(language)}", "boolean",
                                 {True: 1, False: 0}, yes_no, q.id, "nominal")
    elif q.type == "grid":
        for it in q.items:
            name = f"{q.id}_{it.id}"
            out[name] = Variable(name, f"{text}: {it.label.get(language)}", "category", choice,
                                 labels, q.id, "ordinal")
    elif q.type == "ranking":
        for o in q.options:
            name = f"{q.id}_{o.key}"
            out[name] = Variable(name, f"{text}: {o.label.get(language)} "
                                       f"({pick(_TEXT['rank'], language)})", "number",
                                 missing_of=q.id, measure="ordinal")
    elif q.type == "dc_bid":
        answers = {1: pick(_TEXT["yes"], language), 0: pick(_TEXT["no"], language)}
        for part in ("bid1", "ans1", "bid2", "ans2"):
            name = f"{q.id}_{part}"
            label = f"{text}: {pick(_TEXT[part], language)}"
            out[name] = (Variable(name, label, "number", missing_of=q.id, measure="scale")
                         if part.startswith("bid") else
                         Variable(name, label, "boolean", {True: 1, False: 0}, answers, q.id,
                                  "nominal"))
    elif q.type == "numeric":
        out[q.id] = Variable(q.id, text, "number", missing_of=q.id, measure="scale")
    elif q.type == "datetime":
        out[q.id] = Variable(q.id, text, "datetime")
    else:
        out[q.id] = Variable(q.id, text, "text")
    if q.has_other():
        name = f"{q.id}_other_text"
        out[name] = Variable(name, f"{text}: {pick(_TEXT['other_text'], language)}", "text")
    mcol = missing_column(q.id)
    out[mcol] = Variable(mcol, f"{text}: {pick(_TEXT['missing'], language)}", "text")
    return out


def variables(frame: pd.DataFrame, codebook: Codebook, language: str = "zh",
              replicate_info: Mapping[str, Any] | None = None) -> list[Variable]:
    """Describe every column of ``frame`` from the codebook.

    Parameters
    ----------
    frame : pandas.DataFrame
        The export frame (:func:`analysis.report.microdata.microdata_frame`).
    codebook : Codebook
        The wave's codebook: question texts, option codes and labels.
    language : {"zh", "en"}
        Language of the labels.
    replicate_info : mapping, optional
        Replicate description (``type``), for the labels of ``repw_*`` columns.

    Returns
    -------
    list of Variable
        One per column, in column order.
    """
    known: dict[str, Variable] = {}
    for q in codebook.questions:
        known.update(_question_variables(q, language))
    for d in codebook.derived:
        keys = list(d.labels)
        known[d.id] = Variable(d.id, f"{codebook.question(d.source).label.get(language)} → "
                                     f"{d.id}", "category", {k: i for i, k in enumerate(keys, 1)},
                               {i: d.labels[k].get(language) for i, k in enumerate(keys, 1)},
                               None, "nominal")
    out = []
    for col in frame.columns:
        if col in known:
            out.append(known[col])
        elif col == "weight":
            unweighted = bool(np.all(frame[col].to_numpy() == 1.0))
            out.append(Variable(col, pick(_TEXT["weight"], language)
                                + (pick(_TEXT["unweighted"], language) if unweighted else ""),
                                "number", measure="scale"))
        elif col.startswith("repw_") and replicate_info is not None:
            out.append(Variable(col, f"{pick(_TEXT['repw'], language)} {col[5:]} "
                                     f"({replicate_info['type']})", "number", measure="scale"))
        elif col in _TEXT:
            kind = "datetime" if col.endswith("_at") else ("number" if col == "duration_s"
                                                           else "text")
            out.append(Variable(col, pick(_TEXT[col], language), kind,
                                measure="scale" if kind == "number" else "unknown"))
        else:
            out.append(_generic_variable(frame[col], col))
    return out


def _generic_variable(series: pd.Series, name: str) -> Variable:
    """A column the codebook does not describe: codes 1..k for categories, else as stored."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = list(series.cat.categories)
        return Variable(name, name, "category", {c: i for i, c in enumerate(cats, 1)},
                        {i: str(c) for i, c in enumerate(cats, 1)}, None, "nominal")
    if pd.api.types.is_bool_dtype(series):
        return Variable(name, name, "boolean", {True: 1, False: 0}, {}, None, "nominal")
    if pd.api.types.is_numeric_dtype(series):
        return Variable(name, name, "number", measure="scale")
    if pd.api.types.is_datetime64_any_dtype(series):
        return Variable(name, name, "datetime")
    return Variable(name, name, "text")


def missing_code_table(codebook: Codebook, question: Question | None) -> dict[str, int]:
    """Give the SPSS code of each missing kind for ``question``'s columns.

    Parameters
    ----------
    codebook : Codebook
        Its ``missing_codes`` are the wave's declared codes.
    question : Question or None
        Its ``missing`` overrides the wave's codes; its option codes are never
        reused.

    Returns
    -------
    dict
        Missing kind -> code: the declared codes first (negative codes before
        positive ones when a kind has several), then :data:`MISSING_CODES` for
        the other kinds, moved to a free negative code where an option uses it.
    """
    declared = (question.missing if question is not None and question.missing is not None
                else codebook.missing_codes)
    table: dict[str, int] = {}
    # Only whole-number codes can be written as numeric missing codes; text keys
    # (Stata ".a", ranges such as "97..99") get a free code below like undeclared kinds.
    numeric = [(code, str(kind)) for code, kind in declared.items() if isinstance(code, int)]
    for code, kind in sorted(numeric, key=lambda kv: (kv[0] >= 0, -kv[0])):
        table.setdefault(kind, int(code))
    used = {o.code for o in question.options} if question is not None else set()
    used |= set(table.values())
    free = (c for c in range(-1, -1000, -1) if c not in used)
    for kind, code in MISSING_CODES.items():
        if kind not in table:
            table[kind] = code if code not in used else next(free)
            used.add(table[kind])
    return table


# ------------------------------------------------------------------ names and labels per format

_NAME_OK = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def _fit_names(columns: list[str], fmt: str) -> dict[str, str]:
    """Original -> legal, unique name for SPSS (64 bytes, case-insensitive) or Stata (32)."""
    limit = 32 if fmt == "dta" else 64
    reserved = _STATA_RESERVED if fmt == "dta" else _SPSS_RESERVED
    out: dict[str, str] = {}
    seen: set[str] = set()
    for col in columns:
        name = re.sub(r"[^A-Za-z0-9_]", "_", col)
        if not _NAME_OK.match(name) or name.lower() in reserved:
            name = f"v_{name}"
        name = name[:limit]
        if fmt == "sav":
            name = name.rstrip("_.") or "v"
        base, i = name, 1
        while name.lower() in seen:
            i += 1
            name = f"{base[:limit - len(str(i)) - 1]}_{i}"
        seen.add(name.lower())
        out[col] = name
    return out


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _wrap_bytes(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-8 bytes (SPSS document lines are 80 bytes)."""
    parts, current = [], ""
    for ch in text:
        if len((current + ch).encode("utf-8")) > limit:
            parts.append(current)
            current = ""
        current += ch
    return [*parts, current]


def _fit_label(text: str, fmt: str, *, value: bool = False) -> str:
    """A label within the format's limit (Stata 80 characters; SPSS 256 / 120 bytes)."""
    if fmt == "dta":
        return text if value or len(text) <= 80 else text[:80]
    return _cut_bytes(text, 120 if value else 256)


# ------------------------------------------------------------------ writers

def _coded(series: pd.Series, var: Variable, missing: pd.Series | None, kinds: Mapping[str, Any],
           ) -> tuple[pd.Series, set[Any]]:
    """Numeric codes of a column with each missing answer's kind code, and the kind codes used.

    SPSS codes are numbers (the column stays float); Stata's are letters (an
    object column of floats and letters, which pyreadstat writes as a double
    with extended missing values).
    """
    if var.kind in ("category", "boolean"):
        values = pd.to_numeric(series.astype(object).map(var.codes), errors="coerce")
    else:
        values = pd.to_numeric(series, errors="coerce")
    values = values.astype("float64")
    if missing is None or not kinds:
        return values, set()
    mapped = missing.astype("string").where(values.isna()).map(dict(kinds)).astype(object)
    fill = mapped.notna().to_numpy()
    if not fill.any():
        return values, set()
    used = set(mapped[fill])
    if all(isinstance(v, str) for v in used):
        out = values.astype(object)
        out[fill] = mapped[fill]
        return out, used
    return values.mask(fill, pd.to_numeric(mapped, errors="coerce")).astype("float64"), used


def _kind_codes(present: Iterable[str], fmt: str, table: Mapping[str, int]) -> dict[str, Any]:
    """Code (SPSS) or letter (Stata) of each missing kind present; new kinds get free ones."""
    out: dict[str, Any] = {}
    if fmt == "dta":
        free = iter(c for c in "hijklmnopqrstuvwxyz" if c not in STATA_MISSING.values())
        for kind in sorted(present):
            out[kind] = STATA_MISSING[kind] if kind in STATA_MISSING else next(free, "z")
        return out
    taken = set(table.values())
    spare = iter(c for c in range(-8, -1000, -1) if c not in taken)
    for kind in sorted(present):
        out[kind] = table[kind] if kind in table else next(spare)
    return out


def _numeric_collision(values: pd.Series, codes: Iterable[int]) -> bool:
    observed = set(pd.to_numeric(values, errors="coerce").dropna().unique().tolist())
    return bool(observed & set(codes))


def _stat_frame(frame: pd.DataFrame, vars_: list[Variable], codebook: Codebook, fmt: str,
                language: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame and pyreadstat metadata for ``sav`` / ``dta``."""
    questions = {q.id: q for q in codebook.questions}
    out: dict[str, pd.Series] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing_decl: dict[str, list[Any]] = {}
    measure: dict[str, str] = {}
    skipped: list[str] = []
    for var in vars_:
        s = frame[var.name]
        measure[var.name] = var.measure
        if var.kind in ("text", "datetime"):
            if var.kind == "text":
                s = s.astype(object).where(s.notna(), None)
            out[var.name] = s
            continue
        q = questions.get(var.missing_of or "")
        mcol = missing_column(var.missing_of) if var.missing_of else None
        missing = frame[mcol] if mcol and mcol in frame.columns else None
        labels = dict(var.value_labels)
        kinds: dict[str, Any] = {}
        if missing is not None:
            present = {str(k) for k in missing.dropna().unique().tolist()}
            kinds = _kind_codes(present, fmt, missing_code_table(codebook, q))
            if fmt == "sav" and var.kind == "number" and _numeric_collision(s, kinds.values()):
                skipped.append(var.name)
                kinds = {}
        coded, used = _coded(s, var, missing, kinds)
        out[var.name] = coded
        for kind, code in kinds.items():
            if code in used:
                labels[code] = pick(_KIND_LABELS.get(kind, {"zh": kind, "en": kind}), language)
        if used:
            missing_decl[var.name] = sorted(used, key=lambda c: (str(type(c)), c))
        if labels:
            value_labels[var.name] = labels
    if skipped:
        warnings.warn(f"{len(skipped)} numeric variable(s) hold values equal to a missing code, "
                      f"so their missing kinds are written as system missing: {skipped} (the "
                      "<qid>__missing columns still say why)", MicrodataWarning, stacklevel=3)
    data = pd.DataFrame(out, index=frame.index)
    for col in data.columns:
        if data[col].dtype == object and data[col].isna().all() and frame[col].dtype != object \
                and not pd.api.types.is_string_dtype(frame[col]):
            data[col] = data[col].astype("float64")  # an all-missing numeric stays numeric
    return data, {"value_labels": value_labels, "missing": missing_decl, "measure": measure}


def _spss_missing(codes: list[Any]) -> list[Any]:
    """Up to three discrete codes, else one range (SPSS's limit)."""
    if len(codes) <= 3:
        return [float(c) for c in codes]
    return [{"lo": float(min(codes)), "hi": float(max(codes))}]


def write_labelled(frame: pd.DataFrame, vars_: list[Variable], codebook: Codebook, path: Path,
                fmt: str, language: str, notes: list[str]) -> tuple[dict[str, str], list[str]]:
    """Write an SPSS (``fmt="sav"``) or Stata (``"dta"``) file with labels and missing kinds.

    Parameters
    ----------
    frame : pandas.DataFrame
        The export frame (option keys, booleans, NA, ``<qid>__missing`` columns).
    vars_ : list of Variable
        From :func:`variables`, one per column.
    codebook : Codebook
        For the missing codes of each question.
    path : Path
        File to write.
    fmt : {"sav", "dta"}
        File format.
    language : {"zh", "en"}
        Language of the missing-kind labels.
    notes : list of str
        The first line is the file label; SPSS keeps all lines as notes.

    Returns
    -------
    renamed : dict
        Original name -> name in the file, for names the format does not allow.
    shortened : list of str
        Columns whose variable or value labels were cut to the format's limit.

    Warns
    -----
    MicrodataWarning
        Names renamed, labels cut, or numeric answers equal to a missing code
        (their kinds are then written as system missing).
    """
    import pyreadstat

    data, meta = _stat_frame(frame, vars_, codebook, fmt, language)
    names = _fit_names(list(data.columns), fmt)
    renamed = {k: v for k, v in names.items() if k != v}
    labels: dict[str, str] = {}
    shortened: list[str] = []
    for var in vars_:
        fitted = _fit_label(var.label, fmt)
        if fitted != var.label:
            shortened.append(var.name)
        labels[names[var.name]] = fitted
    value_labels: dict[str, dict[Any, str]] = {}
    cut_values: list[str] = []
    for col, mapping in meta["value_labels"].items():
        fitted_map = {k: _fit_label(v, fmt, value=True) for k, v in mapping.items()}
        if fitted_map != mapping:
            cut_values.append(col)
        value_labels[names[col]] = fitted_map
    data = data.rename(columns=names)
    if renamed or shortened or cut_values:
        what = "Stata" if fmt == "dta" else "SPSS"
        parts = []
        if renamed:
            parts.append(f"renamed {renamed}")
        if shortened:
            parts.append(f"variable labels cut to {'80 characters' if fmt == 'dta' else '256 bytes'}"
                         f" for {shortened}")
        if cut_values:
            parts.append(f"value labels cut to 120 bytes for {cut_values}")
        warnings.warn(f"{what} limits: " + "; ".join(parts), MicrodataWarning, stacklevel=3)
    title = notes[0] if notes else ""
    column_labels: dict[str, str | None] = dict(labels)  # pyreadstat's annotation
    if fmt == "dta":
        pyreadstat.write_dta(data, str(path), file_label=_fit_label(title, "dta"),
                             column_labels=column_labels, variable_value_labels=value_labels,
                             missing_user_values={names[k]: v for k, v in meta["missing"].items()},
                             version=15)
    else:
        pyreadstat.write_sav(data, str(path), file_label=_cut_bytes(title, 64),
                             column_labels=column_labels, variable_value_labels=value_labels,
                             missing_ranges={names[k]: _spss_missing(v)
                                             for k, v in meta["missing"].items()},
                             variable_measure={names[k]: v for k, v in meta["measure"].items()},
                             note=[part for n in notes for part in _wrap_bytes(n, 80)])
    return renamed, shortened + cut_values
