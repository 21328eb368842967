"""Sandbox: the one way folio runs work in a child process -- forked, in a process
group of its own, under a time limit and a memory cap, with its own temporary
folder, so that a hostile or pathological book cannot hang, exhaust or litter a
build.

WeasyPrint's layout is the stage we cannot bound from the input alone (CSS paged
media, floats, footnotes, tables). A ``Child`` is forked early -- a build forks
the layout's child before it reads the book, so that the child does not carry the
book's memory besides its own: the peak of a 600-page build fell from 1,050 MB to
877 MB, WeasyPrint alone on the same HTML taking 875 MB -- and imports what it
will need (``preload``) while the parent reads. It then waits for one job, a
pickled ``(function, args)``; only the function's (small) result comes back,
pickled, through a pipe. The child dies with its parent (Linux
``PR_SET_PDEATHSIG``); its temporary folder (WeasyPrint writes its fonts there) is
removed by the parent when the child has ended, however it ended, and a folder
left by a build that was killed is removed by the next build.

Every failure is a ``BuildError``: ``timeout``, ``memory``, ``crash`` (the child
died), or ``internal`` (an exception in the child; with ``FOLIO_DEBUG=1`` its
message ends with the child's traceback).

``FOLIO_LAYOUT_TIMEOUT`` (seconds) and ``FOLIO_LAYOUT_MEMORY`` (MiB) override the
limits; where the system cannot fork (or ``FOLIO_NO_FORK`` is set), the job runs
in-process without limits.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from .diagnostics import BuildError

#: Seconds the PDF layout may take: WeasyPrint needs about 50 ms a page, so this
#: allows some 5,000 pages (a 10 MiB manuscript) on a slow machine.
LAYOUT_TIMEOUT = 300.0
#: MiB the layout may allocate beyond what the child held when it got its job
#: (about 1.1 MB a page).
LAYOUT_MEMORY = 6 * 1024
#: Prefix of a child's temporary folder; the parent's pid follows it.
SCRATCH_PREFIX = "folio-child-"
#: Errors of a full or broken disk, which the parent reports as such.
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EFBIG}


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


def can_fork() -> bool:
    return hasattr(os, "fork") and not os.environ.get("FOLIO_NO_FORK")


class Child:
    """A forked child process that runs one job under limits.

    Forked when made (while the caller is still small); ``run`` sends the job and
    waits for the result; ``close`` ends the child, reaps it and removes its
    temporary folder (also when it never got a job). Use it as a context manager.
    Only the process that made the child may use it.
    """

    def __init__(self, preload: tuple[str, ...] = (), *, display: str = "",
                 what: str = "the job") -> None:
        self.display = display
        self.what = what
        self.parent = os.getpid()
        self._lock = threading.Lock()
        self.scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{self.parent}-")
        job_read, self._job = os.pipe()
        self._result, result_write = os.pipe()
        gc.freeze()  # the child's garbage collector stays off the parent's objects
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                os.close(self._job)
                os.close(self._result)
                _become_child(self.parent, self.scratch)
                status = _serve(job_read, result_write, preload)
            finally:
                os._exit(status)
        gc.unfreeze()
        os.close(job_read)
        os.close(result_write)

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, function, *args, timeout: float | None = None,
            memory_mib: float | None = None):
        """``function(*args)`` computed in the child; raises ``BuildError`` when it takes
        longer than ``timeout`` seconds, needs more than ``memory_mib`` MiB, dies, or
        raises (a ``BuildError`` raised in the child is raised here as it was)."""
        timeout = layout_timeout() if timeout is None else timeout
        memory_mib = layout_memory() if memory_mib is None else memory_mib
        if not self.pid:
            raise BuildError(self.display, f"{self.what} was stopped", code="crash")
        data = pickle.dumps((memory_mib, function, args), pickle.HIGHEST_PROTOCOL)
        received = bytearray()
        result_fd, job_fd, self._result, self._job = self._result, self._job, -1, -1

        def collect() -> None:
            with os.fdopen(result_fd, "rb") as pipe:
                while chunk := pipe.read(1 << 16):
                    received.extend(chunk)

        reader = threading.Thread(target=collect, daemon=True)
        reader.start()  # before sending: a large result never blocks the child
        try:
            with os.fdopen(job_fd, "wb") as pipe:
                pipe.write(len(data).to_bytes(8, "big") + data)
        except BrokenPipeError:
            pass  # the child is gone; its status says why
        reader.join(timeout)
        if reader.is_alive():
            self.close()
            raise BuildError(self.display, f"{self.what} took longer than {timeout:g} s and "
                             "was stopped; the book may be very long or contain a "
                             "pathological pattern (FOLIO_LAYOUT_TIMEOUT=seconds sets the "
                             "limit)", code="timeout")
        status = self._reap()
        return _decode(bytes(received), status, self.display, self.what, memory_mib)

    def _take_pid(self) -> int:
        """The child's pid, once: whoever takes it (``run`` or ``close``) reaps it."""
        with self._lock:
            pid, self.pid = self.pid, 0
        return pid

    def _reap(self) -> int | None:
        pid = self._take_pid()
        status = None
        if pid:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        self._remove_scratch()
        return status

    def close(self) -> None:
        """End the child if it still waits or runs, reap it, remove its folder."""
        if os.getpid() != self.parent:
            return
        for fd in (self._job, self._result):
            with contextlib.suppress(OSError):
                if fd >= 0:
                    os.close(fd)
        self._job = self._result = -1
        pid = self._take_pid()
        if pid:
            end_group(pid)
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


