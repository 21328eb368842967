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

Before all that, while the source positions are there, ``link_raw_anchors`` makes a
raw ``<a href="https://…">text</a>`` a real ``Link`` -- when its href is external
and both tags stand around no other anchor in one list of inlines (one paragraph,
heading, cell) or in one block of raw HTML (``<p align="center">…</p>``, a raw
``<table>``) -- so that it is classified, noted (print, EPUB, print view) and
checked exactly as a Markdown link is. Such a block becomes a ``Plain`` of the raw
HTML around its links (``RawInline``) and the links: pandoc's writer puts it
together as it was written. Every other raw anchor (internal, unsafe, unpaired,
nested, ``<a name>``, in a comment or in an element the sanitiser leaves out)
stays raw HTML and is resolved here as before.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
from urllib.parse import unquote

from ..ast import RawInline, Space, Str, get_attr
from ..diagnostics import Reporter
from ..document import Document
from ..safety import (DROPPED_TAGS, FORBIDDEN_TAGS, LINK_SCHEMES, Tag, allowed_attribute,
                      start_and_end_tags, start_tags, url_scheme)
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


# --- raw links as Links ----------------------------------------------------------------

#: The end tag of a link, as a raw inline holds it.
_END_A = re.compile(r"\s*</a\s*>\s*", re.IGNORECASE)
#: Attributes of a raw link that its ``Link`` holds otherwise (or that are folio's).
_LINK_ATTRIBUTES = frozenset({"href", "title", "id", "name", "class", "data-pos"})


def link_raw_anchors(tree):
    """One file's (wrapped) blocks with every raw ``<a href=EXTERNAL>…</a>`` that
    ``_paired`` (in inlines) or ``_block_anchors`` (in a ``RawBlock``) accepts made a
    ``Link``, in place; returns ``tree``.

    Not descended into: a ``Link`` or ``Image`` (a link in a link's text stays raw),
    and whatever stands inside a raw ``<a>`` that stays raw (nested anchors stay as
    written)."""
    if isinstance(tree, list):
        skip: set[int] = set()
        if any(_anchor_tag(item) is not None for item in tree):
            tree[:], skip = _paired(tree)
        for index, item in enumerate(tree):
            if isinstance(item, list):
                link_raw_anchors(item)
            elif isinstance(item, dict) and id(item) not in skip:
                kind = item.get("t")
                if kind == "RawBlock":  # (a block without its position wrapper)
                    tree[index] = _block_linked(item, None) or item
                elif kind in _CONTENT_AFTER_ATTR:  # not into the attributes
                    content = item["c"][_CONTENT_AFTER_ATTR[kind]]
                    if (kind == "Div" and len(content) == 1 and get_attr(item, "wrapper") == "1"
                            and content[0].get("t") == "RawBlock"):
                        content[0] = _block_linked(content[0], get_attr(item, "data-pos")) \
                            or content[0]
                    elif len(content) != 1 or content[0].get("t") not in _NO_ANCHORS_INSIDE:
                        link_raw_anchors(content)  # (not into a word's position wrapper)
                elif kind not in _NO_ANCHORS_INSIDE and "c" in item:
                    link_raw_anchors(item["c"])
    return tree


#: Nodes with attributes: where their inlines or blocks are.
_CONTENT_AFTER_ATTR = {"Span": 1, "Div": 1, "Header": 2}
#: Nodes whose content is not searched for raw links: text, code, maths, raw HTML
#: itself, and links and images (a link in a link's text stays raw).
_NO_ANCHORS_INSIDE = frozenset({"Str", "Space", "SoftBreak", "LineBreak", "Code", "Math",
                                "RawInline", "RawBlock", "CodeBlock", "HorizontalRule",
                                "Link", "Image"})


def _raw_html(node) -> str | None:
    """The HTML of a ``RawInline`` (also in its position wrapper), or None."""
    if not isinstance(node, dict):
        return None
    if node.get("t") == "Span":
        inner = node["c"][1]
        if len(inner) != 1 or inner[0].get("t") != "RawInline" \
                or get_attr(node, "wrapper") != "1":
            return None
        node = inner[0]
    if node.get("t") != "RawInline" or node["c"][0].lower() not in ("html", "html4", "html5"):
        return None
    return node["c"][1]


