"""Font subsets cut by HarfBuzz (through uharfbuzz) on every machine.

WeasyPrint 70 cuts each embedded font with HarfBuzz-Subset when the system has
``libharfbuzz-subset``, else with fontTools. Most machines folio runs on lack the
library (this one does), and fontTools' cut took 22 ms a face, paid by every part of
a book laid out in parts: the 150-page bench book's 16 parts cut 78 faces, 1.76 s of
the layout processes' time (an eighth of the whole build's). uharfbuzz, which folio
already uses for the reading page's fonts, carries HarfBuzz's subsetter: the same
cut, made as WeasyPrint makes it with the system library (``_harfbuzz_subset``: the
used glyphs kept at their ids, the tables WeasyPrint drops dropped, then the empty
glyphs after the last used one), takes 1 ms. The same cut on every machine, too:
the PDF's bytes no longer depend on whether the system has the library.

If HarfBuzz cannot cut a font, fontTools does, as WeasyPrint would, but without
decompiling the GSUB and GPOS tables it is told to drop (fontTools 4.68 reads them
whole first: 0.15 s of a face's 0.21 s); the cut is the same, byte for byte
(tests/unit/test_font_subset.py).

To drop: when WeasyPrint cuts fonts with a HarfBuzz it brings along, or when
HarfBuzz-Subset is installed everywhere folio runs.
"""

from __future__ import annotations

import io

#: Tables WeasyPrint 70 drops from every cut (``Font._harfbuzz_subset``), beside
#: HarfBuzz's own defaults.
DROPPED = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT",
           "SVG ")
#: Tables WeasyPrint 70 tells fontTools to drop that fontTools reads first.
DROPPED_UNREAD = ("GSUB", "GPOS", "SVG ")


def harfbuzz_cut(data: bytes, index: int, gids, hinting: bool,
                 notdef_outline: bool) -> bytes | None:
    """The font ``data`` (face ``index``) cut to the glyphs ``gids``, each at its id, as
    WeasyPrint 70 cuts it with HarfBuzz-Subset; None if HarfBuzz cannot cut it."""
    import uharfbuzz as hb

    wanted = hb.SubsetInput()
    for gid in sorted(gids):
        wanted.glyph_set.add(gid)
    for tag in DROPPED:
        wanted.drop_table_tag_set.add(int.from_bytes(tag.encode("ascii"), "big"))
    common = hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED | hb.SubsetFlags.DESUBROUTINIZE
    if notdef_outline:
        common |= hb.SubsetFlags.NOTDEF_OUTLINE
    wanted.flags = common | hb.SubsetFlags.RETAIN_GIDS
    try:
        cut = hb.subset(hb.Face(hb.Blob(data), index), wanted)
        # Every id up to the last used one kept, without RETAIN_GIDS: the same ids,
        # and the empty glyphs after the last used one (or the last part of a
        # composite one) gone, as in the second pass of WeasyPrint's.
        for gid in range(max(gids) + 1):
            wanted.glyph_set.add(gid)
        wanted.flags = common | (0 if hinting else hb.SubsetFlags.NO_HINTING)
        cut = hb.subset(cut, wanted)
    except RuntimeError:  # "Subsetting failed"
        return None
    if cut is None:
        return None
    return cut.blob.data or None


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

    def subset_font(self, to_unicode, hinting):
        """Remove unused glyphs and tables from font."""
        if not to_unicode:
            return
        # CHANGED from WeasyPrint 70.0 (pdf/fonts.py, ``Font.subset``): HarfBuzz's
        # cut through uharfbuzz, whether the system has HarfBuzz-Subset or not.
        cut = harfbuzz_cut(self.file_content, self.index, to_unicode, hinting,
                           bool(self.missing))
        if cut is not None:
            self.file_content = cut
        else:
            self._fonttools_subset(to_unicode, hinting)

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

    fonts.Font.subset = subset_font
    fonts.Font._fonttools_subset = _fonttools_subset
    fonts.Font._folio_subset = True
