"""The build cache: a book whose inputs have not changed is not built again.

A book's key is a SHA-256 over everything its outputs depend on:
- the manuscript as loaded (each file's text and the metadata), or, for a book
  folder, every file in the folder (images, a local ``templates/`` …);
- for a single-file book, the images its last build used (recorded then);
- the templates (the book's own ``templates/`` and the built-in ones) and fonts;
- folio itself (its version and the text of its modules);
- the formats asked for, the command-line options and ``SOURCE_DATE_EPOCH``.

The entry also remembers the files written (size and modification time: a
deleted or replaced output means a rebuild) and the diagnostics of that build,
which are reported again when the entry is used, so a cached build warns (and
fails under ``--strict``) exactly as the real one did. Entries live in
``OUTDIR/.folio-cache/<slug>.json``, one per book, so books built in parallel
never write the same file.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import stat
from pathlib import Path

from . import __version__
from .book import BookSource
from .diagnostics import Diagnostic
from .outputs import write_text
from .templates import BUILTIN_TEMPLATES

#: Folder name of the cache inside the output folder.
CACHE_DIR = ".folio-cache"
#: Bumped when the entry format changes.
SCHEMA = 1
#: Files larger than this (bytes) count by size and modification time, unread.
BIG_FILE = 64 * 1024 * 1024
_PACKAGE = Path(__file__).resolve().parent


def _hash_file(digest, path: Path) -> None:
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


def _files_under(folder: Path, skip: Path | None = None) -> list[Path]:
    """Every file and link under ``folder`` (hidden ones and ``skip`` left out), sorted.

    Links are not followed (``os.walk`` does not descend into linked folders)."""
    found = []
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and (skip is None or (here / d).resolve() != skip))
        found.extend(here / f for f in sorted(files) if not f.startswith("."))
    return found


def _hash_tree(digest, folder: Path, skip: Path | None = None) -> None:
    """Names and contents of the regular files under ``folder``. Anything else (a
    link, a FIFO, a device) counts by what it is, never by reading it: reading a
    FIFO waits forever, a link may lead to /dev/zero. Files the book really uses
    are hashed through their resolved path when the build records them."""
    for path in _files_under(folder, skip):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            digest.update(b"link:" + os.fsencode(os.readlink(path)))
        elif not stat.S_ISREG(info.st_mode):
            digest.update(f"special:{stat.S_IFMT(info.st_mode)}".encode())
        elif info.st_size > BIG_FILE:
            digest.update(f"big:{info.st_size}:{info.st_mtime_ns}".encode())
        else:
            _hash_file(digest, path)


@functools.lru_cache(maxsize=1)
def _folio_digest() -> str:
    """folio's version, code, fonts and built-in templates (fixed for one process)."""
    digest = hashlib.sha256(f"folio {__version__} schema {SCHEMA}\0".encode())
    for path in sorted(_PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
            _hash_file(digest, path)
    _hash_tree(digest, BUILTIN_TEMPLATES)
    return digest.hexdigest()


@dataclasses.dataclass
class Entry:
    """What a cached build of one book produced."""

    key: str
    #: Format name -> written file, relative to the output folder.
    outputs: dict[str, str]
    #: Written file (relative to the output folder) -> [size, mtime_ns], to notice
    #: outputs changed behind our back.
    stamps: dict[str, list[int]]
    #: Diagnostics of the build, reported again on a cache hit.
    diagnostics: list[dict]
    #: Files the build read besides the manuscript (its images), relative to the
    #: output folder -> SHA-256.
    depends: dict[str, str]
    timings: dict[str, float] = dataclasses.field(default_factory=dict)


class BuildCache:
    """Keys and entries for the books built into one output folder."""

    def __init__(self, outdir: Path, force: bool = False) -> None:
        self.outdir = Path(outdir)
        self.folder = self.outdir / CACHE_DIR
        #: Ignore entries (``--force``); finished builds are still recorded.
        self.force = force

    def key(self, book: BookSource, formats: list[str], options: dict) -> str:
        """The hash of the book's inputs (before the extras its last build recorded)."""
        digest = hashlib.sha256(_folio_digest().encode())
        settings = {"formats": list(formats), "options": options,
                    "epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
                    "display": book.display, "slug": book.slug}
        digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
        digest.update(json.dumps(book.metadata.values, sort_keys=True, default=str).encode())
        for file in book.files:
            digest.update(f"\0{file.display}\0{file.body_line}\0".encode())
            digest.update(file.body.encode("utf-8"))
        if book.is_folder:
            _hash_tree(digest, book.root, skip=self.outdir.resolve())
        elif (book.root / "templates").is_dir():
            _hash_tree(digest, book.root / "templates")
        return digest.hexdigest()

    def _path(self, slug: str) -> Path:
        return self.folder / f"{slug}.json"

    def folder_of(self, slug: str, name: str) -> Path:
        """A folder where the builder ``name`` may keep work for the book ``slug``
        (the PDF keeps its laid-out parts there)."""
        return self.folder / name / slug

    def lookup(self, slug: str, key: str) -> Entry | None:
        """The entry for ``key`` if every recorded input and output is unchanged."""
        if self.force:
            return None
        try:
            data = json.loads(self._path(slug).read_text(encoding="utf-8"))
            entry = Entry(**data)
        except (OSError, ValueError, TypeError):
            return None
        if entry.key != key:
            return None
        for name, (size, mtime) in entry.stamps.items():
            try:
                stat = os.stat(self.outdir / name)
            except OSError:
                return None
            if stat.st_size != size or stat.st_mtime_ns != mtime:
                return None
        for name, expected in entry.depends.items():
            digest = hashlib.sha256()
            try:
                _hash_file(digest, self.outdir / name)
            except OSError:
                return None
            if digest.hexdigest() != expected:
                return None
        return entry

    def store(self, slug: str, key: str, outputs: dict[str, Path], folder: Path,
              diagnostics: list[Diagnostic], depends: list[Path],
              timings: dict[str, float]) -> None:
        """Record a finished build; ``folder`` is the book's output folder."""
        stamps = {}
        written = set(outputs.values())
        written.update(p for p in folder.glob("*") if p.is_file())
        for path in sorted(written):
            stat = os.stat(path)
            stamps[self._relative(path)] = [stat.st_size, stat.st_mtime_ns]
        hashes = {}
        for path in sorted(set(depends)):
            digest = hashlib.sha256()
            _hash_file(digest, path)
            hashes[self._relative(path)] = digest.hexdigest()
        entry = Entry(key, {name: self._relative(path) for name, path in outputs.items()},
                      stamps,
                      [dataclasses.asdict(d) for d in diagnostics], hashes,
                      {name: round(seconds, 3) for name, seconds in timings.items()})
        write_text(self._path(slug), json.dumps(dataclasses.asdict(entry), indent=1))

    def _relative(self, path: Path) -> str:
        """``path`` relative to the output folder: the cache names no absolute path."""
        return os.path.relpath(Path(path).resolve(), self.outdir.resolve())


def diagnostics_of(entry: Entry) -> list[Diagnostic]:
    return [Diagnostic(**item) for item in entry.diagnostics]
