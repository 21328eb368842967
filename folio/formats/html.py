"""HTML: one reading page per book.

- Links stay live. On a wide screen (and in print) each external link's target
  stands beside its line as a side note; on a phone it is just a link.
- The manuscript's footnotes are numbered in one sequence through the book. On
  a wide screen (and in print) each is a margin note beside its call; on a
  narrower screen the notes are listed at the end of their chapter, with a link
  back. Both copies are in the page; CSS shows one, so assistive technology
  meets each note once.
- A table of contents (a sidebar on wide screens), download links to the book's
  PDF and EPUB when those were built, the book's own fonts, dark mode following
  the system, and a print stylesheet.
"""

from __future__ import annotations

import copy
from pathlib import Path

from markupsafe import Markup

from ..ast import RawBlock, expand
from ..document import Document
from ..outputs import write_bytes, write_text
from .base import (FONTS_DIR, Builder, Output, Written, book_context, font_face_css, nest,
                   toc_entries)
from .notes import InMargin, NoteCounter, note_section, place_notes


def _scrolling_tables(blocks: list) -> list:
    """Each table in a box that scrolls sideways on a phone; focusable, so that a
    keyboard can scroll it."""
    def act(node: dict):
        if node["t"] == "Table":
            return [RawBlock('<div class="table-scroll" tabindex="0">'), node,
                    RawBlock("</div>")]
        return None
    return expand(blocks, act)


class HtmlBuilder(Builder):
    name = "html"
    suffix = "html"

    def file_name(self, slug: str) -> str:
        return "index.html"

    def pieces(self, document: Document, options: dict | None = None) -> list[list]:
        words = book_context(document)["words"]
        counter = NoteCounter()
        pieces = []
        for chapter in document.chapters:
            margin = InMargin(counter)
            blocks = _scrolling_tables(place_notes(copy.deepcopy(chapter.blocks), margin))
            # Each chapter's notes are a region of their own: name them apart.
            label = f"{words['notes']}: {chapter.title or chapter.number}"
            pieces.append(blocks + note_section(margin.notes, epub=False, label=label,
                                                back=words["back"]))
        return pieces

    def write(self, document: Document, fragments: list[str], output: Output,
              given: dict) -> Written:
        book = book_context(document)
        chapters = [{"id": c.id, "title": c.title, "html": Markup(fragment)}
                    for c, fragment in zip(document.chapters, fragments)]
        css = self.render(output, "html/book.css", book=book,
                          fonts_css=Markup(font_face_css("fonts/")))
        page = self.render(output, "html/page.html", book=book, chapters=chapters,
                           toc=nest(toc_entries(document, 2)), downloads=output.downloads)
        for font in FONTS_DIR.glob("*.ttf"):
            target = output.folder / "fonts" / font.name
            if not target.exists() or target.stat().st_size != font.stat().st_size:
                write_bytes(target, font.read_bytes())
        for image in document.images.values():
            write_bytes(output.folder / "images" / image.name, image.data)
        write_text(output.folder / "book.css", css)
        target = output.folder / self.file_name(output.slug)
        write_text(target, page)
        return Written(target)
