"""Room on CPython's frame stack, so that deep calls do not map memory as they go.

CPython 3.11 (the Python folio runs on) keeps a thread's frames in chunks of 16 KB
and frees a chunk as soon as the frame at its foot returns (``Python/pystate.c``:
``push_chunk`` maps a new chunk, ``_PyThreadState_PopFrame`` unmaps it). A recursive
walk that goes up and down across a chunk's end maps and unmaps memory each time,
and touches a fresh page each time: laying out the 150-page bench book's sixteen
parts made 105,000 ``mmap``/``munmap`` pairs and 100,000 page faults, 1.3 s of
system time of 14 s (``strace -c``, ``perf record -e page-faults``: 72 % of the
faults in ``_PyThreadState_BumpFramePointerSlow``). The book's trees are walked the
same way while they are read and transformed.

``deep(function, *args)`` calls ``function`` from a frame that declares a large
stack (its code's ``co_stacksize``). CPython sizes a new chunk to a power of two
times 16 KB with room for that frame: 8 MiB for a frame of a little over 4 MiB, so
the calls below it have 4 MiB -- thousands of frames -- in a chunk that stays mapped
until ``deep`` returns. The frame's stack is declared, never used: no page of it is
touched, and only the pages the calls below use are ever in memory.

The layout's children, the reading's and the merge's run their jobs through it
(``sandbox``), and so does the command line (``cli.main``). With it the sixteen
parts made 2,000 ``mmap`` calls; their system time fell to 0.2-0.3 s, their
processor time by 8 %, the PDFs byte-identical. To drop it: a CPython that keeps a
freed chunk for the next push (``tests/unit/test_framestack.py`` skips its check
of the cost on a Python that no longer has it).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

#: Words (pointers) the calling frame declares as its stack: its frame is then just
#: over 4 MiB, and CPython maps 8 MiB for it (sizes double from 16 KB).
STACK_WORDS = 1 << 19


def _call(function: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    return function(*args, **kwargs)


def _with_room(frame_function: Callable) -> Callable:
    """``frame_function`` with a code object that declares ``STACK_WORDS`` of stack,
    where CPython has chunked frame stacks (3.11 on); else as it is."""
    if sys.version_info < (3, 11) or sys.implementation.name != "cpython":
        return frame_function
    try:
        frame_function.__code__ = frame_function.__code__.replace(co_stacksize=STACK_WORDS)
    except (TypeError, ValueError):  # a Python that refuses it: calls as before
        pass
    return frame_function


_deep_call = _with_room(_call)


def deep(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, with the frame stack's room below it (see the
    module's notes)."""
    return _deep_call(function, args, kwargs)
