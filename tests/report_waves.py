"""Test waves that are not the demo: 问卷星 text-mode exports written from a seed.

``write_wave("small-wjx", folder)`` copies ``tests/waves/small-wjx/survey.yaml``
into ``folder`` and writes its raw export (and, for ``roles-wjx``, its
``targets.yaml``).  The answers are drawn from a seeded generator with a little
structure (the outcome of ``roles-wjx`` depends on the barriers and the green
identity), so models have something to find; nothing here is a real survey.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

WAVES = Path(__file__).resolve().parent / "waves"


def _choice(rng: np.random.Generator, labels: list[str], p: list[float] | None = None) -> str:
    return str(labels[rng.choice(len(labels), p=p)])


def _small(rng: np.random.Generator, n: int) -> pd.DataFrame:
    agree = ["非常不同意", "不同意", "说不清", "同意", "非常同意"]
    sat = ["非常不满意", "不满意", "一般", "满意", "非常满意"]
    improvements = ["增加垃圾桶", "延长投放时间", "现场指导", "积分奖励"]
    rows = []
    for i in range(n):
        sorts = [s for s, p in (("厨余垃圾", 0.6), ("可回收物", 0.7), ("有害垃圾", 0.3)) if rng.random() < p]
        order = list(rng.permutation(improvements)[: rng.integers(1, 5)])
        rows.append({
            "序号": i + 1,
            "提交答卷时间": (pd.Timestamp("2024-03-01 08:00") + pd.Timedelta(minutes=7 * i)
                       ).strftime("%Y/%m/%d %H:%M:%S"),
            "1、您的性别": _choice(rng, ["男", "女"]),
            "2、您的年龄": _choice(rng, ["30岁以下", "30-49岁", "50岁及以上"], [0.3, 0.4, 0.3]),
            "3、您家平时会分出哪些垃圾？（多选）": "┋".join(sorts) if sorts else "都不分",
            "4、您对小区的垃圾分类设施满意吗？": _choice(rng, sat, [0.05, 0.15, 0.3, 0.35, 0.15]),
            "5、您是否同意以下说法？—垃圾分类很容易": _choice(rng, agree, [0.1, 0.2, 0.2, 0.3, 0.2]),
            "垃圾分类对环境有用": _choice(rng, agree, [0.02, 0.08, 0.15, 0.4, 0.35]),
            "不分类应该罚款": _choice(rng, agree, [0.15, 0.25, 0.25, 0.2, 0.15]),
            "6、您家每周大约扔几袋垃圾？": str(int(rng.poisson(5))),
            "7、请对以下改进措施排序（最重要的排第一）": "→".join(order),
            "8、其他意见（选填）": _choice(rng, ["希望多放几个桶", "挺好", "(空)", "(空)", "(空)"]),
        })
    return pd.DataFrame(rows)


def _roles(rng: np.random.Generator, n: int) -> pd.DataFrame:
    agree = ["非常不同意", "不同意", "一般", "同意", "非常同意"]
    pay = ["不愿多付", "1元以内", "1-3元", "3-5元", "5元以上"]
    ladder = ["两折", "四折", "六折", "八折", "什么价格都不买"]
    rows = []
    for i in range(n):
        man = rng.random() < 0.6  # the sample over-represents men: weighting has work to do
        young = rng.random() < 0.65
        big = rng.random() < 0.55
        green = int(rng.choice(5, p=[0.05, 0.15, 0.3, 0.3, 0.2]))
        obstacles = [o for o, p in (("商家不提供", 0.55), ("归还麻烦", 0.35 if big else 0.5),
                                    ("需要押金", 0.25)) if rng.random() < p]
        logit = -0.4 + 0.5 * (green - 2) - 1.0 * ("商家不提供" in obstacles) + 0.4 * big
        used = rng.random() < 1 / (1 + np.exp(-logit))
        base = float(np.exp(rng.normal(3.0, 0.35)))
        prices = [round(base * m * float(np.exp(rng.normal(0, 0.05))), 1)
                  for m in (0.45, 0.8, 1.25, 1.7)]
        rows.append({
            "序号": i + 1,
            "提交答卷时间": (pd.Timestamp("2024-05-06 09:00") + pd.Timedelta(minutes=45 * i)
                       ).strftime("%Y/%m/%d %H:%M:%S"),
            "所用时间": f"{int(rng.integers(15, 40) if i % 40 == 7 else rng.integers(150, 600))}秒",
            "来自IP": f"10.{i // 200}.{(i // 7) % 250}.{i % 250}(上海-上海)",
            "1、您的性别": "男" if man else "女",
            "2、您的年龄": "35岁以下" if young else "35岁及以上",
            "3、您居住的城市规模": "大城市" if big else "中小城市",
            "4、过去半年您是否用过可循环快递包装？": "用过" if used else "没用过",
            "5、哪些原因让您不用可循环包装？（多选）": "┋".join(obstacles) if obstacles else "以上都没有",
            "6、我认为自己是一个注重环保的人": agree[green],
            "7、为一次可循环包装，您最多愿意多付多少钱？": _choice(
                rng, pay, [0.25, 0.3, 0.25, 0.12, 0.08] if green < 3 else [0.1, 0.25, 0.3, 0.2, 0.15]),
            "8、一个可循环快递箱多少钱时您会觉得便宜得不可信？（元）": str(prices[0]),
            "9、多少钱时您会觉得划算？（元）": str(prices[1]),
            "10、多少钱时您会觉得有点贵但还会考虑？（元）": str(prices[2]),
            "11、多少钱时您会觉得太贵而不考虑？（元）": str(prices[3]),
            "12、二手家电价格为新品的几折及以下时您才会考虑购买？": _choice(
                rng, ladder, [0.15, 0.3, 0.25, 0.15, 0.15]),
        })
    return pd.DataFrame(rows)


_TARGETS = """\
population: Test population of the roles-wjx wave (invented shares, test data)
margins:
  gender:
    levels: {man: 49, woman: 51}
    source: Invented test margin (sex 49/51)
  agegroup:
    levels: {under35: 40, a35plus: 60}
    source: Invented test margin (age 40/60)
"""


def write_wave(name: str, folder: Path, *, seed: int = 2024) -> Path:
    """Write the test wave ``name`` (``small-wjx`` or ``roles-wjx``) into ``folder``.

    Returns the wave folder (``survey.yaml``, ``raw/<export>.csv``, and
    ``targets.yaml`` for ``roles-wjx``).
    """
    from analysis.codebook import load_codebook

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(WAVES / name / "survey.yaml", folder / "survey.yaml")
    codebook = load_codebook(folder)
    rng = np.random.default_rng(seed)
    frame = _small(rng, 240) if name == "small-wjx" else _roles(rng, 420)
    (folder / "raw").mkdir(exist_ok=True)
    frame.to_csv(folder / "raw" / str(codebook.raw), index=False, encoding="gb18030")
    if name == "roles-wjx":
        (folder / "targets.yaml").write_text(_TARGETS, encoding="utf-8")
    return folder
