"""Syntax: the parts of pandoc's Markdown that authors use and the ``commonmark_x``
reader does not read, recognised in its AST while the source positions are still
there (before ``parse.unwrap_positions``), so that later passes can name a line.

``commonmark_x`` is the reader that parses in linear time and gives positions;
``pandoc --list-extensions=commonmark_x`` has no citations, ``mark``,
``table_captions``, ``line_blocks`` or ``inline_notes``, and its ``task_lists``
do not work together with ``+sourcepos``. What it leaves as text is read here:

- citations ``@key``, ``[@key, p. 12]``, ``[-@key]``, ``[see @a; @b]`` (and
  pandoc-crossref's references ``@fig:id``, which use the same syntax) become
  ``Cite`` nodes, each in a ``Span.folio-cite`` that keeps its position;
- ``$…$`` and ``$$…$$`` (which the reader does read) get a ``Span.folio-math``
  with their position; ``$$…$$ {#eq:id}`` gives that span the id and the class
  ``equation``;
- ``==marked==`` becomes ``Span.mark`` (pandoc writes ``<mark>``);
- ``^[an inline note]`` becomes a footnote;
- ``Table: caption {#tbl:id}`` right before or after a pipe table becomes its caption;
- a paragraph whose every line starts with ``| `` becomes a line block;
- list items that start with ``[ ]`` or ``[x]`` start with ☐ or ☑.
"""

from __future__ import annotations

import re

from ..ast import ATTR_INDEX, Span, Str, get_attr, parse_pos, walk
from ..parse import unwrap_positions

#: A citation key: word characters, with pandoc's internal punctuation.
_KEY = r"\w(?:[\w:.#$%&\-+?<>~/]*\w)?"
#: One citation inside brackets: prefix, ``-`` to suppress the author, key, suffix.
_ONE_CITATION = re.compile(r"^(?P<prefix>(?:.*?\s)?)(?P<minus>-?)@(?P<key>" + _KEY
                           + r")(?P<suffix>.*)$", re.DOTALL)
#: A bracketed group holding an ``@`` (no nested brackets, not a link's text).
_BRACKETS = re.compile(r"\[(?P<body>[^\[\]]*@[^\[\]]*)\](?![(\[{])")
#: An author-in-text citation (not an e-mail address or part of a URL), with an
#: optional locator in brackets after it.
_IN_TEXT = re.compile(r"(?<![\w@\uFFFC/:.])@(?P<key>" + _KEY
                      + r")(?:\s\[(?P<suffix>[^\[\]@]*)\])?")
_MARK = re.compile(r"==(?=[^\s=])(?P<body>.*?[^\s=])==", re.DOTALL)
_INLINE_NOTE = re.compile(r"\^\[")
#: What stands for an inline that is not text (emphasis, a link, code) in the scan.
OBJECT = "\uFFFC"
_TASK = re.compile(r"^\[([ xX])\]\s")
_CAPTION = re.compile(r"^Table:\s")
_TRAILING_ID = re.compile(r"\s*\{#(?P<id>[^\s{}]+)\}\s*$")


class _Item:
    """One inline of a list as the scan sees it: the node, its text, its position."""

    __slots__ = ("node", "wrapper", "pos", "ident", "text")

    def __init__(self, node: dict, wrapper: dict | None, pos: str | None = None) -> None:
        self.node = node
        self.wrapper = wrapper
        self.pos = pos or (get_attr(wrapper, "data-pos") if wrapper else None)
        self.ident = wrapper["c"][0][0] if wrapper else ""
        kind = node.get("t")
        self.text = (node["c"] if kind == "Str" else " " if kind == "Space"
                     else "\n" if kind == "SoftBreak" else OBJECT)

    @property
    def original(self) -> dict:
        return self.wrapper if self.wrapper is not None else self.node


def _items(inlines: list) -> list[_Item]:
    items = []
    for node in inlines:
        if (node.get("t") == "Span" and get_attr(node, "wrapper") == "1"
                and len(node["c"][1]) == 1):
            items.append(_Item(node["c"][1][0], node))
        else:
            items.append(_Item(node, None))
    return items


