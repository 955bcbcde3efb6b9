"""`watchd run` watching a folder: alerts, a crash and restart, reloads, and stopping."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.e2e.daemon import EXAMPLE, MISSION, Daemon, drop, rows, write_config

SHAMKHANI = "Shamkhani criticized Russia over the talks on {n}."
BROKEN_RULE = "rules:\n  - id: broken\n    watch: Shamkhani criticizes Russia\n    treshold: 3\n"
NEW_RULE = "rules:\n  - id: new-rule\n    watch: Velayati praises Moscow\n"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def inbox_config(tmp_path: Path, rules: Path | None = None) -> Path:
    sources = "- {name: inbox, dir: ./inbox, every: 1s}"
    return write_config(tmp_path, sources, **({"rules": rules} if rules else {}))


def mission_rules(tmp_path: Path) -> Path:
    """A rules folder with one rule, `shamkhani`."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mission.yaml").write_text(
        "rules:\n  - id: shamkhani\n    watch: Shamkhani criticizes Russia\n", encoding="utf-8"
    )
    return rules


def alerts(daemon: Daemon, rule: str) -> int:
    return daemon.stdout.count(f"ALERT {rule}:")


def test_a_dropped_article_alerts_both_mission_rules_once(tmp_path: Path, inbox: Path) -> None:
    daemon = Daemon(inbox_config(tmp_path))
    try:
        drop(inbox, "seed.txt", EXAMPLE.read_text(encoding="utf-8"))
        daemon.wait_for(lambda: all(alerts(daemon, rule) for rule in MISSION))
        drop(inbox, "copy.txt", EXAMPLE.read_text(encoding="utf-8"))  # the same story again
        database = tmp_path / "watchd.db"
        daemon.wait_for(lambda: len(rows(database, "select id from documents")) == 2)
        time.sleep(1.5)  # give a wrongly repeated alert the time to show
    finally:
        assert daemon.stop() == 0
    assert {rule: alerts(daemon, rule) for rule in MISSION} == dict.fromkeys(MISSION, 1)
    copies = rows(database, "select rule from hits where duplicate_of is not null")
    assert {row["rule"] for row in copies} >= MISSION
    assert "*Shamkhani*" in daemon.stdout and "seed.txt" in daemon.stdout


def test_sigterm_stops_the_daemon_within_seconds(tmp_path: Path, inbox: Path) -> None:
    daemon = Daemon(inbox_config(tmp_path))
    daemon.wait_for(lambda: "watchd started" in daemon.stderr)
    start = time.monotonic()
    assert daemon.stop(timeout=10) == 0
    assert time.monotonic() - start < 10
    assert "watchd stopped" in daemon.stderr


def test_kill_9_loses_nothing_and_alerts_nothing_twice(tmp_path: Path, inbox: Path) -> None:
    database = tmp_path / "watchd.db"
    daemon = Daemon(inbox_config(tmp_path))
    for n in range(40):
        drop(inbox, f"item-{n:02}.txt", SHAMKHANI.format(n=n))
    daemon.wait_for(lambda: len(rows(database, "select id from documents")) >= 5)
    daemon.kill()
    before = len(rows(database, "select id from documents"))
    restarted = Daemon(inbox_config(tmp_path))
    try:
        restarted.wait_for(lambda: len(rows(database, "select id from documents")) == 40)
        restarted.wait_for(
            lambda: not rows(database, "select id from outbox where state != 'sent'")
        )
    finally:
        assert restarted.stop() == 0
    keys = [row["key"] for row in rows(database, "select key from documents")]
    assert sorted(keys) == [f"item-{n:02}.txt" for n in range(40)]
    hits = rows(database, "select document from hits where rule = 'shamkhani-criticizes-russia'")
    assert len(hits) == 40 == len({row["document"] for row in hits})
    outbox = rows(database, "select id from outbox")
    sent = rows(database, "select outbox, count(*) as n from deliveries where ok group by outbox")
    assert len(sent) == len(outbox) >= 40
    assert sum(row["n"] for row in sent) <= len(outbox) + 1  # only the send in flight repeats
    printed = alerts(daemon, "shamkhani-criticizes-russia")
    printed += alerts(restarted, "shamkhani-criticizes-russia")
    assert 40 <= printed <= 41
    assert before < 40 or printed == 40  # the test did kill it mid-way, or nothing repeated


def test_sighup_with_a_broken_rule_keeps_the_old_rules(tmp_path: Path, inbox: Path) -> None:
    rules = mission_rules(tmp_path)
    daemon = Daemon(inbox_config(tmp_path, rules))
    try:
        daemon.wait_for(lambda: "watchd started" in daemon.stderr)
        (rules / "broken.yaml").write_text(BROKEN_RULE, encoding="utf-8")
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda: "reload refused" in daemon.stderr)
        drop(inbox, "a.txt", SHAMKHANI.format(n=1))
        daemon.wait_for(lambda: alerts(daemon, "shamkhani") == 1)
        assert daemon.process.poll() is None
    finally:
        assert daemon.stop() == 0
    assert f"{rules / 'broken.yaml'}:4:5: unknown key 'treshold'" in daemon.stderr


def test_a_new_rule_file_is_loaded_without_a_restart(tmp_path: Path, inbox: Path) -> None:
    rules = mission_rules(tmp_path)
    daemon = Daemon(inbox_config(tmp_path, rules))
    try:
        daemon.wait_for(lambda: "watchd started" in daemon.stderr)
        (rules / "new.yaml").write_text(NEW_RULE, encoding="utf-8")
        daemon.wait_for(lambda: "rules reloaded: 2 rules" in daemon.stderr)
        drop(inbox, "b.txt", "Velayati praised the cooperation with Moscow on Monday.")
        daemon.wait_for(lambda: alerts(daemon, "new-rule") == 1)
    finally:
        assert daemon.stop() == 0


def test_an_old_file_in_a_new_folder_is_stored_but_not_alerted(tmp_path: Path, inbox: Path) -> None:
    old = drop(inbox, "old.txt", SHAMKHANI.format(n=0))
    week_ago = time.time() - 7 * 86400
    os.utime(old, (week_ago, week_ago))
    database = tmp_path / "watchd.db"
    daemon = Daemon(inbox_config(tmp_path))
    try:
        daemon.wait_for(lambda: len(rows(database, "select id from hits")) > 0)
        drop(inbox, "new.txt", SHAMKHANI.format(n=1))
        daemon.wait_for(lambda: alerts(daemon, "shamkhani-criticizes-russia") == 1)
    finally:
        assert daemon.stop() == 0
    old_hits = rows(database, "select reason from hits where document = 1")
    assert old_hits and all(h["reason"].startswith("older than max_age") for h in old_hits)
    assert "new.txt" in daemon.stdout and "old.txt" not in daemon.stdout
