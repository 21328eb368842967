"""Safety: the one policy for untrusted manuscripts. What a link may point at, which
files a book may read, which images it may carry, and which HTML reaches an output.

Every decision about untrusted input is made with what stands here:

- **characters**: ``NOT_XML`` (what no XML file may hold: stripped), ``INVISIBLE``
  (what nobody sees but changes the text: reported by ``checks``),
  ``IGNORED_IN_URLS`` (what a browser skips before it reads a URL's scheme);
- **URLs**: ``url_scheme`` reads a scheme as a browser does; only ``LINK_SCHEMES``
  become live links;
- **URLs for the network** (``check --check-links`` only): ``web_target`` decodes
  an http(s) URL as a browser does, ``local_name`` and ``public_address`` judge
  where it leads (``folio.linkcheck`` resolves the name once and connects to the
  address judged);
- **paths**: ``read_in_book`` reads every file a book names once, inside its folder
  (``..``, percent escapes, backslashes, symbolic links and files swapped during the
  build included; the mechanism is ``folio.confined``);
- **images**: ``sniff_image`` tells the type from the bytes, never from the name;
  ``inspect_image`` refuses truncated images and sizes no book can carry;
  ``svg_problem`` refuses SVGs that run scripts or load other files;
- **HTML**: ``ELEMENTS`` is the one table of what becomes of each element, from
  which the sanitiser, the parse-time warnings (``folio.guard``), the raw-HTML pass
  (``transforms.rawhtml``) and the EPUB's clean-up take their lists;
  ``start_tags`` is the one tokenizer for raw HTML; ``sanitise_fragment`` cuts every
  rendered HTML fragment down to the allow-list (nh3, i.e. Ammonia) -- the only HTML
  that reaches any output. MathML is kept to presentation elements and attributes
  (``MATHML_ELEMENTS``, ``MATHML_ATTRIBUTES``): no links, styles or embedded HTML.

Style attributes survive only where pandoc itself writes them and only with
harmless values: ``text-align`` on table cells, ``width`` and ``height`` on images
and table columns, ``vertical-align`` on images (a formula on its baseline),
``list-style-type`` on lists.
"""

from __future__ import annotations

import dataclasses
import errno
import html.parser
import io
import ipaddress
import re
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

import nh3

from .confined import NotAFile, Outside, Read, TooLarge, read_inside  # noqa: F401

# --- characters ------------------------------------------------------------------

#: Characters that XML 1.0 cannot hold (tab, line feed and carriage return excepted).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: Characters nobody sees that change or break the text: zero-width, bidi
#: embeddings, overrides and isolates, C0 controls except tab and newline, DEL, C1.
INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200d\u2060\ufeff"
                       r"\u202a-\u202e\u2066-\u2069]")
#: Bidi embeddings and overrides (U+202A-U+202E): they reorder the text a reader sees
#: against the text as written (a "Trojan source"); left out of every output.
#: The isolates (U+2066-U+2069) stay: they are the way to mark right-to-left runs.
BIDI_OVERRIDES = re.compile("[\u202a-\u202e]")
#: What a browser ignores in a URL before it reads the scheme (``java\tscript:``).
IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                             r"\u2060-\u2064\ufeff]")


# --- URLs ------------------------------------------------------------------------

#: Schemes that become live links in every output.
LINK_SCHEMES = frozenset({"http", "https", "mailto", "ftp", "ftps", "tel"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


def url_scheme(url: str) -> str | None:
    """The lower-case scheme of ``url`` as a browser reads it, or None if relative."""
    match = _SCHEME.match(IGNORED_IN_URLS.sub("", url))
    return match.group(1).lower() if match else None


# --- web addresses: what the link check may connect to ------------------------------

class BadURL(ValueError):
    """A URL that cannot be read one way only; its message says why, in words."""


@dataclasses.dataclass(frozen=True)
class WebTarget:
    """An http(s) URL decoded as a browser decodes it: the host is what will be asked
    for (an IDNA name in ASCII, or an IP address), never the text as written."""

    scheme: str
    #: A domain name in ASCII (``xn--`` labels), or an IP address's text.
    host: str
    port: int
    #: Path and query, percent-encoded ASCII, never empty.
    path: str
    #: The address when the host is an IP address written in any of its forms.
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = {"http": 80, "https": 443}[self.scheme]
        port = "" if self.port == default else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}"


#: Characters a browser refuses in a host, after percent-decoding (WHATWG URL).
_FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]")
#: Names that are this machine or its own network by definition, never looked up.
LOCAL_NAMES = ("localhost", "localdomain", "local", "internal", "intranet", "lan",
               "home.arpa", "home", "corp", "private")
