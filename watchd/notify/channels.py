"""Channels: the names rules notify, each resolved to the services apprise sends to.

A channel in `watchd.yaml` is one apprise URL or a list of them; an apprise configuration
file (`apprise:`) adds channels named by its tags; `console` is built in. Each URL
becomes one `Service`, known by a short hash of its URL (stable across restarts and
reorderings, never the secret itself) and shown masked.

apprise only logs a URL it cannot load and goes on; here that is a ConfigError at the
channel's line, so a typo in a channel fails `watchd check` and the daemon's start.
apprise is imported here and in `send.py`, nowhere else.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import apprise

from watchd.config import CONSOLE, Config
from watchd.errors import ConfigError, ConfigErrors

CAPTURE_LOCK = threading.Lock()  # apprise logs to one global logger
EMAIL_SCHEMAS = frozenset({"mailto", "mailtos"})
WEBHOOK_SCHEMAS = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://\S*", re.IGNORECASE)
LOG_LINE = re.compile(r"^(?:ERROR|WARNING) - (.*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Service:
    """One place a channel sends to. `kind` picks how messages are rendered: `email`
    (HTML with a text alternative), `chat` (Markdown), `text`, or `console`."""

    channel: str
    id: str
    masked: str
    kind: str
    plugin: Any = field(default=None, compare=False, repr=False)


@dataclass
class Channels:
    """Every channel's services, by channel name."""

    services: dict[str, list[Service]]

    def __contains__(self, name: str) -> bool:
        return name in self.services

    def targets(self, channel: str) -> list[str]:
        """The ids of `channel`'s services (one outbox row each); none if unknown."""
        return [service.id for service in self.services.get(channel, [])]

    def service(self, channel: str, ident: str) -> Service | None:
        return next((s for s in self.services.get(channel, []) if s.id == ident), None)

    def hint(self) -> str:
        return f"known channels: {', '.join(sorted(self.services))}"


def console_service(channel: str = CONSOLE) -> Service:
    return Service(channel, "", "console", "console")


def load_channels(config: Config) -> Channels:
    """Every channel of `config` loaded through apprise; raises ConfigErrors listing each
    URL apprise cannot load, at its line."""
    errors: list[ConfigError] = []
    services: dict[str, list[Service]] = {CONSOLE: [console_service()]}
    for name, value in config.channels.items():
        urls = [value] if isinstance(value, str) else getattr(value, "urls", value)
        services[name] = [
            s for i, url in enumerate(urls) if (s := _service(config, name, i, url, errors))
        ]
    if config.apprise:
        for name, found in _tagged(config, errors).items():
            services.setdefault(name, []).extend(found)
    if errors:
        raise ConfigErrors(errors)
    return Channels(services)


def _service(
    config: Config, name: str, index: int, url: str, errors: list[ConfigError]
) -> Service | None:
    if url.strip() == CONSOLE:
        return console_service(name)
    with captured() as log:
        plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        where = config.place("channels", name, index)
        which = f"URL {index + 1} of channel {name!r}" if index else f"channel {name!r}"
        errors.append(ConfigError(where, f"{which}: apprise cannot load it: {reason(log())}"))
        return None
    return service(name, url, plugin)


def service(channel: str, url: str, plugin: Any) -> Service:
    """The Service for a loaded apprise plugin, with pacing and retries left to watchd."""
    plugin.request_rate_per_sec = 0  # watchd's outbox paces and retries
    if hasattr(plugin, "retry"):
        plugin.retry = 0
    ident = hashlib.sha256(url.encode()).hexdigest()[:12]
    masked = str(plugin.url(privacy=True)).split("?", 1)[0]  # the options are noise here
    return Service(channel, ident, masked, kind_of(plugin), plugin)


def _tagged(config: Config, errors: list[ConfigError]) -> dict[str, list[Service]]:
    """The services of the apprise configuration file, by tag."""
    assert config.apprise is not None
    path = config.path(config.apprise)
    where = config.place("apprise")
    if not path.is_file():
        errors.append(ConfigError(where, f"apprise: no such file {str(path)!r}"))
        return {}
    loader = apprise.AppriseConfig()
    loader.add(str(path))
    with captured() as log:
        plugins = loader.services()
    for line in LOG_LINE.findall(log()):
        errors.append(ConfigError(where, f"apprise: {path.name}: {line}"))
    found: dict[str, list[Service]] = {}
    for plugin in plugins:
        url = plugin.url(privacy=False)
        for tag in sorted(str(t) for t in plugin.tags) or ["untagged"]:
            found.setdefault(tag, []).append(service(tag, url, plugin))
    return found


def kind_of(plugin: Any) -> str:
    """How to render for a plugin: email, chat (it takes Markdown) or text."""
    schemas = set(_schemas(plugin))
    if schemas & EMAIL_SCHEMAS:
        return "email"
    formats = plugin.notify_format
    formats = formats if isinstance(formats, tuple | list) else (formats,)
    markdown = apprise.NotifyFormat.MARKDOWN in formats
    return "chat" if markdown and not schemas & WEBHOOK_SCHEMAS else "text"


def _schemas(plugin: Any) -> Iterator[str]:
    for attribute in ("secure_protocol", "protocol"):
        value = getattr(plugin, attribute, None)
        values = value if isinstance(value, tuple | list) else (value,)
        yield from (str(v) for v in values if v)


@contextmanager
def captured(level: int = logging.WARNING) -> Iterator[Callable[[], str]]:
    """What apprise logs inside the block, as text (apprise has no other way to say why)."""
    with CAPTURE_LOCK, apprise.LogCapture(level=level, fmt="%(levelname)s - %(message)s") as log:
        yield log.getvalue


def reason(log: str) -> str:
    """The last error or warning line apprise logged, or a generic reason; a URL in it is
    cut to its scheme (apprise's own masking keeps some characters of a password)."""
    lines: Sequence[str] = LOG_LINE.findall(log)
    line = lines[-1] if lines else "unsupported or malformed URL"
    return URL.sub(lambda m: f"{m[1]}://…", line)
