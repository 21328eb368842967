"""Notes: the one model of the notes a reader gets, and where each format puts them.

A note is either a link's target (an external link whose text is not its URL:
``transforms.links`` marks it ``folio-ext``) or the manuscript's own footnote.
``place_notes`` walks a chapter in reading order and decides, once for every
format, which links get a note: each external link, but a URL linked again in
the same paragraph gets no second note. It hands each call to a ``Placement``,
which says what stands in the text and collects the notes:

- ``AtPageFoot`` (PDF): an inline element that WeasyPrint floats to the foot of
  its page (``float: footnote``);
- ``AtChapterEnd`` (EPUB): a numbered note reference in the text, the notes at
  the end of the chapter, repeated links to one URL sharing a note within it;
- ``InMargin`` (HTML): a side note beside the line for every link target and
  footnote, the footnotes listed at the end of their chapter as well.
Links inside a manuscript footnote put their URL into that footnote.
"""

from __future__ import annotations

import copy
import dataclasses
import html
import re

from ..ast import (Para, RawBlock, RawInline, Space, Str, classes_of, expand, position,
                   stringify)

#: A URL's pieces: a %XX escape, a mark it may break after, or a run of the rest.
_URL_PIECES = re.compile(r"(%[0-9A-Fa-f]{2})|([/._?&=#])|([^%/._?&=#]+|%)")
#: A run of more characters than this without a break point (a hash, a token) may
#: break anywhere, inside ``span.url-run``; nothing else in a URL does.
LONG_RUN = 20
#: Blocks at which the URLs noted "in this paragraph" start afresh.
PARAGRAPHS = ("Para", "Plain", "Header", "LineBlock", "Table")


def url_text(url: str) -> str:
    """The URL as shown to readers (``mailto:`` dropped)."""
    return re.sub(r"^(mailto|tel):", "", url)


@dataclasses.dataclass(frozen=True)
class UrlBreaks:
    """How a URL's break points are written: ``mark`` is a break opportunity,
    ``after_hyphen`` what follows a hyphen in the URL."""

    mark: str
    after_hyphen: str


#: Screens: ``<wbr>``, which copying leaves out; a browser may break after "-" too.
SCREEN = UrlBreaks("<wbr>", "<wbr>")
#: Print: U+200B in the text, not ``<wbr>``: WeasyPrint makes each ``<wbr>`` an inline
#: box with a pseudo-element holding U+200B, and a note of a dozen boxes cost twice
#: the layout time of one text box. U+2060 WORD JOINER after a hyphen: a break there
#: reads as a hyphenated word, and Pango's line breaking would take it. Neither
#: character is written into the PDF's text: copying the URL gives the URL.
PRINT = UrlBreaks("\u200b", "\u2060")


def breakable_url_html(url: str, breaks: UrlBreaks = SCREEN) -> str:
    """HTML for a URL that may break after ``://``, / . _ ? & = # and around %XX
    escapes (never inside one); a run longer than ``LONG_RUN`` goes into
    ``span.url-run``, which may break anywhere."""
    text = url_text(url)
    scheme = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text)
    out = [html.escape(scheme.group()) + breaks.mark] if scheme else []
    previous = "mark" if scheme else None
    for escape, mark, run in _URL_PIECES.findall(text[scheme.end():] if scheme else text):
        if escape:
            if previous in ("escape", "run"):
                out.append(breaks.mark)
            out.append(escape)
            previous = "escape"
        elif mark:
            out.append(html.escape(mark) + breaks.mark)
            previous = "mark"
        else:
            if previous == "escape":
                out.append(breaks.mark)
            piece = html.escape(run, quote=True).replace("-", "-" + breaks.after_hyphen)
            if len(run) > LONG_RUN:
                piece = f'<span class="url-run">{piece}</span>'
            out.append(piece)
            previous = "run"
    return '<span class="url">' + "".join(out) + "</span>"


def is_noted_link(node: dict) -> bool:
    """True for an external link whose target readers of print see as a note."""
    return node["t"] == "Link" and "folio-ext" in classes_of(node)


def flatten_note(blocks: list) -> list:
    """Inline content of a footnote's blocks, paragraphs joined by line breaks."""
    inlines: list = []
    for index, block in enumerate(blocks):
        if index:
            inlines.append({"t": "LineBreak"})
        if block["t"] in ("Para", "Plain"):
            inlines.extend(block["c"])
        elif block["t"] == "LineBlock":
            for n, line in enumerate(block["c"]):
                if n:
                    inlines.append({"t": "LineBreak"})
                inlines.extend(line)
        elif block["t"] == "CodeBlock":
            inlines.append({"t": "Code", "c": [["", [], []], block["c"][1]]})
        else:
            inlines.append(Str(stringify([block])))
    return inlines


