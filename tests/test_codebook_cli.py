"""`greensurvey codebook`: lay out a wave (-o), --check without data, --schema, guide hints."""

from __future__ import annotations

import hashlib
import json
import shutil

import jsonschema
import pytest
import yaml
from conftest import REAL_EXPORTS, ROOT

from analysis._codebook_schema import SCHEMA_FILES, codebook_schemas, schema_text
from analysis.cli import main
from analysis.codebook import load_codebook

ZTE = REAL_EXPORTS / "wjx" / "reportgen-2016-zte"
DOCS = ROOT / "docs"


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "s")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _digest(path) -> tuple[str, float]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime


@pytest.mark.skipif(not ZTE.is_dir(), reason="real exports not found")
def test_output_lays_out_the_wave_and_copies_the_exports(tmp_path, capsys):
    src = tmp_path / "downloads"
    src.mkdir()
    shutil.copy(ZTE / "All_Data_Readable.xls", src / "答卷 文本.xls")
    shutil.copy(ZTE / "All_Data_Original.xls", src / "答卷 序号.xls")
    before = {p.name: _digest(p) for p in src.iterdir()}
    out = tmp_path / "surveys" / "my-wave" / "survey.yaml"  # neither folder exists
    code, printed, err = _run(capsys, "codebook", str(src / "答卷 文本.xls"), "-o", str(out))
    assert code == 0
    wave = out.parent
    assert sorted(p.name for p in (wave / "raw").iterdir()) == ["答卷 序号.xls", "答卷 文本.xls"]
    # copied, never moved or modified
    assert {p.name: _digest(p) for p in src.iterdir()} == before
    assert _digest(wave / "raw" / "答卷 文本.xls")[0] == before["答卷 文本.xls"][0]
    assert "paired" in err
    assert "by content" in err
    cb = load_codebook(out)
    assert cb.wave == "my-wave"
    assert not any(q.provisional for q in cb.questions)
    template = (wave / "targets.example.yaml").read_text(encoding="utf-8")
    assert all(line.startswith("#") for line in template.splitlines())
    assert not (wave / "targets.yaml").exists()  # a template never makes the wave weighted
    code, printed, _ = _run(capsys, "codebook", "--check", str(wave))
    assert code == 0
    assert "valid, 11 questions" in printed
    assert "unweighted" in printed
    code, _, err = _run(capsys, "codebook", str(src / "答卷 文本.xls"), "-o", str(out))
    assert code == 2
    assert "--force" in err


def test_check_reports_errors_with_the_guide_section(tmp_path, capsys):
    wave = tmp_path / "w"
    wave.mkdir()
    (wave / "survey.yaml").write_text(
        "wave: w\ntitle: t\nquestions:\n  - id: q1\n    type: single\n    label: x\n"
        "    options: [{code: 1, label: a}]\n    show_if: {q9: [1]}\n", encoding="utf-8")
    code, _, err = _run(capsys, "codebook", "--check", str(wave))
    assert code == 2
    assert "docs/codebook.md#routing-show_if" in err
    assert "analysis/codebook.py" not in err
    (wave / "survey.yaml").write_text(
        "wave: w\ntitle: t\nweighting: {variables: [sex]}\nquestions:\n  - id: sex\n"
        "    type: single\n    label: 性别\n    options: [{code: 1, name: male, label: 男},"
        " {code: 2, name: female, label: 女}]\n", encoding="utf-8")
    (wave / "targets.yaml").write_text(
        "population: p\nmargins:\n  sex:\n    levels: {male: 50, woman: 50}\n    source: s\n",
        encoding="utf-8")
    code, _, err = _run(capsys, "codebook", "--check", str(wave))
    assert code == 2
    assert "'woman'" in err
    assert "docs/codebook.md#targetsyaml" in err


def test_check_the_demo_wave(capsys):
    code, out, _ = _run(capsys, "codebook", "--check", str(ROOT / "surveys" / "demo-2022"))
    assert code == 0
    assert "targets.yaml: valid" in out


@pytest.mark.parametrize("name", list(SCHEMA_FILES))
def test_committed_schema_equals_the_generated_one(name):
    committed = (DOCS / SCHEMA_FILES[name]).read_text(encoding="utf-8")
    assert committed == schema_text(name), (
        f"docs/{SCHEMA_FILES[name]} is stale: run `greensurvey codebook --schema docs`")


def test_schema_command_writes_both(tmp_path, capsys):
    code, out, _ = _run(capsys, "codebook", "--schema", str(tmp_path / "d"))
    assert code == 0
    for name, file in SCHEMA_FILES.items():
        assert json.loads((tmp_path / "d" / file).read_text(encoding="utf-8")) == \
            codebook_schemas()[name]


def test_schema_accepts_the_demo_and_the_guide_examples_and_flags_typos():
    survey = jsonschema.Draft202012Validator(codebook_schemas()["survey"])
    targets = jsonschema.Draft202012Validator(codebook_schemas()["targets"])
    demo = ROOT / "surveys" / "demo-2022"
    assert not list(survey.iter_errors(yaml.safe_load((demo / "survey.yaml").read_text("utf-8"))))
    assert not list(targets.iter_errors(yaml.safe_load((demo / "targets.yaml").read_text("utf-8"))))
    bad = {"wave": "w", "title": "t", "questions": [{"id": "q1", "type": "single", "label": "x",
                                                     "optoins": []}]}
    assert list(survey.iter_errors(bad))


def test_guide_has_every_section_errors_point_to():
    import re

    from analysis import _codebook_fields

    text = (DOCS / "codebook.md").read_text(encoding="utf-8")
    anchors = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
               for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    used = set(_codebook_fields._GUIDE.values()) | {"surveyyaml-at-a-glance",
                                                     "provisional-codes"}
    assert used <= anchors, sorted(used - anchors)
    for key in ("show_if", "missing", "other_text", "personal", "screening", "weighting",
                "disclosure", "analysis", "strict", "provisional", "attention_checks",
                "derived", "normalize"):
        assert key in text


def test_output_inside_a_project_names_the_schema_for_editors(tmp_path, capsys):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "survey.schema.json").write_text(schema_text("survey"), encoding="utf-8")
    export = tmp_path / "x.csv"
    export.write_text("序号,提交答卷时间,1、性别\n1,2024/05/01 10:00:00,男\n2,2024/05/01 11:00:00,女\n",
                      encoding="utf-8")
    out = tmp_path / "surveys" / "w" / "survey.yaml"
    code, _, _ = _run(capsys, "codebook", str(export), "-o", str(out))
    assert code == 0
    first = out.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../docs/survey.schema.json"
    assert load_codebook(out).question("q1").provisional
