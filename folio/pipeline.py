"""The pipeline: load -> parse -> check -> transform -> render -> package.

``read_book`` does everything up to a ``Document`` (this is all ``check``
needs); ``build_book`` renders every requested format from it, with a single
pandoc run for all formats' HTML fragments and the PDF laid out in parallel
with the rest.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import multiprocessing
import os
import pickle
import queue
import time
from collections.abc import Callable
from pathlib import Path

from .ast import stringify
from .book import load_book
from .cache import BuildCache, diagnostics_of
from .checks import run_checks
from .diagnostics import BuildError, Diagnostic, Reporter
from .document import Document
from .formats import BUILDERS
from .formats.base import Output
from .language import FALLBACK_LANGUAGE, detect_language
from .metadata import complete_metadata, read_metadata
from .parallel import run_beside
from .parse import parse_markdown, unwrap_positions
from .outputs import all_or_nothing
from .render import render_pieces
from .sandbox import lean_child
from .safety import guard_manuscript
from .templates import make_environment
from .transforms import transform_book
from .transforms.structure import first_heading_title

#: Labels of the download links on the reading page.
DOWNLOAD_LABELS = {"pdf": "PDF", "epub": "EPUB"}
#: ``progress(book, stage, seconds)``: a stage starts (seconds None) or ends.
Progress = Callable[[str, str, "float | None"], None]


@dataclasses.dataclass
class BookResult:
    """What building one book produced."""

    display: str
    #: Format name -> written file.
    outputs: dict[str, Path]
    #: Stage name -> seconds.
    timings: dict[str, float]
    #: True if nothing was built: the outputs of an earlier build were still good.
    cached: bool = False


def read_book(source: str | Path, reporter: Reporter) -> tuple[Document, list]:
    """Load, parse, check and transform one book; return it and pandoc's API version."""
    book = load_book(source)
    # pandoc runs are processes: parse the files of a book folder side by side.
    with concurrent.futures.ThreadPoolExecutor(min(4, len(book.files))) as pool:
        parsed = list(pool.map(parse_markdown, book.files))
    api_version = parsed[0]["pandoc-api-version"]
    wrapped = [document["blocks"] for document in parsed]
    guard_manuscript(book.files, wrapped, reporter)  # folio.safety: before any recursion
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
               strict: bool = False, options: dict | None = None,
               cache: BuildCache | None = None, progress: Progress | None = None
               ) -> BookResult:
    """Build ``formats`` of one book into ``outdir/<slug>/``.

    ``options`` come from the command line (``print``, ``page_size``) and reach
    every builder through ``Output.options``. With a ``cache``, a book whose
    inputs are unchanged is not built again (its diagnostics are reported again).
    ``progress(book, stage, seconds)`` is called when a stage starts (``seconds``
    is None) and when it ends.
    """
    progress = progress or (lambda book, stage, seconds: None)
    options = dict(options or {})
    display = str(source)
    warnings_before = reporter.count("warning")
    key = slug = None
    if cache is not None:
        try:
            slug, key = cache.key(Path(source), formats, options)
        except BuildError:
            key = None  # the real build reports it
        entry = cache.lookup(slug, key) if key else None
        if entry is not None:
            for diagnostic in diagnostics_of(entry):
                reporter.add(diagnostic)
            if strict and reporter.count("warning") > warnings_before:
                raise BuildError(display, "warnings are errors with --strict; "
                                 "nothing was written", code="strict")
            progress(display, "cached", 0.0)
            return BookResult(display, {name: cache.outdir / path for name, path
                                        in entry.outputs.items()}, {}, cached=True)

    timings: dict[str, float] = {}
    collected: list = []
    reporter.listeners.append(collected.append)
    try:
        # The PDF layout's process is forked now, before the book fills this one.
        with lean_child() if "pdf" in formats else contextlib.nullcontext():
            progress(display, "read", None)
            started = time.perf_counter()
            document, api_version = read_book(source, reporter)
            document = compacted(document)
            timings["read"] = time.perf_counter() - started
            progress(display, "read", timings["read"])
            if strict and reporter.count("warning") > warnings_before:
                raise BuildError(document.source.display, "warnings are errors with "
                                 "--strict; nothing was written", code="strict")
            with all_or_nothing():  # folio.outputs: a failed format leaves every output
                outputs = _write_formats(document, api_version, outdir, formats, options,
                                         timings, progress)
    finally:
        reporter.listeners.remove(collected.append)
    result = BookResult(display, outputs, timings)
    if cache is not None and key:
        cache.store(slug, key, outputs, outdir / document.source.slug, collected,
                    [image.path for image in document.images.values()], timings)
    return result


