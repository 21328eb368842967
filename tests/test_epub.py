"""The EPUB on e-readers (issue 4): valid on messy manuscripts, accessible (Ace by
DAISY), notes that pop up, a cover, the print edition's page numbers, a package
that readers and Send to Kindle accept, and the same bytes from build to build.

Slow checkers run once per book: EPUBCheck on every content book, every messy
fixture and a generated 300-section manual (one build for all of them, checks
parametrized so that ``-n 2`` runs them side by side); Ace on all of them too.
``FOLIO_SAVE_GOLDEN=1`` rewrites tests/fixtures/notes-example.epub.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from helpers import (CONTENT, FIXTURES, INSTALL_HINT, REPO, epub_files, epubcheck, page_labels,
                     pdf_pages, run_build, squeeze)

EPOCH = "1764000000"
#: Every book in content/ (a new one is checked without touching this file).
CONTENT_BOOKS = sorted(path.stem for path in CONTENT.iterdir()
                       if path.suffix == ".md" or (path.is_dir() and any(path.glob("*.md"))))
MESSY = FIXTURES / "messy"
MESSY_BOOKS = ["footnotes", "github-readme", "link-list", "manual", "raw-html"]
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
ACE = REPO / ".tools" / "node_modules" / ".bin" / "ace-puppeteer"
NOTES_EXAMPLE = FIXTURES / "notes-example.epub"
PAGE_MAP_HOOK = ("the PDF builder does not hand its page map to the EPUB: in "
                 "folio/formats/pdf.py, `lay_out` must `return page_map(rendered)` "
                 "(from folio.pagemap) and `write` must keep it: "
                 "`self.page_map = run_limited(lay_out, ...)`")


# --- helpers -----------------------------------------------------------------------

def package(epub: Path) -> ET.Element:
    return ET.fromstring(epub_files(epub)["EPUB/package.opf"])


def meta_values(epub: Path, prop: str) -> list[str]:
    metadata = package(epub).find("opf:metadata", NS)
    return [m.text for m in metadata.findall("opf:meta", NS) if m.get("property") == prop]


def documents(epub: Path) -> dict[str, ET.Element]:
    return {name: ET.fromstring(data) for name, data in epub_files(epub).items()
            if name.endswith(".xhtml")}


def problems(messages: list[dict]) -> list[str]:
    return [f"{m['severity']} {m['ID']}: {m['message']} "
            f"{[loc.get('path') for loc in m.get('locations', [])][:2]}"
            for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def ace_violations(epub: Path, report_dir: Path) -> list[str]:
    """Ace by DAISY's violations for ``epub`` (``assertions[*].assertions``)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not ACE.exists() or not Path(chromium).exists():
        pytest.fail(f"Ace by DAISY or chromium is missing; {INSTALL_HINT}")
    result = subprocess.run([str(ACE), "-f", "-s", "-o", str(report_dir), str(epub)],
                            capture_output=True, text=True, timeout=180,
                            env={**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium})
    report = report_dir / "report.json"
    assert report.exists(), result.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    return [f"{a.get('earl:testSubject', {}).get('url')}: {v['earl:test']['dct:title']} "
            f"({v['earl:test'].get('earl:impact')}) {v['earl:result'].get('dct:description')}"
            for a in data["assertions"] for v in a["assertions"]]


def large_manuscript(sections: int = 300, footnotes: int = 200, links: int = 2000) -> str:
    """A long technical manual: parts of ten sections with repeating titles,
    footnotes, thousands of links (external, repeated, and raw-HTML anchors)."""
    rng = random.Random(4)
    out = ["---", "title: A Very Long Manual", "lang: en", "---", ""]
    notes: list[str] = []
    per_section = links // sections
    next_note, step = 0.0, sections / footnotes
    for s in range(sections):
        if s % 10 == 0:
            out += [f"# Part {s // 10 + 1}: Components & “Modules”", ""]
        title = rng.choice(["Options", "Example", "Configuration", "Errors", "Usage"])
        out += [f"## {title} ({s + 1}.{s % 7})", ""]
        words = []
        for k in range(per_section):
            n = rng.randrange(400)
            if k % 5 == 4:
                words.append(f"see [section {n % sections}](#section-anchor-{n % sections})")
            else:
                words.append(f"[tool {n}](https://example.org/tools/{n}?ref=manual&p={n % 9})")
        paragraph = f'<a id="section-anchor-{s}"></a>Section {s} lists ' + ", ".join(words)
        if s >= next_note and len(notes) < footnotes:
            paragraph += f". A claim.[^n{len(notes)}]"
            notes.append(f"[^n{len(notes)}]: Note {len(notes)}, with "
                         f"[a link](https://example.net/{len(notes)}).")
            next_note += step
        out += [paragraph + ".", "", "| Key | Value |", "|-----|-------|",
                f"| k{s} | v{s} |", ""]
    out += ["## Footnotes", ""] + notes + [""]
    return "\n".join(out)


