"""The rule of the PDF's notes, checked on the laid-out pages after every layout.

Every note (a link's URL, a manuscript footnote) is printed exactly once, at the
foot of the page where its call stands, in the order of the calls (a note too long
for one page starts there and runs on at the foot of the next). The layout is
meant to keep it (``print.css``: ``footnote-policy: line``; ``weasyprint_fixes``);
this module checks what the layout made, page by page, so that a book that breaks
the rule is never published silently: each call's box on a page (WeasyPrint's
``::footnote-call`` box, which knows its note's element) is compared with the notes
in that page's footnote area.

A note names where its call stands in the manuscript through its
``data-note-at="chapter:line"`` attribute (``formats.notes.AtPageFoot``); the PDF
builder turns that into a warning with file and line.
"""

from __future__ import annotations

import dataclasses

#: What the zero-width break marks of a printed URL are (``formats.notes.PRINT``).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\u00ad"))


#: Each problem, as a warning says it.
PROBLEMS = {"lost": "not printed", "twice": "printed more than once",
            "off its page": "printed on another page than its call",
            "out of order": "printed out of the order of its call"}


@dataclasses.dataclass(frozen=True)
class Misplaced:
    """One note that breaks the rule."""

    #: The page (of this PDF, from 1) where the call stands, or where the note was
    #: printed if its call is on no page.
    page: int
    #: "lost" (call printed, note not), "twice", "off its page" (printed on a page
    #: without its call), "out of order".
    problem: str
    #: The note's text (a link note: its URL), shortened.
    text: str
    #: ``chapter:line`` of the call in the manuscript, or "".
    at: str = ""


def misplaced_notes(pages) -> list[Misplaced]:
    """The notes of a laid-out WeasyPrint document's ``pages`` that break the rule."""
    calls: dict[int, int] = {}       # id(note element) -> page of its call
    printed: dict[int, list[int]] = {}
    elements: dict[int, object] = {}
    found: list[Misplaced] = []
    for number, page in enumerate(pages, 1):
        page_box = page._page_box  # noqa: SLF001 - WeasyPrint has no public box walk
        root, *areas = page_box.children
        order = []
        for box in root.descendants():
            if getattr(box, "element_tag", "").endswith("::footnote-call"):
                key = id(box.element)
                if key not in calls:
                    calls[key] = number
                    elements[key] = box.element
                    order.append(key)
        area = next((a for a in areas if type(a).__name__ == "FootnoteAreaBox"), None)
        shown = []
        for note in area.children if area is not None else ():
            key = id(note.element)
            elements.setdefault(key, note.element)
            if getattr(note, "folio_continued", False):
                # The rest of a note too long for one page (``footnote_split``):
                # its start must stand on an earlier page.
                if key not in printed:
                    found.append(_misplaced(number, "off its page", note.element))
                continue
            printed.setdefault(key, []).append(number)
            shown.append(key)
        here = [key for key in shown if calls.get(key) == number]
        if here != [key for key in order if key in here]:
            first = next(key for key, expected in zip(here, [k for k in order if k in here])
                         if key != expected)
            found.append(_misplaced(number, "out of order", elements[first]))
    for key, element in elements.items():
        call, shown = calls.get(key), printed.get(key, [])
        if call is not None and not shown:
            found.append(_misplaced(call, "lost", element))
        elif len(shown) > 1:
            found.append(_misplaced(call or shown[0], "twice", element))
        elif call is not None and shown[0] != call:
            found.append(_misplaced(call, "off its page", element))
    return sorted(found, key=lambda m: (m.page, m.problem, m.text))


def note_text(element) -> str:
    """A note element's text as a reader sees it (no zero-width break marks)."""
    return " ".join("".join(element.itertext()).translate(_INVISIBLE).split())


def _misplaced(page: int, problem: str, element) -> Misplaced:
    text = note_text(element)
    return Misplaced(page, problem, text if len(text) <= 80 else text[:79] + "…",
                     element.get("data-note-at") or "")
