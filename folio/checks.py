"""Checks: what is wrong in a manuscript, found before anything is built.

Each check reads one file's parsed AST with its source positions (pandoc's
``+sourcepos`` wrappers still in place, but for those of the spaces and of the
words that neither start nor end a run of text: ``parse.thin_positions``) or the
file's text, and reports
warnings with a stable code. ``CHECKS`` lists them in the order they run:

- ``invisible-character``: zero-width, bidi and control characters;
- ``font-fallback`` / ``missing-glyph``: characters the book's fonts lack, and the
  font that prints them instead, or that none does (``folio.glyphs``); this check
  and the one above read the text outside HTML comments, which no output prints
  (``mask_comments``);
- ``undefined-footnote`` / ``unused-footnote`` / ``duplicate-footnote``:
  ``[^label]`` without its definition, a definition nobody refers to, a label
  defined twice (pandoc prints the first as text and drops the others silently,
  so the source text is scanned);
- ``unclosed-comment``: an HTML comment that is never closed hides the rest of
  the file from every output;
- ``punctuation-start``: a paragraph that starts with ". " or ", ";
- ``broken-paragraph``: a paragraph cut in two, as a page break in a PDF or a
  copied web page leaves it; ``broken-word``: a word hyphenated across such a
  break ("para-" / "graphs");
- ``missing-alt``: an image without alternative text;
- ``heading-skip``: a heading more than one level below the one before;
- ``duplicate-heading``: two headings of one file that get the same anchor.

Links and images are checked by ``folio.transforms.links`` while they are
resolved (``placeholder-link``, ``missing-anchor``, …), ids across files by
``folio.transforms.structure`` (``duplicate-id``); nothing here repeats them.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
import unicodedata
from typing import Callable, Iterator

from .ast import (Node, end_position, get_attr, heading_id, parse_pos, position, stringify,
                  visit)
from .book import BookSource, SourceFile
from .diagnostics import Reporter
from .guard import FOOTNOTE_DEFINITION, FOOTNOTE_REFERENCE, footnote_label
from . import glyphs
from .safety import BIDI_OVERRIDES, INVISIBLE, NOT_XML

#: Names of the control characters, which the Unicode database leaves unnamed.
CONTROL_NAMES = {0x00: "NULL", 0x07: "BELL", 0x08: "BACKSPACE", 0x0B: "LINE TABULATION",
                 0x0C: "FORM FEED", 0x1B: "ESCAPE", 0x7F: "DELETE", 0x85: "NEXT LINE"}
#: Marks that never start a paragraph: they end or continue the one before.
LEADING_PUNCTUATION = re.compile(r"[.,;:!?)\]}。，、；：！？）]+")
#: Inline containers whose text is read through (their content is the text).
TRANSPARENT_INLINES = {"Emph", "Strong", "Underline", "Strikeout", "SmallCaps",
                       "Superscript", "Subscript", "Span"}
#: Inline nodes that are neither text nor visible (skipped at a paragraph's edges).
SILENT_INLINES = {"Space", "SoftBreak", "Note"}
#: Emphasis that makes a whole paragraph a pseudo-heading when it covers all of it.
EMPHASIS = {"Emph", "Strong", "Underline", "SmallCaps"}
#: A last word that is an address, not prose (URLs, e-mail addresses, paths, @names).
NOT_PROSE = re.compile(r"://|^www\.|[/@\\]")
#: Fewer words than this before a cut are more likely a salutation or a label.
MIN_BROKEN_WORDS = 8
#: Columns of a tab stop, as pandoc counts them in ``data-pos``.
TAB_STOP = 4


@dataclasses.dataclass
class FileCheck:
    """One manuscript file as the checks see it, and what they found in it."""

    #: The file, its text and the path to print.
    file: SourceFile
    #: pandoc's blocks with the ``+sourcepos`` wrappers (``parse.thin_positions``).
    blocks: list
    #: (line, col, message, code) of every finding, in the order found.
    findings: list[tuple[int, int, str, str]] = dataclasses.field(default_factory=list)
    #: ``id()`` of a paragraph -> its ``visible_inlines`` (see ``inlines``).
    _inlines: dict[int, list] = dataclasses.field(default_factory=dict, repr=False)

    @functools.cached_property
    def lines(self) -> list[str]:
        """The file's lines (front matter blanked), index 0 is line 1; do not change them."""
        return self.file.body.split("\n")

    @functools.cached_property
    def printed_lines(self) -> list[str]:
        """``lines`` with the HTML comments blanked out (``mask_comments``): what is
        in a comment is never printed."""
        return mask_comments(self)

    @functools.cached_property
    def nodes(self) -> dict[str, list[Node]]:
        """Node type -> every node of that type, in document order (one walk for all checks).

        Wrappers are filed under ``"wrapper"``, not under ``"Div"`` or ``"Span"``.
        """
        found: dict[str, list[Node]] = {}

        def collect(node: Node) -> None:
            found.setdefault("wrapper" if is_wrapper(node) else node["t"], []).append(node)

        visit(self.blocks, collect)
        return found

    def of_type(self, *types: str) -> list[Node]:
        """The nodes of ``types`` (each type in document order)."""
        return [node for kind in types for node in self.nodes.get(kind, [])]

    def inlines(self, para: Node) -> list[tuple[Node, tuple[int, int]]]:
        """``visible_inlines`` of a paragraph, worked out once."""
        key = id(para)
        if key not in self._inlines:
            self._inlines[key] = visible_inlines(para["c"])
        return self._inlines[key]

    def warn(self, line: int, col: int, message: str, code: str) -> None:
        """Note ``message`` at ``line:col`` of this file."""
        self.findings.append((line, col, message, code))


