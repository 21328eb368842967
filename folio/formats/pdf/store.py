"""The laid-out parts of a book, kept between builds (``formats.pdf.parts``).

Each part's PDF is stored under the hash of what its layout depends on: its print
HTML (the page numbers of its plan included), the files it loads, and the layout
engine (this package's code and WeasyPrint's version). Beside it, as JSON, what the
layout told (``engine.LaidOut``), and its objects serialised for the merge
(``writer.Templates``, ``.templates``). ``numbers.json`` holds the page counts and anchor
pages of the last build, the first estimate of the next one. Without a cache
folder (a build without a cache) the parts live in a temporary folder.

A part's JSON is written after its PDF is complete; a PDF without one (a killed
build) is laid out again. After a build, entries it did not use are removed. With
``--force`` no part is reused, but the last build's numbers are still the first
estimate: they only save rounds, the rounds check them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

from ..pagemap import PageMap, PageStart
from .engine import LaidOut
from .note_rule import Misplaced
from .parts import Numbers, Part
from .weasyprint_fixes import AS_RELEASED

_PACKAGE = Path(__file__).resolve().parent


def _engine_signature() -> str:
    """What a part's layout depends on besides its HTML and files."""
    digest = hashlib.sha256(metadata.version("weasyprint").encode() + b"\0"
                            + os.environ.get(AS_RELEASED, "").encode())
    for path in sorted([*_PACKAGE.rglob("*.py"), _PACKAGE.parent / "pagemap.py"]):
        digest.update(str(path.relative_to(_PACKAGE.parent)).encode() + b"\0"
                      + path.read_bytes())
    return digest.hexdigest()


class PartStore:
    """Laid-out parts by key, in ``folder`` (or a temporary folder)."""

    def __init__(self, folder: Path | None, reuse: bool = True) -> None:
        #: False (``--force``): no part is taken from an earlier build; its numbers
        #: still serve as the first estimate (the rounds check them).
        self.reuse = reuse
        self._temporary = None
        if folder is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="folio-parts-")
            folder = Path(self._temporary.name)
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.engine = _engine_signature()
        #: The digest of the files the parts load (fonts, images: megabytes), made
        #: once for the build's ``files`` (the same for every part).
        self._files: tuple[dict, bytes] | None = None

    def __enter__(self) -> PartStore:
        return self

    def __exit__(self, *exc) -> None:
        if self._temporary is not None:
            self._temporary.cleanup()

    def key(self, html: str, files: dict) -> str:
        digest = hashlib.sha256(self.engine.encode() + b"\0" + html.encode("utf-8"))
        digest.update(self._files_digest(files))
        return digest.hexdigest()

    def _files_digest(self, files: dict) -> bytes:
        if self._files is None or self._files[0] is not files:
            digest = hashlib.sha256()
            for url, (source, media_type) in sorted(files.items(), key=lambda item: item[0]):
                digest.update(f"\0{url}\0{media_type}\0".encode())
                digest.update(hashlib.sha256(source).digest() if isinstance(source, bytes)
                              else f"{source.stat().st_size}:{source.stat().st_mtime_ns}"
                              .encode())
            self._files = (files, digest.digest())
        return self._files[1]

    def pdf(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    def has(self, key: str) -> bool:
        return self.reuse and self.pdf(key).is_file() and self._load(key) is not None

    def keep(self, key: str, laid_out: LaidOut) -> None:
        _write_json(self.folder / f"{key}.json", {
            "pages": laid_out.pages, "anchors": laid_out.anchors,
            "images": laid_out.images,
            "misplaced": [dataclasses.astuple(m) for m in laid_out.misplaced],
            "page_map": {"page_count": laid_out.page_map.page_count,
                         "pages": [vars(start) for start in laid_out.page_map.pages]}})

    def laid_out(self, key: str) -> LaidOut:
        laid_out = self._load(key)
        if laid_out is None:
            raise FileNotFoundError(f"no laid-out part {key}")
        return laid_out

    def _load(self, key: str) -> LaidOut | None:
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            page_map = PageMap([PageStart(**start) for start in data["page_map"]["pages"]],
                               int(data["page_map"]["page_count"]))
            return LaidOut(page_map, int(data["pages"]),
                           {str(k): int(v) for k, v in data["anchors"].items()},
                           images={str(k): float(v)
                                   for k, v in data.get("images", {}).items()},
                           misplaced=[Misplaced(int(page), str(problem), str(text), str(at))
                                      for page, problem, text, at in data["misplaced"]])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def last_numbers(self, parts: list[Part]) -> Numbers | None:
        """The page counts and anchors the last build found for parts made of the
        same chapters, or None when there was no earlier build."""
        try:
            data = json.loads((self.folder / "numbers.json").read_text(encoding="utf-8"))
            known = {tuple(entry["part"]): entry for entry in data}
        except (OSError, ValueError, KeyError, TypeError):
            return None
        numbers = Numbers()
        for part in parts:
            entry = known.get(_signature(part))
            if entry is not None:
                numbers.counts[part.index] = int(entry["pages"])
                numbers.anchors[part.index] = {str(k): int(v)
                                               for k, v in entry["anchors"].items()}
        return numbers if numbers.counts else None

    def remember(self, parts: list[Part], numbers: Numbers, keys: list[str]) -> None:
        """Keep this build's numbers and parts; remove what it did not use."""
        _write_json(self.folder / "numbers.json", [
            {"part": list(_signature(part)), "pages": numbers.counts[part.index],
             "anchors": numbers.anchors[part.index]} for part in parts])
        used = {name for key in keys
                for name in (f"{key}.pdf", f"{key}.json", f"{key}.templates")}
        for path in self.folder.iterdir():
            if path.suffix in (".pdf", ".json", ".templates", ".tmp", ".partial") \
                    and path.name not in used \
                    and path.name != "numbers.json":
                path.unlink(missing_ok=True)


def _signature(part: Part) -> tuple:
    return (part.front, part.first, part.last)


def _write_json(path: Path, data) -> None:
    """Write ``data`` as JSON in one step (a cache: not part of the build's outputs)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(data, stream)
    os.replace(temporary, path)
