"""Run native readers (calamine for Excel, ReadStat for SPSS/Stata) in a worker process.

Damaged binary files can make native readers abort the whole process
("memory allocation of 512 GB failed"), segfault, raise pyo3's
``PanicException`` (a ``BaseException``, so it passes ``except Exception``) or
spin.  On Linux each binary read therefore runs in a forked child with

* an address-space cap (:data:`MEMORY_BUDGET` plus 64 bytes per file byte
  above what the parent already maps), so a runaway allocation fails in the
  child instead of exhausting the machine;
* a time limit (:data:`READ_TIMEOUT_S`);
* its standard error captured, so a native crash message becomes part of
  the typed error instead of a backtrace on the user's terminal.

A crash, a signal, a timeout or any exception in the child becomes a
:class:`Refusal` in the parent, which the caller turns into a typed
:class:`~analysis.errors.FileFormatError`.  The fork costs a few
milliseconds per file; text files (CSV/TSV) never come here.  Elsewhere
than Linux the reader runs in-process, still catching ``BaseException``.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["Refusal", "run_native", "READ_TIMEOUT_S", "MEMORY_BUDGET"]

#: Seconds a native read may take before the worker is killed.
READ_TIMEOUT_S = 300.0
#: Bytes a native read may map beyond the parent's current size (plus 64 per file byte).
MEMORY_BUDGET = 4 << 30


class Refusal(Exception):
    """A native read failed; ``args = (what went wrong, how to fix it or "")``.

    Raised by reader jobs for files they refuse after inspection, and by
    :func:`run_native` for crashes, signals and timeouts.
    """

    @property
    def message(self) -> str:
        """What went wrong."""
        return str(self.args[0])

    @property
    def hint(self) -> str:
        """How to fix it ("" if the job gave no advice)."""
        return str(self.args[1]) if len(self.args) > 1 else ""


def _mapped_bytes() -> int:
    """Virtual memory the current process maps (0 if unknown)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _describe_exception(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _child(conn: Any, err_fd: int, limit: int, job: Callable[..., Any],
           args: tuple[Any, ...]) -> None:  # pragma: no cover - runs in the fork
    os.dup2(err_fd, 2)  # native messages ("memory allocation of ... failed") go to a file
    if limit:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        result = ("ok", job(*args))
    except Refusal as exc:
        result = ("refused", exc.args)
    except MemoryError:
        result = ("crash", "ran out of memory (the file asks for more than the reader may use)")
    except BaseException as exc:  # noqa: BLE001 - PanicException is a BaseException
        result = ("crash", _describe_exception(exc))
    try:
        conn.send(result)
    except BaseException as exc:  # noqa: BLE001 - e.g. MemoryError while pickling
        conn.send(("crash", f"could not hand the table back: {_describe_exception(exc)}"))
    conn.close()


def _native_message(err: Any) -> str:
    """The last meaningful line the native code wrote to standard error."""
    err.seek(0)
    lines = [ln.strip() for ln in err.read().decode("utf-8", "replace").splitlines()]
    lines = [ln for ln in lines if ln and not ln[0].isdigit() and not ln.startswith(
        ("at ", "stack backtrace", "note:"))]
    for ln in lines:
        if "memory allocation" in ln or "panicked" in ln:
            return ln
    return lines[-1] if lines else ""


def run_native(job: Callable[..., Any], *args: Any, size: int = 0,
               timeout: float | None = None) -> Any:
    """Run ``job(*args)`` where a native crash cannot end this process.

    Parameters
    ----------
    job : callable
        A module-level function; its result must pickle.
    *args
        Its arguments.
    size : int, default 0
        Size of the file read, in bytes (raises the memory cap).
    timeout : float, optional
        Seconds before the worker is killed; default :data:`READ_TIMEOUT_S`.

    Returns
    -------
    object
        What ``job`` returned.

    Raises
    ------
    Refusal
        The job refused the file, raised, crashed (signal, abort, out of
        memory) or ran out of time; ``.message`` says which.
    """
    timeout = READ_TIMEOUT_S if timeout is None else timeout
    if not sys.platform.startswith("linux"):
        try:
            return job(*args)
        except Refusal:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - PanicException is a BaseException
            raise Refusal(_describe_exception(exc)) from None
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    limit = _mapped_bytes() + MEMORY_BUDGET + 64 * size
    receive, send = ctx.Pipe(duplex=False)
    with tempfile.TemporaryFile() as err:
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork() in a threaded process; the child runs one job.
            warnings.simplefilter("ignore", DeprecationWarning)
            proc = ctx.Process(target=_child, args=(send, err.fileno(), limit, job, args),
                               daemon=True)
            proc.start()
        send.close()
        try:
            if not receive.poll(timeout):
                proc.kill()
                proc.join()
                raise Refusal(f"the reader did not finish within {timeout:g} s")
            try:
                status, payload = receive.recv()
            except (EOFError, OSError):
                status, payload = "died", None
        finally:
            receive.close()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join()
        if status == "ok":
            return payload
        if status == "refused":
            raise Refusal(*payload)
        if status == "crash":
            native = _native_message(err)
            raise Refusal(payload + (f" ({native})" if native and native not in payload else ""))
        code = proc.exitcode or 0
        name = signal.Signals(-code).name if code < 0 and -code in signal.Signals._value2member_map_ \
            else f"exit code {code}"
        native = _native_message(err)
        what = "crashed" if code < 0 else "stopped"
        raise Refusal(f"the native reader {what} ({name})" + (f": {native}" if native else ""))
