"""Run chapter notebooks in Jupyter kernels: one notebook, or many chapters on a few kernels.

:func:`execute_notebook` runs one notebook top to bottom in a fresh kernel.
:class:`KernelPool` starts ``n`` kernels at once (their event loop in a thread
of its own, so they boot and import the chapters' modules while the caller
prepares the work, and the caller's handling of a finished pass never holds
them up) and runs a report's chapters on them; :func:`run_chapters` is the
same for one list of chapters.  The
unit of work is one language pass of a chapter: every chapter's first
language runs first, in chapter order, then the other passes, the longest
first as measured by the chapter's first pass (and only once it is done: the
other pass reads what it computed), so the kernels finish together.  A kernel clears its namespace, warning registries, working folder,
environment and matplotlib state after every pass (modules stay imported:
starting a kernel and importing the scientific stack costs more than most
chapters), so a pass's outputs do not depend on which kernel ran it or what
ran before.  Errors name the notebook, the cell (as numbered in the ``.py``
file) and its line.  Used by :func:`analysis.report.build.build_report`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ReportError, SurveyError

if TYPE_CHECKING:
    import nbformat

__all__ = ["ChapterJob", "KernelPool", "default_jobs", "execute_notebook", "inject_parameters",
           "read_notebook", "run_chapters"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_GLYPH = re.compile(r"Glyph \d+ .*missing from (current )?font")


# ------------------------------------------------------------------------ execution

def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a jupytext ``py:percent`` notebook.

    Parameters
    ----------
    path : Path
        The ``.py`` file.

    Returns
    -------
    NotebookNode
        The notebook, not executed.

    Raises
    ------
    ReportError
        The file is not a readable notebook.
    """
    import jupytext

    try:
        return jupytext.read(path, fmt="py:percent")
    except Exception as exc:  # jupytext raises assorted errors on malformed text
        raise ReportError(f"cannot read notebook: {exc}", file=path,
                          hint="notebooks are jupytext py:percent files ('# %%' cell markers)") from None


def inject_parameters(nb: nbformat.NotebookNode, parameters: dict[str, Any],
                      path: str | Path = "<notebook>") -> nbformat.NotebookNode:
    """Insert a cell tagged ``injected-parameters`` after the cell tagged ``parameters``.

    Cells are then numbered (``cell-0``, ``cell-1``, ...) instead of
    nbformat's random ids, so the rendered pages are identical across builds.

    Parameters
    ----------
    nb : NotebookNode
        The notebook, changed in place.
    parameters : dict
        Names and values, written as ``name = repr(value)``.
    path : str or Path
        The notebook file (for messages).

    Returns
    -------
    NotebookNode
        ``nb``.

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
    # nbformat gives cells random ids, which the HTML carries: number them, so builds are
    # byte-identical.
    for i, c in enumerate(nb.cells):
        if "id" in c:
            c["id"] = f"cell-{i}"
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


def _error_name(cell: Any) -> str | None:
    return next((out.get("ename") for out in cell.get("outputs", [])
                 if out.get("output_type") == "error"), None)


def _subclass_names(cls: type) -> set[str]:
    names = {cls.__name__}
    subclasses: list[type] = cls.__subclasses__()
    for sub in subclasses:
        names |= _subclass_names(sub)
    return names



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
        if _error_name(cell) in _subclass_names(SurveyError):
            hint = None  # the package's own error already says how to fix the data or codebook
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
        The notebook, with parameters injected; executed in place.
    path : str or Path
        The notebook file (for messages).
    timeout : int
        Seconds allowed per cell.
    kernel_name : str
        Jupyter kernel (``python3`` runs the current interpreter).
    cwd : str or Path, optional
        Working directory of the kernel (default: the notebook's folder).
    first_cell : int
        Cells before this index are not counted in messages (none by default).

    Returns
    -------
    NotebookNode
        ``nb``, with its outputs.

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
    finally:
        atexit.unregister(client._cleanup_kernel)  # see _release
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and _GLYPH.search(out.get("text", "")):
                raise ReportError(f"notebook {path.name}, cell {i + 1} drew text with glyphs "
                                  "missing from the font (tofu boxes)", file=path,
                                  hint="install fonts-noto-cjk (make sysdeps) and draw charts "
                                       "with analysis.plots, which sets the CJK font up")
    return nb


# ------------------------------------------------------------------------ the kernels

# Run once in each kernel before its first pass: remember the state a fresh kernel has
# (warning filters, working folder, environment, matplotlib's settings once pyplot is set up,
# pandas options) in a module that survives the namespace reset between passes.
_KERNEL_SETUP = """\
import os as _os, sys as _sys, types as _types, warnings as _warnings
import matplotlib as _mpl
import matplotlib.pyplot as _plt
_state = _types.ModuleType("_greensurvey_kernel")
_state.filters = list(_warnings.filters)
_state.cwd = _os.getcwd()
_state.environ = dict(_os.environ)
_state.rc = dict(_mpl.rcParams)
import pandas as _pd
def _options(node, prefix=""):
    out = {}
    for name in dir(node):
        value = getattr(node, name)
        key = prefix + name
        out.update(_options(value, key + ".") if type(value) is type(_pd.options) else {key: value})
    return out
