"""``make bench``, part 2: ingest (issue 13).

Tasks, each run in its own process, ``--repeat`` times, median kept (peak RSS
of that run reported):

- ``read_csv``: ``pandas.read_csv(file, encoding="gb18030", dtype=str)`` of a
  问卷星 text-mode GB18030 export built by repeating the demo wave's rows
  (序号 renumbered so ids stay unique) -- the yardstick;
- ``load_wave``: :func:`analysis.ingest.load_wave` of the same wave folder;
- ``e2e``: load -> clean -> rake to ``targets.yaml`` -> a proportion with its
  SE (:func:`analysis.pipeline.prepare_wave` then ``design.mean``);
Small surveys (a proportion and 31 domains against the numpy floor, first
call and warm) are part 1, :mod:`tests.bench.run`.

Answers are checked in the same run: load_wave must hold as many rows as
read_csv and the same count of one answer label.  A time bought with a wrong
answer is marked as such.

Writes ``<out>/ingest.csv`` and a section of ``<out>/results.md`` between
``<!-- ingest -->`` markers (the rest of the file is left alone).

``--tasks`` runs a subset, e.g. one end-to-end run at 10^7 respondents
(a ~4 GB export, written 4,000 rows at a time, never held in memory)::

    python -m tests.bench.ingest --rows 10000000 --tasks e2e --repeat 1 --out /tmp/b7

The export is kept under ``.bench/wave_<rows>`` for the next run; delete it
(``--drop-export``) when done with a large one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench"
DEMO = ROOT / "surveys" / "demo-2022"
MARK_BEGIN, MARK_END = "<!-- ingest -->", "<!-- /ingest -->"
# The answer counted in both the raw file and the tidy frame.
CHECK_QUESTION, CHECK_CODE = "sex", 1
GOALS = {"load_wave": 2.0, "e2e": 4.0}  # times read_csv
TASKS = ("read_csv", "load_wave", "e2e")


# ----------------------------------------------------------------- data
def make_wave(n: int, folder: Path) -> Path:
    """A wave folder whose export is the demo's rows repeated to ``n`` respondents.

    Parameters
    ----------
    n : int
        Respondents.
    folder : Path
        Where to write (``survey.yaml``, ``targets.yaml``, ``raw/<export>``).

    Returns
    -------
    Path
        The export file.
    """
    raw = next((DEMO / "raw").iterdir())
    out = folder / "raw" / raw.name
    if out.exists():
        return out
    data = raw.read_bytes()
    nl = b"\r\n" if b"\r\n" in data[:5000] else b"\n"
    head, _, body = data.partition(nl)
    # the first field is 序号: renumbered so ids stay unique while the answers repeat
    tails = [r.partition(b",")[2] for r in body.rstrip(nl).split(nl)]
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in ("survey.yaml", "targets.yaml"):
        shutil.copy(DEMO / name, folder / name)
    tmp = out.with_suffix(".part")
    with tmp.open("wb") as fh:
        fh.write(head + nl)
        k = 0
        while k < n:
            take = tails[: n - k]
            fh.write(b"".join(b"%d,%s%s" % (k + i + 1, t, nl) for i, t in enumerate(take)))
            k += len(take)
    tmp.rename(out)
    return out


# ----------------------------------------------------------------- workers
def _label_count(table: pd.DataFrame) -> int:
    """Cells of the check question holding its option's label, in the raw table."""
    from analysis.codebook import load_codebook

    cb = load_codebook(DEMO / "survey.yaml")
    q = cb.question(CHECK_QUESTION)
    label = next(o.label.zh for o in q.options if o.code == CHECK_CODE)
    col = next(c for c in table.columns if q.label.zh in str(c))  # 1、您的性别
    return int((table[col].str.strip() == label).sum())


def _frame_count(frame: pd.DataFrame) -> int:
    from analysis.codebook import Codebook

    cb = Codebook.from_frame(frame)
    key = next(o.key for o in cb.question(CHECK_QUESTION).options if o.code == CHECK_CODE)
    return int((frame[CHECK_QUESTION] == key).sum())


