"""Citations and the bibliography: pandoc's citation syntax, formatted by pandoc's
citeproc in the book's language, the bibliography at the end under a heading of
that language ("Literatur", "References", "Bibliographie").

``transforms.syntax`` found the citations (``Span.folio-cite`` with a ``Cite`` and
its position); cross-references among them are ``transforms.crossrefs``'. The
others go to citeproc in one pandoc run, each in a paragraph of its own (inside a
note if it stood in one, so that note styles count right): ``pandoc -f json -t
json --citeproc`` formats every ``Cite`` it finds and adds the bibliography. Each
citation gets its formatted text back; the bibliography becomes a chapter of its
own at the back, whose DOIs and URLs are links like any other (notes in print).

The files are the author's, and untrusted: ``bibliography:`` (BibTeX, BibLaTeX,
CSL JSON or CSL YAML) and ``csl:`` must lie inside the book folder; pandoc runs with
``--sandbox`` under its usual limits; a dependent CSL style (which names a parent
style on the web) is refused. Without ``csl:`` the style is Chicago author-date
(``folio/styles/``). Unknown keys (``unknown-citation``), unreadable files
(``bad-bibliography``) and citations in a book without a bibliography are warnings
naming file:line; the citation is then printed as written.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from pathlib import Path, PurePosixPath

from ..ast import expand, get_attr, parse_pos
from ..confined import Outside, TooLarge, read_inside
from ..diagnostics import BuildError, Reporter
from ..document import Chapter, Document, Heading
from ..language import labels_for
from ..parse import api_version, run_pandoc
from .crossrefs import is_citation_span, is_crossref
from .structure import ids_in

#: The style used when the metadata names none.
DEFAULT_CSL = Path(__file__).resolve().parent.parent / "styles" / "chicago-author-date.csl"
#: Suffixes pandoc reads as bibliographies.
BIBLIOGRAPHY_SUFFIXES = {".bib", ".bibtex", ".json", ".yaml", ".yml"}
#: Seconds citeproc may take for a whole book.
CITEPROC_TIMEOUT = 60
_NOT_FOUND = re.compile(r"citation (\S+) not found")


def _citations(document: Document) -> list[tuple[dict, bool, str]]:
    """Every bibliographic citation span, whether it stands in a note, and its file."""
    found: list[tuple[dict, bool, str]] = []

    def scan(tree, in_note: bool, display: str) -> None:
        if isinstance(tree, list):
            for item in tree:
                scan(item, in_note, display)
        elif isinstance(tree, dict) and "t" in tree:
            if is_citation_span(tree) and not is_crossref(tree):
                found.append((tree, in_note, display))
                return
            if "c" in tree:
                scan(tree["c"], in_note or tree["t"] == "Note", display)

    for chapter in document.chapters:
        scan(chapter.blocks, False, chapter.source)
    return found


def _as_written(span: dict) -> None:
    """The citation printed as the author wrote it."""
    cite = span["c"][1][0]
    span["c"][1] = cite["c"][1]
    span["c"][0][1] = ["citation-unresolved"]


def _where(span: dict) -> tuple[int, int]:
    return parse_pos(get_attr(span, "data-pos"))


#: Largest bibliography or style file read, in bytes.
MAX_BIBLIOGRAPHY_BYTES = 10 * 1024 * 1024


def _read(document: Document, name: str, key: str, reporter: Reporter) -> bytes | None:
    """A file the metadata names, read once inside the book folder (``confined``), or
    None with a warning at the metadata's ``key`` line."""
    raw = document.source.metadata
    problem = ""
    try:
        return read_inside(document.root, name, MAX_BIBLIOGRAPHY_BYTES).data
    except Outside:
        problem = "lies outside the book folder"
    except FileNotFoundError:
        problem = "does not exist"
    except TooLarge:
        problem = f"is larger than {MAX_BIBLIOGRAPHY_BYTES // 1024 // 1024} MiB"
    except OSError as error:
        problem = f"cannot be read ({error.strerror or error})"
    what = "bibliography" if key == "bibliography" else "citation style"
    reporter.warn(raw.display, raw.lines.get(key, 0), f"{what} '{name[:80]}' {problem}; "
                  + ("it is not read" if key == "bibliography"
                     else "Chicago author-date is used"), "bad-bibliography")
    return None


def _files(document: Document, reporter: Reporter) -> tuple[list[tuple[str, bytes]],
                                                            bytes | None]:
    """The bibliography files (name, bytes) and the style's bytes (None: the default),
    read inside the book folder."""
    raw = document.source.metadata
    files = []
    for name in document.metadata.bibliography:
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in BIBLIOGRAPHY_SUFFIXES:
            reporter.warn(raw.display, raw.lines.get("bibliography", 0), f"bibliography "
                          f"'{name[:80]}' is not a .bib, .json or .yaml file; it is not "
                          "read", "bad-bibliography")
            continue
        data = _read(document, name, "bibliography", reporter)
        if data is not None:
            files.append((f"bibliography-{len(files) + 1}{suffix}", data))
    style = None
    if document.metadata.csl:
        data = _read(document, document.metadata.csl, "csl", reporter)
        if data is not None and b"independent-parent" in data[:65536]:
            reporter.warn(raw.display, raw.lines.get("csl", 0), f"citation style "
                          f"'{document.metadata.csl[:80]}' is a dependent style (it names a "
                          "parent style on the web); Chicago author-date is used",
                          "bad-bibliography")
            data = None
        style = data
    return files, style


