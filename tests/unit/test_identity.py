"""Canonical URLs and feed entry keys."""

from __future__ import annotations

import hashlib

import pytest

from watchd.sources.identity import canonical_url, entry_key, url_key


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://example.com/news/1", "https://example.com/news/1"),
        ("HTTP://Example.COM/News/1", "https://example.com/News/1"),  # the path keeps its case
        ("http://www.example.com/a", "https://example.com/a"),
        ("https://www2.example.com/a", "https://www2.example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:8080/a", "https://example.com:8080/a"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com", "https://example.com"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
        ("https://example.com/a?id=7&UTM_Campaign=x&fbclid=abc", "https://example.com/a?id=7"),
        ("https://example.com/a?gclid=1&mc_cid=2&mc_eid=3&igshid=4&ref=5", "https://example.com/a"),
        ("https://example.com/?ref=home&page=2", "https://example.com/?page=2"),
        ("https://example.com/a?q=a%20b", "https://example.com/a?q=a+b"),
        ("https://[2001:DB8::1]:8443/a", "https://[2001:db8::1]:8443/a"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("tag:example.com,2024:item-1", "tag:example.com,2024:item-1"),
        ("ftp://example.com/file", "ftp://example.com/file"),
        ("http://[::1", "http://[::1"),  # not a URL Python can split: left alone
        ("not a url", "not a url"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://example.com/a", "https://www.example.com/a/"),
        ("https://example.com/a?utm_source=x#top", "https://EXAMPLE.com:443/a"),
        ("https://example.com/a?y=2&x=1", "https://example.com/a?x=1&y=2&ref=tw"),
    ],
)
def test_same_page_same_canonical_url(first: str, second: str) -> None:
    assert canonical_url(first) == canonical_url(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://example.com/a", "https://example.com/b"),
        ("https://example.com/a?id=1", "https://example.com/a?id=2"),
        ("https://example.com/a", "https://example.org/a"),
        ("https://example.com:8080/a", "https://example.com/a"),
    ],
)
def test_different_pages_differ(first: str, second: str) -> None:
    assert canonical_url(first) != canonical_url(second)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://example.com/news/1", "/news/1"),
        ("http://feeds.other-host.net/news/1/?utm_source=rss", "/news/1"),
        ("https://example.com/item?id=5&fbclid=x", "/item?id=5"),
        ("https://example.com/", "/"),
        ("https://example.com", "/"),
        (
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
            "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a",
        ),
    ],
)
def test_url_key(url: str, key: str) -> None:
    assert url_key(url) == key


def sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("guid", "link", "title", "date", "key"),
    [
        ("tag:example.com,2024:1", "https://example.com/a", "T", "", "tag:example.com,2024:1"),
        ("https://example.com/a?utm_source=rss", None, "T", "", "/a"),
        (None, "https://www.example.com/a/", "T", "", "/a"),
        ("", "https://example.com/a", "T", "", "/a"),
        ("   ", "https://example.com/a", "T", "", "/a"),
        (
            None,
            None,
            "Title",
            "Mon, 06 Jan 2025 10:00:00 GMT",
            sha("Title\nMon, 06 Jan 2025 10:00:00 GMT"),
        ),
        (None, "", " Title ", "", sha("Title\n")),
    ],
)
def test_entry_key(guid: str | None, link: str | None, title: str, date: str, key: str) -> None:
    assert entry_key(guid, link, title, date) == key


def test_entry_key_from_title_and_date_tells_entries_apart() -> None:
    assert entry_key(None, None, "A", "2025-01-01") != entry_key(None, None, "A", "2025-01-02")
    assert entry_key(None, None, "A", "2025-01-01") != entry_key(None, None, "B", "2025-01-01")
