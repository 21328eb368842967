"""Two costs of WeasyPrint 70.0 that grew with pages x elements (found on 3,000
one-line chapters, which did not lay out in 300 s before these), and one per page
(``margin_boxes_unmade``)."""

from __future__ import annotations


def page_references_once() -> None:
    """pydyf 0.13's ``PDF.page_references`` builds the tuple of every page's reference
    each time it is read, and WeasyPrint reads it for every tagged element and every
    link: time grew with pages × elements (3,000 one-line chapters did not lay out in
    300 s). The tuple is kept until a page is added (pages are only ever appended)."""
    import pydyf

    if getattr(pydyf.PDF, "_folio_references", False):
        return

    def page_references(pdf):
        kids = pdf.pages["Kids"]
        cached = pdf.__dict__.get("_folio_page_references")
        if cached is None or cached[0] != len(kids):
            cached = (len(kids), tuple(f"{number} 0 R".encode("ascii")
                                       for number in kids[::3]))
            pdf.__dict__["_folio_page_references"] = cached
        return cached[1]

    pydyf.PDF.page_references = property(page_references)
    pydyf.PDF._folio_references = True


def page_styles_per_page() -> None:
    """WeasyPrint 70's ``set_page_type_computed_styles`` looks for a page's margin
    boxes by walking every cascaded style of the document, for every page: time grew
    with pages × elements. The same margin boxes are found from the ``@page`` rules
    (the only place that adds them), in the order of those rules."""
    from weasyprint.layout import page as page_module

    if getattr(page_module, "_folio_page_styles", False):
        return

    def set_page_type_computed_styles(page_type, html, style_for):
        style_for.add_page_declarations(page_type)
        style_for.set_computed_styles(page_type, root=html.etree_element,
                                      parent=html.etree_element, base_url=html.base_url)
        cascaded = style_for.get_cascaded_styles()
        pseudo_types = dict.fromkeys(
            selector[1] for sheet, _, _ in style_for._sheets
            for _, selectors, _ in sheet.page_rules for selector in selectors)
        for pseudo_type in pseudo_types:
            if pseudo_type and (page_type, pseudo_type) in cascaded:
                style_for.set_computed_styles(page_type, pseudo_type=pseudo_type,
                                              root=html.etree_element, parent=page_type,
                                              base_url=html.base_url)

    page_module.set_page_type_computed_styles = set_page_type_computed_styles
    page_module._folio_page_styles = True


