"""Format builders: one per output (EPUB, PDF, HTML), each with the same interface
(``base.Builder``), and what they share: rendering AST pieces to HTML
(``render``), the notes (``notes``) and the PDF's page map (``pagemap``).

The pipeline asks the registry for builders by the names on the command line and
schedules them by what they declare. The names are known without the builders:
``BUILDERS`` and the interface (``Builder``, ``Output``, ``Written``) are imported
when first asked for (PEP 562's module ``__getattr__``), so that the command line,
and a rebuild that the cache answers, never load a builder, its libraries or the
templates.
"""

from __future__ import annotations

#: The formats (``--format``) and the editions (``--edition``) by name, in the order
#: their outputs are reported: ``BUILDERS``'s (tests/unit/test_light_start.py holds the
#: two to each other).
FORMATS = ("epub", "pdf", "html")
EDITIONS = ("print", "kobo", "archive")

#: What ``__getattr__`` gives from ``base``.
_INTERFACE = ("Builder", "Output", "Written")


def __getattr__(name: str):
    if name in _INTERFACE:
        from . import base
        return getattr(base, name)
    if name == "BUILDERS":
        from .epub import EpubBuilder, KoboBuilder
        from .html import HtmlBuilder
        from .pdf import ArchiveBuilder, PdfBuilder, PrintEditionBuilder

        #: Builders by name, in the order their outputs are reported: the formats,
        #: then the editions.
        builders = {builder.name: builder
                    for builder in (EpubBuilder, PdfBuilder, HtmlBuilder,
                                    PrintEditionBuilder, KoboBuilder, ArchiveBuilder)}
        globals()["BUILDERS"] = builders
        return builders
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BUILDERS", "EDITIONS", "FORMATS", "Builder", "Output", "Written"]
