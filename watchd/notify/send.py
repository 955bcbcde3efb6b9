"""Sending one message to one apprise service, with watchd's idempotency key on it.

apprise answers a send with True or False and logs why; the reason is read from its log
and classified: an HTTP 4xx (but 408, 425, 429) or an SMTP 5xx will fail again the same
way (permanent), anything else may pass later (transient).

The key travels where the receiving side can use it to drop a repeat: the Message-ID of
an email, an `Idempotency-Key` header on webhooks. apprise always generates its own
Message-ID (and appends a custom one as a second header), so its email module's
`make_msgid` is wrapped here to return ours while a send is in progress. A Matrix
homeserver drops an event whose transaction id it has already seen from the same device
(`PUT /rooms/{room}/send/m.room.message/{txnId}`); apprise numbers those from a counter,
so the counter is set from the key before each send.
"""

from __future__ import annotations

import contextvars
import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any

import apprise.plugins.email.base as apprise_email

from watchd.notify.channels import Service, captured
from watchd.notify.messages import Message
from watchd.notify.outbox import DeliveryError

log = logging.getLogger(__name__)

HTTP_STATUS = re.compile(r"error=(\d{3})\b")
SMTP_REPLY = re.compile(r"\((\d{3}), b['\"]")
RETRYABLE_HTTP = frozenset({408, 425, 429})
FAILURE_LINE = re.compile(r"^(?:ERROR|WARNING) - (.*)$", re.MULTILINE)
DETAIL_LINE = re.compile(
    r"^DEBUG - (?:Socket Exception|Response Details):[ \t]*(?:\r?\n)?(.*)$", re.MULTILINE
)
MAX_DETAIL = 200

MESSAGE_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("message_id", default=None)


def _our_message_id(original: Callable[..., str]) -> Callable[..., str]:
    def make_msgid(*args: Any, **kwargs: Any) -> str:
        return MESSAGE_ID.get() or original(*args, **kwargs)

    return make_msgid


setattr(apprise_email, "make_msgid", _our_message_id(getattr(apprise_email, "make_msgid")))  # noqa: B009, B010


def send(service: Service, message: Message, key: str) -> None:
    """Send `message` through `service`; raises DeliveryError saying why it failed."""
    plugin = service.plugin
    if isinstance(getattr(plugin, "headers", None), dict):
        plugin.headers["Idempotency-Key"] = key
    if isinstance(getattr(plugin, "transaction_id", None), int):  # Matrix
        plugin.transaction_id = transaction_number(key)
    token = MESSAGE_ID.set(f"<{key}@watchd>")
    try:
        with captured(logging.DEBUG) as log_text:
            ok = plugin.notify(
                body=message.body,
                title=message.subject,
                body_format=message.format,
                **overflow(plugin, message),
            )
    finally:
        MESSAGE_ID.reset(token)
    if not ok:
        raise failure(log_text())


def transaction_number(key: str) -> int:
    """The Matrix transaction id of `key`: a number, as apprise adds 1 to it after a send."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)


def overflow(plugin: Any, message: Message) -> dict[str, str]:
    """Split an alert longer than the service takes (a chat's 2,000 characters) into
    several messages rather than lose its end; apprise splits short ones too, so only
    then."""
    limit = getattr(plugin, "body_maxlen", 0)
    return {"overflow": "split"} if limit and len(message.body) > limit else {}


def failure(log_text: str) -> DeliveryError:
    """The DeliveryError for what apprise logged about a failed send."""
    lines = FAILURE_LINE.findall(log_text)
    details = [clip(detail) for detail in DETAIL_LINE.findall(log_text) if detail.strip()]
    reason = "; ".join(dict.fromkeys([*lines[-1:], *details[-1:]])) or "the service refused it"
    return DeliveryError(reason, permanent=permanent(log_text))


def clip(detail: str) -> str:
    """A server's answer on one short line (apprise shows bodies as b'...')."""
    detail = " ".join(detail.split())
    if detail[:2] in ("b'", 'b"') and detail[-1:] == detail[1]:
        detail = detail[2:-1]
    return detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"


def permanent(log_text: str) -> bool:
    """Whether the failure will repeat: a client error of HTTP, a permanent one of SMTP."""
    statuses = [int(s) for s in HTTP_STATUS.findall(log_text)]
    if any(400 <= s < 500 and s not in RETRYABLE_HTTP for s in statuses):
        return True
    return any(code.startswith("5") for code in SMTP_REPLY.findall(log_text))
