"""The one safety policy (``folio.safety``) and the parse-time guards (``folio.guard``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path, PurePosixPath

import pytest

from folio import safety
from folio.guard import FOOTNOTE_DEFINITION, footnote_cycle


@pytest.mark.parametrize("url, scheme", [
    ("https://example.org", "https"), ("HTTP://x", "http"), ("java\tscript:alert(1)",
                                                              "javascript"),
    ("\u200bjavascript:x", "javascript"), (" mailto:a@b", "mailto"), ("#anchor", None),
    ("chapter.md", None), ("//host/path", None), ("file:///etc/passwd", "file"),
])
def test_a_scheme_is_read_as_a_browser_reads_it(url, scheme):
    assert safety.url_scheme(url) == scheme
    assert (scheme in safety.LINK_SCHEMES) == (scheme in ("https", "http", "mailto"))


def test_paths_stay_inside_the_book(tmp_path):
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    (book / "images" / "a.png").write_bytes(b"x")
    (tmp_path / "secret.png").write_bytes(b"s")
    (book / "link.png").symlink_to(tmp_path / "secret.png")
    (book / "up.png").symlink_to("../secret.png")
    (book / "images" / "back.png").symlink_to("../images/./a.png")
    (book / "loop.png").symlink_to("loop.png")
    here = PurePosixPath(".")
    read = safety.read_in_book(book, here, "images/a.png", 100)
    assert (read.data, read.relative) == (b"x", PurePosixPath("images/a.png"))
    assert safety.read_in_book(book, PurePosixPath("images"), "back.png", 100).data == b"x"
    for escape in ("../secret.png", "..%2Fsecret.png", "images\\..\\..\\secret.png",
                   "/etc/passwd", "C:/x", "link.png", "up.png", "", "loop.png",
                   "images/../../book/../secret.png"):
        with pytest.raises(safety.Outside):
            safety.read_in_book(book, here, escape, 100)
    with pytest.raises(safety.TooLarge):
        safety.read_in_book(book, here, "images/a.png", 0)


def test_a_file_is_read_once_through_the_descriptor_that_was_checked(tmp_path):
    """A FIFO is never read (it would block), a folder is no file, and what was read
    is what the check saw, whatever the path points to afterwards."""
    import os

    from folio.confined import NotAFile, read_inside

    book = tmp_path / "book"
    book.mkdir()
    os.mkfifo(book / "pipe.png")
    (book / "dir.png").mkdir()
    with pytest.raises(NotAFile) as caught:
        read_inside(book, "pipe.png")
    assert "named pipe" in caught.value.strerror
    with pytest.raises(NotAFile) as caught:
        read_inside(book, "dir.png")
    assert "folder" in caught.value.strerror
    (book / "folder-link").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(safety.Outside):
        read_inside(book, "folder-link/book/dir.png/../pipe.png")


def test_a_link_swapped_back_for_a_file_between_open_and_readlink_is_looked_at_again(
        tmp_path, monkeypatch):
    """The open finds a link (ELOOP); by the readlink it is a file again (EINVAL): the
    file is opened as it is now, not reported as an internal error."""
    from folio import confined

    book = tmp_path / "book"
    book.mkdir()
    (book / "pic.png").write_bytes(b"the real picture")
    real_open, calls = os.open, []

    def open_once_a_link(path, flags, *args, dir_fd=None, **kwargs):
        calls.append(path)
        if path == "pic.png" and calls.count("pic.png") == 1:
            raise OSError(confined.errno.ELOOP, "Too many levels of symbolic links")
        return real_open(path, flags, *args, dir_fd=dir_fd, **kwargs)

    monkeypatch.setattr(confined.os, "open", open_once_a_link)
    assert confined.read_inside(book, "pic.png").data == b"the real picture"
    assert calls.count("pic.png") == 2


def test_an_image_is_known_by_its_bytes_not_its_name():
    assert safety.sniff_image(b"\x89PNG\r\n\x1a\n....") == ("image/png", ".png")
    assert safety.sniff_image(b"\xff\xd8\xff\xe0") == ("image/jpeg", ".jpg")
    assert safety.sniff_image(b'<?xml version="1.0"?><svg xmlns="x"/>')[0] == "image/svg+xml"
    assert safety.sniff_image(b"#!/bin/sh\necho") is None


def test_one_table_decides_every_element():
    assert {"script", "iframe", "style"} <= safety.FORBIDDEN_TAGS & safety.DROPPED_TAGS
    assert "form" in safety.FORBIDDEN_TAGS and "form" not in safety.DROPPED_TAGS
    assert "svg" in safety.DROPPED_TAGS and "svg" not in safety.FORBIDDEN_TAGS
    assert not safety.KEPT_TAGS & safety.DROPPED_TAGS
    assert safety.EPUB_RENAMES["center"] == "div" and "center" in safety.KEPT_TAGS
    assert all(fate in safety.KEPT_TAGS for fate in safety.EPUB_RENAMES.values())


def test_the_sanitiser_follows_the_table():
    clean = safety.sanitise_fragment(
        '<center>c</center><form>label<input></form><script>x</script><svg><text>t'
        '</text></svg><blink>b</blink><a href="javascript:x">j</a>'
        '<img src="images/img-0123456789abcdef.png" style="width: 5em; color: red">')
    assert clean == ('<center>c</center>labelb<a>j</a>'
                     '<img src="images/img-0123456789abcdef.png" style="width:5em">')


def test_the_tokenizer_gives_tags_with_their_place_and_text():
    tags = safety.start_and_end_tags('<p>\n  <a href="#x" name=y>t</a><br/>')
    assert [(t.name, t.line, t.col, t.start) for t in tags] == [
        ("p", 1, 0, True), ("a", 2, 2, True), ("a", 2, 23, False), ("br", 2, 27, True)]
    assert tags[1].text == '<a href="#x" name=y>'
    assert safety.anchors_defined('<a name="old">x</a><div id=" new ">') == ["old", "new"]


@pytest.mark.parametrize("line, label", [
    ("[^a]: x", "a"), ("- [^b c]: x", "b c"), ("> 1. > [^d]: x", "d"), ("   [^e]: x", "e"),
    ("[^f] not a definition", None), ("text [^g]: not at the start", None),
])
def test_footnote_definitions_are_found_where_pandoc_finds_them(line, label):
    match = FOOTNOTE_DEFINITION.match(line)
    assert (match.group(1) if match else None) == label


def test_a_line_of_list_markers_is_refused_in_linear_time():
    """18 markers took 58 s with the old pattern (exponential backtracking); 5,000
    must be refused at once. Run in a child so a regression cannot hang the suite."""
    code = textwrap.dedent("""
        from folio.guard import FOOTNOTE_DEFINITION, footnote_cycle
        line = "-   " * 5000 + "x"
        assert FOOTNOTE_DEFINITION.search(line) is None
        assert footnote_cycle(line + "\\n[^a]: see [^a]\\n") == ("a", 2)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60,
                   cwd=Path(__file__).resolve().parents[2], env={**os.environ})


