"""A real MQTT broker on 127.0.0.1 (Debian's mosquitto) and a subscriber collecting what is
published on one topic.

The broker is started once per test session with a minimal configuration (one listener on
127.0.0.1, anonymous clients allowed, no persistence). If `mosquitto` is not installed
(`.ci/run` installs it), the fixture fails: it never skips.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from smtpserver import free_port

TOPIC = "watchd/alerts"
START_TIMEOUT = 20.0


class MqttBroker:
    """mosquitto on 127.0.0.1:`port`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, topic: str = TOPIC) -> str:
        """The apprise URL that publishes to `topic` (apprise's template wants a user name;
        the broker has no password file, so any name is let in)."""
        return f"mqtt://watchd@127.0.0.1:{self.port}/{topic}?qos=1"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
        )
        if binary is None:
            pytest.fail(
                "mosquitto is not installed: `apt-get install --no-install-recommends mosquitto` "
                "(.ci/run does it)"
            )
        config = self.folder / "mosquitto.conf"
        config.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "log_dest stderr\n",
            encoding="utf-8",
        )
        log = self.folder / "mosquitto.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [binary, "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"mosquitto exited with {self.process.returncode}:\n{log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"mosquitto did not listen within {START_TIMEOUT:.0f} s:\n{log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Subscriber:
    """A paho-mqtt client subscribed to `topic`, keeping every payload received."""

    def __init__(self, port: int, topic: str = TOPIC) -> None:
        self.topic = topic
        self.payloads: list[str] = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="watchd-test-reader")
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            self.close()
            raise AssertionError(f"could not subscribe to {topic!r} on port {port}")

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        client.subscribe(self.topic, qos=1)

    def _on_subscribe(self, *args: Any) -> None:
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: Any) -> None:
        with self.lock:
            self.payloads.append(message.payload.decode("utf-8", errors="replace"))

    @property
    def messages(self) -> list[str]:
        with self.lock:
            return list(self.payloads)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"expected {count} MQTT messages, got {len(self.messages)}")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture(scope="session")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MqttBroker]:
    broker = MqttBroker(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def mqtt_subscriber(mqtt_broker: MqttBroker) -> Iterator[Subscriber]:
    """A fresh subscriber on the session's broker, for one test."""
    subscriber = Subscriber(mqtt_broker.port)
    yield subscriber
    subscriber.close()
