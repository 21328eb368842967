"""Code in print and in the EPUB, loose lines and titles (issue 13), on a tutorial
written for it: long shell, SQL and Python lines, ISBNs in string literals, long
paths and options as inline code.

- A code line too long for the measure goes on under its start behind a mark (→),
  indented deeper than the line it continues; it is never broken at a hyphen.
- Inline code breaks only after ``/ . _ = &``, never at a hyphen, and gets none.
- No justified line gapes around a long piece of code; a title is not broken
  after a one-letter word."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from helpers import FIXTURES, epub_files, pdf_pages, run_build

SLUG = "sqlite-tutorial"
XHTML = "{http://www.w3.org/1999/xhtml}"
MARK = "\u2192"


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    folder = tmp_path_factory.mktemp("code")
    source = folder / f"{SLUG}.md"
    shutil.copy(FIXTURES / "code" / source.name, source)
    result = run_build(str(source), "-o", str(folder / "dist"), "--format", "pdf,epub", "-q")
    assert result.returncode == 0, result.stderr
    return folder / "dist" / SLUG


def _lines(pdf) -> list[list[tuple[str, float, float]]]:
    """Every printed line as its words: (text, left, gap to the word before)."""
    text = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", text))
    lines = []
    for line in root.iter(f"{XHTML}line"):
        words, right = [], None
        for word in line.iter(f"{XHTML}word"):
            left = float(word.get("xMin"))
            words.append((word.text or "", left, 0.0 if right is None else left - right))
            right = float(word.get("xMax"))
        lines.append(words)
    return lines


def test_long_code_lines_go_on_behind_a_mark_deeper_than_their_start(tutorial):
    lines = _lines(tutorial / f"{SLUG}.pdf")
    continued = 0
    for before, line in zip(lines, lines[1:]):
        if line[0][0] != MARK:
            continue
        continued += 1
        # The line it continues (or the continuation before it) starts further left.
        assert line[0][1] > before[0][1] - 0.5 or before[0][0] == MARK, (before, line)
    assert continued >= 20
    starts = {round(line[0][1]) for line in lines if line[0][0] == MARK}
    assert len(starts) >= 4, "continuations hang under their own line's indentation"


def test_code_is_never_broken_at_a_hyphen_and_gets_no_hyphen(tutorial):
    pages = pdf_pages(tutorial / f"{SLUG}.pdf")
    text = "\n".join(pages)
    lines = [line.rstrip() for line in text.splitlines()]
    assert [line for line in lines if line.endswith("-")] == []
    for whole in ("'978-0-88179-206-5'", "--no-install-recommends", "libsqlite3-dev",
                  "library-of-the-well-read-household.sqlite3", "write-ahead-logging",
                  "--delete-after", "'*.sqlite3-journal'", "sqlite-tutorial/"):
        assert any(whole in line for line in lines), whole
    assert text.count("'978-0-88179-206-5'") == 2


def test_no_justified_line_gapes_around_a_long_piece_of_code(tutorial):
    gaps = [gap for line in _lines(tutorial / f"{SLUG}.pdf") for _, _, gap in line]
    # A space of Folio Serif at 10 pt is 2.6 pt; justification may stretch it a little.
    assert max(gaps) < 7.0, max(gaps)


def test_the_epub_cuts_code_the_same_way_and_never_hyphenates_it(tutorial):
    files = epub_files(tutorial / f"{SLUG}.epub")
    chapters = "".join(data.decode() for name, data in files.items()
                       if name.startswith("EPUB/chapter-"))
    assert chapters.count('class="line cont"') >= 15
    assert '<code><span class="nobr">--output-file</span></code>' in chapters
    assert '<span class="nobr">library-of-the-well-read-household.</span><wbr />' in chapters
    css = files["EPUB/styles/book.css"].decode()
    assert re.search(r"pre, code \{[^}]*hyphens: none", css)
    assert ".cont-mark:before" in css


def test_a_title_is_not_broken_after_a_one_letter_word():
    from folio.formats.epub.cover import _fit

    _font, lines = _fit("Working with SQLite: A Hands-on Tutorial", "NotoSerif-Bold.ttf",
                        150, 60, 1300, 6)
    assert all(not re.search(r"(^|\s)\w$", line) for line in lines), lines
    from folio.formats.pdf.layout import balanced_lines
    assert balanced_lines("Working with SQLite: A Hands-on Tutorial", 40, 1.6) == \
        ["Working with SQLite:", "A Hands-on Tutorial"]
