"""A note too long for the foot of one page runs on at the foot of the next
(Kozea/WeasyPrint#1833: WeasyPrint 70.0 cannot split a footnote).

In 70.0 a note is laid out whole, so a note taller than the room left under its call
overflows the page (a URL of a few thousand characters is printed over the text and
off the paper), and a note almost a page tall leaves a page nearly empty before it.
Here a *long* note -- taller than ``LONG`` of the page's text block -- is split
instead, as Chicago allows and LaTeX does: its first part fills the room under the
line with its call, at most ``MOST`` of the page; the rest (a copy of the note's box
that remembers where to resume) is carried to the top of the next page's notes,
where it may be split again. A short note is never split: ``footnote-policy: line``
moves its call's line to the next page, as before.

- After a split part the page takes the notes of the calls in the same line, and no
  note of a later line (that line moves on), so that the part is the last note of
  its page but for its line's. Taking a split note back (its line moved on after
  all) takes its rest back too.
- The first line of a page cannot move on. When its notes do not fit, the notes
  carried over from the page before give way (a shorter part, or the whole note
  moved on: they are continued already, or late already), and at last a long note
  of the line may take the whole page. So a rest may skip a page, and two rests
  may open a page's notes, in the order of their notes (rare: a page's first line
  whose notes nearly fill a page).
- The parts are laid out alone (``footnote_area.lay_alone``), where the whole note
  would stand in the area, and put into the page's area by
  ``footnote_area._final_area`` like any note. ``pdf.note_rule`` knows a rest.

Not done: a mark that a note is continued (Chicago allows none).
"""

from __future__ import annotations

from math import inf

from . import footnote_area

#: A note taller than this share of the page's text block may be split.
LONG = 0.25
#: A split note's part takes at most this share of the page's text block.
MOST = 0.7
#: The fewest lines a part may have.
LINES = 2


def install(layout) -> None:
    context_class = layout.LayoutContext
    context_class.fit_footnote = fit_footnote
    context_class.place_carried_footnote = place_carried_footnote


def fit_footnote(self, footnote, bottom_space, line_bottom, reserve, later,
                 first_line) -> bool:
    """Make the page hold ``footnote``, just laid out for a call in a line ending
    at ``line_bottom``, which does not fit: True if it now does.

    A long note is split (``split_footnote``). The first line of a page cannot move
    on: there the notes carried over from the page before (continued already, or
    late already) give way -- their parts on this page are made shorter, or they
    move on whole -- and at last a long note of the line may take the whole page;
    else the line's notes would be printed over the text and past the page's
    foot."""
    def fits():
        return not (self._update_footnote_area() or
                    self.overflows_page(bottom_space, line_bottom))

    if split_footnote(self, footnote, bottom_space, line_bottom, reserve, later, MOST):
        return fits()
    if not first_line:
        return False
    state = self._footnote_area_state()
    after = sum(top + height for top, height, _ in (
        footnote_area._measure(self, state, note) for note in later))
    need = line_bottom - (self.page_bottom - bottom_space) + after
    if _carried_give_way(self, state, need) and fits():
        return True
    return split_footnote(self, footnote, bottom_space, line_bottom, reserve, later,
                          1) and fits()


def _carried_give_way(context, state, need) -> bool:
    """Free ``need`` of the page's height from the notes carried over from the page
    before, the last first: a shorter part (split, or split again), or the whole
    note moved on. Their rests go on to the next page before anything else, in
    their order. True if any gave way."""
    carried_in = context._page_notes.carried_in
    carried = [note for note in context.current_page_footnotes if id(note) in carried_in]
    for note in reversed(carried):
        if need <= 0:
            break
        index = footnote_area._index(context.current_page_footnotes, note)
        share = state.contributions[index]
        _, height, _ = footnote_area._measure(context, state, note)
        footnote_area._unsplit(context, state, note)
        footnote_area._refresh_contributions(context, state, index)
        if height - need > 0 and _split(context, state, note, height - need):
            need -= share - state.contributions[index]
        else:
            context.report_footnote(note)
            need -= share
    waiting = context.reported_footnotes
    first = [note for note in (state.splits.get(id(note), note) for note in carried)
             if footnote_area._index(waiting, note) is not None]
    ids = {id(note) for note in first}
    waiting[:] = first + [note for note in waiting if id(note) not in ids]
    return bool(carried)


def _splittable(context, state) -> bool:
    area = state.area
    return (not context.in_column and not area.top_margin_collapses()
            and area.style['height'] == 'auto')


