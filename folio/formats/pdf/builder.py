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

import concurrent.futures
import contextlib
import dataclasses
import functools
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from markupsafe import Markup

from ... import glyphs
from ...ast import RawBlock, copied, stringify, visit
from ...diagnostics import Diagnostic
from ...document import Document
from ...outputs import atomic_path
from ...transforms.maths import FORMULA
from ..base import (FONTS_DIR, Builder, Output, Written, book_context, font_face_css, nest,
                    toc_entries)
from ..code import code_css
from ..notes import AtPageFoot, place_notes, separate_adjacent_calls
from ..pagemap import PageMap
from ..render import ChapterPieces, RenderMemo
from .arrivals import Arrivals
from .conformance import SCREEN
from .engine import BASE_URL, INDEX_MARK, LaidOut, lay_out
from .index import fill_index, print_index
from .layout import (MM_PER_PT, TABLE_SIZES, balanced_lines, fit_for_print, geometry_for,
                     running_head, wide_tables)
from .maths import formulas_as_drawings
from .note_rule import PROBLEMS as NOTE_PROBLEMS
from .numbering import ARABIC, ROMAN, Pagination, label, paginate, runs_of
from .parts import (MAX_ROUNDS, Numbers, Part, Plan, anchor_ids, estimated_anchors,
                    literal_page_css, number_links, part_css, plans, referred_anchors, split)
from .store import PartStore
from .stylesheets import PART_MARK


def bookmark_labels(blocks: list) -> list:
    """Every heading's plain text as its bookmark label (``data-bookmark``, which
    print.css gives to ``bookmark-label``): WeasyPrint's default label is the
    heading's whole content, note calls and a link note's number included."""
    def act(node: dict) -> None:
        if node["t"] == "Header":
            keyvals = node["c"][1][2]
            keyvals[:] = [kv for kv in keyvals if kv[0] != "data-bookmark"]
            keyvals.append(["data-bookmark", stringify(node["c"][2])])

    visit(blocks, act)  # in place: no list of the tree made again
    return blocks


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


def note_hang(fragments: list[str], article: bool = False) -> float:
    """The width (em) of the hanging note numbers: room for the longest number of a
    chapter (notes are numbered per chapter; through the whole text in an article)
    and a gap; 1.3 em up to 99."""
    counts = [fragment.count('<span class="footnote') for fragment in fragments]
    most = sum(counts) if article else max(counts, default=0)
    return round(max(1.3, 0.52 * len(str(most)) + 0.35), 2)


def _sound_extras(extras) -> bool:
    """What ``PdfBuilder.pieces`` keeps of a chapter, as the memo gave it back: its
    drawings, its note lines and its wide tables' warnings."""
    if not (isinstance(extras, tuple) and len(extras) == 3):
        return False
    drawings, lines, wide = extras
    return (isinstance(drawings, dict)
            and all(isinstance(k, str) and isinstance(v, bytes) for k, v in drawings.items())
            and isinstance(lines, list) and all(type(n) is int for n in lines)
            and isinstance(wide, list)
            and all(isinstance(w, tuple) and len(w) == 3 and type(w[0]) is int
                    and type(w[1]) is int and isinstance(w[2], str) for w in wide))


