"""WeasyPrint imported without a compiler run for every library name it tries.

WeasyPrint 70 opens GObject, Pango, HarfBuzz and fontconfig through cffi, trying
several names for each (``libgobject-2.0-0``, ``gobject-2.0-0``, ``gobject-2.0``,
then the Linux soname ``libgobject-2.0.so.0``, then macOS's and Windows' names).
cffi hands every name it cannot open as it is to ``ctypes.util.find_library``,
which on Linux runs ``ldconfig -p`` and, for a name the loader's cache lacks, gcc
and ld: 215 processes for one ``import weasyprint`` on a machine with gcc, a
quarter to a third of the import's 0.6-0.85 s, in the layout's first process,
which a one-chapter edit waits for.

``import_weasyprint`` imports it with ``find_library`` finding nothing: cffi then
opens each name as it is, and the soname opens (the loader itself searches
``LD_LIBRARY_PATH`` and its cache). Where that is not enough (a system whose
libraries only the compiler's search finds), the import is tried again as released.
To drop: when WeasyPrint tries the sonames first, or cffi stops calling the
compiler.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import sys
import threading
from types import ModuleType

_LOCK = threading.Lock()


def import_weasyprint() -> ModuleType:
    """``weasyprint``, imported now if it is not yet (``OSError`` as WeasyPrint's own
    import raises it when its libraries cannot be opened)."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    try:
        with _nothing_found():
            import weasyprint
    except OSError:
        for name in [name for name in sys.modules if name.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint
    return weasyprint


@contextlib.contextmanager
def _nothing_found():
    """``ctypes.util.find_library`` answering None for the block (Linux only: elsewhere
    the names WeasyPrint tries first are the ones that open)."""
    if not sys.platform.startswith("linux"):
        yield
        return
    with _LOCK:
        released = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            yield
        finally:
            ctypes.util.find_library = released
