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
