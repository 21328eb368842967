"""The link notes of a folio PDF, read from the PDF alone (pdfminer.six): the calls
and the notes of every page, and what breaks the rule "every note printed once, on its
call's page, in the order of the calls" (``rule_violations``).

    python tests/notecheck.py BOOK.pdf URLS.txt

How the PDF is read (glyph by glyph: text, size, baseline; the filled paths; the link
annotations), on folio's print layout: body size B, the call ``::footnote-call`` at
0.64 B raised, the notes at 0.82 B (print.css: fractions of the body size, so any trim
size reads the same):

- **The footnote area** is what stands below its rule: ``@footnote`` has a 0.4 pt top
  border in #777, which WeasyPrint paints as a thin grey fill (an even-odd pair of
  rectangles with the same sides and bottom: the strip is the difference of their
  tops). The rule is the lowest such strip at least 50 pt wide. Glyphs whose baseline
  is below it, in the notes' size, are note text (the page number is 0.9 B); a page
  without a rule has no notes. (Size alone would not do: URLs printed in the text and
  code are set at 0.82 B too.)
- **A call** is a run of digits in the call's size above the rule (in the text or in a
  heading: its size is given in pt). Adjacent digits on one baseline are one number.
- **A note** begins with its marker in the hanging indent: digits from the area's left
  edge, touching each other, ended by a gap (the rest of the marker box). Its text is
  the rest of that line and of the following lines up to the next marker (a line:
  baselines within 0.3 of the notes' size), joined without spaces (a URL breaks
  without a hyphen). A marker that broke in its box leaves digits alone on a line: they
  are put before the next marker's digits and the note counts as ``marker_split``.
- Glyphs outside the page are left out (a note area overflowing the page's top).
- **A note's rest**: text without a marker at the top of a page's notes continues a
  note of an earlier page that stopped short of its URL (a note too long for one
  page); ``join_continued`` joins it, after which the rules read as for any note.

Speed: about 0.05 s CPU a page (pdfminer is pure Python). WeasyPrint puts nearly
every object into one object stream, which pdfminer parses whole to open the file
(45 s for a 900-page book): ``_Document`` reads only the objects asked for.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import itertools
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LTChar, LTCurve
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser, PDFStreamParser
from pdfminer.pdftypes import resolve1
from pdfminer.utils import decode_text

#: Type sizes relative to the body size (print.css): the call and the notes.
CALL_RATIO = 0.64
NOTE_RATIO = 0.82
#: The rule's colour (``@footnote { border-top: 0.4pt solid #777 }``).
RULE_GREY = 0x77 / 255


@dataclasses.dataclass(slots=True)
class Char:
    c: str  # a ligature's glyph holds all its letters
    size: float
    x0: float
    x1: float
    base: float  # baseline, from the page's top
    seq: int = 0  # order in the content stream


@dataclasses.dataclass
class Call:
    number: int
    page: int
    x: float
    y: float


@dataclasses.dataclass
class Note:
    number: int | None  # from the marker
    page: int
    text: str
    y: float
    lines: list = dataclasses.field(default_factory=list)  # its text, line by line
    marker_split: bool = False  # the marker's digits broke over two lines
    continued: list = dataclasses.field(default_factory=list)  # pages it runs on to


@dataclasses.dataclass
class Page:
    number: int
    rule_y: float | None
    calls: list
    notes: list
    #: external link targets on the page, in reading order (from the link
    #: annotations: an independent check of the call's page)
    links: list = dataclasses.field(default_factory=list)


class _Document(PDFDocument):
    """A PDFDocument that parses the one object asked for in an object stream,
    found by the stream's offset table, instead of all the stream's objects."""

    def __init__(self, parser):
        self._lazy = {}  # stream id: (parser, offset of each object)
        super().__init__(parser)

    def _getobj_objstm(self, stream, index, objid):
        try:
            if stream.objid not in self._lazy:
                data = stream.get_data()
                first = int(resolve1(stream["First"]))
                offsets = [first + int(n) for n in data[:first].split()[1::2]]
                parser = PDFStreamParser(data)
                parser.set_document(self)
                self._lazy[stream.objid] = (parser, offsets)
            parser, offsets = self._lazy[stream.objid]
            parser.seek(offsets[index])
            return parser.nextobject()[1]
        except Exception:  # anything unexpected: pdfminer's own way
            return super()._getobj_objstm(stream, index, objid)


def _page_objects(interpreter, device, page) -> tuple[list[Char], tuple | None, list]:
    """The page's glyphs, its footnote rule (top y, left x, right x) or None, and
    its links [(top y, left x, uri)]; y downwards from the page's top."""
    interpreter.process_page(page)
    x0, y0, x1, y1 = page.mediabox
    width, height = x1 - x0, y1 - y0
    chars, strips = [], defaultdict(list)
    for obj in device.get_result():
        if isinstance(obj, LTChar):
            # (MuPDF leaves out glyphs outside the page: so does this.)
            if obj.y1 >= 0 and obj.y0 <= height and obj.x1 >= 0 and obj.x0 <= width:
                chars.append(Char(obj.get_text(), obj.size, obj.x0, obj.x1,
                                  height - obj.matrix[5], len(chars)))
        elif isinstance(obj, LTCurve):
            colour = obj.non_stroking_color if obj.fill else None
            colour = colour or (obj.stroking_color if obj.stroke else None)
            colour = colour if isinstance(colour, (tuple, list)) else (colour,)
            if colour and all(isinstance(v, (int, float)) and abs(v - RULE_GREY) <= 0.03
                              for v in colour[:3]):
                # The rectangles of one even-odd fill share sides and bottom.
                key = (round(obj.x0, 1), round(obj.x1, 1), round(height - obj.y0, 1))
                strips[key].append(height - obj.y1)
    rule = None
    for (left, right, bottom), tops in strips.items():
        tops.sort()
        strip = tops[1] - tops[0] if len(tops) >= 2 else bottom - tops[0]
        if strip <= 2 and right - left >= 50 and (rule is None or tops[0] > rule[0]):
            rule = (tops[0], left, right)
    links = []
    for annot in map(resolve1, resolve1(page.annots) or []):
        action = resolve1(annot.get("A")) if isinstance(annot, dict) else None
        uri = resolve1(action.get("URI")) if isinstance(action, dict) else None
        if uri and "Rect" in annot:
            ax0, ay0, ax1, ay1 = (float(v) for v in resolve1(annot["Rect"]))
            links.append((round(y1 - max(ay0, ay1), 1), min(ax0, ax1) - x0,
                          decode_text(uri) if isinstance(uri, bytes) else str(uri)))
    return chars, rule, links


