"""Safe builds (issue 5): a manuscript is untrusted input.

Each hostile manuscript (``tests/fixtures/hostile/``, or written here) is built with
the real command line, and each test checks what a publisher relies on: the exit
status, the diagnostic in GNU form with its line, no traceback, no secret from
outside the book folder in any output, no network connection attempted, and
earlier outputs left as they were when a build fails.
"""

from __future__ import annotations

import contextlib
import copy
import html.parser
import json
import logging
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path

import pytest
from helpers import FIXTURES, REPO, run_build

HOSTILE = FIXTURES / "hostile"
SECRET = "TOPSECRET-7f3a9c"
#: ``path:line[:col]: severity: message [code]``
DIAGNOSTIC = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::(?P<col>\d+))?: "
                        r"(?P<severity>warning|error): (?P<message>.*?)"
                        r"(?: \[(?P<code>[\w-]+)\])?$")
#: ``path: error: message [code]`` (no line: the book as a whole)
BOOK_ERROR = re.compile(r"^(?P<path>.+?): (?P<severity>warning|error): (?P<message>.*?)"
                        r"(?: \[(?P<code>[\w-]+)\])?$")


# --- helpers ----------------------------------------------------------------------

def png(comment: bytes = b"") -> bytes:
    """A valid 1x1 grey PNG carrying ``comment`` in a tEXt chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"tEXt", b"Comment\x00" + comment)
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


class Listener:
    """A TCP listener on 127.0.0.1 that counts every connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    received = connection.recv(200) or b"(nothing sent)"
                except OSError:
                    received = b"(no request)"
                if received == self.SENTINEL:
                    self.settle.set()
                else:
                    self.connections.append(received)

    #: What ``settled`` sends to itself.
    SENTINEL = b"folio-test-sentinel"

    def settled(self) -> list[bytes]:
        """The connections made so far, once every connection already on its way has
        been taken: one of our own, queued behind them, is taken last."""
        self.settle = threading.Event()
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as probe:
            probe.sendall(self.SENTINEL)
        assert self.settle.wait(10), "the listener did not take its own connection"
        return self.connections

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.socket.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def scene(tmp_path, listener):
    """A book folder, a secret folder beside it, and links from one to the other."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "-TXT\n", encoding="utf-8")
    (outside / "secret.png").write_bytes(png(SECRET.encode() + b"-PNG"))
    book = tmp_path / "book"
    book.mkdir()
    (book / "inside.png").write_bytes(png(b"inside"))
    (book / "link.png").symlink_to(outside / "secret.png")
    (book / "linkdir").symlink_to(outside, target_is_directory=True)
    for name in ("safe.svg", "hostile.svg"):
        (book / name).write_text(substitute((HOSTILE / name).read_text(encoding="utf-8"),
                                            outside, listener.port), encoding="utf-8")
    return tmp_path


def substitute(text: str, outside: Path, port: int) -> str:
    return text.replace("@@OUTSIDE@@", str(outside)).replace("@@PORT@@", str(port))


def hostile(scene: Path, name: str, port: int) -> Path:
    """Copy the fixture ``name`` into the scene's book folder as ``book.md``."""
    target = scene / "book" / "book.md"
    text = (HOSTILE / name).read_text(encoding="utf-8")
    target.write_text(substitute(text, scene / "outside", port), encoding="utf-8")
    return target


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build(source: Path | str, out: Path, *args: str, env: dict | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess:
    """``build.py SOURCE -o OUT ARGS``; ``build("check", SOURCE, ...)`` runs ``check``."""
    if source == "check":
        result = run_build("check", *map(str, [out, *args]), env=env, timeout=timeout)
    else:
        result = run_build(str(source), "-o", str(out), *args, env=env, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    return result


def diagnostics(stderr: str) -> list[dict]:
    found = []
    for line in stderr.splitlines():
        match = DIAGNOSTIC.match(line) or BOOK_ERROR.match(line)
        if match:
            found.append(match.groupdict())
    return found


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line of ``path`` that contains ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def reported(stderr: str, source: Path, line: int, codes: set[str],
             severity: str = "warning") -> bool:
    return any(d["path"] == str(source) and int(d.get("line") or 0) == line
               and d["code"] in codes and d["severity"] == severity
               for d in diagnostics(stderr))


def output_blobs(folder: Path):
    """(name, bytes) of every output file, every EPUB entry and every PDF stream."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path), data
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path}!{name}", archive.read(name)
        elif path.suffix == ".pdf":
            reader = PdfReader(path)
            for number in range(1, int(reader.trailer["/Size"])):
                try:
                    obj = reader.get_object(number)
                    if hasattr(obj, "get_data"):
                        yield f"{path}#{number}", obj.get_data()
                except Exception:  # noqa: BLE001 - free objects and the like
                    continue
            assert not reader.attachments, f"{path} has attachments {list(reader.attachments)}"


def assert_no_secret(folder: Path) -> None:
    for name, data in output_blobs(folder):
        assert SECRET.encode() not in data, f"the secret leaked into {name}"
        assert b"root:x:0:0" not in data, f"/etc/passwd leaked into {name}"


def fingerprint(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".folio-cache" not in p.parts}


def chapter_html(out: Path, slug: str) -> str:
    """The reading page and the EPUB's chapter files, as one text."""
    texts = [(out / slug / "index.html").read_text(encoding="utf-8")]
    epub = out / slug / f"{slug}.epub"
    if epub.exists():
        with zipfile.ZipFile(epub) as archive:
            texts += [archive.read(n).decode() for n in archive.namelist()
                      if n.startswith("EPUB/chapter")]
    return "\n".join(texts)


_URL_ATTRIBUTES = {"href", "src", "srcset", "poster", "data", "action", "background", "rel"}


def targets(markup: str) -> list[tuple[str, str]]:
    """(attribute, value) of every attribute that names a URL, as an HTML parser reads
    the tags (character references resolved). Text is not searched: a code span that
    shows ``<a href="javascript:x">`` is text a reader sees, not a link."""
    found: list[tuple[str, str]] = []

    class Tags(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend((name, value or "") for name, value in attrs
                         if name in _URL_ATTRIBUTES)

    parser = Tags(convert_charrefs=True)
    parser.feed(markup)
    parser.close()
    return found


def hrefs(markup: str) -> list[str]:
    return [value for name, value in targets(markup) if name == "href"]


# --- nothing outside the book, nothing from the network -----------------------------

def test_nothing_outside_the_book_reaches_any_output_and_nothing_is_fetched(scene, listener):
    """Every way to point at a file outside the book folder or at a server, in
    Markdown and in raw HTML, in one manuscript built to all three formats."""
    source = hostile(scene, "exfiltrate.md", listener.port)
    out = scene / "dist"
    result = build(source, out)
    assert result.returncode == 0, result.stderr
    assert listener.settled() == [], listener.connections
    assert_no_secret(out)

    expected = {
        "![traversal]": {"image-outside"}, "![percent]": {"image-outside"},
        "![backslash]": {"image-outside"}, "![absolute]": {"image-outside"},
        "![file url]": {"remote-image"}, "![passwd]": {"remote-image"},
        "![symlink]": {"image-outside"}, "![symlinked folder]": {"image-outside"},
        "![remote]": {"remote-image"}, "![srcset]": {"unsafe-html"},
        "[attachment]": {"unsafe-html"}, "[local attachment]": {"relative-link"},
        "raw attachment": {"unsafe-html"}, "raw file attachment": {"unsafe-link"},
        '<link rel="attachment"': {"raw-html"}, '<link rel="stylesheet"': {"raw-html"},
        "raw traversal": {"image-outside"}, "raw remote": {"remote-image"},
        "raw srcset": {"unsafe-html"}, "styled paragraph": {"style-dropped"},
        "<style>": {"raw-html"}, "<svg": {"unsafe-html"}, "<object": {"raw-html"},
        "<embed": {"raw-html"}, "<iframe": {"raw-html"}, "<video": {"raw-html"},
        "<picture>": {"unsafe-html"}, "<base": {"raw-html"}, "<meta": {"raw-html"},
        "<table background": {"unsafe-html"}, "![hostile svg]": {"unsafe-image"},
    }
    for needle, codes in expected.items():
        assert reported(result.stderr, source, line_of(source, needle), codes), \
            f"no {codes} warning for {needle!r} on line {line_of(source, needle)}"

    markup = chapter_html(out, "book")
    for name, value in targets(markup):
        if name == "href":  # a live link to a server is fine; to a file is not
            assert not value.lower().startswith(("file:", "..", "/")), value
        elif name == "rel":
            assert "attachment" not in value, value
        else:
            assert name == "src" and value.startswith("images/"), (name, value)
    # The safe SVG and the inside image are in the book; the hostile SVG is not.
    with zipfile.ZipFile(out / "book" / "book.epub") as archive:
        images = [n for n in archive.namelist() if n.startswith("EPUB/images/img-")]
    assert sorted(Path(n).suffix for n in images) == [".png", ".svg"]
    # Template syntax in the metadata and the text is printed, never evaluated.
    from helpers import pdf_pages
    pdf_text = " ".join(" ".join(pdf_pages(out / "book" / "book.pdf")).split())
    for text in (markup, pdf_text):
        assert "{{ 7*7 }}" in text and not re.search(r"\b49\b", text)
        assert "{% raw %}" in text or "{% raw %}" in text.replace("&#37;", "%")


def test_symlinked_chapter_outside_the_book_folder_is_refused(scene):
    book = scene / "book"
    write(book / "book.yaml", "title: T\nlang: en\n")
    write(book / "01-start.md", "# Start\n\nText.\n")
    (book / "02-secret.md").symlink_to(scene / "outside" / "secret.txt")
    result = build(book, scene / "dist", "--format", "html")
    assert result.returncode == 1
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert errors and errors[0]["code"] == "outside" and "02-secret.md" in errors[0]["path"]
    assert not (scene / "dist").exists() or SECRET not in "".join(
        p.read_text(errors="replace") for p in (scene / "dist").rglob("*") if p.is_file())


def test_templates_in_the_book_folder_cannot_include_files_outside_it(scene):
    book = scene / "book"
    (book / "templates" / "html").mkdir(parents=True)
    (book / "templates" / "html" / "leak.html").symlink_to(scene / "outside" / "secret.txt")
    write(book / "templates" / "html" / "page.html",
          '<html><body>{% include "html/leak.html" %}</body></html>\n')
    source = write(book / "book.md", "---\ntitle: T\nlang: en\n---\nText.\n")
    result = run_build(str(source), "-o", str(scene / "dist"), "--format", "html")
    assert result.returncode == 1
    assert "error: template not found (or outside the templates folder): html/leak.html" \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert_no_secret(scene / "dist")


def test_templates_in_the_book_folder_cannot_run_code(tmp_path):
    write(tmp_path / "templates" / "html" / "page.html",
          "<html>\n<body>{{ cycler.__init__.__globals__.os.getpid() }}</body></html>\n")
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\nText.\n")
    result = run_build(str(source), "-o", str(tmp_path / "dist"), "--format", "html")
    assert result.returncode == 1
    assert "templates/html/page.html:2: error: template refused by the sandbox" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dist" / "book" / "index.html").exists()


def test_a_fifo_or_a_device_in_the_book_folder_does_not_hang_the_build(tmp_path):
    write(tmp_path / "book" / "book.yaml", "title: T\nlang: en\n")
    write(tmp_path / "book" / "01.md", "# One\n\nText.\n")
    os.mkfifo(tmp_path / "book" / "fifo")
    (tmp_path / "book" / "zero").symlink_to("/dev/zero")
    result = run_build(str(tmp_path / "book"), "-o", str(tmp_path / "dist"), "--format", "html",
                       timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_manuscript_or_book_folder_that_is_a_link_to_a_private_place_is_refused(scene):
    """Before: a single-file manuscript (or a book folder) that was a symbolic link to a
    private file was published in all three formats."""
    outside = scene / "outside"
    write(outside / "private.md", f"---\ntitle: T\nlang: en\n---\n{SECRET}\n")
    write(outside / "private" / "01.md", f"# One\n\n{SECRET}\n")
    (scene / "book" / "book.md").symlink_to(outside / "private.md")
    (scene / "linked-book").symlink_to(outside / "private", target_is_directory=True)
    out = scene / "dist"
    for source in (scene / "book" / "book.md", scene / "linked-book"):
        result = build(source, out)
        assert result.returncode == 1, result.stderr
        errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
        assert [(e["path"], e["code"]) for e in errors] == [(str(source), "outside")], errors
    result = build("check", scene / "book" / "book.md", scene / "linked-book")
    assert result.returncode == 1 and result.stderr.count("[outside]") == 2, result.stderr
    assert not out.exists() or not any(out.rglob("*.html"))
    # A link to a draft beside the manuscript stays inside its folder: it is read.
    write(scene / "book" / "drafts" / "draft.md", "---\ntitle: Draft\nlang: en\n---\nOK.\n")
    (scene / "book" / "current.md").symlink_to("drafts/draft.md")
    assert build(scene / "book" / "current.md", out, "--format", "html").returncode == 0
    assert_no_secret(out)


def test_book_templates_that_are_a_link_to_the_folder_above_are_refused(scene):
    """A book folder named ``html`` whose ``templates`` is a link to ``..``: its templates
    could include files from the folder above."""
    book = scene / "html"
    write(book / "book.yaml", "title: T\nlang: en\n")
    write(book / "01.md", "# One\n\nText.\n")
    write(book / "page.html", '<html><body>{% include "secret.txt" %}</body></html>\n')
    (scene / "secret.txt").write_text(SECRET, encoding="utf-8")
    (book / "templates").symlink_to("..", target_is_directory=True)
    result = build(book, scene / "dist", "--format", "html,epub")
    assert result.returncode == 1, result.stderr
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert errors[0]["code"] == "outside" and errors[0]["path"].endswith("templates"), errors
    assert_no_secret(scene / "dist")


def test_a_file_swapped_for_a_link_during_the_build_never_reaches_an_output(scene):
    """An image checked when the book is read and read again, unchecked, when the outputs
    were written: swapped for a link to a secret meanwhile, the secret shipped in the
    EPUB and the HTML. Here the image and the manuscript are swapped over and over
    while the book builds: each is read once, and what was read is what is written."""
    book = scene / "book"
    good = png(b"the real picture")
    (book / "good.png").write_bytes(good)
    source = write(book / "book.md", "---\ntitle: Race\nlang: en\n---\n# Race\n\n"
                   "![a picture](pic.png)\n\n" + "Some text to read. " * 2000 + "\n")
    (book / "good.md").write_bytes(source.read_bytes())
    stop = threading.Event()

    def swap() -> None:
        secret = scene / "outside" / "secret.png"
        while not stop.is_set():
            for name, real in (("pic.png", "good.png"), ("book.md", "good.md")):
                link = book / f".{name}.link"
                with contextlib.suppress(FileNotFoundError):
                    link.unlink()
                link.symlink_to(os.path.relpath(secret if name == "pic.png"
                                                else scene / "outside" / "secret.txt", book))
                os.replace(link, book / name)
                time.sleep(0.001)
                copy = book / f".{name}.copy"
                with contextlib.suppress(FileNotFoundError):
                    copy.unlink()
                os.link(book / real, copy)
                os.replace(copy, book / name)
            time.sleep(0.001)

    (book / "pic.png").write_bytes(good)
    swapper = threading.Thread(target=swap, daemon=True)
    swapper.start()
    out = scene / "dist"
    outcomes = []
    try:
        for _ in range(4):
            result = build(source, out, "--force", "--format", "epub,html")
            outcomes.append(result.returncode)
            assert_no_secret(out)
    finally:
        stop.set()
        swapper.join(5)
    assert set(outcomes) <= {0, 1}, outcomes  # refused (a link out) or built, never leaked


def test_a_chapter_that_is_a_fifo_is_named_not_skipped_silently(tmp_path):
    write(tmp_path / "book" / "book.yaml", "title: T\nlang: en\n")
    write(tmp_path / "book" / "01.md", "# One\n\nText.\n")
    os.mkfifo(tmp_path / "book" / "02-pipe.md")
    result = build(tmp_path / "book", tmp_path / "dist", "--format", "html", timeout=60)
    assert result.returncode == 0, result.stderr
    found = [d for d in diagnostics(result.stderr) if d["code"] == "not-a-file"]
    assert [(d["path"], d["severity"]) for d in found] == [
        (str(tmp_path / "book" / "02-pipe.md"), "warning")], result.stderr
    assert "named pipe" in found[0]["message"]
    check = build("check", tmp_path / "book", timeout=60)
    assert "02-pipe.md: warning:" in check.stderr and "[not-a-file]" in check.stderr


# --- faults: dates, names, images (issue 12) -----------------------------------------

def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (its data is one row)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1))) + chunk(b"IEND", b""))


