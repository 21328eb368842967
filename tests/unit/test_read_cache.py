"""The read cache (``folio.readcache``): a file unchanged since the last build is not
parsed, guarded or checked again, and reports what it reported then."""

from __future__ import annotations

import hashlib
import pickle
import zlib

import pytest
from helpers import book_folder

from folio import glyphs, pipeline
from folio.ast import stringify
from folio.book import load_book
from folio.diagnostics import Reporter
from folio.readcache import MAGIC, ReadCache

CHAPTERS = {
    # heading-skip (a check) and style-dropped (a guard)
    "01-one.md": "# One\n\n### Deep\n\nText with [style]{style=\"color: red\"}.\n",
    "02-two.md": "# Two\n\nA [placeholder](#) link and @doe's words.\n",
}


@pytest.fixture
def book(tmp_path):
    return book_folder(tmp_path, CHAPTERS)


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The names of the files pandoc parses, as they are parsed."""
    names: list[str] = []
    parse = pipeline.parse_markdown

    def counting(file):
        names.append(file.path.name)
        return parse(file)

    monkeypatch.setattr(pipeline, "parse_markdown", counting)
    return names


def read(folder, cache: ReadCache | None):
    """The document and diagnostics of reading the book in ``folder``, as a build
    reads it: the files read are written to ``cache`` afterwards."""
    reporter = Reporter()
    book = load_book(folder)
    document = pipeline.read_book(book, reporter, cache)
    if cache is not None:
        cache.write(book.files)
    return document, reporter.items


def test_an_unchanged_file_is_read_from_the_cache_as_it_was_read(book, tmp_path, parsed):
    fresh, fresh_diagnostics = read(book, None)
    cache = ReadCache(tmp_path / "cache")
    first, first_diagnostics = read(book, cache)
    assert parsed == ["01-one.md", "02-two.md", "01-one.md", "02-two.md"]
    parsed.clear()

    second, second_diagnostics = read(book, ReadCache(tmp_path / "cache"))
    assert parsed == [], "nothing parsed again"
    assert second.chapters == first.chapters == fresh.chapters
    assert second_diagnostics == first_diagnostics == fresh_diagnostics
    codes = [d.code for d in second_diagnostics]
    assert {"heading-skip", "style-dropped", "placeholder-link"} <= set(codes)
    assert second.api_version == fresh.api_version


def test_an_edited_file_is_read_again_and_only_it(book, tmp_path, parsed):
    read(book, ReadCache(tmp_path / "cache"))
    parsed.clear()
    (book / "02-two.md").write_text("# Two\n\nNo link.\n\n#### Deeper\n", encoding="utf-8")
    document, diagnostics = read(book, ReadCache(tmp_path / "cache"))
    assert parsed == ["02-two.md"]
    assert "No link." in stringify(document.chapters[1].blocks)
    found = {(d.path.rsplit("/", 1)[-1], d.line, d.code) for d in diagnostics}
    assert ("01-one.md", 3, "heading-skip") in found, "the cached file's warning again"
    assert ("02-two.md", 5, "heading-skip") in found
    assert not any(d.code == "placeholder-link" for d in diagnostics)


def test_force_reads_every_file_and_files_gone_lose_their_entries(book, tmp_path, parsed):
    folder = tmp_path / "cache"
    read(book, ReadCache(folder))
    parsed.clear()
    read(book, ReadCache(folder, force=True))
    assert parsed == ["01-one.md", "02-two.md"]
    (book / "02-two.md").unlink()
    read(book, ReadCache(folder))
    assert len(list(folder.iterdir())) == 1


def _reseal(raw: bytes, data) -> bytes:
    """An entry with ``raw``'s key and ``data`` pickled and packed, its checksum made
    to match (``data`` bytes: taken as packed)."""
    key = raw[len(MAGIC):len(MAGIC) + 64]
    payload = data if isinstance(data, bytes) else zlib.compress(pickle.dumps(data))
    return MAGIC + key + hashlib.sha256(payload).hexdigest().encode() + payload


class _Boom:
    def __reduce__(self):
        return (print, ("a foreign entry ran code",))


@pytest.mark.parametrize("damage", [
    lambda raw, other: raw[:len(raw) // 2],                          # cut short
    lambda raw, other: raw[:-10] + bytes(10),                        # bytes changed
    lambda raw, other: b"",
    lambda raw, other: other,                                        # another file's
    lambda raw, other: _reseal(raw, _Boom()),                        # a class: refused
    lambda raw, other: _reseal(raw, {"blocks": 1}),                  # not its fields
    lambda raw, other: _reseal(
        raw, {"blocks": [], "api": [1], "diagnostics": [("p", "one", 0, "warning", "m", "")]}),
    lambda raw, other: _reseal(raw, {"blocks": [{"t": "Str", "c": "x" * (8 << 20)}],
                                     "api": [1], "diagnostics": []}),  # unpacks too large
    lambda raw, other: _reseal(raw, pickle.dumps({"blocks": []})),   # not packed
], ids=["truncated", "changed", "empty", "foreign", "class", "fields", "types", "bomb",
        "unpacked"])
def test_a_damaged_or_foreign_entry_is_a_miss(book, tmp_path, parsed, damage, capsys):
    folder = tmp_path / "cache"
    fresh, fresh_diagnostics = read(book, ReadCache(folder))
    cache = ReadCache(folder)
    files = load_book(book).files
    entry, other = (cache._path(file) for file in files)
    entry.write_bytes(damage(entry.read_bytes(), other.read_bytes()))
    parsed.clear()
    document, diagnostics = read(book, ReadCache(folder))
    assert parsed == ["01-one.md"]
    assert document.chapters == fresh.chapters and diagnostics == fresh_diagnostics
    assert "ran code" not in capsys.readouterr().out
    key = cache.key(files[0], pipeline.given_language(load_book(book)))
    assert cache.load(files[0], key) is not None, "written again"


def test_the_key_follows_the_text_the_path_and_the_machine_s_fonts(book, tmp_path,
                                                                    monkeypatch):
    cache = ReadCache(tmp_path / "cache")
    file = load_book(book).files[0]
    key = cache.key(file)
    assert cache.key(file) == key
    file.body += "\N{LINEAR B SYLLABLE B008 A}"  # in none of folio's fonts
    with_char = cache.key(file)
    assert with_char != key
    monkeypatch.setattr(glyphs, "system_font", lambda char: "A Font Installed Since")
    assert cache.key(file) != with_char, "the glyph check would name another font"
    file.display = "elsewhere/01-one.md"
    assert cache.key(file) not in (key, with_char)


def test_nothing_is_written_before_the_book_goes_on_to_its_outputs(book, tmp_path):
    cache = ReadCache(tmp_path / "cache")
    pipeline.read_book(load_book(book), Reporter(), cache)
    assert not (tmp_path / "cache").exists(), "a book refused under --strict writes nothing"
    cache.write(load_book(book).files)
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_the_reading_sets_the_typography_the_transforms_would_and_keeps_it(tmp_path):
    book = tmp_path / "typeset"
    book.mkdir()
    (book / "book.yaml").write_text("title: Satz\nlang: de\n", encoding="utf-8")
    (book / "01.md").write_text('# Eins\n\nEr sagte "ja", z. B. um 10 km.\n', encoding="utf-8")
    (book / "02.md").write_text("# Zwei\n\nSie schrieb 'nein' -- 5 %.\n", encoding="utf-8")
    loaded = load_book(book)
    assert pipeline.given_language(loaded) == "de"
    cache = ReadCache(tmp_path / "cache")
    document = pipeline.read_book(loaded, Reporter(), cache)
    # What the transforms make of the files read without a language.
    blocks, _, _ = pipeline._read_files(loaded.files, Reporter(), None, lang="")
    metadata = pipeline._complete_metadata(loaded, blocks, Reporter())
    later = pipeline.transform_book(loaded, blocks, metadata, Reporter())
    assert [c.blocks for c in document.chapters] == [c.blocks for c in later.chapters]
    assert "\u201eja\u201c" in stringify(document.chapters[0].blocks)
    # Kept with the reading: the next build takes the text as set, for this language.
    cache.write(loaded.files)
    again = ReadCache(tmp_path / "cache")
    kept = again.load(loaded.files[0], again.key(loaded.files[0], "de"))
    assert kept is not None and "\u201eja\u201c" in stringify(kept.blocks)
    assert again.key(loaded.files[0], "fr") != again.key(loaded.files[0], "de")
