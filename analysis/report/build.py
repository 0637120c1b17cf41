"""Execute the report notebooks and render them into a self-contained HTML report.

``build_report("surveys/demo-2022")`` runs every ``notebooks/NN-*.py``
(jupytext ``py:percent``) in a fresh kernel of the current interpreter with
the wave's parameters injected after the cell tagged ``parameters``
(papermill-style), fails loudly on the first error (naming the notebook, the
cell and the exception), renders each executed notebook to HTML with the code
hidden and images embedded, writes ``index.html`` linking every chapter,
merges the chapters' findings into ``findings.{json,csv,xlsx}`` and finally
scans every output for personal data and respondent ids::

    reports/<wave>/
        index.html, 01-data-cleaning.html, ...   one page per chapter
        findings.json, findings.csv, findings.xlsx
        figures/*.png, figures/*.svg
        findings/<chapter>.json                  per-notebook fragments

Inside a notebook, :func:`open_chapter` gives the chapter's
:class:`~analysis.report.findings.Findings` collector, the codebook and the
prepared (cleaned and weighted) wave, so notebooks hold only calls and prose.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ReportError
from ..pipeline import wave_folder
from .chapter import default_output_dir
from .i18n import check_language, pick, t

if TYPE_CHECKING:
    import nbformat


__all__ = [
    "ReportResult",
    "build_report",
    "find_notebooks",
    "inject_parameters",
    "execute_notebook",
]

_NOTEBOOK = re.compile(r"^\d{2}-[A-Za-z0-9_\-]+\.py$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_GLYPH = re.compile(r"Glyph \d+ .*missing from (current )?font")
# Generated items removed before a rebuild, so nothing stale survives; other files are kept.
_GENERATED = ("findings", "figures", "findings.json", "findings.csv", "findings.xlsx", "index.html")

@dataclass
class ReportResult:
    """What :func:`build_report` wrote and how long each step took.

    Attributes
    ----------
    output_dir : Path
    index : Path
        ``index.html``.
    pages : list of Path
        One HTML page per chapter, in order.
    findings : dict
        ``{"json", "csv", "xlsx"}`` -> path.
    figures : list of Path
    timings : dict
        Seconds per notebook, plus ``"merge"``, ``"scan"`` and ``"total"``.
    """

    output_dir: Path
    index: Path
    pages: list[Path]
    findings: dict[str, Path]
    figures: list[Path]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def paths(self) -> list[Path]:
        """Every file written."""
        return [self.index, *self.pages, *self.findings.values(), *self.figures]

    def summary(self) -> str:
        """A few lines for the console."""
        lines = [f"report written to {self.output_dir} ({len(self.pages)} chapters, "
                 f"{len(self.figures)} figure files) in {self.timings.get('total', 0.0):.1f} s"]
        lines += [f"  {name:<28} {sec:6.1f} s" for name, sec in self.timings.items() if name != "total"]
        lines.append(f"  open {self.index}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------ paths

def find_notebooks(notebooks_dir: str | Path | None = None, wave: str | Path | None = None,
                   chapters: Sequence[str] | None = None) -> list[Path]:
    """The report notebooks ``NN-*.py`` in order.

    The folder is ``notebooks_dir`` if given, else ``$GREENSURVEY_NOTEBOOKS``,
    else ``notebooks/`` next to the wave's ``surveys/`` folder, else
    ``./notebooks``.  ``chapters`` keeps only notebooks whose stem or number
    prefix is listed (``["03", "06-second-hand"]``).
    """
    if notebooks_dir is not None:
        folder = Path(notebooks_dir)
    elif os.environ.get("GREENSURVEY_NOTEBOOKS"):
        folder = Path(os.environ["GREENSURVEY_NOTEBOOKS"])
    elif wave is not None and (Path(wave).resolve().parent.parent / "notebooks").is_dir():
        folder = Path(wave).resolve().parent.parent / "notebooks"
    else:
        folder = Path.cwd() / "notebooks"
    if not folder.is_dir():
        raise ReportError("notebooks folder not found", file=folder,
                          hint="pass notebooks_dir= or set GREENSURVEY_NOTEBOOKS")
    found = sorted(p for p in folder.iterdir() if _NOTEBOOK.match(p.name))
    if chapters is not None:
        wanted = set(chapters)
        found = [p for p in found if p.stem in wanted or p.stem[:2] in wanted]
        missing = wanted - {p.stem for p in found} - {p.stem[:2] for p in found}
        if missing:
            raise ReportError(f"no notebook for chapter(s) {sorted(missing)}", file=folder,
                              hint=f"chapters are {[p.stem for p in sorted(folder.glob('[0-9][0-9]-*.py'))]}")
    if not found:
        raise ReportError("no notebooks named NN-<topic>.py", file=folder,
                          hint="add jupytext py:percent notebooks such as 01-data-cleaning.py")
    return found


# ------------------------------------------------------------------------ execution

def _read(path: Path) -> nbformat.NotebookNode:
    import jupytext

    try:
        return jupytext.read(path, fmt="py:percent")
    except Exception as exc:  # jupytext raises assorted errors on malformed text
        raise ReportError(f"cannot read notebook: {exc}", file=path,
                          hint="notebooks are jupytext py:percent files ('# %%' cell markers)") from None


def inject_parameters(nb: nbformat.NotebookNode, parameters: dict[str, Any],
                      path: str | Path = "<notebook>") -> nbformat.NotebookNode:
    """Insert a cell tagged ``injected-parameters`` after the cell tagged ``parameters``.

    Raises
    ------
    ReportError
        The notebook has no cell tagged ``parameters``.
    """
    import nbformat

    index = next((i for i, c in enumerate(nb.cells)
                  if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise ReportError("notebook has no cell tagged 'parameters'", file=path,
                          hint='mark the first code cell with  # %% tags=["parameters"]')
    source = "# Parameters injected by analysis.report.build_report\n" + "\n".join(
        f"{k} = {v!r}" for k, v in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(index + 1, cell)
    return nb


def _cell_lines(path: Path) -> list[int]:
    """1-based line of each ``# %%`` marker, to point errors at the .py file."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [i for i, line in enumerate(lines, start=1) if line.startswith("# %%")]