def margin_boxes_unmade() -> None:
    """WeasyPrint 70's ``make_margin_boxes`` makes all sixteen margin boxes of every
    page and resolves each one's percentages (a dozen style values, computed for the
    page) before it sees that most have no content and are never laid out: a book's
    page shows two (a running head, a page number). The 150-page bench book's parts:
    a third of their margin boxes' time, ~3 % of the layout (cProfile). A box that is
    not generated is now left as ``make_box`` leaves it anyway: its size, margins,
    paddings and borders zero, nothing else read."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import page as page_module

    if getattr(page_module, "_folio_margin_boxes", False):
        return
    resolve = page_module.resolve_percentages

    # CHANGED from WeasyPrint 70.0 (layout/page.py, make_margin_boxes.make_box, which
    # calls this before it zeroes a box that is not generated): nothing to resolve.
    def resolve_percentages(box, containing_block):
        if type(box) is boxes.MarginBox and not box.is_generated:
            return
        resolve(box, containing_block)

    page_module.resolve_percentages = resolve_percentages
    page_module._folio_margin_boxes = True


#: What ``resolve_percentages`` sets on a box (the used margins, paddings, sizes and
#: border widths).
USED = tuple(f"{name}_{side}" for name in ("margin", "padding")
             for side in ("top", "right", "bottom", "left")) + (
    "width", "min_width", "max_width", "height", "min_height", "max_height") + tuple(
    f"border_{side}_width" for side in ("top", "right", "bottom", "left"))


def percentages_per_style() -> None:
    """WeasyPrint 70 resolves a box's used margins, paddings, sizes and borders from
    its style and its containing block's size every time the box is laid out (27,700
    times for the 150-page bench book's parts, 365,000 values): the same values for
    every box of a style in a block of the same size, a paragraph's lines and each
    try at a page. They are now kept on the style, by the containing block's size,
    and set on the box as WeasyPrint's function set them. Not for a box of a table
    whose borders collapse (its border widths are the box's own).
    Must run before ``margin_boxes_unmade`` (which calls what it finds here)."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import (absolute, block, column, flex, float as float_module,
                                   grid, inline, page, percent, table)

    if getattr(percent, "_folio_percentages", False):
        return
    resolve = percent.resolve_percentages

    # CHANGED from WeasyPrint 70.0 (layout/percent.py, resolve_percentages): the
    # values it sets are kept by style, box kind and containing block size.
    def resolve_percentages(box, containing_block):
        style = box.style
        if style["border_collapse"] == "collapse":
            resolve(box, containing_block)
            return
        if isinstance(containing_block, boxes.Box):
            size = (containing_block.width, containing_block.height)
        else:
            size = tuple(containing_block)
        key = (size, isinstance(box, boxes.PageBox))
        kept = style.__dict__.setdefault("_folio_used", {})
        used = kept.get(key)
        if used is None:
            resolve(box, containing_block)
            kept[key] = tuple(getattr(box, name) for name in USED)
            return
        for name, value in zip(USED, used):
            setattr(box, name, value)

    for module in (percent, absolute, block, column, float_module, grid, inline, page,
                   table):
        if getattr(module, "resolve_percentages", None) is resolve:
            module.resolve_percentages = resolve_percentages
    assert flex.percent is percent  # flex calls percent.resolve_percentages
    percent._folio_percentages = True


def plain_backgrounds_per_style() -> None:
    """WeasyPrint 70 works out every box's background on every page (25,000 boxes for
    the bench book's parts): its corners' radii, its border image, its colour parsed
    again, its images. Most boxes have none of these, and that depends on the style
    alone: it is now found once per style, and such a box is given what WeasyPrint
    gives it (square corners, no background) without the rest."""
    from weasyprint.draw.color import get_color
    from weasyprint.layout import background

    if getattr(background, "_folio_plain", False):
        return
    lay_out = background.layout_box_backgrounds
    corners = tuple(f"border_{corner}_radius" for corner in
                    ("top_left", "top_right", "bottom_right", "bottom_left"))

    def plain(style) -> bool:
        """True if a box of ``style`` has square corners, no border or mask image and
        no background (nothing in it shows: no colour, image or shadow)."""
        found = style.__dict__.get("_folio_plain")
        if found is None:
            found = style.__dict__["_folio_plain"] = (
                all((0, "px") in style[corner] for corner in corners)
                and style["border_image_source"][0] == "none"
                and style["mask_border_source"][0] == "none"
                and not style["box_shadow"]
                and (style["visibility"] == "hidden" or (
                    get_color(style, "background_color").alpha == 0
                    and all(kind == "none" for kind, _ in style["background_image"]))))
        return found

    # CHANGED from WeasyPrint 70.0 (layout/background.py, layout_box_backgrounds): a
    # box other than the page whose style is ``plain`` gets square corners and no
    # background, its children as before.
    def layout_box_backgrounds(page, box, get_image_from_uri, layout_children=True,
                               style=None):
        if style is not None or box is page or not plain(box.style):
            return lay_out(page, box, get_image_from_uri, layout_children, style)
        for corner in corners:
            setattr(box, corner, (0, 0))
        if layout_children:
            for child in box.all_children():
                layout_box_backgrounds(page, child, get_image_from_uri)
        box.background = None
        return None

    background.layout_box_backgrounds = layout_box_backgrounds
    background._folio_plain = True
