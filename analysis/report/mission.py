"""Mission chapters built from the roles of the codebook (``analysis:`` in survey.yaml).

Each function takes a :class:`~analysis.report.chapter.Chapter`, reads the
question ids from ``ch.codebook.analysis`` and adds its tables and figures;
a role the codebook does not declare is skipped (the plan,
:func:`analysis.report.plan.chapter_plan`, lists the chapter as not run).
Warnings of the estimators become the chapter's data notes.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .chapter import Estimates
from .memo import BuildMemo

if TYPE_CHECKING:
    from .chapter import Chapter

__all__ = ["drivers", "premium", "second_hand", "outcome_level"]

_SEED = 20221205  # fixed so a rebuild gives the same bootstrap and Krinsky-Robb numbers


def outcome_level(ch: Chapter) -> str:
    """The option of the outcome question counted as "did it".

    Parameters
    ----------
    ch : Chapter
        The chapter (its codebook names the outcome).

    Returns
    -------
    str
        ``analysis.outcome_level``, else an option named ``yes``, else the first option.
    """
    roles = ch.codebook.analysis
    keys = [o.key for o in ch.codebook.question(str(roles.outcome)).options]
    if roles.outcome_level:
        return roles.outcome_level
    return "yes" if "yes" in keys else keys[0]


def drivers(ch: Chapter) -> None:
    """Show the barriers and drivers: a weighted logistic model of the outcome, barriers by outcome.

    Parameters
    ----------
    ch : Chapter
        The chapter collecting the tables.
    """
    from ..models import average_marginal_effects
    from .crosstabs import group_letters
    from .plots import plot_forest

    roles, w, cb = ch.codebook.analysis, ch.wave, ch.codebook
    if not roles.outcome:
        return
    data = w.data
    level = outcome_level(ch)
    q_out = cb.question(roles.outcome)
    answer = data[roles.outcome].astype("object")
    y = np.where(answer.notna(), (answer == level).astype(float), np.nan)
    new: dict[str, Any] = {"outcome__is": y}
    barrier_terms: list[str] = []
    if roles.barriers:
        qb = cb.question(roles.barriers)
        for o in qb.options:
            c = f"{qb.id}_{o.key}"
            if c in data.columns and not o.exclusive and not o.other:
                name = f"{c}__x"
                new[name] = pd.to_numeric(data[c].astype("Float64"), errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan)
                if np.nansum(new[name]) > 0:
                    barrier_terms.append(name)
    attitude_terms: list[str] = []
    for a in roles.attitudes:
        qa = cb.question(a)
        if qa.type == "grid" and f"{a}_score" in data.columns:
            attitude_terms.append(f"{a}_score")
        elif qa.type == "likert":
            keys = [o.key for o in qa.options if not o.never]
            new[f"{a}__score"] = data[a].astype("object").map(
                {k: float(i + 1) for i, k in enumerate(keys)}).astype("float64").to_numpy()
            attitude_terms.append(f"{a}__score")
    controls = [c for c in roles.controls if c in data.columns and data[c].nunique(dropna=True) > 1]
    terms = barrier_terms + attitude_terms + controls
    design = w.design.update(**new)
    labels = {f"{roles.barriers}_{o.key}__x": o.label.get(ch.language)
              for o in (cb.question(roles.barriers).options if roles.barriers else ())}
    labels.update({t: ch.term_label(t.removesuffix("__score")) if t.endswith("__score")
                   else ch.term_label(t) for t in attitude_terms})
    level_label = q_out.labels(ch.language).get(level, level)
    if terms:
        with ch.block("drivers.model"):

            def _model() -> tuple[Estimates, Any]:
                fit = design.glm("outcome__is ~ " + " + ".join(terms), family="quasibinomial")
                effects = average_marginal_effects(fit, barrier_terms + attitude_terms or terms)
                return Estimates.of(effects), fit.nobs

            with ch.capture():
                ame, nobs = ch.memo("estimates").get(("drivers.model", level, tuple(terms)), _model)
            rows = {key: labels.get(key[0] if isinstance(key, tuple) else key) or
                    ch.term_label(*(key if isinstance(key, tuple) else (key,)))
                    for key in ame.summary_frame().index}
            title = {"zh": f"各因素对“{q_out.label.get('zh')}：{q_out.labels('zh').get(level, level)}”"
                           "概率的平均边际效应",
                     "en": f"Average marginal effects on the probability of "
                           f"'{q_out.label.get('en')}: {q_out.labels('en').get(level, level)}'"}
            ch.show(ch.text({"zh": "加权 logistic 回归（准二项分布），结果变量为“{out}”回答“{lev}”；"
                                   "平均边际效应表示在其他条件相同时，该因素使这一概率平均变化多少个百分点。"
                                   "标准误基于抽样设计。",
                             "en": "Weighted logistic regression (quasi-binomial) of answering '{lev}' to "
                                   "'{out}'; an average marginal effect is the change in that "
                                   "probability, in percentage points, other things equal. Standard "
                                   "errors are design-based."},
                            out=q_out.label.get(ch.language), lev=level_label))
            ch.show(ch.findings.add("drivers.ame", ame, title=title, unit="points", row_labels=rows,
                                    n_unweighted=nobs, headline=True))
            with ch.capture():
                ch.show(ch.findings.figure(plot_forest(ame, labels=rows, title=title,
                                                       language=ch.language), "drivers-ame", title=title))
    if barrier_terms:
        with ch.block("drivers.barriers"):
            def _letters() -> pd.DataFrame:
                group = pd.Series(np.where(y == 1, "yes", "no"), dtype="object").where(~np.isnan(y))
                return group_letters(design.update(outcome__group=group.to_numpy()), barrier_terms,
                                     "outcome__group")

            with ch.capture():
                prev = ch.memo("estimates").get(("drivers.barriers", level, tuple(barrier_terms)),
                                                _letters)
            title = {"zh": f"按“{q_out.label.get('zh')}”分组的障碍比例",
                     "en": f"Barriers by '{q_out.label.get('en')}'"}
            other = {"zh": "其他回答", "en": "Other answers"}
            ch.show(ch.findings.add(
                "drivers.barriers_by_outcome", prev, title=title, index="variable",
                split="group", sig="sig", column_letters="column_letter", row_labels=labels,
                column_labels={"yes": level_label, "no": other[ch.language]},
                show=("estimate", "n", "sig")))
    ch.memo("estimates").save()  # language-free: the other language's pass reads them


def premium(ch: Chapter) -> None:
    """Show the price premium: payment card, dichotomous-choice bids, Van Westendorp, as declared.

    Parameters
    ----------
    ch : Chapter
        The chapter collecting the tables.
    """
    from .plan import psm_declared
    from .plots import plot_demand_curve

    roles, w, cb = ch.codebook.analysis.premium, ch.wave, ch.codebook
    if roles.payment_card:
        with ch.block("premium.payment_card"):
            q = cb.question(roles.payment_card)
            unit = "percent" if q.unit == "%" else "number"
            ch.show(ch.heading(q.label.get(ch.language)))
            ch.shares(f"premium.{q.id}", q.id, title=q.label, figure=False)

            def _hurdle() -> tuple[Estimates, Any]:
                fit = w.design.wtp_hurdle(q.id, dist="lognormal")
                return Estimates.of(fit.wtp()), _kept(fit.demand_curve())

            with ch.capture():
                wtp, curve = ch.memo("estimates").get(("premium.hurdle", q.id), _hurdle)
            everyone = w.base(q.id)["n_unweighted"]
            payers = w.base(q.id, exclude=tuple(o.key for o in q.options if o.never))["n_unweighted"]
            bases = {"mean_all": everyone, "median_all": everyone, "mean_payers": payers,
                     "median_payers": payers}
            title = {"zh": f"{q.label.get('zh')}：平均数与中位数（不愿多付者计为 0）",
                     "en": f"{q.label.get('en')}: mean and median (those paying nothing more count as 0)"}
            ch.show(ch.findings.add(f"premium.{q.id}.wtp", wtp, title=title, unit=unit, headline=True,
                                    row_labels={"mean_all": {"zh": "平均数（全体）", "en": "Mean (everyone)"},
                                                "median_all": {"zh": "中位数（全体）", "en": "Median (everyone)"},
                                                "mean_payers": {"zh": "平均数（愿付者）", "en": "Mean (payers)"},
                                                "median_payers": {"zh": "中位数（愿付者）",
                                                                  "en": "Median (payers)"}},
                                    n_unweighted=pd.Series(bases)))
            with ch.capture():
                title = {"zh": "愿意支付至少某一金额的人群比例", "en": "Share willing to pay at least each amount"}
                ch.show(ch.findings.figure(plot_demand_curve(curve, x="value", title=title,
                                                             language=ch.language),
                                           f"premium-{q.id}-demand", title=title))
    if roles.dc:
        with ch.block("premium.dc"):
            q = cb.question(roles.dc)
            ch.show(ch.heading(q.label.get(ch.language)))
            with ch.capture():
                turnbull = ch.memo("estimates").get(
                    ("premium.turnbull", q.id), lambda: Estimates.of(w.design.dc_turnbull(q.id)))
            u = q.unit or ""
            title = {"zh": "各出价下愿意支付的比例（Turnbull）", "en": "Share accepting each bid (Turnbull)"}
            ch.show(ch.findings.add(f"premium.{q.id}.turnbull", turnbull, title=title,
                                    row_labels={b: f"{b:g}{u}" for b in turnbull.summary_frame().index}))
            with ch.capture():
                ch.show(ch.findings.figure(plot_demand_curve(turnbull, step=True, title=title,
                                                             language=ch.language),
                                           f"premium-{q.id}-turnbull", title=title))
                cv = ch.memo("estimates").get(
                    ("premium.dc_cv", q.id, _SEED),
                    lambda: Estimates.of(w.design.dc_cv(q.id, dist="lognormal").wtp(seed=_SEED)))
            title = {"zh": "愿付金额：平均数与中位数（双界二分选择）",
                     "en": "Willingness to pay: mean and median (double-bounded choice)"}
            ch.show(ch.findings.add(f"premium.{q.id}.wtp", cv, title=title,
                                    unit="percent" if u == "%" else "number",
                                    row_labels={"mean": {"zh": "平均数", "en": "Mean"},
                                                "median": {"zh": "中位数", "en": "Median"}},
                                    n_unweighted=w.base(q.id)["n_unweighted"]))
    if roles.van_westendorp is not None or psm_declared(cb):
        with ch.block("premium.van_westendorp"):
            vw = roles.van_westendorp
            ch.show(ch.heading({"zh": "价格敏感度（Van Westendorp）", "en": "Price sensitivity (Van Westendorp)"}))
            prices = (vw.too_cheap, vw.cheap, vw.expensive, vw.too_expensive) if vw is not None else None

            def _points() -> tuple[pd.DataFrame, int, int]:
                # Replicates with the weighting redone in each, so the intervals include the raking.
                design = w.replicates(200) if w.targets is not None else w.design
                if prices is not None:
                    res = design.van_westendorp(*prices, seed=_SEED)
                else:  # the questions' psm tags name the four prices
                    res = design.van_westendorp(seed=_SEED)
                return (res.summary_frame(), len(getattr(res, "excluded", ())),
                        len(getattr(res, "inconsistent", ())))

            with ch.capture():
                # language-free and the chapter's costliest block: computed once per build
                memo = BuildMemo(ch.wave_path, "van-westendorp")
                points, excluded, inconsistent = memo.get((prices, _SEED), _points)
                memo.save()
            names = {"pmc": {"zh": "最低可接受价格（PMC）", "en": "Point of marginal cheapness (PMC)"},
                     "opp": {"zh": "最优价格（OPP）", "en": "Optimal price point (OPP)"},
                     "ipp": {"zh": "无差异价格（IPP）", "en": "Indifference price point (IPP)"},
                     "pme": {"zh": "最高可接受价格（PME）", "en": "Point of marginal expensiveness (PME)"}}
            title = {"zh": "Van Westendorp 价格点", "en": "Van Westendorp price points"}
            n = int(len(w.data) - excluded)
            ch.show(ch.findings.add("premium.van_westendorp", points, title=title, unit="number",
                                    row_labels=names, n_unweighted=n, headline=True))
            if inconsistent:
                ch.show(ch.text({"zh": "{k} 位受访者的四个价格不是递增的，未计入。",
                                 "en": "{k} respondents whose four prices do not increase are left out."},
                                k=inconsistent))
    ch.memo("estimates").save()  # language-free: the other language's pass reads them


def second_hand(ch: Chapter) -> None:
    """Show the second-hand threshold: acceptance curve and the share needing a discount or less.

    Parameters
    ----------
    ch : Chapter
        The chapter collecting the tables.
    """
    from .i18n import ratio_label
    from .plots import plot_acceptance_curve

    w, cb = ch.wave, ch.codebook
    for qid in ch.codebook.analysis.second_hand:
        with ch.block(f"second_hand.{qid}"):
            q = cb.question(qid)
            ratios = sorted({float(o.value) for o in q.options if o.value is not None and not o.never})
            mid = ratios[len(ratios) // 2] if ratios else 0.5
            ch.show(ch.heading(q.label.get(ch.language)))
            with ch.capture():
                sh = ch.memo("estimates").get(("second_hand", qid, mid, _SEED),
                                              functools.partial(_threshold, w.design, qid, mid))
            everyone = w.base(qid)
            never = [o.key for o in q.options if o.never]
            buyers = w.base(qid, exclude=tuple(never))
            cut = ratio_label(mid, "zh"), ratio_label(mid, "en")
            title = {"zh": f"只有价格在{cut[0]}及以下才会购买的比例",
                     "en": f"Share who would buy only at {cut[1]} or less"}
            ch.show(ch.findings.add(
                f"secondhand.{qid}.need", sh.needs, title=title, headline=True,
                row_labels={(mid, "population"): {"zh": "全部受访者", "en": "All respondents"},
                            (mid, "buyers"): {"zh": "愿意购买者", "en": "Would buy at some price"}},
                n_unweighted={(mid, "population"): everyone["n_unweighted"],
                              (mid, "buyers"): buyers["n_unweighted"]},
                n_weighted={(mid, "population"): everyone["n_weighted"],
                            (mid, "buyers"): buyers["n_weighted"]}))
            if never:
                ch.show(ch.findings.add(f"secondhand.{qid}.never", sh.never, title={
                    "zh": "任何价格都不买的比例", "en": "Share who would never buy"},
                    row_labels={"never": {"zh": "任何价格都不买", "en": "Would never buy"}},
                    n_unweighted=everyone["n_unweighted"], n_weighted=everyone["n_weighted"]))
            curve = sh.population.summary_frame()
            title = {"zh": "在各价格比例下愿意购买的比例", "en": "Share who would buy at each price ratio"}
            ch.show(ch.findings.add(
                f"secondhand.{qid}.curve", {"population": sh.population, "buyers": sh.buyers},
                title=title, row_labels={r: ratio_label(r, ch.language) for r in curve.index},
                column_labels={"population": {"zh": "全部受访者", "en": "All respondents"},
                               "buyers": {"zh": "愿意购买者", "en": "Would buy"}},
                n_unweighted={"population": everyone["n_unweighted"], "buyers": buyers["n_unweighted"]},
                show=("estimate", "ci")))
            with ch.capture():
                ch.show(ch.findings.figure(plot_acceptance_curve(sh.population, threshold=mid, title=title,
                                                                 language=ch.language),
                                           f"secondhand-{qid}-curve", title=title))
    ch.memo("estimates").save()  # language-free: the other language's pass reads them


def _kept(value: Any) -> Any:
    """A result as tables and charts read it (picklable for the memo); a frame as it is."""
    return Estimates.of(value) if hasattr(value, "summary_frame") else value


def _threshold(design: Any, question: str, ratio: float) -> SimpleNamespace:
    """The second-hand threshold's parts a chapter shows, kept for the memo."""
    res = design.second_hand_threshold(question, need_at_most=[ratio], seed=_SEED)
    return SimpleNamespace(**{part: _kept(getattr(res, part))
                              for part in ("needs", "never", "population", "buyers")})