def test_a_footnote_that_refers_to_itself_is_found_through_other_notes():
    text = "Text[^a].\n\n[^a]: see [^b]\n\n[^b]: and [^A]\n"
    assert footnote_cycle(text) == ("a", 3)
    assert footnote_cycle("Text[^a].\n\n[^a]: plain\n") is None


@pytest.mark.parametrize("svg", [
    b'<?xml version="1.0"?><?xml-stylesheet href="http://x/a.css"?>'
    b'<svg xmlns="http://www.w3.org/2000/svg"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><?xml-stylesheet href="a.css"?></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><style>@\\69mport "http://x/a.css";</style></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><style>a{fill:\\75rl(http://x/y)}</style></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><style><![CDATA[@import url(x)]]></style></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="\\75 rl(x.png)"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect{background:image-set("x.png" 1x)}'
    b"</style></svg>",
], ids=["stylesheet-pi", "inner-pi", "escaped-import", "escaped-url", "cdata-import",
        "escaped-url-attribute", "image-set"])
def test_svg_stylesheets_are_read_as_a_browser_reads_them(svg):
    """Before: a processing instruction and CSS escapes passed the SVG check."""
    assert safety.svg_problem(svg), svg


def test_self_contained_svgs_still_pass():
    assert safety.svg_problem(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns='
                              b'"http://www.w3.org/2000/svg"><style>rect{fill:url(#g)}</style>'
                              b'<rect fill="url(#g)"/></svg>') is None
