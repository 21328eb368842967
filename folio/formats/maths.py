"""Formulas on screens: the MathML of each formula (``transforms.maths``) for the
EPUB and the reading page, with its TeX as ``alttext``; a numbered equation stands
in a block with its number. The PDF draws formulas itself (``formats.pdf.maths``)."""

from __future__ import annotations

import html
import re

from ..ast import RawInline, expand
from ..transforms.maths import formula_parts, is_formula

_MATH_OPEN = re.compile(r"^<math\b[^>]*>")


def mathml_markup(mathml: str, tex: str, display: bool) -> str:
    """``<math>`` with the TeX as its alternative text (no namespace declaration: the
    EPUB's serialiser declares it)."""
    mode = "block" if display else "inline"
    opening = f'<math display="{mode}" alttext="{html.escape(tex, quote=True)}">'
    return _MATH_OPEN.sub(lambda _match: opening, mathml, count=1)


def equation_markup(inner: str, ident: str, number: str) -> str:
    """A display formula; a numbered one in a block with its number, ``(3)``."""
    if not number:
        return f'<span class="display-math">{inner}</span>'
    anchor = f' id="{html.escape(ident, quote=True)}"' if ident else ""
    return (f'<span class="equation"{anchor}><span class="equation-body">{inner}</span>'
            f'<span class="equation-number">({html.escape(number)})</span></span>')


def formulas_as_mathml(blocks: list, present: bool = True) -> list:
    """Every formula of ``blocks`` as MathML (``blocks`` as they are if formulas are
    known not to be ``present``: ``Document.may_have``)."""
    if not present:
        return blocks

    def act(node: dict):
        if not is_formula(node):
            return None
        mathml, tex, display, ident, number = formula_parts(node)
        inner = mathml_markup(mathml, tex, display)
        return RawInline(equation_markup(inner, ident, number) if display else inner)
    return expand(blocks, act)
