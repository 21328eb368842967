"""The print edition's wrap cover: back, spine and front on one sheet, with bleed.

The sheet is ``2 × trim width + spine + 2 × bleed`` wide and ``trim height + 2 ×
bleed`` high. The spine is as thick as the book block: the page count times the
thickness of one page of the paper the metadata names (``paper:``, white by
default). The thicknesses per page are Amazon KDP's (KDP Help, "Paperback cover
templates" / "Create a paperback cover", which gives spine width = page count ×
0.002252 in for black and white on white paper, × 0.0025 in on cream paper,
× 0.002347 in for premium colour); other services publish their own figures
(IngramSpark's cover template generator, Lulu's "(pages / 444) + 0.06 in"): their
cover template is the reference before an upload.

Title and authors stand on the spine only when it is wide enough for a line of
6 pt or more with 1.6 mm (KDP's 0.0625 in) to either side. The front is the
``cover:`` image (filling the front and its bleed) or a typographic front in the
colours of the EPUB's generated cover; the back holds the ``description:`` and
the ISBN as an EAN-13 barcode (python-barcode) in a white box.

The sheet is print HTML (``templates/print/cover.html``) laid out by the same
engine as the book, as the same PDF/X.
"""

from __future__ import annotations

import dataclasses
import io

from markupsafe import Markup

from ..covers import cover_colours

MM_PER_INCH = 25.4
#: Thickness of one page (one side of a leaf) in mm, by the metadata's ``paper:``.
PAPER_MM = {"white": 0.002252 * MM_PER_INCH, "cream": 0.0025 * MM_PER_INCH,
            "colour": 0.002347 * MM_PER_INCH}
DEFAULT_PAPER = "white"
#: Bleed on every side, in mm (as the book's pages).
BLEED = 3.0
#: Space to either side of the spine's text, in mm (KDP asks 0.0625 in).
SPINE_MARGIN = 1.6
#: Type sizes of the spine's line, in pt: the smallest that is set at all, the largest.
SPINE_TYPE = (6.0, 12.0)
MM_PER_PT = MM_PER_INCH / 72


@dataclasses.dataclass(frozen=True)
class Wrap:
    """The geometry of a wrap cover, in mm (type size in pt)."""

    trim_width: float
    trim_height: float
    spine: float
    bleed: float = BLEED

    @property
    def width(self) -> float:
        """The whole sheet, bleed included."""
        return 2 * self.trim_width + self.spine + 2 * self.bleed

    @property
    def height(self) -> float:
        return self.trim_height + 2 * self.bleed

    @property
    def spine_type(self) -> float:
        """The type size of the spine's line; 0 when the spine is too narrow."""
        size = (self.spine - 2 * SPINE_MARGIN) / (1.15 * MM_PER_PT)
        return 0.0 if size < SPINE_TYPE[0] else round(min(size, SPINE_TYPE[1]), 1)


def wrap_for(trim_width: float, trim_height: float, pages: int, paper: str = DEFAULT_PAPER,
             bleed: float = BLEED) -> Wrap:
    """The wrap cover of a book of ``pages`` pages (an odd count is printed on one
    more: the last leaf has two sides) on ``paper``."""
    pages += pages % 2
    thickness = PAPER_MM.get(paper, PAPER_MM[DEFAULT_PAPER])
    return Wrap(trim_width, trim_height, round(pages * thickness, 3), bleed)


# --- the ISBN as a barcode ----------------------------------------------------------------

def isbn13(isbn: str) -> str | None:
    """The ISBN as the 13 digits of its EAN-13 (an ISBN-10 gets the prefix 978 and a
    new check digit); None if it is no ISBN or its check digit is wrong."""
    digits = isbn.replace("-", "").replace(" ", "").upper()
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        total = sum((10 - i) * int(d) for i, d in enumerate(digits[:9]))
        check = 10 if digits[9] == "X" else int(digits[9])
        if (total + check) % 11:
            return None
        digits = "978" + digits[:9]
        return digits + str(_ean_check(digits))
    if len(digits) == 13 and digits.isdigit() and digits[:3] in ("978", "979"):
        return digits if int(digits[12]) == _ean_check(digits[:12]) else None
    return None


def _ean_check(twelve: str) -> int:
    return (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve)) % 10) % 10


def barcode_svg(ean: str) -> bytes:
    """The EAN-13 barcode of ``ean`` as SVG at its nominal size (0.33 mm modules,
    about 37 × 26 mm with the quiet zones and the digits under the bars)."""
    from barcode import EAN13
    from barcode.writer import SVGWriter

    out = io.BytesIO()
    EAN13(ean, writer=SVGWriter()).write(out, options={
        "module_width": 0.33, "module_height": 22.85, "quiet_zone": 3.63,
        "font_size": 9, "text_distance": 3.5, "background": "white",
        "foreground": "black", "font_path": None})
    # The digits in folio's monospaced face (the SVG names none: the machine's default
    # serif would be embedded instead).
    return out.getvalue().replace(b"font-size:", b"font-family:'Folio Mono';font-size:")


# --- the sheet's context for the template ---------------------------------------------

def cover_context(book: dict, wrap: Wrap, front_image: str | None,
                  barcode: str | None) -> dict:
    """What ``templates/print/cover.html`` gets: the geometry and the colours (as
    CSS), the front image's and barcode's URLs (None without them)."""
    background, ink, accent = cover_colours(book["title"])

    def css(rgb):
        return Markup("#%02x%02x%02x" % rgb)

    return {"book": book, "wrap": wrap, "front_image": front_image, "barcode": barcode,
            "colours": {"background": css(background), "ink": css(ink),
                        "accent": css(accent)}}
