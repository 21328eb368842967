"""What the EPUB keeps between builds (folio/formats/epub/kept.py): a chapter's
tree comes back as it was parsed, an edited chapter is parsed again, and a damaged
entry is a miss."""

from xml.etree import ElementTree as ET

from folio.formats.epub.kept import Kept, element_of, plain_of
from folio.formats.epub.markup import clean_tree, parse_chapter, serialise_children

MESSY = ('<h2 id="a">Ein „Titel“</h2><p class="x" title="zwei\nZeilen">Text &amp; '
         '<b>fett<i>kursiv</b> weiter</i><!-- weg --><img src="img-1.png" alt="Bild">'
         '<svg viewBox="0 0 1 1"><a xlink:href="#a"><rect width="1"/></a></svg>'
         '<math><mi>x</mi></math><table><td>ohne Zeile</table>\r\nEnde')


def parsed(fragment: str, images: set[str], calls: list) -> ET.Element:
    calls.append(fragment)
    body = parse_chapter(fragment)
    clean_tree(body, images)
    return body


def test_a_kept_tree_is_the_tree_parsed(tmp_path):
    images = {"img-1.png"}
    fresh = parsed(MESSY, images, [])
    assert ET.tostring(element_of(plain_of(fresh))) == ET.tostring(fresh)
    calls = []
    first = Kept(tmp_path).tree(MESSY, images, lambda: parsed(MESSY, images, calls))
    again = Kept(tmp_path).tree(MESSY, images, lambda: parsed(MESSY, images, calls))
    assert len(calls) == 1, "the second build takes the tree from the cache"
    assert serialise_children(again) == serialise_children(first) \
        == serialise_children(fresh)
    assert ET.tostring(again) == ET.tostring(fresh)


def test_an_edited_chapter_or_other_images_are_parsed_again(tmp_path):
    calls = []
    Kept(tmp_path).tree("<p>eins</p>", set(), lambda: parsed("<p>eins</p>", set(), calls))
    Kept(tmp_path).tree("<p>zwei</p>", set(), lambda: parsed("<p>zwei</p>", set(), calls))
    Kept(tmp_path).tree("<p>eins</p>", {"img-1.png"},
                        lambda: parsed("<p>eins</p>", {"img-1.png"}, calls))
    assert len(calls) == 3


def test_a_damaged_entry_is_made_again_and_unused_ones_go(tmp_path):
    calls = []
    kept = Kept(tmp_path)
    kept.tree("<p>eins</p>", set(), lambda: parsed("<p>eins</p>", set(), calls))
    kept.cover(("Titel",), lambda: b"png")
    [entry] = [p for p in tmp_path.iterdir() if p.name.startswith("tree-")]
    entry.write_bytes(entry.read_bytes()[:-5] + b"xxxxx")
    body = Kept(tmp_path).tree("<p>eins</p>", set(),
                               lambda: parsed("<p>eins</p>", set(), calls))
    assert len(calls) == 2 and serialise_children(body) == "<p>eins</p>"
    later = Kept(tmp_path)
    assert later.cover(("Titel",), lambda: b"other") == b"png"
    later.forget_unused()
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["cover"]


def test_force_takes_nothing_from_the_cache(tmp_path):
    Kept(tmp_path).cover(("Titel",), lambda: b"old")
    assert Kept(tmp_path, reuse=False).cover(("Titel",), lambda: b"new") == b"new"
    assert Kept(tmp_path).cover(("Titel",), lambda: b"newer") == b"new"
