"""FeedSource against a real HTTP server in a thread: RSS, Atom, HTTP failures, identity."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from httpserver import LocalServer, Reply, redirect

from watchd import __version__
from watchd.config import Source
from watchd.errors import SourceError
from watchd.formats import MAX_DOCUMENT_BYTES
from watchd.sources.base import Context, Item, Poll, Problem
from watchd.sources.feed import FeedSource

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml"
SHORT_TIMEOUT = 0.3
SLOW_SECONDS = 2.0


def rss(*items: str) -> bytes:
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>UN press</title><link>https://press.un.org/</link>"
        "<description>Press releases</description>"
    )
    return (head + "".join(items) + "</channel></rss>").encode()


def item(guid: str | None, title: str, body: str = "", link: str | None = None) -> str:
    parts = [f"<title>{title}</title>"]
    parts += [f"<guid>{guid}</guid>"] if guid is not None else []
    parts += [f"<link>{link}</link>"] if link is not None else []
    parts += [f"<description>{body}</description>"] if body else []
    return "<item>" + "".join(parts) + "</item>"


ARTICLE = (
    "<item><title>Council &amp; Aleppo</title>"
    "<link>https://press.un.org/en/2025/sc1234.doc.htm</link>"
    "<guid isPermaLink='false'>sc1234</guid>"
    "<description>&lt;p&gt;A short &lt;b&gt;summary&lt;/b&gt;.&lt;/p&gt;</description>"
    "<content:encoded><![CDATA[<p>The Security Council adopted a resolution on Aleppo.</p>"
    "<p>Monitors will be <em>deployed</em> within days.</p>]]></content:encoded>"
    "<pubDate>Mon, 06 Jan 2025 10:00:00 +0100</pubDate></item>"
)

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example</title><id>urn:uuid:feed</id><updated>2025-01-07T12:00:00Z</updated>
  <entry>
    <title type="html">Talks &lt;em&gt;resume&lt;/em&gt; in Geneva</title>
    <id>tag:example.org,2025:talks</id>
    <link rel="alternate" href="/2025/talks"/>
    <updated>2025-01-07T12:00:00+02:00</updated>
    <summary>Short.</summary>
    <content type="html">&lt;p&gt;Delegations met in Geneva on Tuesday.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Plain title only</title>
    <id>tag:example.org,2025:plain</id>
    <updated>2025-01-06T08:00:00Z</updated>
  </entry>
</feed>"""


@pytest.fixture
def context() -> Iterator[Context]:
    context = Context(contact="ops@example.org", timeout=5.0, host_delay=0.0)
    yield context
    context.close()


def feed(url: str, context: Context) -> FeedSource:
    return FeedSource(Source(name="test", feed=url), context)


def poll(server: LocalServer, context: Context, path: str = "/feed.xml") -> Poll:
    return feed(server.url(path), context).poll({})


def failure(server: LocalServer, context: Context, path: str = "/feed.xml") -> SourceError:
    with pytest.raises(SourceError) as caught:
        poll(server, context, path)
    return caught.value


# Reading RSS and Atom


def test_rss_item_becomes_a_document(http_server: LocalServer, context: Context) -> None:
    http_server.route("/feed.xml", Reply(rss(ARTICLE), RSS_TYPE))
    result = poll(http_server, context)
    assert (result.problems, result.warnings) == ([], [])
    (found,) = result.items
    assert (found.key, found.version, found.baseline) == ("sc1234", "", False)
    doc = found.document
    assert doc.title == "Council & Aleppo"
    assert doc.text == (  # the longer of content and summary, as plain text
        "The Security Council adopted a resolution on Aleppo.\n"
        "Monitors will be deployed within days."
    )
    assert doc.url == doc.source == "https://press.un.org/en/2025/sc1234.doc.htm"
    assert doc.published == datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    assert http_server.seen("/feed.xml")[0].headers["user-agent"] == (
        f"watchd/{__version__} (+ops@example.org)"
    )


