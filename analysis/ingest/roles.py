"""Propose the ``analysis:`` roles of a drafted codebook from its question labels.

The report's mission chapters need roles (the purchase outcome, the barriers
question, attitude items, banner subgroups and controls).  A draft proposes
them when a question's label and type say so plainly — 性别/年龄/收入/学历/城市
for subgroups, 是否购买 with 是/否 for the outcome, 原因/顾虑/障碍 on a
select-all question for barriers, agreement scales for attitudes — and the
draft's warning lists every guess, to be checked by a human.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["propose_roles"]

_SUBGROUP = re.compile(r"性别|年龄|收入|学历|教育|城市|居住地|地区|省份|\b(sex|gender|age|income|"
                       r"education|city|region)\b", re.I)
_OUTCOME = re.compile(r"购买|买过|是否.*买|用过|使用过|\b(purchased?|bought|buy)\b", re.I)
_YES_NO = ({"是", "否"}, {"有", "没有"}, {"买过", "没买过"}, {"yes", "no"})
_BARRIERS = re.compile(r"原因|顾虑|障碍|阻碍|为什么不|为何不|担心|\b(barriers?|reasons?|why not)\b",
                       re.I)


def _label(q: dict[str, Any]) -> str:
    label = q.get("label")
    return str(label.get("zh", "") if isinstance(label, dict) else label or "")


def _option_labels(q: dict[str, Any]) -> set[str]:
    out = set()
    for o in q.get("options") or []:
        lab = o.get("label")
        out.add(str(lab.get("zh", "") if isinstance(lab, dict) else lab).strip().lower())
    return out


def propose_roles(questions: list[dict[str, Any]], scales: dict[str, str | None],
                  ) -> tuple[dict[str, Any], list[str]]:
    """Propose the roles a human would likely declare, from labels, types and scales.

    Parameters
    ----------
    questions : list of dict
        Drafted question entries (``id``, ``type``, ``label``, ``options``).
    scales : dict
        Question id -> scale recognised for its options (``agreement``, ...),
        None when none.

    Returns
    -------
    roles : dict
        The ``analysis:`` section to write (empty when nothing was recognised).
    guesses : list of str
        One line per role guessed, saying from what.
    """
    roles: dict[str, Any] = {}
    why: list[str] = []
    subgroups = [q["id"] for q in questions if q["type"] in ("single", "likert")
                 and _SUBGROUP.search(_label(q)) and 2 <= len(q.get("options") or []) <= 40]
    if subgroups:
        roles["banner"] = subgroups[:4]
        roles["controls"] = subgroups
        why.append(f"banner and controls {', '.join(subgroups)} (labels naming sex, age, "
                   "income, education, city or region)")
    for q in questions:
        if q["type"] == "single" and _OUTCOME.search(_label(q)) \
                and _option_labels(q) in _YES_NO:
            roles["outcome"] = q["id"]
            why.append(f"outcome {q['id']} (a yes/no question about buying or using: "
                       f"{_label(q)[:30]})")
            break
    for q in questions:
        if q["type"] == "multiple" and _BARRIERS.search(_label(q)):
            roles["barriers"] = q["id"]
            why.append(f"barriers {q['id']} (a select-all question of reasons or concerns: "
                       f"{_label(q)[:30]})")
            break
    attitudes = [q["id"] for q in questions if q["type"] in ("grid", "likert")
                 and scales.get(q["id"]) == "agreement"]
    if attitudes:
        roles["attitudes"] = attitudes
        why.append(f"attitudes {', '.join(attitudes)} (agreement scales)")
    return roles, why
