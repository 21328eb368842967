"""The one note model (``folio.formats.notes``): which links get a note, and what
each format puts in the text. Fast: pandoc reads a few lines, nothing is laid out."""

from __future__ import annotations

import copy
import json
import re
import textwrap

from folio.diagnostics import Reporter
from folio.formats.notes import (CALL_SEPARATOR, AtChapterEnd, AtPageFoot, InMargin,
                                 NoteCounter, PRINT, breakable_url_html, note_section,
                                 place_notes, separate_adjacent_calls)
from folio.pipeline import read_book

MANUSCRIPT = """\
---
title: Notes
lang: en
---
# One

A [first](https://a.example/x) and [again](https://a.example/x) in one paragraph,
and [another](https://b.example/).[^n]

The [first](https://a.example/x) again, in the next paragraph. A bare
<https://c.example/> needs no note.

| Site | Where |
|---|---|
| [table](https://t.example/) | here |

## A [heading link](https://h.example/)

[^n]: A note with [a link](https://n.example/).
"""


def chapter_blocks(tmp_path, text: str = MANUSCRIPT) -> list:
    source = tmp_path / "book.md"
    source.write_text(textwrap.dedent(text), encoding="utf-8")
    return read_book(source, Reporter()).chapters[0].blocks


def raw_html(blocks) -> list[str]:
    """Every raw HTML snippet in ``blocks``, in reading order."""
    found = []

    def walk(tree):
        if isinstance(tree, list):
            for item in tree:
                walk(item)
        elif isinstance(tree, dict):
            if tree.get("t") in ("RawInline", "RawBlock"):
                found.append(tree["c"][1])
            elif "c" in tree:
                walk(tree["c"])

    walk(blocks)
    return found


def test_one_note_per_url_in_a_paragraph_and_again_in_the_next(tmp_path):
    blocks = place_notes(chapter_blocks(tmp_path), AtPageFoot())
    notes = [raw for raw in raw_html(blocks) if "link-note" in raw]
    urls = [raw.split('class="url">', 1)[1] for raw in notes]
    assert [u.replace("\u200b", "") for u in urls] == [
        "https://a.example/x</span></span>", "https://b.example/</span></span>",
        "https://a.example/x</span></span>", "https://t.example/</span></span>",
        "https://h.example/</span></span>"]


def test_calls_side_by_side_get_a_comma_between_them_and_no_other_call_does(tmp_path):
    """A link's call, a footnote's call right after it, and the footnote's own
    link inside it: "text¹,²", not "text¹²" (which reads as twelve)."""
    text = MANUSCRIPT.replace("[another](https://b.example/).[^n]",
                              "[another](https://b.example/)[^n][^m].\n\n[^m]: More.")
    blocks = separate_adjacent_calls(place_notes(chapter_blocks(tmp_path, text), AtPageFoot()))
    raws = raw_html(blocks)
    separators = [i for i, raw in enumerate(raws) if raw == CALL_SEPARATOR]
    assert len(separators) == 2
    for i in separators:  # after the end of one note, before the start of the next
        assert raws[i - 1].endswith("</span>") and raws[i + 1].startswith('<span class="footnote')
    assert raws.count(CALL_SEPARATOR) == 2  # none after the other links' notes


def test_a_footnote_is_one_float_with_its_links_urls_inside(tmp_path):
    blocks = place_notes(chapter_blocks(tmp_path), AtPageFoot())
    text = json.dumps(blocks)
    opening = '<span class=\\"footnote\\" data-note-at='
    assert text.count(opening) == 1
    start = text.index(opening)
    assert "n.example" in text[start:], "the note's own link shows its URL in the note"
    assert "link-note" not in text[start:text.index("</span>", start)]


def test_the_epub_shares_a_note_between_paragraphs_of_a_chapter(tmp_path):
    at_end = AtChapterEnd(NoteCounter())
    blocks = place_notes(chapter_blocks(tmp_path), at_end)
    refs = [raw for raw in raw_html(blocks) if 'epub:type="noteref"' in raw]
    assert [n.kind for n in at_end.notes] == ["link", "link", "footnote", "link", "link"]
    shared = at_end.notes[0]
    assert shared.ref_ids == ["noteref-1", "noteref-1-2"], "one note, two references"
    assert len(refs) == 6
    section = "".join(raw_html(note_section(at_end.notes, epub=True, label="Notes")))
    assert 'epub:type="footnotes"' in section and section.count("<aside") == 5
    assert 'href="#noteref-1-2"' in section, "the shared note links back to both"


def test_the_reading_page_letters_every_link_in_its_paragraph_table_or_heading(tmp_path):
    margin = InMargin(NoteCounter())
    blocks = place_notes(chapter_blocks(tmp_path), margin)
    side = [raw for raw in raw_html(blocks) if "link-sidenote" in raw]
    marks = [raw for raw in raw_html(blocks) if "link-mark" in raw]
    table = [raw for raw in raw_html(blocks) if "table-links" in raw]
    # a and b in the first paragraph, a again in the next, a in the heading; the
    # table's link is listed under the table instead of in the margin.
    assert [s.split('link-letter">')[1][0] for s in side] == ["a", "b", "a", "a"]
    assert len(marks) == 5 and len(table) == 1
    assert 'link-letter">a</span>' in table[0] and "t.<wbr>example" in table[0]
    assert [n.number for n in margin.notes] == [1]
    assert "print-url" in json.dumps(margin.notes[0].blocks)


def test_numbers_run_through_the_book(tmp_path):
    counter = NoteCounter()
    first = AtChapterEnd(counter)
    place_notes(chapter_blocks(tmp_path), first)
    second = AtChapterEnd(counter)
    place_notes(chapter_blocks(tmp_path), second)
    assert second.notes[0].number == len(first.notes) + 1


def test_placing_notes_leaves_the_chapter_untouched(tmp_path):
    blocks = chapter_blocks(tmp_path)
    before = copy.deepcopy(blocks)
    place_notes(copy.deepcopy(blocks), AtPageFoot())
    assert blocks == before


def test_urls_break_after_their_separators_without_hyphens():
    markup = breakable_url_html("https://example.org/a_b?c=d&e")
    assert markup == ('<span class="url">https://<wbr>example.<wbr>org/<wbr>a_<wbr>'
                      'b?<wbr>c=<wbr>d&amp;<wbr>e</span>')
    assert breakable_url_html("mailto:ada@example.org") == (
        '<span class="url">ada@example.<wbr>org</span>')


def test_print_urls_break_with_zero_width_spaces_never_inside_an_escape_or_after_a_hyphen():
    markup = breakable_url_html("https://ex.org/a%20b%2Fc-d", PRINT)
    assert markup == ('<span class="url">https://\u200bex.\u200borg/\u200b'
                      'a\u200b%20\u200bb\u200b%2F\u200bc-\u2060d</span>')
    # What a reader copies is the URL: the break characters are all zero-width.
    text = re.sub(r"<[^>]+>", "", markup).replace("\u200b", "").replace("\u2060", "")
    assert text == "https://ex.org/a%20b%2Fc-d"


def test_only_a_long_run_without_break_points_may_break_anywhere():
    token = "A" * 21
    markup = breakable_url_html(f"https://ex.org/{token}?q=short", PRINT)
    assert f'<span class="url-run">{token}</span>' in markup
    assert "url-run" not in breakable_url_html("https://ex.org/" + "A" * 20, PRINT)
