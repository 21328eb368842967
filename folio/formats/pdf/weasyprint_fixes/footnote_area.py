"""The page's footnote area, kept incrementally (WeasyPrint 70.0, ``layout/__init__.py``
``LayoutContext``, l. 388-439, and ``layout/page.py`` ``make_page``, l. 740-745).

WeasyPrint 70.0 deep-copies a page's whole footnote area and lays all of its notes
out again each time a note is added, pushed to the next page or removed: with k notes
on a page that is k(k+1)/2 note layouts, and ``make_page`` lays them all out once more.
Here each note is laid out once per page, alone in a copy of the area (``_measure``);
the area's height is the running sum of the notes' shares, with the margins between
notes collapsed as block layout collapses siblings (the first note's top margin counts
only when the area has a top border or padding, the last note's bottom margins only
when the area's bottom does not collapse); ``min-height``/``max-height`` apply, and the
"overflow" answer (notes beyond a fixed or maximum height) is kept. ``make_page``'s
final area is assembled from the notes as measured (``_final_area``).

Also fixed: an area that loses its last note takes no room (it kept its margin,
border and padding, about a line, for the rest of the page); ``unlayout_footnote``
takes back only a note that a call on *this* page laid out or pushed (70.0's "TODO:
Handle unlayouting a footnote that hasn't been laid out yet": ``remove_placeholders``
reaches the calls of a paragraph's lines on earlier pages, and took notes off pages
they belonged to); the waiting list ``context.footnotes`` answers ``in`` in O(1) (it
was scanned for every box of every line).

Fallbacks to 70.0's full layout: notes that are not blocks of their own
(``footnote-display: inline``), columns, an area with a fixed height or a collapsing
top margin. ``FOLIO_FOOTNOTE_VERIFY=1`` checks every running height and every
assembled area against a full layout (slow; tests/test_link_notes.py uses it).
"""

from __future__ import annotations

import os
from math import inf


#: Check every height against a full layout (``FOLIO_FOOTNOTE_VERIFY=1``).
VERIFY = False


def install(layout, page) -> None:
    """Replace the area's methods on ``LayoutContext`` and wrap the
    ``block_level_layout`` that ``make_page`` calls."""
    global VERIFY
    VERIFY = bool(os.environ.get("FOLIO_FOOTNOTE_VERIFY"))
    context_class = layout.LayoutContext
    context_class.layout_footnote = layout_footnote
    context_class.unlayout_footnote = unlayout_footnote
    context_class.report_footnote = report_footnote
    context_class._update_footnote_area = _update_footnote_area
    context_class._footnote_area_state = _footnote_area_state
    page.block_level_layout = _page_block_level_layout(page.block_level_layout)


class Waitlist(list):
    """``context.footnotes``: a list with O(1) ``in`` and no duplicates."""

    def __init__(self, items=()):
        super().__init__()
        self._ids = set()
        self.extend(items)

    def __contains__(self, item):
        return id(item) in self._ids

    def append(self, item):
        if id(item) not in self._ids:
            self._ids.add(id(item))
            super().append(item)

    def extend(self, items):
        for item in items:
            self.append(item)

    def remove(self, item):
        if id(item) in self._ids:
            self._ids.discard(id(item))
            super().remove(item)
        else:
            raise ValueError("footnote not waiting")

    def clear(self):
        self._ids.clear()
        super().clear()

    def copy(self):
        return Waitlist(self)


class _Area:
    """The incremental state of one page's footnote area."""

    def __init__(self, area):
        self.area = area
        self.subtracted = 0  # the area's margin height, taken off page_bottom
        self.measures = {}  # id(footnote) -> (footnote, top, height, bottoms)
        self.contributions = []  # parallel to context.current_page_footnotes
        self.total = 0  # sum of contributions
        self.laid_area = None  # a laid-out one-note copy of the area
        self.splits = {}  # id(split note) -> its continuation (``footnote_split``)
        self.closed = False  # a split note's part: no later line's note here
        for side in ('margin_top', 'margin_bottom'):
            if getattr(area, side) == 'auto':
                setattr(area, side, 0)


def _footnote_area_state(self):
    state = self._area_state
    if state is None or state.area is not self.current_footnote_area:
        state = self._area_state = _Area(self.current_footnote_area)
    return state


