"""Outputs: every file is written to a temporary file beside its target and
moved into place, so a failed or interrupted build leaves earlier outputs whole.

Inside ``all_or_nothing(folder)`` the moves wait until the whole block has
succeeded: a book whose PDF fails keeps its earlier EPUB and HTML too. The
temporary files written meanwhile are listed in a journal file, so that processes
forked inside the block (the PDF is laid out in one) take part.

The switch itself is one step where the system allows it: the book's new files are
put into a copy of its folder (the unchanged files linked, not copied), and the two
folders are exchanged with ``renameat2(RENAME_EXCHANGE)`` (Linux), so that a reader
-- or a build killed at that moment -- sees the old book or the new one, never an
EPUB of one build beside a PDF of another. Where the exchange is not available the
files move one at a time, as close together as they can.

``watch`` asks for one exception: the reading page goes into place as soon as it is
written (``commit_now``: its files, recorded by ``recorded``), before the PDF is
laid out; the others still go together at the block's end, or stay as they were.

Temporary files, staging folders and journals carry the pid of the build that made
them; ``remove_stale`` removes those of builds that no longer run (killed ones).
A failure to write says where and why in words (``output_error``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

from .diagnostics import BuildError

#: The journal of the ``all_or_nothing`` block in progress, or None.
_journal: Path | None = None
#: The folder that block switches whole, or None.
_switching: Path | None = None
#: The temporaries of the block in progress already moved into place (``commit_now``).
_committed: set[str] = set()
#: Per thread, the list ``recorded`` collects targets into, or None.
_recording = threading.local()
#: Prefix of a journal in the temporary folder; the pid of its build follows.
JOURNAL_PREFIX = "folio-journal-"
#: A temporary file, staging or old folder of a build: ``….<pid>-<random>.tmp|new``.
_OURS = re.compile(r"^\..*\.(\d+)-[^.]*\.(tmp|new)$")

#: What an error number means for a file being written, in words.
CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long for the file system",
    errno.EIO: "the disk reported an input/output error",
    errno.EFBIG: "the file is larger than the file system allows",
    errno.EMFILE: "too many files are open",
}


def output_error(error: OSError, target: Path | str) -> BuildError:
    """A ``BuildError`` naming ``target`` and, in words, why it cannot be written."""
    cause = CAUSES.get(error.errno, error.strerror or str(error))
    return BuildError(target, f"cannot write: {cause}; earlier outputs are kept",
                      code="output")


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise output_error(OSError(errno.ENOTDIR, "not a folder"), folder) from None
    except OSError as error:
        raise output_error(error, folder) from None


@contextlib.contextmanager
def atomic_path(target: Path):
    """Yield a temporary path; on success it replaces ``target`` in one step
    (inside ``all_or_nothing``: when that block succeeds)."""
    _make_folder(target.parent)
    # Beside the target; but beside the folder when that folder is switched whole, so
    # that another build switching it meanwhile does not take the file away with it.
    folder, name = target.parent, target.name
    if _switching is not None and target.is_relative_to(_switching):
        folder = _switching.parent
        name = "_".join(target.relative_to(_switching.parent).parts)
    # The name is chosen before the file is made, inside the block that removes it:
    # an interrupt (Ctrl-C, SIGTERM) right after the file appears must not leave it
    # behind, as one inside ``tempfile.mkstemp`` did.
    temporary = str(folder / f".{name}.{os.getpid()}-{secrets.token_hex(8)}.tmp")
    journal = _journal
    ours = True
    try:
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as error:
            ours = False  # not made (a name that exists is another's file)
            raise output_error(error, target) from None
        if journal is not None:  # listed at once: a child killed mid-write leaves no litter
            _note(journal, [temporary])
        yield Path(temporary)
        os.chmod(temporary, 0o644)
        if journal is not None:
            _note(journal, [temporary, str(target)])
        else:
            os.replace(temporary, target)
        targets = getattr(_recording, "targets", None)
        if targets is not None:
            targets.append(target)
    except BaseException as failure:
        if ours:
            with contextlib.suppress(OSError):  # gone, or the disk became read-only
                os.unlink(temporary)
        if isinstance(failure, OSError) and failure.errno in CAUSES:
            raise output_error(failure, target) from None
        raise


@contextlib.contextmanager
def all_or_nothing(folder: Path | None = None):
    """Files written with ``atomic_path`` in this block move into place only when
    it ends without an error; otherwise none does. Those inside ``folder`` (a book's
    output folder) are switched together (see the module's doc). Nested blocks join
    the outer one."""
    global _journal, _switching
    if _journal is not None:
        yield
        return
    try:
        handle, name = tempfile.mkstemp(prefix=f"{JOURNAL_PREFIX}{os.getpid()}-",
                                        suffix=".jsonl")
    except OSError as error:
        raise output_error(error, Path(tempfile.gettempdir()) / JOURNAL_PREFIX) from None
    os.close(handle)
    journal = _journal = Path(name)
    _switching = folder
    _committed.clear()
    try:
        try:
            yield
        finally:
            _journal = _switching = None
            entries = [entry for entry in _entries(journal) if entry[0] not in _committed]
            _committed.clear()
    except BaseException:
        for temporary, *_ in entries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    else:
        _commit(entries, folder)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(journal)


@contextlib.contextmanager
def recorded():
    """Yield a list that gets the target of every file written (``atomic_path``) in
    this thread during the block."""
    before = getattr(_recording, "targets", None)
    targets: list[Path] = []
    _recording.targets = targets
    try:
        yield targets
    finally:
        _recording.targets = before


def commit_now(targets: list[Path]) -> None:
    """Inside ``all_or_nothing``: move the finished files of ``targets`` into place
    now (with the book's folder switched as at the end), not when the block ends;
    outside it they are in place already."""
    if _journal is None or not targets:
        return
    wanted = {str(target) for target in targets}
    entries = [entry for entry in _entries(_journal)
               if len(entry) == 2 and entry[1] in wanted and entry[0] not in _committed]
    _commit(entries, _switching)
    _committed.update(entry[0] for entry in entries)


def _commit(entries: list[list[str]], folder: Path | None) -> None:
    """Move the finished temporaries of ``entries`` into place; remove the others."""
    finished = {entry[0] for entry in entries if len(entry) == 2}
    moves = [(Path(temporary), Path(target[0])) for temporary, *target in entries if target]
    for temporary, *target in entries:
        if not target and temporary not in finished:  # begun, never finished
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    inside = [(t, target) for t, target in moves
              if folder is not None and target.is_relative_to(folder)]
    try:
        if inside:
            _switch_folder(folder, inside)
        for temporary, target in moves:
            if (temporary, target) not in inside:
                with contextlib.suppress(FileNotFoundError):
                    os.replace(temporary, target)
    except BaseException as failure:
        for temporary, _ in moves:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        if isinstance(failure, OSError) and not isinstance(failure, BuildError):
            raise output_error(failure, folder or moves[0][1]) from None
        raise


def _switch_folder(folder: Path, moves: list[tuple[Path, Path]]) -> None:
    """Put ``moves`` (temporary -> target inside ``folder``) into place together: in a
    copy of ``folder`` exchanged with it in one step, or one after the other. Two
    builds of one book at once take turns (a lock on the folder that holds it), so
    each copy starts from a whole folder."""
    with _locked(folder.parent):
        _switch_locked(folder, moves)


@contextlib.contextmanager
def _locked(folder: Path):
    """An exclusive lock on ``folder`` (``flock``), for as long as the block lasts."""
    try:
        import fcntl
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _switch_locked(folder: Path, moves: list[tuple[Path, Path]]) -> None:
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.{os.getpid()}-", suffix=".new",
                                    dir=folder.parent))
    try:
        if folder.is_dir():
            _link_tree(folder, staging)
        for temporary, target in moves:
            place = staging / target.relative_to(folder)
            place.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, place)
        if not folder.exists():
            with contextlib.suppress(OSError):
                os.rename(staging, folder)  # a new book: one step, nothing to keep
                return
        if _exchange(staging, folder):
            return  # ``staging`` now holds the old book, removed below
        for path in sorted(staging.rglob("*")):  # no exchange here: file by file
            if path.is_file() and not path.is_symlink():
                target = folder / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_tree(source: Path, copy: Path) -> None:
    """``copy`` gets ``source``'s folders, and hard links to its files (not copies)."""
    for root, dirs, files in os.walk(source):
        here = Path(root)
        there = copy / here.relative_to(source)
        for name in dirs:
            (there / name).mkdir(exist_ok=True)
        for name in files:
            if _OURS.match(name):
                continue  # another build's temporary file
            path = here / name
            if path.is_symlink():
                os.symlink(os.readlink(path), there / name)
                continue
            try:
                os.link(path, there / name)
            except OSError:
                shutil.copy2(path, there / name)  # a file system without hard links


def _exchange(first: Path, second: Path) -> bool:
    """Exchange two folders in one step (Linux ``renameat2``); False where the system
    or the file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    at_cwd, rename_exchange = -100, 2
    if renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second),
                 rename_exchange) == 0:
        return True
    number = ctypes.get_errno()
    if number in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(number, os.strerror(number), str(second))


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
            entry = json.loads(line)
        except ValueError:  # a line cut short by a killed child
            continue
        if isinstance(entry, list) and entry and all(isinstance(p, str) for p in entry):
            entries.append(entry)
    return entries


def process_alive(pid: int) -> bool:
    """True if a process ``pid`` exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running(pid: int) -> bool:
    # Our own pid: left by a build before this one began (the pid came round again).
    return pid != os.getpid() and process_alive(pid)


def remove_stale(outdir: Path) -> None:
    """Remove what builds that no longer run left behind: their journals in the
    temporary folder (and the temporary files those list), and their temporary files
    and staging folders in ``outdir``. Call it before a build begins."""
    for journal in Path(tempfile.gettempdir()).glob(f"{JOURNAL_PREFIX}*.jsonl"):
        pid = journal.name[len(JOURNAL_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            for temporary, *_ in _entries(journal):
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            with contextlib.suppress(OSError):
                journal.unlink()
    if not outdir.is_dir():
        return
    for root, dirs, files in os.walk(outdir):
        for name in [*dirs, *files]:
            found = _OURS.match(name)
            if found and not _running(int(found.group(1))):
                path = Path(root) / name
                if name in dirs:
                    shutil.rmtree(path, ignore_errors=True)
                    dirs.remove(name)
                else:
                    with contextlib.suppress(OSError):
                        path.unlink()


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def write_text(target: Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))