def test_atom_entries(http_server: LocalServer, context: Context) -> None:
    http_server.route("/atom", Reply(ATOM, ATOM_TYPE))
    talks, plain = poll(http_server, context, "/atom").items
    assert talks.key == "tag:example.org,2025:talks"
    assert talks.document.title == "Talks resume in Geneva"
    assert talks.document.text == "Delegations met in Geneva on Tuesday."
    assert talks.document.url == http_server.url("/2025/talks")  # resolved against the feed
    assert talks.document.published == datetime(2025, 1, 7, 10, 0, tzinfo=UTC)
    assert plain.document.text == plain.document.title == "Plain title only"  # no body: the title
    assert plain.document.source == http_server.url("/atom") + "#tag:example.org,2025:plain"


def test_entries_without_guid(http_server: LocalServer, context: Context) -> None:
    dated = "<item><title>Dated</title><pubDate>Tue, 07 Jan 2025 08:00:00 GMT</pubDate></item>"
    body = rss(
        item(None, "Linked", "Text.", link="https://example.org/news/7?utm_source=rss"), dated
    )
    http_server.route("/feed.xml", Reply(body, RSS_TYPE))
    linked, hashed = poll(http_server, context).items
    assert linked.key == "/news/7"
    assert hashed.key.startswith("sha256:") and len(hashed.key) == len("sha256:") + 64
    assert hashed.document.source == http_server.url("/feed.xml") + "#" + hashed.key
    again = poll(http_server, context).items
    assert [i.key for i in again] == [linked.key, hashed.key]  # stable across polls


def test_moved_host_and_tracking_parameters_keep_the_key(
    http_server: LocalServer, context: Context
) -> None:
    before = item("http://old.example.org/news/1", "One", "Text.")
    after = item("https://www.new.example.net/news/1/?utm_source=a&amp;fbclid=b", "One", "Text.")
    http_server.route("/feed.xml", Reply(rss(before), RSS_TYPE))
    first = poll(http_server, context).items
    http_server.route("/feed.xml", Reply(rss(after), RSS_TYPE))
    second = poll(http_server, context).items
    assert [i.key for i in first] == [i.key for i in second] == ["/news/1"]


def test_entry_with_nothing_to_match_is_a_problem(
    http_server: LocalServer, context: Context
) -> None:
    empty = "<item><guid>tag:x,2025:empty</guid><description>  </description></item>"
    http_server.route("/feed.xml", Reply(rss(empty, item("tag:x,2025:ok", "Fine")), RSS_TYPE))
    result = poll(http_server, context)
    assert [i.key for i in result.items] == ["tag:x,2025:ok"]
    assert result.problems == [
        Problem(
            "tag:x,2025:empty", "", "the entry has neither a title nor any text; nothing to match"
        )
    ]


def test_empty_but_valid_feed_has_no_items(http_server: LocalServer, context: Context) -> None:
    http_server.route("/feed.xml", Reply(rss(), RSS_TYPE))
    assert poll(http_server, context) == Poll()


# Conditional GET


@pytest.mark.parametrize(
    ("reply", "header", "value", "kept"),
    [
        (Reply(rss(ARTICLE), RSS_TYPE, etag='"v1"'), "if-none-match", '"v1"', "etag"),
        (
            Reply(rss(ARTICLE), RSS_TYPE, last_modified="Mon, 06 Jan 2025 10:00:00 GMT"),
            "if-modified-since",
            "Mon, 06 Jan 2025 10:00:00 GMT",
            "last_modified",
        ),
    ],
)
def test_not_modified(
    http_server: LocalServer, context: Context, reply: Reply, header: str, value: str, kept: str
) -> None:
    http_server.route("/feed.xml", reply)
    source = feed(http_server.url("/feed.xml"), context)
    first = source.poll({})
    assert len(first.items) == 1
    assert first.state == {kept: value}
    second = source.poll(first.state)
    assert second == Poll(state=first.state)  # 304: no items, the same state
    requests = http_server.seen("/feed.xml")
    assert header not in requests[0].headers
    assert requests[1].headers[header] == value


def test_changed_feed_after_not_modified(http_server: LocalServer, context: Context) -> None:
    """A new item is "published": the new ETag comes back and the new item is read."""
    http_server.route("/feed.xml", Reply(rss(ARTICLE), RSS_TYPE, etag='"v1"'))
    source = feed(http_server.url("/feed.xml"), context)
    state = source.poll({}).state
    new = item("tag:x,2025:new", "New item", "Fresh text.")
    http_server.route("/feed.xml", Reply(rss(new, ARTICLE), RSS_TYPE, etag='"v2"'))
    result = source.poll(state)
    assert [i.key for i in result.items] == ["tag:x,2025:new", "sc1234"]
    assert result.state == {"etag": '"v2"'}


