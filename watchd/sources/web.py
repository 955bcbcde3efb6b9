"""What the `feed` and `page` kinds share: an address fetched with a conditional GET."""

from __future__ import annotations

from watchd.config import Source
from watchd.formats import MAX_DOCUMENT_BYTES
from watchd.sources.base import Context, State
from watchd.sources.http import Response


class WebSource:
    """A source at `source.target`, fetched through the Context's shared HTTP client."""

    def __init__(self, source: Source, context: Context) -> None:
        self.source = source
        self.context = context
        self.url = source.target

    def fetch(self, state: State) -> Response:
        """The body, or a not-modified Response if the validators kept in `state` still hold."""
        return self.context.http().revalidate(self.url, state, MAX_DOCUMENT_BYTES)

    def close(self) -> None:
        """Nothing to release: the HTTP client belongs to the Context."""
