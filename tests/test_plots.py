"""Charts: CJK font set-up (no tofu), artist data equal the inputs, deterministic files."""

from __future__ import annotations

import hashlib
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ticker import PercentFormatter

from analysis import _fonts, plots
from analysis.errors import ReportError

CHINESE = {"tv": "电视新闻", "wechat": "微信公众号", "video": "短视频平台（抖音、快手）"}


@pytest.fixture
def shares() -> tuple[pd.DataFrame, pd.DataFrame]:
    w = pd.DataFrame({"estimate": [0.42, 0.31, 0.65], "ci_low": [0.38, 0.27, 0.61],
                      "ci_high": [0.46, 0.35, 0.69]}, index=["tv", "wechat", "video"])
    u = pd.DataFrame({"estimate": [0.50, 0.28, 0.60], "ci_low": [0.46, 0.24, 0.56],
                      "ci_high": [0.54, 0.32, 0.64]}, index=["tv", "wechat", "video"])
    return w, u


def _bars(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def _render_strict(fig) -> None:
    """Draw to PNG and SVG with every warning an error (catches 'Glyph ... missing')."""
    import io

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fmt in ("png", "svg"):
            fig.savefig(io.BytesIO(), format=fmt)


def test_cjk_font_is_found_and_is_a_cjk_file():
    font = _fonts.setup_cjk_fonts()
    assert "CJK" in font.family or "Hei" in font.family or "SC" in font.family
    used = findfont(FontProperties(family=["sans-serif"]))
    assert used == font.path
    assert _fonts._covers_chinese(str(used))


def test_chinese_labels_render_without_missing_glyph_warnings(shares):
    w, u = shares
    fig = plots.plot_shares(w, u, labels=CHINESE, title={"zh": "信息渠道（加权 vs 未加权）"},
                            language="zh")
    _render_strict(fig)
    ax = fig.axes[0]
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert set(labels) == set(CHINESE.values())
    # Every Chinese label resolves to the CJK font file, not DejaVu Sans.
    for tick in ax.get_yticklabels():
        assert "CJK" in findfont(tick.get_fontproperties()) or \
            findfont(tick.get_fontproperties()) == _fonts.setup_cjk_fonts().path


def test_setup_fails_with_install_hint_when_no_cjk_font(monkeypatch):
    monkeypatch.delenv("GREENSURVEY_CJK_FONT", raising=False)
    monkeypatch.setattr(_fonts, "_families", lambda: {"DejaVu Sans": "/x/DejaVuSans.ttf"})
    monkeypatch.setattr(_fonts, "CJK_FONT_PATHS", ())
    monkeypatch.setattr(_fonts, "_fc_list_paths", lambda: [])
    monkeypatch.setattr(_fonts, "_packaged_font", lambda: None)
    with pytest.raises(ReportError, match="fonts-noto-cjk"):
        _fonts.setup_cjk_fonts()


def test_packaged_font_covers_chinese():
    """The pip dependency ships a CJK font, so a machine without system fonts still works."""
    path = _fonts._packaged_font()
    assert path is not None
    assert path.endswith(".ttc")
    assert _fonts._covers_chinese(path)


def test_env_font_that_is_not_cjk_is_rejected(monkeypatch):
    import matplotlib

    dejavu = matplotlib.get_data_path() + "/fonts/ttf/DejaVuSans.ttf"
    monkeypatch.setenv("GREENSURVEY_CJK_FONT", dejavu)
    with pytest.raises(ReportError, match="GREENSURVEY_CJK_FONT"):
        _fonts.find_cjk_font()


def test_plot_shares_bars_equal_estimates_sorted_with_ci(shares):
    w, u = shares
    fig = plots.plot_shares(w, u, labels=CHINESE, language="en")
    ax = fig.axes[0]
    bars_w, bars_u = _bars(ax)
    order = w["estimate"].sort_values().index  # largest on top = last bar
    np.testing.assert_allclose([b.get_width() for b in bars_w], w.loc[order, "estimate"])
    np.testing.assert_allclose([b.get_width() for b in bars_u], u.loc[order, "estimate"])
    assert [t.get_text() for t in ax.get_yticklabels()] == [CHINESE[k] for k in order]
    assert isinstance(ax.xaxis.get_major_formatter(), PercentFormatter)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Weighted", "Unweighted"]


def test_plot_shares_without_unweighted_has_one_series(shares):
    w, _ = shares
    ax = plots.plot_shares(w, language="zh", sort=False).axes[0]
    assert len(_bars(ax)) == 1
    assert ax.get_legend() is None
    # unsorted: the given order from the top, i.e. reversed from the bottom
    np.testing.assert_allclose([b.get_width() for b in _bars(ax)[0]], w["estimate"][::-1])
    assert ax.get_yticklabels()[-1].get_text() == "tv"


def test_forest_points_and_error_bars_in_percentage_points():
    ame = pd.DataFrame({"estimate": [0.05, -0.02], "ci_low": [0.01, -0.06],
                        "ci_high": [0.09, 0.02]}, index=["income_high", "age_60"])
    fig = plots.plot_forest(ame, labels={"income_high": "高收入", "age_60": "60岁及以上"})
    _render_strict(fig)
    ax = fig.axes[0]
    xs = ax.lines[0].get_xdata()
    np.testing.assert_allclose(xs, [-2.0, 5.0])  # reversed so the first term is on top
    assert ax.get_yticklabels()[-1].get_text() == "高收入"
    assert any(np.allclose(line.get_xdata(), 0) for line in ax.lines[1:])


def test_curve_band_matches_ci_and_threshold_line():
    curve = pd.DataFrame({"estimate": [0.9, 0.6, 0.3, 0.1], "ci_low": [0.85, 0.55, 0.25, 0.07],
                          "ci_high": [0.95, 0.65, 0.35, 0.13]}, index=[0.2, 0.4, 0.6, 0.8])
    fig = plots.plot_acceptance_curve(curve, language="zh", title="二手接受曲线")
    _render_strict(fig)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), curve["estimate"])
    band = ax.collections[0]
    verts = band.get_paths()[0].vertices
    assert verts[:, 1].min() == pytest.approx(0.07)
    assert verts[:, 1].max() == pytest.approx(0.95)
    assert any(np.allclose(line.get_xdata(), 0.4) for line in ax.lines[1:])


