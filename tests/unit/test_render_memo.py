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
