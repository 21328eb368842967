"""engine.warm_up: a layout process's first layout done once, and what the import and
the warm-up leave frozen out of the garbage collector's passes."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("weasyprint")

from folio.sandbox import Child, can_fork  # noqa: E402


def _after_warm_up() -> tuple[int, int]:
    """In a layout child: the objects frozen and those the collector still walks."""
    from folio.formats.pdf import engine

    engine.warm_up()
    return gc.get_freeze_count(), len(gc.get_objects())


@pytest.mark.skipif(not can_fork(), reason="the layout's processes are forked")
def test_what_the_warm_up_leaves_is_frozen():
    with Child(display="book", what="the warm-up") as child:
        frozen, tracked = child.run(_after_warm_up, timeout=120)
    # WeasyPrint's modules and caches, some 17,000 objects the collector's full
    # passes walked for every part, are frozen with what the child was forked with.
    assert frozen > 50_000
    assert tracked < 1_000


def _patterns_after_warm_up(spec: str) -> list[str]:
    """In a layout child: the hyphenation patterns read once the preload ``spec``
    (``sandbox.import_modules``) has run."""
    import pyphen

    from folio.sandbox import import_modules

    import_modules(("folio.formats.pdf.libraries:import_weasyprint", spec))
    return sorted(path.name for path in pyphen.hdcache)


@pytest.mark.skipif(not can_fork(), reason="the layout's processes are forked")
@pytest.mark.parametrize("language, patterns", [("de-DE", "hyph_de_DE.dic"),
                                                ("en", "hyph_en_GB.dic")])
def test_the_warm_up_reads_the_books_hyphenation_patterns(language, patterns):
    """The workers forked after the warm-up have the book's patterns: German's took
    each of them 0.5 s to read when the warm-up was in English."""
    with Child(display="book", what="the warm-up") as child:
        read = child.run(_patterns_after_warm_up, f"folio.formats.pdf.engine:warm_up:{language}",
                         timeout=120)
    assert read == [patterns]


def test_the_pdf_layout_is_warmed_up_in_the_books_language():
    from folio.formats.pdf.builder import PdfBuilder
    from folio.pipeline import _isolated_children

    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}, "de") as made:
        assert "folio.formats.pdf.engine:warm_up:de" in made["pdf"].preload
    with _isolated_children([PdfBuilder()], "book", {"layout_workers": 2}) as made:
        assert "folio.formats.pdf.engine:warm_up:en" in made["pdf"].preload
