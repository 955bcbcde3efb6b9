"""`watchd run` delivering alerts to chat-style services on 127.0.0.1: a real Matrix
homeserver (Synapse) and a real MQTT broker (mosquitto), with nothing mocked."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import apprise
from matrixserver import MatrixServer
from mqttserver import MqttBroker, Subscriber

from tests.e2e.daemon import EXAMPLE, Daemon, drop, rows, write_config
from watchd.notify.channels import service
from watchd.notify.messages import Message
from watchd.notify.send import send

RULE = "shamkhani-criticizes-russia"
RULES = f"""\
rules:
  - id: {RULE}
    title: Shamkhani criticizes Russia
    watch: Shamkhani criticizes Russia
    notify: [matrix, mqtt]
"""


def chat_config(tmp_path: Path, matrix: MatrixServer, mqtt: MqttBroker) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "mission.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "inbox").mkdir(exist_ok=True)
    channels = f'channels:\n  matrix: "{matrix.url()}"\n  mqtt: "{mqtt.url()}"'
    return write_config(tmp_path, "- {name: inbox, dir: ./inbox, every: 1s}", rules, channels)


def test_an_alert_reaches_a_matrix_room_and_an_mqtt_topic_once_each(
    tmp_path: Path,
    matrix_server: MatrixServer,
    mqtt_broker: MqttBroker,
    mqtt_subscriber: Subscriber,
) -> None:
    before = len(matrix_server.messages())
    database = tmp_path / "watchd.db"
    daemon = Daemon(chat_config(tmp_path, matrix_server, mqtt_broker))
    try:
        drop(tmp_path / "inbox", "article.txt", EXAMPLE.read_text(encoding="utf-8"))
        [published] = mqtt_subscriber.wait_for(1)
        matrix_server.wait_for(before + 1)
        daemon.wait_for(lambda: not rows(database, "select id from outbox where state != 'sent'"))
        time.sleep(3)  # a second message, if one were wrongly sent, would be here by now
    finally:
        assert daemon.stop() == 0
    [content] = matrix_server.messages()[before:]
    assert len(mqtt_subscriber.messages) == 1
    body = str(content["body"])
    html = str(content.get("formatted_body", ""))
    assert RULE in body and "article.txt" in body
    assert "openly challenged Russia" in body
    assert "<strong>Shamkhani</strong>" in html or "**Shamkhani**" in body
    assert RULE in published
    sent = rows(database, "select channel, state from outbox order by channel")
    assert [(row["channel"], row["state"]) for row in sent] == [
        ("matrix", "sent"),
        ("mqtt", "sent"),
    ]


def test_matrix_drops_a_repeated_send_of_the_same_key(matrix_server: MatrixServer) -> None:
    """The transaction id comes from the idempotency key: a send repeated with the same key
    (a retry after a lost answer) is one event in the room; a new key is a new event."""
    url = matrix_server.url()
    channel = service("matrix", url, apprise.Apprise.instantiate(url))
    message = Message(subject="Repeat", body="the same alert, twice", format="markdown")
    counts = [len(matrix_server.messages())]
    for key in ("watchd-1-matrix-repeat", "watchd-1-matrix-repeat", "watchd-2-matrix-repeat"):
        send(channel, message, key)
        counts.append(len(matrix_server.messages()))
    first, repeat, other = (b - a for a, b in pairwise(counts))
    assert first >= 1 and repeat == 0 and other == first