def urls_in_note(tree: list, mark) -> list:
    """Inside a footnote: after each external link, ``mark(url)`` (a list of nodes)."""
    def act(node: dict):
        if is_noted_link(node):
            return [node, *mark(node["c"][2][0])]
        return None
    return expand(tree, act)


def _url_in_brackets(url: str) -> list:
    return [Space(), Str("("), RawInline(breakable_url_html(url)), Str(")")]


def _url_in_brackets_for_print(url: str) -> list:
    return [Space(), Str("("), RawInline(breakable_url_html(url, PRINT)), Str(")")]


@dataclasses.dataclass(frozen=True)
class Site:
    """Where a note is called."""

    in_table: bool = False
    in_heading: bool = False


@dataclasses.dataclass
class Note:
    """One note of a chapter."""

    number: int
    #: ``"link"`` for a link target, ``"footnote"`` for the manuscript's own note.
    kind: str
    #: The note's blocks (without its number and back links).
    blocks: list
    #: ids of the references that point to this note; the first gets the back link.
    ref_ids: list[str] = dataclasses.field(default_factory=list)
    #: True when the call stands in a table (a margin note cannot leave it).
    in_table: bool = False


class Placement:
    """What a format puts in the text for each note call (see the module's doc)."""

    def link(self, node: dict, url: str, site: Site) -> list:
        """The nodes that replace an external link that gets a note."""
        raise NotImplementedError

    def footnote(self, node: dict, site: Site) -> list:
        """The nodes that replace a footnote (``Note`` node)."""
        raise NotImplementedError

    def paragraph(self, site: Site) -> None:
        """A paragraph (heading, list item, table cell) begins."""

    def after_table(self) -> list:
        """Blocks that follow a table whose notes have been placed."""
        return []


def place_notes(blocks: list, placement: Placement) -> list:
    """``blocks`` with every note call handed to ``placement``, in reading order.

    The rule, for every format: each external link gets a note, except a URL
    linked again in the same paragraph (or heading, list item, table cell)."""
    noted: set[str] = set()

    def act(node: dict, site: Site = Site()):
        kind = node["t"]
        if kind in PARAGRAPHS:
            noted.clear()
            placement.paragraph(site)
        if kind == "Table" and not site.in_table:
            inner = Site(True, site.in_heading)
            node["c"] = expand(node["c"], lambda child: act(child, inner))
            return [node, *placement.after_table()]
        if kind == "Header" and not site.in_heading:
            inner = Site(site.in_table, True)
            node["c"] = expand(node["c"], lambda child: act(child, inner))
            return node
        if kind == "Note":
            return placement.footnote(node, site)
        if is_noted_link(node):
            url = node["c"][2][0]
            if url in noted:
                return None
            noted.add(url)
            node["c"][1] = expand(node["c"][1], lambda child: act(child, site))
            return placement.link(node, url, site)
        return None

    return expand(blocks, act)


class AtPageFoot(Placement):
    """PDF: every note an inline element that WeasyPrint floats to the foot of its page.

    A note is named by the chapter and its place among the chapter's notes
    (``data-note-at="chapter:k"``; not by line, so that an edit elsewhere in the
    manuscript leaves the chapter's HTML as it was); ``lines[k]`` is the line of its
    link (0 for a footnote: none is known), for the check of the laid-out pages
    (``pdf.note_rule``); ``pdf.note_repeats`` finds a note by its name."""

    def __init__(self, chapter: int = 0) -> None:
        self.chapter = chapter
        #: The manuscript line (0: unknown) of each link note, in order.
        self.lines: list[int] = []

    def link(self, node: dict, url: str, site: Site) -> list:
        at = f"{self.chapter}:{len(self.lines)}"
        self.lines.append(position(node)[0])
        return [node, RawInline(f'<span class="footnote link-note" data-note-at="{at}">'
                                + breakable_url_html(url, PRINT) + "</span>")]

    def footnote(self, node: dict, site: Site) -> list:
        at = f"{self.chapter}:{len(self.lines)}"
        self.lines.append(position(node)[0])  # 0: pandoc keeps no position of a note
        content = urls_in_note(flatten_note(node["c"]), _url_in_brackets_for_print)
        return [RawInline(f'<span class="footnote" data-note-at="{at}">'), *content,
                RawInline("</span>")]


#: Between two note calls that stand side by side in the print (a link's note, then a
#: footnote): "11,12", not "1112".
CALL_SEPARATOR = '<span class="call-separator">,</span>'


