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
import pickle
import select
import signal
import sys
import tempfile
import time
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


def _child(write_fd: int, err_fd: int, limit: int, job: Callable[..., Any],
           args: tuple[Any, ...]) -> None:  # pragma: no cover - runs in the fork
    os.dup2(err_fd, 2)  # native messages ("memory allocation of ... failed") go to a file
    import faulthandler

    faulthandler.disable()  # a crash here is expected and reported; no dump on the terminal
    if limit:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        result: tuple[str, Any] = ("ok", job(*args))
    except Refusal as exc:
        result = ("refused", exc.args)
    except MemoryError:
        result = ("crash", "ran out of memory (the file asks for more than the reader may use)")
    except BaseException as exc:  # noqa: BLE001 - PanicException is a BaseException
        result = ("crash", _describe_exception(exc))
    try:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # noqa: BLE001 - e.g. MemoryError while pickling
        payload = pickle.dumps(("crash", f"could not hand the table back: "
                                         f"{_describe_exception(exc)}"))
    with os.fdopen(write_fd, "wb") as fh:
        fh.write(payload)


def _receive(read_fd: int, timeout: float) -> bytes | None:
    """Everything the child writes, or None if it is still running at the deadline."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(read_fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


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
    limit = _mapped_bytes() + MEMORY_BUDGET + 64 * size
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as err:
        # A bare fork, not multiprocessing: it works inside daemonic pool workers too.
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 0
            try:
                os.close(read_fd)
                _child(write_fd, err.fileno(), limit, job, args)
            except BaseException:  # noqa: BLE001 - the child must never return into the caller
                code = 70
            finally:
                os._exit(code)
        os.close(write_fd)
        try:
            data = _receive(read_fd, timeout)
        finally:
            os.close(read_fd)
        if data is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise Refusal(f"the reader did not finish within {timeout:g} s")
        _, status = os.waitpid(pid, 0)
        kind: str = "died"
        payload: Any = None
        try:
            if data:
                kind, payload = pickle.loads(data)
        except Exception:  # noqa: BLE001 - a payload cut by the child's death
            kind = "died"
        if kind == "ok":
            return payload
        if kind == "refused":
            raise Refusal(*payload)
        if kind == "crash":
            native = _native_message(err)
            text = str(payload)
            raise Refusal(text + (f" ({native})" if native and native not in text else ""))
        native = _native_message(err)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = f"signal {sig}"
            raise Refusal(f"the native reader crashed ({name})" + (f": {native}" if native else ""))
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        raise Refusal(f"the native reader stopped (exit code {code})"
                      + (f": {native}" if native else ""))
