"""Sandbox: run a callable in a child process of its own, under a time limit and a
memory cap, so that a hostile or pathological book cannot hang or exhaust a build.

WeasyPrint's layout is the one stage we cannot bound from the input alone (CSS
paged media, floats, footnotes, tables). ``run_limited`` forks (nothing to pickle
on the way in; everything is loaded already), puts the child in a process group
of its own, caps its address space, and ends the whole group when the time is up.
The child also dies with its parent (Linux ``PR_SET_PDEATHSIG``). Only the
callable's (small) result comes back, pickled, through a pipe.

``FOLIO_LAYOUT_TIMEOUT`` (seconds) and ``FOLIO_LAYOUT_MEMORY`` (MiB) override the
limits; where the system cannot fork, the callable runs in-process without limits.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import traceback

from .diagnostics import BuildError

#: Seconds the PDF layout may take: WeasyPrint needs about 50 ms a page, so this
#: allows some 5,000 pages (a 10 MiB manuscript) on a slow machine.
LAYOUT_TIMEOUT = 300.0
#: MiB the layout may allocate beyond what the process held when it forked
#: (about 1.1 MB a page).
LAYOUT_MEMORY = 6 * 1024


def _limit(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def layout_timeout() -> float:
    return _limit("FOLIO_LAYOUT_TIMEOUT", LAYOUT_TIMEOUT)


def layout_memory() -> float:
    return _limit("FOLIO_LAYOUT_MEMORY", LAYOUT_MEMORY)


def run_limited(function, *args, display: str, what: str, timeout: float | None = None,
                memory_mib: float | None = None):
    """Return ``function(*args)``, computed in a child process.

    Raises ``BuildError`` (for ``display``) when the child takes longer than
    ``timeout`` seconds, runs out of memory or dies; a ``BuildError`` raised in the
    child is raised here as it was.
    """
    timeout = layout_timeout() if timeout is None else timeout
    memory_mib = layout_memory() if memory_mib is None else memory_mib
    if not hasattr(os, "fork") or os.environ.get("FOLIO_NO_FORK"):
        return function(*args)
    parent = os.getpid()
    pid, read = fork_call(function, args, lambda: _become_disposable(parent, memory_mib))
    child = _Child(pid, read)
    try:
        return child.outcome(timeout, display, what, memory_mib)
    finally:
        child.kill()


def fork_call(function, args: tuple, setup_child) -> tuple[int, int]:
    """Fork; the child runs ``setup_child()`` then ``function(*args)`` and sends the
    pickled outcome through a pipe. Returns (child pid, read end of the pipe).

    Outcomes: ("ok", result), ("build-error", diagnostic), ("memory",),
    ("error", message, traceback). ``gc.freeze()`` before the fork keeps the
    child's garbage collector off the parent's objects (which it would copy).
    """
    read, write = os.pipe()
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: run, send the outcome, leave without cleanup
        status = 1
        try:
            os.close(read)
            setup_child()
            try:
                outcome = ("ok", function(*args))
            except BuildError as error:
                outcome = ("build-error", error.diagnostic)
            except MemoryError:
                outcome = ("memory",)
            except BaseException as error:  # noqa: BLE001 - sent to the parent
                outcome = ("error", f"{type(error).__name__}: {error}",
                           traceback.format_exc())
            data = pickle.dumps(outcome)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)
    gc.unfreeze()
    os.close(write)
    return pid, read


def raise_build_error(diagnostic) -> None:
    """Raise, in the parent, the ``BuildError`` a child reported."""
    error = BuildError(diagnostic.path, diagnostic.message)
    error.diagnostic = diagnostic
    raise error


def _become_disposable(parent: int, memory_mib: float) -> None:
    """In the child: own process group, default signals, death with the parent, a cap."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    try:
        import resource
        with open("/proc/self/statm") as statm:
            now = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = now + int(memory_mib * 1024 * 1024)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (OSError, ValueError, ImportError):
        pass


class _Child:
    """The parent's side: read the child's outcome, or end it."""

    def __init__(self, pid: int, read: int) -> None:
        self.pid = pid
        self.data = bytearray()
        self.reader = threading.Thread(target=self._collect, args=(read,), daemon=True)
        self.reader.start()

    def _collect(self, read: int) -> None:
        with os.fdopen(read, "rb") as pipe:
            while chunk := pipe.read(1 << 16):
                self.data.extend(chunk)

    def outcome(self, timeout: float, display: str, what: str, memory_mib: float):
        self.reader.join(timeout)
        if self.reader.is_alive():
            self.kill()
            raise BuildError(display, f"{what} took longer than {timeout:g} s and was "
                             "stopped; the book may be very long or contain a pathological "
                             "pattern (FOLIO_LAYOUT_TIMEOUT=seconds sets the limit)",
                             code="timeout")
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if not self.data:
            how = (f"signal {signal.Signals(os.WTERMSIG(status)).name}"
                   if os.WIFSIGNALED(status) else f"status {os.waitstatus_to_exitcode(status)}")
            raise BuildError(display, f"{what} stopped without a result ({how})",
                             code="crash")
        outcome = pickle.loads(bytes(self.data))
        if outcome[0] == "ok":
            return outcome[1]
        if outcome[0] == "build-error":
            raise_build_error(outcome[1])
        if outcome[0] == "memory":
            raise BuildError(display, f"{what} needed more than {memory_mib:g} MiB and was "
                             "stopped (FOLIO_LAYOUT_MEMORY=MiB sets the limit)", code="memory")
        if os.environ.get("FOLIO_DEBUG"):
            print(outcome[2], file=sys.stderr)
        raise RuntimeError(f"{what}: {outcome[1]}")

    def kill(self) -> None:
        """End the child's whole process group (it may have started others)."""
        if not self.pid:
            return
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                continue
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = 0
        self.reader.join(5)
