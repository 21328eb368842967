"""Formulas in the PDF: each formula's MathML (``transforms.maths``) drawn as a
vector image by ziamath with its own maths font (STIX Two Math), placed on the
baseline of its line and sized in em, so that it follows the type size of the text
around it (a footnote, a table, a heading). The TeX is the image's alternative
text; the engine tags it as a ``Formula`` (PDF/UA) rather than a ``Figure``."""

from __future__ import annotations

import hashlib
import html
import re

from ...ast import RawInline, expand
from ...transforms.maths import formula_parts, is_formula
from ..maths import equation_markup

#: ziamath's base size in pixels; the drawing's sizes are given in em of it.
BASE_PX = 20.0
_VIEWBOX = re.compile(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"')


def draw(mathml: str, display: bool) -> tuple[bytes, float, float, float]:
    """The SVG of a formula, its width and height in em, and how far it reaches
    below the baseline (em)."""
    import ziamath

    ziamath.config.svg2 = False  # plain paths: no <symbol>/<use> for the PDF's SVG reader
    svg = ziamath.Math(mathml, size=BASE_PX).svg()
    match = _VIEWBOX.search(svg)
    _x, top, width, height = (float(v) for v in match.groups())
    below = max(height + top, 0.0)
    return svg.encode("utf-8"), width / BASE_PX, height / BASE_PX, below / BASE_PX


def formulas_as_drawings(blocks: list, drawings: dict[str, bytes],
                         present: bool = True) -> list:
    """Every formula of ``blocks`` as an image of its drawing; the drawings go into
    ``drawings`` (name in the outputs -> SVG). ``blocks`` as they are if formulas
    are known not to be ``present`` (``Document.may_have``)."""
    if not present:
        return blocks

    def act(node: dict):
        if not is_formula(node):
            return None
        mathml, tex, display, ident, number = formula_parts(node)
        try:
            svg, width, height, below = draw(mathml, display)
        except Exception:  # noqa: BLE001 - the TeX is printed instead of a drawing
            return RawInline(f'<code class="tex">{html.escape(tex)}</code>')
        name = "img-" + hashlib.sha256(svg).hexdigest()[:16] + ".svg"
        drawings[name] = svg
        css = "folio-math display" if display else "folio-math"
        image = (f'<img class="{css}" src="images/{name}" alt="{html.escape(tex, quote=True)}"'
                 f' style="width: {width:.3f}em; height: {height:.3f}em;'
                 f' vertical-align: -{below:.3f}em">')
        return RawInline(equation_markup(image, ident, number) if display else image)
    return expand(blocks, act)


def tag_formulas_as_formula() -> None:
    """WeasyPrint tags every image a ``Figure``; a formula's image becomes a ``Formula``
    (PDF/UA-1, 7.7), keeping its ``Alt`` and bounding box. Wraps WeasyPrint 70's
    ``pdf.tags._build_box_tree`` (checked by tests/test_scholarly.py)."""
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import tags

    original = tags._build_box_tree
    if getattr(original, "folio_formulas", False):
        return

    def build(box, parent, *args):
        inner = box._box if isinstance(box, AbsolutePlaceholder) else box
        element = getattr(inner, "element", None)
        formula = (element is not None and getattr(inner, "element_tag", "") == "img"
                   and "folio-math" in (element.get("class") or "").split())
        for structure in original(box, parent, *args):
            if formula and structure.get("S") == "/Figure":
                structure["S"] = "/Formula"
            yield structure

    build.folio_formulas = True
    tags._build_box_tree = build
