"""Link notes at the foot of the PDF's pages, checked on the PDF a reader gets: every
note printed once, on the page of its call, in the order of the calls; numbers that do
not break in their hanging box; URLs that break only where a URL may.

The books are long and dense (tests/fixtures/pdf/linkbooks.py): WeasyPrint 70.0 as
released lost 5 of the dense book's 843 notes and set 16 pages with notes that were
not their calls' (folio/formats/pdf/weasyprint_fixes fixes it). The PDF is read with
pdfminer (tests/notecheck.py): calls, the rule above the notes, markers and URLs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import FIXTURES, pdf_pages, run_build

sys.path.insert(0, str(FIXTURES / "pdf"))
import linkbooks  # noqa: E402
from notecheck import join_continued, read_pdf, rule_violations, url_breaks  # noqa: E402
from pdfcheck import page_references, words_on_top_of_words  # noqa: E402


def build(manuscript: linkbooks.Manuscript, folder: Path, *, workers: int = 1,
          env: dict | None = None, warnings: list | None = None) -> Path:
    """The book's PDF; the build's warnings of misplaced notes into ``warnings``, if
    given, else none allowed."""
    book = folder / "book"
    book.mkdir(parents=True)
    (book / "book.md").write_text(manuscript.text(), encoding="utf-8")
    result = run_build(str(book), "-o", str(folder / "dist"), "--format", "pdf",
                       env={"FOLIO_LAYOUT_WORKERS": str(workers), **(env or {})},
                       timeout=900)
    assert result.returncode == 0, result.stderr
    misplaced = [line for line in result.stderr.splitlines() if "[note-misplaced]" in line]
    if warnings is None:
        assert misplaced == []
    else:
        warnings.extend(misplaced)
    return folder / "dist" / "book" / "book.pdf"


@pytest.fixture(scope="module")
def dense(tmp_path_factory):
    """Six chapters, about 100 A5 pages and 850 notes, 1 to 25 on a page, laid out in
    parts on two workers and merged."""
    manuscript = linkbooks.dense_book(chapters=6)
    pdf = build(manuscript, tmp_path_factory.mktemp("dense"), workers=2)
    return manuscript, read_pdf(pdf), pdf


def test_every_note_of_a_long_dense_book_stands_once_on_its_calls_page(dense):
    manuscript, pages, _ = dense
    assert len(pages) > 80 and len(manuscript.urls) > 800
    assert sum(len(page.notes) for page in pages) == len(manuscript.urls)
    assert max(len(page.notes) for page in pages) >= 15
    assert rule_violations(pages, manuscript.urls) == {
        "lost": [], "twice": [], "unknown": [], "not_with_their_calls": [],
        "out_of_order": []}


def test_contents_and_cross_references_show_their_targets_printed_page(dense):
    """The book is laid out in parts on two workers and merged: a number from another
    part is right only if the rounds settled (issue 11)."""
    manuscript, _, pdf = dense
    references = page_references(pdf)
    in_text = [r for r in references if r[1].startswith("see")]
    assert len(references) > 50 and len(in_text) > 30
    assert [r for r in references if r[2] != r[3]] == []


def test_note_numbers_past_99_stay_whole_and_urls_break_only_at_their_marks(dense):
    manuscript, pages, _ = dense
    assert max(note.number for page in pages for note in page.notes) >= 100
    counts = url_breaks(pages)["counts"]
    assert counts["split_markers"] == 0
    assert counts["in_escape"] == 0 and counts["after_hyphen"] == 0
    # Mid-token breaks happen only inside long runs without a break point.
    assert counts["after_mark"] > 50


def test_a_call_in_the_last_line_of_a_page_takes_its_note_along(tmp_path):
    """A link after N words, N stepping through the page's last lines; a forward
    cross-reference on the next page makes WeasyPrint lay that page out again."""
    manuscript = linkbooks.last_line_sweep()
    pages = read_pdf(build(manuscript, tmp_path))
    assert rule_violations(pages, manuscript.urls) == {
        "lost": [], "twice": [], "unknown": [], "not_with_their_calls": [],
        "out_of_order": []}
    # The sweep did reach the foot of a page: some call stands in its page's last
    # text line (the note area right below it).
    assert any(page.calls and page.notes and page.calls[-1].y > page.rule_y - 30
               for page in pages)


def test_the_kept_footnote_heights_equal_a_full_layout_of_the_area(tmp_path):
    """FOLIO_FOOTNOTE_VERIFY lays every page's footnote area out in full beside the
    heights kept note by note, and fails the layout on any difference."""
    manuscript = linkbooks.dense_book(chapters=1, seed=3)
    pdf = build(manuscript, tmp_path, env={"FOLIO_FOOTNOTE_VERIFY": "1"})
    assert rule_violations(read_pdf(pdf), manuscript.urls)["lost"] == []


def test_a_note_too_long_for_its_page_runs_on_at_the_foot_of_the_next(tmp_path):
    """URLs of 600 to 12,000 characters (Kozea/WeasyPrint#1833): each note starts on
    its call's page and runs on at the top of the next pages' notes; nothing is
    printed over the text or off the paper (WeasyPrint alone prints such a note over
    the text and past the page's foot). FOLIO_FOOTNOTE_VERIFY checks the heights kept
    for every page without a split note against a full layout of its area."""
    manuscript = linkbooks.long_notes_book()
    warnings: list[str] = []
    pdf = build(manuscript, tmp_path, warnings=warnings,
                env={"FOLIO_FOOTNOTE_VERIFY": "1"})
    assert warnings == []
    pages = read_pdf(pdf)
    continued = join_continued(pages, manuscript.urls)
    assert rule_violations(pages, manuscript.urls) == {
        "lost": [], "twice": [], "unknown": [], "not_with_their_calls": [],
        "out_of_order": []}
    assert words_on_top_of_words(pdf) == []
    # Notes did run on: most to the very next page, a giant one over several.
    assert len(continued) >= 6
    assert max(len(note.continued) for note in continued) >= 3
    assert sum(note.continued[0] == note.page + 1 for note in continued) \
        >= 0.75 * len(continued)
    for note in continued:
        assert note.continued == sorted(note.continued) and note.continued[0] > note.page
    # A URL breaks only where a URL may, also where it runs on to the next page.
    assert url_breaks(pages)["counts"]["in_escape"] == 0
    assert url_breaks(pages)["counts"]["mid_token"] <= 2


def test_a_list_of_links_keeps_every_note_with_its_item(tmp_path):
    manuscript = linkbooks.link_list(300)
    pdf = build(manuscript, tmp_path)
    pages = read_pdf(pdf)
    assert rule_violations(pages, manuscript.urls) == {
        "lost": [], "twice": [], "unknown": [], "not_with_their_calls": [],
        "out_of_order": []}
    # What a reader copies from a note is the URL, without break characters.
    text = "".join(pdf_pages(pdf))
    assert "\u200b" not in text and "\u2060" not in text
    assert manuscript.urls[-1].split("://")[1][:30] in text.replace("\n", "")


def test_the_build_names_the_line_of_a_note_the_layout_lost(tmp_path):
    """WeasyPrint as released loses a note of this book (a call in a page's last line,
    a page reference on the next page): the build checks its pages after the layout
    and says which note, on which page, from which line -- the same note the PDF
    lacks."""
    manuscript = linkbooks.dense_book(chapters=2)
    warnings: list[str] = []
    pdf = build(manuscript, tmp_path, warnings=warnings,
                env={"FOLIO_WEASYPRINT_AS_RELEASED": "1"})
    lost = rule_violations(read_pdf(pdf), manuscript.urls)["lost"]
    assert lost, "WeasyPrint as released no longer loses a note of this book"
    lines = manuscript.text().splitlines()
    for url in lost:
        warning = next(w for w in warnings if f"'{url}' is not printed" in w)
        line = int(warning.split("book.md:")[1].split(":")[0])
        assert url in lines[line - 1]


def test_a_raw_html_link_gets_its_note_like_a_markdown_link(tmp_path):
    """A manuscript from GitHub links with ``<a href>`` as well: its URL is printed at
    the page's foot after the Markdown link's, in the order of the calls."""
    manuscript = linkbooks.Manuscript(seed=1, title="Raw links")
    manuscript.urls = ["https://md.example.org/first", "https://raw.example.org/second"]
    manuscript.blocks = [
        "# Links",
        f"A [Markdown link]({manuscript.urls[0]}) and a "
        f'<a href="{manuscript.urls[1]}" title="raw">raw HTML link</a> in one paragraph.']
    pages = read_pdf(build(manuscript, tmp_path))
    assert [note.text for page in pages for note in page.notes] == manuscript.urls
    assert rule_violations(pages, manuscript.urls) == {
        "lost": [], "twice": [], "unknown": [], "not_with_their_calls": [],
        "out_of_order": []}


def test_a_url_linked_again_on_its_page_is_noted_once_there(tmp_path):
    """Links to one URL from three paragraphs of a page: one note, each call shows
    its number; the notes after it keep running 1, 2, 3; on a later page the URL
    gets a note of its own again. Parts of two chapters: the numbers restart."""
    manuscript = linkbooks.Manuscript(seed=2, title="Repeated links")
    guide, spec, other, far = ("https://guide.example.org/intro",
                               "https://spec.example.org/part-one",
                               "https://other.example.org/page",
                               "https://far.example.org/away")
    manuscript.urls = [guide, spec, other, far]
    filler = [manuscript.sentence(40) for _ in range(30)]
    manuscript.blocks = [
        "# First",
        f"The [guide]({guide}) tells how, the [spec]({spec}) says so.",
        f"A second paragraph has the [same guide]({guide}) and [another]({other}).",
        f"A third one has the [spec]({spec}) and the [guide]({guide}) again.",
        *filler,
        f"Pages later the [guide]({guide}) and [far]({far}).",
        "# Second",
        f"A new chapter with the [spec]({spec}) and the [spec again]({spec}).",
        f"A paragraph later, the [spec]({spec}) once more.",
    ]
    pages = [page for page in read_pdf(build(manuscript, tmp_path)) if page.calls]
    first = pages[0]
    assert [call.number for call in first.calls] == [1, 2, 1, 3, 2, 1]
    assert [note.number for note in first.notes] == [1, 2, 3]
    assert [note.text for note in first.notes] == [guide, spec, other]
    later = next(page for page in pages if any(n.text == far for n in page.notes))
    assert later.number > first.number
    assert [(note.number, note.text) for note in later.notes][-2:] == [(4, guide), (5, far)]
    last = pages[-1]
    # (a paragraph's own repeat has no call of its own: formats.notes)
    assert [call.number for call in last.calls] == [1, 1]
    assert [note.text for note in last.notes] == [spec]
    assert rule_violations(pages, manuscript.urls, repeats_per_page=True) == {
        "lost": [], "twice": [], "unknown": [], "not_with_their_calls": [],
        "out_of_order": []}


def test_a_footnote_referred_to_twice_on_its_page_is_printed_once_there(tmp_path):
    """pandoc copies a footnote to each of its references: on one page it is one
    note, both calls show its number."""
    manuscript = linkbooks.Manuscript(seed=3, title="A source twice")
    manuscript.urls = ["https://example.org/a"]
    manuscript.blocks = [
        "# Sources",
        "A claim with its source.[^src] Another sentence.",
        f"The same source again.[^src] And a [link]({manuscript.urls[0]}).",
        "[^src]: Smith, *A Book*, p. 12."]
    page = next(page for page in read_pdf(build(manuscript, tmp_path)) if page.calls)
    assert [call.number for call in page.calls] == [1, 1, 2]
    assert [(note.number, note.text) for note in page.notes] == [
        (1, "Smith,ABook,p.12."), (2, manuscript.urls[0])]
