"""Merge the parts of a book laid out separately by WeasyPrint 70 (tagged PDF/UA-1)
into one PDF, as if the book had been laid out in one go.

A long book is laid out in parts (runs of whole chapters), one worker process per
part; each part is a complete WeasyPrint PDF. ``merge_parts`` joins them with
pikepdf (qpdf) and keeps what the one-process PDF has:

- pages in order, each with its own resources (fonts, images, colour spaces stay
  per part: every part embeds its own font subsets, renamed so that no two
  different subsets share a subset tag);
- one structure tree: the kids of every part's ``/Document`` element under one
  ``/Document`` element, the parent trees joined into one number tree with the
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
import warnings
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree, String

from .numbering import ARABIC, Run, joined

#: The part's HTML links to an anchor of another part as ``FOREIGN_LINK + id``
#: (``id`` percent-encoded); the merge makes it a link to the named destination.
#: Under the print HTML's base URL (``folio.formats.pdf.BASE_URL``), never fetched.
FOREIGN_LINK = "https://book.folio.invalid/.folio-anchor#"
#: A prepared part's catalogue entry listing what the merge changes in it
#: (``prepare_part``): ``/Keyed``, the objects that hold parent-tree keys, and
#: ``/UnderDocument``, the structure elements whose parent is the part's document
#: element. The merge reads these few objects instead of going through all of
#: them (two passes over every object of every part: 0.17 of the 150-page book's
#: 0.35 s merge); the entry does not go into the merged PDF.
MERGE_INDEX = "/FolioMergeIndex"

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


@dataclasses.dataclass(frozen=True)
class Pagination:
    """Where the parts' pages stand in the merged PDF, known before it is merged."""

    #: Pages of the merged PDF.
    pages: int
    #: Index in the merged PDF of each part's first page.
    part_starts: list[int]
    #: The page labels (``numbering.Run``).
    labels: list[Run]


def paginate(part_pages: Sequence[int], blank_before: Sequence[bool],
             first_numbers: Sequence[int] | None = None,
             styles: Sequence[str] | None = None) -> Pagination:
    """The pages of the parts (``part_pages`` each, a blank page before those of
    ``blank_before``) one after the other, labelled as ``merge_parts`` labels them."""
    starts, page = [], 0
    for count, blank in zip(part_pages, blank_before, strict=True):
        page += bool(blank)
        starts.append(page)
        page += count
    if first_numbers is None:
        first_numbers = [start + 1 for start in starts]
    return Pagination(page, starts, _page_labels(
        first_numbers, styles or [ARABIC] * len(starts), part_pages, blank_before))


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


def _copy(merged: pikepdf.Pdf, source: pikepdf.Pdf, obj):
    """``obj`` of ``source`` copied into ``merged``: scalars as they are, direct
    dictionaries and arrays made indirect first (qpdf copies only indirect ones)."""
    if obj.is_indirect:
        return merged.copy_foreign(obj)
    if isinstance(obj, (Dictionary, Array, pikepdf.Stream)):
        return merged.copy_foreign(source.make_indirect(obj))
    return obj


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


def _shift_struct_parents(pdf: pikepdf.Pdf, offset: int) -> int:
    """Shift every parent-tree key of ``pdf`` by ``offset``: pages' and XObjects'
    ``/StructParents``, annotations' ``/StructParent``. Return the part's number of
    keys (its largest key + 1, at least its ``/ParentTreeNextKey``)."""
    tree = pdf.Root.StructTreeRoot
    keys = [int(key) for key, _ in NumberTree(tree.ParentTree).items()]
    size = max(keys, default=-1) + 1
    size = max(size, int(tree.get("/ParentTreeNextKey", 0)))
    if offset:
        for obj in _keyed(pdf):
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
    return [obj for obj in pdf.objects if isinstance(obj, (Dictionary, pikepdf.Stream))
            and ("/StructParents" in obj or "/StructParent" in obj)]


