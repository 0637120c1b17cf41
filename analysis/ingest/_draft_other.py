"""Codebook drafts for Qualtrics, SPSS/Stata and plain tables (问卷星: :mod:`.draft`)."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ._cells import cell_text, is_int_like, normalise_label, strip_decoration
from .detect import qualtrics_header_rows
from .generic import META_NAMES, joined_separator
from .qualtrics import PERSONAL, column_role, import_ids, question_texts
from .scales import LIKERT_SCALES, order_scale

__all__ = ["draft_other", "identifier"]

_SPLIT = re.compile(r"^(.+?)[_.](\d+)$")
_EXTENDED = r"\.?[a-z]"
#: Private key of a drafted question: the scale its options were ordered as.
HOW = "_ordered_as"


def identifier(name: str, taken: set[str]) -> str:
    """A unique Python identifier from a column name (``Q1.a`` -> ``q1_a``; CJK -> ``v<n>``).

    Parameters
    ----------
    name : str
        The column name.
    taken : set of str
        Identifiers already used; the new one is added.

    Returns
    -------
    str
        A lower-case identifier not in ``taken``.
    """
    base = re.sub(r"\W+", "_", name.strip(), flags=re.ASCII).strip("_").lower()
    if not base or not re.match(r"[a-z_]", base):
        base = f"v{base}" if base else f"v{len(taken) + 1}"
    out, i = base, 2
    while out in taken:
        out, i = f"{base}_{i}", i + 1
    taken.add(out)
    return out


def _labels_in_order(values: pd.Series) -> list[str]:
    return [str(v) for v in pd.unique(values)]


def _choice_or_text(values: pd.Series, label: str, qid: str, source: str,
                    value_labels: dict[Any, str] | None = None, *,
                    labelled_format: bool = False) -> dict[str, Any]:
    """Single choice, numeric or text, from the distinct answers.

    In SPSS/Stata files (``labelled_format``) choices carry value labels, so
    an unlabelled numeric variable is a number, never a guessed choice.
    """
    q: dict[str, Any] = {"id": qid, "label": label or source, "source": source}
    extended = sorted(set(values[values.str.fullmatch(_EXTENDED)].str.lstrip(".")))
    if extended:  # Stata .a-.z: declared missing, never codes
        values = values[~values.str.fullmatch(_EXTENDED)]
        q["missing"] = {f".{x}": "skipped" for x in extended}
    value_labels = {k: v for k, v in (value_labels or {}).items() if is_int_like(
        pd.Series([str(k)], dtype="string")).all()}
    if value_labels:
        codes = sorted({int(float(k)) for k in value_labels})
        labels = {int(float(k)): str(v) for k, v in value_labels.items()}
        q.update(type="single", options=[{"code": c, "label": labels[c]} for c in codes
                                         if c >= 0] or [{"code": 1, "label": "1"}])
        missing = {c: "skipped" for c in codes if c < 0}
        if missing:
            q["missing"] = {**q.get("missing", {}), **missing}
        return q
    if len(values) == 0:
        q["type"] = "text"
    elif labelled_format and pd.to_numeric(values, errors="coerce").notna().all():
        q["type"] = "numeric"
    elif is_int_like(values).all():
        distinct = sorted({int(float(v)) for v in values})
        if len(distinct) <= 12:
            q.update(type="single", options=[{"code": c, "label": str(c)} for c in distinct
                                             if c >= 0])
            if not q["options"]:
                q.update(type="numeric", options=None)
        else:
            q["type"] = "numeric"
    elif pd.to_numeric(values, errors="coerce").notna().all():
        q["type"] = "numeric"
    elif labelled_format:  # a string variable: choices would carry value labels
        q["type"] = "text"
    elif values.nunique() > 40 or (len(values) >= 20 and values.nunique() > 0.5 * len(values)):
        q["type"] = "text"
    else:
        labels_, scale = _text_options(values)
        q.update(type="likert" if scale in LIKERT_SCALES else "single",
                 options=[{"code": i, "label": lb} for i, lb in enumerate(labels_, start=1)],
                 provisional=True)
        q[HOW] = scale
    return {k: v for k, v in q.items() if v is not None}


def _text_options(values: pd.Series) -> tuple[list[str], str | None]:
    """Distinct answer labels, in scale order when they form a standard scale."""
    labels = _labels_in_order(values)
    match = order_scale(labels)
    return (list(match.labels), match.scale) if match else (labels, None)


def _multiple(base: str, qid: str, label: str, parts: list[tuple[int, str]],
              others: set[int]) -> dict[str, Any]:
    options = []
    for code, lab in parts:
        opt: dict[str, Any] = {"code": code, "label": lab or str(code)}
        if code in others or (lab and strip_decoration(lab) != lab):
            opt["other"] = True
        options.append(opt)
    return {"id": qid, "type": "multiple", "label": label or base, "source": base,
            "options": options}


_STEM_SEP = re.compile(r"^(.*?)\s*(?:[:：]|\s-\s|——|—)\s*(.+)$")


def _split_stem(names: list[str]) -> tuple[str, list[str]]:
    """``["用过：A", "用过：B"]`` -> ``("用过", ["A", "B"])``: the stem the labels share."""
    parts = [_STEM_SEP.match(n) for n in names]
    if all(parts) and len({m.group(1) for m in parts if m}) == 1:
        return parts[0].group(1), [m.group(2) for m in parts if m]  # type: ignore[union-attr]
    return "", names


def _draft_by_name(table: pd.DataFrame, labels: dict[str, str],
                   value_labels: dict[str, dict[Any, str]], *,
                   labelled_format: bool = False) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    headers = [str(h) for h in table.columns]
    cells = {h: cell_text(table.iloc[:, j]) for j, h in enumerate(headers)}
    extra: dict[str, Any] = {"respondent": {}}
    taken: set[str] = set()
    questions: list[dict[str, Any]] = []
    groups: dict[str, list[tuple[int, str]]] = {}
    for h in headers:
        m = _SPLIT.match(h)
        if m:
            groups.setdefault(m.group(1), []).append((int(m.group(2)), h))
    done: set[str] = set()
    for h in headers:
        if h in done:
            continue
        role = META_NAMES.get(normalise_label(h))
        if role and role not in extra["respondent"]:
            extra["respondent"][role] = h
            continue
        m = _SPLIT.match(h)
        if m and len(groups.get(m.group(1), [])) >= 2 and m.group(1) not in headers:
            base = m.group(1)
            members = groups[base]
            values = pd.concat([cells[c].dropna() for _, c in members])
            extended = values[values.str.fullmatch(_EXTENDED)]
            values = values[~values.str.fullmatch(_EXTENDED)]
            if len(values) and values.isin(["0", "1"]).all():
                # One question of 0/1 split variables; each variable's label (without the
                # stem they share) or its value label of 1 names the option.
                names = [labels.get(c) or (value_labels.get(c) or {}).get(1) or "" for _, c in
                         members]
                stem, options = _split_stem(names)
                parts = [(k, lab or str(k)) for (k, _), lab in zip(members, options, strict=True)]
                q = _multiple(base, identifier(base, taken), stem or base, parts, set())
                if len(extended):
                    q["missing"] = {f".{x}": "skipped" for x in sorted(set(
                        extended.str.lstrip(".")))}
                questions.append(q)
                done.update(c for _, c in members)
                continue
        values = cells[h].dropna()
        if len(values) and values.str.contains("┋", regex=False).any():
            sep = joined_separator(values)
            opts = pd.unique(values.str.split(sep).explode().str.strip())
            questions.append({"id": identifier(h, taken), "type": "multiple",
                              "label": labels.get(h, h), "source": h,
                              "options": [{"code": i, "label": o}
                                          for i, o in enumerate(opts, start=1) if o]})
            continue
        questions.append(_choice_or_text(values, labels.get(h, ""), identifier(h, taken), h,
                                         value_labels.get(h), labelled_format=labelled_format))
    return questions, extra


def _draft_qualtrics(table: pd.DataFrame) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    extra_rows = max(qualtrics_header_rows(table), 0)
    tags = [str(h).strip() for h in table.columns]
    ids = import_ids(table, extra_rows)
    texts = question_texts(table, extra_rows)
    body = table.iloc[extra_rows:].reset_index(drop=True)
    extra: dict[str, Any] = {"respondent": {}, "personal": []}
    groups: dict[str, list[tuple[str, int]]] = {}
    for pos, (iid, tag) in enumerate(zip(ids, tags, strict=True)):
        role = column_role(iid, tag)
        if role in ("id", "duration", "submitted", "started", "ip"):
            extra["respondent"].setdefault(role, tag)
            continue
        if role == "personal" or normalise_label(tag) in PERSONAL:
            extra["personal"].append({"column": tag, "action": "drop"})
            continue
        if role == "meta":
            continue
        m = re.match(r"^(QID\d+)(?:_(.*))?$", iid)
        base, suffix = (m.group(1), m.group(2) or "") if m else (iid, "")
        groups.setdefault(base, []).append((suffix, pos))
    taken: set[str] = set()
    questions = []
    for base, members in groups.items():
        first = members[0][1]
        tag = tags[first].split("_")[0] if len(members) > 1 else tags[first]
        qid = identifier(tag, taken)
        stem = texts[first].rsplit(" - ", 1)[0] if len(members) > 1 else texts[first]
        parts = [(s, p) for s, p in members if s and s.isdigit()]
        others = {int(s.split("_")[0]) for s, _ in members if s.endswith("TEXT") and s[:1].isdigit()}
        if parts:
            values = pd.concat([cell_text(body.iloc[:, p]).dropna() for _, p in parts])
            labels = [(int(s), texts[p].rsplit(" - ", 1)[-1] if " - " in texts[p] else s)
                      for s, p in parts]
            if len(values) == 0 or values.isin(["1"]).all() or not is_int_like(values).all() \
                    and values.isin([lb for _, lb in labels]).all():
                questions.append(_multiple(base, qid, stem, labels, others))
            elif is_int_like(values).all() and values.astype(int).max() <= len(parts):
                q = _multiple(base, qid, stem, labels, others)
                q["type"] = "ranking"
                questions.append(q)
            else:
                items = [{"id": f"r{code}", "label": lab, "source": str(code)}
                         for code, lab in labels]
                grid: dict[str, Any] = {"id": qid, "type": "grid", "label": stem,
                                        "source": base, "items": items}
                if is_int_like(values).all():
                    opts = sorted({int(float(v)) for v in values})
                    grid["options"] = [{"code": c, "label": str(c)} for c in opts]
                else:  # choice text: labels only, codes guessed (in scale order if one)
                    names, scale = _text_options(values)
                    grid.update(options=[{"code": i, "label": lb} for i, lb in
                                         enumerate(names, start=1)], provisional=True)
                    grid[HOW] = scale
                questions.append(grid)
            continue
        suffix, main = next(((s, p) for s, p in members if s in ("", "TEXT")), ("", first))
        values = cell_text(body.iloc[:, main]).dropna()
        if suffix == "TEXT":  # a text-entry question
            numeric = len(values) and pd.to_numeric(values, errors="coerce").notna().all()
            questions.append({"id": qid, "type": "numeric" if numeric else "text",
                              "label": stem or base, "source": base})
            continue
        joined = _comma_joined(values)
        if joined is not None:  # choice text of a multiple choice: labels joined by ","
            names, _ = joined, None
            q = _multiple(base, qid, stem, list(enumerate(names, start=1)), others)
            q["provisional"] = True
            questions.append(q)
            continue
        q = _choice_or_text(values, stem, qid, base)
        if q.get("options") and others:
            q["options"][-1]["other"] = True
        questions.append(q)
    return questions, extra


def _comma_joined(values: pd.Series) -> list[str] | None:
    """Option labels of a Qualtrics choice-text multiple choice (``A,B``), or None.

    A comma inside one label (``Not enough information, really``) is not a
    join: the parts of a join recur across answers, those of one label do not.
    """
    distinct = pd.unique(values)
    if not any("," in v for v in distinct):
        return None
    seen: dict[str, int] = {}
    for v in distinct:
        for part in dict.fromkeys(p.strip() for p in v.split(",") if p.strip()):
            seen[part] = seen.get(part, 0) + 1
    if not any(n >= 2 for n in seen.values()):
        return None
    return list(seen)


def draft_other(table: pd.DataFrame, platform: str) -> tuple[list[dict[str, Any]],
                                                             dict[str, Any]]:
    """Draft the questions and extra codebook fields of a non-问卷星 table.

    Parameters
    ----------
    table : DataFrame
        The raw table (:func:`analysis.ingest.table.read_table`).
    platform : {"qualtrics", "spss", "stata", "generic"}
        The detected platform.

    Returns
    -------
    questions : list of dict
        Draft question entries of ``survey.yaml``.
    extra : dict
        Other codebook fields: the ``respondent`` columns and the ``personal``
        columns to drop.
    """
    if platform == "qualtrics":
        return _draft_qualtrics(table)
    labels = {k: v for k, v in (table.attrs.get("column_labels") or {}).items() if v}
    values = table.attrs.get("value_labels") or {}
    return _draft_by_name(table, labels, values, labelled_format=platform in ("spss", "stata"))
