#!/usr/bin/env python3
"""Benchmark: folio against plain pandoc (and WeasyPrint) on generated long books.

    make bench                        # or: .venv/bin/python bench/bench.py
    FOLIO_BENCH_RUNS=5 make bench     # runs per measurement (median reported; default 3);
                                      # or one per size: FOLIO_BENCH_RUNS=3,1,1
    FOLIO_BENCH_PAGES=150,600,2500    # book sizes in (approximate) A5 pages (default)
    FOLIO_BENCH_DENSITY=0,5,15        # link notes a page for the density rows (default)
    FOLIO_BENCH_NOTE_COST=45          # links a page of text for the note-cost rows (0: none)
    FOLIO_BENCH_NOTES=70,300,600      # pages of the link-dense books checked note by note
    FOLIO_BENCH_LISTS=2000,10000      # links of the link lists
    FOLIO_BENCH_AS_RELEASED=1         # the smallest dense book with WeasyPrint as released too
    FOLIO_BENCH_ONE_FILE_MB=5         # a manuscript of this size in one file (0: none)

For each size: the full build of three formats (folio's PDF laid out in parts on
every core) against plain pandoc's three commands, alternating with the rebuilds
compared with it: nothing changed, a paragraph added to the first chapter, a word
changed in the middle one; the PDF alone against WeasyPrint's own command line on
folio's print HTML; the PDF on one worker and on two; a cold build (no numbers of
an earlier build) and a warm one (``--force`` with them); peak memory. On the
smallest size, the cost of link notes: the same kind of text with 0, 5 and 15 link
notes a page, PDF only; and a page of about 15 link notes against the
same page without them (the same print HTML, its notes taken out). Then link-dense
books and link lists, PDF only, one run each, with the notes' rule read back from
the PDF (tests/notecheck.py).

Every measurement runs its command as a subprocess and reads its wall time and
its peak resident memory (``ru_maxrss`` from ``os.wait4``: the largest single
process of the tree). A and B of each comparison run alternately, so drift on
the machine hits both; the table shows medians. Output goes to ``bench-out/``.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench-out"
PYTHON = sys.executable
#: Words per A5 page in folio's print layout (measured: see ``calibrate``).
WORDS_PER_PAGE = 250
#: Pages per generated chapter.
PAGES_PER_CHAPTER = 10

_WORDS = ("the a of and to in is that it for as with was on by be at this from or an "
          "which are book page text reader author type set line note link print screen "
          "chapter paragraph margin measure letter serif ink paper proof edition press "
          "quiet careful long short small bright early late simple plain clear open "
          "makes reads holds shows keeps turns follows gives takes sets finds builds "
          "between under over through about against before after during without").split()
_SITES = ["https://example.org/{}", "https://docs.example.com/guide/{}",
          "https://www.example.net/articles/{}/index.html", "https://example.edu/~press/{}"]


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(_WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraph(rng: random.Random, state: dict) -> tuple[str, int]:
    """A paragraph of 60-120 words with a link (``state["density"]``: link notes a
    page, about 2 if not given) and, now and then, a footnote."""
    sentences, count = [], 0
    while count < rng.randint(60, 120):
        n = rng.randint(8, 22)
        sentences.append(_sentence(rng, n))
        count += n
    density = state.get("density")
    links = (1 if rng.random() < 0.7 else 0) if density is None else \
        int(density * count / WORDS_PER_PAGE + rng.random())
    for _ in range(links):
        state["links"] += 1
        url = rng.choice(_SITES).format(f"topic-{state['links']}")
        sentences.insert(rng.randrange(len(sentences) + 1),
                         f"See [the {rng.choice(_WORDS)} notes]({url}) for more.")
    if rng.random() < 0.25 and state.get("density") != 0:
        state["notes"] += 1
        label = f"n{state['notes']}"
        sentences.append(f"A remark follows.[^{label}]")
        state["pending"].append(f"[^{label}]: {_sentence(rng, rng.randint(10, 30))}")
    return " ".join(sentences), count


def _table(rng: random.Random) -> str:
    rows = ["| Item | Count | Note |", "|---|---:|---|"]
    for index in range(rng.randint(4, 8)):
        rows.append(f"| {rng.choice(_WORDS)} {index} | {rng.randint(1, 999)} | "
                    f"{_sentence(rng, 4)} |")
    return "\n".join(rows)


def _code(rng: random.Random) -> str:
    lines = ["```python"]
    for index in range(rng.randint(5, 12)):
        lines.append(f"def {rng.choice(_WORDS)}_{index}(value):\n    return value * {index}")
    return "\n".join(lines + ["```"])


def chapter_text(number: int, words: int, seed: int = 0, density: float | None = None) -> str:
    """One chapter of about ``words`` words: sections, links, notes, tables, code
    (``density``: link notes a page; with 0 no footnotes either)."""
    rng = random.Random(seed * 10_000 + number)
    state = {"links": number * 1000, "notes": number * 1000, "pending": [],
             "density": density}
    parts = [f"# Chapter {number}: {_sentence(rng, 3)[:-1]} {{#chapter-{number}}}"]
    written, section = 0, 0
    while written < words:
        if written >= section * 800:
            section += 1
            parts.append(f"## Section {number}.{section}")
        roll = rng.random()
        if roll < 0.06:
            parts.append(_table(rng))
            written += 40
        elif roll < 0.11:
            parts.append(_code(rng))
            written += 40
        elif roll < 0.14:
            parts.append("> " + _sentence(rng, 30))
            written += 30
        elif roll < 0.17 and number > 1:
            parts.append(f"As shown in [chapter {number - 1}](#chapter-{number - 1}), "
                         + _sentence(rng, 20))
            written += 25
        else:
            text, count = _paragraph(rng, state)
            parts.append(text)
            written += count
    parts.extend(state["pending"])
    return "\n\n".join(parts) + "\n"


def generate_book(folder: Path, pages: int, seed: int = 0,
                  density: float | None = None) -> Path:
    """Write a book folder of about ``pages`` A5 pages; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "book.yaml").write_text(
        f"title: A Generated Book of {pages} Pages\nauthor: The Benchmark\nlang: en\n"
        "date: 2026-11-26\npublisher: folio\n", encoding="utf-8")
    chapters = max(1, round(pages / PAGES_PER_CHAPTER))
    per_chapter = pages * WORDS_PER_PAGE // chapters
    for number in range(1, chapters + 1):
        (folder / f"{number:03d}.md").write_text(
            chapter_text(number, per_chapter, seed, density), encoding="utf-8")
    return folder


