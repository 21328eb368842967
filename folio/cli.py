"""The command line: parse arguments, run the pipeline, print diagnostics, exit.

Exit status: 0 success (warnings allowed), 1 a book failed (warnings count as
failures under ``--strict``), 2 a usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .diagnostics import BuildError, Diagnostic, Reporter
from .formats import BUILDERS
from .metadata import PAGE_SIZES

EXAMPLES = """\
examples:
  python build.py                         build every book in content/ into dist/
  python build.py content/my-book.md      build one manuscript
  python build.py book/ -o out --format epub,pdf
  python build.py check content/my-book.md
"""
COMMANDS = ("build", "check")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py", description="Build EPUB, PDF and HTML books from Markdown.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=COMMANDS, default="build",
                        help="build (default) or check (report problems, write nothing)")
    parser.add_argument("sources", nargs="*", metavar="SOURCE",
                        help="manuscript files or book folders (default: every book in "
                             "content/)")
    parser.add_argument("-o", "--output", default="dist", metavar="OUTDIR",
                        help="output folder (default: dist)")
    parser.add_argument("--format", default=",".join(BUILDERS), metavar="LIST",
                        help="comma-separated formats: epub,pdf,html (default: all)")
    parser.add_argument("--page-size", metavar="SIZE", choices=sorted(PAGE_SIZES),
                        type=str.lower,
                        help="PDF page size, overriding the metadata: "
                             + ", ".join(sorted(PAGE_SIZES)))
    parser.add_argument("--print", action="store_true", dest="print_pdf",
                        help="a print-shop PDF: 3 mm bleed, crop marks, no link colour")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings as errors: fail and write nothing")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only diagnostics")
    return parser


def _split_command(argv: list[str]) -> list[str]:
    """Let the command be left out: ``build.py book.md`` means ``build.py build book.md``."""
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        return ["build", *argv]
    return argv


def main(argv: list[str] | None = None, stdout=None, stderr=None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = make_parser()
    args = parser.parse_args(_split_command(list(sys.argv[1:] if argv is None else argv)))
    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in BUILDERS]
    if unknown or not formats:
        parser.error(f"unknown format {', '.join(unknown) or '(none)'}; "
                     f"choose from {', '.join(BUILDERS)}")

    from . import pipeline  # imported late: --help stays fast

    sources = [Path(s) for s in args.sources]
    if not sources:
        sources = pipeline.discover_books(Path("content"))
        if not sources:
            print("build.py: error: no books in content/ and no SOURCE given", file=stderr)
            return 2

    reporter = Reporter()
    reporter.listeners.append(lambda d: print(d.format(), file=stderr, flush=True))
    failed = 0
    for source in sources:
        try:
            if args.command == "check":
                pipeline.read_book(source, reporter)
            else:
                options = {"print": args.print_pdf, "page_size": args.page_size}
                result = pipeline.build_book(source, Path(args.output), formats, reporter,
                                             strict=args.strict, options=options)
                if not args.quiet:
                    for name, path in result.outputs.items():
                        seconds = result.timings.get(name, 0.0)
                        print(f"{path}  ({seconds:.1f} s)", file=stdout)
        except BuildError as error:
            reporter.add(error.diagnostic)
            failed += 1
        except KeyboardInterrupt:
            print("build.py: interrupted; earlier outputs are unchanged", file=stderr)
            return 130
        except Exception as error:  # noqa: BLE001 - a clear line instead of a traceback
            if os.environ.get("FOLIO_DEBUG"):
                raise
            reporter.add(Diagnostic(str(source), 0, 0, "error",
                                    f"internal error: {type(error).__name__}: {error} "
                                    "(set FOLIO_DEBUG=1 for details)", "internal"))
            failed += 1
    warnings = reporter.count("warning")
    errors = reporter.count("error")
    if args.command == "check" or warnings or errors:
        print(f"{len(sources)} book(s): {errors} error(s), {warnings} warning(s)",
              file=stderr)
    if failed or (args.strict and warnings):
        return 1
    return 0
