"""The outbox worker: claims due deliveries, sends each, and records the result at once.

A row is claimed with a lease; if the process dies mid-send, the lease runs out and the
row is claimed again, so at most the send in flight can be repeated. A failed send is
retried with capped exponential backoff and jitter, then the row is dead.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from watchd.errors import WatchdError
from watchd.metrics import Metrics
from watchd.store import OutboxRow, Store, StoredHit

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=5)
MAX_ATTEMPTS = 10

Send = Callable[[StoredHit, OutboxRow], None]  # raises DeliveryError


class DeliveryError(WatchdError):
    """A send failed; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Outbox:
    def __init__(
        self,
        store: Store,
        senders: Mapping[str, Send],
        now: Callable[[], datetime],
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.senders = senders
        self.now = now
        self.metrics = metrics
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    def recover(self) -> int:
        """Make the rows a crashed watchd on this host was sending due again now, rather
        than when their lease runs out; how many there were."""
        dead = [owner for owner in self.store.lease_owners() if not alive(owner)]
        return self.store.release(dead) if dead else 0

    def deliver(self) -> int:
        """Send every due row of the channels that have a sender; how many were sent."""
        if not self.senders:
            return 0
        now = self.now()
        rows = self.store.claim(list(self.senders), now, now + LEASE, owner=self.owner)
        return sum(self._send(row) for row in rows)

    def _send(self, row: OutboxRow) -> bool:
        hit = self.store.hit(row.hit)
        try:
            self.senders[row.channel](hit, row)
        except DeliveryError as error:
            self._failed(row, error)
            if self.metrics:
                self.metrics.delivery(row.channel, ok=False)
            return False
        self.store.sent(row.id, self.now())
        if self.metrics:
            self.metrics.delivery(row.channel, ok=True)
        log.info("delivered hit %d of %s to %s", row.hit, hit.rule, row.channel)
        return True

    def _failed(self, row: OutboxRow, error: DeliveryError) -> None:
        attempts = row.attempts + 1
        dead = error.permanent or attempts >= MAX_ATTEMPTS
        retry_at = None if dead else self.now() + retry_delay(attempts)
        self.store.failed(row.id, error.reason, self.now(), retry_at)
        state = "dead" if dead else "will retry"
        log.warning("delivery %d to %s failed (%s): %s", row.id, row.channel, state, error.reason)


def alive(owner: str) -> bool:
    """Whether the process `host:pid` may still be running (other hosts: assume so)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def retry_delay(attempts: int) -> timedelta:
    """A few seconds after the first failure, doubling, capped, with jitter."""
    delay: timedelta = min(MAX_RETRY, FIRST_RETRY * 2 ** min(attempts - 1, 16))
    return delay * random.uniform(0.75, 1.25)