def _anchor_tag(node) -> tuple[str, Tag | None] | None:
    """What a raw inline is to a link: ``("open", tag)`` for a lone start tag
    ``<a …>`` (``tag`` None unless it may become a ``Link``), ``("close", None)`` for
    a lone ``</a>``, ``("other", None)`` for any other HTML with an ``<a>`` in it,
    None for anything else."""
    raw = _raw_html(node)
    lowered = raw.lower() if raw is not None else ""
    if "<a" not in lowered and "</a" not in lowered:
        return None
    tags = start_and_end_tags(raw)
    if not any(tag.name == "a" for tag in tags):
        return None
    if len(tags) == 1 and not tags[0].start and _END_A.fullmatch(raw):
        return ("close", None)
    if len(tags) != 1 or not tags[0].start or raw.strip() != tags[0].text:
        return ("other", None)
    tag = tags[0]
    href = next((value for key, value in tag.attrs if key == "href"), None)
    if href is None or url_scheme(href.strip()) not in LINK_SCHEMES:
        return ("open", None)
    return ("open", tag)


def _paired(inlines: list) -> tuple[list, set[int]]:
    """``inlines`` with each raw ``<a href=EXTERNAL>`` and its ``</a>`` as one ``Link``,
    and the ids of the items not to descend into.

    A pair becomes a Link when a) its start tag is a lone ``<a>`` with an external
    href (``LINK_SCHEMES``), b) no other anchor is open around it or opens inside it
    in this list, and c) its text holds no anchor, raw or Markdown, at any depth."""
    stack: list[list] = []  # [index of the start tag, its Tag or None, nested]
    pairs: dict[int, int] = {}
    inside: set[int] = set()
    for index, node in enumerate(inlines):
        found = _anchor_tag(node)
        if found is None:
            if stack:
                inside.add(id(node))
            continue
        kind, tag = found
        if kind == "close":
            if stack:
                start, tag, nested = stack.pop()
                if tag is not None and not nested and not stack:
                    pairs[start] = index
            continue
        for entry in stack:
            entry[2] = True
        if kind == "open":
            stack.append([index, tag, bool(stack)])
            continue
        # Several tags in one raw inline (``<a href=x><b>`` as `…`{=html}): no Link
        # around it, and what it leaves open stays raw.
        tags = [t for t in start_and_end_tags(_raw_html(node) or "") if t.name == "a"]
        opened = sum(1 if t.start else -1 for t in tags)
        if opened > 0:
            stack.extend([index, None, True] for _ in range(opened))
        else:
            del stack[len(stack) + opened:]
    out: list = []
    index = 0
    while index < len(inlines):
        end = pairs.get(index)
        if end is not None and not _holds_anchor(inlines[index + 1:end]):
            link = _link(_anchor_tag(inlines[index])[1], inlines[index + 1:end],
                         inlines[index], inlines[end])
            out.append(link)
            inside.add(id(link))
            index = end + 1
            continue
        out.append(inlines[index])
        index += 1
    return out, inside


def _holds_anchor(tree) -> bool:
    """True if ``tree`` holds a ``Link`` or a raw ``<a>``/``</a>`` at any depth."""
    if isinstance(tree, list):
        return any(_holds_anchor(item) for item in tree)
    if not isinstance(tree, dict):
        return False
    if tree.get("t") == "Link" or _anchor_tag(tree) is not None:
        return True
    return "c" in tree and _holds_anchor(tree["c"])


def _link(tag: Tag, content: list, start: dict, end: dict) -> dict:
    """The ``Link`` a raw ``<a href>`` start tag, its text and its end tag make: the
    href and title; the id (or the name) and the classes; the other attributes that
    the sanitiser keeps on a link (``lang``, ``dir``, ``aria-*`` …); the source
    position from the start tag to the end tag."""
    begun, ended = get_attr(start, "data-pos"), get_attr(end, "data-pos")
    if begun and ended:
        return _link_at(tag, content, begun.rsplit("-", 1)[0] + "-" + ended.rsplit("-", 1)[1])
    return _link_at(tag, content, begun or ended)