def _body_size(chars: list[Char]) -> float:
    sizes = defaultdict(int)
    for ch in chars:
        if not ch.c.isspace():
            sizes[round(ch.size, 1)] += 1
    return max(sizes, key=sizes.get) if sizes else 10.0


def _near(a: float, b: float, tolerance: float = 0.25) -> bool:
    return abs(a - b) <= tolerance


def read_page(chars: list[Char], rule, links, number: int, body: float) -> Page:
    rule_y = rule[0] if rule else None
    call_size, note_size = body * CALL_RATIO, body * NOTE_RATIO
    # Calls: digits in the call size above the rule, grouped into numbers.
    digits = [ch for ch in chars if ch.c.isdigit() and _near(ch.size, call_size)
              and (rule_y is None or ch.base < rule_y)]
    digits.sort(key=lambda ch: (round(ch.base, 1), ch.x0))
    runs: list[list[Char]] = []
    for ch in digits:
        if runs and _near(ch.base, runs[-1][-1].base, 0.5) and ch.x0 - runs[-1][-1].x1 <= 0.8:
            runs[-1].append(ch)
        else:
            runs.append([ch])
    calls = [Call(int("".join(ch.c for ch in run)), number, run[0].x0, run[0].base)
             for run in runs]
    # Notes: the note-size text below the rule, line by line.
    notes: list[Note] = []
    if rule is None:
        return Page(number, rule_y, calls, notes, [uri for *_, uri in sorted(links)])
    left, gap = rule[1], 0.1 * note_size
    below = sorted((ch for ch in chars if ch.base > rule_y and _near(ch.size, note_size)
                    and not ch.c.isspace()), key=lambda ch: ch.base)
    lines: list[list[Char]] = []
    for ch in below:
        if lines and ch.base - lines[-1][0].base <= 0.3 * note_size:
            lines[-1].append(ch)
        else:
            lines.append([ch])
    pending = ""
    for line in lines:
        base = line[0].base
        line.sort(key=lambda ch: (round(ch.x0, 1), ch.seq))
        # The marker: digits from the area's left edge, touching each other,
        # up to a gap (the rest of the marker box) or a non-digit.
        count = 0
        if abs(line[0].x0 - left) < 1.0:
            while (count < len(line) and line[count].c.isdigit()
                   and (count == 0 or line[count].x0 - line[count - 1].x1 < gap)):
                count += 1
            if count and count < len(line) and line[count].x0 - line[count - 1].x1 < gap:
                count = 0  # digits running into the text: no marker (a URL's start)
        marker = "".join(ch.c for ch in line[:count])
        text = "".join(ch.c for ch in line[count:]).replace("\u00ad", "")
        if marker and not text:
            pending += marker
        elif marker:
            notes.append(Note(int(pending + marker), number, text, base, lines=[text],
                              marker_split=bool(pending)))
            pending = ""
        elif notes:
            notes[-1].text += text
            notes[-1].lines.append(text)
        else:  # text without a marker at the top of the area: a note's rest
            notes.append(Note(None, number, text, base, lines=[text]))
    return Page(number, rule_y, calls, notes, [uri for *_, uri in sorted(links)])


