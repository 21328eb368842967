"""``weasyprint_fixes.font_subset``: the fonts embedded in the PDF cut by HarfBuzz
(uharfbuzz) as WeasyPrint 70 cuts them with HarfBuzz-Subset, and, where HarfBuzz
cannot, by fontTools as WeasyPrint cuts them, byte for byte, without reading the
tables dropped."""

from __future__ import annotations

import io

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont, newTable

from folio.formats.base import FONTS_DIR
from folio.formats.pdf.weasyprint_fixes.font_subset import drop_before_reading, harfbuzz_cut

TEXT = "Quarz, fix! Jeder Wörter—„ab“ 1234 ffi ½"
FONTS = ["NotoSerif-Regular.ttf", "NotoSansMono-Bold.ttf", "STIXTwoMath-Regular.ttf"]


def _gids(font: TTFont, text: str = TEXT) -> set[int]:
    cmap = font.getBestCmap()
    return {font.getGlyphID(cmap[ord(char)]) for char in text if ord(char) in cmap}


def _outline(font: TTFont, gid: int):
    """The glyph's points, contour ends and advance, as a reader's renderer sees them."""
    name = font.getGlyphOrder()[gid]
    coordinates, ends, _ = font["glyf"][name].getCoordinates(font["glyf"])  # composites too
    return list(coordinates), list(ends), font["hmtx"][name][0]


@pytest.mark.parametrize("name", FONTS)
def test_harfbuzz_keeps_every_used_glyph_at_its_id_and_drops_the_rest(name):
    data = (FONTS_DIR / name).read_bytes()
    full = TTFont(io.BytesIO(data))
    gids = _gids(full)
    cut = TTFont(io.BytesIO(harfbuzz_cut(data, 0, gids, hinting=False,
                                         notdef_outline=False)))
    for gid in gids:
        assert _outline(cut, gid) == _outline(full, gid), f"glyph {gid} of {name}"
    # The glyphs after the last used one (and the parts of composite ones, "ffi")
    # are gone; the unused ones before it are empty.
    assert max(gids) < len(cut.getGlyphOrder()) < max(gids) + 10
    unused = [gid for gid in range(1, max(gids)) if gid not in gids]
    drawn = [gid for gid in unused if cut["glyf"][cut.getGlyphOrder()[gid]].numberOfContours]
    assert len(drawn) < len(unused) / 10
    for tag in ("GSUB", "GPOS"):
        assert tag in full and tag not in cut
    assert len(harfbuzz_cut(data, 0, gids, False, False)) < len(data) / 5


def test_a_glyph_id_past_the_font_and_hinting_asked_for():
    """WeasyPrint numbers a character the font lacks past the font's last glyph."""
    data = (FONTS_DIR / "NotoSerif-Regular.ttf").read_bytes()
    full = TTFont(io.BytesIO(data))
    count = len(full.getGlyphOrder())
    gids = _gids(full) | {count + 3}
    cut = TTFont(io.BytesIO(harfbuzz_cut(data, 0, gids, hinting=True, notdef_outline=True)))
    assert len(cut.getGlyphOrder()) <= count
    assert cut["glyf"][cut.getGlyphOrder()[0]].numberOfContours > 0  # .notdef drawn
    for gid in _gids(full):
        assert _outline(cut, gid) == _outline(full, gid)


def test_what_harfbuzz_cannot_cut_is_none():
    assert harfbuzz_cut(b"not a font at all", 0, {1, 2}, False, False) is None


def _cut(data: bytes, gids: set[int], early: bool) -> tuple[bytes, TTFont]:
    # WeasyPrint 70's options (pdf/fonts.py, ``Font._fonttools_subset``).
    options = subset.Options(retain_gids=True, passthrough_tables=True,
                             ignore_missing_glyphs=True, hinting=False,
                             desubroutinize=True, notdef_outline=False)
    options.drop_tables += ["GSUB", "GPOS", "SVG"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=gids)
    font = TTFont(io.BytesIO(data))
    if early:
        drop_before_reading(font, options)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue(), font


@pytest.mark.parametrize("name", FONTS)
def test_the_fonttools_cut_is_the_same_without_reading_the_dropped_tables(name, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")  # the head table's date
    data = (FONTS_DIR / name).read_bytes()
    original = TTFont(io.BytesIO(data))
    assert "GSUB" in original and "GPOS" in original
    gids = _gids(original)
    as_released, _ = _cut(data, gids, early=False)
    fixed, font = _cut(data, gids, early=True)
    assert fixed == as_released
    assert "GSUB" not in font.reader.tables and "GPOS" not in font.reader.tables


def test_kern_goes_with_gpos_as_the_subsetter_drops_it():
    font = TTFont(io.BytesIO((FONTS_DIR / "NotoSerif-Regular.ttf").read_bytes()))
    kern = newTable("kern")
    kern.version, kern.kernTables = 0, []
    font["kern"] = kern
    options = subset.Options()
    options.drop_tables += ["GSUB", "GPOS", "SVG"]
    drop_before_reading(font, options)
    assert "kern" not in font and "GPOS" not in font and "GSUB" not in font
    options.legacy_kern = True
    font = TTFont(io.BytesIO((FONTS_DIR / "NotoSerif-Regular.ttf").read_bytes()))
    font["kern"] = kern
    drop_before_reading(font, options)
    assert "kern" in font
