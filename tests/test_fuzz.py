"""Fuzz: mutated real exports end in a result or a typed error, never anything else (issue 11).

Seeds are real exports (the demo wave's raw CSV, the 问卷星 downloads under
``$GREENSURVEY_SHARED/real-exports``) and exports written here (xlsx, SPSS,
Stata, semicolon CSV).  Each case applies one or two seeded mutations (byte
flips, truncation, column deletion/duplication/shuffling, encoding swaps,
row duplication, header edits, NUL bytes, a title row, a wrong extension),
then reads the wave and cleans it in a forked worker with a time limit, and
asserts:

* the outcome is a result or a :class:`~analysis.errors.SurveyError`: no
  other exception, no crash, no hang (per-case timeout);
* every warning is a :class:`~analysis.errors.SurveyWarning`;
* rows in = kept + excluded;
* the raw export is byte-identical afterwards, and nothing else is
  written (no partial output).

``make test`` runs ``GREENSURVEY_FUZZ_CASES`` (default 200) cases; ``make
fuzz`` runs 10,000.  A failing case is written to ``.fuzz/<case>/`` (or
``$GREENSURVEY_FUZZ_DIR``) with its survey.yaml, export and ``case.json``;
replay it with ``GREENSURVEY_FUZZ_REPLAY=.fuzz/<case> pytest tests/test_fuzz.py -k replay``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pickle
import random
import select
import shutil
import signal
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from conftest import REAL_EXPORTS, ROOT

# Imported here, before any fork, so each case's worker does not import them again.
from analysis.cleaning.cleaner import clean
from analysis.errors import SurveyError, SurveyWarning
from analysis.ingest import read_wave

CASES = int(os.environ.get("GREENSURVEY_FUZZ_CASES", "200"))
TIMEOUT = float(os.environ.get("GREENSURVEY_FUZZ_TIMEOUT", "60"))
SEED = int(os.environ.get("GREENSURVEY_FUZZ_SEED", "11"))
OUT = Path(os.environ.get("GREENSURVEY_FUZZ_DIR", ROOT / ".fuzz"))
CHUNKS = 8
DEMO = ROOT / "surveys" / "demo-2022"
GENERIC_SURVEY = """\
wave: fuzz
title: fuzz
platform: {platform}
questions:
  - {{id: q1, type: single, label: 性别, options: [{{code: 1, label: 男}}, {{code: 2, label: 女}}]}}
  - {{id: q2, type: likert, label: 满意, options: [{{code: 1, label: 1}}, {{code: 2, label: 2}},
      {{code: 3, label: 3}}, {{code: 4, label: 4}}, {{code: 5, label: 5}}]}}
  - {{id: q3, type: numeric, label: 年龄}}