class PdfBuilder(Builder):
    name = "pdf"
    suffix = "pdf"
    download = "PDF"
    #: Where each printed page begins, for the EPUB's page list (``formats.pagemap``).
    gives = ("page_map",)
    isolated = True
    #: The layout's first process lays out a page of its own once it has imported
    #: WeasyPrint (``libraries``), before it forks the others (``engine.warm_up``).
    #: It imports the merge too, which a part made ready to merge needs (``lay_out_part``).
    preload = ("folio.formats.pdf.libraries:import_weasyprint",
               "folio.formats.pdf.merge",
               "folio.formats.pdf.engine:warm_up:{language}")
    #: The parts are merged in a child of their own (``Workers.finish``), which imports
    #: the merge with its first job, while the first parts are laid out: not while the
    #: book is read, when the cores are busy.
    finisher = ()

    def pieces(self, document: Document, options: dict | None = None,
               memo: RenderMemo | None = None) -> list:
        """Each chapter with its notes at the page foot, fitted to the page size the
        PDF is made in (``--page-size``, else the book's); with ``memo``, a chapter
        made by the last build comes from there (``render.ChapterPieces``)."""
        geometry = geometry_for((options or {}).get("page_size"), document.metadata.page_size)
        #: Formula drawings (name -> SVG) for ``write``, made with the pieces.
        self.drawings: dict[str, bytes] = {}
        #: Per chapter, the manuscript line of each link note (``note_rule``).
        self.note_lines: list[list[int]] = []
        self.diagnostics: list[Diagnostic] = []
        # A character that no font has is marked (``fit_for_print``): a font installed
        # since the last build changes the piece of an unchanged chapter.
        machine = glyphs.machine_places("".join(file.body for file in document.source.files))
        chapters = ChapterPieces(memo, document, repr((type(self).__qualname__, geometry,
                                                       machine)))
        pieces = []
        for index, chapter in enumerate(document.chapters):
            def make(index=index, chapter=chapter):
                placement, drawings = AtPageFoot(index), {}
                piece = fit_for_print(formulas_as_drawings(separate_adjacent_calls(
                    place_notes(self._blocks(document, chapter), placement)), drawings,
                    document.may_have(FORMULA)), geometry)
                return piece, (drawings, placement.lines, wide_tables(piece, geometry))

            piece, (drawings, lines, wide) = chapters.piece(
                index, make, remember=chapter.kind != "index", sound=_sound_extras)
            pieces.append(piece)
            self.drawings.update(drawings)
            self.note_lines.append(lines)
            self.diagnostics += [Diagnostic(chapter.source, line, col, "warning", message,
                                            "wide-table") for line, col, message in wide]
        return pieces

    @staticmethod
    def _blocks(document: Document, chapter) -> list:
        """A chapter's blocks; the index with page numbers to come (``pdf.index``)."""
        if chapter.kind == "index":
            return [copied(chapter.blocks[0]), RawBlock(print_index(document))]
        return bookmark_labels(copied(chapter.blocks))

    def print_html(self, document: Document, fragments: list[str], output: Output) -> str:
        """The print HTML of the whole book, as one piece."""
        return PrintBook(self, document, fragments, output).html()

    #: The print-shop file: bleed, crop marks, no link colour, CMYK (``editions``).
    printing = False

    def pdf_variant(self, options: dict) -> str:
        """The standard the PDF conforms to (``conformance``)."""
        return SCREEN

    def worker_count(self, options: dict) -> int:
        return max(1, int(options.get("layout_workers", 1)))

    def write(self, document: Document, fragments: list[str], output: Output,
              given: Mapping) -> Written:
        book = PrintBook(self, document, fragments, output)
        target = output.folder / self.file_name(output.slug)
        laid_out = self.lay_out_book(book, output, target)
        return Written(target, {"page_map": laid_out.page_map},
                       diagnostics=self.note_warnings(document, laid_out))

    def note_warnings(self, document: Document, laid_out: LaidOut) -> list[Diagnostic]:
        """A warning for each note the layout did not print once on its call's page
        (``note_rule``), at its link's line."""
        printed = {start.number: start.printed for start in laid_out.page_map.pages}
        warnings = []
        for misplaced in laid_out.misplaced:
            source, line = document.source.display, 0
            chapter, _, k = misplaced.at.partition(":")
            if chapter.isdigit() and int(chapter) < len(document.chapters):
                source = document.chapters[int(chapter)].source
                lines = self.note_lines[int(chapter)]
                if k.isdigit() and int(k) < len(lines):  # a manuscript's span may say anything
                    line = lines[int(k)]
            page = printed.get(misplaced.page, str(misplaced.page))
            warnings.append(Diagnostic(
                source, line, 0, "warning",
                f"the note {misplaced.text!r} is {NOTE_PROBLEMS[misplaced.problem]} "
                f"(page {page} of the PDF); the PDF shows it as the layout made it",
                "note-misplaced"))
        return warnings

    def lay_out_book(self, book: PrintBook, output: Output, target: Path) -> LaidOut:
        """Lay ``book`` out into ``target``, in parts on the output's workers when it
        is long, else in one piece."""
        variant = self.pdf_variant(output.options)
        with atomic_path(target) as temporary:
            # An article's sections run on, one page into the next: no part of it
            # can start on a page of its own.
            workers = 1 if book.document.layout == "article" else len(output.workers.children)
            parts = split(len(book.front_html()), [len(f) for f in book.fragments], workers)
            laid_out = None
            if len(parts) > 1:
                laid_out = lay_out_in_parts(book, parts, output, temporary, variant)
            if laid_out is None:  # one piece (a short book, or parts that never settled)
                laid_out, = output.workers.map([(lay_out, (book.html(), book.files,
                                                           book.dublin_core, temporary,
                                                           variant))])
                laid_out.page_map = labelled(laid_out.page_map,
                                             runs_of(laid_out.main_start, True))
        return laid_out