#: Characters a browser removes from anywhere in a URL before reading it.
_REMOVED_FROM_URLS = re.compile(r"[\t\n\r]")
_SAFE_IN_PATH = "/:@!$&'()*+,;=-._~%?"


def web_target(url: str) -> WebTarget:
    """``url`` (http or https) decoded as a browser decodes it; ``BadURL`` if it cannot
    be read one way only. The host is percent-decoded, mapped with IDNA and read as an
    IP address in every form browsers accept (``2130706433``, ``0177.0.0.1``,
    ``0x7f.1``, ``127.1``, ``[::ffff:127.0.0.1]``), trailing dot and case ignored."""
    text = _REMOVED_FROM_URLS.sub("", url).strip("\x00\x20")
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise BadURL(f"it cannot be parsed ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BadURL(f"'{scheme}:' is not a web address")
    netloc = parts.netloc
    if "\\" in netloc:
        raise BadURL("it has a backslash where the host is, which browsers read as '/'")
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        literal, bracket, rest = hostport[1:].partition("]")
        if not bracket:
            raise BadURL("its IPv6 address has no closing ']'")
        if rest and not rest.startswith(":"):
            raise BadURL("something stands between its IPv6 address and the port")
        port_text = rest[1:]
        host, address = _ipv6_host(literal)
    else:
        name, colon, port_text = hostport.rpartition(":") if ":" in hostport \
            else (hostport, "", "")
        host, address = _named_host(name)
    default = 443 if scheme == "https" else 80
    if port_text == "":
        port = default
    elif port_text.isascii() and port_text.isdigit() and int(port_text) <= 65535:
        port = int(port_text)
    else:
        raise BadURL(f"its port '{port_text[:20]}' is not a number from 0 to 65535")
    path = quote(parts.path or "/", safe=_SAFE_IN_PATH)
    if parts.query:
        path += "?" + quote(parts.query, safe=_SAFE_IN_PATH)
    return WebTarget(scheme, host, port, path, address)


def _ipv6_host(literal: str):
    if "%" in literal:
        raise BadURL("its IPv6 address names a network interface (a zone)")
    try:
        address = ipaddress.IPv6Address(literal)
    except ValueError:
        raise BadURL(f"'[{literal[:40]}]' is not an IPv6 address") from None
    return str(address), address


def _named_host(written: str):
    """(host, address or None) of a host that is not in brackets."""
    try:
        name = unquote(written, errors="strict") if "%" in written else written
    except UnicodeDecodeError:
        raise BadURL(f"its host '{written[:60]}' has percent escapes that are not UTF-8") \
            from None
    if not name:
        raise BadURL("it has no host")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise BadURL(f"its host '{written[:60]}' is not a valid international "
                         "domain name") from None
    name = name.lower()
    if _FORBIDDEN_IN_HOST.search(name):
        raise BadURL(f"its host '{written[:60]}' holds characters no host name has")
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if not all(labels):
        raise BadURL(f"its host '{written[:60]}' has an empty label")
    if _numeric_label(labels[-1]):
        address = _ipv4(labels)
        return str(address), address
    return name, None


def _numeric_label(label: str) -> bool:
    return bool(re.fullmatch(r"[0-9]+|0[xX][0-9a-fA-F]*", label))


def _ipv4(labels: list[str]) -> ipaddress.IPv4Address:
    """An IPv4 address as browsers read its text: one to four parts, each decimal,
    octal (a leading 0) or hexadecimal (0x), the last filling the remaining bytes."""
    if len(labels) > 4:
        raise BadURL(f"'{'.'.join(labels)[:60]}' looks like an IPv4 address but is none")
    numbers = []
    for label in labels:
        if re.fullmatch(r"0[xX][0-9a-fA-F]*", label):
            numbers.append(int(label[2:] or "0", 16))
        elif re.fullmatch(r"0[0-7]+", label):
            numbers.append(int(label, 8))
        elif re.fullmatch(r"[0-9]+", label) and not (len(label) > 1 and label[0] == "0"):
            numbers.append(int(label))
        else:
            raise BadURL(f"'{'.'.join(labels)[:60]}' looks like an IPv4 address but is none")
    *first, last = numbers
    if any(n > 255 for n in first) or last >= 256 ** (5 - len(numbers)):
        raise BadURL(f"'{'.'.join(labels)[:60]}' is out of the range of IPv4 addresses")
    value = last
    for index, number in enumerate(first):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def local_name(host: str) -> bool:
    """True for a name that means this machine or its own network without any look-up:
    ``localhost`` and the like, and names without a dot (the resolver completes them
    with the local domain)."""
    if "." not in host:
        return True
    return any(host == name or host.endswith("." + name) for name in LOCAL_NAMES)


#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, and the
#: deprecated IPv4-compatible addresses).
_EMBEDDING_V4 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet: not loopback, private, link-local,
    shared, reserved, multicast or unspecified -- also when an IPv6 address carries an
    IPv4 address (mapped, 6to4, Teredo, NAT64) that is one of those."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour,
                    *(address.teredo or ()),
                    *(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
                      for network in _EMBEDDING_V4 if address in network)]
        if any(v4 is not None and not public_address(v4) for v4 in embedded):
            return False
        if address.ipv4_mapped is not None:
            return True
    return address.is_global and not address.is_multicast


