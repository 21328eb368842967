"""The house rules, checked on the import graph (function-local imports included):
imports only go down, no circles, and nothing below the command line prints.

The floors, top to bottom (README, "Layout of the package"):

    entry        cli, console, watch, scaffold, __main__
    books        books
    pipeline     pipeline
    formats      formats (the registry)
                 formats.epub | formats.pdf | formats.html   (wings: never each other)
                 formats.base, .notes, .pagemap, .render, .maths, .code, .covers,
                 .serialised
    transforms   transforms, checks, linkcheck
    reading      book, metadata, parse, document, guard, cache, readcache
    policy       safety
    ground       ast, diagnostics, templates, outputs, sandbox, language, typography,
                 confined, folio
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "folio"

#: Floors from the top; each floor is a list of rooms. A module may import from its
#: own room, from a room of its floor unless the floor's rooms are ``apart``, and from
#: any floor below -- never from a floor above.
FLOORS: list[tuple[str, bool, list[list[str]]]] = [
    ("entry", False, [["folio.cli", "folio.console", "folio.watch", "folio.scaffold",
                       "folio.__main__"]]),
    ("books", False, [["folio.books"]]),
    ("pipeline", False, [["folio.pipeline"]]),
    ("format registry", False, [["folio.formats"]]),
    ("format wings", True, [["folio.formats.epub"], ["folio.formats.pdf"],
                            ["folio.formats.html"]]),
    ("format commons", False, [["folio.formats.base", "folio.formats.notes",
                                "folio.formats.pagemap", "folio.formats.render",
                                "folio.formats.maths", "folio.formats.code",
                                "folio.formats.covers", "folio.formats.serialised"]]),
    ("transforms and checks", False, [["folio.transforms", "folio.checks",
                                       "folio.linkcheck"]]),
    ("reading", False, [["folio.book", "folio.metadata", "folio.parse", "folio.document",
                         "folio.guard", "folio.cache", "folio.readcache"]]),
    ("policy", False, [["folio.safety"]]),
    ("ground", False, [["folio.ast", "folio.diagnostics", "folio.templates",
                        "folio.outputs", "folio.sandbox", "folio.framestack",
                        "folio.language",
                        "folio.typography", "folio.glyphs", "folio.confined", "folio"]]),
]
#: The only modules that may print or write to the standard streams.
PRINTERS = {"folio.cli", "folio.console"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def place(module: str) -> tuple[int, int]:
    """(floor, room) of ``module``: the longest listed name it is, or lies under."""
    best = None
    for floor, (_, _, rooms) in enumerate(FLOORS):
        for room, names in enumerate(rooms):
            for name in names:
                if module == name or module.startswith(name + "."):
                    if best is None or len(name) > best[0]:
                        best = (len(name), floor, room)
    assert best is not None, f"{module} stands on no floor: add it to FLOORS and the README"
    return best[1], best[2]


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The folio modules ``module`` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    here = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            names = [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name.startswith("folio"):
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {module: imports(module, path, known) for module, path in known.items()}


def test_every_import_goes_down_or_stays_in_its_room():
    wrong = []
    for module, targets in graph().items():
        floor, room = place(module)
        for target in targets:
            if module.startswith(target + "."):
                continue  # a module may read its own package (``from . import …``)
            target_floor, target_room = place(target)
            up = target_floor < floor
            sideways = target_floor == floor and target_room != room and FLOORS[floor][1]
            if up or sideways:
                wrong.append(f"{module} ({FLOORS[floor][0]}) imports {target} "
                             f"({FLOORS[target_floor][0]})")
    assert not wrong, "imports that go up or across:\n" + "\n".join(sorted(wrong))


def test_there_are_no_import_circles():
    edges = graph()
    # Tarjan's strongly connected components, iteratively.
    index, low, on_stack, stack, circles, counter = {}, {}, set(), [], [], [0]

    def visit(start: str) -> None:
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    assert not circles, f"import circles: {circles}"


def test_nothing_below_the_command_line_prints():
    printing = []
    for module, path in modules().items():
        if module in PRINTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print":
                printing.append(f"{module}:{node.lineno} print()")
            if (isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr")
                    and getattr(node.value, "id", "") == "sys"):
                printing.append(f"{module}:{node.lineno} sys.{node.attr}")
    assert not printing, "\n".join(printing)


@pytest.mark.parametrize("module", sorted(modules()))
def test_every_module_stands_on_a_floor(module):
    place(module)


def test_the_rule_catches_an_arrow_up(monkeypatch):
    """The check can fail: a module on the ground floor that imports the pipeline."""
    fake = dict(graph())
    fake["folio.ast"] = fake["folio.ast"] | {"folio.pipeline"}
    monkeypatch.setattr(sys.modules[__name__], "graph", lambda: fake)
    with pytest.raises(AssertionError, match="folio.ast .ground. imports folio.pipeline"):
        test_every_import_goes_down_or_stays_in_its_room()