# --- measuring ------------------------------------------------------------------------------

#: Runs a command as its own child and writes that child's ``ru_maxrss`` to a file.
#: A child started from the benchmark's own process (which grows to gigabytes while
#: it renders print HTML) would report the benchmark's size: Linux counts the
#: parent's pages, shared until ``exec``, in the child's peak. Started from this
#: small launcher, a command's peak is its own.
_LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(commands: list[list[str]], env: dict | None = None) -> tuple[float, int]:
    """Run ``commands`` one after the other; return wall seconds and the peak RSS (MB)
    of the largest process among them (``ru_maxrss`` of each, via ``os.wait4``)."""
    started = time.perf_counter()
    peak = 0
    report = OUT / "maxrss.txt"
    for command in commands:
        process = subprocess.run([PYTHON, "-c", _LAUNCHER, str(report), *command],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env={**os.environ, **(env or {})}, check=False)
        if process.returncode != 0:
            raise SystemExit(f"failed ({process.returncode}): {' '.join(command)}")
        peak = max(peak, int(report.read_text()))
    return time.perf_counter() - started, peak // 1024


def alternate(runs: int, **variants) -> dict[str, tuple[float, int]]:
    """Run each variant ``runs`` times, A B A B …; return median seconds and peak MB."""
    seen: dict[str, list[tuple[float, int]]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, action in variants.items():
            seen[name].append(action())
    return {name: (statistics.median(t for t, _ in values),
                   round(statistics.median(m for _, m in values)))
            for name, values in seen.items()}


def pandoc() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


def weasyprint_cli() -> str:
    return str(Path(PYTHON).parent / "weasyprint")


def plain_commands(book: Path, out: Path) -> list[list[str]]:
    """Plain pandoc's three commands for EPUB, HTML and (via WeasyPrint) PDF."""
    chapters = [str(p) for p in sorted(book.glob("*.md"))]
    meta = ["--metadata-file", str(book / "book.yaml")]
    return [[pandoc(), *meta, *chapters, "-o", str(out / "plain.epub")],
            [pandoc(), "-s", *meta, *chapters, "-o", str(out / "plain.html")],
            [pandoc(), "-s", *meta, *chapters, "-o", str(out / "plain-print.html")],
            [weasyprint_cli(), str(out / "plain-print.html"), str(out / "plain.pdf")]]


#: folio as it was when the benchmark started (see ``snapshot_code``).
CODE = OUT / "code"


def snapshot_code() -> None:
    """Copy folio's code and templates aside, so edits made while the benchmark runs
    change neither what is measured nor the cache keys (they hash folio's code)."""
    shutil.rmtree(CODE, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO / "folio", CODE / "folio", ignore=ignore)
    shutil.copytree(REPO / "templates", CODE / "templates", ignore=ignore)
    shutil.copy(REPO / "build.py", CODE / "build.py")
    # Compiled, as an installed folio is (``make`` compiles the repository's).
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(CODE / "folio")], check=True)