def _error_text(cell: Any, exc: BaseException) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {_ANSI.sub('', str(out.get('evalue')))}".strip()
    return f"{type(exc).__name__}: {_ANSI.sub('', str(exc)).strip().splitlines()[-1:] or ''}"


def _cell_error(nb: nbformat.NotebookNode, path: Path, index: int, exc: BaseException,
                timeout: int) -> ReportError:
    """The error naming the notebook, the cell (as numbered in the .py file) and its line."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    cell = nb.cells[index] if index < len(nb.cells) else {}
    injected = [j for j, c in enumerate(nb.cells)
                if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    number = index - sum(1 for j in injected if j < index)
    markers = _cell_lines(path)
    line = markers[number] if len(markers) == len(nb.cells) - len(injected) else None
    if isinstance(exc, CellTimeoutError):
        what, hint = f"timed out after {timeout} s", "make the cell faster or pass a larger timeout"
    elif isinstance(exc, DeadKernelError):
        what, hint = "killed the kernel (out of memory?)", "check the memory use of the cell"
    else:
        what = f"raised {_error_text(cell, exc)}"
        hint = f"run the notebook interactively (jupytext --to ipynb {path.name}) to debug"
    return ReportError(f"notebook {path.name}, cell {number + 1} {what}", file=path, line=line,
                       hint=hint)


def execute_notebook(nb: nbformat.NotebookNode, path: str | Path, *, timeout: int = 600,
                     kernel_name: str = "python3", cwd: str | Path | None = None,
                     first_cell: int = 0) -> nbformat.NotebookNode:
    """Run ``nb`` top to bottom in a fresh kernel; raise on the first failing cell.

    The ``python3`` kernel runs the interpreter of the current process
    (jupyter_client substitutes ``sys.executable`` for ``python``), so the
    notebook sees the same installed ``analysis``.

    Parameters
    ----------
    nb : NotebookNode
    path : str or Path
        The notebook file (for messages).
    timeout : int
        Seconds allowed per cell.
    kernel_name : str
    cwd : str or Path, optional
        Working directory of the kernel (default: the notebook's folder).
    first_cell : int
        Cells before this index are not counted in messages (none by default).

    Raises
    ------
    ReportError
        Naming the notebook, the cell number (as in the .py file, the
        injected parameters cell not counted), its line and the exception;
        also when a chart drew Chinese text without a CJK font.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )

    path = Path(path)
    current = {"index": 0}

    def _on_start(cell: Any, cell_index: int) -> None:  # nbclient hook: remember where we are
        current["index"] = cell_index

    # log_level=ERROR: ipykernel's start-up chatter (e.g. the local-TCP notice) is not ours to show.
    client = NotebookClient(nb, timeout=timeout, startup_timeout=120, kernel_name=kernel_name,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            allow_errors=False, record_timing=False,
                            resources={"metadata": {"path": str(cwd or path.parent)}},
                            on_cell_start=_on_start)
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        raise _cell_error(nb, path, current["index"], exc, timeout) from None
    except RuntimeError as exc:  # nbclient raises RuntimeError when the kernel does not start
        raise ReportError(f"notebook {path.name}: kernel {kernel_name!r} failed to start: {exc}",
                          file=path, hint="check that ipykernel is installed in this environment "
                                          "(python -m ipykernel install --sys-prefix)") from None
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and _GLYPH.search(out.get("text", "")):
                raise ReportError(f"notebook {path.name}, cell {i + 1} drew text with glyphs "
                                  "missing from the font (tofu boxes)", file=path,
                                  hint="install fonts-noto-cjk (make sysdeps) and draw charts "
                                       "with analysis.plots, which sets the CJK font up")
    return nb


