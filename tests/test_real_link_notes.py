"""Link notes of real link-heavy documents, checked on the PDF a reader gets (issue
10): an awesome list, a project README, a manual with footnotes in tables and a
changelog with two links on most lines (tests/fixtures/real, SOURCES.md there).

What each PDF must hold is derived from the manuscript alone, with pandoc's AST
and not with folio's code: every link to an http(s) URL whose text is not that URL
gets a note, except a URL linked again in the same paragraph (heading, list item,
table cell, block of raw HTML); every footnote reference gets its footnote. A link
written in a block of raw HTML (``<p align="center"><a href=…>``, as awesome's
header) is a link as well, read here with the standard library's HTML parser. The PDF is read with
pdfminer (tests/notecheck.py): the notes in page order must be exactly those
(none lost, none printed twice, in the order of their calls), and every page's
notes must be the notes of its calls -- by number, and by the page's link
annotations, which name each call's URL where the call stands.

``notecheck.rule_violations`` alone does not fit these documents: it expects each
URL noted once in the book (the README links a person's profile in several
sections, each a note of its own) and no footnotes; its other findings must be
none. What a reader cannot tell apart on a page -- a number twice, numbers from 1
again, two calls that read as one number -- is the second test's.

The four PDFs (about 150 A5 pages, 1,400 notes) take about 45 s of CPU, most of it
WeasyPrint's."""

from __future__ import annotations

import html.parser
import json
import re
from collections import Counter

import pypandoc
import pytest
from helpers import FIXTURES, run_build
from notecheck import read_pdf, rule_violations

REAL = FIXTURES / "real"
DOCUMENTS = ["awesome", "node-readme", "node-building", "node-changelog-v21"]
#: Blocks where "linked again in the same paragraph" starts afresh (as documented
#: for notes.place_notes: a paragraph, heading, list item, table cell).
PARAGRAPHS = {"Para", "Plain", "Header", "LineBlock", "Table"}


def _text(node, out: list, code: bool) -> list:
    if isinstance(node, list):
        for item in node:
            _text(item, out, code)
    elif isinstance(node, dict):
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            out.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in ("Code", "Math"):
            out.append(content[-1] if code else "")
        elif kind in ("Link", "Image"):
            _text(content[1], out, code)
        elif kind not in ("RawInline", "RawBlock", "CodeBlock") and content is not None:
            _text(content, out, code)
    return out


def _bare(address: str) -> str:
    """An address as a reader compares it with a link's text: no scheme, no www.,
    no trailing slash, any case."""
    address = re.sub(r"^[a-z][a-z0-9+.-]*://", "", address.strip().lower())
    return re.sub(r"^www\.", "", address).rstrip("/")


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


