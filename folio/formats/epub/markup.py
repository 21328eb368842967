"""XHTML for e-readers: what a chapter of the EPUB may contain, parsed and written.

pandoc's HTML is valid; a manuscript's raw HTML often is not (``<center>``,
``<p align=…>``, ``<a name=…>``, duplicate ids, links into other chapter files).
What reaches this module has been through ``folio.safety.sanitise_fragment``.
``parse_chapter`` parses a fragment as a browser would (tinyhtml5) into an
ElementTree; every chapter then goes through these passes, in order, and
``serialise_children`` writes it as well-formed XHTML:

1. ``clean_tree``: only HTML5 elements and attributes that EPUB 3 reading systems
   and EPUBCheck accept; obsolete ones are mapped (``center`` -> ``div``,
   ``tt`` -> ``code``: ``folio.safety.EPUB_RENAMES``) or unwrapped;
   ``<a name>`` becomes an id; images that are not in the book become their alt text;
2. ``fix_ids``: ids without white space and unique per file, folio's own (notes,
   headings, page markers) winning over the manuscript's;
3. ``fix_links``: every ``#id`` points into the file that has it; a link to nowhere
   becomes a ``span`` (its text stays);
4. ``folio.pagemap.insert_page_markers`` (when there is a page map).

Where the manuscript is at fault, the warning with file and line was given when
the links were resolved (``folio.transforms.links`` and ``.rawhtml``); here the
book is only made valid.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import tinyhtml5

from ...safety import (DROPPED_TAGS, ELEMENTS, EPUB_RENAMES, LINK_SCHEMES, MATHML_ATTRIBUTES,
                       MATHML_ELEMENTS, MATHML_NS, NOT_XML, url_scheme)
from ..serialised import simple_tree

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_TYPE = "epub:type"

#: HTML5 elements kept as they are (the rest of what the sanitiser keeps is renamed).
ALLOWED = {tag for tag, fate in ELEMENTS.items() if fate == "keep"} - MATHML_ELEMENTS

#: Attributes every element may keep.
GLOBAL_ATTRIBUTES = {"id", "class", "title", "lang", "xml:lang", "dir", "hidden", "role",
                     "style", EPUB_TYPE}
#: Attributes particular elements may keep, with a check of the value.
_INTEGER = re.compile(r"^\d{1,6}$")
ELEMENT_ATTRIBUTES = {
    "a": {"href": None, "hreflang": None, "rel": None, "type": None},
    "img": {"src": None, "alt": None, "width": _INTEGER, "height": _INTEGER},
    "ol": {"start": re.compile(r"^-?\d{1,6}$"), "reversed": None,
           "type": re.compile(r"^[1aAiI]$")},
    "li": {"value": re.compile(r"^-?\d{1,6}$")},
    "td": {"colspan": _INTEGER, "rowspan": _INTEGER},
    "th": {"colspan": _INTEGER, "rowspan": _INTEGER,
           "scope": re.compile(r"^(row|col|rowgroup|colgroup)$"), "abbr": None},
    "col": {"span": _INTEGER}, "colgroup": {"span": _INTEGER},
    "time": {"datetime": None}, "data": {"value": None},
    "del": {"datetime": None}, "ins": {"datetime": None},
    "details": {"open": None},
}
#: ARIA attributes with a fixed meaning (others are dropped: axe reports unknown ones).
ARIA_ATTRIBUTES = {"aria-label", "aria-labelledby", "aria-describedby", "aria-hidden",
                   "aria-level", "aria-current", "aria-details", "aria-roledescription"}
#: Roles a manuscript may set (ARIA 1.2 document structure and DPUB-ARIA 1.1).
ROLES = {"doc-abstract", "doc-acknowledgments", "doc-afterword", "doc-appendix",
         "doc-backlink", "doc-biblioentry", "doc-bibliography", "doc-biblioref",
         "doc-chapter", "doc-colophon", "doc-conclusion", "doc-cover", "doc-credit",
         "doc-credits", "doc-dedication", "doc-endnotes", "doc-epigraph", "doc-epilogue",
         "doc-errata", "doc-example", "doc-footnote", "doc-foreword", "doc-glossary",
         "doc-glossref", "doc-index", "doc-introduction", "doc-noteref", "doc-notice",
         "doc-pagebreak", "doc-pagelist", "doc-part", "doc-preface", "doc-prologue",
         "doc-pullquote", "doc-qna", "doc-subtitle", "doc-tip", "doc-toc", "note",
         "presentation", "none", "img", "figure", "group", "region", "separator",
         "definition", "term", "list", "listitem", "heading", "math", "doc-pagefooter",
         "doc-pageheader"}
#: Elements that only hold phrasing content.
PHRASING_PARENTS = {"span", "em", "strong", "b", "i", "u", "s", "small", "code", "sub",
                    "sup", "mark", "abbr", "cite", "q", "dfn", "kbd", "samp", "var", "time",
                    "data", "bdi", "bdo", "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
                    "summary", "rt", "rp", "ruby", "ins", "del"}
#: Elements that are blocks (flow content only).
BLOCKS = {"address", "article", "aside", "blockquote", "details", "div", "dl", "figure",
          "footer", "header", "hr", "nav", "ol", "p", "pre", "section", "table", "ul",
          "h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "li", "dt", "dd", "summary",
          "caption", "thead", "tbody", "tfoot", "tr", "td", "th"}


def _local(tag) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        uri, name = tag[1:].split("}", 1)
        return uri, name
    return XHTML_NS, tag


def _x(name: str) -> str:
    return f"{{{XHTML_NS}}}{name}"


# --- parsing and writing ------------------------------------------------------------

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._\-]*(:[A-Za-z_][A-Za-z0-9._\-]*)?$")


def parse_chapter(fragment: str) -> ET.Element:
    """Parse a chapter's HTML fragment as a browser would into a ``body`` element
    ready for the passes: no comments, no names or characters XML cannot hold.
    A fragment as the sanitiser wrote it is read without the HTML5 tree builder
    (``serialised.simple_tree``, seven times as fast); anything else goes through it."""
    body = simple_tree(fragment)
    if body is None:
        root = tinyhtml5.parse("<!DOCTYPE html><html><head></head><body>"
                               + fragment + "</body></html>")
        body = root.find(f"{{{XHTML_NS}}}body")
    _clean_for_xml(body)
    return body


def serialise_children(body: ET.Element) -> str:
    """The XHTML of everything inside ``body``."""
    out: list[str] = [_escape(body.text or "")]
    for child in body:
        _serialise(child, XHTML_NS, out)
    return "".join(out)


def _clean_for_xml(element: ET.Element) -> None:
    """Drop comments and attribute names or characters that XML cannot hold."""
    for child in list(element):
        if not isinstance(child.tag, str):
            tail = child.tail
            element.remove(child)
            if tail:
                _append_text(element, tail)
            continue
        _clean_for_xml(child)
    for key in list(element.attrib):
        if key.startswith("{"):
            continue
        if not _XML_NAME.match(key) or (":" in key and key.split(":")[0] not in ("epub", "xml")):
            del element.attrib[key]
        else:
            element.attrib[key] = NOT_XML.sub("", element.attrib[key])
    if element.text:
        element.text = NOT_XML.sub("", element.text)
    if element.tail:
        element.tail = NOT_XML.sub("", element.tail)


def _append_text(element: ET.Element, text: str) -> None:
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


#: HTML elements that never have content, written ``<br />``; others get an end tag.
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
         "source", "track", "wbr"}
_PREFIXES = {"http://www.w3.org/1999/xlink": "xlink",
             "http://www.w3.org/XML/1998/namespace": "xml"}


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        uri, name = tag[1:].split("}", 1)
        return uri, name
    return "", tag


def _escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if attribute else text


def _serialise(element: ET.Element, parent_ns: str, out: list[str]) -> None:
    uri, name = _split(element.tag)
    attributes = []
    if uri != parent_ns:
        attributes.append(f' xmlns="{_escape(uri, True)}"')
    declared = set()
    for key, value in element.attrib.items():
        key_uri, key_name = _split(key)
        if key_uri:
            prefix = _PREFIXES.get(key_uri)
            if prefix is None:
                continue
            if prefix != "xml" and prefix not in declared:
                attributes.append(f' xmlns:{prefix}="{key_uri}"')
                declared.add(prefix)
            key_name = f"{prefix}:{key_name}"
        attributes.append(f' {key_name}="{_escape(value, True)}"')
    out.append(f"<{name}{''.join(attributes)}")
    if not len(element) and not element.text and (uri != XHTML_NS or name in _VOID):
        out.append(" />")
    else:
        out.append(">")
        if element.text:
            out.append(_escape(element.text))
        for child in element:
            _serialise(child, uri, out)
        out.append(f"</{name}>")
    if element.tail:
        out.append(_escape(element.tail))


# --- 1. elements and attributes ---------------------------------------------------

def clean_tree(body: ET.Element, images: set[str]) -> None:
    """Make ``body`` hold only what an EPUB 3 content document may (see module doc).

    ``images`` are the names of the images in the book (``img-….png``); an ``img``
    that points elsewhere becomes its alt text.
    """
    _clean_children(body, images)
    _fix_content_models(body)


def _unwrap(parent: ET.Element, index: int, keep_children: bool) -> None:
    """Replace ``parent[index]`` by its content (or by nothing but its tail)."""
    child = parent[index]
    pieces = list(child) if keep_children else []
    text = (child.text or "") if keep_children else ""
    tail = child.tail or ""
    parent.remove(child)
    before = parent[index - 1] if index > 0 else None

    def add_text(value: str, after) -> None:
        if not value:
            return
        if after is None:
            parent.text = (parent.text or "") + value
        else:
            after.tail = (after.tail or "") + value

    add_text(text, before)
    for offset, piece in enumerate(pieces):
        parent.insert(index + offset, piece)
    last = pieces[-1] if pieces else before
    add_text(tail, last)


def _clean_children(parent: ET.Element, images: set[str]) -> None:
    index = 0
    while index < len(parent):
        child = parent[index]
        uri, name = _local(child.tag)
        if uri == MATHML_NS and name in MATHML_ELEMENTS:
            _clean_mathml(child)
            index += 1
            continue
        if uri != XHTML_NS or name in DROPPED_TAGS:
            _unwrap(parent, index, keep_children=False)
            continue
        if name in EPUB_RENAMES:
            child.tag = _x(EPUB_RENAMES[name])
            name = EPUB_RENAMES[name]
        if name not in ALLOWED:
            _unwrap(parent, index, keep_children=True)
            continue
        if name == "img" and not _keep_image(parent, index, images):
            continue
        _clean_attributes(child, name)
        _clean_children(child, images)
        index += 1


def _clean_mathml(element: ET.Element) -> None:
    """MathML (issue 14): presentation elements and their attributes only, as the
    sanitiser left them (``folio.safety.MATHML_ELEMENTS``); anything else inside goes."""
    for key in list(element.attrib):
        if key not in MATHML_ATTRIBUTES and key != "id":
            del element.attrib[key]
    index = 0
    while index < len(element):
        uri, name = _local(element[index].tag)
        if uri != MATHML_NS or name not in MATHML_ELEMENTS:
            _unwrap(element, index, keep_children=False)
            continue
        _clean_mathml(element[index])
        index += 1


def _keep_image(parent: ET.Element, index: int, images: set[str]) -> bool:
    """True if ``parent[index]`` is an image of the book; else it becomes its alt text."""
    image = parent[index]
    src = image.get("src", "")
    if src.startswith("images/") and src[len("images/"):] in images:
        if image.get("alt") is None:
            image.set("alt", "")
        return True
    alt = image.get("alt", "")
    if not alt:
        _unwrap(parent, index, keep_children=False)
        return False
    image.tag = _x("span")
    image.attrib.clear()
    image.set("class", "image-dropped")
    image.text = alt
    return False


def _clean_attributes(element: ET.Element, name: str) -> None:
    if name == "a" and element.get("name") and not element.get("id"):
        element.set("id", element.get("name"))
    allowed = ELEMENT_ATTRIBUTES.get(name, {})
    for key in list(element.attrib):
        value = element.attrib[key]
        if key in GLOBAL_ATTRIBUTES or key.startswith("data-"):
            if key == "role" and not all(role in ROLES for role in value.split()):
                del element.attrib[key]
            elif key == "dir" and value not in ("ltr", "rtl", "auto"):
                del element.attrib[key]
            continue
        if key in ARIA_ATTRIBUTES:
            continue
        if key in allowed:
            check = allowed[key]
            if check is None or check.match(value.strip()):
                continue
        del element.attrib[key]


def _fix_content_models(parent: ET.Element) -> None:
    """Repair nesting that browsers accept and EPUBCheck does not: a block inside
    a phrasing element, a list item outside a list, a caption outside its table."""
    _, parent_name = _local(parent.tag)
    index = 0
    while index < len(parent):
        child = parent[index]
        uri, name = _local(child.tag)
        if uri != XHTML_NS:
            index += 1
            continue
        if parent_name in PHRASING_PARENTS and name in BLOCKS:
            if name == "hr":
                _unwrap(parent, index, keep_children=False)
            else:
                _unwrap(parent, index, keep_children=True)
            continue
        if name == "li" and parent_name not in ("ul", "ol"):
            child.tag = _x("div")
            child.attrib.pop("value", None)
        elif name in ("dt", "dd") and parent_name not in ("dl", "div"):
            child.tag = _x("div")
        elif name == "figcaption" and parent_name != "figure":
            child.tag = _x("div")
        elif name == "summary" and (parent_name != "details" or index != 0):
            child.tag = _x("div")
        elif name == "caption" and parent_name != "table":
            child.tag = _x("div")
        _fix_content_models(child)
        index += 1


# --- 2. ids ------------------------------------------------------------------------

#: Ids folio gives page markers; a manuscript element with such an id is renamed.
_RESERVED = re.compile(r"^page-\d+$")


def normalise_id(ident: str) -> str:
    """An id as XHTML allows it: no white space."""
    return re.sub(r"\s+", "-", ident.strip())


def _is_ours(element: ET.Element) -> bool:
    """Elements whose ids folio made and links rely on: notes, note references, headings."""
    _, name = _local(element.tag)
    kind = element.get(EPUB_TYPE, "")
    return (name in ("h1", "h2", "h3", "h4", "h5", "h6") or "footnote" in kind
            or "noteref" in kind or "pagebreak" in kind)


def fix_ids(body: ET.Element) -> set[str]:
    """Make the ids in one file valid and unique; return them.

    Duplicates are renamed (``intro`` -> ``intro-2``), so links keep pointing at
    the first element with the id, as they would in a browser.
    """
    elements = [e for e in body.iter() if isinstance(e.tag, str) and "id" in e.attrib]
    for element in elements:
        element.attrib.pop("name", None)
        ident = normalise_id(element.get("id", ""))
        if ident:
            element.set("id", ident)
        else:
            del element.attrib["id"]
    taken = {e.get("id") for e in elements if e.get("id")}
    seen: set[str] = set()
    ordered = sorted((e for e in elements if e.get("id")), key=lambda e: not _is_ours(e))
    for element in ordered:
        ident = element.get("id")
        if ident in seen or (not _is_ours(element) and _RESERVED.match(ident)):
            number = 2
            while f"{ident}-{number}" in taken:
                number += 1
            ident = f"{ident}-{number}"
            element.set("id", ident)
            taken.add(ident)
        seen.add(ident)
    for element in body.iter():
        if isinstance(element.tag, str):
            element.attrib.pop("name", None)
    return seen


# --- 3. links -----------------------------------------------------------------------

def fix_links(body: ET.Element, own_file: str, file_ids: dict[str, set[str]],
              book_ids: dict[str, str]) -> None:
    """Point every internal link of ``own_file`` at the file holding its target.

    ``file_ids``: file name -> ids in it; ``book_ids``: id -> first file that has it.
    """
    for element in body.iter(_x("a")):
        href = element.get("href")
        if href is None:
            continue
        target = _link_target(href.strip(), own_file, file_ids, book_ids)
        if target is None:
            _unlink(element)
        else:
            element.set("href", target)


def _link_target(href: str, own_file: str, file_ids: dict[str, set[str]],
                 book_ids: dict[str, str]) -> str | None:
    scheme = url_scheme(href)
    if scheme is not None:
        return href if scheme in LINK_SCHEMES else None
    path, hash_, fragment = href.partition("#")
    path = unquote(path)
    if path and path not in file_ids:
        return None
    if not hash_ or not fragment:
        return path or None
    fragment = normalise_id(unquote(fragment))
    in_file = path or own_file
    if fragment in file_ids.get(in_file, set()):
        return ("" if in_file == own_file else in_file) + "#" + fragment
    holder = book_ids.get(fragment)
    if holder is None:
        return None
    return ("" if holder == own_file else holder) + "#" + fragment


def _unlink(element: ET.Element) -> None:
    """A link to nowhere becomes a span: its text stays, nothing is clickable."""
    element.tag = _x("span")
    for key in ("href", "hreflang", "rel", "type"):
        element.attrib.pop(key, None)
    if element.get("role") in ("doc-noteref", "doc-backlink", "doc-biblioref",
                               "doc-glossref"):
        del element.attrib["role"]
    if "noteref" in element.get(EPUB_TYPE, ""):
        del element.attrib[EPUB_TYPE]


# --- facts for the accessibility metadata -----------------------------------------

def tables_have_headers(body: ET.Element) -> bool:
    """True if every table has at least one header cell (WCAG 1.3.1)."""
    return all(table.find(f".//{_x('th')}") is not None for table in body.iter(_x("table")))


def image_alts(body: ET.Element) -> list[str]:
    """The alt text of every image (empty for decorative ones)."""
    return [image.get("alt", "") for image in body.iter(_x("img"))]
