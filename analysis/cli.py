"""The ``greensurvey`` console command.

Subcommands::

    greensurvey clean surveys/<wave>        ingest + clean, print the exclusion funnel
    greensurvey report surveys/<wave>       execute the notebooks, render reports/<wave>/
    greensurvey notebooks surveys/<wave>    copy the chapter notebooks into the wave to edit
    greensurvey inspect <export>            detect platform, mode, encoding; list questions
    greensurvey codebook <export> [-o F]    draft a survey.yaml (-o: lay out the wave folder)
    greensurvey codebook --check <wave>     validate survey.yaml and targets.yaml
    greensurvey weight surveys/<wave>       clean + rake to targets.yaml, print diagnostics
    greensurvey synth surveys/<wave>        regenerate the synthetic demo wave
    greensurvey export surveys/<wave> --format sav [-o FILE] [--replicates N --seed S]
                                            cleaned respondent data + final weights (csv,
                                            parquet, sav, dta, xlsx) for SPSS, Stata, Q

Bad input prints one line (``greensurvey: error: ...``) and exits with 2;
``--debug`` shows the traceback instead.  Hints written for Python callers
(``pass clean(salt=...)``) are reworded to the command's own options before
they are printed (:data:`CLI_WORDING`), so every hint can be acted on here.

The salt for pseudonymising respondent ids, IP addresses and personal columns
comes from ``--salt`` or, preferably (a command-line value is visible in the
process list and the shell history), the ``GREENSURVEY_SALT`` environment
variable; ``--salt`` sets that variable for the run, so the ingest, the
cleaning and the report's notebook kernels all use the same salt.
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._version import __version__
from .errors import SurveyError

# analysis.ingest.wave.SALT_ENV (tests/test_cli_salt.py pins that they agree): importing the
# ingest layer here would load pandas before `greensurvey report` can start its kernels.
SALT_ENV = "GREENSURVEY_SALT"

__all__ = ["CLI_WORDING", "main", "build_parser"]

#: Python-API wording in hints and warnings -> what a command-line user does
#: instead, applied in order to every error and warning line the CLI prints.
CLI_WORDING: tuple[tuple[str, str], ...] = (
    (r"pass clean\(salt=\.\.\.\)",
     f"set the {SALT_ENV} environment variable (or pass --salt SECRET)"),
    (r"clean\(salt=\.\.\.\)", f"a salt ({SALT_ENV} or --salt)"),
    (r"\s*\(clean\(duplicates=\.\.\.\)\)", ""),
    # SurveyError drops a hint's final dots, so "encoding=..." may reach us as "encoding=.".
    (r"pass the right encoding=(?:\.\.\.)?",
     "pass the right --encoding (or set `encoding:` in survey.yaml)"),
    (r"or encoding='auto'", "or set `encoding: auto` in survey.yaml"),
    (r"raise max_iter, loosen tol", "raise --max-iter, loosen --tol"),
    (r"raise max_iter or loosen tol", "raise --max-iter or loosen --tol"),
    (r"pass a larger timeout", "pass a larger --timeout"),
    (r"pass notebooks_dir= or set", "pass --notebooks DIR or set"),
)
_CLI_WORDING = tuple((re.compile(pattern), text) for pattern, text in CLI_WORDING)


def for_cli(text: str) -> str:
    """``text`` with Python-only advice replaced by the command's options (:data:`CLI_WORDING`)."""
    for pattern, replacement in _CLI_WORDING:
        text = pattern.sub(replacement, text)
    return text


@contextmanager
def _salt_env(salt: str | None) -> Iterator[None]:
    """Put ``--salt`` into ``GREENSURVEY_SALT`` for the run (notebook kernels inherit it)."""
    if salt is None:
        yield
        return
    if not salt.strip():
        raise SurveyError("--salt is empty", hint=f"pass a non-empty secret, or set {SALT_ENV}")
    before = os.environ.get(SALT_ENV)
    os.environ[SALT_ENV] = salt
    try:
        yield
    finally:
        # main() may run inside a longer-lived process (tests, notebooks): leave no trace.
        if before is None:
            os.environ.pop(SALT_ENV, None)
        else:
            os.environ[SALT_ENV] = before


