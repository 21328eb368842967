"""The reading page's font cuts (folio.formats.html.webfonts): HarfBuzz cuts, fontTools
packs as WOFF2. What a browser needs of a cut: a glyph for every character of the
page, at the original's widths, with the small caps and numeral features the
stylesheet asks for, and nothing it does not (hints, other characters)."""

from __future__ import annotations

import io

from fontTools.ttLib import TTFont

from folio.formats.base import FONTS_DIR
from folio.formats.html.webfonts import FEATURES, subset_woff2

REGULAR = FONTS_DIR / "NotoSerif-Regular.ttf"
TEXT = "Affine Qu’est-ce « gehört » 1984 — ½ fi"


def _features(font: TTFont) -> set[str]:
    return {record.FeatureTag for record in font["GSUB"].table.FeatureList.FeatureRecord}


def test_a_cut_keeps_every_character_at_its_width_and_nothing_else():
    cut = TTFont(io.BytesIO(subset_woff2(REGULAR, set(TEXT))))
    whole = TTFont(REGULAR)
    assert cut.flavor == "woff2"
    cmap, whole_cmap = cut.getBestCmap(), whole.getBestCmap()
    assert set(cmap) == {ord(char) for char in set(TEXT)}
    for code in cmap:
        assert cut["hmtx"][cmap[code]][0] == whole["hmtx"][whole_cmap[code]][0], chr(code)
    # The hints are gone; the glyphs are a fraction of the font's.
    assert not {"fpgm", "prep", "cvt "} & set(cut.keys())
    assert len(cut.getGlyphOrder()) < len(whole.getGlyphOrder()) / 10
    assert "liga" in _features(cut)  # "fi" is in the text


def test_a_cut_keeps_the_features_the_stylesheets_use_and_their_glyphs():
    cut = TTFont(io.BytesIO(subset_woff2(REGULAR, set("Small caps 0123"))))
    assert set(FEATURES) <= _features(cut)
    # The small capitals themselves came with the closure: more glyphs than characters.
    assert len(cut.getGlyphOrder()) > 2 * len(set("Small caps 0123"))


def test_a_cut_is_kept_in_the_cache_and_taken_from_there(tmp_path):
    first = subset_woff2(REGULAR, set(TEXT), tmp_path)
    kept = list(tmp_path.glob("NotoSerif-Regular.*.woff2"))
    assert len(kept) == 1 and kept[0].read_bytes() == first
    kept[0].write_bytes(b"kept")  # taken from the cache, not cut again
    assert subset_woff2(REGULAR, set(TEXT), tmp_path) == b"kept"
    assert subset_woff2(REGULAR, set(TEXT), tmp_path, reuse=False) == first


def test_the_same_cut_is_the_same_bytes_at_any_time(monkeypatch):
    """The reading page's fonts are reproducible: fontTools wrote the time of the cut
    into the font's head table (the cache test above failed when its two cuts fell
    on either side of a second)."""
    from fontTools.ttLib.tables import _h_e_a_d

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    cuts = []
    for now in (1_000_000, 2_000_000):
        monkeypatch.setattr(_h_e_a_d, "timestampNow", lambda now=now: now)
        cuts.append(subset_woff2(REGULAR, set(TEXT)))
    assert cuts[0] == cuts[1]
