"""The tree of a fragment that is already a serialised HTML5 tree, read without the
HTML5 tree builder; and of the print HTML's documents (``simple_document``).

Every fragment the EPUB parses has been through ``folio.safety.sanitise_fragment``:
nh3 (html5ever) parsed it as a browser would and wrote its tree back out, every
element closed, every attribute quoted, ``&``, ``<``, ``>`` and the no-break space
escaped. Reading such a fragment back needs none of the HTML5 parser's repairs
(implied end tags, foster parenting, the adoption agency), only its tokens:
``html.parser`` (the standard library's tokenizer) and a stack. tinyhtml5, pure
Python, took 1.0 s of the build's main process for the 150-page bench book's
fifteen chapters (the largest single cost of that process); this reader, 0.15 s.

``simple_tree`` gives up (None) at anything the HTML5 tree builder would have
repaired, and at whatever it does not know: an element outside folio's allow-list,
a ``p`` opened inside an open ``p``, a list item in a list item, a link in a link,
a heading in a heading, a table's row or cell out of its place, text directly in a
table, an end tag that does not close the element open, MathML that holds HTML, a
prefixed attribute but ``epub:type``. The caller then parses with tinyhtml5. The
trees are the same as tinyhtml5's on every chapter of the books and fixtures
(tests/unit/test_serialised.py).
"""

from __future__ import annotations

import html.parser
import xml.etree.ElementTree as ET

from ..safety import KEPT_TAGS, MATHML_ELEMENTS, MATHML_NS

XHTML_NS = "http://www.w3.org/1999/xhtml"

#: HTML elements without content or end tag.
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen",
                  "link", "meta", "param", "source", "track", "wbr"})
