"""What runs in the PDF layout's child processes: WeasyPrint lays out print HTML
and writes the tagged PDF (PDF/UA-1), with nothing fetched from outside the book.

``lay_out`` takes only plain, picklable values (it is sent to the child) and
returns a ``LaidOut``: the page map for the EPUB's page list, the page count and
where each anchor stands (small, pickled back).
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import hashlib
import logging
import tempfile
from html import escape
from pathlib import Path
from urllib.parse import urljoin
from xml.etree import ElementTree as ET

from ...diagnostics import MISSING_LIBRARY, BuildError
from ..pagemap import PageMap, page_map
from .index import fill_index
from .libraries import import_weasyprint
from .maths import tag_formulas_as_formula
from .conformance import SCREEN, adjust_xmp, for_print, is_print, output_intent
from .note_repeats import ATTEMPTS, calls_of, moved, repeats, stray_repeats, with_repeats
from .note_rule import Misplaced, misplaced_notes
from .numbering import MAIN_ANCHOR, Run, runs_of
from .stylesheets import ParsedStyles
from .weasyprint_fixes import apply as apply_fixes

#: What the print HTML holds when its index still waits for its page numbers (the
#: document is then laid out twice; a part gets its index filled in beforehand).
INDEX_MARK = 'class="index-locators" data-anchors='


@dataclasses.dataclass
class LaidOut:
    """What a layout tells besides the PDF it wrote."""

    #: Where each page begins, for the EPUB's page list (numbers: pages of this PDF).
    page_map: PageMap
    #: Pages of this PDF.
    pages: int
    #: Anchor id -> the page (of this PDF, from 1) it stands on.
    anchors: dict[str, int]
    #: The page (0-based) where the main matter begins (``numbering.MAIN_ANCHOR``),
    #: or None if this PDF has none (the front matter laid out as a part).
    main_start: int | None = None
    #: Image URL -> the lowest resolution (pixels per inch) it is printed at.
    images: dict[str, float] = dataclasses.field(default_factory=dict)
    #: The notes that break their rule (``note_rule``); pages of this PDF.
    misplaced: list[Misplaced] = dataclasses.field(default_factory=list)

#: The base URL of the print HTML; never fetched, only mapped by ``BookFetcher``.
BASE_URL = "https://book.folio.invalid/"
#: The stylesheets this process has parsed, for the next layout (``stylesheets``).
_STYLES = ParsedStyles()
atexit.register(_STYLES.close)


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class BookFetcher(URLFetcher):
        """Serves only the files it was given; refuses every other URL."""

        def __init__(self, files: dict[str, tuple[Path | bytes, str]]) -> None:
            super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False)
            self.files = files
            #: URLs that were asked for and refused.
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url in self.files:
                source, media_type = self.files[url]  # an image's bytes, or our font file
                body = source if isinstance(source, bytes) else source.read_bytes()
                return URLFetcherResponse(url, body=body,
                                          headers={"Content-Type": media_type})
            self.refused.append(url)
            raise ValueError(f"folio does not fetch {url[:80]}")

    return BookFetcher


def _xmp_metadata_class():
    from weasyprint.pdf.metadata import NS, DocumentMetadata

    class BookMetadata(DocumentMetadata):
        """WeasyPrint's XMP packet, with the book's language, publisher,
        identifier, rights and date added as Dublin Core."""

        def __init__(self, extra: dict[str, str], edition: tuple[str, bytes],
                     **values) -> None:
            super().__init__(**values)
            self.extra = extra
            self.edition = edition

        def generate_rdf_metadata(self, variant, version, conformance):
            rdf = ET.fromstring(super().generate_rdf_metadata(variant, version, conformance))
            adjust_xmp(rdf, *self.edition)
            description = ET.SubElement(rdf, f'{{{NS["rdf"]}}}Description')
            description.attrib[f'{{{NS["rdf"]}}}about'] = ""
            for key, value in self.extra.items():
                if not value:
                    continue
                element = ET.SubElement(description, f'{{{NS["dc"]}}}{key}')
                if key in ("language", "publisher", "date"):
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}Bag'
                                            if key != "date" else f'{{{NS["rdf"]}}}Seq')
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}li')
                elif key == "rights":
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}Alt')
                    element = ET.SubElement(element, f'{{{NS["rdf"]}}}li')
                    element.attrib["xml:lang"] = "x-default"
                element.text = value
            return ET.tostring(rdf, encoding="utf-8")

    return BookMetadata


def lay_out(html: str, files: dict[str, tuple[Path | bytes, str]], dublin_core: dict[str, str],
            temporary: Path, variant: str = SCREEN, identified: bool = True) -> LaidOut:
    """Lay out ``html`` into the PDF ``temporary`` of the standard ``variant``
    (``conformance``: PDF/UA-1, PDF/A-2u, PDF/X-4 or X-1a); return what the layout
    tells.

    ``identified``: with a file identifier (``/ID``). A part of a book has none: the
    merged PDF takes the identifier of the page that carries the book's metadata,
    and pydyf's second half of an identifier is a hash of every object, for which
    it makes each object's bytes twice (every content stream compressed again): 14 %
    of the PDF writing, 0.7 s of the 150-page bench book's layout.

    Runs in a child process under time and memory limits (``folio.sandbox``)."""
    try:
        import_weasyprint()
    except OSError as error:  # cffi could not load Pango (or GObject, HarfBuzz …)
        raise BuildError("", f"the PDF needs the Pango library (1.44 or newer), which "
                         f"could not be loaded ({str(error).splitlines()[0][:120]}); "
                         "install it -- Debian and Ubuntu: sudo apt-get install "
                         "libpango-1.0-0 libpangoft2-1.0-0; macOS: brew install pango -- "
                         "and build again; the other formats do not need it",
                         code=MISSING_LIBRARY) from None

    tag_formulas_as_formula()
    apply_fixes()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    def render(markup: str):
        return _STYLES.render(markup, BASE_URL, _fetcher_class()(files))

    rendered, markup = one_note_per_url(render, html)
    if INDEX_MARK in markup:  # the index's page numbers come from the first layout
        rendered = render(fill_index(markup, printed_numbers(rendered)))
    # The file identifier is stable: the book's identifier and the build time
    # (pydyf adds a hash of the content as the second part).
    stamp = f"{dublin_core['identifier']}\n{rendered.metadata.modified}".encode()
    # XMP's document ID: the same stamp and the document (a part, a cover) laid out.
    document_id = stamp + hashlib.sha256(html.encode("utf-8")).digest()
    rendered.metadata = _xmp_metadata_class()(dublin_core, (variant, document_id),
                                              **vars(rendered.metadata))
    anchors: dict[str, int] = {}
    for number, page in enumerate(rendered.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)  # the first of two anchors wins
    main_start = anchors[MAIN_ANCHOR] - 1 if MAIN_ANCHOR in anchors else None
    rendered.write_pdf(temporary, pdf_variant=variant, pdf_tags=True,
                       pdf_identifier=identified and hashlib.md5(stamp).hexdigest().encode(),
                       finisher=_finisher(runs_of(main_start, True), is_print(variant)))
    if is_print(variant):
        for_print(temporary, variant)
    return LaidOut(page_map(rendered), len(rendered.pages), anchors, main_start,
                   image_resolutions(rendered), misplaced_notes(rendered.pages))


#: A page that goes through every stage of a layout (fonts, hyphenation, a note, a
#: table, links, running numbers, a tagged PDF with its fonts cut): ``warm_up``.
WARM_UP = """<!DOCTYPE html><html lang="{language}"><head><title>Warm-up</title><style>{fonts}
body {{ font-family: "Noto Serif", serif; hyphens: auto; text-align: justify; }}
code {{ font-family: "Noto Sans Mono", monospace; }} .note {{ float: footnote; }}
@page {{ size: A5; @bottom-center {{ content: counter(page); }} }}
</style></head><body><h1 id="w">Warm-up</h1><p>A paragraph of <em>text</em>,
<strong>bold</strong> and <code>code</code>, long enough to be broken into lines and
hyphenated: typographically, internationalisation, characteristically.<span
class="note">A note with <a href="https://example.org/a/long/address">a link</a>.</span>
</p><table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td><td>2</td>
</tr></tbody></table><ul><li>one</li><li><a href="#w">two</a></li></ul></body></html>"""


def warm_up(language: str = "en") -> None:
    """Lay out ``WARM_UP`` in ``language`` (the book's) and throw it away. The first
    layout of a process pays for what every later one finds ready (cffi's C types
    parsed, fonts loaded, Pango's and fontconfig's caches filled, the language's
    hyphenation patterns read): 0.12-0.17 s of a part's 1.0-1.2 s. The layout's
    first process does it after its import, before it forks the others
    (``sandbox.family``), while the build's process is still making the pages of
    the book: paid once, where the cores would wait. The patterns are the largest
    share for some languages: pyphen reads German's in 0.5 s (English's in 0.07 s),
    which each worker paid again when the warm-up was in English."""
    from ..base import FONTS_DIR, font_face_css

    files = {BASE_URL + "fonts/" + path.name: (path, "font/ttf")
             for path in FONTS_DIR.glob("*.ttf")}
    described = {"identifier": "urn:folio:warm-up", "language": "en", "publisher": "",
                 "rights": "", "date": ""}
    with tempfile.TemporaryDirectory(prefix="folio-warm-up-") as folder:
        lay_out(WARM_UP.format(fonts=font_face_css("fonts/"),
                               language=escape(language or "en")), files, described,
                Path(folder) / "warm-up.pdf")
    # What the import and the warm-up leave lives as long as the process (WeasyPrint's
    # modules, its caches: some 17,000 objects): out of the garbage collector's way,
    # whose full passes walked all of it again and again in every part. The 16 parts
    # of the 150-page bench book, one after the other in a process forked as the
    # layout's are: collections 0.83-0.92 -> 0.53-0.62 s, the same peak.
    gc.collect()
    gc.freeze()


def one_note_per_url(render, html: str):
    """``html`` laid out (``render``) with one note per URL per page
    (``note_repeats``): the document and the markup it was laid out from."""
    rendered = render(html)
    calls = calls_of(rendered.pages)
    chosen = repeats(calls)
    if not chosen:
        return rendered, html
    del rendered  # one laid-out document in memory at a time (an article is one piece)
    for _attempt in range(ATTEMPTS):
        markup = with_repeats(html, chosen)
        again = render(markup)
        if not stray_repeats(again.pages, calls_of(again.pages)):
            return again, markup
        calls = moved(calls, again.pages)  # choose again where this layout put them
        chosen = repeats(calls)
        del again
        if not chosen:
            break
    return render(html), html


def printed_numbers(rendered) -> dict[str, int]:
    """Anchor -> the number printed on its page: counted from the first page of the
    main matter when front matter goes before it (``numbering``)."""
    pages = {}
    for number, page in enumerate(rendered.pages, 1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)  # the first of two anchors wins
    before = pages.get(MAIN_ANCHOR, 1) - 1
    return {anchor: number - before for anchor, number in pages.items() if number > before}


def image_resolutions(rendered) -> dict[str, float]:
    """Image URL -> the lowest resolution (pixels per inch) it is printed at."""
    found: dict[str, float] = {}
    for page in rendered.pages:
        stack = [page._page_box]  # noqa: SLF001 - WeasyPrint's boxes have no public walk
        while stack:
            box = stack.pop()
            image = getattr(box, "replacement", None)
            element = getattr(box, "element", None)
            url = urljoin(BASE_URL, element.get("src") or "") if element is not None else None
            width = getattr(box, "width", 0)
            if url and type(image).__name__ == "RasterImage" and width:
                dpi = image.width / (width / 96)
                found[url] = min(found.get(url, dpi), dpi)
            stack.extend(box.all_children() if hasattr(box, "all_children") else [])
    return found


def _finisher(runs: list[Run], printing: bool):
    """A WeasyPrint finisher: ``runs`` as the PDF's ``/PageLabels``, and a print
    PDF's output condition."""
    def finish(document, pdf) -> None:
        import pydyf
        if printing:
            output_intent(pdf)
        numbers = pydyf.Array()
        for run in runs:
            entry = pydyf.Dictionary({"S": f"/{run.style}"})
            if run.first != 1:
                entry["St"] = run.first
            numbers.extend([run.start, entry])
        pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": numbers})
    return finish
