"""The print-quality PDF (issue 3), checked on built PDFs: fonts, tags and
metadata, bookmarks, page numbers and running heads, the printed table of
contents, nothing outside the text block, page sizes, the print-shop variant
and byte-identical rebuilds.

Besides the books in content/ (the session's ``content_build``), two generated
manuscripts (tests/fixtures/pdf/manuscripts.py) are built once per test run,
shared by the xdist workers: a long technical manual and a hostile one (a
3,000-character URL, word and code line, a 200-column table).
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from helpers import (CONTENT, FIXTURES, page_labels, pdf_pages, pdffonts, pdfinfo, require,
                     run_build, squeeze)

sys.path.insert(0, str(FIXTURES / "pdf"))

import manuscripts  # noqa: E402

from folio.formats.pdf.layout import GEOMETRIES  # noqa: E402

GERMAN = "warum-entkoppeln-sich-us-aktien"
ENGLISH = "making-books"
EPOCH = {"SOURCE_DATE_EPOCH": "1764000000"}
PT_PER_MM = 72 / 25.4
XHTML = "{http://www.w3.org/1999/xhtml}"


# --- builds shared by the workers ---------------------------------------------------

def shared_build(tmp_path_factory, name: str, source, *args: str) -> Path:
    """Build ``source`` (a path, or a function that writes a book into a folder and
    returns it) once for the whole run, whichever worker asks first; return the PDF."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder all workers share
    folder = root / f"pdf-{name}"
    with open(root / f"pdf-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "done"
        if not done.exists():
            book = source(folder / "src" / name) if callable(source) else Path(source)
            result = run_build(str(book), "-o", str(folder / "dist"), "--format", "pdf",
                               *args, env=EPOCH)
            assert result.returncode == 0, result.stderr
            pdfs = sorted((folder / "dist").glob("*/*.pdf"))
            # With --print, the print edition (<book>-print.pdf); else the PDF itself.
            wanted = [p for p in pdfs if p.name.endswith("-print.pdf")] if "--print" in args \
                else [p for p in pdfs if not p.stem.endswith(("-print", "-cover", "-archive"))]
            done.write_text(str(wanted[0]))
    return Path(done.read_text())


@pytest.fixture(scope="module")
def manual(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory, "folio-manual", manuscripts.technical_book)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory, "hostile", manuscripts.hostile_book)


@pytest.fixture(scope="module")
def hostile_letter_print(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory, "hostile-letter", manuscripts.hostile_book,
                        "--page-size", "letter", "--print")


@pytest.fixture(scope="module")
def english_print(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory, "english-print", CONTENT / ENGLISH, "--print")


# --- reading PDFs ------------------------------------------------------------------------

def reader(pdf: Path):
    from pypdf import PdfReader
    return PdfReader(pdf)


