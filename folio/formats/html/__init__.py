"""The reading page: the builder (``builder``) and its fonts, cut to the page's
characters as WOFF2 (``webfonts``)."""

from .builder import HtmlBuilder

__all__ = ["HtmlBuilder"]
