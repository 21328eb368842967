"""Parts: a long book laid out in runs of whole chapters, side by side, then merged.

WeasyPrint lays a document out in one process. A long book is cut into parts --
the front matter, then runs of chapters of about ``PART_CHARACTERS`` each -- that
worker processes lay out at the same time (``sandbox.Workers``); ``merge`` joins
their PDFs into one, structure tree, bookmarks and links included.

A part must know where it stands in the book before it is laid out (its
``Plan``): the number of its first page and its side (mirrored margins, running
heads), whether a blank page goes before it (a chapter that opens on a right-hand
page), and the page number of every anchor it refers to (the contents, "see
p. 12", the index). These come from layout, so they are found as LaTeX finds
them: lay every part out with the numbers known so far -- the last build's, or
estimates -- read the page counts and anchor pages back, and lay out again only
the parts whose plan changed, until none does (``MAX_ROUNDS``). A part's PDF is
kept in the cache under the hash of its HTML: an edit in one chapter lays out that
chapter's part again, not the book.

Every page reference in a part is printed from a number written into its HTML
(``data-folio-page``, see ``literal_page_css``) instead of ``target-counter()``:
WeasyPrint lays a page with a ``target-counter()`` out a second time once the
number is known, which costs time and, in WeasyPrint 70, can print a note of an
earlier page again. Footnotes are numbered per chapter, in every layout.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
from urllib.parse import quote

import tinycss2

#: The part's HTML links to an anchor of another part as ``FOREIGN_LINK + id``
#: (``id`` percent-encoded); the merge makes it a link to the named destination.
#: Under the print HTML's base URL (``folio.formats.pdf.BASE_URL``), never fetched.
FOREIGN_LINK = "https://book.folio.invalid/.folio-anchor#"

#: Characters of print HTML a part should hold at most (about 11 A5 pages of text):
#: an edit lays out again the part that holds it. Measured on the benchmark's
#: 150-page book (2 workers, each size built twice so that the last build's page
#: numbers fit its parts): parts of 60,000 characters, a full build 10.4 s, a
#: one-word edit 3.1 s, a 958 KB PDF; of 30,000, 10.35 s, 2.6 s and 1,061 KB (each
#: part keeps its own font subsets); of 20,000, 10.5 s, 2.65 s and 1,080 KB. On the
#: 600-page book, 30,000 against 60,000: 34.1 against 35.2 s, 4.0 against 3.65 MB.
PART_CHARACTERS = 30_000
#: A part joins chapters up to this many times ``PART_CHARACTERS``, no more: two
#: chapters of 16,000 characters share a part, two of 28,000 do not.
JOIN_SLACK = 4 / 3
#: A longer book gets longer parts rather than more than this many: each part costs
#: its font subsets in the PDF and its share of the merge.
MAX_PARTS = 48
#: Books shorter than this are laid out in one piece (about 45 to 70 A5 pages).
PARALLEL_CHARACTERS = 120_000
#: Characters of print HTML a page holds, for first estimates (measured on the
#: benchmark's 150-page book: 382,000 characters on 150 pages of chapters).
CHARACTERS_PER_PAGE = 2_600
#: Rounds of layout before the parts give up and the book is laid out in one piece.
MAX_ROUNDS = 4


@dataclasses.dataclass(frozen=True)
class Part:
    """A run of whole chapters (and the front matter, for the first part)."""

    index: int
    #: Chapters ``first`` to ``last - 1`` (indices into ``Document.chapters``).
    first: int
    last: int
    #: True for the part that holds the title page, imprint and contents.
    front: bool
    #: Characters of its print HTML, to balance the workers and to estimate pages.
    size: int


def split(front_size: int, chapter_sizes: list[int], workers: int) -> list[Part]:
    """The book's parts: one for a short book or a single worker; else the front
    matter on its own (its page numbers are the last to be known, and it is small)
    and runs of whole chapters: as many as fill every worker evenly with parts of
    at most about ``PART_CHARACTERS`` (longer when that would make more than
    ``MAX_PARTS``), and at least as many as keep chapters of nearly a part each
    apart (``JOIN_SLACK``), cut at the chapter boundaries nearest to even shares of
    the text."""
    total = front_size + sum(chapter_sizes)
    if workers < 2 or total < PARALLEL_CHARACTERS or len(chapter_sizes) < 2:
        return [Part(0, 0, len(chapter_sizes), True, total)]
    text = sum(chapter_sizes)
    size = max(PART_CHARACTERS, text / MAX_PARTS)
    count = workers * max(1, math.ceil(text / (workers * size)))
    # No two chapters of nearly a part each in one part (``_runs``): the 150-page
    # bench book's 15 chapters went into 14 parts, and an edit of the two-chapter
    # part laid out 20 pages instead of 11.
    count = min(max(count, _runs(chapter_sizes, size * JOIN_SLACK)), len(chapter_sizes),
                max(count, MAX_PARTS))
    ends, running = [], 0
    for index, size in enumerate(chapter_sizes):
        running += size
        ends.append(running)
    cuts = sorted({min(range(1, len(chapter_sizes)), key=lambda i: abs(ends[i - 1]
                                                                       - text * k / count))
                   for k in range(1, count)})
    parts = [Part(0, 0, 0, True, front_size)]
    for first, last in zip([0, *cuts], [*cuts, len(chapter_sizes)]):
        parts.append(Part(len(parts), first, last, False, sum(chapter_sizes[first:last])))
    return parts


def _runs(sizes: list[int], limit: float) -> int:
    """How many runs of whole chapters, in order, hold at most ``limit`` each (a longer
    chapter makes a run alone)."""
    runs, running = 0, limit
    for size in sizes:
        if running + size > limit:
            runs, running = runs + 1, 0
        running += size
    return runs


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a part must know of the rest of the book before it is laid out."""

    #: The printed number of its first page.
    first_number: int
    #: A blank page goes before it (its first chapter opens on a right-hand page).
    blank_before: bool
    #: Anchor id -> printed page number, for the anchors it refers to.
    pages: tuple[tuple[str, int], ...]

    @property
    def side(self) -> str:
        return "right" if self.first_number % 2 else "left"


