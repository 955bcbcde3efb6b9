"""The `page` source kind: the text of a web page that is new since the last poll.

The page is fetched through the daemon's shared client, if its host's robots.txt allows
it, with a conditional GET. Its main text is extracted by `formats` (trafilatura), or,
with `selector:`, made of the elements a CSS selector matches (lxml and cssselect,
imported here and nowhere else). The text is split into paragraphs (lines); the state
keeps short hashes of the last `MAX_SEEN` paragraphs seen, so each poll yields at most one
Item holding only the paragraphs not seen before, in page order. The first poll yields
the whole text as a baseline Item: stored, never alerted.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
from lxml.cssselect import CSSSelector, SelectorError

from watchd.documents import Document
from watchd.errors import DocumentError, SourceError
from watchd.formats import (
    VisibleText,
    declared_charset,
    decode,
    finish,
    parse_bytes,
)
from watchd.sources.base import Item, Poll, State
from watchd.sources.http import Http, Response
from watchd.sources.web import WebSource

log = logging.getLogger(__name__)

MAX_SEEN = 5000  # paragraph hashes kept in the state
HASH_CHARS = 16  # hex digits of a paragraph's sha256 kept: 64 bits


class PageSource(WebSource):
    """A web page at `source.page`, optionally narrowed by `source.selector`."""

    def poll(self, state: State) -> Poll:
        """One Item with the paragraphs not seen before (all of them, as a baseline, on the
        first poll); none if the page is not modified or nothing in it is new."""
        self.check_robots(self.context.http())
        response = self.fetch(state)
        if response.not_modified:
            return Poll(state={**state, **response.validators()})
        title, paragraphs = self.read(response)
        seen: list[str] | None = state.get("seen")
        hashes = [digest(paragraph) for paragraph in paragraphs]
        new_state = {**response.validators(), "seen": remember(seen or [], hashes)}
        new = paragraphs if seen is None else unseen(paragraphs, hashes, set(seen))
        log.debug("%s: %d paragraphs, %d new", self.url, len(paragraphs), len(new))
        items = [self.item(new, title, response, baseline=seen is None)] if new else []
        return Poll(items=items, state=new_state)

    def check_robots(self, http: Http) -> None:
        if not http.allowed(self.url):
            parts = urlsplit(self.url)
            raise SourceError(
                f"robots.txt of {parts.netloc!r} disallows {parts.path or '/'!r}; watchd will "
                "not fetch it: remove this source, or ask the site's owner to allow watchd"
            )

    def read(self, response: Response) -> tuple[str, list[str]]:
        """The page's title and the paragraphs of its main or selected text."""
        if self.source.selector is not None:
            return selected_text(response, self.source.selector)
        try:
            docs = parse_bytes(
                response.data, self.url, content_type=response.content_type, url=response.url
            )
        except DocumentError as error:
            raise SourceError(f"cannot read the page: {error.reason}") from None
        return docs[0].title, split_paragraphs("\n".join(doc.text for doc in docs))

    def item(self, paragraphs: list[str], title: str, response: Response, baseline: bool) -> Item:
        """One Item holding `paragraphs`, keyed by the page's address."""
        text = "\n\n".join(paragraphs)
        version = hashlib.sha256(text.encode()).hexdigest()
        document = Document(source=self.url, text=text, title=title, url=response.url)
        document = finish(document)
        return Item(self.url, version, document, baseline=baseline, story_url=False)


def selected_text(response: Response, selector: str) -> tuple[str, list[str]]:
    """The page's title and the paragraphs of the elements `selector` matches."""
    try:
        matcher = CSSSelector(selector)
    except SelectorError as error:
        raise SourceError(
            f"selector {selector!r} is not a valid CSS selector ({error}); fix it in watchd.yaml"
        ) from None
    root = html_tree(response)
    elements = matcher(root)
    if not elements:
        raise SourceError(
            f"selector {selector!r} matches nothing on {response.url!r}; check it against "
            "the page as it is now"
        )
    text = "\n".join(VisibleText.of(element_html(element)).text() for element in elements)
    return (root.findtext(".//title") or "").strip(), split_paragraphs(text)


def html_tree(response: Response) -> Any:
    """The lxml tree of the page, decoded the way `formats` decodes text."""
    text, _ = decode(response.data, declared_charset(response.content_type, response.data))
    parser = lxml.html.HTMLParser(encoding="utf-8")
    try:
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError) as error:  # e.g. no HTML at all
        raise SourceError(f"cannot read the page as HTML: {error}") from None


def element_html(element: Any) -> str:
    html: str = lxml.html.tostring(element, encoding="unicode", with_tail=False)
    return html


def split_paragraphs(text: str) -> list[str]:
    """The non-empty lines of `text`, spaces collapsed, each once, in order."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def digest(paragraph: str) -> str:
    return hashlib.sha256(paragraph.encode()).hexdigest()[:HASH_CHARS]


def unseen(paragraphs: Sequence[str], hashes: Sequence[str], seen: set[str]) -> list[str]:
    return [text for text, key in zip(paragraphs, hashes, strict=True) if key not in seen]


def remember(seen: Sequence[str], current: Sequence[str]) -> list[str]:
    """The hashes to keep: those of the page as it is now last, at most MAX_SEEN in all."""
    now = set(current)
    kept = [key for key in seen if key not in now] + list(current)
    return kept[-MAX_SEEN:]
