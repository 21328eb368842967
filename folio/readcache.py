"""The read cache: each manuscript file as the last build read it, so that an edit
of one chapter reads that chapter again, not the book.

Reading one file (``pipeline.read_file``: pandoc's parse, the guards, the checks,
the syntax ``commonmark_x`` leaves as text, raw HTML links, the position wrappers
taken off) gives its blocks and its diagnostics, and reads nothing but the file:
no other file, no metadata (links, ids, numbering across files are the transforms'
work, done on the whole book every build). A file's key is a SHA-256 over
- its text (front matter blanked), the path its messages name and the line its
  body starts on;
- folio's code, fonts and templates (``cache.folio_digest``), pandoc's version and
  binary, Python's version (Unicode names, the HTML tokenizer) and those of the
  libraries the guards and checks call (tinycss2, fontTools);
- where each character of the text that the book's fonts lack is printed from
  (``glyphs.place``: a font installed on this machine changes what the glyph
  check says).

Entries live in ``OUTDIR/.folio-cache/read/<slug>/``, one per file, named by a
hash of its path: a new version of the file replaces the old, and those of files
the book no longer has are removed. They are written once the book goes on to its
outputs (``ReadCache.write``), never by a book that stops before. An entry is a
header (a magic line, the key, the SHA-256 of the payload) and the payload, a
pickle of plain data compressed with zlib (a tenth of the size, for 0.1 ms a
chapter), unpacked to at most ``MAX_GROWTH`` times the file's text and loaded by an
unpickler that refuses every class and function (a foreign file can make nothing
but lists, dicts, strings and numbers). Damaged, foreign or of another key: a miss,
never a crash. Pickle rather than JSON: as fast to load (0.9 against 1.0 ms for a
10-page chapter), three times faster to write, and the tree comes back as it was
made (a node shared by a citation's suffix and its text stays one node).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import io
import os
import pickle
import re
import sys
import zlib
from pathlib import Path

import pypandoc

from . import glyphs
from .book import SourceFile
from .cache import folio_digest
from .diagnostics import Diagnostic
from .outputs import write_bytes

#: First line of an entry; bumped when the entry format changes.
MAGIC = b"folio-read 1\n"
#: An entry's pickle is at most this many bytes for each character of the file's
#: text, plus ``MAX_GROWTH`` KiB (about 7 are usual; 40 for a table of empty cells):
#: no entry unpacks to more.
MAX_GROWTH = 128
#: Libraries whose version the per-file stages' results depend on.
LIBRARIES = ("tinycss2", "fonttools")
_ENTRY = re.compile(r"[0-9a-f]{32}\.pickle")
_HEADER = len(MAGIC) + 64 + 64


@dataclasses.dataclass
class FileRead:
    """One manuscript file as read: what ``transform_book`` gets of it, and what
    reading it reported."""

    #: The file's blocks, position wrappers taken off.
    blocks: list
    #: The diagnostics of reading it, in the order they were reported.
    diagnostics: list[Diagnostic]
    #: pandoc's ``pandoc-api-version`` of the blocks.
    api_version: list[int]
    #: What the blocks have (``ast.marks_of``); None: not known.
    marks: frozenset[str] | None = None


class ReadCache:
    """The read entries of one book, in ``folder``. Entries of files read are kept
    in memory (``keep``) until ``write``: a book that stops before its outputs are
    written (a warning under ``--strict``) writes nothing, not even these."""

    def __init__(self, folder: Path, force: bool = False) -> None:
        self.folder = Path(folder)
        #: Use no entry (``--force``); files read are still recorded.
        self.force = force
        #: Entry path -> its bytes, for the files read since the last ``write``.
        self._pending: dict[Path, bytes] = {}

    def key(self, file: SourceFile, lang: str = "") -> str:
        """The hash of everything reading ``file`` (its typography set for ``lang``)
        depends on."""
        digest = hashlib.sha256(tools().encode())
        digest.update(os.fsencode(file.display) + f"\0{file.body_line}\0{lang}\0".encode())
        digest.update(file.body.encode("utf-8", "surrogatepass") + b"\0")
        for char, kind, font in glyphs.machine_places(file.body):
            digest.update(f"{char}\0{kind}\0{font}\0".encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _path(self, file: SourceFile) -> Path:
        name = hashlib.sha256(os.fsencode(file.display)).hexdigest()[:32]
        return self.folder / f"{name}.pickle"

    def load(self, file: SourceFile, key: str) -> FileRead | None:
        """The entry of ``file`` if it is sound and was made under ``key``; else None."""
        if self.force:
            return None
        try:
            raw = self._path(file).read_bytes()
        except OSError:
            return None
        return _valid_entry(raw, key, MAX_GROWTH * (len(file.body) + 1024))

    def keep(self, file: SourceFile, key: str, read: FileRead) -> None:
        """Remember how ``file`` was read, as it is now (the transforms change the
        blocks in place later), to be written by ``write``."""
        self._pending[self._path(file)] = pack(key, {
            "blocks": read.blocks, "api": read.api_version,
            "diagnostics": [dataclasses.astuple(d) for d in read.diagnostics],
            "marks": None if read.marks is None else sorted(read.marks)})

    def write(self, files: list[SourceFile]) -> None:
        """Write the entries kept, each atomically (a reader sees the old entry or the
        new one), and remove those of files other than ``files`` (the book's, now)."""
        while self._pending:
            path, data = self._pending.popitem()
            write_bytes(path, data)
        current = {self._path(file).name for file in files}
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if _ENTRY.fullmatch(name) and name not in current:
                try:
                    os.unlink(self.folder / name)
                except OSError:
                    pass


@functools.lru_cache(maxsize=1)
def tools() -> str:
    """folio, pandoc, Python and the libraries, as they are in this process."""
    pandoc = pypandoc.get_pandoc_path()
    try:
        info = os.stat(pandoc)
        binary = f"{info.st_size}:{info.st_mtime_ns}"
    except OSError:
        binary = ""
    return "\0".join([MAGIC.decode().strip(), folio_digest(), sys.version,
                      f"pandoc {pypandoc.get_pandoc_version()} {pandoc} {binary}",
                      *map(library_version, LIBRARIES)])


def library_version(name: str) -> str:
    """``name`` and its installed version ("none" when it is not installed): what a
    cache key says of a library its entries depend on."""
    try:
        return f"{name} {importlib.metadata.version(name)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{name} none"


class _PlainUnpickler(pickle.Unpickler):
    """Loads lists, dicts, tuples, strings and numbers; refuses every class."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


_DIAGNOSTIC_TYPES = [int if field.type == "int" else str
                     for field in dataclasses.fields(Diagnostic)]


def pack(key: str, data) -> bytes:
    """An entry: the header (``MAGIC``, ``key``, the payload's SHA-256) and ``data``
    (plain lists, dicts, tuples, strings, numbers) pickled and compressed."""
    sink = _Compressing()
    pickle.Pickler(sink, pickle.HIGHEST_PROTOCOL).dump(data)
    payload = sink.payload()
    return MAGIC + key.encode() + hashlib.sha256(payload).hexdigest().encode() + payload


class _Compressing:
    """A file that compresses what pickle writes to it as it comes: the pickle of a
    2,500-page book's rendered pieces is never held whole (tens of MB)."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(1)
        self._chunks: list[bytes] = []

    def write(self, data) -> int:
        self._chunks.append(self._compressor.compress(data))
        return len(data)

    def payload(self) -> bytes:
        self._chunks.append(self._compressor.flush())
        return b"".join(self._chunks)


def unpack(raw: bytes, key: str, limit: int):
    """The data of the entry in ``raw`` if its header is ours, names ``key`` (64 hex
    digits), its payload is whole and unpacks to at most ``limit`` bytes of plain
    data; else None."""
    if (len(raw) < _HEADER or not raw.startswith(MAGIC)
            or raw[len(MAGIC):len(MAGIC) + 64] != key.encode()):
        return None
    payload = raw[_HEADER:]
    if hashlib.sha256(payload).hexdigest().encode() != raw[len(MAGIC) + 64:_HEADER]:
        return None
    try:
        unpacking = zlib.decompressobj()
        pickled = unpacking.decompress(payload, limit)
        if unpacking.unconsumed_tail or not unpacking.eof:
            return None
        return _PlainUnpickler(io.BytesIO(pickled)).load()
    except Exception:  # noqa: BLE001 - any damage is a miss
        return None


def _valid_entry(raw: bytes, key: str, limit: int) -> FileRead | None:
    """The entry in ``raw`` (``unpack``) if every field has the type it must have."""
    data = unpack(raw, key, limit)
    if not isinstance(data, dict) or set(data) != {"blocks", "api", "diagnostics", "marks"}:
        return None
    blocks, api, diagnostics = data["blocks"], data["api"], data["diagnostics"]
    marks = data["marks"]
    sound = (
        (marks is None or isinstance(marks, list) and all(type(m) is str for m in marks))
        and
        isinstance(blocks, list)
        and all(isinstance(block, dict) and isinstance(block.get("t"), str)
                for block in blocks)
        and isinstance(api, list) and all(type(n) is int for n in api)
        and isinstance(diagnostics, list)
        and all(isinstance(item, tuple) and len(item) == len(_DIAGNOSTIC_TYPES)
                and all(type(value) is kind for value, kind in zip(item, _DIAGNOSTIC_TYPES))
                and item[3] in ("warning", "error")
                for item in diagnostics))
    if not sound:
        return None
    return FileRead(blocks, [Diagnostic(*item) for item in diagnostics], api,
                    None if marks is None else frozenset(marks))