# --- paths -----------------------------------------------------------------------

def book_path(base: PurePosixPath, target: str) -> PurePosixPath | None:
    """Where ``target`` (as a manuscript writes it: percent escapes, backslashes)
    points, relative to the book folder, from ``base`` (the folder of the file that
    names it, relative to the book folder); None for an absolute path.

    The path may still hold ``..``: ``read_in_book`` reads it, and only inside."""
    decoded = unquote(target).replace("\\", "/")
    if not decoded or decoded.startswith("/") or re.match(r"^[A-Za-z]:", decoded):
        return None
    return base / decoded


def read_in_book(root: Path, base: PurePosixPath, target: str, limit: int) -> Read:
    """The file ``target`` (see ``book_path``) read once inside the book folder ``root``
    (``folio.confined.read_inside``: no link, ``..`` or swap leads out of it).

    Raises ``Outside`` for anything outside (an absolute path included), ``NotAFile``,
    ``TooLarge``, or the ``OSError`` of a missing file."""
    relative = book_path(base, target)
    if relative is None:
        raise Outside(errno.EACCES, "is an absolute path", target)
    return read_inside(root, relative, limit)


# --- images ----------------------------------------------------------------------

#: Largest image a book may carry, in bytes.
MAX_IMAGE_BYTES = 30 * 1024 * 1024
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"GIF87a", "image/gif", ".gif"),
    (b"GIF89a", "image/gif", ".gif"),
]
#: Image sources that ``transforms.links`` gives images inside the book.
IMAGE_SOURCE = re.compile(r"images/img-[0-9a-f]{16}\.(?:png|jpg|gif|webp|svg)")


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


#: Largest image, in pixels a side and in pixels: larger ones cost the layout
#: gigabytes, and Pillow (which WeasyPrint uses) refuses some of them, so that an
#: image would be missing from the PDF only. Anything larger is left out everywhere.
MAX_IMAGE_SIDE = 20_000
MAX_IMAGE_PIXELS = 80_000_000


