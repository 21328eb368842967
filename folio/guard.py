"""Guards at parse time: a manuscript is untrusted input, and pandoc's AST of it is
checked before any recursive walker sees it.

- ``guard_manuscript`` refuses nesting deeper than ``MAX_NESTING`` (with the line),
  drops ``style`` and event-handler attributes from Markdown attributes, warns, with
  file:line:col, about every raw HTML element and attribute that
  ``safety.sanitise_fragment`` is going to drop, and strips characters no XML file
  may hold (``checks`` reports them);
- ``deep_json_line`` names the line where pandoc's JSON nests too deep to load;
- ``footnote_cycle`` finds a footnote that refers to itself before pandoc sees the
  text (pandoc would expand it until its heap is exhausted).

What is allowed is decided in ``folio.safety``; this module only applies it.
Limits chosen: nesting 50 levels (block quotes, lists, emphasis, links and raw
HTML elements counted together; WeasyPrint 70 fails at about 120 levels of HTML).
"""

from __future__ import annotations

import re

from .ast import ATTR_INDEX, attr_of
from .diagnostics import BuildError, Reporter
from .safety import (BIDI_OVERRIDES, DROPPED_TAGS, ELEMENTS, FORBIDDEN_TAGS, KEPT_TAGS,
                     NOT_XML, UNSAFE_ATTRIBUTES, allowed_attribute, clean_style,
                     start_and_end_tags)

#: Deepest nesting of a manuscript's containers (HTML elements, roughly).
MAX_NESTING = 50


#: HTML elements that never have content.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "source", "track", "wbr", "param", "keygen"}
#: A start tag of these closes an open ``<p>`` (as an HTML parser does).
_CLOSES_P = {"address", "article", "aside", "blockquote", "details", "div", "dl",
             "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
             "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre", "section",
             "table", "ul"}
