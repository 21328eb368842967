"""A rebuild that the cache answers loads neither the pipeline nor a builder
(``folio.books``, ``folio.formats``' names without its builders): what it imports is
checked in a fresh interpreter, after a real build of a small book."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from folio import formats

ROOT = Path(__file__).resolve().parents[2]

#: Modules a rebuild with nothing changed has no use for.
HEAVY = ("folio.pipeline", "folio.formats.base", "folio.formats.pdf", "folio.formats.epub",
         "folio.transforms", "folio.parse", "folio.linkcheck", "folio.watch", "jinja2",
         "pikepdf", "pypandoc")


def test_the_names_of_formats_and_editions_are_the_builders():
    assert formats.FORMATS + formats.EDITIONS == tuple(formats.BUILDERS)
    assert all(not formats.BUILDERS[name].edition for name in formats.FORMATS)
    assert all(formats.BUILDERS[name].edition for name in formats.EDITIONS)


def _imported_by(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run the command line with ``args`` in a fresh interpreter: its status and the
    modules of ``HEAVY`` it imported."""
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        from folio.cli import main
        status = main({args!r})
        heavy = [name for name in {HEAVY!r} if name in sys.modules]
        print(json.dumps([status, heavy]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=cwd, timeout=300)
    status, heavy = json.loads(done.stdout.splitlines()[-1])
    return status, heavy


def test_a_rebuild_with_nothing_changed_imports_no_builder(tmp_path):
    book = tmp_path / "book.md"
    book.write_text("---\ntitle: A small book\nlang: en\n---\n\n# One\n\nSome text.\n",
                    encoding="utf-8")
    command = [str(book), "-o", str(tmp_path / "out"), "--format", "html,epub", "-q"]
    status, heavy = _imported_by(command, tmp_path)
    assert status == 0 and "folio.pipeline" in heavy  # built: the pipeline was needed
    status, heavy = _imported_by(command, tmp_path)
    assert status == 0 and heavy == []
    assert (tmp_path / "out" / "book" / "index.html").is_file()
    # The book changed: it is built again, with the pipeline.
    book.write_text(book.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    status, heavy = _imported_by(command, tmp_path)
    assert status == 0 and "folio.pipeline" in heavy and "jinja2" in heavy


def test_the_help_imports_no_builder(tmp_path):
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(ROOT)!r})
        import folio.cli
        print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert json.loads(done.stdout) == []


def test_the_build_process_merges_parts_without_pikepdf(tmp_path):
    """The parts of a PDF are merged in a child of their own (``Workers.finish``), made
    ready to merge in the layout's: the build's process hands them the merge and never
    imports pikepdf (0.04 s before an edit's part could be handed out)."""
    book = tmp_path / "book.md"
    chapters = "\n\n".join(f"# Chapter {n}\n\n" + "Some words of a chapter. " * 40
                           for n in range(1, 4))
    book.write_text(f"---\ntitle: A book in parts\nlang: en\n---\n\n{chapters}\n",
                    encoding="utf-8")
    script = textwrap.dedent(f"""
        import json, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        os.environ["FOLIO_LAYOUT_WORKERS"] = "2"
        from folio.formats.pdf import parts
        parts.PARALLEL_CHARACTERS = 0  # this short book in parts, as a long one is
        from folio.cli import main
        status = main([{str(book)!r}, "-o", {str(tmp_path / "out")!r}, "--format", "pdf",
                       "-q"])
        print(json.dumps([status, "pikepdf" in sys.modules]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    status, imported = json.loads(done.stdout.splitlines()[-1])
    assert status == 0 and not imported
    pdf = tmp_path / "out" / "book" / "book.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert all(f"Chapter {n}" in text for n in range(1, 4))
    # Laid out in parts, and merged: each part's PDF is kept for the next build.
    kept = list((tmp_path / "out" / ".folio-cache" / "pdf" / "book").glob("*.pdf"))
    assert len(kept) >= 2
