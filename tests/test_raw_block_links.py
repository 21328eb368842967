"""Links written in blocks of raw HTML (``<p align="center">… <a href=URL>…</a></p>``,
a raw ``<table>``) get their notes as Markdown links do, read where a reader reads
them: at the foot of the PDF's page, as the EPUB's pop-up notes, in the HTML page's
margin; EPUBCheck and the Nu checker still pass (``transforms.rawhtml``)."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import pytest
from helpers import FIXTURES, epub_files, epubcheck, run_build, vnu_errors

sys.path.insert(0, str(FIXTURES / "pdf"))
from notecheck import read_pdf, rule_violations  # noqa: E402

MANUSCRIPT = """\
---
title: Raw blocks
lang: en
author: Test Press
---

# Links in raw HTML

A [Markdown link](https://md.example.org/first) before the blocks.

<p align="center">
  See <a href="https://block.example.org/guide">the <b>guide</b> &amp; more</a> and
  <a href="https://block.example.org/this" title="This">this</a>.
</p>

<table><tr><td>A cell with <a href="https://table.example.org/cell">a link</a></td></tr></table>

<div><!-- <a href="https://comment.example.org/">hidden</a> -->
<a href="#links-in-raw-html">Back up</a>, <a href="https://bad.example.org/100%zz">bad</a>.
</div>

A [last link](https://md.example.org/last) after them.
"""
#: The notes, in the order of their calls.
URLS = ["https://md.example.org/first", "https://block.example.org/guide",
        "https://block.example.org/this", "https://table.example.org/cell",
        "https://bad.example.org/100%25zz", "https://md.example.org/last"]
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The book in every format, and the build's warnings."""
    folder = tmp_path_factory.mktemp("raw-blocks")
    book = folder / "book"
    book.mkdir()
    (book / "book.md").write_text(MANUSCRIPT, encoding="utf-8")
    result = run_build(str(book), "-o", str(folder / "dist"))
    assert result.returncode == 0, result.stderr
    return folder / "dist" / "book", result.stderr


def test_the_pdf_prints_each_raw_block_links_url_at_the_foot_of_its_page(built):
    pages = read_pdf(built[0] / "book.pdf")
    assert [note.text for page in pages for note in page.notes] == URLS
    assert rule_violations(pages, URLS) == {
        "lost": [], "twice": [], "unknown": [], "not_with_their_calls": [],
        "out_of_order": []}


def test_the_epub_has_a_note_for_each_raw_block_link_and_passes_epubcheck(
        built, monkeypatch):
    files = epub_files(built[0] / "book.epub")
    chapter = next(ET.fromstring(data) for name, data in files.items()
                   if name.endswith(".xhtml") and b"block.example.org/guide" in data)
    notes = {aside.get("id"): "".join(aside.itertext()) for aside in chapter.iter(
        f"{XHTML}aside") if aside.get(EPUB_TYPE) == "footnote"}
    for url in URLS:
        link = next(a for a in chapter.iter(f"{XHTML}a") if a.get("href") == url)
        parent = next(p for p in chapter.iter() if link in list(p))
        after = list(parent)[list(parent).index(link) + 1]
        assert after.get(EPUB_TYPE) == "noteref", url
        assert url in notes[after.get("href")[1:]].replace("\u200b", "")
    assert len(notes) == len(URLS)
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    assert [m for m in epubcheck(built[0] / "book.epub")
            if m["severity"] in ("FATAL", "ERROR", "WARNING")] == []


def test_the_html_page_has_a_margin_note_for_each_raw_block_link_and_is_valid(built):
    page = (built[0] / "index.html").read_text(encoding="utf-8")
    for url in URLS:
        shown = re.escape(url.replace("&", "&amp;"))
        assert re.search(rf'<a href="{shown}"[^>]*>.*?</a><span class="link-mark"[^>]*>'
                         r'\w+</span><span class="sidenote link-sidenote"', page), url
    notes = re.findall(r'<span class="sidenote link-sidenote".*?<span class="url">(.*?)'
                       r"</span></span>", page)
    assert [re.sub(r"<[^>]+>", "", note) for note in notes] == URLS
    assert vnu_errors(built[0] / "index.html") == []


def test_a_raw_block_link_is_warned_about_at_its_line(built):
    lines = MANUSCRIPT.splitlines()
    number, text = next((n, text) for n, text in enumerate(lines, 1) if "100%zz" in text)
    column = text.index('<a href="https://bad') + 1
    assert f"book.md:{number}:{column}: warning: link 'bad' has a '%' that starts no " \
        "escape" in built[1]
    assert "comment.example.org" not in (built[0] / "index.html").read_text(encoding="utf-8")
