"""Which layout a manuscript gets, and metadata words folio does not know
(issue 13: ``chapter-start: left`` was accepted silently)."""

from __future__ import annotations

from folio.book import RawMetadata
from folio.diagnostics import Reporter
from folio.metadata import complete_metadata, read_metadata
from folio.transforms.structure import layout_of


def _heading(level: int) -> dict:
    return {"t": "Header", "c": [level, ["", [], []], [{"t": "Str", "c": "x"}]]}


PARA = {"t": "Para", "c": [{"t": "Str", "c": "text"}]}


def _metadata(**values):
    return complete_metadata(values, "Title", "en", False)


def test_one_top_level_section_is_an_article_several_are_a_book():
    book = _metadata()
    assert layout_of([[PARA, PARA]], book) == "article"                   # no heading
    assert layout_of([[_heading(2), PARA, _heading(3), _heading(3)]], book) == "article"
    assert layout_of([[_heading(1), PARA, _heading(1), PARA]], book) == "book"
    assert layout_of([[_heading(2)], [_heading(2)]], book) == "book"      # a book folder
    assert layout_of([[_heading(1), _heading(1)]], _metadata(layout="article")) == "article"
    assert layout_of([[PARA]], _metadata(layout="book")) == "book"


def test_unknown_words_for_chapter_start_and_layout_are_warned_about_with_their_line():
    reporter = Reporter()
    raw = RawMetadata({"chapter-start": "left", "layout": "Magazine", "title": "T"},
                      {"chapter-start": 4, "layout": 5, "title": 2}, "book.yaml", True)
    clean = read_metadata(raw, reporter)
    assert "chapter-start" not in clean and "layout" not in clean
    found = [(d.line, d.code, d.message) for d in reporter.items]
    assert found[0][:2] == (4, "metadata-value") and "use any or right" in found[0][2]
    assert found[1][:2] == (5, "metadata-value") and "use book or article" in found[1][2]
    assert read_metadata(RawMetadata({"layout": "Article"}, {}, "b", True),
                         Reporter()) == {"layout": "Article"}
    assert _metadata(layout="Article").layout == "article"