def _index_for_merge(pdf: pikepdf.Pdf) -> None:
    """Write the part's ``MERGE_INDEX`` (one pass over its objects, in the worker
    that laid it out)."""
    tree = pdf.Root.StructTreeRoot
    documents = {kid.objgen for kid in _as_list(tree.get("/K"))
                 if isinstance(kid, Dictionary) and kid.get("/S") == Name.Document}
    keyed, under = Array(), Array()
    for obj in pdf.objects:
        if not isinstance(obj, (Dictionary, pikepdf.Stream)):
            continue
        if "/StructParents" in obj or "/StructParent" in obj:
            keyed.append(obj)
        if _is_struct_element(obj):
            parent = obj.get("/P")
            if parent.is_indirect and parent.objgen in documents:
                under.append(obj)
    pdf.Root[MERGE_INDEX] = Dictionary(Keyed=keyed, UnderDocument=under)


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


def _page_labels(first_numbers: Sequence[int], styles: Sequence[str],
                 part_pages: Sequence[int], blank_before: Sequence[bool]) -> list[Run]:
    """The runs of page labels of the merged pages: each part's pages from its first
    number in its style; a blank page inserted before a part goes on with the
    numbering of the part before it (the last page of the front matter, in roman,
    before the first chapter)."""
    pages: list[tuple[str, int]] = []
    for number, style, count, blank in zip(first_numbers, styles, part_pages, blank_before,
                                           strict=True):
        if blank:
            pages.append((pages[-1][0], pages[-1][1] + 1) if pages else (style, number - 1))
        pages.extend((style, number + offset) for offset in range(count))
    return joined(pages)


def _blank_page(pdf: pikepdf.Pdf, like: pikepdf.Page, key: int) -> pikepdf.Dictionary:
    """An empty page of the size of ``like``, as WeasyPrint lays out a blank page
    whose margin boxes say nothing (CSS ``:blank``): no content, no marked content.
    It has parent-tree key ``key`` (an empty array there)."""
    page = Dictionary(Type=Name.Page, Resources=Dictionary(), Tabs=Name.S,
                      StructParents=key,
                      Contents=pdf.make_stream(b""))
    for box in ("/MediaBox", "/TrimBox", "/BleedBox", "/CropBox"):
        if box in like.obj:
            page[box] = Array(list(like.obj[box]))
    return pdf.make_indirect(page)


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


def merge_parts(parts: Sequence[Path], target: Path, *,
                first_numbers: Sequence[int] | None = None,
                blank_before: Sequence[bool] | None = None,
                label_styles: Sequence[str] | None = None,
                foreign_link: str = FOREIGN_LINK,
                metadata: Path | None = None, prepared: bool = False) -> MergeResult:
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
    sources = [pikepdf.open(path) for path in parts]
    carrier = pikepdf.open(metadata) if metadata is not None else None
    try:
        return _merge(sources, Path(target), first_numbers, blank_before, styles,
                      None if prepared else foreign_link, carrier)
    finally:
        for source in [*sources, *([carrier] if carrier is not None else [])]:
            source.close()


