"""Charts of the generic chapters that :mod:`analysis.report.plots` does not draw.

Stacked bars of ordered answers (Likert scales, grid rows): one bar per row,
the options' shares stacked left to right in scale order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["plot_stacked", "wrap_label"]


def wrap_label(text: str, width: int) -> str:
    """Break ``text`` into lines of about ``width`` columns (a Chinese character counts two).

    Parameters
    ----------
    text : str
        A chart title or label.
    width : int
        Columns per line.

    Returns
    -------
    str
        The text with line breaks, at spaces where there are any, its lines
        about equally long.
    """
    words = _words(text)
    total = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    # Lines of even length (no one-character last line): as many as ``width`` needs.
    width = -(-total // max(1, -(-total // max(width, 1)))) + 1
    lines, line, used = [], "", 0
    for word in words:
        cost = sum(2 if ord(ch) > 0x2E80 else 1 for ch in word)
        if line and used + cost > width:
            lines.append(line.rstrip())
            line, used = "", 0
            word = word.lstrip()
            cost = sum(2 if ord(ch) > 0x2E80 else 1 for ch in word)
        line += word
        used += cost
    lines.append(line.rstrip())
    return "\n".join(lines)


def _words(text: str) -> list[str]:
    # Chinese breaks between any two characters; Latin words stay whole, with their space.
    out: list[str] = []
    for ch in text:
        if ord(ch) > 0x2E80 or not out or ord(out[-1][-1]) > 0x2E80 or ch == " ":
            out.append(ch)
        else:
            out[-1] += ch
    return out


def plot_stacked(shares: pd.DataFrame, *, title: Any = None, language: str = "zh") -> Figure:
    """Horizontal 100% stacked bars: rows are items, columns options in scale order.

    Parameters
    ----------
    shares : pandas.DataFrame
        Shares (0-1) with items as the index and options as columns, in order.
    title : str or mapping, optional
        Bilingual title.
    language : {"zh", "en"}
        Language of the title.

    Returns
    -------
    Figure
        One bar container per option (``ax.containers``).
    """
    import matplotlib.pyplot as plt

    from .i18n import pick
    from .plots import apply_style

    apply_style()
    n_rows, n_cols = shares.shape
    fig, ax = plt.subplots(figsize=(8.0, 1.4 + 0.45 * max(n_rows, 1)), layout="constrained")
    colours = plt.get_cmap("RdYlGn", max(n_cols, 2))(np.linspace(0, 1, max(n_cols, 2)))[:n_cols]
    left = np.zeros(n_rows)
    values = shares.fillna(0.0).to_numpy(dtype=float)
    y = np.arange(n_rows)[::-1]
    for j, option in enumerate(shares.columns):
        ax.barh(y, values[:, j], left=left, color=colours[j], label=str(option), edgecolor="white")
        left += values[:, j]
    # One bar is the question itself, which the title names; several are its items.
    if n_rows == 1:
        ax.set_yticks([])
    else:
        ax.set_yticks(y, [wrap_label(str(i), 24) for i in shares.index])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    # Below the axes, outside them: the layout keeps the tick labels clear of the legend.
    fig.legend(loc="outside lower center", ncol=min(n_cols, 5), frameon=False, fontsize="small")
    if title is not None:
        ax.set_title(wrap_label(pick(title, language), 48))
    return fig
