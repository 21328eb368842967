"""The Kobo edition's markup (``formats.epub.kobo``) on a small page: sentence spans
numbered by paragraph, the wrapper divs, note calls Kobo pops up, code left alone."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from folio.formats.epub.kobo import kobo_document

X = "{http://www.w3.org/1999/xhtml}"
PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">
<head><title>t</title></head>
<body>
<section>
<h1 id="a">A title</h1>
<p>First sentence. Second one? <em>Third: emphasised</em> and more<a href="#note-1"
 epub:type="noteref" role="doc-noteref">1</a>.</p>
<pre><code>x = 1. y = 2.</code></pre>
<figure><img src="images/x.png" alt="x" /></figure>
<ul><li>One item. Two.</li></ul>
<aside id="note-1" epub:type="footnote" role="doc-footnote"><p><a href="#r"
 role="doc-backlink">1.</a> The note.</p></aside>
</section>
</body>
</html>
"""


def spans(root):
    return [(s.get("id"), "".join(s.itertext())) for s in root.iter(f"{X}span")
            if s.get("class") == "koboSpan"]


def test_sentences_are_spanned_and_numbered_by_paragraph():
    root = ET.fromstring(kobo_document(PAGE))
    found = spans(root)
    assert found[0] == ("kobo.0.1", "A title")
    assert ("kobo.1.1", "First sentence. ") in found and ("kobo.1.2", "Second one? ") in found
    assert ("kobo.1.3", "Third: ") in found, "a sentence inside emphasis"
    assert [text for ident, text in found if ident.startswith("kobo.2.")] == [""], "the image"
    assert ("kobo.3.1", "One item. ") in found and ("kobo.3.2", "Two.") in found
    assert ("kobo.4.1", " The note.") in found
    ids = [ident for ident, _ in found]
    assert len(ids) == len(set(ids))


def test_the_wrapper_the_code_and_the_notes():
    root = ET.fromstring(kobo_document(PAGE))
    body = root.find(f"{X}body")
    assert [c.get("id") for c in body] == ["book-columns"]
    assert body.find(f"{X}div/{X}div[@id='book-inner']/{X}section") is not None
    assert not list(root.find(f".//{X}code")), "code keeps its text"
    call = next(a for a in root.iter(f"{X}a") if a.get("href") == "#note-1")
    assert call.get("{http://www.idpf.org/2007/ops}type") == "noteref endnote"
    assert call.text == "1" and not list(call)
    back = next(a for a in root.iter(f"{X}a") if a.get("role") == "doc-backlink")
    assert back.text == "1." and not list(back)
    assert "".join(root.find(f".//{X}aside").itertext()).split() == ["1.", "The", "note."]
