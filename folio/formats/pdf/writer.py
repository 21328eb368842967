"""Write a PDF one object at a time, so that what is written leaves memory.

qpdf (pikepdf) writes a PDF it holds whole: merging the parts of a 2,500-page book
in it held every object of every part twice (the parts' and the copies), 950 MB.
``PdfWriter`` takes objects already serialised (``Renumbered`` serialises the
objects of one source PDF under new numbers) and writes them at once: the
non-stream objects packed by a hundred into compressed object streams, as qpdf
writes them, a cross-reference stream at the end (a classic table and no object
streams before PDF 1.5), and a file ID whose second half is the MD5 of everything
written, so that the same objects give the same bytes.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import zlib
from collections import deque
from pathlib import Path
from typing import BinaryIO

import pikepdf

#: Non-stream objects per object stream (qpdf's default).
OBJECTS_PER_STREAM = 100

#: A literal string, a hexadecimal string, or an indirect reference, in the
#: serialisation qpdf gives (``Object.unparse``): strings are matched so that a
#: reference is never looked for inside one; qpdf escapes every parenthesis in a
#: literal string.
_TOKEN = re.compile(rb"\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>|(?<![\w.+-])(\d+) (\d+) R",
                    re.DOTALL)


class PdfWriter:
    """A PDF written object by object to ``file``: ``reserve`` a number, then
    ``write`` or ``write_stream`` it (in any order), then ``close``."""

    def __init__(self, file: BinaryIO, version: str) -> None:
        self._file = file
        self._hash = hashlib.md5(usedforsecurity=False)
        self._offset = 0
        self._next = 1
        #: number -> (1, file offset) or (2, object stream number, index in it)
        self._where: dict[int, tuple[int, int, int]] = {}
        self._packed = tuple(map(int, version.split("."))) >= (1, 5)
        self._pending: list[tuple[int, bytes]] = []
        self._emit(b"%%PDF-%s\n%%\xbf\xf7\xa2\xfe\n" % version.encode())

    def reserve(self) -> int:
        number, self._next = self._next, self._next + 1
        return number

    def write(self, number: int, body: bytes) -> None:
        """Object ``number`` (not a stream), ``body`` its serialisation."""
        if not self._packed:
            self._top_level(number, body)
            return
        self._pending.append((number, body))
        if len(self._pending) >= OBJECTS_PER_STREAM:
            self._flush()

    def write_stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        """Stream ``number``: ``dictionary`` serialised without ``/Length``, and its
        ``data`` as it is (filters already applied)."""
        self._top_level(number, b"%s /Length %d >>\nstream\n%s\nendstream" % (
            dictionary[:-2].rstrip(), len(data), data))

    def close(self, root: int, info: int | None, first_id: bytes | None) -> None:
        """The cross-reference section and the trailer."""
        self._flush()
        missing = [n for n in range(1, self._next) if n not in self._where]
        if missing:
            raise ValueError(f"objects reserved but never written: {missing[:5]}")
        digest = self._hash.digest()
        trailer = b"/Root %d 0 R" % root
        if info is not None:
            trailer += b" /Info %d 0 R" % info
        trailer += b" /ID [ <%s> <%s> ]" % ((first_id or digest).hex().encode(),
                                             digest.hex().encode())
        start = self._offset
        if self._packed:
            self._xref_stream(trailer)
        else:
            rows = [b"0000000000 65535 f \n"] + [
                b"%010d 00000 n \n" % self._where[n][1] for n in range(1, self._next)]
            self._emit(b"xref\n0 %d\n%s" % (self._next, b"".join(rows)))
            self._emit(b"trailer\n<< /Size %d %s >>\n" % (self._next, trailer))
        self._emit(b"startxref\n%d\n%%%%EOF\n" % start)

    # ---------------------------------------------------------------------------

    def _emit(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self._offset += len(data)

    def _top_level(self, number: int, body: bytes) -> None:
        self._where[number] = (1, self._offset, 0)
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _flush(self) -> None:
        if not self._pending:
            return
        stream = self.reserve()
        head, bodies, offset = [], [], 0
        for index, (number, body) in enumerate(self._pending):
            self._where[number] = (2, stream, index)
            head.append(b"%d %d" % (number, offset))
            bodies.append(body)
            offset += len(body) + 1
        head_bytes = b" ".join(head) + b"\n"
        data = zlib.compress(head_bytes + b"\n".join(bodies) + b"\n")
        count = len(self._pending)
        self._pending = []
        self.write_stream(stream, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode >>"
                          % (count, len(head_bytes)), data)

    def _xref_stream(self, trailer: bytes) -> None:
        number = self.reserve()
        self._where[number] = (1, self._offset, 0)
        width = max(1, (max(self._offset, self._next).bit_length() + 7) // 8)
        rows = [b"\x00" + bytes(width) + b"\xff\xff"]
        for n in range(1, self._next):
            kind, first, second = self._where[n]
            rows.append(bytes([kind]) + first.to_bytes(width, "big")
                        + second.to_bytes(2, "big"))
        data = zlib.compress(b"".join(rows))
        self._emit(b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 %d 2 ] %s /Filter /FlateDecode"
                   b" /Length %d >>\nstream\n%s\nendstream\nendobj\n"
                   % (number, self._next, width, trailer, len(data), data))


class Renumbered:
    """The objects of ``pdf`` written by ``writer`` under new numbers, as far as
    they are reached: ``ref`` (or ``serialise``) gives an object its new number and
    queues it, ``drain`` writes what is queued and whatever it refers to in turn.
    ``redirect``: objects of ``pdf`` written elsewhere (a part's page tree root is
    the merged PDF's), old object number -> new number. ``templates``: the objects
    serialised beforehand (``Templates``), their parent-tree keys shifted by
    ``key_offset`` (as ``merge`` shifts them in ``pdf``)."""

    def __init__(self, pdf: pikepdf.Pdf, writer: PdfWriter,
                 redirect: dict[tuple[int, int], int] | None = None,
                 templates: Templates | None = None, key_offset: int = 0) -> None:
        self.pdf, self.writer = pdf, writer
        self._numbers: dict[tuple[int, int], int] = dict(redirect or {})
        self._queue: deque[tuple[int, int]] = deque()
        self._templates = templates.objects if templates is not None else {}
        self._key_offset = key_offset

    def number(self, objgen: tuple[int, int], *, write: bool = True) -> int:
        """The new number of ``pdf``'s object ``objgen``; queued to be written unless
        ``write`` is False (the caller writes it)."""
        new = self._numbers.get(objgen)
        if new is None:
            new = self._numbers[objgen] = self.writer.reserve()
            if write:
                self._queue.append(objgen)
        return new

    def ref(self, obj) -> bytes:
        """``obj`` as a value inside another object: a reference to its new number if
        it is indirect, else its own serialisation."""
        if obj.is_indirect:
            return b"%d 0 R" % self.number(obj.objgen)
        return self.serialise(obj)

    def serialise(self, obj) -> bytes:
        """``obj``'s own serialisation (not a stream), its references renumbered."""
        return _TOKEN.sub(self._renumbered, obj.unparse(resolved=True))

    def drain(self) -> None:
        while self._queue:
            objgen = self._queue.popleft()
            new = self._numbers[objgen]
            template = self._templates.get(objgen)
            if template is not None:
                self._write_from(objgen, new, *template)
                continue
            obj = self.pdf.get_object(objgen)
            body = _TOKEN.sub(self._renumbered, _text(obj))
            if obj._type_code is _STREAM:
                self.writer.write_stream(new, body, obj.read_raw_bytes())
            else:
                self.writer.write(new, body)

    def _renumbered(self, match: re.Match) -> bytes:
        if match.group(1) is None:
            return match.group(0)
        return b"%d 0 R" % self.number((int(match.group(1)), int(match.group(2))))

    def _write_from(self, objgen: tuple[int, int], new: int, stream: bool, body: bytes,
                    tokens: tuple) -> None:
        """Write object ``new`` from its template: references numbered in the order
        ``serialise`` numbers them, keys shifted."""
        if tokens:
            offset, number = self._key_offset, self.number
            body %= tuple([number(token) if type(token) is tuple else token + offset
                           for token in tokens])
        if stream:
            self.writer.write_stream(new, body, self.pdf.get_object(objgen).read_raw_bytes())
        else:
            self.writer.write(new, body)


#: The sentinel values a part's parent-tree keys are serialised with (``Templates``).
_KEY_SENTINELS = {"/StructParents": 2147480001, "/StructParent": 2147480002}
#: ``_TOKEN`` and the sentinels, for an object that holds a key.
_KEYED_TOKEN = re.compile(
    rb"\((?:[^\\()]|\\.)*\)|<[0-9A-Fa-f\s]*>|(?<![\w.+-])(\d+) (\d+) R"
    rb"|(?<![\w.+-])(%d|%d)(?![\w.])" % tuple(_KEY_SENTINELS.values()), re.DOTALL)
#: A reference, and where a string may begin (a literal one, or a hexadecimal one:
#: a ``<`` that is not half of a dictionary's ``<<``).
_REFERENCE = re.compile(rb"(?<![\w.+-])(\d+) (\d+) R")
_STRING_START = re.compile(rb"\(|(?<!<)<(?!<)")


class Templates:
    """Every object of a PDF serialised once, with holes for what a merge changes:
    the numbers of the objects it refers to and its parent-tree keys (``/StructParents``,
    ``/StructParent``). The merge makes a part's templates the first time it writes
    the part (``merge_parts``' ``reused``), fills their holes in (``Renumbered``)
    and keeps them beside the part (``save``, ``load``): the merges after an edit
    elsewhere in the book fill them in again instead of serialising the part's
    objects through qpdf and renumbering them with a regular expression, the bulk
    of their work --
    0.32 -> 0.06 s for the 16 parts of the 150-page bench book, the time a
    one-chapter edit waits for the merge after its part is laid out.

    ``objects``: object number and generation -> (is a stream, body, tokens): the body
    a ``%``-format with one ``%d`` per token if there are tokens, a token a referred
    object's (number, generation) or a key as the PDF had it (an int); a stream's body
    is its dictionary without ``/Length``. ``identifier``: the PDF's file ID, which
    the merge checks before it trusts the templates."""

    def __init__(self, objects: dict, identifier: bytes) -> None:
        self.objects, self.identifier = objects, identifier

    @classmethod
    def of(cls, pdf: pikepdf.Pdf, keyed: list | None = None) -> Templates:
        """The templates of ``pdf``, as it is. ``keyed``: the objects that hold a
        parent-tree key, if known (else every object is looked at). Their keys are
        overwritten: ``pdf`` is a copy read to make them, not to be saved."""
        if keyed is None:
            keyed = [obj for obj in pdf.objects if obj._type_code in _KEYABLE
                     and any(key in obj for key in _KEY_SENTINELS)]
        keys_of: dict[tuple[int, int], dict[int, int]] = {}
        for obj in keyed:
            keys = {sentinel: int(obj[key]) for key, sentinel in _KEY_SENTINELS.items()
                    if key in obj}
            if any(b"%d" % sentinel in _text(obj) for sentinel in keys):
                keys_of[obj.objgen] = {}  # a sentinel's number is there already
                continue
            for key, sentinel in _KEY_SENTINELS.items():
                if sentinel in keys:
                    obj[key] = sentinel
            keys_of[obj.objgen] = keys
        objects = {}
        for obj in pdf.objects:
            kind = obj._type_code
            if kind is not _DICTIONARY and kind is not _ARRAY and kind is not _STREAM:
                continue
            objgen = obj.objgen
            keys = keys_of.get(objgen)
            if keys == {}:
                continue  # not templated
            objects[objgen] = (kind is _STREAM, *_holes(_text(obj), keys or {}))
        return cls(objects, bytes(pdf.trailer.ID[0]) if "/ID" in pdf.trailer else b"")

    def save(self, path: Path) -> None:
        """Write the templates to ``path`` in one step (a reader finds them whole)."""
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(marshal.dumps((self.identifier, self.objects)))
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path, pdf: pikepdf.Pdf) -> Templates | None:
        """The templates saved at ``path`` if they are ``pdf``'s, else None."""
        try:
            identifier, objects = marshal.loads(path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        mine = bytes(pdf.trailer.ID[0]) if "/ID" in pdf.trailer else None
        if not identifier or identifier != mine or not isinstance(objects, dict):
            return None
        return cls(objects, identifier)


#: The kinds of object templated (compared by identity: hashing pikepdf's enum runs
#: Python code), and those that may hold a key.
_STREAM, _DICTIONARY, _ARRAY = (pikepdf.ObjectType.stream, pikepdf.ObjectType.dictionary,
                                pikepdf.ObjectType.array)
_KEYABLE = {_DICTIONARY, _STREAM}


def _text(obj) -> bytes:
    """What ``Renumbered.serialise`` reads of ``obj`` (a stream: its dictionary
    without ``/Length``)."""
    if obj._type_code is _STREAM:
        source = obj.stream_dict
        obj = pikepdf.Dictionary({key: source[key] for key in source.keys()
                                  if key != "/Length"})
    return obj.unparse(resolved=True)


def _holes(text: bytes, keys: dict[int, int]) -> tuple[bytes, tuple]:
    """``text`` as a ``%``-format and its tokens (``Templates``); ``keys``: sentinel ->
    the parent-tree key it stands for. Most objects hold no string and no key: their
    references are found and replaced in C (``_REFERENCE``), not one by one."""
    if not keys and not _STRING_START.search(text):
        parts = _REFERENCE.split(text)
        if len(parts) == 1:
            return text, ()
        return (b"%d 0 R".join([part.replace(b"%", b"%%") for part in parts[::3]]),
                tuple(zip(map(int, parts[1::3]), map(int, parts[2::3]))))
    pieces, tokens, last = [], [], 0
    for match in (_KEYED_TOKEN if keys else _TOKEN).finditer(text):
        if match.group(1) is not None:
            tokens.append((int(match.group(1)), int(match.group(2))))
            hole = b"%d 0 R"
        elif keys and match.group(3) is not None:
            tokens.append(keys[int(match.group(3))])
            hole = b"%d"
        else:
            continue
        pieces.append(text[last:match.start()].replace(b"%", b"%%") + hole)
        last = match.end()
    if not tokens:
        return text, ()
    pieces.append(text[last:].replace(b"%", b"%%"))
    return b"".join(pieces), tuple(tokens)
