"""PDF: the builder (``builder``), the page geometry and the AST passes for print
(``layout``), and what runs in the layout's child process: WeasyPrint (``engine``);
the print and archive editions (``editions``, ``conformance``, ``cover``)."""

from .builder import PdfBuilder
from .editions import ArchiveBuilder, PrintEditionBuilder

__all__ = ["ArchiveBuilder", "PdfBuilder", "PrintEditionBuilder"]
