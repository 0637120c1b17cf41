"""Charts for the report: shares with CIs, forest plots, curves, weight diagnostics.

Every function takes tidy estimates (the ``.summary_frame()`` of a result:
``estimate, ci_low, ci_high`` indexed by option, group or term), draws with
matplotlib in a seaborn style, labels axes in the report's language, and
returns the :class:`~matplotlib.figure.Figure`.  :func:`save_figure` writes
PNG and SVG deterministically (fixed SVG hash salt, no timestamps), so two
runs give identical files.

Chinese labels need a CJK font: each plotting function calls
:func:`analysis.report.fonts.setup_cjk_fonts` first (never at import) and raises
:class:`~analysis.errors.ReportError` with an install hint if none exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ReportError
from .fonts import setup_cjk_fonts
from .i18n import check_language, pick, t

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "apply_style",
    "save_figure",
    "plot_shares",
    "plot_forest",
    "plot_importance",
    "plot_curve",
    "plot_acceptance_curve",
    "plot_demand_curve",
    "plot_weights",
    "plot_margins",
    "plot_funnel",
]

#: Colour-blind-safe colours (seaborn "colorblind"): weighted, unweighted, target, accent.
PALETTE: tuple[str, ...] = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#949494")
_SVG_SALT = "greensurvey"  # fixed so SVG element ids do not change between runs


def apply_style() -> None:
    """Apply Seaborn's white-grid look with the CJK font first in the fallback list.

    Seaborn styles reset ``font.sans-serif``; the CJK font is set up after.
    """
    import matplotlib as mpl
    import seaborn as sns

    mpl.rcParams.update(sns.axes_style("whitegrid"))
    mpl.rcParams.update({"figure.dpi": 100, "savefig.dpi": 150, "font.size": 10,
                         "axes.titlesize": 11, "axes.titleweight": "bold"})
    setup_cjk_fonts()


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    import matplotlib.pyplot as plt

    apply_style()
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def save_figure(fig: Figure, folder: str | Path, name: str,
                formats: Sequence[str] = ("png", "svg"), dpi: int = 150) -> list[Path]:
    """Write ``<folder>/<name>.<fmt>`` for each format, byte-identical across runs.

    Parameters
    ----------
    fig : Figure
        The figure to write.
    folder : str or Path
        Created if missing.
    name : str
        File stem.
    formats : sequence of {"png", "svg", "pdf"}
        File formats written.
    dpi : int
        Raster resolution.

    Returns
    -------
    list of Path
        The files written, in ``formats`` order.
    """
    import matplotlib as mpl

    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad:
        raise ReportError(f"unsupported figure format(s) {bad}", hint="use 'png', 'svg' or 'pdf'")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    metadata = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
                "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}}
    with mpl.rc_context({"svg.hashsalt": _SVG_SALT, "svg.fonttype": "path"}):
        bbox = _tight_box(fig, dpi)
        engine = fig.get_layout_engine()
        # Laid out and measured once above: with no engine and a fixed box, savefig only
        # draws (a 'tight' box or any engine, even a 'none' placeholder, costs a full
        # measuring draw per format, and the layout pass again)
        fig.set_layout_engine(None)
        try:
            for fmt in formats:
                path = out / f"{name}.{fmt}"
                fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata[fmt], bbox_inches=bbox,
                            facecolor="white")
                paths.append(path)
        finally:
            fig.set_layout_engine(engine)
    return paths


def _tight_box(fig: Figure, dpi: float) -> Any:
    """The figure's tight bounding box in inches, padded, after its layout engine ran at ``dpi``.

    What ``savefig(bbox_inches="tight")`` computes for a raster format at ``dpi``
    (layout and text measured by Agg), without its no-op drawing pass: every
    format is then cut to the same box.
    """
    import matplotlib as mpl

    old = fig.dpi
    fig.dpi = dpi
    try:
        engine = fig.get_layout_engine()
        if engine is not None and fig.axes:
            engine.execute(fig)
        get_renderer = getattr(fig.canvas, "get_renderer", None)
        if get_renderer is None:  # not an Agg canvas: let savefig measure per format
            return "tight"
        renderer = get_renderer()
        pad = mpl.rcParams["savefig.pad_inches"]
        return fig.get_tightbbox(renderer).padded(pad)
    finally:
        fig.dpi = old


def _frame(data: Any, what: str) -> pd.DataFrame:
    frame = data.summary_frame() if hasattr(data, "summary_frame") else data
    if isinstance(frame, pd.Series):
        frame = frame.to_frame("estimate")
    if not isinstance(frame, pd.DataFrame) or "estimate" not in frame.columns:
        raise ReportError(f"{what} needs estimates with an 'estimate' column",
                          hint="pass result.summary_frame() (estimate, ci_low, ci_high)")
    return frame


def _labels(index: Sequence[Any], labels: Mapping[Any, Any] | None, language: str) -> list[str]:
    if labels is None:
        return [str(k) for k in index]
    return [pick(labels.get(k, labels.get(str(k), str(k))), language) for k in index]


def _errors(frame: pd.DataFrame, scale: float) -> np.ndarray | None:
    if not {"ci_low", "ci_high"} <= set(frame.columns):
        return None
    est = frame["estimate"].to_numpy(float)
    low = np.clip(est - frame["ci_low"].to_numpy(float), 0, None)
    high = np.clip(frame["ci_high"].to_numpy(float) - est, 0, None)
    return np.nan_to_num(np.vstack([low, high])) * scale


def _share_axis(ax: Axes, unit: str, axis: str = "x") -> None:
    from matplotlib.ticker import PercentFormatter

    if unit in ("share", "percent"):
        fmt = PercentFormatter(xmax=100 if unit == "percent" else 1, decimals=0)
        (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def plot_shares(weighted: Any, unweighted: Any = None, *, labels: Mapping[Any, Any] | None = None,
                title: Any = None, language: str = "zh", unit: str = "share",
                sort: bool = True) -> Figure:
    """Horizontal bars of shares with 95% CI error bars, weighted next to unweighted.

    Parameters
    ----------
    weighted : result or DataFrame
        Weighted estimates (``estimate, ci_low, ci_high``) indexed by option.
    unweighted : result or DataFrame, optional
        Unweighted estimates with the same index, drawn as a second bar so the
        reader sees what weighting changes.
    labels : mapping, optional
        Option key -> label (str, ``{"zh","en"}`` or Label).
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}
        Language of labels, legend and axis text.
    unit : {"share", "percent", "number"}
        Scale of the estimates (shares are shown as percentages).
    sort : bool
        Largest weighted share on top; ``False`` keeps the given order, top down
        (ordered questions such as price ladders).

    Returns
    -------
    Figure
        Bar containers carry the labels ``"weighted"`` / ``"unweighted"``
        (``ax.containers``) for tests.
    """
    check_language(language)
    w = _frame(weighted, "plot_shares")
    u = _frame(unweighted, "plot_shares").reindex(w.index) if unweighted is not None else None
    # barh draws the first row at the bottom: sort ascending, or reverse to keep the given order
    order = (w["estimate"].fillna(-np.inf).sort_values(kind="stable").index if sort
             else w.index[::-1])
    w = w.loc[order]
    u = u.loc[order] if u is not None else None
    n = len(w)
    fig, ax = _new_figure(7.0, 0.9 + 0.42 * n * (1.6 if u is not None else 1.0))
    y = np.arange(n, dtype=float)
    height = 0.38 if u is not None else 0.7
    series = [("weighted", w, PALETTE[0])] + ([("unweighted", u, PALETTE[1])] if u is not None else [])
    for i, (name, frame, colour) in enumerate(series):
        offset = (height / 2 if i == 0 else -height / 2) if u is not None else 0.0
        ax.barh(y + offset, frame["estimate"].to_numpy(float), height=height, color=colour,
                xerr=_errors(frame, 1.0), error_kw={"ecolor": "0.25", "capsize": 2, "lw": 0.8},
                label=t(f"table.{name}", language), gid=name)
    ax.set_yticks(y, _labels(w.index, labels, language))
    ax.set_ylim(-0.6, n - 0.4)
    _share_axis(ax, unit)
    ax.set_xlabel(t("axis.share", language) + " (" + t("legend.ci", language) + ")")
    if title is not None:
        ax.set_title(pick(title, language), loc="left")
    if u is not None:
        ax.legend(loc="lower right", frameon=True)
    return fig


def plot_forest(effects: Any, *, labels: Mapping[Any, Any] | None = None, title: Any = None,
                language: str = "zh", xlabel: Any = None, scale: float = 100.0) -> Figure:
    """Draw a forest plot of effects (e.g. average marginal effects) with 95% CIs.

    ``scale=100`` shows probability effects in percentage points; a dashed
    line marks zero.

    Parameters
    ----------
    effects : result or DataFrame
        ``estimate, ci_low, ci_high`` indexed by term; the first row is drawn on top.
    labels : mapping, optional
        Term -> label (str, ``{"zh","en"}`` or Label).
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of labels and axis text.
    xlabel : str or mapping, optional
        Axis label; default the catalogue's average-marginal-effect label.
    scale : float, default 100.0
        Multiplier of the estimates and intervals on the axis.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    check_language(language)
    frame = _frame(effects, "plot_forest").iloc[::-1]
    n = len(frame)
    fig, ax = _new_figure(7.0, 0.9 + 0.36 * n)
    y = np.arange(n, dtype=float)
    ax.errorbar(frame["estimate"].to_numpy(float) * scale, y, xerr=_errors(frame, scale), fmt="o",
                color=PALETTE[0], ecolor=PALETTE[0], capsize=3, ms=5, lw=1.2)
    ax.axvline(0.0, color="0.4", lw=0.8, ls="--")
    ax.set_yticks(y, _labels(frame.index, labels, language))
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel(pick(xlabel, language) if xlabel is not None else t("axis.ame", language))
    if title is not None:
        ax.set_title(pick(title, language), loc="left")
    return fig


