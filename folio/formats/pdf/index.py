"""The printed index: page numbers, known only once the book is laid out.

The index (``transforms.index``) is laid out first with one page number per place
(``target-counter``), so that everything before it stands where it will stand;
``fill_index`` then writes each entry's pages from that layout -- each page once,
runs of pages merged ("12–14") -- and the book is laid out again
(``engine.lay_out``). Each number links to the first place on its page.
"""

from __future__ import annotations

import html
import re

from ...document import Document
from ...transforms.index import index_html

_LOCATORS = re.compile(r'<span class="index-locators" data-anchors="([^"]*)">.*?</span>',
                       re.DOTALL)


def print_index(document: Document) -> str:
    """The index for the first layout: one ``target-counter`` per place."""
    def locators(entry) -> str:
        if not entry.anchors:
            return ""
        links = ", ".join(f'<a class="index-locator pending" href="#{html.escape(a, quote=True)}">'
                          "</a>" for a in entry.anchors)
        return (f' <span class="index-locators" data-anchors="'
                f'{html.escape(" ".join(entry.anchors), quote=True)}">{links}</span>')
    return index_html(document, locators)


def page_ranges(pages: list[int]) -> list[tuple[int, int]]:
    """Sorted pages as runs: [3, 4, 5, 9] -> [(3, 5), (9, 9)]."""
    runs: list[tuple[int, int]] = []
    for page in sorted(set(pages)):
        if runs and page == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], page)
        else:
            runs.append((page, page))
    return runs


def fill_index(markup: str, anchor_pages: dict[str, int]) -> str:
    """``markup`` with every entry's places as its merged page numbers."""
    def fill(match: re.Match) -> str:
        anchors = html.unescape(match.group(1)).split()
        first_on_page: dict[int, str] = {}
        for anchor in anchors:
            page = anchor_pages.get(anchor)
            if page is not None:
                first_on_page.setdefault(page, anchor)
        parts = []
        for start, end in page_ranges(list(first_on_page)):
            shown = str(start) if start == end else f"{start}\u2013{end}"
            target = html.escape(first_on_page[start], quote=True)
            parts.append(f'<a class="index-locator" href="#{target}">{shown}</a>')
        return f'<span class="index-locators">{", ".join(parts)}</span>'
    return _LOCATORS.sub(fill, markup)
