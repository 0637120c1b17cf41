"""The full demo report (surveys/demo-2022): every chapter builds, findings are complete.

The build runs once per test run even under pytest-xdist: workers share a
lock file in the run's temporary folder (``conftest.run_dir``), so the second
worker waits for and reuses the first one's output.  Nothing is written to the
checkout's ``reports/`` (``make report`` owns that folder).
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import time
from pathlib import Path

import pytest
from conftest import run_dir

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "surveys" / "demo-2022"
NOTEBOOKS = ROOT / "notebooks"
# The chapters are the notebooks there are; which of them run for the demo is the chapter
# plan's business (analysis.report.plan), checked through the build's result.
CHAPTERS = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]-*.py"))
_BUILT: dict[str, Path] = {}


def demo_missing() -> str | None:
    """Why the demo report cannot be built here (None if it can)."""
    if not (DEMO / "survey.yaml").is_file():
        return f"demo wave not generated yet ({DEMO}/survey.yaml missing; run make synth)"
    if not CHAPTERS:
        return f"no chapter notebooks in {NOTEBOOKS}"
    return None


def build_demo_once(tmp_path_factory: pytest.TempPathFactory, language: str = "zh") -> Path:
    """Build the demo report into the run's temporary folder, once per run.

    Returns ``<run_dir>/demo-report-<language>/demo-2022``; the build time is
    written next to it (``demo-2022.<language>.build-time.txt``), not inside.
    """
    from analysis.report import build_report

    if language in _BUILT:
        return _BUILT[language]
    shared = run_dir(tmp_path_factory)
    out = shared / f"demo-report-{language}" / DEMO.name
    done = shared / f"{DEMO.name}.{language}.build-time.txt"
    with open(shared / f"{DEMO.name}.{language}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one worker builds, the other waits and reuses
        try:
            if not done.is_file():
                shutil.rmtree(out, ignore_errors=True)  # a build that failed half-way
                start = time.perf_counter()
                res = build_report(DEMO, output_dir=out, language=language, timeout=600)
                done.write_text(f"{time.perf_counter() - start:.1f} s\n{res.summary()}\n",
                                encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    _BUILT[language] = out
    return out


pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(demo_missing() is not None, reason=str(demo_missing()))]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return build_demo_once(tmp_path_factory)


def _ran(demo: Path) -> list[str]:
    """Chapters the index links (built), in order."""
    index = (demo / "index.html").read_text(encoding="utf-8")
    return re.findall(r'<a href="[^"]+" data-chapter="([^"]+)"', index)


def test_every_chapter_page_exists(demo):
    index = (demo / "index.html").read_text(encoding="utf-8")
    listed = re.findall(r'data-chapter="([^"]+)"', index)
    assert set(CHAPTERS) <= set(listed)  # every notebook's chapter is listed, run or not
    ran = _ran(demo)
    assert len(ran) >= 3
    built = sorted(p.name for p in demo.glob("[0-9][0-9]-*.html") if not p.name.endswith(".en.html"))
    assert built == sorted(f"{c}.html" for c in ran)
    for chapter in ran:  # both languages, one switch apart
        assert (demo / f"{chapter}.en.html").is_file(), chapter
        assert f'href="{chapter}.en.html"' in (demo / f"{chapter}.html").read_text(encoding="utf-8")
    for chapter in set(listed) - set(ran):  # not run: the reason is on the contents page
        assert re.search(rf'data-chapter="{re.escape(chapter)}" data-run="false">[^<]*— <span '
                         r'class="gs-reason">未运行', index), chapter


def test_synthetic_banner_on_every_page(demo):
    for page in [demo / "index.html", *sorted(demo.glob("[0-9][0-9]-*.html"))]:
        assert 'class="gs-banner"' in page.read_text(encoding="utf-8"), page.name


def test_findings_cover_the_report_quantities(demo):
    doc = json.loads((demo / "findings.json").read_text(encoding="utf-8"))
    assert doc["synthetic"] is True
    chapters = {t["chapter"] for t in doc["tables"]}
    assert chapters >= {c for c in _ran(demo) if "methods" not in c}  # every analysis chapter publishes
    assert any(t["headline"] for t in doc["tables"])
    for t in doc["tables"]:
        for c in t["cells"]:
            if c["flag"] == "suppressed":
                assert c["estimate"] is None
            if c["n_unweighted"] is not None and c["estimate"] is not None:
                assert c["n_unweighted"] >= doc["disclosure"]["suppress_below"]


def test_figures_written_as_png_and_svg(demo):
    pngs = {p.stem for p in (demo / "figures").glob("*.png")}
    svgs = {p.stem for p in (demo / "figures").glob("*.svg")}
    assert pngs
    assert pngs == svgs


def test_outputs_hold_no_personal_data(demo):
    from analysis.report.build import _respondent_ids
    from analysis.report.export import scan_outputs

    scanned = scan_outputs(demo, respondent_ids=_respondent_ids(DEMO))
    assert any(p.suffix == ".xlsx" for p in scanned)


def test_rebuild_gives_identical_findings(demo, tmp_path):
    """Seeded steps (bootstrap replicates, Krinsky-Robb draws) give the same numbers again."""
    from openpyxl import load_workbook

    from analysis.report import build_report

    chapters = [c for c in _ran(demo) if "drivers" in c or "premium" in c] or _ran(demo)[-2:]
    again = build_report(DEMO, output_dir=tmp_path / DEMO.name, chapters=chapters, timeout=600)
    first = json.loads((demo / "findings.json").read_text(encoding="utf-8"))
    second = json.loads(again.findings["json"].read_text(encoding="utf-8"))
    pick = [t for t in first["tables"] if t["chapter"] in chapters]
    assert pick == second["tables"]
    # byte-identical files: the same chapters rebuilt twice
    third = build_report(DEMO, output_dir=tmp_path / "again", chapters=chapters, timeout=600)
    for kind in ("json", "csv"):
        assert again.findings[kind].read_bytes() == third.findings[kind].read_bytes()
    values = [[list(ws.iter_rows(values_only=True)) for ws in load_workbook(p).worksheets]
              for p in (again.findings["xlsx"], third.findings["xlsx"])]
    assert values[0] == values[1]