def folio_command(book: Path, out: Path, *extra: str) -> list[str]:
    return [PYTHON, str(CODE / "build.py"), str(book), "-o", str(out), "-q", *extra]


def dump_print_html(book: Path, folder: Path) -> Path:
    """Our print HTML for ``book`` (whole, as laid out in one piece) with its fonts and
    images beside it."""
    sys.path.insert(0, str(CODE))
    from folio.diagnostics import Reporter
    from folio.formats.base import FONTS_DIR, Output
    from folio.formats.pdf import PdfBuilder
    from folio.formats.render import render_pieces
    from folio.pipeline import read_book
    from folio.templates import make_environment

    document = read_book(book, Reporter())
    builder = PdfBuilder()
    fragments = render_pieces(builder.pieces(document, {}), document.api_version, str(book))
    output = Output(folder, document.source.slug, make_environment(document.root))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(FONTS_DIR, folder / "fonts", dirs_exist_ok=True)
    for image in document.images.values():
        (folder / "images").mkdir(exist_ok=True)
        shutil.copy(image.path, folder / "images" / image.name)
    target = folder / "print.html"
    target.write_text(builder.print_html(document, fragments, output), encoding="utf-8")
    return target


def touch_chapter(book: Path, run: int) -> None:
    """A paragraph added at the end of the first chapter: its page count may change,
    and with it every later page's number."""
    chapter = sorted(book.glob("*.md"))[0]
    chapter.write_text(chapter.read_text(encoding="utf-8") + f"\nEdit number {run}.\n",
                       encoding="utf-8")


