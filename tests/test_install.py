"""A non-editable install (``pip install .``) is a complete folio: the templates and
fonts travel inside the package, and a book outside the repository builds."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig

from helpers import REPO, pdf_pages


def test_a_non_editable_install_builds_a_book_outside_the_repository(tmp_path):
    # A clean copy of the sources: a build/ folder left in the repository by an earlier
    # build would hide files the package forgets to ship.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".tools", "build", "dist", "bench-out", "*.egg-info",
        "__pycache__", ".pytest_cache", ".hypothesis"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(wheels), str(source)], check=True, timeout=300,
                   cwd=tmp_path, capture_output=True)
    (wheel,) = wheels.glob("folio-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies come from the test environment (nothing is downloaded); folio
    # itself from the wheel. Paths named in a .pth file are added, their own .pth files
    # (the editable install's finder) are not read.
    (tmp_path / "venv" / site / "dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, timeout=300, capture_output=True)
    where = subprocess.run([str(python), "-c", "import folio; print(folio.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    assert where.startswith(str(venv)), f"folio imported from {where}, not the install"

    book = tmp_path / "elsewhere" / "essay.md"
    book.parent.mkdir()
    book.write_text("---\ntitle: An Essay\nlang: en\n---\n# First\n\nIt was built "
                    "from [a wheel](https://example.org/wheel).\n", encoding="utf-8")
    result = subprocess.run([str(venv / "bin" / "folio"), "build", str(book), "-o", "out"],
                            cwd=book.parent, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = book.parent / "out" / "essay"
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        "book.css", "essay.epub", "essay.pdf", "index.html"]
    text = "\n".join(pdf_pages(out / "essay.pdf"))
    assert "It was built" in text and "example.org/wheel" in text.replace("\n", "")
