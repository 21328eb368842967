"""Ids and links: what authors write (``transforms.links.find_anchor``) and what the
EPUB's XHTML needs (``formats.epub.markup``)."""

from __future__ import annotations

from folio.formats.epub.markup import (clean_tree, fix_ids, fix_links, parse_chapter,
                                       serialise_children)

X = "{http://www.w3.org/1999/xhtml}"


def test_duplicate_ids_are_renamed_and_folio_own_ids_win():
    body = parse_chapter('<p id="note-1">author</p><aside id="note-1" epub:type="footnote">'
                         'n</aside><p id="a b">spaces</p><p id="page-3">reserved</p>')
    ids = fix_ids(body)
    paragraphs = list(body.iter(f"{X}p"))
    assert body.find(f"{X}aside").get("id") == "note-1", "the note keeps its id"
    assert paragraphs[0].get("id") == "note-1-2"
    assert paragraphs[1].get("id") == "a-b"
    assert paragraphs[2].get("id") == "page-3-2", "page-N is for page markers"
    assert ids == {"note-1", "note-1-2", "a-b", "page-3-2"}


def test_links_point_into_the_file_that_holds_their_target():
    first = parse_chapter('<p><a href="#here">h</a><a href="#there">t</a>'
                          '<a href="#nowhere">n</a><a href="https://x.example/">x</a>'
                          '<a href="javascript:y">j</a></p><p id="here">.</p>')
    second = parse_chapter('<h1 id="there">T</h1>')
    file_ids = {"c1.xhtml": fix_ids(first), "c2.xhtml": fix_ids(second)}
    book_ids = {"here": "c1.xhtml", "there": "c2.xhtml"}
    fix_links(first, "c1.xhtml", file_ids, book_ids)
    links = [(a.tag.rsplit("}")[1], a.get("href")) for a in first.find(f"{X}p")]
    assert links == [("a", "#here"), ("a", "c2.xhtml#there"), ("span", None),
                     ("a", "https://x.example/"), ("span", None)]


def test_obsolete_elements_are_renamed_and_the_result_is_xml():
    body = parse_chapter('<center>c</center><p>a<div>block in p</div></p><tt>t</tt>'
                         '<img src="images/img-0123456789abcdef.png"><img src="x.png" '
                         'alt="gone">')
    clean_tree(body, {"img-0123456789abcdef.png"})
    xhtml = serialise_children(body)
    assert "<center" not in xhtml and "<div>c</div>" in xhtml
    assert "<code>t</code>" in xhtml
    assert '<img src="images/img-0123456789abcdef.png" alt="" />' in xhtml
    assert '<span class="image-dropped">gone</span>' in xhtml
