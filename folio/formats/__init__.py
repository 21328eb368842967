"""Format builders: one per output (EPUB, PDF, HTML), each with the same interface
(``base.Builder``), and what they share: rendering AST pieces to HTML
(``render``), the notes (``notes``) and the PDF's page map (``pagemap``).

The pipeline asks the registry for builders by the names on the command line and
schedules them by what they declare.
"""

from __future__ import annotations

from .base import Builder, Output, Written
from .epub import EpubBuilder
from .html import HtmlBuilder
from .pdf import PdfBuilder

#: Builders by format name, in the order their outputs are reported.
BUILDERS: dict[str, type[Builder]] = {
    builder.name: builder for builder in (EpubBuilder, PdfBuilder, HtmlBuilder)
}

__all__ = ["BUILDERS", "Builder", "Output", "Written"]
