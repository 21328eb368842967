"""One note per URL per page: a link whose URL already has its note on the page
points to that note instead of printing the URL again (and a manuscript footnote
referred to twice on a page is printed there once).

Within a paragraph the transform already gives a repeated URL one note
(``formats.notes``); across paragraphs only the layout knows which calls share a
page. So the layout (``engine.lay_out``) runs in two steps when it must:

1. lay the part out as written, and find on each page the link notes whose URL an
   earlier call on that page already has (``repeats``);
2. turn each of those notes into a *repeat mark* -- the earlier note's number set as
   a call, without a note of its own (``with_repeats``) -- and lay the part out
   again. The notes after a removed one move up by one number; the mark's number
   is computed for that (a note's number counts the notes before it since its
   chapter's counter was reset).

Taking notes out frees room, so a page may now end elsewhere: a mark whose note is
no longer on its page, or whose number is not that note's, is found on the laid-out
pages (``stray_repeats``). Then the choice is made again from where the last layout
put every call and mark (``moved``: the first call of a URL on a page has the note)
and the part laid out again, ``ATTEMPTS`` times at most; if a mark is still stray
then, the part is kept as first laid out (every URL noted at each call).
"""

from __future__ import annotations

import dataclasses
import html
import re

from .note_rule import note_text

#: A repeat mark's class (print.css sets it as a call).
MARK_CLASS = "note-repeat"
#: Layouts with repeat marks tried after the first, before giving up.
ATTEMPTS = 3


@dataclasses.dataclass(frozen=True)
class Call:
    """A note's call on a laid-out page."""

    page: int
    #: The note's ``data-note-at`` (``chapter:k``), unique in the book.
    at: str
    #: The number printed (the footnote counter's value at the note).
    number: int
    #: What makes two notes one: a link note's URL; "footnote:" and the text of a
    #: manuscript footnote (pandoc copies a footnote to each of its references);
    #: None: never one with another.
    url: str | None


def calls_of(pages) -> list[Call]:
    """Every note call of a laid-out WeasyPrint document, in the order of the text."""
    found, seen = [], set()
    for number, page in enumerate(pages, 1):
        for box in page._page_box.children[0].descendants():  # noqa: SLF001
            if not getattr(box, "element_tag", "").endswith("::footnote-call"):
                continue
            element = box.element
            if id(element) in seen:  # a call split over two lines
                continue
            seen.add(id(element))
            digits = "".join(getattr(child, "text", "") for child in box.descendants())
            link = "link-note" in (element.get("class") or "").split()
            text = note_text(element)
            url = text if link else "footnote:" + text
            if digits.isdigit() and element.get("data-note-at"):
                found.append(Call(number, element.get("data-note-at"), int(digits), url))
    return found


def repeats(calls: list[Call], keep: set[str] = frozenset()) -> dict[str, tuple[str, int]]:
    """The link notes to take out (not those in ``keep``): ``at`` -> (``at`` of the
    earlier note of its URL on its page, the number that note will have once the
    others are taken out)."""
    chosen: dict[str, str] = {}
    first: dict[tuple[int, str], Call] = {}
    for call in calls:
        if call.url is None or call.at in keep:
            continue
        earlier = first.setdefault((call.page, call.url), call)
        if earlier is not call:
            chosen[call.at] = earlier.at
    if not chosen:
        return {}
    index = {call.at: i for i, call in enumerate(calls)}
    by_at = {call.at: call for call in calls}
    removed = sorted(index[at] for at in chosen)
    result = {}
    for at, target in chosen.items():
        kept = by_at[target]
        # A removed note before the kept one lowers its number when no counter reset
        # lies between them: the numbers ran up by one a note from there to here.
        shift = sum(1 for i in removed if i < index[target]
                    and kept.number - calls[i].number == index[target] - i)
        result[at] = (target, kept.number - shift)
    return result


def with_repeats(markup: str, chosen: dict[str, tuple[str, int]]) -> str:
    """``markup`` with the link note of each ``chosen`` call replaced by its mark."""
    for at, (target, number) in chosen.items():
        opening = re.search(f'<span class="footnote(?: link-note)?" data-note-at='
                            f'"{re.escape(html.escape(at))}">', markup)
        if opening is None:
            continue
        start = opening.start()
        end = _closing(markup, start)
        if end is None:  # unbalanced markup in a note: left as it is
            continue
        mark = (f'<span class="{MARK_CLASS}" data-note-at="{html.escape(at)}" '
                f'data-note-of="{html.escape(target)}">{number}</span>')
        markup = markup[:start] + mark + markup[end:]
    return markup


_SPAN = re.compile(r"<span\b|</span>")


def _closing(markup: str, start: int) -> int | None:
    """The index just after the ``</span>`` that closes the span opened at ``start``."""
    depth = 0
    for match in _SPAN.finditer(markup, start):
        depth += 1 if match.group() == "<span" else -1
        if depth == 0:
            return match.end()
    return None


def placed(pages) -> dict[str, int]:
    """``at`` -> page of every note call and repeat mark of a laid-out document."""
    found: dict[str, int] = {}
    for number, page in enumerate(pages, 1):
        for box in page._page_box.children[0].descendants():  # noqa: SLF001
            element = getattr(box, "element", None)
            tag = getattr(box, "element_tag", "")
            if element is not None and (tag.endswith("::footnote-call") or (
                    tag == "span" and element.get("class") == MARK_CLASS)):
                at = element.get("data-note-at")
                if at:
                    found.setdefault(at, number)
    return found


def moved(calls: list[Call], pages) -> list[Call]:
    """``calls`` (as first laid out: their numbers count every note) on the pages
    where a later layout put them or their marks."""
    where = placed(pages)
    return [dataclasses.replace(call, page=where.get(call.at, call.page)) for call in calls]


def stray_repeats(pages, calls: list[Call]) -> set[str]:
    """The repeat marks (their ``at``) that stand on another page than the call of
    their note, or show another number than its call."""
    home = {call.at: call for call in calls}
    stray = set()
    for number, page in enumerate(pages, 1):
        for box in page._page_box.children[0].descendants():  # noqa: SLF001
            element = getattr(box, "element", None)
            if (element is None or getattr(box, "element_tag", "") != "span"
                    or element.get("class") != MARK_CLASS):
                continue
            target = home.get(element.get("data-note-of"))
            text = "".join(element.itertext()).strip()
            if target is None or target.page != number or str(target.number) != text:
                stray.add(element.get("data-note-at"))
    return stray
