"""The command line as a new user meets it (issue 13): folders of books, help,
usage errors, ``new``, the order of warnings, ``watch`` stopping, and a machine
without Pango."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers import CONTENT, FIXTURES, REPO, run_build

GERMAN = "warum-entkoppeln-sich-us-aktien"


def _diagnostics(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": warning: " in line or ": error: " in line]


def test_a_folder_of_books_is_taken_as_such_by_check_and_build(tmp_path):
    shutil.copytree(CONTENT, tmp_path / "content")
    checked = run_build("check", "content", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    books = len([p for p in CONTENT.iterdir() if p.suffix == ".md" or p.is_dir()])
    assert f"{books} book(s)" in checked.stderr
    assert f"content/{GERMAN}.md:" in checked.stderr
    built = run_build("build", "content", "-o", "out", "--format", "html", "-q", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "making-books" / "index.html").is_file()
    assert (tmp_path / "out" / GERMAN / "index.html").is_file()
    assert not (tmp_path / "out" / "content").exists()


def test_build_and_check_give_the_same_warnings_in_the_same_order(tmp_path):
    source = CONTENT / f"{GERMAN}.md"
    checked = _diagnostics(run_build("check", str(source)).stderr)
    built = _diagnostics(run_build(str(source), "-o", str(tmp_path), "--format", "html",
                                   "-q").stderr)
    assert len(checked) == 9
    assert built == checked


def test_help_lists_the_build_options():
    result = run_build("--help")
    assert result.returncode == 0
    for option in ("--format LIST", "--page-size SIZE", "--print", "--force", "-o OUTDIR",
                   "--strict", "--edition LIST", "--pdf-x"):
        assert option in result.stdout, option


def test_an_unknown_edition_is_named_with_the_choices(tmp_path):
    result = run_build("--edition", "print,kindle", str(tmp_path / "x.md"))
    assert result.returncode == 2
    assert "unknown edition kindle; choose from print, kobo, archive" in result.stderr


def test_an_unknown_format_is_named_with_the_command_s_usage(tmp_path):
    result = run_build("--format", "pdf,mobi", str(tmp_path / "x.md"))
    assert result.returncode == 2
    assert result.stderr.startswith("usage: build.py build ")
    assert "unknown format mobi; choose from epub, pdf, html" in result.stderr


def test_new_suggests_a_command_that_works_and_writes_in_the_book_s_language(tmp_path):
    result = run_build("new", "My Book", "--lang", "fr", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "next: python build.py watch 'My Book'" in result.stdout
    chapter = (tmp_path / "My Book" / "01-introduction.md").read_text(encoding="utf-8")
    assert "Voici le premier chapitre" in chapter
    checked = run_build("check", "My Book", cwd=tmp_path)
    assert checked.returncode == 0 and _diagnostics(checked.stderr) == [], checked.stderr


def test_without_pango_the_build_says_what_to_install_and_writes_the_other_formats(tmp_path):
    fake = tmp_path / "fake" / "weasyprint"
    fake.mkdir(parents=True)
    # What importing WeasyPrint does on a machine without Pango (cffi's dlopen fails).
    (fake / "__init__.py").write_text(
        "raise OSError(\"cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open "
        "shared object file: No such file or directory\")\n", encoding="utf-8")
    source = tmp_path / "note.md"
    source.write_text("---\ntitle: Note\nlang: en\n---\n\nOne line.\n", encoding="utf-8")
    result = run_build(str(source), "-o", str(tmp_path / "dist"),
                       env={"PYTHONPATH": str(tmp_path / "fake")})
    assert result.returncode == 1
    errors = _diagnostics(result.stderr)
    assert len(errors) == 1 and "apt-get install libpango-1.0-0" in errors[0]
    assert "Traceback" not in result.stderr and "_ChildFailed" not in result.stderr
    book = tmp_path / "dist" / "note"
    assert (book / "note.epub").is_file() and (book / "index.html").is_file()
    assert not (book / "note.pdf").exists()
    # Once Pango is there, the next build makes the PDF (the cache kept no half build).
    again = run_build(str(source), "-o", str(tmp_path / "dist"), "-q")
    assert again.returncode == 0 and (book / "note.pdf").is_file()


def _watch(book: Path, outdir: Path):
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "watch", str(book), "-o", str(outdir),
         "--format", "html", "--port", "0"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    lines: list[str] = []

    def read() -> None:
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def _wait_for(lines: list[str], marker: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not any(marker in line for line in lines):
        assert time.monotonic() < deadline, f"no {marker!r} in {lines}"
        time.sleep(0.1)


def test_watch_stops_with_130_or_143_quietly_and_never_calls_a_failure_rebuilt(tmp_path):
    source = tmp_path / "note.md"
    source.write_text("---\ntitle: Note\nlang: en\n---\n\nOne line.\n", encoding="utf-8")
    for stop, status in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        process, lines = _watch(source, tmp_path / "dist")
        try:
            _wait_for(lines, "watching for changes")
            if stop == signal.SIGINT:  # a rebuild that fails, then Ctrl-C
                source.write_text("---\ntitle: [Note\n---\n\nOne line.\n", encoding="utf-8")
                _wait_for(lines, "failed to rebuild")
            process.send_signal(stop)
            process.wait(timeout=30)
        finally:
            process.kill()
        stderr = process.stderr.read()
        assert process.returncode == status, stderr
        assert not any("rebuilt" in line for line in lines), lines
        assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
        assert "watchfiles" not in stderr.lower()
        source.write_text("---\ntitle: Note\nlang: en\n---\n\nOne line.\n", encoding="utf-8")
