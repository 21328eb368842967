"""The pipeline: load -> parse -> check -> transform -> render -> package.

``read_book`` does everything up to a ``Document`` (this is all ``check``
needs); ``build_book`` renders every requested format from it, with a single
pandoc run for all formats' HTML fragments and the PDF laid out in parallel
with the rest.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from pathlib import Path

from .ast import stringify
from .book import load_book
from .checks import run_checks
from .diagnostics import BuildError, Reporter
from .document import Document
from .formats import BUILDERS
from .formats.base import Output
from .language import FALLBACK_LANGUAGE, detect_language
from .metadata import complete_metadata, read_metadata
from .parse import parse_markdown, unwrap_positions
from .render import render_pieces
from .templates import make_environment
from .transforms import transform_book
from .transforms.structure import first_heading_title

#: Labels of the download links on the reading page.
DOWNLOAD_LABELS = {"pdf": "PDF", "epub": "EPUB"}


@dataclasses.dataclass
class BookResult:
    """What building one book produced."""

    display: str
    #: Format name -> written file.
    outputs: dict[str, Path]
    #: Stage name -> seconds.
    timings: dict[str, float]


def read_book(source: str | Path, reporter: Reporter) -> tuple[Document, list]:
    """Load, parse, check and transform one book; return it and pandoc's API version."""
    book = load_book(source)
    parsed = [parse_markdown(file) for file in book.files]
    api_version = parsed[0]["pandoc-api-version"]
    wrapped = [document["blocks"] for document in parsed]
    run_checks(book, wrapped, reporter)
    blocks = [unwrap_positions(file_blocks) for file_blocks in wrapped]

    clean = read_metadata(book.metadata, reporter)
    first = book.files[0]
    title = clean.get("title", "")
    if not title:
        title, line = first_heading_title(blocks[0])
        if title:
            reporter.warn(first.display, line or first.body_line, f"no title in the "
                          f"metadata; the first heading '{title}' is used", "no-title")
        else:
            title = Path(book.display).stem.replace("-", " ").replace("_", " ").strip()
            reporter.warn(first.display, first.body_line, f"no title in the metadata and no "
                          f"heading; the file name '{title}' is used", "no-title")
    lang = clean.get("lang") or clean.get("language") or ""
    detected = False
    if not lang:
        detected = True
        lang = detect_language(stringify(blocks)) or ""
        if lang:
            reporter.warn(first.display, first.body_line, f"no language in the metadata; "
                          f"'{lang}' was assumed from the text (add 'lang: {lang}')",
                          "assumed-language")
        else:
            lang = FALLBACK_LANGUAGE
            reporter.warn(first.display, first.body_line, "no language in the metadata and "
                          f"too little text to tell; '{lang}' was assumed", "assumed-language")
    metadata = complete_metadata(clean, title, lang, detected)
    return transform_book(book, blocks, metadata, reporter), api_version


def build_book(source: str | Path, outdir: Path, formats: list[str], reporter: Reporter,
               strict: bool = False, options: dict | None = None) -> BookResult:
    """Build ``formats`` of one book into ``outdir/<slug>/``.

    ``options`` come from the command line (``print``, ``page_size``) and reach
    every builder through ``Output.options``.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    warnings_before = reporter.count("warning")
    document, api_version = read_book(source, reporter)
    timings["read"] = time.perf_counter() - started
    if strict and reporter.count("warning") > warnings_before:
        raise BuildError(document.source.display, "warnings are errors with --strict; "
                         "nothing was written", code="strict")

    builders = [BUILDERS[name]() for name in formats]
    all_pieces, spans = [], []
    for builder in builders:
        pieces = builder.pieces(document)
        spans.append((len(all_pieces), len(pieces)))
        all_pieces.extend(pieces)
    started = time.perf_counter()
    fragments = render_pieces(all_pieces, api_version, document.source.display)
    timings["render"] = time.perf_counter() - started

    slug = document.source.slug
    downloads = [{"label": DOWNLOAD_LABELS[name], "href": f"{slug}.{name}"}
                 for name in formats if name in DOWNLOAD_LABELS]
    output = Output(outdir / slug, slug, make_environment(document.root), downloads,
                    dict(options or {}))
    outputs: dict[str, Path] = {}

    def run(index: int):
        builder = builders[index]
        start, count = spans[index]
        began = time.perf_counter()
        path = builder.write(document, fragments[start:start + count], output)
        return builder.name, path, time.perf_counter() - began

    # The PDF layout is the long pole: start it first, write the others meanwhile.
    order = sorted(range(len(builders)), key=lambda i: builders[i].name != "pdf")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run, index) for index in order]
        for future in futures:
            name, path, seconds = future.result()
            outputs[name] = path
            timings[name] = seconds
    return BookResult(document.source.display, outputs, timings)


def discover_books(content: Path) -> list[Path]:
    """Every book in a content folder: Markdown files and book folders, by name."""
    if not content.is_dir():
        return []
    books = []
    for entry in sorted(content.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_file() and entry.suffix.lower() in (".md", ".markdown"):
            books.append(entry)
        elif entry.is_dir() and any(entry.glob("*.md")):
            books.append(entry)
    return books
