"""The built-in `console` channel: alerts written as text to a stream (the daemon's stdout)."""

from __future__ import annotations

import threading
from typing import TextIO

from watchd.notify.render import evidence_lines
from watchd.store import OutboxRow, StoredHit


class Console:
    """Writes each alert as a block of text; safe to call from several threads."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def send(self, hit: StoredHit, row: OutboxRow | None = None) -> None:
        with self.lock:
            self.stream.write(render(hit) + "\n")
            self.stream.flush()


def render(hit: StoredHit) -> str:
    """`ALERT rule: title`, where it was found, then the evidence."""
    where = f"{hit.source}: {hit.url or hit.origin}"
    if hit.document_title:
        where += f" ({hit.document_title})"
    head = f"ALERT {hit.rule}: {hit.title}" if hit.title else f"ALERT {hit.rule}"
    return "\n".join([head, f"  {where}", *evidence_lines(hit.evidence)])
