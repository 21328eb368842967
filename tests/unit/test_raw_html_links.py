"""Raw HTML links (``transforms.rawhtml.link_raw_anchors``): a raw ``<a href=URL>``
with its ``</a>`` in one paragraph, or in one block of raw HTML, becomes a ``Link``,
so that it gets a note like a Markdown link; every other raw anchor stays raw HTML,
resolved as before. Fast: pandoc reads a few lines, nothing is laid out."""

from __future__ import annotations

import json

from folio.ast import visit
from folio.book import load_book
from folio.diagnostics import Reporter
from folio.formats.notes import AtChapterEnd, AtPageFoot, NoteCounter, place_notes
from folio.formats.render import render_pieces
from folio.linkcheck import external_links
from folio.parse import api_version, parse_markdown, unwrap_positions
from folio.pipeline import read_book
from folio.transforms.rawhtml import link_raw_anchors
from folio.transforms.syntax import read_syntax

FRONT = "---\ntitle: T\nlang: en\n---\n\n"


def _write(tmp_path, text: str):
    path = tmp_path / "book.md"
    path.write_text(FRONT + text, encoding="utf-8")
    return path


def _blocks(tmp_path, text: str) -> list:
    """``text`` parsed and read as ``pipeline.read_book`` reads it, up to the links."""
    source = load_book(_write(tmp_path, text))
    wrapped = parse_markdown(source.files[0])["blocks"]
    return unwrap_positions(link_raw_anchors(read_syntax(wrapped)))


def _of(tree, kind: str) -> list[dict]:
    found: list[dict] = []
    visit(tree, lambda node: found.append(node) if node["t"] == kind else None)
    return found


def test_a_raw_link_to_a_url_becomes_a_link_with_its_title_id_and_classes(tmp_path):
    line = ('See <a href=" https://example.org/a?b=1&amp;c=2" title="The site" id="ex" '
            'class="big red" target="_blank" style="color: red">the *site*</a> now.')
    blocks = _blocks(tmp_path, line + "\n\n# Heading <A HREF=https://h.example/>h</A>\n")
    links = _of(blocks, "Link")
    assert [link["c"][2] for link in links] == [
        ["https://example.org/a?b=1&c=2", "The site"], ["https://h.example/", ""]]
    attr, content, _ = links[0]["c"]
    assert attr[0] == "ex" and attr[1] == ["big", "red"]
    # Its position runs from its start tag to its end tag (lines count the front matter).
    end = line.index("</a>") + len("</a>") + 1
    assert attr[2] == [["data-pos", f"6:5-6:{end}"]]
    assert content[-1] == {"t": "Emph", "c": [{"t": "Str", "c": "site"}]}
    assert not [raw for raw in _of(blocks, "RawInline") if "<a" in raw["c"][1].lower()
                or "</a" in raw["c"][1].lower()], "both tags are gone"


def test_other_raw_anchors_stay_raw_html(tmp_path):
    blocks = _blocks(tmp_path, (
        'Nested <a href="https://a.example/">one <a href="https://b.example/">two</a></a>.\n\n'
        'Deeper <a href="https://a.example/">one *<a href="https://b.example/">two</a>*</a>.\n\n'
        'Unclosed <a href="https://a.example/">and *emphasis</a>* across.\n\n'
        'Named <a name="n">anchor</a>, internal <a href="#n">link</a>, '
        '<a href="javascript:alert(1)">script</a>.\n\n'
        '[Markdown <a href="https://in.example/">in</a>](https://out.example/)\n'))
    assert [link["c"][2][0] for link in _of(blocks, "Link")] == ["https://out.example/"]