def _env_salt() -> str | None:
    return os.environ.get(SALT_ENV) or None


@contextmanager
def _step(label: str, quiet: bool) -> Iterator[None]:
    """Show a progress bar while a step runs (tqdm hides itself when not a TTY)."""
    if quiet:
        yield
        return
    from tqdm import tqdm

    bar = tqdm(total=1, desc=label, leave=False, disable=None, file=sys.stderr,
               bar_format="{desc}: {elapsed}")
    start = time.perf_counter()
    try:
        yield
    finally:
        bar.update(1)
        bar.close()
        elapsed = time.perf_counter() - start
        if elapsed >= 1.0:
            print(f"  {label}: {elapsed:.1f} s", file=sys.stderr)


def _read_and_clean(args: argparse.Namespace) -> tuple[Any, Any]:
    from .cleaning.cleaner import clean
    from .ingest import read_wave

    with _step("reading export", args.quiet):
        w = read_wave(args.wave, encoding=args.encoding, sheet=getattr(args, "sheet", None),
                      strict=_strict(args))
    with _step("cleaning", args.quiet):
        result = clean(w.data, w.codebook, salt=_env_salt())
    return w, result


def _cmd_clean(args: argparse.Namespace) -> int:
    w, result = _read_and_clean(args)
    src = w.source
    print(f"wave {w.codebook.wave}: {src.n_rows} rows read from {Path(src.file).name} "
          f"({src.platform}, {src.mode} mode, {src.encoding})")
    for note in getattr(src, "notes", []):
        print(f"note: {note}")
    print(result.funnel_text() if hasattr(result, "funnel_text") else result.funnel().to_string(index=False))
    if args.audit:
        out = Path(args.audit)
        out.parent.mkdir(parents=True, exist_ok=True)
        result.audit.to_csv(out, index=False, encoding="utf-8")
        print(f"audit ({len(result.audit)} rows) written to {out}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from .report.build import build_report

    with _step("building report", args.quiet):
        res = build_report(args.wave, output_dir=args.output, language=args.language,
                           timeout=args.timeout, notebooks_dir=args.notebooks,
                           chapters=args.chapters, jobs=args.jobs)
    print(res.summary() if hasattr(res, "summary") else res)
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .report.build import copy_notebooks

    copies = copy_notebooks(args.wave, args.output, force=args.force)
    print(f"{len(copies)} chapter notebooks copied to {copies[0].parent}:")
    for path in copies:
        print(f"  {path.name}")
    print("greensurvey report now uses these copies for this wave; open them as notebooks "
          "with `make lab` (JupyterLab + jupytext)")
    return 0


def _chapters(text: str) -> list[str]:
    """``--chapters 01,03`` -> ``["01", "03"]``."""
    items = [c.strip() for c in text.split(",") if c.strip()]
    if not items:
        raise argparse.ArgumentTypeError("list chapters as numbers or names, e.g. 01,03")
    return items


def _cmd_inspect(args: argparse.Namespace) -> int:
    from .ingest import read_wave

    with _step("reading export", args.quiet):
        w = read_wave(args.path, encoding=args.encoding, sheet=args.sheet, strict=_strict(args))
    src = w.source
    print(f"file      {src.file}\nplatform  {src.platform}\nmode      {src.mode}\n"
          f"encoding  {src.encoding}\nrows      {src.n_rows}\nsha256    {src.sha256}")
    for note in getattr(src, "notes", []):  # how values were interpreted (e.g. 3分12秒 = 192 s)
        print(f"note      {note}")
    for q in w.codebook.questions:
        print(f"  {q.id:<24} {q.type:<13} {q.label.get(args.language)[:60]}")
    return 0


def _cmd_codebook(args: argparse.Namespace) -> int:
    if args.schema:
        from ._codebook_schema import write_schemas

        for path in write_schemas(args.schema):
            print(f"schema written to {path}")
        return 0
    if args.check:
        from ._codebook_check import check_wave

        for line in check_wave(args.check):
            print(line)
        return 0
    if not args.export:
        raise SurveyError("name the export to draft from (or --check WAVE, --schema FOLDER)",
                          hint="greensurvey codebook raw/export.xlsx -o surveys/my-wave/survey.yaml")
    from .ingest import codebook_yaml
    from .ingest.draft import draft_wave

    with _step("drafting codebook", args.quiet):
        wave = Path(args.output).parent.name if args.output else None
        codebook, files = draft_wave(args.export, encoding=args.encoding, wave=wave or None)
        text = codebook_yaml(codebook)
    if args.output:
        from .ingest.layout import lay_out_wave

        for line in lay_out_wave(args.output, codebook, text, files, force=args.force):
            print(line)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_weight(args: argparse.Namespace) -> int:
    from .codebook import load_targets
    from .survey import SurveyDesign
    from .weight.diagnostics import margins_table
    from .weight.targets import weight_to_targets

    w, result = _read_and_clean(args)
    if w.targets is None:
        folder = Path(args.wave) if Path(args.wave).is_dir() else Path(args.wave).parent
        targets = load_targets(folder / w.codebook.weighting.targets)
    else:
        targets = w.targets
    spec = w.codebook.weighting
    # The same path as the report: the codebook's method, margins and trimming.
    with _step("weighting", args.quiet):
        design = weight_to_targets(SurveyDesign(result.data), targets, w.codebook,
                                   max_iter=args.max_iter, tol=args.tol)
    infos = [c.info for c in design.calibrations if getattr(c, "info", None) is not None]
    info = infos[0]
    state = "converged" if info.converged else "NOT converged"
    used = [m for m in targets.margins if not spec.variables or m in spec.variables]
    print(f"{info.method}: {design.n} respondents weighted to {', '.join(used)}: {state} after "
          f"{info.iterations} iteration(s) (largest relative margin error "
          f"{info.max_margin_error:.2e})")
    if len(infos) > 1:
        lo, hi = spec.trim if spec.trim is not None else (None, None)
        print(f"trimmed to [{lo}, {hi}] x the mean weight "
              f"({infos[-1].options.get('trimmed', 0)} weight(s) trimmed)")
    summary = infos[-1].after
    print(f"weights: min {summary['min']:.4g}, max {summary['max']:.4g}, cv {summary['cv']:.3f}, "
          f"max/min {summary['max_min_ratio']:.2f}; Kish deff {summary['deff']:.3f}, "
          f"effective sample size {summary['ess']:.0f}")
    for note in (*targets.scaling_notes(), *(n for i in infos for n in i.notes)):
        print(f"note: {note}")
    if len(infos) > 1:  # achieved margins after trimming, not the raking step's
        margins = {k: v for k, v in targets.as_margins().items() if k in used}
        table = margins_table(design.data, margins, design.weights)
    else:
        table = info.margins
    table = table[["variable", "level", "target_share", "sample_share", "after_share"]]
    pct = table.assign(**{c: (table[c] * 100).map("{:.2f}%".format)
                          for c in ("target_share", "sample_share", "after_share")})
    print(pct.rename(columns={"target_share": "population", "sample_share": "sample (unweighted)",
                              "after_share": "weighted"}).to_string(index=False))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from .pipeline import prepare_wave
    from .report.microdata import FORMATS, export_microdata

    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() if args.output else "csv")
    if fmt not in FORMATS:
        raise SurveyError(f"cannot tell the format from {args.output!r}",
                          hint=f"pass --format, one of {', '.join(FORMATS)}")
    with _step("preparing wave", args.quiet):
        wave = prepare_wave(args.wave)
    out = Path(args.output) if args.output else Path(f"{wave.codebook.wave}.{fmt}")
    if out.exists() and not args.force:
        raise SurveyError(f"{out} exists", file=out, hint="pass --force to overwrite it")
    with _step("writing microdata", args.quiet):
        res = export_microdata(wave, out, fmt, replicates=args.replicates, seed=args.seed,
                               replicate_type=args.replicate_type,
                               language=args.language or wave.codebook.language)
    reps = (f", {res.replicates['n']} {res.replicates['type']} replicate weights"
            if res.replicates else "")
    print(f"{res.n_rows} respondents x {len(res.columns)} columns (weight{reps}) written to "
          f"{res.path} ({res.format})")
    if res.dropped:
        print(f"left out: {', '.join(res.dropped)}")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth.demo import write_wave

    with _step("generating", args.quiet):
        paths = write_wave(args.wave)
    print(f"synthetic wave written: {paths}")
    return 0


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    print(f"greensurvey: warning: {for_cli(str(message))}", file=sys.stderr)


