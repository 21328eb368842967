"""``check --check-links``: external link targets asked over the network, only when
asked, with time-outs and a cache. A server on 127.0.0.1 stands in for the web."""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import pytest
from helpers import run_build

from folio.diagnostics import Reporter
from folio.linkcheck import LinkChecker
from folio.pipeline import check_books


class _Site(http.server.BaseHTTPRequestHandler):
    """/ok 200; /gone 404; /no-head 405 to HEAD, 200 to GET; /forbidden 403;
    /moved 301 to /ok; /slow answers only when the test ends."""

    def _answer(self) -> None:
        self.server.asked.append((self.command, self.path))
        if self.path == "/slow":
            self.server.release.wait(60)
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif self.path == "/no-head" and self.command == "HEAD":
            self.send_response(405)
        else:
            self.send_response({"/ok": 200, "/gone": 404, "/no-head": 200, "/forbidden": 403,
                                "/slow": 200}.get(self.path, 404))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    server.daemon_threads = True
    server.asked = []
    server.release = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.release.set()
    server.shutdown()


def _book(folder: Path, base: str) -> Path:
    source = folder / "book.md"
    source.write_text(
        "---\ntitle: Links\nlang: en\n---\n"          # lines 1-4
        "# Links\n\n"                                  # 5
        f"A [good page]({base}/ok) and a [gone one]({base}/gone).\n\n"      # 7
        f"A [fussy server]({base}/no-head), a [locked door]({base}/forbidden).\n\n"  # 9
        f"A [moved page]({base}/moved), a [slow host]({base}/slow).\n\n"    # 11
        f"The [gone one again]({base}/gone), and [mail](mailto:a@example.org).\n",  # 13
        encoding="utf-8")
    return source


def _found(reporter: Reporter) -> set[tuple[int, int, str]]:
    return {(d.line, d.col, d.code) for d in reporter.items}


def _at(source: Path, line: int, text: str) -> tuple[int, int]:
    """(line, column) of ``[text`` on ``line`` of ``source``."""
    return line, source.read_text(encoding="utf-8").split("\n")[line - 1].index(f"[{text}") + 1


def test_each_place_that_links_a_failing_target_is_reported(tmp_path, site):
    server, base = site
    source = _book(tmp_path, base)
    checker = LinkChecker(tmp_path / "links.json", timeout=2, allow_private=True)
    reporter = Reporter()
    assert check_books([source], reporter, checker) == 0
    assert _found(reporter) == {(*_at(source, 7, "gone one"), "broken-link"),
                                (*_at(source, 9, "locked door"), "link-refused"),
                                (*_at(source, 11, "slow host"), "unreachable-link"),
                                (*_at(source, 13, "gone one again"), "broken-link")}
    messages = {d.line: d.message for d in reporter.items}
    assert messages[7] == f"link target '{base}/gone' answered HTTP 404"
    assert messages[11] == f"link target '{base}/slow' could not be reached: no answer within 2 s"
    # Each URL asked once though linked twice; HEAD first, GET only where HEAD was refused.
    assert server.asked.count(("HEAD", "/gone")) == 1
    assert ("GET", "/no-head") in server.asked and ("GET", "/ok") not in server.asked


def test_answers_are_cached_but_failures_to_connect_are_not(tmp_path, site):
    server, base = site
    source = _book(tmp_path, base)
    cache = tmp_path / "links.json"
    check_books([source], Reporter(), LinkChecker(cache, timeout=2, allow_private=True))
    asked = len(server.asked)
    reporter = Reporter()
    check_books([source], reporter, LinkChecker(cache, timeout=2, allow_private=True))
    again = {path for _, path in server.asked[asked:]}
    assert again == {"/slow"}, "only the target that never answered is asked again"
    assert {d.code for d in reporter.items} == {"broken-link", "link-refused",
                                                      "unreachable-link"}


def test_no_connection_without_check_links_and_none_to_private_addresses(tmp_path, site):
    server, base = site
    source = _book(tmp_path, base)
    env = {**os.environ, "FOLIO_LINK_CACHE": str(tmp_path / "links.json")}
    assert run_build(str(source), "-o", str(tmp_path / "dist"), env=env).returncode == 0
    assert run_build("check", str(source), env=env).returncode == 0
    assert server.asked == [], "a build and a plain check never touch the network"
    result = run_build("check", "--check-links", str(source), env=env)
    assert result.returncode == 0, result.stderr
    assert server.asked == [], "a manuscript cannot make the check probe the local network"
    assert (f"book.md:7:3: warning: link target '{base}/ok' is on a local or private "
            "network and was not checked [link-not-checked]") in result.stderr
    assert "Traceback" not in result.stderr
