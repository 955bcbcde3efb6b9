"""Delivery on real servers: apprise sending to a webhook on the LocalServer and to an SMTP
server (aiosmtpd) on 127.0.0.1, from outbox rows the engine made from a polled folder.

In process, the store, engine, dispatcher and outbox worker are the real ones on a test
clock; the operator's commands run as the installed `watchd` executable in a subprocess.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpserver import LocalServer, Reply, Seen
from smtpserver import SmtpServer

from watchd.config import load_config
from watchd.engine import Engine
from watchd.matcher import Matcher
from watchd.notify.dispatch import Dispatcher
from watchd.notify.outbox import FIRST_RETRY, MAX_ATTEMPTS, MAX_RETRY, Outbox
from watchd.rules import load_rules
from watchd.sources.base import Context
from watchd.store import Store, timestamp

WATCHD = Path(sys.executable).parent / "watchd"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
SECRET = "SECRETPASS"
SHAMKHANI = "Shamkhani condemned Russia over the talks."
MARKED = "*Shamkhani* *condemned* *Russia* over the talks."  # as plain text shows it
RULES = """\
rules:
  - id: shamkhani
    title: Shamkhani criticizes Russia
    watch: Shamkhani criticizes Russia
    notify: [desk]
"""


def write_site(folder: Path, channels: dict[str, str | list[str]], every: str = "1m") -> Path:
    """watchd.yaml (channels on lines 5 and after), rules/ and inbox/ in `folder`."""
    (folder / "rules").mkdir(exist_ok=True)
    (folder / "rules" / "rules.yaml").write_text(RULES, encoding="utf-8")
    (folder / "inbox").mkdir(exist_ok=True)
    lines = [
        "database: ./watchd.db",
        "rules: [./rules]",
        "notify: [console]",
        "channels:",
        *(f"  {name}: {json.dumps(value)}" for name, value in channels.items()),
        "sources:",
        f"  - {{name: inbox, dir: ./inbox, every: {every}}}",
    ]
    path = folder / "watchd.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def drop(folder: Path, name: str, text: str, written: datetime) -> None:
    path = folder / "inbox" / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, (written.timestamp(), written.timestamp()))


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


class Desk:
    """A configuration whose rule notifies the `desk` channel (one URL or several), with
    its real store, engine, dispatcher and outbox worker on a test clock."""

    def __init__(self, folder: Path, desk: str | list[str]) -> None:
        self.folder = folder
        self.config = load_config(write_site(folder, {"desk": desk}))
        self.clock = Clock()
        ruleset = load_rules(self.config.rule_paths)
        self.dispatcher = Dispatcher.build(self.config, ruleset, io.StringIO())
        self.store = Store(self.config.path(self.config.database))
        self.engine = Engine(
            self.store,
            self.config,
            Matcher(ruleset),
            Context(now=self.clock, timeout=5.0, host_delay=0.0),
            targets=self.dispatcher.channels.targets,
        )
        self.outbox = Outbox(self.store, self.dispatcher.senders(), self.clock)

    def close(self) -> None:
        self.engine.close()
        self.store.close()

    def alert(self, name: str = "a.txt", text: str = SHAMKHANI) -> None:
        """A file in the polled folder that makes one alert."""
        drop(self.folder, name, text, self.clock.now - HOUR)
        [source] = self.config.sources
        report = self.engine.poll(source)
        assert (report.ok, report.alerts) == (True, 1), report.summary()

    def rows(self) -> list[dict[str, Any]]:
        return self.store.rows("select * from outbox where channel = 'desk' order by id")

    def row(self) -> dict[str, Any]:
        [row] = self.rows()
        return row

    def deliveries(self, row: int) -> list[tuple[int, str | None]]:
        sql = f"select ok, error from deliveries where outbox = {row} order by id"
        return [(entry["ok"], entry["error"]) for entry in self.store.rows(sql)]

    def due(self, row: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(row["next_attempt"])


MakeDesk = Callable[[str | list[str]], Desk]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[MakeDesk]:
    made: list[Desk] = []

    def make(urls: str | list[str]) -> Desk:
        made.append(Desk(tmp_path, urls))
        return made[-1]

    yield make
    for each in made:
        each.close()


def hook(server: LocalServer, path: str = "/hook", auth: str = "") -> str:
    """The json:// apprise URL of a webhook at `path` on the LocalServer."""
    return f"json://{auth}127.0.0.1:{server.httpd.server_address[1]}{path}"


