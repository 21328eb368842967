"""Files read inside a folder, and only there: the mechanism under the policy of
``folio.safety`` ("a book reads nothing outside its folder").

A path is never handed to the operating system whole. ``open_inside`` opens it one
component at a time, each relative to the descriptor of the folder before it and
with ``O_NOFOLLOW``, so that no component is followed as a link behind our back:

- a symbolic link is read (``readlink``) and its target walked the same way, from
  the folder that holds it; an absolute target, or ``..`` above the root, is
  ``Outside``; so are more than ``MAX_LINKS`` links (a loop);
- ``..`` steps back along the descriptors already held, never through the file
  system, so a folder renamed or replaced meanwhile cannot take the walk elsewhere;
- the last component must be a regular file (``fstat`` of the descriptor that is
  read): a FIFO, a device or a socket is ``NotAFile`` -- opened without blocking,
  never read.

The file is then read through that same descriptor, once: a link swapped in after
the check cannot change what was read (``read_inside``). Callers keep the bytes
and write those, rather than reading the path again later.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from pathlib import Path, PurePosixPath

#: Symbolic links followed in one path before it counts as a loop (Linux: 40).
MAX_LINKS = 40
_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
          | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


class Outside(OSError):
    """The path leads out of the folder (an absolute link, ``..`` above it, a loop)."""


class NotAFile(OSError):
    """The path is something other than a regular file; ``kind`` says what."""

    def __init__(self, kind: str) -> None:
        super().__init__(errno.EINVAL, f"is {kind}, not a file")
        self.kind = kind


class TooLarge(OSError):
    """The file holds more bytes than the caller's limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"holds {size} bytes; the limit is {limit}")
        self.size = size
        self.limit = limit


@dataclasses.dataclass(frozen=True)
class Read:
    """A file read inside a folder."""

    data: bytes
    #: Where the file really is, relative to the folder (links followed).
    relative: PurePosixPath
    #: Its modification time (seconds since the epoch).
    mtime: float


def kind_of(mode: int) -> str:
    """What a file of ``mode`` is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def open_folder(folder: Path | str) -> int:
    """A descriptor of ``folder``; ``Outside`` if its last component is a link (the
    book folder itself may not lead elsewhere)."""
    try:
        return os.open(folder, _FOLDER | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        if error.errno == errno.ELOOP or (error.errno == errno.ENOTDIR
                                          and os.path.islink(folder)):
            raise Outside(errno.ELOOP, "is a symbolic link", str(folder)) from None
        raise


def open_inside(root: Path | str | int, relative: str | PurePosixPath,
                folder: bool = False) -> tuple[int, PurePosixPath]:
    """A descriptor of the regular file (or, with ``folder``, the folder) at
    ``relative`` inside ``root`` (a path or a folder descriptor), and where it really
    is, relative to ``root``. Raises ``Outside``, ``NotAFile``, or the ``OSError`` of
    a missing file. The caller closes the descriptor."""
    top = os.dup(root) if isinstance(root, int) else open_folder(root)
    stack = [top]      # descriptors of the folders walked through, root first
    names: list[str] = []  # their names below the root
    pending = [part for part in reversed(str(relative).split("/"))]
    links = 0
    try:
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if len(stack) == 1:
                    raise Outside(errno.EACCES, "leads out of the folder", str(relative))
                os.close(stack.pop())
                names.pop()
                continue
            try:
                fd = os.open(part, _FLAGS, dir_fd=stack[-1])
            except OSError as error:
                if error.errno not in (errno.ELOOP, errno.EMLINK):
                    raise
                links += 1
                try:
                    target = os.readlink(part, dir_fd=stack[-1])
                except OSError as error:
                    if error.errno != errno.EINVAL or links > MAX_LINKS:
                        raise
                    # No longer a link: swapped for a file since it was opened (the
                    # hostile race test met it in CI). Looked at again, as it is now.
                    pending.append(part)
                    continue
                if links > MAX_LINKS or target.startswith("/"):
                    raise Outside(errno.ELOOP, "is a link that leads out of the folder",
                                  str(relative)) from None
                pending.extend(reversed(target.split("/")))
                continue
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode) and (pending or folder):
                stack.append(fd)
                names.append(part)
                continue
            if pending or folder:
                os.close(fd)
                raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(relative))
            if not stat.S_ISREG(mode):
                os.close(fd)
                raise NotAFile(kind_of(mode))
            return fd, PurePosixPath(*names, part)
        if not folder:
            raise IsADirectoryError(errno.EISDIR, "is a folder", str(relative))
        return os.dup(stack[-1]), PurePosixPath(*names)
    finally:
        for fd in stack:
            os.close(fd)


def read_inside(root: Path | str | int, relative: str | PurePosixPath,
                limit: int | None = None) -> Read:
    """The bytes of the regular file at ``relative`` inside ``root``, read once through
    the descriptor that was checked (see ``open_inside``); ``TooLarge`` beyond
    ``limit`` bytes."""
    fd, real = open_inside(root, relative)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if limit is not None and info.st_size > limit:
            raise TooLarge(info.st_size, limit)
        data = handle.read() if limit is None else handle.read(limit + 1)
    if limit is not None and len(data) > limit:  # it grew while it was read
        raise TooLarge(len(data), limit)
    return Read(data, real, info.st_mtime)


def read_regular(path: Path | str, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes (links
    followed, nothing else checked), else None: never blocks on a FIFO, never reads a
    device. For files folio wrote itself, such as the outputs named by a cache entry."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None
