"""Print layout: the page geometry of each trim size, and the passes over the
AST that only the PDF needs, so that nothing stands outside the text block.

- ``geometry_for``: trim size, type size and mirrored margins, chosen so that a
  line holds about 60 to 70 characters on every page size.
- ``fit_for_print`` (run on each chapter after its notes are placed at the page
  foot, ``formats.notes.AtPageFoot``):
  - tables too wide for the text block are set smaller, or split into groups of
    columns that fit, each repeating the first column; short tables stay whole;
  - code blocks get one box per line, so that a wrapped line hangs under its start;
  - a link target too long for a note is printed in the text after its link;
  - "words" longer than LONG_WORD (a hash, a URL without spaces) may break
    anywhere and skip dictionary hyphenation;
  - a space before an inline element gets a box of its own (works around a
    WeasyPrint line-breaking fault, see ``_inline_runs``).
"""

from __future__ import annotations

import dataclasses
import html
import math
import re

from ...ast import RawBlock, Span, expand, position, stringify, visit
from ...metadata import PAGE_SIZES

MM_PER_PT = 25.4 / 72


@dataclasses.dataclass(frozen=True)
class PageGeometry:
    """One trim size and its type area; lengths in mm, type sizes in pt."""

    #: The CSS ``size`` value, e.g. ``A5`` or ``6in 9in``.
    size: str
    width: float
    height: float
    #: Body type size and leading.
    font_size: float
    line_height: float
    top: float
    bottom: float
    inner: float
    outer: float

    @property
    def text_width(self) -> float:
        return self.width - self.inner - self.outer

    @property
    def text_height(self) -> float:
        return self.height - self.top - self.bottom


def _geometry(size: str, width: float, height: float, font_size: float, line_height: float,
              top: float, bottom: float, inner: float, outer: float) -> PageGeometry:
    """A geometry whose text block holds a whole number of lines: the bottom
    margin grows by the remainder, so that full pages end on the same line."""
    line = line_height * MM_PER_PT
    lines = int((height - top - bottom) / line)
    bottom = math.floor((height - top - lines * line) * 1000) / 1000  # never a hair short
    return PageGeometry(size, width, height, font_size, line_height, top, bottom, inner, outer)


#: Keyed by the CSS size values of ``metadata.PAGE_SIZES``. On the paperback sizes the
#: inner margin is the wider one (a glued binding takes a few millimetres of it); A4
#: and Letter get a wide outer margin instead, which keeps their lines near 70
#: characters of 11 pt.
GEOMETRIES = {
    "A5": _geometry("A5", 148, 210, 10, 14, top=18, bottom=20, inner=18, outer=16),
    "6in 9in": _geometry("6in 9in", 152.4, 228.6, 10, 14.2, top=19, bottom=21, inner=19,
                         outer=17),
    "A4": _geometry("A4", 210, 297, 11, 15.6, top=25, bottom=29, inner=27, outer=39),
    "letter": _geometry("letter", 215.9, 279.4, 11, 15.6, top=22, bottom=26, inner=27,
                        outer=39),
}


def geometry_for(option: str | None, metadata_size: str) -> PageGeometry:
    """The geometry of a ``--page-size`` option (``a5``, ``6x9``…) or else the metadata's."""
    if option:
        key = option.lower().replace(" ", "")
        if key not in PAGE_SIZES:
            raise ValueError(f"unknown page size {option!r}")
        return GEOMETRIES[PAGE_SIZES[key]]
    return GEOMETRIES.get(metadata_size, GEOMETRIES["A5"])


# --- long words -----------------------------------------------------------------

#: Longer "words" are no words (hashes, URLs, pasted data): they may break anywhere
#: and are not hyphenated by dictionary, which costs quadratic time on them.
LONG_WORD = 48


def _merge_words(inlines: list) -> list:
    """Adjacent ``Str`` nodes joined (pandoc splits text at punctuation), and words
    longer than LONG_WORD put into a ``long-word`` span."""
    out: list = []
    for node in inlines:
        if (isinstance(node, dict) and node.get("t") == "Str" and out
                and isinstance(out[-1], dict) and out[-1].get("t") == "Str"):
            out[-1] = {"t": "Str", "c": out[-1]["c"] + node["c"]}
        else:
            out.append(node)
    return [Span([node], ["long-word"])
            if isinstance(node, dict) and node.get("t") == "Str" and len(node["c"]) > LONG_WORD
            else node for node in out]


