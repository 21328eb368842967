"""Typography per language, as data: one ``Rules`` table per language, and
``typeset(text, lang)`` that applies a table to plain text.

The same rules reach every word a reader sees: the manuscript's text (through
``folio.transforms.typography``, which hands this module the text of each run
of inlines) and every metadata field that is printed (title, subtitle, authors,
description, rights, … on the cover, the title page, the running heads, the
PDF's Info and XMP, the EPUB's package, the reading page's ``<title>``).

What a table says:
- the quotation marks, and the apostrophe (``l'écran`` -> ``l’écran``);
- the spaces some languages put inside guillemets and before ``: ; ? !``
  (French: a narrow no-break space, U+202F). The spaces an author typed there
  are replaced, and a missing one is added;
- no-break spaces inside abbreviations (``z. B.``), after the ones that stand
  before a number or a name (``S. 12``, ``Dr. Weber``, ``M. Dupont``), and
  between a number and its unit (``10 km``, ``5 %``);
- ``long_date``: a date as a reader of the language writes it (``26 novembre 2026``).

Text handed to ``apply_rules`` may hold two marks that stand for what is not
text: ``OBJECT`` (an inline element such as a link or code, never changed) and
``BREAK`` (a hard line break). Plain text for ``typeset`` holds neither.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from .language import QUOTES, primary

NBSP = "\u00a0"
#: Narrow no-break space: French before ``: ; ? !`` and inside « ».
NNBSP = "\u202f"
APOSTROPHE = "\u2019"
#: Stands for an inline element that is not text (a link, code, emphasis …).
OBJECT = "\ufffc"
#: Stands for a hard line break.
BREAK = "\ue000"

#: Units written after a number (SI and the common ones), as whole words.
UNITS = ("%", "‰", "€", "$", "£", "¥", "°C", "°F", "°", "km", "m", "cm", "mm", "µm", "nm",
         "kg", "g", "mg", "t", "l", "ml", "cl", "dl", "h", "min", "s", "ms", "µs", "ns",
         "kB", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "Hz", "kHz", "MHz",
         "GHz", "kW", "MW", "kWh", "MWh", "mAh", "km/h", "m²", "m³", "km²", "px", "pt",
         "dpi", "bit", "Bit", "Mbit/s", "Gbit/s")


@dataclasses.dataclass(frozen=True)
class Rules:
    """The typographic rules of one language."""

    #: (open double, close double, open single, close single).
    quotes: tuple[str, str, str, str]
    apostrophe: str = APOSTROPHE
    #: Punctuation that gets a no-break space before it, and that space.
    space_before: str = ""
    punctuation_space: str = NNBSP
    #: The space inside guillemets « » and ‹ › ("" for none).
    guillemet_space: str = ""
    #: Abbreviations of several parts whose inner spaces do not break (``z. B.``).
    inner: tuple[str, ...] = ()
    #: Abbreviations followed by a no-break space when a number follows (``S. 12``).
    before_number: tuple[str, ...] = ()
    #: Abbreviations followed by a no-break space when a name follows (``Dr. Weber``).
    before_name: tuple[str, ...] = ()
    #: The space between a number and its unit.
    unit_space: str = NBSP
    #: The space between groups of three digits as authors type them (``1 000``), or "".
    digit_group_space: str = ""


#: One table per language; a language without its own takes its quotes from
#: ``language.QUOTES`` and no spacing rules.
RULES: dict[str, Rules] = {
    "en": Rules(quotes=QUOTES["en"],
                before_number=("p.", "pp.", "No.", "no.", "Fig.", "fig.", "Vol.", "vol.",
                               "Ch.", "ch.", "§", "§§"),
                before_name=("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "St.")),
    "de": Rules(quotes=QUOTES["de"],
                inner=("z. B.", "d. h.", "u. a.", "o. Ä.", "u. U.", "v. a.", "s. o.",
                       "s. u.", "i. d. R.", "z. T.", "u. v. m.", "m. E.", "o. g."),
                before_number=("S.", "Nr.", "Abb.", "Kap.", "Bd.", "Tab.", "Abs.", "Art.",
                               "Anm.", "§", "§§"),
                before_name=("Dr.", "Prof.", "Hr.", "Fr.", "St."),
                unit_space=NNBSP),
    "de-ch": Rules(quotes=QUOTES["de-ch"],
                   inner=("z. B.", "d. h.", "u. a.", "o. Ä.", "u. U.", "v. a.", "s. o.",
                          "s. u.", "i. d. R.", "z. T.", "u. v. m.", "m. E.", "o. g."),
                   before_number=("S.", "Nr.", "Abb.", "Kap.", "Bd.", "Tab.", "Abs.",
                                  "Art.", "Anm.", "§", "§§"),
                   before_name=("Dr.", "Prof.", "Hr.", "Fr.", "St."),
                   unit_space=NNBSP),
    "fr": Rules(quotes=("\u00ab", "\u00bb", "\u201c", "\u201d"),
                space_before=":;?!", guillemet_space=NNBSP,
                before_number=("p.", "pp.", "n°", "no", "fig.", "vol.", "chap.", "t.", "§",
                               "§§"),
                before_name=("M.", "MM.", "Mme", "Mmes", "Mlle", "Mlles", "Dr", "Pr", "Me"),
                unit_space=NNBSP, digit_group_space=NNBSP),
    # Swiss French: inner quotes are ‹ ›, with the same narrow spaces as « ».
    "fr-ch": Rules(quotes=("\u00ab", "\u00bb", "\u2039", "\u203a"),
                   space_before=":;?!", guillemet_space=NNBSP,
                   before_number=("p.", "pp.", "n°", "no", "fig.", "vol.", "chap.", "§",
                                  "§§"),
                   before_name=("M.", "MM.", "Mme", "Mmes", "Mlle", "Dr", "Pr", "Me"),
                   unit_space=NNBSP, digit_group_space=NNBSP),
    "es": Rules(quotes=QUOTES["es"],
                before_number=("p.", "pp.", "pág.", "págs.", "n.º", "núm.", "cap.", "fig.",
                               "vol.", "§"),
                before_name=("Sr.", "Sra.", "Srta.", "Dr.", "Dra.", "D.", "Dña.")),
    "it": Rules(quotes=QUOTES["it"],
                before_number=("p.", "pp.", "pag.", "n.", "cap.", "fig.", "vol.", "§"),
                before_name=("Sig.", "Sig.ra", "Dott.", "Dott.ssa", "Prof.", "Ing.",
                             "Avv.")),
    "nl": Rules(quotes=QUOTES["nl"],
                before_number=("p.", "blz.", "nr.", "fig.", "hfst.", "art.", "§"),
                before_name=("dhr.", "mevr.", "dr.", "prof.", "mr.", "ir.")),
}


def rules_for(lang: str) -> Rules:
    """The table of ``lang`` (``fr-CH``, else ``fr``), else quotes only."""
    lowered = (lang or "").lower()
    if lowered in RULES:
        return RULES[lowered]
    if primary(lowered) in RULES:
        return RULES[primary(lowered)]
    return Rules(quotes=QUOTES.get(lowered) or QUOTES.get(primary(lowered)) or QUOTES["en"])


# --- the rules as regular expressions ------------------------------------------------

#: A space an author may have typed (or that an earlier rule put there).
_SPACE = "[ \n\u00a0\u2009\u202f]"
#: What may follow ``: ; ? !`` for it to be punctuation and not part of a word (an
#: address ``https://``, a time ``10:30``, a query ``?q=1``).
_AFTER_MARK = "(?=$|[\\s\u00bb\u203a)\\]\u201d\u2019\"'.,;:!?\u2026" + OBJECT + BREAK + "])"


@functools.lru_cache(maxsize=None)
def _compiled(rules: Rules) -> list[tuple[re.Pattern, str]]:
    steps: list[tuple[re.Pattern, str]] = []
    if rules.guillemet_space:
        space = rules.guillemet_space
        steps.append((re.compile(f"([\u00ab\u2039]){_SPACE}*(?=[^\\s{BREAK}])"), f"\\1{space}"))
        steps.append((re.compile(f"(?<=[^\\s{BREAK}\u00ab\u2039]){_SPACE}*([\u00bb\u203a])"),
                      f"{space}\\1"))
    if rules.space_before:
        marks = re.escape(rules.space_before)
        # Not after another mark (``?!``), an opening bracket or the start.
        steps.append((re.compile(f"(?<=[^\\s{BREAK}{marks}(\\[\u00ab\u2039]){_SPACE}*"
                                 f"(?=[{marks}]{_AFTER_MARK})"), rules.punctuation_space))
    if rules.inner:
        for abbreviation in rules.inner:
            parts = [re.escape(part) for part in abbreviation.split(" ")]
            steps.append((re.compile("(?<![\\w.])" + f"{_SPACE}+".join(
                f"({part})" for part in parts) + "(?!\\w)"),
                NNBSP.join(f"\\{n + 1}" for n in range(len(parts)))))
    if rules.before_number:
        words = "|".join(re.escape(word) for word in sorted(rules.before_number, key=len,
                                                            reverse=True))
        steps.append((re.compile(f"(?<![\\w.])({words}){_SPACE}+(?=\\d)"), f"\\1{NBSP}"))
    if rules.before_name:
        words = "|".join(re.escape(word) for word in sorted(rules.before_name, key=len,
                                                            reverse=True))
        steps.append((re.compile(f"(?<![\\w.])({words})[ \n]+(?=[A-ZÀ-ÖØ-Þ])"), f"\\1{NBSP}"))
    units = "|".join(re.escape(unit) for unit in sorted(UNITS, key=len, reverse=True))
    steps.append((re.compile(f"(?<=\\d)[ \n](?=(?:{units})(?![\\w/]))"), rules.unit_space))
    if rules.digit_group_space:
        steps.append((re.compile("(?<![\\d.,])(\\d{1,3})((?:[ \u00a0]\\d{3})+)(?![\\d])"),
                      lambda m: m.group(1) + re.sub("[ \u00a0]", rules.digit_group_space,
                                                    m.group(2))))
    return steps


def apply_rules(text: str, rules: Rules) -> str:
    """``text`` with the spacing rules of ``rules`` applied (quotes are left as they
    are: see ``smart_quotes``). ``OBJECT`` and ``BREAK`` marks are kept in place."""
    for pattern, replacement in _compiled(rules):
        text = pattern.sub(replacement, text)
    return text


# --- quotes in plain text (metadata: pandoc makes those of the manuscript) ----------

#: A single quote that can close one opened before it (else that was an apostrophe: 't).
_CLOSING_SINGLE = re.compile(r"(?<=\S)'(?!\w)")
_OPENS_AFTER = set(" \n\t\u00a0\u202f([{\u2013\u2014/" + OBJECT + BREAK)


def smart_quotes(text: str, rules: Rules) -> str:
    """Straight quotes, ``--``/``---`` and ``...`` of plain text as pandoc's ``smart``
    extension makes them in the manuscript, with the marks of ``rules``."""
    text = text.replace("---", "\u2014").replace("--", "\u2013").replace("...", "\u2026")
    open_double, close_double, open_single, close_single = rules.quotes
    out: list[str] = []
    double_open = single_open = False
    for index, char in enumerate(text):
        before = text[index - 1] if index else " "
        after = text[index + 1] if index + 1 < len(text) else " "
        if char == '"':
            opening = before in _OPENS_AFTER and not after.isspace() and not double_open
            out.append(open_double if opening else close_double)
            double_open = opening
        elif char == "'":
            if before.isalnum() and (after.isalnum() or not single_open):
                out.append(rules.apostrophe)  # l'écran, don't, the 90's
            elif (before in _OPENS_AFTER and not after.isspace()
                  and _CLOSING_SINGLE.search(text, index + 1)):
                out.append(open_single)
                single_open = True
            elif single_open:
                out.append(close_single)
                single_open = False
            else:
                out.append(rules.apostrophe)  # '90s, rock 'n' roll
        else:
            out.append(char)
    return "".join(out)


def colon(lang: str) -> str:
    """The colon between two parts of a line (a title and its subtitle, a label and
    what follows) as ``lang`` writes it: ``": "``, in French ``"\u202f: "``."""
    return typeset("a: b", lang)[1:-1]


def typeset(text: str, lang: str) -> str:
    """Plain text (a title, an author's name, a label) typeset for ``lang``."""
    if not text:
        return text
    rules = rules_for(lang)
    return apply_rules(smart_quotes(text, rules), rules)


# --- titles -------------------------------------------------------------------------

#: Marks after which a title breaks best ("Working with SQLite: / A Hands-on Tutorial").
_GOOD_BREAK = (":", ";", ",", "\u2013", "\u2014", ".", "?", "!")


def _break_cost(word: str, last: bool) -> float:
    if last:
        return 0.0
    if len(word.strip("\"'\u201c\u201d\u2018\u2019\u00ab\u00bb(")) == 1:
        return 10.0  # never "… SQLite: A / Hands-on …"
    return -0.3 if word.endswith(_GOOD_BREAK) else 0.0


def title_lines(text: str, width, room: float, long_words: bool = False) -> list[str] | None:
    """``text`` broken at spaces into as few lines no wider than ``room`` as it can
    be, the lines as even as can be, breaking after a colon or a dash where that
    helps and never after a one-letter word; ``width(line)`` measures a line. A word
    wider than ``room`` stands on a line of its own with ``long_words`` (the layout
    breaks it), else the answer is None."""
    words = text.split()
    if not words:
        return [text]
    if not long_words and any(width(word) > room for word in words):
        return None
    if len(words) > 40:
        return [text]
    count = len(words)
    best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for _lines in range(count):
        reached: dict[int, tuple[float, list[int]]] = {}
        for start, (cost, breaks) in best.items():
            for end in range(start + 1, count + 1):
                used = width(" ".join(words[start:end]))
                if used > room and end > start + 1:
                    break
                used = min(used, room)
                total = (cost + ((room - used) / room) ** 2
                         + _break_cost(words[end - 1], end == count))
                if end not in reached or total < reached[end][0]:
                    reached[end] = (total, breaks + [end])
        if count in reached:
            ends = reached[count][1]
            return [" ".join(words[a:b]) for a, b in zip([0, *ends], ends)]
        best = reached
    return [text]


def bind_short_words(text: str) -> str:
    """A one-letter word bound to the next with a no-break space (a title on a
    page that the browser breaks itself)."""
    return re.sub(r"(?<!\S)(\w)[ ](?=\S)", "\\1" + NBSP, text)


# --- dates -----------------------------------------------------------------------

MONTHS = {
    "en": "January February March April May June July August September October "
          "November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November "
          "Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
          "décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre "
          "noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
          "novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober "
          "november december",
}
_DAY_MONTH = {"en": "{d} {m} {y}", "de": "{d}. {m} {y}", "fr": "{d} {m} {y}",
              "es": "{d} de {m} de {y}", "it": "{d} {m} {y}", "nl": "{d} {m} {y}"}


def long_date(date: str, lang: str) -> str:
    """``2026-11-26`` as a reader of ``lang`` writes it; ISO for other languages."""
    primary = lang.split("-")[0].lower()
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", date)
    if not match or primary not in MONTHS:
        return date
    year, month, day = match.groups()
    if not month:
        return year
    name = MONTHS[primary].split()[int(month) - 1]
    if not day:
        return f"{name} {year}" if primary != "es" else f"{name} de {year}"
    return _DAY_MONTH[primary].format(d=int(day), m=name, y=year)
