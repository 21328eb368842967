"""``footnote-policy: line`` holds: a note stays on its call's page (WeasyPrint 70.0,
``layout/block.py`` ``_linebox_layout``, l. 335-475).

In 70.0, when a *line* did not fit, earlier notes of the page were pushed to the next
page to make room for it whatever their policy (l. 397-405); when that made room, the
notes of that line's own calls were never laid out (lost); the pushed notes were put
after notes that later calls had pushed before (out of order, l. 411-415); and the note
of a call in the first line of an empty page was pushed when it did not fit
(l. 443-444). Now notes whose policy is ``line`` or ``block`` are never pushed: the
line breaks before them (widows and orphans as usual); a note that does not fit even
beside the first line of an empty page stays there. For ``auto`` notes (pushing is
their design) the line's own notes follow the pushed ones and pushed notes keep the
order of their calls.

The function is 70.0's, changed where it says ``CHANGED``.
"""

from __future__ import annotations


def install(block) -> None:
    block._linebox_layout = _linebox_layout


def _policy(footnote) -> str:
    return footnote.style['footnote_policy']


def _linebox_layout(context, box, index, child, new_children, page_is_empty,
                    absolute_boxes, fixed_boxes, adjoining_margins,
                    bottom_space, position_y, skip_stack, first_letter_style,
                    first_line_style, draw_bottom_decoration, max_lines):
    """Lay out the lines of ``child`` in ``box``, with their footnotes.

    CHANGED from WeasyPrint 70.0 (``layout/block.py`` l. 335), places marked
    ``CHANGED``: notes with ``footnote-policy: line`` or ``block`` are never pushed
    to the next page to make room for a line (the line breaks instead); the note
    of a call in the first line of an empty page stays on that page even when it
    does not fit; ``auto`` notes alone follow already pushed notes. For ``auto``
    notes: when pushing notes made room for a line, the notes of that line's own
    calls were never laid out (lost, l. 402-405); and notes pushed to make room
    were put after the notes pushed earlier from later calls (out of order,
    l. 411-415)."""
    from weasyprint.layout.block import _break_line, collapse_margin, remove_placeholders
    from weasyprint.layout.inline import iter_line_boxes

    abort = stop = False
    resume_at = None
    new_footnotes = []

    assert len(box.children) == 1, 'line box with siblings before layout'

    if adjoining_margins:
        position_y += collapse_margin(adjoining_margins)
    new_containing_block = box
    lines_iterator = iter_line_boxes(
        context, child, position_y, bottom_space, skip_stack, new_containing_block,
        absolute_boxes, fixed_boxes, first_letter_style, first_line_style)
    for i, (line, resume_at) in enumerate(lines_iterator):
        # Break box if we reached max-lines
        if max_lines is not None:
            if max_lines == 0:
                new_children[-1].block_ellipsis = box.style['block_ellipsis']
                break
            max_lines -= 1

        # Update line resume_at and position_y
        line.resume_at = resume_at
        new_position_y = line.position_y + line.height

        # Add bottom padding and border to the bottom position of the
        # box if needed
        draw_bottom_decoration |= resume_at is None
        if draw_bottom_decoration:
            offset_y = box.border_bottom_width + box.padding_bottom
        else:
            offset_y = 0

        # Allow overflow if the first line of the page is higher than the page itself so
        # that we put *something* on this page and can advance in the context.
        overflow = (
            (new_children or not page_is_empty) and
            context.overflows_page(bottom_space, new_position_y + offset_y))
        if overflow:
            # If we couldn’t break the line before but can break now, first try to
            # report footnotes and see if we don’t overflow.
            could_break_before = can_break_now = True
            needed = box.style['widows'] - 1
            for next_line, _ in lines_iterator:
                needed -= 1
                remove_placeholders(
                    context, next_line.children, absolute_boxes, fixed_boxes)
                # Don’t iterate over all lines as it can be long.
                if needed == -1:
                    break
            if len(new_children) + 1 < box.style['orphans']:
                can_break_now = False
            elif needed >= 0:
                can_break_now = False
            if len(new_children) < box.style['orphans']:
                could_break_before = False
            elif needed > 0:
                could_break_before = False
            needed = max(0, needed)
            report = not context.in_column and can_break_now and not could_break_before
            reported = []
            # CHANGED: a note whose policy is line or block stays with its call.
            while (report and context.current_page_footnotes and
                   _policy(context.current_page_footnotes[-1]) == 'auto'):
                reported.append(context.current_page_footnotes[-1])
                context.report_footnote(reported[-1])
                if not context.overflows_page(bottom_space, new_position_y + offset_y):
                    new_children.append(line)
                    stop = True
                    # CHANGED: the notes of this line's calls follow the pushed
                    # ones (they were never laid out: lost).
                    for footnote in _waiting_footnotes(context, line):
                        context.layout_footnote(footnote)
                        new_footnotes.append(footnote)
                        context.report_footnote(footnote)
                    break
            else:
                abort, stop, resume_at = _break_line(
                    context, box, line, new_children, needed, page_is_empty, index,
                    skip_stack, resume_at, absolute_boxes, fixed_boxes)

            # CHANGED: put the pushed notes in the order of their calls: the ones
            # just pushed (from the last one) come before the notes that later
            # calls of this page pushed earlier, after the notes carried over from
            # the page before (was: only the ones just pushed were reversed).
            if reported:
                _reorder_reported(context, reported)

            break

        # TODO: this is incomplete.
        # See https://drafts.csswg.org/css-page-3/#allowed-pg-brk
        # "When an unforced page break occurs here, both the adjoining
        #  ‘margin-top’ and ‘margin-bottom’ are set to zero."
        # See issue #115.
        elif page_is_empty and context.overflows_page(bottom_space, new_position_y):
            # Remove the top border when a page is empty and the box is
            # too high to be drawn in one page
            new_position_y -= box.margin_top
            line.translate(0, -box.margin_top)
            box.margin_top = 0

        if context.footnotes:
            break_linebox = False
            # CHANGED: after the part of a split note (``footnote_split``), the
            # page takes the notes of that note's line, and no later line's.
            closed = context._footnote_area_state().closed
            waiting = list(_waiting_footnotes(context, line))
            for at, footnote in enumerate(waiting):
                overflow = context.layout_footnote(footnote)
                new_footnotes.append(footnote)
                policy = _policy(footnote)
                overflow = (
                    overflow or closed or
                    # CHANGED: only auto notes follow notes already pushed.
                    (policy == 'auto' and context.reported_footnotes) or
                    context.overflows_page(bottom_space, new_position_y + offset_y))
                # CHANGED: a long note that does not fit runs on to the next
                # page (``footnote_split``) rather than push its line; in the
                # first line of a page, rather than overflow the page.
                first_line = page_is_empty and not new_children
                if overflow and policy != 'auto' and (first_line or not closed):
                    overflow = not context.fit_footnote(
                        footnote, bottom_space, new_position_y + offset_y,
                        line.height * box.style['widows'], waiting[at + 1:],
                        first_line)
                if overflow:
                    # If we've put other content on this page, then we may want
                    # to push this line or block to the next page. Otherwise,
                    # we can't (and would loop forever if we tried), so don't
                    # even try.
                    if new_children or not page_is_empty:
                        context.report_footnote(footnote)
                        if policy == 'line':
                            if needed := box.style['widows'] - 1:
                                for _ in lines_iterator:
                                    needed -= 1
                                    # Don’t iterate over all lines as it can be long.
                                    if needed == 0:
                                        break
                            abort, stop, resume_at = _break_line(
                                context, box, line, new_children, needed, page_is_empty,
                                index, skip_stack, resume_at, absolute_boxes,
                                fixed_boxes)
                            break_linebox = True
                            break
                        elif policy == 'block':
                            abort = break_linebox = True
                            break
                    elif policy == 'auto':
                        # CHANGED: only auto notes leave the first line of an
                        # empty page; line and block notes stay on it.
                        context.report_footnote(footnote)
            if break_linebox:
                break

        new_children.append(line)
        position_y = new_position_y
        skip_stack = resume_at

    if new_children:
        resume_at = {index: new_children[-1].resume_at}

    return abort, stop, resume_at, position_y, new_footnotes, max_lines


def _waiting_footnotes(context, line):
    """The notes of the calls in ``line`` not laid out yet, in call order."""
    return (
        descendant.footnote for descendant in line.descendants()
        if descendant.footnote is not None and descendant.footnote in context.footnotes)


def _reorder_reported(context, just_reported):
    """Order ``context.reported_footnotes`` by call: notes carried from the page
    before, then ``just_reported`` (pushed from the end of the page's notes, so
    last first), then the notes of later calls of this page pushed before."""
    carried_in = context._page_notes.carried_in
    batch = list(reversed(just_reported))
    batch_ids = {id(note) for note in batch}
    rest = [note for note in context.reported_footnotes if id(note) not in batch_ids]
    context.reported_footnotes[:] = (
        [note for note in rest if id(note) in carried_in] + batch +
        [note for note in rest if id(note) not in carried_in])
