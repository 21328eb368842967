"""The merge writes the book as it reads its parts (folio/formats/pdf/writer.py,
folio/formats/pdf/merge.py): one part open at a time, every object renumbered, a
file qpdf and poppler read without complaint."""

import io
import subprocess
import zlib

import pikepdf
import pytest

from folio.formats.pdf import merge
from folio.formats.pdf.arrivals import Arrivals
from folio.formats.pdf.writer import PdfWriter, Renumbered, Templates


def test_references_are_renumbered_and_strings_are_left_alone():
    source = pikepdf.new()
    target = source.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Target))
    holder = source.make_indirect(pikepdf.Dictionary(
        Ref=target, Text=pikepdf.String(f"see {target.objgen[0]} 0 R (and \\ more)"),
        Hex=pikepdf.String(b"\x00\xff 7 0 R"), Name7=pikepdf.Array([7, 0, target])))
    out = io.BytesIO()
    writer = PdfWriter(out, "1.7")
    first = writer.reserve()
    part = Renumbered(source, writer)
    assert part.ref(holder) == b"%d 0 R" % (first + 1)
    part.drain()
    writer.write(first, b"<< /Type /Catalog >>")
    writer.close(first, None, None)
    written = out.getvalue()
    # the objects went into an object stream; unpack it
    data = zlib.decompress(written.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0])
    holder_body = data[data.index(b"<<"):]
    assert b"/Ref %d 0 R" % (first + 2) in holder_body
    assert f"(see {target.objgen[0]} 0 R".encode() in holder_body, "a string is kept as it is"
    assert b"[ 7 0 %d 0 R ]" % (first + 2) in holder_body, "numbers before a reference kept"
    assert b"/Type /Target" in data
    assert written.startswith(b"%PDF-1.7") and written.endswith(b"%%EOF\n")


def _parts(folder, count=3, chapters=2, extra=""):
    """``count`` parts laid out by WeasyPrint, tagged and prepared, of ``chapters``
    chapters each (a page each, a running head, a link to the part's first, and
    ``extra``)."""
    weasyprint = pytest.importorskip("weasyprint")
    css = "@page { @top-center { content: 'Kopf' } } h1 { break-before: page }"
    paths = []
    for index in range(count):
        body = "".join(f"<h1 id='c{index}-{n}'>K {index}.{n}</h1><p><a href='#c{index}-0'>"
                       f"zurück</a> (Text 1 0 R)</p>{extra}" for n in range(chapters))
        path = folder / f"part{index}.pdf"
        weasyprint.HTML(string=f"<html lang=de><title>t</title><style>{css}</style>{body}"
                        ).write_pdf(path, pdf_tags=True)
        merge.prepare_part(path, f"k{index}")
        paths.append(path)
    return paths


def test_the_merge_holds_one_part_at_a_time(tmp_path, monkeypatch):
    paths = _parts(tmp_path, 4)
    real, open_now, most = pikepdf.open, [0], [0]

    class Counted:
        def __init__(self, *args, **kwargs):
            self.pdf = real(*args, **kwargs)

        def __enter__(self):
            open_now[0] += 1
            most[0] = max(most[0], open_now[0])
            return self.pdf.__enter__()

        def __exit__(self, *exc):
            open_now[0] -= 1
            return self.pdf.__exit__(*exc)

    monkeypatch.setattr(merge.pikepdf, "open", Counted)
    result = merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True,
                               blank_before=[False, True, False, False])
    assert most[0] == 1 and open_now[0] == 0
    assert result.pages == 9 and result.part_starts == [0, 3, 5, 7]


