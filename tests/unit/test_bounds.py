"""Every stage bounded and linear in its input (issue 12): pathological inputs that
once took minutes or never ended. Each runs in a child process with a generous
time-out, so that a regression fails instead of hanging the suite; the assertions
are on what comes out, never on how long it took (bench/bench.py measures that)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str, timeout: float = 120) -> str:
    """``code`` run by a fresh Python in the repository; its standard output."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO,
                            capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_code_spans_on_one_line_are_masked_in_linear_time():
    """40,000 code spans on one line (160 kB): the footnote scan masks them all.
    Before: 10,000 took 83 s, 40,000 did not finish in 300 s."""
    out = run_python("""
        from folio.book import SourceFile
        from folio.checks import FileCheck, mask_code
        from folio.parse import parse_markdown
        from pathlib import Path
        body = " ".join("`[^x]`" for _ in range(40000)) + "\\n\\nA\\tB `[^y]` [^z]\\n"
        source = SourceFile("book.md", Path("book.md"), body)
        lines = mask_code(FileCheck(source, parse_markdown(source)["blocks"]))
        print(repr(lines[0].strip()), repr(lines[2]))
    """)
    assert out.strip() == "'' 'A\\tB        [^z]'"


def test_the_typographic_cover_draws_only_what_it_can_show():
    """A 100 kB title, a 100 kB word and 100,000 authors give a cover like any other.
    Before: 185 s for the title, the authors killed at 420 s."""
    out = run_python("""
        import io
        from PIL import Image
        from folio.formats.epub.cover import _fit, typographic_cover
        title = " ".join(f"Word{n}" for n in range(15000))
        authors = [f"Author {n}" for n in range(100000)]
        for args in ((title, "", authors), ("x" * 100000, "y" * 100000, ["z" * 100000])):
            image = Image.open(io.BytesIO(typographic_cover(*args)))
            print(image.size, end=" ")
        font, lines = _fit(title, "NotoSerif-Bold.ttf", 150, 60, 1300, 6)
        print(len(lines), lines[-1].endswith("\\u2026"), lines[0].startswith("Word0 Word1"))
        font, lines = _fit("A Short Title", "NotoSerif-Bold.ttf", 150, 60, 1300, 6)
        print(lines, font.size)
    """)
    assert out.split() == ["(1600,", "2400)", "(1600,", "2400)", "6", "True", "True",
                           "['A", "Short", "Title']", "150"]


def test_spans_that_end_at_a_line_end_and_spans_within_a_line_are_masked_together():
    from pathlib import Path as P

    from folio.book import SourceFile
    from folio.checks import FileCheck, mask_code
    from folio.parse import parse_markdown

    body = ("Text <span\ntitle=x>`[^a]` and [^b]</span> `[^c]` [^d]\n\n"
            "<script>[^e]</script>\n<style>[^f]</style>\n")
    source = SourceFile("book.md", P("book.md"), body)
    lines = mask_code(FileCheck(source, parse_markdown(source)["blocks"]))
    assert "[^a]" not in lines[1] and "[^c]" not in lines[1] and "[^d]" in lines[1]
    assert lines[3:5] == [" " * 21, " " * 19], "raw blocks that meet on a line"


def test_a_word_that_runs_through_thousands_of_elements_gets_places_to_break():
    """``<b><i>x</b></i>`` × 30,000 is one "word" of 30,000 letters spread over as many
    inline elements: WeasyPrint searched it for a break again and again (10,000 did
    not lay out in 300 s; now 34 s). The print pass puts a <wbr> into such runs."""
    from folio.formats.pdf.layout import LONG_WORD, geometry_for, fit_for_print

    raw = lambda html: {"t": "RawInline", "c": ["html", html]}  # noqa: E731
    para = [node for _ in range(3000)
            for node in (raw("<b>"), raw("<i>"), {"t": "Str", "c": "x"}, raw("</b>"),
                         raw("</i>"))]
    plain = [{"t": "Str", "c": "word"}, {"t": "Space"}] * 400
    fitted = fit_for_print([{"t": "Para", "c": para}, {"t": "Para", "c": plain}],
                           geometry_for(None, "A5"))
    run, longest = 0, 0
    for node in fitted[0]["c"]:
        if node["t"] == "RawInline" and node["c"][1] == "<wbr>":
            run = 0
        elif node["t"] == "Str":
            run += len(node["c"])
            longest = max(longest, run)
    assert longest <= LONG_WORD + 1, longest
    assert sum(node["c"] == "x" for node in fitted[0]["c"] if node["t"] == "Str") == 3000
    assert fitted[1]["c"] == plain, "text with spaces is left as it is"
