"""The cover: the image the metadata names, or one made from the title.

``cover: images/cover.jpg`` in the metadata names a JPEG or PNG inside the book
folder (resolved with every image: ``transforms.links.resolve_cover``). Without
one, or when it cannot be used, the book gets a typographic cover: a PNG of
1600 × 2400 pixels (2:3, what Kobo and Apple Books show without cropping much)
with the title, subtitle and authors set in the vendored Noto Serif, on a colour
taken from the title, so that the same book always gets the same cover.

Readers show a cover only if it is an image: the EPUB declares it as the
``cover-image`` of the package (EPUB 3), with ``<meta name="cover">`` (EPUB 2 and
Kobo's library thumbnails) and on a page of its own that opens the spine (Kobo's
e-ink readers lay out a cover page as fixed layout, so nothing else goes on it).
"""

from __future__ import annotations

import dataclasses
import io

from ...document import Document
from ...typography import title_lines
from ..base import FONTS_DIR
from ..covers import cover_colours
from .kept import Kept

#: Width and height of a generated cover, in pixels.
SIZE = (1600, 2400)
#: The advance of Noto Serif's narrowest letters, in em: no more characters than the
#: lines of a text at its smallest size hold of these can be shown on the cover.
NARROWEST_EM = 0.2
ELLIPSIS = "\u2026"


@dataclasses.dataclass
class Cover:
    """The cover image as it goes into the EPUB."""

    data: bytes
    media_type: str
    #: File name inside the EPUB's images folder.
    name: str


def make_cover(document: Document, kept: Kept | None = None) -> Cover:
    """The book's cover: the named image, else a typographic one (as the last build
    drew it, from ``kept``, if the words on it are the same)."""
    if document.cover is not None:
        image = document.cover
        return Cover(image.data, image.media_type, image.name)
    meta = document.metadata
    words = (meta.title, meta.subtitle, tuple(meta.authors), meta.publisher)
    data = (kept.cover(words, lambda: typographic_cover(*words)) if kept is not None
            else typographic_cover(*words))
    return Cover(data, "image/png", "cover.png")


# --- the typographic cover ---------------------------------------------------------

def _font(name: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONTS_DIR / name), size, layout_engine=ImageFont.Layout.BASIC)


def _pieces(word: str, font, width: int) -> list[str]:
    """A word cut into pieces no wider than ``width`` (only if it must be)."""
    pieces, current = [], ""
    for char in word:
        if current and font.getlength(current + char) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return pieces + [current]


def _wrap(text: str, font, width: int, cut: bool = False) -> list[str] | None:
    """``text`` broken into lines no wider than ``width``; None if a word is wider
    (unless ``cut``: then such a word is cut)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if font.getlength(word) > width:
            if not cut:
                return None
            *whole, word = _pieces(word, font, width)
            if current:
                lines.append(current)
            lines.extend(whole)
            current = ""
        trial = f"{current} {word}".strip()
        if font.getlength(trial) <= width:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def _shown(text: str, smallest: int, width: int, max_lines: int) -> str:
    """``text`` cut (at a space where there is one, with an ellipsis) to what
    ``max_lines`` lines at the ``smallest`` size could hold: a 100 kB title or 100,000
    authors are not measured word by word (that took minutes), only what can show."""
    limit = max_lines * int(width / (smallest * NARROWEST_EM))
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + ELLIPSIS


def _at_most(lines: list[str], font, width: int, max_lines: int) -> list[str]:
    """The first ``max_lines`` lines; the last one ends in an ellipsis if any were left."""
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and font.getlength(last + ELLIPSIS) > width:
        last = last[:-1]
    return lines[:max_lines - 1] + [last.rstrip(" ,;:") + ELLIPSIS]


def _fit(text: str, name: str, largest: int, smallest: int, width: int,
         max_lines: int) -> tuple[object, list[str]]:
    """The largest font size (down to ``smallest``) at which ``text`` fits; at the
    smallest size, at most ``max_lines`` lines of it."""
    text = _shown(text, smallest, width, max_lines)
    size = largest
    while True:
        font = _font(name, size)
        # Even lines where the title is short enough to balance; else simply filled.
        lines = title_lines(text, font.getlength, width)
        if lines is None or any(font.getlength(line) > width for line in lines):
            lines = _wrap(text, font, width)
        if lines is not None and len(lines) <= max_lines:
            return font, lines
        if size <= smallest:
            lines = lines if lines is not None else _wrap(text, font, width, cut=True)
            return font, _at_most(lines, font, width, max_lines)
        size = max(smallest, int(size * 0.9))


def typographic_cover(title: str, subtitle: str, authors: list[str],
                      publisher: str = "") -> bytes:
    """A PNG cover with the title, subtitle, authors and publisher."""
    from PIL import Image, ImageDraw

    width, height = SIZE
    margin = 150
    text_width = width - 2 * margin
    background, ink, accent = cover_colours(title)
    image = Image.new("RGB", SIZE, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle([margin, margin, width - margin, margin + 12], fill=accent)

    y = 420
    font, lines = _fit(title, "NotoSerif-Bold.ttf", 150, 60, text_width, 6)
    for line in lines:
        draw.text((margin, y), line, font=font, fill=ink)
        y += int(font.size * 1.2)
    if subtitle:
        y += 40
        draw.rectangle([margin, y, margin + 260, y + 6], fill=accent)
        y += 70
        font, lines = _fit(subtitle, "NotoSerif-Italic.ttf", 72, 40, text_width, 5)
        for line in lines:
            draw.text((margin, y), line, font=font, fill=ink)
            y += int(font.size * 1.3)
    bottom = height - margin
    if publisher:
        font, lines = _fit(publisher, "NotoSerif-Regular.ttf", 48, 32, text_width, 2)
        for line in reversed(lines):
            bottom -= int(font.size * 1.3)
            draw.text((margin, bottom), line, font=font, fill=accent)
        bottom -= 60
    if authors:
        font, lines = _fit(", ".join(authors), "NotoSerif-Regular.ttf", 84, 44,
                           text_width, 4)
        for line in reversed(lines):
            bottom -= int(font.size * 1.25)
            draw.text((margin, max(bottom, y + 40)), line, font=font, fill=ink)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
