"""Font subsets without reading the tables they drop.

Without HarfBuzz-Subset (``libharfbuzz-subset``: not on every machine), WeasyPrint 70
cuts each embedded font with fontTools. fontTools 4.68's ``Subsetter.subset`` first
decompiles the font's GSUB and GPOS tables whole (``beyond64k._compact_layout_tables``)
and only then drops them, as WeasyPrint's options ask: for Noto Serif that is
0.15 s of a face's 0.21 s, paid for every face by every part of a book laid out in
parts. The copy below removes those tables from the font before the subsetter sees it,
and with them the ``kern`` table the subsetter drops when GPOS is there: the cut is
the same, byte for byte (tests/unit/test_font_subset.py).

To drop: when fontTools no longer reads a table it is told to drop, or when
WeasyPrint drops the tables before subsetting, or when HarfBuzz-Subset is installed
everywhere folio runs.
"""

from __future__ import annotations

import io

#: Tables WeasyPrint 70 tells fontTools to drop that fontTools reads first.
DROPPED_UNREAD = ("GSUB", "GPOS", "SVG ")


def drop_before_reading(ttfont, options) -> None:
    """Remove from ``ttfont`` what ``options`` drop anyway, as fontTools'
    ``_prune_pre_subset`` would: the dropped layout tables, and ``kern`` when GPOS was
    there and the legacy kern table is not asked for."""
    has_gpos = "GPOS" in ttfont
    for tag in DROPPED_UNREAD:
        if tag.strip() in options.drop_tables and tag in ttfont:
            del ttfont[tag]
    if has_gpos and not options.legacy_kern and "kern" in ttfont:
        del ttfont["kern"]


def install() -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError
    from weasyprint.pdf import fonts

    if getattr(fonts.Font, "_folio_subset", False):
        return

    def _fonttools_subset(self, to_unicode, hinting):
        """Subset font using Fonttools."""
        full_font = io.BytesIO(self.file_content)

        # Set subset options.
        options = subset.Options(
            retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
            hinting=hinting, desubroutinize=True, notdef_outline=bool(self.missing))
        options.drop_tables += ['GSUB', 'GPOS', 'SVG']
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=to_unicode)

        # Subset font.
        try:
            ttfont = TTFont(full_font, fontNumber=self.index)
            # CHANGED from WeasyPrint 70.0 (pdf/fonts.py): the dropped tables are
            # removed before fontTools reads them.
            drop_before_reading(ttfont, options)
            subsetter.subset(ttfont)
        except TTLibError as exception:
            fonts.LOGGER.warning('Unable to subset "%s" with fontTools', self.family)
            fonts.LOGGER.debug('Original exception:', exc_info=exception)
        else:
            optimized_font = io.BytesIO()
            ttfont.save(optimized_font)
            self.file_content = optimized_font.getvalue()

    fonts.Font._fonttools_subset = _fonttools_subset
    fonts.Font._folio_subset = True
