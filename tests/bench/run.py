"""``make bench``: greensurvey against R survey, svy, samplics, balance and weightipy.

Every tool runs in its own subprocess on the same rows (``tests/bench/data.py``,
fixed seed) so timings and peak memory are comparable; only the operation is
timed, not data loading.  Peers live in their own venv (``.bench/venv``)
because they pin their own dependency versions; a peer that cannot be
installed is reported as such, never silently dropped.

The proportion and domain tasks are also timed with the numpy floor
(:mod:`tests.bench.floor`), and report the first call in the fresh process
(cold, the table's figure) and the median of further calls (warm) apart.

Writes ``<out>/results.csv``, ``<out>/results.md`` and ``<out>/bench.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / ".bench"
PEERS = ("svy", "samplics", "balance", "weightipy")
SPELL_TEXT = {"int": "integer codes", "cat": "pandas categoricals", "str": "text labels",
              "Int64": "nullable Int64"}
GLM_C = tuple(f"glm_C_{s}" for s in SPELL_TEXT)
TASKS = ("rake", "prop", "domains", "glm", *GLM_C)
TASK_TEXT = {
    "rake": "raking to 4 margins (2, 6, 31, 2 levels) to 1e-6",
    "prop": "proportion with Taylor SE, strata + PSU",
    "domains": "the same for 31 domains",
    "glm": "logistic svyglm, strata + PSU",
    **{f"glm_C_{s}": f"logistic svyglm y ~ C(sex) + C(age) + C(urban) + x1, factors as {text}"
       for s, text in SPELL_TEXT.items()},
}
# Peers without design-based standard errors only rake.  R reads the CSV and
# codes the factors once (factor()), so one categorical task stands for all.
PEER_TASKS = {"svy": TASKS, "samplics": TASKS, "balance": ("rake",), "weightipy": ("rake",)}
R_TASKS = ("rake", "prop", "domains", "glm", "glm_C_int")
# Coefficients of the same model by two tools differ by at most this much.
COEF_TOL = 1e-5
# Tasks also timed with the numpy floor, cold and warm; the goal at 1e5 rows.
FLOOR_TASKS = ("prop", "domains")
FLOOR_GOAL = 3.0


def _peer_python(log: list[str], peers: tuple[str, ...] = PEERS
                 ) -> tuple[Path | None, dict[str, str]]:
    """Create the peers' venv if missing; return its python and per-peer install status."""
    py = BENCH / "venv" / "bin" / "python"
    status: dict[str, str] = {}
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH / "venv")], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=False)
    for peer in peers:
        ok = subprocess.run([str(py), "-c", f"import {peer}"], capture_output=True).returncode == 0
        if not ok:
            # One at a time: installed together their pins conflict on some machines.
            r = subprocess.run([str(py), "-m", "pip", "install", "-q", peer],
                               capture_output=True, text=True)
            ok = r.returncode == 0
            if not ok:
                status[peer] = "not installable: " + (r.stderr.strip().splitlines() or ["?"])[-1]
        if ok:
            v = subprocess.run([str(py), "-c", f"import importlib.metadata as m; print(m.version('{peer}'))"],
                               capture_output=True, text=True).stdout.strip()
            status[peer] = f"installed {v}"
        log.append(f"{peer}: {status[peer]}")
    # A peer's dependency can pull a pyarrow built for NumPy 2 beside svy's NumPy 1.26;
    # pandas then fails on categoricals.  Keep a pyarrow that imports with the NumPy there.
    if subprocess.run([str(py), "-c", "import pyarrow"], capture_output=True).returncode != 0:
        subprocess.run([str(py), "-m", "pip", "install", "-q", "pyarrow<20"], check=False)
    return py, status


def _r_status() -> str:
    if shutil.which("Rscript") is None:
        return "not installed (Rscript missing; `make reference` installs it)"
    r = subprocess.run(["Rscript", "-e", "cat(as.character(packageVersion('survey')))"],
                       capture_output=True, text=True)
    return f"installed survey {r.stdout.strip()}" if r.returncode == 0 else "R present, survey missing"


