"""`watchd run` as systemd sees it: sd_notify messages, /metrics and /healthz, reloading
watchd.yaml on SIGHUP."""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.daemon import Daemon, drop, write_config

RULE = "rules:\n  - id: shamkhani\n    watch: Shamkhani criticizes Russia\n"
SENTENCE = "Shamkhani criticized Russia on Monday."


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd's notification socket."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(0.2)
    yield sock
    sock.close()


def received(sock: socket.socket, messages: list[str]) -> list[str]:
    """Every message waiting on `sock`, added to `messages`."""
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except TimeoutError:
            return messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rules_folder(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "mission.yaml").write_text(RULE, encoding="utf-8")
    return rules


def test_the_daemon_speaks_sd_notify(tmp_path: Path, notify_socket: socket.socket) -> None:
    config = write_config(tmp_path, "- {name: inbox, dir: ./inbox, every: 1s}")
    environment = {"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "1000000"}
    daemon = Daemon(config, environment)
    messages: list[str] = []
    try:
        daemon.wait_for(lambda: any("READY=1" in m for m in received(notify_socket, messages)))
        daemon.wait_for(lambda: received(notify_socket, messages).count("WATCHDOG=1") >= 2)
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda: any("RELOADING=1" in m for m in received(notify_socket, messages)))
    finally:
        assert daemon.stop() == 0
    received(notify_socket, messages)
    ready = next(m for m in messages if "READY=1" in m)
    assert "STATUS=watching 1 sources with" in ready
    reloading = next(m for m in messages if "RELOADING=1" in m)
    assert re.search(r"MONOTONIC_USEC=\d+", reloading)
    assert any("STOPPING=1" in m for m in messages)
    assert messages.index(reloading) < max(i for i, m in enumerate(messages) if "READY=1" in m)


def test_metrics_and_health_are_served(tmp_path: Path) -> None:
    port = free_port()
    rules = rules_folder(tmp_path)
    sources = "- {name: inbox, dir: ./inbox, every: 1s}"
    config = write_config(tmp_path, sources, rules, extra=f"metrics: 127.0.0.1:{port}")
    (tmp_path / "inbox").mkdir()
    daemon = Daemon(config)
    base = f"http://127.0.0.1:{port}"
    try:
        daemon.wait_for(lambda: "watchd started" in daemon.stderr)
        drop(tmp_path / "inbox", "a.txt", SENTENCE)
        daemon.wait_for(lambda: "ALERT shamkhani:" in daemon.stdout)
        daemon.wait_for(
            lambda: (
                'watchd_deliveries_total{channel="console",outcome="ok"} 1.0'
                in (httpx.get(f"{base}/metrics").text)
            )
        )
        metrics = httpx.get(f"{base}/metrics").text
        health = httpx.get(f"{base}/healthz")
    finally:
        assert daemon.stop() == 0
    assert 'watchd_documents_total{source="inbox"} 1.0' in metrics
    assert 'watchd_hits_total{rule="shamkhani"} 1.0' in metrics
    assert re.search(r'watchd_polls_total\{outcome="ok",source="inbox"\} [1-9]', metrics)
    assert (health.status_code, health.text.strip()) == (200, "ok")


def test_sighup_rereads_the_configuration(tmp_path: Path) -> None:
    rules = rules_folder(tmp_path)
    config = write_config(tmp_path, "- {name: first, dir: ./first, every: 1s}", rules)
    (tmp_path / "first").mkdir()
    daemon = Daemon(config)
    try:
        daemon.wait_for(lambda: "watchd started" in daemon.stderr)
        broken = config.read_text().replace("every: 1s}", "every: 1s, evry: 2s}")
        config.write_text(broken, encoding="utf-8")
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda: "reload refused" in daemon.stderr)
        assert "unknown key 'evry'" in daemon.stderr
        sources = (
            "- {name: first, dir: ./first, every: 1s}\n- {name: second, dir: ./second, every: 1s}"
        )
        write_config(tmp_path, sources, rules)
        (tmp_path / "second").mkdir()
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda: "source second added" in daemon.stderr)
        drop(tmp_path / "second", "b.txt", SENTENCE)
        daemon.wait_for(lambda: "ALERT shamkhani:" in daemon.stdout)
        assert "second:" in daemon.stdout
    finally:
        assert daemon.stop() == 0
