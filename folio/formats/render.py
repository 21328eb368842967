"""Render: turn AST pieces into HTML fragments with as few pandoc runs as can be.

Every format's pieces (chapters, notes, headings) go into one document,
separated by a marker comment; pandoc renders it once and the output is split
back into the pieces: one pandoc start per book instead of one per piece. A long
book's pieces go into several such documents of at most ``BATCH_CHARACTERS`` of
JSON, rendered side by side, so that no pandoc run needs more than its heap cap.
"""

from __future__ import annotations

import concurrent.futures
import copy
import json
import re
import secrets

from ..ast import RawBlock
from ..parse import run_pandoc, strip_positions
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


def render_pieces(pieces: list[list], api_version: list, display: str) -> list[str]:
    """Render each list of blocks in ``pieces`` to an HTML fragment."""
    texts = [json.dumps(strip_positions(copy.deepcopy(piece))) for piece in pieces]
    batches: list[list[int]] = [[]]
    size = 0
    for index, text in enumerate(texts):
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

    if len(batches) == 1:
        fragments = render(batches[0])
    else:
        with concurrent.futures.ThreadPoolExecutor(BATCH_RUNS) as pool:
            fragments = [fragment for done in pool.map(render, batches) for fragment in done]
    # folio.safety: the only HTML that reaches an output is cut down to an allow-list.
    return [data_cells_for_empty_headers(sanitise_fragment(fragment))
            for fragment in fragments]


_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def data_cells_for_empty_headers(fragment: str) -> str:
    """An empty header cell (``| | Short | Long |``, common in READMEs) heads
    nothing: it becomes a data cell, as Ace and axe-core ask (empty-table-header)."""
    return _EMPTY_HEADER.sub(lambda m: f"<td{m.group(1) or ''}></td>", fragment)
