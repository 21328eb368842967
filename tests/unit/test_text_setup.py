"""weasyprint_fixes.text_setup: the text layouts of a font configuration share their
Pango context and font description, and the PDF is byte for byte what WeasyPrint
makes without the fix."""

from __future__ import annotations

import pytest
from helpers import assert_same_pdf_without_fix

weasyprint = pytest.importorskip("weasyprint")

from folio.formats.base import FONTS_DIR  # noqa: E402
from folio.formats.pdf.weasyprint_fixes import apply  # noqa: E402

#: Runs of text in two languages and both directions, decorated, in small capitals,
#: with features, letter and word spacing, justified and hyphenated.
PAGE = f"""<html lang="de"><head><style>
@font-face {{ font-family: Serif; src: url("{(FONTS_DIR / 'NotoSerif-Regular.ttf').as_uri()}"); }}
@font-face {{ font-family: Serif; font-style: italic;
  src: url("{(FONTS_DIR / 'NotoSerif-Italic.ttf').as_uri()}"); }}
@page {{ size: 90mm 120mm; margin: 10mm; }}
body {{ font-family: Serif; font-size: 10pt; text-align: justify; hyphens: auto; }}
.caps {{ font-variant-caps: small-caps; letter-spacing: 0.05em; }}
.num {{ font-variant-numeric: oldstyle-nums tabular-nums; }}
.wide {{ word-spacing: 0.3em; font-feature-settings: "liga" 0; }}
</style></head><body>
<p>Die Silbentrennung eines Absatzes im Blocksatz, <u>unterstrichen</u>,
<s>durchgestrichen</s> und <em>kursiv</em>; <span class="caps">Kapitälchen</span>,
<span class="num">Ziffern 1234567890</span>, <span class="wide">offizielle
Auffindbarkeit</span>.</p>
<p lang="en">An English paragraph, hyphenated by its own rules: internationalisation,
<a href="https://example.org/">a link</a>, <span dir="rtl" lang="ar">نص عربي</span>.</p>
</body></html>"""


_READERS = {
    "pango_layout_get_context": "PangoContext * pango_layout_get_context (PangoLayout *);",
    "pango_layout_get_font_description":
        "const PangoFontDescription * pango_layout_get_font_description (PangoLayout *);",
    "pango_font_description_equal": "int pango_font_description_equal "
                                    "(const PangoFontDescription *, const PangoFontDescription *);",
}


def test_layouts_of_one_style_share_their_context_and_description():
    apply()
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.text.ffi import ffi, pango
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.text.line_break import Layout

    class Style(dict):
        font_config = FontConfiguration()

    german = Style(INITIAL_VALUES, lang="de", font_family=("Serif",), font_size=12)
    english = Style(german, lang="en")
    first, second, other = Layout(german), Layout(german), Layout(english)
    for name, declaration in _READERS.items():  # not among WeasyPrint's declarations
        if not hasattr(pango, name):
            ffi.cdef(declaration)
    context = pango.pango_layout_get_context
    assert context(first.layout) == context(second.layout) != context(other.layout)
    description = pango.pango_layout_get_font_description
    assert pango.pango_font_description_equal(description(first.layout),
                                              description(other.layout))


def test_the_pdf_is_the_same_as_without_the_fix(tmp_path):
    assert_same_pdf_without_fix(
        tmp_path, PAGE, keep="from weasyprint.text.line_break import Layout\n"
                             "released = Layout.setup",
        restore="Layout.setup = released")


class _NoLookups(dict):
    def __contains__(self, key):
        raise AssertionError("the strut was looked up again")


def test_a_styles_strut_is_kept_on_the_style():
    apply()
    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.text import line_break
    from weasyprint.text.fonts import FontConfiguration

    class Style(dict):
        pass

    style = Style(INITIAL_VALUES, lang="en", font_family=("Serif",), font_size=12,
                  line_height="normal")
    style.font_config = FontConfiguration()
    first = line_break.strut(style)
    assert first[0] > 12 and 0 < first[1] < first[0]
    style.font_config.strut_layouts = _NoLookups()
    assert line_break.strut(style) == first
    other = Style(style, font_size=24)
    other.font_config = style.font_config
    with pytest.raises(AssertionError, match="looked up again"):  # another style: as before
        line_break.strut(other)