def test_times_beyond_what_a_zip_can_hold_still_build(tmp_path):
    """Before: a manuscript modified after 2107, or a huge SOURCE_DATE_EPOCH, ended the
    build with an internal error (the EPUB's zip dates)."""
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\nText.\n")
    os.utime(source, (4_300_000_000, 4_300_000_000))  # 2106 … 2200
    os.utime(source, (7_258_118_400, 7_258_118_400))  # the year 2200
    out = tmp_path / "dist"
    result = build(source, out, "--format", "epub,html")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out / "book" / "book.epub") as archive:
        assert archive.infolist()[0].date_time[0] == 2107
    for epoch in ("99999999999999999999", "-5", "soon"):
        result = build(source, out, "--format", "epub", "--force",
                       env={"SOURCE_DATE_EPOCH": epoch})
        assert result.returncode == 0, (epoch, result.stderr)


def test_two_books_with_the_same_name_in_one_run_are_not_lost_silently(tmp_path):
    """Before: a/book.md and b/book.md both went to dist/book/, one overwriting the other."""
    first = write(tmp_path / "a" / "book.md", "---\ntitle: First\nlang: en\n---\nOne.\n")
    second = write(tmp_path / "b" / "book.md", "---\ntitle: Second\nlang: en\n---\nTwo.\n")
    out = tmp_path / "dist"
    result = run_build(str(first), str(second), str(first), "-o", str(out), "--format", "html")
    assert result.returncode == 1, result.stderr
    found = [d for d in diagnostics(result.stderr) if d["code"] == "duplicate-book"]
    assert sorted((d["path"], d["severity"]) for d in found) == [(str(first), "warning"),
                                                                 (str(second), "error")], found
    assert "First" in (out / "book" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("data, code, words", [
    (png_claiming(30000, 30000), "image-too-large", "more pixels than"),
    (png_claiming(50000, 10), "image-too-large", "50000 × 10"),
    (png(b"x" * 400)[:-40], "bad-image", "truncated"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "bad-image", "truncated or damaged"),
], ids=["30000-square", "wide-header", "truncated-png", "truncated-jpeg"])
def test_an_image_no_book_can_carry_is_left_out_of_every_format_with_a_warning(
        tmp_path, data, code, words):
    """Before: a 30000 × 30000 PNG shipped in EPUB and HTML without a word and was
    missing from the PDF; a truncated image and a header claiming tens of thousands of
    pixels a side went unreported."""
    (tmp_path / "huge.png").write_bytes(data)
    (tmp_path / "fine.png").write_bytes(png())
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n# One\n\n"
                   "![a huge picture](huge.png)\n\n![a fine one](fine.png)\n")
    out = tmp_path / "dist"
    result = build(source, out, "--format", "epub,html")
    assert result.returncode == 0, result.stderr
    found = [d for d in diagnostics(result.stderr) if d["code"] == code]
    assert len(found) == 1 and int(found[0]["line"]) == 7 and words in found[0]["message"], \
        result.stderr
    with zipfile.ZipFile(out / "book" / "book.epub") as archive:
        images = [n for n in archive.namelist() if n.startswith("EPUB/images/img-")]
    assert len(images) == 1 and len(list((out / "book" / "images").iterdir())) == 1
    assert "a huge picture" in (out / "book" / "index.html").read_text(encoding="utf-8")