def touch_word(book: Path, run: int) -> None:
    """One word of the middle chapter changed (a typo fixed): the lines of one
    paragraph move, no page break does (as a rule)."""
    files = sorted(book.glob("*.md"))
    chapter = files[len(files) // 2]
    text = chapter.read_text(encoding="utf-8")
    old, new = (" page ", " sheet ") if run % 2 == 0 else (" sheet ", " page ")
    chapter.write_text(text.replace(old, new, 1), encoding="utf-8")


def bench_book(pages: int, runs: int) -> list[tuple[str, ...]]:
    folder = OUT / f"book-{pages}"
    shutil.rmtree(folder, ignore_errors=True)
    book = generate_book(folder / f"bench-{pages}", pages)
    out_folio, out_plain = folder / "dist", folder / "plain"
    out_plain.mkdir(parents=True)
    parts_cache = out_folio / ".folio-cache" / "pdf" / book.name
    print(f"## {pages} pages: building …", file=sys.stderr, flush=True)

    def cold(*extra: str, env: dict | None = None):
        shutil.rmtree(parts_cache, ignore_errors=True)  # no numbers of an earlier build
        return measure([folio_command(book, out_folio, "--force", *extra)], env)

    # A first build, not measured: every measured full build has the numbers of an
    # earlier one, as a rebuild has (the build from nothing has a row of its own).
    # With one run, the full build used to be the first one: a build from nothing.
    measure([folio_command(book, out_folio)])
    # The rebuilds alternate with the full build they are compared with (and with
    # plain pandoc): each ratio is of runs taken a minute apart, not of runs apart
    # by the build from nothing and whatever the machine did meanwhile. Each edit
    # follows a full build, which laid out every part, as a first edit does.
    edits, words = iter(range(1_000_000)), iter(range(1_000_000))
    full = alternate(
        runs, folio=lambda: measure([folio_command(book, out_folio, "--force")]),
        plain=lambda: measure(plain_commands(book, out_plain)),
        nothing=lambda: measure([folio_command(book, out_folio)]),
        chapter=lambda: (touch_chapter(book, next(edits)),
                         measure([folio_command(book, out_folio)]))[1],
        word=lambda: (touch_word(book, next(words)),
                      measure([folio_command(book, out_folio)]))[1])
    first = alternate(runs, cold=cold)
    print_html = dump_print_html(book, folder / "print")
    pdf = alternate(
        runs,
        two=lambda: measure([folio_command(book, out_folio, "--force", "--format", "pdf")],
                            {"FOLIO_LAYOUT_WORKERS": "2"}),
        one=lambda: measure([folio_command(book, out_folio, "--force", "--format", "pdf")],
                            {"FOLIO_LAYOUT_WORKERS": "1"}),
        weasy=lambda: measure([[weasyprint_cli(), "--pdf-variant", "pdf/ua-1",
                                str(print_html), str(folder / "print" / "alone.pdf")]]))
    pages_out = _pdf_pages(out_folio / book.name / f"{book.name}.pdf")
    plain_pages = _pdf_pages(out_plain / "plain.pdf")
    per_page = pdf["two"][0] / max(1, int(pages_out) if pages_out.isdigit() else pages)
    PER_PAGE[pages] = per_page
    MEMORY[pages] = full["folio"][1]
    WEASY_MEMORY[pages] = pdf["weasy"][1]

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}"

    rows = [
        (f"full build, 3 formats ({pages_out} p.; pandoc's PDF: {plain_pages} p.)",
         f"{full['folio'][0]:.1f} s", f"{full['plain'][0]:.1f} s",
         f"{ratio(full['folio'][0], full['plain'][0])} (target ≤ 0.8)"),
        ("full build from nothing (no numbers of an earlier build) vs with them",
         f"{first['cold'][0]:.1f} s", f"{full['folio'][0]:.1f} s",
         ratio(first['cold'][0], full['folio'][0])),
        ("PDF only, 2 workers: `--format pdf` vs WeasyPrint alone on our print HTML",
         f"{pdf['two'][0]:.1f} s", f"{pdf['weasy'][0]:.1f} s",
         f"{ratio(pdf['two'][0], pdf['weasy'][0])} (target ≤ 0.7)"),
        ("PDF only: 2 workers vs 1 worker", f"{pdf['two'][0]:.1f} s", f"{pdf['one'][0]:.1f} s",
         ratio(pdf['two'][0], pdf['one'][0])),
        ("peak memory: full build vs WeasyPrint alone on our print HTML",
         f"{full['folio'][1]} MB", f"{pdf['weasy'][1]} MB",
         f"{ratio(full['folio'][1], pdf['weasy'][1])} (target ≤ 1.2)"),
        ("peak memory: full build vs plain pandoc's commands",
         f"{full['folio'][1]} MB", f"{full['plain'][1]} MB",
         ratio(full['folio'][1], full['plain'][1])),
        ("rebuild, nothing changed (vs full build)", f"{full['nothing'][0]:.2f} s",
         f"{full['folio'][0]:.1f} s",
         f"{ratio(full['nothing'][0], full['folio'][0])} (target ≤ 0.05)"),
        ("rebuild, one chapter changed: a paragraph added to chapter 1 (vs full build)",
         f"{full['chapter'][0]:.1f} s", f"{full['folio'][0]:.1f} s",
         f"{ratio(full['chapter'][0], full['folio'][0])} (target ≤ 0.25)"),
        ("rebuild, one chapter changed: a word in the middle chapter (vs full build)",
         f"{full['word'][0]:.1f} s", f"{full['folio'][0]:.1f} s",
         f"{ratio(full['word'][0], full['folio'][0])} (target ≤ 0.25)"),
        ("PDF time per page, 2 workers", f"{per_page * 1000:.0f} ms", "", ""),
    ]
    return [(f"{pages} p.", *row) for row in rows]


