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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from watchd.errors import WatchdError
from watchd.metrics import Metrics
from watchd.notify.policy import Drop, Hold, Policy
from watchd.store import OutboxRow, Store, StoredHit

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
FIRST_RETRY = timedelta(seconds=5)
MAX_RETRY = timedelta(minutes=5)
MAX_ATTEMPTS = 10

Send = Callable[[StoredHit, OutboxRow], None]  # raises DeliveryError
SendGroup = Callable[[Sequence[StoredHit], Sequence[OutboxRow], str], None]  # hits, rows, key


class DeliveryError(WatchdError):
    """A send failed; `permanent` when trying again cannot help."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Outbox:
    """Sends due deliveries through `senders` (one per channel), shaped by `policy`.

    A row held by the policy waits in its group; when the group is due, its rows go out
    as one message through the channel's group sender (or one by one where there is none).
    """

    def __init__(
        self,
        store: Store,
        senders: Mapping[str, Send],
        now: Callable[[], datetime],
        metrics: Metrics | None = None,
        policy: Policy | None = None,
        group_senders: Mapping[str, SendGroup] | None = None,
    ) -> None:
        self.store = store
        self.senders = senders
        self.group_senders = group_senders or {}
        self.now = now
        self.metrics = metrics
        self.policy = policy or Policy({})
        self.down: dict[tuple[str, str], datetime] = {}  # services failing in this round
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
        silences = self.store.silences(now) if rows else []
        last_sent: dict[tuple[str, str], datetime | None] = {}
        groups: dict[tuple[str, str, str], list[OutboxRow]] = {}
        self.down = {}
        sent = 0
        for row in rows:
            key = (row.rule, row.channel)
            if key not in last_sent:
                last_sent[key] = self.store.last_sent(*key)
            decision = self.policy.decide(row, now, last_sent[key], silences)
            if isinstance(decision, Drop):
                self.store.suppress(row.id, decision.reason, now)
            elif isinstance(decision, Hold):
                self.store.hold([row.id], decision.until, decision.group)
            elif row.grp is not None:
                groups.setdefault((row.channel, row.service, row.grp), []).append(row)
            elif (row.channel, row.service, f"throttle:{row.rule}") in groups:
                # the rule's held alerts go out now; this one joins them: one message a period
                group = f"throttle:{row.rule}"
                self.store.hold([row.id], now, group)
                groups[(row.channel, row.service, group)].append(replace(row, grp=group))
            elif self._send([row]):
                sent += 1
                last_sent[key] = now
        for batch in groups.values():
            sent += len(batch) if self._send(batch) else 0
        return sent

    def _deferred(self, rows: list[OutboxRow]) -> bool:
        """Whether the service of `rows` failed earlier in this round: then they wait for
        its retry without an attempt, so one unreachable server (a 15 s timeout each)
        does not hold up every other channel."""
        until = self.down.get((rows[0].channel, rows[0].service))
        if until is None:
            return False
        self.store.defer([row.id for row in rows], until)
        return True

    def _send(self, rows: list[OutboxRow]) -> bool:
        """Send one row alone, or several as one message; record the outcome of each."""
        if self._deferred(rows):
            return False
        hits = [self.store.hit(row.hit) for row in rows]
        channel = rows[0].channel
        try:
            if len(rows) == 1 and rows[0].grp is None:
                self.senders[channel](hits[0], rows[0])
            else:
                self._send_group(hits, rows)
        except DeliveryError as error:
            self._failed(rows, error)
            if self.metrics:
                self.metrics.delivery(channel, ok=False)
            return False
        self.store.sent([row.id for row in rows], self.now())
        if self.metrics:
            self.metrics.delivery(channel, ok=True)
        rules = ", ".join(sorted({hit.rule for hit in hits}))
        count = f"{len(rows)} alert{'s' if len(rows) != 1 else ''}"
        log.info("delivered %s (%s) to %s", count, rules, channel)
        return True

    def _send_group(self, hits: list[StoredHit], rows: list[OutboxRow]) -> None:
        channel = rows[0].channel
        batch = rows[0].batch or self.store.batch([row.id for row in rows])
        key = f"watchd-batch-{batch}-{channel}" + (f"-{rows[0].service}" if rows[0].service else "")
        group_send = self.group_senders.get(channel)
        if group_send is None:
            for hit, row in zip(hits, rows, strict=True):
                self.senders[channel](hit, row)
            return
        group_send(hits, rows, key)

    def _failed(self, rows: list[OutboxRow], error: DeliveryError) -> None:
        attempts = max(row.attempts for row in rows) + 1
        dead = error.permanent or attempts >= MAX_ATTEMPTS
        retry_at = None if dead else self.now() + retry_delay(attempts)
        self.store.failed([row.id for row in rows], error.reason, self.now(), retry_at)
        if not error.permanent:
            self.down[(rows[0].channel, rows[0].service)] = retry_at or self.now() + MAX_RETRY
        state = "dead" if dead else "will retry"
        ids = ", ".join(str(row.id) for row in rows)
        log.warning("delivery %s to %s failed (%s): %s", ids, rows[0].channel, state, error.reason)


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