# --- file names are data; output errors in words (issue 12) -------------------------

def test_any_byte_in_a_chapter_name_is_handled_and_never_forges_a_line(tmp_path):
    """Before: a non-UTF-8 byte in a chapter's name failed every build (the cache key),
    and a newline in a name split a diagnostic in two, so a name could forge one."""
    folder = tmp_path / "book"
    write(folder / "book.yaml", "title: T\nlang: en\n")
    (folder / os.fsdecode(b"01-\xff\xfe.md")).write_text("# One\n\n[x](#)\n", encoding="utf-8")
    (folder / "02-a\n01.md:1:1: error: forged [x].md").write_text("# Two\n\n[y](#)\n",
                                                                  encoding="utf-8")
    for command in (["check", str(folder)], [str(folder), "-o", str(tmp_path / "dist")]):
        result = run_build(*command, env={"NO_COLOR": "1"})
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        lines = [line for line in result.stderr.splitlines() if line.startswith(str(folder))]
        assert len(lines) == 2, result.stderr
        assert lines[0] == (f"{folder}/01-\\xff\\xfe.md:3:1: warning: link 'x' has a "
                            "placeholder target '#'; it is printed as plain text "
                            "[placeholder-link]"), lines[0]
        assert lines[1].startswith(f"{folder}/02-a\\n01.md:1:1: error: forged [x].md:3:1: "
                                   "warning:"), lines[1]
        assert "error(s)" in result.stderr and " 0 error(s)" in result.stderr
    assert (tmp_path / "dist" / "book" / "index.html").exists()