def layout_footnote(self, footnote):
    """Add a footnote to the layout for this page.

    CHANGED from WeasyPrint 70.0 (``layout/__init__.py`` l. 388): the note is
    measured once for this page and its height added to the area's (was: the
    whole area laid out again)."""
    self.footnotes.remove(footnote)
    self.current_page_footnotes.append(footnote)
    state = self._footnote_area_state()
    state.contributions.append(None)
    _refresh_contribution(self, state, len(self.current_page_footnotes) - 1)
    overflow = self._update_footnote_area()
    if _index(self._page_notes.incoming, footnote) is not None:
        # CHANGED: a note carried over from the page before that takes more
        # than its share of this page runs on to the next (``footnote_split``).
        return self.place_carried_footnote(footnote, overflow)
    return overflow


def unlayout_footnote(self, footnote):
    """Remove a footnote from the layout and return it to the waitlist.

    CHANGED from WeasyPrint 70.0 (``layout/__init__.py`` l. 394): only a note that
    a call on this page laid out (or pushed) is taken back; a note of an earlier
    page, or one pushed into this page by the page before, is left where it is
    (``remove_placeholders`` reaches the calls of a paragraph's lines on earlier
    pages). The area's height loses the note's height."""
    if footnote in self.footnotes:
        return
    if id(footnote) in self._page_notes.carried_in:
        return
    if _index(self.current_page_footnotes, footnote) is not None:
        self.footnotes.append(footnote)
        _remove_from_area(self, footnote)
        self._update_footnote_area()
    elif _index(self.reported_footnotes, footnote) is not None:
        self.footnotes.append(footnote)
        del self.reported_footnotes[_index(self.reported_footnotes, footnote)]


def report_footnote(self, footnote):
    """Mark a footnote as being moved to the next page.

    CHANGED from WeasyPrint 70.0 (``layout/__init__.py`` l. 406): the area's
    height loses the note's height (was: the whole area laid out again)."""
    _remove_from_area(self, footnote)
    self.reported_footnotes.append(footnote)
    self._update_footnote_area()


def _index(items, item):
    for index, other in enumerate(items):
        if other is item:
            return index
    return None


def _unsplit(context, state, footnote):
    """Take back the split of ``footnote`` (``footnote_split``), if it was split:
    its rest, and the measure of its part."""
    rest = state.splits.pop(id(footnote), None)
    if rest is not None:
        del state.measures[id(footnote)]
        state.closed = False
        for waiting in (context.reported_footnotes, context._page_notes.incoming):
            at = _index(waiting, rest)
            if at is not None:
                del waiting[at]


def _remove_from_area(context, footnote):
    state = context._footnote_area_state()
    _unsplit(context, state, footnote)  # a split note taken back: its rest too
    index = _index(context.current_page_footnotes, footnote)
    del context.current_page_footnotes[index]
    state.total -= state.contributions.pop(index)
    if index < len(state.contributions):  # the next note has a new neighbour
        _refresh_contribution(context, state, index)
    if not state.contributions:
        state.total = 0  # no rounding drift on an empty area


def _measure(context, state, footnote):
    """(top, height, bottoms) of ``footnote`` laid out alone in this page's area.

    ``top``: the space above its border box (its top margin, collapsed with its
    first children's); ``height``: its border box; ``bottoms``: the margins at its
    end that collapse with what follows."""
    from weasyprint.layout.percent import resolve_percentages

    measure = state.measures.get(id(footnote))
    if measure is not None and measure[0] is footnote:
        return measure[1:4]
    area = state.area
    if getattr(footnote, "folio_resume", None) is not None:
        return _measure_continuation(context, state, footnote)
    _, laid, adjoining = _lay_probe(context, state, footnote)
    first, last = laid.children[0], laid.children[-1]
    if area.top_margin_collapses():
        # The note's own top margin: laid out first in the area, its margin was
        # truncated as a margin adjoining a page break (block.py l. 35-49).
        own = first.copy()
        resolve_percentages(own, area)
        top = 0 if own.margin_top == 'auto' else own.margin_top
    else:
        top = first.border_box_y() - laid.content_box_y()
    height = last.border_box_y() + last.border_height() - first.border_box_y()
    if area.bottom_margin_collapses():
        bottoms = list(adjoining)
    else:
        bottoms = [last.margin_bottom]
    # The laid-out note, for the page's final area (``_final_area``): only when
    # the note is alone a block of its own in the area (footnote-display: block).
    reusable = len(laid.children) == 1 and first.element is footnote.element
    state.laid_area = laid  # the area's used width, margins... for _final_area
    state.measures[id(footnote)] = (
        footnote, top, height, bottoms, first if reusable else None)
    return top, height, bottoms