def split_footnote(self, footnote, bottom_space, line_bottom, reserve, later,
                   share) -> bool:
    """Split ``footnote`` (just laid out for a call in a line ending at
    ``line_bottom``) if it is long; True if the page now holds its first part, at
    most ``share`` of the page with the notes above it, the rest waiting for the
    next page.

    ``reserve``: room kept for the lines after the call's line (as many as the
    paragraph's ``widows``), so that the paragraph can end, or break, on this page
    without taking the call's line to the next one (which would take the part
    back and leave the room empty). ``later``: the notes of the calls after this
    one in its line, which the page must still take."""
    state = self._footnote_area_state()
    if footnote.style['footnote_display'] != 'block' or not _splittable(self, state):
        return False
    index = footnote_area._index(self.current_page_footnotes, footnote)
    if index is None or index != len(self.current_page_footnotes) - 1:
        return False
    _, height, _ = footnote_area._measure(self, state, footnote)
    page_height = state.area.page.height
    if height <= LONG * page_height:
        return False
    # The room: what the page leaves under the line, and ``share`` of the page,
    # less what the line's later notes take.
    short_of_page = line_bottom - (self.page_bottom - bottom_space)
    others = state.total - state.contributions[index]
    margin_above = state.contributions[index] - height
    after = sum(top + note_height for top, note_height, _ in (
        footnote_area._measure(self, state, note) for note in later))
    room = min(height - max(short_of_page, 0) - reserve - after,
               share * page_height - others - margin_above - after)
    return _split(self, state, footnote, room)


def place_carried_footnote(self, footnote, overflow) -> bool:
    """``layout_footnote``'s answer for a note carried over from the page before,
    laid out at the top of this page by ``make_page``, which moves a note on to
    the next page (with the carried notes after it) when the answer is True,
    unless it is the first. After a split part, every later note moves on; a note
    that takes the notes above ``MOST`` of the page is split there, or moves on."""
    state = self._footnote_area_state()
    if state.closed:
        return True
    page_height = state.area.page.height
    if state.total <= MOST * page_height:
        return overflow
    index = footnote_area._index(self.current_page_footnotes, footnote)
    _, height, _ = footnote_area._measure(self, state, footnote)
    if (_splittable(self, state) and footnote.style['footnote_display'] == 'block'
            and height > LONG * page_height):
        room = MOST * page_height - (state.total - height)
        if _split(self, state, footnote, room, carried=True):
            return False
    return overflow or index > 0


def _split(context, state, footnote, room, carried=False) -> bool:
    """Replace ``footnote``'s measure by a first part at most ``room`` tall, and
    carry the rest to the next page (``carried``: ``footnote`` is one of the notes
    ``make_page`` lays out first, and the rest goes right after it, to be moved on
    with the notes after it); False (nothing changed) if a part would have fewer
    than ``LINES`` lines."""
    if room <= 0:
        return False
    part = _lay_part(context, state, footnote, room)
    if part is None:
        return False
    top, height, bottoms, child, resume_at = part
    if getattr(footnote, "folio_resume", None) is not None:
        child.folio_continued = True  # for ``pdf.note_rule``
    rest = footnote.copy()
    rest.folio_resume = resume_at
    rest.folio_origin = getattr(footnote, "folio_origin", footnote)
    state.measures[id(footnote)] = (footnote, top, height, bottoms, child)
    state.splits[id(footnote)] = rest
    index = footnote_area._index(context.current_page_footnotes, footnote)
    footnote_area._refresh_contributions(context, state, index)
    if carried:
        incoming = context._page_notes.incoming
        incoming.insert(footnote_area._index(incoming, footnote) + 1, rest)
    else:
        context.reported_footnotes.append(rest)
    state.closed = True
    context._update_footnote_area()
    return True


def _lay_part(context, state, footnote, room):
    """(top, height, bottoms, laid box, resume_at) of ``footnote``'s part that
    starts where the note (or the continuation) starts and is at most ``room``
    tall, laid out where the note alone stands in this page's area; None if that
    part or the rest would have fewer than ``LINES`` lines."""
    whole = footnote_area.lay_alone(context, state, footnote, -inf)
    if whole is None:
        return None
    laid_area, note, _, _ = whole
    bottom_space = context.page_bottom - (note.border_box_y() + room)
    part = footnote_area.lay_alone(context, state, footnote, bottom_space)
    if part is None:
        return None
    _, box, resume_at, bottoms = part
    if resume_at is None or _lines(box) < LINES or box.border_height() > room + 1e-6:
        return None
    top = box.border_box_y() - laid_area.content_box_y()
    return top, box.border_height(), bottoms, box, resume_at


def _lines(box) -> int:
    from weasyprint.formatting_structure import boxes

    return sum(isinstance(child, boxes.LineBox) for child in box.descendants())
