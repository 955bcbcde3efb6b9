"""watchd.sdnotify against real AF_UNIX datagram sockets, as systemd would offer them."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from watchd import sdnotify

Receive = Callable[[], str]


def listen(monkeypatch: pytest.MonkeyPatch, env: str, bind: str) -> Iterator[Receive]:
    """Bind a datagram socket at `bind`, point NOTIFY_SOCKET at `env`, yield a receiver."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(bind)
        sock.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", env)
        yield lambda: sock.recv(4096).decode("utf-8")


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receive]:
    """A notify socket at a file system path."""
    path = str(tmp_path / "notify")
    yield from listen(monkeypatch, path, path)


@pytest.fixture
def abstract(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receive]:
    """A notify socket in the abstract namespace ("@name")."""
    name = f"watchd-test-{uuid.uuid4().hex}"
    yield from listen(monkeypatch, "@" + name, "\0" + name)


def test_without_notify_socket_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify("READY=1") is False
    assert sdnotify.ready() is False


def test_notify_sends_states_as_lines(systemd: Receive) -> None:
    assert sdnotify.notify("READY=1", "STATUS=watching 3 sources") is True
    assert systemd() == "READY=1\nSTATUS=watching 3 sources"


def test_notify_reaches_an_abstract_socket(abstract: Receive) -> None:
    assert sdnotify.notify("WATCHDOG=1") is True
    assert abstract() == "WATCHDOG=1"


def test_notify_without_states_sends_nothing(systemd: Receive) -> None:
    assert sdnotify.notify() is False


@pytest.mark.parametrize(
    ("send", "expected"),
    [
        (lambda: sdnotify.ready(), "READY=1"),
        (lambda: sdnotify.ready("watching 3 sources"), "READY=1\nSTATUS=watching 3 sources"),
        (lambda: sdnotify.stopping(), "STOPPING=1"),
        (lambda: sdnotify.stopping("bye"), "STOPPING=1\nSTATUS=bye"),
        (lambda: sdnotify.watchdog(), "WATCHDOG=1"),
        (lambda: sdnotify.status("polling\ninbox"), "STATUS=polling inbox"),
    ],
)
def test_helpers_send(systemd: Receive, send: Callable[[], bool], expected: str) -> None:
    assert send() is True
    assert systemd() == expected


def test_reloading_carries_monotonic_time(systemd: Receive) -> None:
    before = time.monotonic_ns() // 1000
    assert sdnotify.reloading("reloading rules") is True
    after = time.monotonic_ns() // 1000
    state, clock, status = systemd().split("\n")
    key, _, usec = clock.partition("=")
    assert (state, key, status) == ("RELOADING=1", "MONOTONIC_USEC", "STATUS=reloading rules")
    assert before <= int(usec) <= after


@pytest.mark.parametrize("where", ["missing", "file"])
def test_send_error_returns_false_and_logs(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    """A socket that is gone, or a path that is no socket: False, a DEBUG line, no raise."""
    path = tmp_path / where
    if where == "file":
        path.write_text("not a socket")
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    with caplog.at_level(logging.DEBUG, logger="watchd.sdnotify"):
        assert sdnotify.ready() is False
    assert "sd_notify" in caplog.text and "failed" in caplog.text


@pytest.mark.parametrize("value", ["", "relative/notify", "vsock:2:1234"])
def test_unknown_socket_forms_are_ignored(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", value)
    assert sdnotify.socket_address() is None
    assert sdnotify.ready() is False


@pytest.mark.parametrize(
    ("usec", "pid", "expected"),
    [
        (None, None, None),
        ("60000000", None, 30.0),
        ("60000000", "self", 30.0),
        ("60000000", "other", None),
        ("1000000", None, 0.5),
        ("0", None, None),
        ("-5", None, None),
        ("soon", None, None),
    ],
)
def test_watchdog_interval(
    monkeypatch: pytest.MonkeyPatch, usec: str | None, pid: str | None, expected: float | None
) -> None:
    pids = {"self": str(os.getpid()), "other": str(os.getpid() + 1)}
    for name, value in (("WATCHDOG_USEC", usec), ("WATCHDOG_PID", pids.get(pid or ""))):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert sdnotify.watchdog_interval() == expected


def test_monotonic_usec_is_now_on_the_monotonic_clock() -> None:
    before = time.monotonic_ns() // 1000
    key, _, usec = sdnotify.monotonic_usec().partition("=")
    assert key == "MONOTONIC_USEC"
    assert before <= int(usec) <= time.monotonic_ns() // 1000
