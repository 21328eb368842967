"""Scholarly syntax (issue 14), fast: what transforms/syntax.py reads from pandoc's
AST, hostile TeX, the index's order and page ranges, and the code colours."""

from __future__ import annotations

import time

import pytest

from folio.book import load_book
from folio.diagnostics import Reporter
from folio.formats.code import CODE_STYLES, code_block, code_css, contrast, line_runs, runs_html
from folio.formats.maths import mathml_markup
from folio.formats.pdf.index import fill_index, page_ranges
from folio.parse import parse_markdown, unwrap_positions
from folio.safety import sanitise_fragment
from folio.transforms.index import first_letter, sort_key
from folio.transforms.maths import convert_maths
from folio.transforms.syntax import read_syntax


def _read(tmp_path, text: str) -> list:
    path = tmp_path / "book.md"
    path.write_text("---\ntitle: T\nlang: en\n---\n\n" + text, encoding="utf-8")
    source = load_book(path)
    return unwrap_positions(read_syntax(parse_markdown(source.files[0])["blocks"]))


def _find(tree, kind: str) -> list[dict]:
    found = []

    def visit(node):
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if node.get("t") == kind:
                found.append(node)
            for value in node.values():
                visit(value)
    visit(tree)
    return found


def test_citations_are_read_with_prefix_locator_and_mode(tmp_path):
    blocks = _read(tmp_path, "See [see @knuth1984, p. 12; -@doe] and @roe [p. 3], "
                             "not ada@example.org.\n")
    cites = _find(blocks, "Cite")
    assert [[c["citationId"] for c in cite["c"][0]] for cite in cites] == \
        [["knuth1984", "doe"], ["roe"]]
    first, second = cites[0]["c"][0]
    assert first["citationPrefix"] == [{"t": "Str", "c": "see"}]
    assert first["citationSuffix"][-1] == {"t": "Str", "c": "p.\u00a012"}
    assert second["citationMode"]["t"] == "SuppressAuthor"
    assert cites[1]["c"][0][0]["citationMode"]["t"] == "AuthorInText"
    spans = [s for s in _find(blocks, "Span") if "folio-cite" in s["c"][0][1]]
    assert dict(spans[0]["c"][0][2])["data-pos"].startswith("6:5")


def test_marks_tasks_captions_line_blocks_and_inline_notes(tmp_path):
    blocks = _read(tmp_path, "A ==marked\ntext== and ^[a *note*].\n\n- [ ] open\n- [x] done\n\n"
                             "| a |\n|---|\n| 1 |\n\nTable: Results {#tbl:r}\n\n"
                             "| one\n|   two\n")
    spans = _find(blocks, "Span")
    assert any(s["c"][0][1] == ["mark"] for s in spans)
    assert len(_find(blocks, "Note")) == 1
    boxes = [s["c"][1][0]["c"] for s in spans if "task" in s["c"][0][1]]
    assert boxes == ["\u2610", "\u2611"]
    table = _find(blocks, "Table")[0]
    assert table["c"][0][0] == "tbl:r" and table["c"][1][1], "caption and id"
    line_block = _find(blocks, "LineBlock")[0]
    assert line_block["c"][1][0] == {"t": "Str", "c": "\u00a0\u00a0"}, "indent kept"


def _formulas(tmp_path, tex: list[str]):
    text = " ".join(f"${t}$" for t in tex) + "\n"
    blocks = _read(tmp_path, text)
    reporter = Reporter()
    started = time.monotonic()
    converted = convert_maths([blocks], ["book.md"], reporter)
    return converted, reporter, time.monotonic() - started


@pytest.mark.parametrize("tex, code", [
    (r"\def\a{\a\a}\a", "bad-math"),
    (r"\newcommand{\b}{\b\b\b\b\b\b\b\b}\b", "bad-math"),
    ("{" * 10000 + "x" + "}" * 10000, "bad-math"),
    (r"\frac{a}{b} \begin{matrix}", "bad-math"),
    (r"\unknowncommand x", "bad-math"),
])
def test_hostile_tex_is_a_warning_and_printed_as_code(tmp_path, tex, code):
    blocks, reporter, _seconds = _formulas(tmp_path, [tex])
    assert [d.code for d in reporter.items] == [code]
    assert reporter.items[0].line == 6
    assert _find(blocks, "Code")[0]["c"][1] == tex


def test_tex_cannot_link_or_style(tmp_path):
    blocks, reporter, _ = _formulas(tmp_path, [r"\href{javascript:alert(1)}{x} + "
                                               r"\style{color:red}{y} + \url{http://e.org}"])
    assert [d.code for d in reporter.items] == ["unsafe-math"]
    span = next(s for s in _find(blocks, "Span") if "folio-math" in s["c"][0][1])
    mathml = dict(span["c"][0][2])["mathml"]
    markup = sanitise_fragment(mathml_markup(mathml, "x", False))
    for needle in ("href", "javascript", "style", "http"):
        assert needle not in markup.replace('alttext="x"', "")
    assert "<mi>x</mi>" in markup and "<mi>y</mi>" in markup


