"""Charts: CJK font set-up (no tofu), artist data equal the inputs, deterministic files."""

from __future__ import annotations

import hashlib
import os
import random
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager, ft2font
from matplotlib.container import BarContainer
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ticker import PercentFormatter

from analysis.errors import ReportError
from analysis.report import fonts as _fonts
from analysis.report import plots

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


def _clear_font_caches() -> None:
    """Forget findfont's answers and open font files, as a fresh process would."""
    font_manager.fontManager._findfont_cached.cache_clear()
    font_manager._get_font.cache_clear()


@pytest.fixture
def fresh_fonts():
    """Font look-ups start and end with empty caches (reordering the list is not seen by them)."""
    _clear_font_caches()
    yield
    _clear_font_caches()


def _face_of(font: _fonts.CjkFont):
    """The font-manager entry of the face the package reports."""
    hits = [e for e in font_manager.fontManager.ttflist
            if e.name == font.family and os.path.realpath(e.fname) == font.path
            and getattr(e, "index", 0) == font.index]
    assert hits, f"{font} is not a face matplotlib knows"
    return hits[0]


def _assert_regular_and_used(font: _fonts.CjkFont) -> None:
    """The reported face is the family's regular face, covers Chinese, and is what matplotlib uses."""
    face = _face_of(font)
    family = [e for e in font_manager.fontManager.ttflist if e.name == font.family]
    assert _fonts._face_score(face) == min(_fonts._face_score(e) for e in family)
    if any(e.style == "normal" and e.weight in (400, "normal", "regular") for e in family):
        assert face.style == "normal"
        assert face.weight in (400, "normal", "regular")
    # what a normal-weight label asks for, with the family named and through rcParams
    for props in (FontProperties(family=[font.family]), FontProperties(family=["sans-serif"])):
        used = findfont(props, fallback_to_default=False)
        assert used == font.path, props
        assert getattr(used, "face_index", font.index) == font.index, props
    assert _fonts._covers_chinese(font.path, font.index)


def test_cjk_font_is_the_regular_face_matplotlib_uses(fresh_fonts):
    font = _fonts.setup_cjk_fonts()
    assert font.family in _fonts.CJK_FAMILIES
    _assert_regular_and_used(font)


def _bold_first(entries: list) -> list:
    return sorted(entries, key=lambda e: -font_manager._normalize_weight(e.weight))


ORDERS = {"as-is": list, "reversed": lambda x: x[::-1], "bold-first": _bold_first,
          **{f"shuffled-{seed}": (lambda x, seed=seed: random.Random(seed).sample(x, len(x)))
             for seed in range(10)}}


@pytest.mark.parametrize("order", list(ORDERS))
def test_reported_face_does_not_depend_on_registration_order(order, monkeypatch, fresh_fonts):
    """A fresh machine listed NotoSansCJK-Bold.ttc first: the face must still be the regular one.

    Same family, file and face on every order (not merely a consistent one).
    """
    reference = _fonts.setup_cjk_fonts()
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        ORDERS[order](list(font_manager.fontManager.ttflist)))
    _clear_font_caches()
    font = _fonts.setup_cjk_fonts()
    assert font == reference
    _assert_regular_and_used(font)
    assert _fonts.setup_cjk_fonts() == font  # idempotent


def test_twin_files_of_the_family_do_not_change_the_reported_face(tmp_path, monkeypatch,
                                                                  fresh_fonts):
    """A bold and an italic copy and a second regular file listed ahead of the real one.

    The regular twin scores the same as the reported face, so only the
    package moving its face ahead makes ``findfont`` agree with it.
    """
    import dataclasses
    import shutil

    font = _fonts.setup_cjk_fonts()
    face = _face_of(font)
    twins = []
    for name, change in [("Twin-Bold", {"weight": 700}), ("Twin-Italic", {"style": "italic"}),
                         ("Twin-Regular", {})]:
        path = tmp_path / f"{name}{Path(font.path).suffix}"
        shutil.copyfile(font.path, path)
        twins.append(dataclasses.replace(face, fname=str(path), **change))
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [*twins, *font_manager.fontManager.ttflist])
    _clear_font_caches()
    again = _fonts.setup_cjk_fonts()
    assert again == font
    _assert_regular_and_used(again)


