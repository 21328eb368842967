"""PDF: print HTML from Jinja2 templates, laid out by WeasyPrint with CSS paged
media. Notes float to the foot of their page; nothing is fetched from outside
the book: the URL fetcher serves only the book's resolved images and our fonts.

Two variants: the default PDF for screens (live, coloured links) and, with the
``print`` option, the print-shop PDF (3 mm bleed, crop marks, no link colour).
The page geometry and the passes for print come from ``layout``; the print
HTML is laid out by WeasyPrint in a child process of its own (``engine``). A
build with the same sources and ``SOURCE_DATE_EPOCH`` gives the same bytes.
"""

from __future__ import annotations

import copy

from markupsafe import Markup

from ...diagnostics import Diagnostic
from ...document import Document
from ...outputs import atomic_path
from ..base import (FONTS_DIR, Builder, Output, Written, book_context, font_face_css, nest,
                    toc_entries)
from ..notes import AtPageFoot, place_notes
from .engine import BASE_URL, lay_out
from .layout import (MM_PER_PT, TABLE_SIZES, balanced_lines, fit_for_print, geometry_for,
                     long_date, running_head, wide_tables)


class PdfBuilder(Builder):
    name = "pdf"
    suffix = "pdf"
    download = "PDF"
    #: Where each printed page begins, for the EPUB's page list (``formats.pagemap``).
    gives = ("page_map",)
    isolated = True
    preload = ("weasyprint",)

    def pieces(self, document: Document, options: dict | None = None) -> list[list]:
        """Each chapter with its notes at the page foot, fitted to the page size the
        PDF is made in (``--page-size``, else the book's)."""
        geometry = geometry_for((options or {}).get("page_size"), document.metadata.page_size)
        pieces = [fit_for_print(place_notes(copy.deepcopy(chapter.blocks), AtPageFoot()),
                                geometry)
                  for chapter in document.chapters]
        self.diagnostics = [
            Diagnostic(chapter.source, line, col, "warning", message, "wide-table")
            for chapter, piece in zip(document.chapters, pieces)
            for line, col, message in wide_tables(piece, geometry)]
        return pieces

    def print_html(self, document: Document, fragments: list[str], output: Output) -> str:
        geometry = geometry_for(output.options.get("page_size"), document.metadata.page_size)
        printing = bool(output.options.get("print"))
        book = book_context(document)
        book["page_size"] = geometry.size
        book["long_date"] = long_date(book["date"], book["lang"]) if book["date"] else ""
        # The title on its page in even lines (bold, 2.3 em: about 0.6 em a character).
        book["title_lines"] = balanced_lines(book["title"], geometry.text_width * 0.9,
                                             2.3 * geometry.font_size * 0.6 * MM_PER_PT)
        book["isbn_display"] = document.metadata.isbn_text or document.metadata.isbn
        chapters = [{"id": c.id, "title": c.title, "html": Markup(fragment),
                     "running_head": running_head(c.title or book["title"], geometry)}
                    for c, fragment in zip(document.chapters, fragments)]
        css = self.render(output, "print/print.css", book=book, page=geometry,
                          printing=printing, table_sizes=TABLE_SIZES,
                          fonts_css=Markup(font_face_css("fonts/")))
        return self.render(output, "print/book.html", book=book, chapters=chapters,
                           toc=nest(toc_entries(document, 2)), css=Markup(css))

    def write(self, document: Document, fragments: list[str], output: Output,
              given: dict) -> Written:
        files = {BASE_URL + "fonts/" + p.name: (p, "font/ttf")
                 for p in FONTS_DIR.glob("*.ttf")}
        for image in document.images.values():
            files[BASE_URL + "images/" + image.name] = (image.data, image.media_type)
        html = self.print_html(document, fragments, output)
        meta = document.metadata
        dublin_core = {"language": meta.lang, "publisher": meta.publisher,
                       "identifier": meta.identifier, "rights": meta.rights, "date": meta.date}
        target = output.folder / self.file_name(output.slug)
        with atomic_path(target) as temporary:
            page_map = output.isolated(lay_out, html, files, dublin_core, temporary)
        return Written(target, {"page_map": page_map})
