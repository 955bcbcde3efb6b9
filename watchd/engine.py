"""One poll of one source: fetch, match, store, enqueue.

The engine holds the store, the current matcher (swapped whole on a reload) and one
source object per configured source. `poll(source)` never raises for the outside world
failing: a failed poll is recorded in the source's health with a time before which it
is not tried again (exponential backoff with jitter, or what the server asked for).
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchd import health
from watchd.config import Config, Source
from watchd.errors import SourceError
from watchd.matcher import Hit, Matcher
from watchd.metrics import Metrics
from watchd.rules.loader import CompiledRule
from watchd.sources import open_source
from watchd.sources.base import Context, Item, Kind, Poll
from watchd.sources.http import Stopped
from watchd.sources.identity import canonical_url
from watchd.store import NewDocument, NewHit, SourceRecord, Store, Target
from watchd.text import fold

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
BACKOFF_BASE = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Report:
    """What one poll did, for the log line, the metrics and `watchd once`."""

    source: str
    ok: bool = True
    waiting: bool = False
    documents: int = 0
    hits: int = 0
    alerts: int = 0
    problems: int = 0
    error: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        if self.waiting:
            return f"{self.source}: waiting after failures ({self.error})"
        if not self.ok:
            return f"{self.source}: poll failed: {self.error}"
        parts = [
            counted(self.documents, "new document"),
            counted(self.hits, "hit"),
            counted(self.alerts, "alert"),
        ]
        if self.problems:
            parts.append(f"{self.problems} unreadable")
        return f"{self.source}: {', '.join(parts)} ({self.seconds:.1f} s)"


@dataclass
class Tally:
    documents: int = 0
    hits: int = 0
    alerts: int = 0
    problems: int = 0
    stopped: bool = False
    rules: dict[str, int] = field(default_factory=dict)


class Engine:
    def __init__(
        self,
        store: Store,
        config: Config,
        matcher: Matcher,
        context: Context | None = None,
        metrics: Metrics | None = None,
        targets: Callable[[str], Sequence[str]] = lambda channel: [""],
    ) -> None:
        self.store = store
        self.targets = targets
        self.config = config
        self.context = context or Context(contact=config.contact)
        self.metrics = metrics
        self.matcher = matcher
        self.kinds: dict[str, Kind] = {}

    @property
    def matcher(self) -> Matcher:
        return self._matcher

    @matcher.setter
    def matcher(self, matcher: Matcher) -> None:
        """Swap the rules; a poll in flight finishes with the ones it started with."""
        self._matcher = matcher
        self._rules = {rule.id: rule for rule in matcher.rules}

    def close(self) -> None:
        for kind in self.kinds.values():
            kind.close()
        self.context.close()

    def forget(self, name: str) -> None:
        """Drop the source object of `name`; a changed source gets a new one."""
        kind = self.kinds.pop(name, None)
        if kind is not None:
            kind.close()

    def kind(self, source: Source) -> Kind:
        if source.name not in self.kinds:
            self.kinds[source.name] = open_source(source, self.context)
        return self.kinds[source.name]

    def poll_all(self) -> list[Report]:
        return [self.poll(source) for source in self.config.sources]

    def poll(self, source: Source) -> Report:
        """Poll `source` once (unless it is backing off) and store what is new."""
        start = time.monotonic()
        record = self.store.source(source.name)
        now = self.context.now()
        if record and record.retry_at and now < record.retry_at:
            return Report(source.name, waiting=True, error=record.last_error or "")
        try:
            poll = self.kind(source).poll(record.state if record else {})
        except Stopped as error:  # shutting down: not the source's fault
            return Report(source.name, ok=True, waiting=True, error=error.reason)
        except SourceError as error:
            return self._failed(source, error, record, start)
        first = record is None or record.first_poll
        if record and record.failures:
            self._recovered(source, record.failures)
        tally = self._store_poll(source, poll, first)
        if not tally.stopped:  # an interrupted poll keeps the old state: it is read again
            warning = "; ".join(poll.warnings)
            kind = source.kind
            self.store.poll_succeeded(source.name, kind, source.target, poll.state, now, warning)
        report = self._report(source, tally, time.monotonic() - start)
        self._count(source, tally, report)
        return report

    def _recovered(self, source: Source, failures: int) -> None:
        log.warning("%s: recovered after %d failed polls", source.name, failures)
        if 0 < self.config.alert_after_failures <= failures:
            now = self.context.now()
            self.store.add(*health.recovered(source, failures, now, self._targets()), now)

    def _targets(self) -> tuple[Target, ...]:
        """Where watchd's own alerts go: the configuration's default channels."""
        return self._targets_of(tuple(dict.fromkeys(self.config.notify)))

    def _targets_of(self, channels: Sequence[str]) -> tuple[Target, ...]:
        """One (channel, service) pair per service; an unknown channel's row is kept,
        visibly pending."""
        return tuple(
            (channel, service)
            for channel in channels
            for service in (self.targets(channel) or [""])
        )

    def _store_poll(self, source: Source, poll: Poll, first: bool) -> Tally:
        tally = Tally()
        for warning in poll.warnings:
            log.warning("%s: %s", source.name, warning)
        for problem in poll.problems:
            at = self.context.now()
            if self.store.add_problem(
                source.name, problem.key, problem.version, problem.reason, at
            ):
                log.warning("%s: %s: %s", source.name, problem.key, problem.reason)
                tally.problems += 1
        for item in poll.items:
            if self.context.stop.is_set():
                tally.stopped = True
                break
            self._store_item(source, item, first, tally)
        return tally

    def _store_item(self, source: Source, item: Item, first: bool, tally: Tally) -> None:
        if self.store.known(source.name, item.key, item.version):
            return
        now = self.context.now()
        hits = [hit for hit in self.matcher.match(item.document) if self._applies(hit, source)]
        quiet = self._quiet_reason(source, item, first, now)
        new_hits = [self._new_hit(hit, quiet) for hit in hits]
        added = self.store.add(self._new_document(source, item, now), new_hits, now)
        tally.documents += 1
        tally.hits += len(added.hits)
        tally.alerts += len(added.alerts)
        for hit in hits:
            tally.rules[hit.rule] = tally.rules.get(hit.rule, 0) + 1
        log.debug("%s: stored %s with %d hits", source.name, item.key, len(added.hits))

    def _applies(self, hit: Hit, source: Source) -> bool:
        """A rule with `sources:` only fires on those sources."""
        rule = self._rules.get(hit.rule)
        return rule is None or not rule.model.sources or source.name in rule.model.sources

    def _quiet_reason(self, source: Source, item: Item, first: bool, now: datetime) -> str:
        """Why the item's hits must not alert, or "" if they may."""
        if item.baseline:
            return "the text a page had when first polled"
        published = item.document.published
        if not first:
            return ""
        if published is None:
            return "undated, on the source's first poll"
        if now - published > source.max_age:
            return f"older than max_age on the source's first poll (published {published:%F})"
        return ""

    def _new_hit(self, hit: Hit, quiet: str) -> NewHit:
        rule = self._rules.get(hit.rule)
        severity = rule.model.severity if rule else "medium"
        return NewHit(hit, severity, self._targets_of(self.channels(rule)), not quiet, quiet)

    def channels(self, rule: CompiledRule | None) -> tuple[str, ...]:
        """The channels a rule notifies: its own `notify:`, else the configuration's."""
        named = rule.model.notify if rule and rule.model.notify else self.config.notify
        return tuple(dict.fromkeys(named))

    def _new_document(self, source: Source, item: Item, now: datetime) -> NewDocument:
        doc = item.document
        url = canonical_url(doc.url) if doc.url and item.story_url else None
        return NewDocument(
            source.name, item.key, item.version, doc, fingerprint(doc.text), url, now
        )

    def _failed(
        self, source: Source, error: SourceError, record: SourceRecord | None, start: float
    ) -> Report:
        """Record a failed poll. The log says so once per new error, then more quietly."""
        now = self.context.now()
        failures = (record.failures if record else 0) + 1
        delay = backoff(source, failures, error.retry_after)
        self.store.poll_failed(
            source.name, source.kind, source.target, error.reason, now, now + delay
        )
        again = record is not None and record.failures > 0 and record.last_error == error.reason
        log.log(
            logging.INFO if again else logging.WARNING,
            "%s: poll failed%s: %s; next try in %s",
            source.name,
            f" ({failures} in a row)" if again else "",
            error.reason,
            rounded(delay),
        )
        if failures == self.config.alert_after_failures:
            self.store.add(
                *health.failing(source, failures, error.reason, now, self._targets()), now
            )
        if self.metrics:
            self.metrics.poll(source.name, ok=False)
            self.metrics.source_failures(source.name, failures)
        return Report(source.name, ok=False, error=error.reason, seconds=time.monotonic() - start)

    def _report(self, source: Source, tally: Tally, seconds: float) -> Report:
        report = Report(
            source.name,
            documents=tally.documents,
            hits=tally.hits,
            alerts=tally.alerts,
            problems=tally.problems,
            seconds=seconds,
        )
        level = logging.INFO if tally.documents or tally.problems else logging.DEBUG
        log.log(level, report.summary())
        return report

    def _count(self, source: Source, tally: Tally, report: Report) -> None:
        if not self.metrics:
            return
        self.metrics.poll(source.name, ok=True)
        self.metrics.source_failures(source.name, 0)
        self.metrics.last_success(source.name, time.time())
        self.metrics.documents(source.name, report.documents)
        self.metrics.problems(source.name, report.problems)
        for rule, count in tally.rules.items():
            self.metrics.hits(rule, count)


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def fingerprint(text: str) -> str:
    """The same text, whatever its case, quotes, accents and spacing, has one fingerprint."""
    return hashlib.sha256(" ".join(fold(text).split()).encode()).hexdigest()


def backoff(source: Source, failures: int, retry_after: float | None) -> timedelta:
    """How long to wait after `failures` failed polls in a row: doubling from the poll
    interval, capped at an hour (or the interval if longer), with jitter; never less
    than the server's Retry-After."""
    base = max(source.interval or BACKOFF_BASE, BACKOFF_BASE)
    cap = max(MAX_BACKOFF, base)
    delay: timedelta = min(cap, base * 2 ** min(failures - 1, 16)) * random.uniform(0.5, 1.0)
    return max(delay, timedelta(seconds=retry_after or 0))


def rounded(delay: timedelta) -> str:
    seconds = round(delay.total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"
