"""Noise control end to end: throttle, digest, quiet hours, silence and ack, on the real
store, engine, dispatcher (a json:// webhook on the LocalServer, and the console) and
outbox worker, on a test clock; the operator's commands through the CLI.

The configuration's time zone is Europe/Paris (UTC+1 in January).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from httpserver import LocalServer, Reply

from watchd import cli
from watchd.config import load_config
from watchd.engine import Engine
from watchd.matcher import Matcher
from watchd.notify.dispatch import Dispatcher
from watchd.notify.outbox import Outbox
from watchd.notify.policy import Policy
from watchd.rules import load_rules
from watchd.sources.base import Context
from watchd.store import Store

WATCHD = Path(sys.executable).parent / "watchd"
DAY = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)  # a Thursday, 11:00 in Paris
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
ALEPPO = "The Security Council adopted a resolution on Aleppo."
SHAMKHANI = "Shamkhani condemned Russia over the talks."
RULES = """
    rules:
      - id: aleppo
        title: Resolution on Aleppo
        watch: Security Council resolution on Aleppo
      - id: shamkhani
        title: Shamkhani criticizes Russia
        watch: Shamkhani criticizes Russia
        severity: high
    """


@dataclass
class Clock:
    now: datetime = DAY

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Site:
    """watchd.yaml, rules/ and inbox/ in a folder, with the real store, engine, dispatcher
    and outbox worker on a test clock; `hook` is a json:// webhook on the LocalServer."""

    def __init__(
        self, folder: Path, server: LocalServer, rules: str, settings: str, now: datetime
    ) -> None:
        self.folder = folder
        self.server = server
        (folder / "rules").mkdir()
        (folder / "inbox").mkdir()
        (folder / "rules" / "rules.yaml").write_text(textwrap.dedent(rules), encoding="utf-8")
        config = f"""\
            database: ./watchd.db
            rules: [./rules]
            timezone: Europe/Paris
            channels: {{hook: "json://127.0.0.1:{server.httpd.server_address[1]}/hook"}}
            notify: [hook, console]
            sources:
              - {{name: inbox, dir: ./inbox}}
            """
        self.config_path = folder / "watchd.yaml"
        text = textwrap.dedent(config) + textwrap.dedent(settings)
        self.config_path.write_text(text, encoding="utf-8")
        server.route("/hook", Reply(b"ok"))
        self.config = load_config(self.config_path)
        self.clock = Clock(now)
        self.console = io.StringIO()
        self.store = Store(self.config.path(self.config.database))
        self.engine = Engine(
            self.store,
            self.config,
            Matcher(load_rules(self.config.rule_paths)),
            Context(now=self.clock, timeout=5.0, host_delay=0.0),
        )
        self.reload()

    def reload(self, rules: str | None = None) -> None:
        """(New rules, and) the dispatcher and outbox worker the daemon would build."""
        if rules is not None:
            path = self.folder / "rules" / "rules.yaml"
            path.write_text(textwrap.dedent(rules), encoding="utf-8")
        ruleset = load_rules(self.config.rule_paths)
        self.engine.matcher = Matcher(ruleset)
        dispatcher = Dispatcher.build(self.config, ruleset, self.console)
        self.engine.targets = dispatcher.channels.targets
        self.outbox = Outbox(
            self.store,
            dispatcher.senders(),
            self.clock,
            None,
            Policy.of(self.config, ruleset),
            dispatcher.group_senders(),
        )

    def close(self) -> None:
        self.engine.close()
        self.store.close()

    def alert(self, name: str, text: str, alerts: int = 1) -> None:
        """A file in the polled folder, polled: `alerts` new alerts, not yet delivered."""
        path = self.folder / "inbox" / name
        path.write_text(text, encoding="utf-8")
        written = (self.clock.now - HOUR).timestamp()
        os.utime(path, (written, written))
        [source] = self.config.sources
        report = self.engine.poll(source)
        assert (report.ok, report.alerts) == (True, alerts), report.summary()

    def deliver(self) -> int:
        """One run of the outbox worker; how many alerts it sent to the webhook."""
        before = len(self.server.seen("/hook"))
        self.outbox.deliver()
        return len(self.server.seen("/hook")) - before

    def posts(self) -> list[dict[str, Any]]:
        """The JSON documents the webhook received, with their Idempotency-Key."""
        return [
            {**json.loads(seen.body), "key": seen.headers.get("idempotency-key")}
            for seen in self.server.seen("/hook")
        ]

    def rows(self, channel: str = "hook") -> list[dict[str, Any]]:
        sql = (
            "select outbox.*, hits.rule, documents.key as document from outbox "
            "join hits on hits.id = outbox.hit join documents on documents.id = hits.document "
            "where channel = ? order by outbox.id"
        )
        return self.store.rows(sql, [channel])

    def states(self, channel: str = "hook") -> dict[str, str]:
        """Each outbox row's state, by document."""
        return {row["document"]: row["state"] for row in self.rows(channel)}

    def hit_id(self, document: str, rule: str) -> int:
        sql = (
            "select hits.id from hits join documents on documents.id = hits.document "
            "where documents.key = ? and hits.rule = ?"
        )
        return int(self.store.rows(sql, [document, rule])[0]["id"])

    def watchd(self, *args: str) -> Result:
        """The command line, in process, on the test clock."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cli, "_now", self.clock)
            return CliRunner().invoke(cli.main, ["--config", str(self.config_path), *args])


@pytest.fixture
def site(tmp_path: Path, http_server: LocalServer) -> Iterator[Callable[..., Site]]:
    made: list[Site] = []

    def make(rules: str = RULES, settings: str = "", now: datetime = DAY) -> Site:
        made.append(Site(tmp_path, http_server, rules, settings, now))
        return made[-1]

    yield make
    for each in made:
        each.close()


def rule(extra: str) -> str:
    """RULES with `extra` lines added to the aleppo rule."""
    head, tail = RULES.split("      - id: shamkhani")
    lines = textwrap.indent(textwrap.dedent(extra).strip() + "\n", " " * 8)
    return head + lines + "      - id: shamkhani" + tail


def report(n: int) -> str:
    return f"{ALEPPO} Report number {n}."


# Throttle


def test_a_throttled_rule_sends_the_first_alert_then_one_message_counting_the_rest(
    site: Callable[..., Site],
) -> None:
    s = site(rule("throttle: 1h"))
    s.alert("1.txt", report(1))
    assert s.deliver() == 1  # at once
    s.clock.advance(10 * MINUTE)
    s.alert("2.txt", report(2))
    assert s.deliver() == 0
    s.clock.advance(20 * MINUTE)
    s.alert("3.txt", report(3))
    assert s.deliver() == 0
    assert s.states() == {"1.txt": "sent", "2.txt": "held", "3.txt": "held"}
    held = [row for row in s.rows() if row["state"] == "held"]
    assert {(row["grp"], row["next_attempt"]) for row in held} == {
        ("throttle:aleppo", "2026-01-15T11:00:00.000000+00:00")  # the first send + 1 h
    }
    s.clock.now = DAY + HOUR - timedelta(seconds=1)
    assert s.deliver() == 0

    s.clock.now = DAY + HOUR
    assert s.deliver() == 1

    first, second = s.posts()
    assert "/inbox/1.txt" in first["message"]
    assert second["title"] == "Resolution on Aleppo: 2 alerts (1 rule)"
    assert "/inbox/2.txt" in second["message"] and "/inbox/3.txt" in second["message"]
    assert "/inbox/1.txt" not in second["message"]
    assert second["key"].startswith(f"watchd-batch-{held[0]['id']}-hook-")
    assert s.states() == {"1.txt": "sent", "2.txt": "sent", "3.txt": "sent"}
    assert s.deliver() == 0
    console = s.console.getvalue()
    assert [n for n in (1, 2, 3) if f"/inbox/{n}.txt" in console] == [1, 2, 3]


def test_a_batch_that_fails_is_retried_with_the_same_idempotency_key(
    site: Callable[..., Site], http_server: LocalServer
) -> None:
    s = site(rule("throttle: 1h"))
    answers = iter([Reply(b"ok"), Reply(b"busy", status=503)])
    http_server.route("/hook", lambda seen: next(answers, Reply(b"ok")))
    s.alert("1.txt", report(1))
    assert s.deliver() == 1
    s.clock.advance(10 * MINUTE)
    s.alert("2.txt", report(2))
    s.alert("3.txt", report(3))
    assert s.deliver() == 0
    s.clock.now = DAY + HOUR

    assert s.deliver() == 1  # refused with a 503

    assert s.states() == {"1.txt": "sent", "2.txt": "held", "3.txt": "held"}
    batch = {row["batch"] for row in s.rows() if row["state"] == "held"}
    assert len(batch) == 1 and None not in batch
    s.clock.advance(timedelta(seconds=10))  # the first retry: 5 s, give or take a quarter

    assert s.deliver() == 1

    _, failed, retried = s.posts()
    assert failed["key"] == retried["key"]
    assert failed["key"].startswith(f"watchd-batch-{batch.pop()}-hook-")
    assert failed["message"] == retried["message"]
    assert s.states() == {"1.txt": "sent", "2.txt": "sent", "3.txt": "sent"}
    attempts = s.store.rows(
        "select outbox, ok from deliveries where outbox in "
        "(select id from outbox where channel = 'hook') order by id"
    )
    assert [entry["ok"] for entry in attempts] == [1, 0, 0, 1, 1]
    assert s.deliver() == 0


def test_an_alert_due_as_the_period_ends_joins_the_held_ones_in_one_message(
    site: Callable[..., Site],
) -> None:
    s = site(rule("throttle: 1h"))
    s.alert("1.txt", report(1))
    s.deliver()
    s.clock.advance(10 * MINUTE)
    s.alert("2.txt", report(2))
    s.deliver()
    s.clock.now = DAY + HOUR
    s.alert("3.txt", report(3))  # new, and not throttled any more, as the batch is due

    assert s.deliver() == 1

    batch = s.posts()[-1]
    assert batch["title"] == "Resolution on Aleppo: 2 alerts (1 rule)"
    assert "/inbox/2.txt" in batch["message"] and "/inbox/3.txt" in batch["message"]
    assert s.states() == {"1.txt": "sent", "2.txt": "sent", "3.txt": "sent"}
    assert len({row["batch"] for row in s.rows() if row["document"] != "1.txt"}) == 1
    assert s.console.getvalue().count("ALERT aleppo") == 3
    s.clock.advance(MINUTE)
    s.alert("4.txt", report(4))
    assert s.deliver() == 0  # the batch opened a new period


def test_a_throttled_alert_after_the_period_is_sent_at_once_and_opens_a_new_period(
    site: Callable[..., Site],
) -> None:
    s = site(rule("throttle: 1h"))
    s.alert("1.txt", report(1))
    s.deliver()
    s.clock.advance(90 * MINUTE)
    s.alert("2.txt", report(2))
    assert s.deliver() == 1  # the period is over: sent alone, at once
    s.clock.advance(5 * MINUTE)
    s.alert("3.txt", report(3))

    assert s.deliver() == 0

    [held] = [row for row in s.rows() if row["state"] == "held"]
    assert held["next_attempt"] == "2026-01-15T12:30:00.000000+00:00"  # the second send + 1 h


# Digest


def test_a_digest_rule_sends_nothing_until_its_schedule_then_one_message_with_every_hit(
    site: Callable[..., Site],
) -> None:
    s = site(rule("digest: daily"))  # 08:00 in Paris: 07:00 UTC in January
    for n in (1, 2, 3):
        s.alert(f"{n}.txt", report(n))
        assert s.deliver() == 0
        s.clock.advance(3 * HOUR)
    assert set(s.states().values()) == {"held"}
    assert s.console.getvalue() == ""
    s.clock.now = datetime(2026, 1, 16, 6, 59, 59, tzinfo=UTC)
    assert s.deliver() == 0

    s.clock.now = datetime(2026, 1, 16, 7, 0, tzinfo=UTC)
    assert s.deliver() == 1

    [digest] = s.posts()
    assert digest["title"] == "Resolution on Aleppo: 3 alerts (1 rule)"
    assert all(f"/inbox/{n}.txt" in digest["message"] for n in (1, 2, 3))
    assert set(s.states().values()) == {"sent"}
    assert s.console.getvalue().count("ALERT aleppo") == 3
    assert s.deliver() == 0


def test_an_unshaped_rule_is_not_held_by_another_rules_digest(site: Callable[..., Site]) -> None:
    s = site(rule("digest: daily"))
    s.alert("a.txt", report(1))
    s.alert("s.txt", SHAMKHANI)

    assert s.deliver() == 1

    assert s.states() == {"a.txt": "held", "s.txt": "sent"}


# Quiet hours

QUIET = "quiet_hours: {start: 22:00, end: 07:00, bypass: high}\n"
NIGHT = datetime(2026, 1, 15, 22, 30, tzinfo=UTC)  # 23:30 in Paris


def test_quiet_hours_hold_alerts_until_they_end_and_a_high_severity_rule_bypasses(
    site: Callable[..., Site],
) -> None:
    s = site(settings=QUIET, now=NIGHT)
    s.alert("a.txt", report(1))
    s.alert("s.txt", SHAMKHANI)  # severity: high

    assert s.deliver() == 1

    [bypassed] = s.posts()
    assert "Shamkhani" in bypassed["message"]
    assert s.states() == {"a.txt": "held", "s.txt": "sent"}
    assert s.states("console") == {"a.txt": "held", "s.txt": "sent"}
    [held] = [row for row in s.rows() if row["state"] == "held"]
    assert (held["grp"], held["next_attempt"]) == ("quiet", "2026-01-16T06:00:00.000000+00:00")
    s.clock.advance(3 * HOUR)
    s.alert("b.txt", report(2))
    s.clock.now = datetime(2026, 1, 16, 5, 59, tzinfo=UTC)
    assert s.deliver() == 0

    s.clock.now = datetime(2026, 1, 16, 6, 0, tzinfo=UTC)  # 07:00 in Paris
    assert s.deliver() == 1

    _, morning = s.posts()
    assert morning["title"] == "Held during quiet hours: 2 alerts (1 rule)"
    assert "/inbox/a.txt" in morning["message"] and "/inbox/b.txt" in morning["message"]
    assert set(s.states().values()) == set(s.states("console").values()) == {"sent"}
    assert s.console.getvalue().count("ALERT aleppo") == 2


def test_a_throttled_batch_due_during_quiet_hours_waits_for_their_end_as_one_message(
    site: Callable[..., Site],
) -> None:
    s = site(rule("throttle: 1h"), QUIET, now=datetime(2026, 1, 15, 20, 30, tzinfo=UTC))
    s.alert("1.txt", report(1))
    assert s.deliver() == 1  # 21:30 in Paris
    s.clock.advance(10 * MINUTE)
    s.alert("2.txt", report(2))
    s.alert("3.txt", report(3))
    assert s.deliver() == 0
    s.clock.advance(HOUR)  # the period is over, in quiet hours

    assert s.deliver() == 0

    held = {(row["grp"], row["next_attempt"]) for row in s.rows() if row["state"] == "held"}
    assert held == {("throttle:aleppo", "2026-01-16T06:00:00.000000+00:00")}
    s.clock.now = datetime(2026, 1, 16, 6, 0, tzinfo=UTC)
    assert s.deliver() == 1
    assert s.posts()[-1]["title"] == "Resolution on Aleppo: 2 alerts (1 rule)"


# Silence and ack


def test_a_silenced_rule_is_dropped_with_the_reason_recorded_until_the_silence_ends(
    site: Callable[..., Site],
) -> None:
    s = site()
    result = s.watchd("silence", "aleppo", "--for", "1h", "--reason", "deploy")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("rule aleppo silenced until ")
    s.alert("a.txt", report(1))
    s.alert("s.txt", SHAMKHANI)

    assert s.deliver() == 1

    assert "Shamkhani" in s.posts()[0]["message"]  # another rule still alerts
    assert s.states() == {"a.txt": "suppressed", "s.txt": "sent"}
    [dropped] = [row for row in s.rows() if row["state"] == "suppressed"]
    reason = "rule silenced until 2026-01-15T11:00:00.000000+00:00: deploy"
    assert dropped["last_error"] == reason
    log = s.store.rows("select ok, error from deliveries where outbox = ?", [dropped["id"]])
    assert log == [{"ok": 0, "error": reason}]
    [hit] = s.store.hits(rule="aleppo")
    assert hit.alert and hit.origin.endswith("/inbox/a.txt")  # still stored
    s.clock.now = DAY + HOUR  # the silence is over
    s.alert("b.txt", report(2))

    assert s.deliver() == 1

    assert "/inbox/b.txt" in s.posts()[-1]["message"]
    assert s.states() == {"a.txt": "suppressed", "b.txt": "sent", "s.txt": "sent"}
    assert s.watchd("silence", "--list").output == ""


def test_silence_list_shows_what_is_in_force(site: Callable[..., Site]) -> None:
    s = site()
    assert s.watchd("silence", "aleppo", "--for", "2h", "--reason", "deploy").exit_code == 0
    assert s.watchd("silence", "shamkhani", "--for", "30m").exit_code == 0
    s.alert("a.txt", report(1))
    assert s.watchd("ack", str(s.hit_id("a.txt", "aleppo")), "--for", "1d").exit_code == 0
    s.clock.advance(45 * MINUTE)

    listed = s.watchd("silence", "--list")

    assert listed.exit_code == 0
    lines = [line.split("  ") for line in listed.output.splitlines()]
    assert [line[:3] for line in lines] == [
        ["3", "ack", "story 1"],
        ["1", "silence", "rule aleppo"],
    ]
    assert lines[1][4] == "deploy"
    ends = datetime(2026, 1, 15, 12, 0, tzinfo=UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    assert lines[1][3] == f"until {ends}"


def test_a_silence_of_an_unknown_rule_is_a_usage_error_with_a_suggestion(
    site: Callable[..., Site],
) -> None:
    s = site()

    result = s.watchd("silence", "alepo", "--for", "1h")

    assert result.exit_code == 2
    assert "no rule 'alepo' in the configured rules (did you mean 'aleppo'?)" in result.output
    assert s.store.silences() == []


def test_an_ack_drops_the_storys_pending_alerts_and_later_hits_on_it_of_other_rules(
    site: Callable[..., Site],
) -> None:
    s = site()
    s.alert("1.txt", report(1))
    s.alert("2.txt", report(2))
    hit = s.hit_id("1.txt", "aleppo")

    result = s.watchd("ack", str(hit), "--for", "1d", "--reason", "seen")

    assert result.exit_code == 0 and f"story of hit {hit} acknowledged" in result.output
    assert s.deliver() == 1  # 2.txt, another story
    assert s.states() == {"1.txt": "suppressed", "2.txt": "sent"}
    assert s.states("console") == {"1.txt": "suppressed", "2.txt": "sent"}
    [dropped] = [row for row in s.rows() if row["state"] == "suppressed"]
    assert dropped["last_error"].startswith("story acknowledged until 2026-01-16T10:00")
    s.reload(
        RULES
        + """
      - id: council
        title: The Security Council acts
        watch: Security Council resolution
    """
    )
    s.clock.advance(HOUR)
    s.alert("1-copy.txt", report(1))  # the same story: aleppo is a repeat, council is new

    assert s.deliver() == 0

    assert s.states()["1-copy.txt"] == "suppressed"
    [council] = [row for row in s.rows() if row["document"] == "1-copy.txt"]
    assert council["rule"] == "council"
    s.alert("4.txt", report(4), alerts=2)  # a new story: both rules alert
    assert s.deliver() == 2


# Status


def test_status_counts_held_and_suppressed_deliveries_and_only_real_failures(
    site: Callable[..., Site], http_server: LocalServer
) -> None:
    s = site(rule("digest: daily"))
    http_server.route("/hook", Reply(b"busy", status=503))
    s.alert("a.txt", report(1))
    s.alert("s.txt", SHAMKHANI)
    assert s.deliver() == 1  # refused; the console printed it
    assert s.watchd("ack", str(s.hit_id("s.txt", "shamkhani"))).exit_code == 0
    s.clock.advance(timedelta(seconds=10))
    assert s.deliver() == 0  # due again, and dropped

    result = s.watchd("status")

    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:3] == [
        "outbox: 0 pending, 2 held, 0 sending, 1 sent, 1 suppressed, 0 dead",
        "  console: 1 held, 1 sent",
        "  hook: 1 held, 1 suppressed",
    ]
    assert lines[3] == "last failed attempts:"
    [failure] = lines[4:]  # the 503, not the ack that dropped the retry
    assert "hook  delivery 3: " in failure and "503" in failure
    assert s.states() == {"a.txt": "held", "s.txt": "suppressed"}


def test_the_commands_as_an_operator_runs_them(site: Callable[..., Site]) -> None:
    """The installed executable, on the real clock, against the same database."""
    s = site(now=datetime.now(UTC).replace(microsecond=0))

    def watchd(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(WATCHD), "--config", str(s.config_path), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    silenced = watchd("silence", "aleppo", "--for", "1h", "--reason", "deploy")
    typo = watchd("silence", "shamkani")
    s.alert("a.txt", report(1))
    s.deliver()
    listed = watchd("silence", "--list")
    status = watchd("status")

    assert silenced.returncode == 0 and "rule aleppo silenced until" in silenced.stdout
    assert typo.returncode == 2 and "(did you mean 'shamkhani'?)" in typo.stderr
    assert listed.stdout.startswith("1  silence  rule aleppo  until ")
    assert listed.stdout.rstrip().endswith("deploy")
    assert status.stdout.startswith("outbox: 0 pending, 0 sending, 0 sent, 2 suppressed, 0 dead")
    assert s.server.seen("/hook") == []
