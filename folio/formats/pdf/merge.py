"""Merge the parts of a book laid out separately by WeasyPrint 70 (tagged PDF/UA-1)
into one PDF, as if the book had been laid out in one go.

A long book is laid out in parts (runs of whole chapters), one worker process per
part; each part is a complete WeasyPrint PDF. ``merge_parts`` reads them with
pikepdf (qpdf), one part at a time, writes each part's objects under new numbers
as soon as it reaches them (``writer``), and keeps what the one-process PDF has:

- pages in order, each with its own resources (fonts, images, colour spaces stay
  per part: every part embeds its own font subsets, renamed so that no two
  different subsets share a subset tag);
- one structure tree: the kids of every part's ``/Document`` element under one
  ``/Document`` element (every reference to a part's document element, its
  running heads' ``/P`` too, is written as one to the book's), the parent trees joined into one number tree with the
  keys of part *k* shifted past those of the parts before it (page
  ``/StructParents``, annotation ``/StructParent`` and any XObject's
  ``/StructParents`` shifted alike), role maps, class maps and ID trees joined,
  table header IDs (``/ID``, referred to by cells' ``/Headers``) made unique;
- the catalogue's ``/MarkInfo``, ``/Lang``, ``/ViewerPreferences``, the XMP
  metadata and the Info dictionary of the first part (every part is laid out from
  the whole book's ``<head>``, so they describe the whole book);
- bookmarks: the outline items of every part, in order, their destinations
  pointing at the merged pages;
- named destinations: one ``/Names /Dests`` name tree, and links across parts
  (see ``FOREIGN_LINK``);
- page labels: a ``/PageLabels`` number tree from the printed number of each
  part's first page, in each part's style (roman for the front matter);
- byte-reproducible output: same parts, same bytes (no time stamp, a file ID
  computed from the content, no linearisation).

Why not qpdf's own writer: it writes a PDF it holds whole, and a merge in it held
every object of every part twice, the parts' and the copies (the 2,500-page bench
book: 310,000 objects, 950 MB, the build's largest process). Written as it is
read, the merge of that book stays near 110 MB and takes about as long (5 s).
qpdf would do when it can write objects of a document it does not hold. A part
merged again (an edit elsewhere in the book) is written from the templates of its
objects the merge keeps beside it (``writer.Templates``): their numbers filled in.

WeasyPrint 70 writes (see REPORT.md for the evidence):

- an internal link ``<a href="#id">`` as a ``/Link`` annotation with ``/Dest (id)``,
  a *named* destination, and ``/Contents (id)``; the anchor as an entry of the
  ``/Names /Dests`` name tree, an explicit ``[page /XYZ x y 0]``;
- no annotation at all for a link whose anchor is not in the document it lays out
  (it logs "No anchor #id for internal URI reference"); so a part cannot link to
  an anchor of another part with ``#id``. The part's HTML links to
  ``FOREIGN_LINK + id`` instead, which WeasyPrint writes as a URI link, and the
  merge turns it into the same ``/Dest (id)`` link an internal one is;
- the parent tree with keys 0..n-1 for the pages, then one key per link annotation;
- running heads and page numbers as marked content whose structure elements hang
  from ``/Document`` by ``/P`` but are not among its kids (kept as they are).

Not handled: AcroForm fields, ``/Names /EmbeddedFiles``, and parts that do not
start at a top-level bookmark (their outline items would need re-nesting).

Tested with pikepdf 10.18.0 (libqpdf 12.4.2) on WeasyPrint 70.0 output. Use::

    result = merge_parts([part1, part2], Path("book.pdf"), first_numbers=[1, 97])
    assert not result.unresolved_links
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree, String

from .arrivals import Arrivals, Cancelled
from .numbering import ARABIC, Run, paginate
from .parts import FOREIGN_LINK
from .writer import PdfWriter, Renumbered, Templates

#: A prepared part's catalogue entry listing what the merge changes in it
#: (``prepare_part``): ``/Keyed``, the objects that hold parent-tree keys. The merge
#: reads these few objects instead of going through all of them; the entry does
#: not go into the merged PDF.
MERGE_INDEX = "/FolioMergeIndex"

#: Entries per leaf of the number and name trees the merge writes.
TREE_LEAF = 64

#: Keys of the parts' catalogues taken from the first part as they are.
CATALOG_KEYS = ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata", "/OutputIntents",
                "/PageMode", "/PageLayout")


@dataclasses.dataclass
class MergeResult:
    """What ``merge_parts`` wrote and what it could not resolve."""

    #: Pages of the merged PDF.
    pages: int
    #: Pages taken from each part (without inserted blank pages).
    part_pages: list[int]
    #: Index in the merged PDF of each part's first page.
    part_starts: list[int]
    #: Names that links point to but no part defines (the links are kept).
    unresolved_links: list[str]
    #: Names defined by more than one part: the first part's is kept, as
    #: WeasyPrint keeps the first of two anchors with one name.
    duplicate_anchors: list[str]
    #: The page labels written (``numbering.Run``).
    labels: list[Run] = dataclasses.field(default_factory=list)


class MergeError(ValueError):
    """The parts cannot be merged (not tagged, no pages, ...)."""


# --- small helpers ---------------------------------------------------------------


def _name_tree_items(pdf: pikepdf.Pdf) -> list[tuple[str, pikepdf.Object]]:
    """Named destinations of ``pdf``: the ``/Names /Dests`` name tree and the old
    ``/Dests`` dictionary (PDF 1.1), in the tree's order."""
    items: list[tuple[str, pikepdf.Object]] = []
    names = pdf.Root.get("/Names")
    if names is not None and "/Dests" in names:
        items.extend((str(key), value) for key, value in NameTree(names.Dests).items())
    old = pdf.Root.get("/Dests")
    if old is not None:
        items.extend((str(key)[1:], old[key]) for key in old.keys())
    return items