def _median(runs: list[dict]) -> dict:
    """The run with the median time among the successful ``runs`` (and its peak memory)."""
    ok = sorted((r for r in runs if r["status"] == "ok"), key=lambda r: r["seconds"])
    if not ok:
        return runs[-1]
    best = dict(ok[(len(ok) - 1) // 2])
    best["runs"] = len(ok)
    best["min_s"], best["max_s"] = ok[0]["seconds"], ok[-1]["seconds"]
    return best


def _interleaved(jobs: list[tuple[str, str, list[str]]], timeout: float, repeat: int
                 ) -> dict[tuple[str, str], dict]:
    """Run every job ``repeat`` times, round by round, and keep each job's median run.

    Round ``k`` runs every job once before round ``k + 1`` starts, so a load
    change on a shared machine hits every tool alike instead of the one that
    happened to be running; the order alternates between rounds so no tool
    always runs first.
    """
    runs: dict[tuple[str, str], list[dict]] = {(tool, task): [] for tool, task, _ in jobs}
    for k in range(max(1, repeat)):
        for tool, task, cmd in (jobs if k % 2 == 0 else jobs[::-1]):
            runs[(tool, task)].append(_run(cmd, timeout))
    return {key: _median(r) for key, r in runs.items()}


def _run(cmd: list[str], timeout: float) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    start = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return {"status": f"timeout > {timeout:.0f} s"}
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        err = (r.stderr.strip().splitlines() or ["no output"])[-1][:160]
        return {"status": f"failed: {err}"}
    out = json.loads(lines[-1])
    out["status"] = "ok"
    out["wall_s"] = time.perf_counter() - start
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="reports/bench")
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--big", default="10000000", help="size run by greensurvey alone ('' to skip)")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each job this many times and keep the median time")
    ap.add_argument("--tasks", default=",".join(TASKS),
                    help=f"comma-separated subset of {', '.join(TASKS)}")
    ap.add_argument("--peers", default=",".join(PEERS),
                    help="comma-separated subset of the peers to run")
    args = ap.parse_args(argv)
    tasks = tuple(t for t in TASKS if t in args.tasks.split(","))
    peers = tuple(p for p in PEERS if p in args.peers.split(","))
    out = ROOT / args.out
    out.mkdir(parents=True, exist_ok=True)
    BENCH.mkdir(exist_ok=True)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    log: list[str] = []
    peer_py, peer_status = (None, {p: "skipped (--no-peers)" for p in PEERS}) if args.no_peers \
        else _peer_python(log, peers)
    r_status = _r_status()
    rows: list[dict] = []

    def record(tool: str, task: str, n: int, res: dict) -> None:
        rows.append({**res, "tool": tool, "task": task, "n": n})  # the job's names win
        print(f"{tool:>12} {task:>8} n={n:>9,}  {res.get('status')}  "
              f"{res.get('seconds', float('nan')):.4f} s  {res.get('peak_mb', float('nan')):.0f} MB",
              flush=True)

    from tests.bench.data import make_data

    for n in sizes + ([int(float(args.big))] if args.big else []):
        alone = n not in sizes
        ours = [sys.executable, "-m", "tests.bench.worker_ours"]
        jobs = [("greensurvey", task, ours + [task, str(n)]) for task in ("bincount",) + tasks]
        jobs += [("numpy floor", task, ours + [f"floor:{task}", str(n)])
                 for task in tasks if task in FLOOR_TASKS and not alone]
        csv = BENCH / f"data_{n}.csv"
        if not alone and r_status.startswith("installed"):
            if not csv.exists():
                make_data(n).to_csv(csv, index=False)
            jobs += [("R survey", task, ["Rscript", str(ROOT / "tests/bench/worker_r.R"), task,
                                         str(n), str(csv)]) for task in tasks if task in R_TASKS]
        for peer in peers if not alone else ():
            if peer_status.get(peer, "").startswith("installed"):
                jobs += [(peer, task, [str(peer_py), "-m", "tests.bench.worker_peers", peer, task,
                                       str(n)]) for task in tasks if task in PEER_TASKS[peer]]
        # One task at a time, its tools taking turns: a round is over quickly,
        # so the tools it compares see the same load.
        for task in ("bincount",) + tasks:
            group = [job for job in jobs if job[1] == task]
            for (tool, _), res in _interleaved(group, args.timeout, args.repeat).items():
                record(tool, task, n, res)

    df = _check_answers(pd.DataFrame(rows))
    df.to_csv(out / "results.csv", index=False)
    _write_markdown(df, out, peer_status, r_status, sizes)
    _plot(df, out)
    print(f"wrote {out}/results.csv, results.md, bench.png")
    return 0