def join_continued(pages: list[Page], expected_urls: list[str]) -> list[Note]:
    """Join each note's rest to the note it continues; return the notes that ran on.

    A note too long for its page runs on at the top of a later page's notes: text
    without a marker there. Its note is one that stopped short of its URL: rests
    are given, line by line, to the earliest such note whose text the line goes on
    (its text and the line begin an expected URL). Two notes may run on to one
    page; their rests follow each other in the order of the notes. A rest that
    goes on no note stays as it is (``rule_violations``: unknown)."""
    expected = sorted(_display(url) for url in expected_urls)

    def begins_url(text: str) -> bool:
        at = bisect.bisect_left(expected, text)
        return at < len(expected) and expected[at].startswith(text)

    def complete(text: str) -> bool:
        at = bisect.bisect_left(expected, text)
        return at < len(expected) and expected[at] == text

    joined, open_notes = [], []
    for page in pages:
        if page.notes and page.notes[0].number is None:
            rest = page.notes[0]
            left = []
            for line in rest.lines:
                note = next((note for note in open_notes if begins_url(note.text + line)),
                            None)
                if note is None:
                    left.append(line)
                    continue
                note.text += line
                note.lines.append(line)
                if page.number not in note.continued:
                    note.continued.append(page.number)
                if note not in joined:
                    joined.append(note)
                if complete(note.text):
                    open_notes.remove(note)
            if left:
                rest.lines, rest.text = left, "".join(left)
            else:
                page.notes.pop(0)
        open_notes.extend(note for note in page.notes if note.number is not None
                          and not complete(note.text) and begins_url(note.text))
    return joined


def read_pdf(pdf_path) -> list[Page]:
    with open(pdf_path, "rb") as stream:
        resources = PDFResourceManager(caching=True)
        device = PDFPageAggregator(resources, laparams=None)
        interpreter = PDFPageInterpreter(resources, device)
        objects = (_page_objects(interpreter, device, page)
                   for page in PDFPage.create_pages(_Document(PDFParser(stream))))
        # The body size: the commonest size above the footnote rules (on pages
        # dense with notes, the notes' size is the commonest of the page).
        first, sample = [], []
        for chars, rule, links in objects:
            first.append((chars, rule, links))
            sample.extend(ch for ch in chars if rule is None or ch.base < rule[0])
            if len(sample) > 20000:
                break
        body = _body_size(sample)
        return [read_page(*page, number, body)
                for number, page in enumerate(itertools.chain(first, objects), 1)]