with _warnings.catch_warnings():  # reading a deprecated option warns
    _warnings.simplefilter("ignore")
    _state.pandas = _options(_pd.options)
_sys.modules["_greensurvey_kernel"] = _state
del _os, _sys, _types, _warnings, _mpl, _plt, _pd, _options, _state
"""

# Run after every pass: a clean namespace (modules stay imported: that is the speed-up),
# warnings shown again (resetwarnings() bumps the filters' version, which empties every
# module's __warningregistry__ on its next warning), the same folder, environment, matplotlib
# settings and pandas options (a chapter may set display options); what survives is frozen.
_KERNEL_RESET = """\
get_ipython().run_line_magic("reset", "-f")
import os as _os, sys as _sys, warnings as _warnings
import matplotlib as _mpl
import matplotlib.pyplot as _plt
_state = _sys.modules["_greensurvey_kernel"]
_plt.close("all")
_mpl.rcParams.update(_state.rc)
_warnings.resetwarnings()
_warnings.filters[:] = _state.filters
_os.chdir(_state.cwd)
_os.environ.clear()
_os.environ.update(_state.environ)
import pandas as _pd
with _warnings.catch_warnings():  # reading a deprecated option warns
    _warnings.simplefilter("ignore")
    for _k, _v in _state.pandas.items():
        if _pd.get_option(_k) != _v:
            _pd.set_option(_k, _v)
del _os, _sys, _warnings, _mpl, _plt, _pd, _state
import gc as _gc
_gc.freeze()  # see _KERNEL_FREEZE
del _gc
"""

# Run after the set-up and preload (and at the end of every reset): what is alive then lives
# as long as the kernel, so the garbage collector is told to skip it (gc.freeze).  Without it
# every full collection walks the whole scientific stack: the two %reset makes after each pass
# took ~0.18 s, and the collections inside a pass were slower too.  Outputs do not depend on
# when garbage is collected.
_KERNEL_FREEZE = """\
import gc as _gc
_gc.freeze()
del _gc
"""

# Run before a pass that sets environment variables (the reset after it takes them away).
_KERNEL_ENV = """\
import os as _os
_os.environ.update({env!r})
del _os
"""

# Run once after the set-up, while the build still prepares its work: import the modules the
# chapters use (seconds per kernel), after the state above was taken, so the first pass
# starts from the state it had when it imported them itself.  A kernel without them (another
# kernel_name) imports them in its passes, or fails there with the chapter's own error.
_KERNEL_PRELOAD = """\
import importlib as _importlib
for _name in {modules!r}:
    try:
        _importlib.import_module(_name)
    except ImportError:
        pass