"""


@dataclass(frozen=True)
class Seed:
    """One unmutated export: its bytes, extension and codebook (None: drafted)."""

    name: str
    data: bytes
    suffix: str
    survey: str | None


def _demo_survey() -> str:
    lines = (DEMO / "survey.yaml").read_text(encoding="utf-8").splitlines()
    return "\n".join(ln for ln in lines if not ln.startswith("raw:")) + "\n"


def _seeds(tmp: Path) -> list[Seed]:
    out: list[Seed] = []
    raw = next((DEMO / "raw").glob("*.csv"))
    head = b"".join(raw.read_bytes().splitlines(keepends=True)[:41])
    survey = _demo_survey()
    out.append(Seed("demo-csv", head, ".csv", survey))
    table = pd.read_csv(io.BytesIO(head), encoding="gb18030", dtype=str, keep_default_na=False)
    xlsx = tmp / "demo.xlsx"
    table.to_excel(xlsx, index=False)
    out.append(Seed("demo-xlsx", xlsx.read_bytes(), ".xlsx",
                    survey.replace("encoding: gb18030", "encoding: auto")))
    rng = random.Random(5)
    generic = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(30)],
                            "q1": [float(rng.choice([1, 2])) for _ in range(30)],
                            "q2": [float(rng.randint(1, 5)) for _ in range(30)],
                            "q3": [float(rng.randint(18, 80)) for _ in range(30)]})
    out.append(Seed("generic-csv", generic.to_csv(index=False).encode("utf-8"), ".csv",
                    GENERIC_SURVEY.format(platform="generic")))
    try:
        import pyreadstat

        for suffix, writer, platform in ((".sav", pyreadstat.write_sav, "spss"),
                                         (".dta", pyreadstat.write_dta, "stata")):
            path = tmp / f"generic{suffix}"
            writer(generic, str(path))
            out.append(Seed(f"generic{suffix}", path.read_bytes(), suffix,
                            GENERIC_SURVEY.format(platform=platform)))
    except ImportError:  # pragma: no cover - pyreadstat is a dependency
        pass
    wjx = REAL_EXPORTS / "wjx"
    if wjx.is_dir():
        for path in sorted(wjx.glob("*/*.xls")):
            if path.stat().st_size < 400_000:
                out.append(Seed(f"real-{path.parent.name}-{path.stem}", path.read_bytes(),
                                ".xls", None))
    return out


# ------------------------------------------------------------------- mutations
def _rows(data: bytes) -> tuple[list[list[str]], str, str] | None:
    for enc in ("utf-8-sig", "gb18030", "utf-16"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    sep = "\t" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=sep)), enc, sep


def _write(rows: list[list[str]], enc: str, sep: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode(enc.replace("-sig", ""), errors="replace")


def _table_edit(edit: Callable[[random.Random, list[list[str]]], list[list[str]]]):
    def mutate(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
        parsed = _rows(data) if suffix in (".csv", ".tsv", ".txt") else None
        if parsed is None or len(parsed[0]) < 2:
            return _flip(rng, data, suffix)
        rows, enc, sep = parsed
        return _write(edit(rng, rows), enc, sep), suffix
    mutate.__name__ = edit.__name__
    return mutate


def _flip(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
    out = bytearray(data)
    for _ in range(rng.choice([1, 2, 4, 16, 64])):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out), suffix


def _truncate(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
    return data[:rng.randrange(1, len(data))], suffix


def _encoding_swap(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
    parsed = _rows(data) if suffix == ".csv" else None
    if parsed is None:
        return _flip(rng, data, suffix)
    text = data.decode(parsed[1])
    target = rng.choice(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "big5",
                         "latin-1", "cp1252"])
    return text.encode(target, errors="replace"), suffix


def _bom_swap(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
    return rng.choice([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]) + data, suffix


def _extension(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
    return data, rng.choice([".csv", ".xlsx", ".xls", ".sav", ".dta", ".tsv", ".txt"])


def _nul(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
    pos = rng.randrange(len(data))
    return data[:pos] + b"\x00" * rng.choice([1, 3]) + data[pos:], suffix


def _delete_column(rng, rows):
    j = rng.randrange(len(rows[0]))
    return [r[:j] + r[j + 1:] for r in rows]


def _duplicate_column(rng, rows):
    j = rng.randrange(len(rows[0]))
    return [r[:j + 1] + r[j:j + 1] + r[j + 1:] for r in rows]


def _shuffle_columns(rng, rows):
    order = list(range(len(rows[0])))
    rng.shuffle(order)
    return [[r[j] for j in order if j < len(r)] for r in rows]


def _duplicate_rows(rng, rows):
    if len(rows) < 2:
        return rows
    i = rng.randrange(1, len(rows))
    return rows[:i + 1] + [rows[i]] * rng.randint(1, 3) + rows[i + 1:]


def _edit_header(rng, rows):
    j = rng.randrange(len(rows[0]))
    header = list(rows[0])
    header[j] = rng.choice(["", header[j] + " ", header[j][:-1], header[rng.randrange(len(header))],
                            "Unnamed", header[j].upper(), "V1"])
    return [header, *rows[1:]]


def _title_row(rng, rows):
    return [["调查数据导出 " + str(rng.randint(1, 99))] + [""] * (len(rows[0]) - 1), *rows]


def _short_row(rng, rows):
    if len(rows) < 2:
        return rows
    i = rng.randrange(1, len(rows))
    return rows[:i] + [rows[i][:rng.randrange(len(rows[i]))]] + rows[i + 1:]


def _edit_cell(rng, rows):
    if len(rows) < 2:
        return rows
    i, j = rng.randrange(1, len(rows)), rng.randrange(len(rows[0]))
    value = rng.choice(["", "-1", "99999999999999999999", "1.8e308", "nan", "二十", "10%",
                        "3分12秒", "abc", '"', "┋", "-3", "2.5", "\u202e", "0x10"])
    rows = [list(r) for r in rows]
    if j < len(rows[i]):
        rows[i][j] = value
    return rows


MUTATIONS: list[Callable[[random.Random, bytes, str], tuple[bytes, str]]] = [
    _flip, _flip, _truncate, _truncate, _encoding_swap, _bom_swap, _extension, _nul,
    *(_table_edit(f) for f in (_delete_column, _duplicate_column, _shuffle_columns,
                               _duplicate_rows, _edit_header, _title_row, _short_row,
                               _edit_cell, _edit_cell)),
]


def _case(index: int, seeds: list[Seed]) -> tuple[Seed, bytes, str, list[str]]:
    rng = random.Random(SEED * 1_000_003 + index)
    seed = seeds[index % len(seeds)]
    data, suffix, names = seed.data, seed.suffix, []
    for _ in range(rng.choice([1, 1, 2])):
        mutate = rng.choice(MUTATIONS)
        data, suffix = mutate(rng, data, suffix)
        names.append(mutate.__name__)
        if not data:
            data = b"\x00"
    return seed, data, suffix, names


# ----------------------------------------------------------------------- runner
def _load_and_clean(folder: str) -> dict:  # pragma: no cover - runs in the fork
    out: dict = {}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            wave = read_wave(folder)
            result = clean(wave.data, wave.codebook)
            out = {"outcome": "result", "rows": len(wave.data), "n_in": result.n_in,
                   "kept": result.n_kept, "excluded": result.n_excluded}
        except SurveyError as exc:
            out = {"outcome": "error", "type": type(exc).__name__, "message": str(exc)}
        except BaseException:  # noqa: BLE001 - what the test is looking for
            out = {"outcome": "escaped", "traceback": traceback.format_exc()}
    out["raw_warnings"] = [f"{w.category.__name__}: {w.message}" for w in record
                           if not issubclass(w.category, (SurveyWarning, DeprecationWarning,
                                                          PendingDeprecationWarning))]
    return out


def _run_isolated(folder: Path) -> dict:
    """Run one case in a bare fork (no multiprocessing start-up cost) with :data:`TIMEOUT`."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_fd)
            payload = pickle.dumps(_load_and_clean(str(folder)))
            with os.fdopen(write_fd, "wb") as fh:
                fh.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return {"outcome": "hang", "raw_warnings": []}
            if select.select([read_fd], [], [], left)[0]:
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - the child died before handing back a result
        return {"outcome": "crash", "status": status, "raw_warnings": []}


