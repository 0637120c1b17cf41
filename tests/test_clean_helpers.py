"""Small codebook and tidy-frame builders shared by the cleaning tests (no tests here)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.codebook import Codebook

LIKERT = [f"l{i}" for i in range(1, 6)]
GRID_ITEMS = ("a", "b", "c", "d")


def make_codebook(screening: dict[str, Any] | None = None, **extra: Any) -> Codebook:
    """A codebook exercising every rule: routing, range, attention, grid, bids, PSM, text."""
    lik = [{"code": i, "name": f"l{i}", "label": f"L{i}"} for i in range(1, 6)]
    spec: dict[str, Any] = {
        "wave": "test-wave",
        "title": "测试",
        "questions": [
            {"id": "gender", "type": "single", "label": "性别",
             "options": [{"code": 1, "name": "male", "label": "男"},
                         {"code": 2, "name": "female", "label": "女"}]},
            {"id": "age", "type": "numeric", "label": "年龄", "range": [18, 80]},
            {"id": "buy", "type": "single", "label": "买过吗",
             "options": [{"code": 1, "name": "yes", "label": "是"},
                         {"code": 2, "name": "no", "label": "否"}]},
            {"id": "why", "type": "multiple", "label": "原因", "show_if": {"buy": [1]},
             "options": [{"code": 1, "name": "price", "label": "价格"},
                         {"code": 2, "name": "quality", "label": "质量"},
                         {"code": 3, "name": "other", "label": "其他", "other": True}]},
            {"id": "how", "type": "single", "label": "渠道", "show_if": {"why": [2]},
             "options": [{"code": 1, "name": "online", "label": "线上"},
                         {"code": 2, "name": "store", "label": "门店"}]},
            {"id": "att", "type": "likert", "label": "本题请选择比较同意", "options": lik},
            {"id": "g", "type": "grid", "label": "矩阵", "options": lik,
             "items": [{"id": x, "label": x} for x in GRID_ITEMS]},
            {"id": "bid", "type": "dc_bid", "label": "出价", "bid": "b", "first": "f",
             "followup": "u", "bids": {10: [20, 5], 20: [40, 10]}},
            {"id": "psm_too_cheap", "type": "numeric", "label": "太便宜"},
            {"id": "psm_cheap", "type": "numeric", "label": "便宜"},
            {"id": "psm_expensive", "type": "numeric", "label": "贵"},
            {"id": "psm_too_expensive", "type": "numeric", "label": "太贵"},
            {"id": "comment", "type": "text", "label": "意见", "required": False},
        ],
        "screening": screening if screening is not None else {
            "attention_checks": [{"question": "att", "correct": [4]}],
            "straightlining": [{"grid": "g"}],
            "duplicates": {"ids": "exclude"},
        },
    }
    spec.update(extra)
    return Codebook.model_validate(spec)


def _cat(values: Any, categories: list[str], ordered: bool = False) -> pd.Categorical:
    return pd.Categorical(values, categories=categories, ordered=ordered)


def make_frame(n: int = 10, codebook: Codebook | None = None) -> pd.DataFrame:
    """A clean tidy frame of ``n`` respondents: no rule fires on it."""
    cb = codebook or make_codebook()
    i = np.arange(n)
    buy_yes = i % 2 == 0
    quality = buy_yes & (i % 4 == 0)
    frame = pd.DataFrame({
        "respondent_id": pd.array([f"r{k:03d}" for k in i], dtype="string"),
        "source_row": pd.array(i + 1, dtype="Int64"),
        "duration_s": 300.0 + 10 * i,
        "submitted_at": pd.Timestamp("2024-03-01 08:00") + pd.to_timedelta(i, unit="min"),
        "ip_hash": pd.array([f"ip{k:04d}" for k in i], dtype="string"),
        "gender": _cat(np.where(i % 2 == 0, "male", "female"), ["male", "female"]),
        "age": 20.0 + (3 * i) % 55,
        "buy": _cat(np.where(buy_yes, "yes", "no"), ["yes", "no"]),
        "why_price": pd.array(np.where(buy_yes, ~quality, None), dtype="boolean"),
        "why_quality": pd.array(np.where(buy_yes, quality, None), dtype="boolean"),
        "why_other": pd.array(np.where(buy_yes, False, None), dtype="boolean"),
        "why_other_text": pd.array([None] * n, dtype="string"),
        "why__missing": pd.array(np.where(buy_yes, None, "not_asked"), dtype="string"),
        "how": _cat(np.where(quality, "online", None), ["online", "store"]),
        "how__missing": pd.array(np.where(quality, None, "not_asked"), dtype="string"),
        "att": _cat(["l4"] * n, LIKERT, ordered=True),
        **{f"g_{x}": _cat([LIKERT[(k + j) % 5] for k in i], LIKERT, ordered=True)
           for j, x in enumerate(GRID_ITEMS)},
        "bid_bid1": np.where(i % 3 == 0, 20.0, 10.0),
        "bid_ans1": pd.array(i % 2 == 0, dtype="boolean"),
        "bid_bid2": np.where(i % 3 == 0, np.where(i % 2 == 0, 40.0, 10.0),
                             np.where(i % 2 == 0, 20.0, 5.0)),
        "bid_ans2": pd.array(i % 3 == 0, dtype="boolean"),
        "psm_too_cheap": 10.0 + i,
        "psm_cheap": 20.0 + i,
        "psm_expensive": 30.0 + i,
        "psm_too_expensive": 40.0 + i,
        "comment": pd.array([f"还不错 {k}" for k in i], dtype="string"),
    })
    frame.attrs["codebook_json"] = cb.to_json()
    frame.attrs["wave"] = cb.wave
    return frame
