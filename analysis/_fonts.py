"""Find and register a CJK font so charts render Chinese without tofu boxes.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: labels come
out as boxes with a ``Glyph ... missing from font(s)`` warning.  The project
installs a CJK font as a system package (Debian ``fonts-noto-cjk``, see
``.ci/sysdeps.sh``); :func:`setup_cjk_fonts` finds it, registers it with
matplotlib's font manager (whose cache may predate the font's install) and
puts it first in the sans-serif fallback list.  Nothing is downloaded and
nothing happens at import: plots call :func:`setup_cjk_fonts` explicitly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ReportError

__all__ = ["CJK_FAMILIES", "CJK_FONT_PATHS", "CjkFont", "find_cjk_font", "setup_cjk_fonts"]

#: Preferred CJK families, Simplified Chinese first.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK KR",
    "Noto Serif CJK SC",
)

#: Where common packages put their font files (Debian/Ubuntu, Fedora, Arch, macOS).
CJK_FONT_PATHS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
)

_INSTALL_HINT = ("install a CJK font: `pip install noto-cjk-sans-otc` (a dependency of this "
                 "package), `apt-get install fonts-noto-cjk` (Debian/Ubuntu, as root), "
                 "or run `make sysdeps`; or point GREENSURVEY_CJK_FONT at a .ttf/.otf/.ttc file")
_PROBE = "低碳消费绿色二手"  # common simplified characters every chart label uses


@dataclass(frozen=True)
class CjkFont:
    """The CJK font in use.

    Attributes
    ----------
    family : str
        Family name as matplotlib knows it (e.g. ``"Noto Sans CJK SC"``).
    path : str
        The font file.
    """

    family: str
    path: str


def _families() -> dict[str, str]:
    """Family name -> file of every font the matplotlib font manager knows."""
    from matplotlib import font_manager

    out: dict[str, str] = {}
    for entry in font_manager.fontManager.ttflist:
        out.setdefault(entry.name, str(entry.fname))
    return out


def _fc_list_paths() -> list[str]:
    """Files fontconfig reports as supporting Chinese (empty without fc-list)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})


def _covers_chinese(path: str) -> bool:
    """Whether the font file has glyphs for the probe characters."""
    from matplotlib import ft2font

    try:
        font = ft2font.FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in _PROBE)


def _register(path: str) -> None:
    from matplotlib import font_manager

    known = {str(e.fname) for e in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(path)


def _packaged_font() -> str | None:
    """The Noto Sans CJK file shipped by the ``noto-cjk-sans-otc`` wheel, if installed."""
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    path = str(FONT_PATH)
    return path if Path(path).is_file() else None


def _first_usable(candidates: list[str]) -> CjkFont | None:
    """Register and return the first candidate file that has Chinese glyphs."""
    for path in candidates:
        if not Path(path).is_file() or not _covers_chinese(path):
            continue
        _register(path)
        names = [name for name, f in _families().items() if f == path]
        preferred = [fam for fam in CJK_FAMILIES if fam in names]
        if preferred or names:
            return CjkFont((preferred or sorted(names))[0], path)
    return None


def find_cjk_font() -> CjkFont | None:
    """Locate an installed CJK font, registering its file with matplotlib if needed.

    The search order is: the file named by ``GREENSURVEY_CJK_FONT``; the
    font shipped by the ``noto-cjk-sans-otc`` dependency; a preferred family already in matplotlib's font cache; well-known install
    paths; files that ``fc-list :lang=zh`` reports (the cache may predate the
    font's install, so files are added to the font manager).

    Returns
    -------
    CjkFont or None
        ``None`` when no font with Chinese glyphs is installed.
    """
    env = os.environ.get("GREENSURVEY_CJK_FONT")
    if env:
        found = _first_usable([env])
    else:
        # The font wheel this package depends on: Chinese renders even without system fonts.
        found = _first_usable([p for p in (_packaged_font(),) if p])
        if found is None:
            families = _families()
            for fam in CJK_FAMILIES:
                if fam in families and _covers_chinese(families[fam]):
                    return CjkFont(fam, families[fam])
            found = _first_usable([p for p in CJK_FONT_PATHS if Path(p).is_file()]
                                  + _fc_list_paths())
    if found is not None:
        return found
    if env:
        raise ReportError("GREENSURVEY_CJK_FONT does not name a font file with Chinese glyphs",
                          file=env, hint=_INSTALL_HINT)
    return None


def setup_cjk_fonts() -> CjkFont:
    """Make matplotlib render Chinese and Latin text with real glyphs.

    Registers the font found by :func:`find_cjk_font` and sets
    ``rcParams["font.family"] = ["sans-serif"]`` with the CJK family first in
    ``font.sans-serif`` and DejaVu Sans as the per-glyph fallback, so Latin,
    digits, the minus sign and Chinese all render.  SVGs embed text as paths
    (``svg.fonttype = "path"``) so they need no font on the reader's machine.

    Returns
    -------
    CjkFont
        The family and file in use.

    Raises
    ------
    ReportError
        No CJK font is installed; the message says how to install one.

    Notes
    -----
    Call it before creating a figure; it is idempotent and cheap after the
    first call.  It changes global ``rcParams`` on purpose (the whole report
    uses one font), but never at import time.
    """
    import matplotlib as mpl

    font = find_cjk_font()
    if font is None:
        raise ReportError("no CJK font is installed, so Chinese chart labels would render as "
                          "empty boxes", hint=_INSTALL_HINT)
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f not in (font.family, "DejaVu Sans")]
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [font.family, "DejaVu Sans", *rest]
    mpl.rcParams["axes.unicode_minus"] = True
    mpl.rcParams["svg.fonttype"] = "path"
    return font
