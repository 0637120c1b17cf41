"""Execute the report notebooks and render them into a self-contained, bilingual HTML report.

``build_report("surveys/demo-2022")`` runs every chapter notebook ``NN-*.py``
(jupytext ``py:percent``) with the wave's parameters injected after the cell
tagged ``parameters`` (papermill-style), once per language, renders each
executed notebook to HTML (code hidden, images embedded), writes the contents
pages, merges the chapters' findings into ``findings.{json,csv,xlsx}`` and
finally scans every output for personal data and respondent ids::

    reports/<wave>/
        index.html, 01-data-cleaning.html, ...          default language (--language)
        index.en.html, 01-data-cleaning.en.html, ...    the other language (switch on every page)
        findings.json, findings.csv, findings.xlsx      one set, labels in the default language
        figures/*.png, figures/*.svg
        findings/<chapter>.json                         per-notebook fragments

How a build runs, and why:

* **Which notebooks.** The wave's own ``<wave>/notebooks/`` when it has
  chapters (``greensurvey notebooks <wave>`` copies them there for editing),
  else the package's (:func:`find_notebooks`).  The chapter plan
  (:mod:`analysis.report.plan`) says which chapters the codebook supports; the
  others are not executed and the contents page lists them as "not run" with
  the reason and the ``survey.yaml`` lines that would make them run.
* **Prepared once.** The kernels share a prepared-wave cache
  (:func:`analysis.pipeline.prepare_wave`, keyed by the input hashes and the
  package version) in the build folder: the first chapter reads, cleans and
  weights the wave, the others load the result.  Language-free results of a
  chapter (banner letters, topline estimates, the Van Westendorp block) are
  computed by its first pass and read by the other (:mod:`.memo`).
* **Kernels first.** The kernels are started before anything else (the
  package root and this module import nothing heavy) and import what the
  chapters import while the build plans its work
  (:class:`~analysis.report.kernels.KernelPool`).
* **In parallel.** ``jobs`` kernels (default: one per core, at most one per
  chapter) take language passes from a queue: every chapter in the default
  language first, then the other language's passes, longest first as
  measured by the first, so the kernels finish together.  Pages are rendered
  (and scanned) in this process as passes finish, while the kernels run on;
  the findings files and contents pages are written as soon as the default
  language's last pass is done.  After every pass a kernel
  clears its namespace, warning registry, working folder, environment and
  matplotlib state, so a page does not depend on which kernel ran it or what
  ran before: a parallel build is byte-identical to ``jobs=1``.  Reusing
  kernels is what makes it fast: starting a kernel and importing the
  scientific stack costs more than most chapters.
* **Figures drawn once.** The other language's pass writes its figures as PNG
  only (they are embedded in its pages; its files are not published), not
  the SVG, which costs more to draw than the PNG.
* **Atomic.** Everything is written to a temporary folder next to the output
  and moved into place only when every chapter ran and the PII scan passed; a
  failed build leaves the previous report (or nothing) and names the notebook,
  the cell and the exception.

Inside a notebook, :func:`open_chapter` gives the chapter's
:class:`~analysis.report.findings.Findings` collector, the codebook and the
prepared (cleaned and weighted) wave, so notebooks hold only calls and prose.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ReportError
from ..pipeline import WAVE_CACHE_ENV, cached_respondent_ids, wave_folder
from .i18n import LANGUAGES, check_language, pick, t
from .kernels import (
    ChapterJob,
    KernelPool,
    default_jobs,
    execute_notebook,
    inject_parameters,
    read_notebook,
)
from .paths import FIGURE_FORMATS_ENV, default_output_dir

if TYPE_CHECKING:
    from .pages import ChapterEntry


__all__ = [
    "ReportResult",
    "build_report",
    "copy_notebooks",
    "find_notebooks",
    "inject_parameters",
    "execute_notebook",
    "notebooks_folder",
    "package_notebooks",
]

_NOTEBOOK = re.compile(r"^\d{2}-[A-Za-z0-9_\-]+\.py$")
# What a build writes; a rebuild replaces these and carries any other file of the folder over.
_GENERATED = re.compile(r"^(findings|figures|findings\.(json|csv|xlsx)|index(\.[a-z]{2})?\.html|"
                        r"\d{2}-[A-Za-z0-9_\-]+(\.[a-z]{2})?\.html)$")


@dataclass
class ReportResult:
    """What :func:`build_report` wrote and how long each step took.

    Attributes
    ----------
    output_dir : Path
    index : Path
        ``index.html`` (default language).
    pages : list of Path
        One HTML page per chapter built, in order, in the default language.
    findings : dict
        ``{"json", "csv", "xlsx"}`` -> path.
    figures : list of Path
    timings : dict
        Seconds per chapter (both languages), plus ``"merge"`` (findings
        files and contents pages), ``"scan"`` (the PII scan, file by file as
        written, and the final check) and ``"total"``.
    language : str
        The default language.
    translations : dict
        ``{language: [index, pages...]}`` for the other language.
    chapters : list of ChapterEntry
        Every chapter of the contents page, with ``runs`` and the reason.
    """

    output_dir: Path
    index: Path
    pages: list[Path]
    findings: dict[str, Path]
    figures: list[Path]
    timings: dict[str, float] = field(default_factory=dict)
    language: str = "zh"
    translations: dict[str, list[Path]] = field(default_factory=dict)
    chapters: list[ChapterEntry] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        """Every file written."""
        other = [p for paths in self.translations.values() for p in paths]
        return [self.index, *self.pages, *other, *self.findings.values(), *self.figures]

    @property
    def not_run(self) -> list[ChapterEntry]:
        """The chapters listed as not run."""
        return [c for c in self.chapters if not c.runs]

    def summary(self) -> str:
        """Summarise the build in a few lines for the console.

        Returns
        -------
        str
            Output folder, chapter, language and figure counts, seconds per step,
            chapters not run with their reason, and the index page to open.
        """
        lines = [f"report written to {self.output_dir} ({len(self.pages)} chapters in "
                 f"{len(LANGUAGES)} languages, {len(self.figures)} figure files) in "
                 f"{self.timings.get('total', 0.0):.1f} s"]
        lines += [f"  {name:<28} {sec:6.1f} s" for name, sec in self.timings.items() if name != "total"]
        for c in self.not_run:
            lines.append(f"  {c.chapter:<28} {pick(c.reason, 'en') if c.reason else 'not run'}")
        lines.append(f"  open {self.index}")
        return "\n".join(lines)


# ------------------------------------------------------------------------------ paths

def package_notebooks() -> Path | None:
    """Find the chapter notebooks that come with the package, or None.

    From a checkout (or an editable install) they are ``notebooks/`` at the
    repository root; an installed wheel puts them in
    ``<prefix>/share/greensurvey/notebooks``.

    Returns
    -------
    pathlib.Path or None
        The first of the two folders that holds ``NN-*.py`` notebooks.
    """
    here = Path(__file__).resolve()
    for folder in (here.parents[2] / "notebooks",
                   Path(sys.prefix) / "share" / "greensurvey" / "notebooks"):
        if folder.is_dir() and any(_NOTEBOOK.match(p.name) for p in folder.iterdir()):
            return folder
    return None


def _has_chapters(folder: Path) -> bool:
    return folder.is_dir() and any(_NOTEBOOK.match(p.name) for p in folder.iterdir())


def notebooks_folder(notebooks_dir: str | Path | None = None,
                     wave: str | Path | None = None) -> Path:
    """The folder of chapter notebooks a build uses.

    In order: ``notebooks_dir`` if given; the wave's own ``<wave>/notebooks/``
    when it holds chapters (see :func:`copy_notebooks`);
    ``$GREENSURVEY_NOTEBOOKS``; ``notebooks/`` next to the wave's ``surveys/``
    folder; the package's (:func:`package_notebooks`); ``./notebooks``.

    Parameters
    ----------
    notebooks_dir : str or Path, optional
        An explicit folder.
    wave : str or Path, optional
        The wave folder.

    Returns
    -------
    Path
        The folder (which may not exist if nothing was found).
    """
    if notebooks_dir is not None:
        return Path(notebooks_dir)
    if wave is not None and _has_chapters(Path(wave) / "notebooks"):
        return Path(wave).resolve() / "notebooks"
    if os.environ.get("GREENSURVEY_NOTEBOOKS"):
        return Path(os.environ["GREENSURVEY_NOTEBOOKS"])
    if wave is not None and _has_chapters(Path(wave).resolve().parent.parent / "notebooks"):
        return Path(wave).resolve().parent.parent / "notebooks"
    return package_notebooks() or Path.cwd() / "notebooks"


def _wanted(stem: str, chapters: Sequence[str]) -> bool:
    return stem in chapters or stem[:2] in chapters


def find_notebooks(notebooks_dir: str | Path | None = None, wave: str | Path | None = None,
                   chapters: Sequence[str] | None = None) -> list[Path]:
    """Find the report notebooks ``NN-*.py`` in order.

    Parameters
    ----------
    notebooks_dir : str or Path, optional
        The folder (default: see :func:`notebooks_folder`).
    wave : str or Path, optional
        The wave folder (whose own ``notebooks/`` wins).
    chapters : sequence of str, optional
        Keep only notebooks whose stem or number prefix is listed
        (``["03", "06-second-hand"]``).

    Returns
    -------
    list of pathlib.Path
        The notebooks, sorted by name (so by chapter number).

    Raises
    ------
    ReportError
        No such folder, no notebooks in it, or a listed chapter has none.
    """
    folder = notebooks_folder(notebooks_dir, wave)
    if not folder.is_dir():
        raise ReportError("notebooks folder not found", file=folder,
                          hint="pass notebooks_dir= or set GREENSURVEY_NOTEBOOKS")
    found = sorted(p for p in folder.iterdir() if _NOTEBOOK.match(p.name))
    if chapters is not None:
        wanted = set(chapters)
        found = [p for p in found if _wanted(p.stem, chapters)]
        missing = wanted - {p.stem for p in found} - {p.stem[:2] for p in found}
        if missing:
            raise ReportError(f"no notebook for chapter(s) {sorted(missing)}", file=folder,
                              hint=f"chapters are {[p.stem for p in sorted(folder.glob('[0-9][0-9]-*.py'))]}")
    if not found:
        raise ReportError("no notebooks named NN-<topic>.py", file=folder,
                          hint="add jupytext py:percent notebooks such as 01-data-cleaning.py")
    return found


_WAVE_PARAMETER = re.compile(r"^wave\s*=.*$", re.M)


def copy_notebooks(wave: str | Path, output_dir: str | Path | None = None, *,
                   force: bool = False) -> list[Path]:
    """Copy the package's chapter notebooks into a wave for editing.

    ``greensurvey report`` then uses the wave's own ``<wave>/notebooks/``.
    In the copies the ``wave`` parameter points at the wave (relative to the
    copy), so they also run as they are in JupyterLab (``make lab``).

    Parameters
    ----------
    wave : str or Path
        The wave folder.
    output_dir : str or Path, optional
        Where to copy (default ``<wave>/notebooks``).
    force : bool
        Overwrite notebooks already there (default: refuse, so edits are
        never lost).

    Returns
    -------
    list of Path
        The copies, in chapter order.

    Raises
    ------
    ReportError
        The package's notebooks cannot be found, or a copy would overwrite
        an existing file without ``force``.
    """
    folder = wave_folder(wave)
    source = package_notebooks()
    if source is None:
        raise ReportError("the package's chapter notebooks were not found",
                          hint="reinstall greensurvey, or run from a checkout of the repository")
    dest = Path(output_dir) if output_dir is not None else folder / "notebooks"
    notebooks = sorted(p for p in source.iterdir() if _NOTEBOOK.match(p.name))
    clash = [dest / p.name for p in notebooks if (dest / p.name).exists()]
    if clash and not force:
        raise ReportError(f"{len(clash)} notebook(s) already there, e.g. {clash[0].name}",
                          file=dest, hint="edit them where they are, or pass --force to overwrite")
    dest.mkdir(parents=True, exist_ok=True)
    rel = Path(os.path.relpath(folder, dest.resolve())).as_posix()
    copies = []
    for path in notebooks:
        text = _WAVE_PARAMETER.sub(f"wave = {rel!r}", path.read_text(encoding="utf-8"), count=1)
        (dest / path.name).write_text(text, encoding="utf-8")
        copies.append(dest / path.name)
    return copies


# ---------------------------------------------------------------------- planning

def _plan(codebook: Any, folder: Path, stems: Sequence[str],
          chapters: Sequence[str] | None) -> list[ChapterEntry]:
    """Every chapter of the contents page: the chapter plan's and the notebooks'.

    A notebook the plan does not know runs; a chapter of the plan without a
    notebook, or not selected with ``chapters``, is listed as not run.
    """
    from .pages import ChapterEntry
    from .plan import chapter_plan

    targets_present = (folder / codebook.weighting.targets).is_file()
    planned = {item.chapter: ChapterEntry(item.chapter, dict(item.title), bool(item.runs),
                                          dict(item.reason), item.how_to, dict(item.note))
               for item in chapter_plan(codebook, targets_present)}
    entries = []
    for stem in sorted(set(planned) | set(stems)):
        entry = planned.get(stem, ChapterEntry(stem))
        if entry.runs and stem not in stems:
            entry = ChapterEntry(stem, entry.title, False, {
                "zh": f"未运行：没有笔记本 {stem}.py", "en": f"not run: no notebook {stem}.py"})
        elif entry.runs and chapters is not None and not _wanted(stem, chapters):
            entry = ChapterEntry(stem, entry.title, False, {
                "zh": "未运行：本次构建未选择（--chapters）",
                "en": "not run: not selected in this build (--chapters)"})
        entries.append(entry)
    return entries


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


def _publish(staging: Path, out: Path) -> None:
    """Move the finished build into place; files of the old folder a build does not write stay."""
    if out.exists():
        for item in out.iterdir():
            if not _GENERATED.match(item.name) and not (staging / item.name).exists():
                os.replace(item, staging / item.name)
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
        try:
            os.replace(staging, out)
        except OSError:
            os.replace(old / out.name, out)  # put the previous report back
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out)


# ------------------------------------------------------------------------- the build

_IMPORT = re.compile(r"^(?:import|from)\s+([A-Za-z_][\w.]*)", re.M)
# What every chapter uses whatever it imports: open_chapter's module and the charts' (seaborn
# is imported when the first figure is drawn).
_ALWAYS_PRELOADED = ("analysis.report.chapter", "analysis.report.plots", "seaborn")


def _preload(notebooks: Sequence[Path]) -> list[str]:
    """Modules the kernels import before their first pass: the package's that the notebooks import.

    Only ``analysis`` modules (and :data:`_ALWAYS_PRELOADED`): every kernel
    imports them, whereas another library a single chapter imports is left
    to the kernel that runs it.
    """
    names = dict.fromkeys(_ALWAYS_PRELOADED)
    for path in notebooks:
        try:
            found = _IMPORT.findall(path.read_text(encoding="utf-8"))
        except OSError:  # read again, and reported, when the build reads the notebook
            continue
        names.update(dict.fromkeys(n for n in found if n == "analysis" or n.startswith("analysis.")))
    return list(names)


def _build(pool: KernelPool, folder: Path, out: Path, staging: Path, found: list[Path],
           languages: list[str], chapters: Sequence[str] | None,
           respondent_ids: Sequence[Any] | None,
           ) -> tuple[dict[str, Path], dict[str, float], list[ChapterEntry]]:
    """Everything :func:`build_report` does while its kernels run, into ``staging``.

    The default language's findings files and contents page are written, and
    every file scanned, as soon as that language's last pass is done, while
    the kernels run the other language's passes; what is left when the last
    pass ends is its page, the other contents page (its headline tables in
    its own labels) and a check of the folder.
    """
    from ..codebook import load_codebook
    from .export import export_findings, git_commit, merge_findings
    from .pages import (
        PageRenderer,
        banner_html,
        footer_html,
        index_html,
        index_name,
        nav_html,
        page_name,
    )
    from .scan import OutputScan

    default = languages[0]
    cache = staging / ".cache"
    codebook = load_codebook(folder)
    every = found if chapters is None else find_notebooks(found[0].parent)
    entries = _plan(codebook, folder, [p.stem for p in every], chapters)
    runs = {e.chapter for e in entries if e.runs}
    notebooks = [p for p in found if p.stem in runs]
    stems = [p.stem for p in notebooks]
    commit = git_commit(found[0].parent)
    outputs = {default: staging, languages[1]: staging / f".{languages[1]}"}
    # The other language's pass only shows its figures on its pages (its files are
    # working files, not published): PNG only, no SVG to draw.
    display_only = {languages[1]: {FIGURE_FORMATS_ENV: "png"}}
    work = []
    for path in notebooks:
        nbs = {lang: inject_parameters(read_notebook(path), {"wave": str(folder), "language": lang,
                                                     "output_dir": str(outputs[lang])}, path)
               for lang in languages}
        work.append(ChapterJob(path.stem, path, nbs, env=display_only))
    timings: dict[str, float] = {}
    renderer = PageRenderer()
    footers = {lang: footer_html(codebook.wave, lang, commit) for lang in languages}
    scan = OutputScan()
    scanning = [0.0]
    written: dict[str, Path] = {}
    left = {default: len(work)}

    def _scan(paths: Sequence[Path]) -> None:
        t0 = time.perf_counter()
        for path in paths:
            scan.add(path)
        scanning[0] += time.perf_counter() - t0

    def _merge(lang: str) -> Any:
        """The language's passes' fragments as one findings set."""
        return merge_findings(outputs[lang], wave=codebook.wave, title=codebook.title,
                              synthetic=codebook.synthetic, language=lang,
                              disclosure=codebook.disclosure, chapters=stems)

    def _index(lang: str, headlines: Sequence[Any]) -> Path:
        """A language's contents page, with the headline tables of that language's findings."""
        title = t("report.title", lang, title=pick(codebook.title, lang))
        path = staging / index_name(lang, default)
        path.write_text(index_html(
            title=title, language=lang, entries=entries, headlines=headlines,
            synthetic=codebook.synthetic, footer=footers[lang],
            downloads=[p.name for p in written.values()], default=default), encoding="utf-8")
        return path

    def _finish_default() -> None:
        """The findings files and the default contents page: all they read is that language's."""
        t0 = time.perf_counter()
        fs = _merge(default)
        written.update(export_findings(fs, staging))
        page = _index(default, fs.headlines)
        timings["merge"] = time.perf_counter() - t0
        figures = staging / "figures"
        _scan([*written.values(), page, *(sorted(figures.iterdir()) if figures.is_dir() else [])])

    def _done(job: ChapterJob, lang: str) -> None:
        """Render a finished pass's page (the kernels run on meanwhile) and scan it."""
        i = stems.index(job.stem)
        header = banner_html(codebook.synthetic, lang) + nav_html(stems, i, lang, default)
        title = next(e for e in entries if e.chapter == job.stem).title_in(lang)
        page = staging / page_name(job.stem, lang, default)
        page.write_text(renderer.render(job.notebooks[lang], title=title, language=lang,
                                        header=header, footer=footers[lang]), encoding="utf-8")
        _scan([page])
        if lang == default:
            left[default] -= 1
            if left[default] == 0:
                _finish_default()

    pool.run(work, _done)
    if not work:
        _finish_default()
    # The other language's contents page waits for its passes: its headline tables carry
    # that language's labels (the default's findings hold the default's).
    t0 = time.perf_counter()
    _scan([_index(languages[1], _merge(languages[1]).headlines)])
    timings["merge"] += time.perf_counter() - t0
    # chapter order (whichever kernel finished first), both languages' passes
    timings.update({job.stem: sum(job.seconds.values()) for job in work})
    timings["merge"] = timings.pop("merge")
    t0 = time.perf_counter()
    if respondent_ids is not None:
        ids = [str(i) for i in respondent_ids]
    else:
        cached = cached_respondent_ids(folder, cache) if cache.is_dir() else None
        ids = cached if cached is not None else _respondent_ids(folder)
    # The cache holds respondent-level data and the other language's fragments are
    # working files: neither is published.
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(outputs[languages[1]], ignore_errors=True)
    try:
        scan.check(staging, respondent_ids=ids)
    except ReportError as exc:  # name the page as it would have been published
        name = Path(exc.file).relative_to(staging) if exc.file else None
        raise ReportError(f"{exc.message}; nothing was published",
                          file=out / name if name else None,
                          hint=exc.hint) from None
    timings["scan"] = scanning[0] + time.perf_counter() - t0
    return written, timings, entries