def posts(server: LocalServer, path: str = "/hook") -> list[Seen]:
    return [seen for seen in server.seen(path) if seen.method == "POST"]


def retry_bounds(attempts: int) -> tuple[timedelta, timedelta]:
    """The least and most `retry_delay(attempts)` may be: doubling, capped, ±25% jitter."""
    delay = min(MAX_RETRY, FIRST_RETRY * 2 ** (attempts - 1))
    return delay * 0.75, delay * 1.25


# Webhooks


def test_an_alert_is_posted_once_with_its_idempotency_key_rule_and_sentence(
    desk: MakeDesk, http_server: LocalServer
) -> None:
    http_server.route("/hook", Reply(b"ok"))
    d = desk(hook(http_server))
    d.alert()

    assert d.outbox.deliver() == 1
    d.clock.now += MAX_RETRY * 3
    assert d.outbox.deliver() == 0

    [request] = posts(http_server)
    row = d.row()
    assert request.headers["idempotency-key"] == row["idempotency_key"]
    assert row["idempotency_key"].startswith(f"watchd-{row['hit']}-desk-")
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.body)
    assert "Shamkhani criticizes Russia" in body["title"]
    assert "Rule: shamkhani" in body["message"]
    assert MARKED in body["message"]
    assert (row["state"], row["attempts"], row["sent"]) == ("sent", 1, timestamp(NOW))
    assert d.deliveries(row["id"]) == [(1, None)]


@pytest.mark.parametrize(
    ("status", "permanent"),
    [
        (400, True),
        (401, True),
        (404, True),
        (410, True),
        (408, False),  # a timeout: the client may try again
        (425, False),
        (429, False),  # too many requests
        (500, False),
        (502, False),
        (503, False),
    ],
)
def test_a_webhook_error_is_permanent_for_a_client_error_and_retried_otherwise(
    desk: MakeDesk, http_server: LocalServer, status: int, permanent: bool
) -> None:
    http_server.route("/hook", Reply(b"nope", status=status))
    d = desk(hook(http_server))
    d.alert()

    assert d.outbox.deliver() == 0

    row = d.row()
    assert row["attempts"] == 1
    assert f"error={status}" in row["last_error"]
    assert d.deliveries(row["id"]) == [(0, row["last_error"])]
    if permanent:
        assert (row["state"], row["next_attempt"]) == ("dead", None)
    else:
        least, most = retry_bounds(1)
        assert row["state"] == "pending"
        assert least <= d.due(row) - NOW <= most
    d.clock.now += MAX_RETRY * 3
    http_server.route("/hook", Reply(b"ok"))
    assert d.outbox.deliver() == int(not permanent)
    assert len(posts(http_server)) == 1 + int(not permanent)
    assert d.row()["state"] == ("dead" if permanent else "sent")


def test_a_webhook_that_keeps_failing_is_retried_with_backoff_then_dead(
    desk: MakeDesk, http_server: LocalServer
) -> None:
    http_server.route("/hook", Reply(b"boom", status=500))
    d = desk(hook(http_server))
    d.alert()

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert d.outbox.deliver() == 0
        row = d.row()
        assert (row["attempts"], len(posts(http_server))) == (attempt, attempt)
        if attempt == MAX_ATTEMPTS:
            break
        least, most = retry_bounds(attempt)
        assert row["state"] == "pending"
        assert least <= d.due(row) - d.clock.now <= most, f"attempt {attempt}"
        d.clock.now = d.due(row) - SECOND
        assert d.outbox.deliver() == 0  # not due yet: nothing sent
        assert len(posts(http_server)) == attempt
        d.clock.now = d.due(row) + SECOND

    row = d.row()
    assert (row["state"], row["attempts"]) == ("dead", MAX_ATTEMPTS)
    assert "error=500" in row["last_error"]
    assert [ok for ok, _ in d.deliveries(row["id"])] == [0] * MAX_ATTEMPTS
    keys = {request.headers["idempotency-key"] for request in posts(http_server)}
    assert keys == {row["idempotency_key"]}  # every retry carries the same key
    d.clock.now += MAX_RETRY * 3
    assert d.outbox.deliver() == 0
    assert len(posts(http_server)) == MAX_ATTEMPTS