#: PDF seconds per page and peak memory (MB) of each size, for the summary rows.
PER_PAGE: dict[int, float] = {}
MEMORY: dict[int, int] = {}
WEASY_MEMORY: dict[int, int] = {}


def bench_density(pages: int, densities: list[float], runs: int) -> list[tuple[str, ...]]:
    """The same kind of text with ``densities`` link notes a page: PDF only, 2 workers."""
    times = {}
    for density in densities:
        folder = OUT / f"density-{density:g}"
        shutil.rmtree(folder, ignore_errors=True)
        book = generate_book(folder / f"notes-{density:g}", pages, density=density)
        result = alternate(runs, pdf=lambda book=book, folder=folder: measure(
            [folio_command(book, folder / "dist", "--force", "--format", "pdf")]))
        count = _pdf_pages(folder / "dist" / book.name / f"{book.name}.pdf")
        times[density] = (result["pdf"][0], count)
    base = times[densities[0]][0]
    return [(f"{pages} p.", f"PDF only, {density:g} link notes a page ({count} p.)",
             f"{seconds:.1f} s", f"{base:.1f} s", f"{seconds / base:.2f}"
             + (" (target ≤ 1.5)" if density == max(densities) else ""))
            for density, (seconds, count) in times.items()]


#: A link note in the print HTML as folio writes it for a generated book's links.
_LINK_NOTE = re.compile(r'<span class="footnote link-note"[^>]*><span class="url">.*?</span></span>')
#: Lay one HTML file out with folio's engine (WeasyPrint with folio's fixes), as the
#: layout's worker does; argv: code folder, HTML, PDF.
_LAY_OUT = """
import sys
sys.path.insert(0, sys.argv[1])
from folio.formats.pdf import weasyprint_fixes
weasyprint_fixes.apply()
import weasyprint
weasyprint.HTML(filename=sys.argv[2]).write_pdf(sys.argv[3], pdf_variant="pdf/ua-1")
"""


