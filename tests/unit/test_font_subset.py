"""``weasyprint_fixes.font_subset``: the fonts embedded in the PDF cut as fontTools
cuts them for WeasyPrint 70, byte for byte, without reading the tables dropped."""

from __future__ import annotations

import io

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont, newTable

from folio.formats.base import FONTS_DIR
from folio.formats.pdf.weasyprint_fixes.font_subset import drop_before_reading


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


@pytest.mark.parametrize("name", ["NotoSerif-Regular.ttf", "NotoSansMono-Bold.ttf",
                                  "STIXTwoMath-Regular.ttf"])
def test_the_cut_is_the_same_without_reading_the_dropped_tables(name, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764000000")  # the head table's date
    data = (FONTS_DIR / name).read_bytes()
    original = TTFont(io.BytesIO(data))
    assert "GSUB" in original and "GPOS" in original
    cmap = original.getBestCmap()
    gids = {original.getGlyphID(cmap[ord(char)])
            for char in "Quarz, fix! Jeder Wörter—„ab“ 1234 ffi ½" if ord(char) in cmap}
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
