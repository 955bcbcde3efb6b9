"""Prometheus metrics, and a small HTTP server for `/metrics` and `/healthz`.

```python
metrics = Metrics()
metrics.poll("inbox", ok=True)
metrics.hits("iran-russia-aleppo", 2)
server = serve("127.0.0.1:9108", metrics, health=lambda: (True, "ok"))
...
server.close()
```

Each `Metrics` owns its registry (not prometheus_client's global one), so several can live
in one process. The only prometheus_client import is here.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge
from prometheus_client import generate_latest as render

log = logging.getLogger(__name__)

Health = Callable[[], tuple[bool, str]]
OUTCOMES = ("ok", "failed")
ADDRESS = re.compile(r"^(?:\[(?P<ipv6>[^\]]*)\]|(?P<host>[^\[\]]*)):(?P<port>[0-9]*)$", re.ASCII)
HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
EXAMPLE = "write it like 127.0.0.1:9108, localhost:9108 or [::1]:9108"


class Metrics:
    """watchd's counters and gauges, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._polls = self._counter("polls", "Polls of a source, by outcome.", "source", "outcome")
        self._documents = self._counter("documents", "Documents read from a source.", "source")
        self._problems = self._counter(
            "problems", "Documents a source could not read or parse.", "source"
        )
        self._hits = self._counter("hits", "Hits of a rule.", "rule")
        self._deliveries = self._counter(
            "deliveries", "Alert deliveries to a channel, by outcome.", "channel", "outcome"
        )
        self._failures = Gauge(
            "watchd_source_consecutive_failures",
            "Failed polls of a source since its last success.",
            ["source"],
            registry=self.registry,
        )
        self._last_success = Gauge(
            "watchd_source_last_success_timestamp_seconds",
            "Unix time of a source's last successful poll.",
            ["source"],
            registry=self.registry,
        )

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        """A counter `watchd_<name>_total` in this registry."""
        return Counter(f"watchd_{name}", documentation, labels, registry=self.registry)

    def poll(self, source: str, ok: bool) -> None:
        """One poll of `source` ended, well or not."""
        _count_outcome(self._polls, source, ok)

    def documents(self, source: str, count: int) -> None:
        """`source` gave `count` documents."""
        self._documents.labels(source=source).inc(count)

    def problems(self, source: str, count: int) -> None:
        """`count` documents of `source` could not be read."""
        self._problems.labels(source=source).inc(count)

    def hits(self, rule: str, count: int) -> None:
        """`rule` fired `count` times."""
        self._hits.labels(rule=rule).inc(count)

    def delivery(self, channel: str, ok: bool) -> None:
        """One alert was sent to `channel`, or failed to be."""
        _count_outcome(self._deliveries, channel, ok)

    def source_failures(self, source: str, consecutive: int) -> None:
        """`source` has failed `consecutive` times in a row (0 after a success)."""
        self._failures.labels(source=source).set(consecutive)

    def last_success(self, source: str, when: float) -> None:
        """`source` was last polled successfully at unix time `when`."""
        self._last_success.labels(source=source).set(when)

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return render(self.registry)


def serve(address: str, metrics: Metrics, health: Health) -> MetricsServer:
    """Serve `/metrics` and `/healthz` at `address` ("127.0.0.1:9108") in a daemon thread.

    `health()` answers `/healthz`: (True, reason) is 200, (False, reason) is 503, with the
    reason (or "ok") as the body. A bad `address` is a ValueError; a port in use an OSError.
    """
    return MetricsServer(metrics, address, health)


def _count_outcome(counter: Counter, name: str, ok: bool) -> None:
    """Count one ok or failed event for `name`; both series exist from the first event."""
    children = {outcome: counter.labels(name, outcome) for outcome in OUTCOMES}
    children["ok" if ok else "failed"].inc()


