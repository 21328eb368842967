"""Raw HTML in a manuscript: its links and images are resolved like Markdown's own.

Manuscripts written for GitHub or exported from wikis carry raw HTML:
``<a href="#top">``, ``<img src="logo.png">``, ``<a name=x>``. pandoc passes it
through untouched, so without this pass a raw link to a missing anchor, to a sibling
``.md`` file or to ``javascript:`` would reach every output, and a raw image would
point at a file that is not in the book (EPUBCheck: RSC-007, RSC-012). Each start
tag is read with the standard library's HTML tokenizer and only the attributes
that need it are rewritten:

- ``<a href>``: external URLs stay; ``#anchor`` and ``file.md#anchor`` resolve as
  Markdown links do (``links.find_anchor``); anything else loses its ``href`` (the
  text stays) with the same warning a Markdown link gets;
- ``<img src>``: resolved inside the book folder like a Markdown image, or replaced
  by its ``alt`` text with a warning; ``srcset`` is dropped;
- elements no book may contain (``<script>``, ``<iframe>``, forms, …) are reported;
  the sanitiser (``folio.safety.sanitise_fragment``) drops them from every output
  (``folio.safety.ELEMENTS`` says which).

Raw HTML has no source position in pandoc's AST, so warnings name the line where
the tag's text first occurs in the file after the previous tag found.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import unquote

from ..diagnostics import Reporter
from ..document import Document
from ..safety import FORBIDDEN_TAGS, LINK_SCHEMES, start_tags, url_scheme
from .links import file_name_of, find_anchor, image_file, size_problem


def _start_tag(tag: str, attrs: list, self_closing: bool) -> str:
    parts = [f"<{tag}"]
    for key, value in attrs:
        parts.append(f" {key}" if value is None else f' {key}="{html.escape(value)}"')
    parts.append(" />" if self_closing else ">")
    return "".join(parts)


class RawHtmlLinks:
    """Resolves the links and images of every raw HTML node of one book."""

    def __init__(self, document: Document, file_anchors: dict, reporter: Reporter) -> None:
        self.document = document
        self.file_anchors = file_anchors
        self.reporter = reporter
        #: Per file: where to look for the next tag's text (for its line number).
        self.cursor: dict[str, int] = {}

    def resolve(self, node: dict, display: str):
        """The walk action for ``RawInline`` and ``RawBlock``: None, or the new node."""
        kind, raw = node["c"]
        if kind.lower() not in ("html", "html4", "html5") or "<" not in raw:
            return None
        lines = raw.split("\n")
        offsets = [0]
        for text in lines:
            offsets.append(offsets[-1] + len(text) + 1)
        changes: list[tuple[int, int, str]] = []
        for found in start_tags(raw):
            line, column, text, tag, attrs = (found.line, found.col, found.text, found.name,
                                              found.attrs)
            start = offsets[line - 1] + column
            if raw[start:start + len(text)] != text:
                continue
            new = self._tag(text, tag, attrs, display)
            if new is not None and new != text:
                changes.append((start, start + len(text), new))
        if not changes:
            return None
        for start, end, new in reversed(changes):
            raw = raw[:start] + new + raw[end:]
        return {"t": node["t"], "c": [kind, raw]}

    def _where(self, text: str, display: str) -> tuple[int, int]:
        """(line, column) of ``text`` in the manuscript file, after the last one found."""
        body = next((f.body for f in self.document.source.files if f.display == display), "")
        index = body.find(text, self.cursor.get(display, 0))
        if index < 0:
            index = body.find(text)
        if index < 0:
            return 0, 0
        self.cursor[display] = index + 1
        line = body.count("\n", 0, index) + 1
        return line, index - (body.rfind("\n", 0, index) + 1) + 1

    def _tag(self, text: str, tag: str, attrs: list, display: str) -> str | None:
        closing = text.rstrip().endswith("/>")
        if tag in FORBIDDEN_TAGS:
            line, col = self._where(text, display)
            self.reporter.warn(display, line, f"raw HTML <{tag}> has no place in a book; "
                               "it is left out of every output", "raw-html", col)
            return None
        if tag == "a" and any(key == "href" for key, _ in attrs):
            href = next(value or "" for key, value in attrs if key == "href")
            target = self._href(href.strip(), text, display)
            if target == href:
                return None
            attrs = [(k, v) for k, v in attrs if k != "href"]
            if target is not None:
                attrs.insert(0, ("href", target))
            return _start_tag(tag, attrs, closing)
        if tag == "img":
            src = next((value or "" for key, value in attrs if key == "src"), "")
            alt = next((value or "" for key, value in attrs if key == "alt"), "")
            line, col = self._where(text, display)
            name = image_file(src, display, self.document, self.reporter, line, col) \
                if src else None
            if name is None:
                return html.escape(alt)
            attrs = [(k, v) for k, v in attrs if k not in ("src", "srcset")]
            for key, value in list(attrs):
                problem = size_problem(value or "") if key in ("width", "height") else None
                if problem:
                    self.reporter.warn(display, line, f"image '{src[:80]}': {key} "
                                       f"'{(value or '')[:40]}' {problem}; the image is set at "
                                       "its own size", "image-size", col)
                    attrs.remove((key, value))
            attrs.insert(0, ("src", "images/" + name))
            if not any(k == "alt" for k, _ in attrs):
                attrs.append(("alt", ""))
            return _start_tag(tag, attrs, closing)
        return None

    def _href(self, href: str, text: str, display: str) -> str | None:
        """The href a raw link keeps (possibly rewritten), or None to drop it."""
        scheme = url_scheme(href)
        if scheme in LINK_SCHEMES:
            return href
        line, col = self._where(text, display)
        if href in ("", "#"):
            self.reporter.warn(display, line, f"raw HTML link has a placeholder target "
                               f"'{href or '(empty)'}'; it is printed as plain text",
                               "placeholder-link", col)
            return None
        if scheme is not None:
            self.reporter.warn(display, line, f"raw HTML link uses the scheme '{scheme}:', "
                               "which is never made a live link; it is printed as plain text",
                               "unsafe-link", col)
            return None
        path, _, fragment = href.partition("#")
        if not path:
            name = file_name_of(self.document, display)
        else:
            name = Path(unquote(path).replace("\\", "/")).name
            if name not in self.file_anchors or href.startswith("//"):
                self.reporter.warn(display, line, f"raw HTML link points to '{href}', which "
                                   "is not part of the book; it is printed as plain text",
                                   "relative-link", col)
                return None
        if not fragment:
            return "#" + self.file_anchors[name].first
        found = find_anchor(unquote(fragment), name, self.document, self.file_anchors)
        if found is None:
            self.reporter.warn(display, line, f"raw HTML link points to '{href}', which no "
                               "heading or anchor in the book has; it is printed as plain "
                               "text", "missing-anchor", col)
            return None
        return "#" + found
