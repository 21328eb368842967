"""The render memo (folio/formats/render.py ``RenderMemo``): a piece rendered by the
last build is not given to pandoc again, and what comes back is what pandoc gave."""

from folio.formats import render
from folio.formats.render import RenderMemo, render_pieces

API = [1, 23, 1]


def para(text: str) -> list:
    return [{"t": "Para", "c": [{"t": "Str", "c": text}]}]


def counting(monkeypatch) -> list:
    runs = []
    real = render.run_pandoc

    def run(args, document, display):
        document = "".join(document)  # given piece by piece
        runs.append(document.count('"Para"'))
        return real(args, document, display)

    monkeypatch.setattr(render, "run_pandoc", run)
    return runs


def test_an_unchanged_piece_is_not_rendered_again(tmp_path, monkeypatch):
    runs = counting(monkeypatch)
    path = tmp_path / "render" / "book.pickle"
    first = RenderMemo(path)
    before = render_pieces([para("one"), para("two")], API, "book", first)
    first.write()
    again = RenderMemo(path)
    after = render_pieces([para("one"), para("changed")], API, "book", again)
    assert before == ["<p>one</p>", "<p>two</p>"]
    assert after == ["<p>one</p>", "<p>changed</p>"]
    assert runs == [2, 1], "the second build renders the changed piece only"
    again.write()
    assert set(RenderMemo(path).found.values()) == {"<p>one</p>", "<p>changed</p>"}


def test_force_and_a_damaged_entry_render_everything(tmp_path, monkeypatch):
    runs = counting(monkeypatch)
    path = tmp_path / "book.pickle"
    memo = RenderMemo(path)
    render_pieces([para("one")], API, "book", memo)
    memo.write()
    render_pieces([para("one")], API, "book", RenderMemo(path, force=True))
    path.write_bytes(path.read_bytes()[:-5])
    assert RenderMemo(path).found == {}
    path.write_bytes(b"not an entry")
    assert RenderMemo(path).found == {}
    assert runs == [1, 1]


def test_pieces_given_as_json_render_alike_and_are_let_go():
    pieces = [para("one"), para("two")]
    held = [para("one"), para("two")]
    texts = render.piece_texts(pieces)
    assert pieces == []  # the objects are freed as their JSON is made
    assert render.render_texts(texts, API, "book") == render_pieces(held, API, "book") \
        == ["<p>one</p>", "<p>two</p>"]


# --- chapters made into pieces (``ChapterPieces``) -----------------------------------

CHAPTERS = {
    "01-one.md": "# One\n\nA note.[^a] A [link](https://example.org/one).\n\n"
                 "[^a]: The first note.\n",
    "02-two.md": "# Two\n\nAnother note.[^b] See [One](#one). $x^2$\n\n[^b]: The second.\n",
    "03-three.md": "# Three\n\nA third note.[^c]\n\n[^c]: The third.\n",
}


def chapter_book(tmp_path):
    from helpers import book_folder
    return book_folder(tmp_path, CHAPTERS)


def made_and_rendered(folder, memo):
    """Every builder's fragments of the book in ``folder``, with ``memo``, and how
    many chapters each builder made (the others came from the memo)."""
    from folio.diagnostics import Reporter
    from folio.formats import BUILDERS
    from folio.pipeline import read_book
    document = read_book(folder, Reporter())
    fragments, made, extras = {}, {}, {}
    for name in ("pdf", "html", "epub"):
        builder = BUILDERS[name]()
        pieces = builder.pieces(document, {}, memo)
        made[name] = sum(not isinstance(piece, render.Known) for piece in pieces)
        fragments[name] = render.render_texts(render.piece_texts(pieces),
                                              document.api_version, "book", memo)
        if name == "pdf":
            extras = (builder.drawings, builder.note_lines,
                      [d.message for d in builder.diagnostics])
    return fragments, made, extras


def test_an_unchanged_chapter_is_not_made_again_and_comes_back_the_same(tmp_path):
    folder = chapter_book(tmp_path)
    fresh, made, extras = made_and_rendered(folder, None)
    assert made == {"pdf": 3, "html": 3, "epub": 3}
    path = tmp_path / "memo.pickle"
    first = RenderMemo(path)
    assert made_and_rendered(folder, first)[::2] == (fresh, extras)
    first.write()
    again, made, kept = made_and_rendered(folder, RenderMemo(path))
    assert made == {"pdf": 0, "html": 0, "epub": 0}, "every chapter from the memo"
    assert again == fresh and kept == extras, "the same fragments, drawings and note lines"
    assert extras[0], "the formula's drawing is kept with its chapter"


def test_an_edit_makes_its_chapter_again_and_those_whose_note_numbers_move(tmp_path):
    folder = chapter_book(tmp_path)
    path = tmp_path / "memo.pickle"
    memo = RenderMemo(path)
    made_and_rendered(folder, memo)
    memo.write()
    three = folder / "03-three.md"
    three.write_text(three.read_text() + "\nOne word more.\n")
    memo = RenderMemo(path)
    fragments, made, _ = made_and_rendered(folder, memo)
    assert made == {"pdf": 1, "html": 1, "epub": 1}
    assert fragments == made_and_rendered(folder, None)[0]
    assert 'href="#note-4"' in fragments["epub"][2]
    memo.write()
    # A note more in the first chapter: the notes after it are numbered on in the
    # reading page and the EPUB (every chapter made again); the PDF counts its notes
    # per chapter (the first chapter alone).
    one = folder / "01-one.md"
    one.write_text(one.read_text().replace("A note.[^a]", "A note.[^a] More.[^z]")
                   + "\n[^z]: A note more.\n")
    fragments, made, _ = made_and_rendered(folder, RenderMemo(path))
    assert made == {"pdf": 1, "html": 3, "epub": 3}
    assert fragments == made_and_rendered(folder, None)[0]
    assert 'href="#note-5"' in fragments["epub"][2], "the third chapter's note moved on"


def test_a_damaged_chapter_entry_is_made_again(tmp_path, monkeypatch):
    folder = chapter_book(tmp_path)
    path = tmp_path / "memo.pickle"
    memo = RenderMemo(path)
    fresh = made_and_rendered(folder, memo)[0]
    # What the PDF kept of each chapter, made unsound (as a foreign entry could be).
    memo.chapters_used = {key: (piece, ("not", "three", "things"))
                          if isinstance(extras, tuple) else (piece, extras)
                          for key, (piece, extras) in memo.chapters_used.items()}
    memo.write()
    fragments, made, _ = made_and_rendered(folder, RenderMemo(path))
    assert made == {"pdf": 3, "html": 0, "epub": 0}
    assert fragments == fresh


def test_a_font_installed_since_the_last_build_makes_the_pdf_pieces_again(tmp_path,
                                                                          monkeypatch):
    from folio import glyphs
    chapters = dict(CHAPTERS)
    chapters["03-three.md"] += "\nA rune: ᚠ.\n"
    from helpers import book_folder
    folder = book_folder(tmp_path, chapters)
    path = tmp_path / "memo.pickle"
    monkeypatch.setattr(glyphs, "system_font", lambda char: "")
    memo = RenderMemo(path)
    before = made_and_rendered(folder, memo)[0]
    memo.write()
    assert "\ufffd" in before["pdf"][2], "no font has the rune: marked"
    monkeypatch.setattr(glyphs, "system_font", lambda char: "Runic Sans")
    after, made, _ = made_and_rendered(folder, RenderMemo(path))
    assert made["pdf"] == 3 and "ᚠ" in after["pdf"][2]
    assert made["html"] == 0, "the reading page leaves the browser to find a font"
