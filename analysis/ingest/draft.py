"""Draft a codebook (``survey.yaml``) from an export, so any raw file can be read.

The draft is a starting point for a human: question types, labels and
codes are guessed from the headers and answers.  问卷星 surveys are best
drafted from *both* downloads: the 按选项序号 (code) file gives codes and
the 按选项文本 (text) file gives labels; :func:`draft_codebook` pairs them
automatically when they sit side by side (``_0``/``_2``,
``Readable``/``Original``, ``按文本``/``按序号``).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Set
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..codebook import Codebook
from ..errors import CodebookError
from ._cells import (
    SKIP_TOKENS,
    cell_text,
    is_int_like,
    normalise_label,
    strip_decoration,
)
from .detect import detect_platform
from .pairing import Pairing, find_pair
from .provisional import DraftWarning
from .qualtrics_pair import pair_qualtrics
from .roles import propose_roles
from .scales import LIKERT_SCALES, order_scale
from .table import read_table
from .wjx import Group, detect_mode, group_headers

__all__ = ["draft_codebook", "draft_wave", "codebook_yaml", "pair_exports", "find_partner"]

_PAIR_PATTERNS = (
    (re.compile(r"^(.*)_0$"), r"\g<1>_2", re.compile(r"^(.*)_2$")),
    (re.compile(r"^(.*)Readable(.*)$", re.I), r"\g<1>Original\g<2>",
     re.compile(r"^(.*)Original(.*)$", re.I)),
    (re.compile(r"^(.*)按文本(.*)$"), r"\g<1>按序号\g<2>", re.compile(r"^(.*)按序号(.*)$")),
    (re.compile(r"^(.*)按选项文本(.*)$"), r"\g<1>按选项序号\g<2>",
     re.compile(r"^(.*)按选项序号(.*)$")),
)
_TEXT_TAGS = ("填空题", "简答题", "多项填空题", "日期题", "文件上传题")
_CHOICE_TAGS = ("单选题", "下拉题", "下拉框", "量表题", "NPS量表题", "评分题", "判断题")
_SCORE = re.compile(r"^(-?\d+(?:\.\d+)?)分$")
_LEADING_NUMBER = re.compile(r"^\D{0,2}?(\d+(?:\.\d+)?)")
#: Private key of a drafted question: how its options were ordered (popped before validation).
_HOW = "_ordered_as"


# ------------------------------------------------------------------ pairing
def find_partner(path: Path) -> tuple[Path, Path] | None:
    """The other 问卷星 download of ``path`` beside it, as ``(text, code)``, if any.

    Parameters
    ----------
    path : Path
        A 问卷星 export (either download).

    Returns
    -------
    tuple of Path or None
        ``(text, code)`` files; None when the partner file is not there.
    """
    stem, suffix = path.stem, path.suffix
    for text_re, code_sub, code_re in _PAIR_PATTERNS:
        if text_re.match(stem):
            other = path.with_name(text_re.sub(code_sub, stem) + suffix)
            if other.is_file():
                return path, other
        m = code_re.match(stem)
        if m:
            for cand in path.parent.iterdir():
                if cand != path and cand.suffix == suffix and text_re.match(cand.stem) and \
                        text_re.sub(code_sub, cand.stem) == stem:
                    return cand, path
    return None


def pair_exports(files: list[Path]) -> tuple[Path, Path] | None:
    """Among ``files``, a (text-mode, code-mode) 问卷星 pair, if there is exactly one.

    Parameters
    ----------
    files : list of Path
        Export files of one folder.

    Returns
    -------
    tuple of Path or None
        ``(text, code)`` files; None when no pair or several pairs are found.
    """
    pairs = {find_partner(f) for f in files}
    pairs.discard(None)
    return next(iter(pairs)) if len(pairs) == 1 else None


# ------------------------------------------------------------- 问卷星 drafts
def _values(cells: pd.Series) -> pd.Series:
    """Answer cells without skips and missing codes."""
    v = cells.dropna()
    return v[~v.isin(SKIP_TOKENS) & ~v.isin(["-2", "-3"])]


def _order_labels(labels: list[str]) -> list[str]:
    """Labels in first-appearance order, numbered bands (``16~19岁``) sorted by number."""
    scores = [_SCORE.match(x) for x in labels]
    if labels and all(scores):
        return sorted(labels, key=lambda x: float(_SCORE.match(x).group(1)))  # type: ignore[union-attr]
    numbers = [_LEADING_NUMBER.match(x) for x in labels]
    if sum(bool(m) for m in numbers) >= max(2, len(labels) / 2):
        lead = sorted((x for x, m in zip(labels, numbers, strict=True) if m),
                      key=lambda x: float(_LEADING_NUMBER.match(x).group(1)))  # type: ignore[union-attr]
        return lead + [x for x, m in zip(labels, numbers, strict=True) if not m]
    return labels


def _split_labels(values: pd.Series, sep: str) -> tuple[list[str], set[str]]:
    """Distinct labels of joined answers (first appearance) and those with 〖other text〗."""
    parts = values.str.split(sep).explode().str.strip()
    parts = parts[parts.notna() & (parts != "")]
    other = parts.str.extract(r"^(.*?)〖(.*)〗$")
    labels = other[0].fillna(parts).str.strip()
    with_text = set(labels[other[0].notna()])
    return list(pd.unique(labels)), with_text


def _options(labels: list[str], with_text: Set[str] = frozenset(), codes: list[int] | None = None,
             ) -> list[dict[str, Any]]:
    out = []
    for i, label in enumerate(labels):
        opt: dict[str, Any] = {"code": codes[i] if codes else i + 1, "label": label}
        if label in with_text or strip_decoration(label) != label:
            opt["other"] = True
        out.append(opt)
    return out


def _is_numeric(values: pd.Series) -> bool:
    return len(values) > 0 and bool(pd.to_numeric(values, errors="coerce").notna().all())


def _free_text(values: pd.Series) -> bool:
    distinct = values.nunique()
    return distinct > 40 or (len(values) >= 20 and distinct > 0.5 * len(values))


def _as_written(parsed: str | None, raw: str) -> str:
    """The part of ``raw`` that header parsing read as ``parsed`` (NFKC), spelled as in ``raw``.

    Header parsing compares NFKC forms, which turn full-width punctuation
    (``？``, ``：``, ``（）``) into ASCII; labels keep the questionnaire's spelling.
    """
    if not parsed:
        return parsed or ""
    pieces = [unicodedata.normalize("NFKC", c) for c in raw]
    starts, text = [], ""
    for piece in pieces:
        starts.append(len(text))
        text += piece
    at = text.find(parsed)
    end = at + len(parsed)
    if at < 0 or at not in starts or (end not in starts and end != len(text)):
        return parsed
    first = starts.index(at)
    last = starts.index(end) if end in starts else len(raw)
    return raw[first:last]


def _draft_group(g: Group, qid: str, source: Any, cells: dict[int, pd.Series], mode: str,
                 ) -> dict[str, Any]:
    label = _as_written(g.label, g.head.raw if g.head else (g.parts[0].raw if g.parts else "")) \
        or (g.head.raw.strip() if g.head else qid)
    q: dict[str, Any] = {"id": qid, "type": "text", "label": label, "source": source}
    tag = g.tag or ""
    if g.parts and g.head is None:
        values = pd.concat([_values(cells[p.position]) for p in g.parts])
        ints = values[is_int_like(values)].astype(float) if len(values) else values
        textual = len(values) > 0 and not is_int_like(values).all()
        if g.matrix or (textual and mode == "text"):
            q["type"] = "grid"
            q["items"] = [{"id": f"r{i}", "label": _as_written(p.sub, p.raw), "source": p.sub}
                          for i, p in enumerate(g.parts, start=1)]
            if mode == "text":
                labels, scale = _ordered(list(pd.unique(values)))
                q["options"] = _options(labels)
                _mark_guess(q, scale)
            else:
                codes = sorted({int(v) for v in ints if v >= 0})
                q["options"] = _options([str(c) for c in codes], codes=codes)
            return q
        q["type"] = "ranking" if len(ints) and (ints > 1).any() else "multiple"
        subs = [p for p in g.parts if not (
            _values(cells[p.position]).size and not is_int_like(_values(cells[p.position])).all())]
        texts = {normalise_label(strip_decoration(p.sub or "")) for p in g.parts if p not in subs}
        q["options"] = _options([_as_written(p.sub or "", p.raw) for p in subs])
        for o in q["options"]:
            if normalise_label(strip_decoration(o["label"])) in texts:
                o["other"] = True
        return q
    cells_ = cells[g.head.position] if g.head else pd.Series(dtype="string")
    values = _values(cells_)
    if mode == "text" and values.str.contains("┋", regex=False).any() or "多选" in tag:
        q["type"] = "multiple"
        labels, with_text = _split_labels(values, "┋")
        q["options"] = _options(labels, with_text)
    elif mode == "text" and values.str.contains("→", regex=False).any() or "排序" in tag:
        q["type"] = "ranking"
        labels, with_text = _split_labels(values, "→")
        q["options"] = _options(labels, with_text)
    elif tag in _TEXT_TAGS or (len(values) and not is_int_like(values).all() and mode == "code"):
        q["type"] = "numeric" if _is_numeric(values) and tag != "简答题" else "text"
    elif mode == "code" or (_is_numeric(values) and tag not in _CHOICE_TAGS):
        distinct = values.nunique()
        if mode == "code" and is_int_like(values).all() and distinct <= 30 and len(values):
            codes = sorted({int(float(v)) for v in values})
            q["type"] = "single"
            q["options"] = _options([str(c) for c in codes], codes=codes)
        else:
            q["type"] = "numeric"
    elif len(values) == 0 or _free_text(values):
        q["type"] = "text"
    else:
        labels, with_text = _split_labels(values, "\x00")
        labels, scale = _ordered(labels)
        likert = all(_SCORE.match(x) for x in labels) or scale in LIKERT_SCALES
        q["type"] = "likert" if likert else "single"
        q["options"] = _options(labels, with_text)
        _mark_guess(q, scale)
    return q


def _ordered(labels: list[str]) -> tuple[list[str], str | None]:
    """Labels of a text-mode question in scale order, and the scale recognised (if any)."""
    match = order_scale(labels)
    if match is not None:
        return list(match.labels), match.scale
    ordered = _order_labels(labels)
    return ordered, ("numbered" if ordered != labels else None)


def _mark_guess(q: dict[str, Any], scale: str | None) -> None:
    """Codes numbered from text labels are guesses: mark them (and note how they were made)."""
    q["provisional"] = True
    q[_HOW] = scale


def _wjx_draft(table: pd.DataFrame, mode: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    headers = [str(h) for h in table.columns]
    groups, meta = group_headers(headers)
    cells = {p: cell_text(table.iloc[:, p]) for g in groups for p in g.positions()}
    questions: list[dict[str, Any]] = []
    bare = 0
    source: int | str  # the question number, else the bare header's text
    for g in groups:
        if g.number is not None:
            qid, source = f"q{g.number}", g.number
        else:
            bare += 1
            qid, source = f"x{bare}", g.head.raw if g.head else ""
        questions.append(_draft_group(g, qid, source, cells, mode))
    extra: dict[str, Any] = {"respondent": {}, "personal": []}
    for h in meta:
        if h.meta in ("id", "duration", "submitted", "started", "ip"):
            extra["respondent"].setdefault(h.meta, h.raw)
        elif h.meta == "personal":
            extra["personal"].append({"column": h.raw, "action": "drop"})
    return questions, extra


def _pair_options(t_cells: list[pd.Series], c_cells: list[pd.Series], rows: tuple[np.ndarray,
                  np.ndarray]) -> tuple[list[tuple[int, str]], bool]:
    """(code, label) options from aligned cells; whether every label equals its code."""
    pairs: Counter[tuple[int, str]] = Counter()
    for t, c in zip(t_cells, c_cells, strict=True):
        tv = t.iloc[rows[0]].reset_index(drop=True)
        cv = c.iloc[rows[1]].reset_index(drop=True)
        ok = tv.notna() & cv.notna() & ~tv.isin(SKIP_TOKENS) & is_int_like(cv.fillna(""))
        labels = tv[ok].str.replace(r"〖.*〗$", "", regex=True).str.strip()
        codes = cv[ok].astype(float).astype(int)
        pairs.update(zip(codes.tolist(), labels.tolist(), strict=True))
    best: dict[int, tuple[str, int]] = {}
    for (code, label), n in pairs.items():
        if code < 0:
            continue
        if code not in best or n > best[code][1]:
            best[code] = (label, n)
    options = sorted((code, label) for code, (label, _) in best.items())
    identity = all(label == str(code) for code, label in options)
    return options, identity


def _pair(pairing: Pairing) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    text, code, rows = pairing.text_table, pairing.code_table, pairing.rows
    tq, extra = _wjx_draft(text, "text")
    cq, _ = _wjx_draft(code, "code")
    t_by_id = {q["id"]: q for q in tq}
    t_cells, c_cells = _cells_by_id(text), _cells_by_id(code)
    out = []
    for q in cq:
        t = t_by_id.get(q["id"])
        if t is None:
            out.append(q)
            continue
        if t.get("label") and t["label"] != t["id"]:
            # Code-mode headers (第n题(选项)) carry no question stem; the text file does.
            q["label"] = t["label"]
        if q["type"] in ("multiple", "ranking"):
            others = {normalise_label(strip_decoration(o["label"]))
                      for o in t.get("options", []) if o.get("other")}
            for o in q["options"]:
                if normalise_label(strip_decoration(o["label"])) in others:
                    o["other"] = True
            out.append(q)
        elif q["type"] in ("grid", "single"):
            tc, cc = t_cells.get(q["id"], []), c_cells.get(q["id"], [])
            if len(tc) != len(cc):
                out.append(t)
                continue
            options, identity = _pair_options(tc, cc, rows)
            if identity and t["type"] in ("numeric", "text"):
                out.append(t)
                continue
            others = {o["label"] for o in t.get("options", []) if o.get("other")}
            q["options"] = _options([lb for _, lb in options], others, [c for c, _ in options])
            if t["type"] == "likert":
                q["type"] = "likert"
            out.append(q)
        else:
            out.append(q if q["type"] in ("text", "numeric") else t)
    return out, extra


def _cells_by_id(table: pd.DataFrame) -> dict[str, list[pd.Series]]:
    """Cleaned cells of each drafted question id (same ids as :func:`_wjx_draft`)."""
    groups, _ = group_headers([str(h) for h in table.columns])
    out: dict[str, list[pd.Series]] = {}
    bare = 0
    for g in groups:
        if g.number is None:
            bare += 1
        qid = f"q{g.number}" if g.number is not None else f"x{bare}"
        out[qid] = [cell_text(table.iloc[:, p]) for p in g.positions()]
    return out


# ------------------------------------------------------------------- public
_SCALE_NAMES = {"agreement": "agreement", "satisfaction": "satisfaction",
                "frequency": "frequency", "importance": "importance",
                "likelihood": "likelihood", "city_tier": "city-tier", "education": "education",
                "bands": "numbered-band"}


def _guess_notes(questions: list[dict[str, Any]], path: Path | None) -> list[str]:
    """What the draft guessed: scales it ordered, codes it had to number itself."""
    notes = []
    by_scale: dict[str, list[str]] = {}
    guessed, unordered = [], []
    for q in questions:
        how = q.pop(_HOW, None)
        if q.get("provisional"):
            guessed.append(q["id"])
            if how is None:
                unordered.append(q["id"])
        if how is not None:
            by_scale.setdefault(how, []).append(q["id"])
    for how, ids in by_scale.items():
        what = ("by the numbers in their labels" if how == "numbered"
                else f"as a standard {_SCALE_NAMES[how]} scale, low to high")
        notes.append(f"ordered the options of {_ids(ids)} {what}")
    if guessed:
        where = f" ({path.name})" if path is not None else ""
        first = f"; {_ids(unordered)} in order of first appearance" if unordered else ""
        notes.append(
            f"the export{where} holds labels only: the option codes of {_ids(guessed)} are "
            f"guesses, numbered 1, 2, ... from the low end of each ordered scale{first}. "
            "They are marked `provisional: true`; a code-mode file will not be decoded with "
            "them. Put the code-mode download beside this one and draft again (the two are "
            "paired by content), or check the codes against the questionnaire and delete "
            "`provisional: true` (docs/codebook.md#provisional-codes)")
    return notes


def _scales(questions: list[dict[str, Any]]) -> dict[str, str | None]:
    """Question id -> the standard scale its option labels form (None: none)."""
    out: dict[str, str | None] = {}
    for q in questions:
        labels = [o["label"] if isinstance(o["label"], str) else o["label"].get("zh", "")
                  for o in q.get("options") or []]
        match = order_scale(labels) if len(labels) >= 2 else None
        out[q["id"]] = match.scale if match else None
    return out


def _ids(ids: list[str]) -> str:
    return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


def _wave_name(path: Path | None) -> str:
    if path is None:
        return "draft"
    base = path.parent.parent.name if path.parent.name == "raw" else path.stem
    return re.sub(r"\s+", "-", base.strip()) or "draft"


def draft_codebook(source: str | Path | pd.DataFrame, *, encoding: str = "auto",
                   pair: bool = True, wave: str | None = None) -> Codebook:
    """Draft a codebook from an export (or a table from :func:`read_table`).

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        The export file, or its raw table.
    encoding : str, default "auto"
        Text files: codec, or detect.
    pair : bool, default True
        For 问卷星, also read the other download of the same survey beside
        the file, found by content (same 序号 and submit times) whatever its
        name: codes come from the code file and labels from the text file.
    wave : str, optional
        Wave name; defaults to the wave folder's or file's name.

    Returns
    -------
    Codebook
        Question ids ``q<n>`` (问卷星 question number ``n``; ``x<k>`` for
        unnumbered columns) or the export's variable names; multiple
        choice from ``┋`` or 0/1 columns (SPSS/Stata split variables
        grouped); standard scales ordered low to high; grids, rankings
        (``→``), numeric and free-text questions.  Codes that only a
        text-mode file suggested are ``provisional`` (a
        :class:`~analysis.ingest.provisional.DraftWarning` says which).
        Review it, then save it with :func:`codebook_yaml` as ``survey.yaml``.
    """
    return draft_wave(source, encoding=encoding, pair=pair, wave=wave)[0]


def draft_wave(source: str | Path | pd.DataFrame, *, encoding: str = "auto",
               pair: bool = True, wave: str | None = None) -> tuple[Codebook, list[Path]]:
    """Draft a codebook and name the files it was drafted from.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        The export file, or its raw table.
    encoding : str, default "auto"
        Text files: codec, or detect.
    pair : bool, default True
        For 问卷星, pair the other download found by content.
    wave : str, optional
        Wave name; defaults to the wave folder's or file's name.

    Returns
    -------
    codebook : Codebook
        As :func:`draft_codebook`.
    files : list of Path
        The export, then the other 问卷星 download it was paired with (if any).
    """
    path: Path | None = None
    if isinstance(source, pd.DataFrame):
        table = source
    else:
        path = Path(source)
        table, _ = read_table(path, encoding)
    platform = detect_platform(table)
    data: dict[str, Any] = {"wave": wave or _wave_name(path), "platform": platform}
    notes: list[str] = []
    files = [path] if path is not None else []
    if platform == "wjx":
        pairing = None
        if pair and path is not None:
            named = find_partner(path)
            preferred = [f for f in (named or ()) if f != path]
            pairing, notes = find_pair(path, table, encoding, preferred)
        if pairing is not None:
            questions, extra = _pair(pairing)
            notes.insert(0, pairing.describe())
            files.append(pairing.code if pairing.text == path else pairing.text)
        else:
            questions, extra = _wjx_draft(table, detect_mode(table))
    else:
        from ._draft_other import draft_other

        questions, extra = draft_other(table, platform)
        if platform == "qualtrics" and pair and path is not None:
            questions, partner, note = pair_qualtrics(path, table, questions, encoding)
            if partner is not None and note is not None:
                files.append(partner)
                notes.append(note)
    notes += _guess_notes(questions, path)
    roles, why = propose_roles(questions, _scales(questions))
    if why:
        notes.append("proposed report roles (analysis:) from the labels: " + "; ".join(why)
                     + ". Check them (docs/codebook.md#roles)")
    for note in notes:
        warnings.warn(DraftWarning(note), stacklevel=2)
    data["title"] = data["wave"]
    if path is not None:
        data["raw"] = path.name
    data.update({k: v for k, v in extra.items() if v})
    data["questions"] = questions
    if roles:
        try:
            return Codebook.model_validate({**data, "analysis": roles}), files
        except Exception:  # noqa: BLE001 - a guessed role that does not fit is left out
            pass
    try:
        return Codebook.model_validate(data), files
    except Exception as exc:  # a bug in drafting, not user input: say which question
        raise CodebookError(f"could not draft a valid codebook: {exc}", file=path,
                            hint="please report this; write survey.yaml by hand meanwhile"
                            ) from exc


def codebook_yaml(codebook: Codebook) -> str:
    """Render a codebook as a readable ``survey.yaml``.

    Parameters
    ----------
    codebook : Codebook
        Typically from :func:`draft_codebook`.

    Returns
    -------
    str
        YAML with a review note on top; defaults are left out and labels
        equal in both languages are written once.  Loading it with
        :func:`analysis.load_codebook` gives back an equal codebook.
    """
    data = codebook.model_dump(mode="json", exclude_defaults=True, exclude={"path"})
    data = _simplify(data)
    head = (f"# survey.yaml for wave {codebook.wave}: drafted from the export.\n"
            "# Review every question: types, labels (zh/en), option codes, missing codes,\n"
            "# routing (show_if) and screening rules; see docs/codebook.md (the guide) and\n"
            "# docs/survey.schema.json (for editors). `provisional: true` marks option codes\n"
            "# guessed from labels: check them, then delete the mark.\n")
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100,
                          default_flow_style=False)
    return head + body


def _simplify(value: Any) -> Any:
    """Bilingual labels with equal zh/en become one string; recurse."""
    if isinstance(value, dict):
        if set(value) <= {"zh", "en"} and "zh" in value and value.get("en") in (None,
                                                                               value["zh"]):
            return value["zh"]
        return {k: _simplify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_simplify(v) for v in value]
    return value
