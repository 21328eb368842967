"""A missing or remote image is printed as its alt text once, in every format
(issue 13: the placeholder and a caption repeating it printed it twice)."""

from __future__ import annotations

import re

from helpers import epub_files, pdf_pages, run_build

MANUSCRIPT = """\
---
title: Pictures
lang: en
---

# Pictures

Before the pictures.

![A map of the harbour at dawn](images/missing.png)

![The lighthouse from the north](https://example.org/lighthouse.jpg)

![A boat](images/also-missing.png){#boat}

After the pictures, [the boat](#boat).
"""


def test_a_missing_or_remote_image_prints_its_alt_text_once_in_every_format(tmp_path):
    source = tmp_path / "pictures.md"
    source.write_text(MANUSCRIPT, encoding="utf-8")
    result = run_build(str(source), "-o", str(tmp_path / "dist"), "-q")
    assert result.returncode == 0, result.stderr
    assert "missing-image" in result.stderr and "remote-image" in result.stderr
    book = tmp_path / "dist" / "pictures"
    pdf = " ".join(" ".join(pdf_pages(book / "pictures.pdf")).split())
    epub = "".join(data.decode() for name, data in epub_files(book / "pictures.epub").items()
                   if name.startswith("EPUB/chapter-"))
    page = (book / "index.html").read_text(encoding="utf-8")
    main = page.split("<main", 1)[1]
    for name, text in (("pdf", pdf), ("epub", epub), ("html", main)):
        for alt in ("A map of the harbour at dawn", "The lighthouse from the north",
                    "A boat"):
            assert len(re.findall(re.escape(alt), text)) == 1, (name, alt)
    # A cross-reference to the figure still finds it.
    assert 'id="boat"' in epub and 'href="#boat"' in main