def test_the_raw_link_is_noted_like_a_markdown_link(tmp_path):
    reporter = Reporter()
    text = ('A <a href="https://raw.example/page">raw link</a> and a '
            '[Markdown one](https://md.example/).\n\n'
            'An <a href="javascript:alert(1)">unsafe one</a> and a '
            '<a href="#nowhere">broken one</a>.\n')
    document = read_book(_write(tmp_path, text), reporter)
    blocks = document.chapters[0].blocks
    assert [(link["c"][0][1], link["c"][2][0]) for link in _of(blocks, "Link")] == [
        (["folio-ext"], "https://raw.example/page"), (["folio-ext"], "https://md.example/")]
    foot = place_notes(json.loads(json.dumps(blocks)), AtPageFoot())
    notes = [raw["c"][1].replace("\u200b", "") for raw in _of(foot, "RawInline")
             if "link-note" in raw["c"][1]]
    assert len(notes) == 2 and "https://raw.example/page</span>" in notes[0]
    at_end = AtChapterEnd(NoteCounter())
    place_notes(json.loads(json.dumps(blocks)), at_end)
    assert [n.kind for n in at_end.notes] == ["link", "link"]
    # Raw links that are not external keep their warnings as before.
    warnings = [(d.line, d.code, d.message) for d in reporter.items]
    assert (8, "unsafe-link", "raw HTML link uses the scheme 'javascript:', which is never "
            "made a live link; it is printed as plain text") in warnings
    assert any(line == 8 and code == "missing-anchor" for line, code, _ in warnings)


# --- in blocks of raw HTML ------------------------------------------------------------

def _parsed(tmp_path, text: str) -> list:
    """``text`` as pandoc reads it, without the links read."""
    return unwrap_positions(parse_markdown(load_book(_write(tmp_path, text)).files[0])["blocks"])


def _html(blocks: list) -> str:
    return render_pieces([blocks], api_version(), "book.md")[0]


def test_a_raw_link_in_a_block_of_raw_html_becomes_a_link_in_the_markup_as_written(tmp_path):
    block = ('<p align="center">\n'
             '  See <a href="https://example.org/guide" aria-label="Guide" target="_blank">the '
             '<b>guide</b> &amp; more</a> and\n'
             '  <A HREF=https://example.com/x TITLE="X">this</A >.\n'
             '</p>\n')
    blocks = _blocks(tmp_path, block)
    assert [node["t"] for node in blocks] == ["Plain"], "one block of inlines, no RawBlock"
    links = _of(blocks, "Link")
    assert [link["c"][2] for link in links] == [["https://example.org/guide", ""],
                                                ["https://example.com/x", "X"]]
    # Positions in the file (the front matter is 5 lines): from "<a" to after "</a>".
    assert [link["c"][0][2] for link in links] == [
        [["aria-label", "Guide"], ["data-pos", "7:7-7:109"]], [["data-pos", "8:3-8:52"]]]
    assert links[0]["c"][1] == [
        {"t": "Str", "c": "the"}, {"t": "Space"}, {"t": "RawInline", "c": ["html", "<b>"]},
        {"t": "Str", "c": "guide"}, {"t": "RawInline", "c": ["html", "</b>"]}, {"t": "Space"},
        {"t": "Str", "c": "&"}, {"t": "Space"}, {"t": "Str", "c": "more"}]
    # A link that is a block of its own; a line break in its text is a SoftBreak,
    # written as a space (as in a Markdown paragraph: --wrap=none).
    alone = _of(_blocks(tmp_path, '<a href="https://alone.example/">\nAlone\n</a>\n'), "Link")
    assert [link["c"][1] for link in alone] == [
        [{"t": "SoftBreak"}, {"t": "Str", "c": "Alone"}, {"t": "SoftBreak"}]]
    # pandoc writes the markup around the links as it was, the links as links.
    assert _html(blocks) == (
        '<p>\n  See <a href="https://example.org/guide" aria-label="Guide">the <b>guide</b> '
        '&amp; more</a> and\n  <a href="https://example.com/x" title="X">this</a>.\n</p>')


