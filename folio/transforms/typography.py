"""Typography: quotation marks in the book's language."""

from __future__ import annotations

from ..ast import Str, walk
from ..language import quotes_for


def localise_quotes(blocks: list, lang: str) -> list:
    """Replace pandoc's ``Quoted`` nodes with the marks of ``lang`` („…“ for de)."""
    open_double, close_double, open_single, close_single = quotes_for(lang)

    def replace(node: dict):
        if node["t"] != "Quoted":
            return None
        kind, content = node["c"]
        if kind["t"] == "DoubleQuote":
            return [Str(open_double), *content, Str(close_double)]
        return [Str(open_single), *content, Str(close_single)]

    return walk(blocks, replace)
