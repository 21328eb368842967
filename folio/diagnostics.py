"""Diagnostics: file:line messages for authors, and the errors that stop a build.

Levels:
- ``warning``: the book is built, but the author should look at the spot named.
- ``error``: the book (or one of its formats) cannot be built.

Nothing here prints: the command line decides where messages go.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable
from pathlib import Path

#: What cannot stand in one line of a terminal as it is: control characters, line
#: and paragraph separators, and the bytes of a file name that are not UTF-8 (Python
#: keeps them as lone surrogates).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

#: ``progress(book, stage, seconds)``: a stage starts (seconds None) or ends.
Progress = Callable[[str, str, "float | None"], None]


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: str) -> str:
    """``text`` with control characters, line separators and undecodable bytes written
    as escapes (``\\n``, ``\\x1b``, ``\\xff``): a file name is data, and a finding is
    always one line, whatever the name holds."""
    return _UNPRINTABLE.sub(lambda match: _escaped(match.group()), text)


@dataclasses.dataclass(frozen=True, order=True)
class Diagnostic:
    """One message about one place in a manuscript."""

    #: The file the message is about, as the user named it.
    path: str
    #: 1-based line in that file as the author sees it (front matter included), or 0.
    line: int
    #: 1-based column, or 0 when only the line is known.
    col: int
    #: ``"warning"`` or ``"error"``.
    severity: str
    #: The message, one line, no trailing full stop needed.
    message: str
    #: A stable identifier such as ``placeholder-link``, shown in brackets.
    code: str = ""

    def format(self) -> str:
        """Return the GNU form ``path:line:col: severity: message [code]``, on one line
        (see ``printable``)."""
        where = printable(self.path)
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        text = f"{where}: {self.severity}: {printable(self.message)}"
        if self.code:
            text += f" [{self.code}]"
        return text


#: The code of a ``BuildError`` that says a format needs a library the system lacks:
#: that format is left out, the others are written.
MISSING_LIBRARY = "missing-library"


class BuildError(Exception):
    """A problem that stops the build of one book; carries a diagnostic."""

    def __init__(self, path: str | Path, message: str, line: int = 0, col: int = 0,
                 code: str = "") -> None:
        super().__init__(message)
        self.diagnostic = Diagnostic(str(path), line, col, "error", message, code)

    @classmethod
    def of(cls, diagnostic: Diagnostic) -> BuildError:
        """The error that ``diagnostic`` describes (one raised in a child process)."""
        error = cls(diagnostic.path, diagnostic.message)
        error.diagnostic = diagnostic
        return error


class Reporter:
    """Collects diagnostics for one run; thread-safe, never prints."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        self._seen: set[Diagnostic] = set()
        self._lock = threading.Lock()
        #: Called with each new diagnostic as it arrives (the CLI prints there).
        self.listeners: list = []

    def add(self, diagnostic: Diagnostic) -> None:
        with self._lock:
            if diagnostic in self._seen:
                return
            self._seen.add(diagnostic)
            self._items.append(diagnostic)
        for listener in self.listeners:
            listener(diagnostic)

    def warn(self, path: str | Path, line: int, message: str, code: str = "",
             col: int = 0) -> None:
        self.add(Diagnostic(str(path), line, col, "warning", message, code))

    def error(self, path: str | Path, line: int, message: str, code: str = "",
              col: int = 0) -> None:
        self.add(Diagnostic(str(path), line, col, "error", message, code))

    @property
    def items(self) -> list[Diagnostic]:
        with self._lock:
            return list(self._items)

    def count(self, severity: str) -> int:
        return sum(1 for d in self.items if d.severity == severity)