# --- builds ------------------------------------------------------------------------

@contextlib.contextmanager
def built_once(tmp_path_factory, name: str):
    """A folder that one pytest-xdist worker fills and the others wait for: yields
    (folder, True) to the worker that must build, (folder, False) to the rest."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if base.name.startswith("popen-gw") else base
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = folder / ".built"
        if done.exists():
            yield folder, False
            return
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        yield folder, True
        done.touch()


@pytest.fixture(scope="module")
def messy_build(tmp_path_factory):
    """Every messy fixture and a generated 300-section manual, built in one run (once
    for all test workers)."""
    with built_once(tmp_path_factory, "messy") as (folder, build):
        if build:
            large = folder / "large-manual.md"
            large.write_text(large_manuscript(), encoding="utf-8")
            sources = [str(MESSY / f"{name}.md") for name in MESSY_BOOKS if name != "manual"]
            result = run_build(*sources, str(MESSY / "manual"), str(large), "-o",
                               str(folder / "dist"), "--format", "epub",
                               env={"SOURCE_DATE_EPOCH": EPOCH})
            assert result.returncode == 0, result.stderr
            (folder / "stderr.txt").write_text(result.stderr, encoding="utf-8")
    return folder / "dist", (folder / "stderr.txt").read_text(encoding="utf-8")


def messy_epub(messy_build, name: str) -> Path:
    return messy_build[0] / name / f"{name}.epub"


def has_page_list(epub: Path) -> bool:
    return b'epub:type="page-list"' in epub_files(epub)["EPUB/nav.xhtml"]


# --- valid on every book -------------------------------------------------------------

@pytest.fixture
def quick_java(monkeypatch):
    """EPUBCheck runs once per book, a few seconds each: the JVM's quick compiler and
    serial collector halve the CPU time of such short runs (measured: 6.6 s -> 3.2 s)."""
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")


@pytest.mark.parametrize("name", MESSY_BOOKS + ["large-manual"])
def test_epubcheck_passes_messy_manuscripts(messy_build, name, quick_java):
    assert problems(epubcheck(messy_epub(messy_build, name))) == []


@pytest.mark.parametrize("slug", CONTENT_BOOKS)
def test_epubcheck_passes_content_books(content_build, slug, quick_java):
    assert problems(epubcheck(content_build.file(slug, "epub"))) == []


@pytest.mark.parametrize("slug", CONTENT_BOOKS)
def test_ace_finds_no_violations(content_build, slug, tmp_path):
    assert ace_violations(content_build.file(slug, "epub"), tmp_path / "ace") == []


@pytest.mark.parametrize("name", [n for n in MESSY_BOOKS if n != "github-readme"]
                         + ["large-manual"])
def test_ace_finds_no_violations_in_messy_manuscripts(messy_build, name, tmp_path):
    assert ace_violations(messy_epub(messy_build, name), tmp_path / "ace") == []


def test_ace_finds_no_violations_in_a_github_readme(messy_build, tmp_path):
    """Raw HTML, badges, GitHub anchors and tables with an empty header cell (as in
    donnemartin/system-design-primer, where Ace found empty-table-header)."""
    epub = messy_epub(messy_build, "github-readme")
    cells = [cell for root in documents(epub).values() for cell in root.iter(f"{X}th")]
    assert cells and all("".join(cell.itertext()).strip() for cell in cells), \
        "an empty <th> heads nothing"
    assert ace_violations(epub, tmp_path / "ace") == []


def test_messy_manuscripts_are_warned_about_with_file_and_line(messy_build):
    stderr = messy_build[1]
    expected = [
        ("github-readme.md:34:", "[missing-anchor]", "#migrating-from-1x"),
        ("raw-html.md:13:", "[missing-anchor]", "#nowhere-at-all"),
        ("raw-html.md:14:", "[relative-link]", "other-page.md"),
        ("raw-html.md:23:", "[image-outside]", "../outside.png"),
        ("raw-html.md:27:", "[raw-html]", "<script>"),
        ("raw-html.md:35:", "[missing-anchor]", "#missing-anchor-here"),
        ("manual/01-getting-started.md:23:", "[relative-link]", "04-upgrading.md"),
        ("manual/01-getting-started.md:25:", "[notes-heading]", "Footnotes"),
        ("footnotes.md:33:", "[notes-heading]", "Footnotes"),
    ]
    lines = stderr.splitlines()
    for where, code, detail in expected:
        assert any(where in line and code in line and detail in line for line in lines), \
            (where, code, detail)
    # What the book can resolve is not reported.
    for resolved in ("'#Usage'", "'#FAQ-why-is-it-fast'", "'#legacy-anchor'",
                     "'03-reference.md", "'02-configuration.md"):
        assert not any(resolved in line for line in lines), resolved
    # The same heading in two files of a book folder is no fault of the manuscript.
    assert not any("manual/" in line and "[duplicate-id]" in line for line in lines)


def _targets(epub: Path, chapter: str) -> dict[str, str]:
    """Link text -> target ("file#id") of the internal links of one chapter."""
    root = documents(epub)[f"EPUB/{chapter}"]
    targets = {}
    for link in root.iter(f"{X}a"):
        href = link.get("href") or ""
        if href and not href.startswith(("http", "mailto")):
            targets["".join(link.itertext()).strip()] = (chapter + href
                                                         if href.startswith("#") else href)
    return targets


def _text_at(epub: Path, target: str) -> str:
    """The text of the element a link's target ("file#id") names."""
    name, _, fragment = target.partition("#")
    root = documents(epub)[f"EPUB/{name}"]
    return "".join(next(e for e in root.iter() if e.get("id") == fragment).itertext()).strip()


