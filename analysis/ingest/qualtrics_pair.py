"""Pair a Qualtrics numeric-values export with the choice-text export of the same responses.

Qualtrics exports "numeric values" (the recode values: real codes, no
labels) or "choice text" (labels, no codes).  A draft from either alone has
to guess one of them; with both beside each other — matched by content, the
same ResponseIds, whatever the file names — codes come from the numeric file
and labels from the choice-text file.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from ._cells import cell_text, is_int_like
from .detect import detect_platform, qualtrics_header_rows
from .pairing import candidates
from .qualtrics import import_ids
from .table import read_table

__all__ = ["pair_qualtrics"]

_CODED = ("single", "likert", "grid")


def _body(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    extra = max(qualtrics_header_rows(table), 0)
    return table.iloc[extra:].reset_index(drop=True), import_ids(table, extra)


def _response_ids(body: pd.DataFrame, ids: list[str]) -> pd.Series | None:
    for j, iid in enumerate(ids):
        if iid in ("_recordId", "ResponseId") or str(body.columns[j]) == "ResponseId":
            return cell_text(body.iloc[:, j])
    return None


def _numeric(body: pd.DataFrame, ids: list[str], questions: list[dict[str, Any]]) -> bool:
    """Whether the choice questions of this export hold codes (numeric values)."""
    bases = {str(q["source"]) for q in questions if q["type"] in _CODED}
    cells = [cell_text(body.iloc[:, j]).dropna() for j, iid in enumerate(ids)
             if re.sub(r"_\d+$", "", iid) in bases]
    values = pd.concat(cells) if cells else pd.Series(dtype="string")
    return len(values) > 0 and bool(is_int_like(values).all())


def pair_qualtrics(path: Path, table: pd.DataFrame, questions: list[dict[str, Any]],
                   encoding: str = "auto") -> tuple[list[dict[str, Any]], Path | None, str | None]:
    """Give drafted Qualtrics choice questions both codes and labels from the two exports.

    Parameters
    ----------
    path : Path
        The export drafted.
    table : DataFrame
        Its raw table.
    questions : list of dict
        The draft's questions (from this export).
    encoding : str, default "auto"
        Codec for text files.

    Returns
    -------
    questions : list of dict
        With real codes and labels where the other export was found.
    partner : Path or None
        The other export.
    note : str or None
        What was paired and on what evidence.
    """
    body, ids = _body(table)
    rid = _response_ids(body, ids)
    if rid is None or rid.isna().any() or not rid.is_unique:
        return questions, None, None
    mine_numeric = _numeric(body, ids, questions)
    for cand in candidates(path, []):
        try:
            other_table, _ = read_table(cand, encoding)
            if detect_platform(other_table) != "qualtrics":
                continue
        except Exception:  # noqa: BLE001 - an unreadable neighbour is not the partner
            continue
        o_body, o_ids = _body(other_table)
        o_rid = _response_ids(o_body, o_ids)
        if o_rid is None or not o_rid.is_unique or set(o_rid.dropna()) != set(rid):
            continue
        if _numeric(o_body, o_ids, questions) == mine_numeric:
            continue
        code_body, code_ids, code_rid = (body, ids, rid) if mine_numeric else (o_body, o_ids, o_rid)
        text_body, text_ids, text_rid = (o_body, o_ids, o_rid) if mine_numeric else (body, ids, rid)
        order = pd.Series(range(len(text_rid)), index=text_rid.to_numpy())
        rows = order.loc[code_rid.to_numpy()].to_numpy()
        text_col = {iid: j for j, iid in enumerate(text_ids)}
        out = []
        for q in questions:
            q = dict(q)
            if q["type"] in _CODED or q.get("provisional"):
                pairs: Counter[tuple[int, str]] = Counter()
                for j, iid in enumerate(code_ids):
                    if re.sub(r"_\d+$", "", iid) != str(q["source"]) or iid not in text_col:
                        continue
                    c = cell_text(code_body.iloc[:, j]).reset_index(drop=True)
                    t = cell_text(text_body.iloc[:, text_col[iid]]).iloc[rows].reset_index(
                        drop=True)
                    ok = c.notna() & t.notna() & is_int_like(c.fillna(""))
                    pairs.update(zip(c[ok].astype(float).astype(int), t[ok], strict=True))
                best: dict[int, tuple[str, int]] = {}
                for (code, label), n in pairs.items():
                    if code not in best or n > best[code][1]:
                        best[code] = (label, n)
                if best:
                    q["options"] = [{"code": code, "label": best[code][0]} for code in sorted(best)]
                    q.pop("provisional", None)
            out.append(q)
        n = len(rid)
        numeric, text = (path, cand) if mine_numeric else (cand, path)
        return out, cand, (f"paired the Qualtrics numeric-values export {numeric.name} with the "
                           f"choice-text export {text.name} by content: the same {n} "
                           f"ResponseIds; codes come from {numeric.name}, labels from {text.name}")
    return questions, None, None
