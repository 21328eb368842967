"""Checking external link targets over the network: only ``check --check-links``.

A build never touches the network; this check does, and only when asked. Each
distinct ``http``/``https`` target of a book is asked once (``HEAD``, then
``GET`` when a server refuses ``HEAD``), several at a time, each within a
time-out, following redirects (but never to a private address). Every place that links a target that
failed is reported:

- ``broken-link``: the server answered with an error (404, 410, 500, …);
- ``link-refused``: it answered 401, 403 or 429, which sites also give to
  robots: worth a look in a browser, not proof of a broken link;
- ``unreachable-link``: no answer (unknown host, refused, time-out, TLS).

Hosts that resolve to loopback, private or link-local addresses are skipped
(``link-not-checked``): a manuscript from someone else must not make the
machine that checks it probe its own network.

Answers are cached in a JSON file (``FOLIO_LINK_CACHE``, default
``$XDG_CACHE_HOME/folio/links.json``) for ``CACHE_SECONDS``; a failure to
connect is never cached, so a flaky network does not stick.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import ipaddress
import json
import os
import socket
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from .ast import position, stringify, visit
from .diagnostics import Reporter
from .document import Document
from .outputs import write_bytes

#: Seconds one request may take (``FOLIO_LINK_TIMEOUT`` overrides).
TIMEOUT = 10.0
#: Requests in flight at once.
WORKERS = 8
#: How long a server's answer is trusted, in seconds.
CACHE_SECONDS = 24 * 3600
#: Statuses that sites give to robots as well as to missing pages.
REFUSED = {401, 403, 429}
USER_AGENT = "folio-linkcheck (+https://folio.invalid/linkcheck)"


@dataclasses.dataclass(frozen=True)
class Answer:
    """What a URL gave: an HTTP status, or an error text when there was no answer."""

    status: int = 0
    error: str = ""
    #: True when the host was not asked (a private address).
    skipped: bool = False


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
            if urlsplit(url).scheme.lower() not in ("http", "https"):
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


class LinkChecker:
    """Asks URLs for their status, with a cache shared by every book of a run."""

    def __init__(self, cache_file: Path | None = None, timeout: float | None = None,
                 allow_private: bool = False) -> None:
        self.cache_file = cache_file or default_cache()
        self.timeout = timeout or float(os.environ.get("FOLIO_LINK_TIMEOUT", TIMEOUT))
        #: Only for tests against a server on 127.0.0.1.
        self.allow_private = allow_private
        self.cache = self._load()

    def _load(self) -> dict:
        try:
            data = json.loads(self.cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        now = time.time()
        return {url: entry for url, entry in data.items()
                if isinstance(entry, dict) and now - entry.get("checked", 0) < CACHE_SECONDS}

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
                for url, answer in zip(asked, pool.map(self.ask, asked)):
                    result[url] = answer
                    if answer.status:
                        self.cache[url] = {"status": answer.status, "checked": int(time.time())}
            self.save()
        return result

    def ask(self, url: str) -> Answer:
        """One URL's answer: HEAD, and GET if the server will not answer HEAD."""
        host = urlsplit(url).hostname or ""
        if not self.allow_private and _private(host):
            return Answer(skipped=True)
        answer = self._request(url, "HEAD")
        if answer.status in (403, 404, 405, 501) or answer.error:
            fallback = self._request(url, "GET")
            if fallback.status or not answer.status:
                answer = fallback
        return answer

    def _request(self, url: str, method: str) -> Answer:
        request = urllib.request.Request(url, method=method,
                                         headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        opener = urllib.request.build_opener(_PublicRedirects(self.allow_private))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status)
        except urllib.error.HTTPError as error:
            return Answer(error.code)
        except (urllib.error.URLError, OSError, ValueError) as error:
            return Answer(error=self._why(getattr(error, "reason", error)))

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
        return str(reason) or type(reason).__name__


class _PublicRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are followed only to public addresses (see ``_private``)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if not self.allow_private and _private(urlsplit(newurl).hostname or ""):
            raise urllib.error.URLError(f"redirected to a private address ({newurl})")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and req.get_method() == "HEAD":
            new.method = "HEAD"  # urllib would follow with a GET, fetching the page
        return new


def _private(host: str) -> bool:
    """True when ``host`` is, or resolves to, an address on this machine's networks."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError, ValueError):
        return False  # unknown: the request will say so
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if (address.is_private or address.is_loopback or address.is_link_local
                or address.is_reserved or address.is_multicast or address.is_unspecified):
            return True
    return False


def check_links(document: Document, reporter: Reporter, checker: LinkChecker) -> None:
    """Report every place in ``document`` that links a target which did not answer well."""
    links = external_links(document)
    answers = checker.answers(sorted(links))
    findings = []
    for url, places in links.items():
        answer = answers[url]
        if answer.skipped:
            message, code = (f"link target '{url}' is on a local or private network and "
                             "was not checked", "link-not-checked")
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
