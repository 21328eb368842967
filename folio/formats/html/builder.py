"""HTML: one reading page per book.

- Links stay live. On a wide screen (and in print) each external link's target
  stands beside its line as a side note; on a phone it is just a link.
- The manuscript's footnotes are numbered in one sequence through the book. On
  a wide screen (and in print) each is a margin note beside its call; on a
  narrower screen the notes are listed at the end of their chapter, with a link
  back. Both copies are in the page; CSS shows one, so assistive technology
  meets each note once.
- A table of contents (a sidebar on wide screens), download links to the book's
  PDF and EPUB when those were built, the book's own fonts (cut to the characters
  the page uses, as WOFF2: ``formats.html.webfonts``), dark mode following the system,
  and a print stylesheet.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from markupsafe import Markup

from ... import glyphs
from ...ast import RawBlock, copied, expand
from ...document import Document
from ...outputs import write_bytes, write_text
from ...transforms.maths import FORMULA
from ..base import (FONTS_DIR, Builder, Output, Written, book_context, font_face_css, nest,
                   toc_entries)
from ..code import code_css, highlight_code
from ..maths import formulas_as_mathml
from ..notes import InMargin, NoteCounter, note_section, place_notes
from ..render import ChapterPieces, RenderMemo
from .webfonts import subset_woff2, woff2_name


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
    preview = True

    def file_name(self, slug: str) -> str:
        return "index.html"

    def pieces(self, document: Document, options: dict | None = None,
               memo: RenderMemo | None = None) -> list:
        book = book_context(document)
        words = book["words"]
        counter = NoteCounter()
        chapters = ChapterPieces(memo, document, repr((type(self).__qualname__, words["notes"],
                                                       words["back"], book["colon"])))
        pieces = []
        for index, chapter in enumerate(document.chapters):
            def make(chapter=chapter):
                margin = InMargin(counter)
                blocks = _scrolling_tables(place_notes(
                    highlight_code(formulas_as_mathml(copied(chapter.blocks),
                                                      document.may_have(FORMULA))), margin))
                # Each chapter's notes are a region of their own: name them apart.
                label = f"{words['notes']}{book['colon']}{chapter.title or chapter.number}"
                return blocks + note_section(margin.notes, epub=False, label=label,
                                             back=words["back"])

            # The notes are numbered through the book.
            pieces.append(chapters.numbered(index, counter, make))
        return pieces

    def write(self, document: Document, fragments: list[str], output: Output,
              given: Mapping) -> Written:
        book = book_context(document)
        chapters = [{"id": c.id, "title": c.title, "html": Markup(fragment)}
                    for c, fragment in zip(document.chapters, fragments)]
        css = self.render(output, "html/book.css", book=book,
                          fonts_css=Markup(font_face_css("fonts/", woff2=True)),
                          code_css_light=Markup(code_css("light")),
                          code_css_dark=Markup(code_css("dark", ":root .folio-code")))
        page = self.render(output, "html/page.html", book=book, chapters=chapters,
                           toc=nest(toc_entries(document, 2)), downloads=output.downloads)
        # The fonts, cut to the characters of the page and its stylesheet.
        characters = set(html.unescape(page)) | set(css)
        has_code = any(tag in page for tag in ("<code", "<pre", "<kbd", "<samp"))
        has_fallback = any(glyphs.place(char)[0] == "fallback"
                           for char in characters if not char.isascii())
        for font in sorted(FONTS_DIR.glob("*.ttf")):
            if (font.name.startswith("NotoSansMono") and not has_code
                    or font.name == glyphs.FALLBACK_FONT and not has_fallback):
                continue  # a face the page never shows is never asked for
            write_bytes(output.folder / "fonts" / woff2_name(font),
                        subset_woff2(font, characters, output.cache,
                                     reuse=not output.options.get("fresh")))
        for image in document.images.values():
            write_bytes(output.folder / "images" / image.name, image.data)
        write_text(output.folder / "book.css", css)
        target = output.folder / self.file_name(output.slug)
        write_text(target, page)
        return Written(target)