@dataclasses.dataclass
class Numbers:
    """What the layout of every part told: its page count and where its anchors
    stand (page index within the part, from 1). Kept between builds (``as_json``)."""

    counts: dict[int, int] = dataclasses.field(default_factory=dict)
    anchors: dict[int, dict[str, int]] = dataclasses.field(default_factory=dict)


def plans(parts: list[Part], numbers: Numbers, opens_right: list[bool],
          referred: list[set[str]], restart: bool = False) -> list[Plan]:
    """Each part's plan from the page counts and anchor pages known so far (an
    estimate from its size where the part has not been laid out yet).
    ``opens_right[i]``: part i's first chapter opens on a right-hand page;
    ``referred[i]``: the anchors part i refers to; ``restart``: the front matter
    is numbered on its own (i, ii, iii) and the first part of chapters starts
    again at 1 (``numbering``). The side of a page is its place in the book: a
    blank page goes where the page before is a right-hand one."""
    starts, blanks, number, physical = [], [], 1, 1
    for part in parts:
        blank = opens_right[part.index] and physical % 2 == 0 and part.index > 0
        number += blank
        physical += blank
        if restart and part.index > 0 and parts[part.index - 1].front:
            number = 1  # the main matter opens on a right-hand page: 1 is odd too
        starts.append(number)
        blanks.append(blank)
        pages = numbers.counts.get(part.index) or estimate_pages(part)
        number += pages
        physical += pages
    where: dict[str, int] = {}
    for part in parts:
        for anchor, page in numbers.anchors.get(part.index, {}).items():
            where.setdefault(anchor, starts[part.index] + page - 1)  # the first one wins
    return [Plan(starts[part.index], blanks[part.index],
                 tuple(sorted((anchor, where.get(anchor, starts[part.index]))
                              for anchor in referred[part.index])))
            for part in parts]


def estimate_pages(part: Part) -> int:
    return max(1, round(part.size / CHARACTERS_PER_PAGE))