Check = Callable[[FileCheck], None]


def run_checks(book: BookSource, files_blocks: list[list], reporter: Reporter) -> None:
    """Run every check in ``CHECKS`` on every file of ``book``; the blocks are not changed.

    Each file's findings are reported in the order of their lines.
    """
    for file, blocks in zip(book.files, files_blocks):
        check_file(file, blocks, reporter)


def check_file(file: SourceFile, blocks: list, reporter: Reporter) -> None:
    """Run every check on one file. A check reads nothing but the file, its blocks
    and the fonts (``glyphs.place``): never another file or the book's metadata."""
    target = FileCheck(file, blocks)
    for check in CHECKS:
        check(target)
    for line, col, message, code in sorted(target.findings):
        reporter.warn(file.display, line, message, code, col)


# --- the checks ------------------------------------------------------------

#: Characters whose place (``glyphs.place``) is reported at most this many times a file.
MAX_GLYPH_REPORTS = 20


def check_glyphs(target: FileCheck) -> None:
    """Report characters that the book's fonts lack, at their first place in the file
    outside HTML comments (code is printed, so it counts): the font they are printed
    in instead, or that none has them (an empty box)."""
    reported: set[str] = set()
    for number, line in enumerate(target.printed_lines, 1):
        if line.isascii():
            continue
        found: dict[tuple[str, str], list[tuple[str, int]]] = {}
        for col, char in enumerate(line, 1):
            if char in reported or char.isascii():
                continue
            where = glyphs.place(char)
            reported.add(char)
            if where[0] != "book":
                found.setdefault(where, []).append((char, col))
        for (kind, font), chars in found.items():
            if len(reported) > MAX_GLYPH_REPORTS * 50:
                return
            names = ", ".join(glyphs.describe(char) for char, _ in chars[:3])
            more = f" and {len(chars) - 3} more" if len(chars) > 3 else ""
            if kind == "none":
                message = (f"{names}{more}: in none of folio's fonts and no font on this "
                           "machine; the PDF prints \ufffd in its place (install a font that "
                           "has it, e.g. Debian's fonts-noto-core or fonts-noto-cjk)")
                code = "missing-glyph"
            else:
                message = (f"{names}{more}: not in the book's fonts; the PDF sets "
                           f"{'it' if len(chars) == 1 else 'them'} in {font}"
                           f"{' from this machine' if kind == 'system' else ''}")
                code = "font-fallback"
            target.warn(number, chars[0][1], message, code)

