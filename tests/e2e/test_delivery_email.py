"""`watchd run` delivering alerts by email to a real SMTP server on 127.0.0.1 (aiosmtpd):
what arrives, an outage of the mail server, and a crash in the middle of a burst."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

from smtpserver import SmtpServer

from tests.e2e.daemon import EXAMPLE, Daemon, drop, rows, write_config

RULES = """\
rules:
  - id: shamkhani-criticizes-russia
    title: Shamkhani criticizes Russia
    watch: Shamkhani criticizes Russia
    notify: [desk]
"""
SENTENCE = "Shamkhani criticized Russia over the talks on {n}."


def mail_config(tmp_path: Path, smtp: SmtpServer) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "mission.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    channels = f'channels:\n  desk: "{smtp.url()}"'
    return write_config(tmp_path, "- {name: inbox, dir: ./inbox, every: 1s}", rules, channels)


def message_ids(smtp: SmtpServer) -> list[str]:
    return [str(m["Message-ID"]) for m in smtp.messages]


def test_an_alert_arrives_with_subject_sentence_link_and_rule(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    daemon = Daemon(mail_config(tmp_path, smtp_server))
    try:
        drop(tmp_path / "inbox", "article.txt", EXAMPLE.read_text(encoding="utf-8"))
        [message] = smtp_server.wait_for(1)
        time.sleep(1.5)  # a second message, if one were wrongly sent, would be here by now
    finally:
        assert daemon.stop() == 0
    assert len(smtp_server.messages) == 1
    assert "Shamkhani criticizes Russia" in str(message["Subject"])
    assert message.get_all("Message-ID") == [message["Message-ID"]]  # exactly one
    assert re.fullmatch(r"<watchd-\d+-desk-[0-9a-f]{12}@watchd>", str(message["Message-ID"]))
    html = message.get_body(preferencelist=("html",))
    plain = message.get_body(preferencelist=("plain",))
    assert html is not None and plain is not None
    text = plain.get_content()
    assert "openly challenged Russia" in text and "shamkhani-criticizes-russia" in text
    assert "article.txt" in text
    assert "<strong>Shamkhani</strong>" in html.get_content()


def test_alerts_held_while_the_mail_server_is_down_arrive_once_each(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    database = tmp_path / "watchd.db"
    smtp_server.stop()
    daemon = Daemon(mail_config(tmp_path, smtp_server))
    try:
        for n in range(3):
            drop(tmp_path / "inbox", f"item-{n}.txt", SENTENCE.format(n=n))
        daemon.wait_for(lambda: len(rows(database, "select id from deliveries where not ok")) >= 3)
        smtp_server.start()
        smtp_server.wait_for(3, timeout=60)  # the first retry comes after about 5 s
        daemon.wait_for(lambda: not rows(database, "select id from outbox where state != 'sent'"))
        time.sleep(1.5)
    finally:
        assert daemon.stop() == 0
    assert len(smtp_server.messages) == 3
    assert len(set(message_ids(smtp_server))) == 3
    failed = rows(database, "select error from deliveries where not ok")
    assert all("Connection refused" in row["error"] for row in failed)


def test_kill_9_during_a_burst_repeats_at_most_the_send_in_flight_with_its_key(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    database = tmp_path / "watchd.db"
    config = mail_config(tmp_path, smtp_server)
    daemon = Daemon(config)
    for n in range(20):
        drop(tmp_path / "inbox", f"item-{n:02}.txt", SENTENCE.format(n=n))
    smtp_server.wait_for(3)
    daemon.kill()
    restarted = Daemon(config)
    try:
        smtp_server.wait_for(20, timeout=60)
        restarted.wait_for(
            lambda: not rows(database, "select id from outbox where state != 'sent'")
        )
        time.sleep(1.5)
    finally:
        assert restarted.stop() == 0
    ids = Counter(message_ids(smtp_server))
    assert len(ids) == 20  # every alert arrived
    assert sum(ids.values()) <= 21  # a repeat is only the send in flight
    keys = {row["idempotency_key"] for row in rows(database, "select * from outbox")}
    assert {i.strip("<>").removesuffix("@watchd") for i in ids} == keys
