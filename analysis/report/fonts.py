"""Find and register a CJK font so charts render Chinese without tofu boxes.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs: labels come
out as boxes with a ``Glyph ... missing from font(s)`` warning.  The package
depends on the ``noto-cjk-sans-otc`` wheel (Noto Sans CJK Regular) and the
project installs a CJK system font too (Debian ``fonts-noto-cjk``, see
``.ci/sysdeps.sh``); :func:`setup_cjk_fonts` finds one, registers it with
matplotlib's font manager (whose cache may predate the font's install) and
puts its family first in the sans-serif fallback list.  Nothing is
downloaded and nothing happens at import: plots call :func:`setup_cjk_fonts`
explicitly.

A family usually has several files (``NotoSansCJK-Regular.ttc``,
``NotoSansCJK-Bold.ttc``, perhaps a second copy of the regular face from the
wheel).  The face reported is chosen explicitly, never as "the first file
matplotlib lists" (that order depends on how the machine registered its
fonts): the face matplotlib's own scoring ranks best for normal-weight,
normal-style text, ties broken by the search order below and then by path.
That face is moved ahead of its equal-scoring twins in the font manager's
list, so ``findfont`` resolves the family to exactly the file reported.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ReportError

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
        The font file of the family's regular face, as matplotlib's
        ``findfont`` returns it (symlinks resolved).
    index : int
        Face index inside a font collection (``.ttc``); 0 for single-face files.
    """

    family: str
    path: str
    index: int = 0


@functools.lru_cache(maxsize=8192)
def _real(path: str | os.PathLike[str]) -> str:
    # findfont returns resolved paths; compare files the same way.  Cached: every figure
    # sets the fonts up again, and resolving thousands of font paths was most of its cost.
    return os.path.realpath(os.fspath(path))


def _entries() -> list[Any]:
    """The TrueType/OpenType entries of matplotlib's font manager (the live list)."""
    from matplotlib import font_manager

    return font_manager.fontManager.ttflist


def _face_score(entry: Any) -> float:
    """How far a face is from normal-weight, normal-style text, by matplotlib's own scoring.

    The same terms ``findfont`` adds up after the family (0 = the regular face).
    """
    from matplotlib import font_manager

    fm = font_manager.fontManager
    want = font_manager.FontProperties()  # normal style, variant, weight and stretch
    return (fm.score_style(want.get_style(), entry.style)
            + fm.score_variant(want.get_variant(), entry.variant)
            + fm.score_weight(want.get_weight(), entry.weight)
            + fm.score_stretch(want.get_stretch(), entry.stretch)
            + fm.score_size(want.get_size(), entry.size))


def _regular_face(family: str, prefer: str | None = None) -> Any | None:
    """The font-manager entry of ``family``'s regular face, chosen by style and weight.

    Parameters
    ----------
    family : str
        Family name (matched case-insensitively, as ``findfont`` does).
    prefer : str, optional
        A file to take when several files hold an equally good face (the
        file the search found first, e.g. the wheel's copy).

    Returns
    -------
    FontEntry or None
        ``None`` when matplotlib knows no face of the family.
    """
    name = family.lower()
    faces = [e for e in _entries() if e.name.lower() == name]
    if not faces:
        return None
    want = _real(prefer) if prefer else None
    return min(faces, key=lambda e: (_face_score(e), _real(e.fname) != want, _real(e.fname),
                                     getattr(e, "index", 0)))


