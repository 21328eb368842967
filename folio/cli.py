"""The command line: parse arguments, run the pipeline, print diagnostics, exit.

Commands: ``build`` (the default), ``check``, ``watch`` and ``new``.
Exit status: 0 success (warnings allowed), 1 a book failed (warnings count as
failures under ``--strict``), 2 a usage error, 130 interrupted (Ctrl-C), 143
stopped (SIGTERM).
"""

from __future__ import annotations

import argparse
import atexit
import os
import shlex
import signal
import sys
import threading
from pathlib import Path

from . import __version__
from .console import Display
from .diagnostics import BuildError, Reporter
from .formats import EDITIONS, FORMATS
from .framestack import deep
from .metadata import PAGE_SIZES
from .books import build_books, check_books, discover_books, expand_sources
from .sandbox import return_large_blocks
from .scaffold import new_book

EXAMPLES = """\
examples:
  python build.py                         build every book in content/ into dist/
  python build.py content/my-book.md      build one manuscript (same as: build content/my-book.md)
  python build.py book/ -o out --format epub,pdf
  python build.py --force -q              rebuild everything from scratch, print only problems
  python build.py check content/my-book.md
  python build.py watch content/my-book/  rebuild on save, serve dist/ with live reload
  python build.py new my-book             start a book: my-book/book.yaml and a first chapter

Diagnostics go to standard error as `path:line:col: severity: message [code]`.
Exit status: 0 done (warnings allowed), 1 a book failed, 2 usage error.
Colour only on a terminal; NO_COLOR=1 turns it off.
"""
COMMANDS = ("build", "check", "watch", "new")
#: What ``--help`` of each command says it does.
SUMMARIES = {
    "build": "build EPUB, PDF and HTML (only books whose inputs changed)",
    "check": "report problems in the manuscripts, write nothing",
    "watch": "build, then rebuild on every save and serve the output with live reload",
    "new": "create a book folder with book.yaml and a first chapter",
}


def make_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build EPUB, PDF and HTML books from Markdown.",
        epilog=EXAMPLES, formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"folio {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     title="commands (build is the default)")

    sources = argparse.ArgumentParser(add_help=False)
    sources.add_argument("sources", nargs="*", metavar="SOURCE",
                         help="manuscript files or book folders (default: every book in "
                              "content/)")
    sources.add_argument("--strict", action="store_true",
                         help="treat warnings as errors: fail (and write nothing)")
    sources.add_argument("-q", "--quiet", action="store_true",
                         help="print only diagnostics (for CI)")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-o", "--output", default="dist", metavar="OUTDIR",
                        help="output folder (default: dist)")
    output.add_argument("--format", default=",".join(FORMATS), metavar="LIST",
                        help="comma-separated formats: epub,pdf,html (default: all)")
    output.add_argument("--edition", default="", metavar="LIST",
                        help="comma-separated editions besides the formats: print (PDF/X "
                             "for a print-on-demand service and its wrap cover), kobo "
                             "(.kepub.epub), archive (PDF/A-2u)")
    output.add_argument("--pdf-x", choices=("x-4", "x-1a"), default="x-4", type=str.lower,
                        help="the print edition's standard: PDF/X-4 (default) or PDF/X-1a")
    output.add_argument("--page-size", metavar="SIZE", choices=sorted(PAGE_SIZES),
                        type=str.lower,
                        help="PDF page size, overriding the metadata: "
                             + ", ".join(sorted(PAGE_SIZES)))
    output.add_argument("--print", action="store_true", dest="print_pdf",
                        help="the same as --edition print")
    output.add_argument("--force", action="store_true",
                        help="rebuild from scratch, ignoring the cache in OUTDIR/.folio-cache")
    output.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="books built at once (default: one per core)")

    def command(name: str, parents: list, examples: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, parents=parents, help=SUMMARIES[name],
                                   description=SUMMARIES[name].capitalize() + ".",
                                   epilog="examples:\n" + examples, formatter_class=formatter)

    build = command("build", [sources, output],
                    "  python build.py build\n  python build.py build content/my-book.md -o out\n"
                    "  python build.py build book/ --format pdf --page-size a4\n"
                    "  python build.py build book/ --format pdf --edition print,kobo,archive\n")
    # build is the default command: the top-level help lists its options too.
    options = build.format_help().split("options:\n", 1)[1].split("\nexamples:", 1)[0]
    options = "\n".join(line for line in options.splitlines() if "--help" not in line)
    parser.epilog = f"build options (build is the default command):\n{options}\n{EXAMPLES}"
    check = command("check", [sources],
                    "  python build.py check\n  python build.py check --strict content/my-book/\n"
                    "  python build.py check --check-links content/my-book/\n")
    check.add_argument("--check-links", action="store_true",
                       help="also ask every external link target over the network (cached "
                            "for a day; FOLIO_LINK_TIMEOUT seconds each, default 10)")
    watch = command("watch", [sources, output],
                    "  python build.py watch content/my-book/\n"
                    "  python build.py watch book.md --format html --port 8001\n")
    watch.add_argument("--port", type=int, default=8000,
                       help="port on 127.0.0.1 to serve OUTDIR on (default: 8000; 0 picks "
                            "a free one)")
    new = command("new", [], "  python build.py new my-book\n"
                             "  python build.py new books/essay --title 'An Essay' --lang de\n")
    new.add_argument("name", metavar="NAME", help="folder to create")
    new.add_argument("--title", help="the book's title (default: from NAME)")
    new.add_argument("--lang", default="en", help="language tag (default: en)")
    new.add_argument("--author", help="the author's name")
    return parser


