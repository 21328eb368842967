"""weasyprint_fixes.shared_styles: pseudo-elements that match the same rules under
the same element style share one computed style, and the PDF is byte for byte what
WeasyPrint makes without the fix."""

from __future__ import annotations

import pytest
from helpers import assert_same_pdf_without_fix

weasyprint = pytest.importorskip("weasyprint")

from folio.formats.pdf.weasyprint_fixes import apply  # noqa: E402

#: Pseudo-elements of many kinds, with content that differs from element to element
#: (attributes, counters), notes, lists inside and outside, a collapsed table.
PAGE = """<html lang="en"><head><style>
@page { size: 100mm 80mm; margin: 10mm; @bottom-center { content: counter(page); } }
body { counter-reset: item; font-size: 9pt; }
p::before { content: "[" attr(data-n) "] "; color: #a00; }
p.x::after { content: " (" counter(item) ")"; counter-increment: item; }
a::after { content: " <" attr(href) ">"; font-style: italic; }
.note { float: footnote; }
ol.in { list-style-position: inside; }
li::marker { color: #06c; }
table { border-collapse: collapse; } td { border: 1px solid; padding: 2px; }
</style></head><body>
<p data-n="1">One<span class="note">First note.</span></p>
<p data-n="2" class="x">Two <a href="https://example.org/a">a</a></p>
<p data-n="3" class="x">Three <a href="https://example.org/b">b</a></p>
<ol><li>first</li><li>second</li></ol>
<ol class="in"><li>third</li><li>fourth<span class="note">Second note.</span></li></ol>
<table><tr><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td></tr></table>
<p data-n="4">Four</p>
</body></html>"""


def test_the_pseudo_elements_of_like_elements_share_their_style():
    apply()
    from weasyprint.css import get_all_computed_styles

    document = weasyprint.HTML(string=PAGE)
    styles = get_all_computed_styles(document)
    paragraphs = list(document.etree_element.iter("p"))
    befores = [styles(element, "before") for element in paragraphs]
    # Two paragraphs of class x (one style), two without: two styles for four.
    assert None not in befores
    assert len({id(style) for style in befores}) == 2
    items = list(document.etree_element.iter("li"))
    markers = [styles(element, "marker") for element in items]
    assert markers[0] is markers[1] is not None


def test_the_pdf_is_the_same_as_without_the_fix(tmp_path):
    assert_same_pdf_without_fix(
        tmp_path, PAGE, keep="from weasyprint.css import StyleFor\n"
                             "released = StyleFor.__init__",
        restore="StyleFor.__init__ = released", options='pdf_variant="pdf/ua-1"')
