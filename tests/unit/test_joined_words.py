"""``render.joined_words``: the runs of words and spaces in a piece joined into one
``Str`` before pandoc renders it, and the HTML pandoc makes of the piece unchanged,
for the inlines of every kind (a space at the edge of an emphasis, a line break in
the source, quotes, line blocks, notes, citations, tables) and for the pieces the
three formats make of a book."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from folio.ast import visit
from folio.book import SourceFile
from folio.diagnostics import Reporter
from folio.formats.epub.builder import EpubBuilder
from folio.formats.html.builder import HtmlBuilder
from folio.formats.pdf.builder import PdfBuilder
from folio.formats.render import joined_words, piece_json, piece_texts, render_texts
from folio.parse import parse_markdown, strip_positions, unwrap_positions
from folio.pipeline import read_book

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

TEXT = """# A heading with *emphasis* and `code`

Words over
two lines,  
a hard break, *a space at the end *and* at the start of * an emphasis*,
"double" and 'single' quotes, it's, **strong _nested_ text**, ~~struck~~,
H~2~O, x^2^, [small caps]{.smallcaps}, [a span]{#here .mark} and a
[link *with* emphasis](https://example.org/a "A title") and
![an image's alt text](figure.png), $E = mc^2$, <b>raw</b> HTML, a note[^n] and
@doe99 [see @roe05, p. 12].

[^n]: A note with two  spaces and a [link](https://example.org/b).

| Line blocks
|    keep their indents
| and their breaks

Term
: Its definition, with words.

| a | b c |
|---|-----|
| one two | three |

Table: A caption with words

- an item
- another item with *more* words

> A quote with words.

Tab\there, non-breaking spaces and emoji: \u263a\ufe0f \u2764\ufe0e end.
"""


def _blocks(text: str) -> list:
    return unwrap_positions(parse_markdown(SourceFile("book.md", None, text))["blocks"])


def _render(texts: list[str]) -> list[str]:
    return render_texts(texts, [1, 23, 1], "book.md")


def test_runs_of_words_and_spaces_become_one_string():
    joined = joined_words(_blocks("Some words over\ntwo *lines and* more.\n"))
    assert joined == [{"t": "Para", "c": [
        {"t": "Str", "c": "Some words over two "},
        {"t": "Emph", "c": [{"t": "Str", "c": "lines and"}]},
        {"t": "Str", "c": " more."}]}]


def test_no_word_or_space_is_left_beside_another_and_no_text_is_lost():
    blocks = _blocks(TEXT)
    text_before = _text_of(blocks)
    joined = joined_words(copy.deepcopy(blocks))
    assert _text_of(joined) == text_before
    neighbours: list[str] = []

    def check(node) -> None:
        content = node.get("c")
        if isinstance(content, list):
            for a, b in zip(content, content[1:]):
                if (isinstance(a, dict) and isinstance(b, dict)
                        and {a.get("t"), b.get("t")} <= {"Str", "Space", "SoftBreak"}):
                    neighbours.append(f"{a} {b}")

    visit(joined, check)
    assert neighbours == []
    assert len(json.dumps(joined)) < 0.7 * len(json.dumps(blocks))


def _text_of(blocks: list) -> str:
    words: list[str] = []

    def collect(node) -> None:
        if node["t"] == "Str":
            words.append(node["c"])
        elif node["t"] in ("Space", "SoftBreak"):
            words.append(" ")

    visit(blocks, collect)
    return "".join(words)


def test_pandoc_renders_the_joined_piece_to_the_same_html():
    blocks = strip_positions(_blocks(TEXT))
    plain = json.dumps(blocks, separators=(",", ":"))
    joined = piece_json(copy.deepcopy(blocks))
    assert len(joined) < 0.7 * len(plain)
    (html,), (html_joined,) = _render([plain]), _render([joined])  # one note each
    assert "a space at the end <em>and</em> at the start of" in html
    assert "<br>" in html and "<sup>2</sup>" in html and "‘single’" in html
    assert html_joined == html


@pytest.mark.parametrize("builder", [PdfBuilder, EpubBuilder, HtmlBuilder],
                         ids=["pdf", "epub", "html"])
@pytest.mark.parametrize("book", ["text", "footnotes"])
def test_every_formats_pieces_render_as_without_joining(builder, book, tmp_path):
    """The pieces of ``TEXT`` read as a book (line blocks, citations, captions, notes)
    and of a book with many notes, link notes and raw HTML."""
    if book == "text":
        source = tmp_path / "book.md"
        source.write_text(TEXT, encoding="utf-8")
    else:
        source = FIXTURES / "messy" / "footnotes.md"
    document = read_book(source, Reporter())
    pieces = builder().pieces(document, {})
    plain = [json.dumps(strip_positions(copy.deepcopy(piece)), separators=(",", ":"))
             for piece in pieces]
    joined = piece_texts(pieces)
    assert sum(map(len, joined)) < 0.8 * sum(map(len, plain))
    html = _render(plain)
    assert _render(joined) == html
    if book == "text":
        assert "keep their indents" in "".join(html)