def _check_answers(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``coef_diff``: each tool's largest coefficient difference from greensurvey's.

    Only tasks whose workers report coefficients (the glm_C_* tasks) are
    checked; a time bought with a wrong answer shows up next to it.
    """
    if "coef" not in df:
        return df
    df = df.copy()
    diffs = []
    for _, row in df.iterrows():
        ours = df[(df["tool"] == "greensurvey") & (df["task"] == row["task"])
                  & (df["n"] == row["n"])]["coef"]
        mine, theirs = row["coef"], ours.iloc[0] if len(ours) else None
        if not isinstance(mine, list) or not isinstance(theirs, list):
            diffs.append(float("nan"))
        elif len(mine) != len(theirs):
            diffs.append(float("inf"))
        else:
            diffs.append(float(max(abs(a - b) for a, b in zip(mine, theirs))))
    df["coef_diff"] = diffs
    return df.drop(columns="coef")


def _write_markdown(df: pd.DataFrame, out: Path, peers: dict[str, str], r_status: str,
                    sizes: list[int]) -> None:
    ok = df[df["status"] == "ok"]
    lines = ["# Benchmark", "",
             f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
             "", "Each cell is the median of the repeated runs (`--repeat`); every tool ran in its own "
             "process on the same rows.",
             "", "Tools: R survey " + r_status + "; " + "; ".join(f"{k} {v}" for k, v in peers.items()) + ".", ""]
    for task in (t for t in TASKS if t in set(df["task"])):
        lines += [f"## {TASK_TEXT[task]}", "", "seconds (peak MB)", ""]
        sub = df[df["task"] == task]
        table = sub.assign(cell=[f"{s:.4f} ({m:.0f})" if st == "ok" else st
                                 for s, m, st in zip(sub.get("seconds", pd.Series(dtype=float)),
                                                     sub.get("peak_mb", pd.Series(dtype=float)),
                                                     sub["status"])])
        pivot = table.pivot_table(index="tool", columns="n", values="cell", aggfunc="first")
        try:
            lines += [pivot.to_markdown(), ""]
        except ImportError:  # tabulate is optional
            lines += ["```", pivot.to_string(), "```", ""]
        for n in sizes:
            at = ok[(ok["task"] == task) & (ok["n"] == n)].sort_values("seconds")
            if len(at):
                lines.append(f"- n = {n:,}: fastest {at.iloc[0]['tool']}")
            if "coef_diff" in at and at["coef_diff"].notna().any():
                checked = at.dropna(subset=["coef_diff"])
                worst = checked["coef_diff"].max()
                verdict = "agree" if worst <= COEF_TOL else "DISAGREE"
                lines.append(f"  - coefficients of {', '.join(checked['tool'])} {verdict} "
                             f"(largest difference {worst:.1e}, tolerance {COEF_TOL:g})")
        if task in FLOOR_TASKS:
            lines += _floor_lines(ok, task, sizes)
        lines.append("")
    rk = ok[(ok["tool"] == "greensurvey") & (ok["task"] == "rake")].set_index("n")
    bc = ok[(ok["tool"] == "greensurvey") & (ok["task"] == "bincount")].set_index("n")
    if len(rk) and "iterations" in rk:
        lines += ["## Raking iteration vs one weighted bincount pass over the same 4 columns", "",
                  "Whole `rake()` time (factorising the 4 columns, the iterations on the occupied cells, "
                  "diagnostics) divided by its iteration count: an upper bound on one iteration.", ""]
        for n in rk.index:
            it = rk.loc[n, "iterations"]
            if n in bc.index and it and it == it:
                ratio = rk.loc[n, "seconds"] / float(it) / bc.loc[n, "seconds"]
                lines.append(f"- n = {n:,}: {int(it)} iterations, {ratio:.2f}x a bincount pass per iteration")
        lines.append("")
    (out / "results.md").write_text("\n".join(lines), encoding="utf-8")


def _floor_lines(ok: pd.DataFrame, task: str, sizes: list[int]) -> list[str]:
    """greensurvey against the numpy floor, the first call (cold) and later ones (warm)."""
    lines = []
    for n in sizes:
        at = ok[(ok["task"] == task) & (ok["n"] == n)].set_index("tool")
        if not {"greensurvey", "numpy floor"} <= set(at.index) or "warm_s" not in at:
            continue
        g, f = at.loc["greensurvey"], at.loc["numpy floor"]
        cold, warm = g["seconds"] / f["seconds"], g["warm_s"] / f["warm_s"]
        goal = f" (goal ≤ {FLOOR_GOAL:g}× at 100,000)" if n == 100_000 else ""
        lines.append(f"- n = {n:,}, against the numpy floor{goal}: first call {g['seconds']:.4f} s "
                     f"vs {f['seconds']:.4f} s ({cold:.2f}×); warm {g['warm_s']:.4f} s vs "
                     f"{f['warm_s']:.4f} s ({warm:.2f}×)")
    return lines


def _plot(df: pd.DataFrame, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = df[(df["status"] == "ok") & (df["task"].isin(TASKS))]
    tasks = [t for t in TASKS if t in set(ok["task"])] or list(TASKS[:1])
    fig, axes = plt.subplots(1, len(tasks), figsize=(4 * len(tasks), 3.6), squeeze=False)
    axes = axes[0]
    for ax, task in zip(axes, tasks):
        for tool, g in ok[ok["task"] == task].groupby("tool"):
            g = g.sort_values("n")
            ax.plot(g["n"], g["seconds"], marker="o", label=tool)
        ax.set(xscale="log", yscale="log", title=task, xlabel="respondents", ylabel="seconds")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "bench.png", dpi=110, metadata={"Software": None})
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
