"""Run one long job beside the main process: in a forked child where the system
can fork, else in a thread.

Why a process: WeasyPrint's layout is pure Python and holds the GIL, so a PDF
laid out in a thread slows the EPUB and HTML written meanwhile (and they slow
it). A forked child starts in milliseconds with everything already loaded and
nothing to pickle on the way in; only the (small) result comes back through a
pipe. ``gc.freeze()`` before the fork keeps the child's garbage collector off the
parent's objects, which would otherwise be touched (and copied) page by page:
measured on a 150-page book, 9.9 s for the PDF with it, 15.2 s without.
"""

from __future__ import annotations

import concurrent.futures
import os
import pickle
import signal
import sys
import threading
import time

from .sandbox import fork_call, raise_build_error


class _ChildFailed(Exception):
    pass


class Beside:
    """A job running beside the caller; ``result()`` waits for it."""

    def __init__(self, function, *args) -> None:
        self._pid = 0
        self._future = None
        if hasattr(os, "fork") and not os.environ.get("FOLIO_NO_FORK"):
            self._start_child(function, args)
        else:
            self._future = concurrent.futures.ThreadPoolExecutor(1).submit(function, *args)

    def _start_child(self, function, args) -> None:
        def setup_child() -> None:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            # On cancel: unwind, so half-written outputs are removed.
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

        pid, read = fork_call(function, args, setup_child)
        self._pid = pid
        self._read = read
        self._data = bytearray()
        # Read in a thread so a large result never blocks the child on a full pipe.
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def _collect(self) -> None:
        with os.fdopen(self._read, "rb") as pipe:
            while chunk := pipe.read(1 << 16):
                self._data.extend(chunk)

    def result(self):
        if self._future is not None:
            return self._future.result()
        try:
            self._reader.join()
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
        except BaseException:
            self.cancel()
            raise
        if not self._data:
            raise _ChildFailed(f"the PDF process ended without a result (status {status})")
        outcome = pickle.loads(bytes(self._data))
        if outcome[0] == "ok":
            return outcome[1]
        if outcome[0] == "build-error":
            raise_build_error(outcome[1])
        if outcome[0] == "memory":
            raise _ChildFailed("the PDF process ran out of memory")
        if os.environ.get("FOLIO_DEBUG"):
            print(outcome[2], file=sys.stderr)
        raise _ChildFailed(outcome[1])

    def cancel(self) -> None:
        """Stop the child: SIGTERM (it removes its temporary files), then SIGKILL."""
        if not self._pid:
            return
        try:
            os.kill(self._pid, signal.SIGTERM)
            for _ in range(40):
                if os.waitpid(self._pid, os.WNOHANG)[0]:
                    break
                time.sleep(0.05)
            else:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self._pid = 0


def run_beside(function, *args) -> Beside:
    """Start ``function(*args)`` beside the caller; call ``result()`` on the answer."""
    return Beside(function, *args)
