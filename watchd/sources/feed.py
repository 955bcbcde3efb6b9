"""The `feed` source kind: the entries of an RSS or Atom feed, one Item each.

Fetched through the daemon's shared client with a conditional GET (the ETag and
Last-Modified of the last answer are kept in the state), parsed from the bytes by
feedparser, which is imported here and nowhere else. An entry's key comes from its guid,
else its link, else its title and date (`identity.entry_key`); its version is "" because
an edited entry is not news twice.
"""

from __future__ import annotations

import io
import logging
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from watchd.documents import Document
from watchd.errors import DocumentError, SourceError
from watchd.formats import VisibleText, finish, media_type, sniff_kind
from watchd.sources.base import Item, Poll, Problem, State
from watchd.sources.http import Response
from watchd.sources.identity import entry_key, is_web_url
from watchd.sources.web import WebSource

log = logging.getLogger(__name__)

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml"})


class FeedSource(WebSource):
    """An RSS or Atom feed at `source.feed`."""

    def poll(self, state: State) -> Poll:
        """The entries of the feed; none, and the same state, if it is not modified."""
        response = self.fetch(state)
        new_state: dict[str, Any] = {**response.validators()}
        if response.not_modified:
            log.debug("%s: not modified", self.url)
            return Poll(state=new_state)
        parsed = parse_feed(response)
        items, problems = read_entries(parsed.entries, response.url)
        warnings = truncated_warning(parsed, len(items) + len(problems))
        log.debug("%s: %d entries", self.url, len(items) + len(problems))
        return Poll(items=items, problems=problems, warnings=warnings, state=new_state)


def parse_feed(response: Response) -> Any:
    """feedparser's result for the body; a SourceError if it holds no feed at all."""
    headers = {"content-location": response.url, "content-type": response.content_type or ""}
    parsed = feedparser.parse(io.BytesIO(response.data), response_headers=headers)
    if parsed.entries:
        return parsed
    if not parsed.get("version") and is_html(response):
        raise SourceError(html_reason(response))
    if parsed.get("bozo"):
        raise SourceError(f"not a valid RSS or Atom feed: {problem(parsed)}")
    return parsed


def is_html(response: Response) -> bool:
    declared = media_type(response.content_type) in HTML_TYPES
    return declared or sniff_kind(response.data) == "html"


def html_reason(response: Response) -> str:
    """Why an HTML page is not a feed, naming the feed it links to if it does."""
    link = FeedLink.of(response.data.decode("utf-8", errors="replace"))
    if link is None:
        return (
            f"{response.url!r} is an HTML page, not an RSS or Atom feed, and it links to no "
            "feed; give the address of the site's feed, or watch the page as page:"
        )
    feed = urljoin(response.url, link)
    return f"{response.url!r} is an HTML page, not a feed; it links to the feed {feed!r}: use that"


def problem(parsed: Any) -> str:
    """What feedparser found wrong, with the line and column when it knows them."""
    error = parsed.get("bozo_exception")
    if isinstance(error, SAXParseException):
        line, column = error.getLineNumber(), error.getColumnNumber()
        return f"{error.getMessage()} at line {line}, column {column}"
    return str(error) or type(error).__name__


def truncated_warning(parsed: Any, count: int) -> list[str]:
    """A warning when entries were read from a feed that is not well-formed."""
    if not (parsed.get("bozo") and count):
        return []
    return [f"the feed is not well-formed ({problem(parsed)}); read the {count} entries found"]


class FeedLink(HTMLParser):
    """The href of the first <link rel="alternate"> to an RSS or Atom feed in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.href: str | None = None

    @classmethod
    def of(cls, html: str) -> str | None:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.href

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        rels = found.get("rel", "").lower().split()
        kind = media_type(found.get("type"))
        if tag == "link" and "alternate" in rels and kind in FEED_TYPES and found.get("href"):
            self.href = self.href or found["href"].strip()


# Entries


def read_entries(entries: list[Any], feed_url: str) -> tuple[list[Item], list[Problem]]:
    """One Item per readable entry, one Problem per entry with nothing to match."""
    results = [entry_item(entry, feed_url) for entry in entries]
    items = [result for result in results if isinstance(result, Item)]
    return items, [result for result in results if isinstance(result, Problem)]


def entry_item(entry: Any, feed_url: str) -> Item | Problem:
    """The Item for one entry, or the Problem that it has neither title nor text."""
    title = plain(entry.get("title", ""), entry.get("title_detail"))
    date = entry.get("published") or entry.get("updated") or ""
    link = entry.get("link") if is_web_url(entry.get("link") or "") else None
    key = entry_key(entry.get("id"), link, title, date)
    document = Document(
        source=link or f"{feed_url}#{key}",
        text=entry_text(entry) or title,
        title=title,
        url=link,
        published=entry_date(entry),
    )
    try:
        return Item(key=key, version="", document=finish(document))
    except DocumentError:
        return Problem(key, "", "the entry has neither a title nor any text; nothing to match")


def entry_text(entry: Any) -> str:
    """The plain text of the longest of the entry's content and summary."""
    parts = [*entry.get("content", []), entry.get("summary_detail")]
    texts = [plain(part.get("value", ""), part) for part in parts if part]
    return max(texts, key=len, default="")


def plain(value: str, detail: Any) -> str:
    """`value` as plain text: HTML (by the type feedparser gives it) turned into text."""
    if detail and media_type(detail.get("type")) in HTML_TYPES:
        return VisibleText.of(value).text()
    return value.strip()


def entry_date(entry: Any) -> datetime | None:
    """When the entry was published, else updated, as an aware UTC datetime."""
    parsed: time.struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    return None if parsed is None else datetime(*parsed[:6], tzinfo=UTC)
