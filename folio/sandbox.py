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

The layout's other children are forked by its first one once it has imported
(``family``): they share its import instead of each paying for it again, and the
build's process adopts them (Linux's child subreaper), so they are its children
like the first: limited, ended and reaped the same way.

Every failure is a ``BuildError``: ``timeout``, ``memory``, ``crash`` (the child
died), or ``internal`` (an exception in the child; with ``FOLIO_DEBUG=1`` its
message ends with the child's traceback).

``FOLIO_LAYOUT_TIMEOUT`` (seconds) and ``FOLIO_LAYOUT_MEMORY`` (MiB) override the
limits; where the system cannot fork (or ``FOLIO_NO_FORK`` is set), the job runs
in-process without limits.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import errno
import gc
import os
import pickle
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from .diagnostics import BuildError
from .framestack import deep
from .outputs import process_alive

#: Seconds the PDF layout may take: WeasyPrint needs about 50 ms a page, so this
#: allows some 5,000 pages (a 10 MiB manuscript) on a slow machine.
LAYOUT_TIMEOUT = 300.0
#: MiB the layout may allocate beyond what the child held when it got its job
#: (about 1.1 MB a page).
LAYOUT_MEMORY = 6 * 1024
#: Seconds a child may take to import its libraries (``Workers.load``): not the
#: layout's limit, which a test or a user may set below an import's time.
IMPORT_TIMEOUT = 120.0
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


#: glibc's ``mallopt`` parameter for the size from which a block gets pages of its own.
_M_MMAP_THRESHOLD = -3
#: That size, fixed at glibc's initial value.
LARGE_BLOCK = 128 * 1024


def return_large_blocks() -> bool:
    """Let every block of ``LARGE_BLOCK`` bytes or more have pages of its own, which go
    back to the system when it is freed; True if the C library took the setting.

    glibc raises that size as a process frees large blocks, up to 32 MiB; a build's
    large strings (pandoc's JSON, rendered chapters) then come from the heap, and the
    heap, fragmented, keeps what they held. The 600-page book's main process peaked
    at 398 MB, 339 MB with the size fixed; the 150-page build took no longer. With
    it, the copy of the book read into fresh memory that the pipeline used to make
    (pickled and loaded again, against a fragmented heap) only raised the peak:
    without that copy, 326 -> 240 MB. Forked children inherit it. Not glibc (macOS):
    nothing changes."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK))
    except (OSError, AttributeError):
        return False


def can_fork() -> bool:
    return hasattr(os, "fork") and not os.environ.get("FOLIO_NO_FORK")


class Child:
    """A forked child process that runs jobs under limits, one after another.

    Forked when made (while the caller is still small, or -- with a ``handler`` --
    while everything the handler needs is in memory, so that only its arguments
    travel); ``run(function, *args)`` sends a job, ``ask(*args)`` asks the handler,
    and each waits for the result (a child serves as many as it is given, one at a
    time: callers from several threads take turns); ``close`` ends the child, reaps
    it and removes its temporary folder. Use it as a context manager. Only the
    process that made the child may use it.

    ``timeout`` (seconds a job may take) and ``memory_mib`` (MiB the child may add
    to what it holds at its first job) default to the layout's limits;
    ``limit_hint`` says how to change them.
    """

    def __init__(self, preload: tuple[str, ...] = (), *, display: str = "",
                 what: str = "the job", handler=None, timeout: float | None = None,
                 memory_mib: float | None = None,
                 limit_hint: str = " (FOLIO_LAYOUT_MEMORY=MiB sets the limit)",
                 siblings: int = 0) -> None:
        self._settle(display, what, timeout, memory_mib, limit_hint)
        self.scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{self.parent}-")
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        slots = [_Slot(self.parent) for _ in range(siblings)]
        gc.freeze()  # the child's garbage collector stays off the parent's objects
        self.pid = os.fork()
        if self.pid == 0:
            status = 1
            try:
                os.close(job_write)
                os.close(result_read)
                for slot in slots:
                    slot.close(parent_ends=True)
                _become_child(self.parent, self.scratch)
                status = deep(_serve, job_read, result_write, preload, handler, slots)
            finally:
                os._exit(status)
        gc.unfreeze()
        os.close(job_read)
        os.close(result_write)
        self._jobs = os.fdopen(job_write, "wb")
        self._results = os.fdopen(result_read, "rb")
        #: Children this one forks when told (``be_born``), sharing what it imported.
        self.siblings = [Child._sibling(self, index, slot) for index, slot in enumerate(slots)]

    def _settle(self, display: str, what: str, timeout: float | None,
                memory_mib: float | None, limit_hint: str) -> None:
        self.display = display
        self.what = what
        self.timeout = timeout
        self.memory_mib = memory_mib
        self.limit_hint = limit_hint
        self.parent = os.getpid()
        self._lock = threading.Lock()
        self._turn = threading.Lock()
        #: The child that forks this one (a sibling's), and whether it has.
        self.zygote: Child | None = None
        self._born = True
        self._index = 0
        self.siblings: list[Child] = []

    @classmethod
    def _sibling(cls, zygote: Child, index: int, slot: _Slot) -> Child:
        """The child that ``zygote`` will fork into ``slot`` (its pipes and folder),
        not forked yet."""
        child = cls.__new__(cls)
        child._settle(zygote.display, zygote.what, zygote.timeout, zygote.memory_mib,
                      zygote.limit_hint)
        child.zygote, child._born, child._index = zygote, False, index
        child.scratch = slot.scratch
        slot.close(parent_ends=False)  # the zygote holds the child's ends
        child.pid = 0
        child._jobs = os.fdopen(slot.job_write, "wb")
        child._results = os.fdopen(slot.result_read, "rb")
        return child

    def be_born(self) -> None:
        """A sibling forked now by its zygote, unless it was (waiting for the zygote's
        job, if it runs one). The zygote's failure is raised here."""
        if not self._born:
            with self.zygote._turn:
                self._birth()

    def _birth(self) -> None:
        """``be_born`` with the zygote's turn held (every birth is under it). The pid is
        set before ``_born``: a sibling found born has it."""
        if self._born:
            return
        try:
            pid = self.zygote._run(_spawn, (self._index,), IMPORT_TIMEOUT, None)
            with self._lock:
                self.pid = pid
        finally:
            self._born = True

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ask(self, *args):
        """The child's ``handler(*args)`` (see ``run``)."""
        return self.run(None, *args)

    def run(self, function, *args, timeout: float | None = None,
            memory_mib: float | None = None):
        """``function(*args)`` computed in the child; raises ``BuildError`` when it takes
        longer than ``timeout`` seconds, needs more than ``memory_mib`` MiB (the cap is
        set at the first job), dies, or raises (a ``BuildError`` raised in the child is
        raised here as it was). After a time-out or a death the child is closed."""
        with self._turn:
            self.be_born()
            return self._run(function, args, timeout, memory_mib)

    def _run(self, function, args: tuple, timeout: float | None,
             memory_mib: float | None):
        timeout = timeout or self.timeout or layout_timeout()
        memory_mib = memory_mib or self.memory_mib or layout_memory()
        if not self.pid:
            raise BuildError(self.display, f"{self.what} was stopped", code="crash")
        data = pickle.dumps((memory_mib, function, args), pickle.HIGHEST_PROTOCOL)
        received: list[bytes] = []

        def collect() -> None:
            try:
                head = self._results.read(8)
                if len(head) == 8:
                    received.append(self._results.read(int.from_bytes(head, "big")))
            except (OSError, ValueError):
                pass  # closed: the child was ended

        reader = threading.Thread(target=collect, daemon=True)
        reader.start()  # before sending: a large result never blocks the child
        try:
            self._jobs.write(len(data).to_bytes(8, "big") + data)
            self._jobs.flush()
        except (BrokenPipeError, ValueError):
            pass  # the child is gone; its status says why
        reader.join(timeout)
        if reader.is_alive():
            self.close()
            hint = ("; the book may be very long or contain a pathological pattern "
                    "(FOLIO_LAYOUT_TIMEOUT=seconds sets the limit)") if self.limit_hint else ""
            raise BuildError(self.display, f"{self.what} took longer than {timeout:g} s and "
                             f"was stopped{hint}", code="timeout")
        if received and received[0]:
            return _decode(received[0], 0, self.display, self.what, memory_mib,
                           self.limit_hint)
        return _decode(b"", self._reap(), self.display, self.what, memory_mib,
                       self.limit_hint)

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
        """End the child if it still waits or runs, reap it, remove its folder.

        The child goes first: a thread may be reading its pipe, and closing a pipe
        that a thread reads waits for that read to end."""
        if os.getpid() != self.parent:
            return
        pid = self._take_pid()
        if pid:
            end_group(pid)
        for pipe in (self._jobs, self._results):
            with contextlib.suppress(OSError, ValueError):
                pipe.close()
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


class _Slot:
    """The pipes and folder of a child that another child will fork (``Child.siblings``):
    made before that one is forked, so that both processes hold them."""

    def __init__(self, parent: int) -> None:
        self.scratch = tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{parent}-")
        self.job_read, self.job_write = os.pipe()
        self.result_read, self.result_write = os.pipe()

    def close(self, parent_ends: bool) -> None:
        """Close the ends the build's process keeps (in the zygote), or those the
        sibling will use (in the build's process, and in the zygote once forked)."""
        ends = ("job_write", "result_read") if parent_ends else ("job_read", "result_write")
        for name in ends:
            if getattr(self, name) >= 0:
                os.close(getattr(self, name))
                setattr(self, name, -1)


#: ``prctl`` options (Linux).
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> bool:
    """Make this process the parent of any descendant whose parent ends before it
    (Linux's "child subreaper"), so that a child that another child forked and left
    (``_spawn``) is this process's child: reaped here, its status read here. False
    where that cannot be (then every child is forked here)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0,
                                                       0) == 0
    except (OSError, AttributeError):
        return False


def family(count: int, **options) -> list[Child]:
    """``count`` children for ``Workers``: one forked here, the others forked by it
    when they are first needed or once it has imported its libraries (``Workers.load``),
    so that they share its import instead of each repeating it (WeasyPrint's: 0.6 s of
    a core); where orphans cannot be adopted here (``adopt_orphans``), all forked here."""
    if count > 1 and adopt_orphans():
        first = Child(siblings=count - 1, **options)
        return [first, *first.siblings]
    return [Child(**options) for _ in range(count)]


class Workers:
    """Children that run a list of jobs side by side (``map``), each child one job
    at a time, the longest jobs first when their sizes are given; and a ``finisher``,
    a child kept for the job that gathers their results (``finish``)."""

    def __init__(self, children: list[Child], finisher: Child | None = None,
                 preload: tuple[str, ...] = ()) -> None:
        self.children = children
        self.finisher = finisher
        #: Modules the children import when told (``load``), not when forked.
        self.preload = preload
        #: Done when the first jobs are handed out (``map`` is first called).
        self.started: concurrent.futures.Future = concurrent.futures.Future()

    def load(self) -> None:
        """Have the children import ``preload`` now, in the background (each child's
        first job waits for it): when the reading no longer needs the cores. A child's
        siblings (``family``) are forked by it as soon as it has imported: they import
        nothing (a one-chapter edit lays out one part and the book's metadata page, and
        a second import of WeasyPrint took 1.1 s of a core from this process, which
        still transforms and renders the book)."""
        modules, self.preload = self.preload, ()
        if not modules:
            return
        for child in self.children:
            if child.zygote is None or child.pid:  # a sibling forked already imports too
                threading.Thread(target=self._import, args=(child, modules),
                                 daemon=True).start()

    @staticmethod
    def _import(child: Child, modules: tuple[str, ...]) -> None:
        with contextlib.suppress(BuildError):  # a later job says what went wrong
            with child._turn:  # the siblings' births before any job of the child's
                child._run(import_modules, (modules,), IMPORT_TIMEOUT, None)
                for sibling in child.siblings:
                    sibling._birth()

    def map(self, jobs: list[tuple], sizes: list[float] | None = None) -> list:
        """The result of each ``(function, args)`` job, in the order given; the first
        failure is raised (the others' results are dropped)."""
        if not self.started.done():
            self.started.set_result(None)
        if not self.children:  # no fork here: in this process, without limits
            return [function(*args) for function, args in jobs]
        serving = self.children[:max(1, len(jobs))]
        for child in serving:  # before any job: a zygote busy with one forks no sibling
            child.be_born()
        order = sorted(range(len(jobs)), key=lambda i: -(sizes[i] if sizes else 0))
        pending = queue.SimpleQueue()
        for index in order:
            pending.put(index)
        results: dict[int, object] = {}
        failures: list[BaseException] = []

        def serve(child: Child) -> None:
            while not failures:
                try:
                    index = pending.get_nowait()
                except queue.Empty:
                    return
                function, args = jobs[index]
                try:
                    results[index] = child.run(function, *args)
                except BaseException as error:  # noqa: BLE001 - raised below
                    failures.append(error)

        threads = [threading.Thread(target=serve, args=(child,), daemon=True)
                   for child in serving]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        return [results[index] for index in range(len(jobs))]

    def finish(self, function, *args, rounds: int = 1):
        """``function(*args)`` in the finisher, forked before the children's jobs made
        them large: the merge of a 600-page book's parts holds 250 MB, and a layout
        worker already held 120 MB when it got it. Without a finisher, in a child
        (``map``) or here. ``rounds``: the finisher may take as long as that many
        jobs of a child one after the other (a merge that waits for the parts)."""
        if self.finisher is None:
            return self.map([(function, args)])[0]
        timeout = rounds * (self.finisher.timeout or layout_timeout())
        return self.finisher.run(function, *args, timeout=timeout)

    def close(self) -> None:
        for child in [*self.children, *([self.finisher] if self.finisher else [])]:
            child.close()


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
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


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
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)


def import_modules(modules: tuple[str, ...]) -> None:
    """Import ``modules`` (those that can be: a job that needs a missing one says
    so); a ``module:function`` is imported and its function called, without
    arguments (a warm-up: what the first job would otherwise pay for), a
    ``module:function:argument`` with that one string. Sent as a job
    (``Workers.load``), it sets no memory cap."""
    import importlib
    for module in modules:
        name, _, call = module.partition(":")
        function, _, argument = call.partition(":")
        try:
            imported = importlib.import_module(name)
            if function:
                getattr(imported, function)(*([argument] if argument else []))
        except Exception:  # noqa: BLE001 - the job will say what is missing
            pass


def _serve(job_read: int, result_write: int, preload: tuple[str, ...], handler=None,
           slots: list[_Slot] = ()) -> int:
    """Load ``preload``, then run each job that comes and send its outcome back,
    until the parent closes the pipe. ``slots``: the siblings this child forks when
    told (``_spawn``)."""
    import_modules(preload)
    capped = False
    with os.fdopen(job_read, "rb") as jobs, os.fdopen(result_write, "wb") as results:
        while True:
            head = jobs.read(8)
            if len(head) < 8:
                return 0  # no more jobs
            memory_mib, function, args = pickle.loads(jobs.read(int.from_bytes(head, "big")))
            if function is import_modules:  # before the first job: not under its cap
                import_modules(*args)
                _send(results, pickle.dumps(("ok", None)))
                continue
            if function is _spawn:
                try:
                    outcome = ("ok", _spawn(slots, *args, own=(job_read, result_write),
                                            handler=handler))
                except OSError as error:
                    outcome = _failure(error)
                _send(results, pickle.dumps(outcome))
                continue
            if not capped:
                _cap_memory(memory_mib)
                capped = True
            try:
                outcome = ("ok", (function or handler)(*args))
            except BuildError as error:
                outcome = ("build-error", error.diagnostic)
            except MemoryError:
                outcome = ("memory",)
            except OSError as error:
                if error.errno not in _DISK_ERRORS:
                    outcome = _failure(error)
                else:  # raised again in the parent, which knows the file: "the disk is full"
                    outcome = ("oserror", error.errno, error.strerror or str(error))
            except BaseException as error:  # noqa: BLE001 - sent to the parent
                outcome = _failure(error)
            try:
                data = pickle.dumps(outcome, pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                data = pickle.dumps(("memory",))
            _send(results, data)
            del outcome, data, function, args
            gc.collect()  # the job's cycles go now, and with them its temporary files


def _spawn(slots: list[_Slot], index: int, *, own: tuple[int, int] = (),
           handler=None) -> int:
    """In a child: fork the sibling of ``slots[index]`` and return its pid. It is forked
    through a middle child that ends at once, so that it becomes the build process's
    child (``adopt_orphans``); it closes every pipe but its own, then serves its
    jobs under the same rules as this child, with this child's imports."""
    slot = slots[index]
    build = os.getppid()
    reader, writer = os.pipe()
    middle = os.fork()
    if middle == 0:
        status = 1
        try:
            os.close(reader)
            me = os.getpid()
            pid = os.fork()
            if pid == 0:
                os.close(writer)
                _be_sibling(slots, slot, own, build, me, handler)
            os.write(writer, pid.to_bytes(8, "big"))
            status = 0
        finally:
            os._exit(status)
    os.close(writer)
    with os.fdopen(reader, "rb") as answer:
        data = answer.read(8)
    os.waitpid(middle, 0)
    slot.close(parent_ends=False)
    if len(data) < 8:
        raise OSError(errno.EAGAIN, "a layout process could not be forked")
    return int.from_bytes(data, "big")


def _be_sibling(slots: list[_Slot], slot: _Slot, own: tuple[int, int], build: int,
                middle: int, handler) -> None:
    """The life of a sibling (``_spawn``), ended with ``os._exit``."""
    status = 1
    try:
        for fd in own:
            os.close(fd)
        for other in slots:
            if other is not slot:
                other.close(parent_ends=False)
        deadline = time.monotonic() + 10
        while os.getppid() == middle and time.monotonic() < deadline:
            time.sleep(0.001)  # the middle child ends at once; then the build adopts this
        _become_child(build, slot.scratch)
        status = deep(_serve, slot.job_read, slot.result_write, (), handler)
    finally:
        os._exit(status)


def _send(results, data: bytes) -> None:
    """One pickled outcome to the parent: its length, then its bytes."""
    results.write(len(data).to_bytes(8, "big") + data)
    results.flush()


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
        raise BuildError.of(outcome[1])
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
