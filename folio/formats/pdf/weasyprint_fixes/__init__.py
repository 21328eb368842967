"""Fixes to WeasyPrint 70.0 (and pydyf 0.13.0), installed in the layout's child
process before anything is laid out.

Each module replaces a few functions of the pinned release; each replaced function
says ``CHANGED from WeasyPrint 70.0`` and where. Why a patch and not a work-around in
folio's markup: the faults are in WeasyPrint's page layout itself, and no stylesheet
reaches them.

``footnote_pages``  notes pushed to the next page were lost or printed twice when pages
                    were laid out again for ``target-counter()`` (page references).
``footnote_lines``  ``footnote-policy: line`` did not hold: notes were pushed away
                    from their call's page, some of them never laid out.
``footnote_area``   each note added to a page laid the page's whole footnote area out
                    again (quadratic in the notes of a page); notes of earlier pages
                    could be taken back; an emptied area kept taking a line.
``footnote_split``  a note too long for the foot of one page overflowed it; now it
                    runs on at the foot of the next (Kozea/WeasyPrint#1833).
``page_speed``      two lookups that grew with pages x elements; margin boxes
                    without content left unmade; used lengths and plain backgrounds
                    worked out once a style.
``text_setup``      every try at a line set its Pango context, font description,
                    metrics and features up from nothing: they are kept; so is
                    each style's strut.
``shared_styles``   every element's pseudo-elements had computed styles of their own
                    (the UA's ``::marker``, ``::footnote-*``): shared as elements' are.
``leaders``         a leader's dots (the contents' dotted lines) were a text box each:
                    one box for them all.
``font_subset``     every embedded font was cut by fontTools (22 ms a face, per part)
                    where the system lacks HarfBuzz-Subset: now by HarfBuzz through
                    uharfbuzz (1 ms), as WeasyPrint cuts with HarfBuzz-Subset.

Measured on generated link-dense books (README, "Link notes"): 907 notes on 86 pages,
unpatched 14 lost, 8 printed twice and 81 away from their call's page; patched none,
in a quarter of the CPU time. tests/test_link_notes.py checks the rule on the PDF.

To drop a fix: when a WeasyPrint release has it (upstream: Kozea/WeasyPrint, the
``CHANGED`` lines are the pull request), remove its module and ``install`` call, move
the pin, and run tests/test_link_notes.py. ``apply`` refuses any other version, so a
version bump cannot silently run old code over new.
"""

from __future__ import annotations

import os

from ....diagnostics import MISSING_LIBRARY, BuildError
from . import (font_subset, footnote_area, footnote_lines, footnote_pages,
               footnote_split, leaders, page_speed, shared_styles, text_setup)

#: The release whose functions these modules copy and change.
WEASYPRINT = "70.0"
PYDYF = "0.13.0"

#: Set to 1, the layout runs WeasyPrint as released, to measure what the fixes do
#: (``bench/``, tests/test_link_notes.py); the build then warns of every note the
#: layout misplaced (``pdf.note_rule``).
AS_RELEASED = "FOLIO_WEASYPRINT_AS_RELEASED"

_installed = False


def apply() -> None:
    """Install every fix (idempotent); a BuildError on any other WeasyPrint or pydyf."""
    global _installed
    import pydyf
    import weasyprint

    found = (weasyprint.__version__, pydyf.__version__)
    if found != (WEASYPRINT, PYDYF):
        raise BuildError("", f"the PDF needs WeasyPrint {WEASYPRINT} and pydyf {PYDYF} "
                         f"(found {found[0]} and {found[1]}): folio fixes their page "
                         "layout and checks the fixes against those releases only; "
                         "run `make` to install the pinned versions",
                         code=MISSING_LIBRARY)
    if _installed or os.environ.get(AS_RELEASED) == "1":
        return
    from weasyprint import layout
    from weasyprint.layout import block, inline, page

    context_class = layout.LayoutContext
    original_init = context_class.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.footnotes = footnote_area.Waitlist()
        self._page_notes = footnote_pages.PageNotes()
        self._area_state = None

    __init__.__doc__ = original_init.__doc__
    context_class.__init__ = __init__
    footnote_area.install(layout, page)
    footnote_split.install(layout)
    footnote_pages.install(layout, page)
    footnote_lines.install(block)
    page_speed.page_references_once()
    page_speed.page_styles_per_page()
    page_speed.percentages_per_style()
    page_speed.plain_backgrounds_per_style()
    page_speed.margin_boxes_unmade()
    font_subset.install()
    leaders.install(inline)
    text_setup.install()
    text_setup.struts_per_style()
    shared_styles.install()
    _installed = True
