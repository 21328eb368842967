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
