"""Page numbers as a book prints them: the front matter in lower-case roman numerals
(i, ii, iii), the main matter in arabic from 1 at the first chapter.

The printed numbers come from print.css (the front matter's pages count in roman,
``@page :nth(1 of main)`` starts the count again where the main matter, the
element with the id ``MAIN_ANCHOR``, begins). The same numbering is written into
the PDF as ``/PageLabels`` (ISO 32000-1, 12.4.2: what a viewer shows in its page
box) and carried into the EPUB's page list (``formats.pagemap``). An article has
no front matter of its own: arabic from its first page.

A numbering is a list of ``Run``s: from page ``start`` (0-based) on, numbers in
``style`` counted from ``first``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

#: The id of the element that holds the chapters in the print HTML (book.html).
MAIN_ANCHOR = "folio-main"
ROMAN, ARABIC = "r", "D"  # the /S values of a page label dictionary


@dataclasses.dataclass(frozen=True)
class Run:
    """Pages from ``start`` on numbered ``first``, ``first + 1`` … in ``style``."""

    start: int
    style: str
    first: int = 1


def roman(number: int) -> str:
    """``number`` in lower-case roman numerals (1 -> "i", 14 -> "xiv")."""
    out = []
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"),
                           (5, "v"), (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


def runs_of(main_start: int | None, front_in_roman: bool) -> list[Run]:
    """The numbering of a book laid out in one piece whose main matter begins on page
    ``main_start`` (0-based; None if it has none)."""
    if front_in_roman and main_start:
        return [Run(0, ROMAN), Run(main_start, ARABIC)]
    return [Run(0, ARABIC)]


def joined(pages: Sequence[tuple[str, int]]) -> list[Run]:
    """Runs from every page's (style, number): a new run only where the numbering
    does not go on from the page before."""
    runs: list[Run] = []
    last = None
    for index, (style, number) in enumerate(pages):
        if last is None or last != (style, number - 1):
            runs.append(Run(index, style, number))
        last = (style, number)
    return runs


def label(index: int, runs: Sequence[Run]) -> str:
    """The label of page ``index`` (0-based) under ``runs``."""
    run = max((r for r in runs if r.start <= index), key=lambda r: r.start, default=None)
    if run is None:
        return str(index + 1)
    number = run.first + index - run.start
    return roman(number) if run.style == ROMAN else str(number)


@dataclasses.dataclass(frozen=True)
class Pagination:
    """Where the parts of a book laid out in parts stand in the merged PDF, known
    before it is merged (``merge``)."""

    #: Pages of the merged PDF.
    pages: int
    #: Index in the merged PDF of each part's first page.
    part_starts: list[int]
    #: The page labels.
    labels: list[Run]


def paginate(part_pages: Sequence[int], blank_before: Sequence[bool],
             first_numbers: Sequence[int] | None = None,
             styles: Sequence[str] | None = None) -> Pagination:
    """The pages of the parts (``part_pages`` each, a blank page before those of
    ``blank_before``) one after the other, labelled as ``merge.merge_parts`` labels
    them."""
    starts, page = [], 0
    for count, blank in zip(part_pages, blank_before, strict=True):
        page += bool(blank)
        starts.append(page)
        page += count
    if first_numbers is None:
        first_numbers = [start + 1 for start in starts]
    return Pagination(page, starts, page_labels(
        first_numbers, styles or [ARABIC] * len(starts), part_pages, blank_before))


def page_labels(first_numbers: Sequence[int], styles: Sequence[str],
                part_pages: Sequence[int], blank_before: Sequence[bool]) -> list[Run]:
    """The runs of page labels of the merged pages: each part's pages from its first
    number in its style; a blank page inserted before a part goes on with the
    numbering of the part before it (the last page of the front matter, in roman,
    before the first chapter)."""
    pages: list[tuple[str, int]] = []
    for number, style, count, blank in zip(first_numbers, styles, part_pages, blank_before,
                                           strict=True):
        if blank:
            pages.append((pages[-1][0], pages[-1][1] + 1) if pages else (style, number - 1))
        pages.extend((style, number + offset) for offset in range(count))
    return joined(pages)
