"""``cli.run``: the program ends with ``main``'s status as soon as it returns, after
what was registered to run at exit, with all of its output written (the
interpreter's teardown is skipped, not the rest of an exit)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from folio import cli

ROOT = Path(__file__).resolve().parents[2]


def test_the_exit_functions_run_before_the_process_ends_with_mains_status(monkeypatch):
    calls: list = []
    monkeypatch.setattr(cli, "main", lambda: calls.append("main") or 3)
    monkeypatch.setattr(cli.atexit, "_run_exitfuncs", lambda: calls.append("atexit"))

    def end(status: int) -> None:
        calls.append(status)
        raise SystemExit(status)

    monkeypatch.setattr(cli.os, "_exit", end)
    with pytest.raises(SystemExit):
        cli.run()
    assert calls == ["main", "atexit", 3]


def test_a_piped_output_is_written_whole_and_the_exit_functions_run(tmp_path):
    marker = tmp_path / "at-exit"
    script = textwrap.dedent(f"""
        import atexit, sys
        sys.path.insert(0, {str(ROOT)!r})
        from folio import cli
        atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
        def main():
            for line in range(20000):
                print(f"line {{line}}")
            print("to standard error", file=sys.stderr)
            return 5
        cli.main = main
        cli.run()
    """)
    # Buffered, as a pipe's output is unless PYTHONUNBUFFERED says otherwise.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 5
    assert done.stdout.splitlines()[-1] == "line 19999"
    assert len(done.stdout.splitlines()) == 20000
    assert "to standard error" in done.stderr
    assert marker.read_text() == "ran"


def test_an_exception_ends_the_program_the_usual_way(monkeypatch):
    def usage_error() -> int:
        raise SystemExit(2)

    monkeypatch.setattr(cli, "main", usage_error)
    monkeypatch.setattr(cli.os, "_exit", lambda status: pytest.fail("quick exit taken"))
    with pytest.raises(SystemExit) as ended:
        cli.run()
    assert ended.value.code == 2
