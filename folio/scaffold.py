"""``new NAME``: a book folder to start from, with ``book.yaml`` and a first chapter.

Nothing is invented for the book: the title comes from the name (or ``--title``),
the author only if given; the other keys are there as comments to fill in.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .diagnostics import BuildError
from .language import is_valid_tag

_METADATA = """\
# The book's metadata (README.md, "Metadata", lists every key).
{fields}
# subtitle: A subtitle
# date: 2026-11-26
# publisher: …
# rights: © 2026 … CC BY 4.0
# description: A short blurb.
# page-size: A5
"""

_CHAPTER = """\
# {heading}

This is the first chapter. Every `*.md` file in this folder is a chapter,
taken in name order: add `02-next.md` for the next one.

Links stay live on the web page and become notes in the PDF and the EPUB, like
this one to [CommonMark](https://commonmark.org/), the Markdown that folio reads.
A footnote goes where it is called.[^first]

[^first]: Footnotes are printed at the foot of the page in the PDF.

To change the look of this book only, copy a file from folio's `templates/`
into `templates/` here (e.g. `templates/html/book.css`) and edit it.
"""

_HEADINGS = {"de": "Einleitung", "fr": "Introduction", "es": "Introducción",
             "it": "Introduzione", "nl": "Inleiding"}


def new_book(folder: Path, title: str | None = None, lang: str = "en",
             author: str | None = None) -> list[Path]:
    """Create ``folder`` with ``book.yaml`` and ``01-introduction.md``; return them."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BuildError(folder, "already exists and is not an empty folder; "
                                 "choose another name", code="exists")
    if not is_valid_tag(lang):
        raise BuildError(folder, f"--lang {lang!r} is not a language tag (use e.g. en, de, "
                                 "en-GB)", code="usage")
    title = title or folder.resolve().name.replace("-", " ").replace("_", " ").strip()
    title = title[:1].upper() + title[1:]
    fields = {"title": title, "lang": lang}
    if author:
        fields["author"] = author
    dumped = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False).strip()
    if not author:
        dumped += "\n# author: Your Name"
    metadata = folder / "book.yaml"
    chapter = folder / "01-introduction.md"
    folder.mkdir(parents=True, exist_ok=True)
    metadata.write_text(_METADATA.format(fields=dumped), encoding="utf-8")
    heading = _HEADINGS.get(lang.split("-")[0].lower(), "Introduction")
    chapter.write_text(_CHAPTER.format(heading=heading), encoding="utf-8")
    return [metadata, chapter]