del _importlib, _name
"""


@dataclass
class ChapterJob:
    """One chapter: its notebook in each language, the first language's pass run first.

    Attributes
    ----------
    stem : str
        Notebook stem.
    path : Path
        The ``.py`` file (for messages).
    notebooks : dict
        ``{language: NotebookNode}`` with parameters injected; executed in place.
    env : dict
        ``{language: {name: value}}``: environment variables set in the kernel
        for that language's pass only.
    seconds : dict
        Wall time of each language's pass, set as each finishes.
    """

    stem: str
    path: Path
    notebooks: dict[str, nbformat.NotebookNode]
    env: dict[str, dict[str, str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class _Passes:
    """The queue of language passes the kernels take from.

    First every chapter's first language, in chapter order; then the other
    passes of chapters whose first pass is done, the one whose first pass
    took longest first, so that no long pass starts when the other kernels
    are about to run out of work.  A chapter whose first pass still runs
    waits: its other pass reads what the first computes once for both (the
    banner letters, the Van Westendorp block, the topline's estimates) and,
    started alongside it, would compute them again.  Only when every chapter
    left is in that case is the first of them taken.
    """

    def __init__(self, jobs: list[ChapterJob]) -> None:
        self.first: list[tuple[ChapterJob, str]] = []
        self.rest: list[tuple[ChapterJob, str]] = []
        self.add(jobs)

    def add(self, jobs: list[ChapterJob]) -> None:
        self.first += [(job, next(iter(job.notebooks))) for job in jobs if job.notebooks]
        self.rest += [(job, lang) for job in jobs for lang in list(job.notebooks)[1:]]

    def take(self) -> tuple[ChapterJob, str] | None:
        if self.first:
            return self.first.pop(0)
        if not self.rest:
            return None
        ready = [i for i, (job, _) in enumerate(self.rest) if job.seconds]
        if not ready:
            return self.rest.pop(0)
        longest = max(ready, key=lambda i: sum(self.rest[i][0].seconds.values()))  # first of ties
        return self.rest.pop(longest)


def _check_glyphs(nb: nbformat.NotebookNode, path: Path) -> None:
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and _GLYPH.search(out.get("text", "")):
                raise ReportError(f"notebook {path.name}, cell {i + 1} drew text with glyphs "
                                  "missing from the font (tofu boxes)", file=path,
                                  hint="install fonts-noto-cjk (make sysdeps) and draw charts "
                                       "with analysis.plots, which sets the CJK font up")


async def _kernel_worker(passes: _Passes, done: Callable[[ChapterJob, str], None], *, timeout: int,
                         kernel_name: str, cwd: Path, env: dict[str, str],
                         given: asyncio.Event | None = None, preload: Sequence[str] = (),
                         clients: list[Any] | None = None) -> None:
    """One kernel: take passes until none is left, run them, hand each to ``done``.

    With ``given``, the kernel starts (and imports ``preload``) at once and waits
    for that event before taking its first pass.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )

    current = {"index": 0}

    def _on_start(cell: Any, cell_index: int) -> None:  # nbclient hook: remember where we are
        current["index"] = cell_index

    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_KERNEL_SETUP)])
    # log_level=ERROR: ipykernel's start-up chatter (e.g. the local-TCP notice) is not ours to show.
    # shutdown_kernel="immediate": once out of passes the kernel holds nothing to save, and a
    # graceful shutdown kept the build waiting ~0.5 s for the last kernel to exit.
    client = NotebookClient(scratch, timeout=timeout, startup_timeout=120, kernel_name=kernel_name,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            allow_errors=False, record_timing=False, shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(cwd)}}, on_cell_start=_on_start)
    if clients is not None:
        clients.append(client)

    async def _internal(code: str) -> None:
        client.nb = scratch
        cell = nbformat.v4.new_code_cell(code)
        try:
            await client.async_execute_cell(cell, 0, store_history=False)
        except CellExecutionError as exc:  # our own code: a bug, not the analyst's
            raise ReportError(f"the report's kernel set-up failed: {_ANSI.sub('', str(exc))[-400:]}",
                              hint="report this as a bug of greensurvey") from None

    try:
        async with client.async_setup_kernel(env=env):
            assert client.kc is not None  # set up by async_setup_kernel
            reply = await client.async_wait_for_reply(client.kc.kernel_info())
            language_info = (reply or {}).get("content", {}).get("language_info", {})
            await _internal(_KERNEL_SETUP)
            if preload:
                await _internal(_KERNEL_PRELOAD.format(modules=tuple(preload)))
            await _internal(_KERNEL_FREEZE)
            if given is not None:
                await given.wait()
            while (item := passes.take()) is not None:
                job, language = item
                t0 = time.perf_counter()
                if job.env.get(language):
                    await _internal(_KERNEL_ENV.format(env=dict(job.env[language])))
                nb = client.nb = job.notebooks[language]
                for index, cell in enumerate(nb.cells):
                    current["index"] = index
                    try:
                        await client.async_execute_cell(cell, index)
                    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
                        raise _cell_error(nb, job.path, index, exc, timeout) from None
                nb.metadata["language_info"] = language_info
                _check_glyphs(nb, job.path)
                await _internal(_KERNEL_RESET)
                job.seconds[language] = time.perf_counter() - t0
                done(job, language)
    except RuntimeError as exc:  # nbclient raises RuntimeError when the kernel does not start
        raise ReportError(f"kernel {kernel_name!r} failed to start: {exc}",
                          hint="check that ipykernel is installed in this environment "
                               "(python -m ipykernel install --sys-prefix)") from None
    finally:
        await _release(client)


