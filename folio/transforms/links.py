"""Links and images: decide what every link is, and find every image inside the book.

Each ``Link`` gets one class that the format builders act on:
- ``folio-ext``: an external link whose target readers of print and e-books
  see as a note;
- ``folio-url``: an external link whose text is its URL (no note needed);
- ``folio-xref``: a cross-reference to an anchor in the book.
Placeholder (``#``, empty), unsafe (``javascript:``, ``file:``, …) and unresolvable
targets become plain text with a warning. Images (and the ``cover:`` of the
metadata) are resolved inside the book folder; anything else is dropped with a
warning and its alt text stays. What is allowed is ``folio.safety``'s to say.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from ..ast import Span, position, stringify, visit
from ..diagnostics import Reporter
from ..document import Document, Image
from ..safety import (LINK_SCHEMES, MAX_IMAGE_BYTES, ImageFault, NotAFile, Outside,
                      TooLarge, inspect_image, read_in_book, sniff_image, svg_problem,
                      url_scheme)

#: A '%' not followed by two hexadecimal digits: no escape, an invalid URL.
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: The largest size an image may be given, in inches (a page is smaller), by unit.
MAX_IMAGE_INCHES = 40
_INCHES = {"in": 1, "cm": 1 / 2.54, "mm": 1 / 25.4, "pt": 1 / 72, "pc": 1 / 6, "px": 1 / 96,
           "em": 1 / 6, "rem": 1 / 6, "ex": 1 / 12, "ch": 1 / 12, "": 1 / 96}
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(%|in|cm|mm|pt|pc|px|em|rem|ex|ch|)\s*",
                   re.IGNORECASE)


def size_problem(value: str) -> str | None:
    """Why ``value`` cannot be an image's width or height on a page, or None."""
    found = _SIZE.fullmatch(value)
    if found is None:
        return "is not a length"
    number, unit = float(found.group(1)), found.group(2).lower()
    if unit == "%":
        return "is more than the page's width" if number > 100 else None
    if number * _INCHES[unit] > MAX_IMAGE_INCHES:
        return f"is larger than any page ({MAX_IMAGE_INCHES} in)"
    return None


def _image_sizes(attr: list, display: str, src: str, reporter: Reporter, line: int,
                 col: int) -> None:
    """Drop a width or height no page can hold (``{width=100000in}``), with a warning."""
    kept = []
    for key, value in attr[2]:
        problem = size_problem(value) if key in ("width", "height") else None
        if problem:
            reporter.warn(display, line, f"image '{src[:80]}': {key} '{value[:40]}' {problem}; "
                          "the image is set at its own size", "image-size", col)
        else:
            kept.append([key, value])
    attr[2] = kept


#: Media types a cover may have (GIF, WebP and SVG are not shown by every reader).
COVER_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


def same_as_url(text: str, url: str) -> bool:
    """True when a link's text is its target (so no note is needed)."""
    def norm(value: str) -> str:
        value = value.strip().lower()
        value = re.sub(r"^(mailto:|tel:)", "", value)
        value = re.sub(r"^[a-z]+://", "", value)
        value = re.sub(r"^www\.", "", value)
        return value.rstrip("/")
    return bool(text) and norm(text) == norm(url)


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


def resolve_link(node: dict, display: str, document: Document, file_anchors: dict,
                 reporter: Reporter):
    """Classify one ``Link`` (a walk action): None, or the plain text it becomes."""
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
    scheme = url_scheme(url)
    if scheme in LINK_SCHEMES:
        if BAD_ESCAPE.search(url):
            fixed = BAD_ESCAPE.sub("%25", url)
            reporter.warn(display, line, f"link '{shown}' has a '%' that starts no escape "
                          f"in '{url[:80]}'; it is written '{fixed[:80]}'", "bad-url", col)
            node["c"][2][0] = fixed
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


def resolve_image(node: dict, display: str, document: Document, reporter: Reporter):
    """Resolve one ``Image`` inside the book folder (a walk action): None, or its alt text."""
    attr, alt, (src, title) = node["c"]
    line, col = position(node)
    fallback = Span(alt, ["image-dropped"]) if alt else Span([], ["image-dropped"])
    name = image_file(src, display, document, reporter, line, col)
    if name is None:
        return fallback
    node["c"][2] = ["images/" + name, title]
    _image_sizes(attr, display, src, reporter, line, col)
    if not alt and not any(key == "alt" for key, _ in attr[2]):
        attr[2].append(["alt", ""])  # decorative: HTML needs alt="" rather than none
    return None


