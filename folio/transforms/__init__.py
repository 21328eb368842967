"""Transforms: AST -> AST passes that every output format shares.

``transform_book`` runs them in order:
1. ``structure``: title, heading levels, unique ids, chapters;
2. ``typography``: quotation marks, apostrophes and spaces by the rules of the
   book's language (``folio.typography``);
3. ``maths``: every formula's MathML (TeX checked and converted under limits);
4. ``crossrefs``, ``citations``, ``callouts``, ``index``: numbered figures, tables
   and equations and the references to them; citations formatted by citeproc and the
   bibliography added; callouts titled in the book's language; the index collected;
5. ``links`` and ``rawhtml``: classify every link (external, cross-reference,
   placeholder, unsafe), resolve every image -- Markdown's and raw HTML's -- and the
   cover inside the book folder.
(``syntax`` runs earlier, on the parsed files with their source positions, and
``rawhtml.link_raw_anchors`` right after it: a raw ``<a href="https://…">…</a>``,
in a paragraph or in a block of raw HTML, becomes a ``Link``, so that ``links``
classifies it and the formats note it.)
Format-specific passes (notes for print or for e-readers) live in ``folio.formats``.
"""

from __future__ import annotations

from ..ast import may_have, walk
from ..book import BookSource
from ..diagnostics import Reporter
from ..document import Document
from ..metadata import Metadata
from .callouts import CALLOUTS, title_callouts
from .citations import cite
from .crossrefs import cross_reference
from .index import collect_index
from .links import figure_without_image, resolve_cover, resolve_image, resolve_link
from .maths import FORMULA, convert_maths
from .rawhtml import RawHtmlLinks
from .structure import build_chapters, layout_of
from .typography import set_type


def transform_book(source: BookSource, files_blocks: list[list], metadata: Metadata,
                   reporter: Reporter, typeset: str = "",
                   marks: frozenset[str] | None = None) -> Document:
    """Turn parsed, unwrapped blocks of every file into a ``Document``. ``typeset``:
    the language whose typography the reading set (``pipeline.read_file``) when it is
    the book's; else it is set here. ``marks``: what the blocks have
    (``ast.marks_of``), if known: a pass that finds nothing without it is skipped (a
    book without formulas, citations, cross-references, callouts or an index: 0.12 s
    of the 0.36 s the 150-page bench book's transforms took, in every build)."""
    def has(*wanted: str) -> bool:
        return may_have(marks, *wanted)

    blocks_per_file = files_blocks if typeset and typeset == metadata.lang else [
        set_type(blocks, metadata.lang) for blocks in files_blocks]
    if has(FORMULA):
        blocks_per_file = convert_maths(blocks_per_file, [f.display for f in source.files],
                                        reporter)
    layout = layout_of(blocks_per_file, metadata)
    chapters, anchors, file_anchors = build_chapters(source, blocks_per_file, metadata,
                                                     reporter)
    document = Document(source, metadata, chapters, anchors, {}, layout=layout, marks=marks)
    # Scholarly books (issue 14): numbers and references, citations, the index.
    if has("Figure", "Table", ".equation", ".folio-cite"):
        cross_reference(document, reporter, references=has(".folio-cite"))
    if has(".folio-cite") or metadata.bibliography:
        cite(document, reporter)
    if has(*(f".{kind}" for kind in CALLOUTS)):
        title_callouts(document)
    if has(".index", "=index"):
        collect_index(document)
    resolve_links(document, file_anchors, reporter)
    resolve_cover(document, reporter)
    return document


def resolve_links(document: Document, file_anchors: dict, reporter: Reporter) -> None:
    """Classify links and resolve images in every chapter, in place.

    ``file_anchors`` maps a manuscript file name to its ``FileAnchors`` (from
    ``structure.build_chapters``).
    """
    raw = RawHtmlLinks(document, file_anchors, reporter)
    for chapter in document.chapters:
        def act(node: dict, display=chapter.source):
            kind = node["t"]
            if kind == "Link":
                return resolve_link(node, display, document, file_anchors, reporter)
            if kind == "Image":
                return resolve_image(node, display, document, reporter)
            if kind == "RawInline" or kind == "RawBlock":
                return raw.resolve(node, display)
            if kind == "Figure":
                return figure_without_image(node)
            return None

        chapter.blocks = walk(chapter.blocks, act)
