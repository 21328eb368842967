"""Maths: TeX between ``$…$`` and ``$$…$$`` turned into MathML once, for every format.

Each formula (a ``Span.folio-math`` from ``transforms.syntax``, with its position)
gets its MathML (latex2mathml) in the span's ``mathml`` attribute; the formats make
of it MathML (EPUB, reading page) or a vector drawing (PDF). The TeX is untrusted:

- nothing in it may link, load or style anything: ``\\href``, ``\\url``, ``\\style``,
  ``\\class``, ``\\cssId``, ``\\require`` and colours are dropped (their text stays)
  with an ``unsafe-math`` warning, and the MathML is cut down to presentation
  elements (``folio.safety.MATHML_ELEMENTS``) when it is rendered;
- no macro expands without bound: definitions (``\\def``, ``\\newcommand`` …) are not
  read, a formula may hold at most ``MAX_TEX`` characters and ``MAX_DEPTH`` levels of
  braces, and all of a book's formulas are converted in a child process
  (``folio.sandbox``) under a time limit per formula and a memory cap;
- TeX the converter cannot read gives a ``bad-math`` warning with file:line and is
  printed as code.
"""

from __future__ import annotations

import re
import signal

from ..ast import expand, get_attr, parse_pos
from ..diagnostics import BuildError, Reporter
from ..sandbox import Child, can_fork

#: Longest formula read, in characters.
MAX_TEX = 4000
#: Deepest nesting of braces in a formula.
MAX_DEPTH = 40
#: Seconds one formula may take to convert; the whole book's formulas get at most
#: BOOK_SECONDS and BOOK_MEMORY MiB.
FORMULA_SECONDS = 2.0
BOOK_SECONDS = 60.0
BOOK_MEMORY = 512

#: Commands that link, load or style: dropped with their first argument
#: (``\href{url}{text}`` keeps ``text``; ``\url{x}`` and ``\require{x}`` go).
_LINKING = re.compile(r"\\(href|url|style|class|cssId|require|color|textcolor|colorbox|"
                      r"mathcolor|includegraphics|unicode|fbox|mmlToken|bbox|toggle|"
                      r"data|attr)\b\s*")
_DEFINITIONS = re.compile(r"\\(def|gdef|edef|xdef|let|newcommand|renewcommand|"
                          r"providecommand|DeclareMathOperator|newenvironment|"
                          r"renewenvironment|newcount|csname|expandafter|input|include|"
                          r"catcode)\b")
#: What latex2mathml leaves of a command it does not know: ``<mi>\foo</mi>``.
_UNKNOWN = re.compile(r">(\\[A-Za-z]+)<")


def _skip_group(tex: str, index: int) -> int:
    """The index after the brace group (or single token) that starts at ``index``."""
    while index < len(tex) and tex[index] in " \t\n":
        index += 1
    if index >= len(tex):
        return index
    if tex[index] != "{":
        return index + 1
    depth = 0
    for position in range(index, len(tex)):
        depth += {"{": 1, "}": -1}.get(tex[position], 0)
        if depth == 0:
            return position + 1
    return len(tex)


def defuse(tex: str) -> tuple[str, list[str]]:
    """``tex`` without commands that link, load or style (see the module's doc), and
    the names of those dropped."""
    dropped: list[str] = []
    while True:
        match = _LINKING.search(tex)
        if match is None:
            return tex, dropped
        name = match.group(1)
        dropped.append("\\" + name)
        end = _skip_group(tex, match.end())
        if name in ("href", "style", "class", "cssId", "textcolor", "colorbox", "bbox",
                    "mathcolor", "data", "attr"):
            keep_end = _skip_group(tex, end)
            kept = tex[end:keep_end].strip()
            tex = tex[:match.start()] + kept + tex[keep_end:]
        elif name in ("color", "fbox", "toggle", "mmlToken"):
            tex = tex[:match.start()] + tex[end:]
        else:
            tex = tex[:match.start()] + tex[end:]


def problem(tex: str) -> str | None:
    """Why ``tex`` is not converted at all (too long, too deep, defines macros), or None."""
    if len(tex) > MAX_TEX:
        return f"the formula is longer than {MAX_TEX} characters"
    depth = deepest = 0
    for char in tex:
        if char == "{":
            depth += 1
            deepest = max(deepest, depth)
        elif char == "}":
            depth -= 1
    if deepest > MAX_DEPTH:
        return f"the formula nests braces more than {MAX_DEPTH} levels deep"
    found = _DEFINITIONS.search(tex)
    if found:
        return f"macro definitions ({found.group(0)}) are not expanded"
    return None


