"""Code as every format shows it: highlighted by Pygments, and, on pages and e-readers,
wrapped where a programmer would break it -- never at a hyphen, and never looking
like a new line of code.

- Highlighting: a fenced block names its language as its first class
  (```` ```python ````); each line holds Pygments' short token classes (``k``
  keyword, ``s`` string, ``c`` comment …); ``{.python .numberLines}`` numbers its
  lines (CSS counters, so that a copied block does not carry the numbers). The
  colours come from a Pygments style, each colour darkened (or, on a dark
  background, lightened) in its own hue until it reaches the contrast asked for:
  ``CODE_STYLES`` says which style and contrast each format and mode uses. The EPUB
  uses no colour at all (bold and italic only): e-readers have their own themes.
- ``code_block`` (PDF, EPUB): one block per line. A line longer than the measure is
  cut into pieces -- after a space, else after ``/ . _ = & , ; :`` and brackets,
  never at a hyphen (``apt-get``, ``'978-0-88179-206-5'``) -- and each piece after
  the first hangs two columns deeper than the line's own indentation, behind a
  continuation mark (→, drawn by the stylesheet, so that it is not copied with the
  code). The PDF knows its measure exactly (a monospaced font on a known text
  block); the EPUB's depends on the reader's screen, so it is cut at a measure most
  screens hold, and a line that is still too long wraps under the same hanging indent.
- ``highlight_code`` (the reading page): highlighted lines that the browser wraps.
- ``inline_code``: code in a sentence may break only after ``/ . _ = &``; a run
  with a hyphen is kept whole, and no hyphen is added (the stylesheets set
  ``hyphens: none``).
"""

from __future__ import annotations

import colorsys
import functools
import html
import re

from ..ast import RawBlock, RawInline, expand

#: Longest block highlighted, in characters (a lexer's time grows with its input).
MAX_CODE = 100_000
#: Per use: (Pygments style, background, least contrast ratio, with colours).
CODE_STYLES = {
    "print": ("default", "#f3f1ec", 7.0, True),      # the PDF: dark enough to print grey
    "light": ("default", "#f1eee8", 4.6, True),      # the reading page (WCAG AA)
    "dark": ("one-dark", "#2a2825", 4.6, True),      # the reading page in dark mode
    "epub": ("bw", "", 0.0, False),                  # e-readers: weight and slant only
}
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

#: One line of code as (token class, text) runs; the class is "" for plain text.
Runs = list[tuple[str, str]]


# --- highlighting --------------------------------------------------------------------