def estimated_anchors(parts: list[Part], ids_per_chapter: list[list[str]],
                      front_ids: list[str]) -> dict[int, dict[str, int]]:
    """Anchor pages before any layout: each chapter's anchors on the page its part's
    share of characters puts it (pages within the part, from 1)."""
    anchors: dict[int, dict[str, int]] = {0: {anchor: 1 for anchor in front_ids}}
    for part in parts:
        if part.front and part.first == part.last:
            continue
        chapters = range(part.first, part.last)
        pages = estimate_pages(part)
        share = pages / max(1, len(chapters))
        anchors.setdefault(part.index, {})
        for offset, chapter in enumerate(chapters):
            for anchor in ids_per_chapter[chapter]:
                anchors[part.index][anchor] = 1 + int(offset * share)
    return anchors


# --- the part's HTML ------------------------------------------------------------------

_HREF = re.compile(r'<a\s([^>]*?)href="#([^"]+)"([^>]*)>')
_ID = re.compile(r'\sid="([^"]+)"')


def referred_anchors(markup: str) -> set[str]:
    """The anchors ``markup`` links to (``href="#id"``)."""
    return {html.unescape(match.group(2)) for match in _HREF.finditer(markup)}


def anchor_ids(markup: str) -> list[str]:
    """The ids ``markup`` defines, in order."""
    return [html.unescape(ident) for ident in _ID.findall(markup)]


def number_links(markup: str, plan: Plan, own: set[str]) -> str:
    """Every internal link of ``markup`` with the page number of its target
    (``data-folio-page``); a link to an anchor of another part points at
    ``FOREIGN_LINK`` (WeasyPrint drops a link to an anchor it does not lay
    out; the merge makes it an internal link again)."""
    pages = dict(plan.pages)

    def link(match: re.Match) -> str:
        before, target, after = match.groups()
        name = html.unescape(target)
        number = pages.get(name)
        if number is None:
            return match.group(0)
        href = f"#{target}" if name in own else FOREIGN_LINK + quote(name, safe="")
        return f'<a {before}href="{href}" data-folio-page="{number}"{after}>'

    return _HREF.sub(link, markup)


_TARGET_PAGE = "target-counter(attr(href url), page)"


def literal_page_css(css: str) -> str:
    """For every rule of ``css`` whose ``content`` prints ``target-counter(attr(href
    url), page)``, the same rule for links that carry the number themselves
    (``[data-folio-page]``, printed with ``attr()``): folio's and a theme's rules
    alike, read with tinycss2."""
    rules = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        declarations = tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                        skip_whitespace=True)
        content = next((d for d in declarations if d.type == "declaration"
                        and d.lower_name == "content"), None)
        if content is None:
            continue
        value = tinycss2.serialize(content.value)
        if _TARGET_PAGE not in value:
            continue
        selectors = [_literal_selector(s.strip())
                     for s in tinycss2.serialize(rule.prelude).split(",")]
        literal = value.replace(_TARGET_PAGE, "attr(data-folio-page)")
        rules.append(f"{', '.join(selectors)} {{ content: {literal.strip()}; }}")
    return "\n".join(rules)


def _literal_selector(selector: str) -> str:
    """``a.x::after`` -> ``a.x[data-folio-page]::after``: the attribute goes on the
    element before its pseudo-element."""
    match = re.match(r"(.*?)(::?[a-z-]+)?$", selector, re.S)
    return f"{match.group(1)}[data-folio-page]{match.group(2) or ''}"


def part_css(plan: Plan, page_css: str) -> str:
    """What a part adds to the book's stylesheet: its first page's number and side,
    and the literal page references."""
    rules = [f"html {{ break-before: {plan.side}; }}"]
    if plan.first_number != 1:
        # Also where the main matter begins: print.css starts it again at 1 there.
        rules.append(f"@page :first {{ counter-reset: page {plan.first_number}; }}\n"
                     f"@page :nth(1 of main) {{ counter-reset: page {plan.first_number}; }}")
    return "\n".join(rules + [page_css])