class PrintBook:
    """The print HTML of one book, whole or in parts, and what its layout needs."""

    def __init__(self, builder: PdfBuilder, document: Document, fragments: list[str],
                 output: Output) -> None:
        self.document = document
        self.fragments = fragments
        geometry = geometry_for(output.options.get("page_size"), document.metadata.page_size)
        self.geometry = geometry
        printing = builder.printing
        book = book_context(document)
        book["page_size"] = geometry.size
        # The title in even lines (bold, 2.3 em on a title page, 1.9 em above an
        # article: about 0.6 em a character).
        size = 1.9 if document.layout == "article" else 2.3
        book["title_lines"] = balanced_lines(book["title"], geometry.text_width * 0.9,
                                             size * geometry.font_size * 0.6 * MM_PER_PT)
        book["isbn_display"] = document.metadata.isbn_text or document.metadata.isbn
        self.book = book
        self.chapters = [{"id": c.id, "title": c.title, "html": Markup(fragment),
                          "first": index == 0,
                          "running_head": running_head(c.title or book["title"], geometry)}
                         for index, (c, fragment) in enumerate(zip(document.chapters,
                                                                   fragments))]
        self.css = builder.render(output, "print/print.css", book=book, page=geometry,
                                  printing=printing, table_sizes=TABLE_SIZES,
                                  note_hang=note_hang(fragments, document.layout == "article"),
                                  code_css=Markup(code_css("print")),
                                  fonts_css=Markup(font_face_css("fonts/")))
        self.render = lambda **context: builder.render(
            output, "print/book.html", book=book, toc=nest(toc_entries(document, 2)),
            caption_lists=caption_lists(document), **context)
        #: URL -> (file or bytes, media type): what the layout may load.
        self.files = {BASE_URL + "fonts/" + p.name: (p, "font/ttf")
                      for p in FONTS_DIR.glob("*.ttf")}
        for image in document.images.values():
            self.files[BASE_URL + "images/" + image.name] = (image.data, image.media_type)
        for name, svg in getattr(builder, "drawings", {}).items():
            self.files[BASE_URL + "images/" + name] = (svg, "image/svg+xml")
        meta = document.metadata
        self.dublin_core = {"language": meta.lang, "publisher": meta.publisher,
                            "identifier": meta.identifier, "rights": meta.rights,
                            "date": meta.date}

    def html(self, part: Part | None = None, extra_css: str = "") -> str:
        """The whole book, or one part of it (its chapters, the front matter if it
        holds it), with ``extra_css`` after the book's stylesheet."""
        chapters = self.chapters if part is None else self.chapters[part.first:part.last]
        front = part is None or part.front
        return self.render(chapters=chapters, front_matter=front, dated=part is None,
                           css=Markup(self.css + (f"\n{PART_MARK}\n{extra_css}"
                                                  if extra_css else "")))

    def metadata_html(self) -> str:
        """A page without text whose PDF holds the book's metadata, the build's date
        with it, for the merged PDF (``merge_parts``' ``metadata``)."""
        return self.render(chapters=[], front_matter=False, dated=True, css=Markup(""))

    def front_html(self) -> str:
        return self.render(chapters=[], front_matter=True, css=Markup(""))

    def opens_right(self, part: Part) -> bool:
        """True if the part's first chapter opens on a right-hand page."""
        return part.index > 0 and (self.chapters[part.first]["first"]
                                   or self.document.metadata.chapter_start == "right")


