"""PDF: the builder (``builder``), the page geometry and the AST passes for print
(``layout``), and what runs in the layout's child process: WeasyPrint (``engine``)."""

from .builder import PdfBuilder

__all__ = ["PdfBuilder"]