class Worker:
    """A forked child that answers many requests with one ``handler``, each within a
    time limit, all under one memory cap: for work that is cheap but comes from
    someone else (a book's own templates). Forked when made -- from a single thread,
    with everything ``handler`` needs already in memory, so only the requests'
    arguments travel (pickled). A request that takes too long ends the worker
    (``BuildError`` ``timeout``); so does one that needs too much memory (``memory``).
    Requests from several threads take turns."""

    def __init__(self, handler, *, display: str = "", what: str = "the job",
                 timeout: float = 60.0, memory_mib: float = 1024.0) -> None:
        self.display, self.what, self.timeout = display, what, timeout
        self.memory_mib = memory_mib
        self.parent = os.getpid()
        self._lock = threading.Lock()
        self.scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{self.parent}-")
        request_read, self._requests = os.pipe()
        self._answers, answer_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                os.close(self._requests)
                os.close(self._answers)
                _become_child(self.parent, self.scratch)
                _cap_memory(memory_mib)
                status = _answer_requests(handler, request_read, answer_write)
            finally:
                os._exit(status)
        os.close(request_read)
        os.close(answer_write)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, *args):
        """``handler(*args)`` computed in the worker (see the class's doc)."""
        with self._lock:
            if not self.pid:
                raise BuildError(self.display, f"{self.what} was stopped", code="crash")
            data = pickle.dumps(args, pickle.HIGHEST_PROTOCOL)
            try:
                _write_frame(self._requests, data)
                answer = _read_frame(self._answers, self.timeout)
            except TimeoutError:
                self.close()
                raise BuildError(self.display, f"{self.what} took longer than "
                                 f"{self.timeout:g} s and was stopped", code="timeout") from None
            except (OSError, EOFError):
                answer = b""
            if not answer:
                pid = self.pid
                self.close()
                raise BuildError(self.display, f"{self.what} stopped without a result "
                                 f"(the worker {pid} ended)", code="crash")
            return _decode(answer, None, self.display, self.what, self.memory_mib, hint="")

    def close(self) -> None:
        """End the worker, reap it, remove its folder."""
        if os.getpid() != self.parent:
            return
        for fd in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                if fd >= 0:
                    os.close(fd)
        self._requests = self._answers = -1
        pid, self.pid = self.pid, 0
        if pid:
            end_group(pid)
        shutil.rmtree(self.scratch, ignore_errors=True)


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def _read_frame(fd: int, timeout: float | None) -> bytes:
    """One length-prefixed message from ``fd``; b"" at the end of the pipe;
    ``TimeoutError`` when it has not come whole within ``timeout`` seconds."""
    import select
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    received = bytearray()
    need = 8
    while len(received) < need:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(1 << 20, need - len(received)))
        if not chunk:
            return b""
        received.extend(chunk)
        if need == 8 and len(received) == 8:
            need = 8 + int.from_bytes(received, "big")
    return bytes(received[8:])


