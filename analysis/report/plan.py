"""Which report chapters run for a wave, and why a chapter does not.

The generic chapters (cleaning, weighting, topline, banner tables, methods)
run for every wave from its codebook alone.  The mission chapters need the
roles the codebook declares in its ``analysis:`` section
(:mod:`analysis._codebook_roles`); without them they are listed in the index
as "not run" with the reason and the YAML that would make them run::

    >>> for item in chapter_plan(codebook, targets_present=False):
    ...     print(item.chapter, item.runs, item.reason.get("en", ""))
    01-data-cleaning True
    ...
    05-drivers False not run: the codebook declares no outcome question

Nothing here reads data: the plan depends on the codebook and on whether the
wave has a ``targets.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..codebook import Codebook

__all__ = ["CHAPTERS", "ChapterPlan", "chapter_plan", "chapter_runs", "banner_variables",
           "psm_declared"]

#: Chapter notebooks in report order, with their bilingual titles.
CHAPTERS: dict[str, dict[str, str]] = {
    "01-data-cleaning": {"zh": "样本与数据清理", "en": "Sample and data cleaning"},
    "02-weighting": {"zh": "加权", "en": "Weighting"},
    "03-topline": {"zh": "全部问题的结果", "en": "Topline: every question"},
    "04-banners": {"zh": "分组交叉表", "en": "Banner tables"},
    "05-drivers": {"zh": "购买障碍与驱动因素", "en": "Barriers and drivers"},
    "06-price-premium": {"zh": "溢价支付意愿", "en": "Price premium"},
    "07-second-hand": {"zh": "二手商品价格门槛", "en": "Second-hand price threshold"},
    "08-methods": {"zh": "方法附录", "en": "Methods appendix"},
}

_HOW_TO = {
    "05-drivers": ("analysis:\n  outcome: <single-choice behaviour question>\n"
                   "  barriers: <select-all barriers question>\n"
                   "  attitudes: [<grid or likert question>]\n  controls: [<question>, ...]"),
    "06-price-premium": ("analysis:\n  premium:\n    payment_card: <payment_card question>\n"
                         "    dc: <dc_bid question>\n    van_westendorp: {too_cheap: <q>, "
                         "cheap: <q>, expensive: <q>, too_expensive: <q>}"),
    "07-second-hand": "analysis:\n  second_hand: <price_ladder question>",
}


@dataclass(frozen=True)
class ChapterPlan:
    """Whether one chapter runs for a wave.

    Attributes
    ----------
    chapter : str
        Notebook stem (``"05-drivers"``).
    title : dict
        ``{"zh", "en"}`` chapter title.
    runs : bool
    reason : dict
        ``{"zh", "en"}`` why it does not run (``"not run: the codebook
        declares no barriers question"``); empty when it runs.
    how_to : str
        The ``survey.yaml`` lines that would make it run; empty when it runs.
    note : dict
        ``{"zh", "en"}`` a remark on a chapter that runs in a reduced form
        (``"unweighted: no targets.yaml"``); may be empty.
    """

    chapter: str
    title: dict[str, str]
    runs: bool
    reason: dict[str, str] = field(default_factory=dict)
    how_to: str = ""
    note: dict[str, str] = field(default_factory=dict)

    def text(self, language: str = "zh") -> str:
        """The reason (or the note) in ``language``, empty if there is none.

        Parameters
        ----------
        language : {"zh", "en"}
            Language of the text.

        Returns
        -------
        str
            Reason, else note, else the empty string.
        """
        source = self.reason or self.note
        return source.get(language, source.get("en", ""))


def _missing(role_zh: str, role_en: str) -> dict[str, str]:
    return {"zh": f"未运行：问卷编码本（survey.yaml）没有声明{role_zh}",
            "en": f"not run: the codebook declares no {role_en}"}


def chapter_plan(codebook: Codebook, targets_present: bool) -> list[ChapterPlan]:
    """The chapters of a wave's report, in order, each with whether it runs.

    Parameters
    ----------
    codebook : Codebook
        The wave's codebook; its ``analysis:`` section names the roles.
    targets_present : bool
        Whether the wave folder holds its targets file (``weighting.targets``).

    Returns
    -------
    list of ChapterPlan
        One entry per chapter of :data:`CHAPTERS`.
    """
    roles = codebook.analysis
    plans: list[ChapterPlan] = []
    for chapter, title in CHAPTERS.items():
        reason: dict[str, str] = {}
        note: dict[str, str] = {}
        if chapter == "02-weighting" and not targets_present:
            note = {"zh": "未加权：没有 targets.yaml", "en": "unweighted: no targets.yaml"}
        elif chapter == "04-banners" and not banner_variables(codebook):
            note = {"zh": "没有分组变量", "en": "no banner variables"}
        elif chapter == "05-drivers":
            if not roles.outcome:
                reason = _missing("购买/行为结果问题（analysis.outcome）", "outcome question "
                                  "(analysis.outcome)")
            elif not (roles.barriers or roles.attitudes or roles.controls):
                reason = _missing("障碍、态度或控制变量（analysis.barriers / attitudes / controls）",
                                  "barriers question, attitude items or controls "
                                  "(analysis.barriers / attitudes / controls)")
        elif chapter == "06-price-premium" and not (roles.premium.declared or psm_declared(codebook)):
            reason = _missing("溢价问题（支付卡、二分式出价或 Van Westendorp，analysis.premium）",
                              "price-premium question (payment card, dichotomous-choice bid or "
                              "Van Westendorp block: analysis.premium)")
        elif chapter == "07-second-hand" and not roles.second_hand:
            reason = _missing("二手价格阶梯问题（analysis.second_hand）",
                              "second-hand discount ladder (analysis.second_hand)")
        plans.append(ChapterPlan(chapter, dict(title), not reason, reason,
                                 _HOW_TO.get(chapter, "") if reason else "", note))
    return plans


def psm_declared(codebook: Codebook) -> bool:
    """Whether the questions carry a full Van Westendorp block through their ``psm`` tags.

    Parameters
    ----------
    codebook : Codebook
        The wave's codebook.

    Returns
    -------
    bool
        True when the four ``psm`` roles of the default set are all tagged.
    """
    tags = {getattr(q, "psm", None) for q in codebook.questions if getattr(q, "psm_set", "psm") == "psm"}
    return {"too_cheap", "cheap", "expensive", "too_expensive"} <= tags


def chapter_runs(codebook: Codebook, chapter: str, targets_present: bool = False) -> bool:
    """Whether ``chapter`` (a stem of :data:`CHAPTERS`) runs; unknown chapters run.

    Parameters
    ----------
    codebook : Codebook
        The wave's codebook.
    chapter : str
        Notebook stem.
    targets_present : bool
        Whether the wave has its targets file.

    Returns
    -------
    bool
        True unless the chapter's roles are missing.
    """
    for item in chapter_plan(codebook, targets_present):
        if item.chapter == chapter:
            return item.runs
    return True


def banner_variables(codebook: Codebook) -> list[str]:
    """The banner (subgroup) variables: ``analysis.banner``, else the weighting variables.

    Without targets the weighting variables are still a sensible default
    breakdown, so they are used either way.

    Parameters
    ----------
    codebook : Codebook
        The wave's codebook.

    Returns
    -------
    list of str
        Question or derived ids; empty when there are none.
    """
    if codebook.analysis.banner is not None:
        return list(codebook.analysis.banner)
    return list(codebook.weighting.variables)
