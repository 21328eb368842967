"""The transformed book that every format builder renders: metadata, chapters,
anchors and images. Built by ``transforms``; read, never changed, by ``formats``."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

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

    @property
    def root(self) -> Path:
        return self.source.root
