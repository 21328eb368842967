"""Render: turn AST pieces into HTML fragments with as few pandoc runs as can be.

Every format's pieces (chapters, notes, headings) go into one document,
separated by a marker comment; pandoc renders it once and the output is split
back into the pieces: one pandoc start per book instead of one per piece. A long
book's pieces go into several such documents of at most ``BATCH_CHARACTERS`` of
JSON, rendered side by side, so that no pandoc run needs more than its heap cap.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import re
import secrets
from pathlib import Path

from ..ast import RawBlock
from ..outputs import write_bytes
from ..parse import run_pandoc, strip_positions
from ..readcache import pack, tools, unpack
from ..safety import sanitise_fragment

#: A marker no manuscript can contain: it changes with every run.
_SPLIT = f"<!--folio:piece:{secrets.token_hex(12)}-->"
#: pandoc's HTML writer, with no standalone page and no line wrapping.
WRITER_ARGS = ["-f", "json", "-t", "html5", "--wrap=none", "--syntax-highlighting=none",
               "--html-q-tags=false"]


#: JSON characters of the pieces one pandoc run renders at most (a piece longer than
#: this is rendered alone).
BATCH_CHARACTERS = 8_000_000
#: pandoc runs at once.
BATCH_RUNS = 4


class RenderMemo:
    """The fragments of the last build of one book (``OUTDIR/.folio-cache/render/
    <slug>.pickle``): a piece whose JSON is unchanged is not rendered again, so an
    edit of one chapter runs pandoc on that chapter's pieces only.

    One entry per book, a dict from the SHA-256 of a piece's JSON (and pandoc's API
    version) to its fragment as ``render_pieces`` returns it, written atomically
    with ``readcache.pack`` under a key of folio's code, pandoc and the writer's
    options (``readcache.tools``); damaged, foreign or of another key: empty. Only
    the pieces of the last build are kept."""

    def __init__(self, path: Path, force: bool = False) -> None:
        self.path = Path(path)
        self.key = hashlib.sha256("\0".join([tools(), "render", *WRITER_ARGS])
                                  .encode()).hexdigest()
        self.found: dict[str, str] = {} if force else self._load()
        self.used: dict[str, str] = {}

    def _load(self) -> dict[str, str]:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return {}
        data = unpack(raw, self.key, 64 * len(raw) + (1 << 20))
        if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            return {}
        return data

    def write(self) -> None:
        """Keep the fragments of this build for the next one."""
        if self.used != self.found:
            os.makedirs(self.path.parent, exist_ok=True)
            write_bytes(self.path, pack(self.key, self.used))


def render_pieces(pieces: list[list], api_version: list, display: str,
                  memo: RenderMemo | None = None) -> list[str]:
    """Render each list of blocks in ``pieces`` to an HTML fragment (with ``memo``:
    only the pieces it does not have). The pieces are used up: their source
    positions are taken out in place (a builder makes its pieces from copies)."""
    return render_texts([json.dumps(strip_positions(piece)) for piece in pieces],
                        api_version, display, memo)


def piece_texts(pieces: list[list]) -> list[str]:
    """Each piece as pandoc's JSON (``render_texts`` takes them), its source positions
    taken out; ``pieces`` is emptied as it goes. A piece as Python objects takes
    several times its JSON: a 600-page book's pieces for the reading page and the
    EPUB, all held until they were rendered, were 190 MB of this process's peak."""
    texts = []
    for index, piece in enumerate(pieces):
        texts.append(json.dumps(strip_positions(piece)))
        pieces[index] = None
    pieces.clear()
    return texts


def render_texts(texts: list[str], api_version: list, display: str,
                 memo: RenderMemo | None = None) -> list[str]:
    """Render each piece, given as pandoc's JSON of a list of blocks, to an HTML
    fragment (with ``memo``: only the pieces it does not have)."""
    keys = [hashlib.sha256(f"{api_version}\0{text}".encode()).hexdigest()
            for text in texts] if memo is not None else []
    known = {i: memo.found[key] for i, key in enumerate(keys) if key in memo.found} \
        if memo is not None else {}
    todo = [index for index in range(len(texts)) if index not in known]
    batches: list[list[int]] = [[]]
    size = 0
    for index in todo:
        text = texts[index]
        if batches[-1] and size + len(text) > BATCH_CHARACTERS:
            batches.append([])
            size = 0
        batches[-1].append(index)
        size += len(text)

    def render(batch: list[int]) -> list[str]:
        split = json.dumps(RawBlock(_SPLIT))
        # An empty piece is an empty raw block between its markers.
        blocks = f",{split},".join(texts[index][1:-1] or json.dumps(RawBlock(""))
                                   for index in batch)
        document = (f'{{"pandoc-api-version": {json.dumps(api_version)}, "meta": {{}}, '
                    f'"blocks": [{blocks}]}}')
        output = run_pandoc(WRITER_ARGS, document, display)
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


_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def data_cells_for_empty_headers(fragment: str) -> str:
    """An empty header cell (``| | Short | Long |``, common in READMEs) heads
    nothing: it becomes a data cell, as Ace and axe-core ask (empty-table-header)."""
    return _EMPTY_HEADER.sub(lambda m: f"<td{m.group(1) or ''}></td>", fragment)