# HTTP failures


def test_server_error(http_server: LocalServer, context: Context) -> None:
    http_server.route("/feed.xml", Reply(b"oops", status=500))
    error = failure(http_server, context)
    assert (error.reason, error.retry_after) == ("HTTP 500 Internal Server Error", None)


def test_missing_feed(http_server: LocalServer, context: Context) -> None:
    assert failure(http_server, context, "/nowhere").reason == "HTTP 404 Not Found"


@pytest.mark.parametrize("status", [503, 429])
def test_retry_after_in_seconds(http_server: LocalServer, context: Context, status: int) -> None:
    http_server.route("/feed.xml", Reply(status=status, headers={"Retry-After": "120"}))
    error = failure(http_server, context)
    assert error.retry_after == 120
    assert error.reason.startswith(f"HTTP {status} ")
    assert error.reason.endswith("; the server asks to retry after 120 s")


def test_retry_after_as_a_date(http_server: LocalServer) -> None:
    now = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)
    context = Context(now=lambda: now, host_delay=0.0)
    later = "Mon, 06 Jan 2025 10:05:00 GMT"
    http_server.route("/feed.xml", Reply(status=503, headers={"Retry-After": later}))
    assert failure(http_server, context).retry_after == 300
    context.close()


def test_retry_after_only_on_429_and_503(http_server: LocalServer, context: Context) -> None:
    http_server.route("/feed.xml", Reply(status=500, headers={"Retry-After": "120"}))
    assert failure(http_server, context).retry_after is None


def test_slow_response_times_out(http_server: LocalServer) -> None:
    context = Context(timeout=SHORT_TIMEOUT, host_delay=0.0)
    http_server.route("/feed.xml", Reply(rss(ARTICLE), RSS_TYPE, delay=SLOW_SECONDS))
    started = time.monotonic()
    assert failure(http_server, context).reason == f"timed out after {SHORT_TIMEOUT:g} s"
    assert time.monotonic() - started < SLOW_SECONDS
    context.close()


def test_slowly_trickling_body_times_out(http_server: LocalServer) -> None:
    """Every chunk comes in time, the whole body does not: the deadline is per request."""
    context = Context(timeout=SHORT_TIMEOUT, host_delay=0.0)
    body = rss(*[item(f"tag:x,{n}", f"Item {n}") for n in range(50)])
    http_server.route("/feed.xml", Reply(body, RSS_TYPE, trickle=0.05, chunk=100))
    started = time.monotonic()
    assert failure(http_server, context).reason == f"timed out after {SHORT_TIMEOUT:g} s"
    assert time.monotonic() - started < 1.0
    context.close()


def test_oversized_body(http_server: LocalServer, context: Context) -> None:
    body = rss(item("tag:x,1", "Big", "x" * (MAX_DOCUMENT_BYTES + 1)))
    http_server.route("/feed.xml", Reply(body, RSS_TYPE, length=False))
    assert failure(http_server, context).reason == "response is larger than the 5 MiB limit"


def test_gzip_bomb(http_server: LocalServer, context: Context) -> None:
    bomb = gzip.compress(b" " * (4 * MAX_DOCUMENT_BYTES), compresslevel=9)
    assert len(bomb) < 100_000
    http_server.route("/feed.xml", Reply(bomb, RSS_TYPE, headers={"Content-Encoding": "gzip"}))
    assert failure(http_server, context).reason == "response is larger than the 5 MiB limit"


def test_gzipped_feed(http_server: LocalServer, context: Context) -> None:
    body = gzip.compress(rss(ARTICLE))
    http_server.route("/feed.xml", Reply(body, RSS_TYPE, headers={"Content-Encoding": "gzip"}))
    assert [i.key for i in poll(http_server, context).items] == ["sc1234"]
    assert "gzip" in http_server.seen("/feed.xml")[0].headers["accept-encoding"]