_SPACES = {"Space", "SoftBreak", "LineBreak"}


def _break_long_runs(inlines: list) -> list:
    """A break opportunity (``<wbr>``) in a "word" that runs on through many inline
    elements without a space (``<b><i>x</b></i>`` thirty thousand times): WeasyPrint
    looks for a place to break such a run again and again, in time that grows with the
    square of its length (30,000 did not lay out in 600 s)."""
    if len(inlines) < 2 * LONG_WORD:
        return inlines
    out: list = []
    run = 0
    for node in inlines:
        kind = node.get("t") if isinstance(node, dict) else None
        if kind in _SPACES:
            run = 0
        elif kind == "Str":
            if run >= LONG_WORD:
                out.append({"t": "RawInline", "c": ["html", "<wbr>"]})
                run = 0
            run += len(node["c"])
        elif kind not in ("RawInline", None):
            run += len(stringify([node])) or 1
        out.append(node)
    return out


# --- link notes too long for the foot of a page ----------------------------------------

#: A link target longer than this is printed in the text, after its link, rather
#: than as a note: WeasyPrint cannot split a note across pages, and a note that
#: almost fills a page pushes the text after it onto page after page, a line or two
#: at a time (Kozea/WeasyPrint#1833).
LONG_URL = 400
_LINK_NOTE = '<span class="footnote link-note">'


def _inline_long_link_note(node: dict):
    """The note of a very long URL (``formats.notes.AtPageFoot``) set in the text."""
    if node["t"] != "RawInline" or not node["c"][1].startswith(_LINK_NOTE):
        return None
    markup = node["c"][1]
    if len(html.unescape(re.sub(r"<[^>]+>", "", markup))) <= LONG_URL:
        return [node]
    return [{"t": "RawInline", "c": ["html", '<span class="link-inline">'
                                     + markup[len(_LINK_NOTE):]]}]


# --- spaces before inline elements -------------------------------------------------

#: Inline nodes that WeasyPrint lays out as boxes of their own.
_BOXED = {"Code", "Link", "Emph", "Strong", "Span", "SmallCaps", "Strikeout", "Underline",
          "Superscript", "Subscript", "Quoted", "Cite", "Math", "RawInline"}


def _inline_runs(tree):
    """Long words marked (``_merge_words``), and a space right before an inline
    element made a box of its own.

    WeasyPrint 70 measures a text box with its trailing space: when the text before
    an inline element (``word <code>x</code>``) fills a line but for that space, it
    thinks the text cannot fit and breaks after the first syllable of the line
    ("Hyphena-" alone on a line). A text box that ends without a space is safe.
    """
    if isinstance(tree, list):
        out = _break_long_runs(_merge_words([_inline_runs(item) for item in tree]))
        for index in range(len(out) - 1):
            node, after = out[index], out[index + 1]
            if (isinstance(node, dict) and node.get("t") in ("Space", "SoftBreak")
                    and isinstance(after, dict) and after.get("t") in _BOXED):
                out[index] = Span([{"t": "Space"}])
        return out
    if isinstance(tree, dict) and "c" in tree and tree.get("t") not in (
            "Str", "Code", "CodeBlock", "RawInline", "RawBlock", "Math"):
        tree["c"] = _inline_runs(tree["c"])
    return tree


# --- code blocks ------------------------------------------------------------------

def _code_block(node: dict):
    """A code block as HTML with one block per line (hanging indent when wrapped)."""
    (ident, classes, _keyvals), text = node["c"]
    lines = text.split("\n")
    body = "".join(f'<span class="line">{html.escape(line) or "&#8203;"}</span>'
                   for line in lines)
    attrs = f' id="{html.escape(ident)}"' if ident else ""
    css = " ".join(["folio-code", *(html.escape(c) for c in classes)])
    return RawBlock(f'<pre class="{css}"{attrs}><code>{body}</code></pre>')


# --- tables -----------------------------------------------------------------------

