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
# Introduction

This is the first chapter. Every `*.md` file in this folder is a chapter,
taken in name order: add `02-next.md` for the next one.

Links stay live on the web page and become notes in the PDF and the EPUB, like
this one to [CommonMark](https://commonmark.org/), the Markdown that folio reads.
A footnote goes where it is called.[^first]

[^first]: Footnotes are printed at the foot of the page in the PDF.

To change the look of this book only, copy a file from folio's `templates/`
into `templates/` here (e.g. `templates/html/book.css`) and edit it.
"""

#: The first chapter in the book's language (English for the others).
_CHAPTERS = {
    "de": """\
# Einleitung

Dies ist das erste Kapitel. Jede Datei `*.md` in diesem Ordner ist ein Kapitel,
in der Reihenfolge ihrer Namen: für das nächste legen Sie `02-weiter.md` an.

Links bleiben auf der Webseite lebendig und werden im PDF und im EPUB zu
Anmerkungen, wie dieser zu [CommonMark](https://commonmark.org/), dem Markdown,
das folio liest. Eine Fußnote steht dort, wo sie aufgerufen wird.[^erste]

[^erste]: Im PDF stehen Fußnoten unten auf der Seite.

Um nur dieses Buch anders aussehen zu lassen, kopieren Sie eine Datei aus folios
`templates/` nach `templates/` hier (z. B. `templates/html/book.css`) und ändern sie.
""",
    "fr": """\
# Introduction

Voici le premier chapitre. Chaque fichier `*.md` de ce dossier est un chapitre,
pris dans l'ordre de son nom : ajoutez `02-suite.md` pour le suivant.

Les liens restent actifs sur la page web et deviennent des notes dans le PDF et
l'EPUB, comme celui-ci vers [CommonMark](https://commonmark.org/), le Markdown que
lit folio. Une note de bas de page se place là où on l'appelle.[^premiere]

[^premiere]: Dans le PDF, les notes sont imprimées en bas de page.

Pour changer l'apparence de ce seul livre, copiez un fichier du dossier `templates/`
de folio dans `templates/` ici (par exemple `templates/html/book.css`) et modifiez-le.
""",
    "es": """\
# Introducción

Este es el primer capítulo. Cada archivo `*.md` de esta carpeta es un capítulo,
por el orden de su nombre: añada `02-siguiente.md` para el siguiente.

Los enlaces siguen activos en la página web y se convierten en notas en el PDF y
el EPUB, como este a [CommonMark](https://commonmark.org/), el Markdown que lee
folio. Una nota al pie va donde se la llama.[^primera]

[^primera]: En el PDF, las notas se imprimen al pie de la página.

Para cambiar el aspecto de este libro solamente, copie un archivo de `templates/`
de folio en `templates/` aquí (por ejemplo `templates/html/book.css`) y edítelo.
""",
    "it": """\
# Introduzione

Questo è il primo capitolo. Ogni file `*.md` di questa cartella è un capitolo,
nell'ordine del suo nome: aggiungete `02-seguito.md` per il prossimo.

I link restano attivi nella pagina web e diventano note nel PDF e nell'EPUB, come
questo verso [CommonMark](https://commonmark.org/), il Markdown che folio legge.
Una nota a piè di pagina va dove la si richiama.[^prima]

[^prima]: Nel PDF le note sono stampate a piè di pagina.

Per cambiare l'aspetto di questo solo libro, copiate un file da `templates/` di
folio in `templates/` qui (per esempio `templates/html/book.css`) e modificatelo.
""",
    "nl": """\
# Inleiding

Dit is het eerste hoofdstuk. Elk bestand `*.md` in deze map is een hoofdstuk, in
de volgorde van de namen: voeg `02-verder.md` toe voor het volgende.

Links blijven actief op de webpagina en worden noten in de PDF en het EPUB, zoals
deze naar [CommonMark](https://commonmark.org/), het Markdown dat folio leest. Een
voetnoot staat waar ze wordt aangeroepen.[^eerste]

[^eerste]: In de PDF staan voetnoten onderaan de pagina.

Om alleen dit boek er anders uit te laten zien, kopieert u een bestand uit
`templates/` van folio naar `templates/` hier (bijv. `templates/html/book.css`).
""",
}


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
    text = _CHAPTERS.get(lang.split("-")[0].lower(), _CHAPTER)
    chapter.write_text(text, encoding="utf-8")
    return [metadata, chapter]