def test_the_merged_file_is_sound_and_joins_what_the_parts_had(tmp_path):
    paths = _parts(tmp_path, 3)
    result = merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True,
                               first_numbers=[1, 4, 7], blank_before=[False, True, False])
    assert not result.unresolved_links and not result.duplicate_anchors
    with pikepdf.open(tmp_path / "book.pdf") as pdf:
        assert pdf.check_pdf_syntax() == []
        assert pdf.pdf_version == "1.7" and len(pdf.pages) == 7
        titles = [str(item.title) for item in pdf.open_outline().root]
        assert titles == [f"K {p}.{n}" for p in range(3) for n in range(2)]
        chain, item = [], pdf.Root.Outlines.First
        while item is not None:
            chain.append(str(item.Title))
            assert item.Parent.objgen == pdf.Root.Outlines.objgen
            item = item.get("/Next")
        assert chain == titles and int(pdf.Root.Outlines.Count) == 6
        dests = {str(k) for k, _ in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
        assert dests == {f"c{p}-{n}" for p in range(3) for n in range(2)}
        [document] = pdf.Root.StructTreeRoot.K
        assert document.P.objgen == pdf.Root.StructTreeRoot.objgen
        assert all(kid.P.objgen == document.objgen for kid in document.K)
        blank = pdf.pages[result.part_starts[1] - 1]
        assert blank.obj.Contents.read_bytes() == b"" and "/MediaBox" in blank.obj
        assert [page.label for page in pdf.pages] == ["1", "2", "3", "4", "5", "7", "8"]
    text = subprocess.run(["pdftotext", str(tmp_path / "book.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert text.count("(Text 1 0 R)") == 6, "a string that looks like a reference is kept"


def test_a_pdf_1_4_part_gives_a_file_without_object_streams(tmp_path):
    paths = _parts(tmp_path, 2)
    for path in paths:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            pdf.save(path, min_version="1.4", force_version="1.4",
                     object_stream_mode=pikepdf.ObjectStreamMode.disable)
    merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True)
    data = (tmp_path / "book.pdf").read_bytes()
    assert data.startswith(b"%PDF-1.4") and b"/ObjStm" not in data and b"\nxref\n" in data
    with pikepdf.open(tmp_path / "book.pdf") as pdf:
        assert pdf.check_pdf_syntax() == [] and len(pdf.pages) == 4


def test_the_same_parts_give_the_same_bytes(tmp_path):
    paths = _parts(tmp_path, 2)
    merge.merge_parts(paths, tmp_path / "a.pdf", prepared=True)
    merge.merge_parts(paths, tmp_path / "b.pdf", prepared=True)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_the_merge_index_of_a_prepared_part_changes_nothing_but_the_time(tmp_path):
    """A prepared part lists the objects the merge changes (``merge.MERGE_INDEX``):
    the merge reads them instead of every object, and writes the same bytes as
    without the lists; every structure element ends up under the one document
    element, running heads (reached by the parent tree only) included."""
    paths = _parts(tmp_path, 3, chapters=3)
    bare = []
    for path in paths:
        copy = path.with_name("bare-" + path.name)
        with pikepdf.open(path) as pdf:
            assert len(pdf.Root[merge.MERGE_INDEX].Keyed) > 0
            del pdf.Root[merge.MERGE_INDEX]
            merge._save(pdf, copy, pdf.pdf_version)
        bare.append(copy)
    first = [1, 4, 7]
    merge.merge_parts(paths, tmp_path / "indexed.pdf", first_numbers=first, prepared=True)
    merge.merge_parts(bare, tmp_path / "scanned.pdf", first_numbers=first, prepared=True)
    assert (tmp_path / "indexed.pdf").read_bytes() == (tmp_path / "scanned.pdf").read_bytes()
    with pikepdf.open(tmp_path / "indexed.pdf") as pdf:
        assert merge.MERGE_INDEX not in pdf.Root
        [document] = pdf.Root.StructTreeRoot.K
        elements = merge._struct_elements(pdf)
        under = [e for e in elements if e.P.objgen == document.objgen]
        assert len(under) > len(document.K), "running heads hang from the document too"
        assert all(e.P.objgen == document.objgen or e.P.get("/S") != "/Document"
                   for e in elements), "no element is left under a part's document"
        keys = [int(page.StructParents) for page in pdf.pages] + [
            int(a.StructParent) for page in pdf.pages for a in page.obj.get("/Annots", [])]
        tree = {int(k) for k, _ in pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
                .items()}
        assert len(keys) == len(set(keys)) > 9 and set(keys) == tree, \
            "pages' and links' keys shifted part by part, each in the parent tree"


def test_a_merge_keeps_templates_and_the_next_writes_the_same_bytes_from_them(tmp_path,
                                                                            monkeypatch):
    """A part merged by a build (``reused`` given) gets its ``writer.Templates``, kept
    beside it, whether this build laid it out or an earlier one did; the next merge
    writes the same bytes from them as the merge without, keys shifted and
    references renumbered alike, without making them again; templates that are not
    the part's are not used."""
    paths = _parts(tmp_path, 3, chapters=3,
                   extra="<p><a href='https://example.org/100%25'>100 %d</a></p>")
    first, blank = [1, 5, 9], [False, True, False]
    merge.merge_parts(paths, tmp_path / "plain.pdf", first_numbers=first,
                      blank_before=blank, prepared=True)  # no templates asked for
    assert not any(merge.templates_path(path).exists() for path in paths)
    merge.merge_parts(paths, tmp_path / "fresh.pdf", first_numbers=first,
                      blank_before=blank, prepared=True, reused=[False] * 3)
    assert all(merge.templates_path(path).is_file() for path in paths), \
        "parts laid out in this build: made as they are written, for the next edit"
    merge.templates_path(paths[2]).unlink()
    made = []
    real = Templates.of.__func__
    monkeypatch.setattr(Templates, "of", classmethod(
        lambda cls, *args: made.append(args) or real(cls, *args)))
    merge.merge_parts(paths, tmp_path / "first.pdf", first_numbers=first,
                      blank_before=blank, prepared=True, reused=[True] * 3)
    assert len(made) == 1 and merge.templates_path(paths[2]).is_file(), \
        "a part merged again without templates gets them"
    made.clear()
    merge.merge_parts(paths, tmp_path / "again.pdf", first_numbers=first,
                      blank_before=blank, prepared=True, reused=[True] * 3)
    assert made == [], "the kept templates are used"
    kept = [merge.templates_path(path).read_bytes() for path in paths]
    for path in paths:  # another part's templates: not trusted, made again
        merge.templates_path(path).write_bytes(kept[0])
    merge.merge_parts(paths, tmp_path / "stale.pdf", first_numbers=first,
                      blank_before=blank, prepared=True, reused=[True] * 3)
    assert len(made) == 2, "the two parts given the first one's made theirs again"
    assert [merge.templates_path(path).read_bytes() for path in paths] == kept
    once = (tmp_path / "plain.pdf").read_bytes()
    assert (tmp_path / "fresh.pdf").read_bytes() == once
    assert (tmp_path / "first.pdf").read_bytes() == once
    assert (tmp_path / "again.pdf").read_bytes() == once
    assert (tmp_path / "stale.pdf").read_bytes() == once
    with pikepdf.open(tmp_path / "first.pdf") as pdf:
        keys = [int(page.StructParents) for page in pdf.pages]
        assert keys == sorted(set(keys)) and keys[-1] > 9, "pages' keys shifted part by part"
        assert any("100%25" in str(a.A.URI) for page in pdf.pages
                   for a in page.obj.get("/Annots", []) if "/A" in a)


def test_templates_fill_in_references_keys_and_leave_strings_alone():
    """``Templates`` holes: references and parent-tree keys, not what only looks like
    them (in strings, in names, a sentinel's number, a nested dictionary's key); a
    percent sign stays as it is."""
    source = pikepdf.new()
    target = source.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Target))
    holder = source.make_indirect(pikepdf.Dictionary(
        Ref=target, StructParents=3, Text=pikepdf.String("100 % of 5 0 R /StructParents 4"),
        Nested=pikepdf.Dictionary(StructParent=6), Width=pikepdf.Array([2147480001, 0])))
    source.Root.Annotation = source.make_indirect(pikepdf.Dictionary(StructParent=7,
                                                                     P=holder))
    saved = _saved(source)
    made = {}
    for offset in (0, 10):
        for templated in (False, True):
            out = io.BytesIO()
            writer = PdfWriter(out, "1.4")  # no object streams: bodies readable
            with pikepdf.open(io.BytesIO(saved)) as pdf:
                templates = Templates.of(pikepdf.open(io.BytesIO(saved))) if templated \
                    else None
                for obj in (pdf.Root.Annotation, pdf.Root.Annotation.P):
                    if templates is not None and obj.objgen in templates.objects:
                        continue  # as the merge shifts the keys of the others
                    for key in ("/StructParent", "/StructParents"):
                        if key in obj:
                            obj[key] = int(obj[key]) + offset
                part = Renumbered(pdf, writer, templates=templates, key_offset=offset)
                first = part.number(pdf.Root.Annotation.objgen)
                part.drain()
                writer.close(first, None, None)
            made[offset, templated] = out.getvalue()
    assert made[0, True] == made[0, False] and made[10, True] == made[10, False]
    text = made[10, True]
    assert b"/StructParent 17" in text and b"/StructParents 13" in text
    assert b"(100 % of 5 0 R /StructParents 4)" in text
    assert b"/Nested << /StructParent 6 >>" in text, "a nested key is not the object's"
    assert b"/Width [ 2147480001 0 ]" in text, "(an object with it is not templated)"


def _saved(pdf) -> bytes:
    data = io.BytesIO()
    pdf.save(data, static_id=True)
    return data.getvalue()

def test_the_book_is_described_by_the_page_laid_out_for_it(tmp_path):
    """With ``metadata``, the XMP, ``/Info`` and file ID come from that PDF, and the
    first part's are not written at all."""
    weasyprint = pytest.importorskip("weasyprint")
    paths = _parts(tmp_path, 2)
    carrier = tmp_path / "head.pdf"
    weasyprint.HTML(string="<html lang=de><title>Das Buch</title><p>x").write_pdf(
        carrier, pdf_tags=True)
    for path, title in ((paths[0], "Teil 1"), (carrier, "Das Buch")):  # XMP in both
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            with pdf.open_metadata(set_pikepdf_as_editor=False) as xmp:
                xmp["dc:title"] = title
            pdf.save(path)
    merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True, metadata=carrier)
    with pikepdf.open(tmp_path / "book.pdf") as pdf, pikepdf.open(carrier) as head:
        assert str(pdf.docinfo.Title) == "Das Buch"
        assert pdf.Root.Metadata.read_bytes() == head.Root.Metadata.read_bytes()
        assert b"Das Buch" in pdf.Root.Metadata.read_bytes()
        assert bytes(pdf.trailer.ID[0]) == bytes(head.trailer.ID[0])
        xmp = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)
               and o.get("/Type") == "/Metadata"]
        firsts = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary)
                  and str(o.get("/Title", "")) == "Teil 1"]
        assert len(xmp) == 1 and not firsts, "nothing of the first part's left over"


