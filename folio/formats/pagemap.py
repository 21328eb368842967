"""Print page numbers inside the EPUB: where each page of the PDF begins.

The PDF and the EPUB are made from the same blocks, so the layout of the PDF
tells where each printed page starts in the EPUB's text. Two halves:

- ``page_map(rendered)`` reads a laid-out WeasyPrint ``Document`` (what
  ``HTML(...).render()`` returns; the PDF builder has one): for every page, the
  first text (or image) in the main flow -- running heads, footnotes and
  generated text such as note calls and "(p. 12)" are not part of the text --,
  the *text block* it belongs to (a paragraph, list item, table cell, heading,
  …: the innermost block element) and how many letters and digits of that
  block stood on earlier pages. The result is plain data and can travel from the
  PDF's process to the EPUB's.
- ``insert_page_markers`` puts ``<span epub:type="pagebreak" role="doc-pagebreak"
  id="page-N" aria-label="N"/>`` into the EPUB's chapters at those places: at the
  start of the block, or before the first word that begins on the page when the
  page starts inside a paragraph. Blocks are matched by their position among the
  text blocks of their chapter, checked against the first letters of their text,
  so that small differences between the two renderings (a wrapper element, a
  table fitted to the page) do not shift every marker after them.

Only letters and digits are compared and counted: white space, hyphens added at
line ends and soft hyphens differ between a laid-out page and the EPUB's text.
Pages with no text of their own (blank pages, the table of contents) get no
marker; the page list may skip numbers, as the EPUB Accessibility techniques allow.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET

#: Elements that are blocks of text on both sides (print HTML and EPUB XHTML).
BLOCK_TAGS = {"address", "article", "aside", "blockquote", "caption", "center", "dd",
              "details", "dialog", "dir", "div", "dl", "dt", "figcaption", "figure",
              "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li",
              "listing", "main", "menu", "nav", "ol", "p", "pre", "search", "section",
              "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "xmp"}
#: Blocks that name something: a marker goes before them, not into their name.
NAMING = {"h1", "h2", "h3", "h4", "h5", "h6"}
#: Print parts that the EPUB has too (on its title page), by class.
FRONT_PARTS = ("title-page", "imprint")
_WORD = re.compile(r"\w")
#: Characters of a block's text that identify it.
FINGERPRINT = 32


@dataclasses.dataclass(frozen=True)
class PageStart:
    """Where one printed page begins."""

    #: The page's place in the PDF, from 1.
    number: int
    #: "chapter", or the class of a front part ("title-page", "imprint").
    part: str
    #: Chapter index (0-based) for part "chapter".
    chapter: int = -1
    #: Position of the block among the text blocks of its chapter.
    block: int = 0
    #: The block's first letters and digits, lower case.
    fingerprint: str = ""
    #: Letters and digits of the block that stood on earlier pages.
    offset: int = 0
    #: The page number as printed ("iii", "12"); ``number`` is the page's place in
    #: the PDF. Set by the PDF builder once the numbering is known.
    label: str = ""

    @property
    def printed(self) -> str:
        return self.label or str(self.number)


@dataclasses.dataclass
class PageMap:
    """Where the pages of the PDF begin, in reading order."""

    pages: list[PageStart]
    #: Number of pages in the PDF.
    page_count: int


# --- shared: text blocks and their text ----------------------------------------------

def _name(tag) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _letters(text: str) -> int:
    return len(_WORD.findall(text or ""))


def own_text(block: ET.Element, excluded) -> tuple[str, bool]:
    """The text of ``block`` in document order without nested blocks and excluded
    elements, and whether it holds an image of its own."""
    out: list[str] = [block.text or ""]
    image = False

    def walk(element: ET.Element) -> None:
        nonlocal image
        for child in element:
            name = _name(child.tag)
            if name and name not in BLOCK_TAGS and not excluded(child):
                image = image or name == "img"
                out.append(child.text or "")
                walk(child)
            out.append(child.tail or "")

    walk(block)
    return "".join(out), image


def fingerprint(text: str) -> str:
    """What identifies a block on both sides: its first letters and digits."""
    letters = "".join(_WORD.findall(text.casefold()))
    return letters[:FINGERPRINT] or "#image"


def text_blocks(root: ET.Element, excluded) -> list[ET.Element]:
    """The blocks under ``root`` that have text (or an image) of their own, in
    document order. ``excluded(element)`` tells which elements are not part of the
    text: floated footnotes in print; note references and page markers in the EPUB."""
    blocks: list[ET.Element] = []

    def walk(element: ET.Element) -> None:
        for child in element:
            if not isinstance(child.tag, str) or excluded(child):
                continue
            if _name(child.tag) in BLOCK_TAGS:
                text, image = own_text(child, excluded)
                if _letters(text) or image:
                    blocks.append(child)
            walk(child)

    walk(root)
    return blocks


# --- the PDF's side ------------------------------------------------------------------

def _print_excluded(element: ET.Element) -> bool:
    """Floated footnotes (``notes.notes_at_page_foot``) are not in the text's flow."""
    return "footnote" in (element.get("class") or "").split()


