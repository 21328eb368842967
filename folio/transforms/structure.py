"""Structure: the title printed once, heading levels that start at 1, unique
ids, and chapters split at top-level headings and at file boundaries."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ..ast import attr_of, contains, heading_id, position, stringify, visit
from ..book import BookSource
from ..diagnostics import Reporter
from ..document import Chapter, Heading
from ..metadata import Metadata
from ..safety import anchors_defined


@dataclasses.dataclass
class FileAnchors:
    """The anchors of one manuscript file, as links from and to it see them."""

    #: The id of the file's first chapter (what a link to the file itself means).
    first: str
    #: Ids as written or generated in this file -> the id they have in the book
    #: (different when a duplicate was renamed: ``options`` -> ``options-2``).
    ids: dict[str, str] = dataclasses.field(default_factory=dict)


#: Heading texts that only announce footnote definitions ("## Footnotes").
NOTES_HEADINGS = {"footnotes", "notes", "endnotes", "references and notes", "fußnoten",
                  "fussnoten", "anmerkungen", "endnoten", "notes de bas de page", "notas",
                  "note", "noten", "voetnoten", "notas al pie"}


def first_heading_title(blocks: list) -> tuple[str, int]:
    """The text and line of the manuscript's first block if it is a heading."""
    for block in blocks:
        if block["t"] == "Header":
            return stringify(block["c"][2]), position(block)[0]
        if block["t"] not in ("Null",):
            break
    return "", 0



def layout_of(blocks_per_file: list[list], metadata: Metadata) -> str:
    """"article" for one manuscript file with at most one heading of its highest
    level (an essay, a README, a letter), else "book"; the metadata's ``layout``
    decides when it is given."""
    if metadata.layout:
        return metadata.layout
    if len(blocks_per_file) != 1:
        return "book"
    levels = [block["c"][0] for block in blocks_per_file[0] if block["t"] == "Header"]
    return "article" if levels.count(min(levels, default=0)) <= 1 else "book"


def _same_title(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"\W+", " ", s).strip().casefold()
    return norm(a) == norm(b)


def build_chapters(source: BookSource, blocks_per_file: list[list], metadata: Metadata,
                   reporter: Reporter
                   ) -> tuple[list[Chapter], dict[str, int], dict[str, FileAnchors]]:
    """Return (chapters, anchor id -> chapter number, file name -> its anchors)."""
    blocks_per_file = [list(blocks) for blocks in blocks_per_file]
    _drop_title_heading(blocks_per_file, metadata.title)
    _drop_notes_headings(source, blocks_per_file, reporter)
    _normalise_levels(blocks_per_file)
    renamed = _assign_ids(source, blocks_per_file, reporter)

    chapters: list[Chapter] = []
    ids: list[list[str]] = []  # per chapter, the ids its blocks define
    file_anchors: dict[str, FileAnchors] = {}

    def make(blocks: list, display: str) -> None:
        chapter, defined = _make_chapter(blocks, len(chapters) + 1, display)
        chapters.append(chapter)
        ids.append(defined)

    for file, blocks in zip(source.files, blocks_per_file):
        first_of_file = len(chapters)
        current: list = []
        for block in blocks:
            if block["t"] == "Header" and block["c"][0] == 1 and _has_content(current):
                make(current, file.display)
                current = []
            current.append(block)
        if _has_content(current):
            make(current, file.display)
        if len(chapters) > first_of_file:
            file_anchors[Path(file.path).name] = FileAnchors(
                chapters[first_of_file].id, renamed.get(file.display, {}))
    if not chapters:
        chapters.append(Chapter("text", "", [], 1, [], source.files[0].display))
        ids.append([])

    anchors: dict[str, int] = {}
    for chapter, defined in zip(chapters, ids):
        for ident in defined:
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


def _drop_notes_headings(source: BookSource, blocks_per_file: list[list],
                         reporter: Reporter) -> None:
    """Remove a heading such as "Footnotes" that has nothing under it in a file with
    footnotes: it only announced the definitions, and folio places the notes itself."""
    for file, blocks in zip(source.files, blocks_per_file):
        if not contains(blocks, {"Note"}):  # (stops at the first: a whole pass no more)
            continue
        for index in range(len(blocks) - 1, -1, -1):
            block = blocks[index]
            if block["t"] != "Header":
                continue
            text = re.sub(r"[\W_]+", " ", stringify(block["c"][2])).strip().casefold()
            if text not in NOTES_HEADINGS:
                continue
            following = next((b for b in blocks[index + 1:] if b["t"] != "Null"), None)
            if following is None or (following["t"] == "Header"
                                     and following["c"][0] <= block["c"][0]):
                line, col = position(block)
                reporter.warn(file.display, line, f"heading '{stringify(block['c'][2])}' has "
                              "nothing under it but footnote definitions; it is left out "
                              "(the notes are placed with their chapter)", "notes-heading", col)
                del blocks[index]


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


