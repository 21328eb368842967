"""Parse: run pandoc on each manuscript file into its JSON AST, with source positions
(``+sourcepos``: a wrapper Span or Div with ``data-pos`` around every inline and
block; those of spaces are dropped from the JSON, those of most words after the
guard: ``without_blank_wrappers``, ``thin_positions``).

pandoc runs in its own process group, with a heap cap and a time-out, because
a hostile manuscript can make it grow or spin (pandoc's manual recommends both).
A long file (a whole book in one file) is parsed in pieces cut at its top-level
headings (``pieces_of``), side by side, so that no pandoc run needs more than the
heap cap: pandoc needs about 0.4 MB for every kB of Markdown with source positions,
and a 5 MB manuscript would need 2 GB at once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import os
import re
import signal
import subprocess
import threading
from collections.abc import Iterable

import pypandoc

from .ast import ATTR_INDEX, get_attr, visit, walk
from .book import SourceFile
from .diagnostics import BuildError
from .guard import FOOTNOTE_DEFINITION, MAX_NESTING, deep_json_line, footnote_cycle

#: commonmark_x parses in linear time; front matter is read by us, not by pandoc;
#: an image alone in a paragraph is a figure with its alt text as caption.
READER = "commonmark_x+sourcepos+implicit_figures-yaml_metadata_block"
#: Seconds a single pandoc run may take.
PANDOC_TIMEOUT = 60
#: pandoc's heap cap.
PANDOC_HEAP = "1024M"
#: pandoc's suggested heap, 1 MB, where the PyPI binary is built with 64 MB
#: (``pandoc +RTS --info``). With 64 MB, each run took a fresh 64 MB of pages
#: (their zeroing is system time) and a nursery as large: the 150-page bench book's
#: fifteen chapters took 2.05 s of processor time to parse, 1.46 s with 1 MB
#: (medians of 4); rendering its whole JSON to HTML 3.77 -> 3.38 s; parsing it
#: whole the same (0.80 / 0.79 s).
PANDOC_SUGGESTED_HEAP = "-H1m"
#: The wrapper Span ``+sourcepos`` puts around every space and line break, as pandoc
#: writes it in JSON (``"`` inside a JSON string is escaped: no text matches).
_BLANK_WRAPPER = re.compile(r'\{"t":"Span","c":\[\["",\[\],\[\["wrapper","1"\],'
                            r'\["data-pos","[^"\\]*"\]\]\],\[(\{"t":"(?:Space|SoftBreak)"\})\]\]\}')
#: A file longer than this (characters) is parsed in pieces of about this size.
PIECE_CHARACTERS = 400_000
#: pandoc runs at once when a file is parsed in pieces.
PIECE_RUNS = 4


def pandoc_path() -> str:
    return pypandoc.get_pandoc_path()


def run_pandoc(args: list[str], stdin: str | Iterable[str], display: str,
               timeout: float = PANDOC_TIMEOUT, warnings: list[str] | None = None) -> str:
    """Run pandoc with ``args``; return its standard output as text (its warnings,
    lines of standard error, go into ``warnings`` when given). ``stdin``: the text
    pandoc reads, or its pieces, written one after the other so that the whole text
    is never made (the render's batches are tens of MB of JSON)."""
    command = [pandoc_path(), "+RTS", f"-M{PANDOC_HEAP}", PANDOC_SUGGESTED_HEAP, "-RTS",
               *args]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        if isinstance(stdin, str):
            out, err = process.communicate(stdin.encode("utf-8"), timeout=timeout)
        else:
            out, err = _communicate_pieces(process, stdin, timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise BuildError(display, f"pandoc took longer than {timeout:g} s and was stopped; "
                                  "the manuscript may contain a pathological pattern",
                         code="timeout") from None
    except BaseException:
        _kill_group(process)
        raise
    if process.returncode != 0:
        message = err.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit status {process.returncode}"
        if "Heap exhausted" in err.decode("utf-8", "replace"):
            detail = "the manuscript needs more memory than allowed"
        raise BuildError(display, f"pandoc failed: {detail}", code="pandoc")
    if warnings is not None:
        warnings.extend(err.decode("utf-8", "replace").splitlines())
    return out.decode("utf-8")


def _communicate_pieces(process: subprocess.Popen, pieces: Iterable[str],
                        timeout: float) -> tuple[bytes, bytes]:
    """``process.communicate`` with its input written piece by piece from a thread
    (pandoc reads all its input before it writes: no piece waits for the output)."""
    pipe, process.stdin = process.stdin, None  # communicate() leaves it to the thread

    def feed() -> None:
        try:
            for piece in pieces:
                pipe.write(piece.encode("utf-8"))
        except OSError:  # pandoc stopped reading: it failed, its standard error says why
            pass
        finally:
            with contextlib.suppress(OSError):
                pipe.close()

    writer = threading.Thread(target=feed, name="pandoc-input", daemon=True)
    writer.start()
    out, err = process.communicate(timeout=timeout)
    writer.join()
    return out, err


@functools.lru_cache(maxsize=1)
def api_version() -> list:
    """The version of pandoc's JSON AST (for documents folio makes itself)."""
    return json.loads(run_pandoc(["-f", "markdown", "-t", "json"], "", "pandoc"))[
        "pandoc-api-version"]


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def parse_markdown(source: SourceFile) -> dict:
    """Parse one manuscript file into pandoc's JSON document.

    Its blocks keep the ``data-pos`` wrappers (see ``unwrap_positions``).
    """
    cycle = footnote_cycle(source.body)  # pandoc would loop until its heap is exhausted
    if cycle is not None:
        label, line = cycle
        raise BuildError(source.display, f"footnote [^{label}] refers to itself (directly or "
                         "through other notes), which pandoc cannot resolve; remove the "
                         "reference", line, code="footnote-cycle")
    pieces = pieces_of(source.body)
    if len(pieces) == 1:
        return _parse(pieces[0], source.display)
    with concurrent.futures.ThreadPoolExecutor(PIECE_RUNS) as pool:
        parsed = list(pool.map(lambda text: _parse(text, source.display), pieces))
    return {**parsed[0], "blocks": [block for document in parsed
                                    for block in document["blocks"]]}


def _parse(text: str, display: str) -> dict:
    output = without_blank_wrappers(run_pandoc(["-f", READER, "-t", "json"], text, display))
    try:
        return json.loads(output)
    except RecursionError:  # folio.guard: too deep for Python; name the line
        line, col = deep_json_line(output, 8 * MAX_NESTING)
        raise BuildError(display, f"the manuscript nests more than {MAX_NESTING} "
                         "levels deep (block quotes, lists, emphasis, links and HTML "
                         "elements together); flatten it", line, col, "too-deep") from None


def without_blank_wrappers(output: str) -> str:
    """pandoc's JSON ``output`` with the spaces and line breaks unwrapped.

    ``+sourcepos`` wraps every inline in a Span with its position; a space's
    position is never asked for (what reads positions names a word, a link, a
    block), and spaces are some 40 % of a text's inlines. Unwrapped before the JSON
    is read, they are never made: the 150-page bench book's JSON 8.1 -> 5.1 MB, its
    reading (loading, guarding, checking, reading the syntax, unwrapping) 2.3 ->
    1.7 s of processor time, with the same trees and diagnostics."""
    return _BLANK_WRAPPER.sub(r"\1", output)


#: Characters whose place a reading of the text asks for (``transforms.syntax``:
#: citations, marks, inline notes, line blocks, task boxes; raw HTML).
_PLACED = re.compile(r"[@\[\]=^|$\\{}<>]")


def thin_positions(tree: list) -> list:
    """``tree`` (one file's blocks, guarded) with the position wrappers of the words
    that nothing asks the place of removed, in place; returned.

    What reads an inline's position names the first or the last word of a run of
    text (a paragraph that starts with a comma, one cut off mid-sentence, a word
    hyphenated across a break: ``checks``) or a character of the syntax the reader
    leaves as text (``_PLACED``; the word after a line block's bar, whose column
    gives the line's indent). Every other word of a run loses its wrapper: the
    150-page bench book's reading (checking, reading the syntax, unwrapping) then
    walks half the nodes. Runs are split at spaces and line breaks, which come
    unwrapped (``without_blank_wrappers``)."""
    _thin_list(tree)
    return tree


def _thin_list(items: list) -> None:
    first = last = -1
    for index, item in enumerate(items):
        if type(item) is dict and item.get("t") in _BLANKS:
            if first < 0:
                first = index
            last = index
    for index, item in enumerate(items):
        kind = type(item)
        if kind is list:
            _thin_list(item)
        elif kind is dict:
            if first < index < last and item.get("t") == "Span":
                word = _plain_word(item)
                if word is not None and not _after_bar(items, index):
                    items[index] = word
                    continue
            content = item.get("c")
            if type(content) is list:
                _thin_list(content)
            elif type(content) is dict:
                _thin_list([content])


_BLANKS = frozenset({"Space", "SoftBreak"})


def _plain_word(span: dict) -> dict | None:
    """The Str a ``+sourcepos`` wrapper holds when it holds nothing else, carries no
    id (pandoc gives a ``{#id}`` to a wrapper) and no character of ``_PLACED``."""
    attr, inner = span["c"]
    if attr[0] or len(inner) != 1 or attr[2][:1] != [["wrapper", "1"]]:
        return None
    word = inner[0]
    if word.get("t") != "Str" or _PLACED.search(word["c"]):
        return None
    return word


def _after_bar(items: list, index: int) -> bool:
    """True for the item after ``| `` (``transforms.syntax``'s line blocks)."""
    bar = items[index - 2] if index >= 2 else None
    if type(bar) is not dict or bar.get("t") != "Span":
        return False
    inner = bar["c"][1]
    return len(inner) == 1 and inner[0].get("t") == "Str" and "|" in inner[0]["c"]


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_TOP_HEADING = re.compile(r"# ")
_LINK_DEFINITION = re.compile(r" {0,3}\[[^\]\n]+\]:\s*\S")


def pieces_of(text: str) -> list[str]:
    """``text`` as the texts pandoc gets: itself when short; else one text per run of
    top-level sections of about ``PIECE_CHARACTERS``. Every piece keeps the file's
    lines where they are (the others blanked, so that source positions stay true)
    and every footnote and link reference definition of the file (so that a
    reference finds its definition whichever piece it is in)."""
    if len(text) <= PIECE_CHARACTERS:
        return [text]
    lines = text.split("\n")
    cuts, size, fence = [0], 0, ""
    for number, line in enumerate(lines):
        opening = _FENCE.match(line)
        if opening and (not fence or opening.group(1)[0] == fence[0]):
            fence = "" if fence else opening.group(1)
        elif (not fence and size >= PIECE_CHARACTERS and _TOP_HEADING.match(line)
              and (number == 0 or not lines[number - 1].strip())):
            cuts.append(number)
            size = 0
        size += len(line) + 1
    if len(cuts) == 1:
        return [text]
    definitions = _definition_lines(lines)
    pieces = []
    for start, end in zip(cuts, cuts[1:] + [len(lines)]):
        pieces.append("\n".join(line if start <= number < end or number in definitions
                                else "" for number, line in enumerate(lines)))
    return pieces


def _definition_lines(lines: list[str]) -> set[int]:
    """The lines of every footnote and link reference definition: the line that opens
    it and the indented (or blank) lines that go on with it."""
    found: set[int] = set()
    number = 0
    while number < len(lines):
        line = lines[number]
        if FOOTNOTE_DEFINITION.match(line) or _LINK_DEFINITION.match(line):
            found.add(number)
            following = number + 1
            while following < len(lines) and (not lines[following].strip()
                                              or lines[following][:1] in " \t"):
                following += 1
            while following - 1 > number and not lines[following - 1].strip():
                following -= 1  # the blank lines after it are not its own
            found.update(range(number, following))
            number = following
        else:
            number += 1
    return found


def unwrap_positions(blocks: list) -> list:
    """Remove the wrapper Divs and Spans that ``+sourcepos`` adds.

    Links, images, headings and code keep their ``data-pos`` attribute, so later
    stages can still name a line; ``strip_positions`` removes those before rendering.
    """
    def unwrap(node: dict):
        if node["t"] in ("Span", "Div") and get_attr(node, "wrapper") == "1":
            return node["c"][1]
        return None

    return walk(blocks, unwrap)


def strip_positions(blocks: list) -> list:
    """Remove ``data-pos`` attributes before rendering, in place (``visit``: the
    tree's lists are not made again, as ``walk`` makes them; the pieces of the
    150-page bench book's three formats: 0.3 s less)."""
    def strip(node: dict) -> None:
        at = ATTR_INDEX.get(node["t"])
        if at is not None:
            attr = node["c"][at]
            if any(kv[0] == "data-pos" for kv in attr[2]):
                attr[2] = [kv for kv in attr[2] if kv[0] != "data-pos"]

    visit(blocks, strip)
    return blocks
