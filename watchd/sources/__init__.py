"""Sources: folders, feeds and pages, one module each, registered by their YAML key.

A new kind is one module with a class following `base.Kind`, one line in `KINDS`, and
its key in `config.SOURCE_KINDS`.
"""

from __future__ import annotations

from watchd.config import Source
from watchd.sources.base import Context, Item, Kind, Poll, Problem
from watchd.sources.dir import DirSource
from watchd.sources.feed import FeedSource
from watchd.sources.page import PageSource

KINDS: dict[str, type[Kind]] = {"dir": DirSource, "feed": FeedSource, "page": PageSource}

__all__ = ["KINDS", "Context", "Item", "Kind", "Poll", "Problem", "open_source"]


def open_source(source: Source, context: Context) -> Kind:
    """The source object for one configured source."""
    return KINDS[source.kind](source, context)
