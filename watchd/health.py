"""Alerts about watchd's own sources: one when a source has failed `alert_after_failures`
polls in a row, one when it recovers. A feed that fails must not fail silently.

They travel the same way as rule alerts (stored, then delivered through the outbox to the
configuration's default channels), as a document of source `watchd` and a hit of the
reserved rule `watchd:source-failing` or `watchd:source-recovered`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from watchd.config import Source
from watchd.documents import Document
from watchd.matcher import Hit
from watchd.matcher.evidence import Evidence, TermHit
from watchd.store import NewDocument, NewHit, Target

SOURCE = "watchd"
FAILING = "watchd:source-failing"
RECOVERED = "watchd:source-recovered"


def failing(
    source: Source, failures: int, error: str, at: datetime, targets: tuple[Target, ...]
) -> tuple[NewDocument, list[NewHit]]:
    """The alert that `source` has failed `failures` polls in a row."""
    sentence = (
        f"Source {source.name} has failed {failures} polls in a row, the last at "
        f"{at:%Y-%m-%d %H:%M} UTC: {error}"
    )
    title = f"Source {source.name} is failing"
    return _alert(source, FAILING, title, sentence, at, targets)


def recovered(
    source: Source, failures: int, at: datetime, targets: tuple[Target, ...]
) -> tuple[NewDocument, list[NewHit]]:
    """The alert that `source` works again after `failures` failed polls."""
    sentence = (
        f"Source {source.name} works again at {at:%Y-%m-%d %H:%M} UTC, "
        f"after {failures} failed polls."
    )
    title = f"Source {source.name} recovered"
    return _alert(source, RECOVERED, title, sentence, at, targets)


def _alert(
    source: Source, rule: str, title: str, sentence: str, at: datetime, targets: tuple[Target, ...]
) -> tuple[NewDocument, list[NewHit]]:
    start = sentence.index(source.name)
    term = TermHit("source", source.name, start, start + len(source.name))
    evidence = Evidence("text", sentence, 0, len(sentence), (term,))
    key = f"{rule}:{source.name}:{at.isoformat()}"
    document = Document(source=f"{SOURCE}:{source.name}", text=sentence, title=title)
    hit = Hit(rule, title, document.source, "", (evidence,))
    fingerprint = hashlib.sha256(key.encode()).hexdigest()  # every such alert its own story
    new_document = NewDocument(SOURCE, key, "", document, fingerprint, None, at)
    return new_document, [NewHit(hit, "high", targets)]
