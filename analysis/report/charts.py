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

__all__ = ["plot_stacked"]


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
    fig, ax = plt.subplots(figsize=(8.0, 1.2 + 0.45 * max(n_rows, 1)), layout="constrained")
    colours = plt.get_cmap("RdYlGn", max(n_cols, 2))(np.linspace(0, 1, max(n_cols, 2)))[:n_cols]
    left = np.zeros(n_rows)
    values = shares.fillna(0.0).to_numpy(dtype=float)
    y = np.arange(n_rows)[::-1]
    for j, option in enumerate(shares.columns):
        ax.barh(y, values[:, j], left=left, color=colours[j], label=str(option), edgecolor="white")
        left += values[:, j]
    ax.set_yticks(y, [str(i) for i in shares.index])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(n_cols, 5), frameon=False,
              fontsize="small")
    if title is not None:
        ax.set_title(pick(title, language))
    return fig
