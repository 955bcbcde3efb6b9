"""The one HTTP client of a daemon: every feed and page, and `watchd match URL`, fetch through it.

`Http.get(url, limit=...)` returns the decoded body as a `Response` or raises SourceError
with a plain reason ("HTTP 500 Internal Server Error", "timed out after 30 s", "response
is larger than the 5 MiB limit"). It is safe to use from several threads at once and
takes care of:

- timeouts: `connect_timeout` to connect, `timeout` for the whole request;
- redirects: at most `MAX_REDIRECTS`, followed one by one so none is read unbounded;
- size: the body is inflated here (gzip, deflate) and reading stops past `limit`, so a
  gzip bomb is refused after `limit` bytes, never inflated whole;
- conditional GET: `etag`/`last_modified` from the caller's state are sent as
  If-None-Match / If-Modified-Since; a 304 is a `Response` with `not_modified`;
- Retry-After on 429 and 503 becomes `SourceError.retry_after`, in seconds;
- politeness: request starts to one host are at least `delay` seconds apart, across
  threads;
- robots.txt (`allowed(url)`), cached per host for a day, read as RFC 9309 says: a 4xx
  allows everything, a 5xx or no answer forbids everything;
- `stop`: once set, waits end and bodies stop being read at the next chunk.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from watchd import __version__
from watchd.errors import SourceError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
TIMEOUT = 30.0
HOST_DELAY = 1.0  # seconds between request starts to one host
DEFAULT_CONTACT = "https://github.com/watchd"
ROBOTS_AGENT = "watchd"
ROBOTS_BYTES = 500 * 1024  # RFC 9309: parse at least the first 500 KiB
ROBOTS_SECONDS = 86400.0
RETRY_STATUSES = (429, 503)
WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
ALLOW_ALL: list[str] = []
DISALLOW_ALL = ["User-agent: *", "Disallow: /"]


def user_agent(contact: str = "") -> str:
    """`watchd/<version> (+<contact>)`, so site owners can reach the operator."""
    return f"watchd/{__version__} (+{contact or DEFAULT_CONTACT})"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched body, decoded from its Content-Encoding, with what the server said about it.

    `url` is the address after redirects. `etag` and `last_modified` are the validators to
    keep for the next conditional GET. `not_modified` is True (and `data` empty) on a 304.
    """

    data: bytes
    url: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False

    def validators(self) -> dict[str, str]:
        """What to keep in a source's state for the next `Http.revalidate`."""
        state = {"etag": self.etag, "last_modified": self.last_modified}
        return {name: value for name, value in state.items() if value}


class StatusError(SourceError):
    """The server answered with an HTTP status of 400 or more."""

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason, retry_after)
        self.status = status