def check_invisible_characters(target: FileCheck) -> None:
    """Report zero-width, bidi-control and control characters, each with its code point.

    Each character is reported once per line, at its first column; one in an HTML
    comment is not (it is in no output).
    """
    for number, line in enumerate(target.printed_lines, 1):
        found: dict[str, list[int]] = {}
        for match in INVISIBLE.finditer(line):
            if number == 1 and match.start() == 0 and match.group() == "\ufeff":
                continue  # a byte order mark
            found.setdefault(match.group(), []).append(match.start() + 1)
        for char, cols in found.items():
            more = f" ({len(cols)} times on this line)" if len(cols) > 1 else ""
            if BIDI_OVERRIDES.match(char):
                advice = ("it reorders the text a reader sees and is left out of every "
                          "output; mark a right-to-left run with an isolate (U+2067 … "
                          "U+2069) or a span with dir=\"rtl\"")
            elif NOT_XML.match(char):
                advice = "it is left out of every output; delete it"
            else:
                advice = "delete it or replace it with a visible one"
            target.warn(number, cols[0], f"invisible character {character_name(char)}{more}; "
                        f"{advice}", "invisible-character")


def check_footnotes(target: FileCheck) -> None:
    """Report footnote references without a definition and definitions never referred to."""
    definitions, references, again = scan_footnotes(target)
    for label, (line, col, shown) in references.items():
        if label not in definitions:
            target.warn(line, col, f"footnote '[^{shown}]' has no definition and is printed "
                        f"as text; add a line '[^{shown}]: …' or remove the reference",
                        "undefined-footnote")
    for label, (line, col, shown) in definitions.items():
        if label not in references:
            target.warn(line, col, f"footnote '[^{shown}]' is defined but never referred to, "
                        f"so it is left out; put '[^{shown}]' in the text or delete it",
                        "unused-footnote")
    for label, (line, col, shown) in again:
        first = definitions[label][0]
        target.warn(line, col, f"footnote '[^{shown}]' is defined again (first at line "
                    f"{first}); the first definition is used and this one is left out: "
                    "give it a label of its own", "duplicate-footnote")


def check_unclosed_comments(target: FileCheck) -> None:
    """Report an HTML comment that is opened and never closed: it runs to the end of
    the file, and everything after it disappears from every output."""
    for wrapper in target.of_type("wrapper"):
        inner = wrapper["c"][1]
        if not inner or inner[0]["t"] != "RawBlock" or inner[0]["c"][0] != "html":
            continue
        text = inner[0]["c"][1]
        if text.lstrip().startswith("<!--") and "-->" not in text:
            line, col = position(wrapper)
            hidden = text.count("\n")
            target.warn(line, col, f"HTML comment opened here is never closed: it hides the "
                        f"rest of the file ({hidden} lines) from every output; close it "
                        "with '-->'", "unclosed-comment")


def check_paragraph_starts(target: FileCheck) -> None:
    """Report paragraphs that start with closing punctuation (". Die anderen …")."""
    for para in target.of_type("Para"):
        inlines = target.inlines(para)
        word = first_word(inlines)
        if LEADING_PUNCTUATION.fullmatch(word):
            line, col = inlines[0][1]
            target.warn(line, col, f"paragraph starts with '{word}'; move it to the end of "
                        "the paragraph before, or delete it", "punctuation-start")