#: Table type sizes tried in order, as fractions of the body size; the last is the
#: smallest a reader can still read (7 pt on A5).
TABLE_SIZES = (0.9, 0.8, 0.7)
#: Average advance of a character of Folio Serif, in em (measured on running text).
CHAR_EM = 0.56
#: Horizontal cell padding (both sides) in mm, as in print.css.
CELL_PADDING = 3.0
#: Width a word longer than LONG_WORD is given (it breaks anywhere), in characters.
WORD_CAP = 12
#: Tables with at most this many body rows are kept on one page.
KEEP_ROWS = 8


def _cells(row: list) -> list:
    return row[1]


def _all_rows(table: list) -> list:
    _attr, _caption, _colspecs, head, bodies, foot = table
    rows = list(head[1])
    for body in bodies:
        rows += body[2] + body[3]
    return rows + list(foot[1])


def _simple(table: list) -> bool:
    """True if no cell spans rows or columns (then columns can be split apart)."""
    return all(cell[2] == 1 and cell[3] == 1
               for row in _all_rows(table) for cell in _cells(row))


def _column_widths(table: list, font_size: float) -> list[float]:
    """The least width (mm) of each column: its longest word must fit whole, since
    cells break words only when the word alone is wider than its column."""
    count = len(table[2])
    longest = [1] * count
    for row in _all_rows(table):
        column = 0
        for cell in _cells(row):
            lengths = [len(w) for w in stringify(cell[4]).split()] or [1]
            need = max(n if n <= LONG_WORD else WORD_CAP for n in lengths)
            if column < count:
                longest[column] = max(longest[column], need)
            column += cell[3]
    char = CHAR_EM * font_size * MM_PER_PT
    return [n * char + CELL_PADDING for n in longest]


def _pick_columns(table: list, columns: list[int]) -> list:
    """A copy of a simple table with only ``columns`` (indices), widths left to layout."""
    attr, caption, colspecs, head, bodies, foot = table

    def rows(rows_: list) -> list:
        return [[row[0], [row[1][i] for i in columns]] for row in rows_]

    return [attr, caption, [[colspecs[i][0], {"t": "ColWidthDefault"}] for i in columns],
            [head[0], rows(head[1])],
            [[b[0], b[1], rows(b[2]), rows(b[3])] for b in bodies],
            [foot[0], rows(foot[1])]]


def _groups(widths: list[float], room: float) -> list[list[int]]:
    """Columns in groups that fit ``room``; every group after the first repeats column 0."""
    groups: list[list[int]] = [[0]]
    used = widths[0]
    for index in range(1, len(widths)):
        if used + widths[index] > room and len(groups[-1]) > 1:
            groups.append([0])
            used = widths[0]
        groups[-1].append(index)
        used += widths[index]
    return groups


def _fit_table(node: dict, room: float, body_size: float) -> list[dict]:
    """The table at the largest of TABLE_SIZES at which its columns fit ``room``;
    else at the smallest, in groups of columns that fit; else with words broken
    anywhere in its cells (``folio-table-tight``)."""
    table = node["c"]
    classes = table[0][1]
    body_rows = sum(len(b[3]) for b in table[4])
    if body_rows <= KEEP_ROWS:
        classes.append("folio-keep")
    for step, factor in enumerate(TABLE_SIZES):
        if sum(_column_widths(table, factor * body_size)) <= room:
            if step:
                classes.append(f"folio-table-{step}")
            return [node]
    classes.append(f"folio-table-{len(TABLE_SIZES) - 1}")
    widths = _column_widths(table, TABLE_SIZES[-1] * body_size)
    if not _simple(table) or len(widths) < 3:
        classes.append("folio-table-tight")
        return [node]
    groups = _groups(widths, room)
    if any(sum(widths[i] for i in group) > room for group in groups):
        classes.append("folio-table-tight")
    parts = []
    for number, columns in enumerate(groups):
        part = _pick_columns(table, columns)
        ident, part_classes, keyvals = part[0]
        part[0] = [ident if number == 0 else "", [*part_classes, "folio-split"], keyvals]
        if number:
            part[1] = [None, []]  # the caption once, above the first group
        parts.append({"t": "Table", "c": part})
    return parts


