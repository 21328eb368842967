"""Typography per language (folio/typography.py): the rules as a reader sees
them in plain text (metadata) and in the manuscript's AST (issue 13)."""

from __future__ import annotations

import pytest

from folio.ast import visit
from folio.transforms.typography import localise_quotes, typeset_blocks
from folio.typography import NBSP, NNBSP, RULES, colon, long_date, rules_for, typeset

LANGUAGES = ("de", "de-ch", "en", "fr", "fr-ch", "es", "it", "nl")


def test_a_table_for_every_language_the_issue_names():
    assert set(LANGUAGES) <= set(RULES)
    assert rules_for("fr-CH") is RULES["fr-ch"]
    assert rules_for("de-AT") is RULES["de"]
    assert rules_for("pt-BR").quotes == ("\u00ab", "\u00bb", "\u201c", "\u201d")


@pytest.mark.parametrize("lang, text, expected", [
    ("fr", "Le livre et l'écran", "Le livre et l’écran"),
    ("fr", "Il dit : « bonjour » !", f"Il dit{NNBSP}: «{NNBSP}bonjour{NNBSP}»{NNBSP}!"),
    ("fr", "Il dit: «bonjour»!", f"Il dit{NNBSP}: «{NNBSP}bonjour{NNBSP}»{NNBSP}!"),
    ("fr", '"Salut" ; quoi ?!', f"«{NNBSP}Salut{NNBSP}»{NNBSP}; quoi{NNBSP}?!"),
    ("fr", "Voir https://x.org/?q=1 à 10:30.", "Voir https://x.org/?q=1 à 10:30."),
    ("fr", "1 000 € pour 2 kg, p. 12, M. Dupont",
     f"1{NNBSP}000{NNBSP}€ pour 2{NNBSP}kg, p.{NBSP}12, M.{NBSP}Dupont"),
    ("fr-ch", "'oui'", f"‹{NNBSP}oui{NNBSP}›"),
    ("de", '"Hallo", z. B. auf S. 12 mit 10 km', f"„Hallo“, z.{NNBSP}B. auf S.{NBSP}12 mit "
                                               f"10{NNBSP}km"),
    ("de-ch", "\"Grüezi\" und 'so'", "«Grüezi» und ‹so›"),
    ("en", "\"Hello\" -- it's Mr. Smith's 'book'...",
     f"“Hello” – it’s Mr.{NBSP}Smith’s ‘book’…"),
    ("es", '"Hola" y \'adiós\'', "«Hola» y “adiós”"),
    ("it", "\"Ciao\" dell'anno", "«Ciao» dell’anno"),
    ("nl", "\"Hallo\" en 't is 5 %", f"“Hallo” en ’t is 5{NBSP}%"),
])
def test_plain_text_is_set_by_its_language(lang, text, expected):
    assert typeset(text, lang) == expected
    assert typeset(expected, lang) == expected  # set twice: the same


def test_colon_and_dates():
    assert colon("fr") == f"{NNBSP}: "
    assert colon("de") == ": "
    assert long_date("2026-11-26", "en") == "26 November 2026"
    assert long_date("2026-11-26", "fr-CH") == "26 novembre 2026"
    assert long_date("2026-11", "de") == "November 2026"


def _text(blocks) -> str:
    """The text of blocks as it is printed (``ast.stringify`` squeezes spaces)."""
    parts = []

    def collect(node):
        if node["t"] == "Str":
            parts.append(node["c"])
        elif node["t"] == "Space":
            parts.append(" ")
        elif node["t"] == "Code":
            parts.append(node["c"][1])

    visit(blocks, collect)
    return "".join(parts)


def _para(*inlines):
    return [{"t": "Para", "c": list(inlines)}]


def _s(text):
    return {"t": "Str", "c": text}


SPACE = {"t": "Space"}


def test_the_author_s_spaces_are_corrected_in_the_text_but_code_and_links_are_kept():
    code = {"t": "Code", "c": [["", [], []], "a : b"]}
    link = {"t": "Link", "c": [["", [], []], [_s("https://example.org/?x")],
                               ["https://example.org/?x", ""]]}
    emph = {"t": "Emph", "c": [_s("mot")]}
    blocks = _para(_s("«"), SPACE, emph, SPACE, _s("»"), SPACE, _s(":"), SPACE, code, SPACE,
                   link, _s("!"), SPACE, _s("Pourquoi"), SPACE, _s("?"))
    out = typeset_blocks(blocks, "fr")
    assert _text(out) == (f"«{NNBSP}mot{NNBSP}»{NNBSP}: a : b https://example.org/?x"
                              f"{NNBSP}! Pourquoi{NNBSP}?")
    inlines = out[0]["c"]
    assert code in inlines and link in inlines and emph in inlines


def test_quotes_made_by_pandoc_get_the_language_s_marks_and_spaces():
    quoted = {"t": "Quoted", "c": [{"t": "DoubleQuote"}, [_s("oui")]]}
    out = typeset_blocks(localise_quotes(_para(_s("Il"), SPACE, quoted), "fr"), "fr")
    assert _text(out) == f"Il «{NNBSP}oui{NNBSP}»"
