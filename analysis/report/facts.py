"""Sentences and small tables built only from facts of the wave.

Every chapter sentence about fieldwork, cleaning and weighting comes from
here: a fact the wave does not have (no fieldwork dates, no targets, no
duration column) is left out of the sentence, never printed as ``None``,
and a cleaning rule that could not run says why instead of counting 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from ..pipeline import PreparedWave

__all__ = ["fieldwork_text", "rule_status", "weighting_text", "targets_sources"]

_RULE_LABELS = {
    "duplicate_id": {"zh": "答卷编号重复", "en": "Duplicate respondent ids"},
    "speeder": {"zh": "答题过快", "en": "Speeders"},
    "attention_check": {"zh": "未通过注意力检测题", "en": "Failed attention checks"},
    "straightlining": {"zh": "矩阵题直线作答", "en": "Straight-lining on grids"},
    "duplicate_answers": {"zh": "答案完全相同的答卷", "en": "Identical answer vectors"},
    "duplicate_ip": {"zh": "IP 地址重复（只标记）", "en": "Shared IP address (flag only)"},
    "bid_sequence": {"zh": "出价回答前后矛盾", "en": "Inconsistent bid answers"},
    "price_order": {"zh": "Van Westendorp 价格顺序矛盾", "en": "Inconsistent Van Westendorp prices"},
}


def _not_run_reason(rule: str, w: PreparedWave) -> dict[str, str] | None:
    """Why a screening rule could not run on this wave (None: it could)."""
    from .plan import psm_declared

    cb, data = w.codebook, w.cleaned.data
    screening = cb.screening
    if rule == "duplicate_id" and ("respondent_id" not in data.columns
                                   or data["respondent_id"].notna().sum() == 0):
        return {"zh": "没有答卷编号列", "en": "no respondent id column"}
    if rule == "speeder":
        if screening.speeders is None:
            return {"zh": "survey.yaml 未设置答题过快规则", "en": "no speeder rule in survey.yaml"}
        if "duration_s" not in data.columns or data["duration_s"].notna().sum() == 0:
            return {"zh": "没有答题时长列", "en": "no duration column"}
    if rule == "attention_check" and not screening.attention_checks:
        return {"zh": "问卷没有注意力检测题", "en": "no attention check declared"}
    if rule == "straightlining" and not screening.straightlining:
        return {"zh": "没有声明需要检查的矩阵题", "en": "no grid declared for straight-lining"}
    if rule == "duplicate_ip" and ("ip_hash" not in data.columns or data["ip_hash"].notna().sum() == 0):
        return {"zh": "没有 IP 地址列", "en": "no IP column"}
    if rule == "bid_sequence" and not any(q.type == "dc_bid" for q in cb.questions):
        return {"zh": "问卷没有二分式出价题", "en": "no dichotomous-choice bid question"}
    if rule == "price_order" and cb.analysis.premium.van_westendorp is None and \
            not psm_declared(cb):
        return {"zh": "问卷没有 Van Westendorp 价格题", "en": "no Van Westendorp questions"}
    return None


def rule_status(w: PreparedWave, language: str = "zh") -> pd.DataFrame:
    """Every screening rule with what it did, or why it could not run.

    Parameters
    ----------
    w : PreparedWave
        The prepared wave.
    language : {"zh", "en"}
        Language of the labels and reasons.

    Returns
    -------
    pandas.DataFrame
        Indexed by rule id: ``label``, ``ran`` (bool), ``excluded``,
        ``flagged`` (counts, NA when the rule did not run) and ``status``
        (a readable sentence).
    """
    f = w.cleaned.funnel().set_index("rule")
    rows = []
    for rule, rec in f.iterrows():
        if rule == "input":
            continue
        label = _RULE_LABELS.get(str(rule), {}).get(language, str(rec["label"]))
        reason = _not_run_reason(str(rule), w)
        if reason is None and rec["action"] == "off":
            reason = {"zh": "本次未启用", "en": "switched off"}
        if reason is not None:
            status = ("未运行：" if language == "zh" else "not run: ") + reason[language]
            rows.append({"rule": rule, "label": label, "ran": False, "excluded": pd.NA,
                         "flagged": pd.NA, "status": status})
            continue
        excluded, flagged = int(rec["excluded"]), int(rec["flagged"])
        if language == "zh":
            status = f"剔除 {excluded} 份" + (f"，标记 {flagged} 份" if flagged else "")
        else:
            status = f"{excluded} excluded" + (f", {flagged} flagged" if flagged else "")
        rows.append({"rule": rule, "label": label, "ran": True, "excluded": excluded,
                     "flagged": flagged, "status": status})
    return pd.DataFrame(rows).set_index("rule")


def fieldwork_text(w: PreparedWave) -> dict[str, str]:
    """The fieldwork paragraph from the facts the wave has (dates, mode, file, counts).

    Parameters
    ----------
    w : PreparedWave
        The prepared wave.

    Returns
    -------
    dict
        ``{"zh", "en"}`` paragraph; facts the codebook lacks are left out.
    """
    fw = w.codebook.fieldwork
    zh, en = [], []
    if fw.start and fw.end:
        zh.append(f"调查于 {fw.start} 至 {fw.end} 实施")
        en.append(f"Fieldwork ran from {fw.start} to {fw.end}")
    elif fw.start or fw.end:
        day = fw.start or fw.end
        zh.append(f"调查于 {day} 前后实施")
        en.append(f"Fieldwork ran around {day}")
    if fw.mode:
        if zh:
            zh[-1] += f"（{fw.mode}）"
            en[-1] += f" ({fw.mode})"
        else:
            zh.append(f"调查方式：{fw.mode}")
            en.append(f"Mode: {fw.mode}")
    n_in, n_kept = w.cleaned.n_in, w.cleaned.n_kept
    kept = f"{n_kept / n_in:.1%}" if n_in else ""
    name = w.source_file
    zh.append(f"原始导出文件{(' ' + name) if name else ''} 共 {n_in} 份答卷，清理后保留 {n_kept} 份"
              + (f"，占 {kept}" if kept else ""))
    en.append(f"The raw export{(' ' + name) if name else ''} holds {n_in} responses; {n_kept}"
              + (f" ({kept})" if kept else "") + " were kept after cleaning")
    return {"zh": "。".join(zh) + "。", "en": ". ".join(en) + "."}


def targets_sources(w: PreparedWave) -> list[str]:
    """The distinct sources quoted in ``targets.yaml`` (empty without targets).

    Parameters
    ----------
    w : PreparedWave
        The prepared wave.

    Returns
    -------
    list of str
        In the order of the margins.
    """
    if w.targets is None:
        return []
    return list(dict.fromkeys(m.source for m in w.targets.margins.values() if m.source))


def weighting_text(w: PreparedWave, labels: Any = None) -> dict[str, str]:
    """What the weighting did, from the wave's targets and diagnostics only.

    Parameters
    ----------
    w : PreparedWave
        The prepared wave.
    labels : mapping, optional
        ``{"zh": {variable: label}, "en": {...}}`` names of the weighting
        variables (default: their ids).

    Returns
    -------
    dict
        ``{"zh", "en"}`` paragraph.  Without targets it says that the wave is
        unweighted and makes no weighting claim.
    """
    if w.targets is None:
        target_file = w.codebook.weighting.targets
        return {"zh": f"未加权：本批次没有总体目标文件（{target_file}）。所有估计都按每位受访者权重相同计算，"
                      "置信区间按简单随机抽样计算，不代表对任何总体结构的校准。",
                "en": f"Unweighted: this wave has no population targets ({target_file}). Every "
                      "estimate counts each respondent once, with intervals for simple random "
                      "sampling; no claim is made about matching any population structure."}
    labels = labels or {}
    variables = list(w.targets.margins)
    names = {lang: "、".join(labels.get(lang, {}).get(v, v) for v in variables) if lang == "zh"
             else ", ".join(labels.get(lang, {}).get(v, v) for v in variables)
             for lang in ("zh", "en")}
    method = w.codebook.weighting.method
    method_zh = {"rake": "迭代比例拟合（raking）", "poststratify": "事后分层",
                 "calibrate": "校准（calibration）"}[method]
    method_en = {"rake": "raking", "poststratify": "post-stratification",
                 "calibrate": "calibration"}[method]
    zh = f"样本按{method_zh}加权到{w.targets.population}的{names['zh']}结构"
    en = f"The sample is weighted by {method_en} to the {names['en']} margins of {w.targets.population}"
    info = w.weighting[0] if w.weighting else None
    if info is not None:
        zh += f"，迭代 {info.iterations} 次" + ("后收敛" if info.converged else "仍未收敛")
        en += f", {'converging' if info.converged else 'not converging'} after {info.iterations} " \
              f"iteration{'s' if info.iterations != 1 else ''}"
    trim = w.codebook.weighting.trim
    if trim is not None and any(v is not None for v in trim):
        lo, hi = trim
        bounds = " – ".join(f"{v:g}" if v is not None else "" for v in (lo, hi))
        zh += f"，并把权重截断在平均权重的 {bounds} 倍之间"
        en += f", with weights trimmed to {bounds} times the mean weight"
    if targets_sources(w):  # the sources themselves are quoted in the targets table
        zh += "。各总体结构的来源见下表"
        en += ". The source of every margin is quoted in the table below"
    return {"zh": zh + "。", "en": en + "."}