def bench_note_cost(pages: int, density: float, runs: int) -> list[tuple[str, ...]]:
    """What a page of link notes costs: a book with ``density`` links a page of text
    (so that a printed page carries about 15 notes), laid out in one piece by folio's
    engine, against the same print HTML with its link notes taken out (the same text,
    the same links, no notes); both in one process, so the parts play no role."""
    folder = OUT / f"note-cost-{density:g}"
    shutil.rmtree(folder, ignore_errors=True)
    book = generate_book(folder / "notes", pages, density=density)
    with_notes = dump_print_html(book, folder / "print")
    text = with_notes.read_text(encoding="utf-8")
    notes = len(_LINK_NOTE.findall(text))
    without = with_notes.with_name("without-notes.html")
    without.write_text(_LINK_NOTE.sub("", text), encoding="utf-8")
    assert "link-note" not in without.read_text(encoding="utf-8")
    result = alternate(runs, **{
        name: lambda html=html, name=name: measure(
            [[PYTHON, "-c", _LAY_OUT, str(CODE), str(html), str(folder / f"{name}.pdf")]])
        for name, html in (("notes", with_notes), ("plain", without))})
    counts = {name: int(_pdf_pages(folder / f"{name}.pdf")) for name in result}
    per_page = {name: result[name][0] / counts[name] for name in result}
    label = f"{pages} p. of text"
    return [
        (label, f"PDF layout, a page with link notes ({notes / counts['notes']:.1f} a page "
         f"on average, {counts['notes']} p.) vs a page of the same HTML without them "
         f"({counts['plain']} p.), time per page",
         f"{per_page['notes'] * 1000:.0f} ms", f"{per_page['plain'] * 1000:.0f} ms",
         f"{per_page['notes'] / per_page['plain']:.2f} (target ≤ 1.5)"),
        (label, f"the same, whole text: {notes} link notes vs none",
         f"{result['notes'][0]:.1f} s", f"{result['plain'][0]:.1f} s",
         f"{result['notes'][0] / result['plain'][0]:.2f}"),
    ]


def bench_link_notes(dense_pages: list[int], lists: list[int]) -> list[tuple[str, ...]]:
    """The link notes' rule and cost on link-dense books (tests/fixtures/pdf/linkbooks:
    1 to 25 notes a page, headings with links, page references) of about
    ``dense_pages`` pages and on lists of ``lists`` links: PDF only, 2 workers, one
    run each; the PDF read back by tests/notecheck.py (pdfminer), not by the code
    that made it. With FOLIO_BENCH_AS_RELEASED=1, the smallest dense book also with
    WeasyPrint as released (``weasyprint_fixes.AS_RELEASED``)."""
    sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "fixtures" / "pdf")]
    import linkbooks
    from notecheck import read_pdf, rule_violations

    books = [(f"{pages} p. dense", linkbooks.dense_book(chapters=max(1, round(pages / 15))),
              {}) for pages in dense_pages]
    if dense_pages and os.environ.get("FOLIO_BENCH_AS_RELEASED") == "1":
        books.insert(1, (f"{dense_pages[0]} p. dense", books[0][1],
                         {"FOLIO_WEASYPRINT_AS_RELEASED": "1"}))
    books += [(f"{links:,} links", linkbooks.link_list(links), {}) for links in lists]
    rows = []
    for index, (label, manuscript, env) in enumerate(books):
        folder = OUT / f"notes-{index}"
        shutil.rmtree(folder, ignore_errors=True)
        book = folder / "book"
        book.mkdir(parents=True)
        (book / "book.md").write_text(manuscript.text(), encoding="utf-8")
        try:
            seconds, peak = measure([folio_command(book, folder / "dist", "--format", "pdf")],
                                    env)
        except SystemExit as failed:
            rows.append((label, f"PDF only: {failed}", "failed", "", ""))
            continue
        pages = read_pdf(folder / "dist" / "book" / "book.pdf")
        found = rule_violations(pages, manuscript.urls)
        notes = sum(len(page.notes) for page in pages)
        counts = ", ".join(f"{len(v)} {k.replace('_', ' ')}" for k, v in found.items())
        released = " (WeasyPrint as released)" if env else ""
        rows.append((label, f"PDF only{released}: {len(pages)} p., {notes} of "
                     f"{len(manuscript.urls)} notes printed; {counts}",
                     f"{seconds:.1f} s", f"{peak} MB", ""))
    return rows


