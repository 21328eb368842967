"""XHTML: turn an HTML fragment (pandoc's output, raw HTML included) into
well-formed XML for the EPUB, by parsing it like a browser would (tinyhtml5)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import tinyhtml5

XHTML_NS = "http://www.w3.org/1999/xhtml"

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


def to_xhtml(fragment: str) -> str:
    """Serialise an HTML fragment as XHTML (the children of a body element)."""
    body = parse_fragment(fragment)
    _clean_for_xml(body)
    out: list[str] = [_escape(body.text or "")]
    for child in body:
        _serialise(child, XHTML_NS, out)
    return "".join(out)
