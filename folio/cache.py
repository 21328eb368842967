"""The build cache: a book whose inputs have not changed is not built again.

A book's key is a SHA-256 over everything its outputs depend on:
- the manuscript as loaded (each file's text and the metadata);
- for a book folder, every file in the folder, by name, size, modification and
  change time (never read: a folder of large files costs nothing), and for a
  single-file book its ``templates/`` folder the same way;
- the images its last build used (their SHA-256, recorded then, checked again);
- the built-in templates and fonts, and folio itself (its version and code);
- the formats asked for, the command-line options and ``SOURCE_DATE_EPOCH``.

The entry also remembers the files written (size and modification time: a
deleted or replaced output means a rebuild) and the diagnostics of that build,
which are reported again when the entry is used, so a cached build warns (and
fails under ``--strict``) exactly as the real one did. Entries live in
``OUTDIR/.folio-cache/<slug>.json``, one per book, so books built in parallel
never write the same file. An entry is checked field by field when it is read:
one that is damaged, names a file outside the output folder, or lacks an output
of a format asked for is a miss, never a crash, a hang or a false "unchanged".
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import stat
from pathlib import Path

from . import __version__
from .book import BookSource
from .confined import read_regular
from .diagnostics import Diagnostic
from .outputs import write_text

#: Folder name of the cache inside the output folder.
CACHE_DIR = ".folio-cache"
#: Bumped when the entry format changes.
SCHEMA = 2
#: Largest file a cache entry may have the build depend on (an image), in bytes.
MAX_DEPENDENCY = 64 * 1024 * 1024
_PACKAGE = Path(__file__).resolve().parent
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass
class BookResult:
    """What building one book produced (or the cache gave back: ``cached``)."""

    display: str
    #: Format name -> written file.
    outputs: dict[str, Path]
    #: Stage name -> seconds.
    timings: dict[str, float]
    #: True if nothing was built: the outputs of an earlier build were still good.
    cached: bool = False
    #: Formats left out because the system lacks a library they need (reported).
    missing: list[str] = dataclasses.field(default_factory=list)


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
    """Name, kind, size, modification and change time of everything under ``folder``;
    nothing is read (a link counts by its target's text). The change time cannot be
    set back by hand, so a file edited and given its old time still counts as changed."""
    for path in _files_under(folder, skip):
        digest.update(os.fsencode(path.relative_to(folder)) + b"\0")
        try:
            info = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISLNK(info.st_mode):
            digest.update(b"link:" + os.fsencode(os.readlink(path)))
        else:
            digest.update(f"{stat.S_IFMT(info.st_mode)}:{info.st_size}:{info.st_mtime_ns}:"
                          f"{info.st_ctime_ns}:{info.st_ino}".encode())


@functools.lru_cache(maxsize=1)
def folio_digest() -> str:
    """folio's version, code, fonts and built-in templates (fixed for one process)."""
    digest = hashlib.sha256(f"folio {__version__} schema {SCHEMA}\0".encode())
    # WeasyPrint as released, to measure folio's fixes (``pdf.weasyprint_fixes``).
    digest.update(os.environ.get("FOLIO_WEASYPRINT_AS_RELEASED", "").encode() + b"\0")
    # Every file of the package: its code, its fonts and the built-in templates.
    for path in sorted(_PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0")
            _hash_file(digest, path)
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
    #: The formats built (each has its file in ``outputs``).
    formats: list[str] = dataclasses.field(default_factory=list)


#: Options that change when the outputs go into place, not what they are.
NOT_KEYED = ("preview",)


class BuildCache:
    """Keys and entries for the books built into one output folder."""

    def __init__(self, outdir: Path, force: bool = False) -> None:
        self.outdir = Path(outdir)
        self.folder = self.outdir / CACHE_DIR
        #: Ignore entries (``--force``); finished builds are still recorded.
        self.force = force

    def key(self, book: BookSource, formats: list[str], options: dict) -> str:
        """The hash of the book's inputs (before the extras its last build recorded)."""
        digest = hashlib.sha256(folio_digest().encode())
        settings = {"formats": list(formats),
                    "options": {k: v for k, v in options.items() if k not in NOT_KEYED},
                    "epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
                    "display": book.display, "slug": book.slug}
        digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
        digest.update(json.dumps(book.metadata.values, sort_keys=True, default=str).encode())
        for file in book.files:
            digest.update(b"\0" + os.fsencode(file.display) + f"\0{file.body_line}\0".encode())
            digest.update(file.body.encode("utf-8", "surrogatepass"))
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

    def lookup(self, slug: str, key: str, formats: list[str] | None = None) -> Entry | None:
        """The entry for ``key`` if it is sound, has a file for each of ``formats`` and
        every recorded input and output is unchanged; else None."""
        if self.force:
            return None
        try:
            raw = self._path(slug).read_bytes()
        except OSError:
            return None
        entry = _valid_entry(raw)
        if entry is None or entry.key != key:
            return None
        if formats is not None and sorted(entry.formats) != sorted(formats):
            return None
        for name, (size, mtime) in entry.stamps.items():
            try:
                info = os.stat(self.outdir / name)
            except OSError:
                return None
            if not stat.S_ISREG(info.st_mode) or info.st_size != size \
                    or info.st_mtime_ns != mtime:
                return None
        for name, expected in entry.depends.items():
            data = read_regular(self.outdir / name, MAX_DEPENDENCY)
            if data is None or hashlib.sha256(data).hexdigest() != expected:
                return None
        return entry

    def store(self, slug: str, key: str, outputs: dict[str, Path], folder: Path,
              diagnostics: list[Diagnostic], depends: dict[Path, str],
              timings: dict[str, float], formats: list[str] | None = None) -> None:
        """Record a finished build; ``folder`` is the book's output folder, ``depends``
        the files it read besides the manuscript, with their SHA-256; ``formats`` the
        formats built (``outputs`` also names files beside them: the print cover)."""
        stamps = {}
        written = set(outputs.values())
        written.update(p for p in folder.glob("*") if p.is_file())
        for path in sorted(written):
            info = os.stat(path)
            stamps[self._relative(path)] = [info.st_size, info.st_mtime_ns]
        hashes = {self._relative(path): digest for path, digest in sorted(depends.items())}
        entry = Entry(key, {name: self._relative(path) for name, path in outputs.items()},
                      stamps,
                      [dataclasses.asdict(d) for d in diagnostics], hashes,
                      {name: round(seconds, 3) for name, seconds in timings.items()},
                      sorted(formats if formats is not None else outputs))
        write_text(self._path(slug), json.dumps(dataclasses.asdict(entry), indent=1))

    def _relative(self, path: Path) -> str:
        """``path`` relative to the output folder: the cache names no absolute path."""
        return os.path.relpath(Path(path).resolve(), self.outdir.resolve())


def diagnostics_of(entry: Entry) -> list[Diagnostic]:
    return [Diagnostic(**item) for item in entry.diagnostics]


def _inside(name: object, parents: bool = False) -> bool:
    """True for a relative path without ``..`` (with ``parents``: ``..`` only at its
    start, as the book's images relative to the output folder have them)."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\0" in name:
        return False
    parts = name.split("/")
    while parents and parts and parts[0] == "..":
        parts = parts[1:]
    return bool(parts) and all(part not in ("", ".", "..") for part in parts)


def _valid_entry(raw: bytes) -> Entry | None:
    """The entry in ``raw`` if every field has the type and form it must have."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    fields = {field.name for field in dataclasses.fields(Entry)}
    if not isinstance(data, dict) or set(data) != fields:
        return None
    try:
        entry = Entry(**data)
    except TypeError:
        return None
    diagnostic_fields = {field.name: field.type for field in dataclasses.fields(Diagnostic)}
    sound = (
        isinstance(entry.key, str)
        and isinstance(entry.outputs, dict) and isinstance(entry.stamps, dict)
        and isinstance(entry.depends, dict) and isinstance(entry.timings, dict)
        and isinstance(entry.diagnostics, list) and isinstance(entry.formats, list)
        and all(_inside(path) and path in entry.stamps and isinstance(name, str)
                for name, path in entry.outputs.items())
        and set(entry.formats) <= set(entry.outputs)
        and all(_inside(name) and isinstance(stamp, list) and len(stamp) == 2
                and all(isinstance(n, int) and not isinstance(n, bool) for n in stamp)
                for name, stamp in entry.stamps.items())
        and all(_inside(name, parents=True) and isinstance(digest, str)
                and _SHA256.fullmatch(digest) for name, digest in entry.depends.items())
        and all(isinstance(seconds, (int, float)) for seconds in entry.timings.values())
        and all(isinstance(item, dict) and set(item) == set(diagnostic_fields)
                and all(isinstance(item[name], int if kind == "int" else str)
                        and not isinstance(item[name], bool)
                        for name, kind in diagnostic_fields.items())
                and item["severity"] in ("warning", "error")
                for item in entry.diagnostics))
    return entry if sound else None
