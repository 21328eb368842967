"""The pipeline: load -> parse -> check -> transform -> render -> package.

``read_book`` does everything up to a ``Document`` (all that ``check`` needs);
``build_book`` writes every requested format from it, scheduling the builders by
what they declare (``formats.base.Builder``). Which books are built, and which the
cache answers, is ``folio.books``'s business.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import functools
import gc
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from .ast import marks_of, shared_leaves, stringify
from .book import BookSource, SourceFile, load_book
from .cache import BookResult, BuildCache
from .checks import check_file
from .diagnostics import MISSING_LIBRARY, BuildError, Diagnostic, Progress, Reporter
from .document import Document
from .formats import BUILDERS, Builder, Output, Written
from .formats.render import RenderMemo, piece_texts, render_texts
from .guard import guard_file
from .language import FALLBACK_LANGUAGE, detect_language
from .metadata import complete_metadata, read_metadata
from .outputs import all_or_nothing, commit_now, recorded
from .parse import parse_markdown, thin_positions, unwrap_positions
from .readcache import FileRead, ReadCache
from .sandbox import Child, Workers, can_fork, family
from .templates import TEMPLATE_MEMORY_MIB, make_environment, render_limited, template_seconds
from .transforms import transform_book
from .transforms.rawhtml import link_raw_anchors
from .transforms.structure import first_heading_title
from .transforms.syntax import read_syntax
from .transforms.typography import set_type


# --- reading -------------------------------------------------------------------------

def read_book(source: str | Path | BookSource, reporter: Reporter,
              reads: ReadCache | None = None, processes: int = 1,
              cores_free: Callable[[], None] = lambda: None,
              lang: str | None = None) -> Document:
    """Load (unless loaded), parse, check and transform one book; with ``reads``, the
    files unchanged since the last build come from there (their diagnostics again).
    With ``processes`` > 1 the files are parsed and read in as many child processes.
    ``cores_free()`` is called once the reading leaves all cores but this process's
    one free: at once when the files are read here, else when the children are done.
    ``lang``: the language the metadata gives (``given_language``), if the caller
    has read it already."""
    book = source if isinstance(source, BookSource) else load_book(source)
    for note in book.notes:
        reporter.add(note)
    lang = given_language(book) if lang is None else lang
    blocks, api_version, marks = _read_files(book.files, reporter, reads, processes,
                                             cores_free, lang)
    metadata = _complete_metadata(book, blocks, reporter)
    document = transform_book(book, blocks, metadata, reporter, typeset=lang, marks=marks)
    document.api_version = api_version
    return document


#: What reading one file gives: the file as read, and the error that stopped the book
#: (None if none did); the file read holds what was reported before the error.
Reading = tuple[FileRead, "Diagnostic | None"]


def given_language(book: BookSource) -> str:
    """The language the book's metadata gives, if it gives a valid one, else "" (read
    before the files, whose typography the reading then sets: ``read_file``)."""
    try:
        return _language_of(read_metadata(book.metadata, Reporter()))
    except BuildError:
        return ""


def _language_of(clean: dict) -> str:
    return clean.get("lang") or clean.get("language") or ""


def _read_files(files: list[SourceFile], reporter: Reporter, reads: ReadCache | None,
                processes: int = 1, cores_free: Callable[[], None] = lambda: None,
                lang: str = "") -> tuple[list[list], list[int], frozenset[str] | None]:
    """Every file's blocks, in order, each read (``read_file``, its typography set for
    ``lang``) or taken from ``reads``; each file's diagnostics are reported after those
    of the file before. Also pandoc's API version of the blocks, and what they have
    (``ast.marks_of``; None if not known of every file)."""
    keys = [reads.key(file, lang) for file in files] if reads is not None else []
    found = [reads.load(file, key) for file, key in zip(files, keys)] if keys \
        else [None] * len(files)
    unread = [file for file, read in zip(files, found) if read is None]
    blocks, api_version, marks = [], [], set()
    in_children = processes > 1 and len(unread) > 1 and can_fork()
    if not in_children:
        cores_free()
    # Closed on an error too: no parse or child goes on after it.
    with _collector_paused(), contextlib.closing(
            _read_in_children(unread, processes, lang) if in_children
            else _read_here(unread, lang)) as fresh:
        for index, file in enumerate(files):
            read, found[index] = found[index], None
            error = None
            if read is None:
                read, error = next(fresh)
                if reads is not None and error is None:
                    reads.keep(file, keys[index], read)
            for diagnostic in read.diagnostics:  # also what came before an error
                reporter.add(diagnostic)
            if error is not None:
                raise BuildError.of(error)
            blocks.append(read.blocks)
            api_version = api_version or read.api_version
            marks = None if marks is None or read.marks is None else marks | read.marks
    if in_children:
        cores_free()
    return blocks, api_version, None if marks is None else frozenset(marks)


def _read_here(files: list[SourceFile], lang: str = "") -> Iterator[Reading]:
    """Each file read in this process, in order. pandoc runs are processes: the files
    are parsed side by side, each read on in this thread as soon as it is parsed (one
    file's tree at a time exists twice, wrapped and unwrapped)."""
    with concurrent.futures.ThreadPoolExecutor(max(1, min(4, len(files)))) as pool:
        for file, parsed in zip(files, pool.map(_parsed, files)):
            yield _read_parsed(file, parsed, lang)


def _read_in_children(files: list[SourceFile], processes: int,
                      lang: str = "") -> Iterator[Reading]:
    """Each file read in one of ``processes`` child processes (forked for it, ended
    after), the longest files first; in order.

    Reading is Python's work as much as pandoc's (a 150-page book: 1.5 s of pandoc,
    2.3 s of Python to load, guard, check and unwrap its trees): in this process it
    used one core. The children also keep the wrapped trees out of this process's heap."""
    workers = Workers([Child(display=files[0].display, what="reading the manuscript")
                       for _ in range(min(processes, len(files)))])
    try:
        yield from workers.map([(_read_in_child, (file, lang)) for file in files],
                               [len(file.body) for file in files])
    finally:
        workers.close()


def _read_in_child(file: SourceFile, lang: str = "") -> Reading:
    with _collector_paused():
        return _read_parsed(file, _parsed(file), lang)


def _parsed(file: SourceFile) -> dict | BuildError:
    """pandoc's document of ``file`` (``parse_markdown``), or the error it stopped with."""
    try:
        return parse_markdown(file)
    except BuildError as error:
        return error


def _read_parsed(file: SourceFile, parsed: dict | BuildError, lang: str = "") -> Reading:
    collected = Reporter()
    try:
        if isinstance(parsed, BuildError):
            raise parsed
        blocks = read_file(file, parsed["blocks"], collected, lang)
        return FileRead(blocks, collected.items, parsed["pandoc-api-version"],
                        marks_of(blocks)), None
    except BuildError as error:
        return FileRead([], collected.items, []), error.diagnostic


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused for the block; reference counting
    still frees whatever is dropped.

    The trees read are lists and dicts without cycles, and many: each full pass of
    the collector walks all of them again. Reading the 600-page bench book took
    18.4 s of processor time with the collector, 10.2 s without, and left 0.05 s
    of work for the collector after it (peak memory the same)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_file(file: SourceFile, blocks: list, reporter: Reporter, lang: str = "") -> list:
    """One file's blocks from pandoc (``parse_markdown``) as the transforms get them:
    guarded, the positions nothing asks for dropped (``thin_positions``), checked,
    and pandoc's Markdown that commonmark_x leaves as text
    (citations, captions …) and raw <a href="https://…"> links read (noted and
    checked like Markdown's) while the positions are there, then unwrapped, with
    ``lang``'s typography (``transforms.typography``; none for ""), its spaces and
    words shared (``shared_leaves``). Reads nothing but the file: ``readcache``
    keeps the result.

    The typography is the transforms' first pass over each file, and the only one
    that needs nothing but the file and the language: set here, it is set in the
    reading's children beside the other files, and kept with the file's reading (a
    one-chapter edit set the whole book's again: 0.3 s of its 2.7)."""
    kinds = guard_file(file, blocks, reporter)  # before any recursive walker
    blocks = thin_positions(blocks)
    check_file(file, blocks, reporter)
    blocks = unwrap_positions(link_raw_anchors(read_syntax(blocks, tables="Table" in kinds)))
    if lang:
        blocks = set_type(blocks, lang)
    return shared_leaves(blocks)


def _complete_metadata(book: BookSource, blocks: list[list], reporter: Reporter):
    """The metadata, with a title and a language found when the author gave none."""
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
    lang = _language_of(clean)
    detected = not lang
    if detected:
        lang = detect_language(stringify(blocks)) or ""
        if lang:
            reporter.warn(first.display, first.body_line, f"no language in the metadata; "
                          f"'{lang}' was assumed from the text (add 'lang: {lang}')",
                          "assumed-language")
        else:
            lang = FALLBACK_LANGUAGE
            reporter.warn(first.display, first.body_line, "no language in the metadata and "
                          f"too little text to tell; '{lang}' was assumed", "assumed-language")
    return complete_metadata(clean, title, lang, detected)


# --- building one book -----------------------------------------------------------------

def build_book(book: BookSource, outdir: Path, formats: list[str], reporter: Reporter,
               strict: bool = False, options: dict | None = None,
               cache: BuildCache | None = None, key: str | None = None,
               progress: Progress | None = None) -> BookResult:
    """Build ``formats`` of one loaded book into ``outdir/<slug>/``.

    ``options`` come from the command line (``print``, ``page_size``) and reach
    every builder through ``Output.options``. With a ``cache`` and the book's
    ``key``, the build is recorded for the next run. ``progress(book, stage,
    seconds)`` is called when a stage starts (``seconds`` is None) and ends.
    """
    progress = progress or (lambda book, stage, seconds: None)
    options = dict(options or {})
    builders = [BUILDERS[name]() for name in formats]
    warnings_before = reporter.count("warning")
    timings: dict[str, float] = {}
    collected: list[Diagnostic] = []
    reporter.listeners.append(collected.append)
    try:
        # 1. The isolated builders' processes are forked now, before the book fills
        #    this one (they load their libraries while it is read).
        lang = given_language(book)
        with _isolated_children(builders, book.display, options, lang) as children:
            # 2. Parse, check, transform.
            progress(book.display, "read", None)
            started = time.perf_counter()
            reads = (ReadCache(cache.folder_of(book.slug, "read"), cache.force)
                     if cache is not None else None)
            document = read_book(book, reporter, reads, options.get("layout_workers", 1),
                                 lambda: [pool.load() for pool in children.values()],
                                 lang)
            # 3. Under --strict, a warning stops the book before anything is written.
            refused = strict and reporter.count("warning") > warnings_before
            if reads is not None and not refused:
                reads.write(book.files)  # each file as read, for the next build
            timings["read"] = time.perf_counter() - started
            progress(book.display, "read", timings["read"])
            if refused:
                raise BuildError(book.display, "warnings are errors with --strict; "
                                 "nothing was written", code="strict")
            # 4. Render and write every format; all of them are replaced, or none.
            environment = make_environment(document.root)
            memo = (RenderMemo(Path(f"{cache.folder_of(book.slug, 'render')}.pickle"),
                               cache.force) if cache is not None else None)
            with _template_worker(environment, book.display) as templates, \
                    _pieces_aside(document, builders, options, memo) as aside:
                output = _output_for(document, builders, outdir, options, children, cache,
                                     environment, templates)
                with all_or_nothing(outdir / book.slug):
                    written = _write_formats(document, builders, output, options,
                                             children, timings, progress, reporter, memo,
                                             aside)
            if memo is not None:
                memo.write()  # each piece as rendered, for the next build
            for builder in builders:
                for diagnostic in builder.diagnostics:
                    reporter.add(diagnostic)
    finally:
        reporter.listeners.remove(collected.append)
    outputs = {name: result.path for name, result in written.items() if result}
    for name, result in written.items():  # the print edition's cover beside its PDF
        for companion, path in (result.companions if result else {}).items():
            outputs[f"{name}-{companion}"] = path
    missing = [name for name, result in written.items() if result is None]
    # 5. Remember the build, so that an unchanged book is not built again (not when a
    #    format is missing: it is tried again once the library is there).
    if cache is not None and key and not missing:
        images = [*document.images.values(), *([document.cover] if document.cover else [])]
        cache.store(book.slug, key, outputs, outdir / book.slug, collected,
                    {image.path: image.digest for image in images}, timings, list(written))
    return BookResult(book.display, outputs, timings, missing=missing)


@contextlib.contextmanager
def _isolated_children(builders: list[Builder], display: str, options: dict,
                       language: str = ""):
    """``sandbox.Workers`` for each builder that declares itself ``isolated``; its
    ``preload`` given the book's ``language`` (else "en")."""
    workers: dict[str, Workers] = {}
    try:
        for builder in builders:
            if builder.isolated and can_fork():
                what = f"the {builder.name.upper()} layout"
                count = max(1, builder.worker_count(options))
                # The children import their libraries when the reading leaves them a
                # core (``read_book``'s ``cores_free``): 150-page book, PDF only, the
                # first part began 0.3 s sooner than with the imports beside the reading
                # children.
                workers[builder.name] = Workers(
                    family(count, display=display, what=what),
                    Child(builder.finisher, display=display, what=what)
                    if builder.finisher is not None and count > 1 else None,
                    preload=tuple(spec.format(language=language or "en")
                                  for spec in builder.preload))
        yield workers
    finally:
        for pool in workers.values():
            pool.close()


#: The aside child's time (``_pieces_aside``): its work was this process's, under no
#: limit of its own (each pandoc run has one), not the layout's (``FOLIO_LAYOUT_TIMEOUT``).
ASIDE_SECONDS = 3600.0


@contextlib.contextmanager
def _pieces_aside(document: Document, builders: list[Builder], options: dict,
                  memo: RenderMemo | None):
    """A child forked now, with the book in memory, that makes and renders the pieces
    of the builders that are not isolated (the EPUB's, the reading page's) when
    asked (``_render_aside``); None when no builder is isolated, none is not, or the
    system cannot fork.

    This process first makes the isolated builder's pieces (the PDF's) and hands
    them to its layout, whose workers have waited for them with a core free since
    they imported WeasyPrint; then it asks the child, which makes the others' beside
    the layout: the 150-page bench book's PDF pieces took a second of this process,
    and the reading page's and the EPUB's 2.5 s more. Forked here, before the
    builders' threads start."""
    rest = _in_order([b for b in builders if not b.isolated], builders)
    if not rest or len(rest) == len(builders) or not can_fork():
        yield None
        return
    if memo is not None:
        memo.chapter_digests(document)  # made once, for this process and the child
    child = Child(display=document.source.display,
                  what="the reading page's and the EPUB's pieces",
                  handler=functools.partial(_render_aside, document, rest, options, memo),
                  timeout=ASIDE_SECONDS, limit_hint="")
    try:
        yield child
    finally:
        child.close()


def _render_aside(document: Document, builders: list[Builder], options: dict,
                  memo: RenderMemo | None):
    """``_render`` in the aside child: the fragments, the seconds, and what the memo
    was given (its tables are this process's copy)."""
    fragments, rendered = _render(document, builders, options, memo)
    return fragments, rendered, (memo.used, memo.chapters_used) if memo is not None else None


@contextlib.contextmanager
def _template_worker(environment, display: str):
    """A ``sandbox.Child`` for a book with templates of its own (they come from
    whoever made the book: bounded in time, memory and size), else None. Forked
    here, before the builders' threads start."""
    if not environment.folio_book_templates or not can_fork():
        yield None
        return
    worker = Child(display=display, what="the book's templates",
                   handler=functools.partial(render_limited, environment),
                   timeout=template_seconds(), memory_mib=TEMPLATE_MEMORY_MIB,
                   limit_hint="")
    try:
        yield worker
    finally:
        worker.close()


def _output_for(document: Document, builders: list[Builder], outdir: Path, options: dict,
                workers: dict[str, Workers], cache: BuildCache | None, environment,
                templates: Child | None) -> Callable[[Builder], Output]:
    """Where each builder writes: the book's folder, its templates, its options, its
    worker processes and its cache folder."""
    slug = document.source.slug
    downloads = [{"label": b.download, "href": b.file_name(slug)}
                 for b in builders if b.download]

    def output(builder: Builder) -> Output:
        return Output(outdir / slug, slug, environment, downloads, options,
                      workers.get(builder.name, Workers([])),
                      cache.folder_of(slug, builder.name) if cache is not None else None,
                      templates)

    return output


def _write_formats(document: Document, builders: list[Builder],
                   output: Callable[[Builder], Output], options: dict,
                   children: dict[str, Workers], timings: dict,
                   progress: Progress, reporter: Reporter,
                   memo: RenderMemo | None = None,
                   aside: Child | None = None) -> dict[str, Written | None]:
    """Render and write every builder's file, by what the builders declare (with
    ``memo``, the pieces rendered by the last build are not rendered again).

    Isolated builders go first: their pieces are rendered in a pandoc run of their
    own and their ``write`` runs in a thread (its heavy part in its child process),
    beside the others. The others are rendered together in one pandoc run and
    written here, each after the builders whose artefacts it uses. A builder that
    needs a library the system lacks (``MISSING_LIBRARY``) is reported and left out
    (None); the others are written without its artefacts. With an ``aside`` child
    (``_pieces_aside``) the others' pieces are made and rendered there, once the
    isolated builders' jobs are handed out.
    """
    display = document.source.display
    for builder in builders:
        progress(display, builder.name, None)
    givers = {artefact: builder.name for builder in builders for artefact in builder.gives}
    pending: dict[str, concurrent.futures.Future] = {}
    written: dict[str, Written | None] = {}
    #: Each artefact, as soon as its builder publishes it (``Output.publish``).
    published = {artefact: concurrent.futures.Future() for artefact in givers}

    def publish(artefact: str, value) -> None:
        if artefact in published and not published[artefact].done():
            published[artefact].set_result(value)

    def finished(name: str) -> tuple[Written | None, float]:
        """An isolated builder's result; (None, 0) when its library is missing."""
        try:
            return pending[name].result()
        except BuildError as error:
            if error.diagnostic.code != MISSING_LIBRARY:
                raise
            reporter.add(dataclasses.replace(error.diagnostic, path=display))
            return None, 0.0

    def artefact_of(name: str, artefact: str):
        if name not in written and name in pending:
            concurrent.futures.wait([published[artefact], pending[name]],
                                    return_when=concurrent.futures.FIRST_COMPLETED)
            if published[artefact].done():
                return published[artefact].result()
        result = written[name] if name in written else finished(name)[0]
        return result.artefacts.get(artefact) if result else None

    def given(builder: Builder) -> Mapping:
        """The artefacts ``builder`` uses, from the builders that give them; each is
        waited for when the builder first asks for it (the EPUB parses its chapters
        while the PDF is still being laid out)."""
        return _Artefacts({artefact: functools.partial(artefact_of, givers[artefact], artefact)
                           for artefact in builder.uses if artefact in givers})

    def write(builder: Builder, fragments: list[str], rendered: float):
        began = time.perf_counter()
        result = builder.write(document, fragments,
                               dataclasses.replace(output(builder), publish=publish),
                               given(builder))
        for diagnostic in result.diagnostics:
            reporter.add(diagnostic)
        return result, time.perf_counter() - began + rendered

    isolated = [b for b in builders if b.isolated]
    rest = _in_order([b for b in builders if not b.isolated], builders)
    with concurrent.futures.ThreadPoolExecutor(max(1, len(isolated))) as threads:
        try:
            for builder in isolated:
                fragments, rendered = _render(document, [builder], options, memo)
                pending[builder.name] = threads.submit(write, builder, fragments[0], rendered)
                # Until its jobs are out in its child processes, the builder's thread
                # needs this process's interpreter lock: the others wait (an edit's
                # part went to its worker 0.5 s later while the HTML was made).
                workers = children.get(builder.name)
                if workers is not None:
                    concurrent.futures.wait([workers.started, pending[builder.name]],
                                            return_when=concurrent.futures.FIRST_COMPLETED)
            # The others' pieces are asked of the aside child once the isolated
            # builders' jobs are out, beside their layout: asked before, it took a core
            # from the PDF's pieces and the layout's warm-up (an edit of the 150-page
            # bench book handed its part out 0.03-0.05 s later).
            if aside is not None:
                fragments, rendered, memo_tables = aside.ask()
                if memo is not None:
                    memo.used.update(memo_tables[0])
                    memo.chapters_used.update(memo_tables[1])
            else:
                fragments, rendered = _render(document, rest, options, memo)
            _release_trees(document)
            for builder, pieces in zip(rest, fragments):
                with recorded() as targets:
                    written[builder.name], timings[builder.name] = write(builder, pieces,
                                                                         rendered)
                if builder.preview and options.get("preview"):
                    commit_now(targets)  # watch: the reading page at once
                progress(display, builder.name, timings[builder.name])
                rendered = 0.0
            for name in pending:
                written[name], timings[name] = finished(name)
                progress(display, name, timings[name] if written[name] else None)
        except BaseException:
            for pool in children.values():
                pool.close()  # a layout in progress ends now; its thread returns
            if aside is not None:
                aside.close()  # and so does the other pieces' rendering
            raise
    return {builder.name: written[builder.name] for builder in builders}


class _Artefacts(Mapping):
    """Artefacts by name, each got (and waited for) on first access, then kept."""

    def __init__(self, getters: dict) -> None:
        self._getters = getters
        self._values: dict = {}

    def __getitem__(self, name: str):
        if name not in self._values:
            self._values[name] = self._getters[name]()
        return self._values[name]

    def __iter__(self):
        return iter(self._getters)

    def __len__(self) -> int:
        return len(self._getters)


def _render(document: Document, builders: list[Builder], options: dict,
            memo: RenderMemo | None = None) -> tuple[list[list[str]], float]:
    """Every builder's pieces rendered to HTML in one pandoc run: the fragments of
    each builder, and the seconds it took."""
    if not builders:
        return [], 0.0
    began = time.perf_counter()
    texts, spans = [], []
    for builder in builders:
        # Each builder's pieces go into JSON before the next builder makes its own:
        # the pieces of one format at a time are held as Python objects.
        pieces = piece_texts(builder.pieces(document, options, memo))
        spans.append((len(texts), len(pieces)))
        texts.extend(pieces)
    fragments = render_texts(texts, document.api_version, document.source.display, memo)
    return ([fragments[start:start + count] for start, count in spans],
            time.perf_counter() - began)


def _release_trees(document: Document) -> None:
    """Every chapter's blocks let go once every format's pieces are rendered: nothing
    after rendering reads them (the builders write from their fragments), and they
    are the largest thing a long book's process holds while the PDF is laid out
    (2,500-page bench book: the main process's peak 335 -> 292 MB)."""
    for chapter in document.chapters:
        chapter.blocks = []


def _in_order(builders: list[Builder], everyone: list[Builder]) -> list[Builder]:
    """``builders`` with each one after those that give what it uses, and those that
    wait for an isolated builder's artefact last (the others need not wait with them)."""
    waits = {artefact for b in everyone if b.isolated for artefact in b.gives}
    remaining = sorted(builders, key=lambda b: bool(set(b.uses) & waits))
    ordered: list[Builder] = []
    while remaining:
        gives = {artefact for b in remaining for artefact in b.gives}
        ready = next((b for b in remaining if not set(b.uses) & gives), remaining[0])
        ordered.append(ready)
        remaining.remove(ready)
    return ordered