def compacted(document: Document) -> Document:
    """A copy of ``document`` in fresh memory; the original is freed by the caller.

    Reading a book (pandoc's JSON, the wrapped and unwrapped trees, the checks)
    leaves the heap fragmented: after a 600-page book this process held 548 MB for
    about 100 MB of live objects, and the PDF's process, forked from this one, would
    start from all of it (the layout's is forked earlier: ``sandbox.lean_child``). With the book copied through pickle the old arenas go back to the
    system: 170 MB (measured with bench/bench.py's 600-page book)."""
    return pickle.loads(pickle.dumps(document, pickle.HIGHEST_PROTOCOL))


def _write_formats(document: Document, api_version: list, outdir: Path, formats: list[str],
                   options: dict, timings: dict, progress: Progress) -> dict[str, Path]:
    """Render and write every format; the PDF (the long pole) in a process of its own.

    The PDF's pieces are rendered and laid out in a forked process (threads would
    share one core: WeasyPrint holds the GIL) while this process renders and writes
    the other formats; with the PDF alone, it is made here.
    """
    slug = document.source.slug
    downloads = [{"label": DOWNLOAD_LABELS[name], "href": f"{slug}.{name}"}
                 for name in formats if name in DOWNLOAD_LABELS]
    output = Output(outdir / slug, slug, make_environment(document.root), downloads,
                    options)
    builders = [BUILDERS[name]() for name in formats]
    display = document.source.display

    def build(group: list, report: bool, page_map=lambda: None):
        """Write ``group``; return what was written, and the PDF's page map if the
        PDF was among it (``folio.pagemap``: the EPUB's page list comes from it)."""
        all_pieces, spans = [], []
        for builder in group:
            pieces = builder.pieces(document, options)
            spans.append((len(all_pieces), len(pieces)))
            all_pieces.extend(pieces)
        began = time.perf_counter()
        fragments = render_pieces(all_pieces, api_version, display)
        rendered = time.perf_counter() - began
        done = []
        for builder, (start, count) in zip(group, spans):
            if builder.name == "epub":
                builder.page_map = page_map()  # waits for the PDF's layout
            began = time.perf_counter()
            path = builder.write(document, fragments[start:start + count], output)
            done.append((builder.name, path, time.perf_counter() - began + rendered))
            rendered = 0.0
            if report:  # never from the forked child: its callbacks lead nowhere
                progress(display, builder.name, done[-1][2])
        return done, next((getattr(b, "page_map", None) for b in group if b.name == "pdf"),
                          None)

    slow = [b for b in builders if b.name == "pdf"]
    # The EPUB goes last: its page list waits for the PDF's layout (issue 4).
    rest = sorted((b for b in builders if b.name != "pdf"), key=lambda b: b.name == "epub")
    outputs: dict[str, Path] = {}
    for builder in builders:
        progress(display, builder.name, None)
    background = run_beside(build, slow, False) if slow and rest else None
    from_pdf: list = []

    def pdf_page_map():
        if background is None:
            return None
        if not from_pdf:
            try:
                from_pdf.append(background.result())
            except Exception as error:  # noqa: BLE001 - raised below, after the EPUB
                from_pdf.append(error)
        return None if isinstance(from_pdf[0], Exception) else from_pdf[0][1]

    try:
        finished, _ = build(rest, True, pdf_page_map) if background else build(builders, True)
        if background:
            pdf_page_map()
            if isinstance(from_pdf[0], Exception):
                raise from_pdf[0]
            pdf = from_pdf[0][0]
            for name, _, seconds in pdf:
                progress(display, name, seconds)
            finished = pdf + finished
    except BaseException:
        if background:
            background.cancel()
        raise
    for name, path, seconds in finished:
        timings[name] = seconds
    for builder in builders:
        outputs[builder.name] = next(path for name, path, _ in finished
                                     if name == builder.name)
    return outputs


