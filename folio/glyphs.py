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
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(FONTS / name, lazy=True).getBestCmap())


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
