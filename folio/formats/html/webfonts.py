"""Fonts for the reading page: each of the book's fonts cut down to the characters
the page uses and served as WOFF2 (fontTools does both; WOFF2 needs brotli).

The six TTF files are 3.4 MB; a reader of a 15 KB page downloaded them whole. Cut
to the characters of the page and its stylesheet, with the OpenType features the
stylesheet asks for (small caps, kerning, ligatures, numerals), they come to some
40–70 KB for all six together, and a browser loads only the faces a page shows.
"""

from __future__ import annotations

import io
from pathlib import Path

#: OpenType features kept besides fontTools' defaults (kerning, ligatures, marks …):
#: small caps and the numeral styles the stylesheets use.
FEATURES = ("smcp", "c2sc", "lnum", "onum", "tnum", "pnum")


def subset_woff2(font: Path, characters: set[str]) -> bytes:
    """``font`` with only the glyphs for ``characters`` (and what they need), as WOFF2."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = [*subset.Options().layout_features, *FEATURES]
    options.hinting = False  # browsers on today's screens do without TrueType hints
    options.notdef_outline = True
    loaded = subset.load_font(str(font), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(char) for char in characters})
    subsetter.subset(loaded)
    out = io.BytesIO()
    subset.save_font(loaded, out, options)
    return out.getvalue()


def woff2_name(font: Path) -> str:
    return font.with_suffix(".woff2").name
