"""French typography as a reader meets it (issue 13): a 24-page essay whose author
typed ordinary spaces before ``: ; ? !`` and inside « » (or none), and a title
with a straight apostrophe. No printed line may begin with ``: ; ? ! »`` or end
with ``«``, in the PDF (pdftotext) or on the reading page in Chromium at 390 px,
and the title is set in every place it is printed."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import zipfile

import pytest
from browser import Chromium
from helpers import FIXTURES, pdf_pages, pdfinfo, run_build

SLUG = "le-livre-et-lecran"
NNBSP = "\u202f"
TITLE = "Le livre et l\u2019écran"
#: A line that starts with what must stay with the word before, or ends with an
#: opening guillemet.
BAD_LINE = re.compile(r"^[:;?!\u00bb]|\u00ab$")

#: Every text line of the reading page, as Chromium lays it out: the characters of
#: each block grouped into lines (a new line starts where the next character stands
#: left of the one before, lower down).
LINES_JS = """
(() => {
  const blocks = 'p,li,h1,h2,h3,h4,h5,h6,blockquote,figcaption,td,th,dd,dt,header,footer';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  const lines = [];
  let line = null, node;
  while ((node = walker.nextNode())) {
    const block = node.parentElement.closest(blocks);
    if (!block) continue;
    for (let i = 0; i < node.data.length; i++) {
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (!line || line.block !== block
          || (rect.left < line.left - 1 && rect.top > line.top + 4)) {
        line = {block, top: rect.top, left: rect.left, text: ''};
        lines.push(line);
      }
      line.left = rect.left; line.top = Math.max(line.top, rect.top);
      line.text += node.data[i];
    }
  }
  return lines.map(l => l.text);
})()
"""


@pytest.fixture(scope="module")
def essay(tmp_path_factory):
    folder = tmp_path_factory.mktemp("french")
    source = folder / f"{SLUG}.md"
    shutil.copy(FIXTURES / "typography" / source.name, source)
    result = run_build(str(source), "-o", str(folder / "dist"), "-q")
    assert result.returncode == 0, result.stderr
    return folder / "dist" / SLUG


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _bad(lines) -> list[str]:
    return [line for line in (text.strip() for text in lines) if BAD_LINE.search(line)]


def test_no_pdf_line_begins_with_high_punctuation_or_ends_with_an_opening_guillemet(essay):
    pages = pdf_pages(essay / f"{SLUG}.pdf")
    assert len(pages) >= 20
    lines = [line for page in pages for line in page.splitlines() if line.strip()]
    assert len(lines) > 300
    assert _bad(lines) == []


def test_no_line_of_the_reading_page_at_390_px_begins_or_ends_badly(essay):
    handler = functools.partial(_Quiet, directory=str(essay.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with Chromium() as browser:
            page = browser.page(390, 844, mobile=True)
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/{SLUG}/")
            lines = page.evaluate(LINES_JS)
    finally:
        server.shutdown()
    assert len(lines) > 450  # about 38 characters a line: the whole essay
    assert _bad(lines) == []
    # The spaces are there, narrow and unbreakable, typed or not by the author.
    text = "\n".join(lines)
    assert f"«{NNBSP}bonjour{NNBSP}»" in text and f"quoi{NNBSP}?!" in text


def test_the_title_is_typeset_wherever_it_is_printed(essay):
    pdf = essay / f"{SLUG}.pdf"
    info = pdfinfo(pdf)
    assert info["Title"] == TITLE
    assert info["Author"] == "Jeanne d\u2019Arcy"
    pages = pdf_pages(pdf)
    assert TITLE in pages[0]                                       # title page
    assert any(TITLE in page.splitlines()[0] for page in pages[6:])  # running heads
    import pypdf
    xmp = pypdf.PdfReader(pdf).xmp_metadata
    assert xmp.dc_title["x-default"] == TITLE
    with zipfile.ZipFile(essay / f"{SLUG}.epub") as epub:
        opf = epub.read("EPUB/package.opf").decode()
    assert f">{TITLE}</dc:title>" in opf
    assert f">Essai sur la lecture{NNBSP}: papier ou pixels{NNBSP}?</dc:title>" in opf
    assert "Un essai\u202f: pourquoi lit-on encore des livres\u202f?" in opf
    page = (essay / "index.html").read_text(encoding="utf-8")
    assert f"<title>{TITLE}{NNBSP}: Essai sur la lecture" in page
    assert f"Télécharger{NNBSP}:" in page
    assert '<time datetime="2026-11-26">26 novembre 2026</time>' in page
