"""A long book laid out in parts on two workers and merged (issue 11): the same book as
laid out in one piece, page for page, with one structure tree, bookmarks, links and
page labels; an edit lays out only its part again; the bytes are reproducible."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import FIXTURES, run_build

sys.path.insert(0, str(FIXTURES / "pdf"))
import manuscripts  # noqa: E402
from pdfcheck import page_texts, verify  # noqa: E402

EPOCH = {"SOURCE_DATE_EPOCH": "1764000000"}


def build(book: Path, out: Path, workers: int, *extra: str, epoch: dict = EPOCH):
    result = run_build(str(book), "-o", str(out), "--format", "pdf", *extra,
                       env={**epoch, "FOLIO_LAYOUT_WORKERS": str(workers)})
    assert result.returncode == 0, result.stderr
    return out / book.name / f"{book.name}.pdf"


@pytest.fixture(scope="module")
def long_book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parts")
    book = manuscripts.technical_book(folder / "manual", chapters=12)
    return {"folder": folder, "book": book,
            "single": build(book, folder / "single", 1),
            "parts": build(book, folder / "parts", 2)}


def parts_of(out: Path, slug: str) -> dict[str, float]:
    """The laid-out parts kept in the cache: file name -> modification time."""
    return {p.name: p.stat().st_mtime_ns
            for p in (out / ".folio-cache" / "pdf" / slug).glob("*.pdf")}


def test_the_book_is_laid_out_in_parts(long_book):
    kept = parts_of(long_book["folder"] / "parts", "manual")
    assert len(kept) >= 3, "the front matter and at least two runs of chapters"
    assert parts_of(long_book["folder"] / "single", "manual") == {}


def test_the_merged_pdf_is_the_book_laid_out_in_one_piece(long_book):
    failed = [(name, detail) for name, ok, detail in verify(long_book["single"],
                                                           long_book["parts"]) if not ok]
    assert failed == []


def test_an_edit_lays_out_its_part_again_and_nothing_else(long_book, tmp_path):
    out = tmp_path / "dist"
    book = tmp_path / "manual"
    shutil.copytree(long_book["book"], book)
    shutil.copytree(long_book["folder"] / "parts", out)
    before = parts_of(out, "manual")
    last = sorted(book.glob("*.md"))[-1]
    last.write_text(last.read_text(encoding="utf-8") + "\nOne more sentence at the end.\n",
                    encoding="utf-8")
    # A day later: the build's date is new, and no part carries it (the merged PDF
    # takes its metadata from a page laid out for them alone).
    pdf = build(book, out, 2, epoch={"SOURCE_DATE_EPOCH": "1764086400"})
    after = parts_of(out, "manual")
    assert len(set(after) - set(before)) == 1, "the edited part alone"
    assert {name: after[name] for name in set(after) & set(before)} == \
        {name: before[name] for name in set(after) & set(before)}, "the others untouched"
    templates = {p.stem for p in (out / ".folio-cache" / "pdf" / "manual").glob("*.templates")}
    assert templates == {Path(name).stem for name in after}, \
        "every part keeps its objects' templates for the next merge, the edited one too"
    assert "One more sentence at the end." in "".join(page_texts(pdf)[-3:])
    info = subprocess.run(["pdfinfo", "-isodates", str(pdf)], capture_output=True,
                          text=True, check=True).stdout
    assert "2025-11-25T16:00:00" in info, "the merged PDF carries this build's date"


def test_parts_give_the_same_bytes_every_time(long_book, tmp_path):
    again = build(long_book["book"], tmp_path / "again", 2, "--force")
    assert again.read_bytes() == long_book["parts"].read_bytes()


def test_an_edit_rebuilt_from_the_caches_is_the_book_built_afresh(long_book, tmp_path):
    """The caches of an edit (files read, chapters made into pieces, pieces rendered,
    parts laid out) give the bytes a build from nothing gives, in every format: a
    footnote added to the third chapter moves the numbers of every later note in the
    reading page and the EPUB."""
    book = tmp_path / "manual"
    shutil.copytree(long_book["book"], book)
    out = tmp_path / "dist"

    def build_all(target: Path, *extra: str) -> dict[str, bytes]:
        result = run_build(str(book), "-o", str(target), *extra,
                           env={**EPOCH, "FOLIO_LAYOUT_WORKERS": "2"})
        assert result.returncode == 0, result.stderr
        folder = target / "manual"
        return {name: (folder / name).read_bytes()
                for name in ("manual.pdf", "manual.epub", "index.html")}

    build_all(out)
    third = sorted(book.glob("*.md"))[2]
    text = third.read_text(encoding="utf-8")
    first_paragraph = text.index("\n\n", text.index("\n\n") + 2)
    third.write_text(text[:first_paragraph] + " One note more.[^more]" + text[first_paragraph:]
                     + "\n[^more]: The note added by the edit.\n", encoding="utf-8")
    edited = build_all(out)
    afresh = build_all(tmp_path / "afresh", "--force")
    assert [name for name in edited if edited[name] != afresh[name]] == []
    assert b"The note added by the edit." in afresh["index.html"]