def build_books(sources: list[Path], outdir: Path, formats: list[str], reporter: Reporter,
                strict: bool = False, options: dict | None = None, force: bool = False,
                progress: Progress | None = None, jobs: int | None = None
                ) -> list[BookResult | None]:
    """Build several books: in a process pool when more than one needs building.

    Returns one result per source (None for a book that failed; its error is in
    ``reporter``). ``force`` ignores the cache (and rewrites it).
    """
    cache = BuildCache(outdir, force=force)
    options = dict(options or {})
    results: list[BookResult | None] = [None] * len(sources)
    # Books whose outputs are still good are answered here; only the rest are built.
    stale = [index for index, source in enumerate(sources)
             if not cache.is_fresh(source, formats, options)]
    for index, source in enumerate(sources):
        if index not in stale:
            results[index] = _build_one(source, outdir, formats, reporter, strict, options,
                                        cache, progress)
    jobs = min(jobs or os.cpu_count() or 1, len(stale))
    if jobs <= 1 or not hasattr(os, "fork"):
        for index in stale:
            results[index] = _build_one(sources[index], outdir, formats, reporter, strict,
                                        options, cache, progress)
        return results
    context = multiprocessing.get_context("fork")
    events = context.Queue()
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context,
                                                initializer=_worker_init,
                                                initargs=(events,)) as pool:
        futures = {pool.submit(_worker_build, str(sources[index]), outdir, formats, strict,
                               options, force): index for index in stale}
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=0.05)
            _drain(events, reporter, progress)
            for future in done:
                results[futures[future]] = future.result()
        _drain(events, reporter, progress)
    return results


def check_books(sources: list[Path], reporter: Reporter, links=None) -> int:
    """Read (parse, check, transform) every book, writing nothing; return failures.

    With ``links`` (a ``folio.linkcheck.LinkChecker``) the targets of external
    links are asked over the network too."""
    def check(source):
        document, _ = read_book(source, reporter)
        if links is not None:
            from .linkcheck import check_links
            check_links(document, reporter, links)
        return document

    return sum(_guarded(source, reporter, check, source) is None for source in sources)


def _build_one(source, outdir, formats, reporter, strict, options, cache,
               progress) -> BookResult | None:
    """Build one book; report a failure as a diagnostic and return None."""
    return _guarded(source, reporter, build_book, source, outdir, formats, reporter, strict,
                    options, cache, progress)


def _guarded(source, reporter: Reporter, function, *args):
    """``function(*args)``, or None with the failure reported as a diagnostic."""
    try:
        return function(*args)
    except BuildError as error:
        reporter.add(error.diagnostic)
    except Exception as error:  # noqa: BLE001 - a clear line instead of a traceback
        if os.environ.get("FOLIO_DEBUG"):
            raise
        reporter.add(Diagnostic(str(source), 0, 0, "error",
                                f"internal error: {type(error).__name__}: {error} "
                                "(set FOLIO_DEBUG=1 for details)", "internal"))
    return None


_events = None


def _worker_init(events) -> None:
    global _events
    _events = events


def _worker_build(source: str, outdir: Path, formats, strict, options, force):
    """In a pool worker: build one book, sending diagnostics and progress back."""
    reporter = Reporter()
    reporter.listeners.append(lambda d: _events.put(("diagnostic", d)))
    progress = lambda *event: _events.put(("progress", event))  # noqa: E731
    return _build_one(Path(source), outdir, formats, reporter, strict, options,
                      BuildCache(outdir, force=force), progress)


def _drain(events, reporter: Reporter, progress: Progress | None) -> None:
    while True:
        try:
            kind, item = events.get_nowait()
        except queue.Empty:
            return
        if kind == "diagnostic":
            reporter.add(item)
        elif progress is not None:
            progress(*item)


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
