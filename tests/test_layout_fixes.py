"""Two of the WeasyPrint fixes that must not change what is printed, only its cost
(``weasyprint_fixes.leaders``: a leader's dots as one text box; ``font_subset``:
the embedded fonts cut by HarfBuzz, not by fontTools). The same HTML is
laid out as WeasyPrint 70 lays it out and with the fixes, each in a process of its
own, and compared as a reader sees it: every pixel at 100 dpi, poppler's text."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import REPO, require

_LAY_OUT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from folio.formats.base import FONTS_DIR
from folio.formats.pdf import weasyprint_fixes
import weasyprint
weasyprint_fixes.apply()  # nothing with FOLIO_WEASYPRINT_AS_RELEASED=1
html = Path(sys.argv[1]).read_text(encoding="utf-8")
document = weasyprint.HTML(string=html, base_url=str(FONTS_DIR) + "/").render()
boxes = 0
def walk(box):
    global boxes
    if getattr(box, "is_leader", False):
        boxes += len(box.children)
    for child in getattr(box, "children", ()):
        walk(child)
for page in document.pages:
    walk(page._page_box)
document.write_pdf(sys.argv[2])
print(boxes)
"""

_ENTRIES = [("Chapter 1: A short one", 1), ("Section 1.1", 3),
            ("A heading long enough to run over two lines of the contents before its "
             "dots and its page number", 12), ("Notes", 140), ("Index", 1207)]


def _contents(direction: str) -> str:
    items = "".join(f'<li><a href="#t{n}">{title}</a><span class="n">{page}</span></li>'
                    for n, (title, page) in enumerate(_ENTRIES * 6))
    return f"""<!DOCTYPE html><html lang="en" dir="{direction}"><head><style>
@font-face {{ font-family: Book; src: url(NotoSerif-Regular.ttf); }}
@font-face {{ font-family: Book; font-weight: bold; src: url(NotoSerif-Bold.ttf); }}
@page {{ size: 148mm 210mm; margin: 20mm; }}
body {{ font-family: Book; font-size: 10pt; }}
ol {{ list-style: none; padding: 0; }}
li:nth-child(5n+1) {{ font-weight: bold; }}
a {{ color: inherit; text-decoration: none; }}
a::after {{ content: "\\a0" leader(". "); }}
</style></head><body><h1>Contents</h1><ol>{items}</ol></body></html>"""


def _lay_out(tmp_path, name: str, html: str, as_released: bool):
    source = tmp_path / f"{name}.html"
    source.write_text(html, encoding="utf-8")
    pdf = tmp_path / f"{name}.pdf"
    env = {**os.environ, "FOLIO_WEASYPRINT_AS_RELEASED": "1" if as_released else "0"}
    done = subprocess.run([sys.executable, "-c", _LAY_OUT, str(source), str(pdf), str(REPO)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return pdf, int(done.stdout.split()[-1])


def _seen(pdf, folder, name):
    """Each page's pixels at 100 dpi and the text with its layout, as poppler shows them."""
    from PIL import Image

    subprocess.run([require("pdftoppm"), "-png", "-r", "100", str(pdf), str(folder / name)],
                   check=True)
    pixels = [Image.open(png).convert("L").tobytes()
              for png in sorted(folder.glob(f"{name}-*.png"))]
    text = subprocess.run([require("pdftotext"), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return pixels, text


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_a_leader_is_one_text_box_and_prints_as_before(tmp_path, direction):
    html = _contents(direction)
    released, copies = _lay_out(tmp_path, "released", html, as_released=True)
    fixed, boxes = _lay_out(tmp_path, "fixed", html, as_released=False)
    leaders = len(_ENTRIES) * 6
    assert copies > 20 * leaders  # a box a dot, as released
    assert boxes == leaders
    before_pixels, before_text = _seen(released, tmp_path, "released")
    after_pixels, after_text = _seen(fixed, tmp_path, "fixed")
    assert ". . . . ." in after_text and "1207" in after_text
    assert after_text == before_text
    assert len(after_pixels) == len(before_pixels)
    for page, (before, after) in enumerate(zip(before_pixels, after_pixels), 1):
        assert after == before, f"page {page} looks different"