def separate_adjacent_calls(tree):
    """``tree`` (pandoc's blocks after ``AtPageFoot``) with ``CALL_SEPARATOR`` between
    two note calls that no text parts: a note's span that ends where the next begins."""
    if isinstance(tree, dict):
        for value in tree.values():
            separate_adjacent_calls(value)
        return tree
    if not isinstance(tree, list):
        return tree
    out, depth, ended_at = [], 0, -1
    for node in tree:
        separate_adjacent_calls(node)
        raw = node.get("t") == "RawInline" and node["c"][1] if isinstance(node, dict) else ""
        opens = bool(raw) and raw.startswith('<span class="footnote')
        if opens and depth == 0 and ended_at == len(out):
            out.append(RawInline(CALL_SEPARATOR))
        out.append(node)
        if raw and (opens or depth):
            depth += raw.count("<span") - raw.count("</span>")
            if depth <= 0:
                depth, ended_at = 0, len(out)
    tree[:] = out
    return tree


class NoteCounter:
    """Numbers notes in one sequence across a whole book, in reading order."""

    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


class AtChapterEnd(Placement):
    """EPUB: numbered references in the text, the chapter's notes collected in
    ``notes`` (``note_section`` writes them); repeated links to a URL share a note."""

    def __init__(self, counter: NoteCounter) -> None:
        self.counter = counter
        self.notes: list[Note] = []
        self._by_url: dict[str, Note] = {}

    def _reference(self, note: Note) -> dict:
        ref_id = f"noteref-{note.number}" + (f"-{len(note.ref_ids) + 1}"
                                             if note.ref_ids else "")
        note.ref_ids.append(ref_id)
        css = "noteref link-noteref" if note.kind == "link" else "noteref"
        return RawInline(f'<a class="{css}" href="#note-{note.number}" id="{ref_id}"'
                         f' epub:type="noteref" role="doc-noteref">{note.number}</a>')

    def link(self, node: dict, url: str, site: Site) -> list:
        note = self._by_url.get(url)
        if note is None:
            link = {"t": "Link", "c": [["", ["note-url"], []],
                                       [RawInline(breakable_url_html(url))], [url, ""]]}
            note = Note(self.counter.next(), "link", [Para([link])])
            self.notes.append(note)
            self._by_url[url] = note
        return [node, self._reference(note)]

    def footnote(self, node: dict, site: Site) -> list:
        note = Note(self.counter.next(), "footnote", urls_in_note(node["c"], _url_in_brackets))
        self.notes.append(note)
        return [self._reference(note)]


class InMargin(Placement):
    """HTML: a side note beside its line for every link target and every footnote.

    Link notes are visual only (the link itself is live and announced): on a wide
    screen and in print a small letter after the link -- a, b, c within a paragraph
    -- and the same letter before its URL in the margin; the links of a table are
    listed under it, since a margin note cannot leave a table that scrolls. The
    footnotes are numbered through the book and also collected in ``notes`` for the
    list at the chapter's end (what a phone shows)."""

    def __init__(self, counter: NoteCounter) -> None:
        self.counter = counter
        self.notes: list[Note] = []
        #: Link notes of the current paragraph (or table) so far.
        self._letters = 0
        #: (letter, url) of the links of the table being walked.
        self._table_links: list[tuple[str, str]] = []

    def paragraph(self, site: Site) -> None:
        if not site.in_table:  # a table's links are lettered through the table
            self._letters = 0

    def link(self, node: dict, url: str, site: Site) -> list:
        letter = _letter(self._letters)
        self._letters += 1
        mark = RawInline(f'<span class="link-mark" aria-hidden="true">{letter}</span>')
        if site.in_table:
            self._table_links.append((letter, url))
            return [node, mark]
        return [node, mark, RawInline('<span class="sidenote link-sidenote" '
                                      f'aria-hidden="true"><span class="link-letter">{letter}'
                                      f'</span> {breakable_url_html(url)}</span>')]

    def after_table(self) -> list:
        links, self._table_links, self._letters = self._table_links, [], 0
        if not links:
            return []
        rows = "".join(f'<li><span class="link-letter">{letter}</span> '
                       f"{breakable_url_html(url)}</li>" for letter, url in links)
        return [RawBlock(f'<ul class="table-links" aria-hidden="true">{rows}</ul>')]

    def footnote(self, node: dict, site: Site) -> list:
        number = self.counter.next()
        original = copy.deepcopy(node["c"])  # urls_in_note changes the blocks it walks
        self.notes.append(Note(number, "footnote", urls_in_note(node["c"], _print_url),
                               [f"noteref-{number}"], site.in_table))
        inline = urls_in_note(flatten_note(original), _print_url)
        ref = RawInline(f'<a class="noteref" href="#note-{number}" id="noteref-{number}" '
                        f'role="doc-noteref">{number}</a>')
        if site.in_table:  # a margin note cannot float out of a scrolling table
            return [ref]
        return [ref, RawInline('<span class="sidenote" role="note">'
                               f'<span class="sidenote-number">{number}</span> '),
                *inline, RawInline("</span>")]


