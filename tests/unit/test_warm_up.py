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
