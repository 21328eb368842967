"""weasyprint_fixes.page_speed.percentages_per_style and plain_backgrounds_per_style:
a box's used margins, paddings, sizes and borders are resolved once for its style and
its containing block's size, a box without a background is known so by its style;
the PDF is byte for byte what WeasyPrint makes without the fixes."""

from __future__ import annotations

import pytest
from helpers import assert_same_pdf_without_fix

weasyprint = pytest.importorskip("weasyprint")

from folio.formats.pdf.weasyprint_fixes import apply  # noqa: E402

PAGE = """<html><head><style>
@page { size: 120mm 90mm; margin: 10mm 12% 10mm 8mm; }
body { font-size: 9pt; }
.box { width: 60%; min-width: 20mm; max-width: 90%; padding: 2% 3mm; margin: 1em 5%;
       border: 1mm solid; box-sizing: border-box; }
.pad { padding: 10%; box-sizing: padding-box; height: 20%; }
table { border-collapse: collapse; width: 80%; } td { border: 2px solid; padding: 1%; }
table.apart { border-collapse: separate; }
.tint { background: #eef; border-radius: 2mm; } .shade { box-shadow: 1mm 1mm 2mm #888; }
.fade { background-image: linear-gradient(#fff, #ccc); } .gone { visibility: hidden; }
</style></head><body>
<p class="tint">Tinted, rounded.</p><p class="shade">Shaded.</p><p class="fade">Faded.</p>
<p class="gone">Hidden.</p>
<div class="box">One box, sized in percentages.</div>
<div class="box">Another box of the same style.</div>
<div class="pad">Padding of a tenth.</div>
<table><tr><td>collapsed</td><td>borders</td></tr></table>
<table class="apart"><tr><td>separate</td><td>borders</td></tr></table>
<p>""" + "A paragraph that runs over lines and lines. " * 40 + """</p>
</body></html>"""


def test_a_second_box_of_a_style_takes_the_kept_values(monkeypatch):
    apply()
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import block, percent

    page = weasyprint.HTML(string=PAGE).render().pages[0]._page_box
    first, second = [box for box in page.descendants()
                     if isinstance(box, boxes.BlockBox) and box.element_tag == "div"][:2]
    assert first.style is second.style
    block.resolve_percentages(first, (300.0, 200.0))
    expected = {name: getattr(first, name) for name in ("width", "padding_top",
                                                        "margin_left", "max_width")}

    def unused(*args):
        raise AssertionError("resolved again")

    monkeypatch.setattr(percent, "resolve_one_percentage", unused)
    block.resolve_percentages(second, (300.0, 200.0))
    assert {name: getattr(second, name) for name in expected} == expected
    # 60 % of the block, less the border box's side paddings (3 mm) and borders (1 mm).
    assert expected["width"] == pytest.approx(0.6 * 300 - 2 * (3 + 1) * 96 / 25.4)
    with pytest.raises(AssertionError, match="resolved again"):  # a size not kept yet
        block.resolve_percentages(second, (123.0, 456.0))


def test_only_boxes_without_a_background_are_plain():
    apply()
    from weasyprint.formatting_structure import boxes

    pages = weasyprint.HTML(string=PAGE).render().pages
    found = {box.element.get("class"): box for page in pages
             for box in page._page_box.descendants()
             if isinstance(box, boxes.BlockBox) and box.element_tag == "p"}
    plain = {name: box.style.__dict__.get("_folio_plain") for name, box in found.items()}
    assert plain == {"tint": False, "shade": False, "fade": False, "gone": True, None: True}
    assert found["tint"].background is not None and found[None].background is None
    assert found["tint"].border_top_left_radius != (0, 0) == found[None].border_top_left_radius


_KEEP = """
from weasyprint.layout import (absolute, background, block, column, float, grid, inline,
                               percent, table)
released, backgrounds = percent.resolve_percentages, background.layout_box_backgrounds
"""
_RESTORE = """
patched = percent.resolve_percentages
for module in (percent, absolute, block, column, float, grid, inline, table):
    if module.resolve_percentages is patched:
        module.resolve_percentages = released
background.layout_box_backgrounds = backgrounds
"""


def test_the_pdf_is_the_same_as_without_the_fix(tmp_path):
    assert_same_pdf_without_fix(tmp_path, PAGE, keep=_KEEP, restore=_RESTORE)