def check_broken_paragraphs(target: FileCheck) -> None:
    """Report a paragraph that ends mid-sentence and is continued by the next paragraph.

    A page break copied into a manuscript leaves blank lines inside a paragraph.
    The signal is a pair of sibling paragraphs where
    a) the first ends in a word, a comma or a hyphen, not in closing
       punctuation, a link, an image, code or a quotation;
    b) the first has at least ``MIN_BROKEN_WORDS`` words, no hard line break
       (verse, addresses) and is not wholly emphasised (a pseudo-heading);
    c) the second starts with a lowercase letter, or the first ends in a
       lowercase word and the second starts with a letter or digit (German
       nouns are capitalised: "komplizierte" / "Gesetzeswerk").
    Lists, tables and definition lists are left alone; their items are fragments.
    The finding is reported where the first paragraph ends.
    """
    for sequence in block_sequences(target):
        for (first, _), (second, (next_line, _)) in zip(sequence, sequence[1:]):
            if first["t"] != "Para" or second["t"] != "Para":
                continue
            split = broken_word(target.inlines(first), target.inlines(second))
            if split is not None:
                start, rest, (line, col) = split
                target.warn(line, col, f"word '{start}' is hyphenated across a paragraph "
                            f"break ('{start}' / '{rest}', line {next_line}); join it: "
                            f"'{start[:-1]}{rest}'", "broken-word")
                continue
            cut = paragraph_cut(target.inlines(first), target.inlines(second),
                                wholly_emphasised(first["c"]))
            if cut is None:
                continue
            word, (line, col) = cut
            target.warn(line, col, f"paragraph ends without punctuation after '{word}' and "
                        f"seems to go on at line {next_line}; join the two, or end the "
                        "sentence", "broken-paragraph")


def check_missing_alt(target: FileCheck) -> None:
    """Report images without alternative text."""
    for image in target.of_type("Image"):
        if not stringify(image["c"][1]):
            line, col = position(image)
            src = image["c"][2][0][:80]
            target.warn(line, col, f"image '{src}' has no alternative text; describe it "
                        f"for readers who cannot see it: ![description]({src})", "missing-alt")


def check_heading_skips(target: FileCheck) -> None:
    """Report headings more than one level deeper than the heading before them."""
    previous = 0
    for node in target.of_type("Header"):
        level = node["c"][0]
        if previous and level > previous + 1:
            line, col = position(node)
            target.warn(line, col, f"heading level {level} follows level {previous}; use "
                        f"{'#' * (previous + 1)} here or add the missing level above",
                        "heading-skip")
        previous = level


def check_duplicate_headings(target: FileCheck) -> None:
    """Report headings whose text gives the anchor of an earlier heading of the file.

    pandoc renames the second anchor (``-1``) silently, so a link to it goes to
    the first one. A heading with an explicit ``{#id}`` is left alone.
    """
    seen: dict[str, tuple[int, str]] = {}
    for node in target.of_type("Header"):
        line, col = position(node)
        if has_explicit_id(target.lines, line):
            continue
        text = stringify(node["c"][2])
        key = heading_id(text)
        if key in seen:
            first_line, anchor = seen[key]
            target.warn(line, col, f"heading '{text}' gets the same anchor '#{anchor}' as the "
                        f"heading at line {first_line}; reword it or give it an id: "
                        "{#another-id}", "duplicate-heading")
        else:
            seen[key] = (line, node["c"][1][0] or key)


#: Every check, in the order it runs.
CHECKS: list[Check] = [
    check_invisible_characters,
    check_glyphs,
    check_footnotes,
    check_unclosed_comments,
    check_paragraph_starts,
    check_broken_paragraphs,
    check_missing_alt,
    check_heading_skips,
    check_duplicate_headings,
]


# --- helpers ---------------------------------------------------------------

def character_name(char: str) -> str:
    """``"U+200B ZERO WIDTH SPACE"``; control characters get their usual name."""
    code = ord(char)
    name = CONTROL_NAMES.get(code) or unicodedata.name(char, "") or "CONTROL CHARACTER"
    return f"U+{code:04X} {name}"


def is_wrapper(node: Node) -> bool:
    """True for the Div or Span that ``+sourcepos`` puts around a block or inline."""
    return node["t"] in ("Div", "Span") and get_attr(node, "wrapper") == "1"


