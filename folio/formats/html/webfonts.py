"""Fonts for the reading page: each of the book's fonts cut down to the characters
the page uses and served as WOFF2 (HarfBuzz's subsetter cuts, through uharfbuzz;
fontTools packs the cut as WOFF2, with brotli).

The six TTF files are 3.4 MB; a reader of a 15 KB page downloaded them whole. Cut
to the characters of the page and its stylesheet, with the OpenType features the
stylesheet asks for (small caps, kerning, ligatures, numerals), they come to some
40–70 KB for all six together, and a browser loads only the faces a page shows.

fontTools' own subsetter took 0.12-0.28 s a font (its name-table pass walks every
layout table): 2.1 s of the build's main process for the 150-page bench book's seven
cuts, a tenth of the whole build's processor time. HarfBuzz cuts the same glyphs,
character map, tables, features and names in a fifth of that; what remains is
fontTools' WOFF2 packing (the glyph table transformed, brotli at its best).

A rebuild after an edit rarely changes the characters, so each cut is kept in the
builder's cache folder under the hash of the font, the characters and the two
libraries' versions (``subset_woff2``'s ``cache``).
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
#: How a cut is made, beyond the libraries' versions: in a kept cut's key, so that
#: one made another way is made again (2: the font's own date kept).
CUT = 2


def subset_woff2(font: Path, characters: set[str], cache: Path | None = None,
                 reuse: bool = True) -> bytes:
    """``font`` with only the glyphs for ``characters`` (and what they need), as WOFF2;
    with a ``cache`` folder, the cut kept there for the next build (the font's older
    cuts removed), and taken from there if it is (``reuse``; not under ``--force``)."""
    if cache is None:
        return _subset(font, characters)
    digest = hashlib.sha256(font.read_bytes())
    digest.update(f"\0{metadata.version('fonttools')}\0{metadata.version('uharfbuzz')}"
                  f"\0{FEATURES}\0{CUT}\0".encode())
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
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    wanted = hb.SubsetInput()
    for char in characters:
        wanted.unicode_set.add(ord(char))
    for tag in FEATURES:  # beside HarfBuzz's defaults, fontTools' defaults alike
        wanted.layout_feature_tag_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    # Browsers on today's screens do without TrueType hints; an outline for .notdef.
    wanted.flags = hb.SubsetFlags.NO_HINTING | hb.SubsetFlags.NOTDEF_OUTLINE
    cut = hb.subset(hb.Face(hb.Blob.from_file_path(str(font))), wanted)
    if cut is None:
        raise ValueError(f"HarfBuzz could not cut {font.name}")
    # The font's own date stays in its head table: fontTools would write the time of
    # the build there, and the same cut would differ from second to second.
    packed = TTFont(io.BytesIO(cut.blob.data), recalcTimestamp=False)
    packed.flavor = "woff2"
    out = io.BytesIO()
    packed.save(out)
    return out.getvalue()


def woff2_name(font: Path) -> str:
    return font.with_suffix(".woff2").name