def _run_citeproc(document: Document, found: list, files: list[tuple[str, bytes]],
                  style: bytes | None, warnings: list[str]) -> dict:
    """citeproc on the citations; pandoc gets copies of the files in a folder of its
    own (the book's files were read once, inside the book folder)."""
    blocks = []
    for span, in_note, _display in found:
        cite = copy.deepcopy(span["c"][1][0])
        para = {"t": "Para", "c": [cite]}
        if in_note:
            para = {"t": "Para", "c": [{"t": "Note", "c": [para]}]}
        blocks.append(para)
    source = {"pandoc-api-version": document.api_version or api_version(), "meta": {},
              "blocks": blocks}
    with tempfile.TemporaryDirectory(prefix="folio-citeproc-") as folder:
        csl = DEFAULT_CSL
        if style is not None:
            csl = Path(folder) / "style.csl"
            csl.write_bytes(style)
        args = ["--sandbox", "-f", "json", "-t", "json", "--citeproc", f"--csl={csl}",
                "-M", f"lang={document.metadata.lang}", "-M", "link-citations=true"]
        for name, data in files:
            (Path(folder) / name).write_bytes(data)
            args.append(f"--bibliography={Path(folder) / name}")
        return json.loads(run_pandoc(args, json.dumps(source), document.source.display,
                                     timeout=CITEPROC_TIMEOUT, warnings=warnings))


def _formatted(block: dict, in_note: bool) -> list | None:
    """The formatted inlines of one citation's paragraph."""
    inlines = block.get("c") if block.get("t") == "Para" else None
    if in_note and inlines and inlines[0].get("t") == "Note":
        inner = inlines[0]["c"]
        inlines = inner[0]["c"] if inner and inner[0].get("t") == "Para" else None
    return inlines


def _mark_citation_link(node: dict):
    """A citation's link to its bibliography entry: no page number in print."""
    if node.get("t") == "Link" and node["c"][2][0].startswith("#ref-"):
        node["c"][0][1].append("citation-link")
    return None


def _bibliography_chapter(document: Document, refs: dict) -> Chapter:
    labels = labels_for(document.metadata.lang)
    ident = "bibliography"
    number = 2
    while ident in document.anchors:
        ident = f"bibliography-{number}"
        number += 1
    title = labels["references"]
    heading = {"t": "Header", "c": [1, [ident, ["unnumbered"], []],
                                     [{"t": "Str", "c": title}]]}
    refs["c"][0][1] = [*refs["c"][0][1], "bibliography"]
    return Chapter(ident, title, [heading, refs], len(document.chapters) + 1,
                   [Heading(1, ident, title)], document.chapters[-1].source, "references")


def cite(document: Document, reporter: Reporter) -> None:
    """Format every citation and add the bibliography (see the module's doc)."""
    found = _citations(document)
    if not document.metadata.bibliography:
        for span, _in_note, display in found:
            cite_node = span["c"][1][0]
            bracketed = cite_node["c"][0][0]["citationMode"]["t"] != "AuthorInText"
            if bracketed:
                line, col = _where(span)
                reporter.warn(display, line, "citation of "
                              f"'@{cite_node['c'][0][0]['citationId']}' but the metadata "
                              "names no bibliography; it is printed as written",
                              "unknown-citation", col)
            _as_written(span)
        return
    files, style = _files(document, reporter)
    if not files:
        for span, _in_note, _display in found:
            _as_written(span)
        return
    warnings: list[str] = []
    raw = document.source.metadata
    try:
        result = _run_citeproc(document, found, files, style, warnings)
    except BuildError as error:
        message = error.diagnostic.message.removeprefix("pandoc failed: ")
        reporter.warn(raw.display, raw.lines.get("bibliography", 0), "the bibliography "
                      f"cannot be read ({message[:160]}); citations are printed as written",
                      "bad-bibliography")
        for span, _in_note, _display in found:
            _as_written(span)
        return
    missing = {match.group(1) for line in warnings for match in [_NOT_FOUND.search(line)]
               if match}
    blocks = result["blocks"]
    for (span, in_note, display), block in zip(found, blocks):
        keys = [c["citationId"] for c in span["c"][1][0]["c"][0]]
        unknown = [key for key in keys if key in missing]
        inlines = _formatted(block, in_note)
        if unknown or inlines is None:
            line, col = _where(span)
            for key in unknown:
                reporter.warn(display, line, f"citation '@{key}' is not in the "
                              "bibliography; it is printed as written", "unknown-citation",
                              col)
            _as_written(span)
            continue
        span["c"][1] = expand(inlines, _mark_citation_link)
        span["c"][0][1] = ["citation"]
    refs = next((b for b in blocks[len(found):] if b.get("t") == "Div"
                 and b["c"][0][0] == "refs"), None)
    if refs is not None and refs["c"][1]:
        chapter = _bibliography_chapter(document, refs)
        document.chapters.append(chapter)
        for ident in ids_in(chapter.blocks):
            document.anchors.setdefault(ident, chapter.number)