def unwrap_blocks(blocks: list) -> list[tuple[Node, tuple[int, int]]]:
    """The blocks of one container with their (line, col), without the wrappers."""
    out = []
    for block in blocks:
        if is_wrapper(block) and len(block["c"][1]) == 1:
            out.append((block["c"][1][0], position(block)))
        else:
            out.append((block, position(block)))
    return out


def block_sequences(target: FileCheck) -> Iterator[list[tuple[Node, tuple[int, int]]]]:
    """Every run of sibling blocks where prose flows: the file, quotes, divs, footnotes."""
    yield unwrap_blocks(target.blocks)
    for node in target.of_type("BlockQuote", "Note"):
        yield unwrap_blocks(node["c"])
    for node in target.of_type("Div"):
        yield unwrap_blocks(node["c"][1])


def visible_inlines(inlines: list) -> list[tuple[Node, tuple[int, int]]]:
    """The leaf inlines in reading order with their (line, col).

    Wrappers and emphasis are read through; links, images, code, quotations and
    the like stay whole. Spaces and footnote references at either end are dropped.
    """
    out = leaf_inlines(inlines, (0, 0))
    while out and out[0][0]["t"] in SILENT_INLINES:
        out.pop(0)
    while out and out[-1][0]["t"] in SILENT_INLINES:
        out.pop()
    return out


def leaf_inlines(inlines: list, where: tuple[int, int]) -> list[tuple[Node, tuple[int, int]]]:
    """Every leaf inline with the position of its nearest wrapper (see ``visible_inlines``)."""
    out: list[tuple[Node, tuple[int, int]]] = []
    for node in inlines:
        wrapper = is_wrapper(node)
        here = position(node) if wrapper else where
        if wrapper or node["t"] in TRANSPARENT_INLINES:
            out.extend(leaf_inlines(node["c"][-1] if node["t"] == "Span" else node["c"], here))
        else:
            out.append((node, here))
    return out


def paragraph_cut(ending: list[tuple[Node, tuple[int, int]]],
                  opening: list[tuple[Node, tuple[int, int]]],
                  emphasised: bool) -> tuple[str, tuple[int, int]] | None:
    """The last word of a paragraph and its place if the next paragraph seems to continue it.

    ``ending`` and ``opening`` are the ``visible_inlines`` of the two paragraphs;
    ``emphasised`` tells whether the first is wholly emphasised.
    """
    end = open_end(ending, emphasised)
    if end is None or not opening or opening[0][0]["t"] != "Str" or not opening[0][0]["c"]:
        return None
    word, where = end
    last, start = word[-1], opening[0][0]["c"][0]
    if start.islower() or last.islower() and start.isalnum():
        return word, where
    return None


def broken_word(ending: list[tuple[Node, tuple[int, int]]],
                opening: list[tuple[Node, tuple[int, int]]]
                ) -> tuple[str, str, tuple[int, int]] | None:
    """("para-", "graphs", place) when a paragraph ends in a word with a hyphen and
    the next begins with a lowercase word: one word cut by a page break."""
    if not ending or ending[-1][0]["t"] != "Str" or not opening:
        return None
    word, where = last_word(ending)
    rest = first_word(opening)
    if (len(word) > 1 and word.endswith("-") and word[-2].isalpha() and rest
            and rest[0].islower() and rest[0].isalpha()):
        return word, rest.rstrip(".,;:!?)"), where
    return None


def open_end(ending: list[tuple[Node, tuple[int, int]]],
             emphasised: bool) -> tuple[str, tuple[int, int]] | None:
    """The last word of a paragraph of prose that stops mid-sentence, and its place."""
    if emphasised or not ending or ending[-1][0]["t"] != "Str":
        return None
    words = 1 + sum(1 for node, _ in ending if node["t"] in ("Space", "SoftBreak"))
    if words < MIN_BROKEN_WORDS or any(node["t"] == "LineBreak" for node, _ in ending):
        return None
    word, where = last_word(ending)
    if not word or not (word[-1].isalnum() or word[-1] in ",-") or NOT_PROSE.search(word):
        return None
    return word, where