#: Start tags that close an open ``p`` (HTML5, "in body").
_CLOSES_P = frozenset({
    "address", "article", "aside", "blockquote", "center", "details", "dialog", "dir",
    "div", "dl", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main",
    "menu", "nav", "ol", "p", "search", "section", "summary", "ul", "h1", "h2", "h3",
    "h4", "h5", "h6", "pre", "listing", "form", "li", "dd", "dt", "plaintext", "table",
    "hr", "xmp"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Where an open ``p`` stops counting (HTML5's button scope, as far as folio keeps
#: its elements).
_P_SCOPE = frozenset({"table", "td", "th", "caption", "math"})
#: Each element that the same element (or its sibling kind) would close, with where
#: an open one stops counting; the ``a`` and the headings count wherever they are.
_CLOSED_BY_ITS_KIND = {"li": ({"li"}, _P_SCOPE | {"ul", "ol"}),
                       "dd": ({"dd", "dt"}, _P_SCOPE | {"dl"}),
                       "dt": ({"dd", "dt"}, _P_SCOPE | {"dl"}),
                       "a": ({"a"}, frozenset()),
                       **{h: (_HEADINGS, frozenset()) for h in _HEADINGS}}
#: Each table element with the parents it may have as written.
_TABLE_PARENTS = {"caption": {"table"}, "colgroup": {"table"}, "col": {"colgroup"},
                  "thead": {"table"}, "tbody": {"table"}, "tfoot": {"table"},
                  "tr": {"thead", "tbody", "tfoot"}, "td": {"tr"}, "th": {"tr"}}
#: Elements whose own text must be white space only (other text is foster-parented).
_TABLE_INSIDES = frozenset({"table", "thead", "tbody", "tfoot", "tr", "colgroup"})
#: Elements whose first line feed the HTML5 parser drops.
_FIRST_NEWLINE = frozenset({"pre", "listing", "textarea"})
_KNOWN = frozenset(KEPT_TAGS)
_MATHML_ATTRIBUTES = {"definitionurl": "definitionURL"}


class _GiveUp(Exception):
    """The fragment needs the HTML5 tree builder."""


class _Builder(html.parser.HTMLParser):
    def __init__(self, root: ET.Element, html_namespace: str | None = XHTML_NS) -> None:
        super().__init__(convert_charrefs=True)
        #: Open elements: (element, tag, in MathML).
        self.open: list[tuple[ET.Element, str, bool]] = [(root, "body", False)]
        self.drop_newline = False
        self.html_prefix = f"{{{html_namespace}}}" if html_namespace else ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        parent, parent_tag, maths = self.open[-1]
        maths = maths or tag == "math"
        if tag not in _KNOWN or maths != (tag in MATHML_ELEMENTS):
            raise _GiveUp
        if not maths:
            self._check_place(tag, parent_tag)
        attributes: dict[str, str] = {}
        for name, value in attrs:
            if ":" in name and name != "epub:type":
                raise _GiveUp
            if maths:
                name = _MATHML_ATTRIBUTES.get(name, name)
            attributes.setdefault(name, "" if value is None else value)
        prefix = f"{{{MATHML_NS}}}" if maths else self.html_prefix
        element = ET.SubElement(parent, f"{prefix}{tag}", attributes)
        self.drop_newline = tag in _FIRST_NEWLINE
        if not (tag in VOID and not maths):
            self.open.append((element, tag, maths))

    def _check_place(self, tag: str, parent_tag: str) -> None:
        """Give up where the HTML5 tree builder would not put ``tag`` inside the open
        elements as they are."""
        if tag in _TABLE_PARENTS:
            if parent_tag not in _TABLE_PARENTS[tag]:
                raise _GiveUp
        elif parent_tag in _TABLE_INSIDES:
            raise _GiveUp
        if tag in _CLOSES_P and _open(self.open, {"p"}, _P_SCOPE):
            raise _GiveUp
        if tag in _CLOSED_BY_ITS_KIND and _open(self.open, *_CLOSED_BY_ITS_KIND[tag]):
            raise _GiveUp

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        if not (tag in VOID and not self.open[-1][2]):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if len(self.open) < 2 or self.open[-1][1] != tag:
            raise _GiveUp  # a void element's end tag, or one that closes another
        self.open.pop()
        self.drop_newline = False

    def handle_data(self, data: str) -> None:
        if self.drop_newline and data.startswith("\n"):
            data = data[1:]
        self.drop_newline = False
        if not data:
            return
        parent, parent_tag, _ = self.open[-1]
        if parent_tag in _TABLE_INSIDES and data.strip(" \t\n\f"):
            raise _GiveUp
        if len(parent):
            last = parent[-1]
            last.tail = (last.tail or "") + data
        else:
            parent.text = (parent.text or "") + data

    def handle_comment(self, data: str) -> None:
        pass  # ``markup.parse_chapter`` drops comments: their neighbours' text joins

    def handle_decl(self, decl: str) -> None:
        raise _GiveUp

    def handle_pi(self, data: str) -> None:
        raise _GiveUp

    def unknown_decl(self, data: str) -> None:
        raise _GiveUp


def _open(stack: list, tags: set[str], scope: frozenset[str]) -> bool:
    """True if one of ``tags`` is open in ``stack`` below the nearest of ``scope``."""
    for _, open_tag, _ in reversed(stack):
        if open_tag in tags:
            return True
        if open_tag in scope:
            return False
    return False


def simple_tree(fragment: str) -> ET.Element | None:
    """A ``body`` element (XHTML namespace) holding ``fragment`` as serialised by an
    HTML5 serialiser, as tinyhtml5 would build it; None if the fragment needs the
    HTML5 tree builder."""
    body = ET.Element(f"{{{XHTML_NS}}}body")
    builder = _Builder(body)
    try:
        # The HTML5 parser's own first step: every line break a line feed.
        builder.feed(fragment.replace("\r\n", "\n").replace("\r", "\n"))
        builder.close()
    except _GiveUp:
        return None
    if len(builder.open) != 1:
        return None  # an element left open: its end was implied
    return body


#: What the head of a print document may hold (``simple_document``).
_HEAD = frozenset({"meta", "title", "link"})
_SPACE = " \t\n\f"


class _DocumentBuilder(_Builder):
    """``_Builder`` for a whole document: the doctype, ``html``, a ``head`` of
    ``_HEAD`` elements and a ``body``, each where an HTML5 serialiser writes it, with
    white space where the tree builder puts it (after the head: the head's tail;
    after the body or the document: the body's)."""

    def __init__(self) -> None:
        self.root: ET.Element | None = None
        self.head: ET.Element | None = None
        self.body: ET.Element | None = None
        #: "start", "html", "head", "after head", "body", "after body".
        self.phase = "start"
        self.doctype = False
        super().__init__(ET.Element("body"), None)  # HTML elements without a namespace
        self.open = []  # nothing is open before the head; the head, then the body

    def handle_decl(self, decl: str) -> None:
        if self.phase != "start" or self.doctype or decl.lower() != "doctype html":
            raise _GiveUp
        self.doctype = True

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if self.phase == "body":
            return super().handle_starttag(tag, attrs)
        attributes = {}
        for name, value in attrs:
            attributes.setdefault(name, "" if value is None else value)
        if tag == "html" and self.phase == "start" and self.doctype:  # not in quirks mode
            self.root, self.phase = ET.Element("html", attributes), "html"
        elif tag == "head" and self.phase == "html" and not attributes:
            self.head, self.phase = ET.SubElement(self.root, "head"), "head"
            self.open = [(self.head, "head", False)]
        elif tag in _HEAD and self.phase == "head" and self.open[-1][1] == "head":
            element = ET.SubElement(self.head, tag, attributes)
            if tag == "title":
                self.open.append((element, tag, False))
        elif tag == "body" and self.phase == "after head":
            self.body, self.phase = ET.SubElement(self.root, "body", attributes), "body"
            self.open = [(self.body, "body", False)]
        else:
            raise _GiveUp  # anything else: the tree builder would place it

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if self.phase == "body":
            return super().handle_startendtag(tag, attrs)
        if tag not in VOID:
            raise _GiveUp  # ``<head/>``, ``<title/>`` …: not as a serialiser writes them
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.phase == "body" and len(self.open) > 1:
            return super().handle_endtag(tag)
        if tag == "title" and self.phase == "head" and self.open[-1][1] == "title":
            self.open.pop()
        elif tag == "head" and self.phase == "head" and self.open[-1][1] == "head":
            self.phase = "after head"
        elif tag == "body" and self.phase == "body":
            self.phase = "after body"
        elif not (tag == "html" and self.phase == "after body"):
            raise _GiveUp

    def handle_data(self, data: str) -> None:
        if self.phase in ("body", "head"):
            if self.phase == "head" and self.open[-1][1] == "head" and data.strip(_SPACE):
                raise _GiveUp  # text in the head would open the body
            return super().handle_data(data)
        if data.strip(_SPACE):
            raise _GiveUp
        if self.phase == "after head":
            self.head.tail = (self.head.tail or "") + data
        elif self.phase == "after body":  # the tree builder puts it in the body
            self.open = [(self.body, "body", False)]
            super().handle_data(data)
        # before the html element and before the head: dropped, as by the tree builder

    def handle_comment(self, data: str) -> None:
        raise _GiveUp  # the tree builder keeps it, as a node of its own


def simple_document(markup: str) -> ET.Element | None:
    """The ``html`` element of ``markup``, a document as folio's print templates
    write it (fragments serialised by nh3 in a ``body``; the head's styles taken
    out), HTML elements without a namespace, as tinyhtml5 builds it for WeasyPrint
    (``namespace_html_elements=False``); None if it needs the tree builder.

    tinyhtml5 took 0.72 s of the 150-page bench book's layout (16 parts), this
    0.2 s."""
    builder = _DocumentBuilder()
    try:
        builder.feed(markup.replace("\r\n", "\n").replace("\r", "\n"))
        builder.close()
    except _GiveUp:
        return None
    if builder.phase != "after body":
        return None
    return builder.root
