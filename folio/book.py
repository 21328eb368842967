"""Load a book from disk: its manuscript files, their text, and its raw metadata.

A book is either one Markdown file with YAML front matter, or a folder with a
``book.yaml`` (or ``metadata.yaml``) and chapter files ``*.md`` taken in name order.
Nothing here runs pandoc; this is the "load" stage of the pipeline.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from pathlib import Path

import yaml

from .confined import NotAFile, Outside, Read, TooLarge, read_inside
from .diagnostics import BuildError, Diagnostic

#: Largest manuscript file we accept, in bytes.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Largest book (all manuscript files of a book folder together), in bytes.
MAX_BOOK_BYTES = 32 * 1024 * 1024
#: Deepest nesting of YAML metadata (PyYAML reads it recursively).
MAX_YAML_DEPTH = 20
#: Names of the metadata file of a book folder, in order of preference.
METADATA_FILES = ("book.yaml", "book.yml", "metadata.yaml", "metadata.yml")
#: Markdown file suffixes.
MARKDOWN_SUFFIXES = (".md", ".markdown")


@dataclasses.dataclass
class SourceFile:
    """One manuscript file, decoded."""

    #: The path as the user should see it in messages.
    display: str
    #: The absolute path where the file really is (inside the book folder).
    path: Path
    #: The text with front matter lines blanked out, so line numbers stay true.
    body: str
    #: Line number (1-based) of the first line after the front matter.
    body_line: int = 1
    #: Its modification time when it was read (seconds since the epoch).
    mtime: float = 0.0


@dataclasses.dataclass
class RawMetadata:
    """Metadata as read from YAML, with the line of each key."""

    values: dict
    lines: dict
    #: The file the metadata came from (for messages).
    display: str
    #: True if the author gave any front matter or metadata file at all.
    present: bool


@dataclasses.dataclass
class BookSource:
    """Everything read from disk for one book, before parsing."""

    #: The folder that bounds what the book may read (images and the like).
    root: Path
    #: A short name for output files, from the file or folder name.
    slug: str
    #: The path the user named.
    display: str
    files: list[SourceFile]
    metadata: RawMetadata
    #: True for a book folder, False for a single manuscript file.
    is_folder: bool = False
    #: Warnings found while loading (a chapter that is no file), reported with the
    #: book's other diagnostics when it is read.
    notes: list[Diagnostic] = dataclasses.field(default_factory=list)


def load_book(source: Path | str) -> BookSource:
    """Read a manuscript file or a book folder.

    Every file is read once, inside the book folder (``folio.confined``): the path
    named may not be a link that leads out of it -- a book folder that is a link, a
    manuscript that is a link to a file elsewhere -- and nor may a chapter."""
    display = str(source)
    path = Path(source)
    try:
        info = os.lstat(path)
    except OSError:
        raise BuildError(display, "no such file or folder") from None
    if stat.S_ISLNK(info.st_mode) and os.path.isdir(path):
        raise BuildError(display, f"is a symbolic link to '{os.readlink(path)}'; folio reads "
                         "a book folder only where it is: name that folder itself",
                         code="outside")
    if os.path.isdir(path):
        return _load_folder(path, display)
    return _load_file(path, display)


def _read(root: Path, name: str, display: str, limit: int = MAX_FILE_BYTES) -> Read:
    """``name`` read inside ``root``, or the ``BuildError`` that says why not."""
    try:
        return read_inside(root, name, limit)
    except Outside:
        raise BuildError(display, "is a link to a file outside the book folder; it is not "
                         "read", code="outside") from None
    except TooLarge as error:
        raise BuildError(display, f"file is {error.size // 1024} KiB; the limit is "
                                  f"{error.limit // 1024} KiB", code="too-large") from None
    except NotAFile as error:
        raise BuildError(display, f"{error.strerror}; it is not read",
                         code="not-a-file") from None
    except OSError as error:
        raise BuildError(display, f"cannot read: {error.strerror or error}") from None


def _load_file(path: Path, display: str) -> BookSource:
    # The folder that holds the manuscript bounds it: a link to a file elsewhere is
    # not read (a link to a draft beside it is).
    root = Path(os.path.realpath(path.absolute().parent))
    read = _read(root, path.name, display)
    text = decode_text(read.data, display)
    front, body, body_line, front_line = split_front_matter(text)
    metadata = parse_yaml_metadata(front, display, front_line) if front is not None \
        else RawMetadata({}, {}, display, False)
    source = SourceFile(display, root / read.relative, body, body_line, read.mtime)
    return BookSource(root, slugify(path.stem), display, [source], metadata)


def _load_folder(path: Path, display: str) -> BookSource:
    root = Path(os.path.realpath(path))
    notes: list[Diagnostic] = []
    try:
        names = sorted(os.listdir(root))
    except OSError as error:
        raise BuildError(display, f"cannot read the folder: {error.strerror}") from None
    meta_name = next((n for n in METADATA_FILES if n in names), None)
    if meta_name is not None:
        meta_display = str(Path(display) / meta_name)
        read = _read(root, meta_name, meta_display)
        metadata = parse_yaml_metadata(decode_text(read.data, meta_display), meta_display, 1)
    else:
        metadata = RawMetadata({}, {}, display, False)
    wanted = [name for name in names
              if Path(name).suffix.lower() in MARKDOWN_SUFFIXES
              and not name.startswith((".", "_")) and name.lower() != "readme.md"]
    files: list[SourceFile] = []
    total = 0
    for name in wanted:
        chapter_display = str(Path(display) / name)
        try:
            read = _read(root, name, chapter_display)
        except BuildError as error:
            if error.diagnostic.code != "not-a-file":
                raise
            # A FIFO, a socket, a folder named *.md: no chapter, and said so.
            notes.append(Diagnostic(chapter_display, 0, 0, "warning",
                                    f"{error.diagnostic.message.split(';')[0]}; it is left "
                                    "out of the book", "not-a-file"))
            continue
        total += len(read.data)
        if total > MAX_BOOK_BYTES:
            raise BuildError(display, f"the chapter files hold more than {total // 1024} KiB; "
                                      f"the limit is {MAX_BOOK_BYTES // 1024} KiB",
                             code="too-large")
        text = decode_text(read.data, chapter_display)
        front, body, body_line, front_line = split_front_matter(text)
        if front is not None and not metadata.present:
            metadata = parse_yaml_metadata(front, chapter_display, front_line)
        files.append(SourceFile(chapter_display, root / read.relative, body, body_line,
                                read.mtime))
    if not files:
        raise BuildError(display, "the book folder holds no Markdown chapter files (*.md)")
    return BookSource(root, slugify(root.name), display, files, metadata, is_folder=True,
                      notes=notes)


def is_book_folder_collection(path: Path) -> bool:
    """True for a folder of books (``content/``): no metadata file of its own, and at
    least one folder in it that holds Markdown files (a book folder)."""
    if not path.is_dir() or any((path / name).is_file() for name in METADATA_FILES):
        return False
    return any(entry.is_dir() and not entry.name.startswith((".", "_"))
               and entry.name not in ("templates", "images")
               and any(p.suffix.lower() in MARKDOWN_SUFFIXES for p in entry.iterdir())
               for entry in path.iterdir())


def decode_text(data: bytes, display: str) -> str:
    """UTF-8 bytes (with or without BOM) as text with ``\\n`` line ends, or the
    ``BuildError`` that names where they are not UTF-8."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for bom, name in _OTHER_BOMS:
        if data.startswith(bom):
            raise BuildError(display, f"the file is {name}, not UTF-8; save it as UTF-8",
                             1, 1, "encoding")
    nul = data.find(b"\x00")
    if nul >= 0:  # valid UTF-8, but no text: UTF-16 without a BOM, or a binary file
        line = data.count(b"\n", 0, nul) + 1
        start = data.rfind(b"\n", 0, nul) + 1
        col = len(data[start:nul].decode("utf-8", "replace")) + 1
        raise BuildError(display, "NUL byte: this is not UTF-8 text (UTF-16 without a byte "
                                  "order mark, or a binary file?); save it as UTF-8", line, col,
                         "encoding")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        start = data.rfind(b"\n", 0, error.start) + 1
        col = len(data[start:error.start].decode("utf-8", "replace")) + 1
        raise BuildError(display, f"not valid UTF-8 (byte 0x{data[error.start]:02x}); "
                                  "save the file as UTF-8", line, col, "encoding") from None
    # Other control characters are reported by checks.py (invisible-character); the
    # writers keep them out of XML (xhtml.py).
    return text.replace("\r\n", "\n").replace("\r", "\n")