def last_word(ending: list[tuple[Node, tuple[int, int]]]) -> tuple[str, tuple[int, int]]:
    """The final word of a paragraph (its last Str nodes up to a space) and its place."""
    parts, where = [], (0, 0)
    for node, place in reversed(ending):
        if node["t"] != "Str":
            break
        parts.append(node["c"])
        where = place
    return "".join(reversed(parts)), where


def first_word(opening: list[tuple[Node, tuple[int, int]]]) -> str:
    """The text of the first word of a paragraph (its first Str nodes up to a space)."""
    parts = []
    for node, _ in opening:
        if node["t"] != "Str":
            break
        parts.append(node["c"])
    return "".join(parts)


def wholly_emphasised(inlines: list) -> bool:
    """True when every visible inline sits inside emphasis (a bold pseudo-heading)."""
    top = []
    for node in inlines:
        top.extend(node["c"][1] if is_wrapper(node) else [node])
    visible = [node for node in top if node["t"] not in SILENT_INLINES]
    return bool(visible) and all(node["t"] in EMPHASIS for node in visible)


def has_explicit_id(lines: list[str], line: int) -> bool:
    """True when the heading on ``line`` gives its own anchor: attributes with an id
    (``{#id}``) at its end, or a raw ``<a id=…>``/``<a name=…>`` in it (the way
    GitHub READMEs do it: ``### <a id="csharp"></a>C#``)."""
    if not 0 < line <= len(lines):
        return False
    text = lines[line - 1]
    return (re.search(r"\{[^{}]*#[^{}\s]+[^{}]*\}[ \t#]*$", text) is not None
            or re.search(r"<a\s[^>]*\b(id|name)\s*=", text, re.IGNORECASE) is not None)


def scan_footnotes(target: FileCheck) -> tuple[dict[str, tuple[int, int, str]],
                                               dict[str, tuple[int, int, str]],
                                               list[tuple[str, tuple[int, int, str]]]]:
    """Footnote definitions and references outside code, and definitions of a label
    defined before.

    Each maps a label (as pandoc matches it) to its first (line, col, label as written).
    """
    definitions: dict[str, tuple[int, int, str]] = {}
    references: dict[str, tuple[int, int, str]] = {}
    again: list[tuple[str, tuple[int, int, str]]] = []
    for number, line in enumerate(mask_code(target), 1):
        definition = FOOTNOTE_DEFINITION.match(line)
        skip = definition.end() if definition else 0
        if definition:
            shown = definition.group(1)
            label = footnote_label(shown)
            place = (number, definition.start(1) - 1, shown)
            if label in definitions:
                again.append((label, place))
            definitions.setdefault(label, place)
        for match in FOOTNOTE_REFERENCE.finditer(line, skip):
            shown = match.group(1)
            references.setdefault(footnote_label(shown), (number, match.start() + 1, shown))
    return definitions, references, again



def mask_code(target: FileCheck) -> list[str]:
    """The file's lines with code, math and raw HTML blanked out (columns stay true).

    Linear in the size of the file: the spans to blank are gathered per line first and
    each line is rebuilt once (10,000 code spans on one line took 83 s when every
    span rebuilt its line and counted its columns from the line's start)."""
    lines = list(target.lines)
    spans: dict[int, list[tuple[int, int]]] = {}

    def blank(pos: str | None) -> None:
        (line, col), (end_line, end_col) = parse_pos(pos), end_position(pos)
        if not line:
            return
        last = min(end_line, len(lines))
        for number in range(line, last + 1):
            start = col if number == line else 1
            stop = end_col if number == end_line else None
            spans.setdefault(number, []).append((start, stop))

    for node in target.of_type("Code", "CodeBlock"):
        blank(get_attr(node, "data-pos"))
    for node in target.of_type("wrapper"):
        if node["c"][1] and node["c"][1][0]["t"] in ("RawBlock", "RawInline", "Math"):
            blank(get_attr(node, "data-pos"))
    for number, found in spans.items():
        lines[number - 1] = _blanked(lines[number - 1], found)
    return lines


