"""End to end on a copy of the demo wave: raw files are never written, every row is accounted for."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest
from conftest import ROOT

import analysis
from analysis.cli import main

DEMO = ROOT / "surveys" / "demo-2022"


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                               p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def wave(tmp_path):
    dst = tmp_path / "demo-2022"
    shutil.copytree(DEMO, dst, ignore=shutil.ignore_patterns("interim"))
    return dst


def test_raw_export_is_never_written_and_rows_balance(wave, capsys):
    raw_before = _snapshot(wave / "raw")
    data = analysis.load_wave(wave)
    result = analysis.clean(data)
    assert result.n_in == len(data) == result.n_kept + result.n_excluded
    assert set(result.excluded["respondent_id"]).isdisjoint(result.data["respondent_id"])
    design = analysis.SurveyDesign(result.data).rake(analysis.load_targets(wave))
    share = design.mean("barriers").estimate
    assert np.all((share > 0) & (share < 1))
    assert main(["-q", "clean", str(wave), "--audit", str(wave / "interim" / "audit.csv")]) == 0
    capsys.readouterr()
    assert _snapshot(wave / "raw") == raw_before
    # derived files go to interim/ only (gitignored), never next to the export
    assert {p.name for p in (wave / "raw").iterdir()} == set(raw_before)


def test_audit_output_holds_no_personal_data(wave):
    from analysis.pii import find_pii

    result = analysis.clean(analysis.load_wave(wave))
    audit_text = result.audit.astype(str).to_csv(index=False)
    assert not find_pii(audit_text)
    assert "ip_hash" not in result.audit.columns
    kept_text = result.data.select_dtypes(include=["object", "string"]).drop(
        columns=["respondent_id", "ip_hash"], errors="ignore").astype(str).to_csv(index=False)
    assert not find_pii(kept_text)