def _text(items: list[_Item]) -> tuple[str, list[int]]:
    """The scan's text, and where each item starts in it."""
    starts, parts, offset = [], [], 0
    for item in items:
        starts.append(offset)
        parts.append(item.text)
        offset += len(item.text)
    return "".join(parts), starts


def _cut(items: list[_Item], starts: list[int], begin: int, end: int) -> list[dict]:
    """The inlines (unwrapped) that cover the text ``[begin, end)``."""
    out: list[dict] = []
    for item, start in zip(items, starts):
        stop = start + len(item.text)
        if stop <= begin or start >= end:
            continue
        if item.node.get("t") == "Str":
            piece = item.text[max(begin - start, 0):end - start]
            if piece:
                out.append(Str(piece))
        else:
            out.append(item.node)
    return _joined(unwrap_positions(out))


def _joined(inlines: list) -> list:
    """Adjacent Str nodes as one (the reader splits text at punctuation; citeproc reads
    a locator such as ``p.`` from one Str)."""
    out: list = []
    for node in inlines:
        if node.get("t") == "Str" and out and out[-1].get("t") == "Str":
            out[-1] = Str(out[-1]["c"] + node["c"])
        else:
            out.append(node)
    return out


def _replace(items: list[_Item], starts: list[int],
             changes: list[tuple[int, int, list[dict]]]) -> list[_Item]:
    """``items`` with each text range ``[begin, end)`` of ``changes`` (in text order,
    not overlapping) replaced by its nodes; a Str cut at an edge keeps its outside."""
    cuts = sorted({offset for begin, end, _ in changes for offset in (begin, end)})
    fine: list[tuple[_Item, int]] = []
    for item, start in zip(items, starts):
        stop = start + len(item.text)
        inner = [cut for cut in cuts if start < cut < stop]
        if item.node.get("t") == "Str" and inner:
            bounds = [start, *inner, stop]
            for a, b in zip(bounds, bounds[1:]):
                fine.append((_Item(Str(item.text[a - start:b - start]), None, item.pos), a))
        else:
            fine.append((item, start))
    out: list[_Item] = []
    emitted = [False] * len(changes)
    index = 0
    for item, start in fine:
        while index < len(changes) and changes[index][1] <= start:
            if not emitted[index]:
                out.extend(_Item(node, None) for node in changes[index][2])
                emitted[index] = True
            index += 1
        if index < len(changes) and changes[index][0] <= start < changes[index][1]:
            if not emitted[index]:
                out.extend(_Item(node, None) for node in changes[index][2])
                emitted[index] = True
            continue
        out.append(item)
    for done, (_begin, _end, new) in zip(emitted, changes):
        if not done:
            out.extend(_Item(node, None) for node in new)
    return out


def _position_at(items: list[_Item], starts: list[int], offset: int) -> str:
    for item, start in zip(items, starts):
        if start <= offset < start + max(len(item.text), 1) and item.pos:
            return item.pos
    return next((item.pos for item in items if item.pos), "")


def _positioned(node: dict, classes: list[str], pos: str, ident: str = "") -> dict:
    attrs = [["data-pos", pos]] if pos else []
    return Span([node], classes, ident, attrs)


# --- citations ---------------------------------------------------------------------

_ABBREVIATION = re.compile(r"^\W*\w{1,5}\.$")


def _locator(suffix: list) -> list:
    """``p. 12`` with a no-break space, as pandoc's reader writes it: citeproc reads
    the locator from it (and prints it in the book's language, "S. 12")."""
    out: list = []
    for node in suffix:
        if (node.get("t") == "Str" and len(out) >= 2 and out[-1].get("t") == "Space"
                and out[-2].get("t") == "Str" and _ABBREVIATION.match(out[-2]["c"])):
            out[-2:] = [Str(out[-2]["c"] + "\u00a0" + node["c"])]
        else:
            out.append(node)
    return out


