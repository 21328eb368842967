"""The scholarly sample book (issue 14) as readers see it: typeset maths, a
formatted bibliography, highlighted code, numbered captions with references that
give the right page, an index whose pages are right; hostile TeX and bad citations
give warnings, never a hang, a crash or a live link; the reading page passes axe
in light and dark mode."""

from __future__ import annotations

import functools
import http.server
import re
import threading
import xml.etree.ElementTree as ET

import pytest
from helpers import epub_files, page_labels, pdf_pages, run_build

SLUG = "genau-summieren"
X = "{http://www.w3.org/1999/xhtml}"
M = "{http://www.w3.org/1998/Math/MathML}"


@pytest.fixture(scope="module")
def pages(content_build) -> list[str]:
    return pdf_pages(content_build.file(SLUG, "pdf"))


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_shows_drawn_formulas_tagged_with_their_tex(content_build, pages):
    text = "\n".join(pages)
    assert "\\sum" not in text and "\\le" not in text, "TeX source printed"
    from pypdf import PdfReader
    reader = PdfReader(content_build.file(SLUG, "pdf"))
    formulas = []

    def walk(element) -> None:
        element = element.get_object()
        if element.get("/S") == "/Formula":
            formulas.append(str(element.get("/Alt")))
        kids = element.get("/K")
        if isinstance(kids, list) or hasattr(kids, "__iter__") and not isinstance(kids, str):
            for kid in kids or []:
                if hasattr(kid, "get_object") and isinstance(kid.get_object(), dict):
                    walk(kid)
        elif kids is not None and hasattr(kids, "get_object") and isinstance(
                kids.get_object(), dict):
            walk(kids)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    assert len(formulas) >= 8
    assert any("\\sum_{i=1}^{n}" in alt for alt in formulas)


def test_references_print_the_page_their_target_stands_on(pages, content_build):
    labels = page_labels(content_build.file(SLUG, "pdf"))

    def where(caption: str) -> str:  # the page of the caption itself, not of a list
        return labels[next(n for n, p in enumerate(pages)
                           if caption in p and "verzeichnis" not in p)]
    figure_page, table_page = where("Abbildung 1.1: Relativer"), where("Tabelle 1.1: Fehler")
    text = _flat("\n".join(pages))
    assert f"Abbildung 1.1 auf S. {figure_page}" in text
    assert f"Tabelle 1.1 auf S. {table_page}" in text
    assert re.search(r"Gleichung \(1\.1\) auf S\. \d+", text)
    assert "(2.1)" in text, "the second chapter's equation is numbered per chapter"


def test_bibliography_is_formatted_under_a_german_heading(pages):
    start = next(n for n, p in enumerate(pages) if p.lstrip().startswith("Literatur"))
    bibliography = _flat(pages[start])
    assert "Goldberg, David. 1991." in bibliography
    assert "https://doi.org/10.1145/103162.103163" in _flat(pages[start]).replace(" ", "")\
        or "doi.org/10.1145/103162.103163" in "".join(pages[start].split())
    text = _flat("\n".join(pages))
    assert "(Goldberg 1991; Higham 2002, 81)" in text
    assert "@goldberg1991" not in text


def test_index_gives_the_pages_where_the_terms_stand(pages, content_build):
    labels = page_labels(content_build.file(SLUG, "pdf"))
    register = next(n for n, p in enumerate(pages) if p.lstrip().startswith("Register"))
    lines = [line.strip() for p in pages[register:] for line in p.splitlines()]
    checked = 0
    for term, marked in (("Auslöschung", "Auslöschung"), ("Maschinengenauigkeit",
                                                          "Maschinengenauigkeit"),
                         ("Gleitkommazahlen", "Gleitkommazahlen")):
        line = next(line for line in lines if line.startswith(term + " "))
        numbers = []
        for part in line[len(term):].split(","):
            first, _, last = part.strip().partition("\u2013")
            numbers += range(int(first), int(last or first) + 1)
        for number in numbers:
            page = pages[labels.index(str(number))]
            assert marked in page or marked in page.replace("\u2010\n", ""), \
                f"{term}: nothing on p. {number}"
            checked += 1
    assert checked >= 4


def test_code_is_highlighted_in_every_format(content_build):
    page = content_build.file(SLUG, "html").read_text(encoding="utf-8")
    assert '<span class="k">def</span>' in page and "numberLines" in page
    css = (content_build.book(SLUG) / "book.css").read_text(encoding="utf-8")
    assert ".folio-code .k" in css and "prefers-color-scheme: dark" in css
    chapter = epub_files(content_build.file(SLUG, "epub"))["EPUB/chapter-002.xhtml"].decode()
    assert '<span class="k">def</span>' in chapter


def test_epub_carries_mathml_with_its_tex(content_build):
    files = epub_files(content_build.file(SLUG, "epub"))
    opf = files["EPUB/package.opf"].decode()
    assert re.search(r'href="chapter-001.xhtml"[^>]*properties="mathml"', opf)
    root = ET.fromstring(files["EPUB/chapter-001.xhtml"])
    maths = list(root.iter(f"{M}math"))
    assert maths and all(m.get("alttext") for m in maths)
    labels = ["".join(e.itertext()) for e in root.iter(f"{X}span")
              if e.get("class") == "caption-label"]
    assert "Abbildung\u00a01.1" in labels


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_reading_page_passes_axe(content_build, dark):
    from browser import Chromium

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(content_build.folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Chromium() as browser:
            page = browser.page(1280, 900, dark=dark)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{SLUG}/")
            assert page.evaluate("document.querySelectorAll('math').length") >= 8
            assert page.axe_violations() == []
    finally:
        server.shutdown()


HOSTILE = r"""---
title: Hostile
lang: en
bibliography: refs.bib
---

# Maths

Bomb $\def\a{\a\a\a\a\a\a\a\a\a\a}\def\b{\a\a\a\a\a\a\a\a\a\a}\b$ and
$\href{javascript:alert(1)}{click}$ and $\url{http://evil.example/}$ and
deep $""" + "{" * 10000 + "x" + "}" * 10000 + r"""$.

Cited [@nobody, p. 3] and [@broken].
"""


def test_hostile_tex_and_bad_citations_are_warnings(tmp_path):
    book = tmp_path / "hostile"
    book.mkdir()
    (book / "book.md").write_text(HOSTILE, encoding="utf-8")
    (book / "refs.bib").write_text("@book{broken, title = {unclosed", encoding="utf-8")
    result = run_build(str(book / "book.md"), "-o", str(tmp_path / "out"), timeout=240)
    assert result.returncode == 0, result.stderr
    codes = re.findall(r"^\S+:(\d+):\d+: warning: .*\[([a-z-]+)\]$", result.stderr, re.M)
    kinds = {code for _line, code in codes}
    assert {"bad-math", "unsafe-math"} <= kinds, result.stderr
    assert "bad-bibliography" in result.stderr
    assert "Traceback" not in result.stderr
    out = tmp_path / "out" / "book"
    for path in out.rglob("*"):
        if path.suffix in (".html", ".pdf"):
            data = path.read_bytes()
            assert b"javascript:" not in data and b"evil.example" not in data.replace(
                b"\\url{http://evil.example/}", b""), path
    files = epub_files(out / "book.epub")
    for name, data in files.items():
        if name.endswith(".xhtml"):
            assert b'href="javascript' not in data and b'href="http://evil' not in data
