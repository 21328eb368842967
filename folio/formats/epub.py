"""EPUB 3: one XHTML file per chapter, a navigation document and an NCX for
EPUB 2 readers, notes that pop up where the reader supports it, and a zip that
is byte-identical from build to build."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

from markupsafe import Markup

from ..ast import classes_of, expand
from ..document import Document
from ..notes import NoteCounter, note_blocks, notes_at_chapter_end
from ..outputs import atomic_path
from ..xhtml import to_xhtml
from .base import Builder, Output, book_context, build_time, nest, toc_entries


def _cross_file_links(blocks: list, document: Document) -> list:
    """Point cross-references at the chapter file that holds their anchor."""
    def act(node: dict):
        if node["t"] == "Link" and "folio-xref" in classes_of(node):
            anchor = node["c"][2][0][1:]
            number = document.anchors.get(anchor)
            if number is not None:
                node["c"][2][0] = f"{document.chapters[number - 1].file_name}#{anchor}"
        return None
    return expand(blocks, act)


class EpubBuilder(Builder):
    name = "epub"

    def pieces(self, document: Document) -> list[list]:
        counter = NoteCounter()
        label = book_context(document)["words"]["notes"]
        pieces = []
        for chapter in document.chapters:
            blocks, notes = notes_at_chapter_end(copy.deepcopy(chapter.blocks), counter,
                                                 epub=True, share_urls=True)
            blocks = blocks + note_blocks(notes, epub=True, label=label)
            pieces.append(_cross_file_links(blocks, document))
        return pieces

    def write(self, document: Document, fragments: list[str], output: Output) -> Path:
        book = book_context(document)
        book["has_images"] = bool(document.images)
        files: dict[str, bytes] = {}

        def add(name: str, text: str) -> None:
            files[name] = text.encode("utf-8")

        chapters = []
        for chapter, fragment in zip(document.chapters, fragments):
            xhtml = to_xhtml(fragment)
            entry = {"id": chapter.id, "title": chapter.title, "file": chapter.file_name,
                     "number": chapter.number, "has_heading": bool(chapter.title),
                     "svg": "<svg" in xhtml, "html": Markup(xhtml)}
            chapters.append(entry)
            add(f"EPUB/{chapter.file_name}", self.render(output, "epub/chapter.xhtml",
                                                           book=book, chapter=entry))
        flat = toc_entries(document, 3, lambda c: c.file_name)
        if not flat:
            flat = [{"level": 1, "id": c.id, "text": c.title or document.metadata.title,
                     "href": c.file_name, "chapter": c.number} for c in document.chapters]
        for play, entry in enumerate(flat, start=1):
            entry["play"] = play
        toc = nest(flat)
        images = [{"name": i.name, "media_type": i.media_type}
                  for i in sorted(document.images.values(), key=lambda i: i.name)]
        context = {"book": book, "chapters": chapters, "toc": toc, "ncx": toc,
                   "depth": max((e["level"] for e in flat), default=1), "images": images,
                   "a11y_summary": accessibility_summary(document)}
        add("mimetype", "application/epub+zip")
        add("META-INF/container.xml", self.render(output, "epub/container.xml"))
        add("EPUB/title.xhtml", self.render(output, "epub/title.xhtml", **context))
        add("EPUB/nav.xhtml", self.render(output, "epub/nav.xhtml", **context))
        add("EPUB/toc.ncx", self.render(output, "epub/toc.ncx", **context))
        add("EPUB/package.opf", self.render(output, "epub/package.opf", **context))
        add("EPUB/styles/book.css", self.render(output, "epub/book.css", **context))
        for image in document.images.values():
            files[f"EPUB/images/{image.name}"] = image.path.read_bytes()

        target = output.folder / f"{output.slug}.epub"
        stamp = build_time(document).timetuple()[:6]
        stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
        with atomic_path(target) as temporary:
            write_zip(temporary, files, stamp)
        return target


def accessibility_summary(document: Document) -> str:
    """A sentence about what the book contains, for reading-system users."""
    parts = ["This publication has a table of contents and headings for navigation"]
    if document.images:
        parts.append("its images have text alternatives where the author gave them")
    parts.append("link targets are given in notes")
    return "; ".join(parts) + "."


def write_zip(path: Path, files: dict[str, bytes], stamp: tuple) -> None:
    """An EPUB zip: ``mimetype`` first and stored, the rest in a fixed order."""
    order = ["mimetype", "META-INF/container.xml"]
    order += sorted(name for name in files if name not in order)
    with zipfile.ZipFile(path, "w") as archive:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name], compresslevel=9 if name != "mimetype" else None)