def _link_at(tag: Tag, content: list, pos: str | None) -> dict:
    """The ``Link`` of ``_link`` with the source position ``pos`` (None: unknown)."""
    attrs: dict[str, str] = {}
    for key, value in tag.attrs:  # the first of an attribute written twice, as browsers
        attrs.setdefault(key, value or "")
    ident = (attrs.get("id") or attrs.get("name") or "").strip()
    keyvals = [[key, value] for key, value in attrs.items()
               if key not in _LINK_ATTRIBUTES and allowed_attribute("a", key)]
    if pos:
        keyvals.append(["data-pos", pos])
    return {"t": "Link", "c": [[ident, attrs.get("class", "").split(), keyvals], content,
                               [attrs["href"].strip(), attrs.get("title", "")]]}


# --- raw links in blocks of raw HTML -------------------------------------------------

#: Comments of raw HTML (one never closed runs to the end): no tag in them counts.
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
#: An end tag from its "</" on.
_END_TAG = re.compile(r"</[^>]*>?")
#: One source range of a ``data-pos`` (a block in a list or a quote: one per line).
_RANGE = re.compile(r"(?:.*@)?(\d+):(\d+)-(\d+):(\d+)")
#: White space as HTML reads it (not U+00A0, which is text).
_HTML_SPACE = re.compile(r"([ \t\n\r\f]+)")
#: Elements whose text keeps its white space.
_PREFORMATTED = frozenset({"pre", "listing", "plaintext"})


@dataclasses.dataclass(frozen=True)
class _BlockAnchor:
    """A raw ``<a href=EXTERNAL>…</a>`` in a block of raw HTML, by offsets in it."""

    tag: Tag
    #: Where its start tag begins and ends, where its end tag begins and ends.
    start: int
    text_start: int
    text_end: int
    end: int
    #: Its tags and comments inside, as (start, end) offsets.
    markup: tuple
    preformatted: bool


def _block_linked(block: dict, pos: str | None) -> dict | None:
    """A ``RawBlock`` with raw links that may be ``Link``s as one ``Plain``: the raw
    HTML around each link as ``RawInline``s, each link a ``Link`` (``_block_anchors``
    says which); None when there is none.

    pandoc's HTML writer writes a ``Plain``'s inlines one after the other, so the
    markup around the links is written as it was; the links are written by pandoc
    like a Markdown link. ``pos`` is the ``data-pos`` of the block's position wrapper;
    each link gets the source position of its tags from it."""
    kind, raw = block["c"]
    if kind.lower() not in ("html", "html4", "html5") or "<a" not in raw.lower():
        return None
    anchors = _block_anchors(raw)
    if not anchors:
        return None
    starts = _line_starts(pos, raw.count("\n") + 1)
    out: list = []
    done = 0
    for anchor in anchors:
        if anchor.start > done:
            out.append(RawInline(raw[done:anchor.start]))
        where = (f"{_source_at(raw, anchor.start, starts)}-{_source_at(raw, anchor.end, starts)}"
                 if starts else None)
        out.append(_link_at(anchor.tag, _anchor_text(raw, anchor), where))
        done = anchor.end
    if done < len(raw):
        out.append(RawInline(raw[done:]))
    return {"t": "Plain", "c": out}


