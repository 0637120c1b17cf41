"""Reports for questionnaires that are not the demo (issue 10).

Roles (the ``analysis:`` section of ``survey.yaml``) are validated with the
YAML line; :func:`analysis.report.plan.chapter_plan` says which chapters run.
"""

from __future__ import annotations

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
    ("analysis:\n  outcomes: bought\n", 19, "outcomes"),
])
def test_wrong_roles_cite_the_yaml_line(tmp_path, analysis, line, message):
    with pytest.raises(CodebookError) as err:
        _codebook(tmp_path, analysis)
    assert message in str(err.value)
    assert err.value.line == line
