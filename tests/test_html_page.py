"""The HTML reading page as a reader sees it, in headless Chromium (issue 6):
a phone and a desktop, light and dark, printed, and checked by axe-core.

Screenshots go to the test's temporary folder (and to ``$FOLIO_SCREENSHOTS``
when set, to look at them)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
from browser import Chromium
from helpers import CONTENT, run_build, vnu_errors

SLUG = "making-books"
PHONE = (390, 844)
DESKTOP = (1280, 900)
EXTRA_CHAPTER = """\
# Wide things {#wide}

A table wider than a phone, with a note in a cell:

| Name | Value | Another column | And another | The last, widest column of all |
|---|---|---|---|---|
| alpha[^cell] | 1 | something long | something longer | a very long cell text indeed |
| [beta](https://beta.example/in-a-table) | 2 | [gamma](https://gamma.example/) | x | y |

## A heading with [a link](https://heading.example/)

A paragraph with [one](https://one.example/), [two](https://two.example/) and
[one again](https://one.example/) links.

A long address that must wrap:
<https://example.org/a/very/long/path/that/goes/on/and/on/without/any/break/at/all>
and a [link with text](https://example.org/with/text/that-is-long-enough-to-matter).

```
a_code_line_that_is_much_longer_than_a_phone_is_wide = compute(alpha, beta, gamma, delta)
```

[^cell]: A note called from a table cell stays at the chapter's end.
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The English book plus a chapter of wide things, built in all formats and served."""
    folder = tmp_path_factory.mktemp("page")
    book = folder / SLUG
    shutil.copytree(CONTENT / SLUG, book)
    (book / "03-wide.md").write_text(EXTRA_CHAPTER, encoding="utf-8")
    result = run_build(str(book), "-o", str(folder / "dist"), "-q")
    assert result.returncode == 0, result.stderr
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder / "dist")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"dist": folder / "dist", "url": f"http://127.0.0.1:{server.server_address[1]}"
                                          f"/{SLUG}/", "shots": folder}
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


def _open(browser, site, size, mobile=False, dark=False):
    page = browser.page(*size, mobile=mobile, dark=dark)
    page.goto(site["url"])
    return page


def _shoot(page, site, name: str) -> Path:
    path = page.screenshot(site["shots"] / f"{name}.png")
    assert path.stat().st_size > 5000
    if os.environ.get("FOLIO_SCREENSHOTS"):
        target = Path(os.environ["FOLIO_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path


_GEOMETRY = """(() => {
  const box = (selector) => { const e = document.querySelector(selector);
    return e ? e.getBoundingClientRect().toJSON() : null; };
  const shown = (selector) => [...document.querySelectorAll(selector)]
    .filter(e => getComputedStyle(e).display !== 'none').length;
  return {
    scrollWidth: document.scrollingElement.scrollWidth, innerWidth,
    sidenotes: shown('.sidenote'), linkSidenotes: shown('.link-sidenote'),
    endNotes: shown('section.notes aside.note'), tableNotes: shown('aside.note.in-table'),
    text: box('main p'), sidenote: box('.sidenote:not(.link-sidenote)'),
    toc: box('nav.toc'), main: box('main'),
    font: getComputedStyle(document.querySelector('main p')).fontFamily,
    fontLoaded: document.fonts.check('16px "Folio Serif"'),
    fontFiles: performance.getEntriesByType('resource').map(r => r.name)
      .filter(n => n.includes('/fonts/')),
    background: getComputedStyle(document.documentElement).backgroundColor,
    color: getComputedStyle(document.body).color,
    measure: (() => { const p = document.querySelector('main p');
      return p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize); })(),
  };
})()"""


def _luminance(rgb: str) -> float:
    red, green, blue = (int(v) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_phone_reads_without_sideways_scrolling_and_notes_at_chapter_end(browser, site):
    page = _open(browser, site, PHONE, mobile=True)
    found = page.evaluate(_GEOMETRY)
    _shoot(page, site, "phone")
    assert found["scrollWidth"] <= found["innerWidth"] == PHONE[0]
    assert found["sidenotes"] == 0, "no margin notes on a phone"
    assert found["endNotes"] >= 2, "footnotes listed at the chapter's end"
    assert found["toc"]["top"] < found["main"]["top"], "contents above the text"
    assert 18 <= found["measure"] <= 24, "about 40 to 50 characters a line"


def test_desktop_has_margin_notes_beside_the_text_and_a_contents_sidebar(browser, site):
    page = _open(browser, site, DESKTOP)
    found = page.evaluate(_GEOMETRY)
    page.evaluate("document.querySelector('.sidenote:not(.link-sidenote)')"
                  ".scrollIntoView({block: 'center'})")
    _shoot(page, site, "desktop")
    assert found["scrollWidth"] <= found["innerWidth"] == DESKTOP[0]
    assert found["sidenotes"] >= 5 and found["linkSidenotes"] >= 4
    assert found["sidenote"]["left"] >= found["text"]["right"], "note in the right margin"
    assert found["endNotes"] == found["tableNotes"] == 1, "only the table's note stays at the end"
    assert found["toc"]["right"] <= found["main"]["left"], "contents in a sidebar"
    assert 55 <= found["measure"] * 2 <= 80, "a line of about 60 to 75 characters"
    assert "Folio Serif" in found["font"] and found["fontLoaded"]
    assert any(name.endswith("/fonts/NotoSerif-Regular.woff2") for name in found["fontFiles"])


_LINK_NOTES = """(() => {
  const shown = (e) => getComputedStyle(e).display !== 'none';
  const marks = [...document.querySelectorAll('.link-mark')].filter(shown);
  const letters = (selector) => [...document.querySelectorAll(selector)].filter(shown)
    .map(e => e.querySelector('.link-letter').textContent + ' '
              + e.querySelector('.url').textContent);
  return {
    marks: marks.map(m => m.textContent + ' ' + m.previousElementSibling.href),
    side: letters('.link-sidenote'), table: letters('.table-links li'),
    heading: [...document.querySelectorAll('h2 .link-sidenote')].filter(shown).length,
    underline: getComputedStyle(document.querySelector('main p a[href^="http"]'))
      .textDecorationLine,
  };
})()"""


def _matched(found: dict) -> list[str]:
    """Each visible link mark with the URL of the note that carries its letter, among
    the notes of its paragraph or table (the same letter may recur elsewhere)."""
    notes = found["side"] + found["table"]
    missing = []
    for mark in found["marks"]:
        letter, href = mark.split(" ", 1)
        if not any(note.split(" ", 1)[0] == letter and note.split(" ", 1)[1] == href
                   for note in notes):
            missing.append(mark)
    return missing


@pytest.mark.parametrize("media", ["screen", "print"])
def test_every_link_has_a_note_that_a_reader_can_match(browser, site, media):
    page = _open(browser, site, DESKTOP)
    if media == "print":
        page.emulate(media="print")
    found = page.evaluate(_LINK_NOTES)
    assert len(found["marks"]) >= 8, found
    assert _matched(found) == [], "a link whose letter no note carries"
    assert {"a https://beta.example/in-a-table", "b https://gamma.example/"} <= set(
        found["table"]), "the links of a table are listed under it"
    assert found["heading"] == 1, "a link in a heading has its note too"
    one = [note for note in found["side"] if "one.example" in note]
    assert len([n for n in one if n.startswith("a ")]) >= 1
    if media == "print":
        assert found["underline"] == "underline", "printed links keep a mark"


def test_the_page_keeps_its_measure_without_a_contents(browser, tmp_path):
    book = tmp_path / "notes.md"
    book.write_text("---\ntitle: Notes without headings\nlang: en\n---\n"
                    + "A paragraph of plain text that goes on for a while. " * 30
                    + "\n\nAnd [a link](https://example.org/).\n", encoding="utf-8")
    result = run_build(str(book), "-o", str(tmp_path / "dist"), "--format", "html", "-q")
    assert result.returncode == 0, result.stderr
    html = tmp_path / "dist" / "notes" / "index.html"
    assert '<nav class="toc"' not in html.read_text(encoding="utf-8")
    for width in (1280, 1400, 1920):
        page = browser.page(width, 900)
        page.goto(html.as_uri())
        found = page.evaluate("(() => { const p = document.querySelector('main p');"
                              " return {width: p.getBoundingClientRect().width,"
                              " size: parseFloat(getComputedStyle(p).fontSize)}; })()")
        assert found["width"] / found["size"] >= 28, (width, found)


def test_dark_mode_follows_the_system(browser, site):
    light = _open(browser, site, DESKTOP).evaluate(_GEOMETRY)
    page = _open(browser, site, PHONE, mobile=True, dark=True)
    dark = page.evaluate(_GEOMETRY)
    _shoot(page, site, "phone-dark")
    assert _luminance(light["background"]) > 0.9 and _luminance(light["color"]) < 0.2
    assert _luminance(dark["background"]) < 0.15 and _luminance(dark["color"]) > 0.8


def test_print_shows_link_targets_as_notes(browser, site):
    page = _open(browser, site, DESKTOP)
    page.emulate(media="print")
    found = page.evaluate(_GEOMETRY)
    assert found["linkSidenotes"] >= 4 and found["sidenotes"] >= 5
    assert page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display") == "none"
    pdf = page.send("Page.printToPDF", {"printBackground": False})["data"]
    assert len(pdf) > 10_000


@pytest.mark.parametrize("size, mobile, dark", [(DESKTOP, False, False), (PHONE, True, True)],
                         ids=["desktop-light", "phone-dark"])
def test_axe_finds_no_violations(browser, site, size, mobile, dark):
    page = _open(browser, site, size, mobile=mobile, dark=dark)
    assert page.axe_violations() == []


def test_download_links_point_at_the_built_files(site):
    html = (site["dist"] / SLUG / "index.html").read_text(encoding="utf-8")
    for suffix in ("pdf", "epub"):
        assert f'href="{SLUG}.{suffix}" download' in html
        assert (site["dist"] / SLUG / f"{SLUG}.{suffix}").stat().st_size > 1000


def test_page_with_margin_notes_is_valid_html(site):
    assert vnu_errors(site["dist"] / SLUG / "index.html") == []
