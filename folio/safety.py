"""Safety: a manuscript is untrusted input. What it may nest, and what raw HTML it may use.

- ``guard_manuscript`` runs on pandoc's AST right after parsing, before any
  recursive walker sees it: it refuses nesting deeper than ``MAX_NESTING`` (with
  the line), drops ``style`` and event-handler attributes from Markdown
  attributes, and warns, with file:line:col, about every raw HTML element and
  attribute that ``sanitise_fragment`` is going to drop.
- ``sanitise_fragment`` cuts every rendered HTML fragment down to an allow-list
  (nh3, i.e. Ammonia): what pandoc writes and folio's own note markup stay;
  scripts, styles, frames, forms, ``<link>``, ``<base>``, ``<meta>``, inline SVG and
  MathML, event handlers, comments and every link or image target that is not
  external (http, https, mailto, ftp, ftps, tel), an anchor in the book, or an
  image that ``transforms.links`` resolved inside the book folder, go.
- ``svg_problem`` tells why an SVG image is not self-contained (scripts,
  external references), so it is left out like an image outside the book.

Limits chosen: nesting 50 levels (block quotes, lists, emphasis, links and raw
HTML elements counted together; WeasyPrint 70 fails at about 120 levels of
HTML). Style attributes survive only where pandoc itself writes them and only
with harmless values: ``text-align`` on table cells, ``width`` and ``height`` on
images and table columns, ``list-style-type`` on lists.
"""

from __future__ import annotations

import html.parser
import re
import sys
import threading
import xml.etree.ElementTree as ET

import nh3

from .diagnostics import BuildError, Reporter

#: Deepest nesting of a manuscript's containers (HTML elements, roughly).
MAX_NESTING = 50

#: Schemes that may become live links (the same as ``transforms.links``).
LINK_SCHEMES = {"http", "https", "mailto", "ftp", "ftps", "tel"}

#: Elements that stay. Everything pandoc's HTML writer and folio's notes produce.
ALLOWED_TAGS = {
    "a", "abbr", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite",
    "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
    "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby",
    "s", "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr",
    # harmless, and mapped or kept by the EPUB's own clean-up (formats/epub_markup.py)
    "address", "article", "nav", "main", "data", "center", "tt", "strike", "acronym",
    "big", "hgroup",
}
#: Elements dropped together with their content.
DROPPED_WITH_CONTENT = {
    "script", "style", "template", "iframe", "frame", "frameset", "noscript", "noembed",
    "noframes", "object", "applet", "svg", "math", "textarea", "select", "title", "xmp",
}
#: Attributes every allowed element may have (plus ``aria-*`` and ``data-*``).
GLOBAL_ATTRIBUTES = {"id", "class", "lang", "dir", "title", "role", "epub:type",
                     "xml:lang", "translate", "hidden"}