def test_redirects_are_followed(http_server: LocalServer, context: Context) -> None:
    http_server.route("/old", redirect("/older", 301))
    http_server.route("/older", redirect("/feed.xml", 307))
    http_server.route("/feed.xml", Reply(rss(item("tag:x,1", "One", link="/news/1")), RSS_TYPE))
    (found,) = poll(http_server, context, "/old").items
    assert found.document.url == http_server.url("/news/1")  # relative to where the feed is


def test_too_many_redirects(http_server: LocalServer, context: Context) -> None:
    http_server.route("/loop", redirect("/loop"))
    assert failure(http_server, context, "/loop").reason == "more than 5 redirects"
    assert len(http_server.seen("/loop")) == 6


def test_stop_cuts_a_slow_body_short(http_server: LocalServer, context: Context) -> None:
    body = rss(*[item(f"tag:x,{n}", f"Item {n}") for n in range(200)])
    http_server.route("/feed.xml", Reply(body, RSS_TYPE, trickle=0.05, chunk=50))
    threading.Timer(0.3, context.stop.set).start()
    started = time.monotonic()
    assert failure(http_server, context).reason == "stopped: watchd is shutting down"
    assert time.monotonic() - started < 1.5  # the whole body takes over 10 s


# Not a feed


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<rss version='2.0'><channel><title>x</titel></channel></rss>", "mismatched tag"),
        (b"this is not XML at all", "syntax error"),
    ],
)
def test_malformed_xml(
    http_server: LocalServer, context: Context, body: bytes, problem: str
) -> None:
    http_server.route("/feed.xml", Reply(body, RSS_TYPE))
    reason = failure(http_server, context).reason
    assert reason.startswith("not a valid RSS or Atom feed: ")
    assert problem in reason


def test_truncated_xml_gives_the_entries_and_a_warning(
    http_server: LocalServer, context: Context
) -> None:
    whole = rss(item("tag:x,1", "One", "First."), item("tag:x,2", "Two", "Second."))
    cut = whole[: whole.index(b"<item><title>Two") + 30]
    http_server.route("/feed.xml", Reply(cut, RSS_TYPE))
    result = poll(http_server, context)
    assert result.items[0].key == "tag:x,1"
    (warning,) = result.warnings
    assert warning.startswith("the feed is not well-formed (")
    assert warning.endswith(f"read the {len(result.items)} entries found")


PAGE_WITH_FEED = b"""<!DOCTYPE html><html><head><title>Example</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/atom+xml" title="News" href="/news/atom.xml">
</head><body><p>Welcome.</p></body></html>"""


def test_html_page_names_its_feed(http_server: LocalServer, context: Context) -> None:
    http_server.route("/", Reply(PAGE_WITH_FEED, "text/html; charset=utf-8"))
    reason = failure(http_server, context, "/").reason
    assert reason == (
        f"{http_server.url('/')!r} is an HTML page, not a feed; it links to the feed "
        f"{http_server.url('/news/atom.xml')!r}: use that"
    )


def test_html_page_without_a_feed(http_server: LocalServer, context: Context) -> None:
    page = b"<html><head><title>Example</title></head><body><p>Hi.</p></body></html>"
    http_server.route("/", Reply(page, "text/plain"))  # a wrong content type: sniffed
    reason = failure(http_server, context, "/").reason
    assert reason.startswith(f"{http_server.url('/')!r} is an HTML page, not an RSS or Atom feed")
    assert "links to no feed" in reason


# The shared client


def test_sources_share_one_client(context: Context) -> None:
    assert context.http() is context.http()
    first = context.http()
    context.close()
    assert context.http() is not first


def test_polls_in_parallel_threads(http_server: LocalServer, context: Context) -> None:
    for n in range(8):
        http_server.route(f"/f{n}", Reply(rss(item(f"tag:x,{n}", f"T{n}")), RSS_TYPE))
    results: dict[int, list[Item]] = {}

    def run(n: int) -> None:
        results[n] = poll(http_server, context, f"/f{n}").items

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {n: [i.key for i in items] for n, items in results.items()} == {
        n: [f"tag:x,{n}"] for n in range(8)
    }


def test_published_dates_are_aware_utc(http_server: LocalServer, context: Context) -> None:
    http_server.route("/atom", Reply(ATOM, ATOM_TYPE))
    for found in poll(http_server, context, "/atom").items:
        published = found.document.published
        assert published is not None and published.utcoffset() == timedelta(0)