class ImageFault(ValueError):
    """Why an image cannot go into a book; ``code`` is the diagnostic's."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def inspect_image(data: bytes, media_type: str) -> tuple[int, int]:
    """The (width, height) of a raster image, after checking that it is whole and of
    a size a book can carry; ``ImageFault`` (``image-too-large`` or ``bad-image``)
    otherwise. The pixels are decoded only where that is cheap: a PNG's chunks are
    checked (``verify``), a JPEG is decoded at an eighth of its size."""
    from PIL import Image as Pillow

    try:
        with Pillow.open(io.BytesIO(data)) as image:
            width, height = image.size
            if (max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS
                    or not width or not height):
                raise ImageFault("image-too-large", f"it claims {width} × {height} pixels; "
                                 f"the limit is {MAX_IMAGE_SIDE} a side and "
                                 f"{MAX_IMAGE_PIXELS // 1_000_000} million in all")
            if media_type == "image/png":
                image.verify()
            else:
                if media_type == "image/jpeg":
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
    except ImageFault:
        raise
    except Pillow.DecompressionBombError:
        raise ImageFault("image-too-large", "it claims more pixels than any book "
                         "can carry") from None
    except Exception as error:  # noqa: BLE001 - Pillow fails in many ways on bad data
        detail = str(error) or type(error).__name__
        raise ImageFault("bad-image", f"it is truncated or damaged ({detail[:80]})") from None
    return width, height


_SVG_ACTIVE = {"script", "foreignobject", "iframe", "object", "embed", "handler",
               "listener", "audio", "video", "animation"}
#: CSS functions that load what their string argument names.
_LOADING_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade",
                      "element"}
#: A processing instruction that is not the XML declaration at the very start.
_PROCESSING = re.compile(rb"(?<!^)<\?|^<\?(?!xml[ \t\r\n])")


def css_loads(text: str, local: bool = False) -> str | None:
    """What CSS ``text`` would load -- an ``@import``, a ``url()`` or a function that
    fetches -- or None; with ``local``, only what it would load from elsewhere (an
    address with a scheme or a host). Read with a CSS tokenizer (tinycss2), so that
    escapes (``@\\69mport``, ``\\75rl(…)``) and comments hide nothing."""
    import tinycss2

    def loads(value: str) -> bool:
        value = value.strip()
        return not value.startswith("#") and not (local and _local_address(value))

    def search(tokens: list) -> str | None:
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "at-keyword" and token.lower_value in ("import", "font-face"):
                following = [t for t in tokens[index + 1:index + 4]
                             if t.type in ("string", "url")]
                if not local or token.lower_value == "import" and (
                        not following or loads(following[0].value)):
                    return f"@{token.lower_value}"
            if kind == "url" and loads(token.value):
                return f"url({token.value[:60]})"
            if kind == "function":
                if token.lower_name in _LOADING_FUNCTIONS and any(
                        argument.type in ("string", "url") and loads(argument.value)
                        for argument in token.arguments):
                    return f"{token.lower_name}(…)"
                found = search(token.arguments)
            elif kind in ("() block", "[] block", "{} block"):
                found = search(token.content)
            else:
                found = None
            if found:
                return found
        return None

    return search(tinycss2.parse_component_value_list(text))


def svg_problem(data: bytes) -> str | None:
    """Why an SVG image cannot go into a book as it is, or None if it is self-contained."""
    lowered = data.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        return "it declares a DOCTYPE or entities"
    if _PROCESSING.search(data.lstrip(b"\xef\xbb\xbf \t\r\n")):
        return "it has a processing instruction (such as <?xml-stylesheet?>)"
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        return f"it is not well-formed XML ({error})"
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = element.tag.rsplit("}", 1)[-1].lower()
        if name in _SVG_ACTIVE:
            return f"it contains <{name}>"
        if name == "style":
            loads = css_loads("".join(element.itertext()))
            if loads:
                return f"its CSS loads other files ({loads})"
        for key, value in element.attrib.items():
            key = key.rsplit("}", 1)[-1].lower()
            if key.startswith("on"):
                return f"it has an event handler ({key})"
            if key in ("href", "src") and not value.strip().startswith("#"):
                return f"it refers to '{value.strip()[:60]}'"
            loads = css_loads(value)
            if loads:
                return f"its CSS loads other files ({loads})"
    return None


# --- what a book's own templates make ---------------------------------------------

#: Elements a page made by a book's template may not hold: they run code, load
#: other pages, or send what a reader types.
PAGE_FORBIDDEN = frozenset({"script", "iframe", "frame", "frameset", "object", "embed",
                            "applet", "form", "input", "button", "select", "textarea",
                            "base", "portal", "noscript", "template", "audio", "video",
                            "source", "track"})
#: The namespaces whose elements a reading system runs (XHTML, SVG; none: HTML).
_PAGE_SPACES = ("", "http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg")
#: Attributes that hold text, never an address.
_TEXT_ATTRIBUTES = frozenset({"alt", "title", "content", "id", "class", "lang", "xml:lang",
                              "dir", "role", "name", "property", "charset", "type", "rel",
                              "epub:type", "colspan", "rowspan", "scope", "width", "height",
                              "style", "version", "xmlns", "datetime", "value", "media",
                              "hreflang", "download"})


def _local_address(value: str) -> bool:
    """True for an address inside the book's own files (no scheme, no host)."""
    value = IGNORED_IN_URLS.sub("", value)
    return url_scheme(value) is None and not value.startswith("//") and "\\" not in value


