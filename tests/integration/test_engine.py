"""The Engine on real sources and a real store: one poll, backoff, first polls, delivery.

Folders are real folders in tmp_path, feeds and pages are served by the LocalServer, the
store is a SQLite file, rules are compiled from YAML; only the clock is the test's.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from httpserver import LocalServer, Reply

from watchd.config import Config, load_config
from watchd.engine import Engine, Report
from watchd.matcher import Matcher
from watchd.notify.console import Console
from watchd.notify.outbox import LEASE, MAX_ATTEMPTS, MAX_RETRY, DeliveryError, Outbox
from watchd.rules import load_rules
from watchd.sources.base import Context
from watchd.store import NewDocument, NewHit, OutboxRow, SourceRecord, Store, StoredHit

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
RSS_TYPE = "application/rss+xml; charset=utf-8"
SHAMKHANI = "Shamkhani condemned Russia over the talks."
ALEPPO = "The Security Council adopted a resolution on Aleppo."
RULES = """
    rules:
      - id: shamkhani
        title: Shamkhani criticizes Russia
        watch: Shamkhani criticizes Russia
        notify: [desk]
      - id: aleppo
        title: Resolution on Aleppo
        watch: Security Council resolution on Aleppo
    """
CONFIG = """
    database: ./watchd.db
    rules: [./rules]
    channels: {desk: "json://127.0.0.1/desk", chat: "json://127.0.0.1/chat"}
    notify: [console, chat]
    sources:
    """


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class World:
    """A configuration and rules in a folder, its store, and an engine on a test clock."""

    def __init__(
        self,
        folder: Path,
        sources: str,
        rules: str = RULES,
        store: Callable[[Path, threading.Event], Store] = lambda path, _: Store(path),
    ) -> None:
        self.folder = folder
        (folder / "rules").mkdir(exist_ok=True)
        self.write_rules(rules)
        config = textwrap.dedent(CONFIG) + textwrap.indent(textwrap.dedent(sources).strip(), "  ")
        (folder / "watchd.yaml").write_text(config + "\n", encoding="utf-8")
        self.config: Config = load_config(folder / "watchd.yaml")
        self.clock = Clock()
        self.context = Context(now=self.clock, timeout=5.0, host_delay=0.0)
        self.store = store(self.config.path(self.config.database), self.context.stop)
        self.engine = Engine(self.store, self.config, self.matcher(), self.context)

    def close(self) -> None:
        self.engine.close()
        self.store.close()

    def write_rules(self, rules: str) -> None:
        text = textwrap.dedent(rules).lstrip()
        (self.folder / "rules" / "rules.yaml").write_text(text, encoding="utf-8")

    def matcher(self) -> Matcher:
        return Matcher(load_rules(self.config.rule_paths))

    def write(self, rel: str, data: str | bytes, age: timedelta = HOUR) -> Path:
        """A file in the inbox, last written `age` before the clock."""
        path = self.folder / "inbox" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        ns = int((self.clock.now - age).timestamp()) * 10**9
        os.utime(path, ns=(ns, ns))
        return path

    def poll(self, name: str = "inbox") -> Report:
        [source] = [source for source in self.config.sources if source.name == name]
        return self.engine.poll(source)

    def record(self, name: str = "inbox") -> SourceRecord:
        record = self.store.source(name)
        assert record is not None
        return record

    def hits(self) -> dict[str, StoredHit]:
        """The stored hits by document key and rule, as "key rule"."""
        keys = {row["id"]: row["key"] for row in self.store.rows("select id, key from documents")}
        return {f"{keys[hit.document]} {hit.rule}": hit for hit in self.store.hits()}

    def outbox(self) -> list[dict[str, Any]]:
        sql = (
            "select outbox.*, hits.rule as rule from outbox join hits on hits.id = outbox.hit "
            "order by outbox.id"
        )
        return self.store.rows(sql)

    def count(self, table: str) -> int:
        return int(self.store.rows(f"select count(*) as n from {table}")[0]["n"])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Callable[..., World]]:
    made: list[World] = []

    def make(sources: str = "- {name: inbox, dir: ./inbox}", **kwargs: Any) -> World:
        made.append(World(tmp_path, sources, **kwargs))
        return made[-1]

    yield make
    for each in made:
        each.close()


def rss(*entries: tuple[str, str, datetime | None]) -> bytes:
    """A feed of (guid, text, published) entries."""
    items = []
    for guid, text, published in entries:
        date = f"<pubDate>{format_datetime(published)}</pubDate>" if published else ""
        items.append(
            f"<item><guid>{guid}</guid><title>{guid}</title>"
            f"<description>{text}</description>{date}</item>"
        )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    return (head + "".join(items) + "</channel></rss>").encode()


def feed_source(server: LocalServer, extra: str = "", name: str = "wire") -> str:
    return f"- {{name: {name}, feed: '{server.url('/feed.xml')}'{extra}}}"


# One poll: documents, hits, outbox rows


def test_a_new_file_is_stored_with_its_hits_and_one_outbox_row_per_channel(
    world: Callable[..., World],
) -> None:
    w = world()
    w.write("a.txt", f"{SHAMKHANI}\n\n{ALEPPO}\n")

    report = w.poll()

    assert (report.ok, report.documents, report.hits, report.alerts) == (True, 1, 2, 2)
    assert set(w.hits()) == {"a.txt shamkhani", "a.txt aleppo"}
    assert all(hit.alert and hit.reason == "" for hit in w.hits().values())
    rows = {(row["rule"], row["channel"], row["state"]) for row in w.outbox()}
    assert rows == {
        ("shamkhani", "desk", "pending"),  # the rule's own notify:
        ("aleppo", "console", "pending"),  # the configuration's notify:
        ("aleppo", "chat", "pending"),
    }
    record = w.record()
    assert (record.polls, record.failures, record.documents, record.last_success) == (1, 0, 1, NOW)


def test_a_second_poll_stores_nothing_new_and_a_third_only_the_new_file(
    world: Callable[..., World],
) -> None:
    w = world()
    w.write("a.txt", SHAMKHANI)
    w.poll()
    before = w.store.counts()

    again = w.poll()

    assert (again.ok, again.documents, again.hits, again.alerts) == (True, 0, 0, 0)
    assert w.store.counts() == before
    w.write("b.txt", ALEPPO)
    third = w.poll()
    assert (third.documents, third.alerts) == (1, 1)
    assert sorted(w.hits()) == ["a.txt shamkhani", "b.txt aleppo"]
    assert w.record().polls == 3


def test_an_unreadable_file_is_recorded_and_logged_once(
    world: Callable[..., World], caplog: pytest.LogCaptureFixture
) -> None:
    w = world()
    w.write("a.txt", SHAMKHANI)
    w.write("b.bin", b"\x00\x01\x02\xff" * 64)

    reports = [w.poll(), w.poll(), w.poll()]

    assert [report.problems for report in reports] == [1, 0, 0]
    assert all(report.ok for report in reports)
    assert "1 unreadable" in reports[0].summary()
    problems = w.store.rows("select key, reason from problems")
    assert [(row["key"], row["reason"].split(";")[0]) for row in problems] == [
        ("b.bin", "binary file")
    ]
    logged = [r for r in caplog.records if "b.bin" in r.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING
    assert (w.record().documents, w.record().problems) == (1, 1)


# Failures and backoff


@dataclass
class Outage:
    """A source whose poll fails, what the failure says, and how to mend it."""

    sources: str
    error: str
    mend: Callable[[], None]
    requests: Callable[[], int] = lambda: 0


def outage(kind: str, tmp_path: Path, server: LocalServer) -> Outage:
    if kind == "dir":

        def mend() -> None:
            (tmp_path / "inbox").mkdir()
            path = tmp_path / "inbox" / "a.txt"
            path.write_text(ALEPPO, encoding="utf-8")
            ns = int((NOW - HOUR).timestamp()) * 10**9
            os.utime(path, ns=(ns, ns))

        return Outage("- {name: inbox, dir: ./inbox}", "does not exist", mend)
    server.route("/feed.xml", Reply(b"oops", status=500))
    good = Reply(rss(("a", ALEPPO, NOW - HOUR)), RSS_TYPE)
    return Outage(
        feed_source(server, name="inbox"),
        "HTTP 500",
        lambda: server.route("/feed.xml", good),
        lambda: len(server.seen("/feed.xml")),
    )


@pytest.mark.parametrize("kind", ["dir", "feed"])
def test_a_failed_poll_waits_before_trying_again_and_a_success_resets_it(
    world: Callable[..., World], tmp_path: Path, http_server: LocalServer, kind: str
) -> None:
    broken = outage(kind, tmp_path, http_server)
    w = world(broken.sources)

    failed = w.poll()

    assert not failed.ok and broken.error in failed.error
    assert "poll failed" in failed.summary()
    record = w.record()
    assert record.failures == 1 and broken.error in (record.last_error or "")
    assert record.retry_at is not None and record.retry_at > NOW
    assert record.last_success is None
    broken.mend()
    requests = broken.requests()
    w.clock.now = record.retry_at - timedelta(seconds=1)

    waiting = w.poll()

    assert waiting.waiting and broken.error in waiting.error
    assert broken.requests() == requests  # the source was not asked
    assert (w.record().failures, w.record().polls) == (1, 1)
    w.clock.now = record.retry_at

    mended = w.poll()

    assert mended.ok and not mended.waiting and mended.documents == 1
    record = w.record()
    assert (record.failures, record.last_error, record.retry_at) == (0, None, None)
    assert (record.last_success, record.polls) == (w.clock.now, 2)


@pytest.mark.parametrize(
    ("every", "delays"),
    [
        ("30s", [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]),  # doubling, capped at 1 h
        ("10s", [30, 60, 120]),  # never more often than every 30 s
        ("2h", [7200, 7200]),  # a source polled less often than hourly: its interval
    ],
)
def test_failures_double_the_backoff_with_jitter(
    world: Callable[..., World], every: str, delays: list[int]
) -> None:
    w = world(f"- {{name: inbox, dir: ./missing, every: {every}}}")
    for failures, most in enumerate(delays, start=1):
        assert not w.poll().ok
        record = w.record()
        assert record.failures == failures and record.retry_at is not None
        waited = (record.retry_at - w.clock.now).total_seconds()
        assert most / 2 <= waited <= most, f"failure {failures}: {waited} s"
        w.clock.now = record.retry_at


@pytest.mark.parametrize(
    ("retry_after", "least", "most"),
    [
        ("120", 120, 120),  # longer than the backoff: what the server asked for
        ("1", 15, 30),  # shorter: the backoff still holds
    ],
)
def test_retry_after_from_the_server_is_respected(
    world: Callable[..., World], http_server: LocalServer, retry_after: str, least: int, most: int
) -> None:
    busy = Reply(b"busy", status=503, headers={"Retry-After": retry_after})
    http_server.route("/feed.xml", busy)
    w = world(feed_source(http_server, ", every: 10s"))

    report = w.poll("wire")

    assert not report.ok and f"retry after {retry_after} s" in report.error
    record = w.record("wire")
    assert record.retry_at is not None
    assert least <= (record.retry_at - NOW).total_seconds() <= most
    w.clock.now = record.retry_at - timedelta(seconds=1)
    assert w.poll("wire").waiting
    assert len(http_server.seen("/feed.xml")) == 1


# First polls


@pytest.mark.parametrize(
    ("max_age", "quiet"),
    [
        (
            "2d",
            {
                "fresh": "",
                "old": "older than max_age on the source's first poll (published 2026-02-25)",
                "undated": "undated, on the source's first poll",
            },
        ),
        ("7d", {"fresh": "", "old": "", "undated": "undated, on the source's first poll"}),
    ],
)
def test_old_and_undated_items_do_not_alert_on_the_first_poll_only(
    world: Callable[..., World], http_server: LocalServer, max_age: str, quiet: dict[str, str]
) -> None:
    ages = {"fresh": HOUR, "old": timedelta(days=5), "undated": None}
    entries = [(guid, f"{ALEPPO} ({guid})", dated(age)) for guid, age in ages.items()]
    http_server.route("/feed.xml", Reply(rss(*entries), RSS_TYPE))
    w = world(feed_source(http_server, f", max_age: {max_age}"))

    first = w.poll("wire")

    assert first.documents == 3
    reasons = {hit.document_title: hit.reason for hit in w.store.hits()}
    assert reasons == quiet
    assert first.alerts == sum(reason == "" for reason in quiet.values())
    assert len(w.outbox()) == 2 * first.alerts  # console and chat for each alert
    later = [(f"{guid}-2", f"{ALEPPO} ({guid} again)", dated(age)) for guid, age in ages.items()]
    http_server.route("/feed.xml", Reply(rss(*entries, *later), RSS_TYPE))
    w.clock.advance(HOUR)

    second = w.poll("wire")

    assert (second.documents, second.alerts) == (3, 3)  # the source is not new any more
    assert all(hit.alert for hit in w.store.hits() if hit.document_title.endswith("-2"))


def dated(age: timedelta | None) -> datetime | None:
    return None if age is None else NOW - age


def page(*paragraphs: str) -> Reply:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    html = f"<html><head><title>Press</title></head><body><article>{body}</article></body></html>"
    return Reply(html.encode(), "text/html; charset=utf-8")


def test_a_pages_baseline_is_stored_but_not_alerted(
    world: Callable[..., World], http_server: LocalServer
) -> None:
    http_server.route("/press", page("Welcome to the press room.", ALEPPO))
    w = world(f"- {{name: un, page: '{http_server.url('/press')}', selector: article}}")

    baseline = w.poll("un")

    assert (baseline.documents, baseline.hits, baseline.alerts) == (1, 1, 0)
    [hit] = w.store.hits()
    assert not hit.alert and hit.reason == "the text a page had when first polled"
    assert w.outbox() == []
    http_server.route("/press", page("Welcome to the press room.", ALEPPO, SHAMKHANI))

    news = w.poll("un")

    assert (news.documents, news.hits, news.alerts) == (1, 1, 1)
    newest = w.store.hits()[0]
    assert newest.alert and newest.rule == "shamkhani"
    assert [row["channel"] for row in w.outbox()] == ["desk"]


# Rules


@pytest.mark.parametrize(
    ("sources", "fires"),
    [("[other]", False), ("[other, inbox]", True), ("[]", True)],
)
def test_a_rule_fires_only_on_the_sources_it_names(
    world: Callable[..., World], sources: str, fires: bool
) -> None:
    rules = f"""
        rules:
          - id: elsewhere
            watch: Shamkhani criticizes Russia
            sources: {sources}
        """
    w = world(rules=rules)
    w.write("a.txt", SHAMKHANI)

    report = w.poll()

    assert report.documents == 1
    assert (report.hits, report.alerts) == ((1, 1) if fires else (0, 0))
    assert list(w.hits()) == (["a.txt elsewhere"] if fires else [])


def test_a_new_matcher_applies_from_the_next_poll(world: Callable[..., World]) -> None:
    w = world()
    w.write("a.txt", SHAMKHANI)
    w.poll()
    w.write_rules(
        """
        rules:
          - id: shamkhani-v2
            watch: Shamkhani criticizes Russia
            notify: [chat]
        """
    )
    w.engine.matcher = w.matcher()
    w.write("b.txt", f"{SHAMKHANI} Again.")

    report = w.poll()

    assert report.documents == 1  # a.txt is not matched again
    assert sorted(w.hits()) == ["a.txt shamkhani", "b.txt shamkhani-v2"]
    assert [(row["rule"], row["channel"]) for row in w.outbox()] == [
        ("shamkhani", "desk"),
        ("shamkhani-v2", "chat"),  # the new rule's notify:
    ]


# Stopping


class StopAfter(Store):
    """The real store, with the daemon's stop set right after the `count`th document is
    committed: as if SIGTERM arrived at that moment."""

    def __init__(self, path: Path, stop: threading.Event, count: int) -> None:
        super().__init__(path)
        self.stop, self.count, self.added = stop, count, 0

    def add(self, new: NewDocument, hits: Sequence[NewHit], at: datetime) -> Any:
        added = super().add(new, hits, at)
        self.added += 1
        if self.added == self.count:
            self.stop.set()
        return added


def test_a_stopped_poll_keeps_the_old_state_and_the_next_reads_the_rest(
    world: Callable[..., World], caplog: pytest.LogCaptureFixture
) -> None:
    w = world(store=lambda path, stop: StopAfter(path, stop, 2))
    names = [f"{n}.txt" for n in range(5)]
    for name in names:
        w.write(name, f"{ALEPPO} Report {name}.")
    w.write("z.bin", b"\x00\xff" * 100)

    stopped = w.poll()

    assert stopped.documents == 2 and w.count("documents") == 2
    assert w.store.source("inbox") is None  # nothing saved: not even a first success
    w.context.stop.clear()

    rest = w.poll()

    assert (rest.ok, rest.documents, rest.alerts, rest.problems) == (True, 3, 3, 0)
    keys = [row["key"] for row in w.store.rows("select key from documents order by key")]
    assert keys == names  # each once
    assert [hit.rule for hit in w.store.hits()] == ["aleppo"] * 5
    assert w.count("outbox") == 10  # console and chat, once each
    assert len([r for r in caplog.records if "z.bin" in r.getMessage()]) == 1
    assert w.poll().documents == 0 and w.record().polls == 2


# Delivery


@dataclass
class Flaky:
    """A sender that fails `failures` times, then writes to a console."""

    failures: int
    permanent: bool = False
    out: io.StringIO = field(default_factory=io.StringIO)
    calls: int = 0

    def __call__(self, hit: StoredHit, row: OutboxRow) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise DeliveryError(f"SMTP 451 busy ({self.calls})", permanent=self.permanent)
        Console(self.out).send(hit)


def alerted(world: Callable[..., World], count: int = 2) -> World:
    """A world whose store holds `count` alerts to the console (and the chat)."""
    w = world()
    for n in range(count):
        w.write(f"{n}.txt", f"{ALEPPO} Report {n}.")
    assert w.poll().alerts == count
    return w


def states(w: World, channel: str = "console") -> list[str]:
    return [row["state"] for row in w.outbox() if row["channel"] == channel]


def test_the_outbox_worker_delivers_each_alert_once(world: Callable[..., World]) -> None:
    w = alerted(world)
    out = io.StringIO()
    outbox = Outbox(w.store, {"console": Console(out).send}, w.clock)

    assert outbox.deliver() == 2
    assert outbox.deliver() == 0

    text = out.getvalue()
    assert text.count("ALERT aleppo: Resolution on Aleppo") == 2
    assert "0.txt" in text and "1.txt" in text
    assert "The *Security Council* adopted a *resolution* on *Aleppo*." in text
    assert states(w) == ["sent", "sent"]
    assert states(w, "chat") == ["pending", "pending"]  # no sender for it here
    assert all(row["attempts"] == 1 and row["sent"] for row in w.outbox() if row["sent"])


def test_a_failed_send_is_retried_later_and_sent_once(world: Callable[..., World]) -> None:
    w = alerted(world, count=1)
    sender = Flaky(failures=2)
    outbox = Outbox(w.store, {"console": sender}, w.clock)

    assert outbox.deliver() == 0
    [row] = [row for row in w.outbox() if row["channel"] == "console"]
    assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 1, "SMTP 451 busy (1)")
    assert datetime.fromisoformat(row["next_attempt"]) > NOW
    assert outbox.deliver() == 0 and sender.calls == 1  # not due yet
    w.clock.advance(timedelta(seconds=7))  # the first retry: 5 s, give or take a quarter
    assert outbox.deliver() == 0 and sender.calls == 2
    w.clock.advance(timedelta(seconds=13))  # then 10 s
    assert outbox.deliver() == 1 and sender.calls == 3
    w.clock.advance(MAX_RETRY * 2)
    assert outbox.deliver() == 0 and sender.calls == 3
    assert sender.out.getvalue().count("ALERT aleppo") == 1
    assert states(w) == ["sent"]
    log = w.store.rows("select ok from deliveries order by id")
    assert [entry["ok"] for entry in log] == [0, 0, 1]


@pytest.mark.parametrize(("permanent", "calls"), [(True, 1), (False, MAX_ATTEMPTS)])
def test_a_send_that_keeps_failing_goes_dead(
    world: Callable[..., World], permanent: bool, calls: int
) -> None:
    w = alerted(world, count=1)
    sender = Flaky(failures=10**6, permanent=permanent)
    outbox = Outbox(w.store, {"console": sender}, w.clock)

    for _ in range(MAX_ATTEMPTS + 3):
        outbox.deliver()
        w.clock.advance(MAX_RETRY * 2)

    assert sender.calls == calls
    [row] = [row for row in w.outbox() if row["channel"] == "console"]
    assert (row["state"], row["attempts"]) == ("dead", calls)
    assert row["last_error"] == f"SMTP 451 busy ({calls})"
    assert sender.out.getvalue() == ""


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize(
    ("owner", "released"),
    [
        ("{host}:{dead}", True),  # a watchd on this host that crashed mid-send
        ("{host}:{live}", False),  # one still running
        ("elsewhere.invalid:{dead}", False),  # another host's: its pid means nothing here
    ],
)
def test_recover_releases_rows_leased_by_a_dead_process_on_this_host(
    world: Callable[..., World], owner: str, released: bool
) -> None:
    w = alerted(world, count=1)
    owner = owner.format(host=socket.gethostname(), dead=dead_pid(), live=os.getpid())
    assert len(w.store.claim(["console"], NOW, NOW + LEASE, owner=owner)) == 1
    out = io.StringIO()
    outbox = Outbox(w.store, {"console": Console(out).send}, w.clock)

    assert outbox.recover() == int(released)

    assert states(w) == ["pending" if released else "sending"]
    assert outbox.deliver() == int(released)  # before the lease runs out
    assert out.getvalue().count("ALERT aleppo") == int(released)


def test_a_failure_is_logged_loudly_once_then_quietly_until_it_recovers(
    world: Callable[..., World], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    w = world("- {name: inbox, dir: ./inbox}")
    caplog.set_level(logging.INFO, logger="watchd.engine")
    for _ in range(3):
        w.poll()
        w.clock.now = w.record().retry_at or w.clock.now
    (tmp_path / "inbox").mkdir()
    w.poll()
    levels = [(r.levelname, r.getMessage().split(":")[1].strip()) for r in caplog.records]
    assert levels == [
        ("WARNING", "poll failed"),
        ("INFO", "poll failed (2 in a row)"),
        ("INFO", "poll failed (3 in a row)"),
        ("WARNING", "recovered after 3 failed polls"),
    ]


def test_a_failing_source_alerts_once_and_again_when_it_recovers(
    world: Callable[..., World], tmp_path: Path
) -> None:
    w = world("- {name: inbox, dir: ./inbox}")
    w.engine.config = w.config.model_copy(update={"alert_after_failures": 2})
    for _ in range(4):
        w.poll()
        w.clock.now = w.record().retry_at or w.clock.now
    (tmp_path / "inbox").mkdir()
    w.poll()

    alerts = w.store.hits()
    assert [hit.rule for hit in reversed(alerts)] == [
        "watchd:source-failing",
        "watchd:source-recovered",
    ]
    failing = alerts[-1]
    assert failing.title == "Source inbox is failing" and failing.severity == "high"
    assert "failed 2 polls in a row" in failing.evidence[0]["sentence"]
    assert "does not exist" in failing.evidence[0]["sentence"]
    assert "after 4 failed polls" in alerts[0].evidence[0]["sentence"]
    targets = {(row["channel"], row["rule"]) for row in w.outbox()}
    assert targets == {
        (channel, rule)
        for channel in ("console", "chat")
        for rule in ("watchd:source-failing", "watchd:source-recovered")
    }
    assert list(w.store.documents()) == []  # not part of the archive a backtest reads


def test_no_alert_about_sources_when_it_is_turned_off(world: Callable[..., World]) -> None:
    w = world("- {name: inbox, dir: ./inbox}")
    w.engine.config = w.config.model_copy(update={"alert_after_failures": 0})
    for _ in range(6):
        w.poll()
        w.clock.now = w.record().retry_at or w.clock.now
    assert w.store.hits() == []
