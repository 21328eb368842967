"""Fonts for the reading page: each of the book's fonts cut down to the characters
the page uses and served as WOFF2 (fontTools does both; WOFF2 needs brotli).

The six TTF files are 3.4 MB; a reader of a 15 KB page downloaded them whole. Cut
to the characters of the page and its stylesheet, with the OpenType features the
stylesheet asks for (small caps, kerning, ligatures, numerals), they come to some
40–70 KB for all six together, and a browser loads only the faces a page shows.

Cutting a font takes fontTools about 0.15 s; a rebuild after an edit rarely changes
the characters, so each cut is kept in the builder's cache folder under the hash of
the font, the characters and fontTools' version (``subset_woff2``'s ``cache``).
"""

from __future__ import annotations

import hashlib
import io
from importlib import metadata
from pathlib import Path

from ...outputs import write_bytes

#: OpenType features kept besides fontTools' defaults (kerning, ligatures, marks …):
#: small caps and the numeral styles the stylesheets use.
FEATURES = ("smcp", "c2sc", "lnum", "onum", "tnum", "pnum")


def subset_woff2(font: Path, characters: set[str], cache: Path | None = None,
                 reuse: bool = True) -> bytes:
    """``font`` with only the glyphs for ``characters`` (and what they need), as WOFF2;
    with a ``cache`` folder, the cut kept there for the next build (the font's older
    cuts removed), and taken from there if it is (``reuse``; not under ``--force``)."""
    if cache is None:
        return _subset(font, characters)
    digest = hashlib.sha256(font.read_bytes())
    digest.update(f"\0{metadata.version('fonttools')}\0{FEATURES}\0".encode())
    digest.update("".join(sorted(characters)).encode("utf-8", "surrogatepass"))
    kept = cache / f"{font.stem}.{digest.hexdigest()[:32]}.woff2"
    try:
        if reuse:
            return kept.read_bytes()
    except OSError:
        pass
    data = _subset(font, characters)
    for old in cache.glob(f"{font.stem}.*.woff2"):
        old.unlink(missing_ok=True)
    write_bytes(kept, data)
    return data


def _subset(font: Path, characters: set[str]) -> bytes:
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
