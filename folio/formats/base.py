"""What every format builder shares: the interface, the template context, the fonts.

A builder (Sphinx's builders are the model) declares what it is and what it needs;
the pipeline schedules by these declarations, never by a format's name:

- ``name``: the format on the command line; ``suffix``: its file;
- ``download``: the label of the reading page's download link ("" for none);
- ``uses`` / ``gives``: artefacts it takes from, or hands to, the other builders of
  the same run (the PDF gives its ``page_map``; the EPUB uses it for its page list);
- ``edition``: an edition (``--edition``: print, kobo, archive) rather than one of
  the formats built by default;
- ``isolated``: its heavy work runs in child processes of its own, under the layout
  limits (``Output.workers``), beside the other builders; ``preload``: what those
  children import while the book is read; ``worker_count(options)``: how many;
  ``finisher``: what a child kept for its last job imports (the PDF's merge).

``pieces(document, options)`` returns the AST pieces the format needs rendered to
HTML; ``write(document, fragments, output, given)`` gets them back rendered (one
pandoc run for several builders), writes the file and returns ``Written``.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path

import jinja2

from ..diagnostics import BuildError, Diagnostic
from ..document import Document
from ..language import labels_for, words_for
from ..safety import page_problem
from ..sandbox import Workers
from ..templates import render_template
from ..typography import bind_short_words, colon, long_date
from .render import RenderMemo

#: The fonts the books use, with their licence (see folio/fonts/README.md).
FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"


@dataclasses.dataclass
class Output:
    """Where a builder writes, and what it may read."""

    #: The book's output folder, e.g. ``dist/my-book``.
    folder: Path
    #: The book's slug: output files are named after it.
    slug: str
    environment: jinja2.Environment
    #: Links to the book's other files for the reading page: {label, href}.
    downloads: list[dict] = dataclasses.field(default_factory=list)
    #: Options from the command line, e.g. ``{"page_size": "a4", "pdf_x": "x-4"}``.
    options: dict = dataclasses.field(default_factory=dict)
    #: The builder's child processes (``folio.sandbox.Workers``): ``workers.map(jobs)``
    #: runs ``(function, args)`` jobs in them under the layout limits, side by side.
    workers: Workers = dataclasses.field(default_factory=lambda: Workers([]))
    #: A folder the builder may keep work in between builds (a cache), or None.
    cache: Path | None = None
    #: For a book with templates of its own: a ``sandbox.Child`` whose handler renders
    #: ``(name, context)`` under the template limits (``templates.render_limited``).
    templates: object | None = None
    #: ``publish(name, value)`` hands one of the builder's artefacts (``gives``) to the
    #: builders that wait for it before ``write`` returns (the PDF's page map before
    #: its merge); what is not published goes with ``Written``.
    publish: Callable[[str, object], None] = lambda name, value: None


@dataclasses.dataclass
class Written:
    """What a builder wrote."""

    path: Path
    #: Artefacts for the other builders of the run (``Builder.gives``).
    artefacts: dict = dataclasses.field(default_factory=dict)
    #: Files written beside ``path`` (the print edition's cover): name -> path.
    companions: dict[str, Path] = dataclasses.field(default_factory=dict)
    #: Warnings about what the file could not do well (an image printed at too low a
    #: resolution), reported with the book's other diagnostics.
    diagnostics: list = dataclasses.field(default_factory=list)


class Builder:
    """One output format (see the module's doc)."""

    #: Format name as used on the command line.
    name = ""
    #: The output file's suffix (``index.html`` for the reading page).
    suffix = ""
    #: Label of the reading page's download link to this file; "" for none.
    download = ""
    #: Artefacts this builder uses when another builder of the same run gives them.
    uses: tuple[str, ...] = ()
    #: Artefacts it gives to the others (``Written.artefacts``).
    gives: tuple[str, ...] = ()
    #: True for an edition (``--edition``), False for a format (``--format``).
    edition = False
    #: True if its heavy work runs in child processes of its own, beside the others.
    isolated = False
    #: Modules the isolated children import while the book is being read: ``module``
    #: or ``module:function`` (called), or ``module:function:{language}`` (called with
    #: the language the book's metadata gives, else "en": ``sandbox.import_modules``).
    preload: tuple[str, ...] = ()
    #: The modules of a child kept for the job that ends the builder's work
    #: (``Workers.finish``), or None for no such child.
    finisher: tuple[str, ...] | None = None
    #: True if, under ``watch`` (option ``preview``), its files go into place as soon
    #: as they are written, before the others' (the reading page before the PDF).
    preview = False

    def __init__(self) -> None:
        #: What ``pieces`` found to tell the author (file:line), e.g. a table that had
        #: to be split to fit the page; the pipeline reports them, in a build and in
        #: ``check``.
        self.diagnostics: list[Diagnostic] = []

    def worker_count(self, options: dict) -> int:
        """How many child processes an isolated builder wants (``options``: the
        command line's, with ``layout_workers``, the cores this book may use)."""
        return 1

    def file_name(self, slug: str) -> str:
        return f"{slug}.{self.suffix}"

    def pieces(self, document: Document, options: dict | None = None,
               memo: RenderMemo | None = None) -> list:
        """AST pieces this format needs rendered to HTML (``options``: from the
        command line, as in ``Output.options``), each a list of blocks; with ``memo``
        (the last build's, ``render.RenderMemo``) a piece may come as its JSON or as
        ``render.Known`` (``render.ChapterPieces`` makes a chapter's piece so)."""
        raise NotImplementedError

    def write(self, document: Document, fragments: list[str], output: Output,
              given: Mapping) -> Written:
        """Write the output file from the rendered fragments; ``given`` holds the
        artefacts of ``uses`` that other builders of the run give (looking one up
        waits for its builder: ask for it when it is needed)."""
        raise NotImplementedError

    def render(self, output: Output, name: str, **context) -> str:
        """Template ``name`` rendered. A book's own templates run in their worker, under
        time, memory and size limits, and what they make is checked as strictly as
        the manuscript: no script, frame, form, event handler or remote resource
        (``safety.page_problem``) -- a page that has one is refused, naming it."""
        if output.templates is None:
            return render_template(output.environment, name, **context)
        text = output.templates.ask(name, context)
        problem = page_problem(text, name)
        if problem:
            raise BuildError(_template_file(output.environment, name),
                             f"the book's templates make '{name}' unsafe: {problem}; a "
                             "book's templates may add no scripts, frames, forms, event "
                             "handlers or anything loaded from elsewhere",
                             code="unsafe-template")
        return text


def _template_file(environment: jinja2.Environment, name: str) -> str:
    """The file a template ``name`` comes from (the book's, or folio's own)."""
    try:
        return environment.loader.get_source(environment, name)[1] or name
    except jinja2.TemplateNotFound:
        return name


def font_face_css(prefix: str, woff2: bool = False) -> str:
    """Our @font-face rules with each font's URL under ``prefix`` (e.g. ``fonts/``);
    with ``woff2``, pointing at the WOFF2 files of ``formats.html.webfonts``."""
    css = (FONTS_DIR / "fonts.css").read_text(encoding="utf-8")
    if woff2:
        css = re.sub(r'url\("([^"/]+)\.ttf"\) format\("truetype"\)',
                     r'url("\1.woff2") format("woff2")', css)
    return re.sub(r'url\("([^"/]+)"\)', lambda m: f'url("{prefix}{m.group(1)}")', css)


#: The latest time an output can carry: the end of the year 9999.
LATEST_SECONDS = 253402300799


def build_time(document: Document) -> datetime.datetime:
    """The time stamped into outputs: ``SOURCE_DATE_EPOCH`` if set, else the
    newest modification time of the manuscript files when they were read (so
    rebuilds are identical); a time beyond the year 9999 (a clock gone wrong, a
    huge ``SOURCE_DATE_EPOCH``) counts as its end, one before 1970 as 1970."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isascii() and epoch.isdigit():
        seconds = int(epoch[:20])
    else:
        seconds = int(max(f.mtime for f in document.source.files))
    seconds = min(max(seconds, 0), LATEST_SECONDS)
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def book_context(document: Document) -> dict:
    """The plain dict every template gets as ``book``."""
    meta = document.metadata
    return {
        "title": meta.title,
        #: The title for a heading that the reader's screen breaks: a one-letter word
        #: stays with the next ("SQLite: A Hands-on", never "SQLite: A / Hands-on").
        "title_bound": bind_short_words(meta.title),
        "subtitle": meta.subtitle,
        "authors": meta.authors,
        "lang": meta.lang,
        "identifier": meta.identifier,
        "identifier_text": meta.identifier_text,
        "isbn": meta.isbn,
        "date": meta.date,
        #: The date as a reader of the language writes it ("26 November 2026").
        "long_date": long_date(meta.date, meta.lang) if meta.date else "",
        "publisher": meta.publisher,
        "rights": meta.rights,
        "description": meta.description,
        "keywords": meta.keywords,
        "edition": meta.edition,
        "page_size": meta.page_size,
        "chapter_start": meta.chapter_start,
        "layout": document.layout,
        "words": words_for(meta.lang),
        "labels": labels_for(meta.lang),
        #: ": " as the language writes it between two parts ("Titre\u202f: sous-titre").
        "colon": colon(meta.lang),
        "modified": build_time(document).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "slug": document.source.slug,
    }


def toc_entries(document: Document, max_level: int = 2, href_prefix=None) -> list[dict]:
    """Headings down to ``max_level`` as a flat list of {level, id, text, href}."""
    entries = []
    for chapter in document.chapters:
        for heading in chapter.headings:
            if heading.level > max_level or not heading.text:
                continue
            href = (href_prefix(chapter) if href_prefix else "") + "#" + heading.id
            entries.append({"level": heading.level, "id": heading.id, "text": heading.text,
                            "href": href, "chapter": chapter.number})
    return entries


def nest(entries: list[dict]) -> list[dict]:
    """Nest a flat list of TOC entries by level: each gets ``children``."""
    root: list[dict] = []
    stack: list[tuple[int, list]] = [(0, root)]
    for entry in entries:
        item = dict(entry, children=[])
        while stack[-1][0] >= entry["level"]:
            stack.pop()
        stack[-1][1].append(item)
        stack.append((entry["level"], item["children"]))
    return root
