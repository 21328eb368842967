"""The index: terms marked in the manuscript, collected, sorted in the book's
language and printed at the back.

A term is marked as a span: ``[term]{.index}`` (the text is the entry) or
``[shown]{index="Entry!sub-entry"}`` (the entry and its sub-entry, ``!`` between
them, as in LaTeX's ``\\index``). Each marked place gets an anchor (``idx-N``); the
entries are sorted by the Unicode Collation Algorithm (pyuca: the order of German,
English, French, Dutch, Italian dictionaries, ä with a, ß with ss) and grouped under
their first letter. The screen formats link each entry to its places, named by the
section they stand in; the PDF prints their page numbers, ranges merged
(``formats.pdf.index``).
"""

from __future__ import annotations

import functools
import html
import unicodedata

from ..ast import RawBlock, stringify
from ..document import Chapter, Document, Heading, IndexEntry
from ..language import labels_for


@functools.lru_cache(maxsize=1)
def _collator():
    from pyuca import Collator
    return Collator()


def sort_key(text: str) -> tuple:
    """The key of ``text`` in dictionary order (UCA), case and accents after letters."""
    return tuple(_collator().sort_key(text))


def first_letter(text: str) -> str:
    """The group an entry is printed under: its first letter without accents, or ""."""
    for char in unicodedata.normalize("NFD", text):
        if char.isalpha():
            return char.upper()
        if char.isdigit() or not char.isspace():
            return ""
    return ""


def _term_of(span: dict) -> str | None:
    attr = span["c"][0]
    keyed = next((value for key, value in attr[2] if key == "index"), None)
    if keyed is not None:
        return keyed.strip() or stringify(span["c"][1])
    if "index" in attr[1]:
        return stringify(span["c"][1])
    return None


def collect_index(document: Document) -> None:
    """Anchor every marked term and fill ``document.index`` (see the module's doc)."""
    places: dict[tuple[str, str], IndexEntry] = {}
    counter = 0
    for chapter in document.chapters:
        section = [chapter.title or document.metadata.title]

        def scan(tree) -> None:
            nonlocal counter
            if isinstance(tree, list):
                for item in tree:
                    scan(item)
                return
            if not isinstance(tree, dict) or "t" not in tree:
                return
            if tree["t"] == "Header":
                section[0] = stringify(tree["c"][2]) or section[0]
            elif tree["t"] == "Span":
                term = _term_of(tree)
                if term:
                    main, _, sub = (part.strip() for part in term.partition("!"))
                    counter += 1
                    ident = tree["c"][0][0] or f"idx-{counter}"
                    tree["c"][0][0] = ident
                    tree["c"][0][1] = [c for c in tree["c"][0][1] if c != "index"] + [
                        "index-term"]
                    tree["c"][0][2] = [kv for kv in tree["c"][0][2] if kv[0] != "index"]
                    entry = places.setdefault((main, sub), IndexEntry(main, sub, [], []))
                    entry.anchors.append(ident)
                    entry.sections.append(section[0])
                    document.anchors.setdefault(ident, chapter.number)
            if "c" in tree:
                scan(tree["c"])

        scan(chapter.blocks)
    if not places:
        return
    # Every main entry stands once, even when only its sub-entries were marked.
    for main, sub in list(places):
        if sub and (main, "") not in places:
            places[(main, "")] = IndexEntry(main, "", [], [])
    document.index = sorted(places.values(),
                            key=lambda e: (sort_key(e.term), e.term, sort_key(e.sub), e.sub))
    document.chapters.append(_index_chapter(document))


def index_groups(document: Document) -> list[tuple[str, list[tuple[IndexEntry,
                                                                  list[IndexEntry]]]]]:
    """The index as (letter, [(main entry, its sub-entries)]) in printed order."""
    symbols = labels_for(document.metadata.lang)["symbols"]
    groups: list[tuple[str, list]] = []
    for entry in document.index:
        if entry.sub:
            groups[-1][1][-1][1].append(entry)
            continue
        letter = first_letter(entry.term) or symbols
        if not groups or groups[-1][0] != letter:
            groups.append((letter, []))
        groups[-1][1].append((entry, []))
    return groups


def index_html(document: Document, locators) -> str:
    """The index's list; ``locators(entry)`` gives the HTML of an entry's places."""
    out = ['<div class="index-body">']
    for letter, entries in index_groups(document):
        out.append(f'<p class="index-letter">{html.escape(letter)}</p>')
        out.append('<ul class="index-entries">')
        for entry, subs in entries:
            out.append(f"<li>{html.escape(entry.term)}{locators(entry)}")
            if subs:
                out.append("<ul>")
                out += [f"<li>{html.escape(sub.sub)}{locators(sub)}</li>" for sub in subs]
                out.append("</ul>")
            out.append("</li>")
        out.append("</ul>")
    out.append("</div>")
    return "".join(out)


def screen_locators(entry: IndexEntry) -> str:
    """Links to the places of an entry, named by their section (one per section)."""
    seen: dict[str, str] = {}
    for anchor, section in zip(entry.anchors, entry.sections):
        seen.setdefault(section, anchor)
    links = [f'<a class="index-locator" href="#{html.escape(anchor, quote=True)}">'
             f"{html.escape(section)}</a>" for section, anchor in seen.items()]
    return (": " + ", ".join(links)) if links else ""


def _index_chapter(document: Document) -> Chapter:
    title = labels_for(document.metadata.lang)["index"]
    ident = "index"
    number = 2
    while ident in document.anchors:
        ident = f"index-{number}"
        number += 1
    heading = {"t": "Header", "c": [1, [ident, ["unnumbered"], []],
                                     [{"t": "Str", "c": title}]]}
    chapter_number = len(document.chapters) + 1
    document.anchors[ident] = chapter_number
    blocks = [heading, RawBlock(index_html(document, screen_locators))]
    return Chapter(ident, title, blocks, chapter_number, [Heading(1, ident, title)],
                   document.chapters[-1].source, "index")