def page_problem(text: str, name: str) -> str | None:
    """What a page (HTML, XHTML or XML) or a stylesheet made by a book's own
    templates holds that the manuscript may not put into a book -- a script, a frame,
    a form, an event handler, a link to a place that is no web page, anything loaded
    from elsewhere (a remote image, font or stylesheet: a tracking pixel) -- or None.
    Read as a browser reads it (tinyhtml5; tinycss2 for CSS); XHTML and XML are also
    read as XML, as e-readers read them."""
    if name.endswith(".css"):
        loads = css_loads(text, local=True)
        return f"its CSS loads {loads} from elsewhere" if loads else None
    trees = []
    if name.endswith((".xhtml", ".xml", ".opf", ".ncx")):
        try:
            trees.append(ET.fromstring(text.encode("utf-8")))
        except ET.ParseError as error:
            return f"it is not well-formed XML ({error})"
    if name.endswith((".html", ".xhtml")):
        import tinyhtml5
        trees.append(tinyhtml5.parse(text))
    for tree in trees:
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            tag = element.tag.rsplit("}", 1)[-1].lower()
            space = element.tag[1:].split("}", 1)[0] if element.tag.startswith("{") else ""
            if tag in PAGE_FORBIDDEN and space in _PAGE_SPACES:
                return f"it has a <{tag}> element"
            if tag == "meta" and any(k.lower() == "http-equiv" for k in element.attrib):
                return "it has a <meta http-equiv> element"
            if tag == "style":
                loads = css_loads("".join(element.itertext()), local=True)
                if loads:
                    return f"its CSS loads {loads} from elsewhere"
            for key, value in element.attrib.items():
                key = key.rsplit("}", 1)[-1].lower()
                if key.startswith("on") or key in ("srcdoc", "ping", "formaction",
                                                   "action"):
                    return f"it has a '{key}' attribute on <{tag}>"
                if key == "style":
                    loads = css_loads(value, local=True)
                    if loads:
                        return f"its CSS loads {loads} from elsewhere"
                elif key == "href" and tag == "a":
                    if url_scheme(value) not in (None, *LINK_SCHEMES):
                        return f"it links to '{value[:60]}'"
                elif key not in _TEXT_ATTRIBUTES and not key.startswith(("aria-", "data-",
                                                                         "xmlns")):
                    if not _local_address(value):
                        return f"its <{tag}> loads '{value[:60]}' from elsewhere"
    return None


# --- HTML: the one table of elements ------------------------------------------------

#: What becomes of an HTML element in a manuscript, in every output:
#: - ``"keep"``: it stays (everything pandoc's HTML writer and folio's notes write);
#: - another element's name: it stays, and the EPUB writes it as that element
#:   (obsolete or misplaced elements that browsers know and EPUBCheck does not);
#: - ``"drop"``: left out with its content, with an ``unsafe-html`` warning;
#: - ``"forbid"``: left out with its content, and the author is told it has no place
#:   in a book (``raw-html``): scripts, styles, frames, embedded programs;
#: - ``"forbid-tag"``: the same warning, but only the tag goes and its text stays
#:   (a form's labels, a video's fallback text).
#: Elements not listed lose their tags and keep their text (``unsafe-html``).
ELEMENTS: dict[str, str] = {
    **dict.fromkeys((
        "a", "abbr", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite",
        "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
        "ruby", "s", "samp", "section", "small", "span", "strong", "sub", "summary",
        "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
        "var", "wbr", "address", "article", "nav", "data"), "keep"),
    "center": "div", "tt": "code", "strike": "s", "acronym": "abbr", "big": "span",
    "hgroup": "div", "main": "div",
    **dict.fromkeys(("svg", "title", "xmp", "noembed", "noframes"), "drop"),
    **dict.fromkeys(("script", "style", "template", "iframe", "frame", "frameset",
                     "noscript", "object", "applet", "textarea", "select"), "forbid"),
    **dict.fromkeys(("embed", "form", "input", "button", "link", "meta", "base", "audio",
                     "video", "canvas"), "forbid-tag"),
}

# --- MathML (issue 14): presentation MathML only, as TeX maths is converted to. No
# element that holds HTML (``annotation-xml``), links (``href``), styles or classes
# (``style``, ``class``, ``mathcolor``), or loads anything (``maction``, ``mglyph``).
MATHML_ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup",
    "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom",
    "menclose", "munder", "mover", "munderover", "mmultiscripts", "mprescripts", "none",
    "mtable", "mtr", "mtd", "mlabeledtr", "semantics", "annotation"})