def _split_command(argv: list[str]) -> list[str]:
    """Let the command be left out: ``build.py book.md`` means ``build.py build book.md``."""
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return ["build", *argv]
    return argv


def run() -> None:
    """``main`` as the program (``build.py``, ``python -m folio``): its status is the
    process's, and the process ends as soon as ``main`` has returned and what was
    registered to run at exit has run (``atexit``), its output flushed: the
    interpreter's teardown, which frees every object of the book one by one, is left
    to the system. An edit of the 150-page bench book: 0.05-0.07 s of its 1.5 s after
    ``main`` returned, 0.005 s without the teardown. An exception (``SystemExit``
    from a usage error, or an interruption) ends the process the usual way."""
    status = main()
    atexit._run_exitfuncs()  # noqa: SLF001 - what a normal exit runs first
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``): nothing to lose
            pass
    os._exit(status)


def main(argv: list[str] | None = None, stdout=None, stderr=None) -> int:
    # Below a frame with room for the book's deep walks (``framestack``).
    return deep(_main, argv, stdout, stderr)


def _main(argv: list[str] | None, stdout, stderr) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    return_large_blocks()  # before the first thread or child (sandbox)
    parser = make_parser()
    args = parser.parse_args(_split_command(list(sys.argv[1:] if argv is None else argv)))
    if args.command == "new":
        return _new(args, stdout, stderr)
    formats = []
    if args.command != "check":
        wanted = [f.strip().lower() for f in args.format.split(",") if f.strip()]
        unknown = [f for f in wanted if f not in FORMATS]
        if unknown or not wanted:
            _command_parser(parser, args.command).error(
                f"--format: unknown format {', '.join(unknown) or '(none)'}; choose from "
                f"{', '.join(FORMATS)} (comma-separated, e.g. --format epub,pdf)")
        editions = [e.strip().lower() for e in args.edition.split(",") if e.strip()]
        editions += ["print"] if args.print_pdf else []
        unknown = [e for e in editions if e not in EDITIONS]
        if unknown:
            _command_parser(parser, args.command).error(
                f"--edition: unknown edition {', '.join(unknown)}; choose from "
                f"{', '.join(EDITIONS)} (comma-separated, e.g. --edition print,kobo)")
        formats = [name for name in FORMATS + EDITIONS if name in wanted or name in editions]

    sources = expand_sources([Path(s) for s in args.sources])
    if not sources:
        sources = discover_books(Path("content"))
        if not sources:
            print("build.py: error: no books in content/ and no SOURCE given", file=stderr)
            return 2
    previous = _stop_on_sigterm()
    try:
        if args.command == "check":
            return _check(args, sources, stdout, stderr)
        if args.command == "watch":
            return _watch(args, sources, formats, stdout, stderr)
        return _build(args, sources, formats, stdout, stderr)
    except KeyboardInterrupt as stop:
        print("build.py: interrupted; earlier outputs are unchanged", file=stderr)
        # The watcher library re-raises a plain KeyboardInterrupt for SIGTERM too: the
        # handler's note of the signal tells them apart.
        return 128 + (stop.args[0] if stop.args else _TERMINATED[-1] if _TERMINATED
                      else signal.SIGINT)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _command_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    """The parser of the command ``name`` (its usage line names the command)."""
    for action in parser._subparsers._group_actions:  # noqa: SLF001 - argparse has no API
        if name in getattr(action, "choices", {}):
            return action.choices[name]
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a CI time-out) ends a build the way Ctrl-C does: the
    temporary files go, the earlier outputs stay."""


#: SIGTERM received in this process (``Terminated`` may not survive the watcher).
_TERMINATED: list[int] = []


def _stop_on_sigterm():
    """Route SIGTERM to ``Terminated``; the previous handler, or None off the main thread."""
    def terminate(signum, frame):
        _TERMINATED.append(signum)
        raise Terminated(signum)

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, terminate)


def options_of(args) -> dict:
    """Command-line options that reach the builders."""
    options = {"page_size": args.page_size}
    editions = [e.strip().lower() for e in getattr(args, "edition", "").split(",")]
    if "print" in editions or args.print_pdf:
        options["pdf_x"] = args.pdf_x  # (only the print edition reads it: the cache key)
    return options


def _build(args, sources: list[Path], formats: list[str], stdout, stderr) -> int:
    reporter, failed = _build_once(args, sources, formats, stdout, stderr, args.force)
    return _summary(args, reporter, len(sources), failed, stderr)


def _build_once(args, sources: list[Path], formats: list[str], stdout, stderr,
                force: bool, previewed=None) -> tuple[Reporter, int]:
    """Build ``sources`` with a progress display; the reporter and how many failed.
    With ``previewed``, each book's reading page goes into place as soon as it is
    written (``outputs.commit_now``) and ``previewed()`` is called then."""
    display = Display(stdout, stderr, args.quiet, tuple(formats))
    reporter = Reporter()
    display.start([str(source) for source in sources])
    failed = 0
    results: list = []
    options, progress = options_of(args), display.progress
    if previewed is not None:
        options["preview"] = True

        def progress(book: str, stage: str, seconds: float | None) -> None:
            display.progress(book, stage, seconds)
            if stage == "html" and seconds is not None:
                previewed()
    try:
        results = build_books(sources, Path(args.output), formats, reporter, args.strict,
                              options, force, progress, args.jobs)
        # A book that failed, or one that could not write every format it was asked for.
        failed = sum(result is None or bool(result.missing) for result in results)
    finally:
        display.stop(failed)
        _report(display, reporter)
    for result in results:
        display.finished(result.display if result else "", result)
    return reporter, failed


def _report(display: Display, reporter: Reporter) -> None:
    """The diagnostics of a run in reading order: ``build`` and ``check`` give the
    same lines in the same order."""
    for diagnostic in sorted(reporter.items, key=lambda d: (d.path, d.line, d.col)):
        display.diagnostic(diagnostic)


def _watch(args, sources: list[Path], formats: list[str], stdout, stderr) -> int:
    """``watch``: build, serve, rebuild what changed; the server and the loop are in
    ``folio.watch``, the building and the printing here."""
    from .watch import watch  # the server's modules, for this command only

    first = [True]

    def rebuild(books: list[Path], previewed) -> int:
        _, failed = _build_once(args, books, formats, stdout, stderr,
                                args.force and first[0],  # --force: the first build only
                                previewed)
        first[0] = False
        return failed

    def say(text: str) -> None:
        if not args.quiet:
            print(text, file=stdout, flush=True)

    try:
        return watch(sources, Path(args.output), args.port, rebuild, say)
    except OSError as error:
        print(f"build.py: error: cannot serve on 127.0.0.1:{args.port}: {error.strerror}",
              file=stderr)
        return 2


def _check(args, sources: list[Path], stdout, stderr) -> int:
    display = Display(stdout, stderr, args.quiet)
    reporter = Reporter()
    from .linkcheck import LinkChecker  # a document's links, for this command only

    links = LinkChecker() if args.check_links else None
    failed = check_books(sources, reporter, links)
    _report(display, reporter)
    return _summary(args, reporter, len(sources), failed, stderr, always=True)


def _summary(args, reporter, books: int, failed: int, stderr, always: bool = False) -> int:
    warnings = reporter.count("warning")
    errors = reporter.count("error")
    if (always or warnings or errors) and not (args.quiet and not always):
        print(f"{books} book(s): {errors} error(s), {warnings} warning(s)", file=stderr)
    if failed or errors or (args.strict and warnings):
        return 1
    return 0


def _new(args, stdout, stderr) -> int:
    try:
        created = new_book(Path(args.name), title=args.title, lang=args.lang,
                           author=args.author)
    except BuildError as error:
        print(error.diagnostic.format(), file=stderr)
        return 1
    names = ", ".join(str(path) for path in created)
    print(f"created {names}\nnext: python build.py watch {shlex.quote(args.name)}",
          file=stdout)
    return 0