def lay_out_in_parts(book: PrintBook, parts: list[Part], output: Output,
                     target: Path, variant: str = SCREEN) -> LaidOut | None:
    """Lay the book out in ``parts`` on the output's workers, in rounds until every
    part's page numbers hold (``parts`` module doc), and merge them into ``target``.
    None if the numbers do not settle within ``parts.MAX_ROUNDS`` rounds."""
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(PartStore(output.cache,
                                              reuse=not output.options.get("fresh")))
        markup = [book.html(part) for part in parts]
        referred = [referred_anchors(text) for text in markup]
        owned = [set(anchor_ids(text)) for text in markup]
        opens_right = [book.opens_right(part) for part in parts]
        roman_front = book.document.layout != "article"
        page_css = literal_page_css(book.css)
        numbers = store.last_numbers(parts)
        #: The first round's numbers are guesses (no earlier build): it seldom settles.
        guessed = numbers is None
        numbers = numbers or Numbers(anchors=estimated_anchors(
            parts, [anchor_ids(chapter["html"]) for chapter in book.chapters],
            anchor_ids(book.front_html())))
        done: dict[str, LaidOut] = {}
        #: The parts laid out in this build (the others are merged again: ``reused``).
        laid_here: set[str] = set()
        # The book's metadata and the build's date are laid out on a page of their own
        # beside the first round, so that no part changes with the date.
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="folio-metadata-")))
        carrier = scratch / "metadata.pdf"
        dated = [(lay_out_whole, (book.metadata_html(), {}, book.dublin_core, carrier,
                                  variant))]
        styles = [ROMAN if roman_front and part.front else ARABIC for part in parts]
        # Each round's merge begins with the round, in the finisher: it takes the parts
        # in the book's order as they are laid out (in that order), and is cancelled
        # if the round does not settle. Not in a round of guessed numbers (its merge
        # would take processor time from the layout, for nothing), nor without a
        # finisher: the merge then comes after the round.
        threads = stack.enter_context(concurrent.futures.ThreadPoolExecutor(1))
        for round_ in range(MAX_ROUNDS):
            part_plans = plans(parts, numbers, opens_right, referred, roman_front)
            htmls = [_part_markup(book, part, plan, owned[part.index], page_css)
                     for part, plan in zip(parts, part_plans)]
            keys = [store.key(html + variant, book.files) for html in htmls]
            missing = [i for i, key in enumerate(keys) if key not in done
                       and not store.has(key)]
            for i in missing:  # a part to lay out is there once laid out, not before
                store.pdf(keys[i]).unlink(missing_ok=True)
            merge = functools.partial(
                _merge_parts, first_numbers=[plan.first_number for plan in part_plans],
                blank_before=[plan.blank_before for plan in part_plans],
                label_styles=styles, metadata=carrier, prepared=True,
                reused=[i not in missing and key not in laid_here
                        for i, key in enumerate(keys)])
            cancel = scratch / f"cancel-{round_}"
            merging = None
            if output.workers.finisher is not None and not (guessed and round_ == 0):
                waits = 1 + -(-len(missing) // max(1, len(output.workers.children)))
                merging = threads.submit(
                    output.workers.finish,
                    functools.partial(merge, arrivals=Arrivals(cancel)),
                    [store.pdf(key) for key in keys], target, rounds=waits)
            missing = handed_out(missing, [parts[i].size for i in missing])
            jobs = dated + [(lay_out_part, (htmls[i], book.files, book.dublin_core,
                                            store.pdf(keys[i]), variant, keys[i]))
                            for i in missing]
            try:
                results = output.workers.map(jobs)[len(dated):]
            except BaseException:
                _cancel(merging, cancel)
                raise
            dated = []
            for i, laid_out in zip(missing, results):
                laid_here.add(keys[i])
                done[keys[i]] = laid_out
                store.keep(keys[i], laid_out)
            for key in keys:
                done.setdefault(key, store.laid_out(key))
            numbers = Numbers({part.index: done[key].pages for part, key in zip(parts, keys)},
                              {part.index: done[key].anchors
                               for part, key in zip(parts, keys)})
            if plans(parts, numbers, opens_right, referred, roman_front) == part_plans:
                break
            _cancel(merging, cancel)
        else:
            return None
        first_numbers = [plan.first_number for plan in part_plans]
        blank_before = [plan.blank_before for plan in part_plans]
        laid_outs = [done[key] for key in keys]
        # The page map is known before the merge ends (the merge asserts that it places
        # the pages so): the EPUB goes on with it meanwhile.
        pagination = paginate([laid.pages for laid in laid_outs], blank_before,
                              first_numbers, styles)
        page_map = _joined_page_map(parts, pagination, laid_outs)
        output.publish("page_map", page_map)
        # Merged in a child: this process goes on with the other formats meanwhile
        # (one interpreter lock) and never holds the whole book's PDF objects.
        if merging is not None:
            merging.result()
        else:
            output.workers.finish(merge, [store.pdf(key) for key in keys], target)
        store.remember(parts, numbers, keys)
        images: dict[str, float] = {}
        for key in keys:
            for url, dpi in done[key].images.items():
                images[url] = min(images.get(url, dpi), dpi)
        misplaced = [dataclasses.replace(m, page=m.page + first)
                     for key, first in zip(keys, pagination.part_starts)
                     for m in done[key].misplaced]
        return LaidOut(page_map, pagination.pages, {}, images=images, misplaced=misplaced)


def lay_out_part(html: str, files: dict, dublin_core: dict[str, str], target: Path,
                 variant: str, key: str) -> LaidOut:
    """A part laid out (``lay_out``) and made ready to merge (``prepare_part``, named by
    its store ``key``), in a worker: beside the other parts, not in the merge after
    them. The 150-page book's merge: 0.55 -> 0.37 s; a full build gains nothing (the
    work moved, the workers were busy), an edit (one part laid out) 0.15 s.
    ``target`` appears whole, renamed into place: a merge may be waiting for it
    (``arrivals.Arrivals``)."""
    from .merge import prepare_part  # the zygote imported it (``PdfBuilder.preload``)

    partial = target.with_name(target.name + ".partial")
    laid_out = lay_out(html, files, dublin_core, partial, variant, identified=False)
    prepare_part(partial, key[:16])
    os.replace(partial, target)
    return laid_out


def _merge_parts(*args, **kwargs) -> bool:
    """``merge.merge_parts`` in the finisher; True if it merged (not cancelled). The
    build's process, which hands it the merge, never imports pikepdf (0.04 s, before
    an edit's part was handed out), and gets nothing back of the merge's module."""
    from .merge import merge_parts

    return merge_parts(*args, **kwargs) is not None


def lay_out_whole(html: str, files: dict, dublin_core: dict[str, str], target: Path,
                  variant: str) -> LaidOut:
    """``lay_out`` into ``target``, which appears whole, renamed into place (the page
    of the book's metadata, which a merge of parts as they arrive waits for)."""
    partial = target.with_name(target.name + ".partial")
    laid_out = lay_out(html, files, dublin_core, partial, variant)
    os.replace(partial, target)
    return laid_out


#: A part this much larger than the median is laid out before the others.
LONG_PART = 1.5


def handed_out(indexes: list[int], sizes: list[int]) -> list[int]:
    """The order in which the parts ``indexes`` (of ``sizes``) go to the workers: the
    book's, in which the merge takes them as they arrive (``arrivals.Arrivals``), but a
    part much longer than the others first (a chapter longer than a part: laid out
    last, it would leave the other workers idle while it ends)."""
    if not sizes:
        return []
    median = sorted(sizes)[len(sizes) // 2]
    ranked = sorted(zip(indexes, sizes),
                    key=lambda item: (item[1] <= LONG_PART * median, item[0]))
    return [index for index, _ in ranked]


def _cancel(merging: concurrent.futures.Future | None, cancel: Path) -> None:
    """Stop a round's merge (``Arrivals``) and wait for it to end; its errors are of
    no use now (a layout failed, or the round did not settle)."""
    if merging is None:
        return
    cancel.touch()
    with contextlib.suppress(Exception):
        merging.result()


def _part_markup(book: PrintBook, part: Part, plan: Plan, own: set[str],
                 page_css: str) -> str:
    markup = book.html(part, part_css(plan, page_css))
    if INDEX_MARK in markup:  # the index of this part, with the pages of the plan
        markup = fill_index(markup, dict(plan.pages))
    return number_links(markup, plan, own)


def _joined_page_map(parts: list[Part], pagination: Pagination,
                     laid_out: list[LaidOut]) -> PageMap:
    """The page maps of the parts as one: pages counted from each part's first page
    in the merged PDF, labelled as the merge labels them, chapters counted from
    each part's first chapter."""
    starts = []
    for part, first, result in zip(parts, pagination.part_starts, laid_out):
        for start in result.page_map.pages:
            chapter = start.chapter + part.first if start.part == "chapter" else start.chapter
            starts.append(dataclasses.replace(start, number=start.number + first,
                                              chapter=chapter))
    return labelled(PageMap(starts, pagination.pages), pagination.labels)


def labelled(page_map: PageMap, runs: list) -> PageMap:
    """``page_map`` with each page's printed label under ``runs`` (``numbering``)."""
    return PageMap([dataclasses.replace(start, label=label(start.number - 1, runs))
                    for start in page_map.pages], page_map.page_count)
