"""Writing outputs all or nothing (``folio.outputs``) and the build cache
(``folio.cache``), without building a book."""

from __future__ import annotations

import json
import os

import pytest

from folio.book import load_book
from folio.cache import BuildCache
from folio.diagnostics import Diagnostic
from folio.outputs import all_or_nothing, atomic_path, write_text


def test_a_file_is_replaced_in_one_step(tmp_path):
    target = tmp_path / "out" / "book.epub"
    write_text(target, "first")
    with atomic_path(target) as temporary:
        temporary.write_text("second")
        assert target.read_text() == "first", "not replaced before the block ends"
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["book.epub"]


def test_a_failed_block_leaves_every_earlier_file(tmp_path):
    epub, pdf = tmp_path / "book.epub", tmp_path / "book.pdf"
    write_text(epub, "old epub")
    write_text(pdf, "old pdf")
    with pytest.raises(RuntimeError), all_or_nothing():
        write_text(epub, "new epub")
        with atomic_path(pdf) as temporary:
            temporary.write_text("half a pdf")
            raise RuntimeError("the layout failed")
    assert (epub.read_text(), pdf.read_text()) == ("old epub", "old pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.epub", "book.pdf"]


def test_a_whole_block_moves_every_file_into_place_at_its_end(tmp_path):
    epub, pdf = tmp_path / "book.epub", tmp_path / "book.pdf"
    with all_or_nothing():
        write_text(epub, "epub")
        with all_or_nothing():  # nested blocks join the outer one
            write_text(pdf, "pdf")
        assert not epub.exists() and not pdf.exists()
    assert (epub.read_text(), pdf.read_text()) == ("epub", "pdf")


def book(tmp_path, text="# One\n\nText.\n"):
    folder = tmp_path / "book"
    folder.mkdir(exist_ok=True)
    (folder / "book.yaml").write_text("title: T\nlang: en\n", encoding="utf-8")
    (folder / "01.md").write_text(text, encoding="utf-8")
    return folder


def store(cache, folder, outputs):
    loaded = load_book(folder)
    key = cache.key(loaded, ["epub"], {})
    out = cache.outdir / loaded.slug
    out.mkdir(parents=True, exist_ok=True)
    for name in outputs:
        (out / name).write_text(name)
    cache.store(loaded.slug, key, {"epub": out / outputs[0]}, out,
                [Diagnostic("b.md", 3, 1, "warning", "w", "code")], {}, {"read": 0.1})
    return loaded, key


def test_an_unchanged_book_is_found_with_its_warnings(tmp_path):
    cache = BuildCache(tmp_path / "dist")
    folder = book(tmp_path)
    loaded, key = store(cache, folder, ["book.epub"])
    entry = cache.lookup(loaded.slug, cache.key(load_book(folder), ["epub"], {}))
    assert entry is not None and entry.diagnostics[0]["code"] == "code"


@pytest.mark.parametrize("change", ["text", "format", "option", "epoch", "output",
                                    "new file", "force"])
def test_any_change_of_an_input_or_an_output_is_a_miss(tmp_path, monkeypatch, change):
    cache = BuildCache(tmp_path / "dist")
    folder = book(tmp_path)
    loaded, key = store(cache, folder, ["book.epub"])
    formats, options = ["epub"], {}
    if change == "text":
        (folder / "01.md").write_text("# One\n\nOther text.\n", encoding="utf-8")
    elif change == "format":
        formats = ["epub", "pdf"]
    elif change == "option":
        options = {"page_size": "a4"}
    elif change == "epoch":
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    elif change == "output":
        out = tmp_path / "dist" / loaded.slug / "book.epub"
        out.write_text("changed behind our back")
        os.utime(out, ns=(1, 1))
    elif change == "new file":
        (folder / "cover.png").write_bytes(b"x")
    elif change == "force":
        cache = BuildCache(tmp_path / "dist", force=True)
    assert cache.lookup(loaded.slug, cache.key(load_book(folder), formats, options)) is None


def test_a_damaged_entry_is_a_miss_not_a_crash(tmp_path):
    cache = BuildCache(tmp_path / "dist")
    folder = book(tmp_path)
    loaded, key = store(cache, folder, ["book.epub"])
    entry = cache.folder / f"{loaded.slug}.json"
    for damage in ("{not json", json.dumps({"key": key}), "[]", ""):
        entry.write_text(damage)
        assert cache.lookup(loaded.slug, key) is None, damage
