"""weasyprint_fixes.page_speed.margin_boxes_unmade: a page's margin boxes without
content are no longer resolved, and the ones with content are laid out as before."""

from __future__ import annotations

import pytest

weasyprint = pytest.importorskip("weasyprint")

from folio.formats.pdf.weasyprint_fixes import apply  # noqa: E402

PAGE = """<html><head><style>
@page { size: 100mm 100mm; margin: 20mm;
  @top-right { content: "Running head"; text-align: right; }
  @bottom-left { content: counter(page); width: 100%; text-align: left; } }
</style></head><body><p>Text</p></body></html>"""


class _Unreadable(dict):
    def __missing__(self, key):
        raise AssertionError(f"style read: {key}")


def test_a_box_without_content_is_not_resolved():
    apply()
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import page as page_module

    empty = boxes.MarginBox("@top-left", _Unreadable())
    empty.is_generated = False
    page_module.resolve_percentages(empty, (100, 20))  # reads nothing
    made = boxes.MarginBox("@top-right", _Unreadable())
    made.is_generated = True
    with pytest.raises(AssertionError, match="style read"):
        page_module.resolve_percentages(made, (100, 20))


def test_the_boxes_with_content_keep_their_place_and_text():
    apply()
    from weasyprint.formatting_structure import boxes

    page = weasyprint.HTML(string=PAGE).render().pages[0]
    placed = {box.at_keyword: box for box in page._page_box.children
              if isinstance(box, boxes.MarginBox)}
    assert set(placed) == {"@top-right", "@bottom-left"}
    head, number = placed["@top-right"], placed["@bottom-left"]
    mm = 96 / 25.4
    # The head's box ends at the right margin; the number's spans the text's width.
    assert head.position_x + head.margin_width() == pytest.approx(80 * mm, abs=0.5)
    assert number.position_x == pytest.approx(20 * mm, abs=0.5)
    assert number.margin_width() == pytest.approx(60 * mm, abs=0.5)

    def text(box):
        return "".join(b.text for b in box.descendants() if isinstance(b, boxes.TextBox))

    assert (text(head), text(number)) == ("Running head", "1")