# ---------------------------------------------------------------------- in notebooks

def _respondent_ids(folder: Path) -> list[str]:
    """Respondent ids and IP hashes of the raw export, for the output scan."""
    if not (folder / "raw").is_dir():
        return []
    from ..ingest import read_wave

    data = read_wave(folder).data
    ids: list[str] = []
    for col in ("respondent_id", "ip_hash"):
        if col in data.columns:
            ids += [str(v) for v in data[col].dropna().unique()]
    return ids


def build_report(wave: str | Path, output_dir: str | Path | None = None, language: str = "zh",
                 timeout: int = 600, chapters: Sequence[str] | None = None, *,
                 notebooks_dir: str | Path | None = None, kernel_name: str = "python3",
                 respondent_ids: Sequence[Any] | None = None) -> ReportResult:
    """Execute the report notebooks for a wave and write ``reports/<wave>/``.

    Parameters
    ----------
    wave : str or Path
        Wave folder holding ``survey.yaml`` (e.g. ``surveys/demo-2022``).
    output_dir : str or Path, optional
        Default :func:`default_output_dir` (``reports/<wave>``).
    language : {"zh", "en"}
        Language of labels, headings and prose.
    timeout : int
        Seconds allowed per notebook cell.
    chapters : sequence of str, optional
        Build only these chapters (stems or ``NN`` prefixes).
    notebooks_dir : str or Path, optional
        Folder of the notebooks (see :func:`find_notebooks`).
    kernel_name : str
        Jupyter kernel (``python3`` runs the current interpreter).
    respondent_ids : sequence, optional
        Ids that must not appear in outputs (default: read from the wave's
        raw export when it has one).

    Returns
    -------
    ReportResult

    Raises
    ------
    ReportError
        A notebook failed (notebook, cell and exception named), findings
        could not be merged, or an output holds personal data.
    """
    from ..codebook import load_codebook
    from .export import (
        banner_html,
        chapter_title,
        export_findings,
        footer_html,
        git_commit,
        index_html,
        merge_findings,
        nav_html,
        render_chapter,
        scan_outputs,
    )

    start = time.perf_counter()
    check_language(language)
    folder = wave_folder(wave)
    codebook = load_codebook(folder)
    out = Path(output_dir).resolve() if output_dir else default_output_dir(folder)
    notebooks = find_notebooks(notebooks_dir, folder, chapters)
    out.mkdir(parents=True, exist_ok=True)
    for name in _GENERATED:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.is_file():
            target.unlink()
    for stale in out.glob("[0-9][0-9]-*.html"):
        stale.unlink()
    stems = [p.stem for p in notebooks]
    commit = git_commit(notebooks[0].parent)
    footer = footer_html(codebook.wave, language, commit)
    timings: dict[str, float] = {}
    pages: list[Path] = []
    params = {"wave": str(folder), "language": language, "output_dir": str(out)}
    for i, path in enumerate(notebooks):
        t0 = time.perf_counter()
        nb = inject_parameters(_read(path), params, path)
        execute_notebook(nb, path, timeout=timeout, kernel_name=kernel_name)
        header = banner_html(codebook.synthetic, language) + nav_html(stems, i, language)
        page = out / f"{path.stem}.html"
        page.write_text(render_chapter(nb, title=chapter_title(path.stem, language), language=language,
                                       header=header, footer=footer), encoding="utf-8")
        pages.append(page)
        timings[path.stem] = time.perf_counter() - t0
    t0 = time.perf_counter()
    fs = merge_findings(out, wave=codebook.wave, title=codebook.title, synthetic=codebook.synthetic,
                        language=language, disclosure=codebook.disclosure, chapters=stems)
    written = export_findings(fs, out)
    title = t("report.title", language, title=pick(codebook.title, language))
    index = out / "index.html"
    index.write_text(index_html(title=title, language=language, stems=stems, headlines=fs.headlines,
                                 synthetic=codebook.synthetic, footer=footer,
                                 downloads=[p.name for p in written.values()]), encoding="utf-8")
    timings["merge"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ids = list(respondent_ids) if respondent_ids is not None else _respondent_ids(folder)
    scan_outputs(out, respondent_ids=ids)
    timings["scan"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - start
    figures = sorted((out / "figures").glob("*")) if (out / "figures").is_dir() else []
    return ReportResult(out, index, pages, written, figures, timings)