def test_weights_histogram_counts_every_weight():
    w = np.random.default_rng(1).gamma(4, 0.25, size=500)
    ax = plots.plot_weights(w, language="en").axes[0]
    assert sum(p.get_height() for p in ax.patches) == 500
    with pytest.raises(ReportError):
        plots.plot_weights([np.nan, 1.0])


def test_margins_panels_per_variable():
    table = pd.DataFrame({"variable": ["sex", "sex", "region", "region", "region"],
                          "level": ["m", "f", "east", "mid", "west"],
                          "sample_share": [0.6, 0.4, 0.5, 0.3, 0.2],
                          "after_share": [0.5, 0.5, 0.4, 0.3, 0.3],
                          "target_share": [0.5, 0.5, 0.4, 0.3, 0.3]})
    fig = plots.plot_margins(table, labels={"sex": {"m": "男", "f": "女"}},
                             variable_labels={"sex": "性别", "region": "地区"})
    _render_strict(fig)
    assert len(fig.axes) == 2
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["男", "女"]
    widths = [b.get_width() for b in _bars(fig.axes[1])[1]]
    np.testing.assert_allclose(widths, [0.4, 0.3, 0.3])
    with pytest.raises(ReportError, match="margins table"):
        plots.plot_margins(table.drop(columns="target_share"))


def test_funnel_and_importance():
    funnel = pd.DataFrame({"label": ["收到", "速度过快", "注意力检查"], "remaining": [1200, 1100, 1020]})
    ax = plots.plot_funnel(funnel).axes[0]
    assert [b.get_width() for b in ax.patches] == [1200, 1100, 1020]
    imp = pd.Series({"price": 0.5, "trust": 0.3, "labels": 0.2})
    ax = plots.plot_importance(imp).axes[0]
    assert [b.get_width() for b in _bars(ax)[0]] == [0.2, 0.3, 0.5]


def test_save_figure_is_byte_identical_across_runs(tmp_path, shares):
    w, u = shares
    digests = []
    for run in range(2):
        fig = plots.plot_shares(w, u, labels=CHINESE, title="信息渠道")
        paths = plots.save_figure(fig, tmp_path / str(run), "shares")
        plt.close(fig)
        assert [p.suffix for p in paths] == [".png", ".svg"]
        digests.append([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
    assert digests[0] == digests[1]
    svg = (tmp_path / "0" / "shares.svg").read_text(encoding="utf-8")
    assert "<dc:date>" not in svg
    assert "<text" not in svg  # text drawn as paths: no font needed to view it


def test_save_figure_rejects_unknown_format(tmp_path, shares):
    fig = plots.plot_shares(shares[0])
    with pytest.raises(ReportError, match="format"):
        plots.save_figure(fig, tmp_path, "x", formats=("gif",))


def test_plots_need_estimate_column():
    with pytest.raises(ReportError, match="estimate"):
        plots.plot_shares(pd.DataFrame({"value": [0.1]}))
