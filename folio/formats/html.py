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
import html
from pathlib import Path

from markupsafe import Markup

from ..ast import Para, RawBlock, RawInline, Space, classes_of, expand
from ..document import Document
from ..notes import _flatten_note, breakable_url_html, url_text
from ..outputs import write_bytes, write_text
from .base import (FONTS_DIR, Builder, Output, book_context, font_face_css, nest,
                   toc_entries)

#: Blocks after which the URLs seen "in this paragraph" start afresh.
_PARAGRAPHS = ("Para", "Plain", "Header", "LineBlock")


def _is_external(node: dict) -> bool:
    return node["t"] == "Link" and "folio-ext" in classes_of(node)


class _Notes:
    """Footnotes of the whole book, numbered in reading order."""

    def __init__(self) -> None:
        self.count = 0

    def chapter(self, blocks: list, label: str, back: str) -> list:
        """A chapter's blocks with side notes, and its list of footnotes at the end."""
        listed: list[tuple[int, list, bool]] = []
        seen: set[str] = set()

        def url_note(url: str) -> dict:
            # Visual only: the link itself is in the text, live and announced.
            return RawInline('<span class="sidenote link-sidenote" aria-hidden="true">'
                             + breakable_url_html(url) + "</span>")

        def footnote(node: dict, in_table: bool) -> list:
            self.count += 1
            number = self.count
            original = copy.deepcopy(node["c"])
            body = _print_urls(node["c"])
            listed.append((number, body, in_table))
            ref = RawInline(f'<a class="noteref" href="#note-{number}" id="noteref-{number}" '
                            f'role="doc-noteref">{number}</a>')
            if in_table:  # a margin note cannot float out of a scrolling table
                return [ref]
            inline = _print_urls(_flatten_note(original))
            return [ref, RawInline('<span class="sidenote" role="note">'
                                   f'<span class="sidenote-number">{number}</span> '),
                    *inline, RawInline("</span>")]

        def act(node: dict, in_table: bool = False, in_heading: bool = False):
            nonlocal seen
            kind = node["t"]
            if kind in _PARAGRAPHS:
                seen = set()
            if kind == "Table" and not in_table:
                node["c"] = expand(node["c"], lambda n: act(n, True, in_heading))
                # Scrolls sideways on a phone; focusable so keyboards can scroll it.
                return [RawBlock('<div class="table-scroll" tabindex="0">'), node,
                        RawBlock("</div>")]
            if kind == "Header" and not in_heading:
                node["c"] = expand(node["c"], lambda n: act(n, in_table, True))
                return node
            if kind == "Note":
                return footnote(node, in_table)
            if _is_external(node) and not (in_table or in_heading):
                url = node["c"][2][0]
                if url in seen:
                    return None
                seen.add(url)
                node["c"][1] = expand(node["c"][1], act)
                return [node, url_note(url)]
            return None

        blocks = expand(blocks, act)
        if not listed:
            return blocks
        out = [RawBlock(f'<section class="notes" aria-label="{html.escape(label)}">')]
        for number, body, in_table in listed:
            css = "note in-table" if in_table else "note"
            out.append(RawBlock(f'<aside class="{css}" id="note-{number}" '
                                'role="doc-footnote">'))
            link = RawInline(f'<a class="note-number" href="#noteref-{number}" '
                             f'role="doc-backlink" title="{html.escape(back)}">{number}.</a>')
            body = [dict(b) for b in body]
            if body and body[0]["t"] in ("Para", "Plain"):
                body[0] = {"t": body[0]["t"], "c": [link, Space(), *body[0]["c"]]}
            else:
                body.insert(0, Para([link]))
            out.extend(body)
            out.append(RawBlock("</aside>"))
        out.append(RawBlock("</section>"))
        return blocks + out


def _print_urls(tree: list) -> list:
    """Inside a note: after each external link, its URL, shown in print only."""
    def act(node: dict):
        if _is_external(node):
            url = node["c"][2][0]
            return [node, RawInline('<span class="print-url"> ('
                                    + html.escape(url_text(url)) + ")</span>")]
        return None
    return expand(tree, act)


class HtmlBuilder(Builder):
    name = "html"

    def pieces(self, document: Document, options: dict | None = None) -> list[list]:
        words = book_context(document)["words"]
        notes = _Notes()
        # Each chapter's notes are a region of their own: name them apart.
        return [notes.chapter(copy.deepcopy(chapter.blocks),
                              f"{words['notes']}: {chapter.title or chapter.number}",
                              words["back"])
                for chapter in document.chapters]

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
