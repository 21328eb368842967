"""``check --check-links``: external link targets asked over the network, only when
asked, with time-outs and a cache. A server on 127.0.0.1 stands in for the web."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from helpers import run_build

from folio.diagnostics import Reporter
from folio.linkcheck import LinkChecker
from folio.books import check_books


class _Site(http.server.BaseHTTPRequestHandler):
    """/ok 200; /gone 404; /no-head 405 to HEAD, 200 to GET; /forbidden 403;
    /moved 301 to /ok; /slow answers only when the test ends."""

    def _answer(self) -> None:
        self.server.asked.append((self.command, self.path))
        self.server.hosts.append(self.headers.get("Host"))
        if self.path == "/slow":
            self.server.release.wait(60)
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/ok")
        elif self.path.startswith("/to?"):
            self.send_response(302)
            self.send_header("Location", unquote(self.path[len("/to?"):]))
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
    server.hosts = []
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
    checker = LinkChecker(tmp_path / "links.json", timeout=2, allow={"127.0.0.1"})
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
    check_books([source], Reporter(), LinkChecker(cache, timeout=2, allow={"127.0.0.1"}))
    asked = len(server.asked)
    reporter = Reporter()
    check_books([source], reporter, LinkChecker(cache, timeout=2, allow={"127.0.0.1"}))
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
            "network and was not checked (127.0.0.1 is not a public address) "
            "[link-not-checked]") in result.stderr
    assert "Traceback" not in result.stderr


# --- one URL policy: nothing on this machine is asked, however it is written -----

class Counter:
    """A TCP listener that counts every connection made to it (nothing is answered)."""

    def __init__(self, host: str = "127.0.0.1", family=socket.AF_INET, port: int = 0) -> None:
        self.socket = socket.socket(family)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.socket.listen(64)
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._count, daemon=True)
        self.thread.start()

    def _count(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.socket.close()


@pytest.fixture
def counters():
    found = [Counter()]
    try:
        found.append(Counter("::1", socket.AF_INET6))
    except OSError:  # no IPv6 loopback on this machine
        found.append(found[0])
    yield found
    for counter in found:
        counter.close()


def loopback_forms(port: int, port6: int) -> list[str]:
    """Every way of writing this machine (see tests/unit/test_urls.py)."""
    return [
        f"http://%31%32%37.0.0.1:{port}/x", f"http://%6c%6fcalhost:{port}/",
        f"http://2130706433:{port}/", f"http://0177.0.0.1:{port}/", f"http://0x7f.1:{port}/",
        f"http://127.1:{port}/", f"http://017700000001:{port}/", f"http://0x7f000001:{port}/",
        f"http://127.0.0.1.:{port}/", f"http://127.0.0.1%2e:{port}/",
        f"http://１２７.０.０.１:{port}/", f"http://LOCALHOST:{port}/",
        f"http://localhost.:{port}/", f"http://foo.localhost:{port}/",
        f"http://ⓛocalhost:{port}/", f"http://0:{port}/", f"http://127.0.0.1:{port}/",
        f"https://127.0.0.1:{port}/", f"http://user:pw@127.0.0.1:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/", f"http://[::ffff:7f00:1]:{port}/",
        f"http://[::1]:{port6}/", f"http://[0:0:0:0:0:0:0:1]:{port6}/",
        f"http://[::]:{port6}/", f"http://0.0.0.0:{port}/",
    ]


def test_check_links_asks_nothing_on_this_machine_however_it_is_written(tmp_path, counters):
    """Before: a host written with percent escapes passed the private-network guard
    and the HTTP client then decoded it and connected to loopback."""
    ipv4, ipv6 = counters
    forms = loopback_forms(ipv4.port, ipv6.port)
    lines = [f"A [link {n}]({url})." for n, url in enumerate(forms)]
    malformed = [f"<http://:{ipv4.port}\\@127.0.0.1/>", f"<http://[::1:{ipv6.port}/>",
                 f"<http://127.0.0.1:{ipv4.port}\\@example.org/>"]
    source = tmp_path / "book.md"
    source.write_text("---\ntitle: T\nlang: en\n---\n" + "\n\n".join(lines + malformed)
                      + "\n", encoding="utf-8")
    env = {"FOLIO_LINK_CACHE": str(tmp_path / "links.json"), "FOLIO_LINK_TIMEOUT": "3"}
    result = run_build("check", "--check-links", str(source), env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert (ipv4.connections, ipv6.connections) == (0, 0), result.stderr
    findings = {}
    for line in result.stderr.splitlines():
        if line.startswith(str(source) + ":"):
            number = int(line[len(str(source)) + 1:].split(":")[0])
            code = line.rsplit("[", 1)[-1].rstrip("]")
            if code not in ("font-fallback", "missing-glyph"):  # true of the printed URL, not ours
                findings.setdefault(number, []).append(code)
    for index in range(len(lines)):
        assert findings.get(5 + 2 * index) == ["link-not-checked"], (forms[index], findings)
    for index in range(len(malformed)):
        assert findings.get(5 + 2 * (len(lines) + index)) == ["bad-url"], malformed[index]


def test_a_redirect_is_judged_like_the_first_request(tmp_path, site):
    server, base = site
    try:
        other = Counter("127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 cannot be bound here")
    try:
        targets = [f"http://0x7f.0.0.2:{other.port}/secret", f"http://127.0.0.2:{other.port}/",
                   f"http://localhost:{other.port}/", f"http://:{other.port}\\@127.0.0.2/"]
        source = tmp_path / "book.md"
        source.write_text("---\ntitle: T\nlang: en\n---\n" + "\n\n".join(
            f"A [hop {n}]({base}/to?{quote(url, safe='')})." for n, url in enumerate(targets))
            + "\n", encoding="utf-8")
        checker = LinkChecker(tmp_path / "links.json", timeout=2, allow={"127.0.0.1"})
        reporter = Reporter()
        assert check_books([source], reporter, checker) == 0
        assert other.connections == 0
        assert sorted((d.line, d.code) for d in reporter.items) == [
            (5, "unreachable-link"), (7, "unreachable-link"), (9, "unreachable-link"),
            (11, "unreachable-link")]
        assert all("redirected to" in d.message for d in reporter.items), reporter.items
    finally:
        other.close()


def test_a_host_is_resolved_once_and_the_judged_address_is_the_one_asked(tmp_path, site):
    """DNS rebinding: a name that is public when judged and local a moment later must
    not reach the local address; the request goes to the address judged."""
    server, base = site
    port = server.server_address[1]
    looked_up = []

    def rebinding(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"] if len(looked_up) == 1 else ["127.0.0.2"]

    checker = LinkChecker(tmp_path / "links.json", timeout=2, allow={"127.0.0.1"},
                          resolver=rebinding)
    answer = checker.ask(f"http://rebind.example:{port}/no-head")
    assert answer.status == 200, answer
    assert looked_up == ["rebind.example"], "HEAD and GET go to the address judged once"
    assert server.asked == [("HEAD", "/no-head"), ("GET", "/no-head")]
    assert server.hosts == [f"rebind.example:{port}"] * 2, "the name is sent as Host"


def test_one_malformed_url_is_one_finding_and_the_check_goes_on(tmp_path, site):
    server, base = site
    source = tmp_path / "book.md"
    source.write_text("---\ntitle: T\nlang: en\n---\n"
                      "See <http://:80\\@host/> here.\n\n"
                      f"A [gone one]({base}/gone).\n", encoding="utf-8")
    reporter = Reporter()
    checker = LinkChecker(tmp_path / "links.json", timeout=2, allow={"127.0.0.1"})
    assert check_books([source], reporter, checker) == 0
    assert sorted((d.line, d.code) for d in reporter.items) == [(5, "bad-url"),
                                                               (7, "broken-link")]
    assert "backslash" in next(d.message for d in reporter.items if d.line == 5)