class _Slow(Exception):
    pass


def _alarm(signum, frame):
    raise _Slow()


def convert_all(formulas: list[tuple[str, bool]]) -> list[tuple[str, str]]:
    """(MathML, "") or ("", reason) for each (TeX, display) -- run in a child process,
    each formula under ``FORMULA_SECONDS`` (a timer signal)."""
    from latex2mathml.converter import convert

    timed = hasattr(signal, "setitimer")
    if timed:
        previous = signal.signal(signal.SIGALRM, _alarm)
    results = []
    try:
        for tex, display in formulas:
            try:
                if timed:
                    signal.setitimer(signal.ITIMER_REAL, FORMULA_SECONDS)
                mathml = convert(tex, display="block" if display else "inline")
                unknown = _UNKNOWN.search(mathml)
                results.append(("", f"unknown command {unknown.group(1)}") if unknown
                               else (mathml, ""))
            except _Slow:
                results.append(("", f"it took longer than {FORMULA_SECONDS:g} s"))
            except RecursionError:
                results.append(("", "it nests too deeply"))
            except Exception as error:  # noqa: BLE001 - the converter's own errors vary
                detail = str(error).strip().splitlines()[0][:80] if str(error).strip() else ""
                results.append(("", type(error).__name__ + (f": {detail}" if detail else "")))
            finally:
                if timed:
                    signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        if timed:
            signal.signal(signal.SIGALRM, previous)
    return results


def _convert_bounded(formulas: list[tuple[str, bool]], display: str) -> list[tuple[str, str]]:
    if not formulas:
        return []
    if not can_fork():
        return convert_all(formulas)
    with Child(("latex2mathml.converter",), display=display,
               what="the conversion of the formulas") as child:
        return child.run(convert_all, formulas, timeout=BOOK_SECONDS, memory_mib=BOOK_MEMORY)


#: The mark (``ast.marks_of``) of a book with formulas.
FORMULA = ".folio-math"


def is_formula(node: dict) -> bool:
    return node.get("t") == "Span" and "folio-math" in node["c"][0][1]


def convert_maths(files_blocks: list[list], displays: list[str], reporter: Reporter) -> list:
    """Every formula of the book given its MathML, or printed as code with a warning."""
    found: list[tuple[int, dict]] = []
    for number, blocks in enumerate(files_blocks):
        expand(blocks, lambda node, n=number: found.append((n, node)) if is_formula(node)
               else None)
    if not found:
        return files_blocks
    jobs, places = [], []
    for index, (number, span) in enumerate(found):
        math = span["c"][1][0]
        tex = math["c"][1]
        line, col = parse_pos(get_attr(span, "data-pos"))
        where = (displays[number], line, col)
        clean, dropped = defuse(tex)
        if dropped:
            reporter.warn(where[0], where[1], f"{', '.join(sorted(set(dropped)))} in a "
                          "formula can link, load or style and is left out", "unsafe-math",
                          where[2])
        reason = problem(clean)
        if reason:
            _as_code(span, tex, where, reason, reporter)
            continue
        jobs.append((clean, math["c"][0]["t"] == "DisplayMath"))
        places.append((span, tex, clean, where))
    try:
        results = _convert_bounded(jobs, displays[0])
    except BuildError as error:
        results = [("", error.diagnostic.message)] * len(jobs)
    for (span, tex, clean, where), (mathml, reason) in zip(places, results):
        if reason:
            _as_code(span, tex, where, reason, reporter)
        else:  # the alternative text is the TeX that was typeset
            span["c"][0][2].append(["mathml", mathml])
            span["c"][0][2].append(["tex", clean])
    return files_blocks


def _as_code(span: dict, tex: str, where: tuple, reason: str, reporter: Reporter) -> None:
    display, line, col = where
    reporter.warn(display, line, f"formula '{tex[:60]}' cannot be typeset ({reason}); it "
                  "is printed as TeX", "bad-math", col)
    span["c"][0][1] = ["math-source"]
    span["c"][1] = [{"t": "Code", "c": [["", ["tex"], []], tex]}]


def formula_parts(span: dict) -> tuple[str, str, bool, str, str]:
    """(MathML, TeX, display, id, number) of a converted formula's span."""
    keys = dict(span["c"][0][2])
    math = span["c"][1][0]
    return (keys.get("mathml", ""), keys.get("tex", ""),
            math["c"][0]["t"] == "DisplayMath", span["c"][0][0], keys.get("number", ""))

