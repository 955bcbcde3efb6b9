"""Fixtures every test gets."""

from __future__ import annotations

import ipaddress
import socket
import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from httpserver import LocalServer
from matrixserver import matrix_server  # noqa: F401  (a fixture)
from mqttserver import mqtt_broker, mqtt_subscriber  # noqa: F401  (fixtures)
from smtpserver import smtp_server  # noqa: F401  (a fixture)

from watchd.documents import Document
from watchd.matcher import Matcher
from watchd.rules import RuleSet, load_rules

LOCAL_HOSTS = {"localhost", ""}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="Rewrite golden files from actual output."
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


class InternetBlocked(RuntimeError):
    """A test tried to reach a host other than this machine."""


def is_local(address: Any) -> bool:
    """True for loopback addresses, `localhost` and Unix socket paths."""
    if not isinstance(address, tuple):
        return True
    host = str(address[0]).split("%")[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() in LOCAL_HOSTS


def refuse(address: Any) -> None:
    if not is_local(address):
        raise InternetBlocked(f"tests must not reach the internet: tried to connect to {address!r}")


@pytest.fixture(autouse=True)
def block_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: connecting anywhere but loopback raises InternetBlocked."""
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex
    create_connection = socket.create_connection

    def guarded_connect(self: socket.socket, address: Any) -> None:
        refuse(address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        refuse(address)
        return connect_ex(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        refuse(address)
        return create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 with routes the test sets (see tests/httpserver.py)."""
    with LocalServer() as server:
        yield server


def write_rules(folder: Path, text: str, name: str = "rules.yaml") -> Path:
    """A rule file in `folder` holding `text` (dedented)."""
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def ruleset(tmp_path: Path) -> Callable[[str], RuleSet]:
    """Compile YAML text, with the default lexicon, into a RuleSet."""

    def build(text: str) -> RuleSet:
        return load_rules([write_rules(tmp_path, text)])

    return build


@pytest.fixture
def fired(ruleset: Callable[[str], RuleSet]) -> Callable[..., list[str]]:
    """The ids of the rules in YAML `rules` that fire on `text` (and `title`)."""

    def run(rules: str, text: str, title: str = "", published: datetime | None = None) -> list[str]:
        document = Document(source="test", text=text, title=title, published=published)
        return [hit.rule for hit in Matcher(ruleset(rules)).match(document)]

    return run
