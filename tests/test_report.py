"""build_report on a tiny wave with tiny notebooks: execution, HTML, errors, determinism.

The notebooks here use only the report machinery (findings, plots, i18n), so
these tests do not depend on the statistical pipeline; the demo report is
tested in ``test_report_demo.py`` and ``test_browser.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook

from analysis.errors import ReportError
from analysis.report import (
    build_report,
    default_output_dir,
    find_notebooks,
    inject_parameters,
)
from analysis.report.export import git_commit, provenance
from analysis.report.i18n import t

SURVEY = """\
wave: tiny
title: {zh: 小型测试, en: Tiny test}
synthetic: true
disclosure: {suppress_below: 30, flag_below: 50}
questions:
  - id: q1
    type: single
    label: {zh: 渠道, en: Channel}
    options:
      - {code: 1, name: tv, label: {zh: 电视, en: TV}}
      - {code: 2, name: web, label: {zh: 网络, en: Web}}
"""

NOTEBOOK = '''\
# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% tags=["parameters"]
wave = "../surveys/tiny"
language = "zh"
output_dir = None

# %%
import sys

import pandas as pd
from IPython.display import Markdown, display

import analysis.report.plots
import analysis.report

ch = analysis.report.open_chapter("{chapter}", wave=wave, language=language, output_dir=output_dir)
display(ch.title())

# %% [markdown] tags=["lang-zh"]
# 中文说明段落。

# %% [markdown] tags=["lang-en"]
# English prose paragraph.

# %%
display(Markdown("kernel: " + sys.executable))
est = pd.DataFrame({{"estimate": [0.4, 0.6], "se": [0.02, 0.02], "ci_low": [0.36, 0.56],
                    "ci_high": [0.44, 0.64], "n_unweighted": [120, 25]}}, index=["tv", "web"])
labels = ch.codebook.question("q1").labels(language)

# %%
ch.findings.add("{table}", {{"weighted": est, "unweighted": est * 0.9}},
                title={{"zh": "渠道", "en": "Channel"}}, row_labels=labels, headline=True)

# %%
ch.findings.figure(analysis.report.plots.plot_shares(est, est * 0.9, labels=labels,
                                                     language=language,
                                                     title={{"zh": "渠道", "en": "Channel"}}),
                   "{figure}")
'''

ROOT = Path(__file__).resolve().parents[1]


def make_project(root: Path, wave: str = "tiny", extra: dict[str, str] | None = None) -> Path:
    """surveys/<wave>/survey.yaml + notebooks/01-data-cleaning.py, 02-weighting.py under root."""
    (root / "surveys" / wave).mkdir(parents=True, exist_ok=True)
    (root / "surveys" / wave / "survey.yaml").write_text(SURVEY, encoding="utf-8")
    nbdir = root / "notebooks"
    nbdir.mkdir(exist_ok=True)
    for stem, table in (("01-data-cleaning", "shares.one"), ("02-weighting", "shares.two")):
        text = NOTEBOOK.format(chapter=stem, table=table, figure=table.replace(".", "-"))
        (nbdir / f"{stem}.py").write_text(text, encoding="utf-8")
    for name, text in (extra or {}).items():
        (nbdir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root / "surveys" / wave


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    wave = make_project(root)
    return root, build_report(wave, language="zh", timeout=120)


def test_pages_index_and_findings_are_written(built):
    root, res = built
    out = root / "reports" / "tiny"
    assert res.output_dir == out
    assert [p.name for p in res.pages] == ["01-data-cleaning.html", "02-weighting.html"]
    assert res.index == out / "index.html"
    assert {k: p.name for k, p in res.findings.items()} == {
        "json": "findings.json", "csv": "findings.csv", "xlsx": "findings.xlsx"}
    assert sorted(p.name for p in res.figures) == [
        "shares-one.png", "shares-one.svg", "shares-two.png", "shares-two.svg"]
    assert set(res.timings) == {"01-data-cleaning", "02-weighting", "merge", "scan", "total"}
    assert res.timings["total"] >= res.timings["01-data-cleaning"] > 0
    assert "2 chapters" in res.summary()


def test_index_links_every_chapter_and_shows_headlines(built):
    _, res = built
    html = res.index.read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)" data-chapter', html)
    assert links == ["01-data-cleaning.html", "02-weighting.html"]
    assert 'data-finding="shares.one/tv/weighted">40.0%' in html
    assert 'href="findings.xlsx"' in html
    assert html.count('class="gs-banner"') == 1


def test_every_page_has_banner_hidden_code_embedded_images(built):
    _, res = built
    for page in res.pages:
        html = page.read_text(encoding="utf-8")
        assert html.count('class="gs-banner"') == 1, page.name
        assert "合成数据" in html
        assert "open_chapter" not in html  # code cells are hidden
        assert "injected by analysis.report" not in html
        assert re.search(r'<img[^>]+src="data:image/png;base64,', html)
        assert not re.search(r'<img[^>]+src="(?!data:)', html)
        assert not re.search(r"<script[^>]+src=", html)  # no CDN scripts: works offline
        assert '<html lang="zh">' in html
        assert 'href="index.html"' in html


def test_chapter_prose_follows_language(built):
    _, res = built
    html = res.pages[0].read_text(encoding="utf-8")
    assert "中文说明段落" in html
    assert "English prose paragraph" not in html
    assert "样本与数据清理" in html  # chapter title from analysis.i18n


def test_kernel_runs_the_current_interpreter(built):
    _, res = built
    html = res.pages[0].read_text(encoding="utf-8")
    assert f"kernel: {sys.executable}" in html


def test_findings_merged_in_chapter_order(built):
    root, res = built
    doc = json.loads(res.findings["json"].read_text(encoding="utf-8"))
    assert [t["id"] for t in doc["tables"]] == ["shares.one", "shares.two"]
    assert doc["synthetic"] is True
    assert doc["wave"] == "tiny"
    web = next(c for c in doc["tables"][0]["cells"] if c["row"] == "web")
    assert web["flag"] == "suppressed"
    assert web["estimate"] is None
    wb = load_workbook(res.findings["xlsx"])
    assert wb.sheetnames[:2] == ["Contents", "Notes"]


def test_second_wave_and_determinism(built, tmp_path):
    root, first = built
    other = tmp_path / "surveys" / "tiny-2023"
    shutil.copytree(root / "surveys" / "tiny", other)
    res = build_report(other, notebooks_dir=root / "notebooks", timeout=120)
    assert res.output_dir == tmp_path / "reports" / "tiny-2023"
    assert first.findings["json"].read_bytes() == res.findings["json"].read_bytes()
    assert first.findings["csv"].read_bytes() == res.findings["csv"].read_bytes()
    values = [[list(ws.iter_rows(values_only=True)) for ws in load_workbook(p).worksheets]
              for p in (first.findings["xlsx"], res.findings["xlsx"])]
    assert values[0] == values[1]
    for name in ("shares-one.png", "shares-one.svg"):
        assert (first.output_dir / "figures" / name).read_bytes() == \
            (res.output_dir / "figures" / name).read_bytes()


def test_english_report(tmp_path):
    wave = make_project(tmp_path)
    res = build_report(wave, language="en", chapters=["01"], timeout=120)
    html = res.pages[0].read_text(encoding="utf-8")
    assert "English prose paragraph" in html
    assert "中文说明段落" not in html
    assert "Sample and data cleaning" in html
    assert "SYNTHETIC DATA" in html
    assert '<html lang="en">' in html
    assert [p.name for p in res.pages] == ["01-data-cleaning.html"]


SIG = '''\
# %% tags=["parameters"]
wave = ""
language = "zh"
output_dir = None

# %%
import pandas as pd
from IPython.display import display

import analysis.report

ch = analysis.report.open_chapter("03-sig", wave=wave, language=language, output_dir=output_dir)
prev = pd.DataFrame({"variable": "q1", "group": ["north", "south"], "estimate": [0.2, 0.8],
                     "n": [200, 200], "column_letter": ["A", "B"], "sig": ["", "A"]})
display(ch.findings.add("sig.one", prev, title="x", index="variable", split="group", sig="sig",
                        column_letters="column_letter", show=("estimate", "n", "sig"),
                        column_labels={"north": {"zh": "北方", "en": "North"},
                                       "south": {"zh": "南方", "en": "South"}}))
'''


@pytest.mark.parametrize(("language", "headers"), [("zh", ["北方 (A)", "南方 (B)"]),
                                                    ("en", ["North (A)", "South (B)"])])
def test_page_shows_column_letters_and_the_sig_of_findings_json(tmp_path, language, headers):
    wave = make_project(tmp_path, extra={"03-sig.py": SIG})
    res = build_report(wave, language=language, chapters=["03"], timeout=120)
    page = res.pages[0].read_text(encoding="utf-8")
    assert re.findall(r'<th colspan="\d+">([^<]*)</th>', page) == headers
    assert t("flag.sig", language) in page  # the legend under the table
    doc = json.loads(res.findings["json"].read_text(encoding="utf-8"))
    cells = doc["tables"][0]["cells"]
    assert [c["sig"] for c in cells] == ["", "A"]
    for c in cells:
        key = f"{c['table_id']}/{c['row']}/{c['column']}"
        shown = re.search(rf'data-finding="{re.escape(key)}">.*?<td class="gs-sig">([^<]*)</td>',
                          page)
        assert shown is not None, key
        assert shown.group(1) == c["sig"], key


FAILING = '''\
# %% tags=["parameters"]
wave = ""
language = "zh"
output_dir = None

# %%
x = 1

# %%
raise ValueError("boom in the third cell")
'''


def test_failing_cell_names_notebook_cell_and_line(tmp_path):
    wave = make_project(tmp_path, extra={"03-broken.py": FAILING})
    with pytest.raises(ReportError) as err:
        build_report(wave, chapters=["03"], timeout=120)
    msg = str(err.value)
    assert "03-broken.py, cell 3 raised ValueError: boom in the third cell" in msg
    assert err.value.line == 9
    assert not (tmp_path / "reports" / "tiny" / "index.html").exists()


GLYPHS = '''\
# %% tags=["parameters"]
wave = ""
language = "zh"
output_dir = None

# %%
import matplotlib
import matplotlib.pyplot as plt
matplotlib.rcdefaults()
fig, ax = plt.subplots()
ax.set_title("低碳消费")
'''


def test_missing_glyphs_fail_the_build(tmp_path):
    wave = make_project(tmp_path, extra={"04-tofu.py": GLYPHS})
    with pytest.raises(ReportError, match="glyphs missing"):
        build_report(wave, chapters=["04"], timeout=120)


LEAK = '''\
# %% tags=["parameters"]
wave = ""
language = "zh"
output_dir = None

# %%
from IPython.display import Markdown
Markdown("联系人手机 13812345678")
'''


def test_personal_data_in_a_page_fails_the_build(tmp_path):
    wave = make_project(tmp_path, extra={"05-leak.py": LEAK})
    with pytest.raises(ReportError, match="mobile number") as err:
        build_report(wave, chapters=["05"], timeout=120)
    assert re.search(r"05-leak(\.en)?\.html", str(err.value))
    assert not (tmp_path / "reports" / "tiny").exists()  # nothing published


def test_missing_parameters_cell(tmp_path):
    wave = make_project(tmp_path, extra={"06-noparams.py": "# %%\nx = 1\n"})
    with pytest.raises(ReportError, match="no cell tagged 'parameters'"):
        build_report(wave, chapters=["06"])


def test_inject_parameters_adds_cell_after_tagged_cell():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# t"),
        nbformat.v4.new_code_cell("wave = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(wave)")])
    inject_parameters(nb, {"wave": "/w/demo", "language": "en"})
    assert nb.cells[2].metadata["tags"] == ["injected-parameters"]
    assert "wave = '/w/demo'\nlanguage = 'en'" in nb.cells[2].source
    assert nb.cells[3].source == "print(wave)"


def test_find_notebooks_sources(tmp_path, monkeypatch):
    wave = make_project(tmp_path)
    assert [p.name for p in find_notebooks(wave=wave)] == ["01-data-cleaning.py", "02-weighting.py"]
    monkeypatch.setenv("GREENSURVEY_NOTEBOOKS", str(tmp_path / "notebooks"))
    assert len(find_notebooks()) == 2
    assert [p.stem for p in find_notebooks(chapters=["02-weighting"])] == ["02-weighting"]
    with pytest.raises(ReportError, match="no notebook for chapter"):
        find_notebooks(chapters=["09"])
    with pytest.raises(ReportError, match="not found"):
        find_notebooks(tmp_path / "nope")


def test_default_output_dir(tmp_path, monkeypatch):
    wave = make_project(tmp_path)
    monkeypatch.delenv("GREENSURVEY_REPORTS", raising=False)
    assert default_output_dir(wave) == tmp_path / "reports" / "tiny"
    monkeypatch.setenv("GREENSURVEY_REPORTS", str(tmp_path / "out"))
    assert default_output_dir(wave) == tmp_path / "out" / "tiny"


def test_provenance_lists_versions_hashes_commit(tmp_path):
    wave = make_project(tmp_path)
    info = provenance(wave)
    assert info["software"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert "pandas" in info["software"]
    assert list(info["inputs"]) == ["survey.yaml"]
    assert re.fullmatch(r"[0-9a-f]{64}", info["inputs"]["survey.yaml"])
    assert info["git_commit"] == ""  # tmp_path is not a git repository
    assert re.fullmatch(r"[0-9a-f]{12}(\+dirty)?", git_commit(ROOT))


# ----------------------------------------------------------- both languages, one build

def test_both_languages_in_one_build_with_a_switch(built):
    root, res = built
    out = root / "reports" / "tiny"
    assert res.language == "zh"
    assert [p.name for p in res.translations["en"]] == [
        "index.en.html", "01-data-cleaning.en.html", "02-weighting.en.html"]
    zh = res.pages[0].read_text(encoding="utf-8")
    en = (out / "01-data-cleaning.en.html").read_text(encoding="utf-8")
    # nbconvert writes attributes in its own order
    assert 'href="01-data-cleaning.en.html"' in re.search(r'<a [^>]*data-lang-switch="en"[^>]*>', zh)[0]
    assert 'href="01-data-cleaning.html"' in re.search(r'<a [^>]*data-lang-switch="zh"[^>]*>', en)[0]
    assert '<html lang="en">' in en
    assert "English prose paragraph" in en
    assert "中文说明段落" not in en
    assert 'href="02-weighting.en.html"' in en
    assert 'href="index.en.html"' in en
    index_en = (out / "index.en.html").read_text(encoding="utf-8")
    assert re.findall(r'<a href="([^"]+)" data-chapter', index_en) == [
        "01-data-cleaning.en.html", "02-weighting.en.html"]
    assert 'data-lang-switch="zh"' in index_en
    assert "Headline findings" in index_en
    # one findings set, labelled in the default language; the English pass leaves no files
    doc = json.loads(res.findings["json"].read_text(encoding="utf-8"))
    assert doc["language"] == "zh"
    assert sorted(p.name for p in (out / "findings").iterdir()) == [
        "01-data-cleaning.json", "02-weighting.json"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no build folders


def test_parallel_build_is_byte_identical_to_sequential(tmp_path):
    wave = make_project(tmp_path, extra={"03-third.py": NOTEBOOK.format(
        chapter="03-third", table="shares.three", figure="shares-three")})
    seq = build_report(wave, output_dir=tmp_path / "seq", jobs=1, timeout=120)
    par = build_report(wave, output_dir=tmp_path / "par", jobs=2, timeout=120)
    files = sorted(p.relative_to(seq.output_dir) for p in seq.output_dir.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(par.output_dir) for p in par.output_dir.rglob("*")
                           if p.is_file())
    assert len(files) > 10
    for rel in files:
        if rel.suffix == ".xlsx":
            continue  # compared by value in test_second_wave_and_determinism
        assert (seq.output_dir / rel).read_bytes() == (par.output_dir / rel).read_bytes(), rel


WARNS = '''\
# %% tags=["parameters"]
wave = ""
language = "zh"
output_dir = None

# %%
import warnings
import matplotlib
matplotlib.rcParams["font.size"] = 31
warnings.warn("shown in every chapter", UserWarning)
print("font size", matplotlib.rcParams["font.size"])
'''


def test_chapters_sharing_a_kernel_do_not_see_each_other(tmp_path):
    """A warning shown in one chapter is shown again in the next; settings do not leak."""
    wave = make_project(tmp_path, extra={"03-warn.py": WARNS, "04-warn.py": WARNS.replace(
        'matplotlib.rcParams["font.size"] = 31\n', "")})
    res = build_report(wave, chapters=["03", "04"], jobs=1, timeout=120)
    third, fourth = (p.read_text(encoding="utf-8") for p in res.pages)
    assert "shown in every chapter" in third
    assert "shown in every chapter" in fourth
    assert "font size 31" in third
    assert "font size 31" not in fourth


def test_failed_build_leaves_the_previous_report(tmp_path):
    wave = make_project(tmp_path)
    first = build_report(wave, chapters=["01"], timeout=120)
    before = {p.name: p.read_bytes() for p in first.output_dir.iterdir() if p.is_file()}
    (first.output_dir / "notes.txt").write_text("kept", encoding="utf-8")  # not the build's
    (tmp_path / "notebooks" / "03-broken.py").write_text(FAILING, encoding="utf-8")
    with pytest.raises(ReportError, match="03-broken.py, cell 3 raised ValueError"):
        build_report(wave, timeout=120, jobs=2)
    after = {p.name: p.read_bytes() for p in first.output_dir.iterdir() if p.is_file()}
    assert after.pop("notes.txt") == b"kept"
    assert after == before  # not a page of the failed build, not a page missing
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["tiny"]
    # the next good build replaces it and keeps files it does not write
    (tmp_path / "notebooks" / "03-broken.py").unlink()
    again = build_report(wave, timeout=120)
    assert (again.output_dir / "02-weighting.html").is_file()
    assert (again.output_dir / "notes.txt").read_text(encoding="utf-8") == "kept"


def test_failing_first_build_leaves_nothing(tmp_path):
    wave = make_project(tmp_path, extra={"03-broken.py": FAILING})
    with pytest.raises(ReportError, match="boom"):
        build_report(wave, timeout=120)
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").iterdir())


def test_index_lists_chapters_not_run_with_reason_and_how_to(tmp_path):
    from analysis.report.pages import ChapterEntry, index_html

    wave = make_project(tmp_path)
    res = build_report(wave, chapters=["02"], timeout=120)
    html = res.index.read_text(encoding="utf-8")
    assert re.findall(r'<a href="([^"]+)" data-chapter', html) == ["02-weighting.html"]
    skipped = {c.chapter: c for c in res.not_run}
    assert "01-data-cleaning" in skipped
    assert re.search(r'data-chapter="01-data-cleaning" data-run="false">[^<]*— <span '
                     r'class="gs-reason">未运行：本次构建未选择（--chapters）', html)
    entry = ChapterEntry("05-drivers", {"zh": "驱动因素", "en": "Drivers"}, False,
                         {"zh": "未运行：没有声明结果问题", "en": "not run: the codebook declares "
                                                         "no outcome question"},
                         "analysis:\n  outcome: <question>")
    page = index_html(title="T", language="en", entries=[entry], headlines=[], synthetic=False,
                      footer="", downloads=[], default="zh")
    assert ("Drivers — <span class=\"gs-reason\">not run: the codebook declares no outcome "
            "question</span>") in page
    assert '<pre class="gs-howto">analysis:\n  outcome: &lt;question&gt;</pre>' in page
    assert 'href="index.html" hreflang="zh-CN"' in page


# ----------------------------------------------------------- the analyst's own notebooks

def test_wave_notebooks_are_copied_and_then_used(tmp_path, capsys):
    from analysis.cli import main
    from analysis.report.build import notebooks_folder, package_notebooks

    wave = make_project(tmp_path)
    assert main(["notebooks", str(wave)]) == 0
    own = wave / "notebooks"
    shipped = sorted(p.name for p in package_notebooks().glob("[0-9][0-9]-*.py"))
    assert sorted(p.name for p in own.glob("*.py")) == shipped
    text = (own / shipped[0]).read_text(encoding="utf-8")
    assert "\nwave = '..'\n" in text  # the copy runs as it is from <wave>/notebooks
    assert notebooks_folder(wave=wave) == own.resolve()
    assert [p.parent for p in find_notebooks(wave=wave)] == [own.resolve()] * len(shipped)
    assert main(["notebooks", str(wave)]) == 2  # input error: never overwrites edits
    assert "already there" in capsys.readouterr().err
    assert main(["notebooks", str(wave), "-o", str(tmp_path / "mine"), "--force"]) == 0
    assert "\nwave = " in (tmp_path / "mine" / shipped[0]).read_text(encoding="utf-8")


def test_report_command_takes_chapters_and_jobs():
    from analysis.cli import build_parser

    args = build_parser().parse_args(["report", "w", "--chapters", "01,03", "--jobs", "1"])
    assert args.chapters == ["01", "03"]
    assert args.jobs == 1
    help_text = build_parser()._subparsers._group_actions[0].choices["report"].format_help()
    assert "--chapters" in help_text
    assert "both" in help_text
    assert "notebooks" in build_parser()._subparsers._group_actions[0].choices


def test_lab_target_extra_and_jupytext_pairing():
    import tomllib

    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^lab:", makefile, re.M)
    assert "jupyter lab" in makefile
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lab = " ".join(project["project"]["optional-dependencies"]["lab"])
    assert "jupyterlab" in lab
    assert "jupytext" in lab
    config = tomllib.loads((ROOT / "jupytext.toml").read_text(encoding="utf-8"))
    assert "py:percent" in config["formats"]


# ----------------------------------------------------------- the prepared-wave cache

@pytest.mark.skipif(not (ROOT / "surveys" / "demo-2022" / "raw").is_dir(), reason="no demo wave")
def test_prepared_wave_cache_is_keyed_by_the_inputs(tmp_path, monkeypatch):
    import warnings

    from analysis.pipeline import cached_respondent_ids, prepare_wave, wave_cache_key

    monkeypatch.setenv("GREENSURVEY_SALT", "test-salt")
    wave = tmp_path / "demo"
    shutil.copytree(ROOT / "surveys" / "demo-2022", wave, ignore=shutil.ignore_patterns("interim"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = prepare_wave(wave)
        first = prepare_wave(wave, cache_dir=tmp_path / "cache")
        key = wave_cache_key(wave)
        assert (tmp_path / "cache" / f"prepared-{key}.pickle").is_file()
        second = prepare_wave(wave, cache_dir=tmp_path / "cache")
    assert second is not first
    for w in (first, second):
        assert w.data.equals(fresh.data)
        assert (w.design.weights == fresh.design.weights).all()
    ids = cached_respondent_ids(wave, tmp_path / "cache")
    assert ids
    assert str(fresh.data["respondent_id"].iloc[0]) in ids
    (wave / "targets.yaml").write_text((wave / "targets.yaml").read_text(encoding="utf-8") + "\n",
                                       encoding="utf-8")
    assert wave_cache_key(wave) != key  # an edited input is never read from the cache
    monkeypatch.setenv("GREENSURVEY_SALT", "other-salt")
    assert wave_cache_key(wave) != key


def test_build_memo_computes_once_per_build_and_replays_warnings(tmp_path, monkeypatch):
    """Inside a build a result is computed once for both languages, its warnings issued each time."""
    import warnings

    from analysis.pipeline import WAVE_CACHE_ENV
    from analysis.report.memo import BuildMemo

    wave = tmp_path / "wave"
    wave.mkdir()
    (wave / "survey.yaml").write_text("wave: t\n", encoding="utf-8")
    calls = []

    def compute():
        calls.append(1)
        warnings.warn("few respondents in group x", UserWarning, stacklevel=1)
        return {"estimate": 0.25}

    def one_pass():
        memo = BuildMemo(wave, "things")
        with pytest.warns(UserWarning, match="few respondents"):
            value = memo.get(("q1", 3), compute)
        memo.save()
        return value

    monkeypatch.delenv(WAVE_CACHE_ENV, raising=False)
    assert [one_pass(), one_pass()] == [{"estimate": 0.25}] * 2
    assert len(calls) == 2  # outside a build: nothing kept
    monkeypatch.setenv(WAVE_CACHE_ENV, str(tmp_path / "cache"))
    assert [one_pass(), one_pass()] == [{"estimate": 0.25}] * 2
    assert len(calls) == 3  # the second pass read the first one's result
    (wave / "survey.yaml").write_text("wave: t2\n", encoding="utf-8")
    one_pass()
    assert len(calls) == 4  # other inputs, other key
