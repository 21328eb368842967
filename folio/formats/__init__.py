"""Format builders: one per output (EPUB, PDF, HTML), each with the same interface.

A builder's ``pieces(document)`` returns the AST pieces it needs rendered to
HTML (after its own format-specific passes); ``write(...)`` gets the rendered
fragments back and writes its file. The pipeline renders the pieces of every
builder in one pandoc run.
"""

from __future__ import annotations

from .base import Builder
from .epub import EpubBuilder
from .html import HtmlBuilder
from .pdf import PdfBuilder

#: Builders by format name, in the order their outputs are reported.
BUILDERS: dict[str, type[Builder]] = {
    "epub": EpubBuilder,
    "pdf": PdfBuilder,
    "html": HtmlBuilder,
}

__all__ = ["BUILDERS", "Builder"]