def _display(url: str) -> str:
    for prefix in ("mailto:", "tel:"):
        if url.startswith(prefix):
            return url[len(prefix):]
    return url


def rule_violations(pages: list[Page], expected_urls: list[str],
                    repeats_per_page: bool = False) -> dict[str, list]:
    """What breaks the rule, for notes numbered per chapter (chapters open on a new
    page, so a page's calls and markers are numbers of one chapter):

    ``lost``: an expected URL printed in no note; ``twice``: one printed in more than
    one (``repeats_per_page``: notes of a URL allowed in the book, at most one a
    page); ``unknown``: a note whose text is no expected URL (or a note's rest without
    a marker); ``not_with_their_calls``: a page whose note numbers are not the numbers
    of its calls (a number called twice on a page is a link to a URL noted there
    already: one note); ``out_of_order``: a page whose notes are not in the order of
    its calls.
    """
    expected = {_display(url) for url in expected_urls}
    printed: dict[str, list[int]] = defaultdict(list)
    result: dict[str, list] = {key: [] for key in (
        "lost", "twice", "unknown", "not_with_their_calls", "out_of_order")}
    for page in pages:
        for note in page.notes:
            if note.text in expected and note.number is not None:
                printed[note.text].append(page.number)
            else:
                result["unknown"].append((page.number, note.number, note.text))
        calls = [call.number for call in page.calls]
        markers = [note.number for note in page.notes]
        if sorted(set(calls)) != sorted(n for n in markers if n is not None):
            result["not_with_their_calls"].append((page.number, calls, markers))
        if markers != sorted(n for n in markers if n is not None):
            result["out_of_order"].append((page.number, markers))
    for url in expected_urls:
        where = printed.get(_display(url), [])
        if not where:
            result["lost"].append(url)
        elif len(where) > 1 and (not repeats_per_page or len(set(where)) < len(where)):
            result["twice"].append((url, where))
    return result


def url_breaks(pages: list[Page]) -> dict:
    """How the notes' URLs break across lines: after a break mark (/ . _ ? & = #),
    after a hyphen, before a %XX escape, inside an escape, or elsewhere inside a
    token; and how many markers broke (numbers too wide for the marker box)."""
    counts = dict.fromkeys(("after_mark", "after_hyphen", "before_escape", "after_escape",
                            "in_escape", "mid_token", "lines", "notes", "split_markers"), 0)
    examples = {"in_escape": [], "mid_token": []}
    for page in pages:
        for note in page.notes:
            counts["notes"] += 1
            counts["split_markers"] += note.marker_split
            counts["lines"] += len(note.lines)
            for left, right in zip(note.lines, note.lines[1:]):
                if not left or not right:
                    continue
                kind = ("in_escape" if re.search(r"%[0-9A-Fa-f]?$", left) else
                        "after_mark" if left[-1] in "/._?&=#" else
                        "after_escape" if re.search(r"%[0-9A-Fa-f]{2}$", left) else
                        "after_hyphen" if left[-1] == "-" else
                        "before_escape" if right[0] == "%" else "mid_token")
                counts[kind] += 1
                if kind in examples and len(examples[kind]) < 5:
                    examples[kind].append(f"p{page.number}: ...{left[-12:]} | {right[:12]}...")
    return {"counts": counts, "examples": examples}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pdf", type=Path)
    parser.add_argument("urls", type=Path, help="the expected URLs, one a line")
    args = parser.parse_args(argv)
    pages = read_pdf(args.pdf)
    urls = [u for u in args.urls.read_text(encoding="utf-8").splitlines() if u]
    result = rule_violations(pages, urls)
    print(f"{args.pdf}: {len(pages)} pages, {len(urls)} notes expected, "
          f"{sum(len(p.notes) for p in pages)} printed")
    print(json.dumps(url_breaks(pages)["counts"]))
    for key, items in result.items():
        print(f"  {key}: {len(items)}", *items[:8], sep="\n    ")
    return 1 if any(result.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
