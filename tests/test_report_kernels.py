"""How a report build spends its kernels: language passes, their order, their environment.

The unit of work is one language pass of a chapter (``run_chapters``): every
chapter's first language in chapter order, then the other passes longest
first; each pass gets its own environment, undone after it; the other
language's pass writes its figures as PNG only (they are shown on its pages,
never published), so only the published language draws SVGs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
from test_report import make_project

from analysis.report import build_report
from analysis.report.kernels import ChapterJob, KernelPool, run_chapters

FIGURE_FILES = '''\
# %% tags=["parameters"]
wave = ""
language = "zh"
output_dir = None

# %%
import pandas as pd

import analysis.report
import analysis.report.plots

ch = analysis.report.open_chapter("03-files", wave=wave, language=language, output_dir=output_dir)
est = pd.DataFrame({"estimate": [0.4, 0.6], "se": [0.02, 0.02], "ci_low": [0.36, 0.56],
                    "ci_high": [0.44, 0.64], "n_unweighted": [120, 25]}, index=["tv", "web"])
ch.findings.figure(analysis.report.plots.plot_shares(est, labels={"tv": "TV", "web": "Web"},
                                                     language=language), "files-figure")
print("figure files:", " ".join(sorted(p.name for p in (ch.output_dir / "figures").iterdir()
                                       if p.stem == "files-figure")))
'''


def _notebook(code: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])


def _printed(nb: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])).strip()


def test_the_other_language_draws_no_svg_and_the_published_figures_are_complete(tmp_path):
    wave = make_project(tmp_path, extra={"03-files.py": FIGURE_FILES})
    res = build_report(wave, output_dir=tmp_path / "out", timeout=120, jobs=1)
    zh = (res.output_dir / "03-files.html").read_text(encoding="utf-8")
    en = (res.output_dir / "03-files.en.html").read_text(encoding="utf-8")
    assert re.search(r"figure files: files-figure\.png files-figure\.svg", zh)
    assert re.search(r"figure files: files-figure\.png\s*<", en)  # drawn for its page only
    assert sorted(p.name for p in (res.output_dir / "figures").glob("files-figure.*")) == [
        "files-figure.png", "files-figure.svg"]
    assert "GREENSURVEY_FIGURE_FORMATS" not in os.environ  # set in the kernel, not here


def test_passes_run_first_languages_in_order_then_the_longest_first():
    sleeps = {"c0": 0.0, "c1": 0.8, "c2": 0.4}
    jobs = [ChapterJob(stem, Path(f"{stem}.py"),
                       {lang: _notebook(f"import time; time.sleep({s})") for lang in ("zh", "en")})
            for stem, s in sleeps.items()]
    order: list[tuple[str, str]] = []
    run_chapters(jobs, 1, lambda job, lang: order.append((job.stem, lang)), timeout=60)
    assert order == [("c0", "zh"), ("c1", "zh"), ("c2", "zh"),
                     ("c1", "en"), ("c2", "en"), ("c0", "en")]
    assert all(set(job.seconds) == {"zh", "en"} for job in jobs)
    assert jobs[1].seconds["zh"] >= 0.8


def test_a_pass_environment_is_undone_after_the_pass():
    code = "import os; print(os.environ.get('GS_TEST_PASS', '-'), os.environ.get('GS_TEST_BUILD'))"
    jobs = [ChapterJob(f"c{i}", Path(f"c{i}.py"), {"zh": _notebook(code), "en": _notebook(code)},
                       env={"en": {"GS_TEST_PASS": "en-only"}}) for i in range(2)]
    seen: dict[tuple[str, str], str] = {}

    def done(job: ChapterJob, lang: str) -> None:
        seen[job.stem, lang] = _printed(job.notebooks[lang])

    run_chapters(jobs, 1, done, timeout=60, env={**os.environ, "GS_TEST_BUILD": "b"})
    assert seen == {("c0", "zh"): "- b", ("c1", "zh"): "- b",
                    ("c0", "en"): "en-only b", ("c1", "en"): "en-only b"}


def test_a_fragment_saved_table_by_table_is_the_json_of_the_whole(tmp_path):
    """Autosave encodes each table once; the file is still json.dumps(to_dict(), indent=1)."""
    import json

    import pandas as pd

    from analysis.report.findings import Findings

    f = Findings(tmp_path, "01-x", "zh", autosave=True)

    def whole() -> str:
        return json.dumps(f.to_dict(), ensure_ascii=False, indent=1, allow_nan=False) + "\n"

    assert f.save().read_text(encoding="utf-8") == whole()  # no tables yet
    est = pd.DataFrame({"estimate": [0.4, 0.6], "se": [0.02, 0.02], "n_unweighted": [120, 25]},
                       index=["tv", "web"])
    for i in range(3):
        f.add(f"t.{i}", {"weighted": est, "unweighted": est * 0.9}, title={"zh": "渠道\n二", "en": "C"},
              row_labels={"tv": "电视", "web": "网络"}, notes={"zh": "注", "en": "n"})
        assert (tmp_path / "findings" / "01-x.json").read_text(encoding="utf-8") == whole()
        f.figures.append({"id": f"fig-{i}", "chapter": "01-x", "title": {"zh": "图", "en": "F"},
                          "files": [f"figures/fig-{i}.png"]})
        assert f.save().read_text(encoding="utf-8") == whole()


def test_every_read_of_the_cached_wave_issues_the_load_warnings(tmp_path):
    """Data notes must not depend on which kernel prepared the wave: the cache replays its warnings."""
    import warnings

    from analysis.pipeline import prepare_wave

    wave = Path(__file__).resolve().parents[1] / "surveys" / "demo-2022"
    seen = []
    for _ in range(2):  # prepared, then read from the cache
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            prepared = prepare_wave(wave, cache_dir=tmp_path)
        seen.append([(w.category, str(w.message)) for w in caught])
    assert seen[0], "the demo export has load-time warnings"
    assert seen[1] == seen[0]
    assert prepared.data.shape[0] > 0


def test_pandas_options_a_pass_sets_are_undone_after_it():
    setter = "import pandas as pd; pd.set_option('display.max_colwidth', None); print('set')"
    reader = "import pandas as pd; print(pd.get_option('display.max_colwidth'))"
    jobs = [ChapterJob("c0", Path("c0.py"), {"zh": _notebook(setter)}),
            ChapterJob("c1", Path("c1.py"), {"zh": _notebook(reader)})]
    seen: dict[str, str] = {}
    run_chapters(jobs, 1, lambda job, lang: seen.update({job.stem: _printed(job.notebooks[lang])}),
                 timeout=60)
    assert seen == {"c0": "set", "c1": "50"}  # pandas' default, as in a fresh kernel


def test_a_data_error_in_a_chapter_is_one_line_without_traceback(tmp_path) -> None:
    # A failing pass (and the other kernel, cancelled) left nbclient's exit hook behind,
    # which printed "Exception ignored in atexit callback ... Traceback" under the error.
    import subprocess
    import sys

    import pandas as pd
    from report_waves import write_wave

    from analysis.codebook import load_codebook

    wave = write_wave("small-wjx", tmp_path / "surveys" / "small-wjx")
    raw = wave / "raw" / str(load_codebook(wave).raw)
    frame = pd.read_csv(raw, encoding="gb18030", dtype=str)
    column = next(c for c in frame.columns if "满意吗" in c)
    frame.loc[5, column] = "还行吧"
    frame.to_csv(raw, index=False, encoding="gb18030")
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    run = subprocess.run([sys.executable, "-m", "analysis.cli", "report", str(wave), "--output",
                          str(tmp_path / "out"), "--notebooks", str(notebooks)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr + run.stdout
    assert "Exception ignored" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("greensurvey: error:")]
    assert len(errors) == 1
    assert "还行吧" in errors[0]
    assert errors[0].count("Fix:") == 1  # the data error's own fix, no notebook-debugging hint


def test_a_finished_pass_is_handled_while_the_kernel_runs_the_next(tmp_path):
    # done() (rendering a page) runs in the caller's thread: the kernel has already taken the
    # next pass.  Run in the kernels' event loop, it held them up for the whole render.
    import time

    started = tmp_path / "second-pass-started"
    jobs = [ChapterJob("c0", Path("c0.py"), {"zh": _notebook("x = 1")}),
            ChapterJob("c1", Path("c1.py"), {"zh": _notebook(f"open({str(started)!r}, 'w').close()")})]
    seen: list[bool] = []

    def done(job: ChapterJob, lang: str) -> None:
        if job.stem == "c0":
            deadline = time.monotonic() + 30
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            seen.append(started.exists())

    run_chapters(jobs, 1, done, timeout=60)
    assert seen == [True]


def test_kernels_import_the_preloaded_modules_before_their_first_pass():
    code = "import sys; print('analysis.report.chapter' in sys.modules)"
    jobs = [ChapterJob("c0", Path("c0.py"), {"zh": _notebook(code)})]
    seen: list[str] = []
    with KernelPool(1, timeout=60, preload=["analysis.report.chapter", "no_such_module_gs"]) as pool:
        pool.run(jobs, lambda job, lang: seen.append(_printed(job.notebooks[lang])))
    assert seen == ["True"]  # a module that is not there is left to the chapter


def test_a_pool_given_no_work_shuts_its_kernels_down():
    with KernelPool(2, timeout=60) as pool:
        pool.run([], lambda job, lang: None)
    assert not pool._thread.is_alive()


def test_an_other_pass_waits_for_its_chapters_first_pass_when_another_is_ready():
    # The other language reads what the first pass computed once for both (memo): started
    # alongside it, it computed everything again.  While c1's first pass still runs, a free
    # kernel takes c0's or c2's other pass; c1's once its first pass is done.  The queue's
    # policy on its own: with kernels it would depend on their timing.
    from analysis.report.kernels import _Passes

    jobs = [ChapterJob(f"c{i}", Path(f"c{i}.py"), {"zh": _notebook(""), "en": _notebook("")})
            for i in range(3)]
    queue = _Passes(jobs)
    assert [queue.take() for _ in range(3)] == [(job, "zh") for job in jobs]
    jobs[0].seconds["zh"], jobs[2].seconds["zh"] = 0.5, 0.8  # c1's first pass still runs
    assert queue.take() == (jobs[2], "en")
    jobs[1].seconds["zh"] = 3.0
    assert queue.take() == (jobs[1], "en")
    assert queue.take() == (jobs[0], "en")
    assert queue.take() is None


def test_an_other_pass_starts_when_nothing_else_is_left():
    from analysis.report.kernels import _Passes

    jobs = [ChapterJob(f"c{i}", Path(f"c{i}.py"), {"zh": _notebook(""), "en": _notebook("")})
            for i in range(2)]
    queue = _Passes(jobs)
    queue.take(), queue.take()
    assert queue.take() == (jobs[0], "en")  # no kernel waits while there is work


def test_what_a_kernel_holds_before_a_pass_is_frozen_for_the_garbage_collector():
    # %reset -f after every pass runs two full collections; with the scientific stack loaded
    # each walked the whole heap (~0.09 s).  Objects alive after the set-up (and after every
    # reset) are frozen, so collections skip them.
    code = "import gc; print(gc.get_freeze_count() > 0)"
    jobs = [ChapterJob(f"c{i}", Path(f"c{i}.py"), {"zh": _notebook(code)}) for i in range(2)]
    seen: list[str] = []
    run_chapters(jobs, 1, lambda job, lang: seen.append(_printed(job.notebooks[lang])), timeout=60)
    assert seen == ["True", "True"]


def test_an_interrupt_while_a_pass_is_handled_stops_the_kernels_at_once():
    import time

    import pytest

    jobs = [ChapterJob("c0", Path("c0.py"), {"zh": _notebook("x = 0")}),
            ChapterJob("c1", Path("c1.py"), {"zh": _notebook("import time; time.sleep(60)")})]

    def done(job: ChapterJob, lang: str) -> None:
        raise KeyboardInterrupt  # Ctrl-C while a page renders

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt), KernelPool(2, timeout=120) as pool:
        pool.run(jobs, done)
    assert not pool._thread.is_alive()
    assert time.monotonic() - t0 < 30  # c1's minute-long cell was not waited for