def _encoding(value: str) -> str:
    if value != "auto":
        try:
            codecs.lookup(value)
        except LookupError:
            raise argparse.ArgumentTypeError(
                f"unknown encoding {value!r}: use a Python codec name such as utf-8 or "
                "gb18030, or auto") from None
    return value


def _add_sheet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sheet", metavar="NAME", default=None,
                   help="Excel export: the sheet holding the responses (name or 1-based "
                        "number); default: the first sheet with data")


def _add_strict(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true",
                   help="refuse the export if it holds anything wrong that is otherwise "
                        "loaded with a warning (undefined codes, routing contradictions, "
                        "unreadable metadata, ...); default: the codebook's `strict:`")


def _strict(args: argparse.Namespace) -> bool | None:
    """``True`` with ``--strict``; None lets the codebook's ``strict:`` decide."""
    return True if getattr(args, "strict", False) else None


def _add_encoding(p: argparse.ArgumentParser) -> None:
    p.add_argument("--encoding", type=_encoding, default="auto", metavar="CODEC",
                   help="text encoding of a CSV/TSV export (e.g. gb18030); default: "
                        "survey.yaml's `encoding:`, else detected")


def _add_salt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--salt", metavar="SECRET",
                   help=f"secret for the salted hashes of respondent ids, IP addresses and "
                        f"personal columns; prefer the {SALT_ENV} environment variable (a "
                        f"command-line value shows in the process list and shell history)")


