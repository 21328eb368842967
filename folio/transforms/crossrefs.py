"""Cross-references: numbered figures, tables and equations, and references to them
in pandoc-crossref's syntax (``@fig:id``, ``@tbl:id``, ``@eq:id``, ``@sec:id``).

- Every figure and table with a caption gets a number, and its caption a label in
  the book's language ("Abbildung 3: …", "Table 2: …"); an equation with an id
  (``$$…$$ {#eq:id}``) gets a number printed beside it. Numbers run through the
  book, or per chapter ("3.2") with ``numbering: chapter`` in the metadata.
- A reference becomes a cross-reference link with the label as its text
  ("Abbildung 3"); the PDF adds the page ("Abbildung 3 auf S. 12"), the EPUB and
  the reading page link to the place. ``[-@fig:id]`` gives the number alone.
- A reference to an id that is not there is printed as written, with a
  ``missing-reference`` warning naming file:line.

``Document.captions`` lists what was numbered, for the lists of figures and tables.
"""

from __future__ import annotations

from ..ast import Span, Str, Space, expand, get_attr, parse_pos, stringify, visit
from ..diagnostics import Reporter
from ..document import Caption, Document
from ..language import labels_for, quotes_for

#: Reference prefixes and what they point at.
PREFIXES = {"fig": "figure", "tbl": "table", "eq": "equation", "sec": "section"}


def is_crossref(span: dict) -> bool:
    """True for a ``Span.folio-cite`` whose citations are all cross-references."""
    citations = span["c"][1][0]["c"][0] if span["c"][1] else []
    return bool(citations) and all(c["citationId"].split(":", 1)[0] in PREFIXES
                                   and ":" in c["citationId"] for c in citations)


def is_citation_span(node: dict) -> bool:
    return (node.get("t") == "Span" and "folio-cite" in node["c"][0][1] and node["c"][1]
            and node["c"][1][0].get("t") == "Cite")


def _caption_blocks(node: dict) -> list:
    return node["c"][1][1]


def _label(blocks: list, text: str) -> None:
    """Put ``text:`` before a caption's first line."""
    label = [Span([Str(text)], ["caption-label"]), Str(":"), Space()]
    if blocks and blocks[0]["t"] in ("Plain", "Para"):
        blocks[0]["c"] = label + blocks[0]["c"]


def number_things(document: Document) -> dict[str, str]:
    """Number figures, tables and equations; return id -> reference text."""
    labels = labels_for(document.metadata.lang)
    opening, closing = quotes_for(document.metadata.lang)[:2]
    per_chapter = document.metadata.numbering == "chapter"
    counters = {"figure": 0, "table": 0, "equation": 0}
    targets: dict[str, str] = {}
    for chapter in document.chapters:
        if per_chapter:
            counters = dict.fromkeys(counters, 0)

        def number(kind: str) -> str:
            counters[kind] += 1
            return (f"{chapter.number}.{counters[kind]}" if per_chapter
                    else str(counters[kind]))

        def act(node: dict, chapter=chapter) -> None:
            kind = node["t"]
            if kind in ("Figure", "Table") and stringify(_caption_blocks(node)):
                what = "figure" if kind == "Figure" else "table"
                text = f"{labels[what]}\u00a0{number(what)}"
                ident = node["c"][0][0]
                if not ident:  # the lists of figures and tables link to it
                    ident = node["c"][0][0] = f"{what}-{len(document.captions) + 1}"
                    document.anchors.setdefault(ident, chapter.number)
                caption = stringify(_caption_blocks(node))
                _label(_caption_blocks(node), text)
                if ident:
                    targets[ident] = text
                document.captions.append(Caption(what, ident, text, caption, chapter.number))
            elif kind == "Span" and "equation" in node["c"][0][1] and node["c"][0][0]:
                value = number("equation")
                node["c"][0][2].append(["number", value])
                targets[node["c"][0][0]] = f"{labels['equation']}\u00a0({value})"
            elif kind == "Header" and node["c"][1][0]:
                title = stringify(node["c"][2])
                targets.setdefault(node["c"][1][0],
                                   f"{labels['section']} {opening}{title}{closing}")

        visit(chapter.blocks, act)
    return targets


def resolve_references(document: Document, targets: dict[str, str],
                       reporter: Reporter) -> None:
    """Every cross-reference as a link with its label, or as written with a warning."""
    for chapter in document.chapters:
        def act(node: dict, display=chapter.source):
            if not is_citation_span(node) or not is_crossref(node):
                return None
            line, col = parse_pos(get_attr(node, "data-pos"))
            out: list = []
            for index, citation in enumerate(node["c"][1][0]["c"][0]):
                ident = citation["citationId"]
                if index:
                    out += [Str(","), Space()]
                out += citation["citationPrefix"] + ([Space()] if citation["citationPrefix"]
                                                     else [])
                text = targets.get(ident)
                if text is None:
                    reporter.warn(display, line, f"reference '@{ident}' points to no "
                                  f"{PREFIXES[ident.split(':')[0]]} with that id; it is "
                                  "printed as written", "missing-reference", col)
                    out.append(Str("@" + ident))
                    continue
                if citation["citationMode"]["t"] == "SuppressAuthor":
                    text = text.split("\u00a0", 1)[-1]
                link = {"t": "Link", "c": [["", ["folio-ref"], []], [Str(text)],
                                           ["#" + ident, ""]]}
                out.append(link)
                out += citation["citationSuffix"]
            return Span(out, ["crossref"])
        chapter.blocks = expand(chapter.blocks, act)


def cross_reference(document: Document, reporter: Reporter, references: bool = True) -> None:
    """Number what is numbered and resolve every cross-reference (see the module's doc).
    ``references``: False when the book has no citation (``Span.folio-cite``), so no
    reference: the book is not searched for them (a pass over every node)."""
    targets = number_things(document)
    if references:
        resolve_references(document, targets, reporter)