def _problems(result: dict, before: dict[str, str], after: dict[str, str],
              raw_name: str) -> list[str]:
    problems = []
    if result["outcome"] not in ("result", "error"):
        trace = result.get("traceback", "").strip().splitlines()
        problems.append(f"{result['outcome']}: " + (" | ".join(trace[-3:]) if trace else
                                                    str(result)))
    if result["raw_warnings"]:
        problems.append(f"raw warnings: {result['raw_warnings'][:3]}")
    if result["outcome"] == "result" and not (
            result["n_in"] == result["rows"] == result["kept"] + result["excluded"]):
        problems.append(f"rows in {result['rows']} != kept {result['kept']} + excluded "
                        f"{result['excluded']}")
    if before[raw_name] != after.get(raw_name):
        problems.append("the raw export changed")
    extra = sorted(set(after) - set(before))
    if extra:
        problems.append(f"files written: {extra}")
    return problems


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


def _save_failure(index: int, folder: Path, info: dict) -> Path:
    target = OUT / f"case-{SEED}-{index:05d}"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target)
    (target / "case.json").write_text(json.dumps(info, ensure_ascii=False, indent=2),
                                      encoding="utf-8")
    return target


def _check(folder: Path, raw_name: str) -> tuple[dict, list[str]]:
    before = _snapshot(folder)
    result = _run_isolated(folder)
    return result, _problems(result, before, _snapshot(folder), raw_name)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> list[Seed]:
    return _seeds(tmp_path_factory.mktemp("fuzz-seeds"))


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    # The salt from the environment: ingest writes no interim/.salt, so any file is "output".
    monkeypatch.setenv("GREENSURVEY_SALT", "fuzz")


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_fuzz_mutated_exports(chunk, seeds, tmp_path):
    failures = []
    for index in range(chunk, CASES, CHUNKS):
        seed, data, suffix, names = _case(index, seeds)
        folder = tmp_path / f"case{index}"
        (folder / "raw").mkdir(parents=True)
        raw_name = f"raw/export{suffix}"
        (folder / raw_name).write_bytes(data)
        if seed.survey is not None:
            (folder / "survey.yaml").write_text(seed.survey, encoding="utf-8")
        result, problems = _check(folder, raw_name)
        if problems:
            info = {"seed": seed.name, "index": index, "fuzz_seed": SEED, "mutations": names,
                    "problems": problems, "result": result}
            where = _save_failure(index, folder, info)
            failures.append(f"case {index} ({seed.name}, {'+'.join(names)}): "
                            f"{problems[0][:300]} -> replay {where}")
        shutil.rmtree(folder, ignore_errors=True)
    assert not failures, "\n".join(failures)


def test_seeds_load_unmutated(seeds, tmp_path):
    """Every seed, as written, gives a result (so mutations start from a working file)."""
    for seed in seeds:
        folder = tmp_path / seed.name
        (folder / "raw").mkdir(parents=True)
        (folder / "raw" / f"export{seed.suffix}").write_bytes(seed.data)
        if seed.survey is not None:
            (folder / "survey.yaml").write_text(seed.survey, encoding="utf-8")
        result, problems = _check(folder, f"raw/export{seed.suffix}")
        assert result["outcome"] == "result", (seed.name, result)
        assert not problems, (seed.name, problems)


@pytest.mark.skipif(not os.environ.get("GREENSURVEY_FUZZ_REPLAY"),
                    reason="set GREENSURVEY_FUZZ_REPLAY=.fuzz/<case> to replay a saved case")
def test_replay(tmp_path):
    saved = Path(os.environ["GREENSURVEY_FUZZ_REPLAY"])
    folder = tmp_path / "case"
    shutil.copytree(saved, folder, ignore=shutil.ignore_patterns("case.json"))
    raw_name = next(str(p.relative_to(folder)) for p in (folder / "raw").iterdir())
    result, problems = _check(folder, raw_name)
    assert not problems, problems
