"""``survey.yaml``, ``targets.yaml`` and ``truth.yaml`` of the demo wave, as text.

The codebook is written from the same constants the export is built from,
so labels in ``survey.yaml`` are exactly the strings in the raw file.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import yaml

from . import spec as S

__all__ = ["codebook_dict", "targets_dict", "dump_yaml", "LIKERT_NAMES", "TARGET_SOURCES"]

LIKERT_NAMES = ("strongly_disagree", "disagree", "neutral", "agree", "strongly_agree")
_CENSUS = ("7th National Population Census 2020 (reference time 2020-11-01), as transcribed in "
           "../shared/domain.md section 2.1")
TARGET_SOURCES = {
    "sex": f"{_CENSUS}: 公报第四号, male 723,339,956 (51.24%), female 688,438,768 (48.76%)",
    "age_band": f"{_CENSUS}: census yearbook table 1-5 five-year groups, 18-69 frame; 18-19 taken "
                "as 2/5 of the 15-19 group (domain.md 'Adult weighting targets [C]')",
    "region": f"{_CENSUS}: 公报第三号, four regions as shares of the 31-province total "
              "1,409,778,724 (east 563,717,119; central 364,694,362; west 382,852,295; "
              "northeast 98,514,948)",
    "urban": f"{_CENSUS}: 公报第七号, place of residence: urban 901,991,162 (63.89%), rural "
             "509,787,562 (36.11%)",
}
_NOTES = {
    "sex": "All ages; the sex split of adults 18-69 was not retrieved.",
    "region": "Derived from the province question (codebook `derived: region`).",
    "urban": "All ages; residence (not hukou).",
}


def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _options(rows: tuple[tuple[str, str, str], ...] | list[tuple[str, str, str]]
             ) -> list[dict[str, Any]]:
    return [{"code": i, "name": name, "label": _label(zh, en)}
            for i, (name, zh, en) in enumerate(rows, start=1)]


def _question(qid: str, qtype: str, **extra: Any) -> dict[str, Any]:
    num, zh, en, _ = S.QUESTIONS[qid]
    return {"id": qid, "type": qtype, "label": _label(zh, en), "source": num, **extra}


def _likert() -> list[dict[str, Any]]:
    return _options([(n, zh, en) for n, (zh, en) in zip(LIKERT_NAMES, S.LIKERT)])


def codebook_dict(raw_name: str) -> dict[str, Any]:
    """The demo wave's codebook (validates with :func:`analysis.codebook.load_codebook`).

    Parameters
    ----------
    raw_name : str
        File name of the raw export, written as ``raw:``.

    Returns
    -------
    dict
        The content of ``survey.yaml``.
    """
    qs: list[dict[str, Any]] = []
    for qid in ("sex", "age_band"):
        qs.append(_question(qid, "single", options=_options(S.DEMOGRAPHIC_OPTIONS[qid])))
    english = {"neimenggu": "Inner Mongolia", "xizang": "Tibet (Xizang)"}
    qs.append(_question("province", "single", options=_options(
        [(p[0], p[1], english.get(p[0], p[0].capitalize())) for p in S.PROVINCES])))
    for qid in ("urban", "city_tier", "education", "income"):
        qs.append(_question(qid, "single", options=_options(S.DEMOGRAPHIC_OPTIONS[qid])))
    for qid, opts in S.MULTI.items():
        rows = [{"code": i, "name": key, "label": _label(zh, en), **({"other": True}
                                                                   if key == "other" else {})}
                for i, (key, (zh, en, _, _)) in enumerate(opts.items(), start=1)]
        rows.append({"code": len(rows) + 1, "name": "none", "label": _label(*S.MULTI_NONE[qid]),
                     "exclusive": True})
        qs.append(_question(qid, "multiple", options=rows))
    qs.append(_question("attitudes", "grid", options=_likert(), items=[
        {"id": key, "label": _label(zh, en), **({"reverse": True} if rev else {})}
        for key, (zh, en, rev, _, _) in S.GRID_ITEMS.items()]))
    qs.append(_question("attention", "likert", options=_likert()))
    qs.append(_question("purchased", "single", options=_options(S.YES_NO)))
    qs.append(_question("purchase_count", "numeric", range=list(S.COUNT_MODEL["range"]),
                        integer=True, unit="次", show_if={"purchased": [1]}))
    qs.append(_question("premium_card", "payment_card", unit="%", options=[
        {"code": i, "name": name, "label": _label(zh, en), "interval": list(iv),
         **({"never": True} if never else {})}
        for i, (name, zh, en, iv, never) in enumerate(S.PAYMENT_CARD, start=1)]))
    dc = {"id": "premium_dc", "type": "dc_bid",
          "label": _label("低碳版产品溢价的双边界二分式选择", "Double-bounded choice on a premium"),
          "unit": "%", "bid": S.QUESTIONS["dc_bid"][0], "first": S.QUESTIONS["dc_first"][0],
          "followup": S.QUESTIONS["dc_followup"][0],
          "bids": {float(b): [hi, lo] for b, (hi, lo) in S.DC_BIDS.items()},
          "options": _options(S.WILLING), "yes_codes": [1], "no_codes": [2]}
    qs.append(dc)
    ladder = []
    for i, (name, zh, en, value, iv, never) in enumerate(S.LADDER, start=1):
        row: dict[str, Any] = {"code": i, "name": name, "label": _label(zh, en)}
        if value is not None:
            row["value"] = value
        if iv is not None:
            row["interval"] = list(iv)
        if never:
            row["never"] = True
        ladder.append(row)
    qs.append(_question("secondhand", "price_ladder", convention="highest_accepted",
                        options=ladder))
    qs.append(_question("suggestion", "text", required=False))
    for role, qid in S.VW_QUESTIONS.items():
        qs.append(_question(qid, "numeric", unit="元", range=[1, 5000], psm=role))
    for qid in ("vw_intent_cheap", "vw_intent_expensive"):
        qs.append(_question(qid, "likert", options=_options(S.INTENT["options"])))
    region_map = {p[0]: p[2] for p in S.PROVINCES}
    return {
        "wave": "demo-2022",
        "title": _label(S.TITLE.replace("（合成演示）", "（合成演示数据）"),
                        "2022 China low-carbon consumption survey (synthetic demo data)"),
        "synthetic": True,
        "language": "zh",
        "platform": "wjx",
        "mode": "text",
        "raw": raw_name,
        "encoding": "gb18030",
        "fieldwork": {"start": S.FIELDWORK[0], "end": S.FIELDWORK[1],
                      "mode": "online panel, 问卷星 (synthetic)"},
        "respondent": {"id": "序号", "duration": "所用时间", "duration_unit": "seconds",
                       "submitted": "提交答卷时间", "ip": "来自IP"},
        "personal": [{"column": "来源详情", "action": "drop"}],
        "questions": qs,
        "derived": [{"id": "region", "source": "province", "map": region_map,
                     "labels": {r: _label(*S.REGION_LABELS[r]) for r in S.REGIONS}}],
        "screening": {
            "speeders": {"fraction_of_median": 1 / 3, "action": "exclude"},
            "attention_checks": [{"question": "attention", "correct": [4],
                                  "action": "exclude"}],
            "straightlining": [{"grid": "attitudes", "action": "exclude"}],
            "duplicates": {"ids": "error", "answers": "exclude", "ip": "flag"},
            # Flag, not exclude: a respondent whose Van Westendorp prices are out of order
            # still answered everything else; the meter leaves them out (and counts them).
            "consistency": "flag",
        },
        "weighting": {"variables": ["sex", "age_band", "region", "urban"],
                      "targets": "targets.yaml", "method": "rake"},
        # Roles of the report's mission chapters (analysis._codebook_roles).
        "analysis": {"banner": ["sex", "age_band", "city_tier"], "outcome": "purchased",
                     "barriers": "barriers", "attitudes": ["attitudes"],
                     "controls": ["sex", "age_band", "urban", "city_tier", "education", "income"],
                     "premium": {"payment_card": "premium_card", "dc": "premium_dc",
                                 "van_westendorp": dict(S.VW_QUESTIONS)},
                     "second_hand": ["secondhand"]},
    }


def targets_dict() -> dict[str, Any]:
    """Build the census margins of adults 18-69 (``targets.yaml``).

    Returns
    -------
    dict
        The content of ``targets.yaml``: population, total and margins.
    """
    margins = {}
    for var, levels in S.POPULATION.items():
        m: dict[str, Any] = {"levels": dict(levels), "source": TARGET_SOURCES[var]}
        if var in _NOTES:
            m["note"] = _NOTES[var]
        margins[var] = m
    return {"population": "Residents aged 18-69 of the 31 mainland provinces, census 2020",
            "total": 996154582,
            "margins": margins}


class _Dumper(yaml.SafeDumper):
    """Safe dumper that never emits aliases and keeps numpy scalars plain."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_numpy(dumper: yaml.SafeDumper, data: Any) -> Any:
    return dumper.represent_data(data.item())


_Dumper.add_multi_representer(np.generic, _represent_numpy)


def dump_yaml(data: dict[str, Any], header: str) -> str:
    """YAML text with a ``#`` comment header; deterministic (insertion order, repr floats).

    Parameters
    ----------
    data : dict
        The mapping to write.
    header : str
        Comment text, one ``#`` line per line.

    Returns
    -------
    str
        The YAML text.
    """
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=None)
    lines = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return lines + body
