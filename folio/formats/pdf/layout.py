"""Print layout: the page geometry of each trim size, and the passes over the
AST that only the PDF needs, so that nothing stands outside the text block.

- ``geometry_for``: trim size, type size and mirrored margins, chosen so that a
  line holds about 60 to 70 characters on every page size.
- ``fit_for_print`` (run on each chapter after its notes are placed at the page
  foot, ``formats.notes.AtPageFoot``):
  - tables too wide for the text block are set smaller, or split into groups of
    columns that fit, each repeating the first column; short tables stay whole;
  - code blocks are cut to the measure (``formats.code``): a long line goes on
    under its start behind a continuation mark, never broken at a hyphen; inline
    code breaks only after ``/ . _ = &``;
  - "words" longer than LONG_WORD (a hash, a URL without spaces) may break
    anywhere and skip dictionary hyphenation;
  - a character no font has becomes U+FFFD (``glyphs``), so that the PDF's text stays
    readable to text extraction;
  - a paragraph with a long unbreakable piece of code or of an address is set
    ragged right, so that the line before it does not gape;
  - a space before an inline element gets a box of its own (works around a
    WeasyPrint line-breaking fault, see ``_inline_runs``).
"""

from __future__ import annotations

import dataclasses
import math
import re

from ... import glyphs
from ...ast import ATTR_INDEX, RawBlock, Span, expand, position, stringify, visit
from ...metadata import PAGE_SIZES
from ...typography import title_lines
from ..code import code_block, inline_code

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
        out = _break_long_runs(_merge_words([
            _inline_runs(item) if isinstance(item, (list, dict)) else item for item in tree]))
        for index in range(len(out) - 1):
            node, after = out[index], out[index + 1]
            if (isinstance(node, dict) and node.get("t") in ("Space", "SoftBreak")
                    and isinstance(after, dict) and after.get("t") in _BOXED):
                out[index] = Span([{"t": "Space"}])
        return out
    if isinstance(tree, dict) and "c" in tree and tree.get("t") not in (
            "Str", "Code", "CodeBlock", "RawInline", "RawBlock", "Math"):
        content, at = tree["c"], ATTR_INDEX.get(tree["t"])
        tree["c"] = _inline_runs(content) if at is None or not isinstance(content, list) \
            else [part if index == at else _inline_runs(part)  # attributes: no inlines
                  for index, part in enumerate(content)]
    return tree


# --- code -------------------------------------------------------------------------

#: Code blocks are set at this fraction of the body size (print.css ``pre``).
CODE_SIZE = 0.82
#: The advance of every character of Folio Mono (Noto Sans Mono), in em.
MONO_EM = 0.6
#: Horizontal padding of a code block, both sides together, in mm (print.css).
CODE_PADDING = 5.0
#: What a block quote (its two margins at 0.95 em) and a list (its indent) take
#: from the measure, in em of the body size.
QUOTE_EM, LIST_EM = 2 * 1.5 * 0.95, 1.5


def code_columns(room: float, font_size: float, scale: float = 1.0) -> int:
    """How many characters of code fit a line of a code block ``room`` mm wide."""
    char = MONO_EM * CODE_SIZE * scale * font_size * MM_PER_PT
    return int((room - CODE_PADDING) / char)


def _wrap_code(blocks: list, room: float, font_size: float) -> list:
    """Code blocks cut to the measure they stand in (``formats.code``), inside
    block quotes and lists too; inline code breaks only where code may."""
    blocks = _wrap_blocks(blocks, room, font_size, 1.0)
    return expand(blocks, lambda node: inline_code(node) if node["t"] == "Code" else None)


def _wrap_blocks(blocks: list, room: float, font_size: float, scale: float) -> list:
    em = font_size * MM_PER_PT
    out = []
    for node in blocks:
        kind = node.get("t") if isinstance(node, dict) else None
        if kind == "CodeBlock":
            node = code_block(node, code_columns(room, font_size, scale))
        elif kind == "BlockQuote":
            node["c"] = _wrap_blocks(node["c"], room - QUOTE_EM * em * scale, font_size,
                                     scale * 0.95)
        elif kind in ("BulletList", "OrderedList"):
            items = node["c"] if kind == "BulletList" else node["c"][1]
            wrapped = [_wrap_blocks(item, room - LIST_EM * em * scale, font_size, scale)
                       for item in items]
            node["c"] = wrapped if kind == "BulletList" else [node["c"][0], wrapped]
        elif kind == "Div":
            node["c"][1] = _wrap_blocks(node["c"][1], room, font_size, scale)
        out.append(node)
    return out


# --- paragraphs with long unbreakable pieces ------------------------------------------

#: An unbreakable piece of code or of an address longer than this (in characters)
#: sets its paragraph ragged: justified, the line before it would gape.
LOOSE_PIECE = 16
_CODE_BREAKS = re.compile(r"\s+|(?<=[/._=&])")
_URL_BREAKS = re.compile(r"\s+|(?<=[/.\-_?&=])")


def _longest_piece(node: dict) -> int:
    """The longest run of an inline that cannot break (code, an address as text)."""
    if node["t"] == "Code":
        return max((len(piece) for piece in _CODE_BREAKS.split(node["c"][1])), default=0)
    if node["t"] == "Link" and "folio-url" in node["c"][0][1]:
        return max((len(piece) for piece in _URL_BREAKS.split(stringify(node["c"][1]))),
                   default=0)
    return 0


def _ragged_paragraphs(blocks: list) -> list:
    """Paragraphs that hold a piece longer than LOOSE_PIECE in a ``folio-ragged`` div
    (set ragged right by print.css)."""
    def act(node: dict):
        if node["t"] not in ("Para", "Plain"):
            return None
        longest = []
        visit(node["c"], lambda inline: longest.append(_longest_piece(inline)))
        if max(longest, default=0) > LOOSE_PIECE:
            return {"t": "Div", "c": [["", ["folio-ragged"], []], [node]]}
        return [node]

    return expand(blocks, act)


# --- characters no font has ---------------------------------------------------------

def _unprintable_marked(blocks: list) -> list:
    """A character that no font has (``glyphs.place``; the checks warned about it) as
    U+FFFD, which the book's fonts draw: WeasyPrint would print an empty box and
    write the whole font with a custom encoding that text extraction (pypdf,
    pdfminer) cannot read, so that the PDF's text would be lost with it."""
    def mark(text: str) -> str:
        if text.isascii():
            return text
        return "".join("\ufffd" if glyphs.place(char)[0] == "none" else char
                       for char in text)

    def act(node: dict) -> None:
        if node["t"] == "Str":
            node["c"] = mark(node["c"])
        elif node["t"] in ("Code", "CodeBlock"):
            node["c"][1] = mark(node["c"][1])

    visit(blocks, act)  # in place: no list of the tree made again
    return blocks


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
    """``blocks`` made ready for a page of ``geometry``: tables, code blocks,
    long words and spaces before inline elements (see the module's doc)."""
    room = geometry.text_width

    def act(node: dict):
        kind = node["t"]
        if kind == "Table":
            node["c"] = expand(node["c"], act)
            return _fit_table(node, room, geometry.font_size)
        return None

    blocks = _wrap_code(_ragged_paragraphs(_unprintable_marked(blocks)), room,
                        geometry.font_size)
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
    (mm per character), as even as can be (``typography.title_lines``): a title."""
    return title_lines(text, lambda line: len(line) * em, room, long_words=True) or [text]
