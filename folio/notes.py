"""Notes: the format-specific passes that turn link targets and manuscript
footnotes into the notes each kind of reader can use.

- ``notes_at_page_foot`` (PDF): every note becomes an inline element that
  WeasyPrint floats to the foot of its page (``float: footnote``). A URL linked
  twice in one paragraph gets one note.
- ``notes_at_chapter_end`` (EPUB, HTML): note references in the text, note bodies
  collected at the end of each chapter with a link back first. In the EPUB
  repeated links to one URL share a note within a chapter.
Links inside a manuscript footnote put their URL into that footnote.
"""

from __future__ import annotations

import dataclasses
import html
import re

from .ast import (Para, RawBlock, RawInline, Space, Str, classes_of, expand)

#: Characters after which a long URL may break (no hyphen is added).
_URL_BREAK = re.compile(r"([/.\-_?&=])")


def url_text(url: str) -> str:
    """The URL as shown to readers (``mailto:`` dropped)."""
    return re.sub(r"^(mailto|tel):", "", url)


def breakable_url_html(url: str) -> str:
    """HTML for a URL that may break after / . - _ ? & = (with ``<wbr>``)."""
    text = url_text(url)
    parts = _URL_BREAK.split(text)
    out = []
    for part in parts:
        out.append(html.escape(part, quote=True))
        if _URL_BREAK.fullmatch(part or "x"):
            out.append("<wbr>")
    return '<span class="url">' + "".join(out) + "</span>"


def _is_external(node: dict) -> bool:
    return node["t"] == "Link" and "folio-ext" in classes_of(node)


def _flatten_note(blocks: list) -> list:
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
            from .ast import stringify
            inlines.append(Str(stringify([block])))
    return inlines


def _urls_inline(tree: list, make_url) -> list:
    """Put each external link's URL right after it (inside a footnote)."""
    def act(node: dict):
        if _is_external(node):
            return [node, Space(), Str("("), make_url(node["c"][2][0]), Str(")")]
        return None
    return expand(tree, act)


def notes_at_page_foot(blocks: list) -> list:
    """PDF: turn link targets and footnotes into page-bottom footnote floats."""
    seen: set[str] = set()

    def act(node: dict):
        nonlocal seen
        kind = node["t"]
        if kind in ("Para", "Plain", "Header", "LineBlock"):
            seen = set()
            return None
        if _is_external(node):
            url = node["c"][2][0]
            if url in seen:
                return [node]
            seen.add(url)
            return [node, RawInline('<span class="footnote link-note">'
                                    + breakable_url_html(url) + "</span>")]
        if kind == "Note":
            content = _urls_inline(_flatten_note(node["c"]),
                                   lambda url: RawInline(breakable_url_html(url)))
            return [RawInline('<span class="footnote">'), *content, RawInline("</span>")]
        return None

    return expand(blocks, act)


@dataclasses.dataclass
class Note:
    number: int
    #: ``"link"`` for a link target, ``"footnote"`` for the manuscript's own note.
    kind: str
    blocks: list
    #: ids of the references that point to this note; the first gets the back link.
    ref_ids: list[str]


class NoteCounter:
    """Numbers notes in one sequence across a whole book, in reading order."""

    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


def notes_at_chapter_end(blocks: list, counter: NoteCounter, *, epub: bool,
                         share_urls: bool) -> tuple[list, list[Note]]:
    """EPUB and HTML: note references in the text, note bodies in a list.

    Returns the chapter's blocks with references, and its notes in order.
    """
    notes: list[Note] = []
    by_url: dict[str, Note] = {}
    in_paragraph: set[str] = set()

    def reference(note: Note) -> dict:
        ref_id = f"noteref-{note.number}" + (f"-{len(note.ref_ids) + 1}"
                                             if note.ref_ids else "")
        note.ref_ids.append(ref_id)
        semantics = ' epub:type="noteref"' if epub else ""
        css = "noteref link-noteref" if note.kind == "link" else "noteref"
        return RawInline(f'<a class="{css}" href="#note-{note.number}" id="{ref_id}"'
                         f'{semantics} role="doc-noteref">{note.number}</a>')

    def act(node: dict):
        nonlocal in_paragraph
        if node["t"] in ("Para", "Plain", "Header", "LineBlock"):
            in_paragraph = set()
            return None
        if _is_external(node):
            url = node["c"][2][0]
            if url in in_paragraph:
                return [node]
            in_paragraph.add(url)
            note = by_url.get(url) if share_urls else None
            if note is None:
                link = {"t": "Link", "c": [["", ["note-url"], []],
                                           [RawInline(breakable_url_html(url))], [url, ""]]}
                note = Note(counter.next(), "link", [Para([link])], [])
                notes.append(note)
                by_url[url] = note
            return [node, reference(note)]
        if node["t"] == "Note":
            body = _urls_inline(node["c"], lambda url: RawInline(breakable_url_html(url)))
            note = Note(counter.next(), "footnote", body, [])
            notes.append(note)
            return [reference(note)]
        return None

    return expand(blocks, act), notes


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

def note_blocks(notes: list[Note], *, epub: bool, label: str,
                back: str = "Back to text") -> list:
    """The blocks of a chapter's note section: one ``aside`` per note, back link first."""
    if not notes:
        return []
    semantics = ' epub:type="footnotes"' if epub else ""
    out = [RawBlock(f'<section class="notes"{semantics} aria-label="{html.escape(label)}">')]
    for note in notes:
        semantics = ' epub:type="footnote"' if epub else ""
        css = "note link-note" if note.kind == "link" else "note"
        out.append(RawBlock(f'<aside class="{css}" id="note-{note.number}"{semantics} '
                            'role="doc-footnote">'))
        links = [RawInline(f'<a class="note-number" href="#{note.ref_ids[0]}" '
                           f'role="doc-backlink">{note.number}.</a>')]
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