def language_of(classes: list[str]):
    """The Pygments lexer for a code block's classes, or None."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    for name in classes:
        if name in ("numberLines", "sourceCode", "folio-code"):
            continue
        try:
            return get_lexer_by_name(name, stripnl=False, ensurenl=False)
        except ClassNotFound:
            continue
    return None


def line_runs(code: str, classes: list[str]) -> list[Runs]:
    """Each line of ``code`` (tabs expanded) as runs of Pygments token classes; plain
    runs where no language is named or known (or the block is too long)."""
    code = "\n".join(line.expandtabs(TAB) for line in code.split("\n"))
    lexer = language_of(classes) if len(code) <= MAX_CODE else None
    if lexer is None:
        return [[("", line)] if line else [] for line in code.split("\n")]
    from pygments import lex
    from pygments.token import STANDARD_TYPES

    lines: list[Runs] = [[]]
    for kind, value in lex(code, lexer):
        while kind not in STANDARD_TYPES and kind.parent is not None:
            kind = kind.parent
        css = STANDARD_TYPES.get(kind, "")
        for index, part in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if part:
                lines[-1].append((css, part))
    if len(lines) > 1 and not lines[-1] and not code.endswith("\n\n"):
        lines.pop()  # the lexer's own final newline
    return lines


def runs_html(runs: Runs) -> str:
    """The HTML of a line's runs. White space stays bare text (Pygments' ``w`` has no
    style): a space at the end of a cut piece must hang in the margin, and inside an
    element of its own it would not."""
    return "".join(f'<span class="{css}">{html.escape(text)}</span>' if css and css != "w"
                   else html.escape(text) for css, text in runs)


def _runs_cut(runs: Runs, lengths: list[int]) -> list[Runs]:
    """``runs`` split into pieces of ``lengths`` characters."""
    pieces: list[Runs] = []
    queue = list(runs)
    for length in lengths:
        piece: Runs = []
        while length > 0 and queue:
            css, text = queue.pop(0)
            if len(text) > length:
                queue.insert(0, (css, text[length:]))
                text = text[:length]
            piece.append((css, text))
            length -= len(text)
        pieces.append(piece)
    return pieces


def _without_trailing_space(runs: Runs) -> Runs:
    runs = list(runs)
    while runs and not runs[-1][1].rstrip(" "):
        runs.pop()
    if runs and runs[-1][1].endswith(" "):
        runs[-1] = (runs[-1][0], runs[-1][1].rstrip(" "))
    return runs


def code_block_html(node: dict) -> str | None:
    """A highlighted code block for the reading page, or None to leave it to pandoc."""
    (ident, classes, _keyvals), text = node["c"]
    if language_of(classes) is None and "numberLines" not in classes:
        return None
    body = "\n".join(f'<span class="line">{runs_html(runs)}</span>'
                     for runs in line_runs(text, classes))
    anchor = f' id="{html.escape(ident, quote=True)}"' if ident else ""
    css = " ".join(["folio-code", *(html.escape(c, quote=True) for c in classes)])
    return f'<pre class="{css}"{anchor}><code>{body}</code></pre>'


def highlight_code(blocks: list) -> list:
    """Every code block of ``blocks`` highlighted (the reading page)."""
    def act(node: dict):
        if node["t"] != "CodeBlock":
            return None
        markup = code_block_html(node)
        return RawBlock(markup) if markup is not None else None
    return expand(blocks, act)


# --- wrapping ------------------------------------------------------------------------

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
    """A pandoc ``CodeBlock`` as a RawBlock: one ``span.line`` per printed line,
    highlighted, the continuations marked ``cont`` and indented under their line's
    start."""
    (ident, classes, _keyvals), text = node["c"]
    out = []
    for runs in line_runs(text, classes):
        line = "".join(part for _, part in runs)
        pieces = wrap_line(line, columns)
        first, *rest = _runs_cut(runs, [len(piece) for piece in pieces])
        if rest:  # the space at a cut would end the line: WeasyPrint counts it there
            first = _without_trailing_space(first)
            rest = [_without_trailing_space(piece) for piece in rest[:-1]] + rest[-1:]
        indent = len(line) - len(line.lstrip(" "))
        out.append(f'<span class="line">{runs_html(first) or "&#8203;"}</span>')
        for piece in rest:
            out.append(f'<span class="line cont">{" " * indent}<span class="cont-mark">'
                       f'</span>{runs_html(piece)}</span>')
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


# --- colours -------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(one: str, two: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours."""
    a, b = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable(colour: str, background: str, least: float) -> str:
    """``colour`` in its own hue, darkened or lightened until it has ``least``
    contrast against ``background``."""
    dark_ground = _luminance(background) < 0.2
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    for _ in range(100):
        if contrast(colour, background) >= least:
            return colour
        lightness = min(1.0, lightness + 0.02) if dark_ground else max(0.0, lightness - 0.02)
        red, green, blue = colorsys.hls_to_rgb(hue, lightness, saturation)
        colour = "#" + "".join(f"{round(c * 255):02x}" for c in (red, green, blue))
    return colour


@functools.lru_cache(maxsize=8)
def code_css(use: str, scope: str = ".folio-code") -> str:
    """The CSS of the token classes for one use of ``CODE_STYLES``, under ``scope``."""
    from pygments.styles import get_style_by_name
    from pygments.token import STANDARD_TYPES

    name, background, least, colours = CODE_STYLES[use]
    rules = []
    for kind, style in get_style_by_name(name):
        css = STANDARD_TYPES.get(kind)
        if not css:
            continue
        declarations = []
        if colours and style["color"]:
            declarations.append(f"color: {readable('#' + style['color'], background, least)}")
        if style["bold"]:
            declarations.append("font-weight: bold")
        if style["italic"]:
            declarations.append("font-style: italic")
        if declarations:
            rules.append(f"{scope} .{css} {{ {'; '.join(declarations)}; }}")
    return "\n".join(rules)