def plot_importance(importance: Any, *, labels: Mapping[Any, Any] | None = None,
                    title: Any = None, language: str = "zh", unit: str = "share") -> Figure:
    """Draw bars of key-driver importance (shares of explained variance), largest on top.

    Parameters
    ----------
    importance : result or DataFrame
        ``estimate`` (+ ``ci_low, ci_high``) indexed by driver.
    labels : mapping, optional
        Driver -> label (str, ``{"zh","en"}`` or Label).
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of labels and axis text.
    unit : {"share", "percent", "number"}, default "share"
        Scale of the estimates (shares are shown as percentages).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    check_language(language)
    frame = _frame(importance, "plot_importance")
    frame = frame.loc[frame["estimate"].fillna(-np.inf).sort_values(kind="stable").index]
    n = len(frame)
    fig, ax = _new_figure(7.0, 0.9 + 0.36 * n)
    y = np.arange(n, dtype=float)
    ax.barh(y, frame["estimate"].to_numpy(float), color=PALETTE[2], height=0.65,
            xerr=_errors(frame, 1.0), error_kw={"ecolor": "0.25", "capsize": 2, "lw": 0.8})
    ax.set_yticks(y, _labels(frame.index, labels, language))
    _share_axis(ax, unit)
    ax.set_xlabel(t("axis.importance", language))
    if title is not None:
        ax.set_title(pick(title, language), loc="left")
    return fig


def plot_curve(curve: Any, *, xlabel: Any, ylabel: Any, title: Any = None, language: str = "zh",
               step: bool = False, x_unit: str = "number", y_unit: str = "share",
               marks: Mapping[float, Any] | None = None, x: str | None = None) -> Figure:
    """Draw a curve of estimates against a numeric index with a shaded 95% CI band.

    Parameters
    ----------
    curve : result or DataFrame
        Indexed by the x value (price, ratio, premium), columns
        ``estimate`` (+ ``ci_low, ci_high``).
    xlabel, ylabel : str or mapping
        Axis labels (text or ``{"zh","en"}`` mapping).
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of labels and axis text.
    step : bool
        Draw a step function (Turnbull / empirical curves are step functions).
    x_unit, y_unit : {"share", "percent", "number", "ratio"}
        Scales of the axes (shares are shown as percentages).
    marks : mapping, optional
        ``{x: label}`` vertical reference lines (e.g. ``{0.4: "4折"}``).
    x : str, optional
        Column holding the x values (default: the index).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    check_language(language)
    frame = _frame(curve, "plot_curve")
    if x is not None:
        frame = frame.set_index(x)
    frame = frame.sort_index()
    xs = np.asarray(frame.index, dtype=float)
    fig, ax = _new_figure(7.0, 4.2)
    where: dict[str, Any] = {"step": "post"} if step else {}
    est = frame["estimate"].to_numpy(float)
    if step:
        ax.step(xs, est, where="post", color=PALETTE[0], lw=1.8, label=t("table.estimate", language))
    else:
        ax.plot(xs, est, color=PALETTE[0], lw=1.8, marker="o" if len(xs) <= 15 else None, ms=4,
                label=t("table.estimate", language))
    if {"ci_low", "ci_high"} <= set(frame.columns):
        ax.fill_between(xs, frame["ci_low"].to_numpy(float), frame["ci_high"].to_numpy(float),
                        color=PALETTE[0], alpha=0.2, lw=0, label=t("legend.ci", language),
                        **where)
    for xv, lab in (marks or {}).items():
        ax.axvline(float(xv), color=PALETTE[3], lw=1, ls="--")
        ax.annotate(pick(lab, language), (float(xv), 1.0), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", color=PALETTE[3])
    _share_axis(ax, y_unit, "y")
    _share_axis(ax, x_unit, "x")
    ax.set_xlabel(pick(xlabel, language))
    ax.set_ylabel(pick(ylabel, language))
    ax.legend(loc="best", frameon=True)
    if title is not None:
        ax.set_title(pick(title, language), loc="left")
    return fig


def plot_acceptance_curve(curve: Any, *, threshold: float | None = 0.4, title: Any = None,
                          language: str = "zh", x: str | None = None) -> Figure:
    """Draw the share accepting a second-hand item at each price ratio, as a step curve with CI band.

    ``threshold`` draws a reference line (0.4 = 4折, the 2022 report's cut).

    Parameters
    ----------
    curve : result or DataFrame
        A Turnbull acceptance curve (``estimate, ci_low, ci_high`` by ratio).
    threshold : float or None, default 0.4
        Ratio of the reference line; None for none.
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of labels and axis text.
    x : str, optional
        Column holding the ratios (default: the index).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    marks = None if threshold is None else {
        threshold: {"zh": f"{threshold * 10:g}折", "en": f"{threshold:.0%} of new price"}}
    return plot_curve(curve, xlabel=t("axis.price_ratio", language), ylabel=t("axis.accept", language),
                      title=title, language=language, step=True, x_unit="share", marks=marks, x=x)


def plot_demand_curve(curve: Any, *, title: Any = None, language: str = "zh",
                      x_unit: str = "number", x: str | None = None, step: bool = False) -> Figure:
    """Draw the share willing to pay at least each premium (a demand curve), with CI band.

    Takes ``IntervalRegressionResult.demand_curve()`` (``x="value"``) or a
    Turnbull curve; ``step=True`` for nonparametric (step) curves.

    Parameters
    ----------
    curve : result or DataFrame
        ``estimate, ci_low, ci_high`` by premium.
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of labels and axis text.
    x_unit : {"share", "percent", "number", "ratio"}, default "number"
        Scale of the premiums on the axis.
    x : str, optional
        Column holding the premiums (default: the index).
    step : bool, default False
        Draw a step function.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    return plot_curve(curve, xlabel=t("axis.premium", language), ylabel=t("axis.accept", language),
                      title=title, language=language, step=step, x_unit=x_unit, x=x)


def plot_weights(weights: Any, *, title: Any = None, language: str = "zh", bins: int = 30) -> Figure:
    """Draw a histogram of final weights with the mean marked (1 for weights scaled to n).

    Parameters
    ----------
    weights : array_like
        The weights (e.g. ``design.weights``).
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of the axis text.
    bins : int, default 30
        Histogram bins.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ReportError
        No weights, or a weight that is not finite.
    """
    check_language(language)
    w = np.asarray(weights, dtype=float).ravel()
    if w.size == 0 or not np.isfinite(w).all():
        raise ReportError("plot_weights needs a non-empty array of finite weights",
                          hint="pass design.weights")
    fig, ax = _new_figure(7.0, 3.6)
    ax.hist(w, bins=bins, color=PALETTE[0], edgecolor="white")
    ax.axvline(float(w.mean()), color=PALETTE[3], lw=1, ls="--")
    ax.set_xlabel(t("axis.weight", language))
    ax.set_ylabel(t("axis.respondents", language))
    if title is not None:
        ax.set_title(pick(title, language), loc="left")
    return fig


def plot_margins(table: pd.DataFrame, *, labels: Mapping[Any, Any] | None = None,
                 variable_labels: Mapping[Any, Any] | None = None, title: Any = None,
                 language: str = "zh") -> Figure:
    """Draw the sample, weighted and target shares of each weighting variable, one panel each.

    Parameters
    ----------
    table : DataFrame
        :func:`analysis.weight.diagnostics.margins_table` output (``variable, level,
        sample_share, target_share`` and, if present, ``after_share``).
    labels : mapping, optional
        ``{variable: {level: label}}`` or ``{level: label}``.
    variable_labels : mapping, optional
        Panel titles.
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of labels and legend.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import matplotlib.pyplot as plt

    check_language(language)
    need = {"variable", "level", "sample_share", "target_share"}
    if not need <= set(table.columns):
        raise ReportError("plot_margins needs a margins table",
                          hint=f"columns {sorted(need)} (analysis.weight.diagnostics.margins_table)")
    variables = list(dict.fromkeys(table["variable"]))
    apply_style()
    heights = [max(len(table[table["variable"] == v]), 1) for v in variables]
    fig, axes = plt.subplots(len(variables), 1, figsize=(7.0, 0.9 * len(variables) + 0.34 * sum(heights) * 1.6),
                             height_ratios=heights, layout="constrained", squeeze=False)
    series = [(c, key, colour) for c, key, colour in (
        ("sample_share", "legend.before" if "after_share" in table.columns else "legend.sample",
         PALETTE[1]), ("after_share", "legend.after", PALETTE[0]),
        ("target_share", "legend.target", PALETTE[2])) if c in table.columns]
    bar = 0.78 / len(series)
    for ax, var in zip(axes[:, 0], variables):
        part = table[table["variable"] == var]
        y = np.arange(len(part), dtype=float)[::-1]
        for i, (col, key, colour) in enumerate(series):
            ax.barh(y + ((len(series) - 1) / 2 - i) * bar, part[col].to_numpy(float), height=bar,
                    color=colour, label=t(key, language))
        lab = labels.get(var, labels) if labels is not None else None
        ax.set_yticks(y, _labels(list(part["level"]), lab if isinstance(lab, Mapping) else None,
                                 language))
        _share_axis(ax, "share")
        ax.set_title(pick((variable_labels or {}).get(var, var), language), loc="left")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=len(series), frameon=False)
    if title is not None:
        fig.suptitle(pick(title, language), x=0.01, ha="left", fontweight="bold")
    return fig


def plot_funnel(funnel: pd.DataFrame, *, label_column: str = "label", count_column: str = "remaining",
                title: Any = None, language: str = "zh") -> Figure:
    """Draw the exclusion funnel: respondents remaining after each screening step.

    Parameters
    ----------
    funnel : pandas.DataFrame
        One row per step, first step on top.
    label_column : str, default "label"
        Column of the step labels (default: the index when absent).
    count_column : str, default "remaining"
        Column of the respondents remaining.
    title : str or mapping, optional
        Figure title.
    language : {"zh", "en"}, default "zh"
        Language of the axis text.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ReportError
        ``count_column`` is not a column of ``funnel``.
    """
    check_language(language)
    if count_column not in funnel.columns:
        raise ReportError(f"plot_funnel needs a {count_column!r} column",
                          hint=f"funnel columns are {list(funnel.columns)}")
    labels = (funnel[label_column] if label_column in funnel.columns else funnel.index).astype(str)
    n = len(funnel)
    fig, ax = _new_figure(7.0, 0.9 + 0.4 * n)
    y = np.arange(n, dtype=float)[::-1]
    counts = funnel[count_column].to_numpy(float)
    ax.barh(y, counts, color=PALETTE[0], height=0.65)
    for yi, c in zip(y, counts):
        ax.annotate(f"{c:,.0f}", (c, yi), xytext=(3, 0), textcoords="offset points", va="center")
    ax.set_yticks(y, list(labels))
    ax.set_xlabel(t("axis.respondents", language))
    ax.set_xlim(0, counts.max() * 1.15 if n else 1)
    if title is not None:
        ax.set_title(pick(title, language), loc="left")
    return fig
