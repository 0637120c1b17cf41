"""Reports for questionnaires that are not the demo (issue 10).

Roles (the ``analysis:`` section of ``survey.yaml``) are validated with the
YAML line; :func:`analysis.report.plan.chapter_plan` says which chapters run.
"""

from __future__ import annotations

import html
import json
import os
import re
import textwrap
from pathlib import Path

import pytest

from analysis.codebook import load_codebook
from analysis.errors import CodebookError
from analysis.report.plan import CHAPTERS, banner_variables, chapter_plan

BASE = """\
wave: t
title: T
questions:
- id: sex
  type: single
  label: Sex
  options: [{code: 1, name: male, label: M}, {code: 2, name: female, label: F}]
- id: bought
  type: single
  label: Bought
  options: [{code: 1, name: 'yes', label: Y}, {code: 2, name: 'no', label: N}]
- id: why_not
  type: multiple
  label: Barriers
  options: [{code: 1, name: price, label: P}, {code: 2, name: info, label: I}]
- id: spend
  type: numeric
  label: Spend
"""


def _codebook(tmp_path: Path, analysis: str = ""):
    (tmp_path / "survey.yaml").write_text(BASE + textwrap.dedent(analysis), encoding="utf-8")
    return load_codebook(tmp_path)


def test_roles_default_to_none_and_every_mission_chapter_says_why(tmp_path):
    plan = chapter_plan(_codebook(tmp_path), targets_present=False)
    assert [p.chapter for p in plan] == list(CHAPTERS)
    runs = {p.chapter: p for p in plan}
    assert not runs["05-drivers"].runs
    assert runs["05-drivers"].reason["en"].startswith("not run: the codebook declares no outcome")
    assert "outcome:" in runs["05-drivers"].how_to
    assert not runs["06-price-premium"].runs
    assert "premium:" in runs["06-price-premium"].how_to
    assert not runs["07-second-hand"].runs
    assert runs["02-weighting"].runs
    assert runs["02-weighting"].text("en") == "unweighted: no targets.yaml"
    assert all(runs[c].runs for c in ("01-data-cleaning", "03-topline", "04-banners", "08-methods"))


def test_declared_roles_make_chapters_run(tmp_path):
    cb = _codebook(tmp_path, """\
        analysis:
          banner: sex
          outcome: bought
          barriers: why_not
          controls: [sex, spend]
        """)
    assert cb.analysis.banner == ("sex",)
    assert cb.analysis.controls == ("sex", "spend")
    runs = {p.chapter: p.runs for p in chapter_plan(cb, targets_present=True)}
    assert runs["05-drivers"]
    assert not runs["06-price-premium"]
    assert banner_variables(cb) == ["sex"]


@pytest.mark.parametrize(("analysis", "line", "message"), [
    ("analysis:\n  barriers: nope\n", 20, "not a question id"),
    ("analysis:\n  barriers: bought\n", 20, "needs a multiple question; 'bought' is single"),
    ("analysis:\n  controls: [sex, why_not]\n", 20, "'why_not' is multiple"),
    ("analysis:\n  premium:\n    van_westendorp: {too_cheap: spend, cheap: spend, expensive: spend,"
     " too_expensive: sex}\n", 21, "'sex' is single"),
    ("analysis:\n  outcome: bought\n  outcome_level: maybe\n", 21, "not an option of 'bought'"),
    ("analysis:\n  outcomes: bought\n", (19, 20), "outcomes"),  # the section or the key
])
def test_wrong_roles_cite_the_yaml_line(tmp_path, analysis, line, message):
    with pytest.raises(CodebookError) as err:
        _codebook(tmp_path, analysis)
    assert message in str(err.value)
    assert err.value.line in (line if isinstance(line, tuple) else (line,))


# ------------------------------------------------------------------ reports of other waves
# Two questionnaires of our own, built through `greensurvey report` once per session:
# small-wjx (240 respondents, no targets, no duration/IP column, no roles) and roles-wjx
# (420 respondents, targets and every mission role declared).
_TEXT_ONLY = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.S)
# "None of these" is an option label of both test waves, not a printed None.
_FORBIDDEN = re.compile(r"\bNone\b(?! of these)|\bnan\b|\bNaN\b|Warning|Traceback|/tmp|/work/|/home/|"
                        r"census|人口普查|低碳产品|2020|demo-2022")