MATHML_ATTRIBUTES = frozenset({
    "display", "alttext", "mathvariant", "stretchy", "fence", "separator", "lspace",
    "rspace", "accent", "accentunder", "movablelimits", "largeop", "symmetric", "minsize",
    "maxsize", "form", "linethickness", "columnalign", "rowalign", "columnspacing",
    "rowspacing", "columnlines", "rowlines", "frame", "width", "height", "depth",
    "voffset", "notation", "scriptlevel", "displaystyle", "mathsize", "encoding",
    "columnspan", "rowspan", "bevelled", "numalign", "denomalign"})
ELEMENTS.update(dict.fromkeys(MATHML_ELEMENTS, "keep"))
MATHML_NS = "http://www.w3.org/1998/Math/MathML"

_GONE = ("drop", "forbid", "forbid-tag")
#: Elements that stay in the sanitised HTML.
KEPT_TAGS = frozenset(tag for tag, fate in ELEMENTS.items() if fate not in _GONE)
#: Elements left out together with their content.
DROPPED_TAGS = frozenset(tag for tag, fate in ELEMENTS.items() if fate in ("drop", "forbid"))
#: Elements that have no place in a book (the ``raw-html`` warning).
FORBIDDEN_TAGS = frozenset(tag for tag, fate in ELEMENTS.items()
                           if fate in ("forbid", "forbid-tag"))
#: Elements the EPUB writes as another: ``center`` -> ``div``, ``tt`` -> ``code`` …
EPUB_RENAMES = {tag: fate for tag, fate in ELEMENTS.items()
                if fate != "keep" and fate not in _GONE}

#: Attributes every kept element may have (plus ``aria-*`` and ``data-*``).
GLOBAL_ATTRIBUTES = frozenset({"id", "class", "lang", "dir", "title", "role", "epub:type",
                               "xml:lang", "translate", "hidden"})