def _measure_continuation(context, state, footnote):
    """(top, height, bottoms) of the rest of a split note (``footnote_split``)."""
    laid_area, box, _, bottoms = lay_alone(context, state, footnote, -inf)
    box.folio_continued = True  # for ``pdf.note_rule``
    top = box.border_box_y() - laid_area.content_box_y()
    height = box.border_height()
    state.laid_area = laid_area
    state.measures[id(footnote)] = (footnote, top, height, bottoms, box)
    return top, height, bottoms


def lay_alone(context, state, footnote, bottom_space):
    """(laid area, laid note, resume_at, bottoms): ``footnote`` (or the rest of a
    split note, from where it resumes) laid out alone where it stands in this
    page's area, down to ``bottom_space`` above the page's bottom (-inf: whole);
    None if the area does not hold the note as a block of its own."""
    from weasyprint.layout.block import block_level_layout

    area = state.area
    probe, laid_area, _ = _lay_probe(context, state, getattr(footnote, "folio_origin",
                                                             footnote))
    if len(laid_area.children) != 1:
        return None
    placed = laid_area.children[0]
    resume = getattr(footnote, "folio_resume", None)
    if bottom_space == -inf and resume is None:
        return laid_area, placed, None, None
    note = probe.children[0].deepcopy()
    note.position_x, note.position_y = placed.position_x, placed.position_y
    box, resume_at, _, adjoining, _, _ = block_level_layout(
        context, note, bottom_space, resume, laid_area, page_is_empty=True)
    if box is None:
        return None
    bottoms = list(adjoining) if area.bottom_margin_collapses() else [box.margin_bottom]
    return laid_area, box, resume_at, bottoms


def _lay_probe(context, state, footnote):
    """(probe, laid probe, its adjoining margins): a copy of this page's area
    holding ``footnote`` alone, laid out whole."""
    from weasyprint.formatting_structure import build
    from weasyprint.layout.block import block_level_layout

    area = state.area
    probe = build.create_anonymous_boxes(area.copy_with_children([footnote]).deepcopy())
    probe.height = 'auto'
    laid, _, _, adjoining, _, _ = block_level_layout(context, probe, -inf, None, area.page)
    return probe, laid, adjoining


def _refresh_contribution(context, state, index):
    """Set the share of note ``index`` in the area's height: its border box and
    the margin between it and the note before (or the area's top)."""
    from weasyprint.layout.block import collapse_margin

    notes = context.current_page_footnotes
    top, height, _ = _measure(context, state, notes[index])
    if index == 0:
        above = 0 if state.area.top_margin_collapses() else top
    else:
        above = collapse_margin([*_measure(context, state, notes[index - 1])[2], top])
    old = state.contributions[index]
    state.contributions[index] = above + height
    state.total += above + height - (old or 0)


def _refresh_contributions(context, state, index):
    """Set the shares of note ``index`` and of the notes after it (its height, and
    so the margin below it, changed)."""
    for at in range(index, len(context.current_page_footnotes)):
        _refresh_contribution(context, state, at)


def _update_footnote_area(self):
    """Update the page bottom size and our footnote area height.

    CHANGED from WeasyPrint 70.0 (``layout/__init__.py`` l. 412): the height is
    the sum kept by ``layout_footnote``/``report_footnote``/``unlayout_footnote``
    (was: a deep copy of the area with all its notes laid out again, quadratic in
    the notes of a page); an empty area takes no room (was: its margins, border
    and padding). Returns whether the notes overflow a fixed or maximum height
    of the area, as before."""
    from weasyprint.layout.block import collapse_margin

    state = self._footnote_area_state()
    area = state.area
    area.children = self.current_page_footnotes
    if not self.current_page_footnotes:
        # CHANGED: an empty area takes no room ('auto': column layout counts 0).
        area.height = 'auto'
        _set_page_bottom(self, state, 0)
        return False
    if any(note.style['footnote_display'] != 'block'
           for note in self.current_page_footnotes):
        # Inline notes share lines: lay the whole area out, as before.
        return _update_whole_area(self, state, area)
    content = state.total
    if not area.bottom_margin_collapses():
        content += collapse_margin(_measure(
            self, state, self.current_page_footnotes[-1])[2])
    if area.style['height'] == 'auto':
        height = max(min(content, area.max_height), area.min_height)
    else:
        height = area.height if area.height != 'auto' else content
    area.height = height
    if VERIFY and not _has_parts(self, state):
        _verify(self, area, height)
    _set_page_bottom(self, state, area.margin_height())
    bottom_space = area.padding_bottom + area.border_bottom_width
    return self.overflows(height + bottom_space, state.total)


