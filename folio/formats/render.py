"""Render: turn AST pieces into HTML fragments with as few pandoc runs as can be.

Every format's pieces (chapters, notes, headings) go into one document,
separated by a marker comment; pandoc renders it once and the output is split
back into the pieces: one pandoc start per book instead of one per piece. A long
book's pieces go into several such documents of at most ``BATCH_CHARACTERS`` of
JSON, rendered side by side, so that no pandoc run needs more than its heap cap.

Between builds ``RenderMemo`` keeps what was made: each piece's fragment, and per
chapter what a builder made of it (``ChapterPieces``), so that an edit makes and
renders again the pieces of the chapter it changed, not the book's.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import pickle
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from ..ast import RawBlock
from ..outputs import write_bytes
from ..parse import run_pandoc, strip_positions
from ..readcache import library_version, pack, tools, unpack
from ..safety import sanitise_fragment

#: A marker no manuscript can contain: it changes with every run.
_SPLIT = f"<!--folio:piece:{secrets.token_hex(12)}-->"
#: pandoc's HTML writer, with no standalone page and no line wrapping (under which a
#: ``SoftBreak`` is a space, as ``joined_words`` makes it).
WRITER_ARGS = ["-f", "json", "-t", "html5", "--wrap=none", "--syntax-highlighting=none",
               "--html-q-tags=false"]


#: JSON characters of the pieces one pandoc run renders at most (a piece longer than
#: this is rendered alone). pandoc's memory grows with its run: runs of 8 million
#: were the 2,500-page bench book's largest processes (340 MB each); 4 million take
#: half, for a start of 0.07 s more per run.
BATCH_CHARACTERS = 4_000_000
#: pandoc runs at once.
BATCH_RUNS = 4
#: JSON characters from which the pieces are rendered in more than one run, one per
#: core: pandoc starts in about 0.07 s and renders some 5 million characters a
#: second. The 150-page bench book's PDF pieces (2 million) took 0.40 s in one run,
#: 0.27 s in two, on the way to the PDF's first part. (Measured before the words
#: were joined, ``joined_words``: the same pieces are 0.5 million now, one run.)
RUN_CHARACTERS = 500_000


#: Libraries whose version the pieces depend on, besides those of ``readcache.tools``:
#: the code's colours (Pygments) and the PDF's formula drawings (ziamath, ziafont).
PIECE_LIBRARIES = ("Pygments", "ziamath", "ziafont")


@dataclasses.dataclass(frozen=True)
class Known:
    """A piece that the render memo holds rendered: its key there (``piece_key``).
    ``render_texts`` takes it beside pieces given as JSON."""

    key: str


def piece_key(text: str, api_version: list) -> str:
    """The memo's key of a piece given as pandoc's JSON."""
    return hashlib.sha256(f"{api_version}\0{text}".encode()).hexdigest()


class RenderMemo:
    """What the last build of one book made (``OUTDIR/.folio-cache/render/
    <slug>.pickle``): a piece whose JSON is unchanged is not rendered again, and a
    chapter that is unchanged is not made into pieces again (``ChapterPieces``), so
    that an edit of one chapter makes and renders that chapter's pieces only.

    Two tables: the fragments, from the SHA-256 of a piece's JSON (and pandoc's API
    version) to its fragment as ``render_texts`` returns it; the chapters, from a
    key of what a builder made a chapter's piece from to the piece's key in the
    first table and what else the builder took from the chapter (plain data). One
    entry per book, written atomically with ``readcache.pack`` under a key of
    folio's code, pandoc and the writer's options (``readcache.tools``); damaged,
    foreign or of another key: empty. Only what the last build used is kept."""

    def __init__(self, path: Path, force: bool = False) -> None:
        self.path = Path(path)
        self.key = hashlib.sha256("\0".join([tools(), "render", *WRITER_ARGS,
                                             *map(library_version, PIECE_LIBRARIES)])
                                  .encode()).hexdigest()
        self.found, self.chapters_found = ({}, {}) if force else self._load()
        self.used: dict[str, str] = {}
        self.chapters_used: dict[str, tuple[str, object]] = {}
        self._digests: tuple[object, list[str]] | None = None

    def _load(self) -> tuple[dict[str, str], dict[str, tuple[str, object]]]:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}, {}
        data = unpack(raw, self.key, 64 * len(raw) + (1 << 20))
        if not isinstance(data, dict) or set(data) != {"fragments", "chapters"}:
            return {}, {}
        fragments, chapters = data["fragments"], data["chapters"]
        if not isinstance(fragments, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in fragments.items()):
            return {}, {}
        if not isinstance(chapters, dict) or not all(
                isinstance(k, str) and isinstance(v, tuple) and len(v) == 2
                and isinstance(v[0], str) for k, v in chapters.items()):
            return fragments, {}
        return fragments, chapters

    def write(self) -> None:
        """Keep what this build made for the next one."""
        if self.used != self.found or self.chapters_used != self.chapters_found:
            os.makedirs(self.path.parent, exist_ok=True)
            write_bytes(self.path, pack(self.key, {"fragments": self.used,
                                                   "chapters": self.chapters_used}))

    def chapter_digests(self, document) -> list[str]:
        """The SHA-256 of each of ``document``'s chapters, everything in it (its
        blocks with their source positions, title, number, file), made once per build."""
        if self._digests is None or self._digests[0] is not document:
            self._digests = (document, [
                hashlib.sha256(pickle.dumps(chapter, pickle.HIGHEST_PROTOCOL)).hexdigest()
                for chapter in document.chapters])
        return self._digests[1]

    def made(self, key: str, sound: Callable[[object], bool]) -> tuple[str, object] | None:
        """The piece key and the extras kept under ``key`` by the last build, if its
        fragment is here too and ``sound(extras)``; else None."""
        entry = self.chapters_found.get(key)
        if entry is None or entry[0] not in self.found or not sound(entry[1]):
            return None
        self.chapters_used[key] = entry
        return entry

    def keep(self, key: str, piece: str, extras: object) -> None:
        self.chapters_used[key] = (piece, extras)


class ChapterPieces:
    """One builder's pieces, chapter by chapter, through the memo: a chapter made by
    the last build under the same key is not made again (its piece comes back as
    ``Known``). The key: ``setting`` (all the builder takes from outside the
    chapter: its class, the page size, the book's words for "Notes" …), the
    chapter's place and digest (``RenderMemo.chapter_digests``) and ``state``
    (what the chapters before hand on: the note counter).

    Making the pieces is Python's work over every chapter's tree (notes placed,
    formulas drawn, tables fitted to the page): for the 150-page bench book
    0.4 s for the PDF and 0.45 s for the reading page and the EPUB, on the way
    of every edit's PDF. Without a memo, every chapter is made."""

    def __init__(self, memo: RenderMemo | None, document, setting: str) -> None:
        self.memo = memo
        self.api_version = document.api_version
        self.setting = setting
        self.digests = memo.chapter_digests(document) if memo is not None else []

    def piece(self, index: int, make: Callable[[], tuple[list, object]], state=(),
              remember: bool = True, sound: Callable[[object], bool] = lambda _: True):
        """``make()``'s piece and extras for chapter ``index``, or what the memo kept
        of them: (a list of blocks, JSON or ``Known``; the extras). ``remember``:
        False for a chapter that depends on the whole book (the index)."""
        if self.memo is None or not remember:
            return make()
        key = hashlib.sha256(repr((self.setting, index, state, self.digests[index]))
                             .encode()).hexdigest()
        entry = self.memo.made(key, sound)
        if entry is not None:
            return Known(entry[0]), entry[1]
        blocks, extras = make()
        text = piece_json(blocks)
        self.memo.keep(key, piece_key(text, self.api_version), extras)
        return text, extras

    def numbered(self, index: int, counter, make: Callable[[], list]):
        """Chapter ``index``'s piece (``piece``) when its notes are numbered on from the
        chapters before it: ``counter.value`` is the count before it, and after it
        what ``make()`` left there, or what the memo kept."""
        piece, counter.value = self.piece(index, lambda: (make(), counter.value),
                                          state=counter.value,
                                          sound=lambda value: type(value) is int)
        return piece


def piece_json(blocks: list) -> str:
    """A piece as pandoc's JSON, its source positions taken out and its words joined
    (``joined_words``), in place."""
    return _compact(joined_words(strip_positions(blocks)))


#: The inlines pandoc's HTML writer prints as their text (``Str``) or as one space
#: (``Space``; ``SoftBreak`` too, under ``--wrap=none``).
_WORDS = frozenset(("Str", "Space", "SoftBreak"))


def joined_words(tree):
    """``tree`` with every run of ``Str``, ``Space`` and ``SoftBreak`` made one ``Str``
    of their text (a space for each of the others), in place: pandoc renders the same
    HTML from it (``WRITER_ARGS``; tests/unit/test_joined_words.py renders both), from
    JSON a third as long. pandoc read a word and a space as two objects of some 30
    characters: the 150-page bench book's pieces of the three formats were 5.7
    million characters and 1.2 s of pandoc's processor time, joined 1.8 million and
    0.3 s."""
    kind = type(tree)
    if kind is dict:
        content = tree.get("c")
        if type(content) is list or type(content) is dict:
            joined_words(content)
    elif kind is list:
        out: list = []
        words: list[str] | None = None
        run: dict = {}
        for item in tree:
            if type(item) is dict:
                name = item.get("t")
                if name in _WORDS:
                    text = item["c"] if name == "Str" else " "
                    if words is None:
                        words, run = [text], {"t": "Str", "c": text}
                        out.append(run)
                    else:
                        words.append(text)
                    continue
                content = item.get("c")
                if type(content) is list or type(content) is dict:
                    joined_words(content)
            elif type(item) is list:
                joined_words(item)
            if words is not None:
                run["c"], words = "".join(words), None
            out.append(item)
        if words is not None:
            run["c"] = "".join(words)
        tree[:] = out
    return tree


def _compact(value) -> str:
    """``value`` as JSON without spaces (a fifth shorter than ``json.dumps``'s: a
    book's pieces are held as JSON until they are rendered)."""
    return json.dumps(value, separators=(",", ":"))


def render_pieces(pieces: list[list], api_version: list, display: str,
                  memo: RenderMemo | None = None) -> list[str]:
    """Render each list of blocks in ``pieces`` to an HTML fragment (with ``memo``:
    only the pieces it does not have). The pieces are used up: their source
    positions are taken out in place (a builder makes its pieces from copies)."""
    return render_texts([piece_json(piece) for piece in pieces],
                        api_version, display, memo)


def piece_texts(pieces: list) -> list:
    """Each piece as pandoc's JSON (``render_texts`` takes them), its source positions
    taken out (one given as JSON or ``Known`` stays as it is); ``pieces`` is emptied
    as it goes. A piece as Python objects takes
    several times its JSON: a 600-page book's pieces for the reading page and the
    EPUB, all held until they were rendered, were 190 MB of this process's peak."""
    texts = []
    for index, piece in enumerate(pieces):
        texts.append(piece if isinstance(piece, (str, Known)) else piece_json(piece))
        pieces[index] = None
    pieces.clear()
    return texts


def render_texts(texts: list, api_version: list, display: str,
                 memo: RenderMemo | None = None) -> list[str]:
    """Render each piece, given as pandoc's JSON of a list of blocks (or as ``Known``
    to ``memo``), to an HTML fragment (with ``memo``: only the pieces it does not
    have)."""
    keys = [text.key if isinstance(text, Known) else piece_key(text, api_version)
            for text in texts] if memo is not None else []
    known = {i: memo.found[key] for i, key in enumerate(keys) if key in memo.found} \
        if memo is not None else {}
    todo = [index for index in range(len(texts)) if index not in known]
    sizes = [len(texts[index]) for index in todo]
    cores = min(BATCH_RUNS, os.cpu_count() or 1, sum(sizes) // RUN_CHARACTERS)
    batches = even_batches(sizes, BATCH_CHARACTERS, cores)
    batches = [[todo[i] for i in batch] for batch in batches]

    def document(batch: list[int]) -> Iterator[str]:
        """The batch's document for pandoc, piece by piece (never made whole: a batch
        is up to ``BATCH_CHARACTERS`` of JSON)."""
        yield f'{{"pandoc-api-version":{_compact(api_version)},"meta":{{}},"blocks":['
        for position, index in enumerate(batch):
            if position:
                yield f",{_compact(RawBlock(_SPLIT))},"
            # An empty piece is an empty raw block between its markers.
            yield texts[index][1:-1] or _compact(RawBlock(""))
        yield "]}"

    def render(batch: list[int]) -> list[str]:
        output = run_pandoc(WRITER_ARGS, document(batch), display)
        fragments = [fragment.strip() for fragment in output.split(_SPLIT)]
        if len(fragments) != len(batch):
            raise AssertionError("a manuscript's raw HTML contains folio's split marker")
        return fragments

    if not todo:
        fragments = []
    elif len(batches) == 1:
        fragments = render(batches[0])
    else:
        with concurrent.futures.ThreadPoolExecutor(BATCH_RUNS) as pool:
            fragments = [fragment for done in pool.map(render, batches) for fragment in done]
    # folio.safety: the only HTML that reaches an output is cut down to an allow-list.
    done = dict(known)
    for index, fragment in zip(todo, fragments):
        done[index] = data_cells_for_empty_headers(sanitise_fragment(fragment))
    if memo is not None:
        for index, key in enumerate(keys):
            memo.used[key] = done[index]
    return [done[index] for index in range(len(texts))]


def even_batches(sizes: list[int], limit: int, at_least: int = 1) -> list[list[int]]:
    """The indexes of ``sizes`` in runs, in order: as few runs as ``limit`` allows
    (and ``at_least``, while there are pieces enough), of about even size (a piece
    longer than ``limit`` alone). pandoc's memory grows with its run: the 600-page
    book's PDF pieces (8.2 million characters) went into one run of 8 million and
    one of 0.2 (pandoc at 322 MB, the build's largest process); two of 4.1 take
    less."""
    total = sum(sizes)
    count = max(1, -(-total // limit), min(at_least, len(sizes)))
    while True:
        share = max(1, total / count)
        batches: list[list[int]] = [[] for _ in range(count)]
        running = 0
        for index, size in enumerate(sizes):  # each piece where its middle falls
            batches[min(count - 1, int((running + size / 2) // share))].append(index)
            running += size
        batches = [batch for batch in batches if batch] or [[]]
        if all(len(batch) == 1 or sum(sizes[i] for i in batch) <= limit
               for batch in batches):
            return batches
        count += 1


_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def data_cells_for_empty_headers(fragment: str) -> str:
    """An empty header cell (``| | Short | Long |``, common in READMEs) heads
    nothing: it becomes a data cell, as Ace and axe-core ask (empty-table-header)."""
    return _EMPTY_HEADER.sub(lambda m: f"<td{m.group(1) or ''}></td>", fragment)