def test_sanitiser_keeps_presentation_mathml_only():
    clean = sanitise_fragment('<p><math display="block" alttext="x"><mrow href="javascript:x">'
                              '<mi class="c" style="color:red">x</mi></mrow><annotation-xml>'
                              '<img src=x onerror=alert(1)></annotation-xml></math></p>')
    assert clean.startswith('<p><math display="block" alttext="x"><mrow><mi')
    for needle in ("href", "javascript", "style", "annotation-xml", "onerror", "src="):
        assert needle not in clean


def test_index_sorts_as_a_dictionary_does():
    words = ["Zahl", "Äpfel", "apfel", "Birne", "Österreich", "Oase", "ähnlich"]
    # German dictionaries (DIN 5007-1): umlauts with their vowels, case after letters.
    assert sorted(words, key=sort_key) == ["ähnlich", "apfel", "Äpfel", "Birne", "Oase",
                                           "Österreich", "Zahl"]
    assert first_letter("Österreich") == "O" and first_letter("3D") == ""


def test_index_pages_each_once_and_runs_merged():
    assert page_ranges([12, 13, 14, 14, 20, 3]) == [(3, 3), (12, 14), (20, 20)]
    markup = ('<li>Term <span class="index-locators" data-anchors="idx-1 idx-2 idx-3 idx-4">'
              '<a class="index-locator pending" href="#idx-1"></a></span></li>')
    filled = fill_index(markup, {"idx-1": 12, "idx-2": 13, "idx-3": 13, "idx-4": 20})
    assert filled == ('<li>Term <span class="index-locators"><a class="index-locator" '
                      'href="#idx-1">12\u201313</a>, <a class="index-locator" '
                      'href="#idx-4">20</a></span></li>')


def test_code_is_highlighted_and_every_colour_has_its_contrast():
    lines = [runs_html(runs) for runs in
             line_runs("def f(x):\n    return x  # c\n", ["python", "numberLines"])]
    assert len(lines) == 2 and '<span class="k">def</span>' in lines[0]
    assert line_runs("x", ["no-such-language"]) == [[("", "x")]], "plain without a lexer"
    # Highlighted and cut to the measure: the token spans go on in the continuation.
    block = code_block({"t": "CodeBlock", "c": [["", ["python"], []],
                        "value = compute('a long string that runs on', other_argument)"]},
                       30)["c"][1]
    assert block.count('class="line') == 3 and block.count('class="line cont"') == 2
    assert '<span class="s1">' in block.split('class="line cont"')[1], "a string token"
    for use, (_style, background, least, colours) in CODE_STYLES.items():
        css = code_css(use)
        found = [part.split(";")[0] for part in css.split("color: ")[1:]]
        assert bool(found) == colours, use
        assert all(contrast(colour, background) >= least for colour in found), use


def test_a_table_anywhere_gets_its_caption_when_the_file_is_read(tmp_path):
    """The guard's pass tells which kinds of node a file has; a table in a quotation
    or a footnote is found by it, and its caption is read."""
    from folio.guard import guard_file
    from folio.pipeline import read_file

    path = tmp_path / "book.md"
    path.write_text("---\ntitle: T\nlang: en\n---\n\nText.[^1]\n\n> | a | b |\n> |---|---|\n"
                    "> | 1 | 2 |\n>\n> Table: In a quotation {#tbl:q}\n\n"
                    "[^1]: A note.\n\n    | c |\n    |---|\n    | 3 |\n\n"
                    "    Table: In a note\n", encoding="utf-8")
    file = load_book(path).files[0]
    assert "Table" in guard_file(file, parse_markdown(file)["blocks"], Reporter())
    tables = _find(read_file(file, parse_markdown(file)["blocks"], Reporter()), "Table")
    assert len(tables) == 2 and all(table["c"][1][1] for table in tables), "both captioned"
    assert "tbl:q" in [table["c"][0][0] for table in tables]


def test_a_file_without_tables_is_not_searched_for_them(tmp_path, monkeypatch):
    from folio.guard import guard_file
    from folio.pipeline import read_file
    from folio.transforms import syntax

    path = tmp_path / "book.md"
    path.write_text("---\ntitle: T\nlang: en\n---\n\nJust *text*.[^1]\n\n[^1]: A note.\n",
                    encoding="utf-8")
    file = load_book(path).files[0]
    assert "Table" not in guard_file(file, parse_markdown(file)["blocks"], Reporter())
    searched = []
    monkeypatch.setattr(syntax, "_lists_of_blocks", searched.append)
    read_file(file, parse_markdown(file)["blocks"], Reporter())
    assert searched == []
