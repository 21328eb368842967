"""The PDF editions beside the PDF for screens (``--edition``), from the same parse:

- ``print``: the file for a printer or a print-on-demand service,
  ``<book>-print.pdf``: PDF/X-4 (or PDF/X-1a with ``--pdf-x x-1a``) on the book's
  trim size, 3 mm bleed, links neither coloured nor clickable, every colour and
  image in CMYK or grey for the shipped output intent (``conformance``), a warning
  for each image printed at less than 300 dpi; and its wrap cover beside it,
  ``<book>-cover.pdf`` (``cover``).
- ``archive``: ``<book>-archive.pdf`` for libraries and deposit, PDF/A-2u, tagged
  as the PDF for screens (PDF/UA-1 declared too).

Each is a builder of its own (laid out in its own worker processes, side by side
with the other outputs, cached and timed like them).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

from markupsafe import Markup

from ...diagnostics import Diagnostic
from ...document import Document
from ...outputs import atomic_path
from ..base import Output, Written, font_face_css
from .builder import PdfBuilder, PrintBook
from .conformance import ARCHIVE, PRINT_X1A, PRINT_X4, PROFILE
from .cover import barcode_svg, cover_context, isbn13, wrap_for
from .engine import BASE_URL, lay_out

#: Below this resolution at its printed size an image is warned about.
PRINT_DPI = 300
#: The URL of the output intent's profile in the print HTML (print.css, cover.html).
PROFILE_URL = BASE_URL + "profiles/" + PROFILE.name


class PrintEditionBuilder(PdfBuilder):
    """The print-on-demand PDF and its wrap cover."""

    name = "print"
    download = ""
    gives = ()
    edition = True
    printing = True

    def file_name(self, slug: str) -> str:
        return f"{slug}-print.pdf"

    def pdf_variant(self, options: dict) -> str:
        return PRINT_X1A if options.get("pdf_x") == "x-1a" else PRINT_X4

    def write(self, document: Document, fragments: list[str], output: Output,
              given: Mapping) -> Written:
        book = PrintBook(self, document, fragments, output)
        book.files[PROFILE_URL] = (PROFILE, "application/vnd.iccprofile")
        for url, (source, media_type) in list(book.files.items()):
            if media_type in ("image/png", "image/jpeg", "image/gif", "image/webp"):
                book.files[url] = print_image(source)
        target = output.folder / self.file_name(output.slug)
        laid_out = self.lay_out_book(book, output, target)
        cover = output.folder / f"{output.slug}-cover.pdf"
        self.write_cover(book, output, laid_out.pages, cover)
        return Written(target, companions={"cover": cover},
                       diagnostics=low_resolution(document, laid_out.images))

    def write_cover(self, book: PrintBook, output: Output, pages: int, target: Path) -> None:
        """The wrap cover of ``book`` (``pages`` pages) into ``target``."""
        document = book.document
        geometry = book.geometry
        wrap = wrap_for(geometry.width, geometry.height, pages, document.metadata.paper)
        files = {url: entry for url, entry in book.files.items()
                 if url.startswith(BASE_URL + "fonts/")}
        files[PROFILE_URL] = (PROFILE, "application/vnd.iccprofile")
        front = None
        if document.cover is not None:
            front = BASE_URL + "images/cover-" + document.cover.name
            files[front] = print_image(document.cover.path)
        barcode = None
        ean = isbn13(document.metadata.isbn) if document.metadata.isbn else None
        if ean:
            barcode = BASE_URL + "images/isbn.svg"
            files[barcode] = (barcode_svg(ean), "image/svg+xml")
        html = self.render(output, "print/cover.html",
                           fonts_css=Markup(font_face_css("fonts/")),
                           **cover_context(book.book, wrap, front, barcode))
        with atomic_path(target) as temporary:
            output.workers.map([(lay_out, (html, files, book.dublin_core, temporary,
                                           self.pdf_variant(output.options)))])


class ArchiveBuilder(PdfBuilder):
    """The PDF/A-2u edition for archives and deposit libraries."""

    name = "archive"
    download = ""
    gives = ()
    edition = True

    def file_name(self, slug: str) -> str:
        return f"{slug}-archive.pdf"

    def pdf_variant(self, options: dict) -> str:
        return ARCHIVE


def print_image(source) -> tuple[bytes, str]:
    """An image of the book as the print edition embeds it: greyscale images as grey
    PNG, the others as CMYK JPEG through the output intent's profile; transparency
    flattened on white paper (PDF/X-1a allows none)."""
    from PIL import Image, ImageCms

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        dpi = image.info.get("dpi")
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            image = image.convert("RGBA")
            flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
            flat.alpha_composite(image)
            image = flat.convert("RGB")
        out = io.BytesIO()
        extra = {"dpi": dpi} if dpi else {}
        if image.mode in ("L", "1", "I", "I;16") or (
                image.mode == "RGB" and _is_grey(image)):
            image.convert("L").save(out, "PNG", optimize=True, **extra)
            return out.getvalue(), "image/png"
        transform = ImageCms.buildTransform(
            ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(str(PROFILE)), "RGB",
            "CMYK", renderingIntent=ImageCms.Intent.PERCEPTUAL)
        cmyk = ImageCms.applyTransform(image.convert("RGB"), transform)
        cmyk.save(out, "JPEG", quality=95, subsampling=0, **extra)
        return out.getvalue(), "image/jpeg"


def _is_grey(image) -> bool:
    """True if every pixel of an RGB image is grey (within 2 of 255)."""
    from PIL import ImageChops

    red, green, blue = image.split()
    return all(ImageChops.difference(a, b).getextrema()[1] <= 2
               for a, b in ((red, green), (green, blue)))


def low_resolution(document: Document, images: dict[str, float]) -> list[Diagnostic]:
    """A warning for every image of the book printed at less than ``PRINT_DPI``."""
    by_url = {BASE_URL + "images/" + image.name: image for image in document.images.values()}
    out = []
    for url, dpi in sorted(images.items()):
        image = by_url.get(url)
        if image is None or dpi >= PRINT_DPI - 0.5:
            continue
        out.append(Diagnostic(
            _shown(image.path, document), 0, 0, "warning",
            f"image is printed at {dpi:.0f} dpi in the print edition; print needs "
            f"{PRINT_DPI} dpi: use an image of at least {PRINT_DPI / dpi:.1f} times as "
            "many pixels each way, or print it smaller", "low-resolution-image"))
    return out


def _shown(path: Path, document: Document) -> str:
    """The image's path as the user would name it: relative to the working folder
    when it is under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
