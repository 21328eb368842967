"""A leader's dots as one run of text, not one text box a dot.

WeasyPrint 70 fills a leader (``leader(". ")``, the contents' dotted lines) with a
copy of the leader's text box for every dot, each drawn on its own: Pango sets the
text up again and the PDF gets a text object for each. The contents of the
2,500-page bench book (1,238 entries on 43 pages) made 50,821 boxes: 14 s and
120 MB to lay out and draw, against about 4.5 s and no growth for 51 pages of
chapters. Here the dots that WeasyPrint would keep are one text box: the leader's
text repeated, shaped once, starting where the leftmost copy started and as wide
as the copies together (each copy stood ``width`` after the one before it, so the
dots land where they did, aligned from the line's end as before).

To drop: when WeasyPrint draws a leader as one box (upstream Kozea/WeasyPrint,
``layout/leader.py``).
"""

from __future__ import annotations


def install(inline) -> None:
    from weasyprint.layout import leader as leader_module
    from weasyprint.text.line_break import split_first_line

    if getattr(leader_module, "_folio_leaders", False):
        return
    leader_index = leader_module.leader_index

    def handle_leader(context, line, containing_block):
        """Find a leader box in ``line`` and handle its text and its position."""
        index, leader_box = leader_index(line)
        extra_width = 0
        if index is not None and leader_box.children:
            text_box, = leader_box.children

            # Abort if the leader text has no width
            if text_box.width <= 0:
                return

            # Extra width is the additional width taken by the leader box
            extra_width = containing_block.width - sum(
                child.margin_width() for child in line.children
                if child.is_in_normal_flow())

            # Take care of excluded shapes
            for shape in context.excluded_shapes:
                if shape.position_y + shape.height > line.position_y:
                    extra_width -= shape.width

            # Available width is the width available for the leader box
            available_width = extra_width + text_box.width
            line.width = containing_block.width

            # Add text boxes into the leader box
            number_of_leaders = int(line.width // text_box.width)
            position_x = line.position_x + line.width
            # CHANGED from WeasyPrint 70.0 (layout/leader.py): the places of the
            # copies are found as before, then one box holds them all.
            places = []
            for i in range(number_of_leaders):
                position_x -= text_box.width
                if position_x < leader_box.position_x:
                    # Don’t add leaders behind the text on the left
                    continue
                elif (position_x + text_box.width >
                        leader_box.position_x + available_width):
                    # Don’t add leaders behind the text on the right
                    continue
                places.append(position_x)
            leader_box.children = (_repeated(context, text_box, places,
                                             split_first_line),) if places else ()

            if line.style['direction'] == 'rtl':
                leader_box.translate(dx=-extra_width)

        # Widen leader parent boxes and translate following boxes
        box = line
        while index is not None:
            for child in box.children[index[0] + 1:]:
                if child.is_in_normal_flow():
                    if line.style['direction'] == 'ltr':
                        child.translate(dx=extra_width)
                    else:
                        child.translate(dx=-extra_width)
            box = box.children[index[0]]
            box.width += extra_width
            index = index[1]

    leader_module.handle_leader = handle_leader
    inline.handle_leader = handle_leader  # imported by name there
    leader_module._folio_leaders = True


def _repeated(context, text_box, places: list[float], split_first_line):
    """One text box holding ``text_box``'s text once for each of ``places`` (the
    x of each copy, ``text_box.width`` apart), placed at the leftmost."""
    text = text_box.text * len(places)
    layout, *_ = split_first_line(text, text_box.style, context, None,
                                  text_box.justification_spacing, is_line_start=False)
    box = text_box.copy_with_text(text)
    box.pango_layout = layout
    box.position_x = min(places)
    box.width = text_box.width * len(places)
    return box
