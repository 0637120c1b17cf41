"""Recognise standard ordered answer scales, so drafted options come in their natural order.

A text-mode export only shows the labels respondents chose, in the order
they happened to appear; numbering them that way turns a Likert scale into
``比较同意=1, 一般=2, 比较不同意=3, ...``.  :func:`order_scale` knows the
usual scales (agreement, satisfaction, frequency, importance, likelihood,
city tiers, education) and numbered bands (age, income, scores) and puts
their labels from the low end to the high end.  The order is then right,
but the platform's own codes (问卷星 may number 非常同意 as 1) stay unknown
until the code-mode download is paired: drafts mark such codes
``provisional``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["ScaleMatch", "order_scale", "LIKERT_SCALES"]

# Each scale: levels from low to high, each a tuple of spellings (compared after
# NFKC, case-folding and dropping spaces and punctuation).
_SCALES: dict[str, tuple[tuple[str, ...], ...]] = {
    "agreement": (
        ("非常不同意", "完全不同意", "很不同意", "强烈不同意", "stronglydisagree",
         "completelydisagree"),
        ("比较不同意", "不同意", "不太同意", "disagree"),
        ("有点不同意", "somewhatdisagree", "slightlydisagree", "tendtodisagree"),
        ("一般", "中立", "说不清", "不确定", "既不同意也不反对", "既不同意也不不同意", "中等",
         "neitheragreenordisagree", "neutral", "neither"),
        ("有点同意", "somewhatagree", "slightlyagree", "tendtoagree"),
        ("比较同意", "同意", "agree"),
        ("非常同意", "完全同意", "很同意", "强烈同意", "stronglyagree", "completelyagree"),
    ),
    "satisfaction": (
        ("非常不满意", "很不满意", "极不满意", "verydissatisfied", "extremelydissatisfied"),
        ("比较不满意", "不满意", "不太满意", "dissatisfied", "somewhatdissatisfied"),
        ("一般", "中立", "说不清", "既不满意也不不满意", "neithersatisfiednordissatisfied",
         "neutral"),
        ("比较满意", "满意", "还算满意", "satisfied", "somewhatsatisfied"),
        ("非常满意", "很满意", "极其满意", "verysatisfied", "extremelysatisfied"),
    ),
    "frequency": (
        ("从不", "从来不", "从来没有", "从未", "never"),
        ("很少", "极少", "偶尔", "rarely", "seldom"),
        ("有时", "有时候", "sometimes", "occasionally"),
        ("经常", "常常", "often", "frequently"),
        ("总是", "一直", "每次都", "always", "everytime"),
    ),
    "importance": (
        ("非常不重要", "一点也不重要", "完全不重要", "notatallimportant", "veryunimportant"),
        ("比较不重要", "不重要", "不太重要", "unimportant", "notimportant", "slightlyimportant",
         "lowimportance"),
        ("一般", "一般重要", "中立", "moderatelyimportant", "neutral"),
        ("比较重要", "重要", "important"),
        ("非常重要", "很重要", "极其重要", "veryimportant", "extremelyimportant"),
    ),
    "likelihood": (
        ("非常不可能", "肯定不会", "绝对不会", "一定不会", "veryunlikely", "definitelynot",
         "definitelywouldnot", "extremelyunlikely"),
        ("不太可能", "可能不会", "不可能", "比较不可能", "unlikely", "probablynot",
         "probablywouldnot", "somewhatunlikely"),
        ("不确定", "说不准", "说不清", "一般", "也许", "neitherlikelynorunlikely", "notsure",
         "maybe", "mightormightnot"),
        ("比较可能", "可能会", "可能", "likely", "probably", "probablywould", "somewhatlikely"),
        ("非常可能", "肯定会", "一定会", "绝对会", "verylikely", "definitely", "definitelywould",
         "extremelylikely"),
    ),
    "city_tier": (
        ("一线城市", "一线", "tier1", "firsttier"),
        ("新一线城市", "新一线", "newtier1"),
        ("二线城市", "二线", "tier2", "secondtier"),
        ("三线城市", "三线", "三线及以下城市", "三线及以下", "tier3", "thirdtier"),
        ("四线城市", "四线", "四线及以下城市", "四线及以下", "tier4"),
        ("五线城市", "五线", "五线及以下城市", "五线及以下", "tier5"),
        ("县城", "县城及以下", "county"),
        ("乡镇", "镇", "town"),
        ("农村", "乡村", "村", "rural", "village"),
    ),
    "education": (
        ("未上过学", "没上过学", "文盲", "noschooling"),
        ("小学", "小学及以下", "primary", "primaryschool"),
        ("初中", "初中及以下", "juniorhigh", "middleschool", "juniorhighschool"),
        ("高中", "高中中专", "高中中专技校", "高中职高", "中专", "职高", "技校", "高中及以下",
         "高中中专职高", "highschool", "seniorhigh", "seniorhighschool", "vocational"),
        ("大专", "专科", "大学专科", "高职", "大专高职", "associate", "college", "juniorcollege"),
        ("本科", "大学本科", "大学", "本科及以上", "大学及以上", "bachelor", "bachelors",
         "undergraduate", "university"),
        ("硕士", "研究生", "硕士研究生", "master", "masters", "postgraduate"),
        ("博士", "博士研究生", "博士及以上", "doctorate", "phd", "doctoral"),
        ("研究生及以上", "硕士及以上", "graduate", "graduateorabove"),
    ),
}
# Answers outside any scale that may sit at its end ("don't know").
_TAIL = {"不知道", "不清楚", "不适用", "拒绝回答", "不愿透露", "不方便透露", "dontknow",
         "donotknow", "notapplicable", "na", "prefernottosay", "refused"}
#: Scales drafted as ``likert`` (the others are ordered ``single`` questions).
LIKERT_SCALES = ("agreement", "satisfaction", "frequency", "importance", "likelihood")

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_NUM = r"(\d+(?:\.\d+)?)\s*(万|w|千|k|元|岁|分|年|yuan|years?|)"
_RANGE = re.compile(_NUM + r"\s*(?:[-~～—–至到]|to)\s*" + _NUM)
_ONE = re.compile(_NUM)
_BELOW = re.compile(r"以下|以内|及以下|不到|不足|低于|少于|under|below|lessthan|<|未满")
_ABOVE = re.compile(r"以上|及以上|或以上|超过|高于|多于|over|above|morethan|\+|>")
_UNIT = {"万": 10_000.0, "w": 10_000.0, "千": 1_000.0, "k": 1_000.0}


@dataclass(frozen=True)
class ScaleMatch:
    """A recognised scale: its kind and the labels from its low end to its high end.

    Attributes
    ----------
    scale : str
        ``agreement``, ``satisfaction``, ``frequency``, ``importance``,
        ``likelihood``, ``city_tier``, ``education`` or ``bands`` (numbered
        ranges such as ``18~24岁`` or ``3000-5000元``).
    labels : tuple of str
        The labels as written, ordered.
    """

    scale: str
    labels: tuple[str, ...]

    @property
    def likert(self) -> bool:
        """Whether the scale is an attitude scale (drafted as ``likert``)."""
        return self.scale in LIKERT_SCALES


def _key(label: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", label).casefold())


def _level(scale: str, label: str) -> int | None:
    key = _key(label)
    for i, spellings in enumerate(_SCALES[scale]):
        if key in {_key(s) for s in spellings}:
            return i
    return None


def _number(value: str, unit: str, fallback: str) -> float:
    scale = _UNIT.get((unit or fallback).lower(), 1.0)
    return float(value) * scale


def _band(label: str) -> tuple[float, float] | None:
    """(low, high) of a numbered band (``18~24岁``, ``5000元以上``, ``1-2万``), or None."""
    text = unicodedata.normalize("NFKC", label).casefold().replace(",", "")
    m = _RANGE.search(text)
    if m:
        lo = _number(m.group(1), m.group(2), m.group(4))
        hi = _number(m.group(3), m.group(4), m.group(2))
        return (lo, hi)
    m = _ONE.search(text)
    if not m:
        return None
    x = _number(m.group(1), m.group(2), "")
    if _BELOW.search(text):
        return (-math.inf, x)
    if _ABOVE.search(text):
        return (x, math.inf)
    return (x, x)


def order_scale(labels: list[str]) -> ScaleMatch | None:
    """Order labels that form a standard scale, from its low end to its high end.

    Parameters
    ----------
    labels : list of str
        Distinct answer labels (at least two), as written in the export.

    Returns
    -------
    ScaleMatch or None
        The scale and the ordered labels (unchanged spelling; answers such as
        ``不知道`` go last); None when the labels are not one known scale.
    """
    core = [lb for lb in labels if _key(lb) not in _TAIL]
    tail = [lb for lb in labels if _key(lb) in _TAIL]
    if len(core) < 2:
        return None
    for scale in _SCALES:
        levels = [_level(scale, lb) for lb in core]
        if all(lv is not None for lv in levels) and len(set(levels)) == len(levels):
            ordered = [lb for _, lb in sorted(zip(levels, core, strict=True),
                                              key=lambda p: p[0])]  # type: ignore[arg-type, return-value]
            return ScaleMatch(scale, tuple(ordered + tail))
    bands = [_band(lb) for lb in core]
    if all(b is not None for b in bands) and len(set(bands)) == len(bands):
        ordered = [lb for _, lb in sorted(zip(bands, core, strict=True),
                                          key=lambda p: p[0])]  # type: ignore[arg-type, return-value]
        return ScaleMatch("bands", tuple(ordered + tail))
    return None
