"""The report's PII scan file by file (``OutputScan``): what a build scans while it runs.

A build adds each page and figure as it is written and checks the folder at
the end; the check must fail exactly where one scan of the finished folder
would, and read again any file changed after it was added.
"""

from __future__ import annotations

import json
import os

import pytest

from analysis.errors import ReportError
from analysis.report.scan import OutputScan, scan_outputs


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "a.html").write_text("<p>13.9%</p>", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"label": "channels"}), encoding="utf-8")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "c.svg").write_text("<svg><text>share</text></svg>", encoding="utf-8")
    return tmp_path


def test_files_added_early_are_checked_like_a_scan_of_the_folder(folder):
    scan = OutputScan()
    for path in (folder / "a.html", folder / "figures" / "c.svg"):
        scan.add(path)
    assert scan.check(folder) == scan_outputs(folder)


def test_a_file_added_early_with_personal_data_fails_the_check(folder):
    leak = folder / "leak.html"
    leak.write_text("<p>联系电话 13812345678</p>", encoding="utf-8")
    scan = OutputScan()
    scan.add(leak)
    with pytest.raises(ReportError, match="mobile number") as err:
        scan.check(folder)
    assert "leak.html" in str(err.value)


def test_a_file_changed_after_it_was_added_is_read_again(folder):
    page = folder / "a.html"
    scan = OutputScan()
    scan.add(page)
    page.write_text("<p>邮箱 zhang.san@example.com and more text</p>", encoding="utf-8")
    os.utime(page, ns=(0, 1))  # a different modification time even on a coarse clock
    with pytest.raises(ReportError, match="email address"):
        scan.check(folder)


def test_respondent_ids_are_checked_at_the_end(folder):
    scan = OutputScan()
    (folder / "t.csv").write_text("id,x\nR2022000117,1\n", encoding="utf-8")
    scan.add(folder / "t.csv")
    scan.check(folder)  # no ids given yet: nothing to find
    with pytest.raises(ReportError, match="respondent id"):
        scan.check(folder, respondent_ids=["R2022000117"])
