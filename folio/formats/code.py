"""Code: syntax highlighting by Pygments for every format, one line at a time.

A fenced block names its language as its first class (```` ```python ````);
``{.python .numberLines}`` numbers its lines (CSS counters, so that a copied block
does not carry the numbers). Each line is a ``span.line`` holding Pygments' short
token classes (``k`` keyword, ``s`` string, ``c`` comment …); the PDF's layout
makes each line a block of its own (``formats.pdf.layout``).

The colours come from a Pygments style, each colour darkened (or, on a dark
background, lightened) in its own hue until it reaches the contrast asked for:
``CODE_STYLES`` says which style and contrast each format and mode uses. The EPUB
uses no colour at all (bold and italic only): e-readers have their own themes.
"""

from __future__ import annotations

import colorsys
import functools
import html

#: Longest block highlighted, in characters (a lexer's time grows with its input).
MAX_CODE = 100_000
#: Per use: (Pygments style, background, least contrast ratio, with colours).
CODE_STYLES = {
    "print": ("default", "#f3f1ec", 7.0, True),      # the PDF: dark enough to print grey
    "light": ("default", "#f1eee8", 4.6, True),      # the reading page (WCAG AA)
    "dark": ("one-dark", "#2a2825", 4.6, True),      # the reading page in dark mode
    "epub": ("bw", "", 0.0, False),                  # e-readers: weight and slant only
}


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


def highlighted_lines(code: str, classes: list[str]) -> list[str] | None:
    """The HTML of each line of ``code``, highlighted; None when no language is named
    or known (or the block is too long)."""
    if len(code) > MAX_CODE:
        return None
    lexer = language_of(classes)
    if lexer is None:
        return None
    from pygments import lex
    from pygments.token import STANDARD_TYPES

    lines: list[list[str]] = [[]]
    for kind, value in lex(code, lexer):
        while kind not in STANDARD_TYPES and kind.parent is not None:
            kind = kind.parent
        css = STANDARD_TYPES.get(kind, "")
        for index, part in enumerate(value.split("\n")):
            if index:
                lines.append([])
            if part:
                text = html.escape(part)
                lines[-1].append(f'<span class="{css}">{text}</span>' if css else text)
    if len(lines) > 1 and not lines[-1] and not code.endswith("\n\n"):
        lines.pop()  # the lexer's own final newline
    return ["".join(parts) for parts in lines]


def code_block_html(node: dict) -> str | None:
    """A highlighted code block for the screen formats, or None to leave it to pandoc."""
    (ident, classes, _keyvals), text = node["c"]
    lines = highlighted_lines(text, classes)
    if lines is None and "numberLines" not in classes:
        return None
    if lines is None:
        lines = [html.escape(line) for line in text.split("\n")]
    body = "\n".join(f'<span class="line">{line}</span>' for line in lines)
    anchor = f' id="{html.escape(ident, quote=True)}"' if ident else ""
    css = " ".join(["folio-code", *(html.escape(c, quote=True) for c in classes)])
    return f'<pre class="{css}"{anchor}><code>{body}</code></pre>'


def highlight_code(blocks: list) -> list:
    """Every code block of ``blocks`` highlighted (screen formats)."""
    from ..ast import RawBlock, expand

    def act(node: dict):
        if node["t"] != "CodeBlock":
            return None
        markup = code_block_html(node)
        return RawBlock(markup) if markup is not None else None
    return expand(blocks, act)


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