def test_links_to_sibling_files_reach_that_files_heading(messy_build):
    epub = messy_epub(messy_build, "manual")
    first = _targets(epub, "chapter-001.xhtml")
    assert first["all options"] == "chapter-003.xhtml#options-2"
    assert first["Options in the reference"] == "chapter-003.xhtml#options-2"
    assert first["Configuration"] == "chapter-002.xhtml#configuration"
    assert _text_at(epub, first["the --port option"]) == "--port"
    second = _targets(epub, "chapter-002.xhtml")
    # "#example" written in 02-configuration.md means that file's own Example.
    assert second["the example"] == "chapter-002.xhtml#example-1"
    assert second["the one in getting started"] == "chapter-001.xhtml#example"
    assert second["Options"] == "chapter-002.xhtml#options-1"


def test_github_style_anchors_resolve(messy_build):
    epub = messy_epub(messy_build, "github-readme")
    targets = {}
    for name in ("chapter-001.xhtml", "chapter-002.xhtml"):
        targets.update(_targets(epub, name))
    headings = {text: _text_at(epub, target) for text, target in targets.items()}
    assert headings["From source (C++ & Rust)"] == "From source (C++ & Rust)"
    assert headings["Über die Größe der Binärdatei"] == "Über die Größe der Binärdatei"
    assert headings["The --fixed-strings flag"] == "The --fixed-strings flag"
    assert headings["FAQ: Why is it “fast”?"] == "FAQ: Why is it “fast”?"
    assert headings["usage"] == "Usage"  # written #Usage


def test_raw_html_anchors_and_duplicate_ids(messy_build):
    epub = messy_epub(messy_build, "raw-html")
    files = epub_files(epub)
    first = files["EPUB/chapter-001.xhtml"].decode()
    assert 'id="legacy-anchor"' in first and "name=" not in first
    assert "<script" not in first and "<style" not in first and "<center" not in first
    assert "align=" not in first and "onclick" not in first
    second = _targets(epub, "chapter-002.xhtml")
    assert second["legacy anchor"] == "chapter-001.xhtml#legacy-anchor"
    assert second["intro anchor"] == "chapter-001.xhtml#intro"
    for name, root in documents(epub).items():
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), name
        assert not any(re.search(r"\s", i) for i in ids), name


