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

from ...ast import RawBlock, expand, stringify
from ...document import Document
from ...outputs import atomic_path
from ..base import (FONTS_DIR, Builder, Output, Written, book_context, font_face_css, nest,
                    toc_entries)
from ..code import code_css
from ..notes import AtPageFoot, place_notes
from .engine import BASE_URL, lay_out
from .index import print_index
from .layout import (MM_PER_PT, TABLE_SIZES, balanced_lines, fit_for_print, geometry_for,
                     running_head)
from .maths import formulas_as_drawings


def bookmark_labels(blocks: list) -> list:
    """Every heading's plain text as its bookmark label (``data-bookmark``, which
    print.css gives to ``bookmark-label``): WeasyPrint's default label is the
    heading's whole content, note calls and a link note's number included."""
    def act(node: dict):
        if node["t"] == "Header":
            keyvals = node["c"][1][2]
            keyvals[:] = [kv for kv in keyvals if kv[0] != "data-bookmark"]
            keyvals.append(["data-bookmark", stringify(node["c"][2])])
        return None
    return expand(blocks, act)


def caption_lists(document: Document) -> list[dict]:
    """The lists of figures and of tables the metadata asks for (issue 14)."""
    labels = book_context(document)["labels"]
    lists = []
    for kind, wanted, title in (("figures", document.metadata.list_of_figures,
                                 labels["list_of_figures"]),
                                ("tables", document.metadata.list_of_tables,
                                 labels["list_of_tables"])):
        items = [{"id": c.id, "label": c.label, "text": c.text} for c in document.captions
                 if c.kind == kind[:-1] and c.id]
        if wanted and items:
            lists.append({"kind": kind, "title": title, "entries": items})
    return lists


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
        #: Formula drawings (name -> SVG) for ``write``, made with the pieces.
        self.drawings: dict[str, bytes] = {}
        return [fit_for_print(formulas_as_drawings(
                    place_notes(self._blocks(document, chapter), AtPageFoot()),
                    self.drawings), geometry)
                for chapter in document.chapters]

    @staticmethod
    def _blocks(document: Document, chapter) -> list:
        """A chapter's blocks; the index with page numbers to come (``pdf.index``)."""
        if chapter.kind == "index":
            return [copy.deepcopy(chapter.blocks[0]), RawBlock(print_index(document))]
        return bookmark_labels(copy.deepcopy(chapter.blocks))

    def print_html(self, document: Document, fragments: list[str], output: Output) -> str:
        geometry = geometry_for(output.options.get("page_size"), document.metadata.page_size)
        printing = bool(output.options.get("print"))
        book = book_context(document)
        book["page_size"] = geometry.size
        # The title in even lines (bold, 2.3 em on a title page, 1.9 em above an
        # article: about 0.6 em a character).
        size = 1.9 if document.layout == "article" else 2.3
        book["title_lines"] = balanced_lines(book["title"], geometry.text_width * 0.9,
                                             size * geometry.font_size * 0.6 * MM_PER_PT)
        book["isbn_display"] = document.metadata.isbn_text or document.metadata.isbn
        chapters = [{"id": c.id, "title": c.title, "html": Markup(fragment),
                     "running_head": running_head(c.title or book["title"], geometry)}
                    for c, fragment in zip(document.chapters, fragments)]
        css = self.render(output, "print/print.css", book=book, page=geometry,
                          printing=printing, table_sizes=TABLE_SIZES,
                          code_css=Markup(code_css("print")),
                          fonts_css=Markup(font_face_css("fonts/")))
        return self.render(output, "print/book.html", book=book, chapters=chapters,
                           toc=nest(toc_entries(document, 2)), css=Markup(css),
                           caption_lists=caption_lists(document))

    def write(self, document: Document, fragments: list[str], output: Output,
              given: dict) -> Written:
        files = {BASE_URL + "fonts/" + p.name: (p, "font/ttf")
                 for p in FONTS_DIR.glob("*.ttf")}
        for image in document.images.values():
            files[BASE_URL + "images/" + image.name] = (image.path, image.media_type)
        for name, svg in getattr(self, "drawings", {}).items():
            files[BASE_URL + "images/" + name] = (svg, "image/svg+xml")
        html = self.print_html(document, fragments, output)
        meta = document.metadata
        dublin_core = {"language": meta.lang, "publisher": meta.publisher,
                       "identifier": meta.identifier, "rights": meta.rights, "date": meta.date}
        target = output.folder / self.file_name(output.slug)
        with atomic_path(target) as temporary:
            page_map = output.isolated(lay_out, html, files, dublin_core, temporary)
        return Written(target, {"page_map": page_map})