class _RawLinks(html.parser.HTMLParser):
    """The links of a block of raw HTML: (href, text) of each ``<a href>…</a>`` that
    holds no other anchor and stands in none (comments are no text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.open: list[list] = []  # [href, text pieces, holds another anchor]

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            for entry in self.open:
                entry[2] = True
            self.open.append([dict(attrs).get("href"), [], bool(self.open)])

    def handle_endtag(self, tag):
        if tag == "a" and self.open:
            href, text, nested = self.open.pop()
            if href is not None and not nested and not self.open:
                self.links.append((href, "".join(text)))

    def handle_data(self, data):
        for entry in self.open:
            entry[1].append(data)


def raw_links(block: str) -> list[tuple[str, str]]:
    reader = _RawLinks()
    reader.feed(block)
    reader.close()
    return reader.links


def expected_notes(manuscript: str) -> list[str]:
    """The notes a reader should find, in reading order: a URL for a link's note,
    ``footnote:`` and the footnote's first 20 letters and digits for a footnote
    (its code left out: the checker reads the notes' type size only)."""
    body = manuscript.split("\n---\n", 1)[1] if manuscript.startswith("---\n") else manuscript
    tree = json.loads(pypandoc.convert_text(body, "json", format="commonmark_x"))
    notes: list[str] = []
    noted: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("t")
        if kind in PARAGRAPHS:
            noted.clear()
        if kind == "Note":
            notes.append("footnote:" + _letters("".join(_text(node["c"], [], False)))[:20])
            return
        links = []
        if kind == "Link":
            links = [(node["c"][2][0], "".join(_text(node["c"][1], [], True)))]
        elif kind == "RawBlock" and node["c"][0] == "html":
            noted.clear()
            links = raw_links(node["c"][1])
        for url, shown in links:
            url = url.strip()
            if (url.lower().startswith(("http://", "https://")) and url not in noted
                    and not (shown.strip() and _bare(shown) == _bare(url))):
                noted.add(url)
                notes.append(url)
        if node.get("c") is not None:
            walk(node["c"])

    walk(tree["blocks"])
    return notes


def _without_repeats(expected: list[str], read: list[str], repeats: int) -> list[str]:
    """``expected`` without the notes of links to a URL noted already on their page:
    up to ``repeats`` of them, each a URL printed before it, where ``read`` goes on
    without it."""
    result, j = [], 0
    for note in expected:
        if (repeats and (j >= len(read) or read[j] != note) and note in read[:j]):
            repeats -= 1
            continue
        result.append(note)
        j += 1
    return result


def _split_call(digits: str, markers: set[int]) -> list[int] | None:
    """A run of call digits as the page's note numbers it is made of ("1112" on a
    page with notes 11 and 12: two calls set side by side), or None."""
    if not digits:
        return []
    for end in range(len(digits), 0, -1):
        head = digits[:end]
        if head[0] != "0" and int(head) in markers:
            rest = _split_call(digits[end:], markers)
            if rest is not None:
                return [int(head), *rest]
    return None


def page_calls(page) -> tuple[list[int], list[int]]:
    """The page's calls in reading order, runs of adjacent calls split into their
    numbers; and the runs that had to be split."""
    markers = {note.number for note in page.notes}
    calls, runs = [], []
    for call in page.calls:
        split = None if call.number in markers else _split_call(str(call.number), markers)
        if split and len(split) > 1:
            runs.append(call.number)
            calls.extend(split)
        else:
            calls.append(call.number)
    return calls, runs


@pytest.fixture(scope="module", params=DOCUMENTS)
def real(request, tmp_path_factory):
    """(name, expected notes, pages read from the PDF, the build's warnings)."""
    name = request.param
    manuscript = REAL / f"{name}.md"
    out = tmp_path_factory.mktemp(name)
    result = run_build(str(manuscript), "-o", str(out), "--format", "pdf",
                       env={"FOLIO_LAYOUT_WORKERS": "2"}, timeout=900)
    assert result.returncode == 0, result.stderr
    expected = expected_notes(manuscript.read_text(encoding="utf-8"))
    return name, expected, read_pdf(out / name / f"{name}.pdf"), result.stderr.splitlines()


def test_every_note_is_printed_once_on_its_calls_page_in_order(real):
    name, expected, pages, warnings = real
    assert [w for w in warnings if "[note-misplaced]" in w] == []
    urls = [note for note in expected if not note.startswith("footnote:")]
    assert len(urls) > 30

    # The notes in page order are the manuscript's notes: none lost, none twice,
    # none out of order, none unknown -- but for a link to a URL already noted on its
    # page, which shows that note's number (one note per URL per page): as many as
    # the pages' calls repeat a number.
    known = set(urls)
    printed = [(page.number, note) for page in pages for note in page.notes]
    read = [note.text if note.text in known or note.text.startswith(("http://", "https://"))
            else "footnote:" + _letters(note.text)[:20] for _, note in printed]
    repeated_calls = sum(len(calls) - len(set(calls))
                         for calls in (page_calls(page)[0] for page in pages))
    expected = _without_repeats(expected, read, repeated_calls)
    if read != expected:
        missing, extra = Counter(expected) - Counter(read), Counter(read) - Counter(expected)
        first = next((i for i, pair in enumerate(zip(read, expected)) if pair[0] != pair[1]),
                     min(len(read), len(expected)))
        pytest.fail(f"{name}: {len(read)} notes printed, {len(expected)} expected; "
                    f"lost {dict(missing)}, extra {dict(extra)}; first difference at note "
                    f"{first} (page {printed[first][0] if first < len(printed) else '-'}): "
                    f"{read[first:first + 1]} for {expected[first:first + 1]}")
    assert all(note.number is not None for _, note in printed)

    # What notecheck.rule_violations reports on these documents, accounted for:
    violations = rule_violations(pages, urls, repeats_per_page=True)
    assert violations["lost"] == []
    # a footnote is no URL;
    footnotes = [n for n in expected if n.startswith("footnote:")]
    assert len(violations["unknown"]) == len(footnotes)
    # a URL linked in several paragraphs has a note on each of their pages, once.
    assert violations["twice"] == []
    assert violations["not_with_their_calls"] == []
    assert violations["out_of_order"] == []

    # Every page: its notes are the notes of its calls, in their order ...
    wrong = []
    for page in pages:
        calls, _ = page_calls(page)
        if list(dict.fromkeys(calls)) != [note.number for note in page.notes]:
            wrong.append((page.number, calls, [note.number for note in page.notes]))
    assert wrong == []
    # ... and a link note's URL is the target of a link on the same page.
    elsewhere = [(page.number, note.number, note.text) for page in pages
                 for note in page.notes if note.text in known
                 and note.text not in page.links]
    assert elsewhere == []


def test_a_reader_tells_every_note_number_on_a_page_apart(real):
    """Found with this file, fixed: a link's call and a footnote's call side by side
    read as one number ("toolchain¹¹¹²", node-building p. 7: now "¹¹,¹²"); the README,
    an article, numbered its sections' notes from 1 each, so a page held notes 303-306,
    then 1 and 2 (an article's notes now run on through it)."""
    name, _, pages, _ = real
    runs = [(page.number, run) for page in pages for run in page_calls(page)[1]]
    falling = []  # pages whose note numbers do not rise: a number twice, or from 1 again
    for page in pages:
        numbers = [note.number for note in page.notes]
        if any(b <= a for a, b in zip(numbers, numbers[1:])):
            falling.append((page.number, numbers))
    assert runs == [] and falling == []
