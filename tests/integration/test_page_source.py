"""PageSource against a real HTTP server in a thread: new text only, selectors, robots.txt."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator

import pytest
from httpserver import LocalServer, Reply

from watchd.config import Source
from watchd.errors import SourceError
from watchd.sources.base import Context, Poll
from watchd.sources.page import MAX_SEEN, PageSource, remember

HTML = "text/html; charset=utf-8"
FIRST = "The Security Council met on Monday to discuss the situation in the region."
SECOND = "Delegates called for an immediate ceasefire and humanitarian access."
THIRD = "The next meeting is scheduled for Thursday at the headquarters."
NEWS = "Monitors will be deployed to Aleppo within days, the resolution says."


def page(*paragraphs: str, sidebar: str = "Contact us") -> bytes:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        "<!DOCTYPE html><html><head><title>Press releases</title></head><body>"
        '<nav><a href="/">Home</a> <a href="/about">About</a></nav>'
        f"<main><h1>Press releases</h1>{body}</main>"
        f'<aside class="sidebar"><ul><li>{sidebar}</li><li>Jobs</li></ul></aside>'
        "<footer>Copyright 2025</footer></body></html>"
    ).encode()


@pytest.fixture
def context() -> Iterator[Context]:
    context = Context(timeout=5.0, host_delay=0.0)
    yield context
    context.close()


@pytest.fixture
def server(http_server: LocalServer) -> LocalServer:
    """The test server with a robots.txt that allows everything but /private."""
    http_server.route("/robots.txt", Reply(b"User-agent: *\nDisallow: /private\n"))
    return http_server


def source(
    server: LocalServer, context: Context, path: str = "/news", **settings: str
) -> PageSource:
    return PageSource(Source(name="test", page=server.url(path), **settings), context)


def failure(watch: PageSource) -> str:
    with pytest.raises(SourceError) as caught:
        watch.poll({})
    return caught.value.reason


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# New text only


def test_first_poll_is_a_baseline(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST, SECOND), HTML))
    result = source(server, context).poll({})
    (found,) = result.items
    assert found.baseline
    assert found.key == found.document.source == found.document.url == server.url("/news")
    assert found.document.title == "Press releases"
    assert FIRST in found.document.text and SECOND in found.document.text
    assert "Copyright" not in found.document.text  # the main text, not the page's furniture
    assert found.version == sha(found.document.text)
    assert len(result.state["seen"]) == len(found.document.text.split("\n\n"))


def test_second_poll_gives_only_new_paragraphs(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST, SECOND, THIRD), HTML))
    watch = source(server, context)
    state = watch.poll({}).state
    server.route("/news", Reply(page(FIRST, NEWS, SECOND, "A second new one."), HTML))
    result = watch.poll(state)
    (found,) = result.items
    assert not found.baseline
    assert found.key == server.url("/news")
    assert found.document.text == f"{NEWS}\n\nA second new one."  # in page order
    assert found.version == sha(found.document.text)
    assert watch.poll(result.state) == Poll(state=result.state)  # nothing new: no item


def test_removed_paragraph_coming_back_is_not_new(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST, SECOND), HTML))
    watch = source(server, context)
    state = watch.poll({}).state
    server.route("/news", Reply(page(FIRST), HTML))
    state = watch.poll(state).state
    server.route("/news", Reply(page(FIRST, SECOND), HTML))
    assert watch.poll(state).items == []


def test_seen_paragraphs_are_bounded() -> None:
    old = [f"old{n}" for n in range(MAX_SEEN)]
    kept = remember(old, ["old0", "new"])
    assert len(kept) == MAX_SEEN
    assert kept[-2:] == ["old0", "new"]  # the page as it is now is kept, the oldest go
    assert "old1" not in kept and "old2" in kept


def test_not_modified_page_keeps_what_was_seen(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST), HTML, etag='"p1"'))
    watch = source(server, context)
    state = watch.poll({}).state
    assert state["etag"] == '"p1"'
    assert watch.poll(state) == Poll(state=state)
    assert server.seen("/news")[1].headers["if-none-match"] == '"p1"'


def test_last_modified_is_sent_back(server: LocalServer, context: Context) -> None:
    stamp = "Tue, 07 Jan 2025 08:00:00 GMT"
    server.route("/news", Reply(page(FIRST), HTML, last_modified=stamp))
    watch = source(server, context)
    state = watch.poll({}).state
    assert watch.poll(state).items == []
    assert server.seen("/news")[1].headers["if-modified-since"] == stamp


# Selectors


def test_selector_picks_the_elements(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST, sidebar="Vacancy: translator"), HTML))
    watch = source(server, context, selector="aside.sidebar li")
    (found,) = watch.poll({}).items
    assert found.document.text == "Vacancy: translator\n\nJobs"
    assert found.document.title == "Press releases"


def test_selector_new_text_only(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST, sidebar="Vacancy: translator"), HTML))
    watch = source(server, context, selector=".sidebar")
    state = watch.poll({}).state
    server.route("/news", Reply(page(NEWS, sidebar="Vacancy: interpreter"), HTML))
    (found,) = watch.poll(state).items  # the new main text is outside the selector
    assert found.document.text == "Vacancy: interpreter"


def test_selector_matching_nothing(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST), HTML))
    reason = failure(source(server, context, selector="div.missing"))
    assert reason.startswith(f"selector 'div.missing' matches nothing on {server.url('/news')!r}")


def test_invalid_selector(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST), HTML))
    reason = failure(source(server, context, selector="p[["))
    assert reason.startswith("selector 'p[[' is not a valid CSS selector (")
    assert reason.endswith("fix it in watchd.yaml")


def test_page_with_no_text(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(b"<html><body></body></html>", HTML))
    assert failure(source(server, context)) == "cannot read the page: empty document"


# robots.txt


def test_robots_disallow(server: LocalServer, context: Context) -> None:
    server.route("/private/news", Reply(page(FIRST), HTML))
    reason = failure(source(server, context, "/private/news"))
    netloc = server.base.removeprefix("http://")
    assert reason.startswith(f"robots.txt of {netloc!r} disallows '/private/news'; ")
    assert server.seen("/private/news") == []


def test_robots_allow_is_cached(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(page(FIRST), HTML))
    server.route("/other", Reply(page(SECOND), HTML))
    state = source(server, context).poll({}).state
    source(server, context).poll(state)
    source(server, context, "/other").poll({})
    assert len(server.seen("/news")) == 2
    assert len(server.seen("/robots.txt")) == 1  # once per host, not per poll or source


def test_robots_for_watchd_only(http_server: LocalServer, context: Context) -> None:
    robots = b"User-agent: watchd\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    http_server.route("/robots.txt", Reply(robots))
    http_server.route("/news", Reply(page(FIRST), HTML))
    assert "disallows '/news'" in failure(source(http_server, context))


@pytest.mark.parametrize(
    ("robots", "allowed"),
    [
        (Reply(b"gone", status=404), True),  # RFC 9309: unavailable, everything allowed
        (Reply(b"no", status=403), True),
        (Reply(b"oops", status=500), False),  # unreachable: nothing allowed
        (Reply(b"busy", status=503), False),
    ],
)
def test_robots_status(
    http_server: LocalServer, context: Context, robots: Reply, allowed: bool
) -> None:
    http_server.route("/robots.txt", robots)
    http_server.route("/news", Reply(page(FIRST), HTML))
    watch = source(http_server, context)
    if allowed:
        assert len(watch.poll({}).items) == 1
    else:
        assert "disallows '/news'" in failure(watch)
        assert http_server.seen("/news") == []


def test_robots_unreachable_disallows() -> None:
    context = Context(timeout=0.3, host_delay=0.0)
    with LocalServer() as server:
        server.route("/robots.txt", Reply(b"User-agent: *\nAllow: /\n", delay=2.0))
        server.route("/news", Reply(page(FIRST), HTML))
        assert "disallows '/news'" in failure(source(server, context))
    context.close()


# HTTP


def test_page_server_error(server: LocalServer, context: Context) -> None:
    server.route("/news", Reply(b"down", status=502))
    assert failure(source(server, context)) == "HTTP 502 Bad Gateway"


def test_stop_cuts_a_slow_page_short(server: LocalServer, context: Context) -> None:
    body = page(*[f"Paragraph number {n} of a long page." for n in range(300)])
    server.route("/news", Reply(body, HTML, trickle=0.05, chunk=100))
    threading.Timer(0.3, context.stop.set).start()
    started = time.monotonic()
    assert failure(source(server, context)) == "stopped: watchd is shutting down"
    assert time.monotonic() - started < 1.5