def bench_one_file(megabytes: float) -> list[tuple[str, ...]]:
    """A manuscript of ``megabytes`` MB in one file (front matter, then the generated
    chapters), all three formats, default limits, one run."""
    folder = OUT / f"one-file-{megabytes:g}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    manuscript = folder / "long.md"
    chunks, size, number = ["---\ntitle: One Long File\nauthor: The Benchmark\nlang: en\n---\n"], 0, 0
    while size < megabytes * 1_000_000:
        number += 1
        chunks.append(chapter_text(number, PAGES_PER_CHAPTER * WORDS_PER_PAGE))
        size += len(chunks[-1].encode("utf-8"))
    manuscript.write_text("\n\n".join(chunks), encoding="utf-8")
    print(f"## one file of {megabytes:g} MB: building …", file=sys.stderr, flush=True)
    label = f"{manuscript.stat().st_size / 1e6:.1f} MB, one file"
    try:
        seconds, peak = measure([folio_command(manuscript, folder / "dist")])
    except SystemExit as failed:
        return [(label, f"full build, 3 formats, default limits: {failed}", "failed", "", "")]
    pages = _pdf_pages(folder / "dist" / "long" / "long.pdf")
    return [(label, f"full build, 3 formats, default limits ({number} chapters, {pages} p.)",
             f"{seconds:.1f} s", f"{peak} MB", "")]


def _pdf_pages(pdf: Path) -> str:
    try:
        from pypdf import PdfReader
        return str(len(PdfReader(pdf).pages))
    except Exception:  # noqa: BLE001 - the count is only a label
        return "?"


def main() -> int:
    sizes = [int(s) for s in os.environ.get("FOLIO_BENCH_PAGES", "150,600,2500").split(",")]
    # One count for every size, or one per size ("3,1,1": medians of three where a
    # run takes a minute, one run where it takes a quarter of an hour).
    counts = [int(n) for n in os.environ.get("FOLIO_BENCH_RUNS", "3").split(",")]
    runs_of = dict(zip(sizes, counts if len(counts) == len(sizes) else counts[:1] * len(sizes)))
    runs = runs_of[min(sizes)]  # the smallest book's, for the rows made of it
    densities = [float(d) for d in os.environ.get("FOLIO_BENCH_DENSITY", "0,5,15").split(",")
                 if d]
    dense = [int(p) for p in os.environ.get("FOLIO_BENCH_NOTES", "70,300,600").split(",") if p]
    lists = [int(n) for n in os.environ.get("FOLIO_BENCH_LISTS", "2000,10000").split(",") if n]
    OUT.mkdir(exist_ok=True)
    snapshot_code()
    rows = []

    def found(new_rows: list) -> None:  # as they come, in case a long run is stopped
        rows.extend(new_rows)
        for row in new_rows:
            print("| " + " | ".join(row) + " |", file=sys.stderr, flush=True)

    for pages in sizes:
        found(bench_book(pages, runs_of[pages]))
    if densities:
        found(bench_density(min(sizes), densities, runs))
    note_density = float(os.environ.get("FOLIO_BENCH_NOTE_COST", "45") or 0)
    if note_density:
        found(bench_note_cost(min(sizes), note_density, runs))
    found(bench_link_notes(dense, lists))
    one_file = float(os.environ.get("FOLIO_BENCH_ONE_FILE_MB", "5") or 0)
    if one_file:
        found(bench_one_file(one_file))
    smallest, largest = min(sizes), max(sizes)
    if largest != smallest:
        rows.append((f"{largest} p.", "PDF time per page vs at the smallest size",
                     f"{PER_PAGE[largest] * 1000:.0f} ms", f"{PER_PAGE[smallest] * 1000:.0f} ms",
                     f"{PER_PAGE[largest] / PER_PAGE[smallest]:.2f} (target ≤ 1.2)"))
    for pages in sizes:
        rows.append((f"{pages} p.", f"peak memory vs WeasyPrint alone on the {smallest}-page "
                     "book", f"{MEMORY[pages]} MB", f"{WEASY_MEMORY[smallest]} MB",
                     f"{MEMORY[pages] / WEASY_MEMORY[smallest]:.2f} (target ≤ 1.2)"))
    each = ", ".join(f"{runs_of[pages]} at {pages} p." for pages in sizes)
    print(f"\nMedians of runs, A and B alternating ({each}; {runs} for the rows of link "
          f"notes); {os.cpu_count()} cores; peak memory is the largest process's "
          "ru_maxrss.\n")
    print("| book | measurement | folio | other | ratio |")
    print("|---|---|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