@functools.lru_cache(maxsize=16)
def words(pdf: Path) -> list[dict]:
    """Per page: its size and its words with their boxes (pdftotext -bbox-layout),
    in points from the top left of the page as shown (the MediaBox)."""
    require("pdftotext")
    text = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", text))
    pages = []
    for page in root.iter(f"{XHTML}page"):
        lines = []
        for line in page.iter(f"{XHTML}line"):
            boxes = [(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                     for w in line.iter(f"{XHTML}word")]
            lines.append(boxes)
        pages.append({"width": float(page.get("width")), "height": float(page.get("height")),
                      "lines": lines, "words": [w for line in lines for w in line]})
    return pages


def text_blocks(pdf: Path, geometry) -> list[tuple[float, float, float, float]]:
    """Per page, (left, top, right, bottom) of its text block in points from the top
    left of the MediaBox, from the page's TrimBox and the geometry of its size."""
    blocks = []
    for number, page in enumerate(reader(pdf).pages, start=1):
        media, trim = page.mediabox, page.trimbox
        x0 = float(trim.left) - float(media.left)
        y0 = float(media.top) - float(trim.top)
        inner, outer = geometry.inner * PT_PER_MM, geometry.outer * PT_PER_MM
        left, right = (inner, outer) if number % 2 else (outer, inner)
        blocks.append((x0 + left, y0 + geometry.top * PT_PER_MM,
                       x0 + float(trim.width) - right,
                       y0 + float(trim.height) - geometry.bottom * PT_PER_MM))
    return blocks


@functools.lru_cache(maxsize=16)
def outline(pdf: Path) -> list[tuple[int, str, int]]:
    """The bookmarks as (level, title, page number), in order."""
    pdf_reader = reader(pdf)
    flat = []

    def visit(items, level):
        for item in items:
            if isinstance(item, list):
                visit(item, level + 1)
            else:
                flat.append((level, item.title, pdf_reader.get_destination_page_number(item) + 1))
    visit(pdf_reader.outline, 1)
    return flat


def manual_headings(level: int = 3) -> list[tuple[int, str]]:
    """The headings (level, text) of the generated manual, from its Markdown."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        book = manuscripts.technical_book(Path(folder) / "book")
        headings = []
        for file in sorted(book.glob("*.md")):
            for line in file.read_text(encoding="utf-8").splitlines():
                match = re.match(r"(#{1,6}) (.*?)(?: \{#[^}]*\})?$", line)
                if match and len(match.group(1)) <= level:
                    headings.append((len(match.group(1)), match.group(2)))
        return headings


def first_chapter_page(pdf: Path) -> int:
    return outline(pdf)[0][2]


def margin_words(page: dict, geometry, zone: str) -> list[str]:
    """Words in the top (running head) or bottom (page number) margin of a page."""
    top = geometry.top * PT_PER_MM
    bottom = page["height"] - geometry.bottom * PT_PER_MM
    if zone == "top":
        return [w[0] for w in page["words"] if w[4] <= top]
    return [w[0] for w in page["words"] if w[2] >= bottom]


# --- fonts, tags, metadata ---------------------------------------------------------------------

def test_every_font_is_a_folio_font_embedded_and_subset(content_build, manual, hostile):
    pdfs = [content_build.file(GERMAN, "pdf"), content_build.file(ENGLISH, "pdf"), manual,
            hostile]
    for pdf in pdfs:
        fonts = pdffonts(pdf)
        assert fonts, pdf
        for font in fonts:
            assert font["emb"] == "yes" and font["sub"] == "yes", (pdf.name, font)
            assert font["name"].split("+", 1)[-1].startswith("Folio-"), (pdf.name, font)


@pytest.mark.parametrize("slug, lang", [(GERMAN, "de"), (ENGLISH, "en")])
def test_pdf_is_tagged_and_declares_its_language(content_build, slug, lang):
    pdf = content_build.file(slug, "pdf")
    assert pdfinfo(pdf)["Tagged"] == "yes"
    root = reader(pdf).trailer["/Root"]
    assert root["/Lang"] == lang
    assert root["/MarkInfo"]["/Marked"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert f"<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li>" in xmp


def test_title_and_authors_are_in_document_info_and_xmp(manual):
    info = pdfinfo(manual)
    assert info["Title"] == "The Folio Manual"
    assert info["Author"] == "Ada Author, Ben Author"
    xmp = reader(manual).trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert '<rdf:li xml:lang="x-default">The Folio Manual</rdf:li>' in xmp
    assert "<rdf:li>Ada Author</rdf:li><rdf:li>Ben Author</rdf:li>" in xmp
    assert "<dc:identifier>urn:isbn:9783161484100</dc:identifier>" in xmp
    assert "<rdf:li>Folio Press</rdf:li>" in xmp


def test_bookmarks_for_every_chapter_and_section(manual, content_build):
    marks = outline(manual)
    assert [(level, title) for level, title, _ in marks] == manual_headings(3)
    english = [(level, title) for level, title, _ in outline(content_build.file(ENGLISH, "pdf"))]
    assert english == [(1, "Why one source"), (2, "Links a reader cannot click"),
                       (2, "Quotation marks"), (1, "The anatomy of a page"), (2, "Measures"),
                       (2, "Code"), (2, "A quotation")]


def test_bookmarks_are_the_headings_text_without_note_calls(tmp_path):
    book = tmp_path / "notes.md"
    book.write_text("---\ntitle: T\nlang: en\n---\n# Release notes for [version 2](https://"
                    "example.org/v2)\n\nText.[^1]\n\n## Fixed in *this* one[^2]\n\nMore.\n\n"
                    "[^1]: One.\n[^2]: Two.\n", encoding="utf-8")
    result = run_build(str(book), "-o", str(tmp_path / "dist"), "--format", "pdf")
    assert result.returncode == 0, result.stderr
    marks = [(level, title) for level, title, _ in outline(tmp_path / "dist/notes/notes.pdf")]
    assert marks == [(1, "Release notes for version 2"), (2, "Fixed in this one")]


# --- pages: numbers, running heads, front matter ---------------------------------------------

@pytest.mark.parametrize("book", ["manual", GERMAN])
def test_each_page_after_the_front_matter_shows_its_own_number(book, manual, content_build):
    pdf = manual if book == "manual" else content_build.file(GERMAN, "pdf")
    geometry = GEOMETRIES["A5"]
    pages = words(pdf)
    first = first_chapter_page(pdf)
    if book == GERMAN:  # an article: its title and text on the first page
        assert first == 1
    else:  # a book: title page, imprint, contents, then the text on a right-hand page
        assert first >= 4
    labels = page_labels(pdf)
    for number, page in enumerate(pages, start=1):
        foot = margin_words(page, geometry, "bottom")
        if not page["words"]:
            assert foot == [], f"page {number} (blank) has {foot}"
        elif number < first:  # the contents show their roman number, the rest none
            assert foot in ([], [labels[number - 1]]), f"page {number} has {foot}"
            assert not foot or re.fullmatch("[ivxl]+", foot[0])
        else:
            assert foot == [labels[number - 1]], f"page {number} shows {foot}"


def test_running_heads_book_title_left_chapter_title_right(manual):
    geometry = GEOMETRIES["A5"]
    pages = words(manual)
    openings = {page: title for level, title, page in outline(manual) if level == 1}
    first = first_chapter_page(manual)
    chapter = None
    for number, page in enumerate(pages, start=1):
        head = " ".join(margin_words(page, geometry, "top"))
        if number in openings:
            chapter = openings[number]
            assert head == "", f"page {number} opens a chapter but has the head {head!r}"
        elif number < first or not page["words"]:
            assert head == "", f"page {number}: {head!r}"
        elif number % 2 == 0:
            assert head == "The Folio Manual", f"page {number}: {head!r}"
        else:
            assert head == chapter, f"page {number}: {head!r}"


def test_chapters_start_on_right_hand_pages_when_asked(manual):
    openings = [page for level, _, page in outline(manual) if level == 1]
    assert len(openings) == 8
    assert all(page % 2 == 1 for page in openings), openings


def test_title_page_and_imprint_come_from_the_metadata(manual):
    title, imprint = pdf_pages(manual)[:2]
    for text in ("Ada Author, Ben Author", "The Folio Manual",
                 "Typesetting books from one Markdown source", "Folio Press"):
        assert text in " ".join(title.split()) or text.upper() in title.upper(), text
    assert not re.search(r"\d", title), "the title page shows a number"
    flat = " ".join(imprint.split())
    for text in ("Second edition", "© 2026 Ada Author and Ben Author. Licensed under CC BY 4.0.",
                 "Folio Press, 26 November 2026", "ISBN 978-3-16-148410-0"):
        assert text in flat, text


# --- the printed table of contents ------------------------------------------------------------

def printed_toc(pdf: Path) -> list[tuple[str, int]]:
    """(text, page) of each entry of the printed table of contents: the pages from
    the one headed Contents (or Inhalt) to the first chapter, read with -layout."""
    pages = pdf_pages(pdf)
    start = next(n for n, page in enumerate(pages, start=1)
                 if page.lstrip().startswith(("Contents", "Inhalt")))
    text = subprocess.run(["pdftotext", "-layout", "-f", str(start), "-l",
                           str(first_chapter_page(pdf) - 1), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    entries, pending = [], ""
    for line in text.splitlines()[1:]:
        if re.fullmatch(r"[ivxl]+", line.strip()):
            continue  # the contents page's own (roman) number
        pending = f"{pending} {line.strip()}".strip()
        match = re.fullmatch(r"(.*?)[\s.]*\s(\d+)", pending)
        if match:
            entries.append((" ".join(match.group(1).split()), int(match.group(2))))
            pending = ""
    assert pending == ""
    return entries


@pytest.mark.parametrize("book", ["manual", ENGLISH])
def test_printed_contents_give_the_page_each_heading_stands_on(book, manual, content_build):
    pdf = manual if book == "manual" else content_build.file(book, "pdf")
    pages = pdf_pages(pdf)
    first = first_chapter_page(pdf)
    entries = printed_toc(pdf)
    expected = [(title, page) for level, title, page in outline(pdf) if level <= 2]
    assert [title for title, _ in entries] == [title for title, _ in expected]
    labels = page_labels(pdf)
    for title, page in entries:
        stands = next(n for n in range(first, len(pages) + 1)
                      if squeeze(title) in squeeze(pages[n - 1]))
        assert str(page) == labels[stands - 1], \
            f"the contents give p. {page} for {title!r}, it is on {labels[stands - 1]}"


# --- text: headings, tables, figures -----------------------------------------------------------

def heading_lines(lines: list, title: str) -> tuple[int, int]:
    """(first, last) index of the lines that print ``title`` (it may wrap)."""
    target = squeeze(title)
    for first in range(len(lines)):
        text = ""
        for last in range(first, len(lines)):
            text += squeeze(" ".join(w[0] for w in lines[last]))
            if text == target:
                return first, last
            if not target.startswith(text):
                break
    raise AssertionError(f"{title!r} is not on the page")


def test_no_heading_is_left_at_the_foot_of_a_page(manual):
    """Every heading has at least two lines of body text under it on its page."""
    body = GEOMETRIES["A5"].font_size
    pages = words(manual)
    for _level, title, number in outline(manual):
        lines = pages[number - 1]["lines"]
        _first, last = heading_lines(lines, title)
        heading_bottom = lines[last][0][4]
        below = [line for line in lines[last + 1:] if line[0][2] > heading_bottom
                 and abs((line[0][4] - line[0][2]) - body * 1.36) < 1.2]
        assert len(below) >= 2, f"{title!r} on page {number}"


def test_long_table_repeats_its_header_on_every_page(manual):
    pages = pdf_pages(manual)
    with_rows = [n for n, text in enumerate(pages, 1) if re.search(r"\bopt-0\d\d\b", text)]
    spread = [n for n in with_rows if not re.search(r"\bopt-000\b", pages[n - 1])]
    assert spread, "a 28-row table should run onto a second page"
    for number in with_rows:
        assert re.search(r"Option\s+Default\s+Type\s+Effect", pages[number - 1]), number


def test_figures_stand_whole_with_their_captions(manual):
    pdf_reader = reader(manual)
    for number, text in enumerate(pdf_pages(manual), start=1):
        if "A gradient from black to white" in text:
            xobjects = pdf_reader.pages[number - 1]["/Resources"].get("/XObject") or {}
            assert any(x.get_object()["/Subtype"] == "/Image" for x in xobjects.values()), number


# --- nothing outside the text block ------------------------------------------------------------

@pytest.mark.parametrize("variant", ["a5", "letter-print"])
def test_no_glyph_stands_outside_the_text_block(variant, hostile, hostile_letter_print):
    pdf = hostile if variant == "a5" else hostile_letter_print
    geometry = GEOMETRIES["A5" if variant == "a5" else "letter"]
    pdf_reader = reader(pdf)
    blocks = text_blocks(pdf, geometry)
    for number, page in enumerate(words(pdf), start=1):
        left, _top, right, _bottom = blocks[number - 1]
        trim = pdf_reader.pages[number - 1].trimbox
        media = pdf_reader.pages[number - 1].mediabox
        trim_top = float(media.top) - float(trim.top)
        for word, x0, y0, x1, y1 in page["words"]:
            assert left - 0.5 <= x0 and x1 <= right + 0.5, (
                f"page {number}: {word[:40]!r} spans {x0:.1f}-{x1:.1f}, "
                f"text block {left:.1f}-{right:.1f}")
            assert trim_top <= y0 and y1 <= trim_top + float(trim.height), \
                f"page {number}: {word[:40]!r} outside the page"


def test_hostile_text_is_all_printed(hostile):
    """Nothing of the hostile text is lost (running heads, page numbers and the notes
    below their rule left out of the text, the notes read on their own)."""
    import tempfile

    from notecheck import join_continued, read_pdf

    pages = read_pdf(hostile)
    blocks = text_blocks(hostile, GEOMETRIES["A5"])
    text = "".join(word for page, notes, (_, top, _, bottom)
                   in zip(words(hostile), pages, blocks)
                   for word, _, y0, _, y1 in page["words"]
                   if top - 1 <= y0 and y1 <= min(bottom, notes.rule_y or bottom) + 1)
    with tempfile.TemporaryDirectory() as folder:
        markdown = (manuscripts.hostile_book(Path(folder)) / "01-hostile.md").read_text()
    url = re.search(r"\[the long link\]\((\S+)\)", markdown).group(1)
    unbroken = re.search(r"\[unbroken\]\((\S+)\)", markdown).group(1)
    word = re.search(r"A long word: (\S+) ends", markdown).group(1)
    code = re.search(r"```\n(.*)\n```", markdown).group(1)
    assert len(url) == len(unbroken) == len(word) == len(code) == manuscripts.LONG
    # A code line cut to the measure goes on behind a continuation mark (→).
    for piece in (word, squeeze(code)):
        assert piece in text.replace("\u2192", "")
    # The links' 3,000-character targets are notes, each running on at the foot of
    # the next page.
    continued = join_continued(pages, [url, unbroken])
    assert sorted(note.text for note in continued) == sorted([url, unbroken])
    assert all(f"C{n}" in text for n in (1, 57, 123, 200))


# --- page sizes, print variant, reproducibility --------------------------------------------------

@pytest.mark.parametrize("size, width, height", [
    ("a5", 148, 210), ("a4", 210, 297), ("letter", 215.9, 279.4), ("6x9", 152.4, 228.6)])
def test_page_size_gives_the_right_media_box(tmp_path_factory, size, width, height):
    def tiny(folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tiny.md").write_text("---\ntitle: Tiny\nlang: en\n---\n# One\n\nText.\n")
        return folder / "tiny.md"
    pdf = shared_build(tmp_path_factory, f"size-{size}", tiny, "--page-size", size)
    for page in reader(pdf).pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(
            (width * PT_PER_MM, height * PT_PER_MM), abs=0.5)


def test_print_variant_has_bleed_and_no_crop_marks(english_print, content_build):
    """``--print`` (the print edition): 3 mm bleed; no crop marks, which
    print-on-demand services ask not to have (they trim at the TrimBox)."""
    bleed = 3 * PT_PER_MM
    for page in reader(english_print).pages:
        media, trim, bleed_box = page.mediabox, page.trimbox, page.bleedbox
        assert float(trim.width) == pytest.approx(148 * PT_PER_MM, abs=0.5)
        assert float(media.width) == pytest.approx(float(trim.width) + 2 * bleed, abs=0.5)
        assert float(media.height) == pytest.approx(float(trim.height) + 2 * bleed, abs=0.5)
        assert float(bleed_box.left) < float(trim.left) and float(bleed_box.top) > float(trim.top)
    for page in reader(content_build.file(ENGLISH, "pdf")).pages:
        assert page.trimbox == page.mediabox  # the screen PDF has no bleed
    # No ink in the bleed at the corners, as on the screen PDF.
    assert _corner_ink(english_print) == 0
    assert _corner_ink(content_build.file(ENGLISH, "pdf")) == 0


def _render(pdf: Path, page: int, tmp: Path):
    from PIL import Image
    require("pdftoppm")
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", str(page), "-l", str(page), str(pdf),
                    str(tmp / "page")], check=True)
    return Image.open(next(tmp.glob("page*.png"))).convert("RGB")


def _corner_ink(pdf: Path) -> int:
    """Dark pixels in the outermost 3 mm at the four corners of page 1."""
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        image = _render(pdf, 1, Path(folder))
    edge = int(3 * 72 / 25.4)
    width, height = image.size
    corners = [(x, y) for x in list(range(edge)) + list(range(width - edge, width))
               for y in list(range(0, 3 * edge)) + list(range(height - 3 * edge, height))]
    return sum(1 for xy in corners if sum(image.getpixel(xy)) < 300)


def test_print_variant_has_no_link_colour(english_print, content_build):
    import tempfile

    def blue(pdf: Path) -> int:
        with tempfile.TemporaryDirectory() as folder:
            image = _render(pdf, first_chapter_page(pdf), Path(folder))
        return sum(1 for r, g, b in image.get_flattened_data() if b > r + 60)
    assert blue(content_build.file(ENGLISH, "pdf")) > 0
    assert blue(english_print) == 0


def test_two_builds_with_the_same_epoch_are_identical(content_build, tmp_path):
    result = run_build(str(CONTENT / ENGLISH), "-o", str(tmp_path), "--format", "pdf",
                       env=EPOCH)
    assert result.returncode == 0, result.stderr
    again = (tmp_path / ENGLISH / f"{ENGLISH}.pdf").read_bytes()
    assert again == content_build.file(ENGLISH, "pdf").read_bytes()
    assert reader(tmp_path / ENGLISH / f"{ENGLISH}.pdf").trailer["/ID"]

