"""What the command line shows while it works.

- Diagnostics: one line each on standard error, always in the GNU form
  ``path:line:col: severity: message [code]``; on a terminal the severity is
  coloured (unless ``NO_COLOR`` is set), the text stays the same.
- Progress: on a terminal (standard error), a live table with one row per book
  and a column per stage, each with its time; elsewhere (CI, pipes) one line per
  written file on standard output. ``--quiet`` shows diagnostics only.
"""

from __future__ import annotations

import os
import sys
import time

from .diagnostics import printable

_SEVERITY_STYLE = {"warning": "yellow", "error": "bold red"}


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Display:
    """Prints diagnostics and progress for one command-line run."""

    def __init__(self, stdout=None, stderr=None, quiet: bool = False,
                 formats: tuple[str, ...] = ()) -> None:
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.quiet = quiet
        #: The table's columns: reading, then the formats in the order given.
        self.stages = ["read", *formats]
        self.started = time.perf_counter()
        #: book -> stage -> seconds (None while running).
        self.rows: dict[str, dict[str, float | None]] = {}
        self.cached: set[str] = set()
        self.console = None
        self.live = None
        #: True once the live table was shown (it names every book's times).
        self.showed_table = False
        if _is_terminal(self.stderr) and not os.environ.get("TERM") == "dumb":
            from rich.console import Console
            self.console = Console(file=self.stderr, highlight=False, soft_wrap=True)

    # --- diagnostics ---------------------------------------------------------------

    def diagnostic(self, diagnostic) -> None:
        line = diagnostic.format()
        if self.console is None:
            print(line, file=self.stderr, flush=True)
            return
        from rich.text import Text
        text = Text(line)
        marker = f": {diagnostic.severity}:"
        at = line.find(marker)
        if at >= 0:
            text.stylize(_SEVERITY_STYLE.get(diagnostic.severity, ""), at + 2,
                         at + len(marker) - 1)
        self.console.print(text, soft_wrap=True, overflow="ignore", crop=False)

    def message(self, text: str) -> None:
        """A line for the user on standard error (not a diagnostic)."""
        if self.console is not None:
            self.console.print(text, soft_wrap=True, markup=False)
        else:
            print(text, file=self.stderr, flush=True)

    # --- progress --------------------------------------------------------------------

    def start(self, books: list[str]) -> None:
        books = [printable(book) for book in books]
        for book in books:
            self.rows.setdefault(book, {})
        if self.console is not None and not self.quiet:
            from rich.live import Live
            self.live = Live(self._table(), console=self.console, refresh_per_second=8,
                             transient=False, redirect_stdout=False, redirect_stderr=False)
            self.live.start()
            self.showed_table = True

    def progress(self, book: str, stage: str, seconds: float | None) -> None:
        book = printable(book)
        row = self.rows.setdefault(book, {})
        if stage == "cached":
            self.cached.add(book)
        else:
            row[stage] = seconds
        if self.live is not None:
            self.live.update(self._table())

    def finished(self, book: str, result) -> None:
        """A book is done: without the live table, name its files on standard output."""
        if self.quiet or result is None or self.showed_table:
            return
        for name, path in result.outputs.items():
            # A file written beside another (the print edition's cover): its builder's time.
            seconds = result.timings.get(name, result.timings.get(name.split("-")[0], 0.0))
            note = "unchanged" if result.cached else f"{seconds:.1f} s"
            print(f"{path}  ({note})", file=self.stdout, flush=True)

    def stop(self, failed: int = 0) -> None:
        if self.live is not None:
            self.live.update(self._table(final=True))
            self.live.stop()
            self.live = None
            built = len(self.rows) - len(self.cached) - failed
            self.message(f"{len(self.rows)} book(s) in {time.perf_counter() - self.started:.1f} s:"
                         f" {built} built, {len(self.cached)} unchanged, {failed} failed")

    def _table(self, final: bool = False):
        from rich.spinner import Spinner
        from rich.table import Table
        table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
        table.add_column("book", overflow="fold")
        for stage in self.stages:
            table.add_column(stage, justify="right", min_width=7)
        for book, row in self.rows.items():
            if book in self.cached:
                table.add_row(book, *["[dim]unchanged[/]" if s == "read" else "" for s in
                                      self.stages])
                continue
            cells = []
            for stage in self.stages:
                if stage not in row:
                    cells.append("" if final else "[dim]·[/]")
                elif row[stage] is None:
                    cells.append("[red]✗[/]" if final else Spinner("dots", style="cyan"))
                else:
                    cells.append(f"[green]{row[stage]:.1f} s[/]")
            table.add_row(book, *cells)
        return table
