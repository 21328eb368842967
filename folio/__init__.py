"""folio: one Markdown manuscript in, an EPUB, a PDF and an HTML page out."""

__version__ = "0.1.0"