def worker(task: str, arg: str) -> dict:
    """Run one task; return seconds, peak MB and what the answer check needs."""
    warnings.simplefilter("ignore")  # the repeated demo rows carry its injected dirt
    extra: dict = {}
    folder = Path(arg)
    export = next((folder / "raw").iterdir())
    extra["file_mb"] = export.stat().st_size / 2**20
    # Imports before the clock, as pandas' is for read_csv: the file's reading is timed.
    from analysis.ingest import load_wave
    from analysis.pipeline import prepare_wave

    t0 = time.perf_counter()
    if task == "read_csv":
        table = pd.read_csv(export, encoding="gb18030", dtype=str)
        seconds = time.perf_counter() - t0
        extra.update(rows=len(table), count=_label_count(table))
    elif task == "load_wave":
        frame = load_wave(folder)
        seconds = time.perf_counter() - t0
        extra.update(rows=len(frame), count=_frame_count(frame))
    else:
        prepared = prepare_wave(folder)
        est = prepared.design.mean(CHECK_QUESTION)
        est.se  # noqa: B018
        seconds = time.perf_counter() - t0
        extra.update(rows=len(prepared.cleaned.data), estimate=float(est.estimate.iloc[0]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"task": task, "arg": arg, "seconds": seconds, "peak_mb": peak, **extra}


# ----------------------------------------------------------------- runner
def _run(task: str, arg: str, timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    cmd = [sys.executable, "-m", "tests.bench.ingest", "--worker", task, arg]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                           env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {timeout:.0f} s"}
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        return {"status": "failed: " + (r.stderr.strip().splitlines() or ["no output"])[-1][:160]}
    return {**json.loads(lines[-1]), "status": "ok"}


def _median(jobs: list[tuple[str, str]], repeat: int, timeout: float) -> dict[tuple[str, str], dict]:
    """Every job ``repeat`` times, round by round (a load change hits all alike); median run."""
    runs: dict[tuple[str, str], list[dict]] = {j: [] for j in jobs}
    for k in range(max(1, repeat)):
        for job in (jobs if k % 2 == 0 else jobs[::-1]):
            runs[job].append(_run(*job, timeout))
    out = {}
    for job, rs in runs.items():
        ok = sorted((r for r in rs if r["status"] == "ok"), key=lambda r: r["seconds"])
        out[job] = dict(ok[(len(ok) - 1) // 2], runs=len(ok)) if ok else rs[-1]
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the ingest and small-survey benchmark; write the report section.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--worker", nargs=2, metavar=("TASK", "ARG"), help=argparse.SUPPRESS)
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument("--rows", type=int, default=1_000_000, help="respondents of the export")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tasks", default=",".join(TASKS),
                    help=f"comma-separated subset of {', '.join(TASKS)}")
    ap.add_argument("--drop-export", action="store_true",
                    help="delete the generated wave folder afterwards (large --rows)")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        ap.error(f"unknown task(s) {unknown}; choose from {list(TASKS)}")
    folder = BENCH / f"wave_{args.rows}"
    wave_tasks = [t for t in ("read_csv", "load_wave", "e2e") if t in tasks]
    export = make_wave(args.rows, folder) if wave_tasks else None
    jobs = [(t, str(folder)) for t in wave_tasks]
    res = _median(jobs, args.repeat, args.timeout)
    size_mb = export.stat().st_size / 2**20 if export is not None else 0.0
    if args.drop_export and export is not None:
        shutil.rmtree(folder)
    # The wave folder relative to the repository: the record names no local path.
    rows = [{"task": t, "arg": os.path.relpath(a, ROOT),
             **{k: v for k, v in r.items() if not isinstance(v, list)}}
            for (t, a), r in res.items()]
    pd.DataFrame(rows).to_csv(out / "ingest.csv", index=False)
    section = _markdown(res, folder, size_mb, args.repeat)
    md = out / "results.md"
    text = md.read_text(encoding="utf-8") if md.exists() else "# Benchmark\n"
    if MARK_BEGIN in text and MARK_END in text:
        head, _, rest = text.partition(MARK_BEGIN)
        text = head + section + rest.partition(MARK_END)[2]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    md.write_text(text, encoding="utf-8")
    print(section)
    return 0


def _markdown(res: dict, folder: Path, size_mb: float, repeat: int) -> str:
    base = res.get(("read_csv", str(folder)), {"status": "not run"})
    lines = [MARK_BEGIN, f"## Ingest: a {size_mb:.0f} MB 问卷星 text-mode GB18030 export", "",
             f"{platform.platform()}, {os.cpu_count()} cores; median of {repeat} runs, each "
             "task in its own process; the demo wave's rows repeated, ids renumbered.", "",
             "| task | seconds | × read_csv | goal | peak MB | × file size | answer |",
             "|---|---|---|---|---|---|---|"]
    for task in ("read_csv", "load_wave", "e2e"):
        if (task, str(folder)) not in res:
            continue
        r = res[(task, str(folder))]
        if r["status"] != "ok":
            lines.append(f"| {task} | {r['status']} | | | | | |")
            continue
        ratio = r["seconds"] / base["seconds"] if base["status"] == "ok" else float("nan")
        goal = GOALS.get(task)
        if task == "load_wave":
            ok = base["status"] == "ok" and r["rows"] == base["rows"] and (
                r["count"] == base["count"])
            answer = (f"{r['rows']:,} rows, {r['count']:,} × {CHECK_QUESTION}={CHECK_CODE}: "
                      + ("same as read_csv" if ok else "not checked (read_csv not run)"
                         if base["status"] != "ok" else "DIFFERS from read_csv"))
        elif task == "e2e":
            answer = f"{r['rows']:,} kept rows, weighted share {r['estimate']:.4f}"
        else:
            answer = f"{r['rows']:,} rows, {r['count']:,} × {CHECK_QUESTION} label"
        goal_text = f"≤ {goal:g}×" if goal else ""
        lines.append(f"| {task} | {r['seconds']:.2f} | {ratio:.2f} | "
                     f"{goal_text} | {r['peak_mb']:.0f} | "
                     f"{r['peak_mb'] / size_mb:.1f} | {answer} |")
    lines.append(MARK_END)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
