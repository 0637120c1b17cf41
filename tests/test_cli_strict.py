"""``greensurvey inspect/clean --strict`` refuses an export with wrong values; notes are printed."""

from __future__ import annotations

import warnings

import pytest
from test_ingest_values import _wjx


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "test-salt")


def test_cli_strict_flag_refuses_and_notes_are_printed(tmp_path, capsys):
    from analysis.cli import main

    path, _ = _wjx(tmp_path)
    survey = tmp_path / "survey.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["inspect", str(survey)]) == 0
        out = capsys.readouterr().out
        assert "note" in out
        assert "3分12秒" in out
        assert main(["inspect", str(survey), "--strict"]) == 2
    assert "strict mode" in capsys.readouterr().err
