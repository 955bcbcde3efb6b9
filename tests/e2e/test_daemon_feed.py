"""`watchd run` polling RSS and Atom feeds served over real HTTP by a LocalServer.

The daemon is a subprocess; the feeds are routes of the test's server on 127.0.0.1, changed
while the daemon runs. Each test writes its own small rules folder so that hit and alert
counts are exact.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest
from httpserver import LocalServer, Reply

from tests.e2e.daemon import WATCHD, Daemon, rows, write_config

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml"
RULE = "shamkhani"
SHAMKHANI_RULE = "rules:\n  - id: shamkhani\n    watch: Shamkhani criticizes Russia\n"
NAMED_RULE = '  - id: named\n    when: "Shamkhani"\n'
STORY = "Story {n}: Shamkhani denounced Russia over its approach to the ceasefire talks."
NOW = datetime.now(UTC)
FRESH = NOW - timedelta(hours=1)
OLD = NOW - timedelta(days=7)
FILLER = " Delegations met in Geneva on Tuesday to discuss monitors and aid." * 800
LAST_MODIFIED = "Mon, 06 Jan 2025 10:00:00 GMT"


# Feeds


def rss(*items: str) -> bytes:
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>Wire</title><link>https://example.org/</link><description>News</description>"
    )
    return (head + "".join(items) + "</channel></rss>").encode()


def item(
    n: int,
    text: str | None = None,
    *,
    published: datetime | None = FRESH,
    link: str | None = None,
    guid: str | None = None,
) -> str:
    """An RSS item about story `n`, with its link as guid unless another is given."""
    link = link or f"https://example.org/news/{n}"
    parts = [
        f"<title>Story {n}</title>",
        f"<link>{escape(link)}</link>",
        f"<guid>{escape(guid or link)}</guid>",
        f"<description>{escape(text or STORY.format(n=n))}</description>",
    ]
    if published is not None:
        parts.append(f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>")
    return "<item>" + "".join(parts) + "</item>"


def atom(*entries: str) -> bytes:
    head = (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Other wire</title><id>urn:uuid:other</id><updated>{FRESH.isoformat()}</updated>"
    )
    return (head + "".join(entries) + "</feed>").encode()


def entry(ident: str, title: str, link: str, text: str) -> str:
    return (
        f"<entry><title>{escape(title)}</title><id>{escape(ident)}</id>"
        f'<link rel="alternate" href="{escape(link)}"/><updated>{FRESH.isoformat()}</updated>'
        f"<summary>{escape(text)}</summary></entry>"
    )


def feed(*items: str, **headers: Any) -> Reply:
    return Reply(rss(*items), RSS_TYPE, **headers)


# The daemon and its database


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "mission.yaml").write_text(SHAMKHANI_RULE, encoding="utf-8")
    return folder


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons a test starts; any still running at the end is killed, pass or fail."""
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.kill()


def start(
    daemons: list[Daemon], tmp_path: Path, rules: Path, server: LocalServer, *paths: str
) -> Daemon:
    """`watchd run` polling each of `paths` of `server` as a feed named after it, every 1s."""
    config = tmp_path / "watchd.yaml"
    if not config.exists():
        sources = "\n".join(
            f'- {{name: {name_of(path)}, feed: "{server.url(path)}", every: 1s}}' for path in paths
        )
        write_config(tmp_path, sources, rules=rules)
    daemon = Daemon(config)
    daemons.append(daemon)
    return daemon


def name_of(path: str) -> str:
    return path.strip("/").split(".")[0]


def alerts(daemon: Daemon, rule: str = RULE) -> int:
    return daemon.stdout.count(f"ALERT {rule}:")