def _subset_tag(seed: bytes) -> str:
    """Six capital letters from ``seed``, as a font subset tag."""
    digest = hashlib.md5(seed, usedforsecurity=False).digest()
    return "".join(chr(65 + byte % 26) for byte in digest[:6])


def _retag_font_subsets(pdf: pikepdf.Pdf, part: str) -> None:
    """Give every font subset of ``pdf`` a tag of its own.

    WeasyPrint derives the tag (``ABCDEF+``) from the font, not from the glyphs in
    the subset: every part names its own subset of Folio Serif alike, but a PDF
    must not give one tag to two different subsets (ISO 32000-1, 9.6.4). The new
    tag is a hash of the old name, the part's name and the embedded font file."""
    for obj in pdf.objects:
        if not isinstance(obj, Dictionary) or obj.get("/Type") != Name.FontDescriptor:
            continue
        name = str(obj.get("/FontName", ""))
        if len(name) < 8 or name[7] != "+":
            continue
        font_file = next((obj[key] for key in ("/FontFile2", "/FontFile3", "/FontFile")
                          if key in obj), None)
        data = font_file.read_raw_bytes() if font_file is not None else b""
        new = "/" + _subset_tag(f"{name}\n{part}\n".encode() + data) + name[7:]
        obj.FontName = Name(new)
    for obj in pdf.objects:
        if (isinstance(obj, Dictionary) and obj.get("/Type") == Name.Font
                and "/BaseFont" in obj):
            descriptor = obj.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in obj:
                descriptor = obj.DescendantFonts[0].get("/FontDescriptor")
            if descriptor is not None and "/FontName" in descriptor:
                obj.BaseFont = descriptor.FontName