@pytest.mark.parametrize("failing_first", [True, False])
def test_each_service_of_a_channel_has_its_own_row_and_key_and_fails_alone(
    desk: MakeDesk, http_server: LocalServer, failing_first: bool
) -> None:
    http_server.route("/good", Reply(b"ok"))
    http_server.route("/bad", Reply(b"boom", status=503))
    urls = [hook(http_server, "/good"), hook(http_server, "/bad")]
    d = desk(urls[::-1] if failing_first else urls)
    d.alert()

    rows = d.rows()
    assert len(rows) == 2
    services = {service.id: service for service in d.dispatcher.channels.services["desk"]}
    assert {row["service"] for row in rows} == set(services)
    assert len({row["idempotency_key"] for row in rows}) == 2
    by_path = {services[row["service"]].masked.rsplit("/", 1)[1]: row["id"] for row in rows}
    rounds = 4
    for _ in range(rounds):
        d.outbox.deliver()
        d.clock.now += MAX_RETRY * 2

    states = {
        path: d.store.rows(f"select * from outbox where id = {i}")[0] for path, i in by_path.items()
    }
    assert (states["good"]["state"], states["good"]["attempts"]) == ("sent", 1)
    assert (states["bad"]["state"], states["bad"]["attempts"]) == ("pending", rounds)
    assert len(posts(http_server, "/good")) == 1
    assert len(posts(http_server, "/bad")) == rounds
    for path in ("good", "bad"):
        keys = {seen.headers["idempotency-key"] for seen in posts(http_server, f"/{path}")}
        assert keys == {states[path]["idempotency_key"]}
    http_server.route("/bad", Reply(b"ok"))

    assert d.outbox.deliver() == 1

    assert [row["state"] for row in d.rows()] == ["sent", "sent"]
    assert (len(posts(http_server, "/good")), len(posts(http_server, "/bad"))) == (1, rounds + 1)


# Email


@pytest.mark.parametrize(
    ("refusal", "permanent", "reason"),
    [
        ("550 no such user", True, "(550, b'no such user')"),
        ("553 mailbox name not allowed", True, "(553, b'mailbox name not allowed')"),
        ("450 mailbox busy", False, "(450, b'mailbox busy')"),
        ("down", False, "Connection refused"),  # the server is stopped
    ],
)
def test_an_smtp_refusal_is_permanent_for_5xx_and_an_outage_is_transient(
    desk: MakeDesk, smtp_server: SmtpServer, refusal: str, permanent: bool, reason: str
) -> None:
    if refusal == "down":
        smtp_server.stop()
    else:
        smtp_server.refuse(refusal)
    d = desk(smtp_server.url())
    d.alert()

    assert d.outbox.deliver() == 0

    row = d.row()
    assert row["attempts"] == 1 and reason in row["last_error"]
    assert row["state"] == ("dead" if permanent else "pending")
    assert smtp_server.messages == []
    if refusal == "down":
        smtp_server.start()
    smtp_server.refuse(None)
    d.clock.now += MAX_RETRY * 3
    assert d.outbox.deliver() == int(not permanent)
    assert len(smtp_server.messages) == int(not permanent)
    if not permanent:
        [message] = smtp_server.messages
        assert message["Message-ID"] == f"<{row['idempotency_key']}@watchd>"
        assert d.row()["state"] == "sent"


# The operator's commands