ATTRIBUTE_PREFIXES = frozenset({"aria-", "data-"})
#: Attributes of single elements.
TAG_ATTRIBUTES = {
    "a": {"href", "name", "hreflang"},
    "img": {"src", "alt", "style", "width", "height"},
    "ol": {"start", "type", "reversed", "style"},
    "ul": {"style"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "style", "headers"},
    "th": {"colspan", "rowspan", "scope", "style", "headers", "abbr"},
    "col": {"span", "style"},
    "colgroup": {"span"},
    "time": {"datetime"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "details": {"open"},
    "bdo": {"dir"},
    "data": {"value"},
    **{tag: set(MATHML_ATTRIBUTES) for tag in MATHML_ELEMENTS},
}
#: Attributes dropped from Markdown's own ``{...}`` attributes (besides ``on*``).
UNSAFE_ATTRIBUTES = frozenset({"srcset", "rel", "formaction", "src", "background",
                               "poster"})
#: CSS properties kept in ``style`` attributes, and the values they may take.
_LENGTH = r"\d{1,4}(?:\.\d{1,6})?(?:%|px|em|rem|ex|ch|pt|pc|cm|mm|in)?"
STYLE_VALUES = {
    "text-align": re.compile(r"(?:left|right|center|justify|start|end)"),
    "width": re.compile(_LENGTH),
    "height": re.compile(_LENGTH),
    "list-style-type": re.compile(r"[a-z][a-z-]{0,30}"),
    # A formula drawn as an image stands on the baseline of its line (issue 14).
    "vertical-align": re.compile(r"-?" + _LENGTH),
}
#: Which element may keep which style property.
STYLE_PROPERTIES = {
    "td": {"text-align"}, "th": {"text-align"}, "col": {"width"},
    "img": {"width", "height", "vertical-align"}, "ol": {"list-style-type"}, "ul": {"list-style-type"},
}
#: Relative link targets that stay: a chapter file of the EPUB, with an anchor.
_PAGE_HREF = re.compile(r"[A-Za-z0-9_-]+\.x?html(?:#[^\s\"'<>]*)?")


def clean_style(tag: str, value: str) -> str | None:
    """The harmless part of a ``style`` attribute on ``tag``, or None."""
    allowed = STYLE_PROPERTIES.get(tag, set())
    kept = []
    for declaration in value.split(";"):
        name, _, css = declaration.partition(":")
        name, css = name.strip().lower(), css.strip().lower()
        if name in allowed and STYLE_VALUES[name].fullmatch(css):
            kept.append(f"{name}: {css}")
    return "; ".join(kept) + ";" if kept else None


def allowed_attribute(tag: str, name: str) -> bool:
    return (name in GLOBAL_ATTRIBUTES or name in TAG_ATTRIBUTES.get(tag, ())
            or any(name.startswith(prefix) for prefix in ATTRIBUTE_PREFIXES))


def _safe_href(value: str) -> bool:
    value = value.strip()
    scheme = url_scheme(value)
    if scheme is not None:
        return scheme in LINK_SCHEMES
    return value.startswith("#") or bool(_PAGE_HREF.fullmatch(value))


def _attribute_value(tag: str, name: str, value: str) -> str | None:
    """nh3's attribute filter: the value to keep, or None to drop the attribute."""
    if name == "href":
        return value if _safe_href(value) else None
    if name == "src":
        return value if IMAGE_SOURCE.fullmatch(value.strip()) else None
    if name == "style":
        return clean_style(tag, value)
    return value


# --- HTML: the one tokenizer ------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Tag:
    """One tag of a raw HTML snippet."""

    name: str
    #: (name, value) pairs; a value is None for a bare attribute.
    attrs: list
    #: 1-based line and 0-based column in the snippet.
    line: int
    col: int
    #: The tag's text exactly as written ("" for end tags).
    text: str
    start: bool


class _Tokenizer(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []

    def handle_starttag(self, tag, attrs):
        line, col = self.getpos()
        self.tags.append(Tag(tag, attrs, line, col, self.get_starttag_text() or "", True))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self.tags.append(Tag(tag, [], *self.getpos(), "", False))


_SIMPLE_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)\s*/?>")


def start_and_end_tags(text: str) -> list[Tag]:
    """Every tag of a raw HTML snippet, in order, as the standard library's HTML
    tokenizer reads it (malformed markup: the tags read so far)."""
    simple = _SIMPLE_TAG.fullmatch(text)
    if simple:  # most raw inlines: one bare tag such as <span> or </span>
        end = bool(simple.group(1))
        return [Tag(simple.group(2).lower(), [], 1, 0, "" if end else text, not end)]
    tokenizer = _Tokenizer()
    try:
        tokenizer.feed(text)
        tokenizer.close()
    except Exception:  # noqa: BLE001 - very old-style broken markup: nh3 decides
        pass
    return tokenizer.tags


def start_tags(text: str) -> list[Tag]:
    """The start tags of a raw HTML snippet (see ``start_and_end_tags``)."""
    return [tag for tag in start_and_end_tags(text) if tag.start]


def anchors_defined(text: str) -> list[str]:
    """The anchors a raw HTML snippet defines: every ``id``, and ``name`` on ``<a>``
    (``<a name=x>``, the pre-HTML5 anchor), quoted or not."""
    found = []
    for tag in start_tags(text):
        for key, value in tag.attrs:
            if value and value.strip() and (key == "id" or (key == "name"
                                                            and tag.name == "a")):
                found.append(value.strip())
    return found


# --- HTML: the sanitiser -------------------------------------------------------------

def sanitise_fragment(fragment: str) -> str:
    """``fragment`` cut down to the allow-list: the only HTML that reaches any output."""
    _in_filter.active, _in_filter.error = True, None
    try:
        clean = nh3.clean(
            fragment, tags=set(KEPT_TAGS), clean_content_tags=set(DROPPED_TAGS),
            attributes={"*": set(GLOBAL_ATTRIBUTES), **TAG_ATTRIBUTES},
            generic_attribute_prefixes=set(ATTRIBUTE_PREFIXES),
            attribute_filter=_attribute_value, strip_comments=True, link_rel=None,
            url_schemes=set(LINK_SCHEMES), filter_style_properties=set(STYLE_VALUES))
    finally:
        _in_filter.active = False
    if _in_filter.error is not None:
        raise _in_filter.error  # e.g. Ctrl-C while nh3 called ``_attribute_value``
    return clean


# nh3 reports an exception raised in its attribute filter as "ignored" (unraisable) and
# goes on: a KeyboardInterrupt would be lost. This hook keeps it for the caller.
_in_filter = threading.local()
_default_unraisable_hook = sys.unraisablehook


def _keep_filter_errors(unraisable) -> None:
    if getattr(_in_filter, "active", False) and _in_filter.error is None:
        _in_filter.error = unraisable.exc_value
        return
    _default_unraisable_hook(unraisable)


sys.unraisablehook = _keep_filter_errors
