"""``greensurvey`` on Qualtrics waves: no false PII stop, ``--salt``/``GREENSURVEY_SALT``,
and hints that name the command's options, not Python arguments (issue 9.5)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest
from test_ingest_qualtrics import ANSWERS, SURVEY, _export

from analysis.cli import CLI_WORDING, for_cli, main
from analysis.pii import salted_hash

ROOT = Path(__file__).resolve().parents[1]
# Real-format response ids holding the letters ("vx", "wX", "qq") the old WeChat/QQ rules took
# for cues; the fourth row is a survey preview, which the reader drops.
IDS = ["R_b7vxWfK9YNpnXTN", "R_2wxCWZIdcKleZWm", "R_9qq123456ABCDEF", "R_vXTboB9O8j2Kr4G"]
PHONE = "13812345678"
TARGETS = """\
population: test
margins:
  gender:
    levels: {male: 50, female: 50}
    source: made up for the test
"""


@pytest.fixture(autouse=True)
def _no_salt_in_env(monkeypatch):
    monkeypatch.delenv("GREENSURVEY_SALT", raising=False)


def _wave(tmp_path: Path, ids: list[str], comment: str | None = None) -> Path:
    """A Qualtrics wave folder: survey.yaml, targets.yaml, raw/export.csv."""
    answers = [list(row) for row in ANSWERS]
    if comment is not None:
        answers[1][-1] = comment
    text = _export(answers)
    for k, new in enumerate(ids):
        text = text.replace(f"R_{k + 1:03d}", new)
    wave = tmp_path / "q2023"
    (wave / "raw").mkdir(parents=True)
    (wave / "survey.yaml").write_text(SURVEY, encoding="utf-8")
    (wave / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    (wave / "raw" / "export.csv").write_bytes(text.encode("utf-8-sig"))
    return wave


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["-q", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_and_weight_a_qualtrics_wave(tmp_path, capsys):
    wave = _wave(tmp_path, IDS)
    code, out, err = _run(capsys, "clean", str(wave))
    assert (code, err) == (0, "")
    assert "3 rows read" in out
    assert "qualtrics" in out
    assert "kept for analysis" in out
    code, out, err = _run(capsys, "weight", str(wave))
    assert code == 0, err
    assert "converged after" in out


def test_clean_a_bare_qualtrics_export(tmp_path, capsys):
    export = _wave(tmp_path, IDS) / "raw" / "export.csv"
    code, out, err = _run(capsys, "clean", str(export))
    assert code == 0, err
    assert "kept for analysis" in out


def _audit(capsys, wave: Path, *extra: str) -> pd.DataFrame:
    csv = wave / "audit.csv"
    code, _, err = _run(capsys, "clean", str(wave), "--audit", str(csv), *extra)
    assert code == 0, err
    return pd.read_csv(csv, dtype=str)


def test_ids_holding_personal_data_need_a_salt_named_by_its_cli_option(tmp_path, capsys):
    wave = _wave(tmp_path, [IDS[0], PHONE, IDS[2], IDS[3]], comment="加微信 green_life88")
    code, _, err = _run(capsys, "clean", str(wave))
    assert code == 2
    assert "respondent id(s) look like personal data (mobile)" in err
    assert "--salt" in err
    assert "GREENSURVEY_SALT" in err
    assert "clean(salt=" not in err
    assert len(err.strip().splitlines()) == 1

    audit = _audit(capsys, wave, "--salt", "pepper")
    expected = salted_hash(pd.Series([PHONE]), "pepper")[0]
    # The hashed id is the one the redacted comment (row 2) is filed under; the phone is gone.
    redacted = audit[audit["rule"] == "pii_text"]
    assert redacted["respondent_id"].tolist() == [expected]
    assert PHONE not in (wave / "audit.csv").read_text(encoding="utf-8")
    assert ((audit["column"] == "respondent_id") & (audit["action"] == "hash_column")).sum() == 1
    # --salt lives only for the run.
    assert "GREENSURVEY_SALT" not in os.environ


def test_salt_from_the_environment_gives_the_same_hashes(tmp_path, capsys, monkeypatch):
    wave = _wave(tmp_path, [IDS[0], PHONE, IDS[2], IDS[3]], comment="加微信 green_life88")
    monkeypatch.setenv("GREENSURVEY_SALT", "pepper")
    audit = _audit(capsys, wave)
    redacted = audit[audit["rule"] == "pii_text"]
    assert redacted["respondent_id"].tolist() == [salted_hash(pd.Series([PHONE]), "pepper")[0]]
    # --salt wins over the environment for the run, which is restored afterwards.
    other = _audit(capsys, wave, "--salt", "other")
    assert other.loc[other["rule"] == "pii_text", "respondent_id"].tolist() == [
        salted_hash(pd.Series([PHONE]), "other")[0]]
    assert os.environ["GREENSURVEY_SALT"] == "pepper"


def test_weight_takes_a_salt_and_raking_options(tmp_path, capsys):
    wave = _wave(tmp_path, [IDS[0], PHONE, IDS[2], IDS[3]])
    code, _, err = _run(capsys, "weight", str(wave))
    assert code == 2
    assert "--salt" in err
    code, out, err = _run(capsys, "weight", str(wave), "--salt", "pepper", "--max-iter", "1",
                          "--tol", "1e-3")
    assert code == 0, err
    assert "after 1 iteration(s)" in out


def test_empty_salt_is_refused(tmp_path, capsys):
    code, _, err = _run(capsys, "clean", str(_wave(tmp_path, IDS)), "--salt", " ")
    assert code == 2
    assert "--salt is empty" in err


def test_undecodable_file_hint_names_the_encoding_option(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes("序号,1、性别\n1,男\n".encode("gb18030") + b"\x81\x20\xff\xfe\x80")
    code, _, err = _run(capsys, "clean", str(path))
    assert code == 2
    assert "--encoding" in err
    assert "encoding=" not in err


def test_encoding_option(tmp_path, capsys):
    path = tmp_path / "gbk.csv"
    path.write_bytes("序号,1、性别\n1,男\n2,女\n".encode("gb18030"))
    code, out, err = _run(capsys, "inspect", str(path), "--encoding", "gb18030")
    assert code == 0, err
    assert re.search(r"encoding\s+gb18030", out)
    with pytest.raises(SystemExit) as exc:
        main(["inspect", str(path), "--encoding", "no-such-codec"])
    assert exc.value.code == 2
    assert "unknown encoding 'no-such-codec'" in capsys.readouterr().err


def test_help_documents_the_salt_variable(capsys):
    for argv in (["--help"], ["clean", "--help"], ["weight", "--help"], ["report", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert "GREENSURVEY_SALT" in capsys.readouterr().out


def _hint_sources() -> str:
    """The package source with adjacent string literals joined, as Python joins them."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "analysis").rglob("*.py")
                     if p.name != "cli.py")
    return re.sub(r"\"\s*\n\s*f?\"", "", text)