def _letter(index: int) -> str:
    """a, b, … z, aa, ab, …: the mark of the index-th link note of a paragraph."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[rest] + letters
    return letters


def _print_url(url: str) -> list:
    """A URL after its link inside a note, shown in print only (the link is live)."""
    return [RawInline('<span class="print-url"> (' + html.escape(url_text(url)) + ")</span>")]


# --- note markup for e-readers (issue 4) -------------------------------------------
# One markup that pops up where the reading system can and is a plain link with a
# way back everywhere else:
#
#   <p>… text<a class="noteref" href="#note-3" id="noteref-3" epub:type="noteref"
#      role="doc-noteref">3</a> …</p>
#   <section class="notes" epub:type="footnotes" aria-label="Notes">
#     <aside class="note" id="note-3" epub:type="footnote" role="doc-footnote">
#       <p><a class="note-number" href="#noteref-3" role="doc-backlink">3.</a> The note.</p>
#     </aside>
#   </section>
#
# - Apple Books pops up a note when an `epub:type="noteref"` link points at an
#   element with `epub:type="footnote"` (standardebooks/tools se/se_epub_build.py adds
#   "footnote" to its endnotes for that reason), and not when the link holds a <sup>:
#   the number is raised by CSS (jgm/pandoc#1995).
# - Kindle (Send to Kindle): the back link must come first in the note, or several
#   notes run together in one pop-up (jgm/pandoc#4491, fixed by PR #8676 after the
#   Amazon Kindle Publishing Guidelines); `role="doc-footnote"` together with
#   `epub:type="footnote"` on every note gave pop-ups on Kindle
#   (DistributedProofreaders/guiguts-py#1952).
# - Kobo: its e-ink readers pop up any link to a later element of 9 to 5000
#   characters and its iOS app any target marked footnote or endnote
#   (kobolabs/epub-spec README, "Footnotes/Endnotes"); the notes stand at the end of
#   the chapter file, after their references, so both apply. Standard Ebooks adds
#   "endnote" to the *reference* only in its .kepub build because Kobo's own renderer
#   "doesn't understand noteref"; that is not valid on a plain EPUB's link, so it is
#   not done here. The back link is a number, not "↩" (Kobo's fonts lack it).
# - Everywhere else (Tolino, Adobe-based readers, Thorium) the note is an ordinary
#   link to the end of the chapter, and its number links back to the reference.
#   A note that several references share (one URL linked in several paragraphs)
#   links back to each of them: "3. a b c".
# The reading page (HTML) lists its footnotes with the same markup, without the
# EPUB's semantics; its back link carries a title instead.

def note_section(notes: list[Note], *, epub: bool, label: str,
                 back: str = "Back to text") -> list:
    """The blocks of a chapter's note section: one ``aside`` per note, back link first."""
    if not notes:
        return []
    semantics = ' epub:type="footnotes"' if epub else ""
    out = [RawBlock(f'<section class="notes"{semantics} aria-label="{html.escape(label)}">')]
    for note in notes:
        if epub:
            css = "note link-note" if note.kind == "link" else "note"
            out.append(RawBlock(f'<aside class="{css}" id="note-{note.number}" '
                                'epub:type="footnote" role="doc-footnote">'))
            title = ""
        else:
            css = "note in-table" if note.in_table else "note"
            out.append(RawBlock(f'<aside class="{css}" id="note-{note.number}" '
                                'role="doc-footnote">'))
            title = f' title="{html.escape(back)}"'
        links = [RawInline(f'<a class="note-number" href="#{note.ref_ids[0]}" '
                           f'role="doc-backlink"{title}>{note.number}.</a>')]
        if len(note.ref_ids) > 1:
            for letter, ref_id in zip("abcdefghijklmnopqrstuvwxyz", note.ref_ids):
                links += [Space(), RawInline(
                    f'<a class="note-back" href="#{ref_id}" role="doc-backlink" '
                    f'aria-label="{html.escape(back)} ({letter})">{letter}</a>')]
        body = [dict(b) for b in note.blocks]
        if body and body[0]["t"] in ("Para", "Plain"):
            body[0] = {"t": body[0]["t"], "c": [*links, Space(), *body[0]["c"]]}
        else:
            body.insert(0, Para(links))
        out.extend(body)
        out.append(RawBlock("</aside>"))
    out.append(RawBlock("</section>"))
    return out