def _merge(sources: list[pikepdf.Pdf], target: Path, first_numbers, blank_before, styles,
           foreign_link: str | None, carrier: pikepdf.Pdf | None = None) -> MergeResult:
    """``merge_parts``; the parts already prepared (``prepare_part``) when
    ``foreign_link`` is None."""
    merged = pikepdf.Pdf.new()
    first = sources[0]
    described = carrier if carrier is not None else first
    for index, source in enumerate(sources):
        if "/StructTreeRoot" not in source.Root:
            raise MergeError(f"part {index + 1} is not tagged (no /StructTreeRoot)")
        if len(source.pages) == 0:
            raise MergeError(f"part {index + 1} has no pages")

    # 1. Prepare every part in memory: parent-tree keys shifted past the parts
    #    before it (and past the key of a blank page inserted before it); unless
    #    done before (``prepare_part``), IDs made unique, foreign links made
    #    named-destination links, font subsets retagged.
    offsets, blank_keys, next_key = [], [], 0
    for index, source in enumerate(sources):
        blank_keys.append(next_key if blank_before[index] else None)
        next_key += bool(blank_before[index])
        offsets.append(next_key)
        next_key += _shift_struct_parents(source, next_key)
        if foreign_link is not None:
            _unique_struct_ids(source, str(index + 1))
            _foreign_links_to_dests(source, foreign_link)
            _retag_font_subsets(source, str(index + 1))

    # 2. Pages first, then everything that refers to them: qpdf maps a reference
    #    to a page already copied from the same source to its copy.
    part_starts, part_pages = [], []
    for index, source in enumerate(sources):
        if blank_before[index]:
            merged.pages.append(pikepdf.Page(
                _blank_page(merged, source.pages[0], blank_keys[index])))
        part_starts.append(len(merged.pages))
        part_pages.append(len(source.pages))
        with warnings.catch_warnings():
            # pikepdf warns that named destinations are not copied: step 5 does it.
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
            merged.pages.extend(source.pages)

    # 3. Catalogue entries of the whole book from the first part; its XMP, Info and
    #    file ID from the page laid out for them (``metadata``), else from the first
    #    part. The first half of the file ID is WeasyPrint's stable one (the book's
    #    identifier and date); qpdf computes the second from the content.
    for key in CATALOG_KEYS:
        source = described if key == "/Metadata" else first
        if key in source.Root:
            merged.Root[key] = _copy(merged, source, source.Root[key])
    if "/Info" in described.trailer:
        merged.trailer.Info = _copy(merged, described, described.trailer.Info)
    if "/ID" in described.trailer:
        merged.trailer.ID = Array([String(bytes(part)) for part in described.trailer.ID])

    _join_structure(merged, sources, offsets, blank_keys, next_key)  # 4.
    unresolved, duplicates = _join_destinations(merged, sources)  # 5.
    _join_outlines(merged, sources)  # 6.
    # 7. Page labels: from each part's first printed number, in its style; a blank
    #    page inserted before a part goes on with the part before.
    pagination = paginate(part_pages, blank_before, first_numbers, styles)
    assert pagination.part_starts == part_starts and pagination.pages == len(merged.pages)
    labels = pagination.labels
    write_page_labels(merged, labels)

    _save(merged, target, max((source.pdf_version for source in sources),
                              key=lambda v: tuple(map(int, v.split(".")))))
    return MergeResult(pages=len(merged.pages), part_pages=part_pages,
                       part_starts=part_starts, unresolved_links=unresolved,
                       duplicate_anchors=duplicates, labels=labels)


def write_page_labels(pdf: pikepdf.Pdf, runs: Sequence[Run]) -> None:
    """``/PageLabels`` of ``pdf`` from ``runs`` (``numbering.Run``)."""
    labels = NumberTree.new(pdf)
    for run in runs:
        labels[run.start] = Dictionary(S=Name(f"/{run.style}")) if run.first == 1 else \
            Dictionary(S=Name(f"/{run.style}"), St=run.first)
    pdf.Root.PageLabels = labels.obj


def _join_structure(merged: pikepdf.Pdf, sources: list[pikepdf.Pdf], offsets: list[int],
                    blank_keys: list[int | None], next_key: int) -> None:
    """One structure tree for ``merged``: one ``/Document`` element holding the
    kids of every part's, one parent tree (keys already shifted by ``offsets``),
    the role maps, class maps and ID trees joined (the first part's entry wins)."""
    struct_root = merged.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    merged.Root.StructTreeRoot = struct_root
    parent_tree = NumberTree.new(merged)
    document = None
    part_documents: set = set()
    kids = Array()
    maps: dict[str, Dictionary] = {"/RoleMap": Dictionary(), "/ClassMap": Dictionary()}
    ids: list[tuple[str, pikepdf.Object]] = []
    for index, source in enumerate(sources):
        tree = source.Root.StructTreeRoot
        for key, value in NumberTree(tree.ParentTree).items():
            parent_tree[int(key) + offsets[index]] = _copy(merged, source, value)
        if blank_keys[index] is not None:
            parent_tree[blank_keys[index]] = merged.make_indirect(Array())
        for element in _as_list(tree.get("/K")):
            copied = _copy(merged, source, element)
            if copied.get("/S") == Name.Document:
                # The part's document element: its kids go under the book's one.
                part_documents.add(copied.objgen)
                document = document if document is not None else copied
                kids.extend(_as_list(copied.get("/K")))
            else:
                kids.append(copied)
        for map_key, joined in maps.items():
            for name, value in (tree.get(map_key) or Dictionary()).items():
                if name not in joined:
                    joined[name] = _copy(merged, source, value)
        if "/IDTree" in tree:  # WeasyPrint 70 writes none; IDs renamed as in step 1
            ids.extend((key, _copy(merged, source, value))
                       for key, value in NameTree(tree.IDTree).items())
    if document is None:
        document = merged.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document))
    document.K = kids
    document.P = struct_root
    struct_root.K = Array([document])
    struct_root.ParentTree = parent_tree.obj
    struct_root.ParentTreeNextKey = next_key
    for map_key, joined in maps.items():
        if len(joined):
            struct_root[map_key] = joined
    if ids:
        id_tree = NameTree.new(merged)
        for key, value in sorted(ids):
            id_tree[key] = value
        struct_root.IDTree = id_tree.obj
    _reparent(merged, sources, document, part_documents)


