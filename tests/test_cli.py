"""The command line (issue 6): build, check, watch and new; the cache; several
books at once; themes; what is printed where."""

from __future__ import annotations

import os
import pty
import queue
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import CONTENT, REPO, pdf_pages, run_build

GNU = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(:(?P<col>\d+))?: (warning|error): "
                 r".+ \[[a-z-]+\]$")


def small_book(folder: Path, name: str = "book", title: str = "A Small Book",
               text: str = "Some text with a [link](https://example.org/).") -> Path:
    book = folder / name
    book.mkdir(parents=True)
    (book / "book.yaml").write_text(f"title: {title}\nlang: en\n", encoding="utf-8")
    (book / "01-one.md").write_text(f"# One\n\n{text}\n", encoding="utf-8")
    return book


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir() if p.is_file()}


# --- commands and help --------------------------------------------------------------------

def test_help_lists_commands_with_examples():
    result = run_build("--help")
    assert result.returncode == 0
    for word in ("build", "check", "watch", "new", "examples:", "NO_COLOR"):
        assert word in result.stdout
    for command in ("build", "check", "watch", "new"):
        sub = run_build(command, "--help")
        assert sub.returncode == 0 and "examples:" in sub.stdout, command


def test_new_creates_a_book_that_checks_clean_and_builds(tmp_path):
    result = run_build("new", "my-essay", "--author", "Ada Author", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    book = tmp_path / "my-essay"
    assert "title: My essay" in (book / "book.yaml").read_text(encoding="utf-8")
    assert "author: Ada Author" in (book / "book.yaml").read_text(encoding="utf-8")
    assert (book / "01-introduction.md").read_text(encoding="utf-8").startswith("# ")
    checked = run_build("check", "--strict", str(book), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "0 error(s), 0 warning(s)" in checked.stderr
    built = run_build(str(book), "--format", "html", "-q", cwd=tmp_path)
    assert built.returncode == 0 and built.stdout == ""
    assert "My essay" in (tmp_path / "dist/my-essay/index.html").read_text(encoding="utf-8")
    again = run_build("new", "my-essay", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_usage_errors_exit_2(tmp_path):
    assert run_build("--format", "docx", str(tmp_path)).returncode == 2
    assert run_build("build", cwd=tmp_path).returncode == 2  # no SOURCE and no content/


# --- the cache ----------------------------------------------------------------------------

def test_unchanged_books_are_not_built_again_and_one_change_rebuilds_one_book(tmp_path):
    first = small_book(tmp_path, "first", "First")
    second = small_book(tmp_path, "second", "Second")
    out = tmp_path / "dist"
    built = run_build(str(first), str(second), "-o", str(out))
    assert built.returncode == 0, built.stderr
    assert built.stdout.count("(unchanged)") == 0
    before = {name: mtimes(out / name) for name in ("first", "second")}

    again = run_build(str(first), str(second), "-o", str(out))
    assert again.returncode == 0
    assert again.stdout.count("(unchanged)") == 6
    assert {name: mtimes(out / name) for name in before} == before, "nothing was written"

    (second / "01-one.md").write_text("# One\n\nChanged text.\n", encoding="utf-8")
    changed = run_build(str(first), str(second), "-o", str(out))
    assert changed.stdout.count("(unchanged)") == 3
    assert mtimes(out / "first") == before["first"]
    assert mtimes(out / "second")["second.pdf"] != before["second"]["second.pdf"]
    assert "Changed text." in (out / "second/index.html").read_text(encoding="utf-8")

    forced = run_build(str(first), str(second), "-o", str(out), "--force", "-j", "1")
    assert forced.stdout.count("(unchanged)") == 0
    assert mtimes(out / "first")["first.pdf"] != before["first"]["first.pdf"]


def test_a_deleted_output_or_changed_template_means_a_rebuild(tmp_path):
    book = small_book(tmp_path)
    out = tmp_path / "dist"
    assert run_build(str(book), "-o", str(out), "--format", "html").returncode == 0
    (out / "book" / "index.html").unlink()
    again = run_build(str(book), "-o", str(out), "--format", "html")
    assert "(unchanged)" not in again.stdout and (out / "book" / "index.html").exists()
    theme = book / "templates" / "html"
    theme.mkdir(parents=True)
    (theme / "book.css").write_text("body { color: rgb(1, 2, 3); }\n", encoding="utf-8")
    themed = run_build(str(book), "-o", str(out), "--format", "html")
    assert "(unchanged)" not in themed.stdout
    assert "rgb(1, 2, 3)" in (out / "book" / "book.css").read_text(encoding="utf-8")


def test_a_cached_build_reports_its_warnings_again_and_fails_under_strict(tmp_path):
    book = small_book(tmp_path, text="A [placeholder](#) link.")
    out = tmp_path / "dist"
    first = run_build(str(book), "-o", str(out), "--format", "html")
    second = run_build(str(book), "-o", str(out), "--format", "html")
    assert "(unchanged)" in second.stdout
    assert first.stderr == second.stderr and "[placeholder-link]" in second.stderr
    strict = run_build(str(book), "-o", str(out), "--format", "html", "--strict")
    assert strict.returncode == 1


def test_an_edit_reads_again_only_the_chapter_that_changed_with_every_warning(tmp_path):
    book = small_book(tmp_path, text="A [placeholder](#) link.\n\n### Too deep")
    (book / "02-two.md").write_text("# Two\n\nText in [red]{style=\"color: red\"}.\n",
                                    encoding="utf-8")
    (book / "03-three.md").write_text("# Three\n\nSome text.\n", encoding="utf-8")
    out = tmp_path / "dist"
    reads = out / ".folio-cache" / "read" / "book"

    def entries() -> dict[str, tuple[int, int]]:
        """Each file's read entry: (inode, mtime); a file read again gets a new one."""
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in reads.iterdir()}

    first = run_build(str(book), "-o", str(out), "--format", "html", "-q")
    assert first.returncode == 0, first.stderr
    before = entries()
    assert len(before) == 3
    for code in ("placeholder-link", "heading-skip", "style-dropped"):
        assert f"[{code}]" in first.stderr

    (book / "03-three.md").write_text("# Three\n\nSome other text.\n", encoding="utf-8")
    edited = run_build(str(book), "-o", str(out), "--format", "html", "-q")
    after = entries()
    changed = [name for name in before if after[name] != before[name]]
    assert len(changed) == 1, "one chapter read again"
    assert edited.stderr == first.stderr, "the chapters not read again warn as before"
    assert "Some other text." in (out / "book" / "index.html").read_text(encoding="utf-8")

    (book / "03-three.md").write_text("# Three\n\nYet other text.\n", encoding="utf-8")
    strict = run_build(str(book), "-o", str(out), "--format", "html", "-q", "--strict")
    assert strict.returncode == 1 and "[heading-skip]" in strict.stderr
    assert entries() == after, "a book refused under --strict writes nothing"

    forced = run_build(str(book), "-o", str(out), "--format", "html", "-q", "--force")
    assert forced.stderr == first.stderr
    assert all(entries()[name] != after[name] for name in after), "all read again"


# --- what goes where ----------------------------------------------------------------------

def test_quiet_prints_only_diagnostics_in_gnu_form(tmp_path):
    book = small_book(tmp_path, text="A [placeholder](#) link.")
    result = run_build(str(book), "-o", str(tmp_path / "dist"), "-q", "--format", "html")
    assert result.returncode == 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines and all(GNU.match(line) for line in lines), lines
    assert "\x1b" not in result.stderr, "no colour when standard error is not a terminal"


def _run_in_terminal(args: list[str], env: dict, cwd: Path, timeout: float = 120) -> str:
    """Run ``build.py ARGS`` with standard output and error on a pseudo-terminal."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), *args], cwd=cwd,
                               stdin=subprocess.DEVNULL, stdout=follower, stderr=follower,
                               env={**os.environ, "TERM": "xterm-256color", **env},
                               start_new_session=True)
    os.close(follower)
    output = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(leader)
    return output.decode("utf-8", "replace")


def test_terminal_gets_progress_and_colour_unless_no_color(tmp_path):
    book = small_book(tmp_path, text="A [placeholder](#) link.")
    coloured = _run_in_terminal([str(book), "-o", "dist", "--format", "html,epub"], {},
                                tmp_path)
    assert re.search(r"\x1b\[[0-9;]*33m", coloured), "the warning is yellow"
    assert "1 book(s) in" in coloured and re.search(r"\d\.\d s", coloured)
    assert re.search(r"book/01-one\.md:3:3: .*warning.*: .*\[placeholder-link\]", coloured)
    plain = _run_in_terminal([str(book), "-o", "dist2", "--format", "html"],
                             {"NO_COLOR": "1"}, tmp_path)
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", plain)
    assert "1 book(s) in" in plain


# --- several books, and failures in the PDF process ---------------------------------------

def test_several_books_build_in_parallel_with_every_diagnostic(tmp_path):
    books = [small_book(tmp_path, f"b{n}", f"Book {n}", text=f"Book {n}: [x](#).")
             for n in range(3)]
    result = run_build(*map(str, books), "-o", str(tmp_path / "dist"), "-j", "2")
    assert result.returncode == 0, result.stderr
    for n in range(3):
        assert (tmp_path / "dist" / f"b{n}" / f"b{n}.pdf").stat().st_size > 1000
        assert f"b{n}/01-one.md:3:" in result.stderr


def test_a_failing_pdf_is_one_error_line_and_exit_1(tmp_path):
    book = small_book(tmp_path)
    print_theme = book / "templates" / "print"
    print_theme.mkdir(parents=True)
    (print_theme / "print.css").write_text("{{ no_such_variable }}\n", encoding="utf-8")
    result = run_build(str(book), "-o", str(tmp_path / "dist"))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "no_such_variable" in errors[0]
    assert not list((tmp_path / "dist").rglob("*.tmp")), "no half-written files"


# --- themes -------------------------------------------------------------------------------

def test_a_book_theme_overrides_stylesheets_file_by_file(tmp_path):
    book = tmp_path / SLUG_THEMED
    shutil.copytree(CONTENT / "making-books", book)
    html_theme = book / "templates" / "html"
    html_theme.mkdir(parents=True)
    builtin = (REPO / "templates" / "html" / "book.css").read_text(encoding="utf-8")
    (html_theme / "book.css").write_text(builtin.replace("--link: #1a4f8b;",
                                                         "--link: #8b1a1a;"), encoding="utf-8")
    print_theme = book / "templates" / "print"
    print_theme.mkdir(parents=True)
    # The PDF's stylesheet extends folio's and changes one block.
    (print_theme / "print.css").write_text(
        '{% extends "folio:print/print.css" %}\n{% block theme %}\n'
        '@page { @bottom-center { content: "A themed edition"; font: 8pt "Folio Serif"; } }\n'
        '{% endblock %}\n', encoding="utf-8")
    out = tmp_path / "dist"
    result = run_build(str(book), "-o", str(out), "--format", "pdf,html", "-q")
    assert result.returncode == 0, result.stderr
    css = (out / SLUG_THEMED / "book.css").read_text(encoding="utf-8")
    assert "--link: #8b1a1a;" in css and "#1a4f8b" not in css
    pages = pdf_pages(out / SLUG_THEMED / f"{SLUG_THEMED}.pdf")
    assert "A themed edition" in pages[3]
    assert "Contents" in pages[2] and "Why" in pages[2], "the rest of folio's design stays"
    # Only the files the book overrides change: the page template is still ours.
    assert '<nav class="toc"' in (out / SLUG_THEMED / "index.html").read_text(encoding="utf-8")


SLUG_THEMED = "themed-book"


# --- watch --------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_watch_rebuilds_on_save_and_tells_the_page_to_reload(tmp_path):
    book = small_book(tmp_path, text="The first version.")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "watch", str(book), "-o",
         str(tmp_path / "dist"), "--format", "html", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        line = _read_line(process, "serving", timeout=60)
        assert f"http://127.0.0.1:{port}/book/" in line
        page_url = f"http://127.0.0.1:{port}/book/"
        page = urllib.request.urlopen(page_url, timeout=10).read().decode()
        assert "The first version." in page and "EventSource" in page
        assert "EventSource" not in (tmp_path / "dist/book/index.html").read_text(), \
            "the reload script is served, never written"
        home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        assert home.url == page_url, "the only book is the home page"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/.folio-cache/book.json",
                                   timeout=10)
        events = urllib.request.urlopen(f"http://127.0.0.1:{port}/__folio__/events",
                                        timeout=30)
        assert events.headers["Content-Type"] == "text/event-stream"
        assert events.readline().startswith(b"retry:")
        _read_line(process, "watching for changes", timeout=60)  # the file watches are set
        (book / "01-one.md").write_text("# One\n\nThe second version.\n", encoding="utf-8")
        deadline = time.monotonic() + 60
        received = b""
        while b"event: reload" not in received and time.monotonic() < deadline:
            received += events.readline()
        assert b"event: reload" in received
        page = urllib.request.urlopen(page_url, timeout=10).read().decode()
        assert "The second version." in page, (received, _drain_output(process))
        assert _listening_addresses(port) == {"127.0.0.1"}, "loopback only"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 and IPv6 addresses a TCP port listens on (from /proc/net)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hexport = local.partition(":")
            if state == "0A" and int(hexport, 16) == port:  # 0A: LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET,
                                               bytes.fromhex(address)[::-1]))
                else:
                    found.add("ipv6:" + address)
    return found


def _drain_output(process) -> str:
    """What ``process`` printed that no ``_read_line`` took, once it has ended."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    printed = []
    while (line := process.lines.get(timeout=10)) is not None:
        printed.append(line)
    return "".join(printed) + process.stderr.read()


def _read_line(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """The first line of ``process``'s output that holds ``marker``.

    A thread reads the lines: ``select`` on the pipe would miss a line already
    taken into the file object's buffer together with the one before it."""
    if not hasattr(process, "lines"):
        process.lines = queue.Queue()

        def pump() -> None:
            for line in process.stdout:
                process.lines.put(line)
            process.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = process.lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        if marker in line:
            return line
    raise AssertionError(f"no '{marker}' line; stderr: {process.stderr.read()[:2000]}")


# --- the benchmark's book generator -------------------------------------------------------

def test_bench_generator_writes_a_book_that_builds(tmp_path):
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from bench import generate_book
    finally:
        sys.path.remove(str(REPO / "bench"))
    book = generate_book(tmp_path / "generated", pages=12, seed=1)
    chapters = sorted(book.glob("*.md"))
    text = "".join(path.read_text(encoding="utf-8") for path in chapters)
    assert len(chapters) >= 1 and "](https://" in text and "[^" in text and "```" in text
    assert "|---|" in text
    result = run_build("check", str(book))
    assert result.returncode == 0, result.stderr
