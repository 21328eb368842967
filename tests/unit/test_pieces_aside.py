"""``pipeline._pieces_aside``: the EPUB's and the reading page's pieces are made and
rendered in a child forked with the book, the same fragments as made here, and what
the child gave the render memo comes back to this process's memo."""

import os

from folio.diagnostics import Reporter
from folio.formats import BUILDERS
from folio.formats.render import RenderMemo
from folio.pipeline import _in_order, _pieces_aside, _render, read_book

BOOK = """---
title: Aside
lang: en
---

# One

A paragraph with a [link](https://example.org/one) and a note.[^1]

[^1]: The note.

# Two

Another paragraph, with `code` and *emphasis*.
"""


def _builders():
    return [BUILDERS[name]() for name in ("epub", "pdf", "html")]


def test_the_childs_fragments_are_those_made_here_and_the_memo_learns_them(tmp_path):
    source = tmp_path / "aside.md"
    source.write_text(BOOK, encoding="utf-8")
    document = read_book(source, Reporter())
    builders = _builders()
    rest = _in_order([b for b in builders if not b.isolated], builders)
    here, _ = _render(document, rest, {}, None)
    memo = RenderMemo(tmp_path / "memo.pickle")
    with _pieces_aside(document, builders, {}, memo) as aside:
        assert aside is not None and aside.pid != os.getpid()
        fragments, seconds, (used, chapters_used) = aside.ask()
    assert fragments == here
    assert seconds > 0
    # Every fragment rendered there, and each chapter's piece, is known to the memo's
    # tables as the child filled them (``_write_formats`` adds them to this memo).
    assert set(used.values()) == {f for pieces in here for f in pieces}
    assert len(chapters_used) == len(rest) * len(document.chapters)
    assert not memo.used, "this process's memo is filled by the caller, not the child"


def test_no_child_without_a_builder_laid_out_aside_or_without_others():
    document = None  # not read: no child is made, so nothing reads it
    with _pieces_aside(document, [BUILDERS["epub"](), BUILDERS["html"]()], {}, None) as aside:
        assert aside is None
    with _pieces_aside(document, [BUILDERS["pdf"]()], {}, None) as aside:
        assert aside is None


def test_the_child_is_not_under_the_layouts_time_limit(tmp_path, monkeypatch):
    source = tmp_path / "aside.md"
    source.write_text(BOOK, encoding="utf-8")
    document = read_book(source, Reporter())
    monkeypatch.setenv("FOLIO_LAYOUT_TIMEOUT", "0.001")  # for the PDF's layout only
    with _pieces_aside(document, _builders(), {}, None) as aside:
        fragments, _, memo_tables = aside.ask()
    assert len(fragments) == 2 and memo_tables is None
