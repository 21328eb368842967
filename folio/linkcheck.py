"""Checking external link targets over the network: only ``check --check-links``.

A build never touches the network; this check does, and only when asked. Each
distinct ``http``/``https`` target of a book is asked once (``HEAD``, then
``GET`` when a server refuses ``HEAD``), several at a time, each within a
time-out, following redirects. Every place that links a target that failed is
reported:

- ``broken-link``: the server answered with an error (404, 410, 500, …);
- ``link-refused``: it answered 401, 403 or 429, which sites also give to
  robots: worth a look in a browser, not proof of a broken link;
- ``unreachable-link``: no answer (unknown host, refused, time-out, TLS);
- ``bad-url``: the URL cannot be read one way only (``folio.safety.web_target``).

A manuscript from someone else must not make the machine that checks it probe
its own network (``link-not-checked``). Every decision follows one policy, for
the first request and for every redirect alike:

1. the URL is decoded as a browser decodes it (``safety.web_target``: percent
   escapes, IDNA, every textual form of an IP address, trailing dots);
2. a name that means the local network (``localhost``, a name without a dot …)
   is refused unasked; any other name is resolved once, here, and every address
   it gives must be public (``safety.public_address``);
3. the connection is made to an address that was judged, never to the name: the
   HTTP client gets the name only for its ``Host`` header and TLS (SNI and the
   certificate), so a second look-up (DNS rebinding) cannot move it elsewhere.
   Proxies named in the environment are not used: they would look the name up
   again.

Answers are cached in a JSON file (``FOLIO_LINK_CACHE``, default
``$XDG_CACHE_HOME/folio/links.json``) for ``CACHE_SECONDS``; a failure to
connect is never cached, so a flaky network does not stick.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import http.client
import ipaddress
import json
import os
import socket
import ssl
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .ast import position, stringify, visit
from .diagnostics import Reporter
from .document import Document
from .outputs import write_bytes
from .safety import BadURL, WebTarget, local_name, public_address, web_target

#: Seconds one request may take (``FOLIO_LINK_TIMEOUT`` overrides).
TIMEOUT = 10.0
#: Requests in flight at once.
WORKERS = 8
#: How long a server's answer is trusted, in seconds.
CACHE_SECONDS = 24 * 3600
#: Statuses that sites give to robots as well as to missing pages.
REFUSED = {401, 403, 429}
#: Redirects followed for one URL.
MAX_REDIRECTS = 10
USER_AGENT = "folio-linkcheck (+https://folio.invalid/linkcheck)"


@dataclasses.dataclass(frozen=True)
class Answer:
    """What a URL gave: an HTTP status, or an error text when there was no answer."""

    status: int = 0
    error: str = ""
    #: Why the host was not asked (a local or private address), or "".
    skipped: str = ""
    #: Why the URL cannot be read (``safety.BadURL``), or "".
    malformed: str = ""


class NotAsked(Exception):
    """A host the policy forbids asking: a local name or a private address."""


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a book links a URL."""

    display: str
    line: int
    col: int
    text: str


def external_links(document: Document) -> dict[str, list[Place]]:
    """Every http(s) target of the book's live links -> the places that link it."""
    found: dict[str, list[Place]] = {}
    for chapter in document.chapters:
        def collect(node: dict, display=chapter.source) -> None:
            if node["t"] != "Link":
                return
            attr, inlines, (url, _) = node["c"]
            if not {"folio-ext", "folio-url"} & set(attr[1]):
                return
            try:
                scheme = urlsplit(url).scheme.lower()
            except ValueError:  # a malformed URL is reported when it is asked
                scheme = url.partition(":")[0].strip().lower()
            if scheme not in ("http", "https"):
                return
            line, col = position(node)
            found.setdefault(url, []).append(Place(display, line, col, stringify(inlines)))
        visit(chapter.blocks, collect)
    return found


