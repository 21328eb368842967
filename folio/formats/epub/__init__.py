"""EPUB 3: the builder (``builder``), the XHTML a chapter may hold (``markup``), the
cover (``cover``) and the accessibility metadata (``accessibility``)."""

from .builder import EpubBuilder

__all__ = ["EpubBuilder"]
