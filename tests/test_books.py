"""The books in content/ and the article as delivered: what readers of each
format see (issue 2: the pipeline end to end)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from helpers import (CONTENT, REPO, epub_files, epubcheck, page_labels, pdf_pages, pdfinfo,
                     squeeze, vnu_errors)

GERMAN = "warum-entkoppeln-sich-us-aktien"
ENGLISH = "making-books"
#: Every book in content/ (a new one is checked without touching this file).
BOOKS = sorted(path.stem for path in CONTENT.iterdir()
               if path.suffix == ".md" or (path.is_dir() and any(path.glob("*.md"))))
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "ncx": "http://www.daisy.org/z3986/2005/ncx/",
      "epub": "http://www.idpf.org/2007/ops"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def package(epub) -> ET.Element:
    return ET.fromstring(epub_files(epub)["EPUB/package.opf"])


def xhtml_documents(epub) -> dict[str, ET.Element]:
    return {name: ET.fromstring(data) for name, data in epub_files(epub).items()
            if name.endswith(".xhtml")}


# --- every book builds and passes the checkers ------------------------------------

@pytest.mark.parametrize("slug", BOOKS)
def test_every_book_in_content_is_built_in_three_formats(content_build, slug):
    for suffix in ("epub", "pdf", "html"):
        path = content_build.file(slug, suffix)
        assert path.is_file() and path.stat().st_size > 1000, path


@pytest.mark.parametrize("slug", BOOKS)
def test_epubcheck_reports_nothing(content_build, slug):
    messages = epubcheck(content_build.file(slug, "epub"))
    problems = [m for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    assert problems == []


def test_nu_html_checker_reports_no_errors(content_build):
    pages = [content_build.file(slug, "html") for slug in BOOKS]
    assert vnu_errors(*pages) == []


# --- the German article -------------------------------------------------------------

def test_german_pdf_has_german_quotes_and_hyphenation(content_build):
    pages = pdf_pages(content_build.file(GERMAN, "pdf"))
    text = "\n".join(pages)
    flowing = " ".join(text.split())
    # pdftotext drops the hyphen of "Stock-" when a line ends there, so look at both ends.
    assert "\u201eWhat\u2019s Behind the US Stock" in flowing
    assert "Disconnect?\u201c" in flowing
    assert "\u201d" not in text, "an English closing quote in German text"
    hyphenated = [line for line in text.splitlines() if line.endswith("\u2010")]
    assert len(hyphenated) >= 5, "expected German words hyphenated at line ends"


def test_german_book_declares_its_language_everywhere(content_build):
    epub = content_build.file(GERMAN, "epub")
    assert package(epub).find("opf:metadata/dc:language", NS).text == "de"
    for name, root in xhtml_documents(epub).items():
        assert root.get("lang") == "de", name
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "de", name
    html = content_build.file(GERMAN, "html").read_text(encoding="utf-8")
    assert re.search(r'<html lang="de"', html)
    from pypdf import PdfReader
    assert PdfReader(content_build.file(GERMAN, "pdf")).trailer["/Root"]["/Lang"] == "de"


def test_german_book_uses_german_words(content_build):
    nav = epub_files(content_build.file(GERMAN, "epub"))["EPUB/nav.xhtml"].decode()
    assert ">Inhalt<" in nav


def test_title_is_printed_once_and_sections_become_chapters(content_build):
    epub = content_build.file(GERMAN, "epub")
    documents = xhtml_documents(epub)
    headings = ["".join(h.itertext()) for name, root in sorted(documents.items()) if "chapter" in name
                for h in root.iter("{http://www.w3.org/1999/xhtml}h1")]
    assert headings == ["Description", "Nachtrag"]
    assert package(epub).find("opf:metadata/dc:title", NS).text == \
        "Warum entkoppeln sich US-Aktien?"


def test_placeholder_links_are_neither_live_nor_noted(content_build):
    epub = content_build.file(GERMAN, "epub")
    for name, root in xhtml_documents(epub).items():
        for link in root.iter("{http://www.w3.org/1999/xhtml}a"):
            assert link.get("href") not in ("#", ""), name
    html = content_build.file(GERMAN, "html").read_text(encoding="utf-8")
    assert 'href="#"' not in html
    assert "Dodd-Frank-Act" in html


# --- the delivered article: warnings with file and line ---------------------------------

def test_delivered_article_warns_for_each_placeholder_link(delivered_build):
    lines = delivered_build.result.stderr.splitlines()
    placeholder = [line for line in lines if "[placeholder-link]" in line]
    positions = [re.match(r"(.+?):(\d+):\d+: warning: ", line).groups() for line in placeholder]
    assert [int(line) for _, line in positions] == [23, 31, 49, 53, 57, 61]
    assert all(path.endswith("warum-entkoppeln-sich-us-aktien.md") for path, _ in positions)


def test_delivered_article_is_assumed_german_and_comes_out_german(delivered_build):
    assumed = [line for line in delivered_build.result.stderr.splitlines()
               if "[assumed-language]" in line]
    assert len(assumed) == 1 and "'de'" in assumed[0]
    text = "\n".join(pdf_pages(delivered_build.file(GERMAN, "pdf")))
    assert "\u201eWhat\u2019s Behind" in text
    assert sum(line.endswith("\u2010") for line in text.splitlines()) >= 5


# --- the English book: link targets as footnotes ------------------------------------------

def _page_links(pdf) -> list[list[str]]:
    """The URIs of the link annotations on each page."""
    from pypdf import PdfReader
    pages = []
    for page in PdfReader(pdf).pages:
        uris = []
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action and action.get("/URI"):
                uris.append(str(action["/URI"]))
        pages.append(uris)
    return pages


def test_every_external_url_is_printed_on_the_page_of_its_link(content_build):
    pdf = content_build.file(ENGLISH, "pdf")
    texts = pdf_pages(pdf)
    links = _page_links(pdf)
    assert sum(map(len, links)) >= 8
    for number, (text, uris) in enumerate(zip(texts, links), start=1):
        for uri in uris:
            assert uri in squeeze(text), f"page {number}: {uri} is not printed on it"


def test_link_in_one_paragraph_twice_gets_one_note(content_build):
    text = squeeze("\n".join(pdf_pages(content_build.file(ENGLISH, "pdf"))))
    # Printed once for the paragraph that links it twice (and nowhere else).
    assert text.count("https://spec.commonmark.org/") == 1


def test_link_whose_text_is_its_url_gets_no_note(content_build):
    text = squeeze("\n".join(pdf_pages(content_build.file(ENGLISH, "pdf"))))
    assert text.count("https://www.w3.org/TR/epub-33/") == 1


def test_link_inside_a_footnote_stays_in_that_footnote(content_build):
    pages = pdf_pages(content_build.file(ENGLISH, "pdf"))
    page = next(p for p in pages if "manuscript’s own footnote" in p)
    note = squeeze(page[page.index("This is the manuscript"):])
    assert "guidelines(https://www.w3.org/TR/epub-a11y-11/)isprinted" in note


def test_cross_reference_shows_the_page_of_its_target(content_build):
    pages = pdf_pages(content_build.file(ENGLISH, "pdf"))
    target = next(n for n, p in enumerate(pages, 1) if "Why one source\nAn author writes" in p)
    printed = page_labels(content_build.file(ENGLISH, "pdf"))[target - 1]
    referring = next(p for p in pages if "are given in the chapter" in p)
    assert f"Why one source (p. {printed})" in " ".join(referring.split())


def test_epub_notes_pop_up_and_link_back(content_build):
    documents = xhtml_documents(content_build.file(ENGLISH, "epub"))
    chapter = documents["EPUB/chapter-001.xhtml"]
    refs = [a for a in chapter.iter("{http://www.w3.org/1999/xhtml}a")
            if a.get(EPUB_TYPE) == "noteref"]
    notes = {aside.get("id"): aside for aside in chapter.iter("{http://www.w3.org/1999/xhtml}aside")
             if aside.get(EPUB_TYPE) == "footnote"}
    assert len(refs) >= 5
    numbers = []
    for ref in refs:
        note = notes[ref.get("href")[1:]]
        back = note.find(".//x:a[@role='doc-backlink']", NS)
        assert back is not None and back.get("href").startswith("#noteref-")
        numbers.append(int(ref.text))
    assert sorted(set(numbers)) == list(range(1, max(numbers) + 1))
    assert numbers[:4] == [1, 2, 3, 4]
    texts = {key: "".join(note.itertext()) for key, note in notes.items()}
    assert any("https://commonmark.org/" in t for t in texts.values())


def test_epub_has_navigation_and_ncx(content_build):
    files = epub_files(content_build.file(ENGLISH, "epub"))
    nav = ET.fromstring(files["EPUB/nav.xhtml"])
    toc = [n for n in nav.iter("{http://www.w3.org/1999/xhtml}nav") if n.get(EPUB_TYPE) == "toc"][0]
    labels = ["".join(a.itertext()) for a in toc.iter("{http://www.w3.org/1999/xhtml}a")]
    assert labels[:2] == ["Why one source", "Links a reader cannot click"]
    assert "The anatomy of a page" in labels
    ncx = ET.fromstring(files["EPUB/toc.ncx"])
    assert [t.text for t in ncx.findall(".//ncx:navPoint/ncx:navLabel/ncx:text", NS)][0] == \
        "Why one source"


def test_metadata_reaches_all_three_formats(content_build):
    meta = package(content_build.file(ENGLISH, "epub")).find("opf:metadata", NS)
    assert meta.find("dc:title", NS).text == "Making Books from Markdown"
    assert meta.find("dc:creator", NS).text == "The folio contributors"
    assert meta.find("dc:date", NS).text == "2026-11-26"
    assert meta.find("dc:publisher", NS).text == "folio"
    assert meta.find("dc:rights", NS).text.startswith("©")
    assert "folio pipeline" in meta.find("dc:description", NS).text
    assert meta.find("dc:identifier", NS).text.startswith("urn:uuid:")
    info = pdfinfo(content_build.file(ENGLISH, "pdf"))
    assert info["Title"] == "Making Books from Markdown"
    assert info["Author"] == "The folio contributors"
    assert info["Tagged"] == "yes"
    html = content_build.file(ENGLISH, "html").read_text(encoding="utf-8")
    assert '<meta name="author" content="The folio contributors">' in html
    assert "<title>Making Books from Markdown: A short demonstration" in html


def test_identifier_is_stable_across_builds(content_build, tmp_path):
    from helpers import run_build
    result = run_build(str(CONTENT / ENGLISH), "-o", str(tmp_path), "--format", "epub")
    assert result.returncode == 0, result.stderr
    first = package(content_build.file(ENGLISH, "epub")).find("opf:metadata/dc:identifier", NS)
    second = package(tmp_path / ENGLISH / f"{ENGLISH}.epub").find("opf:metadata/dc:identifier", NS)
    assert first.text == second.text


def test_no_output_names_a_local_file_or_path(content_build):
    forbidden = ["file://", str(REPO), str(content_build.folder), "/tmp/"]
    for path in content_build.folder.rglob("*"):
        if path.suffix == ".epub":
            blobs = epub_files(path).values()
        elif path.suffix in (".pdf", ".html", ".css"):
            blobs = [path.read_bytes()]
        else:
            continue
        for blob in blobs:
            for needle in forbidden:
                assert needle.encode() not in blob, f"{path} contains {needle}"


def test_html_keeps_links_live_and_has_a_table_of_contents(content_build):
    html = content_build.file(ENGLISH, "html").read_text(encoding="utf-8")
    assert 'href="https://pandoc.org/"' in html
    assert '<nav class="toc"' in html and 'href="#anatomy"' in html
    assert "@media print" in (content_build.book(ENGLISH) / "book.css").read_text()
