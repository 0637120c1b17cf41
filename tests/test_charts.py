"""Stacked bars of ordered answers: readable with one bar, long labels and long titles."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from analysis.report.charts import plot_stacked, wrap_label

OPTIONS = ["肯定不会买", "可能不会买", "不确定", "可能会买", "肯定会买"]
QUESTION = "如果价格是您认为“很划算”的价格，您购买这款低碳电热水壶的可能性有多大？"


def _boxes(fig):
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    return ticks, fig.legends[0].get_window_extent(renderer), ax.title.get_window_extent(renderer)


def test_one_bar_leaves_the_question_to_the_title_and_keeps_ticks_off_the_legend() -> None:
    shares = pd.DataFrame([[.08, .15, .3, .3, .17]], index=[QUESTION], columns=OPTIONS)
    fig = plot_stacked(shares, title=f"{QUESTION}：各选项比例")
    ticks, legend, title = _boxes(fig)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == []
    assert all(not t.overlaps(legend) for t in ticks)
    assert title.width <= fig.bbox.width  # the long title is wrapped, not wider than the figure
    plt.close(fig)


def test_items_are_labelled_and_wrapped() -> None:
    items = ["低碳产品价格太高，超出了我的承受范围", "不容易分辨"]
    fig = plot_stacked(pd.DataFrame([[.2, .2, .2, .2, .2]] * 2, index=items, columns=OPTIONS))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [wrap_label(i, 24) for i in items]
    assert "\n" in labels[0]
    plt.close(fig)


def test_wrap_label_counts_chinese_double_and_breaks_latin_at_spaces() -> None:
    assert wrap_label("价格" * 10, 10) == "价格价格价\n格价格价格\n价格价格价\n格价格价格"
    assert wrap_label("share of each answer", 12) == "share of\neach answer"
    assert wrap_label("short", 40) == "short"


def test_wrapped_lines_are_even_without_a_one_character_tail() -> None:
    assert wrap_label("我关心气候变化对日常生活的影响", 24) == "我关心气候变化对\n日常生活的影响"
    assert wrap_label("我愿意为环保产品多付一些钱", 24) == "我愿意为环保产\n品多付一些钱"