def test_blocks_of_raw_html_are_written_as_before(tmp_path):
    """Where nothing but the links changes, the HTML is the same as without the pass."""
    text = ('<div><a href="https://d.example/">div</a> <a href="#top">top</a></div>\n\n'
            '<table border="1"><tr><td>A <a href="https://t.example/?a=1&amp;b=2">cell'
            '<br>link</a></td>\n<td><a href="https://t.example/2"><img src="x.png" alt="x">'
            '</a></td></tr></table>\n\n'
            '<pre>\n  <a href="https://pre.example/">x   y\n  z</a>\n</pre>\n')
    blocks = _blocks(tmp_path, text)
    assert [link["c"][2][0] for link in _of(blocks, "Link")] == [
        "https://d.example/", "https://t.example/?a=1&b=2", "https://t.example/2",
        "https://pre.example/"]
    assert not _of(blocks, "RawBlock")
    assert _of(blocks, "Link")[3]["c"][1] == [{"t": "Str", "c": "x   y\n  z"}], \
        "in <pre> the text keeps its white space"
    assert _html(blocks) == _html(_parsed(tmp_path, text))


def test_raw_links_in_blocks_that_stay_raw_html(tmp_path):
    text = ('<div><!-- <a href="https://comment.example/">c</a> --></div>\n\n'
            '<div><script>var a = \'<a href="https://script.example/">s</a>\';</script>'
            '<textarea><a href="https://textarea.example/">t</a></textarea>'
            '<svg><a href="https://svg.example/">v</a></svg></div>\n\n'
            '<div><a href="https://out.example/">o <a href="https://in.example/">i</a></a>'
            '</div>\n\n'
            '<div><a href="https://around.example/"><title>x</title></a></div>\n\n'
            '<div><a href="#top">internal</a>, <a href="javascript:alert(1)">js</a>, '
            '<a name="n">named</a>, <a href="https://open.example/">never closed</div>\n\n'
            '<div><a href="https://split.example/">\n\nclosed in another block</a></div>\n\n'
            '<!-- never closed <a href="https://uc.example/">x</a>\n')
    blocks = _blocks(tmp_path, text)
    assert _of(blocks, "Link") == []
    assert blocks == _parsed(tmp_path, text)


def test_raw_links_in_lists_and_quotes_get_their_lines(tmp_path):
    text = ('- item\n\n  <div>\n  <a href="https://li.example/">li</a></div>\n\n'
            '> <p>quote\n> <a href="https://q.example/">q</a></p>\n')
    links = _of(_blocks(tmp_path, text), "Link")
    assert [(link["c"][2][0], link["c"][0][2]) for link in links] == [
        ("https://li.example/", [["data-pos", "9:3-9:39"]]),
        ("https://q.example/", [["data-pos", "12:3-12:37"]])]


def test_a_raw_link_in_a_block_is_noted_checked_and_warned_about_as_markdown_ones(tmp_path):
    reporter = Reporter()
    text = ('A [first](https://md.example/one).\n\n'
            '<p align="center">\n'
            '  The <a href="https://block.example/guide">guide</a>, the\n'
            '  <a href="https://block.example/100%zz">bad one</a>, and <a href="#nowhere">x</a>\n'
            '</p>\n\n'
            'A [last](https://md.example/two).\n')
    document = read_book(_write(tmp_path, text), reporter)
    blocks = document.chapters[0].blocks
    assert [(link["c"][0][1], link["c"][2][0]) for link in _of(blocks, "Link")] == [
        (["folio-ext"], "https://md.example/one"),
        (["folio-ext"], "https://block.example/guide"),
        (["folio-ext"], "https://block.example/100%25zz"),
        (["folio-ext"], "https://md.example/two")]
    foot = AtPageFoot()
    place_notes(json.loads(json.dumps(blocks)), foot)
    assert foot.lines == [6, 9, 10, 13], "a note for each, in order, at its link's line"
    at_end = AtChapterEnd(NoteCounter())
    place_notes(json.loads(json.dumps(blocks)), at_end)
    assert [n.kind for n in at_end.notes] == ["link"] * 4
    places = external_links(document)
    assert [(p.line, p.col, p.text) for p in places["https://block.example/guide"]] == [
        (9, 7, "guide")], "checked with --check-links, at its place"
    warnings = [(d.line, d.col, d.code) for d in reporter.items]
    assert (10, 3, "bad-url") in warnings
    assert (10, 59, "missing-anchor") in warnings, "as before: still raw"
