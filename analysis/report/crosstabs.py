"""Banner tables: every question by each banner (subgroup) variable, with letters.

The banner variables are ``analysis.banner`` of the codebook, else its
weighting variables (:func:`analysis.report.plan.banner_variables`).  Each
question is turned into 0/1 or score columns (a share per option of a single
or select-all question, the mean score of a Likert/grid row, the mean of a
number, the share ranking an option first) and compared across the banner's
groups by :meth:`analysis.SurveyDesign.subgroup_differences`: pairwise
design-based tests, Holm-adjusted, letters in the column-letter convention
(a cell lists the letters of the columns it is significantly higher than).
The tables land on the banner sheets of ``findings.xlsx``.
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..codebook import Question
    from .chapter import Chapter

__all__ = ["banner_columns", "banner_tables", "group_letters"]


def banner_columns(q: Question, data: pd.DataFrame,
                   language: str = "zh") -> tuple[dict[str, np.ndarray], dict[str, str], str]:
    """The columns compared across groups for one question.

    Parameters
    ----------
    q : Question
        The question.
    data : pandas.DataFrame
        The prepared wave's data.
    language : {"zh", "en"}
        Language of the row labels.

    Returns
    -------
    columns : dict
        New column name -> values (0/1 or scores, NaN outside the base).
    labels : dict
        New column name -> row label.
    unit : str
        ``"share"`` or ``"number"``.
    """
    cols: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {}
    names = q.labels(language)
    unit = "share"
    if q.type in ("single", "price_ladder", "payment_card") and q.id in data.columns:
        answer = data[q.id].astype("object")
        for o in q.options:
            cols[f"{q.id}__{o.key}"] = np.where(answer.notna(), (answer == o.key).astype(float), np.nan)
            labels[f"{q.id}__{o.key}"] = names.get(o.key, o.key)
    elif q.type == "multiple":
        for o in q.options:
            c = f"{q.id}_{o.key}"
            if c in data.columns:
                cols[f"{c}__share"] = pd.to_numeric(data[c].astype("Float64"), errors="coerce"
                                                    ).to_numpy(dtype=float, na_value=np.nan)
                labels[f"{c}__share"] = names.get(o.key, o.key)
    elif q.type in ("likert", "grid"):
        unit = "number"
        keys = [o.key for o in q.options if not o.never]
        codes = {k: float(i + 1) for i, k in enumerate(keys)}
        rows = [(q.id, q.label.get(language))] if q.type == "likert" else \
            [(f"{q.id}_{it.id}", it.label.get(language)) for it in q.items]
        for c, lab in rows:
            if c in data.columns:
                cols[f"{c}__score"] = data[c].astype("object").map(codes).astype("float64").to_numpy()
                labels[f"{c}__score"] = lab
    elif q.type == "numeric" and q.id in data.columns:
        unit = "number"
        cols[f"{q.id}__value"] = pd.to_numeric(data[q.id], errors="coerce").to_numpy(dtype=float)
        labels[f"{q.id}__value"] = q.label.get(language)
    elif q.type == "ranking":
        ranked = [f"{q.id}_{o.key}" for o in q.options if f"{q.id}_{o.key}" in data.columns]
        answered = data[ranked].notna().any(axis=1).to_numpy() if ranked else None
        for o in q.options:
            c = f"{q.id}_{o.key}"
            if c in data.columns and answered is not None:
                cols[f"{c}__first"] = np.where(answered, (data[c] == 1).fillna(False).astype(float),
                                               np.nan)
                labels[f"{c}__first"] = names.get(o.key, o.key)
    return cols, labels, unit


def group_letters(design: Any, variables: list[str], by: str, *, adjust: str = "holm",
                  alpha: float = 0.05) -> pd.DataFrame:
    """Domain means by group with column letters, as ``subgroup_differences(...).prevalence``.

    The same pairwise design-based t tests, adjustment within each variable and
    letters (:func:`analysis.models.importance.significance_letters`), without
    the overall Rao-Scott test per variable, which the banner does not show and
    which dominates the time on a large wave.

    Parameters
    ----------
    design : SurveyDesign
        The (weighted) design holding ``variables`` and ``by``.
    variables : list of str
        0/1 or score columns.
    by : str
        Banner (group) column.
    adjust : str
        Multiple-comparison adjustment (:func:`analysis.models.importance.p_adjust`).
    alpha : float
        Significance level.

    Returns
    -------
    pandas.DataFrame
        ``variable, group, estimate, se, n_unweighted, column_letter, sig``.
    """
    from scipy import stats

    from ..models.importance import p_adjust, significance_letters

    col = design.data[by]
    order = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else \
        sorted(col.dropna().unique(), key=str)
    order = [g for g in order if (col == g).any()]
    rows = []
    for var in variables:
        res = design.mean(var, by=by, na_rm=True)
        est = res.estimate
        groups = list(est.index)
        vcov = res.vcov.to_numpy()
        df = res.overall_df if res.overall_df is not None else float(np.min(res.df))
        pairs, sig, diffs, pvals = [], [], [], []
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                diff = float(est.iloc[i] - est.iloc[j])
                se = float(np.sqrt(max(vcov[i, i] + vcov[j, j] - 2 * vcov[i, j], 0.0)))
                t = diff / se if se > 0 else np.nan
                pvals.append(float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) and df > 0 else np.nan)
                pairs.append((_group_key(groups[i]), _group_key(groups[j])))
                diffs.append(diff)
        adjusted = p_adjust(np.asarray(pvals, dtype=float), adjust) if pvals else np.array([])
        sig = [bool(p < alpha) for p in adjusted]
        keys = [_group_key(g) for g in groups]
        letters = significance_letters(order, pairs, sig, diffs)
        for i, g in enumerate(keys):
            rows.append({"variable": var, "group": g, "estimate": float(est.iloc[i]),
                         "se": float(res.se.iloc[i]), "n_unweighted": int(res.n_unweighted.iloc[i]),
                         "column_letter": letters.loc[g, "column_letter"], "sig": letters.loc[g, "sig"]})
    return pd.DataFrame(rows)


def _group_key(group: Any) -> Any:
    """A group label of a ``by=`` result (``"sex=man"`` or ``("man",)``) as the level itself."""
    if isinstance(group, tuple) and len(group) == 1:
        group = group[0]
    if isinstance(group, str) and "=" in group:
        return group.split("=", 1)[1]
    return group


def banner_tables(ch: Chapter, variables: list[str]) -> None:
    """Add and display every question by each banner variable, with significance letters.

    Parameters
    ----------
    ch : Chapter
        The chapter collecting the tables.
    variables : list of str
        Banner variables (question or derived ids), e.g. from
        :func:`analysis.report.plan.banner_variables`.
    """
    w = ch.wave
    data = w.data
    from .memo import BuildMemo

    # the letters do not depend on the language: the other language's pass reads them
    memo = BuildMemo(ch.wave_path, "banner-letters")
    for by in variables:
        if by not in data.columns or data[by].nunique(dropna=True) < 2:
            continue
        by_label = ch.variable_labels(by)
        ch.show(ch.heading({"zh": f"按{by_label['zh']}分组", "en": f"By {by_label['en']}"}, level=3))
        groups = ch.level_labels(by)
        for q in ch.codebook.questions:
            if q.id == by:
                continue
            with ch.block(f"{by} x {q.id}"):
                cols, labels, unit = banner_columns(q, data, ch.language)
                cols = {k: v for k, v in cols.items() if np.isfinite(v).sum() > 0}
                if not cols:
                    continue
                prev = memo.get(_letters_key(by, cols), functools.partial(_letters, w.design, cols, by))
                if prev.empty:
                    continue
                title = {"zh": f"{q.label.get('zh')}：按{by_label['zh']}",
                         "en": f"{q.label.get('en')}: by {by_label['en']}"}
                ch.show(ch.findings.add(
                    f"banner.{by}.{q.id}", prev, title=title, index="variable", split="group",
                    sig="sig", column_letters="column_letter", unit=unit,
                    decimals=2 if unit == "number" else None, row_labels=labels,
                    column_labels=groups or None, show=("estimate", "n", "sig")))
    memo.save()


def _letters(design: Any, cols: dict[str, np.ndarray], by: str) -> pd.DataFrame:
    """:func:`group_letters` of ``cols`` added to ``design``."""
    return group_letters(design.update(**cols), list(cols), by)


def _letters_key(by: str, cols: dict[str, np.ndarray]) -> tuple[str, ...]:
    """Banner, column names and a hash of the columns' values: what the letters depend on."""
    digest = hashlib.sha256()
    for name, values in cols.items():
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(np.ascontiguousarray(values, dtype=float).tobytes())
    return (by, *cols, digest.hexdigest())