#: A start tag (key) closes an open element of these (value), like li closes li.
_CLOSES_SIBLING = {"li": {"li"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"},
                   "tr": {"tr", "td", "th"}, "td": {"td", "th"}, "th": {"td", "th"},
                   "option": {"option"}}
#: How many HTML levels a pandoc node adds (wrapper Spans and Divs add none).
_NODE_LEVELS = {"BulletList": 2, "OrderedList": 2, "DefinitionList": 2, "Table": 4,
                "Figure": 2, "CodeBlock": 2, "Note": 2, "Str": 0, "Space": 0,
                "SoftBreak": 0, "LineBreak": 0, "RawInline": 0, "RawBlock": 0, "Null": 0,
                "Quoted": 0, "Cite": 0, "Plain": 0}
_RAW_HTML = {"html", "html4", "html5"}
_POS = re.compile(r"(?:.*@)?(\d+):(\d+)")


def _pos(attr: list) -> tuple[int, int] | None:
    for key, value in attr[2]:
        if key == "data-pos":
            match = _POS.match(value)
            return (int(match.group(1)), int(match.group(2))) if match else None
    return None


#: Nodes with nothing below them worth a look.
_LEAVES = {"Str", "Space", "SoftBreak", "LineBreak", "Math"}


def _where(attr: list | None) -> tuple[int, int]:
    return (_pos(attr) or (0, 0)) if attr is not None else (0, 0)


def _is_wrapper(attr: list | None) -> bool:
    return attr is not None and any(k == "wrapper" for k, _ in attr[2])


class _Guard:
    """One pass over one file's AST: nesting depth and raw HTML, in document order."""

    def __init__(self, display: str, reporter: Reporter) -> None:
        self.display = display
        self.reporter = reporter
        #: Raw HTML elements open at this point of the document.
        self.open: list[str] = []
        #: The kinds of node below which there is something (not ``_LEAVES``) met.
        self.kinds: set[str] = set()

    def too_deep(self, line: int, col: int) -> BuildError:
        return BuildError(self.display, f"the manuscript nests more than {MAX_NESTING} levels "
                          "deep (block quotes, lists, emphasis, links and HTML elements "
                          "together); flatten it", line, col, "too-deep")

    def run(self, blocks: list) -> None:
        # An explicit stack instead of recursion: the tree may be deeper than Python's
        # stack. ``where`` is the attribute list of the nearest node with a position,
        # read only when a message needs it.
        stack: list = [(blocks, 0, None)]
        while stack:
            tree, depth, where = stack.pop()
            if isinstance(tree, list):
                stack.extend((item, depth, where) for item in reversed(tree)
                             if isinstance(item, (list, dict)))
                continue
            kind = tree.get("t")
            if kind is None or kind in _LEAVES:
                continue
            self.kinds.add(kind)
            attr = attr_of(tree)
            wrapper = _is_wrapper(attr)
            if attr is not None:
                if any(key == "data-pos" for key, _ in attr[2]):
                    where = attr
                if not wrapper and attr[2]:
                    self.attributes(attr, where)
            if kind in ("RawInline", "RawBlock"):
                self.raw(tree, depth, _where(where))
                continue
            if not wrapper:
                depth += _NODE_LEVELS.get(kind, 1)
                if depth + len(self.open) > MAX_NESTING:
                    raise self.too_deep(*_where(where))
            if attr is not None:  # its attributes hold no node: not walked
                at = ATTR_INDEX[kind]
                stack.extend((item, depth, where) for index, item
                             in reversed(list(enumerate(tree["c"])))
                             if index != at and isinstance(item, (list, dict)))
            elif "c" in tree:
                stack.append((tree["c"], depth, where))

    def attributes(self, attr: list, at: list | None) -> None:
        """Drop style and event-handler attributes given in Markdown ``{...}``."""
        where = _where(at)
        kept = []
        for key, value in attr[2]:
            name = key.lower()
            if name == "style":
                self.reporter.warn(self.display, where[0], "style attribute dropped: a "
                                   "manuscript's CSS could break the layout; use a class",
                                   "style-dropped", where[1])
            elif name.startswith("on") or name in UNSAFE_ATTRIBUTES:
                self.reporter.warn(self.display, where[0], f"attribute '{key}' dropped: "
                                   "not allowed in a book", "unsafe-html", where[1])
            else:
                kept.append([key, value])
        attr[2] = kept

    def raw(self, node: dict, depth: int, where: tuple[int, int]) -> None:
        form, text = node["c"]
        if form.lower() not in _RAW_HTML:
            kind = "block" if node["t"] == "RawBlock" else "text"
            self.reporter.warn(self.display, where[0], f"raw '{form}' {kind} is left out of "
                               "every output: folio writes HTML (mark HTML as {=html})",
                               "raw-format", where[1])
            return
        line, col = where
        for found in start_and_end_tags(text):
            tag, attrs, tag_line, offset, start = (found.name, found.attrs, found.line,
                                                    found.col, found.start)
            here = (line + tag_line - 1, (col + offset) if tag_line == 1 and col else 0)
            if not start:
                if tag in self.open:
                    while self.open.pop() != tag:
                        pass
                continue
            if not any(name in DROPPED_TAGS for name in self.open):
                self.check_tag(tag, attrs, here)  # (inside a dropped element: said already)
            if tag in _VOID:
                continue
            if self.open and self.open[-1] == "p" and tag in _CLOSES_P:
                self.open.pop()
            if self.open and self.open[-1] in _CLOSES_SIBLING.get(tag, ()):
                self.open.pop()
            self.open.append(tag)
            if depth + len(self.open) > MAX_NESTING:
                raise self.too_deep(*here)

    def check_tag(self, tag: str, attrs: list, here: tuple[int, int]) -> None:
        """Warn about what ``sanitise_fragment`` will drop from this tag.

        Forbidden elements (``safety.FORBIDDEN_TAGS``), ``<a href>`` and ``<img src>``
        are reported by ``transforms.rawhtml``, where links and images are resolved.
        """
        warn = self.reporter.warn
        line, col = here
        if tag in FORBIDDEN_TAGS:
            return
        if ELEMENTS.get(tag) == "drop":
            warn(self.display, line, f"raw HTML <{tag}> dropped with its content: not "
                 "allowed in a book", "unsafe-html", col)
            return
        if tag not in KEPT_TAGS:
            warn(self.display, line, f"raw HTML <{tag}> dropped (its text stays): not "
                 "allowed in a book", "unsafe-html", col)
            return
        for name, value in attrs:
            value = value or ""
            if name == "style":
                kept = clean_style(tag, value)
                if kept is None or len(kept) < len(value.strip()) - 1:
                    warn(self.display, line, f"style attribute on <{tag}> dropped: a "
                         "manuscript's CSS could break the layout; use a class",
                         "style-dropped", col)
            elif not allowed_attribute(tag, name):
                warn(self.display, line, f"raw HTML attribute '{name}' on <{tag}> dropped: "
                     "not allowed in a book", "unsafe-html", col)
            elif name in ("href", "src"):
                continue  # resolved, or dropped with a warning, by transforms.rawhtml


def guard_manuscript(files: list, files_blocks: list[list], reporter: Reporter) -> None:
    """Check each file's parsed blocks (``+sourcepos`` wrappers still in place).

    Raises ``BuildError`` (with the line) for nesting deeper than ``MAX_NESTING``;
    removes ``style`` and event-handler attributes from Markdown attributes;
    warns about raw HTML that ``sanitise_fragment`` drops; removes control
    characters that no XML file may hold.
    """
    for file, blocks in zip(files, files_blocks):
        guard_file(file, blocks, reporter)


def guard_file(file, blocks: list, reporter: Reporter) -> set[str]:
    """``guard_manuscript`` for one file: it reads nothing but the file and its blocks.
    Returns the kinds of node the file has (but the leaves: ``Str``, ``Space`` …),
    which the guard's pass over every node finds for nothing: the passes after it
    skip what a file does not have (``syntax.read_syntax``'s tables)."""
    guard = _Guard(file.display, reporter)
    guard.run(blocks)
    # checks.py reports these characters (invisible-character)
    if NOT_XML.search(file.body):
        _strip(blocks, NOT_XML)
    if BIDI_OVERRIDES.search(file.body):
        _strip(blocks, BIDI_OVERRIDES)
    return guard.kinds


def _strip(tree, characters: re.Pattern) -> None:
    """Remove ``characters`` from every string of a pandoc AST, in place."""
    stack = [tree]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, str):
                if characters.search(value):
                    node[key] = characters.sub("", value)
            elif isinstance(value, (list, dict)):
                stack.append(value)


