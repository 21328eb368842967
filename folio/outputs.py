"""Outputs: every file is written to a temporary file beside its target and
moved into place, so a failed or interrupted build leaves earlier outputs whole.

Inside ``all_or_nothing()`` the moves wait until the whole block has succeeded:
a book whose PDF fails keeps its earlier EPUB and HTML too. The temporary files
written meanwhile are listed in a journal file, so that processes forked inside
the block (the PDF is laid out in one) take part.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

#: The journal of the ``all_or_nothing`` block in progress, or None.
_journal: Path | None = None


@contextlib.contextmanager
def atomic_path(target: Path):
    """Yield a temporary path; on success it replaces ``target`` in one step
    (inside ``all_or_nothing``: when that block succeeds)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent)
    os.close(handle)
    journal = _journal
    try:
        if journal is not None:  # listed at once: a child killed mid-write leaves no litter
            _note(journal, [temporary])
        yield Path(temporary)
        os.chmod(temporary, 0o644)
        if journal is not None:
            _note(journal, [temporary, str(target)])
        else:
            os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


@contextlib.contextmanager
def all_or_nothing():
    """Files written with ``atomic_path`` in this block move into place only when
    it ends without an error; otherwise none does. Nested blocks join the outer one."""
    global _journal
    if _journal is not None:
        yield
        return
    handle, name = tempfile.mkstemp(prefix="folio-journal-", suffix=".jsonl")
    os.close(handle)
    journal = _journal = Path(name)
    try:
        try:
            yield
        finally:
            _journal = None
            entries = _entries(journal)
    except BaseException:
        for temporary, *_ in entries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    else:
        finished = {entry[0] for entry in entries if len(entry) == 2}
        for temporary, *target in entries:
            with contextlib.suppress(FileNotFoundError):
                if target:
                    os.replace(temporary, target[0])
                elif temporary not in finished:  # begun, never finished (and not raised)
                    os.unlink(temporary)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(journal)


def _note(journal: Path, entry: list[str]) -> None:
    with open(journal, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def _entries(journal: Path) -> list[list[str]]:
    """[temporary] for each file begun, [temporary, target] for each one finished."""
    try:
        lines = journal.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except ValueError:  # a line cut short by a killed child
            continue
    return entries


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))
