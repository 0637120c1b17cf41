"""Data notes in the Chinese report say in Chinese what each kind of warning means."""

from __future__ import annotations

import inspect
import re

import pytest

from analysis import errors
from analysis.errors import IngestWarning, InvalidValueWarning, MetadataWarning
from analysis.report.chapter import readable_note
from analysis.report.i18n import TEXT

KINDS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
         if issubclass(cls, IngestWarning) and cls is not IngestWarning]


@pytest.mark.parametrize("kind", KINDS, ids=lambda c: c.__name__)
def test_every_ingest_warning_has_a_chinese_summary(kind) -> None:
    note = readable_note(kind("detail of what was found", count=4, questions=["q5"]), "zh")
    assert f"note.{kind.__name__}" in TEXT
    assert note.endswith("详情：detail of what was found")
    if "{questions}" in TEXT[f"note.{kind.__name__}"]["zh"]:
        assert "q5" in note
    assert note != "detail of what was found"


def test_chinese_note_counts_questions_and_keeps_the_detail_without_paths() -> None:
    w = InvalidValueWarning("2 answers of q5 in /home/me/raw/x.csv are not options: '还行吧' "
                            "(rows 6, 10)", count=2, questions=[f"q{i}" for i in range(7)])
    zh = readable_note(w, "zh")
    assert zh.startswith("2个答案不是问卷允许的选项或数值（题目：q0、q1、q2、q3、q4等7题）")
    assert "x.csv" in zh
    assert "/home/me" not in zh
    assert readable_note(w, "en") == "2 answers of q5 in x.csv are not options: '还行吧' (rows 6, 10)"


def test_without_a_count_the_note_does_not_print_zero() -> None:
    zh = readable_note(MetadataWarning("submit time 'yesterday' in row 6 cannot be read"), "zh")
    assert zh.startswith("若干条答卷信息")
    assert "0" not in zh.split("详情")[0]


LATER = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
         if issubclass(cls, Warning) and not issubclass(cls, IngestWarning)]


@pytest.mark.parametrize("kind", LATER, ids=lambda c: c.__name__)
def test_every_later_warning_is_led_by_chinese(kind) -> None:
    """Cleaning, weighting, estimation and disclosure warnings too: a lead in Chinese, then the detail."""
    note = readable_note(kind("raking did not converge in /tmp/w/x.py"), "zh")
    lead, detail = note.split("。详情：")
    assert re.search(r"[\u4e00-\u9fff]", lead)
    assert detail == "raking did not converge in x.py"
    assert readable_note(kind("raking did not converge"), "en") == "raking did not converge"


def test_a_nearer_kind_says_more_than_its_parent() -> None:
    assert readable_note(errors.ConvergenceWarning("x"), "zh").startswith("迭代计算未完全收敛")
    assert readable_note(errors.DisclosureWarning("x"), "zh").startswith("部分单元格样本量过小")


def test_any_other_warning_is_led_by_a_generic_chinese_sentence() -> None:
    note = readable_note(UserWarning("odd values in /tmp/w/raw/f.csv"), "zh")
    assert note == "计算过程提示（原文为英文）。详情：odd values in f.csv"
    assert readable_note(RuntimeWarning("divide by zero"), "en") == "divide by zero"


def test_plain_text_stays_as_it_is() -> None:
    assert readable_note("odd values in /tmp/w/raw/f.csv", "zh") == "odd values in f.csv"
