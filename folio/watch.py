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
from collections.abc import Callable
from pathlib import Path

from .book import load_book
from .diagnostics import BuildError

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


def watch(sources: list[Path], outdir: Path, port: int,
          rebuild: Callable[[list[Path], Callable[[], None]], int],
          say: Callable[[str], None]) -> int:
    """Build ``sources`` with ``rebuild(books, previewed) -> failures``, serve ``outdir``
    on 127.0.0.1:``port`` and rebuild the books whose files change; ``say`` tells the
    user what happens. ``rebuild`` puts each book's reading page into place as soon as
    it is written and calls ``previewed()`` then: open pages reload at once, and
    again when a book's other files are in place (the PDF's page numbers, say).
    Returns only when interrupted (Ctrl-C raises ``KeyboardInterrupt``, which the
    command line turns into its exit status)."""
    import watchfiles

    outdir.mkdir(parents=True, exist_ok=True)
    generation = Generation()
    previews: list[float] = []

    def previewed() -> None:
        previews.append(time.perf_counter())
        generation.bump()

    rebuild(sources, previewed)
    generation.bump()  # pages reload once a book's files are in place together
    slugs = [slug for slug in map(_slug_of, sources) if slug]
    server = serve(outdir, port, generation, slugs)
    home = f"{slugs[0]}/" if len(slugs) == 1 else ""
    say(f"serving {outdir}/ at http://127.0.0.1:{server.server_address[1]}/{home} "
        "(Ctrl-C stops)")
    watching = False
    try:
        # An empty set comes every quarter second without changes: the first one says
        # that the file watches are in place (the tests wait for that line).
        for changes in watchfiles.watch(*watched_paths(sources), debounce=300, step=50,
                                        rust_timeout=250, yield_on_timeout=True,
                                        raise_interrupt=True):
            if not watching:
                watching = True
                say("watching for changes")
            books = affected(changes, sources, outdir)
            if books:
                started = time.perf_counter()
                previews.clear()
                failed = rebuild(books, previewed)
                generation.bump()
                seconds = time.perf_counter() - started
                page = (f"; the reading page after {previews[-1] - started:.1f} s"
                        if previews and len(books) == 1 else "")
                if failed:
                    kept = ("the reading page is new, the other files are the last good "
                            "build's" if previews else "the page shows the last good build")
                    say(f"{failed} of {len(books)} book(s) failed to rebuild "
                        f"({seconds:.1f} s{page}); {kept}")
                else:
                    say(f"rebuilt {len(books)} book(s) in {seconds:.1f} s{page}")
    finally:
        server.shutdown()
    return 0


def _slug_of(source: Path) -> str:
    try:
        return load_book(source).slug
    except BuildError:
        return ""
