"""The pipeline's stages on small manuscripts written inline: metadata, language,
quotation marks, structure, links and notes (issue 2), without laying out a PDF."""

from __future__ import annotations

import textwrap

import pytest
from helpers import run_build

from folio.diagnostics import BuildError, Reporter
from folio.formats.epub import EpubBuilder
from folio.formats.pdf import PdfBuilder
from folio.formats.render import render_pieces
from folio.pipeline import read_book


def write(tmp_path, text: str, name: str = "book.md"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def read(tmp_path, text: str):
    reporter = Reporter()
    document = read_book(write(tmp_path, text), reporter)
    return document, document.api_version, reporter


def rendered(document, api, builder) -> str:
    return "\n".join(render_pieces(builder.pieces(document), api, "test"))


@pytest.mark.parametrize("lang, expected", [
    ("de", "\u201eHaus\u201c und \u201aBaum\u2018"),
    ("en", "\u201cHaus\u201d und \u2018Baum\u2019"),
    ("fr", "\u00ab\u202fHaus\u202f\u00bb und \u201cBaum\u201d"),
])
def test_quotation_marks_follow_the_language(tmp_path, lang, expected):
    document, api, _ = read(tmp_path, f"""
        ---
        title: T
        lang: {lang}
        ---
        Ein "Haus" und 'Baum' hier.
        """)
    assert expected in rendered(document, api, EpubBuilder())


def test_missing_language_is_detected_and_reported(tmp_path):
    _, _, reporter = read(tmp_path, """
        # Titel
        Die Diskrepanz zwischen dem Aufschwung an der Börse und der politischen
        Verfassung der Vereinigten Staaten ist bemerkenswert, und es ist nicht klar warum.
        """)
    assumed = [d for d in reporter.items if d.code == "assumed-language"]
    assert len(assumed) == 1 and "'de'" in assumed[0].message


def test_isbn_becomes_the_identifier(tmp_path):
    document, _, _ = read(tmp_path, """
        ---
        title: T
        lang: en
        isbn: 978-3-16-148410-0
        ---
        Text.
        """)
    assert document.metadata.identifier == "urn:isbn:9783161484100"


def test_identifier_without_isbn_is_a_uuid_derived_from_title_and_authors(tmp_path):
    text = "---\ntitle: T\nauthor: A\nlang: en\n---\nText.\n"
    first, _, _ = read(tmp_path, text)
    second, _, _ = read(tmp_path, text + "\nMore text.\n")
    other, _, _ = read(tmp_path, text.replace("title: T", "title: U"))
    assert first.metadata.identifier.startswith("urn:uuid:")
    assert first.metadata.identifier == second.metadata.identifier
    assert first.metadata.identifier != other.metadata.identifier


@pytest.mark.parametrize("front, line, message", [
    ("title: [unclosed", 2, "invalid YAML"),
    ("title: T\nauthor: [A, B", 3, "but got the end of the front matter"),
    ("title: [unclosed\nlang: de", 3, "(while parsing a flow sequence that starts at "
     "line 2, column 8)"),
    ("title: T\ndate: 2024-13-45", 3, "date"),
    ("title: T\ndate: 24.12.2024", 3, "date"),
    ("title: T\nlang: 'not a tag!'", 3, "language tag"),
    ("title: {a: 1}", 2, "must be text"),
])
def test_bad_metadata_is_an_error_naming_the_line(tmp_path, front, line, message):
    path = write(tmp_path, f"---\n{front}\n---\nText.\n")
    with pytest.raises(BuildError) as caught:
        read_book(path, Reporter())
    assert caught.value.diagnostic.line == line
    assert message in caught.value.diagnostic.message


def test_unknown_metadata_key_is_a_warning_with_its_line(tmp_path):
    _, _, reporter = read(tmp_path, "---\ntitle: T\nlang: en\ncolour: red\n---\nText.\n")
    (warning,) = [d for d in reporter.items if d.code == "metadata-key"]
    assert warning.line == 4


def test_title_heading_is_dropped_and_levels_start_at_one(tmp_path):
    document, _, _ = read(tmp_path, """
        ---
        title: My Book
        lang: en
        ---
        ## My Book

        ### First

        Text.

        #### Detail

        ### Second

        More.
        """)
    assert [c.title for c in document.chapters] == ["First", "Second"]
    assert [(h.level, h.text) for h in document.chapters[0].headings] == \
        [(1, "First"), (2, "Detail")]


def test_duplicate_headings_get_unique_ids(tmp_path):
    document, _, _ = read(tmp_path, "---\ntitle: T\nlang: en\n---\n# A\n\n## Notes\n\n# B\n\n## Notes\n")
    ids = [h.id for c in document.chapters for h in c.headings]
    assert len(ids) == len(set(ids))


def test_link_kinds(tmp_path):
    document, api, reporter = read(tmp_path, """
        ---
        title: T
        lang: en
        ---
        # Start {#start}

        [ext](https://example.org/a) [https://example.org/b](https://example.org/b)
        [back](#start) [gone](#nowhere) [js](javascript:alert(1)) [empty]() [file](file:///etc/passwd)
        """)
    codes = sorted(d.code for d in reporter.items)
    assert codes == ["missing-anchor", "placeholder-link", "unsafe-link", "unsafe-link"]
    assert all(d.line == 8 for d in reporter.items)
    html = rendered(document, api, PdfBuilder())
    assert html.count('class="footnote link-note"') == 1
    assert 'href="javascript' not in html and "file://" not in html
    assert 'class="folio-xref"' in html


def test_manuscript_notes_and_link_notes_share_one_sequence(tmp_path):
    document, api, _ = read(tmp_path, """
        ---
        title: T
        lang: en
        ---
        A [link](https://a.example/) then a note[^1] then [another](https://b.example/).

        [^1]: The note, with [its own link](https://c.example/).
        """)
    html = rendered(document, api, EpubBuilder())
    refs = [int(n) for n in __import__("re").findall(r'role="doc-noteref">(\d+)<', html)]
    assert refs == [1, 2, 3]
    assert "https:/<wbr />/<wbr />c." in html or "c.example" in html
    assert html.count('epub:type="footnote"') == 3


def test_book_folder_chapters_follow_file_names(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "book.yaml").write_text("title: Folder Book\nlang: en\n", encoding="utf-8")
    (folder / "02-second.md").write_text("# Second\n\nSee [the first](01-first.md).\n")
    (folder / "01-first.md").write_text("# First\n\nHello.\n")
    document = read_book(folder, Reporter())
    assert [c.title for c in document.chapters] == ["First", "Second"]


def test_command_line_formats_output_folder_and_strict(tmp_path):
    source = write(tmp_path, "---\ntitle: T\nlang: en\n---\n# A\n\nA [placeholder](#).\n")
    result = run_build(str(source), "-o", str(tmp_path / "out"), "--format", "epub")
    assert result.returncode == 0
    assert sorted(p.name for p in (tmp_path / "out" / "book").iterdir()) == ["book.epub"]
    assert f"{source}:7:3: warning: link 'placeholder' has a placeholder target" in result.stderr
    strict = run_build(str(source), "-o", str(tmp_path / "strict"), "--strict")
    assert strict.returncode == 1
    assert not (tmp_path / "strict").exists()
    assert "Traceback" not in strict.stderr


def test_errors_are_one_line_with_file_and_line(tmp_path):
    source = write(tmp_path, "---\ntitle: T\n  bad: [\n---\nText\n")
    result = run_build(str(source), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith(f"{source}:3:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("preview", [False, True], ids=["build", "watch"])
def test_watch_puts_the_reading_page_in_place_before_the_pdf(tmp_path, monkeypatch, preview):
    """Under ``watch`` (option ``preview``) the reading page is in place when its stage
    ends, and stays when the PDF then fails; a build keeps every file of the last good
    build until all are written."""
    from folio.diagnostics import BuildError
    from folio.books import build_books

    source = write(tmp_path, "---\ntitle: T\nlang: en\n---\n\nFirst words.\n")
    out = tmp_path / "dist"
    assert build_books([source], out, ["html", "epub"], Reporter())[0] is not None
    page, epub = out / "book" / "index.html", (out / "book" / "book.epub").read_bytes()
    source.write_text("---\ntitle: T\nlang: en\n---\n\nSecond words.\n", encoding="utf-8")

    def failing(self, *args, **kwargs):
        raise BuildError("book.md", "the layout failed", code="layout")

    monkeypatch.setattr(PdfBuilder, "write", failing)
    seen = {}

    def progress(book, stage, seconds):
        if stage == "html" and seconds is not None:
            seen["page"] = page.read_text(encoding="utf-8")

    reporter = Reporter()
    result = build_books([source], out, ["html", "epub", "pdf"], reporter,
                         options={"preview": True} if preview else {}, progress=progress)
    assert result == [None] and "the layout failed" in reporter.items[-1].message
    expected = "Second words." if preview else "First words."
    assert expected in seen["page"], "the page in place when the HTML's stage ended"
    assert expected in page.read_text(encoding="utf-8")
    assert (out / "book" / "book.epub").read_bytes() == epub, "the EPUB waits for all"
    assert not (out / "book" / "book.pdf").exists()