def default_cache() -> Path:
    if os.environ.get("FOLIO_LINK_CACHE"):
        return Path(os.environ["FOLIO_LINK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "folio" / "links.json"


def resolve(host: str, port: int) -> list[str]:
    """The addresses of ``host`` (one look-up; ``socket.gaierror`` if there are none)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class LinkChecker:
    """Asks URLs for their status, with a cache shared by every book of a run."""

    def __init__(self, cache_file: Path | None = None, timeout: float | None = None,
                 allow: frozenset[str] = frozenset(), resolver=resolve) -> None:
        self.cache_file = cache_file or default_cache()
        self.timeout = timeout or float(os.environ.get("FOLIO_LINK_TIMEOUT", TIMEOUT))
        #: Addresses asked although they are not public: only for tests against a
        #: server on this machine (``{"127.0.0.1"}``).
        self.allow = frozenset(allow)
        #: ``resolver(host, port)`` -> addresses; called once per host and request.
        self.resolver = resolver
        self.cache = self._load()

    def _load(self) -> dict:
        try:
            data = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        now = time.time()
        return {url: entry for url, entry in data.items()
                if isinstance(entry, dict) and isinstance(entry.get("status"), int)
                and isinstance(entry.get("checked", 0), (int, float))
                and now - entry.get("checked", 0) < CACHE_SECONDS}

    def save(self) -> None:
        try:
            self.cache_file.parent.mkdir(parents=True, exist_ok=True)
            write_bytes(self.cache_file, json.dumps(self.cache, indent=0, sort_keys=True)
                        .encode("utf-8"))
        except OSError:
            pass  # a cache that cannot be written only costs time

    def answers(self, urls: list[str]) -> dict[str, Answer]:
        """The answer for each URL, from the cache or asked (in parallel)."""
        result = {url: Answer(self.cache[url]["status"]) for url in urls if url in self.cache}
        asked = [url for url in urls if url not in result]
        if asked:
            with concurrent.futures.ThreadPoolExecutor(min(WORKERS, len(asked))) as pool:
                for url, answer in zip(asked, pool.map(self._ask_safely, asked)):
                    result[url] = answer
                    if answer.status:
                        self.cache[url] = {"status": answer.status, "checked": int(time.time())}
            self.save()
        return result

    def _ask_safely(self, url: str) -> Answer:
        """``ask``; a fault in asking one URL is that URL's finding, never the end of
        the whole check."""
        try:
            return self.ask(url)
        except Exception as error:  # noqa: BLE001 - one finding, the other URLs go on
            return Answer(error=f"the check failed ({type(error).__name__}: {error})")

    def ask(self, url: str) -> Answer:
        """One URL's answer: HEAD, and GET if the server will not answer HEAD."""
        try:
            target = web_target(url)
            addresses = self._addresses(target)  # judged before anything is sent
        except BadURL as error:
            return Answer(malformed=str(error))
        except NotAsked as reason:
            return Answer(skipped=str(reason))
        except (OSError, UnicodeError) as error:
            return Answer(error=self._why(error))
        answer = self._request(target, "HEAD", addresses)
        if answer.status in (403, 404, 405, 501) or answer.error:
            fallback = self._request(target, "GET", addresses)
            if fallback.status or not answer.status:
                answer = fallback
        return answer

    def _addresses(self, target: WebTarget) -> list[str]:
        """The addresses to connect to for ``target``, each judged; ``NotAsked`` if the
        host is local or any of its addresses is not public."""
        if target.address is not None:
            addresses = [str(target.address)]
        elif local_name(target.host):
            raise NotAsked(f"'{target.host}' names this machine or its local network")
        else:
            addresses = self.resolver(target.host, target.port)
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if not public_address(ip) and str(ip) not in self.allow:
                raise NotAsked(f"'{target.host}' is the address {ip}, which is not public"
                               if target.address is None or str(ip) != target.host
                               else f"{ip} is not a public address")
        return addresses

    def _request(self, target: WebTarget, method: str, addresses: list[str]) -> Answer:
        """``method`` on ``target`` at ``addresses`` (judged), following redirects, each
        decoded, resolved once and judged as the first."""
        for hop in range(MAX_REDIRECTS + 1):
            try:
                if hop:
                    addresses = self._addresses(target)
                status, location = self._exchange(target, method, addresses)
            except NotAsked as reason:
                return Answer(error=f"redirected to {target.url[:120]}, which is not asked: "
                                    f"{reason}")
            except BadURL as error:
                return Answer(error=f"redirected to a malformed URL: {error}")
            except (OSError, http.client.HTTPException, ValueError) as error:
                return Answer(error=self._why(error))
            if status in (301, 302, 303, 307, 308) and location:
                try:
                    target = web_target(urljoin(target.url, location))
                except BadURL as error:
                    return Answer(error=f"redirected to a malformed URL: {error}")
                except ValueError:
                    return Answer(error="redirected to a malformed URL")
                continue
            return Answer(status)
        return Answer(error=f"more than {MAX_REDIRECTS} redirects")

    def _exchange(self, target: WebTarget, method: str,
                  addresses: list[str]) -> tuple[int, str]:
        """One request to ``target`` on one of ``addresses``: its status and Location."""
        if target.scheme == "https":
            connection = _PinnedHTTPS(target.host, target.port, addresses, self.timeout,
                                      ssl.create_default_context())
        else:
            connection = _PinnedHTTP(target.host, target.port, addresses, self.timeout)
        try:
            connection.request(method, target.path,
                               headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            response = connection.getresponse()
            return response.status, response.getheader("Location") or ""
        finally:
            connection.close()  # the body is never read

    def _why(self, reason) -> str:
        """A reader's words for a failure to connect."""
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return f"no answer within {self.timeout:g} s"
        if isinstance(reason, socket.gaierror):
            return "the host name is unknown (or there is no network)"
        if isinstance(reason, ConnectionRefusedError):
            return "the connection was refused"
        if isinstance(reason, ssl.SSLError):
            return f"its TLS certificate or connection failed ({reason.reason or reason})"
        if isinstance(reason, http.client.HTTPException):
            return f"the answer was not HTTP ({type(reason).__name__})"
        return str(reason) or type(reason).__name__


def _pinned(addresses: list[str], port: int):
    """``socket.create_connection`` that connects to ``addresses`` (judged), whatever
    host it is given: the name stays in the request, the look-up is not repeated."""
    def connect(_address, timeout=None, source_address=None):
        error: OSError | None = None
        for address in addresses:
            try:
                return socket.create_connection((address, port), timeout, source_address)
            except OSError as failure:
                error = failure
        raise error or OSError("no address to connect to")
    return connect


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, addresses: list[str], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._create_connection = _pinned(addresses, port)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, addresses: list[str], timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._create_connection = _pinned(addresses, port)


def check_links(document: Document, reporter: Reporter, checker: LinkChecker) -> None:
    """Report every place in ``document`` that links a target which did not answer well."""
    links = external_links(document)
    answers = checker.answers(sorted(links))
    findings = []
    for url, places in links.items():
        answer = answers[url]
        if answer.malformed:
            message, code = (f"link target '{url}' is malformed: {answer.malformed}; it "
                             "was not checked", "bad-url")
        elif answer.skipped:
            message, code = (f"link target '{url}' is on a local or private network and "
                             f"was not checked ({answer.skipped})", "link-not-checked")
        elif answer.error:
            message, code = (f"link target '{url}' could not be reached: {answer.error}",
                             "unreachable-link")
        elif answer.status in REFUSED:
            message, code = (f"link target '{url}' answered HTTP {answer.status}; the site "
                             "may refuse robots: open it in a browser", "link-refused")
        elif answer.status >= 400:
            message, code = f"link target '{url}' answered HTTP {answer.status}", "broken-link"
        else:
            continue
        findings.extend((place.display, place.line, place.col, message, code)
                        for place in places)
    for display, line, col, message, code in sorted(findings):
        reporter.warn(display, line, message, code, col)
