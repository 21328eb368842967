"""Roman numerals for the front matter, arabic from the first chapter
(``formats.pdf.numbering``): the labels, the runs a merge writes, the parts' plans."""

from __future__ import annotations

from folio.formats.pdf.numbering import ARABIC, ROMAN, Run, label, page_labels, roman, runs_of
from folio.formats.pdf.parts import Numbers, Part, plans


def test_roman_numerals():
    assert [roman(n) for n in (1, 2, 3, 4, 9, 14, 40, 90, 1999)] == \
        ["i", "ii", "iii", "iv", "ix", "xiv", "xl", "xc", "mcmxcix"]


def test_a_book_counts_its_front_matter_in_roman_and_its_chapters_from_one():
    runs = runs_of(main_start=4, front_in_roman=True)
    assert [label(i, runs) for i in range(7)] == ["i", "ii", "iii", "iv", "1", "2", "3"]
    assert [label(i, runs_of(0, True)) for i in range(3)] == ["1", "2", "3"], "an article"
    assert [label(i, runs_of(None, True)) for i in range(2)] == ["1", "2"]


def test_merged_labels_run_on_over_a_blank_page_before_the_first_chapter():
    # Front matter of 3 pages, a blank page, then two parts of chapters.
    runs = page_labels([1, 1, 11], [ROMAN, ARABIC, ARABIC], [3, 10, 5], [False, True, False])
    assert runs == [Run(0, ROMAN, 1), Run(4, ARABIC, 1)]
    assert [label(i, runs) for i in (0, 3, 4, 13, 14, 18)] == ["i", "iv", "1", "10", "11", "15"]


def test_plans_start_the_chapters_at_one_on_a_right_hand_page():
    parts = [Part(0, 0, 0, True, 3000), Part(1, 0, 2, False, 1), Part(2, 2, 4, False, 1)]
    numbers = Numbers(counts={0: 3, 1: 10, 2: 8}, anchors={1: {"ch-1": 1}, 2: {"ch-3": 2}})
    front, first, second = plans(parts, numbers, [False, True, True], [{"ch-1", "ch-3"},
                                                                      set(), set()],
                                 restart=True)
    assert (front.first_number, front.side) == (1, "right")
    assert first.blank_before, "three pages of front matter: page 4 is left blank"
    assert (first.first_number, first.side) == (1, "right")
    assert (second.first_number, second.blank_before) == (11, False)
    assert dict(front.pages) == {"ch-1": 1, "ch-3": 12}
