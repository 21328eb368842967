"""A book's files parsed and read in child processes (``read_book(processes=2)``, as a
build reads them) give what reading them here gives: the same chapters, the same
diagnostics in the same order, the same error where a file stops the book."""

from __future__ import annotations

import pytest
from helpers import book_folder

from folio import pipeline
from folio.book import load_book
from folio.diagnostics import BuildError, Reporter
from folio.readcache import ReadCache

CHAPTERS = {
    "01-one.md": "# One\n\n### Deep\n\nText with [style]{style=\"color: red\"} and "
                 "\"quotes\".\n",
    "02-two.md": "# Two\n\nA [placeholder](#) link and @doe's words.\n\n" + "Words. " * 400,
    "03-three.md": "# Three\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n: A table {#tbl:t}\n\n"
                   "See @tbl:t.\n",
}


@pytest.fixture
def book(tmp_path):
    return book_folder(tmp_path, CHAPTERS)


def read(folder, processes: int, cache: ReadCache | None = None):
    reporter = Reporter()
    try:
        document = pipeline.read_book(load_book(folder), reporter, cache, processes)
    except BuildError as error:
        return error.diagnostic, reporter.items
    return document, reporter.items


@pytest.fixture
def children(monkeypatch) -> list:
    """The child processes reading forks."""
    made: list = []

    class Counted(pipeline.Child):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(pipeline, "Child", Counted)
    return made


def test_files_read_in_children_are_what_this_process_reads(book, children):
    here, here_diagnostics = read(book, 1)
    assert children == []
    there, there_diagnostics = read(book, 2)
    assert len(children) == 2
    assert there.chapters == here.chapters
    assert there_diagnostics == here_diagnostics
    assert {"heading-skip", "style-dropped", "placeholder-link"} <= {
        d.code for d in there_diagnostics}


def test_a_file_that_stops_the_book_in_a_child_stops_it_as_here(book):
    (book / "02-two.md").write_text("# Two\n\n### Skip\n\nA note.[^a]\n\n[^a]: See [^a].\n",
                                    encoding="utf-8")
    here, here_diagnostics = read(book, 1)
    there, there_diagnostics = read(book, 2)
    assert there == here
    assert there.code == "footnote-cycle" and there.path.endswith("02-two.md")
    assert there.line == 7
    assert there_diagnostics == here_diagnostics
    assert any(d.code == "heading-skip" and d.path.endswith("01-one.md")
               for d in there_diagnostics), "the file before reported its warnings"


def test_files_read_in_children_go_into_the_read_cache(book, tmp_path):
    cache = ReadCache(tmp_path / "cache")
    first, _ = read(book, 2, cache)
    cache.write(load_book(book).files)
    assert len(list((tmp_path / "cache").iterdir())) == len(CHAPTERS)
    again = ReadCache(tmp_path / "cache")
    loaded = load_book(book)
    lang = pipeline.given_language(loaded)
    assert all(again.load(file, again.key(file, lang)) is not None for file in loaded.files)
    second, _ = read(book, 2, again)
    assert second.chapters == first.chapters


def test_no_children_without_fork_or_for_one_file(book, monkeypatch, children):
    (book / "03-three.md").unlink()
    (book / "02-two.md").unlink()
    document, _ = read(book, 2)
    assert children == [] and len(document.chapters) == 1
    (book / "02-two.md").write_text(CHAPTERS["02-two.md"], encoding="utf-8")
    monkeypatch.setenv("FOLIO_NO_FORK", "1")
    document, _ = read(book, 2)
    assert children == [] and len(document.chapters) == 2
