"""EPUB 3: one XHTML file per chapter, a navigation document and an NCX for
EPUB 2 readers, notes that pop up where the reader supports it, and a zip that
is byte-identical from build to build.

What goes in, in spine order: the cover (``cover``), the title page with the
imprint, the table of contents, the chapters. Each chapter's XHTML is made valid
whatever raw HTML the manuscript holds (``markup``), gets the page markers of the
PDF when one was built in the same run (``formats.pagemap``), and
the package states what the book offers readers who use assistive technology
(``accessibility``).

Reader-safe choices:
- one linked stylesheet, plain block layout, relative sizes: no flex or grid, no
  ``vh``, so Adobe RMSDK-based readers (Kobo's ``.epub`` renderer, older Tolino
  firmware) lay it out too; no ``<style>`` in the pages (Send to Kindle refused
  books with CSS inlined in every file: quarto-dev/quarto-cli#4615, #11948);
- no XML comments in what is written (a ``--`` inside one made Send to Kindle
  reject a book: abuseofnotation/category-theory-illustrated#62), no empty
  ``dc:date``;
- no embedded fonts: the reader's own fonts and the user's choice of them stay
  (Kobo shows embedded fonts only under "Publisher default" anyway), and Noto
  Serif would add 2 MB for Latin, Greek and Cyrillic only.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Mapping
from pathlib import Path

from markupsafe import Markup

from ...ast import classes_of, copied, expand
from ...document import Document
from ...outputs import atomic_path
from ...transforms.maths import FORMULA
from ..base import Builder, Output, Written, book_context, build_time, nest, toc_entries
from ..code import code_css, for_ereaders
from ..maths import formulas_as_mathml
from ..notes import AtChapterEnd, NoteCounter, note_section, place_notes
from ..pagemap import PageMap, insert_page_markers
from ..render import ChapterPieces, RenderMemo
from .accessibility import Facts, is_animated, package_metadata
from .cover import make_cover
from .kept import Kept
from .markup import (clean_tree, fix_ids, fix_links, image_alts, parse_chapter,
                     serialise_children, tables_have_headers)

#: Spine position of the title page; chapters follow the table of contents.
_TITLE_SPINE = 1
_CHAPTER_SPINE = 3


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
    suffix = "epub"
    download = "EPUB"
    #: Where the pages of the PDF begin (``formats.pagemap.PageMap``), when the PDF is
    #: built in the same run. Without it the EPUB has no page list: its page numbers
    #: would refer to a PDF nobody made.
    uses = ("page_map",)

    def pieces(self, document: Document, options: dict | None = None,
               memo: RenderMemo | None = None) -> list:
        counter = NoteCounter()
        words = book_context(document)["words"]
        # A cross-reference's file depends on where its anchor is, in any chapter.
        anchors = hashlib.sha256(repr(sorted(document.anchors.items())).encode()).hexdigest()
        chapters = ChapterPieces(memo, document, repr((type(self).__qualname__, words["notes"],
                                                       words["back"], anchors)))
        pieces = []
        for index, chapter in enumerate(document.chapters):
            def make(chapter=chapter):
                at_end = AtChapterEnd(counter)
                blocks = for_ereaders(place_notes(formulas_as_mathml(
                    copied(chapter.blocks), document.may_have(FORMULA)), at_end))
                blocks = blocks + note_section(at_end.notes, epub=True,
                                               label=words["notes"], back=words["back"])
                return _cross_file_links(blocks, document)

            # The notes are numbered through the book.
            pieces.append(chapters.numbered(index, counter, make))
        return pieces

    def write(self, document: Document, fragments: list[str], output: Output,
              given: Mapping) -> Written:
        book = book_context(document)
        kept = Kept(output.cache, reuse=not output.options.get("fresh"))
        bodies = self._chapter_trees(document, fragments, kept)
        # Drawn before the page map is waited for (0.2 s): the PDF's layout is the last
        # thing a full build waits for, and what comes after it is done on one core.
        cover = make_cover(document, kept)
        page_map = given.get("page_map")
        placed = insert_page_markers(bodies, page_map.pages) \
            if page_map is not None and page_map.pages else None
        positions = [_positions(body) for body in bodies]
        pages, front = self._page_list(document, page_map, placed, positions)
        toc = self._toc(document, positions)
        play_order(toc, pages)
        files: dict[str, bytes] = {}

        def add(name: str, text: str) -> None:
            files[name] = text.encode("utf-8")

        # Each chapter's tree goes once it is written (the trees take several times
        # their text: a long book's were most of this process's peak beside its files).
        chapters, alts, headed_tables, has_notes = [], [], True, False
        for index, chapter in enumerate(document.chapters):
            body, bodies[index] = bodies[index], None
            alts.extend(image_alts(body))
            headed_tables = headed_tables and tables_have_headers(body)
            has_notes = has_notes or any(e.get("epub:type") == "footnote" for e in body.iter())
            xhtml = serialise_children(body)
            del body
            entry = {"id": chapter.id, "title": chapter.title, "file": chapter.file_name,
                     "number": chapter.number, "has_heading": bool(chapter.title),
                     "svg": "<svg" in xhtml, "mathml": "<math" in xhtml,
                     "html": Markup(xhtml)}
            add(f"EPUB/{chapter.file_name}", self.render(output, "epub/chapter.xhtml",
                                                           book=book, chapter=entry))
            del entry["html"]  # written: the templates below need its facts only
            chapters.append(entry)
        images = [{"name": i.name, "media_type": i.media_type}
                  for i in sorted(document.images.values(), key=lambda i: i.name)]
        facts = Facts(
            lang=document.metadata.lang, lang_given=not document.metadata.lang_detected,
            image_alts=alts,
            animated=any(is_animated(i.data, i.media_type) for i in document.images.values()),
            tables_have_headers=headed_tables,
            has_headings=any(c.headings for c in document.chapters),
            has_notes=has_notes,
            page_source=self._page_source(document, output) if pages else "")
        title = book["title"] + (book["colon"] + book["subtitle"] if book["subtitle"] else "")
        context = {
            "book": book, "chapters": chapters, "toc": nest(toc), "ncx": nest(toc),
            "depth": max((e["level"] for e in toc), default=1), "images": images,
            "cover": {"name": cover.name, "media_type": cover.media_type,
                      "alt": f"{book['words']['cover']}{book['colon']}{title}"},
            "pages": pages, "front_pages": front,
            "page_count": page_map.page_count if pages else 0,
            "page_source": document.metadata.identifier if pages else "",
            "a11y": package_metadata(facts),
        }
        add("mimetype", "application/epub+zip")
        add("META-INF/container.xml", self.render(output, "epub/container.xml"))
        add("EPUB/cover.xhtml", self.render(output, "epub/cover.xhtml", **context))
        add("EPUB/title.xhtml", self.render(output, "epub/title.xhtml", **context))
        add("EPUB/nav.xhtml", self.render(output, "epub/nav.xhtml", **context))
        add("EPUB/toc.ncx", self.render(output, "epub/toc.ncx", **context))
        add("EPUB/package.opf", self.render(output, "epub/package.opf", **context))
        add("EPUB/styles/book.css", self.render(output, "epub/book.css",
                                                code_css=Markup(code_css("epub")), **context))
        files[f"EPUB/images/{cover.name}"] = cover.data
        for image in document.images.values():
            files[f"EPUB/images/{image.name}"] = image.data

        files = self.adapt(files)
        target = output.folder / self.file_name(output.slug)
        # A zip can date its entries from 1980 to 2107 only (MS-DOS time).
        stamp = build_time(document).timetuple()[:6]
        stamp = min(max(stamp, (1980, 1, 1, 0, 0, 0)), (2107, 12, 31, 23, 59, 58))
        with atomic_path(target) as temporary:
            write_zip(temporary, files, stamp)
        kept.forget_unused()
        return Written(target)

    def adapt(self, files: dict[str, bytes]) -> dict[str, bytes]:
        """The package's files as this builder zips them (an edition changes them:
        ``kobo``)."""
        return files

    def _chapter_trees(self, document: Document, fragments: list[str],
                       kept: Kept | None = None) -> list:
        """Every chapter parsed, made valid (or as the last build did: ``kept``),
        with unique ids and working links."""
        kept = kept if kept is not None else Kept(None)
        images = set(document.images)

        def parsed(fragment: str):
            body = parse_chapter(fragment)
            clean_tree(body, images)
            return body

        bodies = [kept.tree(fragment, images, lambda f=fragment: parsed(f))
                  for fragment in fragments]
        names = [chapter.file_name for chapter in document.chapters]
        file_ids = {name: fix_ids(body) for name, body in zip(names, bodies)}
        file_ids["title.xhtml"] = {"title-page", "imprint"}
        book_ids: dict[str, str] = {}
        for name in names:
            for ident in sorted(file_ids[name]):
                book_ids.setdefault(ident, name)
        for name, body in zip(names, bodies):
            fix_links(body, name, file_ids, book_ids)
        return bodies

    def _page_list(self, document: Document, page_map: PageMap | None,
                   placed: dict | None, positions: list[dict[str, int]]
                   ) -> tuple[list[dict], dict]:
        """The page list and the title page's markers, from the markers ``placed`` in
        the chapters (``insert_page_markers``) and the chapters' ``positions``."""
        if placed is None or page_map is None:
            return [], {}
        front_starts = sorted((start for start in page_map.pages
                               if start.part in ("title-page", "imprint")),
                              key=lambda start: start.number)
        front = {start.part: start.printed for start in front_starts}
        pages = [{"label": label, "href": f"title.xhtml#page-{label}",
                  "order": (_TITLE_SPINE, index)}
                 for index, label in enumerate(dict.fromkeys(front.values()))]
        for label, chapter in placed.items():
            pages.append({"label": label,
                          "href": f"{document.chapters[chapter].file_name}#page-{label}",
                          "order": (_CHAPTER_SPINE + chapter,
                                    positions[chapter].get(f"page-{label}", -1))})
        pages.sort(key=lambda page: page["order"])
        return pages, front

    def _toc(self, document: Document, positions: list[dict[str, int]]) -> list[dict]:
        """Headings for the navigation document and the NCX, with their play order."""
        flat = toc_entries(document, 3, lambda c: c.file_name)
        if not flat:
            flat = [{"level": 1, "id": c.id, "text": c.title or document.metadata.title,
                     "href": c.file_name, "chapter": c.number} for c in document.chapters]
        for entry in flat:
            index = entry["chapter"] - 1
            page, _, fragment = entry["href"].partition("#")
            if fragment and fragment not in positions[index]:
                entry["href"] = page
            entry["order"] = (_CHAPTER_SPINE + index, positions[index].get(fragment, -1))
        return flat

    @staticmethod
    def _page_source(document: Document, output: Output) -> str:
        size = output.options.get("page_size") or document.metadata.page_size
        return f"the print edition (PDF, {size})"


def _positions(body) -> dict[str, int]:
    """Id -> document position of every element with an id in ``body``."""
    return {element.get("id"): position for position, element in enumerate(body.iter())
            if element.get("id")}


def play_order(toc: list[dict], pages: list[dict]) -> None:
    """Number navigation points and page targets together, in reading order (NCX)."""
    items = sorted(toc + pages, key=lambda item: item["order"])
    for number, item in enumerate(items, start=1):
        item["play"] = number


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