def _citation(key: str, prefix: list, suffix: list, mode: str) -> dict:
    suffix = _locator(suffix)
    return {"citationId": key, "citationPrefix": prefix, "citationSuffix": suffix,
            "citationMode": {"t": mode}, "citationNoteNum": 0, "citationHash": 0}


def _trim(inlines: list) -> list:
    while inlines and inlines[-1].get("t") in ("Space", "SoftBreak"):
        inlines = inlines[:-1]
    if inlines and inlines[-1].get("t") == "Str" and inlines[-1]["c"].endswith(" "):
        inlines = inlines[:-1] + [Str(inlines[-1]["c"].rstrip())]
    return inlines


def _bracketed(items: list[_Item], text: str, starts: list[int]) -> list:
    """Every bracketed citation group, as a change that puts a Cite in its place."""
    changes = []
    for match in _BRACKETS.finditer(text):
        citations, offset = [], match.start("body")
        for part in match.group("body").split(";"):
            found = _ONE_CITATION.match(part)
            if found is None:
                citations = []
                break
            prefix = _cut(items, starts, offset, offset + found.end("prefix"))
            suffix = _cut(items, starts, offset + found.start("suffix"), offset + found.end())
            mode = "SuppressAuthor" if found.group("minus") else "NormalCitation"
            citations.append(_citation(found.group("key"), _trim(prefix), suffix, mode))
            offset += len(part) + 1
        if not citations:
            continue
        cite = {"t": "Cite", "c": [citations, _cut(items, starts, match.start(), match.end())]}
        span = _positioned(cite, ["folio-cite"], _position_at(items, starts, match.start()))
        changes.append((match.start(), match.end(), [span]))
    return changes


def _in_text(items: list[_Item], text: str, starts: list[int]) -> list:
    changes = []
    for match in _IN_TEXT.finditer(text):
        suffix = []
        if match.group("suffix"):
            suffix = _cut(items, starts, match.start("suffix"), match.end("suffix"))
            suffix = [Str(","), {"t": "Space"}, *suffix]
        citation = _citation(match.group("key"), [], suffix, "AuthorInText")
        cite = {"t": "Cite", "c": [[citation], _cut(items, starts, match.start(), match.end())]}
        span = _positioned(cite, ["folio-cite"], _position_at(items, starts, match.start()))
        changes.append((match.start(), match.end(), [span]))
    return changes


# --- marks and inline notes ------------------------------------------------------------

def _mark(items: list[_Item], text: str, starts: list[int]) -> list:
    return [(match.start(), match.end(),
             [Span(_cut(items, starts, match.start("body"), match.end("body")), ["mark"])])
            for match in _MARK.finditer(text)]


def _inline_note(items: list[_Item], text: str, starts: list[int]) -> list:
    changes, index = [], 0
    while True:
        match = _INLINE_NOTE.search(text, index)
        if match is None:
            return changes
        depth, index = 1, match.end()
        while index < len(text) and depth:
            depth += {"[": 1, "]": -1}.get(text[index], 0)
            index += 1
        if depth:
            return changes
        content = _cut(items, starts, match.end(), index - 1)
        note = {"t": "Note", "c": [{"t": "Para", "c": inline_syntax(content)}]}
        changes.append((match.start(), index, [note]))


def _maths(items: list[_Item]) -> list[_Item]:
    """Each formula in a ``Span.folio-math`` with its position; a display formula
    followed by ``{#eq:id}`` takes the id (the reader gives it to the space after)."""
    out: list[_Item] = []
    index = 0
    while index < len(items):
        item = items[index]
        if item.node.get("t") == "Math":
            classes, ident = ["folio-math"], ""
            after = items[index + 1] if index + 1 < len(items) else None
            if (item.node["c"][0]["t"] == "DisplayMath" and after is not None
                    and after.ident and after.node.get("t") == "Space"):
                classes.append("equation")
                ident = after.ident
                index += 1
            out.append(_Item(_positioned(item.node, classes, item.pos or "", ident), None))
        else:
            out.append(item)
        index += 1
    return out