#: Ids folio gives its own elements in the outputs: footnotes and their calls, and the
#: EPUB's page markers. A manuscript's id of this form is renamed.
RESERVED_IDS = re.compile(r"(?:note|noteref|page)-\d+")


def _assign_ids(source: BookSource, blocks_per_file: list[list],
                reporter: Reporter) -> dict[str, dict[str, str]]:
    """Give every heading an id, unique across the book; rename duplicates.

    Returns, per file (its display name), the ids as the file itself knows them
    -> their id in the book, so that links within and into a file keep pointing
    at that file's own heading after a rename.
    """
    used: set[str] = set()
    renamed: dict[str, dict[str, str]] = {}
    for file, blocks in zip(source.files, blocks_per_file):
        own = renamed.setdefault(file.display, {})

        def assign(node: dict, file=file, own=own) -> None:
            attr = attr_of(node)
            if attr is None:
                if node["t"] in ("RawInline", "RawBlock") and node["c"][0] == "html":
                    for ident in anchors_defined(node["c"][1]):
                        own.setdefault(ident, ident)
                        used.add(ident)
                return
            ident = attr[0]
            written = ident
            if node["t"] == "Header" and not ident:
                ident = _unique(heading_id(stringify(node["c"][2])), used)
                attr[0] = ident
            elif ident and RESERVED_IDS.fullmatch(ident):
                line, col = position(node)
                new = _unique(ident, used)
                kind = "page marker" if ident.startswith("page") else "footnote"
                reporter.warn(file.display, line, f"id '{ident}' is the id of a {kind} in "
                              f"the outputs; this one is renamed '{new}'", "reserved-id", col)
                ident = attr[0] = new
            elif ident:
                if ident in used:
                    line, col = position(node)
                    new = _unique(ident, used)
                    # An id pandoc made from a heading's text is renamed silently: the
                    # same heading in two files of a book folder is no fault, and links
                    # within and into each file still find their own (see FileAnchors).
                    if node["t"] != "Header" or _written_id(file, line, ident):
                        reporter.warn(file.display, line, f"duplicate id '{ident}'; this one "
                                      f"is renamed '{new}'", "duplicate-id", col)
                    ident = new
                    attr[0] = ident
            if ident:
                used.add(ident)
                own.setdefault(written or ident, ident)

        visit(blocks, assign)
    return renamed


def _written_id(file, line: int, ident: str) -> bool:
    """True if the heading at ``line`` gives its id itself: ``## Title {#ident}``."""
    lines = file.body.split("\n")
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return bool(re.search(r"\{[^}]*#" + re.escape(ident) + r"(?![\w-])", text))


def _unique(base: str, used: set[str]) -> str:
    """``base``, or ``base-1``, ``base-2`` …: the first not in ``used`` and not of the
    form folio keeps for its own ids (``RESERVED_IDS``)."""
    if base not in used and not RESERVED_IDS.fullmatch(base):
        return base
    number = 1
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def ids_in(blocks: list, headings: list[Heading] | None = None) -> list[str]:
    """Every id that the blocks define: attributes and raw HTML ids; with
    ``headings``, each heading is put there too (one pass for both)."""
    found: list[str] = []

    def collect(node: dict) -> None:
        attr = attr_of(node)
        if attr is not None and attr[0]:
            found.append(attr[0])
        elif node["t"] in ("RawInline", "RawBlock") and node["c"][0] == "html":
            found.extend(anchors_defined(node["c"][1]))
        if headings is not None and node["t"] == "Header":
            headings.append(Heading(node["c"][0], node["c"][1][0], stringify(node["c"][2])))

    visit(blocks, collect)
    return found


def _make_chapter(blocks: list, number: int, display: str) -> tuple[Chapter, list[str]]:
    """The chapter of ``blocks``, and the ids they define (``ids_in``)."""
    headings: list[Heading] = []
    defined = ids_in(blocks, headings)
    first = blocks[0]
    if first["t"] == "Header":
        return Chapter(first["c"][1][0], stringify(first["c"][2]), blocks, number, headings,
                       display), defined
    return Chapter(f"chapter-{number}", "", blocks, number, headings, display), defined
