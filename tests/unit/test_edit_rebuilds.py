"""What makes a rebuild after an edit quick, each checked on its own: the reading
page's font cuts kept between builds (folio/formats/html/webfonts.py), an artefact
waited for only when a builder asks for it (folio/pipeline.py), the merge's one pass
over a part's objects (folio/formats/pdf/merge.py)."""

import threading

import pikepdf
import pytest

from folio import pipeline
from folio.formats.base import FONTS_DIR
from folio.formats.html import webfonts
from folio.formats.pdf import merge, numbering
from folio.formats.pdf.parts import FOREIGN_LINK

FONT = FONTS_DIR / "NotoSerif-Regular.ttf"


@pytest.fixture
def cuts(monkeypatch) -> list:
    """The characters of every font cut fontTools makes."""
    made = []
    real = webfonts._subset

    def subset(font, characters):
        made.append("".join(sorted(characters)))
        return real(font, characters)

    monkeypatch.setattr(webfonts, "_subset", subset)
    return made


def test_a_font_cut_is_made_once_for_the_same_characters(tmp_path, cuts):
    first = webfonts.subset_woff2(FONT, set("Folio"), tmp_path)
    again = webfonts.subset_woff2(FONT, set("oiloF"), tmp_path)
    assert again == first and cuts == ["Filo"]
    assert first[:4] == b"wOF2"


def test_new_characters_make_a_new_cut_and_the_old_one_goes(tmp_path, cuts):
    webfonts.subset_woff2(FONT, set("abc"), tmp_path)
    bigger = webfonts.subset_woff2(FONT, set("abcß"), tmp_path)
    assert cuts == ["abc", "abcß"]
    kept = list(tmp_path.glob("NotoSerif-Regular.*.woff2"))
    assert len(kept) == 1 and kept[0].read_bytes() == bigger


def test_force_cuts_again_and_no_cache_keeps_nothing(tmp_path, cuts):
    webfonts.subset_woff2(FONT, set("abc"), tmp_path)
    webfonts.subset_woff2(FONT, set("abc"), tmp_path, reuse=False)
    webfonts.subset_woff2(FONT, set("abc"))
    assert cuts == ["abc", "abc", "abc"]


def test_an_artefact_is_waited_for_when_it_is_asked_for_and_once():
    ready = threading.Event()
    asked = []

    def page_map():
        ready.wait(5)
        asked.append(True)
        return "the page map"

    given = pipeline._Artefacts({"page_map": page_map})
    assert asked == [] and list(given) == ["page_map"]  # nothing waited for yet
    ready.set()
    assert given.get("page_map") == given["page_map"] == "the page map"
    assert asked == [True] and given.get("cover") is None


def test_the_struct_elements_are_those_the_tree_reaches(tmp_path):
    """``merge._struct_elements`` (one pass over the objects) finds the elements a
    walk of the structure tree finds, in a tagged PDF of WeasyPrint's."""
    weasyprint = pytest.importorskip("weasyprint")
    path = tmp_path / "part.pdf"
    weasyprint.HTML(string="<html lang=en><title>t</title><h1>Head</h1><p>One "
                    "<a href='https://example.org/'>link</a></p><table><tr><th>h</th>"
                    "</tr><tr><td>d</td></tr></table>").write_pdf(path, pdf_tags=True)
    with pikepdf.open(path) as pdf:
        found, stack = set(), [pdf.Root.StructTreeRoot.K]
        while stack:
            node = stack.pop()
            if isinstance(node, pikepdf.Array):
                stack.extend(node)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                found.add(node.objgen)
                if "/K" in node:
                    stack.append(node.K)
        elements = merge._struct_elements(pdf)
        assert found and {element.objgen for element in elements} == found
        assert {str(element.S) for element in elements} >= {"/H1", "/P", "/Table", "/TH"}


def test_the_page_map_known_before_the_merge_is_the_merged_one(tmp_path):
    """``numbering.paginate`` (what the EPUB gets before the merge) places and labels the
    pages as ``merge_parts`` does, blank pages before parts included."""
    weasyprint = pytest.importorskip("weasyprint")
    parts = []
    for index, pages in enumerate((3, 2, 1)):
        path = tmp_path / f"part{index}.pdf"
        body = "".join(f"<p style='break-after: page'>{index}.{n}</p>" for n in range(pages))
        weasyprint.HTML(string=f"<html lang=en><title>t</title>{body}").write_pdf(
            path, pdf_tags=True)
        parts.append(path)
    blank, first, styles = [False, True, False], [1, 5, 7], ["r", "D", "D"]
    merged = merge.merge_parts(parts, tmp_path / "book.pdf", first_numbers=first,
                               blank_before=blank, label_styles=styles)
    known = numbering.paginate(merged.part_pages, blank, first, styles)
    assert (known.pages, known.part_starts, known.labels) == \
        (merged.pages, merged.part_starts, merged.labels)
    assert merged.part_starts == [0, 4, 6] and merged.pages == 7


def test_parts_prepared_where_they_are_laid_out_merge_as_the_merge_prepares_them(tmp_path):
    """``merge.prepare_part`` (in the layout worker) does what the merge does to each
    part: table header IDs unique across parts, one subset tag per subset, links to
    another part's anchor made links to its named destination."""
    weasyprint = pytest.importorskip("weasyprint")
    link = FOREIGN_LINK
    bodies = [f"<h1 id='one'>One</h1><p><a href='{link}two'>to two</a></p>",
              f"<h1 id='two'>Two</h1><p><a href='{link}one'>back</a></p>"]
    table = "<table><tr><th>h</th></tr><tr><td>d</td></tr></table>"

    def laid_out(folder):
        folder.mkdir()
        paths = []
        for index, body in enumerate(bodies):
            path = folder / f"part{index}.pdf"
            weasyprint.HTML(string=f"<html lang=en><title>t</title>{body}{table}",
                            base_url="https://book.folio.invalid/").write_pdf(
                                path, pdf_tags=True)
            paths.append(path)
        return paths

    def looked_at(path):
        with pikepdf.open(path) as pdf:
            ids = [bytes(e.ID) for e in merge._struct_elements(pdf) if "/ID" in e]
            headers = [bytes(h) for e in merge._struct_elements(pdf)
                       for a in ([e.A] if "/A" in e else [])
                       if isinstance(a, pikepdf.Dictionary) and "/Headers" in a
                       for h in a.Headers]
            fonts = [str(o.FontName) for o in pdf.objects
                     if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/FontDescriptor"]
            dests = [str(a.Dest) for page in pdf.pages for a in page.obj.get("/Annots", [])
                     if "/Dest" in a]
            return len(pdf.pages), ids, headers, fonts, dests

    plain = laid_out(tmp_path / "plain")
    merge.merge_parts(plain, tmp_path / "plain.pdf")
    prepared = laid_out(tmp_path / "prepared")
    for index, path in enumerate(prepared):
        merge.prepare_part(path, f"k{index}")
    merge.merge_parts(prepared, tmp_path / "prepared.pdf", prepared=True)
    pages, ids, headers, fonts, dests = looked_at(tmp_path / "prepared.pdf")
    plain_pages, plain_ids, _, plain_fonts, plain_dests = looked_at(tmp_path / "plain.pdf")
    assert pages == plain_pages == 2
    assert len(ids) == len(plain_ids) == 2 and len(set(ids)) == 2, "unique IDs"
    assert set(headers) <= set(ids) and headers, "cells name their headers' new IDs"
    assert len(fonts) == len(plain_fonts) and len(set(fonts)) == len(fonts), "unique tags"
    assert sorted(dests) == sorted(plain_dests) == ["one", "two"]
