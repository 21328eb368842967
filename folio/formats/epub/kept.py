"""What the EPUB keeps between builds, in its cache folder (``Output.cache``): each
chapter's parsed and cleaned tree, and the typographic cover.

Parsing a chapter as a browser would (tinyhtml5, pure Python) is most of the
EPUB's own work: 0.35 s of the 150-page bench book's 15 chapters, on the way of
every edit. A chapter's tree depends only on its fragment and the names of the
book's images (``markup.clean_tree``), so it is kept under the SHA-256 of those:
an edit parses the edited chapter again, the others come back in about 1 ms each.
The cover PNG (0.15 s to draw and compress) is kept under the hash of the words on
it.

Entries are ``readcache.pack``-ed plain data under a key of folio's code,
pandoc's and the libraries' versions (``readcache.tools``, tinyhtml5 and Pillow
included): a tree as nested tuples ``(tag, attributes, text, tail, children)``,
loaded with an unpickler that refuses every class. A damaged or foreign entry
is a miss, never an error. After a build the entries it did not use are
removed; under ``--force`` nothing is taken from them (what is made is kept).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

from ...outputs import write_bytes
from ...readcache import library_version, pack, tools, unpack

#: The libraries an entry depends on besides folio and pandoc.
KEPT_LIBRARIES = ("tinyhtml5", "Pillow")
_SUFFIX = ".kept"


class Kept:
    """The EPUB's kept entries in ``folder`` (None: nothing kept, all made)."""

    def __init__(self, folder: Path | None, reuse: bool = True) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.reuse = reuse
        self.key = hashlib.sha256("\0".join([tools(), "epub-kept",
                                             *map(library_version, KEPT_LIBRARIES)])
                                  .encode()).hexdigest()
        self.used: set[str] = set()

    def tree(self, fragment: str, images: set[str],
             make: Callable[[], ET.Element]) -> ET.Element:
        """The tree ``make()`` gives for ``fragment`` in a book with ``images``."""
        digest = hashlib.sha256(fragment.encode("utf-8", "surrogatepass"))
        digest.update("\0".join(["", *sorted(images)]).encode("utf-8", "surrogatepass"))
        name = f"tree-{digest.hexdigest()}"
        found = self._load(name)
        if found is not None:
            try:
                return element_of(found)
            except (TypeError, ValueError, RecursionError):
                pass  # not a tree: made again
        tree = make()
        try:
            self._keep(name, plain_of(tree))
        except RecursionError:
            pass  # nested deeper than pickle goes: made again next time
        return tree

    def cover(self, words: tuple, make: Callable[[], bytes]) -> bytes:
        """The cover ``make()`` draws from ``words`` (title, subtitle, authors …)."""
        name = "cover-" + hashlib.sha256(repr(words).encode("utf-8", "surrogatepass")
                                         ).hexdigest()
        found = self._load(name)
        if isinstance(found, bytes):
            return found
        data = make()
        self._keep(name, data)
        return data

    def _load(self, name: str):
        if self.folder is None:
            return None
        self.used.add(name)
        if not self.reuse:
            return None
        try:
            raw = (self.folder / (name + _SUFFIX)).read_bytes()
        except OSError:
            return None
        return unpack(raw, self.key, 64 * len(raw) + (1 << 20))

    def _keep(self, name: str, data) -> None:
        if self.folder is None:
            return
        self.used.add(name)
        os.makedirs(self.folder, exist_ok=True)
        write_bytes(self.folder / (name + _SUFFIX), pack(self.key, data))

    def forget_unused(self) -> None:
        """Remove the entries this build did not use."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.suffix == _SUFFIX and path.stem not in self.used:
                path.unlink(missing_ok=True)


def plain_of(element: ET.Element) -> tuple:
    """``element`` and everything in it as nested tuples of strings."""
    return (element.tag, tuple(element.attrib.items()), element.text, element.tail,
            tuple(plain_of(child) for child in element))


def element_of(plain) -> ET.Element:
    """The element ``plain_of`` gave ``plain``; TypeError or ValueError if it is
    not one."""
    tag, attributes, text, tail, children = plain
    strings = [tag, *(value for pair in attributes for value in pair)]
    if not all(isinstance(value, str) for value in strings) \
            or not all(value is None or isinstance(value, str) for value in (text, tail)):
        raise TypeError("not a kept tree")
    element = ET.Element(tag, dict(attributes))
    element.text, element.tail = text, tail
    element.extend([element_of(child) for child in children])
    return element
