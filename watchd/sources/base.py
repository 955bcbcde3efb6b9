"""What every source kind gives the engine: the Items one poll found, and its new state.

A kind is a class registered in `watchd.sources.KINDS` under its YAML key (`dir`, `feed`,
`page`). It is built once per configured source with the `Source` settings and a shared
`Context`, and `poll(state)` is called on every scheduled run. A kind keeps nothing
between polls on its own: whatever it must remember (file sizes, ETags, text already
seen) goes into the returned `Poll.state`, which the engine saves after the items are
stored and hands back to the next poll. A kind never raises for one bad item (that is a
`Problem`); it raises `SourceError` when the poll as a whole failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from watchd.config import Source
from watchd.documents import Document
from watchd.sources.http import HOST_DELAY, TIMEOUT, Http

State = Mapping[str, Any]  # JSON-serializable, saved by the engine between polls


@dataclass(frozen=True, slots=True)
class Item:
    """One document a poll found.

    `key` identifies it within its source across polls (a relative path, a normalized feed
    id, a page URL). `version` tells changed contents of the same key apart where the kind
    wants them matched again: the text's hash for a file, "" for a feed item (an edited
    item is not news twice), the hash of the new text for a page. A `baseline` item is
    what was already there when watching began (a page's text on its first poll): it is
    stored, never alerted. `story_url` is False when the document's URL names a place
    whose text changes (a page), not one story: two documents with that URL are not
    copies of each other.
    """

    key: str
    version: str
    document: Document
    baseline: bool = False
    story_url: bool = True


@dataclass(frozen=True, slots=True)
class Problem:
    """One item that could not be read (binary, undecodable, deleted mid-read), and why.

    Recorded once per `key` and `version`, then skipped; the rest of the poll goes on.
    """

    key: str
    version: str
    reason: str


@dataclass(frozen=True, slots=True)
class Poll:
    """What one poll found: items, problems, warnings about the source, and the new state."""

    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """What all sources of a daemon share.

    `stop` is set when the daemon is asked to exit: a long poll checks it between items
    or requests and returns early. `now` is the clock (tests may fix it). `contact` goes
    into the User-Agent of HTTP requests so site owners can reach the operator.
    `http()` is the one HTTP client of all sources, made on first use with `timeout`
    (seconds for a whole request) and `host_delay` (seconds between request starts to one
    host); `close()` closes it.
    """

    stop: threading.Event = field(default_factory=threading.Event)
    now: Callable[[], datetime] = utc_now
    contact: str = ""
    timeout: float = TIMEOUT
    host_delay: float = HOST_DELAY
    _http: Http | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def http(self) -> Http:
        """The shared HTTP client, made on first use; safe to call from any thread."""
        with self._lock:
            if self._http is None:
                self._http = Http(
                    contact=self.contact,
                    timeout=self.timeout,
                    delay=self.host_delay,
                    stop=self.stop,
                    now=self.now,
                )
            return self._http

    def close(self) -> None:
        """Close the HTTP client, if one was made; the next `http()` makes a new one."""
        with self._lock:
            http, self._http = self._http, None
        if http is not None:
            http.close()


class Kind(Protocol):
    """A source kind: built from its settings, polled with the state of its last poll."""

    def __init__(self, source: Source, context: Context) -> None: ...

    def poll(self, state: State) -> Poll: ...

    def close(self) -> None: ...
