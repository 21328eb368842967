"""Format builders: one per output (EPUB, PDF, HTML), each with the same interface
(``base.Builder``), and what they share: rendering AST pieces to HTML
(``render``), the notes (``notes``) and the PDF's page map (``pagemap``).

The pipeline asks the registry for builders by the names on the command line and
schedules them by what they declare.
"""

from __future__ import annotations

from .base import Builder, Output, Written
from .epub import EpubBuilder, KoboBuilder
from .html import HtmlBuilder
from .pdf import ArchiveBuilder, PdfBuilder, PrintEditionBuilder

#: Builders by name, in the order their outputs are reported: the formats
#: (``--format``), then the editions (``--edition``).
BUILDERS: dict[str, type[Builder]] = {
    builder.name: builder for builder in (EpubBuilder, PdfBuilder, HtmlBuilder,
                                          PrintEditionBuilder, KoboBuilder, ArchiveBuilder)
}
FORMATS = tuple(name for name, builder in BUILDERS.items() if not builder.edition)
EDITIONS = tuple(name for name, builder in BUILDERS.items() if builder.edition)

__all__ = ["BUILDERS", "EDITIONS", "FORMATS", "Builder", "Output", "Written"]