def count(database: Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    found = rows(database, f"select count(*) as n from ({sql})", params)
    return int(found[0]["n"]) if found else 0


def source(database: Path, name: str) -> dict[str, Any]:
    found = rows(database, "select * from sources where name = ?", (name,))
    return found[0] if found else {}


def polls_of(server: LocalServer, path: str, at_least: int) -> bool:
    return len(server.seen(path)) >= at_least


def retry_now(database: Path, name: str) -> None:
    """Move a failing source's next try to now, as if its backoff had run out."""
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat(timespec="microseconds")
    with closing(sqlite3.connect(database, timeout=10)) as db, db:
        db.execute("update sources set retry_at = ? where name = ?", (past, name))


def kill_mid_burst(daemon: Daemon, database: Path, stored: int) -> int:
    """kill -9 `daemon` as soon as `stored` documents are in `database`; how many there
    were just before."""
    deadline = time.monotonic() + 15
    while (found := count(database, "select id from documents")) < stored:
        if time.monotonic() > deadline:
            raise AssertionError(f"the daemon stored fewer than {stored} documents in 15 s")
        time.sleep(0.005)
    daemon.kill()
    return found


def sources_command(config: Path) -> str:
    """What `watchd sources` prints, run as a second process beside the daemon."""
    done = subprocess.run(
        [str(WATCHD), "--config", str(config), "sources"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# 1. New items, and what the first poll finds


def test_items_alert_once_when_new_and_the_first_poll_alerts_only_fresh_ones(
    tmp_path: Path, rules: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "watchd.db"
    first = [item(1, published=FRESH), item(2, published=OLD), item(3, published=None)]
    http_server.route("/wire.xml", feed(*first))  # no validators: every poll reads it all
    daemon = start(daemons, tmp_path, rules, http_server, "/wire.xml")
    daemon.wait_for(lambda: count(database, "select id from hits") == 3)
    daemon.wait_for(lambda: alerts(daemon) == 1)
    http_server.route("/wire.xml", feed(*first, item(4, published=None)))
    daemon.wait_for(lambda: alerts(daemon) == 2)
    polls = len(http_server.seen("/wire.xml"))
    daemon.wait_for(lambda: polls_of(http_server, "/wire.xml", polls + 2))  # read twice more
    time.sleep(0.5)  # the last poll's items stored, a wrong repeat delivered
    assert daemon.stop() == 0
    documents = rows(database, "select key from documents order by id")
    assert [row["key"] for row in documents] == [f"/news/{n}" for n in (1, 2, 3, 4)]
    hits = rows(
        database,
        "select documents.key, hits.alert, hits.reason from hits "
        "join documents on documents.id = hits.document order by documents.key",
    )
    assert [(h["key"], h["alert"]) for h in hits] == [
        ("/news/1", 1),
        ("/news/2", 0),
        ("/news/3", 0),
        ("/news/4", 1),
    ]
    assert hits[0]["reason"] is None and hits[3]["reason"] is None
    assert hits[1]["reason"].startswith("older than max_age on the source's first poll")
    assert hits[2]["reason"] == "undated, on the source's first poll"
    assert alerts(daemon) == 2
    assert "example.org/news/1 (Story 1)" in daemon.stdout
    assert "example.org/news/4 (Story 4)" in daemon.stdout
    assert "(Story 2)" not in daemon.stdout and "(Story 3)" not in daemon.stdout


# 2. Conditional GET


def test_conditional_get_gets_304_and_stores_nothing_new(
    tmp_path: Path, rules: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "watchd.db"
    http_server.route("/tagged.xml", feed(item(1), etag='"v1"'))
    http_server.route("/dated.xml", feed(item(2), last_modified=LAST_MODIFIED))
    daemon = start(daemons, tmp_path, rules, http_server, "/tagged.xml", "/dated.xml")
    daemon.wait_for(lambda: alerts(daemon) == 2)
    # The server now lies: a new item, under the same validators. A client that asks
    # conditionally gets 304 and never sees it.
    http_server.route("/tagged.xml", feed(item(1), item(3), etag='"v1"'))
    http_server.route("/dated.xml", feed(item(2), item(4), last_modified=LAST_MODIFIED))
    for path in ("/tagged.xml", "/dated.xml"):  # one poll since, and a second one at least
        polls = max(len(http_server.seen(path)) + 1, 2)
        daemon.wait_for(lambda path=path, polls=polls: polls_of(http_server, path, polls))
    time.sleep(0.3)
    assert count(database, "select id from documents") == 2
    for name, validator in (
        ("tagged", {"etag": '"v1"'}),
        ("dated", {"last_modified": LAST_MODIFIED}),
    ):
        record = source(database, name)
        assert record["failures"] == 0 and record["polls"] >= 2
        assert json.loads(record["state"]) == validator  # a 304 keeps the validators
    tagged, dated = http_server.seen("/tagged.xml"), http_server.seen("/dated.xml")
    assert "if-none-match" not in tagged[0].headers
    assert "if-modified-since" not in dated[0].headers
    assert all(seen.headers.get("if-none-match") == '"v1"' for seen in tagged[1:])
    assert all(seen.headers.get("if-modified-since") == LAST_MODIFIED for seen in dated[1:])
    # A changed feed has a new ETag: read in full, its new item stored and alerted.
    http_server.route("/tagged.xml", feed(item(1), item(3), etag='"v2"'))
    daemon.wait_for(lambda: alerts(daemon) == 3)
    polls = len(http_server.seen("/tagged.xml"))
    daemon.wait_for(lambda: polls_of(http_server, "/tagged.xml", polls + 1))
    assert daemon.stop() == 0
    assert http_server.seen("/tagged.xml")[-1].headers.get("if-none-match") == '"v2"'
    keys = sorted(row["key"] for row in rows(database, "select key from documents"))
    assert keys == ["/news/1", "/news/2", "/news/3"]


# 3. The same item under another host and with tracking parameters


def test_an_item_back_with_another_host_and_tracking_parameters_does_not_alert_again(
    tmp_path: Path, rules: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "watchd.db"
    http_server.route("/wire.xml", feed(item(1, link="https://example.org/news/1?id=7")))
    daemon = start(daemons, tmp_path, rules, http_server, "/wire.xml")
    daemon.wait_for(lambda: alerts(daemon) == 1)
    # Moved to another host, with tracking added, and edited: only its identity (the
    # guid's path and query) tells it is the same item.
    moved = item(
        1,
        STORY.format(n=1) + " (Updated with reactions.)",
        link="http://www.example.net/news/1/?utm_source=rss&id=7&fbclid=abc",
        guid="https://feeds.example.com/news/1?utm_medium=feed&id=7&utm_campaign=x",
    )
    http_server.route("/wire.xml", feed(moved))
    polls = len(http_server.seen("/wire.xml"))
    daemon.wait_for(lambda: polls_of(http_server, "/wire.xml", polls + 3))
    time.sleep(0.5)
    assert daemon.stop() == 0
    assert alerts(daemon) == 1
    assert [row["key"] for row in rows(database, "select key from documents")] == ["/news/1?id=7"]
    assert count(database, "select id from hits") == 1


# 4. The same story in two feeds


def test_the_same_story_in_two_feeds_alerts_once_per_rule(
    tmp_path: Path, rules: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "watchd.db"
    (rules / "mission.yaml").write_text(SHAMKHANI_RULE + NAMED_RULE, encoding="utf-8")
    same_link = "Shamkhani criticized Russia over the Geneva talks on Monday."
    same_text = "Shamkhani denounced Russia's approach to the ceasefire in Aleppo."
    http_server.route(
        "/wire.xml",
        feed(
            item(1, same_link, link="https://example.org/world/talks"),
            item(2, same_text, link="https://example.org/world/ceasefire"),
        ),
    )
    other = atom(
        entry(  # the same link, in another form; other words
            "tag:other,2025:1",
            "Iran and Russia",
            "http://www.example.org/world/talks/?utm_source=atom",
            "Iran's Shamkhani challenged Russia over the talks in Geneva.",
        ),
        entry(  # another link and title; the same text, in other case and spacing
            "tag:other,2025:2",
            "Ceasefire",
            "https://other.example.com/2025/aleppo",
            "SHAMKHANI  denounced Russia's approach to the ceasefire in   Aleppo.",
        ),
    )
    http_server.route("/other.xml", Reply(other, ATOM_TYPE))
    daemon = start(daemons, tmp_path, rules, http_server, "/wire.xml", "/other.xml")
    daemon.wait_for(lambda: count(database, "select id from hits") == 8)
    time.sleep(1.5)  # give a wrongly repeated alert the time to show
    assert daemon.stop() == 0
    assert (alerts(daemon, "shamkhani"), alerts(daemon, "named")) == (2, 2)
    stories = rows(database, "select story, count(*) as n from documents group by story")
    assert [row["n"] for row in stories] == [2, 2]
    hits = rows(database, "select * from hits order by id")
    by_id = {hit["id"]: hit for hit in hits}
    copies = [hit for hit in hits if hit["duplicate_of"] is not None]
    assert len(copies) == 4 and sum(hit["alert"] for hit in hits) == 4
    for copy in copies:
        first = by_id[copy["duplicate_of"]]
        assert (first["rule"], first["story"], first["alert"]) == (copy["rule"], copy["story"], 1)
        assert first["document"] != copy["document"] and copy["alert"] == 0
        assert copy["reason"] == f"same story as hit {first['id']}"
    assert count(database, "select id from outbox") == 4


# 5. A failing feed


def test_a_failing_feed_is_recorded_backs_off_and_recovers(
    tmp_path: Path, rules: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "watchd.db"
    config = tmp_path / "watchd.yaml"
    http_server.route("/flaky.xml", Reply(b"oops", status=500))
    http_server.route("/steady.xml", feed(item(1)))
    daemon = start(daemons, tmp_path, rules, http_server, "/flaky.xml", "/steady.xml")
    daemon.wait_for(lambda: source(database, "flaky").get("failures") == 1)
    daemon.wait_for(lambda: source(database, "steady").get("last_success") is not None)
    record = source(database, "flaky")
    assert record["last_error"] == "HTTP 500 Internal Server Error"
    wait = datetime.fromisoformat(record["retry_at"]) - datetime.fromisoformat(record["last_poll"])
    assert timedelta(seconds=15) <= wait <= timedelta(seconds=30)  # 30 s, with jitter
    shown = sources_command(config)
    assert f"flaky  feed {http_server.url('/flaky.xml')}\n  FAILING (1 in a row)" in shown
    assert "last error: HTTP 500 Internal Server Error\n  next try in " in shown
    assert f"steady  feed {http_server.url('/steady.xml')}\n  ok; last success" in shown
    # The daemon goes on with the other feed, and leaves the failing one alone meanwhile.
    tried = len(http_server.seen("/flaky.xml"))
    http_server.route("/steady.xml", feed(item(1), item(2)))
    daemon.wait_for(lambda: alerts(daemon) == 2)
    assert len(http_server.seen("/flaky.xml")) == tried
    broken = b"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire &amp</channel>"
    http_server.route("/flaky.xml", Reply(broken, RSS_TYPE))
    retry_now(database, "flaky")
    daemon.wait_for(lambda: source(database, "flaky").get("failures") == 2)
    error = source(database, "flaky")["last_error"]
    assert error.startswith("not a valid RSS or Atom feed: not well-formed (invalid token) at line")
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head>'
    http_server.route("/flaky.xml", Reply(page + b"<body>Welcome</body></html>", "text/html"))
    retry_now(database, "flaky")
    daemon.wait_for(lambda: source(database, "flaky").get("failures") == 3)
    shown = sources_command(config)
    assert "FAILING (3 in a row)" in shown
    assert f"is an HTML page, not a feed; it links to the feed '{http_server.url('/rss')}'" in shown
    http_server.route("/flaky.xml", feed(item(3)))
    retry_now(database, "flaky")
    daemon.wait_for(lambda: source(database, "flaky").get("failures") == 0)
    daemon.wait_for(lambda: alerts(daemon) == 3)
    shown = sources_command(config)
    assert daemon.process.poll() is None
    assert daemon.stop() == 0
    assert f"flaky  feed {http_server.url('/flaky.xml')}\n  ok; last success" in shown
    assert "FAILING" not in shown and "last error" not in shown
    assert "example.org/news/3" in daemon.stdout


# 6. kill -9 in the middle of a burst


def test_kill_9_during_a_burst_loses_nothing_and_alerts_nothing_twice(
    tmp_path: Path, rules: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    database = tmp_path / "watchd.db"
    http_server.route("/wire.xml", feed(item(0)))
    daemon = start(daemons, tmp_path, rules, http_server, "/wire.xml")
    daemon.wait_for(lambda: alerts(daemon) == 1)
    burst = [item(n, STORY.format(n=n) + FILLER) for n in range(1, 31)]  # a few ms each
    http_server.route("/wire.xml", feed(item(0), *burst))
    before = kill_mid_burst(daemon, database, stored=4)
    assert 4 <= before < 31
    restarted = start(daemons, tmp_path, rules, http_server)
    restarted.wait_for(lambda: count(database, "select id from documents") == 31)
    restarted.wait_for(lambda: count(database, "select id from outbox where state != 'sent'") == 0)
    time.sleep(0.5)
    assert restarted.stop() == 0
    keys = [row["key"] for row in rows(database, "select key from documents order by key")]
    assert keys == sorted(f"/news/{n}" for n in range(31))
    hits = rows(database, "select document, rule, alert from hits")
    assert len(hits) == 31 == len({(hit["document"], hit["rule"]) for hit in hits})
    assert all(hit["alert"] == 1 for hit in hits)
    outbox = rows(database, "select id, state from outbox")
    assert len(outbox) == 31 and {row["state"] for row in outbox} == {"sent"}
    sent = rows(database, "select outbox, count(*) as n from deliveries where ok group by outbox")
    assert len(sent) == 31
    assert sum(row["n"] for row in sent) <= len(outbox) + 1  # only the send in flight repeats
    printed = alerts(daemon) + alerts(restarted)
    assert 31 <= printed <= 32


# 7. SIGTERM while a feed answers slowly


@pytest.mark.parametrize(
    "slow",
    [
        pytest.param(Reply(rss(item(1)), RSS_TYPE, delay=25), id="headers-late"),
        pytest.param(Reply(rss(item(1)), RSS_TYPE, trickle=1.0, chunk=16), id="body-trickles"),
    ],
)
def test_sigterm_exits_promptly_during_a_slow_fetch(
    tmp_path: Path, rules: Path, http_server: LocalServer, daemons: list[Daemon], slow: Reply
) -> None:
    http_server.route("/slow.xml", slow)
    daemon = start(daemons, tmp_path, rules, http_server, "/slow.xml")
    daemon.wait_for(lambda: polls_of(http_server, "/slow.xml", 1))
    time.sleep(1.0)  # well inside the fetch
    begin = time.monotonic()
    daemon.signal(signal.SIGTERM)
    try:
        code = daemon.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 10 s after SIGTERM\nstderr:\n{daemon.stderr}")
    assert code == 0
    assert time.monotonic() - begin < 10
    assert "watchd stopped" in daemon.stderr
    assert count(tmp_path / "watchd.db", "select id from documents") == 0
