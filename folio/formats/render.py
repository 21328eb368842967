"""Render: turn AST pieces into HTML fragments with a single pandoc run.

Every format's pieces (chapters, notes, headings) go into one document,
separated by a marker comment; pandoc renders it once and the output is split
back into the pieces. One pandoc start per book instead of one per piece.
"""

from __future__ import annotations

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


def render_pieces(pieces: list[list], api_version: list, display: str) -> list[str]:
    """Render each list of blocks in ``pieces`` to an HTML fragment."""
    blocks: list = []
    for index, piece in enumerate(pieces):
        if index:
            blocks.append(RawBlock(_SPLIT))
        blocks.extend(piece)
    document = {"pandoc-api-version": api_version, "meta": {},
                "blocks": strip_positions(copy.deepcopy(blocks))}
    output = run_pandoc(WRITER_ARGS, json.dumps(document), display)
    fragments = [fragment.strip() for fragment in output.split(_SPLIT)]
    if len(fragments) != len(pieces):
        raise AssertionError("a manuscript's raw HTML contains folio's split marker")
    # folio.safety: the only HTML that reaches an output is cut down to an allow-list.
    return [data_cells_for_empty_headers(sanitise_fragment(fragment))
            for fragment in fragments]


_EMPTY_HEADER = re.compile(r"<th(\s[^>]*)?>\s*</th>")


def data_cells_for_empty_headers(fragment: str) -> str:
    """An empty header cell (``| | Short | Long |``, common in READMEs) heads
    nothing: it becomes a data cell, as Ace and axe-core ask (empty-table-header)."""
    return _EMPTY_HEADER.sub(lambda m: f"<td{m.group(1) or ''}></td>", fragment)
