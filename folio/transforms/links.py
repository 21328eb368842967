"""Links and images: decide what every link is, and find every image inside the book.

Each ``Link`` gets one class that the format builders act on:
- ``folio-ext``: an external link whose target readers of print and e-books
  see as a note;
- ``folio-url``: an external link whose text is its URL (no note needed);
- ``folio-xref``: a cross-reference to an anchor in the book.
Placeholder (``#``, empty), unsafe (``javascript:``, ``file:``, …) and unresolvable
targets become plain text with a warning. Images are resolved inside the book
folder; anything else is dropped with a warning and its alt text stays.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

from ..ast import Span, position, stringify, walk
from ..diagnostics import Reporter
from ..document import Document, Image
from ..safety import svg_problem

#: Schemes that become live links.
EXTERNAL_SCHEMES = {"http", "https", "mailto", "ftp", "ftps", "tel"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
#: Largest image we copy into a book, in bytes.
MAX_IMAGE_BYTES = 30 * 1024 * 1024


def link_scheme(url: str) -> str | None:
    """The lower-case scheme of ``url`` as a browser would read it, or None."""
    match = _SCHEME.match(_INVISIBLE.sub("", url))
    return match.group(1).lower() if match else None


def same_as_url(text: str, url: str) -> bool:
    """True when a link's text is its target (so no note is needed)."""
    def norm(value: str) -> str:
        value = value.strip().lower()
        value = re.sub(r"^(mailto:|tel:)", "", value)
        value = re.sub(r"^[a-z]+://", "", value)
        value = re.sub(r"^www\.", "", value)
        return value.rstrip("/")
    return bool(text) and norm(text) == norm(url)


def resolve_links(document: Document, file_anchors: dict, reporter: Reporter) -> None:
    """Classify links and resolve images in every chapter, in place.

    ``file_anchors`` maps a manuscript file name to its ``FileAnchors`` (from
    ``structure.build_chapters``).
    """
    from .rawhtml import RawHtmlLinks

    raw = RawHtmlLinks(document, file_anchors, reporter)
    for chapter in document.chapters:
        def act(node: dict, display=chapter.source):
            if node["t"] == "Link":
                return _link(node, display, document, file_anchors, reporter)
            if node["t"] == "Image":
                return _image(node, display, document, reporter)
            if node["t"] in ("RawInline", "RawBlock"):
                return raw.resolve(node, display)
            return None

        chapter.blocks = walk(chapter.blocks, act)
    from ..cover import check_cover

    check_cover(document, reporter)


# --- anchors as authors write them (issue 4) -----------------------------------------
# Manuscripts written for GitHub or converted from other tools link to headings by
# anchors made differently from ours: `#Usage`, `#whats-new-in-v2.0` (pandoc keeps
# the dot, GitHub drops it), `#from-source-c-rust` (one hyphen where GitHub has two),
# `#user-content-faq`, and `other.md#options` for the "Options" of *that* file
# although the book renamed it `options-2`. ``find_anchor`` tries, in order: the
# file's own ids, the book's ids, both in lower case, then a loose comparison
# (letters and digits only) that must be unambiguous.

def _loose(anchor: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", anchor).casefold())


def file_name_of(document: Document, display: str) -> str:
    """The file name (as links write it) of the manuscript file shown as ``display``."""
    for file in document.source.files:
        if file.display == display:
            return Path(file.path).name
    return ""


def find_anchor(anchor: str, file_name: str, document: Document,
                file_anchors: dict) -> str | None:
    """The book's id that ``#anchor`` written in (or to) ``file_name`` means, or None."""
    own = file_anchors[file_name].ids if file_name in file_anchors else {}
    anchor = anchor.strip()
    if anchor.startswith("user-content-"):
        anchor = anchor[len("user-content-"):]
    for candidate in (anchor, anchor.lower()):
        if own.get(candidate) in document.anchors:
            return own[candidate]
        if candidate in document.anchors:
            return candidate
    key = _loose(anchor)
    if not key:
        return None
    for table in (own, {ident: ident for ident in document.anchors}):
        matches = {final for written, final in table.items()
                   if final in document.anchors and key in (_loose(written), _loose(final))}
        if len(matches) == 1:
            return matches.pop()
        if matches:
            return None
    return None


def _add_class(attr: list, name: str) -> None:
    if name not in attr[1]:
        attr[1].append(name)


def _plain(node: dict, kind: str) -> dict:
    return Span(node["c"][1], [kind])


def _link(node: dict, display: str, document: Document, file_anchors: dict,
          reporter: Reporter):
    attr, content, (url, _title) = node["c"]
    text = stringify(content)
    line, col = position(node)
    url = url.strip()
    shown = text or url
    if url in ("", "#"):
        reporter.warn(display, line, f"link '{shown}' has a placeholder target "
                      f"'{url or '(empty)'}'; it is printed as plain text",
                      "placeholder-link", col)
        return _plain(node, "placeholder-link")
    scheme = link_scheme(url)
    if scheme in EXTERNAL_SCHEMES:
        _add_class(attr, "folio-url" if same_as_url(text, url) else "folio-ext")
        return None
    if scheme is not None:
        reporter.warn(display, line, f"link '{shown}' uses the scheme '{scheme}:', which "
                      "is never made a live link; it is printed as plain text",
                      "unsafe-link", col)
        return _plain(node, "unsafe-link")
    if url.startswith("#"):
        anchor = unquote(url[1:])
        found = find_anchor(anchor, file_name_of(document, display), document, file_anchors)
        if found is not None:
            node["c"][2][0] = "#" + found
            _add_class(attr, "folio-xref")
            return None
        reporter.warn(display, line, f"link '{shown}' points to '#{anchor}', which no "
                      "heading or anchor in the book has; it is printed as plain text",
                      "missing-anchor", col)
        return _plain(node, "missing-anchor")
    path, _, fragment = url.partition("#")
    name = Path(unquote(path).replace("\\", "/")).name
    if name in file_anchors and not url.startswith("//"):
        found = (find_anchor(unquote(fragment), name, document, file_anchors) if fragment
                 else file_anchors[name].first)
        if found is not None:
            node["c"][2][0] = "#" + found
            _add_class(attr, "folio-xref")
            return None
        reporter.warn(display, line, f"link '{shown}' points to '{url}', but '{name}' has "
                      f"no heading or anchor '#{unquote(fragment)}'; it is printed as plain "
                      "text", "missing-anchor", col)
        return _plain(node, "missing-anchor")
    reporter.warn(display, line, f"link '{shown}' points to '{url}', which is not part of "
                  "the book; it is printed as plain text", "relative-link", col)
    return _plain(node, "relative-link")


_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
]


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """Return (media type, suffix) from an image's first bytes, or None."""
    for magic, media_type, suffix in _MAGIC:
        if data.startswith(magic):
            return media_type, suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml", ".svg"
    return None