def page_map(rendered) -> PageMap:
    """Where each page of a laid-out WeasyPrint ``Document`` begins (see module doc)."""
    pages = rendered.pages
    if not pages:
        return PageMap([], 0)
    root = pages[0]._page_box.children[0].element
    parents = {child: parent for parent in root.iter() for child in parent}
    parts: dict[ET.Element, tuple[str, int]] = {}
    chapters = 0
    for element in root.iter():
        classes = (element.get("class") or "").split()
        if _name(element.tag) != "section":
            continue
        if "chapter" in classes:
            parts[element] = ("chapter", chapters)
            chapters += 1
        for part in FRONT_PARTS:
            if part in classes:
                parts[element] = (part, -1)
    # Text blocks of each part, with their index and fingerprint.
    index: dict[ET.Element, tuple[str, int, int, str]] = {}
    for section, (part, chapter) in parts.items():
        for number, block in enumerate(text_blocks(section, _print_excluded)):
            index[block] = (part, chapter, number,
                            fingerprint(own_text(block, _print_excluded)[0]))
    block_of: dict[ET.Element, ET.Element | None] = {}

    def block_for(element: ET.Element) -> ET.Element | None:
        """The text block an inline element belongs to, or None (excluded, or not
        in a part the EPUB has)."""
        chain = []
        found = None
        while element is not None:
            if element in block_of:
                found = block_of[element]
                break
            chain.append(element)
            if _print_excluded(element):
                found = None
                break
            if element in index:
                found = element
                break
            element = parents.get(element)
        for item in chain:
            block_of[item] = found
        return found

    def in_table_head(element: ET.Element) -> bool:
        while element is not None:
            if _name(element.tag) in ("thead", "tfoot"):
                return True
            element = parents.get(element)
        return False

    letters_before: dict[ET.Element, int] = {}
    seen_on: dict[ET.Element, int] = {}
    starts: list[PageStart] = []
    for number, page in enumerate(pages, start=1):
        first = None
        for box in _flow_boxes(page._page_box.children[0]):
            kind = type(box).__name__
            tag = getattr(box, "element_tag", "") or ""
            if "::" in tag or box.element is None:
                continue  # generated text: note calls, markers, "(p. 12)"
            if kind == "TextBox":
                count = _letters(box.text)
                if not count:
                    continue
            elif "Replaced" in kind:
                count = 0
            else:
                continue
            block = block_for(box.element)
            if block is None:
                continue
            if seen_on.setdefault(block, number) < number and in_table_head(block):
                continue  # a table's header row repeated on the next page
            if first is None:
                first = block
                part, chapter, position, print_ = index[block]
                starts.append(PageStart(number, part, chapter, position, print_,
                                        letters_before.get(block, 0)))
            letters_before[block] = letters_before.get(block, 0) + count
    return PageMap(starts, len(pages))


def _flow_boxes(box):
    """The boxes under ``box`` in document order (the page's main flow only)."""
    stack = [box]
    while stack:
        current = stack.pop()
        yield current
        children = current.all_children() if hasattr(current, "all_children") else []
        stack.extend(reversed(list(children)))


# --- the EPUB's side -----------------------------------------------------------------

EPUB_TYPE = "epub:type"
_XHTML = "{http://www.w3.org/1999/xhtml}"
#: How far from its expected position a block is looked for by its fingerprint.
SEARCH = 60


def epub_excluded(element: ET.Element) -> bool:
    """Note references and page markers are not part of the text."""
    kind = element.get(EPUB_TYPE) or ""
    return "noteref" in kind or "pagebreak" in kind


def marker(label: str) -> ET.Element:
    """``<span epub:type="pagebreak" role="doc-pagebreak" id="page-N" aria-label="N"/>``
    for the page printed ``label`` ("12", "iii")."""
    return ET.Element(f"{_XHTML}span", {EPUB_TYPE: "pagebreak", "role": "doc-pagebreak",
                                        "id": f"page-{label}", "aria-label": label})


