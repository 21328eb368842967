"""HTML: one reading page per book, with live links, a table of contents,
notes at the end of each chapter, and a print stylesheet that shows link targets."""

from __future__ import annotations

import copy
from pathlib import Path

from markupsafe import Markup

from ..document import Document
from ..notes import NoteCounter, note_blocks, notes_at_chapter_end
from ..outputs import write_bytes, write_text
from .base import (FONTS_DIR, Builder, Output, book_context, font_face_css, nest,
                   toc_entries)


class HtmlBuilder(Builder):
    name = "html"

    def pieces(self, document: Document) -> list[list]:
        counter = NoteCounter()
        label = book_context(document)["words"]["notes"]
        pieces = []
        for chapter in document.chapters:
            blocks, notes = notes_at_chapter_end(copy.deepcopy(chapter.blocks), counter,
                                                 epub=False, share_urls=False)
            pieces.append(blocks + note_blocks(notes, epub=False, label=label))
        return pieces

    def write(self, document: Document, fragments: list[str], output: Output) -> Path:
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
            write_bytes(output.folder / "images" / image.name, image.path.read_bytes())
        write_text(output.folder / "book.css", css)
        target = output.folder / "index.html"
        write_text(target, page)
        return target
