"""The book's metadata: read from YAML, checked, and completed.

Known keys and their types are listed in ``FIELDS``; unknown keys get a
warning. What is unknown stays out: nothing is invented except the
identifier, a UUID derived from the title and authors, the same on every build.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid

from .book import RawMetadata
from .diagnostics import BuildError, Reporter
from .language import is_valid_tag
from .safety import NOT_XML
from .typography import typeset

#: Namespace for identifiers derived from a book's title and authors.
BOOK_NAMESPACE = uuid.UUID("6f0d3c1e-6a4b-5a8e-9c61-3d1c0b6e2f10")

#: Known keys: name -> description. Values are strings unless said otherwise.
FIELDS = {
    "title": "the book's title",
    "subtitle": "a subtitle",
    "author": "an author, or a list of authors",
    "authors": "a list of authors",
    "lang": "the language, a BCP 47 tag such as de or en-GB",
    "language": "the language (same as lang)",
    "isbn": "the ISBN of this edition",
    "identifier": "a unique identifier (URN, URL or UUID) if there is no ISBN",
    "date": "publication date, YYYY or YYYY-MM or YYYY-MM-DD",
    "publisher": "the publisher",
    "rights": "copyright or licence statement",
    "description": "a short description (blurb)",
    "subject": "subjects or keywords, a string or a list",
    "keywords": "keywords, a string or a list",
    "edition": "the edition, e.g. 'First edition'",
    "cover": "path of the cover image inside the book folder",
    "page-size": "A5, A4, letter or 6x9in",
    "chapter-start": "'any' or 'right' (chapters start on a right-hand page)",
    "paper": "the print edition's paper: 'white' (the default), 'cream' or 'colour' "
             "(the spine width of its cover)",
    # Scholarly books (issue 14).
    "bibliography": "a bibliography file (BibTeX, BibLaTeX, CSL JSON or YAML) in the book "
                    "folder, or a list of them",
    "csl": "a citation style (CSL file) in the book folder",
    "numbering": "'book' (Figure 1, 2 …) or 'chapter' (Figure 2.1) for figures, tables "
                 "and equations",
    "list-of-figures": "true for a list of figures after the contents",
    "list-of-tables": "true for a list of tables after the contents",
    "layout": "'book' (title page, contents, chapters from a new page) or 'article' "
              "(title on the first page, sections run on); by default 'article' for one "
              "manuscript file with a single top-level section",
}

#: Keys whose value is one of a few words: key -> (the words, what happens otherwise).
CHOICES = {"chapter-start": (("any", "right"), "'any' is used"),
           "layout": (("book", "article"), "the manuscript's structure decides"),
           "paper": (("white", "cream", "colour"), "'white' is used")}


@dataclasses.dataclass
class Metadata:
    title: str
    lang: str
    identifier: str
    subtitle: str = ""
    authors: list[str] = dataclasses.field(default_factory=list)
    isbn: str = ""
    #: The ISBN as the metadata writes it (with its hyphens), for printing.
    isbn_text: str = ""
    #: The identifier the metadata gives ("" when it was derived: never printed then).
    identifier_text: str = ""
    date: str = ""
    publisher: str = ""
    rights: str = ""
    description: str = ""
    keywords: list[str] = dataclasses.field(default_factory=list)
    edition: str = ""
    cover: str = ""
    page_size: str = "A5"
    chapter_start: str = "any"
    #: Bibliography files and citation style as the metadata names them (issue 14).
    bibliography: list[str] = dataclasses.field(default_factory=list)
    csl: str = ""
    #: ``book`` or ``chapter``: how figures, tables and equations are numbered.
    numbering: str = "book"
    list_of_figures: bool = False
    list_of_tables: bool = False
    #: "book", "article", or "" when the metadata does not say (the structure decides).
    layout: str = ""
    #: The print edition's paper ("white", "cream", "colour"): its cover's spine.
    paper: str = "white"
    #: True if the language was detected rather than given.
    lang_detected: bool = False


PAGE_SIZES = {"a5": "A5", "a4": "A4", "letter": "letter", "us-letter": "letter",
              "6x9in": "6in 9in", "6x9": "6in 9in"}


def read_metadata(raw: RawMetadata, reporter: Reporter) -> dict:
    """Check types and known keys; return a dict of clean values (strings and lists)."""
    clean: dict = {}
    for key, value in raw.values.items():
        line = raw.lines.get(key, 0)
        if key not in FIELDS:
            reporter.warn(raw.display, line, f"unknown metadata key '{key}' is ignored "
                          f"(known: {', '.join(sorted(FIELDS))})", "metadata-key")
            continue
        if key in ("author", "authors", "subject", "keywords", "bibliography"):
            clean[key] = _string_list(value, key, raw.display, line)
        elif key == "date":
            clean[key] = _date(value, raw.display, line)
        else:
            if isinstance(value, (dict, list)) or value is None:
                raise BuildError(raw.display, f"metadata '{key}' must be text "
                                              f"({FIELDS[key]})", line, code="metadata")
            clean[key] = str(value).strip()
            if key in CHOICES and clean[key].lower() not in CHOICES[key][0]:
                words, otherwise = CHOICES[key]
                reporter.warn(raw.display, line, f"metadata '{key}: {clean[key]}' is not "
                              f"known; use {' or '.join(words)} ({otherwise})",
                              "metadata-value")
                del clean[key]
                continue
        _check_text(clean[key], key, raw.display, line)
    if "lang" in clean or "language" in clean:
        tag = clean.get("lang") or clean.get("language")
        if not is_valid_tag(tag):
            raise BuildError(raw.display, f"metadata 'lang' is not a language tag: {tag!r} "
                                          "(use e.g. de, en, en-GB, fr)",
                             raw.lines.get("lang", raw.lines.get("language", 0)),
                             code="metadata")
    if "page-size" in clean and clean["page-size"].lower().replace(" ", "") not in PAGE_SIZES:
        raise BuildError(raw.display, f"unknown page-size {clean['page-size']!r} "
                                      f"(use {', '.join(sorted(PAGE_SIZES))})",
                         raw.lines.get("page-size", 0), code="metadata")
    return clean


def _check_text(value, key: str, display: str, line: int) -> None:
    for text in ([value] if isinstance(value, str) else value):
        found = NOT_XML.search(text)  # YAML escapes such as "\\0" make them
        if found:
            raise BuildError(display, f"metadata '{key}' contains the control character "
                                      f"U+{ord(found.group()):04X}", line, code="metadata")


def _string_list(value, key: str, display: str, line: int) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, list) and all(isinstance(v, dict) and "name" in v for v in value):
        return [str(v["name"]).strip() for v in value]
    raise BuildError(display, f"metadata '{key}' must be text or a list of texts", line,
                     code="metadata")


_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _date(value, display: str, line: int) -> str:
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime("%Y-%m-%d")
    text = str(value).strip()
    if isinstance(value, int) and 1000 <= value <= 9999:
        return text
    if not _DATE.match(text):
        raise BuildError(display, f"metadata 'date' must look like 2024, 2024-05 or "
                                  f"2024-05-17, not {text!r}", line, code="metadata")
    try:
        if len(text) == 10:
            datetime.date.fromisoformat(text)
    except ValueError:
        raise BuildError(display, f"metadata 'date' is not a real date: {text!r}", line,
                         code="metadata") from None
    return text


def complete_metadata(clean: dict, title: str, lang: str, lang_detected: bool) -> Metadata:
    """Build the final ``Metadata`` once title and language are known: every printed
    field typeset for the language (``folio.typography``); the identifier derived
    from the fields as written, so that it stays what it was."""
    authors = clean.get("author", []) + clean.get("authors", [])
    isbn = re.sub(r"[^0-9Xx]", "", clean.get("isbn", ""))
    if clean.get("isbn"):
        identifier = f"urn:isbn:{isbn}"
    elif clean.get("identifier"):
        identifier = clean["identifier"]
    else:
        seed = "\n".join([title, *authors])
        identifier = f"urn:uuid:{uuid.uuid5(BOOK_NAMESPACE, seed)}"
    size = clean.get("page-size", "A5").lower().replace(" ", "")

    def text(value: str) -> str:
        """A field as it is printed: set by the rules of the book's language."""
        return typeset(value, lang)

    return Metadata(
        title=text(title), lang=lang, identifier=identifier, lang_detected=lang_detected,
        subtitle=text(clean.get("subtitle", "")), authors=[text(a) for a in authors],
        isbn=isbn, isbn_text=clean.get("isbn", ""),
        identifier_text=clean.get("identifier", ""),
        date=clean.get("date", ""), publisher=text(clean.get("publisher", "")),
        rights=text(clean.get("rights", "")),
        description=text(clean.get("description", "")),
        keywords=[text(k) for k in clean.get("subject", []) + clean.get("keywords", [])],
        edition=text(clean.get("edition", "")), cover=clean.get("cover", ""),
        page_size=PAGE_SIZES[size],
        chapter_start="right" if clean.get("chapter-start", "").lower() == "right" else "any",
        bibliography=clean.get("bibliography", []), csl=clean.get("csl", ""),
        numbering="chapter" if clean.get("numbering", "").lower() == "chapter" else "book",
        list_of_figures=_yes(clean.get("list-of-figures", "")),
        list_of_tables=_yes(clean.get("list-of-tables", "")),
        layout=clean.get("layout", "").lower(),
        paper=clean.get("paper", "white").lower(),
    )


def _yes(value: str) -> bool:
    return value.strip().lower() in ("true", "yes", "1", "on")
