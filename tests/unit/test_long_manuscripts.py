"""A whole book in one file is parsed in pieces cut at its top-level headings
(``parse.pieces_of``) and rendered in batches (``formats.render``): the result is
the same as in one pandoc run, positions, notes and link references included."""

from __future__ import annotations

import json
import re

import folio.formats.render as render
import folio.parse as parse
from folio.book import SourceFile
from folio.formats.render import render_pieces

TEXT = "\n".join(
    f"# Chapter {n}\n\nText of chapter {n} with a note[^n{n}] and a link to [the site]"
    f"[site] and to the first note[^n1].\n\n```\n# not a heading {n}\n```\n\n"
    "- a list item\n\n  # not a cut inside a list item\n" for n in range(1, 40)
) + "\n" + "\n".join(f"[^n{n}]: Note {n}\n    goes on.\n" for n in range(1, 40)) + \
    "\n[site]: https://example.org/site\n"


def test_a_long_file_is_parsed_in_pieces_with_the_same_result(monkeypatch, tmp_path):
    source = SourceFile("book.md", tmp_path / "book.md", TEXT)
    whole = parse.parse_markdown(source)
    monkeypatch.setattr(parse, "PIECE_CHARACTERS", 1500)
    assert len(parse.pieces_of(TEXT)) > 3
    assert all(piece.count("\n") == TEXT.count("\n") for piece in parse.pieces_of(TEXT)), \
        "every piece keeps the file's lines where they are"
    pieces = parse.parse_markdown(source)
    assert plain(pieces) == plain(whole)
    # Where each element starts is the same (a block before a run of blank lines may
    # end later: the blanked lines of the other pieces are blank lines to pandoc).
    assert starts(pieces) == starts(whole)


def plain(document: dict) -> str:
    """The blocks without positions, and without the ids pandoc made for headings
    (each run numbers its duplicates from 1; folio gives every heading its id)."""
    text = json.dumps(parse.strip_positions(parse.unwrap_positions(document["blocks"])))
    return re.sub(r'("t": "Header", "c": \[\d+, \[)"[^"]*"', r'\1""', text)


def starts(document: dict) -> list[str]:
    return re.findall(r'"data-pos", "(\d+:\d+)-', json.dumps(document["blocks"]))


def test_pieces_are_rendered_in_batches_with_the_same_result(monkeypatch, tmp_path):
    # Pieces hold no footnotes when they are rendered (the notes are placed before).
    text = TEXT.replace("[^n", "[n")
    document = parse.parse_markdown(SourceFile("book.md", tmp_path / "book.md", text))
    pieces = [[block] for block in parse.unwrap_positions(document["blocks"])] + [[]]
    api = document["pandoc-api-version"]
    whole = render_pieces(pieces, api, "book.md")
    monkeypatch.setattr(render, "BATCH_CHARACTERS", 2000)
    assert render_pieces(pieces, api, "book.md") == whole
    assert whole[-1] == "" and "example.org/site" in "".join(whole)


def test_batches_are_as_few_as_the_limit_allows_and_about_even():
    # 8.2 million characters of pieces under a limit of 8: two runs of about 4.1
    # (one of 8 and one of 0.2 before), none over the limit, in order.
    sizes = [140_000] * 58 + [80_000]
    batches = render.even_batches(sizes, 8_000_000)
    assert [i for batch in batches for i in batch] == list(range(len(sizes)))
    totals = [sum(sizes[i] for i in batch) for batch in batches]
    assert len(batches) == 2 and max(totals) - min(totals) <= 140_000
    assert render.even_batches([9, 1, 1], 5) == [[0], [1, 2]], "a long piece alone"
    assert render.even_batches([1] * 4, 8) == [[0, 1, 2, 3]]


def test_enough_text_is_rendered_in_a_run_per_core(monkeypatch):
    """Pieces of more than ``RUN_CHARACTERS`` go to one pandoc run per core, evenly
    and in order; what comes back is what one run gives."""
    assert render.even_batches([1] * 6, 100, at_least=2) == [[0, 1, 2], [3, 4, 5]]
    assert render.even_batches([1], 100, at_least=4) == [[0]], "no run without a piece"
    runs = []
    real = render.run_pandoc
    monkeypatch.setattr(render, "run_pandoc",
                        lambda args, text, display: runs.append(1) or real(args, text, display))
    api = [1, 23, 1]
    pieces = [[{"t": "Para", "c": [{"t": "Str", "c": f"piece{n}"}]}] for n in range(8)]
    one = render_pieces(pieces, api, "book.md")
    assert len(runs) == 1
    monkeypatch.setattr(render, "RUN_CHARACTERS", 100)
    monkeypatch.setattr(render.os, "cpu_count", lambda: 2)
    assert render_pieces(pieces, api, "book.md") == one
    assert len(runs) == 3, "two runs for two cores"


def test_pandoc_reads_its_input_piece_by_piece_as_it_reads_a_text():
    """``run_pandoc`` given the pieces of its input (a render batch, never joined)
    gives what the whole text gives; a piece pandoc cannot read is a clear error,
    not a hang."""
    document = json.dumps({"pandoc-api-version": parse.api_version(), "meta": {},
                           "blocks": [{"t": "Para", "c": [{"t": "Str", "c": "x" * 200_000}]}]})
    pieces = (document[start:start + 65_536] for start in range(0, len(document), 65_536))
    args = ["-f", "json", "-t", "html5"]
    assert parse.run_pandoc(args, pieces, "book.md") == \
        parse.run_pandoc(args, document, "book.md")
    try:
        parse.run_pandoc(args, iter(['{"not":', "pandoc"] * 200_000), "book.md")
    except parse.BuildError as error:
        assert "pandoc failed" in str(error) and error.diagnostic.path == "book.md"
    else:
        raise AssertionError("broken JSON was rendered")