def _answer_requests(handler, request_read: int, answer_write: int) -> int:
    """In the worker: answer each request until the parent closes the pipe."""
    while True:
        data = _read_frame(request_read, None)
        if not data:
            return 0
        try:
            outcome = ("ok", handler(*pickle.loads(data)))
        except BuildError as error:
            outcome = ("build-error", error.diagnostic)
        except MemoryError:
            outcome = ("memory",)
        except BaseException as error:  # noqa: BLE001 - sent to the parent
            outcome = _failure(error)
        try:
            answer = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            answer = pickle.dumps(("memory",))
        _write_frame(answer_write, answer)


def end_group(pid: int) -> None:
    """Kill a child's whole process group (it may have started others) and reap it."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def remove_stale_scratch() -> None:
    """Remove the temporary folders of children whose build was killed (its pid is
    in the folder's name and no longer runs)."""
    root = Path(tempfile.gettempdir())
    for folder in root.glob(f"{SCRATCH_PREFIX}*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- in the child --------------------------------------------------------------------

def _become_child(parent: int, scratch: str) -> None:
    """Own process group, default signals, death with the parent, its own temp folder."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ["TMPDIR"] = scratch
    tempfile.tempdir = scratch
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PDEATHSIG
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)


def _serve(job_read: int, result_write: int, preload: tuple[str, ...]) -> int:
    """Load ``preload``, wait for the job, run it, send the outcome."""
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
    try:
        outcome = ("ok", function(*args))
    except BuildError as error:
        outcome = ("build-error", error.diagnostic)
    except MemoryError:
        outcome = ("memory",)
    except OSError as error:
        if error.errno not in _DISK_ERRORS:
            outcome = ("error", f"{type(error).__name__}: {error}", traceback.format_exc())
        else:  # raised again in the parent, which knows the file: "the disk is full"
            outcome = ("oserror", error.errno, error.strerror or str(error))
    except BaseException as error:  # noqa: BLE001 - sent to the parent
        outcome = _failure(error)
    with os.fdopen(result_write, "wb") as pipe:
        pipe.write(pickle.dumps(outcome))
    return 0


def _failure(error: BaseException) -> tuple:
    """The outcome to send for ``error``: ``memory`` when the process came close to its
    cap (C code that cannot allocate often fails with a ``SystemError``, or some other
    error, instead of a ``MemoryError``: 50,000 headings ended in "internal error:
    SystemError"), else the error itself."""
    if _came_near_cap():
        return ("memory",)
    return ("error", f"{type(error).__name__}: {error}", traceback.format_exc())


def _came_near_cap(share: float = 0.9) -> bool:
    """True when this process's peak address space reached ``share`` of its cap."""
    try:
        import resource
        cap = resource.getrlimit(resource.RLIMIT_AS)[0]
        if cap in (resource.RLIM_INFINITY, -1) or cap <= 0:
            return False
        with open("/proc/self/status", encoding="ascii") as status:
            peak = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmPeak:"))
    except (OSError, ValueError, StopIteration, ImportError):
        return False
    return peak >= share * cap


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


# --- back in the parent ----------------------------------------------------------------

def _decode(data: bytes, status: int | None, display: str, what: str, memory_mib: float,
            hint: str = " (FOLIO_LAYOUT_MEMORY=MiB sets the limit)"):
    """The child's result, or the ``BuildError`` that says why there is none."""
    if not data:
        if status is None:
            how = "it ended"
        elif os.WIFSIGNALED(status):
            how = f"signal {signal.Signals(os.WTERMSIG(status)).name}"
        else:
            how = f"status {os.waitstatus_to_exitcode(status)}"
        raise BuildError(display, f"{what} stopped without a result ({how})", code="crash")
    outcome = pickle.loads(data)
    if outcome[0] == "ok":
        return outcome[1]
    if outcome[0] == "build-error":
        error = BuildError(outcome[1].path, outcome[1].message)
        error.diagnostic = outcome[1]
        raise error
    if outcome[0] == "oserror":
        raise OSError(outcome[1], outcome[2])
    if outcome[0] == "memory":
        raise BuildError(display, f"{what} needed more than {memory_mib:g} MiB and was "
                         f"stopped{hint}", code="memory")
    if os.environ.get("FOLIO_DEBUG"):
        raise BuildError(display, f"internal error in {what}: {outcome[1]}\n{outcome[2]}",
                         code="internal")
    raise BuildError(display, f"internal error in {what}: {outcome[1]} (set FOLIO_DEBUG=1 "
                     "for details)", code="internal")