@pytest.mark.parametrize(("pattern", "replacement"), CLI_WORDING)
def test_every_rewording_matches_a_hint_the_package_gives(pattern, replacement):
    """A hint reworded at its source would silently reach CLI users in Python syntax again."""
    assert re.search(pattern, _hint_sources()), pattern


@pytest.mark.parametrize("text", [
    "personal column 'x' is dropped instead of hashed: no salt given (pass clean(salt=...) to hash "
    "it)",
    "raking did not converge in 50 iterations. Fix: raise max_iter, loosen tol, or collapse sparse "
    "levels",
    "duplicate ids. Fix: set screening.duplicates.ids to 'exclude' (keep the first submission) or "
    "'flag' (clean(duplicates=...))",
])
def test_cli_wording_leaves_no_python_argument(text):
    out = for_cli(text)
    assert not re.search(r"\w+\([a-z_]+=|\b(max_iter|tol|encoding)=", out), out
    assert out != text


def test_report_notebooks_folder_can_be_named_on_the_command_line(tmp_path, capsys, monkeypatch):
    wave = _wave(tmp_path, IDS)
    monkeypatch.delenv("GREENSURVEY_NOTEBOOKS", raising=False)
    monkeypatch.chdir(tmp_path)
    # The package's own chapters are always found; a named folder that is missing is an error.
    code, _, err = _run(capsys, "report", str(wave), "--output", str(tmp_path / "out"),
                        "--notebooks", str(tmp_path / "missing"))
    assert code == 2
    assert "notebooks folder not found" in err
    assert "--notebooks DIR" in err
    assert "notebooks_dir=" not in err
    empty = tmp_path / "nb"
    empty.mkdir()
    code, _, err = _run(capsys, "report", str(wave), "--notebooks", str(empty))
    assert code == 2
    assert "no notebooks named NN-<topic>.py" in err
    assert str(empty) in err


def test_report_salt_reaches_the_notebook_kernels_environment(capsys, monkeypatch):
    """Kernels inherit os.environ, so --salt must be in it while build_report runs."""
    import analysis.report.build

    seen = []

    def fake_build_report(wave, **kw):
        seen.append(os.environ.get("GREENSURVEY_SALT"))
        return "report written"

    monkeypatch.setattr(analysis.report.build, "build_report", fake_build_report)
    code, out, _ = _run(capsys, "report", "surveys/x", "--salt", "pepper")
    assert (code, out.strip()) == (0, "report written")
    assert seen == ["pepper"]
    assert "GREENSURVEY_SALT" not in os.environ
