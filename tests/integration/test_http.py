"""The shared HTTP client against a real server: size cap, encodings, politeness, robots."""

from __future__ import annotations

import gzip
import itertools
import socket
import threading
import tracemalloc
import zlib
from collections.abc import Iterator

import pytest
from httpserver import LocalServer, Reply

from watchd import __version__
from watchd.errors import SourceError
from watchd.sources.http import Http, Response, size

LIMIT = 1024 * 1024


@pytest.fixture
def http() -> Iterator[Http]:
    with Http(delay=0.0, timeout=5.0) as client:
        yield client


def reason(http: Http, url: str, limit: int = LIMIT) -> str:
    with pytest.raises(SourceError) as caught:
        http.get(url, limit=limit)
    return caught.value.reason


def test_gzip_bomb_is_not_inflated_whole(http_server: LocalServer, http: Http) -> None:
    """200 MiB of zeros, 200 KiB on the wire: refused after LIMIT bytes, memory stays low."""
    bomb = gzip.compress(b"\0" * (200 * LIMIT), compresslevel=9)
    http_server.route("/bomb", Reply(bomb, headers={"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        assert reason(http, http_server.url("/bomb")) == "response is larger than the 1 MiB limit"
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * LIMIT


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # no zlib header
        ("identity", lambda data: data),
    ],
)
def test_encodings(http_server: LocalServer, http: Http, encoding: str, compress: object) -> None:
    text = b"Plain words, " * 10_000
    assert callable(compress)
    http_server.route("/t", Reply(compress(text), headers={"Content-Encoding": encoding}))
    assert http.get(http_server.url("/t"), limit=LIMIT).data == text


def test_body_exactly_at_the_limit(http_server: LocalServer, http: Http) -> None:
    http_server.route(
        "/t", Reply(gzip.compress(b"a" * LIMIT), headers={"Content-Encoding": "gzip"})
    )
    assert len(http.get(http_server.url("/t"), limit=LIMIT).data) == LIMIT
    assert reason(http, http_server.url("/t"), LIMIT - 1).startswith("response is larger than")


def test_truncate_keeps_the_first_bytes(http_server: LocalServer, http: Http) -> None:
    http_server.route("/t", Reply(b"0123456789" * 1000, length=False))
    assert (
        http.get(http_server.url("/t"), limit=25, truncate=True).data
        == b"0123456789" * 2 + b"01234"
    )


def test_unsupported_encoding(http_server: LocalServer, http: Http) -> None:
    http_server.route("/t", Reply(b"\x1b\x00", headers={"Content-Encoding": "br"}))
    assert reason(http, http_server.url("/t")) == (
        "unsupported Content-Encoding 'br'; watchd reads gzip"
    )


def test_corrupt_gzip(http_server: LocalServer, http: Http) -> None:
    http_server.route("/t", Reply(b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    assert reason(http, http_server.url("/t")).startswith("could not decode the gzip body: ")


def test_user_agent_without_contact(http_server: LocalServer, http: Http) -> None:
    http_server.route("/t", Reply(b"x"))
    http.get(http_server.url("/t"), limit=LIMIT)
    agent = http_server.seen("/t")[0].headers["user-agent"]
    assert agent == f"watchd/{__version__} (+https://github.com/watchd)"


def test_politeness_spaces_requests_to_a_host(http_server: LocalServer) -> None:
    delay = 0.3
    http_server.route("/t", Reply(b"x"))
    with Http(delay=delay, timeout=5.0) as http:
        threads = [
            threading.Thread(target=http.get, args=(http_server.url("/t"),), kwargs={"limit": 10})
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    starts = sorted(request.at for request in http_server.seen("/t"))
    assert len(starts) == 3
    assert all(later - earlier >= delay - 0.05 for earlier, later in itertools.pairwise(starts))


def test_politeness_wait_ends_on_stop(http_server: LocalServer) -> None:
    http_server.route("/t", Reply(b"x"))
    stop = threading.Event()
    with Http(delay=30.0, timeout=5.0, stop=stop) as http:
        http.get(http_server.url("/t"), limit=10)
        threading.Timer(0.2, stop.set).start()
        assert reason(http, http_server.url("/t")) == "stopped: watchd is shutting down"
    assert len(http_server.seen("/t")) == 1


def test_connection_refused(http: Http) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert reason(http, f"http://127.0.0.1:{port}/").startswith("could not fetch: ")


def test_not_a_url(http: Http) -> None:
    assert reason(http, "ftp://127.0.0.1/file").startswith("could not fetch: ")


def test_validators_kept_on_304_without_them(http_server: LocalServer, http: Http) -> None:
    http_server.route("/t", Reply(status=304))
    response = http.get(http_server.url("/t"), limit=10, etag='"a"', last_modified="yesterday")
    assert response.not_modified
    assert response.validators() == {"etag": '"a"', "last_modified": "yesterday"}


def test_new_validators_replace_old_ones(http_server: LocalServer, http: Http) -> None:
    http_server.route("/t", Reply(b"x", etag='"b"'))
    response = http.get(http_server.url("/t"), limit=10, etag='"a"', last_modified="yesterday")
    assert response == Response(b"x", http_server.url("/t"), "text/plain; charset=utf-8", '"b"')
    assert response.validators() == {"etag": '"b"'}


def test_large_robots_txt_is_read_in_part(http_server: LocalServer, http: Http) -> None:
    robots = b"User-agent: *\nDisallow: /private\n" + b"# padding\n" * 100_000
    http_server.route("/robots.txt", Reply(robots))
    assert not http.allowed(http_server.url("/private/x"))
    assert http.allowed(http_server.url("/public"))


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (5 * 1024 * 1024, "5 MiB"),
        (500 * 1024, "500 KiB"),
        (1000, "1000 bytes"),
        (1536, "1536 bytes"),
    ],
)
def test_size(count: int, said: str) -> None:
    assert size(count) == said
