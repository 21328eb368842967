"""Helpers for pandoc's JSON AST: walking, building and reading nodes.

A node is a dict ``{"t": type, "c": content}``. ``walk`` follows the contract of
jgm/pandocfilters: the action returns None to keep a node, a node to replace it,
a list to splice several nodes in its place, or [] to delete it.
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from typing import Any, Callable

Node = dict[str, Any]
Action = Callable[[Node], Any]

#: Node types whose content is ``[attr, ...]``.
ATTR_INDEX = {"Header": 1, "CodeBlock": 0, "Div": 0, "Span": 0, "Code": 0,
              "Link": 0, "Image": 0, "Table": 0, "Figure": 0}


def walk(tree: Any, action: Action) -> Any:
    """Return ``tree`` with ``action`` applied to every node, children first.

    A string or number in a list is kept without a call (most of a tree's items:
    the reading of a 150-page book made 2.2 million calls, half of them for one)."""
    if isinstance(tree, list):
        out: list = []
        for item in tree:
            kind = type(item)
            if kind is str or kind is int or kind is float or item is None:
                out.append(item)
            elif isinstance(item, dict) and "t" in item:
                walk_children(item, action)
                result = action(item)
                if result is None:
                    out.append(item)
                elif isinstance(result, list):
                    out.extend(result)
                else:
                    out.append(result)
            else:
                out.append(walk(item, action))
        return out
    if isinstance(tree, dict) and "t" in tree:
        return walk_children(tree, action)
    return tree


def expand(tree: Any, action: Action) -> Any:
    """Apply ``action`` to every node, parents first.

    ``action`` returns None to keep the node and descend into it, or a node or a
    list of nodes to put in its place (which are not descended into).
    """
    if isinstance(tree, list):
        out: list = []
        for item in tree:
            kind = type(item)
            if kind is str or kind is int or kind is float or item is None:
                out.append(item)
            elif isinstance(item, dict) and "t" in item:
                result = action(item)
                if result is None:
                    _content_through(item, expand, action)
                    out.append(item)
                elif isinstance(result, list):
                    out.extend(result)
                else:
                    out.append(result)
            else:
                out.append(expand(item, action))
        return out
    if isinstance(tree, dict) and "t" in tree:
        _content_through(tree, expand, action)
    return tree


def _content_through(node: Node, walker: Callable[[Any, Action], Any],
                     action: Action) -> None:
    """``node``'s content replaced by ``walker(content, action)``, but for its
    attributes, which hold no node (``walk``, ``expand``)."""
    content = node.get("c")
    if isinstance(content, list):
        at = ATTR_INDEX.get(node["t"])
        node["c"] = walker(content, action) if at is None else [
            item if index == at else walker(item, action) for index, item in enumerate(content)]
    elif isinstance(content, dict):
        node["c"] = walker(content, action)


#: The one Space and the one SoftBreak node of a tree after ``shared_leaves``.
SPACE: Node = {"t": "Space"}
SOFT_BREAK: Node = {"t": "SoftBreak"}


def shared_leaves(tree: Any, words: dict[str, Node] | None = None) -> Any:
    """``tree`` with every Space and SoftBreak node made one shared node (``SPACE``,
    ``SOFT_BREAK``) and every Str node one per text (in ``words``), in place;
    returns ``tree``.

    Most of a book's nodes are its words and the spaces between them, and a word is
    repeated many times (a file read is shared within itself: pickle, from the
    reading children and to the read cache, writes a shared object once). The
    2,500-page bench book's trees took 479 MB of the build's main process, 277 MB
    with the spaces shared, 105 MB with the words too; its words come from a small
    vocabulary (6 % of its Str nodes remain), real text keeps more (19 % of a
    6,400-word changelog, half of a 1,100-word article). Safe because no stage
    changes a node in place but for a container's content, and these hold a string
    or nothing."""
    words = {} if words is None else words
    if type(tree) is list:
        for index, item in enumerate(tree):
            if type(item) is dict:
                kind = item.get("t")
                if kind == "Space":
                    tree[index] = SPACE
                elif kind == "SoftBreak":
                    tree[index] = SOFT_BREAK
                elif kind == "Str":
                    tree[index] = words.setdefault(item["c"], item)
                elif type(item.get("c")) is list:
                    shared_leaves(item["c"], words)
            elif type(item) is list:
                shared_leaves(item, words)
    return tree


def copied(tree: Any) -> Any:
    """A deep copy of ``tree`` (plain data: what ``copy.deepcopy`` gives, in less
    than half its time, through pickle's C code)."""
    return pickle.loads(pickle.dumps(tree, pickle.HIGHEST_PROTOCOL))


def marks_of(tree: Any) -> frozenset[str]:
    """What ``tree`` has, for the passes that have nothing to do without it
    (``transforms.transform_book``): the type of every node, and ``.class`` and
    ``=key`` for every class and attribute key of the nodes' attributes."""
    marks: set[str] = set()

    def mark(node: Node) -> None:
        kind = node["t"]
        marks.add(kind)
        at = ATTR_INDEX.get(kind)
        if at is not None:
            _, classes, pairs = node["c"][at]
            marks.update("." + name for name in classes)
            marks.update("=" + pair[0] for pair in pairs)

    visit(tree, mark)
    return frozenset(marks)


class _Found(Exception):
    """``contains`` found what it looked for: the walk stops."""


def contains(tree: Any, kinds: frozenset[str] | set[str]) -> bool:
    """True if ``tree`` has a node of one of ``kinds``: the walk stops at the first."""
    def look(node: Node) -> None:
        if node["t"] in kinds:
            raise _Found

    try:
        visit(tree, look)
    except _Found:
        return True
    return False


def may_have(marks: frozenset[str] | None, *wanted: str) -> bool:
    """False if ``marks`` (``marks_of``) are known and hold none of ``wanted``."""
    return marks is None or not marks.isdisjoint(wanted)


def classes_of(node: Node) -> list[str]:
    attr = attr_of(node)
    return attr[1] if attr else []


def walk_children(node: Node, action: Action) -> Node:
    """Apply ``walk`` to the children of ``node`` in place and return it."""
    _content_through(node, walk, action)
    return node


def visit(tree: Any, visitor: Callable[[Node], None]) -> None:
    """Call ``visitor`` on every node in document order, parents before children.

    Only lists and nodes are descended into, without a call for a string or a number
    (a quarter of the time: the transforms visit the whole book a dozen times), nor
    for a node's attributes (two thirds of the calls on a tree with positions)."""
    if type(tree) is list:
        for item in tree:
            kind = type(item)
            if kind is dict:
                if "t" in item:
                    visitor(item)
                    _visit_content(item, visitor)
            elif kind is list:
                visit(item, visitor)
    elif type(tree) is dict and "t" in tree:
        visitor(tree)
        _visit_content(tree, visitor)


def _visit_content(node: Node, visitor: Callable[[Node], None]) -> None:
    content = node.get("c")
    kind = type(content)
    if kind is list:
        at = ATTR_INDEX.get(node["t"])
        if at is None:
            visit(content, visitor)
        else:
            for index, part in enumerate(content):
                if index != at and type(part) in _CONTAINERS:
                    visit(part, visitor)
    elif kind is dict:
        visit(content, visitor)


_CONTAINERS = (list, dict)


def attr_of(node: Node) -> list | None:
    """Return the ``[id, classes, keyvals]`` of a node that has one."""
    index = ATTR_INDEX.get(node.get("t"))
    if index is None:
        return None
    content = node["c"]
    return content[index] if index == 0 else content[1]


def get_attr(node: Node, key: str) -> str | None:
    attr = attr_of(node)
    if not attr:
        return None
    for k, v in attr[2]:
        if k == key:
            return v
    return None


def position(node: Node) -> tuple[int, int]:
    """Return (line, column) from a node's ``data-pos`` attribute, or (0, 0)."""
    return parse_pos(get_attr(node, "data-pos"))


_POS = re.compile(r"(?:.*@)?(\d+):(\d+)-(\d+):(\d+)$")


def parse_pos(value: str | None) -> tuple[int, int]:
    """``"file@7:1-8:1"`` or ``"7:1-8:1"`` -> ``(7, 1)``; of several ranges (a table:
    ``"2:1-3:1;1:1-4:1"``) the one that starts first."""
    if not value:
        return (0, 0)
    starts = []
    for part in value.split(";"):
        match = _POS.match(part)
        if match:
            starts.append((int(match.group(1)), int(match.group(2))))
    return min(starts) if starts else (0, 0)


def end_position(value: str | None) -> tuple[int, int]:
    if not value:
        return (0, 0)
    match = _POS.match(value)
    if not match:
        return (0, 0)
    return (int(match.group(3)), int(match.group(4)))


def stringify(tree: Any) -> str:
    """Return the plain text of an AST fragment."""
    parts: list[str] = []

    def collect(node: Node) -> None:
        kind = node["t"]
        if kind == "Str":
            parts.append(node["c"])
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Code", "Math"):
            parts.append(node["c"][1])

    visit_skip_notes(tree, collect)
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def visit_skip_notes(tree: Any, visitor: Callable[[Node], None]) -> None:
    """Like ``visit`` but does not enter footnotes."""
    if isinstance(tree, list):
        for item in tree:
            visit_skip_notes(item, visitor)
    elif isinstance(tree, dict) and "t" in tree:
        if tree["t"] == "Note":
            return
        visitor(tree)
        if "c" in tree and tree["t"] not in ("Str", "Code", "Math", "RawInline"):
            visit_skip_notes(tree["c"], visitor)


def heading_id(text: str) -> str:
    """An id from heading text, as pandoc makes them: lowercase, words joined by '-'."""
    text = unicodedata.normalize("NFC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"\s+", "-", text.strip())
    text = text.lstrip("0123456789-_")
    return text or "section"


# --- node builders ---------------------------------------------------------

def Str(text: str) -> Node:
    return {"t": "Str", "c": text}


def Space() -> Node:
    return {"t": "Space"}


def RawInline(html: str) -> Node:
    return {"t": "RawInline", "c": ["html", html]}


def RawBlock(html: str) -> Node:
    return {"t": "RawBlock", "c": ["html", html]}


def Span(inlines: list, classes: list[str] | None = None, ident: str = "",
         attrs: list | None = None) -> Node:
    return {"t": "Span", "c": [[ident, classes or [], attrs or []], inlines]}


def Para(inlines: list) -> Node:
    return {"t": "Para", "c": inlines}