def figure_without_image(node: dict):
    """A figure whose image was left out (a walk action, after its image): the
    placeholder with the alt text once, not again as a caption that repeats it.
    A caption that says more than the alt text stays."""
    if node["t"] != "Figure":
        return None
    attr, caption, body = node["c"]
    dropped, images = [], []

    def collect(inline: dict) -> None:
        if inline["t"] == "Image":
            images.append(inline)
        elif inline["t"] == "Span" and "image-dropped" in inline["c"][0][1]:
            dropped.append(inline)

    visit(body, collect)
    if images or not dropped:
        return None
    label = _caption_label(caption[1])
    said = stringify(caption[1])[len(stringify(label)):].strip()
    if said and said != " ".join(stringify(span["c"][1]) for span in dropped):
        return None
    para = {"t": "Para", "c": label + dropped}  # "Figure 3: " stays with the alt text
    if attr[0]:  # a cross-reference may point at the figure
        return {"t": "Div", "c": [[attr[0], ["figure-dropped"], []], [para]]}
    return para


def _caption_label(blocks: list) -> list:
    """The numbered label a caption starts with ("Figure 3", ":" and a space, put
    there by ``transforms.crossrefs``), or []."""
    first = blocks[0]["c"] if blocks and blocks[0]["t"] in ("Plain", "Para") else []
    if first and first[0]["t"] == "Span" and "caption-label" in first[0]["c"][0][1]:
        return first[:3]
    return []


def image_file(src: str, display: str, document: Document, reporter: Reporter,
               line: int, col: int) -> str | None:
    """Resolve an image path of the manuscript inside the book folder; return its
    name in the outputs (``document.images`` gets it), or None with a warning."""
    if src.startswith("images/") and src[len("images/"):] in document.images:
        return src[len("images/"):]  # resolved already (the pass is idempotent)
    scheme = url_scheme(src)
    if scheme is not None:
        what = "remote image" if scheme in ("http", "https", "ftp") else f"'{scheme}:' image"
        reporter.warn(display, line, f"{what} '{src[:80]}' is not fetched; its alt text is "
                      "printed instead", "remote-image", col)
        return None
    try:
        read = read_in_book(document.root, _source_folder(document, display), src,
                            MAX_IMAGE_BYTES)
    except Outside:
        reporter.warn(display, line, f"image '{src[:80]}' lies outside the book folder and is "
                      "left out; its alt text is printed instead", "image-outside", col)
        return None
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        reporter.warn(display, line, f"image '{src[:80]}' does not exist; its alt text is "
                      "printed instead", "missing-image", col)
        return None
    except (NotAFile, TooLarge) as error:
        reporter.warn(display, line, f"image '{src[:80]}' {error.strerror}; its alt text is "
                      "printed instead", "missing-image", col)
        return None
    except OSError as error:
        reporter.warn(display, line, f"image '{src[:80]}' cannot be read "
                      f"({error.strerror or error}); its alt text is printed instead",
                      "missing-image", col)
        return None
    data = read.data
    sniffed = sniff_image(data)
    if sniffed is None:
        reporter.warn(display, line, f"'{src[:80]}' is not a PNG, JPEG, GIF, WebP or SVG "
                      "image; its alt text is printed instead", "bad-image", col)
        return None
    media_type, suffix = sniffed
    try:
        if media_type == "image/svg+xml":
            problem = svg_problem(data)
            if problem:
                raise ImageFault("unsafe-image", problem)
        else:
            inspect_image(data, media_type)
    except ImageFault as fault:
        what = "SVG image" if media_type == "image/svg+xml" else "image"
        reporter.warn(display, line, f"{what} '{src[:80]}' is left out: {fault}; its alt "
                      "text is printed instead", fault.code, col)
        return None
    name = "img-" + hashlib.sha256(data).hexdigest()[:16] + suffix
    document.images[name] = Image(document.root / read.relative, media_type, name, data)
    return name


def _source_folder(document: Document, display: str) -> PurePosixPath:
    """The folder of the manuscript file shown as ``display``, relative to the book
    folder (where its image paths start)."""
    for file in document.source.files:
        if file.display == display:
            try:
                return PurePosixPath(file.path.parent.relative_to(document.root).as_posix())
            except ValueError:
                break
    return PurePosixPath(".")


def resolve_cover(document: Document, reporter: Reporter) -> None:
    """The image the metadata names as ``cover:`` into ``document.cover``, or a warning
    (at the ``cover:`` line) when it cannot be used: the EPUB then draws one."""
    wanted = document.metadata.cover.strip()
    if not wanted:
        return
    problem = ""
    try:
        read = read_in_book(document.root, PurePosixPath("."), wanted, MAX_IMAGE_BYTES)
        sniffed = sniff_image(read.data)
        if sniffed is None or sniffed[0] not in COVER_TYPES:
            problem = "is not a JPEG or PNG image"
        else:
            inspect_image(read.data, sniffed[0])
    except Outside:
        problem = "lies outside the book folder"
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        problem = "does not exist"
    except ImageFault as fault:
        problem = f"cannot be used: {fault}"
    except OSError as error:
        problem = error.strerror or "cannot be read"
    if problem:
        raw = document.source.metadata
        reporter.warn(raw.display, raw.lines.get("cover", 0),
                      f"cover '{wanted[:80]}' {problem}; a cover is made from the title "
                      "instead", "bad-cover")
        return
    media_type = sniffed[0]
    document.cover = Image(document.root / read.relative, media_type,
                           f"cover.{COVER_TYPES[media_type]}", read.data)
