"""Checks: what is wrong in a manuscript, found before anything is built.

Each check reads the parsed AST with its source positions (pandoc's
``+sourcepos`` wrappers still in place) and reports warnings with a stable code.
"""

from __future__ import annotations

from .book import BookSource
from .diagnostics import Reporter


def run_checks(book: BookSource, files_blocks: list[list], reporter: Reporter) -> None:
    """Run every check on every file of ``book``."""
    return None
