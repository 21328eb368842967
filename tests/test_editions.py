"""The editions (issue 15): the print edition (PDF/X and its wrap cover), the Kobo
edition (.kepub.epub) and the archive edition (PDF/A-2u), and the roman numbers of
the front matter.

No PDF/X or PDF/A checker runs on this machine (veraPDF needs Maven Central and
checks no PDF/X; no other is packaged for PyPI, npm or Debian), so the tests read
what a checker reads (tests/pdfconformance.py): the XMP identification, the output
intent, the colour space of every drawing operator and image, the page boxes,
transparency, annotations, and the fonts with poppler's pdffonts.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pikepdf
import pytest
from helpers import CONTENT, FIXTURES, epubcheck, pdffonts, pdfinfo, run_build

sys.path.insert(0, str(FIXTURES / "pdf"))
import manuscripts  # noqa: E402
from pdfcheck import page_labels, page_texts  # noqa: E402
from pdfconformance import (boxes, drawing_colours, output_intents, transparency,  # noqa: E402
                            xmp)

EPOCH = {"SOURCE_DATE_EPOCH": "1764000000"}
MM = 72 / 25.4
BLEED_PT = 3 * MM
PRINT_INKS = {"DeviceCMYK", "DeviceGray"}
XHTML = "{http://www.w3.org/1999/xhtml}"
OPS_TYPE = "{http://www.idpf.org/2007/ops}type"


def build(*args: str, env: dict | None = None):
    result = run_build(*args, env={**EPOCH, **(env or {})})
    assert result.returncode == 0, result.stderr
    return result


def shared(tmp_path_factory, name: str, make) -> dict:
    """``make(folder)`` run once for the whole test run, whichever worker asks first
    (as tests/test_pdf.py's builds): its dict of strings, kept as JSON."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder all workers share
    folder = root / f"editions-{name}"
    with open(root / f"editions-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / "done.json"
        if not done.exists():
            folder.mkdir(parents=True, exist_ok=True)
            done.write_text(json.dumps(make(folder)), encoding="utf-8")
    data = json.loads(done.read_text(encoding="utf-8"))
    return {key: Path(value) if key in ("folder", "parts") else value
            for key, value in data.items()}


@pytest.fixture(scope="module")
def making_books(tmp_path_factory):
    """content/making-books with every edition (and the formats), in one build."""
    def make(out: Path) -> dict:
        result = build(str(CONTENT / "making-books"), "-o", str(out),
                       "--edition", "print,kobo,archive")
        return {"folder": str(out / "making-books"), "stdout": result.stdout,
                "stderr": result.stderr}
    return shared(tmp_path_factory, "making-books", make)


@pytest.fixture(scope="module")
def long_book(tmp_path_factory):
    """A book long enough to be laid out in parts on two workers, with an ISBN, a
    small image and cream paper: the print (PDF/X-1a: PDF 1.4, no transparency) and
    archive editions merged from parts."""
    def make(folder: Path) -> dict:
        book = manuscripts.technical_book(folder / "manual", chapters=12)
        with (book / "book.yaml").open("a", encoding="utf-8") as meta:
            meta.write("paper: cream\n")
        result = build(str(book), "-o", str(folder / "out"), "--format", "epub",
                       "--edition", "print,archive", "--pdf-x", "x-1a",
                       env={"FOLIO_LAYOUT_WORKERS": "2"})
        return {"folder": str(folder / "out" / "manual"), "stderr": result.stderr,
                "parts": str(folder / "out" / ".folio-cache" / "print" / "manual")}
    return shared(tmp_path_factory, "long", make)


def check_print_pdf(path: Path, version: str = "PDF/X-4") -> None:
    """Everything a PDF/X-4 (or X-1a) checker would look at, for ``path``."""
    with pikepdf.open(path) as pdf:
        ident = xmp(pdf)
        assert ident.get("pdfxid:GTS_PDFXVersion") == version or \
            pdf.docinfo.get("/GTS_PDFXVersion") == version
        intents = output_intents(pdf)
        assert len(intents) == 1 and intents[0]["S"] == "/GTS_PDFX"
        assert intents[0]["components"] == 4, "a CMYK output profile, embedded"
        assert intents[0]["condition"] == "FOGRA39"
        assert intents[0]["profile"][36:40] == b"acsp" and intents[0]["profile"][16:20] == b"CMYK"
        assert str(pdf.docinfo.get("/Trapped")) == "/False" and "/Title" in pdf.docinfo
        for page in boxes(pdf):
            media, bleed, trim = page["/MediaBox"], page["/BleedBox"], page["/TrimBox"]
            assert trim[0] - media[0] == pytest.approx(BLEED_PT, abs=0.01), "3 mm bleed"
            assert media[2] - trim[2] == pytest.approx(BLEED_PT, abs=0.01)
            assert bleed[0] <= trim[0] and bleed[2] >= trim[2]
        assert not any(page.obj.get("/Annots") for page in pdf.pages), "no links on paper"
        if version.startswith("PDF/X-1a"):
            assert pdf.pdf_version == "1.4" and transparency(pdf) == []
    colours = drawing_colours(path)
    assert colours["fill"] | colours["stroke"] <= PRINT_INKS, colours
    assert colours["images"] <= PRINT_INKS and colours["shadings"] <= PRINT_INKS, colours
    assert all(font["emb"] == "yes" for font in pdffonts(path))


# --- the print edition ------------------------------------------------------------------

def test_the_print_edition_is_pdf_x4_in_cmyk_with_bleed(making_books):
    folder = making_books["folder"]
    check_print_pdf(folder / "making-books-print.pdf")
    check_print_pdf(folder / "making-books-cover.pdf")
    assert pdfinfo(folder / "making-books-print.pdf")["Tagged"] == "yes"
    screen = pikepdf.open(folder / "making-books.pdf")
    assert screen.pages[0].obj.MediaBox == screen.pages[0].obj.TrimBox, "no bleed on screen"


def test_the_print_edition_is_pdf_x_when_laid_out_in_parts(long_book):
    assert len(list(long_book["parts"].glob("*.pdf"))) >= 3, "laid out in parts"
    check_print_pdf(long_book["folder"] / "manual-print.pdf", "PDF/X-1a:2003")
    check_print_pdf(long_book["folder"] / "manual-cover.pdf", "PDF/X-1a:2003")


def test_pdf_x1a_when_asked(tmp_path):
    build(str(CONTENT / "warum-entkoppeln-sich-us-aktien.md"), "-o", str(tmp_path),
          "--format", "epub", "--edition", "print", "--pdf-x", "x-1a")
    folder = tmp_path / "warum-entkoppeln-sich-us-aktien"
    for name in ("warum-entkoppeln-sich-us-aktien-print.pdf",
                 "warum-entkoppeln-sich-us-aktien-cover.pdf"):
        check_print_pdf(folder / name, "PDF/X-1a:2003")


def test_an_image_under_300_dpi_is_warned_about(long_book):
    assert re.search(r"gradient\.png: warning: image is printed at \d+ dpi in the print "
                     r"edition.*\[low-resolution-image\]", long_book["stderr"])


def test_the_wrap_cover_has_back_spine_and_front_with_the_isbn(long_book):
    cover = long_book["folder"] / "manual-cover.pdf"
    pages = len(pikepdf.open(long_book["folder"] / "manual-print.pdf").pages)
    spine = (pages + pages % 2) * 0.0025 * 25.4  # cream paper (KDP's figure)
    media = boxes(pikepdf.open(cover))[0]["/MediaBox"]
    assert (media[2] - media[0]) / MM == pytest.approx(2 * 148 + spine + 6, abs=0.1)
    text = page_texts(cover)[0]
    assert "9783161484100" in text.replace(" ", ""), "the barcode's digits"
    assert "The Folio Manual" in text and "Ada Author" in text
    assert all("Folio" in font["name"] for font in pdffonts(cover)), "the book's fonts only"


@pytest.mark.parametrize("pages", [24, 151, 480])
def test_the_wrap_cover_is_two_trims_a_spine_and_the_bleed_wide(tmp_path, pages):
    """The laid-out cover sheet of a book of ``pages`` pages, measured in its PDF."""
    from folio.book import load_book
    from folio.diagnostics import Reporter
    from folio.formats.base import Output
    from folio.formats.pdf.cover import PAPER_MM
    from folio.formats.pdf.editions import PrintBook, PrintEditionBuilder
    from folio.pipeline import read_book
    from folio.sandbox import Workers
    from folio.templates import make_environment

    document = read_book(load_book(CONTENT / "making-books"), Reporter())
    builder = PrintEditionBuilder()
    output = Output(tmp_path, "making-books", make_environment(document.root),
                    workers=Workers([]))  # the layout in this process
    book = PrintBook(builder, document, ["" for _ in document.chapters], output)
    target = tmp_path / "cover.pdf"
    builder.write_cover(book, output, pages, target)
    sheet = boxes(pikepdf.open(target))[0]
    media, trim = sheet["/MediaBox"], sheet["/TrimBox"]
    spine = pages * PAPER_MM["white"]
    assert (media[2] - media[0]) / MM == pytest.approx(2 * 148 + spine + 2 * 3, abs=0.1)
    assert (media[3] - media[1]) / MM == pytest.approx(210 + 2 * 3, abs=0.1)
    assert (trim[2] - trim[0]) / MM == pytest.approx(2 * 148 + spine, abs=0.1)
    titles = " ".join(page_texts(target)[0].split()).count("Making Books from Markdown")
    assert titles == (3 if pages >= 151 else 2), "on the spine only when it is wide enough"


# --- the archive edition ----------------------------------------------------------------

def check_archive_pdf(path: Path) -> None:
    with pikepdf.open(path) as pdf:
        ident = xmp(pdf)
        assert (ident.get("pdfaid:part"), ident.get("pdfaid:conformance")) == ("2", "U")
        assert ident.get("pdfuaid:part") == "1"
        data = pdf.Root.Metadata.read_bytes()
        assert b"pdfaExtension:schemas" in data and b"http://www.aiim.org/pdfua/ns/id/" in data
        intents = output_intents(pdf)
        assert [(i["S"], i["components"]) for i in intents] == [("/GTS_PDFA1", 3)]
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
        assert "/Lang" in pdf.Root and pdf.Root.ViewerPreferences.DisplayDocTitle
        assert "/Encrypt" not in pdf.trailer and len(pdf.trailer.ID) == 2
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", []):
                assert int(annotation.get("/F", 0)) & 4, "annotations printable (6.3.2)"
        assert transparency(pdf) == []
    colours = drawing_colours(path)
    # Device colours are allowed with an output intent of their kind (ISO 19005-2, 6.2.4.3).
    assert colours["fill"] | colours["stroke"] | colours["images"] <= {"DeviceRGB",
                                                                       "DeviceGray"}
    assert all(font["emb"] == "yes" for font in pdffonts(path))


def test_the_archive_edition_is_pdf_a2u_and_tagged(making_books):
    check_archive_pdf(making_books["folder"] / "making-books-archive.pdf")
    assert pdfinfo(making_books["folder"] / "making-books-archive.pdf")["Tagged"] == "yes"


def test_the_archive_edition_laid_out_in_parts(long_book):
    check_archive_pdf(long_book["folder"] / "manual-archive.pdf")


# --- roman numbers for the front matter ----------------------------------------------------

@pytest.mark.parametrize("name", ["making-books.pdf", "making-books-print.pdf",
                                  "making-books-archive.pdf"])
def test_front_matter_in_roman_chapters_from_one(making_books, name):
    path = making_books["folder"] / name
    labels = page_labels(pikepdf.open(path))
    assert labels[:6] == ["i", "ii", "iii", "iv", "1", "2"]
    printed = [(text.rstrip().splitlines() or [""])[-1].strip() for text in page_texts(path)]
    assert printed[2] == "iii", "the contents page shows its roman number"
    shown = [(label, number) for label, number in zip(labels, printed, strict=True)
             if re.fullmatch(r"\d+|[ivxlc]+", number)]
    assert len(shown) >= 5 and all(label == number for label, number in shown)


def test_the_epub_page_list_has_the_same_numbers(making_books):
    with zipfile.ZipFile(making_books["folder"] / "making-books.epub") as epub:
        nav = epub.read("EPUB/nav.xhtml").decode("utf-8")
    page_list = nav.split('epub:type="page-list"')[1].split("</nav>")[0]
    labels = re.findall(r">([^<]+)</a>", page_list)
    assert labels[:3] == ["i", "ii", "1"] and "iii" not in labels, \
        "title page and imprint in roman, the contents page is the EPUB's own"


# --- the Kobo edition ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def kobo_books(tmp_path_factory):
    def make(out: Path) -> dict:
        build(str(CONTENT), "-o", str(out), "--format", "epub", "--edition", "kobo")
        return {"folder": str(out)}
    out = shared(tmp_path_factory, "kobo", make)["folder"]
    books = sorted(out.glob("*/*.kepub.epub"))
    assert len(books) == len([p for p in CONTENT.iterdir() if not p.name.startswith(".")])
    return books


def test_every_kepub_passes_epubcheck(kobo_books):
    for kepub in kobo_books:
        messages = epubcheck(kepub)
        errors = [m for m in messages if m["severity"] in ("ERROR", "FATAL")]
        assert errors == [], f"{kepub.name}: {errors[:3]}"
        # EPUBCheck says nothing about Kobo's markup: koboSpan ids and classes and the
        # wrapper divs are plain HTML; "endnote" is a term of the EPUB vocabulary.
        assert [m for m in messages if m["severity"] == "WARNING"] == [], kepub.name


def _kobo_chapters(kepub: Path) -> dict[str, ET.Element]:
    with zipfile.ZipFile(kepub) as archive:
        return {name: ET.fromstring(archive.read(name)) for name in archive.namelist()
                if re.match(r"EPUB/chapter-\d+\.xhtml$", name)}


def _outside_spans(element: ET.Element, in_span: bool = False) -> list[str]:
    """The text under ``element`` that stands in no koboSpan (code blocks, maths,
    note calls and back links are left out, as Kobo leaves them)."""
    found = []
    kinds = (element.get(OPS_TYPE) or "").split()
    if element.tag in (f"{XHTML}pre",) or not element.tag.startswith(XHTML) \
            or "noteref" in kinds or element.get("role") == "doc-backlink":
        return found
    here = in_span or "koboSpan" in (element.get("class") or "").split()
    if element.text and element.text.strip() and not here:
        found.append(element.text)
    for child in element:
        found.extend(_outside_spans(child, here))
        if child.tail and child.tail.strip() and not here:
            found.append(child.tail)
    return found


def test_every_paragraph_is_spanned_sentence_by_sentence(kobo_books):
    for kepub in kobo_books:
        plain = kepub.with_name(kepub.name.replace(".kepub.epub", ".epub"))
        with zipfile.ZipFile(plain) as archive:
            originals = {name: ET.fromstring(archive.read(name)) for name in archive.namelist()
                         if re.match(r"EPUB/chapter-\d+\.xhtml$", name)}
        ids: list[str] = []
        counted = 0
        for name, root in _kobo_chapters(kepub).items():
            body = root.find(f"{XHTML}body")
            inner = body.find(f"{XHTML}div[@id='book-columns']/{XHTML}div[@id='book-inner']")
            assert inner is not None, f"{name}: Kobo's wrapper divs"
            paragraphs = list(root.iter(f"{XHTML}p"))
            assert all(not _outside_spans(p) for p in paragraphs), name
            counted += len(paragraphs)
            before = [" ".join("".join(p.itertext()).split())
                      for p in originals[name].iter(f"{XHTML}p")]
            assert [" ".join("".join(p.itertext()).split()) for p in paragraphs] == before
            for span in root.iter(f"{XHTML}span"):
                if span.get("class") == "koboSpan":
                    assert re.fullmatch(r"kobo\.\d+\.\d+", span.get("id"))
                    ids.append(span.get("id"))
            # A paragraph of several sentences has a span for each.
            sentences = [p for p in paragraphs if len(re.findall(r"[.!?] ", "".join(
                p.itertext()))) >= 2]
            assert all(len([s for s in p.iter(f"{XHTML}span")
                            if s.get("class") == "koboSpan"]) >= 3 for p in sentences[:20])
        assert counted >= 5, kepub.name


def test_notes_keep_their_pop_up_markup(kobo_books):
    notes = 0
    for kepub in kobo_books:
        for name, root in _kobo_chapters(kepub).items():
            asides = {a.get("id"): a for a in root.iter(f"{XHTML}aside")}
            for link in root.iter(f"{XHTML}a"):
                kinds = (link.get(OPS_TYPE) or "").split()
                if "noteref" not in kinds:
                    continue
                notes += 1
                assert "endnote" in kinds, "Kobo pops up 'endnote' references"
                target = asides.get(link.get("href").lstrip("#"))
                assert target is not None and target.get(OPS_TYPE) == "footnote"
                assert target.get("role") == "doc-footnote"
                assert not list(link), "the call keeps its number alone"
    assert notes >= 5


def test_the_editions_are_listed_with_their_times(making_books):
    lines = making_books["stdout"].splitlines()
    for name in ("making-books-print.pdf", "making-books-cover.pdf", "making-books.kepub.epub",
                 "making-books-archive.pdf"):
        assert any(re.search(rf"{re.escape(name)}  \(\d+\.\d s\)", line) for line in lines), \
            (name, lines)


def test_the_editions_are_cached_like_the_formats(making_books):
    again = build(str(CONTENT / "making-books"), "-o", str(making_books["folder"].parent),
                  "--edition", "print,kobo,archive")
    lines = again.stdout.splitlines()
    assert len(lines) == 7 and all(line.endswith("(unchanged)") for line in lines), lines