def _shift_struct_parents(pdf: pikepdf.Pdf, offset: int,
                          templates: Templates | None = None) -> int:
    """Shift every parent-tree key of ``pdf`` by ``offset``: pages' and XObjects'
    ``/StructParents``, annotations' ``/StructParent`` (but in the objects written
    from ``templates``, which shift their own). Return the part's number of keys (its
    largest key + 1, at least its ``/ParentTreeNextKey``)."""
    tree = pdf.Root.StructTreeRoot
    keys = [int(key) for key, _ in NumberTree(tree.ParentTree).items()]
    size = max(keys, default=-1) + 1
    size = max(size, int(tree.get("/ParentTreeNextKey", 0)))
    templated = templates.objects if templates is not None else {}
    if offset:
        for obj in _keyed(pdf):
            if obj.objgen in templated:
                continue
            for key in ("/StructParents", "/StructParent"):
                if key in obj:
                    obj[key] = int(obj[key]) + offset
    return size


def _keyed(pdf: pikepdf.Pdf) -> list:
    """The objects of ``pdf`` that hold a parent-tree key: from the part's
    ``MERGE_INDEX`` if it has one, else found among all its objects."""
    index = pdf.Root.get(MERGE_INDEX)
    if index is not None:
        return list(index.Keyed)
    return _find_keyed(pdf)


def _find_keyed(pdf: pikepdf.Pdf) -> list:
    return [obj for obj in pdf.objects if isinstance(obj, (Dictionary, pikepdf.Stream))
            and ("/StructParents" in obj or "/StructParent" in obj)]


def _index_for_merge(pdf: pikepdf.Pdf) -> None:
    """Write the part's ``MERGE_INDEX`` (one pass over its objects, in the worker
    that laid it out)."""
    pdf.Root[MERGE_INDEX] = Dictionary(Keyed=Array(_find_keyed(pdf)))


def _struct_elements(pdf: pikepdf.Pdf) -> list[Dictionary]:
    """Every structure element of ``pdf`` (WeasyPrint 70 writes each as an object of
    its own), in the file's order: one pass over the objects in qpdf, which is many
    times faster than walking the tree through pikepdf."""
    return [obj for obj in pdf.objects if _is_struct_element(obj)]


def _is_struct_element(obj) -> bool:
    return (isinstance(obj, Dictionary) and "/S" in obj and "/P" in obj
            and "/Subtype" not in obj and obj.get("/Type") in (None, Name.StructElem))


def _unique_struct_ids(pdf: pikepdf.Pdf, part: str) -> dict[str, str]:
    """Prefix every structure element ``/ID`` of the part with ``p<part>-`` and the
    table cells' ``/Headers`` (which name those IDs) alike.

    WeasyPrint names a table header cell after the PDF object number of its table
    (``"1234-0-2"``), and object numbers start again in every part."""
    renamed: dict[str, str] = {}
    prefix = f"p{part}-"
    elements = _struct_elements(pdf)
    for element in elements:
        if "/ID" in element:
            old = bytes(element.ID)
            new = prefix.encode() + old
            renamed[old.decode("latin-1")] = new.decode("latin-1")
            element.ID = String(new)
    for element in elements:
        attributes = element.get("/A")
        if attributes is None:
            continue
        for attribute in (attributes if isinstance(attributes, Array) else [attributes]):
            if isinstance(attribute, Dictionary) and "/Headers" in attribute:
                attribute.Headers = Array([String(prefix.encode() + bytes(h))
                                           for h in attribute.Headers])
    tree = pdf.Root.StructTreeRoot
    if "/IDTree" in tree:  # WeasyPrint 70 writes none
        ids = NameTree.new(pdf)
        for key, value in sorted(NameTree(tree.IDTree).items()):
            ids[prefix + key] = value
        tree.IDTree = ids.obj
    return renamed


