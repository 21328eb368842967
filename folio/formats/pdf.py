"""PDF: print HTML from Jinja2 templates, laid out by WeasyPrint with CSS paged
media. Notes float to the foot of their page; nothing is fetched from outside
the book: the URL fetcher serves only the book's resolved images and our fonts.

Two variants: the default PDF for screens (live, coloured links) and, with the
``print`` option, the print-shop PDF (3 mm bleed, crop marks, no link colour).
The page geometry comes from ``folio.pdf_layout``; a build with the same
sources and ``SOURCE_DATE_EPOCH`` gives the same bytes.
"""

from __future__ import annotations

import copy
import hashlib
import logging
from pathlib import Path
from xml.etree import ElementTree as ET

from markupsafe import Markup

from ..document import Document
from ..notes import notes_at_page_foot
from ..outputs import atomic_path
from ..pagemap import page_map
from ..pdf_layout import (MM_PER_PT, TABLE_SIZES, balanced_lines, fit_for_print,
                          geometry_for, long_date, running_head)
from ..sandbox import run_limited
from .base import (FONTS_DIR, Builder, Output, book_context, font_face_css, nest,
                   toc_entries)

#: The base URL of the print HTML; never fetched, only mapped by ``BookFetcher``.
BASE_URL = "https://book.folio.invalid/"


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class BookFetcher(URLFetcher):
        """Serves only the files it was given; refuses every other URL."""

        def __init__(self, files: dict[str, tuple[Path, str]]) -> None:
            super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False)
            self.files = files
            #: URLs that were asked for and refused.
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url in self.files:
                path, media_type = self.files[url]
                return URLFetcherResponse(url, body=path.read_bytes(),
                                          headers={"Content-Type": media_type})
            self.refused.append(url)
            raise ValueError(f"folio does not fetch {url[:80]}")

    return BookFetcher


def _xmp_metadata_class():
    from weasyprint.pdf.metadata import NS, DocumentMetadata

    class BookMetadata(DocumentMetadata):
        """WeasyPrint's XMP packet, with the book's language, publisher,
        identifier, rights and date added as Dublin Core."""

        def __init__(self, extra: dict[str, str], **values) -> None:
            super().__init__(**values)
            self.extra = extra

        def generate_rdf_metadata(self, variant, version, conformance):
            rdf = ET.fromstring(super().generate_rdf_metadata(variant, version, conformance))
            description = ET.SubElement(rdf, f'{{{NS["rdf"]}}}Description')
            description.attrib[f'{{{NS["rdf"]}}}about'] = ""
            for key, value in self.extra.items():
                if not value:
                    continue
                element = ET.SubElement(description, f'{{{NS["dc"]}}}{key}')
                if key in ("language", "publisher", "date"):
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}Bag'
                                            if key != "date" else f'{{{NS["rdf"]}}}Seq')
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}li')
                elif key == "rights":
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}Alt')
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}li')
                    element.attrib["xml:lang"] = "x-default"
                element.text = value
            return ET.tostring(rdf, encoding="utf-8")

    return BookMetadata


class PdfBuilder(Builder):
    name = "pdf"

    def pieces(self, document: Document, options: dict | None = None) -> list[list]:
        """Each chapter with its notes at the page foot, fitted to the page size the
        PDF is made in (``--page-size``, else the book's)."""
        geometry = geometry_for((options or {}).get("page_size"), document.metadata.page_size)
        return [fit_for_print(notes_at_page_foot(copy.deepcopy(chapter.blocks)), geometry)
                for chapter in document.chapters]

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

    def write(self, document: Document, fragments: list[str], output: Output) -> Path:
        files = {BASE_URL + "fonts/" + p.name: (p, "font/ttf")
                 for p in FONTS_DIR.glob("*.ttf")}
        for image in document.images.values():
            files[BASE_URL + "images/" + image.name] = (image.path, image.media_type)
        html = self.print_html(document, fragments, output)
        meta = document.metadata
        dublin_core = {"language": meta.lang, "publisher": meta.publisher,
                       "identifier": meta.identifier, "rights": meta.rights, "date": meta.date}
        target = output.folder / f"{output.slug}.pdf"
        with atomic_path(target) as temporary:
            self.page_map = run_limited(lay_out, html, files, dublin_core, temporary,
                                        display=document.source.display,
                                        what="the PDF layout")
        return target


def lay_out(html: str, files: dict[str, tuple[Path, str]], dublin_core: dict[str, str],
            temporary: Path) -> dict:
    """Lay out ``html`` into the PDF ``temporary``; return its page map.

    Runs in a child process under time and memory limits (``folio.sandbox``), so
    it takes only plain, picklable values."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    rendered = weasyprint.HTML(string=html, base_url=BASE_URL,
                               url_fetcher=_fetcher_class()(files)).render()
    rendered.metadata = _xmp_metadata_class()(dublin_core, **vars(rendered.metadata))
    # The file identifier is stable: the book's identifier and the build time
    # (pydyf adds a hash of the content as the second part).
    stamp = f"{dublin_core['identifier']}\n{rendered.metadata.modified}".encode()
    rendered.write_pdf(temporary, pdf_variant="pdf/ua-1",
                       pdf_identifier=hashlib.md5(stamp).hexdigest().encode())
    return page_map(rendered)  # for the EPUB's page list (small, pickled back)
