"""The topline: every question of a wave, tabulated by its type.

:func:`topline` adds one table per question (id ``topline.<question id>``,
plus ``topline.<id>.<part>`` for the extra parts of grids and rankings) to a
chapter's findings and displays it:

==============================  ==============================================
question type                   table
==============================  ==============================================
single, likert, price_ladder,   share of each option (weighted and unweighted,
payment_card                    95% CI, unweighted base); Likert also its mean
                                score (options coded 1..k in order)
multiple                        share choosing each option, base: respondents
                                asked (select-all shares add to more than 100%)
grid                            mean score of every row; the share of every
                                option by row (stacked bars)
numeric                         mean, quartiles and median
ranking                         share ranking each option first; mean rank
                                among those who ranked it
text, datetime                  answered and blank counts only (no content)
dc_bid                          share accepting the first bid, by bid
==============================  ==============================================

Without targets the wave is unweighted and each table has one column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..codebook import Question
    from .chapter import Chapter

__all__ = ["topline", "topline_question"]

_MAX_BARS = 12  # bar charts for questions with at most this many options (figures cost ~1 s)
_MEAN = {"zh": "平均得分（1 = {low}，{k} = {high}）", "en": "Mean score (1 = {low}, {k} = {high})"}
_STATS = {"mean": {"zh": "平均数", "en": "Mean"}, "p25": {"zh": "下四分位数", "en": "25th percentile"},
          "median": {"zh": "中位数", "en": "Median"}, "p75": {"zh": "上四分位数", "en": "75th percentile"}}
_COUNTS = {"answered": {"zh": "作答", "en": "Answered"}, "blank": {"zh": "未作答", "en": "Blank"},
           "not_asked": {"zh": "未被问到（跳转）", "en": "Not asked (routing)"}}


# The chapter's memo of language-free estimates: the other language's pass reads them
# (0.5-0.8 s of its pass), saved by topline() when every question is done.
_MEMO = "estimates"


def _columns(ch: Chapter, make: Any, key: str) -> dict[str, pd.DataFrame]:
    """``{"weighted": ..., "unweighted": ...}``, or one column when the wave is unweighted.

    ``make(design)`` returns a frame; ``key`` (the table id) names the pair in
    the chapter's memo.
    """
    w = ch.wave

    def compute() -> dict[str, pd.DataFrame]:
        if w.targets is None:
            return {"estimate": make(w.unweighted)}
        return {"weighted": make(w.design), "unweighted": make(w.unweighted)}

    return ch.memo(_MEMO).get(("columns", key), compute)


def _scores(data: pd.DataFrame, column: str, q: Question) -> pd.Series:
    """Options coded 1..k in codebook order (categories outside the scale, e.g. "never", NA)."""
    keys = [o.key for o in q.options if not o.never]
    codes = {k: float(i + 1) for i, k in enumerate(keys)}
    return data[column].astype("object").map(codes).astype("float64")


def _each_mean(design: Any, columns: list[str], keys: list[str]) -> pd.DataFrame:
    """Mean of each column on its own base (a joint na_rm would keep complete cases only)."""
    frames = []
    for column, key in zip(columns, keys):
        if design.data[column].notna().any():
            frame = design.mean(column, na_rm=True).summary_frame()
            frames.append(frame.set_axis([key]))
    return pd.concat(frames) if frames else pd.DataFrame(columns=["estimate", "se", "ci_low", "ci_high"])


def _answered(data: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return data[columns].notna().any(axis=1).to_numpy()


def topline_question(ch: Chapter, q: Question) -> None:
    """Add and display the topline table(s) of one question.

    Parameters
    ----------
    ch : Chapter
        The chapter collecting the tables.
    q : Question
        A question of the chapter's codebook.
    """
    w = ch.wave
    tid = f"topline.{q.id}"
    title = q.label
    data = w.data
    if q.type in ("single", "likert", "price_ladder", "payment_card"):
        if q.id not in data.columns or data[q.id].notna().sum() == 0:
            _counts(ch, q)
            return
        # Likert answers are drawn as a stacked bar; long option lists stay tables only.
        ch.shares(tid, q.id, title=title, figure=q.type != "likert" and len(q.options) <= _MAX_BARS)
        if q.type == "likert":
            _mean_scores(ch, q, [(q.id, q.id)], f"{tid}.mean")
            _stacked(ch, q, [(q.id, q.id)], f"{tid}.dist")
        return
    if q.type == "multiple":
        if not [c for c in q.columns() if c in data.columns and not c.endswith("_other_text")]:
            _counts(ch, q)
            return
        ch.shares(tid, q.id, title=title, figure=len(q.options) <= _MAX_BARS)
        return
    if q.type == "grid":
        rows = [(f"{q.id}_{it.id}", it.id) for it in q.items if f"{q.id}_{it.id}" in data.columns]
        if not rows or len([o for o in q.options if not o.never]) < 2:
            _counts(ch, q)
            return
        _mean_scores(ch, q, rows, tid)
        _stacked(ch, q, rows, f"{tid}.dist")
        return
    if q.type == "numeric" and q.id in data.columns and data[q.id].notna().any():
        _numeric(ch, q, tid)
        return
    if q.type == "ranking":
        _ranking(ch, q, tid)
        return
    if q.type == "dc_bid" and f"{q.id}_ans1" in data.columns and f"{q.id}_bid1" in data.columns:
        _dc_first(ch, q, tid)
        return
    _counts(ch, q)


def topline(ch: Chapter) -> None:
    """Add and display the topline of every question, in questionnaire order.

    Parameters
    ----------
    ch : Chapter
        The chapter collecting the tables.
    """
    for q in ch.codebook.questions:
        ch.show(ch.heading(q.label.get(ch.language), level=3))
        with ch.capture():
            try:
                topline_question(ch, q)
            except Exception as exc:  # noqa: BLE001 - one odd question must not fail the chapter
                ch.note_failure(q.id, exc)
                if f"topline.{q.id}" not in {t.id for t in ch.findings.tables}:
                    _counts(ch, q)
    ch.memo(_MEMO).save()


def _mean_scores(ch: Chapter, q: Question, rows: list[tuple[str, str]], table_id: str) -> None:
    w = ch.wave
    keys = [o.key for o in q.options if not o.never]
    if not rows or len(keys) < 2:
        return
    names = [f"{col}__score" for col, _ in rows]

    def make(design: Any) -> Any:
        scored = design.update(**{f"{col}__score": _scores(w.data, col, q) for col, _ in rows})
        return _each_mean(scored, names, names)

    cols = _columns(ch, make, table_id)
    row_labels = {f"{col}__score": (it_label(q, key, ch.language) if key != q.id else q.label)
                  for col, key in rows}
    n = {name: int(w.data[col].notna().sum()) for name, (col, _) in zip(names, rows)}
    title = {}
    for lang, sep in (("zh", "："), ("en", ": ")):
        names_ = q.labels(lang)
        title[lang] = q.label.get(lang) + sep + _MEAN[lang].format(
            low=names_[keys[0]], high=names_[keys[-1]], k=len(keys))
    ch.show(ch.findings.add(table_id, cols, title=title, unit="number", decimals=2,
                            row_labels=row_labels, n_unweighted=pd.Series(n)))


def it_label(q: Question, item: str, language: str) -> Any:
    """Label of a grid row (the row id if it has none)."""
    for it in q.items:
        if it.id == item:
            return it.label.get(language)
    return q.label.get(language) if item == q.id else item


def _stacked(ch: Chapter, q: Question, rows: list[tuple[str, str]], table_id: str) -> None:
    from .charts import plot_stacked

    w = ch.wave
    labels = q.labels(ch.language)

    def shares() -> dict[str, pd.DataFrame]:
        frames = {}
        for col, item in rows:  # rows: (column, item key); a Likert question is one row
            if w.data[col].notna().sum() == 0:
                continue
            res = w.design.proportion(col, na_rm=True).summary_frame()
            res.index = [str(i).split("=", 1)[-1] if "=" in str(i) else str(i) for i in res.index]
            frames[item] = res
        return frames

    frames = ch.memo(_MEMO).get(("stacked", table_id), shares)
    if not frames:
        return
    long = pd.concat(frames, names=["item", "option"]).reset_index()
    long["key"] = long["item"] + "|" + long["option"].astype(str)
    sep = "：" if ch.language == "zh" else ": "
    row_labels = {k: f"{it_label(q, i, ch.language)}{sep}{labels.get(o, o)}"
                  for k, i, o in zip(long["key"], long["item"], long["option"])}
    column_of = {item: col for col, item in rows}
    n = {k: int(w.data[column_of[i]].notna().sum()) for k, i in zip(long["key"], long["item"])}
    title = {"zh": f"{q.label.get('zh')}：各选项比例", "en": f"{q.label.get('en')}: share of each answer"}
    table = None
    if len(rows) > 1:  # a single Likert question's shares are already the topline table
        table = ch.findings.add(table_id, long.set_index("key"), title=title, row_labels=row_labels,
                                n_unweighted=pd.Series(n))
    wide = long.pivot(index="item", columns="option", values="estimate")
    order = [o for o in labels if o in wide.columns]
    wide = wide[order].rename(index=lambda i: it_label(q, i, ch.language), columns=labels)
    fig = ch.findings.figure(plot_stacked(wide, title=title, language=ch.language),
                             table_id.replace(".", "-"), title=title)
    ch.show(table, fig)


def _numeric(ch: Chapter, q: Question, table_id: str) -> None:
    def make(design: Any) -> pd.DataFrame:
        mean = design.mean(q.id, na_rm=True).summary_frame().iloc[[0]]
        quant = design.quantile(q.id, [0.25, 0.5, 0.75], na_rm=True).summary_frame()
        frame = pd.concat([mean, quant.iloc[:, :4]])
        frame.index = ["mean", "p25", "median", "p75"]
        return frame[["estimate", "se", "ci_low", "ci_high"]]

    unit = f"（{q.unit}）" if getattr(q, "unit", None) else ""
    title = {"zh": f"{q.label.get('zh')}{unit}", "en": q.label.get("en") + (f" ({q.unit})" if unit else "")}
    base = ch.wave.base(q.id)
    ch.show(ch.findings.add(table_id, _columns(ch, make, table_id), title=title, unit="number",
                            row_labels=_STATS, n_unweighted=base["n_unweighted"],
                            n_weighted=base["n_weighted"]))


def _ranking(ch: Chapter, q: Question, table_id: str) -> None:
    w = ch.wave
    cols = [c for c in q.columns() if c in w.data.columns and not c.endswith("_other_text")]
    if not cols:
        _counts(ch, q)
        return
    ranked = _answered(w.data, cols)
    keys = [c[len(q.id) + 1:] for c in cols]
    first = {f"{c}__first": np.where(ranked, (w.data[c] == 1).fillna(False).astype(float), np.nan)
             for c in cols}
    rank = {f"{c}__rank": w.data[c].astype("float64") for c in cols}
    labels = q.labels(ch.language)

    def shares(design: Any) -> pd.DataFrame:
        return _each_mean(design.update(**first), list(first), keys)

    title = {"zh": f"{q.label.get('zh')}：排在第一位的比例", "en": f"{q.label.get('en')}: share ranking first"}
    ch.show(ch.findings.add(table_id, _columns(ch, shares, table_id), title=title,
                            row_labels=labels,
                            n_unweighted=int(ranked.sum())))

    def means(design: Any) -> pd.DataFrame:
        return _each_mean(design.update(**rank), list(rank), keys)

    title = {"zh": f"{q.label.get('zh')}：平均排名（仅计排了该项的人，越小越靠前）",
             "en": f"{q.label.get('en')}: mean rank among those ranking it (lower = higher)"}
    n = {k: int(w.data[c].notna().sum()) for k, c in zip(keys, cols)}
    ch.show(ch.findings.add(f"{table_id}.rank", _columns(ch, means, f"{table_id}.rank"),
                            title=title, unit="number",
                            decimals=2, row_labels=labels, n_unweighted=pd.Series(n)))


def _dc_first(ch: Chapter, q: Question, table_id: str) -> None:
    w = ch.wave
    ans, bid = f"{q.id}_ans1", f"{q.id}_bid1"
    yes = w.data[ans].astype("float64")

    def make(design: Any) -> pd.DataFrame:
        return design.update(**{f"{ans}__yes": yes}).mean(f"{ans}__yes", by=bid,
                                                            na_rm=True).summary_frame()

    cols = _columns(ch, make, table_id)
    first = next(iter(cols.values()))
    unit = q.unit or ""
    labels = {k: f"{_bid_key(k):g}{unit}" for k in first.index}
    n = w.data.groupby(bid, observed=True)[ans].count()
    n.index = list(first.index)[:len(n)]
    title = {"zh": f"{q.label.get('zh')}：各首轮出价下接受的比例",
             "en": f"{q.label.get('en')}: share accepting the first bid, by bid"}
    ch.show(ch.findings.add(table_id, cols, title=title, row_labels=labels, n_unweighted=n))


def _bid_key(key: Any) -> float:
    text = str(key).split("=", 1)[-1]
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _counts(ch: Chapter, q: Question) -> None:
    """Answered / blank / not-asked counts (open text and anything without a distribution)."""
    w = ch.wave
    cols = [c for c in q.columns() if c in w.data.columns and not c.endswith("_other_text")]
    answered = int(_answered(w.data, cols).sum()) if cols else 0
    why = w.data.get(f"{q.id}__missing")
    not_asked = int((why == "not_asked").sum()) if why is not None else 0
    counts = {"answered": answered, "blank": len(w.data) - answered - not_asked}
    if not_asked:
        counts["not_asked"] = not_asked
    title = {"zh": f"{q.label.get('zh')}：作答人数", "en": f"{q.label.get('en')}: answered and blank"}
    ch.show(ch.findings.add(f"topline.{q.id}", pd.Series(counts, name="estimate", dtype=float),
                            title=title, unit="count", row_labels=_COUNTS))