@pytest.fixture(scope="module", params=["small-wjx", "roles-wjx"])
def built(request, tmp_path_factory):
    from report_waves import write_wave

    from analysis.cli import main

    base = tmp_path_factory.mktemp(request.param)
    wave = write_wave(request.param, base / "surveys" / request.param)
    out = base / "report"
    old = os.environ.get("GREENSURVEY_SALT")
    os.environ["GREENSURVEY_SALT"] = "report-any-wave-test"
    try:
        code = main(["report", str(wave), "--output", str(out), "--notebooks",
                     str(Path(__file__).resolve().parents[1] / "notebooks")])
    finally:
        if old is None:
            os.environ.pop("GREENSURVEY_SALT", None)
        else:
            os.environ["GREENSURVEY_SALT"] = old
    assert code == 0
    return request.param, wave, out


def _page_text(path: Path) -> str:
    return html.unescape(_TEXT_ONLY.sub(" ", path.read_text(encoding="utf-8")))


def test_every_planned_chapter_built(built):
    name, wave, out = built
    plan = chapter_plan(load_codebook(wave), targets_present=(wave / "targets.yaml").is_file())
    pages = {p.name for p in out.glob("[0-9][0-9]-*.html")}
    for item in plan:
        assert (f"{item.chapter}.html" in pages) == item.runs, item.chapter
    index = _page_text(out / "index.en.html") if (out / "index.en.html").is_file() else ""
    if name == "small-wjx":
        assert [p.chapter for p in plan if not p.runs] == ["05-drivers", "06-price-premium",
                                                           "07-second-hand"]
        assert "the codebook declares no" in index
    else:
        assert all(p.runs for p in plan)


def test_topline_of_every_question(built):
    _, wave, out = built
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    ids = {t["id"] for t in doc["tables"]}
    missing = [q.id for q in load_codebook(wave).questions if f"topline.{q.id}" not in ids]
    assert not missing
    for t in doc["tables"]:
        for c in t["cells"]:
            assert c["estimate"] is None or c["estimate"] == c["estimate"], t["id"]  # no NaN


def test_no_demo_text_warning_or_path_on_any_page(built):
    _, _, out = built
    for page in sorted(out.glob("*.html")):
        text = _page_text(page)
        bad = _FORBIDDEN.findall(text)
        assert not bad, (page.name, bad[:5])


def test_mission_chapters_follow_the_roles(built):
    name, _, out = built
    ids = {t["id"] for t in json.loads((out / "findings.json").read_text(encoding="utf-8"))["tables"]}
    if name == "small-wjx":
        assert "cleaning.funnel" in ids
        assert not any(i.startswith(("drivers.", "premium.", "secondhand.", "banner.")) for i in ids)
        cleaning = _page_text(out / "01-data-cleaning.en.html")
        assert "not run: no duration column" in cleaning
        assert "not run: no IP column" in cleaning
        assert "Unweighted" in _page_text(out / "02-weighting.en.html")
    else:
        assert {"drivers.ame", "drivers.barriers_by_outcome", "premium.extra_pay.wtp",
                "premium.van_westendorp", "secondhand.used_price.need",
                "banner.gender.obstacles", "banner.citysize.green_identity",
                "weighting.margins"} <= ids
        weighting = _page_text(out / "02-weighting.en.html")
        assert "Invented test margin" in weighting


def test_english_contents_page_shows_english_headline_tables(built):
    """The headline tables of index.en.html come from the English passes, not the default's."""
    name, _, out = built
    page = (out / "index.en.html").read_text(encoding="utf-8")
    tables = re.findall(r"<table.*?</table>", page, re.S)
    if name == "small-wjx":  # no mission chapter runs: no headline tables
        assert not tables
        return
    text = html.unescape(_TEXT_ONLY.sub(" ", "".join(tables)))
    assert not re.findall(r"[\u4e00-\u9fff]+", text)
    zh = html.unescape(_TEXT_ONLY.sub(" ", "".join(
        re.findall(r"<table.*?</table>", (out / "index.html").read_text(encoding="utf-8"), re.S))))
    assert re.search(r"[\u4e00-\u9fff]", zh)


