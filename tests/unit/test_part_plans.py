"""Laying a book out in parts (``formats.pdf.parts``): how it is cut, what each part
must know of the others, and the page references a part prints itself."""

from __future__ import annotations

from folio.formats.pdf.parts import (Numbers, Part, Plan, literal_page_css, number_links,
                                     plans, split)
from folio.formats.pdf.parts import FOREIGN_LINK


def test_a_short_book_or_a_single_worker_is_one_piece():
    assert len(split(3000, [20_000] * 3, workers=2)) == 1
    assert len(split(3000, [100_000] * 10, workers=1)) == 1


def test_a_long_book_is_cut_at_chapters_into_even_shares_for_every_worker():
    parts = split(3000, [25_000] * 16, workers=2)
    assert parts[0].front and parts[0].first == parts[0].last == 0
    runs = [(p.first, p.last) for p in parts[1:]]
    assert runs[0][0] == 0 and runs[-1][1] == 16
    assert all(a[1] == b[0] for a, b in zip(runs, runs[1:])), "every chapter once"
    assert len(runs) % 2 == 0, "a multiple of the workers"
    assert max(p.size for p in parts[1:]) <= 2 * min(p.size for p in parts[1:])


def test_chapters_of_nearly_a_part_each_are_never_joined_but_short_ones_are():
    """An edit lays out its chapter's part: fifteen chapters of 28,000 characters (the
    150-page bench book's) went into fourteen parts, one of them two chapters."""
    alone = split(3000, [28_000] * 15, workers=2)[1:]
    assert [(p.first, p.last) for p in alone] == [(i, i + 1) for i in range(15)]
    paired = split(3000, [16_000] * 15, workers=2)[1:]
    assert len(paired) == 8 and max(p.last - p.first for p in paired) == 2


def test_plans_follow_page_counts_and_put_a_blank_page_before_a_right_hand_opening():
    parts = [Part(0, 0, 0, True, 3000), Part(1, 0, 2, False, 1), Part(2, 2, 4, False, 1)]
    numbers = Numbers(counts={0: 5, 1: 10, 2: 8},
                      anchors={0: {"toc": 3}, 1: {"ch-1": 1, "ch-2": 6}, 2: {"ch-3": 2}})
    referred = [{"ch-1", "ch-2", "ch-3"}, {"ch-3"}, {"ch-1", "missing"}]
    first, second, third = plans(parts, numbers, [False, True, False], referred)
    assert (first.first_number, first.side) == (1, "right")
    assert second.blank_before and second.first_number == 7 and second.side == "right"
    assert (third.first_number, third.side, third.blank_before) == (17, "right", False)
    assert dict(first.pages) == {"ch-1": 7, "ch-2": 12, "ch-3": 18}
    assert dict(third.pages)["missing"] == 17, "unknown anchors: the part's own page"


def test_links_carry_their_page_and_foreign_ones_point_at_the_merge():
    markup = ('<a class="folio-xref" href="#here">x</a> <a href="#there">y</a> '
              '<a href="#unknown">z</a> <a href="https://e.org/">w</a>')
    plan = Plan(5, False, (("here", 6), ("there", 40)))
    numbered = number_links(markup, plan, own={"here"})
    assert '<a class="folio-xref" href="#here" data-folio-page="6">' in numbered
    assert f'href="{FOREIGN_LINK}there" data-folio-page="40"' in numbered
    assert '<a href="#unknown">' in numbered and '<a href="https://e.org/">' in numbered


def test_every_rule_that_prints_a_target_page_gets_a_literal_twin():
    css = ('a.folio-xref::after { content: "\\a0(" "p." "\\a0" '
           'target-counter(attr(href url), page) ")"; color: red }\n'
           'nav.toc a::after, .x a:hover::before { content: leader(". ") '
           'target-counter(attr(href url), page); }\n'
           'p { content: "no" }')
    literal = literal_page_css(css)
    assert ('a.folio-xref[data-folio-page]::after { content: "\xa0(" "p." "\xa0" '
            'attr(data-folio-page) ")"; }') in literal  # tinycss2 writes the escape out
    assert "nav.toc a[data-folio-page]::after, .x a:hover[data-folio-page]::before" \
        in literal
    assert "target-counter" not in literal and "p {" not in literal


def test_parts_go_out_in_the_books_order_but_a_long_one_first():
    from folio.formats.pdf.builder import handed_out

    assert handed_out([0, 1, 2, 3], [10, 11, 9, 10]) == [0, 1, 2, 3]
    assert handed_out([0, 1, 2, 3, 4], [10, 11, 9, 10, 40]) == [4, 0, 1, 2, 3]
    assert handed_out([2, 5, 7], [30, 10, 10]) == [2, 5, 7]
    assert handed_out([], []) == []


def test_a_part_left_half_written_is_removed_by_the_next_build(tmp_path):
    """A worker writes a part as ``<key>.pdf.partial`` and renames it when whole; one
    stopped half-way leaves the partial file, which the next build's ``remember``
    removes with whatever else it did not use."""
    from folio.formats.pdf.store import PartStore

    store = PartStore(tmp_path)
    (tmp_path / "0123.pdf.partial").write_bytes(b"%PDF-1.7 half")
    (tmp_path / "4567.pdf").write_bytes(b"%PDF-1.7 kept")
    part = Part(0, 0, 1, True, 10)
    store.remember([part], Numbers({0: 3}, {0: {}}), ["4567"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["4567.pdf", "numbers.json"]