ATTRIBUTE_PREFIXES = {"aria-", "data-"}
#: Attributes of single elements.
TAG_ATTRIBUTES = {
    "a": {"href", "name", "hreflang"},
    "img": {"src", "alt", "style", "width", "height"},
    "ol": {"start", "type", "reversed", "style"},
    "ul": {"style"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "style", "headers"},
    "th": {"colspan", "rowspan", "scope", "style", "headers", "abbr"},
    "col": {"span", "style"},
    "colgroup": {"span"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "details": {"open"},
    "bdo": {"dir"},
    "data": {"value"},
}
#: CSS properties kept in ``style`` attributes, and the values they may take.
_LENGTH = r"\d{1,4}(?:\.\d{1,6})?(?:%|px|em|rem|ex|ch|pt|pc|cm|mm|in)?"
STYLE_VALUES = {
    "text-align": re.compile(r"(?:left|right|center|justify|start|end)"),
    "width": re.compile(_LENGTH),
    "height": re.compile(_LENGTH),
    "list-style-type": re.compile(r"[a-z][a-z-]{0,30}"),
}
#: Which element may keep which style property.
STYLE_PROPERTIES = {
    "td": {"text-align"}, "th": {"text-align"}, "col": {"width"},
    "img": {"width", "height"}, "ol": {"list-style-type"}, "ul": {"list-style-type"},
}
#: Image sources that ``transforms.links`` produces for images inside the book.
_IMAGE_SRC = re.compile(r"images/img-[0-9a-f]{16}\.(?:png|jpg|gif|webp|svg)")
#: Relative link targets that stay: a chapter file of the EPUB, with an anchor.
_PAGE_HREF = re.compile(r"[A-Za-z0-9_-]+\.x?html(?:#[^\s\"'<>]*)?")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


# --- sanitising rendered HTML ------------------------------------------------------

def url_scheme(url: str) -> str | None:
    """The lower-case scheme of ``url`` as a browser reads it, or None if relative."""
    match = _SCHEME.match(_INVISIBLE.sub("", url))
    return match.group(1).lower() if match else None


def _safe_href(value: str) -> bool:
    value = value.strip()
    scheme = url_scheme(value)
    if scheme is not None:
        return scheme in LINK_SCHEMES
    return value.startswith("#") or bool(_PAGE_HREF.fullmatch(value))


def clean_style(tag: str, value: str) -> str | None:
    """The harmless part of a ``style`` attribute on ``tag``, or None."""
    allowed = STYLE_PROPERTIES.get(tag, set())
    kept = []
    for declaration in value.split(";"):
        name, _, css = declaration.partition(":")
        name, css = name.strip().lower(), css.strip().lower()
        if name in allowed and STYLE_VALUES[name].fullmatch(css):
            kept.append(f"{name}: {css}")
    return "; ".join(kept) + ";" if kept else None


def _attribute_value(tag: str, name: str, value: str) -> str | None:
    """nh3's attribute filter: the value to keep, or None to drop the attribute."""
    if name == "href":
        return value if _safe_href(value) else None
    if name == "src":
        return value if _IMAGE_SRC.fullmatch(value.strip()) else None
    if name == "style":
        return clean_style(tag, value)
    return value


def allowed_attribute(tag: str, name: str) -> bool:
    return (name in GLOBAL_ATTRIBUTES or name in TAG_ATTRIBUTES.get(tag, ())
            or any(name.startswith(prefix) for prefix in ATTRIBUTE_PREFIXES))


def sanitise_fragment(fragment: str) -> str:
    """``fragment`` cut down to the allow-list: the only HTML that reaches any output."""
    _in_filter.active, _in_filter.error = True, None
    try:
        clean = nh3.clean(
            fragment, tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT,
            attributes={"*": GLOBAL_ATTRIBUTES, **TAG_ATTRIBUTES},
            generic_attribute_prefixes=ATTRIBUTE_PREFIXES, attribute_filter=_attribute_value,
            strip_comments=True, link_rel=None, url_schemes=LINK_SCHEMES,
            filter_style_properties=set(STYLE_VALUES))
    finally:
        _in_filter.active = False
    if _in_filter.error is not None:
        raise _in_filter.error  # e.g. Ctrl-C while nh3 called ``_attribute_value``
    return clean


# nh3 reports an exception raised in its attribute filter as "ignored" (unraisable) and
# goes on: a KeyboardInterrupt would be lost. This hook keeps it for the caller.
_in_filter = threading.local()
_default_unraisable_hook = sys.unraisablehook


def _keep_filter_errors(unraisable) -> None:
    if getattr(_in_filter, "active", False) and _in_filter.error is None:
        _in_filter.error = unraisable.exc_value
        return
    _default_unraisable_hook(unraisable)


sys.unraisablehook = _keep_filter_errors


# --- checking the parsed manuscript -----------------------------------------------

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


def _attr_of(node: dict) -> list | None:
    kind = node.get("t")
    content = node.get("c")
    if kind == "Header":
        return content[1]
    if kind in ("CodeBlock", "Div", "Span", "Code", "Link", "Image", "Table", "Figure"):
        return content[0]
    return None


def _is_wrapper(attr: list | None) -> bool:
    return attr is not None and any(k == "wrapper" for k, _ in attr[2])


class _Tags(html.parser.HTMLParser):
    """Start tags of a raw HTML snippet: (tag, attributes, line, column)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list, int, int, bool]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs, *self.getpos(), True))

    def handle_startendtag(self, tag, attrs):
        self.found.append((tag, attrs, *self.getpos(), True))

    def handle_endtag(self, tag):
        self.found.append((tag, [], *self.getpos(), False))


_SIMPLE_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\s*/?>")


def raw_tags(text: str) -> list[tuple[str, list, int, int, bool]]:
    """(tag, attributes, line, offset, is_start) of every tag in ``text``, in order."""
    simple = _SIMPLE_TAG.fullmatch(text.strip())
    if simple:  # most raw inlines: one bare tag such as <span> or </span>
        return [(simple.group(2).lower(), [], 1, 0, not simple.group(1))]
    parser = _Tags()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # very old-style broken markup: nh3 decides
        pass
    return parser.found


class _Guard:
    """One pass over one file's AST: nesting depth and raw HTML, in document order."""

    def __init__(self, display: str, reporter: Reporter) -> None:
        self.display = display
        self.reporter = reporter
        #: Raw HTML elements open at this point of the document.
        self.open: list[str] = []

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
            attr = _attr_of(tree)
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
            if "c" in tree:
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
            elif name.startswith("on") or name in ("srcset", "rel", "formaction", "src",
                                                    "background", "poster"):
                self.reporter.warn(self.display, where[0], f"attribute '{key}' dropped: "
                                   "not allowed in a book", "unsafe-html", where[1])
            else:
                kept.append([key, value])
        attr[2] = kept

    def raw(self, node: dict, depth: int, where: tuple[int, int]) -> None:
        form, text = node["c"]
        if form.lower() not in _RAW_HTML:
            return
        line, col = where
        for tag, attrs, tag_line, offset, start in raw_tags(text):
            here = (line + tag_line - 1, (col + offset) if tag_line == 1 and col else 0)
            if not start:
                if tag in self.open:
                    while self.open.pop() != tag:
                        pass
                continue
            if not any(name in DROPPED_WITH_CONTENT for name in self.open):
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

        Elements in ``transforms.rawhtml.FORBIDDEN``, ``<a href>`` and ``<img src>``
        are reported there (links and images are resolved there), not here.
        """
        from .transforms.rawhtml import FORBIDDEN

        warn = self.reporter.warn
        line, col = here
        if tag in FORBIDDEN:
            return
        if tag in DROPPED_WITH_CONTENT:
            warn(self.display, line, f"raw HTML <{tag}> dropped with its content: not "
                 "allowed in a book", "unsafe-html", col)
            return
        if tag not in ALLOWED_TAGS:
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
        _Guard(file.display, reporter).run(blocks)
        if NOT_XML.search(file.body):  # checks.py reports them (invisible-character)
            _strip_not_xml(blocks)


#: Characters that XML 1.0 cannot hold (tab, line feed and carriage return excepted).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _strip_not_xml(tree) -> None:
    """Remove ``NOT_XML`` characters from every string of a pandoc AST, in place."""
    stack = [tree]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, str):
                if NOT_XML.search(value):
                    node[key] = NOT_XML.sub("", value)
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


# --- SVG images -------------------------------------------------------------------

_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)|@import", re.IGNORECASE)
_SVG_ACTIVE = {"script", "foreignobject", "iframe", "object", "embed", "handler",
               "listener", "audio", "video", "animation"}


def svg_problem(data: bytes) -> str | None:
    """Why an SVG image cannot go into a book as it is, or None if it is self-contained."""
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        return "it declares a DOCTYPE or entities"
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        return f"it is not well-formed XML ({error})"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = element.tag.rsplit("}", 1)[-1].lower()
        if name in _SVG_ACTIVE:
            return f"it contains <{name}>"
        if name == "style" and _CSS_URL.search(element.text or ""):
            return "its CSS loads other files"
        for key, value in element.attrib.items():
            key = key.rsplit("}", 1)[-1].lower()
            if key.startswith("on"):
                return f"it has an event handler ({key})"
            if key in ("href", "src") and not value.strip().startswith("#"):
                return f"it refers to '{value.strip()[:60]}'"
            if _CSS_URL.search(value):
                return "its CSS loads other files"
    return None


# --- footnotes that refer to themselves -----------------------------------------------
# pandoc 3.9 (commonmark_x) expands a footnote whose text refers to itself, directly or
# through other notes, until its heap is exhausted: ``[^a]: see [^a]`` takes 20 s and
# 1.3 GB before it fails. Such cycles are found in the text before pandoc sees it.

#: A definition, also inside block quotes and list items (``> [^a]:``, ``- [^a]:``).
_FOOTNOTE_DEFINITION = re.compile(r"^(?:[ \t>]*(?:[-+*]|\d{1,9}[.)])[ \t]+)*[ \t>]*"
                                  r"\[\^([^\]\s]+)\]:", re.MULTILINE)
_FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\]")
_UNINDENTED_AFTER_BLANK = re.compile(r"\n[ \t>]*\n(?=[^ \t\n>])")


def footnote_cycle(text: str) -> tuple[str, int] | None:
    """(label, line of its definition) of a footnote that refers back to itself, or None."""
    definitions = list(_FOOTNOTE_DEFINITION.finditer(text))
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
        label = match.group(1).casefold()
        refers.setdefault(label, set()).update(
            found.casefold() for found in _FOOTNOTE_REFERENCE.findall(body))
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