def _foreign_links_to_dests(pdf: pikepdf.Pdf, prefix: str) -> None:
    """Turn the part's URI links to ``prefix + id`` into links to the named
    destination ``id``, as WeasyPrint writes an internal link."""
    for page in pdf.pages:
        for annotation in page.obj.get("/Annots", []):
            action = annotation.get("/A")
            if action is None or action.get("/S") != Name.URI:
                continue
            uri = str(action.URI)
            if not uri.startswith(prefix):
                continue
            name = unquote(uri[len(prefix):])
            del annotation["/A"]
            annotation.Dest = String(name)
            annotation.Contents = String(name)


def _outline_items(root) -> list:
    """The top-level outline items under an ``/Outlines`` dictionary, in order."""
    items, item, seen = [], root.get("/First"), set()
    while item is not None and item.objgen not in seen:
        seen.add(item.objgen)
        items.append(item)
        item = item.get("/Next")
    return items


# --- the merge ----------------------------------------------------------------------


def prepare_part(path: Path, name: str, foreign_link: str = FOREIGN_LINK) -> None:
    """Make the part ``path`` ready to merge, in place: what ``merge_parts`` does to
    each part on its own (``/ID`` made unique by ``name``, font subsets retagged,
    links to other parts made named-destination links), done where the part is laid
    out, beside the other parts, instead of one part after another in the merge.
    ``name``: the part's own, unique in the book (a hash of its content)."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        _unique_struct_ids(pdf, name)
        _foreign_links_to_dests(pdf, foreign_link)
        _retag_font_subsets(pdf, name)
        _index_for_merge(pdf)
        _save(pdf, path, pdf.pdf_version)


def templates_path(part: Path) -> Path:
    """Where the merge keeps a prepared part's ``writer.Templates``, beside it, for
    the next merge of the part."""
    return part.with_suffix(".templates")


def merge_parts(parts: Sequence[Path], target: Path, *,
                first_numbers: Sequence[int] | None = None,
                blank_before: Sequence[bool] | None = None,
                label_styles: Sequence[str] | None = None,
                foreign_link: str = FOREIGN_LINK,
                metadata: Path | None = None, prepared: bool = False,
                arrivals: Arrivals | None = None,
                reused: Sequence[bool] | None = None) -> MergeResult | None:
    """Merge the PDF ``parts`` (each laid out by WeasyPrint 70 as tagged PDF/UA-1)
    into ``target``; return what was merged and what could not be resolved.

    ``first_numbers``: the printed page number of each part's first page, for the
    ``/PageLabels`` (default: the pages numbered 1, 2, ... through the book).
    ``blank_before``: for each part, whether a blank page goes before it: a chapter
    that must open on a right-hand page, after a part that ended on one
    (WeasyPrint never starts a document with a blank page).
    ``label_styles``: the style of each part's page labels (``numbering.ROMAN`` or
    ``numbering.ARABIC``, the default).
    ``foreign_link``: the URL prefix of links to anchors in other parts.
    ``metadata``: a PDF laid out from the book's head alone, whose XMP, ``/Info`` and
    file ID the merged PDF takes (the build's date is in it, in no part); default:
    the first part's.
    ``prepared``: every part went through ``prepare_part``.
    ``reused``: for each prepared part, whether an earlier build laid it out (it is
    merged again, after an edit elsewhere): its objects are written from the
    ``writer.Templates`` kept beside it. A part without them (laid out in this
    build, or kept from before they were made) has them made as it is written, and
    kept. The 16 parts of the 150-page bench book (processor time, medians of five):
    0.53 s written without templates, 0.67 s with templates made, 0.30 s from kept
    ones. A full build makes them for every part, beside its layout (0.14 s of the
    cores' 21 s), so that the first edit after it finds them: that edit's merge,
    which waits for the edited part, wrote the parts after it 0.37 s slower while
    it made them. Without ``reused``, no templates are made or used.
    ``arrivals``: the parts (and ``metadata``, which is then needed) may not be there
    yet; each is waited for (``Arrivals``), and the header's PDF version is the
    metadata page's. None if the merge was cancelled (nothing is left at ``target``).

    One part is open at a time: its objects are written (``writer``) as soon as
    they are reached, and only what joins the parts (page list, parent-tree
    entries, named destinations, top-level bookmarks) is held until the end, so
    that memory grows with the longest part, not with the book.
    """
    if not parts:
        raise MergeError("no parts to merge")
    blank_before = list(blank_before or [False] * len(parts))
    if len(blank_before) != len(parts) or (first_numbers is not None
                                          and len(first_numbers) != len(parts)):
        raise MergeError("first_numbers and blank_before need one value per part")
    styles = list(label_styles or [ARABIC] * len(parts))
    if len(styles) != len(parts):
        raise MergeError("label_styles needs one value per part")
    try:
        if arrivals is None:
            version = max((_header_version(path, index) for index, path in enumerate(parts)),
                          key=_version_tuple)
        else:  # the parts to come are laid out as the metadata's page was
            if metadata is None:
                raise MergeError("a merge of parts as they arrive needs the metadata's page")
            arrivals.wait(metadata)
            version = _header_version(metadata, -1)
        with open(target, "wb") as file:
            book = _Book(PdfWriter(file, version), described=metadata is None)
            for index, path in enumerate(parts):
                if arrivals is not None:
                    arrivals.wait(path)
                    if _version_tuple(_header_version(path, index)) > _version_tuple(version):
                        raise MergeError(f"part {index + 1} needs a later PDF version "
                                         f"than the book's page of metadata ({version})")
                with pikepdf.open(path) as source:
                    templates = None
                    if prepared and reused is not None:
                        if reused[index]:
                            templates = Templates.load(templates_path(path), source)
                        if templates is None:
                            templates = Templates.of(source, _keyed(source))
                            templates.save(templates_path(path))
                    book.add_part(source, index, blank_before[index],
                                  None if prepared else foreign_link, templates)
            if metadata is not None:
                with pikepdf.open(metadata) as carrier:
                    book.describe(carrier)
            pagination = paginate(book.part_pages, blank_before, first_numbers, styles)
            assert pagination.part_starts == book.part_starts \
                and pagination.pages == len(book.pages)
            book.close(pagination.labels)
    except Cancelled:
        Path(target).unlink(missing_ok=True)
        return None
    except BaseException:
        Path(target).unlink(missing_ok=True)  # no half-written book
        raise
    return MergeResult(pages=len(book.pages), part_pages=book.part_pages,
                       part_starts=book.part_starts,
                       unresolved_links=sorted(book.linked - set(book.dests)),
                       duplicate_anchors=sorted(book.duplicates), labels=pagination.labels)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(map(int, version.split(".")))


def _header_version(path: Path, index: int) -> str:
    """The PDF version in the header of part ``index`` (WeasyPrint writes no
    ``/Version`` in the catalogue): read before the merged file's header is
    written, without opening every part twice."""
    with open(path, "rb") as file:
        found = re.match(rb"%PDF-(\d\.\d)", file.read(16))
    if found is None:
        raise MergeError(f"part {index + 1} is not a PDF" if index >= 0
                         else "the metadata's page is not a PDF")
    return found.group(1).decode()


class _Book:
    """The merged PDF while its parts are added one after the other: what joins
    them, serialised, and the numbers of the objects written at the end (page tree
    root, structure tree root, the book's ``/Document`` element, outline root)."""

    def __init__(self, writer: PdfWriter, described: bool = True) -> None:
        self.writer = writer
        #: The XMP, ``/Info`` and file ID come from the first part (else: ``describe``).
        self.described = described
        self.pages_root, self.struct_root, self.document = (writer.reserve() for _ in range(3))
        self.outlines_root: int | None = None
        self.pages: list[bytes] = []
        self.part_starts: list[int] = []
        self.part_pages: list[int] = []
        self.next_key = 0
        #: (key, value) of the parent tree; the kids of the book's document element.
        self.parent_tree: list[tuple[int, bytes]] = []
        self.kids: list[bytes] = []
        self.document_entries: bytes | None = None
        self.maps: dict[str, dict[str, bytes]] = {"/RoleMap": {}, "/ClassMap": {}}
        self.ids: list[tuple[str, bytes]] = []
        self.dests: dict[str, bytes] = {}
        self.duplicates: set[str] = set()
        self.linked: set[str] = set()
        #: Top-level bookmarks: (number, serialised without /Prev and /Next, count).
        self.outlines: list[tuple[int, bytes, int]] = []
        self.catalog: dict[str, bytes] = {}
        self.info: int | None = None
        self.first_id: bytes | None = None

    def add_part(self, source: pikepdf.Pdf, index: int, blank: bool,
                 foreign_link: str | None, templates: Templates | None = None) -> None:
        """Write the part ``source`` (``index`` in the book): its pages after a blank
        one if ``blank``; prepared here unless ``foreign_link`` is None (done before
        by ``prepare_part``); its objects from its ``templates`` if it has them."""
        if "/StructTreeRoot" not in source.Root:
            raise MergeError(f"part {index + 1} is not tagged (no /StructTreeRoot)")
        if len(source.pages) == 0:
            raise MergeError(f"part {index + 1} has no pages")
        if blank:
            self.pages.append(self._blank_page(source.pages[0], self.next_key))
            self.parent_tree.append((self.next_key, b"[ ]"))
            self.next_key += 1
        offset = self.next_key
        self.next_key += _shift_struct_parents(source, offset, templates)
        if foreign_link is not None:
            _unique_struct_ids(source, str(index + 1))
            _foreign_links_to_dests(source, foreign_link)
            _retag_font_subsets(source, str(index + 1))
        root, tree = source.Root, source.Root.StructTreeRoot
        if any(page.obj.get("/Parent") is None or page.obj.Parent.objgen != root.Pages.objgen
               for page in source.pages):
            raise MergeError(f"part {index + 1} has a nested page tree")
        redirect = {root.Pages.objgen: self.pages_root, tree.objgen: self.struct_root}
        documents = [element for element in _as_list(tree.get("/K"))
                     if isinstance(element, Dictionary) and element.get("/S") == Name.Document]
        redirect.update((element.objgen, self.document) for element in documents
                        if element.is_indirect)
        if "/Outlines" in root and root.Outlines.is_indirect:
            if self.outlines_root is None:
                self.outlines_root = self.writer.reserve()
            redirect[root.Outlines.objgen] = self.outlines_root
        part = Renumbered(source, self.writer, redirect, templates, offset)

        self.part_starts.append(len(self.pages))
        self.part_pages.append(len(source.pages))
        self.pages.extend(part.ref(page.obj) for page in source.pages)
        for page in source.pages:
            for annotation in page.obj.get("/Annots", []):
                if isinstance(annotation.get("/Dest"), String):
                    self.linked.add(str(annotation.Dest))
        self._add_structure(part, tree, offset)
        for name, value in _name_tree_items(source):
            if name in self.dests:
                self.duplicates.add(name)
            else:
                self.dests[name] = part.ref(value)
        if "/Outlines" in root:
            for item in _outline_items(root.Outlines):
                for key in ("/Prev", "/Next"):
                    if key in item:
                        del item[key]
                self.outlines.append((part.number(item.objgen, write=False),
                                      part.serialise(item),
                                      1 + max(int(item.get("/Count", 0)), 0)))
        if index == 0:
            for key in CATALOG_KEYS:
                if key in root and (self.described or key != "/Metadata"):
                    self.catalog[key] = part.ref(root[key])
            if self.described:
                self._describe(part)
        part.drain()

    def describe(self, carrier: pikepdf.Pdf) -> None:
        """XMP metadata, ``/Info`` and file ID from ``carrier`` instead of the first part."""
        part = Renumbered(carrier, self.writer)
        if "/Metadata" in carrier.Root:
            self.catalog["/Metadata"] = part.ref(carrier.Root.Metadata)
        self._describe(part)
        part.drain()

    def _describe(self, part: Renumbered) -> None:
        trailer = part.pdf.trailer
        if "/Info" in trailer:
            info = trailer.Info
            if info.is_indirect:
                self.info = part.number(info.objgen)
            else:
                self.info = self.writer.reserve()
                self.writer.write(self.info, part.serialise(info))
        if "/ID" in trailer:
            self.first_id = bytes(trailer.ID[0])

    def _add_structure(self, part: Renumbered, tree, offset: int) -> None:
        """The part's parent-tree entries (keys shifted by ``offset``), its document
        element's kids, role and class maps, ID tree."""
        for key, value in NumberTree(tree.ParentTree).items():
            self.parent_tree.append((int(key) + offset, part.ref(value)))
        for element in _as_list(tree.get("/K")):
            if isinstance(element, Dictionary) and element.get("/S") == Name.Document:
                self.kids.extend(part.ref(kid) for kid in _as_list(element.get("/K")))
                if self.document_entries is None:  # the book's takes the first part's
                    self.document_entries = part.serialise(Dictionary(
                        {key: element[key] for key in element.keys()
                         if key not in ("/K", "/P")}))
            else:
                self.kids.append(part.ref(element))
        for map_key, joined in self.maps.items():
            for name, value in (tree.get(map_key) or Dictionary()).items():
                if name not in joined:
                    joined[name] = part.ref(value)
        if "/IDTree" in tree:  # WeasyPrint 70 writes none; IDs made unique before
            self.ids.extend((key, part.ref(value))
                            for key, value in NameTree(tree.IDTree).items())

    def _blank_page(self, like: pikepdf.Page, key: int) -> bytes:
        """An empty page of the size of ``like``, as WeasyPrint lays out a blank page
        whose margin boxes say nothing (CSS ``:blank``): no content, no marked
        content; parent-tree key ``key``."""
        contents, page = self.writer.reserve(), self.writer.reserve()
        self.writer.write_stream(contents, b"<< >>", b"")
        boxes = b"".join(b" %s %s" % (box.encode(), like.obj[box].unparse())
                         for box in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox")
                         if box in like.obj)
        self.writer.write(page, b"<< /Type /Page /Parent %d 0 R /Resources << >> /Tabs /S"
                          b" /StructParents %d /Contents %d 0 R%s >>"
                          % (self.pages_root, key, contents, boxes))
        return b"%d 0 R" % page

    def close(self, labels: Sequence[Run]) -> None:
        """Write what joins the parts, the catalogue and the trailer."""
        write, reserve = self.writer.write, self.writer.reserve
        write(self.pages_root, b"<< /Type /Pages /Count %d /Kids [ %s ] >>"
              % (len(self.pages), b" ".join(self.pages)))
        entries = self.document_entries or b"<< /S /Document /Type /StructElem >>"
        write(self.document, b"%s /K [ %s ] /P %d 0 R >>"
              % (entries[:-2].rstrip(), b" ".join(self.kids), self.struct_root))
        struct = [b"/Type /StructTreeRoot /K [ %d 0 R ]" % self.document,
                  b"/ParentTree %d 0 R" % self._tree(sorted(self.parent_tree), b"/Nums"),
                  b"/ParentTreeNextKey %d" % self.next_key]
        for map_key, joined in self.maps.items():
            if joined:
                struct.append(b"%s << %s >>" % (map_key.encode(), b" ".join(
                    Name(name).unparse() + b" " + value for name, value in joined.items())))
        if self.ids:
            struct.append(b"/IDTree %d 0 R" % self._tree(
                [(String(key).unparse(), value) for key, value in sorted(self.ids)], b"/Names"))
        write(self.struct_root, b"<< %s >>" % b" ".join(struct))
        catalog = [b"/Type /Catalog /Pages %d 0 R /StructTreeRoot %d 0 R"
                   % (self.pages_root, self.struct_root)]
        if self.dests:  # sorted, as qpdf keeps a name tree
            catalog.append(b"/Names << /Dests %d 0 R >>" % self._tree(
                [(String(name).unparse(), self.dests[name]) for name in sorted(self.dests)],
                b"/Names"))
        if self.outlines_root is not None:
            self._write_outlines()
            catalog.append(b"/Outlines %d 0 R" % self.outlines_root)
        catalog.append(b"/PageLabels << /Nums [ %s ] >>" % b" ".join(
            b"%d << /S /%s%s >>" % (run.start, run.style.encode(),
                                    b"" if run.first == 1 else b" /St %d" % run.first)
            for run in labels))
        catalog.extend(key.encode() + b" " + value for key, value in self.catalog.items())
        root = reserve()
        write(root, b"<< %s >>" % b" ".join(catalog))
        self.writer.close(root, self.info, self.first_id)

    def _write_outlines(self) -> None:
        items, count = self.outlines, sum(count for _, _, count in self.outlines)
        for position, (number, body, _) in enumerate(items):
            links = b""
            if position > 0:
                links += b" /Prev %d 0 R" % items[position - 1][0]
            if position + 1 < len(items):
                links += b" /Next %d 0 R" % items[position + 1][0]
            self.writer.write(number, body[:-2].rstrip() + links + b" >>")
        assert self.outlines_root is not None
        if items:
            self.writer.write(self.outlines_root, b"<< /Type /Outlines /First %d 0 R"
                              b" /Last %d 0 R /Count %d >>" % (items[0][0], items[-1][0], count))
        else:
            self.writer.write(self.outlines_root, b"<< /Type /Outlines /Count 0 >>")

    def _tree(self, entries: list[tuple], kind: bytes) -> int:
        """A number tree (``kind`` ``/Nums``) or name tree (``/Names``) of ``entries``
        (key, serialised value), sorted: leaves of ``TREE_LEAF`` entries under one
        root. Return the root's number."""
        def key_bytes(key) -> bytes:
            return b"%d" % key if isinstance(key, int) else key

        def flat(chunk) -> bytes:
            return b" ".join(key_bytes(key) + b" " + value for key, value in chunk)

        root = self.writer.reserve()
        if len(entries) <= TREE_LEAF:
            self.writer.write(root, b"<< %s [ %s ] >>" % (kind, flat(entries)))
            return root
        leaves = []
        for start in range(0, len(entries), TREE_LEAF):
            chunk = entries[start:start + TREE_LEAF]
            leaf = self.writer.reserve()
            self.writer.write(leaf, b"<< /Limits [ %s %s ] %s [ %s ] >>" % (
                key_bytes(chunk[0][0]), key_bytes(chunk[-1][0]), kind, flat(chunk)))
            leaves.append(b"%d 0 R" % leaf)
        self.writer.write(root, b"<< /Kids [ %s ] >>" % b" ".join(leaves))
        return root


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, Array) else [value]


def _save(pdf: pikepdf.Pdf, target: Path, version: str) -> None:
    """Write ``pdf`` the same way every time: a file ID from the content (the first
    half kept from the parts: WeasyPrint's stable book ID), object streams, no
    linearisation, no time stamps (qpdf adds none), and the parts' PDF version
    (PDF/UA-1 is PDF 1.7; qpdf alone would write 1.5, the least it needs)."""
    # Object streams need PDF 1.5: a PDF/X-1a (PDF 1.4) is written without them.
    streams = tuple(map(int, version.split("."))) >= (1, 5)
    pdf.save(target, deterministic_id=True, linearize=False, static_id=False,
             min_version=version,
             object_stream_mode=pikepdf.ObjectStreamMode.generate if streams
             else pikepdf.ObjectStreamMode.disable,
             compress_streams=True, qdf=False, fix_metadata_version=False)
