"""Open the generated report in headless Chromium (the system browser, never a download).

Checks: no console or page errors, no requests leave the report folder, no
broken images, every chapter reachable from the index and through the
chapter navigation, and every number marked ``data-finding`` equals the value
in findings.json.  Saves ``reports/<wave>/screenshot.png``.

Uses the demo report when the demo wave and notebooks exist, else a tiny
report built from the fixtures of ``test_report.py``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest

from analysis.i18n import format_value

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="/usr/bin/chromium not installed (apt-get install chromium, or make sysdeps)"),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from test_report_demo import build_demo_once, demo_missing

    if demo_missing() is None:
        return build_demo_once()
    from test_report import make_project

    from analysis.report import build_report

    wave = make_project(tmp_path_factory.mktemp("browser"))
    return build_report(wave, timeout=120).output_dir


@pytest.fixture(scope="module")
def browser_context():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
    profile = tempfile.mkdtemp(prefix="gs-chromium-")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1280, "height": 900})
        ctx.outside: list[str] = []  # type: ignore[attr-defined]

        def _route(route) -> None:
            url = route.request.url
            if url.startswith(("file:", "data:", "about:")):
                route.continue_()
            else:  # the report must be self-contained: nothing may be fetched
                ctx.outside.append(url)  # type: ignore[attr-defined]
                route.abort()

        ctx.route("**/*", _route)
        try:
            yield ctx
        finally:
            ctx.close()
            shutil.rmtree(profile, ignore_errors=True)


def _open(ctx, url: str):
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    response = page.goto(url, wait_until="load")
    assert response is None or response.ok, url
    return page, errors


def _check_page(page, findings: dict[str, dict], name: str) -> int:
    broken = page.eval_on_selector_all(
        "img", "els => els.filter(e => !e.complete || e.naturalWidth === 0).map(e => e.src.slice(0, 60))")
    assert broken == [], f"{name}: broken images {broken}"
    marks = page.eval_on_selector_all(
        "[data-finding]", "els => els.map(e => [e.dataset.finding, e.textContent.trim()])")
    for key, text in marks:
        table_id, row, column = key.split("/")
        tab = findings[table_id]
        cell = next(c for c in tab["cells"] if c["row"] == row and c["column"] == column)
        expected = format_value(cell["estimate"], tab["unit"], tab["decimals"])
        assert text == expected, f"{name}: {key} shows {text!r}, findings.json has {expected!r}"
    return len(marks)


def test_report_in_headless_chromium(report, browser_context):
    doc = json.loads((report / "findings.json").read_text(encoding="utf-8"))
    findings = {t["id"]: t for t in doc["tables"]}
    page, errors = _open(browser_context, (report / "index.html").as_uri())
    if doc["synthetic"]:
        assert page.locator(".gs-banner").is_visible()
    headline_marks = _check_page(page, findings, "index.html")
    assert headline_marks > 0, "the index shows no headline numbers"
    page.screenshot(path=str(report / "screenshot.png"), full_page=True)
    chapters = page.eval_on_selector_all("a[data-chapter]", "els => els.map(e => e.getAttribute('href'))")
    assert chapters, "index links no chapter"
    total = 0
    for i, href in enumerate(chapters):
        page.click(f'a[data-chapter][href="{href}"]')
        page.wait_for_load_state("load")
        assert page.url.endswith("/" + href)
        assert page.title()
        if doc["synthetic"]:
            assert page.locator(".gs-banner").is_visible(), href
        total += _check_page(page, findings, href)
        nxt = page.locator('a[data-nav="next"]')
        if i + 1 < len(chapters):
            assert nxt.get_attribute("href") == chapters[i + 1]
        else:
            assert nxt.count() == 0
        page.click('a[data-nav="index"]')
        page.wait_for_load_state("load")
        assert page.url.endswith("/index.html")
    assert total > 0, "no chapter shows a marked finding"
    assert errors == [], f"console errors: {errors}"
    assert browser_context.outside == [], f"report fetched outside resources: {browser_context.outside}"
    assert (report / "screenshot.png").stat().st_size > 10_000
