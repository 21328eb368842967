"""Writing outputs all or nothing (``folio.outputs``) and the build cache
(``folio.cache``), without building a book."""

from __future__ import annotations

import json
import os

import pytest

from folio.book import load_book
from folio.cache import BuildCache
from folio.diagnostics import Diagnostic
from folio.outputs import all_or_nothing, atomic_path, commit_now, recorded, write_text


def test_a_file_is_replaced_in_one_step(tmp_path):
    target = tmp_path / "out" / "book.epub"
    write_text(target, "first")
    with atomic_path(target) as temporary:
        temporary.write_text("second")
        assert target.read_text() == "first", "not replaced before the block ends"
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["book.epub"]


def test_an_interrupt_as_the_temporary_file_appears_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C or SIGTERM right after the temporary file is made (a CI run's test
    sent SIGTERM as soon as it saw the file, and ``tempfile.mkstemp`` had not yet
    returned): the file goes, the target stays as it was."""
    target = tmp_path / "cache" / "entry.pickle"
    write_text(target, "old")
    real_close = os.close

    def close_then_interrupt(fd):
        real_close(fd)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with monkeypatch.context() as patch:
            patch.setattr(os, "close", close_then_interrupt)
            write_text(target, "new")
    assert [p.name for p in target.parent.iterdir()] == ["entry.pickle"]
    assert target.read_text() == "old"


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


@pytest.mark.parametrize("switched", [False, True], ids=["files", "folder"])
def test_files_committed_now_stay_when_the_block_fails_later(tmp_path, switched):
    folder = tmp_path / "dist" / "book"
    page, css, pdf = folder / "index.html", folder / "fonts" / "a.woff2", folder / "b.pdf"
    for path, text in ((page, "old page"), (css, "old font"), (pdf, "old pdf")):
        write_text(path, text)
    with pytest.raises(RuntimeError), all_or_nothing(folder if switched else None):
        with recorded() as targets:
            write_text(page, "new page")
            write_text(css, "new font")
        assert targets == [page, css]
        with recorded() as others:
            write_text(pdf, "new pdf")
        commit_now(targets)
        assert (page.read_text(), css.read_text()) == ("new page", "new font")
        assert pdf.read_text() == "old pdf", "the others wait for the block's end"
        commit_now(targets)  # again: nothing more to do
        raise RuntimeError("the layout failed")
    assert others == [pdf]
    assert (page.read_text(), css.read_text(), pdf.read_text()) == (
        "new page", "new font", "old pdf")
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == ["dist", "dist/book", "dist/book/b.pdf", "dist/book/fonts",
                    "dist/book/fonts/a.woff2", "dist/book/index.html"], "no temporaries"


def test_files_committed_now_and_the_rest_at_the_end(tmp_path):
    folder = tmp_path / "book"
    page, pdf = folder / "index.html", folder / "b.pdf"
    with all_or_nothing(folder):
        with recorded() as targets:
            write_text(page, "page")
        commit_now(targets)
        write_text(pdf, "pdf")
        assert page.read_text() == "page" and not pdf.exists()
    assert (page.read_text(), pdf.read_text()) == ("page", "pdf")
    assert sorted(p.name for p in folder.iterdir()) == ["b.pdf", "index.html"]


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


def test_a_folder_of_large_files_is_keyed_without_reading_them(tmp_path):
    """100 sparse 63 MiB files made every build, a cached one too, read 6.3 GB (~30 s).
    The key counts them by name, size and times; /proc's count of bytes read says
    that nothing of them was read."""
    cache = BuildCache(tmp_path / "dist")
    folder = book(tmp_path)
    for number in range(100):
        with open(folder / f"data-{number:03d}.bin", "wb") as handle:
            handle.truncate(63 * 1024 * 1024)
    loaded = load_book(folder)

    def bytes_read() -> int:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("rchar"))

    cache.key(loaded, ["epub"], {})  # folio's own digest is worked out once per process
    before = bytes_read()
    first = cache.key(loaded, ["epub"], {})
    assert bytes_read() - before < 1024 * 1024
    assert cache.key(loaded, ["epub"], {}) == first
    with open(folder / "data-042.bin", "r+b") as handle:
        handle.seek(1000)
        handle.write(b"x")
    assert cache.key(load_book(folder), ["epub"], {}) != first


DAMAGED = {
    "diagnostics of the wrong shape": lambda e: e.update(diagnostics=[{"x": 1}]),
    "a diagnostic with a wrong type": lambda e: e["diagnostics"][0].update(line="3"),
    "stamps that are no pairs": lambda e: e.update(stamps={"book/book.epub": "x"}),
    "an output outside the folder": lambda e: e.update(outputs={"epub": "../../etc/passwd"}),
    "an output without a stamp": lambda e: e["stamps"].clear(),
    "a format missing": lambda e: e.update(outputs={}, formats=[]),
    "a dependency that is no hash": lambda e: e.update(depends={"../book/01.md": 7}),
    "an extra field": lambda e: e.update(extra=1),
    "deep nesting": lambda e: '{"key": ' + "[" * 100000 + "]" * 100000 + "}",
    "a key that is a number": lambda e: e.update(key=12),
    "timings as text": lambda e: e.update(timings={"read": "slow"}),
}


@pytest.mark.parametrize("damage", list(DAMAGED), ids=list(DAMAGED))
def test_a_damaged_entry_is_a_miss_never_a_crash(tmp_path, damage):
    cache = BuildCache(tmp_path / "dist")
    folder = book(tmp_path)
    loaded, key = store(cache, folder, ["book.epub"])
    path = cache.folder / f"{loaded.slug}.json"
    assert cache.lookup(loaded.slug, key, ["epub"]) is not None
    data = json.loads(path.read_text())
    raw = DAMAGED[damage](data)  # changes ``data``, or gives the text to write
    path.write_text(raw if isinstance(raw, str) else json.dumps(data))
    assert cache.lookup(loaded.slug, key, ["epub"]) is None


def test_an_entry_without_a_format_asked_for_is_a_miss(tmp_path):
    """Before: an entry (damaged or from another run) without the PDF answered a build
    of EPUB and PDF with "(unchanged)" and no PDF."""
    cache = BuildCache(tmp_path / "dist")
    loaded, key = store(cache, book(tmp_path), ["book.epub"])
    assert cache.lookup(loaded.slug, key, ["epub"]) is not None
    assert cache.lookup(loaded.slug, key, ["epub", "pdf"]) is None


def test_an_entry_naming_a_fifo_does_not_hang_the_lookup(tmp_path):
    import threading

    cache = BuildCache(tmp_path / "dist")
    loaded, key = store(cache, book(tmp_path), ["book.epub"])
    os.mkfifo(tmp_path / "dist" / "pipe")
    path = cache.folder / f"{loaded.slug}.json"
    data = json.loads(path.read_text())
    data["depends"] = {"pipe": "0" * 64}
    path.write_text(json.dumps(data))
    found = []
    worker = threading.Thread(target=lambda: found.append(cache.lookup(loaded.slug, key)),
                              daemon=True)
    worker.start()
    worker.join(30)
    assert found == [None], "the lookup returned, with a miss"


def test_every_format_of_a_book_is_switched_in_one_step(tmp_path):
    """Before: the files moved into place one at a time at the end of the block, so a
    kill in that step could leave a new EPUB beside an old PDF. Now the book's folder
    is exchanged whole: its inode changes, and nothing is left beside it."""
    folder = tmp_path / "dist" / "book"
    for name in ("book.epub", "book.pdf", "index.html", "images/img-1.png"):
        write_text(folder / name, "old " + name)
    (folder / "fonts").mkdir()
    (folder / "fonts" / "kept.ttf").write_text("a font not written again")
    before = os.stat(folder).st_ino
    with all_or_nothing(folder):
        for name in ("book.epub", "book.pdf", "index.html", "images/img-2.png"):
            write_text(folder / name, "new " + name)
        assert (folder / "book.epub").read_text() == "old book.epub"
    assert os.stat(folder).st_ino != before, "the folder was exchanged, not filled in"
    assert {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*")
            if p.is_file()} == {
        "book.epub": "new book.epub", "book.pdf": "new book.pdf", "index.html": "new index.html",
        "images/img-1.png": "old images/img-1.png", "images/img-2.png": "new images/img-2.png",
        "fonts/kept.ttf": "a font not written again"}
    assert sorted(p.name for p in folder.parent.iterdir()) == ["book"]


def test_a_failure_while_switching_leaves_every_old_file(tmp_path, monkeypatch):
    folder = tmp_path / "dist" / "book"
    for name in ("book.epub", "book.pdf"):
        write_text(folder / name, "old")
    real = os.replace
    calls = []

    def failing(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(source, target)

    monkeypatch.setattr(os, "replace", failing)
    from folio.diagnostics import BuildError
    with pytest.raises(BuildError) as caught, all_or_nothing(folder):
        write_text(folder / "book.epub", "new")
        write_text(folder / "book.pdf", "new")
    assert "the disk is full" in caught.value.diagnostic.message
    assert {p.name: p.read_text() for p in folder.iterdir()} == {"book.epub": "old",
                                                                 "book.pdf": "old"}
    assert sorted(p.name for p in folder.parent.iterdir()) == ["book"]


def test_leftovers_of_a_build_that_no_longer_runs_are_removed(tmp_path, monkeypatch):
    import subprocess
    import tempfile

    from folio.outputs import remove_stale

    dead = subprocess.Popen(["true"])
    dead.wait()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "dist"
    leftover = out / "book" / f".book.epub.{dead.pid}-abc123.tmp"
    staging = out / f".book.{dead.pid}-xyz.new"
    alive = out / "book" / f".book.pdf.{os.getppid()}-abc.tmp"
    for path in (leftover, alive, staging / "book.epub"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    listed = out / "book" / ".listed-only"
    listed.write_text("x")
    journal = tmp_path / "tmp" / f"folio-journal-{dead.pid}-q.jsonl"
    journal.write_text(json.dumps([str(listed)]) + "\n")
    remove_stale(out)
    assert not leftover.exists() and not staging.exists() and not listed.exists()
    assert not journal.exists() and alive.exists(), "a running build's file is left alone"