def test_a_manuscripts_footnotes_heading_is_not_an_empty_section(messy_build):
    nav = epub_files(messy_epub(messy_build, "manual"))["EPUB/nav.xhtml"].decode()
    assert "Footnotes" not in nav
    chapter = documents(messy_epub(messy_build, "footnotes"))["EPUB/chapter-002.xhtml"]
    assert [h.text for h in chapter.iter(f"{X}h2")] == ["Notes on method"]


# --- notes -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def notes_example(tmp_path_factory) -> Path:
    """tests/fixtures/notes-example.md built now (once for all test workers)."""
    with built_once(tmp_path_factory, "notes") as (out, build):
        if build:
            result = run_build(str(FIXTURES / "notes-example.md"), "-o", str(out),
                               "--format", "epub", env={"SOURCE_DATE_EPOCH": EPOCH})
            assert result.returncode == 0, result.stderr
    return out / "notes-example" / "notes-example.epub"


def test_notes_example_epub_is_current(notes_example):
    """tests/fixtures/notes-example.epub shows every kind of note; it must be what the
    pipeline makes today (the cover is left out: its pixels depend on FreeType)."""
    if os.environ.get("FOLIO_SAVE_GOLDEN"):
        shutil.copy(notes_example, NOTES_EXAMPLE)
    assert NOTES_EXAMPLE.exists(), "run with FOLIO_SAVE_GOLDEN=1 to create it"
    saved, fresh = epub_files(NOTES_EXAMPLE), epub_files(notes_example)
    assert sorted(saved) == sorted(fresh)
    changed = [name for name in saved if name != "EPUB/images/cover.png"
               and saved[name] != fresh[name]]
    assert changed == [], ("the notes example is out of date; review the change and run "
                           "with FOLIO_SAVE_GOLDEN=1")


def test_every_note_pops_up_and_links_back(notes_example):
    """The markup the readers need (sources in folio/notes.py): noteref -> an aside
    that is a footnote (epub:type and role), later in the same file, back link first,
    no <sup> inside the reference."""
    kinds = set()
    for name, root in documents(notes_example).items():
        notes = {a.get("id"): a for a in root.iter(f"{X}aside")}
        order = {id(e): n for n, e in enumerate(root.iter())}
        for ref in root.iter(f"{X}a"):
            if ref.get(EPUB_TYPE) != "noteref":
                continue
            assert ref.get("role") == "doc-noteref" and ref.find(f"{X}sup") is None
            note = notes[ref.get("href")[1:]]
            assert note.get(EPUB_TYPE) == "footnote" and note.get("role") == "doc-footnote"
            assert order[id(note)] > order[id(ref)], "the note must follow its reference"
            first = note.find(f"{X}p")
            back = list(first)[0]
            assert back.get("role") == "doc-backlink" and first.text in (None, "")
            backs = [a.get("href")[1:] for a in note.iter(f"{X}a")
                     if a.get("role") == "doc-backlink"]
            assert ref.get("id") in backs
            kinds.add("link" if "link-note" in note.get("class") else "manuscript")
            if len(set(backs)) > 1:
                kinds.add("shared")
            if len(note.findall(f"{X}p")) > 1:
                kinds.add("paragraphs")
    assert kinds == {"link", "manuscript", "shared", "paragraphs"}


# --- accessibility, cover, page list -------------------------------------------------