def resolve_inside(root: Path, base: Path, target: str) -> Path | None:
    """Resolve ``target`` (relative to ``base``) and return it only if it stays in ``root``.

    Percent-encoding and backslashes are decoded first and symlinks followed,
    so ``..%2F..%2Fetc/passwd`` and links that point out of the folder are caught.
    """
    decoded = unquote(target).replace("\\", "/")
    if not decoded or decoded.startswith("/") or re.match(r"^[A-Za-z]:", decoded):
        return None
    try:
        resolved = (base / decoded).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        return None
    return resolved


def _image(node: dict, display: str, document: Document, reporter: Reporter):
    attr, alt, (src, title) = node["c"]
    line, col = position(node)
    fallback = Span(alt, ["image-dropped"]) if alt else Span([], ["image-dropped"])
    name = image_file(src, display, document, reporter, line, col)
    if name is None:
        return fallback
    node["c"][2] = ["images/" + name, title]
    if not alt and not any(key == "alt" for key, _ in attr[2]):
        attr[2].append(["alt", ""])  # decorative: HTML needs alt="" rather than none
    return None


def image_file(src: str, display: str, document: Document, reporter: Reporter,
               line: int, col: int) -> str | None:
    """Resolve an image path of the manuscript inside the book folder; return its
    name in the outputs (``document.images`` gets it), or None with a warning."""
    if src.startswith("images/") and src[len("images/"):] in document.images:
        return src[len("images/"):]  # resolved already (the pass is idempotent)
    scheme = link_scheme(src)
    if scheme is not None:
        what = "remote image" if scheme in ("http", "https", "ftp") else f"'{scheme}:' image"
        reporter.warn(display, line, f"{what} '{src[:80]}' is not fetched; its alt text is "
                      "printed instead", "remote-image", col)
        return None
    base = Path(_source_path(document, display)).parent
    path = resolve_inside(document.root, base, src)
    if path is None:
        reporter.warn(display, line, f"image '{src[:80]}' lies outside the book folder and is "
                      "left out; its alt text is printed instead", "image-outside", col)
        return None
    if not path.is_file():
        reporter.warn(display, line, f"image '{src[:80]}' does not exist; its alt text is "
                      "printed instead", "missing-image", col)
        return None
    try:
        if path.stat().st_size > MAX_IMAGE_BYTES:
            raise OSError("too large")
        data = path.read_bytes()
    except OSError:
        reporter.warn(display, line, f"image '{src[:80]}' cannot be read or is too large; "
                      "its alt text is printed instead", "missing-image", col)
        return None
    sniffed = sniff_image(data)
    if sniffed is None:
        reporter.warn(display, line, f"'{src[:80]}' is not a PNG, JPEG, GIF, WebP or SVG "
                      "image; its alt text is printed instead", "bad-image", col)
        return None
    media_type, suffix = sniffed
    problem = svg_problem(data) if media_type == "image/svg+xml" else None
    if problem:
        reporter.warn(display, line, f"SVG image '{src[:80]}' is left out: {problem}; its "
                      "alt text is printed instead", "unsafe-image", col)
        return None
    name = "img-" + hashlib.sha256(data).hexdigest()[:16] + suffix
    document.images[name] = Image(path, media_type, name)
    return name


def _source_path(document: Document, display: str) -> Path:
    for file in document.source.files:
        if file.display == display:
            return file.path
    return document.root / "book.md"
