"""The transformed book that every format builder renders: metadata, chapters,
anchors and images. Built by ``transforms``; read, never changed, by ``formats``."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from .ast import may_have
from .book import BookSource
from .metadata import Metadata


@dataclasses.dataclass
class Heading:
    """A heading for tables of contents and bookmarks."""

    level: int
    id: str
    text: str


@dataclasses.dataclass
class Chapter:
    """A top-level division of the book; one XHTML file in the EPUB."""

    #: The id of the chapter's first heading (or a generated one).
    id: str
    #: Plain-text title; empty for text that stands before the first heading.
    title: str
    #: The chapter's blocks, its heading included.
    blocks: list
    #: 1-based position in the book.
    number: int
    #: Headings in the chapter, for the tables of contents.
    headings: list[Heading]
    #: The manuscript file the chapter comes from, as shown in messages.
    source: str = ""
    #: ``""`` for the manuscript's chapters; ``"references"`` or ``"index"`` for the
    #: ones folio adds at the back (issue 14).
    kind: str = ""

    @property
    def file_name(self) -> str:
        return f"chapter-{self.number:03d}.xhtml"


@dataclasses.dataclass
class Image:
    """An image the book uses, read once inside the book folder: every output gets
    these bytes, never the file read again (it may have been swapped meanwhile)."""

    path: Path
    media_type: str
    #: The name the image gets inside outputs (stable, from its content).
    name: str
    data: bytes = b""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclasses.dataclass
class Caption:
    """A numbered figure or table (``transforms.crossrefs``), for the lists of them."""

    #: ``figure`` or ``table``.
    kind: str
    #: The anchor id ("" when the author gave none).
    id: str
    #: "Abbildung 3", "Table 2".
    label: str
    #: The caption's plain text.
    text: str
    chapter: int


@dataclasses.dataclass
class IndexEntry:
    """One heading of the index (``transforms.index``): a term and its places."""

    #: The term as printed, and its sub-entry ("" for the main entry).
    term: str
    sub: str
    #: Ids of the anchors where the term is marked, in reading order.
    anchors: list[str]
    #: Per anchor: the title of the section it stands in (the screen formats' links).
    sections: list[str]


@dataclasses.dataclass
class Document:
    """One book, parsed and transformed, ready to render into any format."""

    source: BookSource
    metadata: Metadata
    chapters: list[Chapter]
    #: Anchor id -> number of the chapter that holds it.
    anchors: dict[str, int]
    #: Name inside the outputs (``img-….png``) -> resolved image.
    images: dict[str, Image]
    #: The cover image the metadata names, resolved inside the book folder (None:
    #: none named or not usable; the EPUB then draws one).
    cover: Image | None = None
    #: The version of pandoc's AST the chapters are in (to render them with pandoc).
    api_version: list = dataclasses.field(default_factory=list)
    #: Numbered figures and tables, in reading order (issue 14).
    captions: list[Caption] = dataclasses.field(default_factory=list)
    #: The index, sorted in the book's language (issue 14).
    index: list[IndexEntry] = dataclasses.field(default_factory=list)
    #: "book" (title page, contents, chapters from a new page) or "article" (title
    #: on the first page, sections run on): the metadata's ``layout``, else
    #: ``transforms.structure.layout_of`` from the manuscript's headings.
    layout: str = "book"
    #: What the chapters have (``ast.marks_of``, as read), or None if not known.
    marks: frozenset[str] | None = None

    @property
    def root(self) -> Path:
        return self.source.root

    def may_have(self, *wanted: str) -> bool:
        """False if the chapters are known to have none of the ``wanted`` marks
        (``ast.marks_of``): a pass that looks for them can be skipped."""
        return may_have(self.marks, *wanted)
