"""Raw HTML links (``transforms.rawhtml.link_raw_anchors``): a raw ``<a href=URL>``
with its ``</a>`` in one paragraph becomes a ``Link``, so that it gets a note like a
Markdown link; every other raw anchor stays raw HTML, resolved as before. Fast:
pandoc reads a few lines, nothing is laid out."""

from __future__ import annotations

import json

from folio.ast import visit
from folio.book import load_book
from folio.diagnostics import Reporter
from folio.formats.notes import AtChapterEnd, AtPageFoot, NoteCounter, place_notes
from folio.parse import parse_markdown, unwrap_positions
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
        '[Markdown <a href="https://in.example/">in</a>](https://out.example/)\n\n'
        '<p><a href="https://block.example/">a block</a></p>\n'))
    assert [link["c"][2][0] for link in _of(blocks, "Link")] == ["https://out.example/"]
    assert len(_of(blocks, "RawBlock")) == 1


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
