"""``parse.without_blank_wrappers`` and ``parse.thin_positions``: the ``+sourcepos``
wrappers of spaces and line breaks dropped from pandoc's JSON before it is read, and
those of the words whose place nothing asks for dropped after the guard, and nothing
else changed: each file read as the transforms get it, with every diagnostic at the
same place."""

from __future__ import annotations

import json

from folio import parse, pipeline
from folio.ast import visit
from folio.book import SourceFile
from folio.checks import is_wrapper
from folio.diagnostics import Reporter
from folio.pipeline import read_file

#: A little of everything whose reading asks for positions: checks that name a word
#: (a paragraph cut in two, a hyphenated word, a paragraph starting with a comma),
#: citations, marks, inline notes, line blocks with indents, a captioned table, task
#: lists, raw HTML links and anchors, maths, headings that skip, a missing image.
TEXT = """# A title

Some *text*, with [a link](https://example.org/a) and `code`,
over two lines  
with a hard break.

And this sentence, over two lines, is cut off
in the middle of

the paragraph by an empty line, as pages of a copied PDF leave it, and a para-

graph with a hyphenated word.

, a paragraph that starts with a comma.

As @doe99 shows [see @roe05, p. 12; @poe20], ==marked== text^[an inline note].

| The first line
|     indented by four
| and the last

| a | b |
|---|---|
| 1 | 2 |

Table: A caption {#tbl:one}

- [ ] open
- [x] done

A <a href="https://example.org/b">raw link</a> and <a id="here"></a> an anchor,
$E = mc^2$ and

$$a^2 + b^2 = c^2$$ {#eq:pythagoras}

#### Skipped

![](missing.png)

> A quote   with  spaces [and a link](#nowhere).
"""


def _read(text: str) -> tuple[str, list]:
    reporter = Reporter()
    file = SourceFile("book.md", None, text)
    parsed = parse.parse_markdown(file)
    blocks = read_file(file, parsed["blocks"], reporter, "en")
    return json.dumps(blocks), [(d.line, d.col, d.code, d.message) for d in reporter.items]


def test_spaces_and_line_breaks_come_unwrapped_and_words_keep_their_positions():
    parsed = parse.parse_markdown(SourceFile("book.md", None, TEXT))
    wrapped: dict[str, int] = {}

    def count(node) -> None:  # the wrappers that carry no id (``{#tbl:one}`` does)
        if (is_wrapper(node) and node["t"] == "Span" and not node["c"][0][0]
                and len(node["c"][1]) == 1):
            kind = node["c"][1][0]["t"]
            wrapped[kind] = wrapped.get(kind, 0) + 1

    visit(parsed["blocks"], count)
    assert wrapped.get("Str", 0) > 50
    assert "Space" not in wrapped and "SoftBreak" not in wrapped


def test_the_file_reads_the_same_with_every_diagnostic_where_it_was(monkeypatch):
    thin_blocks, thin_diagnostics = _read(TEXT)
    monkeypatch.setattr(parse, "without_blank_wrappers", lambda output: output)
    blocks, diagnostics = _read(TEXT)
    assert '"t": "Span", "c": [["", [], [["wrapper"' not in blocks
    assert thin_blocks == blocks
    assert {code for _, _, code, _ in diagnostics} >= {
        "broken-paragraph", "broken-word", "punctuation-start", "heading-skip"}
    assert thin_diagnostics == diagnostics
    assert all(line > 0 for line, _, _, _ in diagnostics)


def test_words_keep_their_wrappers_where_a_place_is_asked_for():
    blocks = parse.parse_markdown(SourceFile("book.md", None, TEXT))["blocks"]
    kept: list[str] = []

    def collect(node) -> None:
        if is_wrapper(node) and node["t"] == "Span" and node["c"][1][0]["t"] == "Str":
            kept.append(node["c"][1][0]["c"])

    before = len(json.dumps(blocks))
    visit(parse.thin_positions(blocks), collect)
    assert len(json.dumps(blocks)) < before * 0.8
    # A paragraph's first and last words; the syntax's characters; the word after a
    # line block's bar; "over" and "lines" of the first paragraph went.
    for word in ("Some", "And", "of", "@", "[", "=", "^", "|", "indented", "para", "-"):
        assert word in kept, word
    assert "over" not in kept and "lines" not in kept


def test_the_file_reads_the_same_without_the_words_wrappers(monkeypatch):
    thin_blocks, thin_diagnostics = _read(TEXT)
    monkeypatch.setattr(pipeline, "thin_positions", lambda blocks: blocks)
    blocks, diagnostics = _read(TEXT)
    assert thin_blocks == blocks
    assert thin_diagnostics == diagnostics


def test_text_that_spells_a_wrapper_is_left_alone():
    text = ('Code: `{"t":"Span","c":[["",[],[["wrapper","1"],["data-pos","1:1-1:2"]]],'
            '[{"t":"Space"}]]}` and the same as text: {"t":"Span","c":[["",[],'
            '[["wrapper","1"],["data-pos","1:1-1:2"]]],[{"t":"Space"}]]}\n')
    thin_blocks, _ = _read(text)
    assert '{\\"t\\":\\"Space\\"}' in thin_blocks
    assert thin_blocks.count('wrapper') == 2  # the two spelled-out ones, as text
