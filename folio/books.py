"""Books: the books a command names, those whose outputs the cache still vouches
for, and the building (or checking) of the others, one after the other or in a
process pool.

The pipeline (``folio.pipeline``: read, transform, render, write) and with it the
builders, their libraries and the templates are imported only when a book is to be
built or checked: a rebuild with nothing changed answers from the cache without
them (the 150-page bench book: 0.25-0.28 s -> 0.12-0.14 s, two thirds of it
Python's start and the imports that remain).
"""

from __future__ import annotations

import os
import queue
from pathlib import Path

from .book import BookSource, is_book_folder_collection, load_book
from .cache import BookResult, BuildCache, diagnostics_of
from .diagnostics import BuildError, Diagnostic, Progress, Reporter
from .outputs import remove_stale
from .sandbox import can_fork, remove_stale_scratch


def build_books(sources: list[Path], outdir: Path, formats: list[str], reporter: Reporter,
                strict: bool = False, options: dict | None = None, force: bool = False,
                progress: Progress | None = None, jobs: int | None = None
                ) -> list[BookResult | None]:
    """Build several books: in a process pool when more than one needs building.

    Every book is loaded once, here; one whose inputs are unchanged is answered from
    the cache. Returns one result per source (None for a book that failed; its error
    is in ``reporter``). ``force`` ignores the cache (and rewrites it).
    """
    remove_stale_scratch()  # what a killed build left in the temporary folder
    remove_stale(outdir)    # … and in the output folder
    cache = BuildCache(outdir, force=force)
    options = dict(options or {})
    results: list[BookResult | None] = [None] * len(sources)
    stale: list[tuple[int, BookSource, str]] = []
    #: slug -> (index, book) of the first book that writes to ``outdir/slug``.
    claimed: dict[str, tuple[int, BookSource]] = {}
    twins: list[tuple[int, int]] = []
    for index, source in enumerate(sources):
        book = _guarded(source, reporter, load_book, source)
        if book is None:
            continue
        if book.slug in claimed:
            first, other = claimed[book.slug]
            if [f.path for f in other.files] == [f.path for f in book.files]:
                reporter.warn(book.display, 0, f"is the book '{other.display}' named again; "
                              "it is built once", "duplicate-book")
                twins.append((index, first))
            else:
                reporter.error(book.display, 0, f"its outputs would go to "
                               f"'{outdir / book.slug}', where those of '{other.display}' go; "
                               "it is not built: rename one of them, or build them into "
                               "different output folders (-o)", "duplicate-book")
            continue
        claimed[book.slug] = (index, book)
        key = cache.key(book, formats, options)
        entry = cache.lookup(book.slug, key, formats)
        if entry is None:
            stale.append((index, book, key))
        else:
            results[index] = _guarded(source, reporter, _from_cache, book, entry, cache,
                                      reporter, strict, progress)
    _build_stale(stale, results, outdir, formats, reporter, strict, options, force,
                 progress, jobs, cache)
    for index, first in twins:
        results[index] = results[first]
    return results


def _build_stale(stale: list, results: list, outdir: Path, formats: list[str],
                 reporter: Reporter, strict: bool, options: dict, force: bool,
                 progress: Progress | None, jobs: int | None, cache: BuildCache) -> None:
    """Build the books not answered from the cache, into ``results``: one after the
    other, or in a process pool when there are several and the system can fork."""
    if not stale:
        return
    from .pipeline import build_book  # the builders, WeasyPrint's caller, the templates
    jobs = min(jobs or os.cpu_count() or 1, len(stale))
    cores = os.cpu_count() or 1
    # The cores a book's layout may use: those the books built at once leave it.
    options = dict(options, layout_workers=layout_workers(cores, jobs), fresh=force)
    if jobs <= 1 or not can_fork():
        for index, book, key in stale:
            results[index] = _guarded(book.display, reporter, build_book, book, outdir,
                                      formats, reporter, strict, options, cache, key, progress)
        return
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("fork")
    events = context.Queue()
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context,
                                                initializer=_worker_init,
                                                initargs=(events,)) as pool:
        futures = {pool.submit(_worker_build, book, outdir, formats, strict, options, force,
                               key): index for index, book, key in stale}
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=0.05)
            _drain(events, reporter, progress)
            for future in done:
                results[futures[future]] = future.result()
        _drain(events, reporter, progress)


def layout_workers(cores: int, books_at_once: int) -> int:
    """Processes one book's PDF layout may use: ``FOLIO_LAYOUT_WORKERS`` if set, else
    the cores not taken by the other books built at the same time."""
    try:
        wanted = int(os.environ.get("FOLIO_LAYOUT_WORKERS", ""))
    except ValueError:
        wanted = 0
    return wanted if wanted > 0 else max(1, cores // max(1, books_at_once))


def _from_cache(book: BookSource, entry, cache: BuildCache, reporter: Reporter,
                strict: bool, progress: Progress | None) -> BookResult:
    """The result of a book whose outputs are still good; its diagnostics again."""
    warnings_before = reporter.count("warning")
    for diagnostic in diagnostics_of(entry):
        reporter.add(diagnostic)
    if strict and reporter.count("warning") > warnings_before:
        raise BuildError(book.display, "warnings are errors with --strict; nothing was "
                         "written", code="strict")
    if progress is not None:
        progress(book.display, "cached", 0.0)
    return BookResult(book.display, {name: cache.outdir / path
                                     for name, path in entry.outputs.items()}, {}, cached=True)


def check_books(sources: list[Path], reporter: Reporter, links=None) -> int:
    """Read (parse, check, transform) every book, writing nothing; return failures.

    With ``links`` (a ``folio.linkcheck.LinkChecker``) the targets of external
    links are asked over the network too."""
    from .formats import BUILDERS
    from .linkcheck import check_links
    from .pipeline import read_book

    def check(source):
        document = read_book(source, reporter)
        for builder_class in BUILDERS.values():  # what the formats would tell a build
            builder = builder_class()
            builder.pieces(document, {})
            for diagnostic in builder.diagnostics:
                reporter.add(diagnostic)
        if links is not None:
            check_links(document, reporter, links)
        return document

    return sum(_guarded(source, reporter, check, source) is None for source in sources)


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


def _worker_build(book: BookSource, outdir: Path, formats, strict, options, force, key):
    """In a pool worker: build one book, sending diagnostics and progress back."""
    from .pipeline import build_book
    reporter = Reporter()
    reporter.listeners.append(lambda d: _events.put(("diagnostic", d)))
    progress = lambda *event: _events.put(("progress", event))  # noqa: E731
    return _guarded(book.display, reporter, build_book, book, outdir, formats, reporter,
                    strict, options, BuildCache(outdir, force=force), key, progress)


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


def expand_sources(sources: list[Path]) -> list[Path]:
    """The books named on the command line: a folder of books (``content/``) stands
    for every book in it; a manuscript or a book folder for itself."""
    books: list[Path] = []
    for source in sources:
        if is_book_folder_collection(source):
            books.extend(discover_books(source))
        else:
            books.append(source)
    return books


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