# --- pandoc's JSON, too deep to load ---------------------------------------------

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def deep_json_line(text: str, limit: int) -> tuple[int, int]:
    """The source position (from ``data-pos``) where pandoc's JSON nests deeper than
    ``limit``; for a manuscript that ``json.loads`` cannot load for its depth."""
    depth, last_key, where = 0, "", (0, 0)
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return where
        elif token in ("]", "}"):
            depth -= 1
        else:
            if last_key == '"data-pos"':
                found = _POS.match(token[1:-1])
                if found:
                    where = (int(found.group(1)), int(found.group(2)))
            last_key = token
    return where


# --- footnotes that refer to themselves -----------------------------------------------
# pandoc 3.9 (commonmark_x) expands a footnote whose text refers to itself, directly or
# through other notes, until its heap is exhausted: ``[^a]: see [^a]`` takes 20 s and
# 1.3 GB before it fails. Such cycles are found in the text before pandoc sees it.

#: A footnote definition at the start of a line, also inside block quotes and list
#: items (``> [^a]:``, ``- [^a]:``). Written so that there is one way to match a line
#: (each marker takes the blanks before it), or a line of list markers would take
#: exponential time to refuse.
FOOTNOTE_DEFINITION = re.compile(r"^(?:[ \t]*(?:>|[-+*][ \t]|\d{1,9}[.)][ \t]))*[ \t]*"
                                 r"\[\^([^\[\]\n]+)\]:", re.MULTILINE)
#: A footnote reference; a backslash before the bracket makes it literal text.
FOOTNOTE_REFERENCE = re.compile(r"(?<!\\)\[\^([^\[\]\n]+)\]")


def footnote_label(text: str) -> str:
    """A footnote label as pandoc matches it: case and runs of spaces do not count."""
    return " ".join(text.split()).casefold()


_UNINDENTED_AFTER_BLANK = re.compile(r"\n[ \t>]*\n(?=[^ \t\n>])")


def footnote_cycle(text: str) -> tuple[str, int] | None:
    """(label, line of its definition) of a footnote that refers back to itself, or None."""
    definitions = list(FOOTNOTE_DEFINITION.finditer(text))
    if not definitions:
        return None
    refers: dict[str, set[str]] = {}
    lines: dict[str, int] = {}
    for index, match in enumerate(definitions):
        end = definitions[index + 1].start() if index + 1 < len(definitions) else len(text)
        body = text[match.end():end]
        # The note ends at the first line that is not indented after a blank line.
        stop = _UNINDENTED_AFTER_BLANK.search(body)
        body = body[:stop.start()] if stop else body
        label = footnote_label(match.group(1))
        refers.setdefault(label, set()).update(
            footnote_label(found) for found in FOOTNOTE_REFERENCE.findall(body))
        lines.setdefault(label, text.count("\n", 0, match.start()) + 1)
    for start in refers:  # depth-first search for a way back to ``start``
        seen, todo = set(), list(refers[start])
        while todo:
            label = todo.pop()
            if label == start:
                return start, lines[start]
            if label in seen or label not in refers:
                continue
            seen.add(label)
            todo.extend(refers[label])
    return None
