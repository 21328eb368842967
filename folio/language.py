"""Languages: detecting a manuscript's language, its quotation marks, and the
words the pipeline itself writes into a book (Contents, Notes, page)."""

from __future__ import annotations

import re

#: (open double, close double, open single, close single) per primary language.
QUOTES = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "de-ch": ("\u00ab", "\u00bb", "\u2039", "\u203a"),
    "fr": ("\u00ab\u202f", "\u202f\u00bb", "\u201c", "\u201d"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "pt": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "pl": ("\u201e", "\u201d", "\u00ab", "\u00bb"),
    "cs": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "sk": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "ru": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "uk": ("\u00ab", "\u00bb", "\u201e", "\u201c"),
    "sv": ("\u201d", "\u201d", "\u2019", "\u2019"),
    "fi": ("\u201d", "\u201d", "\u2019", "\u2019"),
    "da": ("\u00bb", "\u00ab", "\u203a", "\u2039"),
    "nb": ("\u00ab", "\u00bb", "\u2018", "\u2019"),
    "no": ("\u00ab", "\u00bb", "\u2018", "\u2019"),
    "hu": ("\u201e", "\u201d", "\u00bb", "\u00ab"),
    "el": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "ja": ("\u300c", "\u300d", "\u300e", "\u300f"),
    "zh": ("\u201c", "\u201d", "\u2018", "\u2019"),
}

#: Words the pipeline writes, per primary language; English is the fallback.
WORDS = {
    "en": {"contents": "Contents", "notes": "Notes", "page": "p.", "note": "Note",
           "back": "Back to text", "cover": "Cover", "title_page": "Title page",
           "imprint": "Imprint", "download": "Download", "pages": "Pages",
           "landmarks": "Landmarks", "start": "Start of text", "by": "by"},
    "de": {"contents": "Inhalt", "notes": "Anmerkungen", "page": "S.", "note": "Anmerkung",
           "back": "Zurück zum Text", "cover": "Umschlag", "title_page": "Titelseite",
           "imprint": "Impressum", "download": "Herunterladen", "pages": "Seiten",
           "landmarks": "Orientierung", "start": "Textbeginn", "by": "von"},
    "fr": {"contents": "Table des matières", "notes": "Notes", "page": "p.",
           "note": "Note", "back": "Retour au texte", "cover": "Couverture",
           "title_page": "Page de titre", "imprint": "Mentions légales",
           "download": "Télécharger", "pages": "Pages", "landmarks": "Repères",
           "start": "Début du texte", "by": "par"},
    "es": {"contents": "Índice", "notes": "Notas", "page": "p.", "note": "Nota",
           "back": "Volver al texto", "cover": "Cubierta", "title_page": "Portada",
           "imprint": "Créditos", "download": "Descargar", "pages": "Páginas",
           "landmarks": "Puntos de referencia", "start": "Inicio del texto", "by": "de"},
    "it": {"contents": "Indice", "notes": "Note", "page": "p.", "note": "Nota",
           "back": "Torna al testo", "cover": "Copertina", "title_page": "Frontespizio",
           "imprint": "Colophon", "download": "Scarica", "pages": "Pagine",
           "landmarks": "Punti di riferimento", "start": "Inizio del testo", "by": "di"},
    "nl": {"contents": "Inhoud", "notes": "Noten", "page": "p.", "note": "Noot",
           "back": "Terug naar de tekst", "cover": "Omslag", "title_page": "Titelpagina",
           "imprint": "Colofon", "download": "Downloaden", "pages": "Pagina's",
           "landmarks": "Oriëntatiepunten", "start": "Begin van de tekst", "by": "door"},
}

#: Where the manuscript names no language and detection is unsure.
FALLBACK_LANGUAGE = "en"

_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def is_valid_tag(tag: str) -> bool:
    """True for a plausible BCP 47 tag such as ``de``, ``en-GB`` or ``pt-BR``."""
    return bool(_TAG.match(tag))


def primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def quotes_for(tag: str) -> tuple[str, str, str, str]:
    lowered = tag.lower()
    if lowered in QUOTES:
        return QUOTES[lowered]
    return QUOTES.get(primary(tag), QUOTES["en"])


def words_for(tag: str) -> dict[str, str]:
    return WORDS.get(primary(tag), WORDS["en"])


def detect_language(text: str) -> str | None:
    """Guess the language of ``text`` offline (py3langid); None if too little text."""
    sample = text[:20000]
    if len(re.findall(r"\w+", sample)) < 5:
        return None
    import py3langid  # imported here: loading its model costs ~0.2 s

    language, _score = py3langid.classify(sample)
    return language


# --- labels of scholarly books (issue 14): captions, references, callouts -------------
#: Words for numbered things, the bibliography, the index and callouts, per primary
#: language; English is the fallback. ``on_page`` follows a reference in print
#: ("Abbildung 3 auf S. 12").
LABELS = {
    "en": {"figure": "Figure", "table": "Table", "equation": "Equation",
           "section": "Section", "on_page": "on p.", "references": "References",
           "index": "Index", "list_of_figures": "List of Figures",
           "list_of_tables": "List of Tables", "note": "Note", "tip": "Tip",
           "important": "Important", "warning": "Warning", "caution": "Caution",
           "symbols": "Symbols", "done": "done", "open": "open"},
    "de": {"figure": "Abbildung", "table": "Tabelle", "equation": "Gleichung",
           "section": "Abschnitt", "on_page": "auf S.", "references": "Literatur",
           "index": "Register", "list_of_figures": "Abbildungsverzeichnis",
           "list_of_tables": "Tabellenverzeichnis", "note": "Hinweis", "tip": "Tipp",
           "important": "Wichtig", "warning": "Warnung", "caution": "Vorsicht",
           "symbols": "Symbole", "done": "erledigt", "open": "offen"},
    "fr": {"figure": "Figure", "table": "Tableau", "equation": "Équation",
           "section": "Section", "on_page": "p.", "references": "Bibliographie",
           "index": "Index", "list_of_figures": "Table des figures",
           "list_of_tables": "Liste des tableaux", "note": "Remarque", "tip": "Astuce",
           "important": "Important", "warning": "Avertissement", "caution": "Attention",
           "symbols": "Symboles", "done": "fait", "open": "à faire"},
    "es": {"figure": "Figura", "table": "Tabla", "equation": "Ecuación",
           "section": "Sección", "on_page": "en la p.", "references": "Bibliografía",
           "index": "Índice alfabético", "list_of_figures": "Índice de figuras",
           "list_of_tables": "Índice de tablas", "note": "Nota", "tip": "Consejo",
           "important": "Importante", "warning": "Advertencia", "caution": "Precaución",
           "symbols": "Símbolos", "done": "hecho", "open": "pendiente"},
    "it": {"figure": "Figura", "table": "Tabella", "equation": "Equazione",
           "section": "Sezione", "on_page": "a p.", "references": "Bibliografia",
           "index": "Indice analitico", "list_of_figures": "Elenco delle figure",
           "list_of_tables": "Elenco delle tabelle", "note": "Nota", "tip": "Suggerimento",
           "important": "Importante", "warning": "Avvertenza", "caution": "Attenzione",
           "symbols": "Simboli", "done": "fatto", "open": "da fare"},
    "nl": {"figure": "Figuur", "table": "Tabel", "equation": "Vergelijking",
           "section": "Paragraaf", "on_page": "op p.", "references": "Literatuur",
           "index": "Register", "list_of_figures": "Lijst van figuren",
           "list_of_tables": "Lijst van tabellen", "note": "Opmerking", "tip": "Tip",
           "important": "Belangrijk", "warning": "Waarschuwing", "caution": "Let op",
           "symbols": "Symbolen", "done": "klaar", "open": "open"},
}


def labels_for(tag: str) -> dict[str, str]:
    return LABELS.get(primary(tag), LABELS["en"])