def test_a_part_that_cannot_be_merged_leaves_no_file(tmp_path):
    paths = _parts(tmp_path, 2)
    with pikepdf.open(paths[1], allow_overwriting_input=True) as pdf:
        del pdf.Root["/StructTreeRoot"]
        pdf.save(paths[1])
    with pytest.raises(merge.MergeError, match="part 2 is not tagged"):
        merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True)
    assert not (tmp_path / "book.pdf").exists()


def _arriving(paths, carrier, delays):
    """Move each of ``paths`` (and ``carrier``) aside and back after its delay, from a
    thread, as the layout's workers rename a finished part into place."""
    import threading
    import time

    held = []
    for path in [carrier, *paths]:
        aside = path.with_name(path.name + ".partial")
        path.rename(aside)
        held.append((aside, path))

    def bring():
        for (aside, path), delay in zip(held, delays):
            time.sleep(delay)
            aside.rename(path)

    thread = threading.Thread(target=bring)
    thread.start()
    return thread


def test_a_merge_takes_the_parts_as_they_arrive_and_gives_the_same_bytes(tmp_path):
    """``Arrivals``: the merge begins before the parts are there and waits for each;
    the file is the one a merge after them writes."""
    weasyprint = pytest.importorskip("weasyprint")
    paths = _parts(tmp_path, 3)
    carrier = tmp_path / "head.pdf"
    weasyprint.HTML(string="<html lang=de><title>Das Buch</title><p>x").write_pdf(
        carrier, pdf_tags=True)
    merge.merge_parts(paths, tmp_path / "after.pdf", prepared=True, metadata=carrier)
    thread = _arriving(paths, carrier, [0.05, 0.1, 0.02, 0.15])
    result = merge.merge_parts(paths, tmp_path / "arriving.pdf", prepared=True,
                               metadata=carrier,
                               arrivals=Arrivals(tmp_path / "cancel"))
    thread.join()
    assert result is not None and result.pages == 6
    assert (tmp_path / "arriving.pdf").read_bytes() == (tmp_path / "after.pdf").read_bytes()


