"""One note per URL per page (folio/formats/pdf/note_repeats.py): which link notes
become repeat marks and the numbers those marks show."""

from folio.formats.pdf.note_repeats import Call, repeats, with_repeats


def test_a_url_called_again_on_its_page_shows_the_first_notes_number():
    calls = [Call(1, "0:0", 1, "https://a"), Call(1, "0:1", 2, "https://b"),
             Call(1, "0:2", 3, "https://a"), Call(1, "0:3", 4, "https://c"),
             Call(1, "0:4", 5, "https://b"), Call(2, "0:5", 6, "https://a")]
    assert repeats(calls) == {"0:2": ("0:0", 1), "0:4": ("0:1", 2)}


def test_notes_taken_out_before_a_kept_note_lower_its_number():
    calls = [Call(1, "0:0", 1, "https://a"), Call(1, "0:1", 2, "https://a"),
             Call(2, "0:2", 3, "https://b"), Call(2, "0:3", 4, "https://c"),
             Call(2, "0:4", 5, "https://b")]
    # note 2 goes: "b" is note 2 now, and so is its repeat
    assert repeats(calls) == {"0:1": ("0:0", 1), "0:4": ("0:2", 2)}


def test_a_counter_reset_between_them_leaves_the_number_alone():
    calls = [Call(1, "0:0", 1, "https://a"), Call(1, "0:1", 2, "https://a"),
             Call(2, "1:0", 1, "https://b"), Call(2, "1:1", 2, "https://b")]
    assert repeats(calls) == {"0:1": ("0:0", 1), "1:1": ("1:0", 1)}


def test_footnotes_and_kept_notes_are_never_taken_out():
    calls = [Call(1, "0:0", 1, "https://a"), Call(1, "f", 2, None),
             Call(1, "0:1", 3, "https://a"), Call(1, "0:2", 4, "https://a")]
    assert repeats(calls, keep={"0:1"}) == {"0:2": ("0:0", 1)}
    assert repeats([Call(1, "f", 1, None), Call(1, "g", 2, None)]) == {}


def test_the_note_span_is_replaced_whole_by_its_mark():
    markup = ('<p>x<span class="footnote link-note" data-note-at="0:0"><span class="url">'
              'a<span class="url-run">bc</span></span></span> y <span class="footnote link-note"'
              ' data-note-at="0:1"><span class="url">a</span></span>.</p>')
    assert with_repeats(markup, {"0:1": ("0:0", 1)}) == (
        '<p>x<span class="footnote link-note" data-note-at="0:0"><span class="url">'
        'a<span class="url-run">bc</span></span></span> y <span class="note-repeat" '
        'data-note-at="0:1" data-note-of="0:0">1</span>.</p>')


def test_a_footnote_referred_to_twice_on_a_page_is_one_note():
    calls = [Call(1, "0:0", 1, "footnote:Smith, p. 12."), Call(1, "0:1", 2, "https://a"),
             Call(1, "0:2", 3, "footnote:Smith, p. 12."), Call(2, "0:3", 4, "footnote:Smith, p. 12.")]
    assert repeats(calls) == {"0:2": ("0:0", 1)}


def test_a_footnote_span_is_replaced_and_unbalanced_markup_left_alone():
    markup = ('<span class="footnote" data-note-at="0:0">Smith.</span> and '
              '<span class="footnote" data-note-at="0:1">Smith.</span> '
              '<span class="footnote" data-note-at="0:2">open <span>')
    assert with_repeats(markup, {"0:1": ("0:0", 1), "0:2": ("0:0", 1)}) == (
        '<span class="footnote" data-note-at="0:0">Smith.</span> and '
        '<span class="note-repeat" data-note-at="0:1" data-note-of="0:0">1</span> '
        '<span class="footnote" data-note-at="0:2">open <span>')