def test_a_failing_block_becomes_a_data_note(tmp_path):
    """Warnings and errors of a chapter block reach the page as notes, without local paths."""
    import warnings

    from report_waves import write_wave

    from analysis.report import open_chapter

    wave = write_wave("small-wjx", tmp_path / "w")
    ch = open_chapter("06-price-premium", wave=wave, language="en", output_dir=tmp_path / "out")
    with ch.block("premium.dc"):
        warnings.warn("odd values in /home/me/waves/raw/file.csv", UserWarning, stacklevel=1)
        raise ValueError("no bids in /tmp/x/survey.yaml")
    assert sorted(ch.notes) == ["odd values in file.csv",
                                "premium.dc: not computed (no bids in survey.yaml)"]
    box = ch.data_notes().data
    assert "Data notes" in box
    assert "/home" not in box
    assert "/tmp" not in box


def test_rules_that_ran_on_a_qualtrics_wave_without_declared_columns(tmp_path, monkeypatch):
    """Qualtrics gives ResponseId without a respondent: section: the id rule ran; no duration, no IP."""
    import warnings

    import test_ingest_qualtrics as qualtrics

    from analysis.pipeline import prepare_wave
    from analysis.report.facts import rule_status

    monkeypatch.setenv("GREENSURVEY_SALT", "s")
    (tmp_path / "raw").mkdir()
    (tmp_path / "survey.yaml").write_text(qualtrics.SURVEY, encoding="utf-8")
    (tmp_path / "raw" / "export.csv").write_bytes(qualtrics._export(qualtrics.ANSWERS).encode("utf-8-sig"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the export's own data warnings are not the point here
        status = rule_status(prepare_wave(tmp_path), "en")
    assert status.loc["duplicate_id", "ran"]
    assert status.loc["attention_check", "status"] == "not run: no attention check declared"


def test_select_all_share_intervals_stay_inside_0_1():
    """A rare select-all option gets a logit interval in the report, never a negative bound."""
    import numpy as np
    import pandas as pd

    from analysis import SurveyDesign
    from analysis.report.chapter import _logit_shares

    rng = np.random.default_rng(7)
    rare = np.zeros(800, dtype=bool)
    rare[[10, 500]] = True  # 2 of 800, as the 0.2% "other" option of the real export
    data = pd.DataFrame({"q_a": rare, "q_b": rng.random(800) < 0.5})
    from analysis.estimate.multiresponse import mr_shares

    wald = mr_shares(SurveyDesign(data), ["q_a", "q_b"]).summary_frame()
    logit = _logit_shares(mr_shares(SurveyDesign(data), ["q_a", "q_b"])).summary_frame()
    assert wald["ci_low"].min() < 0  # the failure seen on a real 问卷星 export
    assert (logit["ci_low"] >= 0).all()
    assert (logit["ci_high"] <= 1).all()
    np.testing.assert_allclose(logit["estimate"], wald["estimate"])


def test_banner_letters_are_computed_once_for_both_languages(tmp_path, monkeypatch):
    """The other language's banner pass reads the letters from the build cache: same cells, notes."""
    from report_waves import write_wave

    from analysis.pipeline import WAVE_CACHE_ENV
    from analysis.report import crosstabs, open_chapter

    wave = write_wave("roles-wjx", tmp_path / "w")
    monkeypatch.setenv(WAVE_CACHE_ENV, str(tmp_path / "cache"))
    real = crosstabs.group_letters
    calls: list[str] = []
    monkeypatch.setattr(crosstabs, "group_letters",
                        lambda design, variables, by, **kw: calls.append(by) or real(design, variables, by, **kw))
    cells, notes = {}, {}
    for language in ("zh", "en"):
        ch = open_chapter("04-banners", wave=wave, language=language, output_dir=tmp_path / language)
        crosstabs.banner_tables(ch, banner_variables(ch.codebook))
        assert ch.findings.tables, "the wave has banner tables"
        cells[language] = [[(c.row, c.column, c.estimate, c.se, c.n_unweighted, c.column_letter, c.sig)
                             for c in tab.cells]
                           for tab in ch.findings.tables]
        notes[language] = len(ch.notes)
        if language == "zh":
            first = len(calls)
            assert first > 0
    assert len(calls) == first  # nothing computed again in the second language
    assert cells["en"] == cells["zh"]
    assert notes["en"] == notes["zh"]
