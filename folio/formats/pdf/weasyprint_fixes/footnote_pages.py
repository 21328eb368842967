"""Notes pushed to the next page survive a second layout pass (WeasyPrint 70.0,
``layout/page.py`` ``make_all_pages``, l. 1040-1076).

``target-counter()`` (folio's "(p. N)" cross-references, the table of contents, the
index) makes WeasyPrint lay pages out again; pages whose state did not change are
reused. A note that did not fit under its call is "reported" to the next page only
through ``context.reported_footnotes``, and a reused page did not put back what it had
pushed: that list still held what the *last re-made* page left there, so the next
re-made page started with the wrong notes -- the pushed ones were lost, and notes
pushed by some earlier page were printed a second time, pages away from their call.

Here each page's pushed notes are kept (``PageNotes.pushed``), restored when the page
is reused, and a re-made page whose pushed notes changed makes the next page be
re-made too. The notes laid out at the top of a page because the page before pushed
them are remembered (``carried_in``): nothing on that page may take them back.
"""

from __future__ import annotations


def install(layout, page) -> None:
    page.make_all_pages = make_all_pages
    layout.make_all_pages = make_all_pages  # imported by name in layout/__init__.py


class PageNotes:
    """Per-document bookkeeping kept on the layout context."""

    def __init__(self):
        #: page index -> the notes that page pushed to the next one (tuple).
        self.pushed = {}
        #: ids of the notes laid out at the top of the current page because the
        #: page before pushed them (their calls are on an earlier page).
        self.carried_in = set()
        #: The list of the notes carried into the current page, which
        #: ``make_page`` lays out first (``footnote_split`` adds the rest of a
        #: note it splits there, right after the note).
        self.incoming = []


def make_all_pages(context, root_box, html, pages):
    """Return a list of laid out pages without margin boxes.

    Re-make pages only if necessary.

    CHANGED from WeasyPrint 70.0 (``layout/page.py`` l. 1040): the notes each page
    pushes to the next ("reported" footnotes) are kept per page. A reused page
    restores them into ``context.reported_footnotes`` for the page after it (they
    were lost, and the stale list of the last re-made page was used instead:
    notes lost and notes printed twice); a re-made page whose pushed notes
    changed makes the next page be re-made too. The notes laid out at the top of
    a re-made page are remembered (``carried_in``) so that nothing on that page
    un-lays them.
    """
    from weasyprint.layout.page import PROGRESS_LOGGER, remake_page

    notes = context._page_notes
    i = 0
    reported_footnotes = None
    context.rendered_notes = []
    context.reported_footnotes = []  # CHANGED: nothing is pushed into page 1
    while True:
        remake_state = context.page_maker[i][-1]
        if (len(pages) == 0 or
                remake_state['content_changed'] or
                remake_state['pages_wanted']):
            PROGRESS_LOGGER.info('Step 5 - Creating layout - Page %d', i + 1)
            # Reset remake_state
            remake_state['content_changed'] = False
            remake_state['pages_wanted'] = False
            remake_state['anchors'] = []
            remake_state['content_lookups'] = []
            # CHANGED: the notes whose calls are on earlier pages.
            notes.carried_in = {id(note) for note in context.reported_footnotes}
            notes.incoming = context.reported_footnotes
            page, resume_at = remake_page(i, context, root_box, html)
            reported_footnotes = context.reported_footnotes
            # CHANGED: keep what this page pushed; if that changed, the next
            # page must be made again even when its resume_at did not change.
            pushed = tuple(reported_footnotes)
            previous = notes.pushed.get(i, ())
            notes.pushed[i] = pushed
            if (len(pushed) != len(previous) or
                    any(a is not b for a, b in zip(pushed, previous))):
                if i + 1 < len(context.page_maker):
                    context.page_maker[i + 1][-1]['content_changed'] = True
            yield page
        else:
            PROGRESS_LOGGER.info(
                'Step 5 - Creating layout - Page %d (up-to-date)', i + 1)
            resume_at = context.page_maker[i + 1][0]
            # CHANGED: the notes this page pushed when it was made (was: None,
            # and context.reported_footnotes left as the last re-made page set it).
            context.reported_footnotes = list(notes.pushed.get(i, ()))
            reported_footnotes = context.reported_footnotes
            yield pages[i]

        i += 1
        if resume_at is None and not reported_footnotes:
            # Throw away obsolete pages and content
            context.page_maker = context.page_maker[:i + 1]
            context.broken_out_of_flow.clear()
            context.reported_footnotes.clear()
            for index in [index for index in notes.pushed if index >= i]:
                del notes.pushed[index]
            return