def watchd(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`watchd --config watchd.yaml ARGS` run in `folder`."""
    return subprocess.run(
        [str(WATCHD), "--config", "watchd.yaml", *args],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
    )


def rows(folder: Path, sql: str) -> list[dict[str, Any]]:
    with sqlite3.connect(folder / "watchd.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql)]


@pytest.mark.parametrize(
    ("desk", "expected"),
    [
        ("foobar://x", "watchd.yaml:5:9: channel 'desk': apprise cannot load it: Unparseable URL"),
        ("mailto://", "watchd.yaml:5:9: channel 'desk': apprise cannot load it: Could not load"),
        (
            ["json://127.0.0.1/a", "mailto://"],
            "watchd.yaml:5:32: URL 2 of channel 'desk': apprise cannot load it: Could not load",
        ),
    ],
)
def test_check_names_the_line_of_a_channel_apprise_cannot_load(
    tmp_path: Path, desk: str | list[str], expected: str
) -> None:
    write_site(tmp_path, {"desk": desk})

    result = watchd(tmp_path, "check")

    assert result.returncode == 1
    assert result.stdout == ""
    first, summary = result.stderr.splitlines()
    assert first.startswith(expected)
    assert summary.startswith("1 problem found")


@pytest.mark.parametrize("command", [["check"], ["notify-test"], ["once"]])
def test_a_rule_notifying_an_undefined_channel_is_refused_at_its_place(
    tmp_path: Path, command: list[str]
) -> None:
    write_site(tmp_path, {"chat": "json://127.0.0.1/chat"})  # no desk

    result = watchd(tmp_path, *command)

    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "rules/rules.yaml:2:5: rule 'shamkhani' notifies 'desk', which no channel is; define "
        "it under channels: in the configuration (known: chat, console)"
    )
    assert not (tmp_path / "watchd.db").exists()


@pytest.fixture
def notify_site(tmp_path: Path, http_server: LocalServer, smtp_server: SmtpServer) -> Path:
    """Channels `desk` (a webhook and the SMTP server, both fine) and `broken` (a webhook
    that answers 404)."""
    http_server.route("/hook", Reply(b"ok"))
    desk = [hook(http_server), smtp_server.url()]
    write_site(tmp_path, {"desk": desk, "broken": hook(http_server, "/gone")})
    return tmp_path


@pytest.mark.parametrize(
    ("options", "code", "lines"),
    [
        (
            [],
            1,
            [
                "broken: {web}/gone: FAILED (permanent): Failed to send JSON POST notification: "
                "Page not found., error=404.",
                "console: console: prints alerts on the daemon's output",
                "desk: {web}/hook: sent",
                "desk: {mail}: sent",
            ],
        ),
        (["--channel", "desk"], 0, ["desk: {web}/hook: sent", "desk: {mail}: sent"]),
        (["--channel", "broken"], 1, ["broken: {web}/gone: FAILED (permanent): "]),
    ],
)
def test_notify_test_sends_to_each_service_and_says_what_happened(
    notify_site: Path,
    http_server: LocalServer,
    smtp_server: SmtpServer,
    options: list[str],
    code: int,
    lines: list[str],
) -> None:
    result = watchd(notify_site, "notify-test", *options)

    assert result.returncode == code, result.stderr
    web = hook(http_server, "")
    mail = f"mailto://127.0.0.1:{smtp_server.port}/desk%40example.org"
    wanted = [line.format(web=web, mail=mail) for line in lines]
    got = result.stdout.splitlines()
    assert len(got) == len(wanted)
    assert all(line.startswith(prefix) for line, prefix in zip(got, wanted, strict=True)), got
    sent = "desk: {web}/hook: sent" in lines
    assert len(posts(http_server)) == len(smtp_server.messages) == int(sent)
    if sent:
        key = posts(http_server)[0].headers["idempotency-key"]
        assert key.startswith("watchd-test-")
        assert str(smtp_server.messages[0]["Message-ID"]).startswith("<watchd-test-")
    assert not (notify_site / "watchd.db").exists()  # nothing is stored


def test_notify_test_of_an_unknown_channel_is_a_usage_error(notify_site: Path) -> None:
    result = watchd(notify_site, "notify-test", "--channel", "nope")

    assert result.returncode == 2
    assert "no channel 'nope'; known channels: broken, console, desk" in result.stderr
    assert result.stdout == ""


def test_status_shows_a_dead_delivery_and_resend_makes_it_due_again(
    tmp_path: Path, http_server: LocalServer
) -> None:
    http_server.route("/hook", Reply(b"ok"))
    channels: dict[str, str | list[str]] = {
        "desk": hook(http_server, "/gone"),
        "chat": hook(http_server),
    }
    write_site(tmp_path, channels)
    config = tmp_path / "watchd.yaml"
    config.write_text(config.read_text().replace("notify: [console]", "notify: [chat]"))
    (tmp_path / "rules" / "rules.yaml").write_text(RULES.replace("[desk]", "[desk, chat]"))
    drop(tmp_path, "a.txt", SHAMKHANI, datetime.now(UTC) - HOUR)
    assert watchd(tmp_path, "once").returncode == 0
    [dead] = rows(tmp_path, "select * from outbox where state = 'dead'")
    reason = "Failed to send JSON POST notification: Page not found., error=404.; not found"

    status = watchd(tmp_path, "status")

    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[:3] == [
        "outbox: 0 pending, 0 sending, 1 sent, 1 dead",
        "  chat: 1 sent",
        "  desk: 1 dead",
    ]
    assert f"  {dead['id']}  desk  shamkhani (hit {dead['hit']})  1 attempts: {reason}" in lines
    assert any(line.endswith(f"desk  delivery {dead['id']}: {reason}") for line in lines)

    resent = watchd(tmp_path, "resend", str(dead["id"]))

    assert (resent.returncode, resent.stdout) == (0, f"delivery {dead['id']} is due again\n")
    [again] = rows(tmp_path, f"select * from outbox where id = {dead['id']}")
    assert (again["state"], again["attempts"], again["last_error"]) == ("pending", 0, None)
    assert watchd(tmp_path, "status").stdout.startswith(
        "outbox: 1 pending, 0 sending, 1 sent, 0 dead"
    )
    for missing in (dead["id"], 999):  # no longer dead; never was
        refused = watchd(tmp_path, "resend", str(missing))
        assert refused.returncode == 2
        assert f"no dead delivery {missing}" in refused.stderr
    http_server.route("/gone", Reply(b"ok"))

    assert watchd(tmp_path, "once").returncode == 0

    assert [row["state"] for row in rows(tmp_path, "select * from outbox")] == ["sent", "sent"]
    assert len(posts(http_server, "/gone")) == 2
    assert len(posts(http_server)) == 1  # chat was not sent again


# Secrets


def text_values(database: Path) -> Iterator[tuple[str, str, str]]:
    """Every text (or blob) value in the database, as (table, column, value)."""
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("select name from sqlite_master where type='table'")]
        for table in tables:
            columns = [row[1] for row in db.execute(f"pragma table_info('{table}')")]
            for column in columns:
                for (value,) in db.execute(f'select "{column}" from "{table}"'):
                    if isinstance(value, bytes):
                        yield table, column, value.decode("utf-8", "replace")
                    elif isinstance(value, str):
                        yield table, column, value


def run_daemon(folder: Path, until: int) -> str:
    """`watchd run -vv` until the database holds `until` failed attempts; its output."""
    process = subprocess.Popen(
        [str(WATCHD), "--config", "watchd.yaml", "run", "-vv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=folder,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            failed = rows(folder, "select count(*) as n from deliveries where not ok")[0]["n"]
            if failed >= until:
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the daemon did not fail {until} sends (exit {process.poll()})")
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
    return out


def test_a_password_in_a_channel_url_never_shows(
    tmp_path: Path, http_server: LocalServer, smtp_server: SmtpServer
) -> None:
    http_server.route("/hook", Reply(b"boom", status=500))
    mail = f"mailto://user:{SECRET}@127.0.0.1:{smtp_server.port}?from=w@example.org&to=d@example.org&mode=insecure"
    web = hook(http_server, auth=f"user:{SECRET}@")
    write_site(tmp_path, {"desk": [web, mail]}, every="1s")
    drop(tmp_path, "a.txt", SHAMKHANI, datetime.now(UTC) - HOUR)
    outputs: dict[str, str] = {}
    for command in (["check"], ["notify-test"], ["once", "-vv"], ["status"], ["matches"]):
        result = watchd(tmp_path, *command)
        outputs[" ".join(command)] = result.stdout + result.stderr
    assert "FAILED" in outputs["notify-test"] and "user:****@" in outputs["notify-test"]
    assert "error=500" in outputs["status"]
    assert "SMTP AUTH" in outputs["status"]  # the server refused to authenticate
    drop(tmp_path, "b.txt", f"{SHAMKHANI} Again.", datetime.now(UTC) - HOUR)

    outputs["run -vv"] = run_daemon(tmp_path, until=4)  # two from once, two of b.txt

    assert "Loaded JSON URL: json://user:****@" in outputs["run -vv"]
    for command, output in outputs.items():
        assert SECRET not in output, f"`watchd {command}` showed the password:\n{output}"
    assert len(posts(http_server)) >= 3  # notify-test, once, the daemon: all reached it
    assert posts(http_server)[0].headers["authorization"].startswith("Basic ")
    found = [(t, c) for t, c, value in text_values(tmp_path / "watchd.db") if SECRET in value]
    assert found == []
    assert sum(1 for _ in text_values(tmp_path / "watchd.db")) > 20  # the scan saw rows


def test_a_password_in_a_channel_apprise_cannot_load_is_not_shown_by_check(
    tmp_path: Path,
) -> None:
    write_site(tmp_path, {"desk": f"mailto://user:{SECRET}@127.0.0.1:25?mode=bogus"})

    result = watchd(tmp_path, "check")

    assert result.returncode == 1
    assert "channel 'desk': apprise cannot load it" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_a_message_longer_than_a_service_takes_is_split_not_lost(
    http_server: LocalServer,
) -> None:
    import apprise

    from watchd.notify.channels import service
    from watchd.notify.messages import Message
    from watchd.notify.send import send

    http_server.route("/hook", Reply(b"ok"))
    url = hook(http_server)
    plugin = apprise.Apprise.instantiate(url)
    plugin.body_maxlen = 200  # as small as a chat service's limit, for the test
    words = [f"word{n:03}" for n in range(100)]  # about 800 characters
    message = Message("A long alert", "\n".join(words), "text")

    send(service("hooks", url, plugin), message, "watchd-1-hooks")

    bodies = [json.loads(seen.body)["message"] for seen in posts(http_server)]
    assert len(bodies) > 1 and all(len(body) <= 200 for body in bodies)
    assert "\n".join(bodies).split() == words  # every word arrived, in order
    short = Message("A short alert", "one line", "text")
    send(service("hooks", url, plugin), short, "watchd-2-hooks")
    assert len(posts(http_server)) == len(bodies) + 1  # a short one is never split


def test_a_service_that_fails_is_tried_once_a_round_and_others_are_not_held_up(
    desk: MakeDesk, http_server: LocalServer
) -> None:
    http_server.route("/good", Reply(b"ok"))
    http_server.route("/bad", Reply(b"boom", status=503))
    d = desk([hook(http_server, "/bad"), hook(http_server, "/good")])
    for n in range(3):
        d.alert(f"{n}.txt", f"{SHAMKHANI} Story {n}.")

    assert d.outbox.deliver() == 3  # the three rows of /good

    assert len(posts(http_server, "/bad")) == 1  # not three: the rest wait for its retry
    bad = [row for row in d.rows() if row["state"] != "sent"]
    assert len(bad) == 3 and sorted(row["attempts"] for row in bad) == [0, 0, 1]
    assert len({row["next_attempt"] for row in bad}) == 1  # all due at the first one's retry
    http_server.route("/bad", Reply(b"ok"))
    d.clock.now = d.due(bad[0])

    assert d.outbox.deliver() == 3
    assert len(posts(http_server, "/bad")) == 4


def test_a_rules_template_and_a_channels_template_shape_its_messages(
    tmp_path: Path, http_server: LocalServer
) -> None:
    http_server.route("/hook", Reply(b"ok"))
    channel: Any = {"urls": [hook(http_server)], "template": "chan"}
    config = load_config(write_site(tmp_path, {"desk": channel}))
    rules = RULES + "  - id: aleppo\n    watch: resolution on Aleppo\n    notify: [desk]\n"
    rules += "    template: brief\n"
    (tmp_path / "rules" / "rules.yaml").write_text(rules, encoding="utf-8")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "brief.text.txt.j2").write_text("BRIEF {{ rule }}\n", encoding="utf-8")
    (templates / "chan.text.txt.j2").write_text("CHANNEL {{ rule }}\n", encoding="utf-8")
    config = config.model_copy(update={"templates": str(templates)})
    ruleset = load_rules(config.rule_paths)
    dispatcher = Dispatcher.build(config, ruleset, io.StringIO())
    clock = Clock()
    store = Store(config.path(config.database))
    engine = Engine(
        store, config, Matcher(ruleset), Context(now=clock), None, dispatcher.channels.targets
    )
    drop(tmp_path, "a.txt", f"{SHAMKHANI} The resolution on Aleppo passed.", clock.now - HOUR)
    engine.poll(config.sources[0])

    Outbox(store, dispatcher.senders(), clock).deliver()

    bodies = sorted(json.loads(seen.body)["message"].strip() for seen in posts(http_server))
    assert bodies == ["BRIEF aleppo", "CHANNEL shamkhani"]  # the rule's own wins
    engine.close()
    store.close()
