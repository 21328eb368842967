"""What the covers of every format share: the colours of a book's typographic
cover, derived from its title so that the same book always looks the same (the
EPUB's generated cover image and the print edition's wrap cover)."""

from __future__ import annotations

import colorsys
import hashlib


def cover_colours(title: str) -> tuple[tuple, tuple, tuple]:
    """Background, text and accent colour (RGB, 0-255), from a hue derived from the
    title."""
    hue = int(hashlib.sha256(title.encode("utf-8")).hexdigest()[:4], 16) / 0xFFFF

    def rgb(h, lightness, saturation):
        return tuple(round(c * 255) for c in colorsys.hls_to_rgb(h, lightness, saturation))

    return rgb(hue, 0.22, 0.35), (248, 244, 236), rgb((hue + 0.08) % 1, 0.70, 0.55)
