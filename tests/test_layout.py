"""Articles and books (issue 13): a manuscript with one top-level section, or
``layout: article``, is printed as an article -- its title above the text on the
first page, no contents and no blank pages, sections that run on, an imprint with
only what the metadata says; ``layout: book`` keeps the book's design. The EPUB's
page list still finds every printed page."""

from __future__ import annotations

import re
import shutil

from helpers import CONTENT, epub_files, pdf_pages, run_build

GERMAN = "warum-entkoppeln-sich-us-aktien"
ENGLISH = "making-books"


def _page_list(epub) -> list[str]:
    nav = epub_files(epub)["EPUB/nav.xhtml"].decode()
    listed = nav.split('epub:type="page-list"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r">(\d+)</a>", listed)


def _markers_exist(epub, labels: list[str]) -> None:
    files = epub_files(epub)
    text = "".join(data.decode() for name, data in files.items() if name.endswith(".xhtml"))
    for label in labels:
        assert f'id="page-{label}"' in text, label


def test_the_delivered_article_is_a_pdf_of_at_most_four_pages(content_build):
    pdf = content_build.file(GERMAN, "pdf")
    pages = pdf_pages(pdf)
    assert len(pages) <= 4
    first = " ".join(pages[0].split())
    assert first.startswith("Warum entkoppeln sich US-Aktien?")
    assert "Die Diskrepanz zwischen dem Aufschwung" in first  # the text on the title's page
    text = "\n".join(pages)
    assert "Inhalt" not in text and "urn:uuid" not in text
    # The page list of the EPUB made in the same run names every page, in order.
    epub = content_build.file(GERMAN, "epub")
    labels = _page_list(epub)
    assert labels == [str(n) for n in range(1, len(pages) + 1)]
    _markers_exist(epub, labels)


def _with_metadata(source, target, line: str) -> None:
    text = source.read_text(encoding="utf-8")
    target.write_text(text.replace("lang: de\n", f"lang: de\n{line}\n", 1), encoding="utf-8")


def test_layout_book_keeps_the_book_design_and_the_imprint_invents_nothing(tmp_path):
    source = tmp_path / f"{GERMAN}.md"
    _with_metadata(CONTENT / f"{GERMAN}.md", source, "layout: book")
    result = run_build(str(source), "-o", str(tmp_path / "dist"), "--format", "pdf", "-q")
    assert result.returncode == 0, result.stderr
    pages = pdf_pages(tmp_path / "dist" / GERMAN / f"{GERMAN}.pdf")
    assert len(pages) >= 8
    assert pages[2].lstrip().startswith("Inhalt")  # title page, imprint, contents
    assert "urn:uuid" not in "\n".join(pages)


def test_a_note_of_two_paragraphs_is_one_page(tmp_path):
    source = tmp_path / "note.md"
    source.write_text("---\ntitle: A short note\nlang: en\nauthor: Ada Author\n"
                      "rights: CC BY 4.0\n---\n\nIt says one thing.\n\nAnd then another.\n",
                      encoding="utf-8")
    result = run_build(str(source), "-o", str(tmp_path / "dist"), "--format", "pdf", "-q")
    assert result.returncode == 0, result.stderr
    pages = pdf_pages(tmp_path / "dist" / "note" / "note.pdf")
    assert len(pages) == 1
    flat = " ".join(pages[0].split())
    assert flat.startswith("Ada Author A short note It says one thing. And then another.")
    assert "CC BY 4.0" in flat  # the imprint, after the text


def test_layout_article_runs_the_sections_of_a_book_folder_on(tmp_path, content_build):
    book = tmp_path / ENGLISH
    shutil.copytree(CONTENT / ENGLISH, book)
    metadata = book / "book.yaml"
    metadata.write_text(metadata.read_text(encoding="utf-8") + "layout: article\n",
                        encoding="utf-8")
    result = run_build(str(book), "-o", str(tmp_path / "dist"), "--format", "pdf,epub", "-q")
    assert result.returncode == 0, result.stderr
    article = pdf_pages(tmp_path / "dist" / ENGLISH / f"{ENGLISH}.pdf")
    as_book = pdf_pages(content_build.file(ENGLISH, "pdf"))
    assert len(article) <= len(as_book) - 4  # no title page, imprint, contents, blanks
    assert not any(page.strip() == "" for page in article)
    assert "Why one source" in article[0]
    # The second chapter does not open a page of its own.
    opening = next(n for n, page in enumerate(article) if "The anatomy of a page" in page)
    assert not article[opening].lstrip().startswith("The anatomy of a page")
    epub = tmp_path / "dist" / ENGLISH / f"{ENGLISH}.epub"
    labels = _page_list(epub)
    assert labels == [str(n) for n in range(1, len(article) + 1)]
    _markers_exist(epub, labels)