def test_a_cancelled_merge_ends_and_leaves_no_file(tmp_path):
    import threading

    weasyprint = pytest.importorskip("weasyprint")
    paths = _parts(tmp_path, 2)
    carrier = tmp_path / "head.pdf"
    weasyprint.HTML(string="<html lang=de><title>t</title><p>x").write_pdf(carrier,
                                                                            pdf_tags=True)
    paths[1].rename(tmp_path / "never.pdf")  # the second part never comes
    cancel = tmp_path / "cancel"
    threading.Timer(0.2, cancel.touch).start()
    result = merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True,
                               metadata=carrier, arrivals=Arrivals(cancel))
    assert result is None and not (tmp_path / "book.pdf").exists()


def test_a_cancelled_merge_stops_even_when_every_part_is_there(tmp_path, monkeypatch):
    """A round that does not settle is cancelled when its parts are all laid out: the
    merge stops at the next part, it does not merge them all first."""
    weasyprint = pytest.importorskip("weasyprint")
    paths = _parts(tmp_path, 3)
    carrier = tmp_path / "head.pdf"
    weasyprint.HTML(string="<html lang=de><title>t</title><p>x").write_pdf(carrier,
                                                                            pdf_tags=True)
    cancel = tmp_path / "cancel"
    cancel.touch()
    opened = []
    real = pikepdf.open

    def counting(*args, **kwargs):
        opened.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(pikepdf, "open", counting)
    result = merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True,
                               metadata=carrier, arrivals=Arrivals(cancel))
    assert result is None and opened == [] and not (tmp_path / "book.pdf").exists()


def test_a_part_of_a_later_pdf_version_than_the_metadata_page_is_refused(tmp_path):
    weasyprint = pytest.importorskip("weasyprint")
    paths = _parts(tmp_path, 2)
    carrier = tmp_path / "head.pdf"
    weasyprint.HTML(string="<html lang=de><title>t</title><p>x").write_pdf(
        carrier, pdf_tags=True, pdf_version="1.6")
    with pytest.raises(merge.MergeError, match="part 1 needs a later PDF version"):
        merge.merge_parts(paths, tmp_path / "book.pdf", prepared=True, metadata=carrier,
                          arrivals=Arrivals(tmp_path / "cancel"))
    assert not (tmp_path / "book.pdf").exists()