class Http:
    """A thread-safe HTTP client with timeouts, a size cap, politeness and robots.txt."""

    def __init__(
        self,
        *,
        contact: str = "",
        timeout: float = TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        delay: float = HOST_DELAY,
        stop: threading.Event | None = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.stop = stop if stop is not None else threading.Event()
        self.now = now
        self.politeness = Politeness(delay, self.stop)
        self.robots = RobotsCache(self)
        headers = {"User-Agent": user_agent(contact), "Accept-Encoding": "gzip, deflate"}
        self.client = httpx.Client(headers=headers, follow_redirects=False)

    def __enter__(self) -> Http:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of the host of `url` lets watchd fetch it."""
        return self.robots.allowed(url)

    def get(
        self,
        url: str,
        *,
        limit: int,
        etag: str | None = None,
        last_modified: str | None = None,
        truncate: bool = False,
    ) -> Response:
        """The body of `url`, at most `limit` decoded bytes; past that a SourceError, or with
        `truncate` the first `limit` bytes."""
        headers = conditional_headers(etag, last_modified)
        try:
            request = self.client.build_request("GET", url, headers=headers)
            self.politeness.wait(host(request))
            deadline = time.monotonic() + self.timeout  # the politeness wait does not count
            with closing(self.open(request, deadline)) as response:
                return self.response(response, limit, truncate, deadline, (etag, last_modified))
        except httpx.TimeoutException as error:
            raise SourceError(self.timeout_reason(error)) from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise SourceError(f"could not fetch: {str(error) or type(error).__name__}") from None

    def revalidate(self, url: str, state: Mapping[str, Any], limit: int) -> Response:
        """`get` with the validators that `Response.validators()` put into `state`."""
        etag, modified = state.get("etag"), state.get("last_modified")
        return self.get(url, limit=limit, etag=etag, last_modified=modified)

    def timeout_reason(self, error: httpx.TimeoutException) -> str:
        if isinstance(error, httpx.ConnectTimeout):
            return f"could not connect within {self.connect_timeout:g} s"
        return f"timed out after {self.timeout:g} s"

    def open(self, request: httpx.Request, deadline: float) -> httpx.Response:
        """The response at the end of at most MAX_REDIRECTS redirects, its body not read."""
        for hop in range(MAX_REDIRECTS + 1):
            if hop:
                self.politeness.wait(host(request))
            response = self.send(request, deadline)
            if response.next_request is None:
                return response
            response.close()  # a redirect's body is never read
            request = response.next_request
            log.debug("%s redirects to %s", response.url, request.url)
        raise SourceError(f"more than {MAX_REDIRECTS} redirects")

    def send(self, request: httpx.Request, deadline: float) -> httpx.Response:
        """One request, within what is left of `deadline`."""
        left = max(deadline - time.monotonic(), 0.001)
        timeout = httpx.Timeout(left, connect=min(self.connect_timeout, left))
        request.extensions["timeout"] = timeout.as_dict()
        return Call(lambda: self.client.send(request, stream=True)).result(self.stop)

    def response(
        self,
        response: httpx.Response,
        limit: int,
        truncate: bool,
        deadline: float,
        validators: tuple[str | None, str | None],
    ) -> Response:
        """The Response for a final answer: 304, an error status, or a body to read.

        A 304 keeps the caller's `validators` (ETag, Last-Modified) where it repeats none."""
        etag = response.headers.get("etag")
        modified = response.headers.get("last-modified")
        url = str(response.url)
        if response.status_code == 304:
            etag, modified = etag or validators[0], modified or validators[1]
            return Response(b"", url, None, etag, modified, not_modified=True)
        self.check_status(response)
        data = self.read_body(response, limit, truncate, deadline)
        return Response(data, url, response.headers.get("content-type"), etag, modified)

    def check_status(self, response: httpx.Response) -> None:
        """Raise StatusError for a status of 400 or more, with Retry-After on 429 and 503."""
        status = response.status_code
        if status < 400:
            return
        reason = f"HTTP {status} {response.reason_phrase}".rstrip()
        wait = None
        if status in RETRY_STATUSES:
            wait = retry_after(response.headers.get("retry-after"), self.now())
        if wait is not None:
            reason += f"; the server asks to retry after {wait:g} s"
        raise StatusError(status, reason, wait)

    def read_body(
        self, response: httpx.Response, limit: int, truncate: bool, deadline: float
    ) -> bytes:
        """The decoded body, stopped past `limit` bytes, past `deadline` or when `stop` is set."""
        inflater = Inflater(response.headers.get("content-encoding", ""))
        body = bytearray()
        for chunk in response.iter_raw():
            self.check_running(response, deadline)
            body += inflater.inflate(chunk, limit + 1 - len(body))
            if len(body) > limit:
                return cut(body, limit, truncate)
        body += inflater.flush()
        return cut(body, limit, truncate) if len(body) > limit else bytes(body)

    def check_running(self, response: httpx.Response, deadline: float) -> None:
        if self.stop.is_set():
            raise Stopped
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("the body took too long", request=response.request)


class Call:
    """`send()` in a daemon thread of its own, so that setting `stop` ends the wait for a
    server that is slow to answer at once: httpx cannot interrupt a blocking read from
    another thread. The abandoned call ends at its own timeout; a late response is closed.
    """

    def __init__(self, send: Callable[[], httpx.Response]) -> None:
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.abandoned = False
        self.value: httpx.Response | None = None
        self.error: BaseException | None = None
        threading.Thread(target=self.run, args=(send,), name="watchd-http", daemon=True).start()

    def run(self, send: Callable[[], httpx.Response]) -> None:
        value, error = None, None
        try:
            value = send()
        except BaseException as raised:
            error = raised
        with self.lock:  # `done` is set under the lock that `result` checks it under
            if self.abandoned and value is not None:
                value.close()
            self.value, self.error = value, error
            self.done.set()

    def result(self, stop: threading.Event) -> httpx.Response:
        while not self.done.wait(0.05):
            if stop.is_set():
                with self.lock:
                    if not self.done.is_set():
                        self.abandoned = True
                        raise Stopped
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


class Stopped(SourceError):
    """The daemon is shutting down: a wait or a download was cut short."""

    def __init__(self) -> None:
        super().__init__("stopped: watchd is shutting down")


def host(request: httpx.Request) -> str:
    return request.url.netloc.decode("ascii").lower()


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """If-None-Match and If-Modified-Since for the validators a caller kept."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def cut(body: bytearray, limit: int, truncate: bool) -> bytes:
    """The first `limit` bytes of a body that is longer, if `truncate`; else a SourceError."""
    if truncate:
        return bytes(body[:limit])
    raise SourceError(f"response is larger than the {size(limit)} limit")


def size(count: int) -> str:
    """A byte count the way people say it: "5 MiB", "500 KiB", "1000 bytes"."""
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


def retry_after(value: str | None, now: datetime) -> float | None:
    """The seconds a Retry-After header asks for (a number, or an HTTP date), else None."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, round((when - now).total_seconds()))


class Inflater:
    """Decodes a Content-Encoding (identity, gzip, deflate) a bounded piece at a time."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding.strip().lower()
        if self.encoding not in ("", "identity", *WBITS):
            raise SourceError(f"unsupported Content-Encoding {encoding!r}; watchd reads gzip")
        wbits = WBITS.get(self.encoding)
        self.zlib = None if wbits is None else zlib.decompressobj(wbits)
        self.started = False

    def inflate(self, chunk: bytes, room: int) -> bytes:
        """The decoded bytes of `chunk`, at most `room` of them (more means: too big)."""
        if self.zlib is None:
            return chunk
        try:
            return self.zlib.decompress(chunk, room)
        except zlib.error as error:
            if self.encoding != "deflate" or self.started:
                raise SourceError(f"could not decode the {self.encoding} body: {error}") from None
            self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # deflate sent without zlib header
            return self.inflate(chunk, room)
        finally:
            self.started = True

    def flush(self) -> bytes:
        return b"" if self.zlib is None else self.zlib.flush()


class Politeness:
    """Spaces request starts to each host by `delay` seconds, across threads.

    Each caller reserves the next free start time of the host under a lock, then waits
    for it outside the lock; setting `stop` ends the wait with a SourceError.
    """

    def __init__(self, delay: float, stop: threading.Event) -> None:
        self.delay = delay
        self.stop = stop
        self.lock = threading.Lock()
        self.next_start: dict[str, float] = {}

    def wait(self, host: str) -> None:
        now = time.monotonic()
        with self.lock:
            start = max(now, self.next_start.get(host, now))
            self.next_start[host] = start + self.delay
        if self.stop.wait(start - now):
            raise Stopped


class RobotsCache:
    """robots.txt per host (scheme and authority), fetched through `http`, kept for a day."""

    def __init__(self, http: Http) -> None:
        self.http = http
        self.lock = threading.Lock()
        self.rules: dict[str, tuple[float, RobotFileParser]] = {}

    def allowed(self, url: str) -> bool:
        return self.parser(url).can_fetch(ROBOTS_AGENT, url)

    def parser(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}".lower()
        with self.lock:
            cached = self.rules.get(site)
        if cached is not None and time.monotonic() - cached[0] < ROBOTS_SECONDS:
            return cached[1]
        parser = self.fetch(site + "/robots.txt")
        with self.lock:
            self.rules[site] = (time.monotonic(), parser)
        return parser

    def fetch(self, url: str) -> RobotFileParser:
        """The rules at `url`; a 4xx allows everything, a 5xx or no answer forbids it."""
        parser = RobotFileParser(url)
        try:
            response = self.http.get(url, limit=ROBOTS_BYTES, truncate=True)
        except Stopped:
            raise
        except SourceError as error:
            allow = isinstance(error, StatusError) and error.status < 500
            verdict = "everything is allowed" if allow else "nothing is allowed"
            log.info("%s: %s, so %s", url, error.reason, verdict)
            parser.parse(ALLOW_ALL if allow else DISALLOW_ALL)
            return parser
        parser.parse(response.data.decode("utf-8", errors="replace").splitlines())
        return parser