#: An HTML comment in raw HTML, ``<!-->`` and ``<!--->`` (empty) included; one never
#: closed runs to the end of its raw HTML (an HTML block: to the end of the file).
HTML_COMMENT = re.compile(r"<!--(?:-?>|.*?-->|.*)", re.DOTALL)
#: Every range of a ``data-pos`` (a block in a list or quote has one per line).
_RANGES = re.compile(r"(\d+):(\d+)-(\d+):(\d+)")


def mask_comments(target: FileCheck) -> list[str]:
    """The file's lines with every HTML comment blanked out (columns stay true).

    A comment is what pandoc reads as one: in raw HTML, inline or a block, over
    several lines or never closed. A ``<!--`` in code is printed, and stays."""
    lines = list(target.lines)
    spans: dict[int, list[tuple[int, int]]] = {}  # line -> [start, stop) indices
    for wrapper in target.of_type("wrapper"):
        inner = wrapper["c"][1]
        if (len(inner) != 1 or inner[0]["t"] not in ("RawBlock", "RawInline")
                or not inner[0]["c"][0].lower().startswith("html")
                or "<!--" not in inner[0]["c"][1]):
            continue
        ranges = [tuple(map(int, found))
                  for found in _RANGES.findall(get_attr(wrapper, "data-pos") or "")]
        if not ranges:
            continue
        first, col = min((r[0], r[1]) for r in ranges)
        last, end_col = max((r[2], r[3]) for r in ranges)
        # The raw HTML's own text in the file, line by line (a list's indent or a
        # quote's '>' between its lines are no comment's start or end).
        pieces: list[tuple[int, int, str]] = []  # (line, index of its start, text)
        for number in range(first, min(last, len(lines)) + 1):
            text = lines[number - 1]
            start = column_indices(text)(col) if number == first else 0
            stop = column_indices(text)(end_col) if number == last else len(text)
            pieces.append((number, start, text[start:stop]))
        region = "\n".join(text for _, _, text in pieces)
        offsets = []  # where each piece starts in the region
        offset = 0
        for _, _, text in pieces:
            offsets.append(offset)
            offset += len(text) + 1
        for comment in HTML_COMMENT.finditer(region):
            index = bisect.bisect_right(offsets, comment.start()) - 1
            while index < len(pieces) and offsets[index] < comment.end():
                (number, start, text), at = pieces[index], offsets[index]
                low, high = max(comment.start(), at), min(comment.end(), at + len(text))
                if low < high:
                    spans.setdefault(number, []).append((start + low - at, start + high - at))
                index += 1
    for number, found in spans.items():
        chars = list(lines[number - 1])
        for start, stop in found:
            chars[start:stop] = ["\t" if char == "\t" else " " for char in chars[start:stop]]
        lines[number - 1] = "".join(chars)
    return lines


def _blanked(text: str, spans: list[tuple[int, int | None]]) -> str:
    """``text`` with the column spans ``[start, stop)`` (pandoc's 1-based columns; a
    stop of None: to the end of the line) replaced by spaces."""
    index = column_indices(text)
    chars = list(text)
    for start, stop in spans:
        first = index(start)
        end = len(text) if stop is None else index(stop)
        chars[first:end] = " " * max(0, end - first)
    return "".join(chars)


def column_indices(text: str) -> Callable[[int], int]:
    """A function from pandoc's 1-based column in ``text`` to the index of its
    character (tabs count to the next stop), worked out once for the line."""
    if "\t" not in text:
        return lambda col: max(0, min(col - 1, len(text)))
    starts = []  # starts[i]: the column where character i begins
    column = 1
    for char in text:
        starts.append(column)
        column = column + TAB_STOP - (column - 1) % TAB_STOP if char == "\t" else column + 1

    def index(col: int) -> int:
        return bisect.bisect_left(starts, col)

    return index
