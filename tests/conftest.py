"""Fixtures every test gets."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

LOCAL_HOSTS = {"localhost", ""}


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