def build_report(wave: str | Path, output_dir: str | Path | None = None, language: str = "zh",
                 timeout: int = 600, chapters: Sequence[str] | None = None, *,
                 notebooks_dir: str | Path | None = None, kernel_name: str = "python3",
                 respondent_ids: Sequence[Any] | None = None, jobs: int | None = None) -> ReportResult:
    """Execute the report notebooks for a wave and write ``reports/<wave>/`` in both languages.

    Parameters
    ----------
    wave : str or Path
        Wave folder holding ``survey.yaml`` (e.g. ``surveys/demo-2022``).
    output_dir : str or Path, optional
        Default :func:`default_output_dir` (``reports/<wave>``).
    language : {"zh", "en"}
        The default language: its pages get the plain names (``index.html``)
        and it labels the findings files; the other language's pages are
        ``*.<language>.html``, one switch away.
    timeout : int
        Seconds allowed per notebook cell.
    chapters : sequence of str, optional
        Build only these chapters (stems or ``NN`` prefixes); the others are
        listed as not run.
    notebooks_dir : str or Path, optional
        Folder of the notebooks (default: see :func:`notebooks_folder`).
    kernel_name : str
        Jupyter kernel (``python3`` runs the current interpreter).
    respondent_ids : sequence, optional
        Ids that must not appear in outputs (default: those of the wave's
        raw export).
    jobs : int, optional
        Kernels running chapters at once (default :func:`default_jobs`: one
        per core, at most one per language pass).  Outputs do not depend on it.

    Returns
    -------
    ReportResult
        The index, pages (both languages), findings files, figures and
        timings of the build.

    Raises
    ------
    ReportError
        A notebook failed (notebook, cell and exception named), findings
        could not be merged, or an output holds personal data.  The previous
        report, if any, is left as it was.
    """
    from .pages import index_name, other_language, page_name

    start = time.perf_counter()
    default = check_language(language)
    languages = [default, other_language(default)]
    folder = wave_folder(wave)
    out = Path(output_dir).resolve() if output_dir else default_output_dir(folder)
    found = find_notebooks(notebooks_dir, folder, chapters)
    n_passes = len(found) * len(languages)
    jobs = default_jobs(n_passes) if jobs is None else max(1, min(int(jobs), n_passes))

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        cache = staging / ".cache"
        # The kernels start first and boot (importing what the chapters import) while this
        # process plans the build: every step below overlaps them.
        with KernelPool(jobs, timeout=timeout, kernel_name=kernel_name, cwd=found[0].parent,
                        env={**os.environ, WAVE_CACHE_ENV: str(cache)},
                        preload=_preload(found)) as pool:
            written, timings, entries = _build(pool, folder, out, staging, found, languages,
                                               chapters, respondent_ids)
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    timings["total"] = time.perf_counter() - start
    stems = [e.chapter for e in entries if e.runs]
    figures = sorted((out / "figures").glob("*")) if (out / "figures").is_dir() else []
    written = {k: out / p.name for k, p in written.items()}
    translations = {lang: [out / index_name(lang, default)] +
                    [out / page_name(s, lang, default) for s in stems] for lang in languages[1:]}
    return ReportResult(out, out / index_name(default, default),
                        [out / page_name(s, default, default) for s in stems], written, figures,
                        timings, default, translations, entries)
