"""Which characters the book's fonts can print, and what happens to the others.

The PDF is set in Folio Serif and Folio Mono (Noto, Latin, Greek and Cyrillic)
and, for what they lack, Folio Fallback (Droid Sans Fallback: Chinese and
Japanese), all shipped in ``folio/fonts``, so that a book prints the same on any
machine. A character none of them has is taken by Pango from a font of the
machine (fontconfig); where no font has it, it prints as an empty box. ``place``
tells which of these it is, so that the checks can say so with the file and line.
"""

from __future__ import annotations

import functools
import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

FONTS = Path(__file__).resolve().parent / "fonts"
#: The book's own faces (regular weights: the others cover the same characters).
BOOK_FONTS = ("NotoSerif-Regular.ttf", "NotoSansMono-Regular.ttf")
#: The shipped fallback and the name the messages give it.
FALLBACK_FONT = "DroidSansFallbackFull.ttf"
FALLBACK_NAME = "Droid Sans Fallback"


@functools.lru_cache(maxsize=None)
def _cmap(name: str) -> frozenset[int]:
    """The code points ``name`` has a glyph for (what fontTools' ``getBestCmap`` maps)."""
    from fontTools.ttLib import TTFont

    font = TTFont(FONTS / name, lazy=True)
    try:
        return _best_cmap_codes(font.reader["cmap"])
    except (ValueError, struct.error, KeyError):
        return frozenset(font.getBestCmap())


#: The Unicode subtables in the order fontTools and HarfBuzz prefer them.
_UNICODE_SUBTABLES = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


def _best_cmap_codes(table: bytes) -> frozenset[int]:
    """The code points of the preferred Unicode subtable of a ``cmap`` table, read
    from its bytes (formats 4 and 12; ValueError for another). fontTools builds a
    glyph name for every glyph to answer the same: 0.08 s for Droid Sans Fallback's
    28,600 characters, on the way of every build's PDF (``machine_places``)."""
    _version, count = struct.unpack_from(">HH", table, 0)
    offsets = {}
    for index in range(count):
        platform, encoding, offset = struct.unpack_from(">HHL", table, 4 + 8 * index)
        offsets.setdefault((platform, encoding), offset)
    offset = next((offsets[key] for key in _UNICODE_SUBTABLES if key in offsets), None)
    if offset is None:
        raise ValueError("no Unicode subtable")
    kind = struct.unpack_from(">H", table, offset)[0]
    codes: set[int] = set()
    if kind == 4:
        segments = struct.unpack_from(">H", table, offset + 6)[0] // 2
        base = offset + 14
        ends = struct.unpack_from(f">{segments}H", table, base)
        starts = struct.unpack_from(f">{segments}H", table, base + 2 * segments + 2)
        deltas = struct.unpack_from(f">{segments}H", table, base + 4 * segments + 2)
        range_at = base + 6 * segments + 2
        ranges = struct.unpack_from(f">{segments}H", table, range_at)
        for i in range(segments - 1):  # the last segment is 0xFFFF's
            for code in range(starts[i], ends[i] + 1):
                if ranges[i] == 0:
                    glyph = (code + deltas[i]) & 0xFFFF
                else:
                    at = range_at + 2 * i + ranges[i] + 2 * (code - starts[i])
                    glyph = struct.unpack_from(">H", table, at)[0]
                    glyph = (glyph + deltas[i]) & 0xFFFF if glyph else 0
                if glyph:  # a missing glyph does not undo an earlier segment's
                    codes.add(code)
    elif kind == 12:
        groups = struct.unpack_from(">L", table, offset + 12)[0]
        last = 0
        for i in range(groups):
            start, end, glyph = struct.unpack_from(">LLL", table, offset + 16 + 12 * i)
            end = min(end, 0x10FFFF)
            if start > end or start < last:
                continue
            last = end
            codes.update(range(start + (glyph == 0), end + 1))
    else:
        raise ValueError(f"cmap format {kind}")
    return frozenset(codes)


def in_book_fonts(char: str) -> bool:
    return any(ord(char) in _cmap(name) for name in BOOK_FONTS)


@functools.lru_cache(maxsize=None)
def system_font(char: str) -> str:
    """A family of this machine that has ``char`` (fontconfig), or ""."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ""
    try:
        found = subprocess.run([fc_list, f":charset={ord(char):x}", "family"],
                               capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    families = sorted(line.split(",")[0].strip() for line in found.splitlines() if line.strip())
    return families[0] if families else ""


def place(char: str) -> tuple[str, str]:
    """Where ``char`` is printed from: ("book", ""), ("fallback", name),
    ("system", family) or ("none", "")."""
    if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs", "Cn"):
        return "book", ""
    if in_book_fonts(char):
        return "book", ""
    if ord(char) in _cmap(FALLBACK_FONT):
        return "fallback", FALLBACK_NAME
    family = system_font(char)
    return ("system", family) if family else ("none", "")


def machine_places(text: str) -> list[tuple[str, str, str]]:
    """(character, kind, font) of each character of ``text`` that neither the book's
    fonts nor the shipped fallback have (``place``), sorted: what a font installed
    on this machine can change."""
    found = []
    for char in set(text):
        if not char.isascii():
            kind, font = place(char)
            if kind not in ("book", "fallback"):
                found.append((char, kind, font))
    return sorted(found)


def describe(char: str) -> str:
    """``'中' (U+4E2D CJK UNIFIED IDEOGRAPH-4E2D)``"""
    return f"'{char}' (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')})"
