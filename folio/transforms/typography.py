"""Typography: the manuscript's text set by the rules of the book's language
(``folio.typography``): quotation marks, apostrophes, the spaces French puts
before ``: ; ? !`` and inside « », no-break spaces after abbreviations and
between numbers and units.

pandoc has turned straight quotes into ``Quoted`` nodes and apostrophes into
’ already (``smart``); ``localise_quotes`` gives the quotes the marks of the
language. ``typeset_blocks`` then hands every run of inlines to the rules as one
text: words and spaces as they are, every other inline element (a link, code,
emphasis: each set on its own) as one ``OBJECT`` mark that the rules never
change. Code, raw HTML, maths and addresses (``https://…``) are left alone.
"""

from __future__ import annotations

import re

from ..ast import SOFT_BREAK, SPACE, Str, walk
from ..typography import BREAK, OBJECT, apply_rules, rules_for


def localise_quotes(blocks: list, lang: str) -> list:
    """Replace pandoc's ``Quoted`` nodes with the marks of ``lang`` („…“ for de)."""
    open_double, close_double, open_single, close_single = rules_for(lang).quotes

    def replace(node: dict):
        if node["t"] != "Quoted":
            return None
        kind, content = node["c"]
        if kind["t"] == "DoubleQuote":
            return [Str(open_double), *content, Str(close_double)]
        return [Str(open_single), *content, Str(close_single)]

    return walk(blocks, replace)


#: Nodes whose content is not text to set.
_LEAVE = {"Code", "CodeBlock", "RawInline", "RawBlock", "Math"}
#: The inlines that are text to set (a run of inlines holds one of them).
_TEXT = frozenset({"Str", "Space", "SoftBreak"})
_CONTAINERS = (list, dict)
#: A word that is an address: set as it is.
_ADDRESS = re.compile(r"://|^www\.|^mailto:|\S@\S")
_TOKEN = re.compile(f"({OBJECT})|({BREAK})|( )|(\n)|([^ \n{OBJECT}{BREAK}]+)")


def set_type(blocks: list, lang: str) -> list:
    """``blocks`` with the quotation marks and the spacing rules of ``lang``: this
    module's pass over a file (``localise_quotes``, then ``typeset_blocks``)."""
    return typeset_blocks(localise_quotes(blocks, lang), lang)


def typeset_blocks(blocks: list, lang: str) -> list:
    """``blocks`` with the spacing rules of ``lang`` applied to all their text."""
    rules = rules_for(lang)

    def run(inlines: list) -> list:
        pieces: list[str] = []
        kept: list[dict] = []
        for node in inlines:
            kind = node.get("t") if isinstance(node, dict) else None
            if kind == "Str" and not _ADDRESS.search(node["c"]):
                pieces.append(node["c"].replace(OBJECT, "").replace(BREAK, ""))
            elif kind == "Space":
                pieces.append(" ")
            elif kind == "SoftBreak":
                pieces.append("\n")
            elif kind == "LineBreak":
                pieces.append(BREAK)
                kept.append(node)
            else:
                pieces.append(OBJECT)
                kept.append(node)
        text = "".join(pieces)
        set_text = apply_rules(text, rules)
        if set_text == text:
            return inlines
        out: list = []
        others = iter(kept)
        for obj, line_break, space, soft, word in _TOKEN.findall(set_text):
            if obj or line_break:
                out.append(next(others))
            elif space:
                out.append(SPACE)
            elif soft:
                out.append(SOFT_BREAK)
            else:
                out.append(Str(word))
        return out

    def descend(tree):
        if type(tree) is list:
            # Strings and numbers (a Str's text, attributes) are only passed on.
            items = [descend(item) if type(item) in _CONTAINERS else item for item in tree]
            if any(type(item) is dict and item.get("t") in _TEXT for item in items):
                return run(items)
            return items
        if type(tree) is dict and "t" in tree:
            kind = tree["t"]
            if kind in _LEAVE or kind in _TEXT or "c" not in tree:
                return tree
            if kind == "Link" and _ADDRESS.search(_text(tree["c"][1])):
                return tree  # <https://…>: the address is the text
            if type(tree["c"]) in _CONTAINERS:
                tree["c"] = descend(tree["c"])
        return tree

    return descend(blocks)


def _text(inlines: list) -> str:
    return "".join(node.get("c", "") for node in inlines
                   if isinstance(node, dict) and node.get("t") == "Str")