_EPILOG = f"""\
environment:
  {SALT_ENV}    secret for salted hashes (respondent ids that look like personal
                      data, IP addresses, personal columns marked `hash`); --salt
                      overrides it for one run. Without it the IP hash uses a salt
                      kept in <wave>/interim/.salt, and cleaning stops when
                      respondent ids look like personal data.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests).

    Returns
    -------
    argparse.ArgumentParser
        The ``greensurvey`` parser with its subcommands.
    """
    p = argparse.ArgumentParser(
        prog="greensurvey",
        description="Reproducible, design-based analysis of green-consumption surveys.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"greensurvey {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("clean", help="ingest and clean a wave, print the exclusion funnel")
    c.add_argument("wave", help="wave folder (with survey.yaml and raw/), survey.yaml, or export")
    c.add_argument("--audit", metavar="CSV", help="also write the audit table to this CSV")
    _add_salt(c)
    _add_encoding(c)
    _add_sheet(c)
    _add_strict(c)
    c.set_defaults(func=_cmd_clean)

    r = sub.add_parser("report", help="execute the notebooks and render the HTML report")
    r.add_argument("wave")
    r.add_argument("--language", choices=["zh", "en"], default="zh",
                   help="default language of the report (index.html, findings labels); both "
                        "languages are built, with a switch on every page")
    r.add_argument("--output", metavar="DIR", help="default: reports/<wave>/")
    r.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    r.add_argument("--notebooks", metavar="DIR",
                   help="folder of the NN-*.py notebooks; default: the wave's own notebooks/ "
                        "(see `greensurvey notebooks`), else $GREENSURVEY_NOTEBOOKS, else the "
                        "package's")
    r.add_argument("--chapters", type=_chapters, metavar="LIST",
                   help="build only these chapters, by number or name (e.g. 01,03); the "
                        "others are listed as not run")
    r.add_argument("--jobs", type=int, metavar="N",
                   help="chapters run at once (default: one per core); outputs do not depend on it")
    _add_salt(r)
    r.set_defaults(func=_cmd_report)

    nb = sub.add_parser("notebooks", help="copy the chapter notebooks into a wave for editing",
                        description="Copy the report's chapter notebooks (jupytext .py) into "
                                    "<wave>/notebooks/; `greensurvey report` then uses the "
                                    "wave's copies instead of the package's.")
    nb.add_argument("wave")
    nb.add_argument("-o", "--output", metavar="DIR", help="default: <wave>/notebooks/")
    nb.add_argument("--force", action="store_true", help="overwrite notebooks already there")
    nb.set_defaults(func=_cmd_notebooks)

    i = sub.add_parser("inspect", help="detect platform, mode and encoding of an export")
    i.add_argument("path")
    i.add_argument("--language", choices=["zh", "en"], default="zh")
    _add_encoding(i)
    _add_sheet(i)
    _add_strict(i)
    i.set_defaults(func=_cmd_inspect)

    d = sub.add_parser("codebook", help="draft a survey.yaml from a raw export, or check one")
    d.add_argument("export", nargs="?", help="the raw export to draft from")
    d.add_argument("-o", "--output", metavar="YAML",
                   help="write the draft here, creating its folder with raw/ (a copy of the "
                        "export) and a commented targets template; default: standard output")
    d.add_argument("--force", action="store_true", help="overwrite an existing survey.yaml")
    d.add_argument("--check", metavar="WAVE",
                   help="validate the wave's survey.yaml and targets.yaml without reading data")
    d.add_argument("--schema", metavar="FOLDER",
                   help="write the JSON Schemas of survey.yaml and targets.yaml into FOLDER "
                        "(docs/ in the project)")
    _add_encoding(d)
    d.set_defaults(func=_cmd_codebook)

    w = sub.add_parser("weight", help="clean and rake a wave to its targets, print diagnostics")
    w.add_argument("wave")
    w.add_argument("--max-iter", type=int, default=50, help="raking iterations (default 50)")
    w.add_argument("--tol", type=float, default=1e-7,
                   help="raking tolerance: largest relative margin error (default 1e-7)")
    _add_salt(w)
    _add_encoding(w)
    w.set_defaults(func=_cmd_weight)

    e = sub.add_parser("export", help="write the cleaned respondent-level data with final "
                                      "weights and labels (csv, parquet, sav, dta, xlsx)")
    e.add_argument("wave")
    e.add_argument("--format", choices=["csv", "parquet", "sav", "dta", "xlsx"],
                   help="default: from the suffix of -o, else csv")
    e.add_argument("-o", "--output", metavar="FILE", help="default: ./<wave id>.<format>")
    e.add_argument("--replicates", type=int, metavar="N",
                   help="add N replicate weights repw_1..repw_N (weighting redone in each)")
    e.add_argument("--replicate-type", choices=["bootstrap", "JK1"],
                   help="default bootstrap; JK1 has one replicate per respondent")
    e.add_argument("--seed", type=int, metavar="S", help="seed of the bootstrap replicates")
    e.add_argument("--language", choices=["zh", "en"],
                   help="language of variable and value labels; default: survey.yaml's")
    e.add_argument("--force", action="store_true", help="overwrite FILE")
    _add_salt(e)
    e.set_defaults(func=_cmd_export)

    s = sub.add_parser("synth", help="regenerate the synthetic demo wave")
    s.add_argument("wave", nargs="?", default="surveys/demo-2022")
    s.set_defaults(func=_cmd_synth)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``greensurvey`` command; returns the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit code: the subcommand's (0 on success), 2 on a user error, 1 on an
        internal error, 130 when interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    if not args.debug:
        # One line per warning, like errors; the source line is noise for users.
        warnings.showwarning = _show_warning
    try:
        with _salt_env(getattr(args, "salt", None)):
            return func(args)
    except SurveyError as exc:
        if args.debug:
            raise
        print(f"greensurvey: error: {for_cli(str(exc))}", file=sys.stderr)
        return 2
    except (OSError, UnicodeError) as exc:
        if args.debug:
            raise
        print(f"greensurvey: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("greensurvey: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, not a traceback
        if args.debug:
            raise
        print(f"greensurvey: internal error: {type(exc).__name__}: {exc} "
              "(rerun with --debug for the traceback and report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
