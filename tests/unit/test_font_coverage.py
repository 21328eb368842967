"""Which characters a shipped font has (folio/glyphs.py ``_best_cmap_codes``): read
from the font's cmap table directly, the same code points fontTools maps."""

import pytest
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable, table__c_m_a_p

from folio import glyphs


@pytest.mark.parametrize("font", sorted(p.name for p in glyphs.FONTS.glob("*.ttf")))
def test_every_shipped_font_has_the_characters_fonttools_finds(font):
    ttfont = TTFont(glyphs.FONTS / font, lazy=True)
    assert glyphs._best_cmap_codes(ttfont.reader["cmap"]) == set(ttfont.getBestCmap())


@pytest.mark.parametrize("kind, platform", [(4, (3, 1)), (12, (3, 10))])
def test_a_table_of_either_format_is_read_as_fonttools_reads_it(kind, platform):
    font = TTFont(glyphs.FONTS / "NotoSerif-Regular.ttf")
    best = font.getBestCmap()
    subtable = CmapSubtable.newSubtable(kind)
    subtable.platformID, subtable.platEncID = platform
    subtable.language = 0
    # Every seventh character left out: segments through the delta and the glyph array.
    subtable.cmap = {code: name for code, name in best.items()
                     if code < 0x10000 and code % 7 != 3}
    table = table__c_m_a_p()
    table.tableVersion, table.tables = 0, [subtable]
    codes = glyphs._best_cmap_codes(table.compile(font))
    assert codes == set(subtable.cmap) and 0x41 in codes and 0x42 not in codes


def test_a_table_without_a_unicode_subtable_is_left_to_fonttools():
    with pytest.raises(ValueError):
        glyphs._best_cmap_codes(b"\0\0\0\0")
