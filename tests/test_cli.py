"""The ``greensurvey`` command: one clear line on bad input, real work on good input."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest
from conftest import REAL_EXPORTS

from analysis import load_wave
from analysis.cli import main
from analysis.codebook import load_codebook

WJX_2018 = REAL_EXPORTS / "wjx" / "reportgen-2018-800" / "[问卷星数据]800_800_0.xls"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert "greensurvey" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.xlsx", None, "not found"),
        ("broken.xlsx", b"this is not a zip archive", "not a zip"),
        ("empty.csv", b"", "empty"),
        ("undecodable.csv", "序号,1、性别\n1,男\n".encode("gb18030") + b"\x81\x20\xff\xfe\x80", "decode"),
    ],
)
def test_bad_files_give_one_line_and_exit_2(tmp_path, capsys, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, out, err = _run(capsys, "clean", str(path))
    assert code == 2
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("greensurvey: error:")
    assert needle in lines[0].lower()
    assert str(path.name) in lines[0]
    assert "Traceback" not in err


def test_codebook_error_cites_yaml_line(tmp_path, capsys):
    wave = tmp_path / "w"
    (wave / "raw").mkdir(parents=True)
    (wave / "survey.yaml").write_text(
        "wave: w\ntitle: t\nquestions:\n  - id: q1\n    type: slider\n    label: x\n",
        encoding="utf-8")
    (wave / "raw" / "x.csv").write_text("序号,1、x\n1,2\n", encoding="utf-8")
    code, _, err = _run(capsys, "clean", str(wave))
    assert code == 2
    assert "unknown question type 'slider'" in err
    assert "line 5" in err


def test_subprocess_entry_point_prints_no_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "analysis.cli", "clean", str(tmp_path / "nope")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


@pytest.mark.skipif(not WJX_2018.exists(), reason=f"real exports not found at {REAL_EXPORTS}")
def test_clean_real_export_prints_funnel(capsys):
    code, out, _ = _run(capsys, "clean", str(WJX_2018))
    assert code == 0
    assert "800 rows read" in out
    assert "kept for analysis" in out


@pytest.mark.skipif(not WJX_2018.exists(), reason=f"real exports not found at {REAL_EXPORTS}")
def test_drafted_codebook_round_trip(tmp_path, capsys):
    """Draft a survey.yaml from an export, then read the export through it."""
    wave = tmp_path / "my-wave"
    (wave / "raw").mkdir(parents=True)
    shutil.copy(WJX_2018, wave / "raw" / WJX_2018.name)
    code, out, _ = _run(capsys, "codebook", str(WJX_2018), "-o", str(wave / "survey.yaml"))
    assert code == 0
    assert "written" in out
    cb = load_codebook(wave)
    assert any(q.type == "multiple" for q in cb.questions)
    from_folder = load_wave(wave)
    from_file = load_wave(WJX_2018)
    cols = [c for c in from_file.columns if c != "ip_hash"]
    pd.testing.assert_frame_equal(from_folder[cols], from_file[cols], check_like=True)
    # refusing to overwrite without --force
    code, _, err = _run(capsys, "codebook", str(WJX_2018), "-o", str(wave / "survey.yaml"))
    assert code == 2
    assert "--force" in err




def test_clean_and_weight_demo_wave(capsys):
    from conftest import ROOT

    wave = ROOT / "surveys" / "demo-2022"
    code, out, _ = _run(capsys, "-q", "clean", str(wave))
    assert code == 0
    assert "kept for analysis" in out
    code, out, _ = _run(capsys, "-q", "weight", str(wave))
    assert code == 0
    assert "converged after" in out
    # the census margin is reached: the weighted share of urban equals the target
    row = next(ln for ln in out.splitlines() if ln.split()[:2] == ["urban", "urban"])
    assert row.split()[2] == row.split()[4] == "63.89%"