#: The recognisers, in order; each finds all of its kind in one scan of the text.
_RECOGNISERS = (_inline_note, _bracketed, _in_text, _mark)


def inline_syntax(inlines: list) -> list:
    """A list of (wrapped) inlines with citations, marks, inline notes and formulas
    recognised (see the module's doc)."""
    text = "".join(node["c"] for node in _flat_str(inlines))
    has_math = any(_has_math(node) for node in inlines)
    if not has_math and not any(mark in text for mark in ("@", "==", "^")):
        return inlines
    items = _maths(_items(inlines)) if has_math else _items(inlines)
    for recognise in _RECOGNISERS:
        text, starts = _text(items)
        changes = recognise(items, text, starts)
        if changes:
            items = _replace(items, starts, changes)
    return [item.original for item in items]


def _flat_str(inlines: list) -> list[dict]:
    found = []
    for node in inlines:
        if node.get("t") == "Str":
            found.append(node)
        elif node.get("t") == "Span" and get_attr(node, "wrapper") == "1":
            found.extend(n for n in node["c"][1] if n.get("t") == "Str")
    return found


def _has_math(node: dict) -> bool:
    if node.get("t") == "Math":
        return True
    return (node.get("t") == "Span" and get_attr(node, "wrapper") == "1"
            and any(child.get("t") == "Math" for child in node["c"][1]))


# --- blocks ------------------------------------------------------------------------

def _unwrapped(block: dict) -> dict:
    while (block.get("t") == "Div" and get_attr(block, "wrapper") == "1"
           and len(block["c"][1]) == 1):
        block = block["c"][1][0]
    return block


def _line_block(node: dict) -> dict | None:
    """A paragraph whose every line starts with ``| `` as a LineBlock."""
    lines: list[list] = [[]]
    for inline in node["c"]:
        if _inner(inline).get("t") == "SoftBreak":
            lines.append([])
        else:
            lines[-1].append(inline)
    result = []
    for line in lines:
        if not line or _inner(line[0]) != Str("|"):
            return None
        rest = line[1:]
        indent = ""
        if rest and _inner(rest[0]).get("t") == "Space":
            bar = get_attr(line[0], "data-pos")
            first = get_attr(rest[1], "data-pos") if len(rest) > 1 else None
            if bar and first:
                gap = parse_pos(first)[1] - parse_pos(bar)[1] - 2
                indent = "\u00a0" * max(gap, 0)
            rest = rest[1:]
        result.append(([Str(indent)] if indent else []) + rest)
    return {"t": "LineBlock", "c": result}


def _inner(node: dict) -> dict:
    if node.get("t") == "Span" and get_attr(node, "wrapper") == "1" and len(node["c"][1]) == 1:
        return node["c"][1][0]
    return node


def _task(item: list) -> bool:
    """A list item that starts ``[ ]`` or ``[x]`` starts with ☐ or ☑ (True if it did)."""
    if not item:
        return False
    first = _unwrapped(item[0])
    if first.get("t") not in ("Plain", "Para"):
        return False
    items = _items(first["c"])
    text, starts = _text(items)
    match = _TASK.match(text)
    if match is None:
        return False
    box = "\u2611" if match.group(1) in "xX" else "\u2610"
    checked = "task-done" if box == "\u2611" else "task-open"
    new = _replace(items, starts, [(0, match.end() - 1, [Span([Str(box)], ["task", checked])])])
    first["c"] = [entry.original for entry in new]
    return True


def _caption(block: dict) -> tuple[list, str] | None:
    """``Table: caption {#tbl:id}`` as (caption inlines, id), or None."""
    para = _unwrapped(block)
    if para.get("t") != "Para":
        return None
    items = _items(para["c"])
    text, starts = _text(items)
    if not _CAPTION.match(text):
        return None
    ident = ""
    end = len(text)
    found = _TRAILING_ID.search(text)
    if found:
        ident, end = found.group("id"), found.start()
    elif items and items[-1].ident:
        ident = items[-1].ident
    caption = _cut(items, starts, _CAPTION.match(text).end(), end)
    return _trim(caption), ident


