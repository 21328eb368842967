"""Code as pages and e-readers show it: wrapped where a programmer would break it,
never at a hyphen, and never looking like a new line of code.

- ``code_block``: a code block as one block per line. A line longer than the
  measure is cut into pieces -- after a space, else after ``/ . _ = & , ; :``
  and brackets, never at a hyphen (``apt-get``, ``'978-0-88179-206-5'``) -- and
  each piece after the first hangs two columns deeper than the line's own
  indentation, behind a continuation mark (→, drawn by the stylesheet, so that it
  is not copied with the code).
- ``inline_code``: code in a sentence may break only after ``/ . _ = &``; a run
  with a hyphen is kept whole, and no hyphen is added (the stylesheets set
  ``hyphens: none``).

The PDF knows its measure exactly (a monospaced font on a known text block); the
EPUB's depends on the reader's screen, so it is cut at a measure most screens
hold, and a line that is still too long wraps under the same hanging indent.
"""

from __future__ import annotations

import html
import re

from ..ast import RawBlock, RawInline, expand

#: Characters after which code may break (spaces are the first choice).
BREAK_AFTER = "/._=&,;:)]}|([{"
#: Characters after which inline code may break.
INLINE_BREAK_AFTER = "/._=&"
#: Columns a continuation hangs deeper than its line (the mark and a space).
HANG = 2
#: A tab in a code block counts as this many columns.
TAB = 4
#: Where the EPUB cuts code lines: about what an A5 page holds (62 columns), so that
#: code breaks in the e-book where it breaks in print.
EREADER_COLUMNS = 60


def _cut(text: str, width: int) -> tuple[str, str]:
    """``text`` cut before ``width`` columns at the best place: after the last space,
    else after the last break character, else (a token longer than the measure) at
    the measure, but not right after a hyphen."""
    if len(text) <= width:
        return text, ""
    window = text[:width + 1]
    space = window.rfind(" ", 1)
    if space > width // 3:
        return text[:space + 1], text[space + 1:]
    for position in range(width - 1, width // 3, -1):
        if text[position] in BREAK_AFTER and text[position + 1] != " ":
            return text[:position + 1], text[position + 1:]
    position = width
    while position > width // 2 and text[position - 1] == "-":
        position -= 1
    return text[:position], text[position:]


def wrap_line(line: str, columns: int) -> list[str]:
    """One line of code as the pieces it is printed in: the first as it starts,
    each continuation without its indentation (it is placed by ``code_block``)."""
    line = line.expandtabs(TAB)
    indent = len(line) - len(line.lstrip(" "))
    if columns <= 0 or len(line) <= columns:
        return [line]
    pieces = []
    first, rest = _cut(line, columns)
    pieces.append(first)
    room = max(columns - indent - HANG, columns // 3)
    while rest:
        piece, rest = _cut(rest, room)
        pieces.append(piece)
    return pieces


def code_block(node: dict, columns: int) -> dict:
    """A pandoc ``CodeBlock`` as a RawBlock: one ``span.line`` per printed line, the
    continuations marked ``cont`` and indented under their line's start."""
    (ident, classes, _keyvals), text = node["c"]
    out = []
    for line in text.split("\n"):
        pieces = wrap_line(line, columns)
        indent = len(pieces[0]) - len(pieces[0].lstrip(" "))
        out.append(f'<span class="line">{html.escape(pieces[0]) or "&#8203;"}</span>')
        for piece in pieces[1:]:
            out.append(f'<span class="line cont">{" " * indent}<span class="cont-mark">'
                       f'</span>{html.escape(piece)}</span>')
    attrs = f' id="{html.escape(ident)}"' if ident else ""
    css = " ".join(["folio-code", *(html.escape(c) for c in classes)])
    return RawBlock(f'<pre class="{css}"{attrs}><code>{"".join(out)}</code></pre>')


_INLINE_PIECE = re.compile(f"[^{re.escape(INLINE_BREAK_AFTER)} ]*[{re.escape(INLINE_BREAK_AFTER)}]*"
                           "| ")


def for_ereaders(blocks: list) -> list:
    """Every code block cut at ``EREADER_COLUMNS``, every inline code made to break
    only where code may."""
    def act(node: dict):
        if node["t"] == "CodeBlock":
            return code_block(node, EREADER_COLUMNS)
        if node["t"] == "Code":
            return inline_code(node)
        return None

    return expand(blocks, act)


def inline_code(node: dict) -> dict:
    """A pandoc ``Code`` as a RawInline that breaks only after ``/ . _ = &`` (a
    ``<wbr>``) and at spaces; pieces with a hyphen are kept whole (``nobr``)."""
    (ident, classes, _keyvals), text = node["c"]
    out = []
    for piece in _INLINE_PIECE.findall(text):
        if not piece:
            continue
        escaped = html.escape(piece)
        if "-" in piece.rstrip(INLINE_BREAK_AFTER):
            escaped = f'<span class="nobr">{escaped}</span>'
        out.append(escaped)
        if piece[-1] in INLINE_BREAK_AFTER:
            out.append("<wbr>")
    attrs = f' id="{html.escape(ident)}"' if ident else ""
    css = f' class="{" ".join(html.escape(c) for c in classes)}"' if classes else ""
    return RawInline(f'<code{attrs}{css}>{"".join(out).removesuffix("<wbr>")}</code>')
