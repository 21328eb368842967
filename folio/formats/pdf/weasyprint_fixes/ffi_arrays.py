"""C arrays for HarfBuzz-Subset without a C parser run for each.

WeasyPrint 70's ``Font._harfbuzz_subset`` makes its glyph arrays with
``ffi.new(f'hb_codepoint_t[{n}]', values)``: cffi parses each new type string with
pycparser and keeps it by its text, so every font of every part, whose glyph count
differs, runs the C parser again: 0.3 s of the 150-page bench book's layout (2 %), the
largest single cost of writing its parts after the drawing. ``hb_codepoint_t[]``
with the same values is the same array (cffi takes the length from them), and its
type is parsed once.

The fonts module's ``ffi`` is replaced by ``OpenArrays``, which makes every
``T[n]`` given exactly n values as a ``T[]``; anything else goes to cffi unchanged.

To drop: when WeasyPrint makes these arrays as ``T[]`` (Kozea/WeasyPrint,
``weasyprint/pdf/fonts.py``).
"""

from __future__ import annotations

import re

_SIZED = re.compile(r"([A-Za-z_][\w ]*?)\s*\[(\d+)\]")


class OpenArrays:
    """``ffi`` whose ``new('T[n]', values)`` with n values is ``new('T[]', values)``."""

    def __init__(self, ffi) -> None:
        self._ffi = ffi

    def __getattr__(self, name: str):
        return getattr(self._ffi, name)

    def new(self, cdecl, init=None):
        if init is not None and isinstance(cdecl, str):
            sized = _SIZED.fullmatch(cdecl)
            if sized and int(sized.group(2)) == len(init):
                cdecl = f"{sized.group(1)}[]"
        return self._ffi.new(cdecl, init)


def install() -> None:
    from weasyprint.pdf import fonts

    if not isinstance(fonts.ffi, OpenArrays):
        fonts.ffi = OpenArrays(fonts.ffi)
