"""PDF: print HTML from Jinja2 templates, laid out by WeasyPrint with CSS paged
media. Notes float to the foot of their page; nothing is fetched from outside
the book: the URL fetcher serves only the book's resolved images and our fonts."""

from __future__ import annotations

import copy
import logging
from pathlib import Path

from markupsafe import Markup

from ..document import Document
from ..notes import notes_at_page_foot
from ..outputs import atomic_path
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


class PdfBuilder(Builder):
    name = "pdf"

    def pieces(self, document: Document) -> list[list]:
        return [notes_at_page_foot(copy.deepcopy(chapter.blocks))
                for chapter in document.chapters]

    def print_html(self, document: Document, fragments: list[str], output: Output) -> str:
        book = book_context(document)
        chapters = [{"id": c.id, "title": c.title, "html": Markup(fragment)}
                    for c, fragment in zip(document.chapters, fragments)]
        css = self.render(output, "print/print.css", book=book,
                          fonts_css=Markup(font_face_css("fonts/")))
        return self.render(output, "print/book.html", book=book, chapters=chapters,
                           toc=nest(toc_entries(document, 2)), css=Markup(css))

    def write(self, document: Document, fragments: list[str], output: Output) -> Path:
        import weasyprint

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        files = {BASE_URL + "fonts/" + p.name: (p, "font/ttf")
                 for p in FONTS_DIR.glob("*.ttf")}
        for image in document.images.values():
            files[BASE_URL + "images/" + image.name] = (image.path, image.media_type)
        fetcher = _fetcher_class()(files)
        html = self.print_html(document, fragments, output)
        rendered = weasyprint.HTML(string=html, base_url=BASE_URL,
                                   url_fetcher=fetcher).render()
        target = output.folder / f"{output.slug}.pdf"
        with atomic_path(target) as temporary:
            rendered.write_pdf(temporary, pdf_variant="pdf/ua-1")
        return target