def test_an_output_folder_below_a_file_is_named_in_words(tmp_path):
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\nText.\n")
    (tmp_path / "file.txt").write_text("not a folder")
    result = build(source, tmp_path / "file.txt" / "out", "--format", "html,epub")
    assert result.returncode == 1
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "output", result.stderr
    assert "a part of the path is a file, not a folder" in errors[0]["message"]
    assert errors[0]["path"].startswith(str(tmp_path / "file.txt"))


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB file system of its own (tmpfs), or the test is skipped where this
    machine may not mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_a_full_or_read_only_disk_is_named_and_earlier_outputs_are_kept(tmp_path, small_disk):
    """Before: 'internal error: OSError … No space left on device', no path named."""
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n# One\n\nFine.\n")
    out = small_disk / "dist"
    assert build(source, out, "--format", "epub").returncode == 0
    before = fingerprint(out)
    noise = "".join(f"{n:08x}{os.urandom(24).hex()} " for n in range(20000))
    write(source, "---\ntitle: T\nlang: en\n---\n# One\n\n" + noise + "\n")
    result = build(source, out, "--format", "epub")
    assert result.returncode == 1, result.stderr
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "output", result.stderr
    assert "cannot write: the disk is full; earlier outputs are kept" in errors[0]["message"]
    assert errors[0]["path"].startswith(str(out))
    assert fingerprint(out) == before
    assert not [p for p in out.rglob("*") if p.name.startswith(".") and ".folio" not in
                str(p)], list(out.rglob(".*"))
    write(source, "---\ntitle: T\nlang: en\n---\n# One\n\nChanged.\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = build(source, out, "--format", "epub")
    assert result.returncode == 1, result.stderr
    assert "cannot write: the file system is read-only" in result.stderr, result.stderr
    assert fingerprint(out) == before


def test_what_a_killed_build_left_is_removed_by_the_next(tmp_path):
    """Before: .tmp files and the journal of a build killed with SIGKILL stayed."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    source = write(tmp_path / "book.md", long_book(200))
    out = tmp_path / "dist"
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), str(source), "-o",
                                str(out)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    # Both kinds of litter: the read cache's .tmp comes before the outputs' journal.
    while not (list(out.rglob("*.tmp")) and list(scratch.glob("folio-journal-*"))) \
            and process.poll() is None:
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.02)
    process.kill()
    process.wait()
    assert list(out.rglob("*.tmp")) and list(scratch.glob("folio-journal-*")), \
        "the kill left litter (else this test proves nothing)"
    small = write(tmp_path / "other.md", "---\ntitle: T\nlang: en\n---\nText.\n")
    assert run_build(str(small), "-o", str(out), "--format", "html",
                     env={"TMPDIR": str(scratch)}).returncode == 0
    assert not list(out.rglob("*.tmp")), list(out.rglob("*.tmp"))
    assert sorted(p.name for p in scratch.iterdir()) == [], list(scratch.iterdir())


# --- nothing lost without a line, no fault unreported (issue 12) ---------------------

FAULTS = """---
title: Faults
lang: en
---
# Faults

A paragraph[^twice] with a note, an ![image](pic.png){width=100000in} far too wide,
and <img src="pic.png" alt="raw" height="900000"> a raw one.

[^twice]: The first definition.

[^twice]: The second definition, left out.

A [broken escape](https://example.org/100%zz-sure) and a mirror: ab\u202edc.

```{=html5}
<iframe src="https://example.org/frame"></iframe>
```

```{=latex}
\\newpage
```

## A heading {#note-1}

| c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8 | c9 | c10 | c11 | c12 | c13 | c14 |
|----|----|----|----|----|----|----|----|----|-----|-----|-----|-----|-----|
| value-1 | value-2 | value-3 | value-4 | value-5 | value-6 | value-7 | value-8 | value-9 | value-10 | value-11 | value-12 | value-13 | value-14 |

This paragraph was cut by a page break in the middle of a hyphen-

ated word, and goes on here.

Before the comment.

<!-- a comment that is never closed

END-OF-BOOK: hidden from every output.
"""
FAULT_CODES = {"[^twice]: The second": "duplicate-footnote", "{width=100000in}": "image-size",
               'height="900000"': "image-size", "100%zz": "bad-url",
               "a mirror": "invisible-character", "<iframe": "raw-html",
               "{=latex}": "raw-format", "{#note-1}": "reserved-id", "| c1 |": "wide-table",
               "hyphen-": "broken-word", "<!-- a comment": "unclosed-comment"}


def test_silent_losses_and_unreported_faults_get_a_line_each(tmp_path):
    """An unclosed comment hid the rest of the manuscript, a {=html5} <iframe>
    vanished, and none of these were reported: a footnote defined twice, a word
    hyphenated across a page break, an id a footnote has, a malformed % escape, a table
    too wide to print, image sizes of 100000in, a bidi override (which reached the
    outputs). ``check`` and a build report each one at its line."""
    (tmp_path / "pic.png").write_bytes(png())
    source = write(tmp_path / "book.md", FAULTS)
    out = tmp_path / "dist"
    checked = build("check", source)
    built = build(source, out)
    assert built.returncode == 0 and checked.returncode == 0, built.stderr
    for result in (checked, built):
        for needle, code in FAULT_CODES.items():
            assert reported(result.stderr, source, line_of(source, needle), {code}), \
                (needle, code, result.stderr)
    markup = chapter_html(out, "book")
    assert "\u202e" not in markup and "abdc" in markup, "the override is left out"
    assert "<iframe" not in markup and "END-OF-BOOK" not in markup
    assert "100%25zz-sure" in markup and "100000in" not in markup and "900000" not in markup
    assert "\u202e" not in " ".join(pdf_text(out / "book" / "book.pdf"))


def pdf_text(pdf: Path) -> list[str]:
    from helpers import pdf_pages
    return pdf_pages(pdf)


# --- a book's own templates: bounded, and no safer than the manuscript (issue 12) -------

@pytest.mark.parametrize("template, code, words", [
    ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
     "timeout", "took longer than 3 s"),
    ('{{ "A" * 1500000000 }}', "memory", "needed more than"),
    ('{% for a in range(1000) %}{{ "A" * 100000 }}{% endfor %}', "template",
     "more than 64 million characters"),
], ids=["nested-loops", "huge-string", "huge-page"])
def test_a_book_template_that_never_ends_or_grows_without_bound_is_stopped(
        tmp_path, template, code, words):
    """Before: nested range(100000) loops ran until killed; "A" * 1500000000 peaked at
    5.75 GB (the layout's memory cap does not cover templates)."""
    write(tmp_path / "templates" / "html" / "page.html", f"<html><body>{template}</body></html>")
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\nText.\n")
    result = build(source, tmp_path / "dist", "--format", "html",
                   env={"FOLIO_TEMPLATE_TIMEOUT": "3"}, timeout=120)
    assert result.returncode == 1, result.stderr
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == code and words in errors[0]["message"], \
        result.stderr
    assert not (tmp_path / "dist" / "book" / "index.html").exists()


@pytest.mark.parametrize("name, template", [
    ("html/page.html", '{% extends "folio:html/page.html" %}{% block head %}'
                       '<script>alert(1)</script>{% endblock %}'),
    ("html/page.html", '{% extends "folio:html/page.html" %}{% block footer %}'
                       '<img src="https://tracker.example/pixel.gif" alt="">{% endblock %}'),
    ("html/page.html", '{% extends "folio:html/page.html" %}{% block footer %}'
                       '<!-- --!><script>alert(1)</script> -->{% endblock %}'),
    ("html/book.css", '{% extends "folio:html/book.css" %}{% block theme %}'
                      'body { background: \\75rl("https://tracker.example/p.png"); }'
                      '{% endblock %}'),
    ("html/book.css", '@import "https://tracker.example/theme.css";'),
    ("epub/chapter.xhtml", '<?xml version="1.0" encoding="UTF-8"?><html xmlns='
                           '"http://www.w3.org/1999/xhtml"><body onload="x()">'
                           '{{ chapter.html }}</body></html>'),
    ("epub/package.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf">'
                         '<manifest><item href="https://tracker.example/p.png" id="p" '
                         'media-type="image/png"/></manifest></package>'),
], ids=["script", "remote-pixel", "comment-trick", "css-pixel", "css-import", "epub-handler",
        "opf-remote"])
def test_a_theme_cannot_put_scripts_or_remote_resources_into_the_book(tmp_path, name,
                                                                      template):
    """Before: a theme's <script> and remote pixel reached index.html and the EPUB,
    against "no scripts in every format"."""
    write(tmp_path / "templates" / name, template)
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n# One\n\nText.\n")
    out = tmp_path / "dist"
    result = build(source, out, "--format", "epub,html")
    assert result.returncode == 1, result.stderr
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "unsafe-template", result.stderr
    assert errors[0]["path"] == str(tmp_path / "templates" / name), errors
    assert not (out / "book").exists() or not any((out / "book").iterdir())


def test_a_harmless_theme_still_builds_every_format(tmp_path):
    write(tmp_path / "templates" / "html" / "book.css", '{% extends "folio:html/book.css" %}'
          '{% block theme %}:root { --link: #8b1a1a; } body { background: url(fonts/x.png) }'
          '{% endblock %}')
    write(tmp_path / "templates" / "print" / "print.css", '{% extends "folio:print/print.css" %}'
          '{% block theme %}@page { @bottom-center { content: "Themed"; } }{% endblock %}')
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n# One\n\n"
                   "Text with a [link](https://example.org).\n")
    result = build(source, tmp_path / "dist")
    assert result.returncode == 0, result.stderr
    assert "--link: #8b1a1a" in (tmp_path / "dist" / "book" / "book.css").read_text()


def test_builds_leave_nothing_in_the_temporary_folder(tmp_path):
    """Before: every PDF build left a weasyprint-* folder of 3.4 MB in the temporary
    folder (539 of them, 1.8 GB, in a day). Built, failed, or stopped: nothing stays."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch)}
    write(tmp_path / "templates" / "html" / "book.css", "body { color: #222; }")
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n# One\n\nText.\n")
    assert build(source, tmp_path / "dist", env=env).returncode == 0
    assert list(scratch.iterdir()) == []
    write(source, long_book(60))
    failed = build(source, tmp_path / "dist", env={**env, "FOLIO_LAYOUT_TIMEOUT": "0.5"})
    assert failed.returncode == 1 and "[timeout]" in failed.stderr, failed.stderr
    assert list(scratch.iterdir()) == []


# --- raw HTML cut down to a safe subset ----------------------------------------------

def test_scripts_event_handlers_and_active_content_never_reach_an_output(tmp_path):
    source = write(tmp_path / "book.md", (HOSTILE / "scripts.md").read_text(encoding="utf-8"))
    out = tmp_path / "dist"
    result = build(source, out, "--format", "epub,html")
    assert result.returncode == 0, result.stderr
    markup = chapter_html(out, "book")
    body = markup.split("<body", 1)[1] if "<body" in markup else markup
    for evil in ("EVIL", "alert(", "onerror", "onclick", "onload", "onmouseover",
                 "javascript:", "vbscript:", "data:text/html", "<iframe", "<form", "<input",
                 "<button", "http-equiv", "<base", "<object", "<embed", "<svg", "<mrow href",
                 "<template", "folio:piece", "<!--", "formaction", "srcdoc"):
        assert evil.lower() not in body.lower(), f"{evil!r} reached an output"
    # The text around the removed markup is still there.
    for kept in ("Before the script.", "After the script.", "click me", "form label",
                 "Kept with its text.", "END-OF-BOOK", "MathML text"):
        assert kept in markup, kept
    for needle, codes in {"onerror=": {"unsafe-html"}, "onclick=": {"unsafe-html"},
                          "<script>": {"raw-html"}, "<iframe": {"raw-html"},
                          "<form": {"raw-html"}, "<svg": {"unsafe-html"},
                          "javascript:alert(2)": {"unsafe-link"},
                          "vbscript:": {"unsafe-link"}, "data:text/html": {"unsafe-link"},
                          "[markdown js]": {"unsafe-link"},
                          "[markdown data]": {"unsafe-link"},
                          "{onmouseover": {"unsafe-html"}}.items():
        assert reported(result.stderr, source, line_of(source, needle), codes), needle


def test_unsafe_link_targets_never_become_links(tmp_path):
    source = write(tmp_path / "book.md", (HOSTILE / "scripts.md").read_text(encoding="utf-8"))
    out = tmp_path / "dist"
    assert build(source, out, "--format", "epub,html").returncode == 0
    for target in hrefs(chapter_html(out, "book")):
        scheme = re.match(r"^\s*([a-z][a-z0-9+.-]*):", re.sub(r"[\s\x00-\x1f]", "",
                                                                 target.lower()))
        assert scheme is None or scheme.group(1) in ("http", "https", "mailto"), target


def test_styles_are_dropped_with_one_warning_each_and_cannot_break_the_pdf(tmp_path):
    """Manuscript CSS that would make the layout endless (1 px pages, huge type)."""
    source = write(tmp_path / "book.md", (HOSTILE / "styles.md").read_text(encoding="utf-8"))
    out = tmp_path / "dist"
    started = time.monotonic()
    result = build(source, out, "--format", "pdf", env={"FOLIO_LAYOUT_TIMEOUT": "60"})
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    for needle in ("<style>", 'style="font-size', "{style=", "<STYLE"):
        line = line_of(source, needle)
        assert reported(result.stderr, source, line, {"style-dropped", "raw-html"}), needle
    from helpers import pdfinfo
    info = pdfinfo(out / "book" / "book.pdf")
    assert int(info["Pages"]) < 10 and "1 x 1 pts" not in info["Page size"]


def test_table_alignment_and_image_width_survive_the_sanitiser(tmp_path):
    (tmp_path / "pic.png").write_bytes(png())
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n"
                   "| a | b |\n|--:|:-:|\n| 1 | 2 |\n\n![pic](pic.png){width=50%}\n")
    out = tmp_path / "dist"
    result = build(source, out, "--format", "html")
    assert result.returncode == 0 and "style-dropped" not in result.stderr, result.stderr
    page = (out / "book" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<td style="text-align: ?right;?"', page)
    assert re.search(r'<img[^>]+style="width: ?50(\.0)?%;?"', page)


# --- metadata: safe YAML, validated -----------------------------------------------------

ALIAS_BOMB = """\
---
title: Bomb
lang: en
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
---
Text.
"""


@pytest.mark.parametrize("front, line, words", [
    (ALIAS_BOMB, 5, "aliases"),
    ("---\n- a list\n- not a mapping\n---\nText.\n", 2, "mapping"),
    ("---\njust a sentence\n---\nText.\n", 2, "mapping"),
    ("---\ntitle: T\nlang: en\nauthor: {name: {first: x}}\n---\nText.\n", 4, "author"),
    ("---\ntitle: [a, b]\nlang: en\n---\nText.\n", 2, "title"),
    ("---\ntitle: T\ndate: 2024-13-45\nlang: en\n---\nText.\n", 3, "date"),
    ("---\ntitle: T\nlang: 12\n---\nText.\n", 3, "lang"),
    ("---\ntitle: T\nlang: en\npublisher: !!python/object/apply:os.system [\"touch PWNED\"]\n"
     "---\nText.\n", 4, "python/object"),
    ("---\ntitle: \"a\\0b\"\nlang: en\n---\nText.\n", 2, "control character"),
    ("---\ntitle: T\nlang: en\nkeywords: " + "[" * 5000 + "\n---\nText.\n", 4, "nests"),
    ("---\ntitle: T\n  lang: en\n bad: [\n---\nText.\n", 3, "YAML"),
], ids=["alias-bomb", "list", "scalar", "nested-author", "title-list", "bad-date",
        "lang-number", "python-tag", "nul-escape", "deep-yaml", "broken-yaml"])
def test_bad_metadata_is_refused_quickly_naming_the_line(tmp_path, front, line, words):
    source = write(tmp_path / "book.md", front)
    started = time.monotonic()
    result = build(source, tmp_path / "dist", "--format", "html", timeout=60)
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1, result.stderr
    assert errors[0]["path"] == str(source) and int(errors[0]["line"] or 0) == line, errors
    assert words.lower() in errors[0]["message"].lower(), errors[0]["message"]
    assert not (tmp_path / "PWNED").exists() and not (REPO / "PWNED").exists()
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").rglob("*.html"))


# --- encodings and line endings --------------------------------------------------------

GOOD = "---\ntitle: Grüße\nlang: de\n---\n# Kapitel\n\nÄrger mit [nichts](#).\n"


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8"),
    lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r").encode("utf-8"),
], ids=["utf-8", "bom", "crlf", "bom-cr"])
def test_utf8_with_or_without_bom_and_any_line_ending_is_read(tmp_path, encode):
    source = tmp_path / "book.md"
    source.write_bytes(encode(GOOD))
    result = build(source, tmp_path / "dist", "--format", "html")
    assert result.returncode == 0, result.stderr
    # The placeholder link is on line 7 whatever the line endings.
    assert reported(result.stderr, source, 7, {"placeholder-link"}), result.stderr
    assert "Grüße" in (tmp_path / "dist" / "book" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("data, line, col, words", [
    (b"\xff\xfe" + GOOD.encode("utf-16-le"), 1, 1, "UTF-16"),
    (b"\xfe\xff" + GOOD.encode("utf-16-be"), 1, 1, "UTF-16"),
    (b"\xff\xfe\x00\x00" + GOOD.encode("utf-32-le"), 1, 1, "UTF-32"),
    (GOOD.encode("utf-16-le"), 1, 2, "UTF-16"),
    (GOOD.encode("latin-1"), 2, 10, "UTF-8"),
    (GOOD.replace("Ärger", "Är\x00ger").encode("utf-8"), 7, 3, "NUL"),
    (GOOD.encode("utf-8") + b"\n\xc3\x28 broken\n", 9, 1, "UTF-8"),
], ids=["utf-16-le", "utf-16-be", "utf-32", "utf-16-no-bom", "latin-1", "nul", "broken"])
def test_other_encodings_are_refused_naming_the_position(tmp_path, data, line, col, words):
    source = tmp_path / "book.md"
    source.write_bytes(data)
    result = build(source, tmp_path / "dist", "--format", "html")
    assert result.returncode == 1
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "encoding", result.stderr
    assert (int(errors[0]["line"]), int(errors[0]["col"])) == (line, col), errors[0]
    assert words in errors[0]["message"]


def test_control_characters_are_reported_and_kept_out_of_the_xml(tmp_path):
    source = tmp_path / "book.md"
    source.write_bytes(b"---\ntitle: T\nlang: en\n---\n# Head\x07ing\n\n"
                       b"Text\x01 [link\x02](https://example.org)\x0c end.\n\n## Sub\x1b\n")
    out = tmp_path / "dist"
    result = build(source, out, "--format", "epub,html")
    assert result.returncode == 0, result.stderr
    for line in (5, 7, 9):
        assert any(int(d["line"] or 0) == line for d in diagnostics(result.stderr)), line
    with zipfile.ZipFile(out / "book" / "book.epub") as archive:
        for name in archive.namelist():
            if name.endswith((".xhtml", ".opf", ".ncx")):
                ET.fromstring(archive.read(name))  # well-formed
    page = (out / "book" / "index.html").read_text(encoding="utf-8")
    assert "Heading" in page and not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", page)


# --- limits: size, depth, time ---------------------------------------------------------

def deep(kind: str) -> str:
    if kind == "quotes":
        return ">" * 10_000 + " deep\n"
    if kind == "lists":
        return "".join("  " * i + "- item\n" for i in range(600))
    if kind == "emphasis":
        return "*a " * 5_000 + "x" + " a*" * 5_000 + "\n"
    if kind == "spans":
        return "[a " * 1_000 + "x" + "]{.c}" * 1_000 + "\n"
    if kind == "raw-divs":
        return "<div>\n" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "\n</div>\n"
    if kind == "raw-spans":
        return "Text " + "<span>" * 5_000 + "x" + "</span>" * 5_000 + "\n"
    if kind == "mixed":
        return "".join("  " * i + "- > *a* item\n" for i in range(200))
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["quotes", "lists", "emphasis", "spans", "raw-divs",
                                  "raw-spans", "mixed"])
def test_deep_nesting_is_refused_with_its_line(tmp_path, kind):
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n\nIntro.\n\n" + deep(kind))
    started = time.monotonic()
    result = build(source, tmp_path / "dist", "--format", "epub,html", timeout=90)
    assert time.monotonic() - started < 45
    assert result.returncode == 1, result.stderr
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "too-deep", result.stderr
    assert int(errors[0]["line"] or 0) >= 8, errors[0]


def test_nesting_below_the_limit_builds_every_format(tmp_path):
    """Just under the limit, every walker, pandoc, the sanitiser and WeasyPrint cope."""
    text = ("---\ntitle: T\nlang: en\n---\n\n"
            + "> " * 45 + "quoted [link](https://example.org)\n\n"
            + "".join("  " * i + "- item\n" for i in range(22))
            + "\n" + "*a **b " * 20 + "x" + "** a*" * 20 + "\n\n"
            + "<div>" * 40 + "raw" + "</div>" * 40 + "\n")
    source = write(tmp_path / "book.md", text)
    result = build(source, tmp_path / "dist")
    assert result.returncode == 0, result.stderr


def test_long_bracket_runs_do_not_hang(tmp_path):
    source = write(tmp_path / "book.md", "---\ntitle: T\nlang: en\n---\n" + "[" * 30_000 + "\n")
    started = time.monotonic()
    result = build(source, tmp_path / "dist", "--format", "html")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30


def test_huge_inputs_are_refused_by_size(tmp_path):
    huge = tmp_path / "huge.md"
    with open(huge, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = build(huge, tmp_path / "dist", "--format", "html")
    assert result.returncode == 1
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert errors[0]["code"] == "too-large" and "limit" in errors[0]["message"]

    folder = tmp_path / "big-book"
    folder.mkdir()
    write(folder / "book.yaml", "title: T\nlang: en\n")
    chunk = ("Lorem ipsum dolor sit amet. " * 36 + "\n\n").encode() * 8_000  # ~8 MiB
    for number in range(5):
        (folder / f"{number:02d}.md").write_bytes(chunk)
    result = build(folder, tmp_path / "dist", "--format", "html")
    assert result.returncode == 1
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert errors[0]["code"] == "too-large", result.stderr


def long_book(paragraphs: int) -> str:
    text = "---\ntitle: Long\nlang: en\n---\n"
    for number in range(paragraphs):
        if number % 40 == 0:
            text += f"\n# Chapter {number // 40 + 1}\n"
        text += ("\nA paragraph of plain words that fills some lines on the page, with "
                 f"a note[^n{number}] and *emphasis* here and there. ") * 3 + "\n"
        text += f"\n[^n{number}]: Note {number}.\n"
    return text


def test_a_layout_that_takes_too_long_fails_clearly_and_keeps_earlier_outputs(tmp_path):
    source = write(tmp_path / "book.md", "---\ntitle: Good\nlang: en\n---\n# One\n\nFine.\n")
    out = tmp_path / "dist"
    assert build(source, out).returncode == 0
    before = fingerprint(out)
    assert {"book/book.epub", "book/book.pdf", "book/index.html"} <= set(before)

    write(source, long_book(150))
    started = time.monotonic()
    result = build(source, out, env={"FOLIO_LAYOUT_TIMEOUT": "0.5"})
    assert time.monotonic() - started < 40
    assert result.returncode == 1
    errors = [d for d in diagnostics(result.stderr) if d["severity"] == "error"]
    assert len(errors) == 1 and errors[0]["code"] == "timeout", result.stderr
    assert "PDF layout took longer than 0.5 s" in errors[0]["message"]
    assert fingerprint(out) == before
    assert not list(out.rglob("*.tmp")), list(out.rglob("*.tmp"))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_an_interrupted_build_keeps_earlier_outputs(tmp_path, stop):
    source = write(tmp_path / "book.md", "---\ntitle: Good\nlang: en\n---\n# One\n\nFine.\n")
    out = tmp_path / "dist"
    assert build(source, out).returncode == 0
    before = fingerprint(out)
    write(source, long_book(200))
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), str(source), "-o",
                                str(out)], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    # Interrupt once the new outputs are being written (their temporary files exist).
    while not list(out.rglob("*.tmp")) and process.poll() is None:
        assert time.monotonic() < deadline, "the build never started writing"
        time.sleep(0.02)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + stop, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert fingerprint(out) == before
    assert not list(out.rglob("*.tmp")), list(out.rglob("*.tmp"))


def test_two_builds_of_one_book_at_once_do_not_corrupt_each_other(tmp_path):
    from pypdf import PdfReader

    (tmp_path / "pic.png").write_bytes(png())
    source = write(tmp_path / "book.md", long_book(60) + "\n![a picture](pic.png)\n")
    out = tmp_path / "dist"
    command = [sys.executable, str(REPO / "build.py"), str(source), "-o", str(out),
               "--format", "epub,pdf,html"]
    processes = [subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    with zipfile.ZipFile(out / "book" / "book.epub") as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[0] == "mimetype"
        assert any(n.startswith("EPUB/images/img-") for n in names)
    reader = PdfReader(out / "book" / "book.pdf")
    assert len(reader.pages) > 3 and "Note 59" in "".join(p.extract_text() for p in reader.pages)
    assert (out / "book" / "index.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not list(out.rglob("*.tmp"))


# --- the sandbox, directly ---------------------------------------------------------------

def _sleep_with_a_grandchild(pid_file: str) -> None:
    grandchild = subprocess.Popen(["sleep", "60"])
    Path(pid_file).write_text(str(grandchild.pid))
    time.sleep(60)


def _allocate(mib: int) -> int:
    return len(bytearray(mib * 1024 * 1024))


def _crash() -> None:
    import faulthandler
    faulthandler.disable()  # pytest's handler would print the child's stack on stderr
    os.kill(os.getpid(), signal.SIGSEGV)


def _refuse() -> None:
    from folio.diagnostics import BuildError
    raise BuildError("book.md", "refused in the child", 3, 1, "child")


def run_limited(function, *args, display="book.md", what="the PDF layout", **limits):
    """``function(*args)`` in a ``sandbox.Child`` forked for it, as the pipeline runs
    the PDF layout."""
    from folio.sandbox import Child

    with Child(display=display, what=what) as child:
        return child.run(function, *args, **limits)


def test_the_sandbox_ends_the_whole_process_group_on_time_out(tmp_path):
    from folio.diagnostics import BuildError

    pid_file = tmp_path / "grandchild"
    started = time.monotonic()
    with pytest.raises(BuildError) as caught:
        run_limited(_sleep_with_a_grandchild, str(pid_file), display="book.md",
                    what="the PDF layout", timeout=1.5)
    assert time.monotonic() - started < 10
    assert caught.value.diagnostic.code == "timeout"
    assert "the PDF layout took longer than 1.5 s" in caught.value.diagnostic.message
    grandchild = Path(f"/proc/{int(pid_file.read_text())}/stat")

    def ended() -> bool:  # gone, or a zombie waiting for init to reap it: not running
        try:
            return grandchild.read_text().split(") ")[1][0] in "ZX"
        except (OSError, IndexError):
            return True

    deadline = time.monotonic() + 10
    while not ended() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ended()


def test_the_sandbox_reports_memory_crashes_and_errors_of_the_child():
    from folio.diagnostics import BuildError

    limits = {"display": "book.md", "what": "the PDF layout", "timeout": 30}
    assert run_limited(_allocate, 16, memory_mib=512, **limits) == 16 * 1024 * 1024
    with pytest.raises(BuildError) as caught:
        run_limited(_allocate, 2048, memory_mib=256, **limits)
    assert caught.value.diagnostic.code == "memory"
    with pytest.raises(BuildError) as caught:
        run_limited(_crash, **limits)
    assert caught.value.diagnostic.code == "crash" and "SIGSEGV" in str(caught.value)
    with pytest.raises(BuildError) as caught:
        run_limited(_refuse, **limits)
    assert (caught.value.diagnostic.line, caught.value.diagnostic.code) == (3, "child")
    with pytest.raises(BuildError) as caught:
        run_limited(divmod, 1, 0, **limits)
    assert caught.value.diagnostic.code == "internal"
    assert "ZeroDivisionError" in caught.value.diagnostic.message


def _fail_near_the_cap(mib: int) -> None:
    held = bytearray(mib * 1024 * 1024)  # noqa: F841 - the memory the process holds
    raise SystemError("error return without exception set")


def test_a_child_that_fails_at_its_memory_cap_is_reported_as_memory():
    """Before: 50,000 headings ended in "internal error: SystemError" -- C code that
    cannot allocate often raises that rather than MemoryError -- instead of the
    layout's memory message. A failure once the child came near its cap is memory."""
    from folio.diagnostics import BuildError

    limits = {"display": "book.md", "what": "the PDF layout", "timeout": 30}
    with pytest.raises(BuildError) as caught:
        run_limited(_fail_near_the_cap, 150, memory_mib=160, **limits)
    assert caught.value.diagnostic.code == "memory", caught.value.diagnostic
    with pytest.raises(BuildError) as caught:
        run_limited(_fail_near_the_cap, 1, memory_mib=512, **limits)
    assert caught.value.diagnostic.code == "internal", "far from the cap: an error"


def _temporary_folder() -> str:
    import tempfile
    return tempfile.mkdtemp(prefix="weasyprint-")


def test_a_child_forked_before_the_book_is_read_runs_its_job_and_leaves_nothing():
    from folio.diagnostics import BuildError
    from folio.sandbox import Child

    with Child(display="book.md", what="the PDF layout") as child:
        pid, scratch = child.pid, Path(child.scratch)
        made = Path(child.run(_temporary_folder))
        assert made.parent == scratch, "the child's temporary files go to its own folder"
    assert not Path(f"/proc/{pid}").exists(), "reaped by the process that forked it"
    assert not scratch.exists() and not made.exists(), "its folder is removed with it"
    with Child() as idle:
        pid = idle.pid
    assert not Path(f"/proc/{pid}").exists(), "a child never used is ended and reaped"
    with Child(display="book.md", what="the PDF layout") as child:
        started = time.monotonic()
        with pytest.raises(BuildError) as caught:
            child.run(time.sleep, 30, timeout=1)
        assert caught.value.diagnostic.code == "timeout" and time.monotonic() - started < 10


# --- the sanitiser and the transforms, directly ------------------------------------------

def test_the_sanitiser_keeps_folio_markup_and_drops_the_rest():
    from folio.safety import sanitise_fragment

    ours = ('<p>See<a class="noteref" href="#note-1" id="noteref-1" epub:type="noteref" '
            'role="doc-noteref">1</a> x<wbr>y</p><section class="notes" aria-label="Notes">'
            '<aside class="note" id="note-1" epub:type="footnote" role="doc-footnote"><p>'
            '<a class="note-number" href="#noteref-1" role="doc-backlink">1.</a> '
            '<span class="url">https://<wbr>example.org</span></p></aside></section>'
            '<figure><img src="images/img-0123456789abcdef.png" alt="a"><figcaption '
            'aria-hidden="true">a</figcaption></figure>'
            '<p><a href="chapter-002.xhtml#intro">xref</a></p>')
    assert sanitise_fragment(ours) == ours
    hostile_markup = ('<p onclick="x()" style="position:fixed">a<!-- c -- d -->'
                      '<img src="../secret.png" onerror="y()"><a href="jav&#x61;script:z()" '
                      'rel="attachment">b</a><a href="file:///etc/passwd">c</a>'
                      '<script>EVIL</script><style>@import "x"</style></p>')
    assert sanitise_fragment(hostile_markup) == "<p>a<img><a>b</a><a>c</a></p>"


def test_svg_images_must_be_self_contained():
    from folio.safety import svg_problem

    assert svg_problem((HOSTILE / "safe.svg").read_bytes()) is None
    assert "script" in svg_problem((HOSTILE / "hostile.svg").read_bytes())
    assert svg_problem(b'<svg xmlns="http://www.w3.org/2000/svg"><use href="http://x/a#b"/>'
                       b"</svg>")
    assert svg_problem(b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg>&a;</svg>')
    assert svg_problem(b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(x.css);'
                       b"</style></svg>")
    assert svg_problem(b'<svg xmlns="http://www.w3.org/2000/svg"><rect '
                       b'style="fill:url(http://x/y)"/></svg>')


# --- properties: no crash on any Markdown, idempotent transforms ------------------------

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PIECES = ["# ", "## ", "> ", "- ", "1. ", "* ", "_", "**", "`", "```\n", "~~~", "[", "]",
          "(", ")", "![", "](", "#", "<", ">", "&", "\"", "'", "\\", "|", "---", "\n",
          "\n\n", "    ", "[^1]", "[^1]: ", "{#id .c}", "{style=\"x\"}", "<span>", "</span>",
          "<div>\n", "\n</div>", "<script>", "<!-- c -->", "<a href=\"javascript:x\">",
          "</a>", "<img src=\"x.png\" onerror=y>", "https://example.org", "#chapter",
          "pic.png", "::: note\n", "\n:::", "$x$", "word", "Wort", "«", "„", "\u00a0",
          "\u200b", "é", "日本", "\t", "{{ 7*7 }}", "{% if %}", "<!--folio:piece-->",
          "> [^1]: ", "- [^2]: ", "[^2]", "\n    ", "<td style=\"text-align: right\">"]
#: Any text a UTF-8 file can hold (a NUL byte is refused when reading: tested above).
plain_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                     max_size=8)
markdown_text = st.lists(st.sampled_from(PIECES) | plain_text, max_size=60).map("".join)
PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@pytest.fixture
def small_pandoc(monkeypatch):
    """A lower heap cap, so that a pattern that makes pandoc grow fails (and shrinks)
    in seconds rather than minutes."""
    import folio.parse

    monkeypatch.setattr(folio.parse, "PANDOC_HEAP", "300M")


def read_generated(folder: Path, text: str):
    """The generated manuscript read; a clean refusal (``BuildError``) is no crash."""
    from folio.diagnostics import BuildError, Reporter
    from folio.pipeline import read_book

    (folder / "pic.png").write_bytes(png())
    source = folder / "book.md"
    source.write_text("---\ntitle: Generated\nlang: en\n---\n" + text, encoding="utf-8")
    try:
        return read_book(source, Reporter())
    except BuildError as error:
        assert error.diagnostic.code not in ("", "internal", "pandoc"), error.diagnostic
        hypothesis.assume(False)


@PROPERTY
@given(text=markdown_text)
# Found by a CI run: a code span showing a link is text, not a link.
@example(text='`<a href="javascript:x">`')
def test_reading_and_rendering_never_crash(tmp_path_factory, small_pandoc, text):
    from folio.formats import BUILDERS
    from folio.formats.epub.markup import serialise_children
    from folio.formats.render import render_pieces

    document = read_generated(tmp_path_factory.mktemp("gen"), text)
    for name, builder_class in BUILDERS.items():
        builder = builder_class()
        pieces = builder.pieces(document)
        fragments = render_pieces(pieces, document.api_version, "generated")
        assert len(fragments) == len(pieces)
        for fragment in fragments:
            assert "<script" not in fragment and "<!--" not in fragment
            for attribute, value in targets(fragment):
                assert not re.match(r"\s*(javascript|vbscript|data|file):", value, re.I), value
        if name == "epub":  # what the EPUB writes: the chapters parsed, cleaned, written
            for body in builder._chapter_trees(document, fragments):
                ET.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml" '
                              f'xmlns:epub="http://www.idpf.org/2007/ops">'
                              f'{serialise_children(body)}</div>')


@PROPERTY
@given(text=markdown_text)
def test_transforms_are_idempotent(tmp_path_factory, small_pandoc, text):
    from folio.diagnostics import Reporter
    from folio.safety import sanitise_fragment
    from folio.transforms import resolve_links
    from folio.transforms.structure import _assign_ids, _normalise_levels
    from folio.transforms.typography import localise_quotes

    document = read_generated(tmp_path_factory.mktemp("gen"), text)
    blocks = [chapter.blocks for chapter in document.chapters]
    for lang in ("de", "en", "fr"):
        once = [localise_quotes(copy.deepcopy(b), lang) for b in blocks]
        assert [localise_quotes(copy.deepcopy(b), lang) for b in once] == once

    once = copy.deepcopy(blocks)
    _normalise_levels(once)
    _assign_ids(document.source, once, Reporter())
    twice = copy.deepcopy(once)
    _normalise_levels(twice)
    _assign_ids(document.source, twice, Reporter())
    assert twice == once

    before = json.dumps([chapter.blocks for chapter in document.chapters])
    resolve_links(document, {}, Reporter())
    assert json.dumps([chapter.blocks for chapter in document.chapters]) == before

    fragment = "".join(text.split("\n"))
    assert sanitise_fragment(sanitise_fragment(fragment)) == sanitise_fragment(fragment)


@pytest.fixture(autouse=True)
def _no_stray_processes():
    """Every child a test starts (pandoc, the PDF layout) is gone when it ends."""
    yield
    if shutil.which("pgrep") is None:
        return
    mine = subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True)
    assert mine.stdout.strip() == "", f"processes left behind: {mine.stdout}"
