"""Structure: the title printed once, heading levels that start at 1, unique
ids, and chapters split at top-level headings and at file boundaries."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..ast import attr_of, position, stringify, visit
from ..book import BookSource
from ..diagnostics import Reporter
from ..document import Chapter, Heading
from ..metadata import Metadata

_RAW_ID = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""")


def first_heading_title(blocks: list) -> tuple[str, int]:
    """The text and line of the manuscript's first block if it is a heading."""
    for block in blocks:
        if block["t"] == "Header":
            return stringify(block["c"][2]), position(block)[0]
        if block["t"] not in ("Null",):
            break
    return "", 0


def slug(text: str) -> str:
    """An id from heading text, as pandoc makes them: lowercase, words joined by '-'."""
    text = unicodedata.normalize("NFC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"\s+", "-", text.strip())
    text = text.lstrip("0123456789-_")
    return text or "section"


def _same_title(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\W+", " ", s).strip().casefold()
    return norm(a) == norm(b)


def build_chapters(source: BookSource, blocks_per_file: list[list], metadata: Metadata,
                   reporter: Reporter) -> tuple[list[Chapter], dict[str, int], dict[str, str]]:
    """Return (chapters, anchor id -> chapter number, file name -> its first anchor)."""
    blocks_per_file = [list(blocks) for blocks in blocks_per_file]
    _drop_title_heading(blocks_per_file, metadata.title)
    _normalise_levels(blocks_per_file)
    _assign_ids(source, blocks_per_file, reporter)

    chapters: list[Chapter] = []
    file_anchors: dict[str, str] = {}
    for file, blocks in zip(source.files, blocks_per_file):
        first_of_file = len(chapters)
        current: list = []
        for block in blocks:
            if block["t"] == "Header" and block["c"][0] == 1 and _has_content(current):
                chapters.append(_make_chapter(current, len(chapters) + 1, file.display))
                current = []
            current.append(block)
        if _has_content(current):
            chapters.append(_make_chapter(current, len(chapters) + 1, file.display))
        if len(chapters) > first_of_file:
            file_anchors[Path(file.path).name] = chapters[first_of_file].id
    if not chapters:
        chapters.append(Chapter("text", "", [], 1, [], source.files[0].display))

    anchors: dict[str, int] = {}
    for chapter in chapters:
        for ident in ids_in(chapter.blocks):
            anchors.setdefault(ident, chapter.number)
        anchors.setdefault(chapter.id, chapter.number)
    return chapters, anchors, file_anchors


def _has_content(blocks: list) -> bool:
    return any(b["t"] != "Null" for b in blocks)


def _drop_title_heading(blocks_per_file: list[list], title: str) -> None:
    """Remove a first heading that repeats the book's title (it is on the title page)."""
    if not blocks_per_file or not title:
        return
    first = blocks_per_file[0]
    for index, block in enumerate(first):
        if block["t"] == "Header":
            if _same_title(stringify(block["c"][2]), title):
                del first[index]
            return
        if block["t"] != "Null":
            return


def _normalise_levels(blocks_per_file: list[list]) -> None:
    """Shift heading levels so that the highest heading is level 1."""
    levels = [b["c"][0] for blocks in blocks_per_file for b in blocks if b["t"] == "Header"]
    if not levels:
        return
    shift = min(levels) - 1
    if not shift:
        return

    def lower(node: dict) -> None:
        if node["t"] == "Header":
            node["c"][0] = max(1, node["c"][0] - shift)

    visit(blocks_per_file, lower)


def _assign_ids(source: BookSource, blocks_per_file: list[list], reporter: Reporter) -> None:
    """Give every heading an id, unique across the book; rename duplicates."""
    used: set[str] = set()
    for file, blocks in zip(source.files, blocks_per_file):
        def assign(node: dict, file=file) -> None:
            attr = attr_of(node)
            if attr is None:
                if node["t"] in ("RawInline", "RawBlock") and node["c"][0] == "html":
                    used.update(_RAW_ID.findall(node["c"][1]))
                return
            ident = attr[0]
            if node["t"] == "Header" and not ident:
                ident = _unique(slug(stringify(node["c"][2])), used)
                attr[0] = ident
            elif ident:
                if ident in used:
                    line, col = position(node)
                    new = _unique(ident, used)
                    reporter.warn(file.display, line, f"duplicate id '{ident}'; this one is "
                                  f"renamed '{new}'", "duplicate-id", col)
                    ident = new
                    attr[0] = ident
            if ident:
                used.add(ident)

        visit(blocks, assign)


def _unique(base: str, used: set[str]) -> str:
    if base not in used:
        return base
    number = 1
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def ids_in(blocks: list) -> list[str]:
    """Every id that the blocks define: attributes and raw HTML ids."""
    found: list[str] = []

    def collect(node: dict) -> None:
        attr = attr_of(node)
        if attr is not None and attr[0]:
            found.append(attr[0])
        elif node["t"] in ("RawInline", "RawBlock") and node["c"][0] == "html":
            found.extend(_RAW_ID.findall(node["c"][1]))

    visit(blocks, collect)
    return found


def _make_chapter(blocks: list, number: int, display: str) -> Chapter:
    headings: list[Heading] = []

    def collect(node: dict) -> None:
        if node["t"] == "Header":
            headings.append(Heading(node["c"][0], node["c"][1][0], stringify(node["c"][2])))

    visit(blocks, collect)
    first = blocks[0]
    if first["t"] == "Header":
        return Chapter(first["c"][1][0], stringify(first["c"][2]), blocks, number, headings,
                       display)
    return Chapter(f"chapter-{number}", "", blocks, number, headings, display)