def _block_anchors(raw: str) -> list[_BlockAnchor]:
    """The raw links of a block that become ``Link``s, in order: a) the start tag is an
    ``<a>`` with an external href (``LINK_SCHEMES``), b) its end tag is in the block,
    c) no other anchor is open around it or opens inside it, d) it is in no comment
    and in no element that the sanitiser leaves out with its content (``<script>``,
    ``<svg>``, ``<textarea>`` …: ``safety.DROPPED_TAGS``) and opens none of them."""
    comments = [match.span() for match in _COMMENT.finditer(raw)]
    offsets = [0]
    for line in raw.split("\n"):
        offsets.append(offsets[-1] + len(line) + 1)
    dropped = preformatted = 0
    open_a: list[list] = []  # [Tag or None, start, text start, nested, markup, pre]
    found: list[_BlockAnchor] = []
    for tag in start_and_end_tags(raw):
        at = offsets[tag.line - 1] + tag.col
        if any(begin <= at < end for begin, end in comments):
            continue
        if tag.start:
            if raw[at:at + len(tag.text)] != tag.text:
                return found  # the tokenizer lost its place: leave the rest as it is
            end = at + len(tag.text)
        else:
            end = _END_TAG.match(raw, at).end()
        for entry in open_a:
            entry[4].append((at, end))
        if tag.name == "a" and tag.start:
            for entry in open_a:
                entry[3] = True
            href = next((value for key, value in tag.attrs if key == "href"), None)
            usable = (href is not None and url_scheme(href.strip()) in LINK_SCHEMES
                      and not dropped)
            open_a.append([tag if usable else None, at, end, bool(open_a), [],
                           bool(preformatted)])
        elif tag.name == "a":
            if open_a:
                link, start, text_start, nested, markup, pre = open_a.pop()
                markup.pop()  # its own end tag
                if link is not None and not nested and not open_a:
                    found.append(_BlockAnchor(link, start, text_start, at, end,
                                              tuple(markup), pre))
        elif tag.name in DROPPED_TAGS:
            dropped = max(0, dropped + (1 if tag.start else -1))
            for entry in open_a:
                entry[3] = True  # not a link around what is left out
        elif tag.name in _PREFORMATTED:
            preformatted = max(0, preformatted + (1 if tag.start else -1))
    return found


def _anchor_text(raw: str, anchor: _BlockAnchor) -> list:
    """The inlines of a raw link's text: its text as ``Str``, ``Space`` and
    ``SoftBreak`` (entities read; in ``<pre>`` one ``Str`` with its white space), its
    tags and comments as ``RawInline``."""
    pieces = list(anchor.markup) + [
        span for span in (m.span() for m in _COMMENT.finditer(raw, anchor.text_start,
                                                               anchor.text_end))]
    out: list = []
    done = anchor.text_start
    for begin, end in sorted(pieces):
        if begin < done:
            continue
        out.extend(_text_inlines(raw[done:begin], anchor.preformatted))
        out.append(RawInline(raw[begin:end]))
        done = end
    out.extend(_text_inlines(raw[done:anchor.text_end], anchor.preformatted))
    return out


def _text_inlines(text: str, preformatted: bool) -> list:
    text = html.unescape(text)
    if preformatted:
        return [Str(text)] if text else []
    out: list = []
    for index, part in enumerate(_HTML_SPACE.split(text)):
        if index % 2 == 0:
            if part:
                out.append(Str(part))
        else:
            out.append({"t": "SoftBreak"} if "\n" in part else Space())
    return out


def _line_starts(pos: str | None, lines: int) -> list[tuple[int, int]]:
    """Where each line of a raw block begins in the file, (line, column), from its
    wrapper's ``data-pos``: one range per line in a list or a quote, else one range
    for the block (its later lines from column 1). Empty when ``pos`` is unknown."""
    ranges = [(int(m.group(1)), int(m.group(2))) for m in
              (_RANGE.fullmatch(part) for part in (pos or "").split(";")) if m]
    if not ranges:
        return []
    if len(ranges) == 1:
        line, column = ranges[0]
        return [(line, column)] + [(line + n, 1) for n in range(1, lines)]
    last, _ = ranges[-1]
    return ranges + [(last + n, 1) for n in range(1, lines - len(ranges) + 1)]


def _source_at(raw: str, offset: int, starts: list[tuple[int, int]]) -> str:
    """``line:column`` in the file of ``offset`` in a raw block."""
    line, column = starts[min(raw.count("\n", 0, offset), len(starts) - 1)]
    in_line = offset - (raw.rfind("\n", 0, offset) + 1)
    return f"{line}:{column + in_line}"
