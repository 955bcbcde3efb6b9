"""From an outbox row to a sent message: the row's service, the message rendered for
its kind, and the send."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from watchd.config import Channel, Config
from watchd.errors import TemplateError
from watchd.notify.channels import Channels, Service, load_channels
from watchd.notify.console import Console
from watchd.notify.messages import Renderer
from watchd.notify.outbox import DeliveryError, Send, SendGroup
from watchd.notify.send import send
from watchd.rules import RuleSet
from watchd.store import OutboxRow, StoredHit


class Dispatcher:
    """Sends rows of every channel: console rows to the console, others through apprise."""

    def __init__(
        self,
        channels: Channels,
        renderer: Renderer,
        console: Console,
        templates: Mapping[str, str] | None = None,
        channel_templates: Mapping[str, str] | None = None,
    ) -> None:
        self.channels = channels
        self.renderer = renderer
        self.console = console
        self.templates = templates or {}  # rule id -> its template set
        self.channel_templates = channel_templates or {}

    @classmethod
    def build(cls, config: Config, ruleset: RuleSet, stream: TextIO) -> Dispatcher:
        """The dispatcher of a configuration; raises ConfigErrors for a channel apprise
        cannot load."""
        folders = [config.path(config.templates)] if config.templates else []
        channel_templates = {
            name: channel.template
            for name, channel in config.channels.items()
            if isinstance(channel, Channel) and channel.template
        }
        return cls(
            load_channels(config),
            Renderer(folders),
            Console(stream),
            templates(ruleset),
            channel_templates,
        )

    def senders(self) -> dict[str, Send]:
        """One sender per channel, for the outbox worker."""
        return {name: self.send for name in self.channels.services}

    def group_senders(self) -> dict[str, SendGroup]:
        return {name: self.send_group for name in self.channels.services}

    def send_group(self, hits: Sequence[StoredHit], rows: Sequence[OutboxRow], key: str) -> None:
        """Several held alerts of one channel and service as one digest message."""
        service = self._service(rows[0])
        if service.kind == "console":
            for hit, row in zip(hits, rows, strict=True):
                self.console.send(hit, row)
            return
        try:
            message = self.renderer.digest(hits, service.kind, digest_title(hits, rows[0]))
        except TemplateError as error:
            raise DeliveryError(str(error), permanent=True) from None
        send(service, message, key)

    def _service(self, row: OutboxRow) -> Service:
        service = self.channels.service(row.channel, row.service)
        if service is None:
            raise DeliveryError(
                f"channel {row.channel!r} has no such service any more (the configuration "
                "changed); `watchd resend` it once the channel is back",
                permanent=True,
            )
        return service

    def send(self, hit: StoredHit, row: OutboxRow) -> None:
        service = self._service(row)
        if service.kind == "console":
            self.console.send(hit, row)
            return
        try:
            template = self.templates.get(hit.rule) or self.channel_templates.get(row.channel)
            message = self.renderer.alert(hit, service.kind, template or "alert")
        except TemplateError as error:
            raise DeliveryError(str(error), permanent=True) from None
        send(service, message, row.idempotency_key)


def templates(ruleset: RuleSet) -> dict[str, str]:
    """The template set of each rule that names one."""
    return {rule.id: rule.model.template for rule in ruleset.rules if rule.model.template}


def digest_title(hits: Sequence[StoredHit], row: OutboxRow) -> str:
    """What a group of held alerts is called in its message; the renderer adds the counts
    (`Resolution on Aleppo: 3 alerts (1 rule)`)."""
    if row.grp and row.grp.startswith("digest:@"):
        return "watchd digest"
    if row.grp and row.grp.startswith(("digest:", "throttle:")):
        return hits[0].title or hits[0].rule
    return "Held during quiet hours"