def _set_page_bottom(context, state, margin_height):
    """Take the area's new margin height off the page instead of the old one.

    As in 70.0, nothing is done in columns (column layout moves the page bottom by
    the area's margin height itself), but the amount is kept up to date."""
    if not context.in_column:
        context.page_bottom += state.subtracted - margin_height
    state.subtracted = margin_height


def _update_whole_area(context, state, area):
    """WeasyPrint 70.0's ``_update_footnote_area`` for areas whose notes are
    not blocks of their own (``footnote-display: inline``)."""
    from weasyprint.formatting_structure import build
    from weasyprint.layout.block import block_level_layout

    footnote_area = build.create_anonymous_boxes(area.deepcopy())
    footnote_area = block_level_layout(context, footnote_area, -inf, None, area.page)[0]
    area.height = footnote_area.height
    _set_page_bottom(context, state, footnote_area.margin_height())
    last_child = footnote_area.children[-1]
    last_child_bottom = (
        last_child.position_y + last_child.margin_height() - last_child.margin_bottom)
    footnote_area_bottom = (
        footnote_area.position_y + footnote_area.margin_height() -
        footnote_area.margin_bottom)
    return last_child_bottom > footnote_area_bottom


def _has_parts(context, state):
    """Whether the page's area holds part of a split note (a full layout of the
    area, which knows no parts, cannot check it)."""
    return bool(state.splits) or any(
        getattr(note, "folio_resume", None) is not None
        for note in context.current_page_footnotes)


def _verify(context, area, height):
    from weasyprint.formatting_structure import build
    from weasyprint.layout.block import block_level_layout

    full = build.create_anonymous_boxes(area.deepcopy())
    full.height = 'auto'
    full = block_level_layout(context, full, -inf, None, area.page)[0]
    assert abs(full.height - height) < 1e-6, (full.height, height)


def _page_block_level_layout(block_level_layout):
    """``block_level_layout`` as ``make_page`` calls it (``layout/page.py`` l. 741).

    CHANGED: the page's final footnote area is assembled from the notes laid out
    when they were measured (``_final_area``) instead of laying them all out once
    more; anything else is laid out as before."""
    from weasyprint.formatting_structure import boxes

    def layout(context, box, *args, **kwargs):
        if isinstance(box, boxes.FootnoteAreaBox):
            area = _final_area(context, box)
            if area is not None:
                return area, None, {'break': 'any', 'page': None}, [], False, None
        return block_level_layout(context, box, *args, **kwargs)

    layout.__wrapped__ = block_level_layout
    return layout


def _final_area(context, box):
    """The laid-out footnote area of the page (``box``: a copy of the page's area
    with its notes), made of the notes laid out by ``_measure``, moved to their
    places; None when that cannot be done (then the area is laid out as before)."""
    from weasyprint.layout.block import collapse_margin

    state = context._area_state
    notes = context.current_page_footnotes
    if (state is None or state.area is not context.current_footnote_area or
            context.in_column or not notes or len(box.children) != len(notes) or
            state.area.top_margin_collapses() or box.style['height'] != 'auto'):
        return None
    laid_notes = []
    for note in notes:
        measure = state.measures.get(id(note))
        if measure is None or measure[0] is not note or measure[4] is None:
            return None
        laid_notes.append(measure)
    base = state.laid_area  # laid out as the area, at the same place
    if base is None or base.position_y != box.position_y:
        return None
    y = base.content_box_y()
    children = []
    previous_bottoms = None
    for _, top, height, bottoms, child in laid_notes:
        y += top if previous_bottoms is None else collapse_margin(
            [*previous_bottoms, top])
        child.translate(dx=base.content_box_x() - child.position_x,
                        dy=y - child.border_box_y())
        children.append(child)
        y += height
        previous_bottoms = bottoms
    new_box = base.copy_with_children(children)
    content = y - new_box.content_box_y()
    if not box.bottom_margin_collapses():
        content += collapse_margin(previous_bottoms)
    new_box.height = max(min(content, new_box.max_height), new_box.min_height)
    if VERIFY and not _has_parts(context, state):
        _verify_final(context, box, new_box)
    return new_box


def _verify_final(context, box, new_box):
    from weasyprint.layout.block import block_level_layout

    full = block_level_layout(context, box.deepcopy(), -inf, None, box.page)[0]
    assert abs(full.height - new_box.height) < 1e-6, (full.height, new_box.height)
    for a, b in zip(full.children, new_box.children):
        assert abs(a.position_y - b.position_y) < 1e-6, (a.position_y, b.position_y)
        assert abs(a.position_x - b.position_x) < 1e-6, (a.position_x, b.position_x)
