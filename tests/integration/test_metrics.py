"""watchd.metrics: counters scraped over real HTTP from the server thread."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from watchd.metrics import Health, Metrics, MetricsServer, parse_address, serve

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class SettableHealth:
    """A health callback whose answer the test can change."""

    def __init__(self) -> None:
        self.state: tuple[bool, str] = (True, "ok")

    def __call__(self) -> tuple[bool, str]:
        return self.state


@pytest.fixture
def health() -> SettableHealth:
    return SettableHealth()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def server(metrics: Metrics, health: Health) -> Iterator[MetricsServer]:
    with serve("127.0.0.1:0", metrics, health) as server:
        yield server


@pytest.fixture
def client(server: MetricsServer) -> Iterator[httpx.Client]:
    base = f"http://{server.address}"
    with httpx.Client(base_url=base, trust_env=False, timeout=5) as client:
        yield client


def scrape(client: httpx.Client) -> Samples:
    """GET /metrics, parsed: {(sample name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_scrape_shows_counters_and_gauges(metrics: Metrics, client: httpx.Client) -> None:
    metrics.poll("inbox", ok=True)
    metrics.poll("inbox", ok=True)
    metrics.poll("un-press", ok=False)
    metrics.documents("inbox", 7)
    metrics.documents("inbox", 3)
    metrics.problems("inbox", 1)
    metrics.hits("iran-russia-aleppo", 2)
    metrics.delivery("analysts", ok=True)
    metrics.delivery("chat", ok=False)
    metrics.source_failures("un-press", 3)
    metrics.last_success("inbox", 1_700_000_000.5)
    samples = scrape(client)
    expected = {
        ("watchd_polls_total", (("outcome", "ok"), ("source", "inbox"))): 2,
        ("watchd_polls_total", (("outcome", "failed"), ("source", "inbox"))): 0,
        ("watchd_polls_total", (("outcome", "failed"), ("source", "un-press"))): 1,
        ("watchd_documents_total", (("source", "inbox"),)): 10,
        ("watchd_problems_total", (("source", "inbox"),)): 1,
        ("watchd_hits_total", (("rule", "iran-russia-aleppo"),)): 2,
        ("watchd_deliveries_total", (("channel", "analysts"), ("outcome", "ok"))): 1,
        ("watchd_deliveries_total", (("channel", "chat"), ("outcome", "failed"))): 1,
        ("watchd_source_consecutive_failures", (("source", "un-press"),)): 3,
        ("watchd_source_last_success_timestamp_seconds", (("source", "inbox"),)): 1.7e9 + 0.5,
    }
    assert {key: samples.get(key) for key in expected} == expected


def test_every_metric_is_prefixed(metrics: Metrics, client: httpx.Client) -> None:
    metrics.poll("inbox", ok=True)
    metrics.hits("r", 1)
    assert all(name.startswith("watchd_") for name, _ in scrape(client))


def test_each_metrics_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.hits("r", 5)
    assert b'watchd_hits_total{rule="r"} 5.0' in first.render()
    assert b"watchd_hits_total{" not in second.render()


@pytest.mark.parametrize(
    ("state", "status", "body"),
    [
        ((True, "ok"), 200, "ok\n"),
        ((True, ""), 200, "ok\n"),
        ((False, "source un-press failed 5 times"), 503, "source un-press failed 5 times\n"),
        ((False, ""), 503, "unhealthy\n"),
    ],
)
def test_healthz(
    health: SettableHealth,
    client: httpx.Client,
    state: tuple[bool, str],
    status: int,
    body: str,
) -> None:
    health.state = state
    response = client.get("/healthz")
    assert (response.status_code, response.text) == (status, body)


def test_healthz_is_503_when_the_check_crashes(metrics: Metrics) -> None:
    def broken() -> tuple[bool, str]:
        raise RuntimeError("store closed")

    with serve("127.0.0.1:0", metrics, broken) as server:
        response = httpx.get(f"http://{server.address}/healthz", trust_env=False)
    assert response.status_code == 503
    assert "store closed" in response.text


@pytest.mark.parametrize("path", ["/", "/metric", "/metrics/x", "/favicon.ico"])
def test_other_paths_are_404(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 404


def test_query_strings_are_ignored(client: httpx.Client) -> None:
    assert client.get("/healthz?verbose=1").status_code == 200


def test_port_zero_picks_a_free_port(server: MetricsServer) -> None:
    assert server.host == "127.0.0.1"
    assert 0 < server.port < 65536
    assert server.address == f"127.0.0.1:{server.port}"


def test_ipv6_loopback(metrics: Metrics, health: Health) -> None:
    if not socket.has_ipv6:
        pytest.fail("this machine has no IPv6 support")
    try:
        server = serve("[::1]:0", metrics, health)
    except OSError as error:
        pytest.skip(f"cannot bind ::1 here: {error}")
    with server:
        assert server.address == f"[::1]:{server.port}"
        assert httpx.get(f"http://{server.address}/healthz", trust_env=False).text == "ok\n"


def test_close_frees_the_port(metrics: Metrics, health: Health) -> None:
    server = serve("127.0.0.1:0", metrics, health)
    port = server.port
    server.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", trust_env=False)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1:9108", ("127.0.0.1", 9108)),
        ("localhost:9108", ("localhost", 9108)),
        ("[::1]:9108", ("::1", 9108)),
        ("0.0.0.0:9108", ("0.0.0.0", 9108)),
        ("[::]:9108", ("::", 9108)),
        ("metrics.example.org:80", ("metrics.example.org", 80)),
        (" 127.0.0.1:0 ", ("127.0.0.1", 0)),
    ],
)
def test_parse_address(address: str, expected: tuple[str, int]) -> None:
    assert parse_address(address) == expected


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (":9108", "has no host"),
        ("9108", "is not host:port"),
        ("", "is not host:port"),
        ("localhost", "is not host:port"),
        ("localhost:", "port '' must be a number from 0 to 65535"),
        ("localhost:http", "is not host:port"),
        ("localhost:65536", "port '65536' must be a number from 0 to 65535"),
        ("::1:9108", r"put an IPv6 address in brackets, \[::1\]"),
        ("[::1]", "is not host:port"),
        ("[localhost]:9108", "'localhost' is no IPv6 address"),
        ("http://127.0.0.1:9108", "is not a host"),
        ("local host:9108", "is not a host"),
    ],
)
def test_bad_addresses_are_refused(address: str, message: str) -> None:
    with pytest.raises(
        ValueError, match=re.escape(f"metrics address {address!r}") + ".*" + message
    ):
        parse_address(address)


def test_serve_refuses_a_bad_address(metrics: Metrics, health: Health) -> None:
    with pytest.raises(ValueError, match=r"write it like 127\.0\.0\.1:9108"):
        serve(":9108", metrics, health)