def insert_page_markers(bodies: list[ET.Element], starts: list[PageStart]) -> dict[str, int]:
    """Put the markers of the pages that start in chapters into ``bodies`` (the
    chapters' parsed XHTML, in order); return printed page label -> chapter index,
    in the order of the pages."""
    placed: dict[str, int] = {}
    by_chapter: dict[int, list[PageStart]] = {}
    for start in starts:
        if start.part == "chapter" and 0 <= start.chapter < len(bodies):
            by_chapter.setdefault(start.chapter, []).append(start)
    for chapter, chapter_starts in sorted(by_chapter.items()):
        body = bodies[chapter]
        parents = {child: parent for parent in body.iter() for child in parent}
        blocks = text_blocks(body, epub_excluded)
        prints = [fingerprint(own_text(b, epub_excluded)[0]) for b in blocks]
        last = 0
        for start in chapter_starts:
            found = _match(prints, start, last)
            if found is None:
                continue
            last = found
            _insert(body, parents, blocks[found], start)
            placed[start.printed] = chapter
    return placed


def _match(prints: list[str], start: PageStart, last: int) -> int | None:
    """The EPUB block that is the PDF's ``start.block``: the same position if the
    fingerprints agree, else the nearest one with that fingerprint, never before
    the block of the page before (the page list must follow the reading order)."""
    if not prints:
        return None
    wanted = start.fingerprint
    expected = max(start.block, last)
    for distance in range(SEARCH + 1):
        for candidate in (expected + distance, expected - distance):
            if last <= candidate < len(prints) and prints[candidate] == wanted:
                return candidate
    # Not found by its text: trust the position (clamped to what is left).
    return min(expected, len(prints) - 1) if expected >= last else None


def _insert(body: ET.Element, parents: dict, block: ET.Element, start: PageStart) -> None:
    mark = marker(start.printed)
    name = block.tag.rsplit("}", 1)[-1]
    if start.offset == 0 or name in NAMING:
        target, parent = _before_target(block, parents)
        if parent is None:
            block.insert(0, mark)
            mark.tail, block.text = block.text, None
            return
        position = list(parent).index(target)
        parent.insert(position, mark)
        return
    if not _insert_in_text(block, parents, mark, start.offset):
        block.append(mark)


def _before_target(block: ET.Element, parents: dict) -> tuple[ET.Element, ET.Element | None]:
    """Where a marker for a page that starts with ``block`` goes: before a heading,
    before the table of a header cell or caption, else at the start of the block
    (returned as (block, None))."""
    name = block.tag.rsplit("}", 1)[-1]
    if name in NAMING:
        parent = parents.get(block)
        if parent is not None and parent.tag.rsplit("}", 1)[-1] not in (
                "ul", "ol", "dl", "table", "tr", "hgroup", "details"):
            return block, parent
        return block, None
    if name in ("th", "caption", "summary"):
        outer = block
        while outer is not None and outer.tag.rsplit("}", 1)[-1] not in ("table", "details"):
            outer = parents.get(outer)
        if outer is not None and parents.get(outer) is not None:
            return outer, parents[outer]
    return block, None


def _insert_in_text(block: ET.Element, parents: dict, mark: ET.Element, offset: int) -> bool:
    """Insert ``mark`` before the first word of ``block`` that starts after
    ``offset`` letters and digits; False if the text is shorter."""
    seen = 0
    mid_word = False
    # Text slots in document order: (element holding the text, child after which it
    # stands or None for element.text).
    for holder, after, text in _slots(block):
        for position, char in enumerate(text):
            if _WORD.match(char):
                if seen >= offset and not mid_word:
                    _place(holder, after, position, mark, parents, block)
                    return True
                seen += 1
                mid_word = True
            else:
                mid_word = False
    return False


def _slots(block: ET.Element):
    """(holder, after, text) for every piece of the block's own text, in order."""
    def walk(element: ET.Element):
        yield element, None, element.text or ""
        for child in element:
            name = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if name and name not in BLOCK_TAGS and not epub_excluded(child):
                yield from walk(child)
            yield element, child, child.tail or ""

    yield from walk(block)


def _place(holder: ET.Element, after, position: int, mark: ET.Element, parents: dict,
           block: ET.Element) -> None:
    """Split the text at ``position`` and put ``mark`` there -- outside any link, so
    that the marker does not become part of a link's name."""
    link = None
    element = holder
    while element is not None and element is not block:
        if element.tag.rsplit("}", 1)[-1] == "a":
            link = element
        element = parents.get(element)
    if link is not None:
        parent = parents[link]
        parent.insert(list(parent).index(link), mark)
        return
    if after is None:
        mark.tail = holder.text[position:]
        holder.text = holder.text[:position]
        holder.insert(0, mark)
    else:
        mark.tail = after.tail[position:]
        after.tail = after.tail[:position]
        holder.insert(list(holder).index(after) + 1, mark)