def parse_address(address: str) -> tuple[str, int]:
    """ "host:port" or "[ipv6]:port" as (host, port); a ValueError that says how to write it."""
    found = ADDRESS.match(address.strip())
    if found is None:
        raise ValueError(f"metrics address {address!r} is not host:port; {EXAMPLE}")
    host, port = found["host"], found["port"]
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(
            f"metrics address {address!r}: port {port!r} must be a number from 0 to 65535"
        )
    if found["ipv6"] is not None:
        return _parse_ipv6(address, found["ipv6"]), int(port)
    if not host:
        raise ValueError(f"metrics address {address!r} has no host; {EXAMPLE}")
    if ":" in host and _is_ipv6(host):
        raise ValueError(f"metrics address {address!r}: put an IPv6 address in brackets, [::1]")
    if not HOSTNAME.match(host):
        raise ValueError(f"metrics address {address!r}: {host!r} is not a host; {EXAMPLE}")
    return host, int(port)


def _is_ipv6(host: str) -> bool:
    """True if `host` is an IPv6 address."""
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _parse_ipv6(address: str, host: str) -> str:
    """The IPv6 address written in brackets in `address`."""
    try:
        return str(ipaddress.IPv6Address(host))
    except ValueError:
        raise ValueError(f"metrics address {address!r}: {host!r} is no IPv6 address") from None


class MetricsServer:
    """`/metrics` and `/healthz` over HTTP, served by a daemon thread until `close()`."""

    def __init__(self, metrics: Metrics, address: str, health: Health) -> None:
        host, port = parse_address(address)
        self._server = _Server(_resolve(address, host, port), metrics, health)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="watchd-metrics", daemon=True
        )
        self._thread.start()
        log.debug("serving metrics at http://%s/metrics", self.address)

    @property
    def host(self) -> str:
        """The address bound, e.g. "127.0.0.1" or "::1"."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The port bound; the one the system chose when asked for port 0."""
        return int(self._server.server_address[1])

    @property
    def address(self) -> str:
        """Host and port as a URL authority: "127.0.0.1:9108", "[::1]:9108"."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def close(self) -> None:
        """Stop serving, close the socket and wait for the thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _resolve(address: str, host: str, port: int) -> tuple[socket.AddressFamily, tuple[Any, ...]]:
    """The socket family and address to bind for `host` and `port`."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ValueError(
            f"metrics address {address!r}: cannot resolve {host!r} ({error})"
        ) from None
    family, _, _, _, sockaddr = found[0]
    return family, sockaddr


class _Server(ThreadingHTTPServer):
    """A ThreadingHTTPServer for one address family, holding what its handlers need."""

    daemon_threads = True

    def __init__(
        self, bind: tuple[socket.AddressFamily, tuple[Any, ...]], metrics: Metrics, health: Health
    ) -> None:
        self.address_family, sockaddr = bind
        self.metrics = metrics
        self.health = health
        super().__init__(sockaddr, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """GET /metrics, GET /healthz; 404 for anything else."""

    server_version = "watchd"

    def do_GET(self) -> None:
        """Answer one GET request."""
        server = cast(_Server, self.server)
        path = self.path.partition("?")[0]
        if path == "/metrics":
            self._reply(200, server.metrics.render(), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            healthy, reason = _check(server.health)
            self._reply(200 if healthy else 503, f"{reason}\n".encode())
        else:
            self._reply(404, b"not found: try /metrics or /healthz\n")

    def _reply(
        self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8"
    ) -> None:
        """Send `status` and `body`."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests go to the debug log, not to stderr."""
        log.debug("metrics %s: " + format, self.address_string(), *args)


def _check(health: Health) -> tuple[bool, str]:
    """`health()`, with "ok" when healthy without a reason; a crash counts as unhealthy."""
    try:
        healthy, reason = health()
    except Exception as error:
        log.exception("health check failed")
        return False, f"health check failed: {error!r}"
    return healthy, reason or ("ok" if healthy else "unhealthy")
