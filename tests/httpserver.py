"""A real HTTP server on 127.0.0.1 in a thread, with routes a test sets and changes.

The `http_server` fixture (in conftest.py) starts one per test:

    http_server.route("/feed.xml", Reply(RSS, "application/rss+xml", etag='"v1"'))
    url = http_server.url("/feed.xml")
    ...                                   # poll it
    http_server.route("/feed.xml", Reply(RSS2, "application/rss+xml", etag='"v2"'))

A route is a `Reply` or a function of the `Seen` request that returns one. A Reply with
an `etag` or `last_modified` answers 304 to a request that sends it back. Every request
(GET or POST) is recorded in `requests` with its method, path, headers (lower-case names),
body and start time. Unknown paths get a 404.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SERVER_NAME = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the server answers: status, body and headers, and how slowly.

    `delay` is waited before the headers; with `trickle` the body is sent `chunk` bytes at
    a time, `trickle` seconds apart. No Content-Length is sent when `length` is False.
    """

    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    trickle: float = 0.0
    chunk: int = 1024
    length: bool = True


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived
    method: str = "GET"
    body: bytes = b""


Route = Reply | Callable[[Seen], Reply]


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
        self.server.owner.record(seen)
        reply = self.server.owner.reply_to(seen)
        if not_modified(reply, seen):
            reply = Reply(status=304, etag=reply.etag, last_modified=reply.last_modified)
        self.send(reply)

    def do_POST(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self.rfile.read(int(headers.get("content-length") or 0))
        seen = Seen(self.path, headers, time.monotonic(), "POST", body)
        self.server.owner.record(seen)
        self.send(self.server.owner.reply_to(seen))

    def send(self, reply: Reply) -> None:
        if self.server.owner.closing.wait(reply.delay):
            return
        self.send_response(reply.status)
        for name, value in self.headers_of(reply).items():
            self.send_header(name, value)
        self.end_headers()
        if reply.status != 304:
            self.send_body(reply)

    def headers_of(self, reply: Reply) -> dict[str, str]:
        headers = {"Content-Type": reply.content_type, **reply.headers}
        if reply.length:
            headers["Content-Length"] = str(0 if reply.status == 304 else len(reply.body))
        else:
            headers["Connection"] = "close"
            self.close_connection = True
        if reply.etag:
            headers["ETag"] = reply.etag
        if reply.last_modified:
            headers["Last-Modified"] = reply.last_modified
        return headers

    def send_body(self, reply: Reply) -> None:
        if not reply.trickle:
            self.wfile.write(reply.body)
            return
        for start in range(0, len(reply.body), reply.chunk):
            self.wfile.write(reply.body[start : start + reply.chunk])
            self.wfile.flush()
            if self.server.owner.closing.wait(reply.trickle):
                return

    def log_message(self, format: str, *args: Any) -> None:
        pass


def not_modified(reply: Reply, seen: Seen) -> bool:
    """Whether the request sent back the reply's ETag or Last-Modified."""
    if reply.status != 200:
        return False
    etag = reply.etag is not None and seen.headers.get("if-none-match") == reply.etag
    since = seen.headers.get("if-modified-since")
    return etag or (reply.last_modified is not None and since == reply.last_modified)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # tests open many connections at once

    def __init__(self, owner: LocalServer) -> None:
        super().__init__((SERVER_NAME, 0), Handler)
        self.owner = owner

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client cut us off
            super().handle_error(request, client_address)


class LocalServer:
    """The server, its routes and the requests it saw."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.httpd = Server(self)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://{SERVER_NAME}:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, route: Route) -> None:
        """Answer requests for `path` (with its query, if any) from now on with `route`."""
        with self.lock:
            self.routes[path] = route

    def reply_to(self, seen: Seen) -> Reply:
        with self.lock:
            route = self.routes.get(seen.path, Reply(b"not found", status=404))
        return route(seen) if callable(route) else route

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.requests.append(seen)

    def seen(self, path: str) -> list[Seen]:
        """The requests for `path` so far, oldest first."""
        with self.lock:
            return [request for request in self.requests if request.path == path]