@pytest.mark.parametrize("hash_seed", ["0", "1", "2"])
def test_fresh_process_with_empty_matplotlib_cache(hash_seed, tmp_path, fresh_fonts):
    """What a new machine sees: matplotlib rebuilds its font list from an unordered set of files.

    The order of that list follows the string-hash seed (on the machine
    this was written on, seeds 0 and 1 listed NotoSansCJK-Bold.ttc first and
    seed 2 the regular file), so a few seeds cover both orders; every one
    must report this process's face.
    """
    import json
    import subprocess
    import sys

    script = (
        "import json, os\n"
        "from matplotlib.font_manager import FontProperties, findfont, fontManager\n"
        "from analysis.report import fonts as _fonts\n"
        "f = _fonts.setup_cjk_fonts()\n"
        "used = findfont(FontProperties(family=[f.family]), fallback_to_default=False)\n"
        "face = [e for e in fontManager.ttflist if e.name == f.family\n"
        "        and os.path.realpath(e.fname) == f.path\n"
        "        and getattr(e, 'index', 0) == f.index][0]\n"
        "print(json.dumps({'family': f.family, 'path': f.path, 'index': f.index,\n"
        "                  'used': [str(used), getattr(used, 'face_index', f.index)],\n"
        "                  'style': face.style, 'weight': face.weight}))\n")
    root = Path(_fonts.__file__).resolve().parents[1]
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl"), "PYTHONHASHSEED": hash_seed,
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    env.pop("GREENSURVEY_CJK_FONT", None)
    # cwd outside the checkout: `python -c` imports from the cwd first
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["used"] == [got["path"], got["index"]]
    assert (got["style"], got["weight"]) == ("normal", 400)
    assert _fonts._covers_chinese(got["path"], got["index"])
    if "GREENSURVEY_CJK_FONT" not in os.environ:
        here = _fonts.setup_cjk_fonts()
        assert (got["family"], got["path"], got["index"]) == (here.family, here.path, here.index)


def test_chinese_labels_render_without_missing_glyph_warnings(shares, fresh_fonts):
    w, u = shares
    fig = plots.plot_shares(w, u, labels=CHINESE, title={"zh": "信息渠道（加权 vs 未加权）"},
                            language="zh")
    _render_strict(fig)
    ax = fig.axes[0]
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert set(labels) == set(CHINESE.values())
    # Every Chinese label is drawn with the reported face, which has its glyphs.
    font = _fonts.setup_cjk_fonts()
    for tick in ax.get_yticklabels():
        used = findfont(tick.get_fontproperties(), fallback_to_default=False)
        assert (used, getattr(used, "face_index", font.index)) == (font.path, font.index)
        face = ft2font.FT2Font(used, face_index=font.index)
        assert all(face.get_char_index(ord(ch)) for ch in tick.get_text() if ord(ch) > 127)


def test_setup_fails_with_install_hint_when_no_cjk_font(monkeypatch, fresh_fonts):
    monkeypatch.delenv("GREENSURVEY_CJK_FONT", raising=False)
    monkeypatch.setattr(font_manager.fontManager, "ttflist",
                        [e for e in font_manager.fontManager.ttflist if e.name == "DejaVu Sans"])
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


def test_save_figure_lays_out_once_and_cuts_every_format_to_one_box(tmp_path, shares, monkeypatch):
    import re
    import struct

    w, u = shares
    fig = plots.plot_shares(w, u, labels=CHINESE, title="您最常从哪些渠道获取信息？")
    engine = fig.get_layout_engine()
    runs = []
    real = type(engine).execute
    monkeypatch.setattr(type(engine), "execute", lambda self, f: runs.append(f) or real(self, f))
    png, svg = plots.save_figure(fig, tmp_path, "shares")
    assert len(runs) == 1  # not once per format
    assert fig.get_layout_engine() is engine  # the figure keeps its layout engine
    width_px, height_px = struct.unpack(">II", png.read_bytes()[16:24])
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg.read_text(encoding="utf-8"))
    assert view is not None
    # same box in inches (PNG at 150 dpi, whole pixels; SVG in points)
    np.testing.assert_allclose([float(view[1]) / 72, float(view[2]) / 72],
                               [width_px / 150, height_px / 150], atol=1 / 150)
    plt.close(fig)