def wide_tables(blocks: list, geometry: PageGeometry) -> list[tuple[int, int, str]]:
    """(line, col, message) for each table of fitted ``blocks`` that was too wide for
    the page at a readable size, saying what was done to it (``_fit_table``)."""
    groups: dict[tuple[int, int], list[list[str]]] = {}

    def collect(node: dict) -> None:
        if node["t"] == "Table":
            attr = node["c"][0]
            groups.setdefault(position(node), []).append(attr[1])

    visit(blocks, collect)
    size = TABLE_SIZES[-1] * geometry.font_size
    found = []
    for (line, col), parts in groups.items():
        classes = set(parts[0])
        if f"folio-table-{len(TABLE_SIZES) - 1}" not in classes:
            continue
        done = [f"set in {size:g} pt"]
        if "folio-split" in classes:
            done.append(f"split into {len(parts)} groups of columns, each repeating the "
                        "first")
        if any("folio-table-tight" in part for part in parts):
            done.append("its words may break anywhere")
        found.append((line, col, f"table is too wide for the page ({geometry.size}): "
                      + ", ".join(done[:-1]) + (" and " if len(done) > 1 else "") + done[-1]
                      + "; fewer or narrower columns print better"))
    return found


# --- the pass -----------------------------------------------------------------------

def fit_for_print(blocks: list, geometry: PageGeometry) -> list:
    """``blocks`` made ready for a page of ``geometry``: tables, code blocks, long
    link notes, long words and spaces before inline elements (see the module's doc)."""
    room = geometry.text_width

    def act(node: dict):
        kind = node["t"]
        if kind == "CodeBlock":
            return _code_block(node)
        if kind == "Table":
            node["c"] = expand(node["c"], act)
            return _fit_table(node, room, geometry.font_size)
        return _inline_long_link_note(node)

    return _inline_runs(expand(blocks, act))


# --- running heads ---------------------------------------------------------------

def running_head(title: str, geometry: PageGeometry) -> str:
    """``title`` cut at a word to fit one line of the running head (italic, 0.85 em)."""
    room = int(geometry.text_width * 0.8 / (0.5 * 0.85 * geometry.font_size * MM_PER_PT))
    if len(title) <= room:
        return title
    cut = title[:room - 1].rsplit(" ", 1)[0].rstrip(" ,;:.\u2013\u2014-")
    return (cut or title[:room - 1]) + "\u2026"


def balanced_lines(text: str, room: float, em: float) -> list[str]:
    """``text`` broken at spaces into as few lines as fit ``room`` (mm) at ``em``
    (mm per character), the lines as even as can be: a title on its page."""
    words = text.split()
    if not words or len(words) > 40:
        return [text]
    per_line = max(int(room / em), 8)
    length = lambda i, j: len(" ".join(words[i:j]))  # noqa: E731
    # best[j][k]: (cost, breaks) for the first j words in k lines.
    best: dict[tuple[int, int], tuple[float, list[int]]] = {(0, 0): (0.0, [])}
    for lines in range(1, len(words) + 1):
        for j in range(1, len(words) + 1):
            options = [(cost + (per_line - length(i, j)) ** 2, breaks + [j])
                       for i in range(j) if (i, lines - 1) in best
                       for cost, breaks in [best[(i, lines - 1)]]
                       if length(i, j) <= per_line or j - i == 1]
            if options:
                best[(j, lines)] = min(options)
        if (len(words), lines) in best:
            breaks = [0, *best[(len(words), lines)][1]]
            return [" ".join(words[a:b]) for a, b in zip(breaks, breaks[1:])]
    return [text]


# --- dates -----------------------------------------------------------------------

MONTHS = {
    "en": "January February March April May June July August September October "
          "November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November "
          "Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
          "décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre "
          "noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
          "novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober "
          "november december",
}
_DAY_MONTH = {"en": "{d} {m} {y}", "de": "{d}. {m} {y}", "fr": "{d} {m} {y}",
              "es": "{d} de {m} de {y}", "it": "{d} {m} {y}", "nl": "{d} {m} {y}"}


def long_date(date: str, lang: str) -> str:
    """``2026-11-26`` as a reader of ``lang`` writes it; ISO for other languages."""
    primary = lang.split("-")[0].lower()
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", date)
    if not match or primary not in MONTHS:
        return date
    year, month, day = match.groups()
    if not month:
        return year
    name = MONTHS[primary].split()[int(month) - 1]
    if not day:
        return f"{name} {year}" if primary != "es" else f"{name} de {year}"
    return _DAY_MONTH[primary].format(d=int(day), m=name, y=year)