def _table_captions(blocks: list) -> list:
    """A ``Table:`` paragraph next to a table becomes its caption (the one after the
    table wins, as in pandoc)."""
    out = list(blocks)
    index = 0
    while index < len(out):
        table = _unwrapped(out[index]) if isinstance(out[index], dict) else {}
        if table.get("t") == "Table" and not table["c"][1][1]:
            for neighbour in (index + 1, index - 1):
                if 0 <= neighbour < len(out) and isinstance(out[neighbour], dict):
                    found = _caption(out[neighbour])
                    if found is not None:
                        caption, ident = found
                        table["c"][1] = [None, [{"t": "Plain", "c": inline_syntax(caption)}]]
                        if ident and not table["c"][0][0]:
                            table["c"][0][0] = ident
                        del out[neighbour]
                        if neighbour < index:
                            index -= 1
                        break
        index += 1
    return out


#: A table, or a wrapper (a Div) that may hold one (``_unwrapped``).
_TABLE_OR_WRAPPER = ("Table", "Div")


def _lists_of_blocks(tree) -> None:
    """Table captions in every list of blocks of ``tree``, in place (not into a
    node's attributes, a string or a leaf: half of reading a file with tables)."""
    if isinstance(tree, list):
        for block in tree:
            if (type(block) is dict and block.get("t") in _TABLE_OR_WRAPPER
                    and _unwrapped(block).get("t") == "Table"):
                tree[:] = _table_captions(tree)
                break
        for item in tree:
            if type(item) is list:
                _lists_of_blocks(item)
            elif type(item) is dict:
                _lists_in_node(item)
    elif isinstance(tree, dict):
        _lists_in_node(tree)


def _lists_in_node(node: dict) -> None:
    content = node.get("c")
    if type(content) is not list or node.get("t") in _LEAVES:
        return
    at = ATTR_INDEX.get(node["t"])
    if at is None:
        _lists_of_blocks(content)
    else:  # the attributes hold no block
        for index, part in enumerate(content):
            if index != at and type(part) is list:
                _lists_of_blocks(part)


#: Nodes that hold no block.
_LEAVES = {"Str", "Space", "SoftBreak", "LineBreak", "Code", "Math", "RawInline",
           "RawBlock", "CodeBlock", "HorizontalRule"}


_INLINE_LISTS = {"Para": None, "Plain": None, "Emph": None, "Strong": None,
                 "Underline": None, "Strikeout": None, "SmallCaps": None,
                 "Superscript": None, "Subscript": None, "Header": 2, "Quoted": 1}


def read_syntax(blocks: list, tables: bool = True) -> list:
    """One file's (wrapped) blocks with the syntax of the module's doc recognised.
    ``tables``: False if the file has no table (``guard.guard_file`` tells): nothing
    is searched for their captions (a fifth of reading a file that has none)."""
    if tables:
        _lists_of_blocks(blocks)

    def act(node: dict):
        kind = node["t"]
        if kind in ("BulletList", "OrderedList"):
            tasks = [_task(item) for item in (node["c"] if kind == "BulletList"
                                              else node["c"][1])]
            return (
                {"t": "Div", "c": [["", ["task-list"], []], [node]]} if any(tasks) else None)
        if kind == "Span" and get_attr(node, "wrapper") != "1":
            node["c"][1] = inline_syntax(node["c"][1])
        elif kind in _INLINE_LISTS:
            index = _INLINE_LISTS[kind]
            if index is None:
                node["c"] = inline_syntax(node["c"])
            else:
                node["c"][index] = inline_syntax(node["c"][index])
        if kind == "Para":
            return _line_block(node)
        return None

    return walk(blocks, act)