def _pin(entry: Any) -> None:
    """Move ``entry`` ahead of the other faces of its family in the font manager.

    ``findfont`` takes the first of equally scored entries, so a second file
    holding the same regular face (system font and wheel) would otherwise win
    or lose by registration order.  Clears findfont's cache, which does not
    see the list's order.
    """
    from matplotlib import font_manager

    ttflist = _entries()
    name = entry.name.lower()
    first = next(i for i, e in enumerate(ttflist) if e.name.lower() == name)
    at = next(i for i, e in enumerate(ttflist) if e is entry)
    if at != first:
        ttflist.insert(first, ttflist.pop(at))
    cached = getattr(font_manager.fontManager, "_findfont_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


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


def _covers_chinese(path: str, index: int = 0) -> bool:
    """Whether face ``index`` of the font file has glyphs for the probe characters."""
    from matplotlib import ft2font

    try:
        font = ft2font.FT2Font(path, face_index=index) if index else ft2font.FT2Font(path)
    except (OSError, RuntimeError, ValueError, TypeError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in _PROBE)


def _register(path: str) -> None:
    from matplotlib import font_manager

    known = {_real(e.fname) for e in _entries()}
    if _real(path) not in known:
        font_manager.fontManager.addfont(path)


def _packaged_font() -> str | None:
    """The Noto Sans CJK file shipped by the ``noto-cjk-sans-otc`` wheel, if installed."""
    try:
        from noto_cjk_sans_otc import FONT_PATH
    except ImportError:
        return None
    path = str(FONT_PATH)
    return path if Path(path).is_file() else None


def _usable(family: str, prefer: str | None = None) -> CjkFont | None:
    """The family's regular face, pinned for findfont, if it has Chinese glyphs."""
    face = _regular_face(family, prefer)
    if face is None or not _covers_chinese(str(face.fname), getattr(face, "index", 0)):
        return None
    _pin(face)
    return CjkFont(face.name, _real(face.fname), getattr(face, "index", 0))


def _first_usable(candidates: list[str]) -> CjkFont | None:
    """Register the first candidate file with Chinese glyphs; its family's regular face."""
    for path in candidates:
        if not Path(path).is_file() or not _covers_chinese(path):
            continue
        _register(path)
        names = sorted({e.name for e in _entries() if _real(e.fname) == _real(path)})
        # A collection holds several families (Noto: JP, KR, SC, TC, HK): take the preferred one.
        ranked = [fam for fam in CJK_FAMILIES if fam in names] + names
        for fam in ranked:
            found = _usable(fam, prefer=path)
            if found is not None:
                return found
    return None


def find_cjk_font() -> CjkFont | None:
    """Locate an installed CJK font and choose its regular face.

    The family comes from, in order: the file named by
    ``GREENSURVEY_CJK_FONT``; the font shipped by the ``noto-cjk-sans-otc``
    dependency; a preferred family (:data:`CJK_FAMILIES`) already in
    matplotlib's font cache; well-known install paths; files that
    ``fc-list :lang=zh`` reports (the cache may predate the font's install,
    so files are added to the font manager).  Within the family, the face
    is the one matplotlib ranks best for normal-weight, normal-style text
    (see the module notes), and it is moved ahead of equally good copies so
    ``findfont`` returns the same file.

    Returns
    -------
    CjkFont or None
        ``None`` when no font with Chinese glyphs is installed.

    Raises
    ------
    ReportError
        ``GREENSURVEY_CJK_FONT`` names a file without Chinese glyphs.
    """
    env = os.environ.get("GREENSURVEY_CJK_FONT")
    if env:
        found = _first_usable([env])
        if found is None:
            raise ReportError("GREENSURVEY_CJK_FONT does not name a font file with Chinese "
                              "glyphs", file=env, hint=_INSTALL_HINT)
        return found
    # The font wheel this package depends on: Chinese renders even without system fonts.
    packaged = _packaged_font()
    found = _first_usable([packaged]) if packaged else None
    if found is not None:
        return found
    for fam in CJK_FAMILIES:
        found = _usable(fam)
        if found is not None:
            return found
    return _first_usable([p for p in CJK_FONT_PATHS if Path(p).is_file()] + _fc_list_paths())


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
        The family and the file of its regular face: the file
        ``findfont(FontProperties(family=[font.family]))`` returns.

    Raises
    ------
    ReportError
        No CJK font is installed; the message says how to install one.

    Notes
    -----
    Call it before creating a figure; it is idempotent and cheap after the
    first call.  It changes global ``rcParams`` and the order of matplotlib's
    font list on purpose (the whole report uses one font), but never at
    import time.
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
