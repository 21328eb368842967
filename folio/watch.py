"""``watch``: build, serve the output folder on 127.0.0.1 and rebuild on every save;
open pages reload themselves when their book has been rebuilt.

The server injects a small script into the HTML pages it serves (the files in
the output folder stay as built): it listens to ``/__folio__/events``, a stream
of server-sent events, and reloads the page on ``reload``. Only the loopback
interface is bound; nothing is reachable from another machine.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

#: The server-sent events endpoint.
EVENTS_PATH = "/__folio__/events"
#: Injected before ``</body>`` of every HTML page served.
RELOAD_SCRIPT = (b'<script>new EventSource("' + EVENTS_PATH.encode()
                 + b'").addEventListener("reload", () => location.reload());</script>')
#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE = 10.0


class Generation:
    """A counter of finished rebuilds that event streams wait on."""

    def __init__(self) -> None:
        self.value = 0
        self._condition = threading.Condition()

    def bump(self) -> None:
        with self._condition:
            self.value += 1
            self._condition.notify_all()

    def wait_past(self, seen: int, timeout: float) -> int:
        with self._condition:
            self._condition.wait_for(lambda: self.value != seen, timeout)
            return self.value


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the output folder, the reload script, and the event stream."""

    generation: Generation
    #: Slugs of the books being watched.
    books: list[str]

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        path = self.path.split("?", 1)[0]
        if path == EVENTS_PATH:
            return self._events()
        if any(part.startswith(".") for part in path.split("/")):
            return self.send_error(404)  # the cache, editors' temporary files
        if path == "/" and len(self.books) == 1:
            self.send_response(302)
            self.send_header("Location", f"/{self.books[0]}/")
            return self.end_headers()
        local = Path(self.translate_path(path))
        if local.is_dir() and (local / "index.html").is_file() and path.endswith("/"):
            local = local / "index.html"
        if local.suffix == ".html" and local.is_file():
            return self._page(local)
        return super().do_GET()

    def _page(self, local: Path) -> None:
        body = local.read_bytes()
        at = body.rfind(b"</body>")
        body = body[:at] + RELOAD_SCRIPT + body[at:] if at >= 0 else body + RELOAD_SCRIPT
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        seen = self.generation.value
        try:
            self.wfile.write(b"retry: 500\n\n")
            self.wfile.flush()
            while True:
                now = self.generation.wait_past(seen, KEEPALIVE)
                if now != seen:
                    seen = now
                    self.wfile.write(f"event: reload\ndata: {now}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


def serve(folder: Path, port: int, generation: Generation,
          books: list[str]) -> http.server.ThreadingHTTPServer:
    """Start serving ``folder`` on 127.0.0.1:``port`` in a background thread."""
    handler = type("BoundHandler", (Handler,), {"generation": generation, "books": books})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(handler, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def watched_paths(sources: list[Path]) -> dict[Path, Path]:
    """Folder to watch -> the source it belongs to (a file book: its folder)."""
    paths = {}
    for source in sources:
        resolved = source.resolve()
        paths[resolved if resolved.is_dir() else resolved.parent] = source
    return paths


def affected(changes, sources: list[Path], outdir: Path) -> list[Path]:
    """The sources a set of changed paths belongs to (in the given order)."""
    outdir = outdir.resolve()
    hit = []
    for source in sources:
        root = source.resolve()
        for _, name in changes:
            path = Path(name)
            if outdir == path or outdir in path.parents:
                continue
            if root.is_dir():
                inside = root in path.parents
            else:  # a single-file book: the file itself, or its folder's templates/
                inside = path == root or (root.parent / "templates") in path.parents \
                    or root.parent in path.parents and path.suffix.lower() not in (".md",
                                                                                   ".markdown")
            if inside:
                hit.append(source)
                break
    return hit


def watch(args, sources: list[Path], formats: list[str], stdout, stderr) -> int:
    """The ``watch`` command: returns only on Ctrl-C (exit status 0)."""
    import watchfiles

    from .cli import options_of
    from .console import Display
    from .diagnostics import Reporter
    from .pipeline import build_books

    outdir = Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    generation = Generation()

    def rebuild(books: list[Path]) -> None:
        display = Display(stdout, stderr, args.quiet, tuple(formats))
        reporter = Reporter()
        reporter.listeners.append(display.diagnostic)
        display.start([str(book) for book in books])
        try:
            results = build_books(books, outdir, formats, reporter, args.strict,
                                  options_of(args), args.force, display.progress, args.jobs)
        finally:
            display.stop()
        for result in results:
            display.finished(result.display if result else "", result)
        # Only now: a book's files move into place together when it is done.
        generation.bump()

    rebuild(sources)
    args.force = False  # --force applies to the first build only
    slugs = [slug for slug in map(_slug_of, sources) if slug]
    try:
        server = serve(outdir, args.port, generation, slugs)
    except OSError as error:
        print(f"build.py: error: cannot serve on 127.0.0.1:{args.port}: {error.strerror}",
              file=stderr)
        return 2
    port = server.server_address[1]
    home = f"{slugs[0]}/" if len(slugs) == 1 else ""
    print(f"serving {outdir}/ at http://127.0.0.1:{port}/{home} "
          "(Ctrl-C stops); watching for changes", file=stdout, flush=True)
    try:
        for changes in watchfiles.watch(*watched_paths(sources), debounce=300, step=50,
                                        raise_interrupt=False):
            books = affected(changes, sources, outdir)
            if books:
                started = time.perf_counter()
                rebuild(books)
                if not args.quiet:
                    print(f"rebuilt {len(books)} book(s) in "
                          f"{time.perf_counter() - started:.1f} s", file=stdout, flush=True)
    finally:
        server.shutdown()
    return 0


def _slug_of(source: Path) -> str:
    from .book import load_book
    from .diagnostics import BuildError
    try:
        return load_book(source).slug
    except BuildError:
        return ""
