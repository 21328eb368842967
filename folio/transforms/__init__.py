"""Transforms: AST -> AST passes that every output format shares.

``transform_book`` runs them in order:
1. ``structure``: title, heading levels, unique ids, chapters;
2. ``typography``: quotation marks of the book's language;
3. ``links``: classify every link (external, cross-reference, placeholder,
   unsafe) and resolve every image inside the book folder.
Format-specific passes (notes for print or for e-readers) live in ``folio.notes``.
"""

from __future__ import annotations

from ..book import BookSource
from ..diagnostics import Reporter
from ..document import Document
from ..metadata import Metadata
from .links import resolve_links
from .structure import build_chapters
from .typography import localise_quotes


def transform_book(source: BookSource, files_blocks: list[list], metadata: Metadata,
                   reporter: Reporter) -> Document:
    """Turn parsed, unwrapped blocks of every file into a ``Document``."""
    blocks_per_file = [localise_quotes(blocks, metadata.lang) for blocks in files_blocks]
    chapters, anchors, file_anchors = build_chapters(source, blocks_per_file, metadata,
                                                     reporter)
    document = Document(source, metadata, chapters, anchors, {})
    resolve_links(document, file_anchors, reporter)
    return document
