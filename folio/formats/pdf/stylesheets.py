"""The print stylesheet parsed once per layout process, not once per layout.

Every part of a book carries the same stylesheet (about 20,000 characters), and
WeasyPrint parses the ``<style>`` of each document it lays out: 0.14 s of a part's
0.8 to 1.4 s (the 150-page benchmark book, nine parts and the front matter, some
laid out twice to place their notes). ``render`` takes the ``<style>`` elements out
of the head and hands WeasyPrint their sheets, each parsed by the first layout of
this process that met it.

A part's own rules (its first page number and side, ``parts.part_css``) follow the
book's after ``PART_MARK``: a sheet of their own, so that the book's sheet is the
same in every part. The sheets keep their order; WeasyPrint gives sheets passed to
``render`` the "user" origin instead of "author", which changes nothing here: no
sheet of the document is left to compete with them, and the only author styles left
are ``style`` attributes, which win over a sheet's rules either way (an
``!important`` in a stylesheet would now also beat one in a ``style`` attribute;
folio's stylesheets have none).
"""

from __future__ import annotations

import hashlib
import re

from ..serialised import simple_document

#: Between the book's stylesheet and a part's own rules (``PrintBook.html``).
PART_MARK = "/* folio: the rules of this part */"
#: Sheets kept at most; a process that meets more starts afresh (a long ``watch``).
MAX_SHEETS = 16

_HEAD_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def split_styles(markup: str) -> tuple[str, list[str]]:
    """``markup`` without the plain ``<style>`` elements of its head, and their
    sheets in order (a ``PART_MARK`` starts another sheet). Styles in the body and
    ``<style>`` elements with attributes stay where they are."""
    end = markup.find("</head>")
    if end < 0:
        return markup, []
    sheets: list[str] = []
    for match in _HEAD_STYLE.finditer(markup, 0, end):
        sheets.extend(match.group(1).split(PART_MARK))
    return _HEAD_STYLE.sub("", markup[:end]) + markup[end:], sheets


class ParsedStyles:
    """Sheets parsed by WeasyPrint, by their text, with the font configuration,
    counter styles and colour profiles they were parsed into (every document laid
    out with them must use these)."""

    def __init__(self) -> None:
        self._sheets: dict[tuple[str, str], object] = {}
        self._fonts = None

    def close(self) -> None:
        """Let the sheets and their fonts go: WeasyPrint removes the fonts' temporary
        folder when its font configuration is collected (call it before the
        interpreter shuts down, which leaves the folder behind)."""
        self._sheets.clear()
        self._fonts = None

    def render(self, markup: str, base_url: str, fetcher):
        """``weasyprint.HTML(markup).render()``, with the head's sheets parsed once.

        ``fetcher`` loads what a sheet refers to (fonts, colour profiles); a sheet
        met with other files on disk is parsed again (``fetcher.files``)."""
        import weasyprint
        from weasyprint.css.counters import CounterStyle
        from weasyprint.text.fonts import FontConfiguration

        markup, texts = split_styles(markup)
        if self._fonts is None or len(self._sheets) + len(texts) > MAX_SHEETS:
            self._sheets.clear()
            self._fonts, self._counters, self._profiles = (FontConfiguration(),
                                                           CounterStyle(), {})
        # A sheet loads its fonts and colour profiles as it is parsed: files on disk
        # (``PrintBook.files``); images and drawings (bytes) only during layout.
        files = repr(sorted((url, str(source)) for url, (source, _type)
                            in fetcher.files.items() if not isinstance(source, bytes)))
        sheets = []
        for text in texts:
            key = (hashlib.sha256(text.encode()).hexdigest(), files)
            if key not in self._sheets:
                self._sheets[key] = weasyprint.CSS(
                    string=text, base_url=base_url, url_fetcher=fetcher,
                    font_config=self._fonts,
                    counter_style=self._counters, color_profiles=self._profiles)
            sheets.append(self._sheets[key])
        return html_document(markup, base_url, fetcher).render(
            stylesheets=sheets, font_config=self._fonts, counter_style=self._counters,
            color_profiles=self._profiles)


def html_document(markup: str, base_url: str, fetcher):
    """``weasyprint.HTML(string=markup, ...)``, its tree read by
    ``formats.serialised.simple_document`` where the markup is as folio's templates
    write it (else by tinyhtml5, as WeasyPrint does): the same tree, a fifth of the
    time (tinyhtml5, pure Python, was 5 % of laying out the 150-page bench book)."""
    import cssselect2
    import weasyprint
    from weasyprint.urls import ensure_url

    tree = simple_document(markup)
    if tree is None:
        return weasyprint.HTML(string=markup, base_url=base_url, url_fetcher=fetcher)
    # WeasyPrint 70.0's ``HTML.__init__`` after its parse (a tree without a ``base``
    # element: ``simple_document`` takes none).
    document = weasyprint.HTML.__new__(weasyprint.HTML)
    document.base_url = ensure_url(base_url)
    document.url_fetcher = fetcher
    document.media_type = "print"
    document.wrapper_element = cssselect2.ElementWrapper.from_html_root(
        tree, content_language=None)
    document.etree_element = document.wrapper_element.etree_element
    return document