#: Byte order marks of encodings other than UTF-8 (UTF-32 before UTF-16: same start).
_OTHER_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
               (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


_FENCE_OPEN = re.compile(r"---[ \t]*$")
_FENCE_CLOSE = re.compile(r"(---|\.\.\.)[ \t]*$")


def split_front_matter(text: str) -> tuple[str | None, str, int, int]:
    """Split YAML front matter from the body.

    Returns (front matter text or None, body with the front matter lines
    blanked, first body line, line of the first YAML line). Leading blank
    lines before the opening ``---`` are allowed.
    """
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines) or not _FENCE_OPEN.match(lines[start]):
        return None, text, 1, 0
    # An opening fence followed by a blank line is a thematic break, not YAML.
    if start + 1 < len(lines) and not lines[start + 1].strip():
        return None, text, 1, 0
    for end in range(start + 1, len(lines)):
        if _FENCE_CLOSE.match(lines[end]):
            front = "\n".join(lines[start + 1:end])
            body = "\n" * (end + 1) + "\n".join(lines[end + 1:])
            return front, body, end + 2, start + 2
    return None, text, 1, 0


class _NoAliasLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses anchors and aliases (no alias bombs)."""

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError("while reading metadata", None,
                                       "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def parse_yaml_metadata(text: str, display: str, first_line: int) -> RawMetadata:
    """Parse YAML safely into a dict, remembering the line of each top-level key."""
    loader = _NoAliasLoader(text)
    try:
        _check_yaml_depth(text, display, first_line)
        node = loader.get_single_node()
        if node is None:
            return RawMetadata({}, {}, display, True)
        if not isinstance(node, yaml.MappingNode):
            raise BuildError(display, "metadata must be a mapping of keys to values "
                                      "(key: value)", node.start_mark.line + first_line,
                             code="metadata")
        values, lines = {}, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + first_line
            if not isinstance(key, str):
                raise BuildError(display, f"metadata key {key!r} is not a name", line,
                                 code="metadata")
            try:
                values[key] = loader.construct_object(value_node, deep=True)
            except (ValueError, TypeError, OverflowError) as error:
                raise BuildError(display, f"metadata '{key}' has an invalid value: {error}",
                                 line, code="metadata") from None
            lines[key] = line
        return RawMetadata(values, lines, display, True)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + first_line) if mark else first_line
        col = (mark.column + 1) if mark else 0
        problem = (error.problem or error.context or "invalid YAML").strip()
        problem = problem.replace("'<stream end>'", "the end of the front matter")
        start = error.context_mark
        if error.context and start and mark and start.line != mark.line:
            # PyYAML notices an unclosed '[' or '{' lines later: name where it opened.
            problem += (f" ({error.context.strip()} that starts at line "
                        f"{start.line + first_line}, column {start.column + 1})")
        raise BuildError(display, f"invalid YAML metadata: {problem}", line, col,
                         "yaml") from None
    except yaml.YAMLError as error:
        raise BuildError(display, f"invalid YAML metadata: {error}", first_line,
                         code="yaml") from None
    finally:
        loader.dispose()


def _check_yaml_depth(text: str, display: str, first_line: int) -> None:
    """Refuse YAML nested deeper than ``MAX_YAML_DEPTH`` (PyYAML would recurse)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise BuildError(display, f"metadata nests more than {MAX_YAML_DEPTH} levels "
                                          "deep", event.start_mark.line + first_line,
                                 event.start_mark.column + 1, "yaml")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def slugify(name: str) -> str:
    """A file-name-safe slug: lowercase ASCII letters, digits and hyphens."""
    import unicodedata
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text or "book"