async def _release(client: Any) -> None:
    """Shut ``client``'s kernel down if still up, and drop nbclient's exit hook for it.

    A pass that fails, or a kernel cancelled because another failed, can leave
    nbclient's atexit clean-up registered after the kernel is gone; at exit it
    then printed a traceback (``assert self.km is not None``) under the CLI's
    one-line error.
    """
    atexit.unregister(client._cleanup_kernel)
    if client.km is not None:
        with contextlib.suppress(Exception):
            await client._async_cleanup_kernel()


_CLOSE_TIMEOUT = 60.0  # seconds KernelPool.close waits for its kernels to shut down


class KernelPool:
    """``n`` kernels, started at once in a thread of their own, running the passes given to :meth:`run`.

    The kernels start, and import ``preload``, as soon as the pool is made,
    so a build starts them first and reads its codebook and notebooks (and
    prepares the wave) while they boot.  Their event loop runs in the pool's
    thread and :meth:`run` calls ``done`` in the calling thread: rendering a
    page never holds up the kernels' next cells.  Use it as a context manager;
    leaving the block shuts the kernels down (at once if the block raised).

    Parameters
    ----------
    n : int
        Kernels started.
    timeout : int
        Seconds allowed per cell.
    kernel_name : str
        Jupyter kernel (``python3`` runs the current interpreter).
    cwd : str or Path
        Working folder of the kernels.
    env : dict, optional
        Environment of the kernels (default: this process's).
    preload : sequence of str
        Modules each kernel imports before its first pass.
    """

    def __init__(self, n: int, *, timeout: int = 600, kernel_name: str = "python3",
                 cwd: str | Path = ".", env: dict[str, str] | None = None,
                 preload: Sequence[str] = ()) -> None:
        self.n = max(1, int(n))
        self._kw: dict[str, Any] = {"timeout": timeout, "kernel_name": kernel_name,
                                    "cwd": Path(cwd), "preload": tuple(preload),
                                    "env": dict(os.environ) if env is None else dict(env)}
        self._passes = _Passes([])
        # from the kernels' thread to the caller's: (job, language) per pass, an exception
        # when the kernels failed, None when they all stopped
        self._results: queue.SimpleQueue[tuple[ChapterJob, str] | BaseException | None] = \
            queue.SimpleQueue()
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._given: asyncio.Event | None = None
        self._tasks: list[asyncio.Future[None]] = []
        self._clients: list[Any] = []
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),),
                                        name="greensurvey-kernels", daemon=True)
        self._thread.start()
        try:
            self._started.wait()
        except BaseException:  # interrupted while the kernels start: stop them before leaving
            self.close(abort=True)
            raise

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._given = asyncio.Event()
        self._tasks = [asyncio.ensure_future(_kernel_worker(self._passes, self._finished,
                                                            given=self._given,
                                                            clients=self._clients, **self._kw))
                       for _ in range(self.n)]
        self._started.set()
        try:
            await asyncio.gather(*self._tasks)
        except BaseException as exc:  # the first failure stops the other kernels
            for task in self._tasks:
                task.cancel()
            # Let cancelled kernels shut down before the error is reported.
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._results.put(exc)
        self._results.put(None)

    def _finished(self, job: ChapterJob, language: str) -> None:
        self._results.put((job, language))

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        """Run ``callback(*args)`` in the kernels' thread (nothing if they all stopped)."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                self._loop.call_soon_threadsafe(callback, *args)

    def _give(self, jobs: list[ChapterJob]) -> None:
        self._passes.add(jobs)
        assert self._given is not None
        self._given.set()

    def run(self, jobs: list[ChapterJob], done: Callable[[ChapterJob, str], None]) -> None:
        """Run ``jobs``' passes, calling ``done(job, language)`` here after each.

        Every chapter's first language runs first, in the order of ``jobs``;
        then the other languages' passes, the longest (as measured by the
        chapter's first pass) first.  Call it once per pool.

        Parameters
        ----------
        jobs : list of ChapterJob
            The chapters.
        done : callable
            Called in this thread with the job and language of each finished
            pass, while the kernels run the next ones.

        Raises
        ------
        ReportError
            The first failing cell (notebook, cell, line and exception
            named), or a kernel that did not start; the other kernels are
            stopped.
        """
        expected = sum(len(job.notebooks) for job in jobs)
        self._call(self._give, jobs)
        for _ in range(expected):
            item = self._results.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                raise ReportError("the report's kernels stopped before every chapter ran",
                                  hint="report this as a bug of greensurvey")
            done(*item)

    def close(self, *, abort: bool = False) -> None:
        """Shut the kernels down and wait for their thread.

        Parameters
        ----------
        abort : bool
            Stop passes still running (default: the kernels finish what they
            were given; one given nothing shuts down).
        """
        self._call(self._stop, abort)
        # A kernel that does not stop must not hang the build's exit: its thread is a daemon,
        # and ipykernel exits by itself once this process is gone.
        self._thread.join(timeout=_CLOSE_TIMEOUT)
        if self._thread.is_alive():  # nor may nbclient's exit hook, run from another thread
            for client in list(self._clients):
                atexit.unregister(client._cleanup_kernel)

    def _stop(self, abort: bool) -> None:
        if abort:
            for task in self._tasks:
                task.cancel()
        elif self._given is not None:
            self._given.set()  # a kernel never given work finds none and shuts down

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(abort=exc_type is not None)


def run_chapters(jobs: list[ChapterJob], n: int, done: Callable[[ChapterJob, str], None], *,
                 timeout: int = 600, kernel_name: str = "python3", cwd: str | Path = ".",
                 env: dict[str, str] | None = None) -> None:
    """Run chapters on ``n`` kernels at once, calling ``done(job, language)`` after each pass.

    Every chapter's first language runs first, in the order of ``jobs``; then
    the other languages' passes, the longest (as measured by the chapter's
    first pass) first.  A :class:`KernelPool` started for these jobs only.

    Parameters
    ----------
    jobs : list of ChapterJob
        The chapters, in the order their first passes are taken.
    n : int
        Kernels started (at most one per pass is useful).
    done : callable
        Called in this process with the job and the language of each finished
        pass (that notebook executed), e.g. to render its page while other
        passes still run.
    timeout : int
        Seconds allowed per cell.
    kernel_name : str
        Jupyter kernel (``python3`` runs the current interpreter).
    cwd : str or Path
        Working folder of the kernels.
    env : dict, optional
        Environment of the kernels (default: this process's).

    Raises
    ------
    ReportError
        The first failing cell (notebook, cell, line and exception named);
        the other kernels are stopped.
    """
    passes = sum(len(job.notebooks) for job in jobs)
    with KernelPool(max(1, min(n, passes)), timeout=timeout, kernel_name=kernel_name, cwd=cwd,
                    env=env) as pool:
        pool.run(jobs, done)


def default_jobs(n_passes: int) -> int:
    """Return how many kernels a build runs at once: one per core, at most one per pass.

    Parameters
    ----------
    n_passes : int
        Notebook passes to run (chapters times languages).

    Returns
    -------
    int
        Kernels to start.
    """
    return max(1, min(n_passes, os.cpu_count() or 1))