def _join_destinations(merged: pikepdf.Pdf, sources: list[pikepdf.Pdf]
                       ) -> tuple[list[str], list[str]]:
    """One ``/Names /Dests`` name tree; return the names that links point to but
    no part defines, and the names that more than one part defines (the first
    part's destination is kept, as WeasyPrint keeps the first of two anchors)."""
    dests: dict[str, pikepdf.Object] = {}
    duplicates = set()
    for source in sources:
        for name, value in _name_tree_items(source):
            if name in dests:
                duplicates.add(name)
            else:
                dests[name] = _copy(merged, source, value)
    linked = {str(annotation.Dest) for page in merged.pages
              for annotation in page.obj.get("/Annots", [])
              if isinstance(annotation.get("/Dest"), String)}
    if dests:
        tree = NameTree.new(merged)
        for name in sorted(dests):  # qpdf keeps the tree sorted; this keeps it stable
            tree[name] = dests[name]
        merged.Root.Names = Dictionary(Dests=tree.obj)
    return sorted(linked - set(dests)), sorted(duplicates)


def _join_outlines(merged: pikepdf.Pdf, sources: list[pikepdf.Pdf]) -> None:
    """The parts' top-level bookmarks one after the other under one ``/Outlines``
    (each part starts with a chapter, so its items are chapters or come below
    one; their destinations already point at the merged pages)."""
    items = [_copy(merged, source, item) for source in sources
             if "/Outlines" in source.Root for item in _outline_items(source.Root.Outlines)]
    if not items:
        return
    outlines = merged.make_indirect(Dictionary(Type=Name.Outlines))
    count = 0
    for position, item in enumerate(items):
        item.Parent = outlines
        for key, neighbour in (("/Prev", position - 1), ("/Next", position + 1)):
            if 0 <= neighbour < len(items):
                item[key] = items[neighbour]
            elif key in item:
                del item[key]
        count += 1 + max(int(item.get("/Count", 0)), 0)  # open items below it
    outlines.First, outlines.Last, outlines.Count = items[0], items[-1], count
    merged.Root.Outlines = outlines


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, Array) else [value]


def _reparent(merged: pikepdf.Pdf, sources: list[pikepdf.Pdf], document,
              part_documents: set) -> None:
    """Make every structure element whose parent was a part's document element a
    child of the book's one: its kids, and also the elements that only the parent
    tree reaches (WeasyPrint's running heads and page numbers). The parts' own
    lists (``MERGE_INDEX``) name them: their copies (qpdf gives back the copy it
    made of an object already copied) are changed; without them, every structure
    element of the merged PDF is looked at."""
    if all(MERGE_INDEX in source.Root for source in sources):
        elements = [merged.copy_foreign(element) for source in sources
                    for element in source.Root[MERGE_INDEX].UnderDocument]
    else:
        elements = _struct_elements(merged)
    for element in elements:
        parent = element.get("/P")
        if parent.is_indirect and parent.objgen in part_documents \
                and element.objgen != document.objgen:
            element.P = document


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
