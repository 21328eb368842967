"""The transforms skip a pass whose nodes a book does not have (``ast.marks_of``, kept
with each file's reading): the book comes out the same as with every pass run."""

import pickle
from pathlib import Path

import pytest

from folio import pipeline, transforms
from folio.transforms import crossrefs
from folio.ast import marks_of
from folio.book import load_book
from folio.diagnostics import Reporter

CONTENT = Path(__file__).resolve().parents[2] / "content"


def _transformed(book: Path, known: bool):
    loaded = load_book(book)
    reporter = Reporter()
    blocks, _, marks = pipeline._read_files(loaded.files, reporter, None, lang="")
    metadata = pipeline._complete_metadata(loaded, blocks, reporter)
    document = pipeline.transform_book(loaded, blocks, metadata, reporter,
                                       marks=marks if known else None)
    return document, marks, reporter.items


@pytest.mark.parametrize("book", ["genau-summieren", "making-books"])
def test_a_book_comes_out_the_same_with_the_passes_it_needs_only(book):
    """The scholarly book has formulas, citations, cross-references and an index."""
    skipping, marks, said = _transformed(CONTENT / book, known=True)
    everything, _, said_too = _transformed(CONTENT / book, known=False)
    assert marks is not None and "Header" in marks
    for name in ("chapters", "anchors", "images", "captions", "index", "layout"):
        assert pickle.dumps(getattr(skipping, name)) == \
            pickle.dumps(getattr(everything, name)), name
    assert said == said_too
    if book == "genau-summieren":
        assert {".folio-math", ".folio-cite"} <= marks
        assert everything.index and everything.captions


def test_a_plain_book_skips_the_passes_that_would_find_nothing(tmp_path, monkeypatch):
    book = tmp_path / "plain"
    book.mkdir()
    (book / "book.yaml").write_text("title: Schlicht\nlang: de\n", encoding="utf-8")
    (book / "01.md").write_text("# Eins\n\nText mit [Link](https://example.org).\n",
                                encoding="utf-8")
    ran = []
    for name in ("convert_maths", "cross_reference", "cite", "title_callouts",
                 "collect_index"):
        real = getattr(transforms, name)
        monkeypatch.setattr(transforms, name,
                            lambda *args, _n=name, _r=real, **kw: ran.append(_n)
                            or _r(*args, **kw))
    document, marks, _ = _transformed(book, known=True)
    assert ran == [] and document.chapters
    _transformed(book, known=False)
    assert len(ran) == 5, "without marks every pass runs"


def test_a_book_with_tables_and_no_citation_is_not_searched_for_references(monkeypatch,
                                                                           tmp_path):
    book = tmp_path / "tabellen"
    book.mkdir()
    (book / "book.yaml").write_text("title: Tabellen\nlang: de\n", encoding="utf-8")
    (book / "01.md").write_text("# Eins\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                                "Table: Werte {#tbl:werte}\n", encoding="utf-8")
    searched = []
    real = crossrefs.resolve_references
    monkeypatch.setattr(crossrefs, "resolve_references",
                        lambda *args: searched.append(1) or real(*args))
    document, _, _ = _transformed(book, known=True)
    assert searched == [] and document.captions  # the table is numbered all the same
    (book / "01.md").write_text("# Eins\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                                "Table: Werte {#tbl:werte}\n\nSiehe @tbl:werte.\n",
                                encoding="utf-8")
    document, _, _ = _transformed(book, known=True)
    assert searched == [1] and "Tabelle\\xa01" in str(document.chapters[0].blocks)


def test_marks_name_node_types_classes_and_attribute_keys():
    tree = [{"t": "Header", "c": [1, ["h", ["part"], [["data-pos", "1:1"]]], []]},
            {"t": "Para", "c": [{"t": "Span", "c": [["", ["index"], []],
                                                    [{"t": "Str", "c": "x"}]]}]}]
    assert marks_of(tree) == {"Header", ".part", "=data-pos", "Para", "Span", ".index",
                              "Str"}
