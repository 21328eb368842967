"""XHTML: turn an HTML fragment (pandoc's output, raw HTML included) into
well-formed XML for the EPUB, by parsing it like a browser would (tinyhtml5)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import tinyhtml5

XHTML_NS = "http://www.w3.org/1999/xhtml"
ET.register_namespace("", XHTML_NS)

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._\-]*(:[A-Za-z_][A-Za-z0-9._\-]*)?$")
#: Characters XML 1.0 does not allow.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def parse_fragment(fragment: str) -> ET.Element:
    """Parse an HTML fragment; return the ``body`` element holding it."""
    root = tinyhtml5.parse("<!DOCTYPE html><html><head></head><body>"
                           + fragment + "</body></html>")
    return root.find(f"{{{XHTML_NS}}}body")


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
            element.attrib[key] = _NOT_XML.sub("", element.attrib[key])
    if element.text:
        element.text = _NOT_XML.sub("", element.text)
    if element.tail:
        element.tail = _NOT_XML.sub("", element.tail)


def _append_text(element: ET.Element, text: str) -> None:
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


def to_xhtml(fragment: str) -> str:
    """Serialise an HTML fragment as XHTML (the children of a body element)."""
    body = parse_fragment(fragment)
    _clean_for_xml(body)
    text = ET.tostring(body, encoding="unicode", method="xml", short_empty_elements=True)
    text = re.sub(r"^<body[^>]*>", "", text)
    text = re.sub(r"</body>$|<body\s*/>$", "", text)
    return text
