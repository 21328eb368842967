"""Sandbox: run a callable in a child process of its own, under a time limit and a
memory cap, so that a hostile or pathological book cannot hang or exhaust a build.

WeasyPrint's layout is the one stage we cannot bound from the input alone (CSS
paged media, floats, footnotes, tables). ``run_limited`` forks (nothing to pickle
on the way in; everything is loaded already), puts the child in a process group
of its own, caps its address space, and ends the whole group when the time is up.
The child also dies with its parent (Linux ``PR_SET_PDEATHSIG``). Only the
callable's (small) result comes back, pickled, through a pipe. A build forks the
layout's child before it reads the book (``lean_child``), so that the layout
does not carry the book's memory besides its own: the peak of a 600-page build
fell from 1,050 MB to 877 MB, WeasyPrint alone on the same HTML taking 875 MB.

``FOLIO_LAYOUT_TIMEOUT`` (seconds) and ``FOLIO_LAYOUT_MEMORY`` (MiB) override the
limits; where the system cannot fork, the callable runs in-process without limits.
"""

from __future__ import annotations

import contextlib
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
    lean = _take_lean_child()
    if lean is not None:
        pid, read = lean.submit(function, args, memory_mib)
    else:
        parent = os.getpid()
        pid, read = fork_call(function, args,
                              lambda: _become_disposable(parent, memory_mib))
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
            _send(write, _outcome(function, args))
            status = 0
        finally:
            os._exit(status)
    gc.unfreeze()
    os.close(write)
    return pid, read


class LeanChild:
    """A child forked before the book is read, to run one ``run_limited`` job later.

    A forked child keeps every page its parent held: a layout forked after reading
    a 600-page book started from the parent's 170-550 MB. Forked early, while
    the parent is still small, the child imports ``preload`` (WeasyPrint: half a
    second, in parallel with the reading) and waits for its one job: a pickled
    ``(function, args)``, sent length first (the parent keeps the pipe open, so the
    end of the job cannot be the end of the pipe). Any process forked from the
    parent afterwards (the PDF's own child) can submit it; only the parent can
    reap it: ``close``.
    """

    def __init__(self, preload: tuple[str, ...] = ()) -> None:
        self.parent = os.getpid()
        job_read, self._job = os.pipe()
        self._result, result_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                os.close(self._job)
                os.close(self._result)
                _detach(self.parent)
                status = self._serve(job_read, result_write, preload)
            finally:
                os._exit(status)
        os.close(job_read)
        os.close(result_write)
        self.used = False

    @staticmethod
    def _serve(job_read: int, result_write: int, preload: tuple[str, ...]) -> int:
        """In the child: load ``preload``, wait for the job, run it, send the outcome."""
        import importlib
        for module in preload:
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - the job will say what is missing
                pass
        with os.fdopen(job_read, "rb") as pipe:
            head = pipe.read(8)
            if len(head) < 8:
                return 0  # no job: the build needed none
            data = pipe.read(int.from_bytes(head, "big"))
        memory_mib, function, args = pickle.loads(data)
        _cap_memory(memory_mib)
        _send(result_write, _outcome(function, args))
        return 0

    def submit(self, function, args: tuple, memory_mib: float) -> tuple[int, int]:
        """Send the job; return (child pid, read end of its result pipe)."""
        self.used = True
        data = pickle.dumps((memory_mib, function, args), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(self._job, "wb") as pipe:
            pipe.write(len(data).to_bytes(8, "big") + data)
        return self.pid, self._result

    def close(self) -> None:
        """In the parent: end the child if it still waits or runs, and reap it."""
        if os.getpid() != self.parent or not self.pid:
            return
        if self.used:  # ``run_limited`` here took the pipes and ended and reaped the child:
            self.pid = 0  # its pid may already belong to another process
            return
        os.close(self._job)
        os.close(self._result)
        end_group(self.pid)
        self.pid = 0


#: The lean child waiting for this build's PDF layout, if any (see ``lean_child``).
_lean: LeanChild | None = None


@contextlib.contextmanager
def lean_child(preload: tuple[str, ...] = ("weasyprint",)):
    """Within the block, the next ``run_limited`` (in this process or one forked
    from it) runs in a child forked now, while this process is still small."""
    global _lean
    if not hasattr(os, "fork") or os.environ.get("FOLIO_NO_FORK") or _lean is not None:
        yield
        return
    child = LeanChild(preload)
    _lean = child
    try:
        yield
    finally:
        _lean = None
        child.close()


def _take_lean_child() -> LeanChild | None:
    global _lean
    child, _lean = _lean, None
    if child is None or child.used or not child.pid:
        return None
    return child


def end_group(pid: int) -> None:
    """Kill a child's whole process group (it may have started others) and reap it
    (unless another process forked it: that one reaps it)."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _outcome(function, args: tuple) -> bytes:
    """``function(*args)`` as a pickled outcome (see ``fork_call``)."""
    try:
        outcome = ("ok", function(*args))
    except BuildError as error:
        outcome = ("build-error", error.diagnostic)
    except MemoryError:
        outcome = ("memory",)
    except BaseException as error:  # noqa: BLE001 - sent to the parent
        outcome = ("error", f"{type(error).__name__}: {error}", traceback.format_exc())
    return pickle.dumps(outcome)


def _send(write: int, data: bytes) -> None:
    with os.fdopen(write, "wb") as pipe:
        pipe.write(data)


def raise_build_error(diagnostic) -> None:
    """Raise, in the parent, the ``BuildError`` a child reported."""
    error = BuildError(diagnostic.path, diagnostic.message)
    error.diagnostic = diagnostic
    raise error


def _become_disposable(parent: int, memory_mib: float) -> None:
    """In the child: own process group, default signals, death with the parent, a cap."""
    _detach(parent)
    _cap_memory(memory_mib)


def _detach(parent: int) -> None:
    """In a child: own process group, default signals, death with the parent."""
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


def _cap_memory(memory_mib: float) -> None:
    """Cap this process's address space at what it holds now plus ``memory_mib``."""
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
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # a lean child: only the process that forked it reaps it
            status = None
        self.pid = 0
        if not self.data:
            if status is None:
                how = "it ended"
            elif os.WIFSIGNALED(status):
                how = f"signal {signal.Signals(os.WTERMSIG(status)).name}"
            else:
                how = f"status {os.waitstatus_to_exitcode(status)}"
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
        end_group(self.pid)
        self.pid = 0
        self.reader.join(5)
