"""EPUB 3: the builder (``builder``), the XHTML a chapter may hold (``markup``), the
cover (``cover``) and the accessibility metadata (``accessibility``); the Kobo
edition (``kobo``)."""

from .builder import EpubBuilder
from .kobo import KoboBuilder

__all__ = ["EpubBuilder", "KoboBuilder"]
