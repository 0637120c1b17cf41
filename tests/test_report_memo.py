"""Language-free results computed by a chapter's first pass and read by its other pass.

The topline's estimates do not depend on the language: the first pass keeps
them in the build's memo (:meth:`Chapter.memo`) and the other language's pass
reads them, with the same numbers and data notes.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import analysis.estimate.multiresponse
import analysis.models
import analysis.report.crosstabs
from analysis.pipeline import WAVE_CACHE_ENV, PreparedWave, record_warnings
from analysis.report import mission
from analysis.report.chapter import FIGURE_FORMATS_ENV, open_chapter
from analysis.report.topline import topline
from analysis.survey import SurveyDesign

DEMO = Path(__file__).resolve().parents[1] / "surveys" / "demo-2022"
_NUMBERS = ("table_id", "row", "column", "estimate", "se", "ci_low", "ci_high", "n_unweighted",
            "n_weighted", "flag")


def _cells(folder: Path, chapter: str = "03-topline") -> list[dict]:
    fragment = json.loads((folder / "findings" / f"{chapter}.json").read_text(encoding="utf-8"))
    return [{k: c.get(k) for k in _NUMBERS} for t in fragment["tables"] for c in t["cells"]]


def _recomputed(*args, **kwargs):
    raise AssertionError("the other language's pass recomputed an estimate")


def test_the_other_language_reads_the_topline_estimates(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(WAVE_CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(FIGURE_FORMATS_ENV, "png")
    zh = open_chapter("03-topline", wave=DEMO, language="zh", output_dir=tmp_path / "zh")
    topline(zh)

    for name in ("proportion", "mean", "quantile"):
        monkeypatch.setattr(SurveyDesign, name, _recomputed)
    monkeypatch.setattr(analysis.estimate.multiresponse, "mr_shares", _recomputed)
    en = open_chapter("03-topline", wave=DEMO, language="en", output_dir=tmp_path / "en")
    topline(en)
    capsys.readouterr()
    assert not [n for n in en.notes if "not computed" in n]
    assert _cells(tmp_path / "en") == _cells(tmp_path / "zh")
    assert len(en.notes) == len(zh.notes)  # the same data notes, in the other language


@pytest.mark.parametrize(("stem", "run"), [("05-drivers", mission.drivers),
                                           ("06-price-premium", mission.premium),
                                           ("07-second-hand", mission.second_hand)])
def test_the_other_language_reads_the_mission_chapters_models(tmp_path, monkeypatch, capsys,
                                                              stem, run):
    monkeypatch.setenv(WAVE_CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv(FIGURE_FORMATS_ENV, "png")
    zh = open_chapter(stem, wave=DEMO, language="zh", output_dir=tmp_path / "zh")
    run(zh)
    for name in ("proportion", "mean", "glm", "wtp_hurdle", "dc_turnbull", "dc_cv",
                 "second_hand_threshold", "van_westendorp"):
        monkeypatch.setattr(SurveyDesign, name, _recomputed)
    monkeypatch.setattr(PreparedWave, "replicates", _recomputed)
    monkeypatch.setattr(analysis.models, "average_marginal_effects", _recomputed)
    monkeypatch.setattr(analysis.report.crosstabs, "group_letters", _recomputed)
    en = open_chapter(stem, wave=DEMO, language="en", output_dir=tmp_path / "en")
    run(en)
    capsys.readouterr()
    assert not [n for n in en.notes if "not computed" in n]
    assert _cells(tmp_path / "en", stem) == _cells(tmp_path / "zh", stem)
    assert len(en.notes) == len(zh.notes)


def test_a_failed_computation_keeps_nothing_and_its_warnings_go_out():
    def fails() -> None:
        warnings.warn("half way", UserWarning, stacklevel=1)
        raise ValueError("no")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="no"):
            record_warnings(fails)
    assert [str(w.message) for w in caught] == ["half way"]
