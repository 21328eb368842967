"""What a reader downloads and what an e-reader shows (issue 13): the reading
page's fonts cut to the characters it uses, as WOFF2; the EPUB's page list and
landmarks hidden also from a reader that ignores ``hidden``."""

from __future__ import annotations

import html
import re
import shutil
import zipfile

import pytest
from browser import Chromium
from helpers import FIXTURES, run_build

SLUG = "le-livre-et-lecran"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fonts")
    source = folder / f"{SLUG}.md"
    shutil.copy(FIXTURES / "typography" / source.name, source)
    result = run_build(str(source), "-o", str(folder / "dist"), "--format", "pdf,epub,html",
                       "-q")
    assert result.returncode == 0, result.stderr
    return folder / "dist" / SLUG


def test_the_reading_page_serves_small_woff2_fonts_with_every_character_it_shows(built):
    from fontTools.ttLib import TTFont

    fonts = sorted((built / "fonts").iterdir())
    assert fonts and all(font.suffix == ".woff2" for font in fonts)
    assert all(font.read_bytes()[:4] == b"wOF2" for font in fonts)
    total = sum(font.stat().st_size for font in fonts)
    assert total < 150_000, total  # the six TTF files were 3.4 MB
    page = (built / "index.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page.split("<body>", 1)[1]))
    regular = TTFont(built / "fonts" / "NotoSerif-Regular.woff2").getBestCmap()
    missing = {char for char in text if not char.isspace() and ord(char) not in regular}
    assert missing == set()
    assert ord("\u202f") in regular and ord("\u00ab") in regular
    assert 'url("fonts/NotoSerif-Regular.woff2") format("woff2")' in \
        (built / "book.css").read_text(encoding="utf-8")


def test_page_list_and_landmarks_stay_hidden_where_hidden_is_ignored(built, tmp_path):
    with zipfile.ZipFile(built / f"{SLUG}.epub") as epub:
        epub.extractall(tmp_path / "epub")
    nav = tmp_path / "epub" / "EPUB" / "nav.xhtml"
    assert 'epub:type="page-list"' in nav.read_text(encoding="utf-8")
    with Chromium() as browser:
        page = browser.page(600, 900)
        page.goto(nav.as_uri())
        # A reading system that does not know the attribute: only the stylesheet hides.
        text = page.evaluate("document.querySelectorAll('[hidden]')"
                             ".forEach(e => e.removeAttribute('hidden'));"
                             "document.body.innerText")
    assert "Table des matières" in text
    assert not re.search(r"^\s*\d+\s*$", text, re.MULTILINE), text
    assert "Repères" not in text and "Couverture" not in text
