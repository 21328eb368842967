"""The Kobo edition: the EPUB as a ``.kepub.epub``, read by Kobo's own renderer.

Kobo's e-readers show a sideloaded ``.epub`` with the Adobe engine; a file named
``.kepub.epub`` goes to Kobo's WebKit renderer, with pop-up notes, faster page
turns and reading statistics (kobolabs/epub-spec, "Sideloading for Testing
Purposes"). That renderer expects the markup Kobo's store adds to every book it
sells, as kepubify documents it (pgaskin/kepubify ``kepub/transform.go``, "matches
Kobo (checked with 3 books)"):

- the body's content wrapped in ``<div id="book-columns"><div id="book-inner">``,
  with ``div#book-inner { margin-top: 0; margin-bottom: 0 }`` (here in the book's
  stylesheet: the pages carry no ``<style>``);
- every sentence in ``<span class="koboSpan" id="kobo.P.S">``: P counts the
  paragraphs (``p``, lists, tables; each image is one), S the sentences within
  one; a sentence ends after ``. ! ? :`` and a closing quotation mark, as Kobo
  cuts them; text in ``pre``, ``script``, ``style``, audio and video, MathML and
  SVG stays as it is; each image is wrapped in a span of its own;
- note calls that its renderer pops up: Standard Ebooks adds ``endnote`` to the
  ``epub:type`` of every note reference, since "Kobo doesn't understand
  'noteref', only 'endnote'" (standardebooks/tools, ``se_epub_build.py``); the
  notes keep ``epub:type="footnote"``, and the calls and back links keep their
  text unspanned.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from .builder import EpubBuilder

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
MATHML = "http://www.w3.org/1998/Math/MathML"
SVG = "http://www.w3.org/2000/svg"
for _prefix, _uri in (("", XHTML), ("epub", OPS), ("m", MATHML), ("svg", SVG)):
    ET.register_namespace(_prefix, _uri)
_TYPE = f"{{{OPS}}}type"

#: A sentence as Kobo cuts them: up to ``. ! ? :``, a closing quote, the space after.
SENTENCE = re.compile(r".*?[.!?:]['\"”’“…]?\s*", re.S)
#: Elements whose text is left as it is.
KEEP = {f"{{{XHTML}}}{name}" for name in ("pre", "script", "style", "audio", "video")}
#: Elements after which a new paragraph of spans begins.
PARAGRAPHS = {f"{{{XHTML}}}{name}" for name in ("p", "ol", "ul", "table")}
#: The stylesheet rule Kobo's own conversion adds for its wrapper.
KOBO_CSS = "\ndiv#book-inner { margin-top: 0; margin-bottom: 0; }\n"
#: The content documents that get the markup (the navigation document does not).
CONTENT = re.compile(r"^EPUB/(?!nav\.xhtml$)[^/]+\.xhtml$")


class KoboBuilder(EpubBuilder):
    """The ``.kepub.epub`` beside the EPUB."""

    name = "kobo"
    download = ""
    edition = True

    def file_name(self, slug: str) -> str:
        return f"{slug}.kepub.epub"

    def adapt(self, files: dict[str, bytes]) -> dict[str, bytes]:
        out = dict(files)
        for name, data in files.items():
            if CONTENT.match(name):
                out[name] = kobo_document(data)
        out["EPUB/styles/book.css"] = files["EPUB/styles/book.css"] + KOBO_CSS.encode()
        return out


def kobo_document(data: bytes) -> bytes:
    """One XHTML content document with Kobo's wrapper, spans and note calls."""
    root = ET.fromstring(data)
    body = root.find(f"{{{XHTML}}}body")
    for link in root.iter(f"{{{XHTML}}}a"):
        kinds = (link.get(_TYPE) or "").split()
        if "noteref" in kinds and "endnote" not in kinds:
            link.set(_TYPE, " ".join([*kinds, "endnote"]))
    add_spans(body)
    wrap_body(body)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n' + text).encode()


def wrap_body(body: ET.Element) -> None:
    """``body``'s content inside ``div#book-columns > div#book-inner``."""
    columns = ET.Element(f"{{{XHTML}}}div", {"id": "book-columns"})
    inner = ET.SubElement(columns, f"{{{XHTML}}}div", {"id": "book-inner"})
    inner.text, body.text = body.text, "\n"
    inner.extend(list(body))
    for child in list(body):
        body.remove(child)
    columns.tail = "\n"
    body.append(columns)


class _Counter:
    """``kobo.P.S``: P the paragraph, S the sentence in it."""

    def __init__(self) -> None:
        self.paragraph = 0
        self.sentence = 0
        self.next_paragraph = False

    def new_paragraph(self) -> None:
        self.paragraph += 1
        self.sentence = 0
        self.next_paragraph = False

    def span(self, text: str | None = None) -> ET.Element:
        if self.next_paragraph:
            self.new_paragraph()
        self.sentence += 1
        span = ET.Element(f"{{{XHTML}}}span", {"class": "koboSpan",
                                                "id": f"kobo.{self.paragraph}.{self.sentence}"})
        span.text = text
        return span


def add_spans(body: ET.Element) -> None:
    """Every sentence under ``body`` in a ``koboSpan`` (see the module's doc)."""
    _walk(body, _Counter())


def _kept(element: ET.Element) -> bool:
    """Elements whose text gets no spans."""
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in KEEP or tag.startswith((f"{{{MATHML}}}", f"{{{SVG}}}")):
        return True
    kinds = (element.get(_TYPE) or "").split()
    return "noteref" in kinds or element.get("role") == "doc-backlink"


def _sentences(text: str) -> list[str]:
    found, position = [], 0
    for match in SENTENCE.finditer(text):
        if match.end() > position:
            found.append(text[position:match.end()])
            position = match.end()
    if position < len(text):
        found.append(text[position:])
    return found


def _spans_for(text: str, parent: ET.Element, counter: _Counter) -> list:
    """The pieces ``text`` becomes inside ``parent``: spans, or plain white space."""
    pieces: list = []
    for sentence in _sentences(text):
        if not sentence.strip() and parent.tag != f"{{{XHTML}}}p":
            pieces.append(sentence)
        else:
            pieces.append(counter.span(sentence))
    return pieces


def _walk(element: ET.Element, counter: _Counter) -> None:
    if element.tag in PARAGRAPHS:
        counter.next_paragraph = True
    children = list(element)
    out: list = []
    if element.text:
        out.extend(_spans_for(element.text, element, counter))
        element.text = None
    for child in children:
        tail, child.tail = child.tail, None
        if child.tag == f"{{{XHTML}}}img":
            counter.new_paragraph()
            span = counter.span()
            span.append(child)
            out.append(span)
        else:
            if not _kept(child):
                _walk(child, counter)
            out.append(child)
        if tail:
            out.extend(_spans_for(tail, element, counter))
    for child in children:
        element.remove(child)
    _put(element, out)


def _put(element: ET.Element, pieces: list) -> None:
    """``pieces`` (elements and strings) as the content of ``element``."""
    last = None
    for piece in pieces:
        if isinstance(piece, str):
            if last is None:
                element.text = (element.text or "") + piece
            else:
                last.tail = (last.tail or "") + piece
        else:
            element.append(piece)
            last = piece
