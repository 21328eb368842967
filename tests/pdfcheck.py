"""Check a merged PDF against the one-process PDF of the same book.

    python verify.py SINGLE.pdf MERGED.pdf [--json]

Every check prints PASS or FAIL and what it compared; the exit status is 1 if
any check failed. Tools: pikepdf (structure), poppler's pdftotext, pdfinfo and
pdffonts (what a reader's software sees).
"""

from __future__ import annotations

import collections
import re
import json
import subprocess
import sys
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, NameTree, NumberTree


def _run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


# --- readers -------------------------------------------------------------------------


def page_texts(path: Path) -> list[str]:
    """The text of each page, as pdftotext reads it (one run, pages split at form feeds)."""
    text = _run("pdftotext", "-layout", "-enc", "UTF-8", str(path), "-")
    return text.split("\f")[:-1]


def words_on_top_of_words(path: Path) -> list[tuple[int, str, str]]:
    """Per page (from 1), the words that stand on other words or reach past the
    paper, as poppler's ``pdftotext -bbox`` boxes them: (page, word, the word under
    it, or "off the page"). A note that overflowed its page would print over the
    text and off the paper."""
    found = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>",
                                             _run("pdftotext", "-bbox", str(path), "-"),
                                             flags=re.S), 1):
        width, height = (float(v) for v in re.search(
            r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        words = sorted((float(a), float(b), float(c), float(d), w) for a, b, c, d, w in
                       re.findall(r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" '
                                  r'xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>', page))
        words.sort(key=lambda word: word[1])
        for index, (x0, y0, x1, y1, text) in enumerate(words):
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                found.append((number, text, "off the page"))
            for other in words[index + 1:]:
                if other[1] >= y1:  # sorted by top: none further down overlaps
                    break
                # Boxes overlapping across and over half the height of the lower
                # one (a glyph's box is taller than a tightly leaded line).
                if min(x1, other[2]) - max(x0, other[0]) > 0.5 and \
                        min(y1, other[3]) - max(y0, other[1]) > 0.5 * min(
                            y1 - y0, other[3] - other[1]):
                    found.append((number, text, other[4]))
    return found


def pdfinfo(path: Path) -> dict[str, str]:
    return dict(line.split(":", 1) for line in _run("pdfinfo", str(path)).splitlines()
                if ":" in line)


def fonts(path: Path) -> list[dict]:
    lines = _run("pdffonts", str(path)).splitlines()[2:]
    out = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni object ID
        out.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return out


def _page_index(pdf: pikepdf.Pdf) -> dict:
    return {page.objgen: i for i, page in enumerate(pdf.pages)}


def named_dests(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return {}
    return {str(k): v for k, v in NameTree(names.Dests).items()}


def _dest_page(dest, dests: dict, pages: dict):
    if isinstance(dest, (pikepdf.String, str)):
        dest = dests.get(str(dest))
        if dest is None:
            return None
    if isinstance(dest, Dictionary):
        dest = dest.get("/D")
    if isinstance(dest, Array) and len(dest):
        return pages.get(dest[0].objgen)
    return None


def bookmarks(pdf: pikepdf.Pdf) -> list[tuple[int, str, int | None]]:
    """(depth, title, target page index) of every outline item, in order."""
    pages, dests, out = _page_index(pdf), named_dests(pdf), []

    def walk(item, depth):
        seen = set()
        while item is not None and item.objgen not in seen:
            seen.add(item.objgen)
            target = item.get("/Dest")
            if target is None and "/A" in item:
                target = item.A.get("/D")
            out.append((depth, str(item.get("/Title", "")), _dest_page(target, dests, pages)))
            walk(item.get("/First"), depth + 1)
            item = item.get("/Next")

    if "/Outlines" in pdf.Root:
        walk(pdf.Root.Outlines.get("/First"), 0)
    return out


def _roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"),
                           (5, "v"), (4, "iv"), (1, "i")):
        count, number = divmod(number, value)
        out += letters * count
    return out


def page_labels(pdf: pikepdf.Pdf) -> list[str] | None:
    """The label of every page (decimal and lower-case roman labels), or None
    without /PageLabels."""
    if "/PageLabels" not in pdf.Root:
        return None
    runs = sorted((int(k), v) for k, v in NumberTree(pdf.Root.PageLabels).items())
    labels = []
    for index in range(len(pdf.pages)):
        start, label = max((r for r in runs if r[0] <= index), key=lambda r: r[0])
        number = int(label.get("/St", 1)) + index - start
        style = label.get("/S")
        prefix = str(label.get("/P", ""))
        labels.append(prefix + (str(number) if style == Name.D else _roman(number)
                                if style == Name.r else f"?{style}{number}"))
    return labels


def links(pdf: pikepdf.Pdf) -> list[list[tuple]]:
    """Per page: (rectangle, kind, target) of each link; internal targets as the page
    index they land on."""
    pages, dests, out = _page_index(pdf), named_dests(pdf), []
    for page in pdf.pages:
        items = []
        for annotation in page.obj.get("/Annots", []):
            if annotation.get("/Subtype") != Name.Link:
                continue
            rect = tuple(round(float(x), 2) for x in annotation.Rect)
            if "/Dest" in annotation:
                items.append((rect, "page", _dest_page(annotation.Dest, dests, pages),
                              str(annotation.get("/Contents", ""))))
            elif annotation.get("/A", {}).get("/S") == Name.GoTo:
                items.append((rect, "page", _dest_page(annotation.A.D, dests, pages),
                              str(annotation.get("/Contents", ""))))
            elif annotation.get("/A", {}).get("/S") == Name.URI:
                items.append((rect, "uri", str(annotation.A.URI),
                              str(annotation.get("/Contents", ""))))
            else:
                items.append((rect, "other", None, ""))
        out.append(items)
    return out


def _page_chars(path: Path):
    """Per page, pdfminer's characters (with their boxes)."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTChar

    for layout in extract_pages(str(path)):
        found, stack = [], [layout]
        while stack:
            item = stack.pop()
            if isinstance(item, LTChar):
                found.append(item)
            elif hasattr(item, "__iter__"):
                stack.extend(item)
        yield found


def page_references(path: Path) -> list[tuple[int, str, str, str]]:
    """Every link inside the PDF whose text ends in a page number (a contents entry,
    a cross-reference's "(p. 12)"): (page from 1, its text, the number it shows, the
    label of the page it leads to). A link broken over lines is one link (its
    rectangles, which name one destination, are read together)."""
    with pikepdf.open(path) as pdf:
        per_page, labels = links(pdf), page_labels(pdf) or []
    found = []
    for number, (items, chars) in enumerate(zip(per_page, _page_chars(path)), 1):
        groups: list[tuple] = []
        for rect, kind, target, name in items:
            if kind != "page" or target is None:
                continue
            if groups and groups[-1][:2] == (target, name):
                groups[-1][2].append(rect)
            else:
                groups.append((target, name, [rect]))
        for target, _name, rects in groups:
            boxes = [(*sorted(r[0::2]), *sorted(r[1::2])) for r in rects]
            inside = [c for c in chars if any(
                x0 - 0.5 <= (c.x0 + c.x1) / 2 <= x1 + 0.5
                and y0 - 0.5 <= (c.y0 + c.y1) / 2 <= y1 + 0.5 for x0, x1, y0, y1 in boxes)]
            inside.sort(key=lambda c: (-round(c.y0), c.x0))
            text = "".join(c.get_text() for c in inside)
            shown = re.search(r"(\d+|\b[ivxlc]+)\)?\s*$", text)
            if shown:
                label = labels[target] if target < len(labels) else str(target + 1)
                found.append((number, " ".join(text.split()), shown.group(1), label))
    return found


def marked_content(page: pikepdf.Page) -> list[int]:
    """The MCIDs of the marked-content sequences on ``page`` (page content only)."""
    mcids = []
    for operands, operator in pikepdf.parse_content_stream(page):
        if str(operator) == "BDC" and len(operands) == 2 and isinstance(operands[1],
                                                                         Dictionary):
            if "/MCID" in operands[1]:
                mcids.append(int(operands[1].MCID))
    return mcids


def structure(pdf: pikepdf.Pdf) -> dict:
    """The structure tree read three ways: from the root (document order), from the
    parent tree, and per page's marked content; and what does not add up."""
    problems: list[str] = []
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return {"problems": ["no /StructTreeRoot"]}
    pages = _page_index(pdf)
    tree = {int(k): v for k, v in NumberTree(root.ParentTree).items()}
    # Who references which MCID (page index, mcid) from the root down.
    refs: collections.Counter = collections.Counter()
    types: list[str] = []
    reached: set = set()
    top = root.K if isinstance(root.K, Array) else Array([root.K])
    documents = [k for k in top if isinstance(k, Dictionary) and k.get("/S") == Name.Document]
    stack = [(k, None) for k in reversed(list(top))]
    while stack:
        node, page = stack.pop()
        if isinstance(node, int):
            refs[(page, int(node))] += 1
            continue
        if not isinstance(node, Dictionary):
            continue
        kind = node.get("/Type")
        if kind == Name.MCR:
            refs[(pages.get(node.get("/Pg", Dictionary()).objgen, page),
                  int(node.MCID))] += 1
            continue
        if kind == Name.OBJR:
            continue
        if node.objgen in reached:
            problems.append("a structure element is reached twice")
            continue
        reached.add(node.objgen)
        types.append(str(node.get("/S")))
        own_page = pages.get(node["/Pg"].objgen) if "/Pg" in node else page
        kids = node.get("/K")
        kids = list(kids) if isinstance(kids, Array) else ([] if kids is None else [kids])
        stack.extend((kid, own_page) for kid in reversed(kids))
    # Parent tree against the pages and annotations.
    page_keys, annot_keys = {}, {}
    mcids_on_page: dict[int, list[int]] = {}
    orphan_mcids = 0
    for index, page in enumerate(pdf.pages):
        if "/StructParents" not in page.obj:
            problems.append(f"page {index + 1} has no /StructParents")
            continue
        key = int(page.obj.StructParents)
        page_keys[key] = index
        mcids = marked_content(page)
        mcids_on_page[index] = mcids
        entry = tree.get(key)
        if entry is None:
            problems.append(f"page {index + 1}: /StructParents {key} not in the parent tree")
            continue
        for mcid in mcids:
            if mcid >= len(entry) or not isinstance(entry[mcid], Dictionary):
                problems.append(f"page {index + 1}: MCID {mcid} not in the parent tree")
                continue
            element = entry[mcid]
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, Array) else [kids]
            if not any((isinstance(k, int) and int(k) == mcid) or
                       (isinstance(k, Dictionary) and k.get("/Type") == Name.MCR
                        and int(k.MCID) == mcid) for k in kids):
                problems.append(f"page {index + 1}: MCID {mcid}'s element does not hold it")
            refs_here = refs[(index, mcid)]
            if refs_here == 0:
                orphan_mcids += 1  # only the parent tree reaches it (running heads)
            elif refs_here > 1:
                problems.append(f"page {index + 1}: MCID {mcid} held by {refs_here} elements")
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" not in annotation:
                problems.append(f"page {index + 1}: annotation without /StructParent")
                continue
            key = int(annotation.StructParent)
            element = tree.get(key)
            if key in page_keys or key in annot_keys:
                problems.append(f"parent-tree key {key} used twice")
            annot_keys[key] = index
            if not isinstance(element, Dictionary):
                problems.append(f"annotation key {key} not in the parent tree")
                continue
            kids = element.get("/K")
            kids = list(kids) if isinstance(kids, Array) else [kids]
            if not any(isinstance(k, Dictionary) and k.get("/Type") == Name.OBJR
                       and k.Obj.objgen == annotation.objgen for k in kids):
                problems.append(f"annotation key {key}: element has no /OBJR to it")
    # MCIDs referenced from the root but not marked on the page.
    marked = {(p, m) for p, ms in mcids_on_page.items() for m in ms}
    dangling = [r for r in refs if r not in marked]
    if dangling:
        problems.append(f"{len(dangling)} MCIDs in the tree are not on their page")
    unused = sorted(set(tree) - set(page_keys) - set(annot_keys))
    next_key = int(root.get("/ParentTreeNextKey", max(tree, default=-1) + 1))
    if tree and max(tree) >= next_key:
        problems.append(f"/ParentTreeNextKey {next_key} <= largest key {max(tree)}")
    ids = collections.Counter()
    for objgen in reached:
        element = pdf.get_object(objgen)
        if "/ID" in element:
            ids[bytes(element.ID)] += 1
    return {"problems": problems, "types": types, "documents": len(documents),
            "root_kids": len(top), "elements": len(reached),
            "mcids": sum(len(m) for m in mcids_on_page.values()),
            "parent_tree_only_mcids": orphan_mcids, "unused_keys": len(unused),
            "duplicate_ids": sum(1 for n in ids.values() if n > 1)}


def subset_tags(pdf: pikepdf.Pdf) -> list[str]:
    """FontName of every embedded font subset, one per font file."""
    names = []
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and obj.get("/Type") == Name.FontDescriptor:
            names.append(str(obj.FontName))
    return names


# --- the checks ----------------------------------------------------------------------


def verify(single: Path, merged: Path) -> list[tuple[str, bool, str]]:
    results: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        results.append((name, bool(ok), detail))

    a, b = pikepdf.open(single), pikepdf.open(merged)
    check("page count", len(a.pages) == len(b.pages), f"{len(a.pages)} vs {len(b.pages)}")
    ta, tb = page_texts(single), page_texts(merged)
    differ = [i + 1 for i, (x, y) in enumerate(zip(ta, tb, strict=False)) if x != y]
    check("text of every page (pdftotext -layout)", not differ and len(ta) == len(tb),
          f"pages that differ: {differ[:12]}{'...' if len(differ) > 12 else ''}")
    ia, ib = pdfinfo(single), pdfinfo(merged)
    check("pdfinfo Tagged: yes", ib.get("Tagged", "").strip() == "yes",
          ib.get("Tagged", "").strip())
    for key in ("Title", "Author", "Creator", "Producer", "CreationDate", "ModDate",
                "Page size"):
        check(f"pdfinfo {key}", ia.get(key) == ib.get(key),
              f"{(ib.get(key) or '').strip()!r}")
    check("PDF version", a.pdf_version == b.pdf_version, f"{a.pdf_version} vs {b.pdf_version}")
    check("/Lang", str(a.Root.get("/Lang")) == str(b.Root.get("/Lang")) != "None",
          str(b.Root.get("/Lang")))
    check("/MarkInfo /Marked true", bool(b.Root.get("/MarkInfo", {}).get("/Marked")))
    check("/ViewerPreferences /DisplayDocTitle true",
          bool(b.Root.get("/ViewerPreferences", {}).get("/DisplayDocTitle")))
    xa = a.Root.Metadata.read_bytes() if "/Metadata" in a.Root else b""
    xb = b.Root.Metadata.read_bytes() if "/Metadata" in b.Root else b""
    check("XMP metadata the same (pdfuaid:part 1)", xa == xb and b"pdfuaid:part=\"1\"" in xb)
    check("/Info the same", dict(a.docinfo.items()) == dict(b.docinfo.items()))
    check("/Tabs /S on every page", all(p.obj.get("/Tabs") == Name.S for p in b.pages))
    sa, sb = structure(a), structure(b)
    check("one StructTreeRoot, one /Document element", sb["documents"] == 1
          and sb["root_kids"] == 1, f"root kids {sb['root_kids']}")
    check("parent tree covers every page, annotation and MCID; each MCID held by one "
          "element", not sb["problems"], "; ".join(sb["problems"][:5]) or
          f"{sb['mcids']} MCIDs")
    check("same structure (element types in document order)", sa["types"] == sb["types"],
          f"{len(sa['types'])} vs {len(sb['types'])} elements")
    check("same MCIDs reached only through the parent tree (running heads)",
          sa["parent_tree_only_mcids"] == sb["parent_tree_only_mcids"],
          f"{sa['parent_tree_only_mcids']} vs {sb['parent_tree_only_mcids']}")
    check("structure element IDs unique", sb["duplicate_ids"] == 0)
    ba, bb = bookmarks(a), bookmarks(b)
    check("bookmarks: same titles, depths and target pages", ba == bb,
          f"{len(ba)} vs {len(bb)}; first difference: "
          f"{next(((x, y) for x, y in zip(ba, bb, strict=False) if x != y), None)}")
    la, lb = page_labels(a), page_labels(b)
    expected = la or [str(i + 1) for i in range(len(a.pages))]
    check("page labels = printed page numbers", lb == expected,
          "single has no /PageLabels: expected 1..n" if la is None else "")
    # The page number stands alone on the last line of a page that shows one.
    printed = [(t.rstrip().splitlines() or [""])[-1].strip() for t in tb]
    def is_number(text: str) -> bool:
        return text.isdigit() or (bool(text) and set(text) <= set("ivxlc"))

    footer_ok = bool(lb) and all(not is_number(p) or p == lb[i] for i, p in enumerate(printed))
    shown = sum(map(is_number, printed))
    check("page labels agree with the numbers printed at the page foot", footer_ok,
          f"{shown} pages show a number")
    da, db = named_dests(a), named_dests(b)
    pa, pb = _page_index(a), _page_index(b)
    same_dests = set(da) == set(db) and all(
        _dest_page(da[n], da, pa) == _dest_page(db[n], db, pb) for n in da)
    check("named destinations: same names, same pages", same_dests,
          f"{len(da)} vs {len(db)}")
    ka, kb = links(a), links(b)
    unresolved = [(i + 1, link) for i, page_links in enumerate(kb) for link in page_links
                  if link[1] == "page" and link[2] is None]
    check("every internal link resolves", not unresolved, str(unresolved[:3]))
    check("links: same rectangles, same targets, same /Contents on every page", ka == kb,
          f"{sum(map(len, ka))} vs {sum(map(len, kb))} links; first page that differs: "
          f"{next((i + 1 for i, (x, y) in enumerate(zip(ka, kb, strict=False)) if x != y), None)}")
    fb = fonts(merged)
    check("every font embedded (pdffonts)", all(f["emb"] == "yes" for f in fb),
          f"{len(fb)} fonts")
    tags = subset_tags(b)
    check("no two different font subsets share a name", len(tags) == len(set(tags)),
          f"{len(tags)} subsets")
    check("same font families", {t.split('+')[-1] for t in subset_tags(a)} ==
          {t.split('+')[-1] for t in tags})
    return results


def main(argv: list[str]) -> int:
    single, merged = Path(argv[0]), Path(argv[1])
    results = verify(single, merged)
    if "--json" in argv:
        print(json.dumps([{"check": n, "ok": ok, "detail": d} for n, ok, d in results],
                         indent=1))
    else:
        for name, ok, detail in results:
            print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"  [{detail}]" if detail else ""))
    failed = sum(not ok for _, ok, _ in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
