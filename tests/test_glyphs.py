"""Characters the book's fonts lack (issue 13): Chinese and Japanese in the text
and in an address are warned about with file and line and set in the shipped
fallback (Droid Sans Fallback); a character no font has is warned about and
printed as U+FFFD; the PDF's text stays readable to pypdf. The machine's fonts
are shut out (an empty fontconfig), as on a fresh machine with none of its own."""

from __future__ import annotations

import pypdf
from helpers import pdffonts, run_build

MANUSCRIPT = """\
---
title: Travel notes 東京
lang: en
---

# Tokyo

We ate at a small place called 中文 near the station, and read
<https://ja.wikipedia.org/wiki/東京> on the train home.
A sign said ✓ at the gate.
"""


def test_chinese_and_japanese_fall_back_with_a_warning_and_the_text_stays_readable(tmp_path):
    config = tmp_path / "fonts.conf"
    config.write_text('<?xml version="1.0"?>\n<fontconfig></fontconfig>\n', encoding="utf-8")
    source = tmp_path / "travel.md"
    source.write_text(MANUSCRIPT, encoding="utf-8")
    result = run_build(str(source), "-o", str(tmp_path / "dist"), "--format", "pdf,html",
                       env={"FONTCONFIG_FILE": str(config)})
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"{source}:8:") and "'中' (U+4E2D" in line
               and "Droid Sans Fallback [font-fallback]" in line for line in lines), lines
    assert any(line.startswith(f"{source}:9:") and "'東' (U+6771" in line for line in lines)
    assert any(line.startswith(f"{source}:10:") and "'✓' (U+2713 CHECK MARK)" in line
               and "[missing-glyph]" in line for line in lines), lines
    pdf = tmp_path / "dist" / "travel" / "travel.pdf"
    assert all(font["name"].split("+")[-1].startswith("Folio") for font in pdffonts(pdf))
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
                    .split())
    assert "called 中文 near the station" in text
    assert "https://ja.wikipedia.org/wiki/東京" in text.replace(" ", "")
    assert "A sign said \ufffd at the gate." in text
    fallback = tmp_path / "dist" / "travel" / "fonts" / "DroidSansFallbackFull.woff2"
    assert 0 < fallback.stat().st_size < 20_000  # 4 MB cut to the few characters used
