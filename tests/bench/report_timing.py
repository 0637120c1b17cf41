"""``make bench``: wall time of ``greensurvey report`` on the demo wave.

Runs the command ``--repeat`` times in its own process (the first run is
included: every build starts its kernels and prepares the wave afresh), each
into a fresh temporary folder, and records every run, the median and the
quickest with the machine's load average at the time: on a shared machine
the quickest run is the one least disturbed by other work.  The run is
checked, not only timed: it must exit 0 and write every page in both
languages and the findings files.

Writes ``<out>/report.md`` and ``<out>/report.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def time_report(wave: Path, repeat: int, jobs: int | None = None) -> list[dict[str, float]]:
    """Time ``greensurvey report wave`` ``repeat`` times; each run checked for its outputs."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "analysis.cli", "--quiet", "report", str(wave),
                   "--output", str(Path(tmp) / "report")]
            if jobs is not None:
                cmd += ["--jobs", str(jobs)]
            load = os.getloadavg()[0]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU of the command and its kernels: what the build costs whatever else runs
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(f"greensurvey report failed:\n{done.stderr[-2000:]}")
            out = Path(tmp) / "report"
            pages = sorted(p.name for p in out.glob("*.html"))
            assert "index.html" in pages, pages
            assert "index.en.html" in pages, pages
            assert len([p for p in pages if p.endswith(".en.html")]) * 2 == len(pages), pages
            for name in ("findings.json", "findings.csv", "findings.xlsx"):
                assert (out / name).is_file(), name
            runs.append({"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                         "load": round(load, 2), "pages": len(pages)})
    return runs


def main(argv: list[str] | None = None) -> int:
    """Time the demo report and write ``report.md`` / ``report.json`` into ``--out``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wave", default=str(ROOT / "surveys" / "demo-2022"))
    ap.add_argument("--out", default=str(ROOT / "reports" / "bench"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args(argv)
    runs = time_report(Path(args.wave), args.repeat, args.jobs)
    secs = [r["seconds"] for r in runs]
    result = {"command": f"greensurvey report {Path(args.wave).name}", "runs": runs,
              "median": statistics.median(secs), "quickest": min(secs),
              "cores": os.cpu_count(), "python": platform.python_version(),
              "machine": platform.machine()}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    lines = [f"# {result['command']}", "",
             f"{os.cpu_count()} cores, Python {result['python']}; every run in its own process, "
             "both languages, checked for its pages and findings files.", "",
             "| run | wall seconds | CPU seconds (build + kernels) | load average (1 min) at start |",
             "|---|---|---|---|"]
    lines += [f"| {i} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['load']:.2f} |"
              for i, r in enumerate(runs, 1)]
    lines += ["", f"median {result['median']:.1f} s, quickest {result['quickest']:.1f} s", ""]
    (out / "report.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
