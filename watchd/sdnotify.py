"""The sd_notify protocol: tell systemd that watchd is ready, reloading, stopping or alive.

systemd passes a datagram socket in `$NOTIFY_SOCKET` (a file system path, or an abstract
socket when it starts with "@"); each message is newline-separated `KEY=value` lines. Without
`$NOTIFY_SOCKET` (not under systemd, or not `Type=notify`) every call does nothing and
returns False. A failed send is logged at DEBUG and never raised: systemd going away must not
stop the daemon.

```python
sdnotify.ready("watching 12 sources")
sdnotify.reloading()
...
sdnotify.ready()
interval = sdnotify.watchdog_interval()  # ping sdnotify.watchdog() this often, or None
```
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger(__name__)

READY = "READY=1"
RELOADING = "RELOADING=1"
STOPPING = "STOPPING=1"
WATCHDOG = "WATCHDOG=1"


def notify(*states: str) -> bool:
    """Send `states` ("READY=1", "STATUS=...") as one message; True if systemd got it."""
    address = socket_address()
    if address is None or not states:
        return False
    message = "\n".join(states).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message, address)
    except OSError as error:
        log.debug("sd_notify to %r failed: %s", os.environ.get("NOTIFY_SOCKET"), error)
        return False
    log.debug("sd_notify: %s", message.decode("utf-8").replace("\n", " "))
    return True


def socket_address() -> str | None:
    """`$NOTIFY_SOCKET` as an address for `sendto`, or None when unset or not understood."""
    value = os.environ.get("NOTIFY_SOCKET", "")
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    if value:
        log.debug("ignoring NOTIFY_SOCKET %r: neither a path nor an abstract socket", value)
    return None


def ready(status: str | None = None) -> bool:
    """Started, or finished reloading; with an optional status line."""
    return notify(READY, *status_states(status))


def reloading(status: str | None = None) -> bool:
    """Reloading; send `ready()` when done. Carries the MONOTONIC_USEC systemd 253+ wants."""
    return notify(RELOADING, monotonic_usec(), *status_states(status))


def monotonic_usec() -> str:
    """ "MONOTONIC_USEC=<now>" on CLOCK_MONOTONIC, to send with "RELOADING=1"."""
    return f"MONOTONIC_USEC={time.monotonic_ns() // 1000}"


def stopping(status: str | None = None) -> bool:
    """Shutting down."""
    return notify(STOPPING, *status_states(status))


def watchdog() -> bool:
    """Still alive: reset systemd's watchdog timer (`WatchdogSec=`)."""
    return notify(WATCHDOG)


def status(text: str) -> bool:
    """A one-line status shown by `systemctl status`."""
    return notify(*status_states(text))


def status_states(text: str | None) -> list[str]:
    """`["STATUS=text"]` on one line, or nothing when `text` is None."""
    if text is None:
        return []
    return ["STATUS=" + " ".join(text.splitlines())]


def watchdog_interval() -> float | None:
    """Seconds between `watchdog()` pings: half of `$WATCHDOG_USEC`; None if no watchdog.

    None too when `$WATCHDOG_PID` names another process (the variable was inherited).
    """
    pid = os.environ.get("WATCHDOG_PID")
    if pid is not None and pid != str(os.getpid()):
        return None
    try:
        usec = int(os.environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2 / 1_000_000 if usec > 0 else None