def test_accessibility_metadata_follows_the_book(content_build):
    english = content_build.file("making-books", "epub")
    assert meta_values(english, "schema:accessMode") == ["textual", "visual"]
    assert meta_values(english, "schema:accessModeSufficient") == ["textual",
                                                                   "textual,visual"]
    features = meta_values(english, "schema:accessibilityFeature")
    assert {"tableOfContents", "readingOrder", "structuralNavigation",
            "alternativeText"} <= set(features)
    assert meta_values(english, "schema:accessibilityHazard") == ["none"]
    assert "Every image (1) has a text description" in \
        meta_values(english, "schema:accessibilitySummary")[0]
    assert meta_values(english, "dcterms:conformsTo") == [
        "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    german = content_build.file("warum-entkoppeln-sich-us-aktien", "epub")
    assert meta_values(german, "schema:accessMode") == ["textual"]
    assert "alternativeText" not in meta_values(german, "schema:accessibilityFeature")


def test_conformance_is_not_claimed_when_a_check_fails(tmp_path):
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    shutil.copy(CONTENT / "making-books" / "images" / "spread.png", book / "images")
    (book / "book.md").write_text("---\ntitle: No Alt\n---\n\n# One\n\nSome text in "
                                  "English, long enough to tell the language.\n\n"
                                  "![](images/spread.png)\n", encoding="utf-8")
    result = run_build(str(book), "-o", str(tmp_path / "out"), "--format", "epub")
    epub = tmp_path / "out" / "book" / "book.epub"
    assert result.returncode == 0, result.stderr
    assert meta_values(epub, "dcterms:conformsTo") == []
    summary = meta_values(epub, "schema:accessibilitySummary")[0]
    assert "language was guessed" in summary and "1 of 1 images" in summary
    assert "alternativeText" not in meta_values(epub, "schema:accessibilityFeature")


def test_typographic_cover_is_declared_and_shown_first(content_build):
    from PIL import Image

    epub = content_build.file("making-books", "epub")
    root = package(epub)
    item = root.find("opf:manifest/opf:item[@properties='cover-image']", NS)
    assert item.get("id") == "cover-image" and item.get("media-type") == "image/png"
    legacy = [m for m in root.findall("opf:metadata/opf:meta", NS) if m.get("name") == "cover"]
    assert legacy[0].get("content") == "cover-image"
    first = root.find("opf:spine/opf:itemref", NS).get("idref")
    assert root.find(f"opf:manifest/opf:item[@id='{first}']", NS).get("href") == "cover.xhtml"
    cover_page = documents(epub)["EPUB/cover.xhtml"]
    image = cover_page.find(f".//{X}img")
    assert image.get("role") == "doc-cover" and "Making Books from Markdown" in image.get("alt")
    with Image.open(io.BytesIO(epub_files(epub)["EPUB/" + item.get("href")])) as picture:
        assert picture.size == (1600, 2400)


def test_cover_named_in_the_metadata_is_used(tmp_path):
    from PIL import Image

    book = tmp_path / "book"
    book.mkdir()
    picture = io.BytesIO()
    Image.new("RGB", (600, 900), (10, 80, 160)).save(picture, "JPEG")
    (book / "front.jpg").write_bytes(picture.getvalue())
    (book / "book.md").write_text("---\ntitle: Own Cover\nlang: en\ncover: front.jpg\n---\n\n"
                                  "# One\n\nText.\n", encoding="utf-8")
    (tmp_path / "outside.md").write_text("---\ntitle: Bad Cover\nlang: en\n"
                                         "cover: ../../etc/passwd\n---\n\nText.\n")
    result = run_build(str(book), str(tmp_path / "outside.md"), "-o", str(tmp_path / "out"),
                       "--format", "epub")
    assert result.returncode == 0, result.stderr
    files = epub_files(tmp_path / "out" / "book" / "book.epub")
    assert files["EPUB/images/cover.jpg"] == picture.getvalue()
    assert re.search(r"outside\.md:4: warning: cover '\.\./\.\./etc/passwd' lies outside",
                     result.stderr)
    assert "EPUB/images/cover.png" in epub_files(tmp_path / "out" / "outside" / "outside.epub")


def test_page_list_comes_from_the_pdf(content_build):
    for slug in CONTENT_BOOKS:
        epub = content_build.file(slug, "epub")
        assert has_page_list(epub), PAGE_MAP_HOOK
        root = package(epub)
        source = root.find("opf:metadata/dc:source", NS)
        refines = [m for m in root.findall("opf:metadata/opf:meta", NS)
                   if m.get("property") == "source-of"]
        assert refines[0].get("refines") == f"#{source.get('id')}"
        assert refines[0].text == "pagination"
        assert "pageBreakMarkers" in meta_values(epub, "schema:accessibilityFeature")
        ncx = ET.fromstring(epub_files(epub)["EPUB/toc.ncx"])
        assert ncx.findall("ncx:pageList/ncx:pageTarget", NS)
        pages = pdf_pages(content_build.file(slug, "pdf"))
        labels = page_labels(content_build.file(slug, "pdf"))
        markers = 0
        for name, data in epub_files(epub).items():
            if not name.endswith(".xhtml") or "chapter" not in name:
                continue
            text = data.decode()
            for match in re.finditer(r'id="page-(\d+)" aria-label="(\d+)"></span>', text):
                assert match.group(1) == match.group(2)
                after = re.sub(r"<[^>]+>", " ", text[match.end():match.end() + 400])
                # The first words after the marker stand on that page (each on its
                # own: a page in two columns, such as an index, reads across them).
                words = [re.sub(r"\W", "", word) for word in after.split()[:3]]
                page = re.sub(r"\W", "", pages[labels.index(match.group(1))])
                assert all(word in page for word in words), (slug, match.group(1), words)
                markers += 1
        assert markers >= 3, slug


def test_page_markers_follow_a_laid_out_page(tmp_path):
    """folio.pagemap on its own: WeasyPrint lays out a chapter with floated notes;
    each marker put into the EPUB's copy stands before the first word of its page."""
    import weasyprint

    from folio.formats.epub.markup import parse_chapter, serialise_children
    from folio.formats.pagemap import insert_page_markers, page_map

    paragraphs = [f"<p>Paragraph {n} " + " ".join(f"word{n}x{k}" for k in range(70))
                  + f'<span class="footnote">Note {n} is printed at the foot.</span> end.</p>'
                  for n in range(12)]
    chapter = "<h1>A chapter</h1>" + "".join(paragraphs)
    html = ("<html><head><style>@page { size: 90mm 120mm; margin: 10mm }"
            ".footnote { float: footnote }</style></head><body>"
            f'<section class="chapter">{chapter}</section></body></html>')
    rendered = weasyprint.HTML(string=html).render()
    assert len(rendered.pages) >= 4
    starts = page_map(rendered).pages
    epub_chapter = re.sub(r'<span class="footnote">[^<]*</span>',
                          '<a class="noteref" epub:type="noteref" href="#n">1</a>', chapter)
    body = parse_chapter(epub_chapter)
    assert insert_page_markers([body], starts) == {str(s.number): 0 for s in starts}
    xhtml = serialise_children(body)
    pdf = tmp_path / "layout.pdf"
    rendered.write_pdf(pdf)
    for number, page in enumerate(pdf_pages(pdf), start=1):
        match = re.search(rf'id="page-{number}" aria-label="{number}"></span>', xhtml)
        following = re.sub(r"<[^>]+>", " ", xhtml[match.end():]).split()
        assert page.split()[0] == following[0], number


# --- a package that readers accept ------------------------------------------------------

def test_package_is_reader_safe(content_build, messy_build):
    epubs = [content_build.file(slug, "epub") for slug in CONTENT_BOOKS]
    epubs += [messy_epub(messy_build, name) for name in MESSY_BOOKS]
    for epub in epubs:
        files = epub_files(epub)
        for name, data in files.items():
            text = data.decode("utf-8", "replace")
            if name.endswith((".xhtml", ".opf", ".ncx")):
                assert "<!--" not in text, f"{name}: XML comment (Send to Kindle)"
                assert "<style" not in text, f"{name}: CSS in the page (Send to Kindle)"
            if name.endswith(".xhtml") and name != "EPUB/nav.xhtml":
                root = ET.fromstring(data)
                assert root.get("lang") and root.get(
                    "{http://www.w3.org/XML/1998/namespace}lang"), name
        assert "<dc:date></dc:date>" not in files["EPUB/package.opf"].decode()
        css = files["EPUB/styles/book.css"].decode()
        assert not re.search(r"display:\s*(flex|grid)|\d(vh|vw)\b|@font-face", css)
        assert not any(name.endswith((".ttf", ".otf", ".woff")) for name in files)


def test_two_builds_are_byte_identical(content_build, tmp_path):
    result = run_build(str(CONTENT / "making-books"), "-o", str(tmp_path),
                       env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.returncode == 0, result.stderr
    first = content_build.file("making-books", "epub").read_bytes()
    second = (tmp_path / "making-books" / "making-books.epub").read_bytes()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip" and not infos[0].extra
        names = [i.filename for i in infos[2:]]
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(2025, 11, 24, 16, 0, 0)}
