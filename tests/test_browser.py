"""Open the generated report in headless Chromium (the system browser, never a download).

Checks: no console or page errors, no requests leave the report folder, no
broken images, every chapter reachable from the index and through the
chapter navigation, and every number marked ``data-finding`` equals the value
in findings.json.  Saves ``screenshot-<wave>.png`` in the run's temporary
folder (``conftest.run_dir``), next to the report, never in the checkout.

Uses the demo report when the demo wave and notebooks exist, else a tiny
report built from the fixtures of ``test_report.py``.

Chromium comes from ``.ci/sysdeps.sh`` (``make test`` runs it first).  When it
or Playwright is missing the test skips, with the reason, only where nothing
could have installed it (not root or no apt-get); in CI (``CI`` set) and on a
machine that could install it, a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import run_dir

from analysis.report.i18n import format_value

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL = "run `make sysdeps` (.ci/sysdeps.sh: apt-get install chromium, as root)"

pytestmark = pytest.mark.browser


def find_chromium() -> Path | None:
    """The system Chromium: ``GREENSURVEY_CHROMIUM``, else ``chromium``/``chromium-browser`` on PATH."""
    env = os.environ.get("GREENSURVEY_CHROMIUM")
    if env:
        return Path(env) if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser"):
        exe = shutil.which(name)
        if exe:
            return Path(exe)
    return None


def in_ci() -> bool:
    """Whether this is a CI run (``CI`` set to anything but empty/0/false/no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def can_install_sysdeps() -> bool:
    """Whether ``.ci/sysdeps.sh`` can install packages here (root with apt-get)."""
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def require(what: str, how: str, *, system: bool = True) -> None:
    """Skip for a missing machine need only where it cannot be installed; else fail.

    Parameters
    ----------
    what : str
        What is missing (named in the message).
    how : str
        How to install it.
    system : bool
        A system package (installable by ``.ci/sysdeps.sh`` as root with
        apt-get) rather than a Python one.
    """
    if in_ci():
        pytest.fail(f"{what} is missing in CI (CI={os.environ['CI']!r}); {how}", pytrace=False)
    if system and can_install_sysdeps():
        pytest.fail(f"{what} is missing though this machine can install it (root, apt-get); "
                    f"{how}", pytrace=False)
    pytest.skip(f"{what} is missing" + (" and this machine cannot install it (needs root and "
                                         "apt-get)" if system else "") + f"; {how}")


def chromium_or_skip() -> Path:
    """The Chromium executable, or skip/fail by :func:`require`."""
    exe = find_chromium()
    if exe is None:
        require("Chromium (chromium on PATH or GREENSURVEY_CHROMIUM)", INSTALL)
    return exe


@pytest.fixture(scope="module")
def chromium() -> Path:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from test_report_demo import build_demo_once, demo_missing

    if demo_missing() is None:
        return build_demo_once(tmp_path_factory)
    from test_report import make_project

    from analysis.report import build_report

    wave = make_project(tmp_path_factory.mktemp("browser"))
    return build_report(wave, timeout=120).output_dir


@pytest.fixture(scope="module")
def screenshot(report, tmp_path_factory) -> Path:
    """Where the screenshot goes: beside the report, so the report's own checks never see it."""
    return run_dir(tmp_path_factory) / f"screenshot-{report.name}.png"


@pytest.fixture(scope="module")
def browser_context(chromium):
    try:
        from playwright import sync_api
    except ImportError:
        require("Playwright", "pip install -e '.[dev]' (or make venv)", system=False)
    profile = tempfile.mkdtemp(prefix="gs-chromium-")
    with sync_api.sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=str(chromium), headless=True, args=ARGS,
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


def test_report_in_headless_chromium(report, browser_context, screenshot):
    doc = json.loads((report / "findings.json").read_text(encoding="utf-8"))
    findings = {t["id"]: t for t in doc["tables"]}
    page, errors = _open(browser_context, (report / "index.html").as_uri())
    if doc["synthetic"]:
        assert page.locator(".gs-banner").is_visible()
    headline_marks = _check_page(page, findings, "index.html")
    assert headline_marks > 0, "the index shows no headline numbers"
    page.screenshot(path=str(screenshot), full_page=True)
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
    assert screenshot.stat().st_size > 10_000


def test_language_switch_on_every_page(report, browser_context):
    """Both languages are in the build: the switch leads to the same page in the other language and back."""
    page, errors = _open(browser_context, (report / "index.html").as_uri())
    assert page.evaluate("document.documentElement.lang").startswith("zh")
    chapters = page.eval_on_selector_all("a[data-chapter]", "els => els.map(e => e.getAttribute('href'))")
    for href in ["index.html", *chapters]:
        page.goto((report / href).as_uri(), wait_until="load")
        english = href.replace(".html", ".en.html")
        page.click('a[data-lang-switch="en"]')
        page.wait_for_load_state("load")
        assert page.url.endswith("/" + english), page.url
        assert page.evaluate("document.documentElement.lang") == "en", english
        broken = page.eval_on_selector_all(
            "img", "els => els.filter(e => !e.complete || e.naturalWidth === 0).length")
        assert broken == 0, english
        if href == "index.html":  # the English contents page links the English chapters
            links = page.eval_on_selector_all("a[data-chapter]",
                                              "els => els.map(e => e.getAttribute('href'))")
            assert links == [c.replace(".html", ".en.html") for c in chapters]
        page.click('a[data-lang-switch="zh"]')
        page.wait_for_load_state("load")
        assert page.url.endswith("/" + href), page.url
        assert page.evaluate("document.documentElement.lang").startswith("zh"), href
    assert errors == [], f"console errors: {errors}"
    assert browser_context.outside == [], f"report fetched outside resources: {browser_context.outside}"


# --- the policy above: a missing browser never passes silently in CI ----------------------

@pytest.mark.parametrize(("ci", "root", "apt", "outcome"), [
    ("true", False, False, "fail"), ("1", True, True, "fail"),
    (None, True, True, "fail"), (None, False, True, "skip"), (None, True, False, "skip"),
    ("false", False, False, "skip"),
])
def test_missing_chromium_fails_in_ci_and_where_installable(ci, root, apt, outcome, monkeypatch):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.setattr(os, "geteuid", lambda: 0 if root else 1000)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/apt-get" if apt and name == "apt-get"
                        else None)
    monkeypatch.delenv("GREENSURVEY_CHROMIUM", raising=False)
    assert find_chromium() is None
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="Chromium"):
        chromium_or_skip()
