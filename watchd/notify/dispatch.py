"""From an outbox row to a sent message: the row's service, the message rendered for
its kind, and the send."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from watchd.config import Config
from watchd.errors import TemplateError
from watchd.notify.channels import Channels, load_channels
from watchd.notify.console import Console
from watchd.notify.messages import Renderer
from watchd.notify.outbox import DeliveryError, Send
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
    ) -> None:
        self.channels = channels
        self.renderer = renderer
        self.console = console
        self.templates = templates or {}  # rule id -> its template set

    @classmethod
    def build(cls, config: Config, ruleset: RuleSet, stream: TextIO) -> Dispatcher:
        """The dispatcher of a configuration; raises ConfigErrors for a channel apprise
        cannot load."""
        folders = [config.path(config.templates)] if config.templates else []
        return cls(load_channels(config), Renderer(folders), Console(stream), templates(ruleset))

    def senders(self) -> dict[str, Send]:
        """One sender per channel, for the outbox worker."""
        return {name: self.send for name in self.channels.services}

    def send(self, hit: StoredHit, row: OutboxRow) -> None:
        service = self.channels.service(row.channel, row.service)
        if service is None:
            raise DeliveryError(
                f"channel {row.channel!r} has no such service any more (the configuration "
                "changed); `watchd resend` it once the channel is back",
                permanent=True,
            )
        if service.kind == "console":
            self.console.send(hit, row)
            return
        try:
            message = self.renderer.alert(hit, service.kind, self.templates.get(hit.rule, "alert"))
        except TemplateError as error:
            raise DeliveryError(str(error), permanent=True) from None
        send(service, message, row.idempotency_key)


def templates(ruleset: RuleSet) -> dict[str, str]:
    """The template set of each rule that names one."""
    return {rule.id: rule.model.template for rule in ruleset.rules if rule.model.template}
