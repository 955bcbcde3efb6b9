"""Daemon settings: `watchd.yaml`, validated, with `${VAR}` read from the environment.

```yaml
database: ./watchd.db
rules: [./rules]
channels: {local: console}
notify: [local]
sources:
  - {name: inbox, dir: ./inbox, every: 30s}
  - {name: un-press, page: "https://press.un.org/en", cron: "0 * * * *", max_age: 2d}
```

Relative paths count from the folder of the configuration file. Every problem is a
`ConfigError` located at its line and column; all are collected, then `ConfigErrors` is
raised once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    model_validator,
)

from watchd.cron import crontab
from watchd.errors import ConfigError, ConfigErrors, InputError, Location
from watchd.yamlpos import Positions, YamlPath, load_yaml, validate

CONFIG_PLACES = (Path("watchd.yaml"), Path("/etc/watchd/watchd.yaml"))
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SOURCE_KINDS = ("dir", "feed", "page")
CONSOLE = "console"  # the built-in channel that prints alerts
DEFAULT_EVERY = {"dir": timedelta(seconds=30), "feed": timedelta(minutes=10)}


def parse_duration(value: Any) -> timedelta:
    """ "30s", "10m", "1h", "2d" as a timedelta; anything else is a ValueError that says so."""
    if isinstance(value, timedelta):
        return value
    match = DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("must be a duration like 30s, 10m, 1h or 2d")
    return timedelta(seconds=int(match[1]) * UNIT_SECONDS[match[2]])


def _cron(value: str) -> str:
    try:
        crontab(value)
    except ValueError as error:
        raise ValueError(f"must be a cron expression like '0 * * * *' ({error})") from None
    return value


DIGEST_SHORTHANDS = {"hourly": "0 * * * *", "daily": "0 8 * * *", "weekly": "0 8 * * 1"}


def schedule(value: str) -> str:
    """A digest schedule: hourly, daily (08:00), weekly (Monday 08:00) or a cron line."""
    cron = DIGEST_SHORTHANDS.get(value.strip(), value)
    try:
        crontab(cron)
    except ValueError:
        raise ValueError(
            "must be hourly, daily, weekly or a cron expression like '0 8 * * 1-5'"
        ) from None
    return cron


Schedule = Annotated[str, AfterValidator(schedule)]


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Cron = Annotated[str, AfterValidator(_cron)]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Model):
    """One source: exactly one of `dir`, `feed` or `page`, polled `every` or on a `cron`."""

    name: Name
    dir: str | None = None
    feed: str | None = None
    page: str | None = None
    every: Duration | None = None
    cron: Cron | None = None
    jitter: Duration | None = None
    max_age: Duration = timedelta(days=2)
    selector: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Source:
        kinds = [kind for kind in SOURCE_KINDS if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(f"give exactly one of dir:, feed: or page: (found {len(kinds)})")
        if self.every is not None and self.cron is not None:
            raise ValueError("give every: or cron:, not both")
        if self.selector is not None and self.page is None:
            raise ValueError("selector: only applies to a page: source")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in SOURCE_KINDS if getattr(self, kind) is not None)

    @property
    def target(self) -> str:
        value: str = getattr(self, self.kind)
        return value

    @property
    def interval(self) -> timedelta | None:
        """How often to poll when no cron is given (30s for a folder, else 10m)."""
        if self.cron is not None:
            return None
        return self.every or DEFAULT_EVERY.get(self.kind, timedelta(minutes=10))


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("must be a time zone like UTC, Europe/Paris or America/New_York") from None
    return value


def _clock_time(value: Any) -> time:
    if isinstance(value, bool):
        raise ValueError("must be a time of day like 22:00")
    if isinstance(value, int):  # YAML 1.1 reads 22:00 as 1320 and 22:00:00 as 79200
        minutes, seconds = (value // 60, value % 60) if value >= 24 * 60 else (value, 0)
        value = f"{minutes // 60:02}:{minutes % 60:02}:{seconds:02}"
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValueError("must be a time of day like 22:00") from None


Zone = Annotated[str, AfterValidator(_zone)]
ClockTime = Annotated[time, BeforeValidator(_clock_time)]
Severity = Literal["info", "low", "medium", "high", "critical"]


class QuietHours(Model):
    """Alerts due between `start` and `end` wait until `end`, unless at least `bypass`."""

    start: ClockTime
    end: ClockTime
    bypass: Severity = "critical"


class Channel(Model):
    """A channel written out in full: its apprise URLs, and how its messages are shaped."""

    urls: list[str]
    digest: Schedule | None = None  # collect the channel's alerts and send them on a schedule
    template: str | None = None  # the channel's template set (a rule's own wins)


class Config(Model):
    database: str = "watchd.db"
    rules: list[str] = Field(default_factory=lambda: ["rules"])
    channels: dict[Name, str | list[str] | Channel] = Field(default_factory=dict)
    apprise: str | None = None  # an apprise configuration file whose tags name channels
    templates: str | None = None  # a folder of Jinja2 templates overriding the shipped ones
    timezone: Zone = "UTC"  # for digest schedules and quiet hours
    alert_after_failures: int = Field(default=5, ge=0)  # a failing source alerts; 0: never
    quiet_hours: QuietHours | None = None
    notify: list[Name] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    metrics: str | None = None
    contact: str = ""  # an email or URL for the User-Agent of HTTP requests
    _folder: Path = PrivateAttr(default=Path("."))
    _places: dict[YamlPath, Location] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        names = [source.name for source in self.sources]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"source names must be unique; used twice: {', '.join(twice)}")
        unknown = [name for name in self.notify if not self.has_channel(name)]
        if unknown and self.apprise is None:  # apprise tags are known once it is loaded
            raise ValueError(f"notify: names no channel {unknown[0]!r}; {self.channel_hint}")
        return self

    def has_channel(self, name: str) -> bool:
        return name in self.channels or name == CONSOLE

    def place(self, *where: str | int) -> Location:
        """Where a key of the file is (a channel's URL, `apprise:`), for messages."""
        for end in range(len(where), -1, -1):
            if where[:end] in self._places:
                return self._places[where[:end]]
        return self._places[()]

    @property
    def channel_hint(self) -> str:
        known = ", ".join([*self.channels, CONSOLE])
        return f"define it under channels: (known: {known})"

    def path(self, value: str) -> Path:
        """A path of the file, relative to the folder of the configuration file."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self._folder / path

    def resolved(self, source: Source) -> Source:
        """`source` with a relative `dir:` made relative to the configuration's folder."""
        if source.dir is None:
            return source
        return source.model_copy(update={"dir": str(self.path(source.dir).absolute())})

    @property
    def rule_paths(self) -> list[Path]:
        return [self.path(value) for value in self.rules]


def find_config(given: Path | None) -> Path | None:
    """The configuration file: the one given, else ./watchd.yaml, else /etc/watchd/."""
    if given is not None:
        return given
    return next((place for place in CONFIG_PLACES if place.is_file()), None)


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read, expand and validate one configuration file; raises ConfigErrors."""
    try:
        data, positions = load_yaml(path, path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigErrors([ConfigError(Location(str(path)), _unreadable(error))]) from None
    except InputError as error:
        raise ConfigErrors([ConfigError(error.location, error.message)]) from None
    errors: list[InputError] = list(positions.errors)
    secret: set[Location] = set()
    environ = os.environ if environ is None else environ
    data = expand(data or {}, (), positions, environ, errors, secret)
    config, problems = validate(Config, data, (), positions)
    errors += [_masked(problem, secret) for problem in problems]
    if errors or config is None:
        raise ConfigErrors(ConfigError(e.location, e.message) for e in errors)
    config._folder = path.parent
    config._places = places(data, positions)
    return config.model_copy(update={"sources": [config.resolved(s) for s in config.sources]})


def places(data: Any, positions: Positions) -> dict[YamlPath, Location]:
    """The locations of the file, its top-level keys and its channels."""
    found: dict[YamlPath, Location] = {(): positions.at(())}
    if not isinstance(data, dict):
        return found
    for key in data:
        found[(key,)] = positions.at((key,), key=True)
    for name, value in (data.get("channels") or {}).items():
        found[("channels", name)] = positions.at(("channels", name))
        urls = value.get("urls") if isinstance(value, dict) else value
        for index, _ in enumerate(urls if isinstance(urls, list) else []):
            where = ("channels", name, "urls", index) if isinstance(value, dict) else None
            found[("channels", name, index)] = positions.at(where or ("channels", name, index))
    return found


def _masked(problem: InputError, secret: set[Location]) -> InputError:
    """A value that came from the environment is not repeated in a message."""
    if problem.location not in secret or ", got " not in problem.message:
        return problem
    return InputError(problem.location, problem.message.rsplit(", got ", 1)[0])


def expand(
    data: Any,
    where: YamlPath,
    positions: Positions,
    environ: Mapping[str, str],
    errors: list[InputError],
    secret: set[Location],
) -> Any:
    """`${VAR}` in every string replaced from `environ`; a missing one is an error. The
    locations of expanded strings go into `secret`."""
    if isinstance(data, dict | list):
        pairs = data.items() if isinstance(data, dict) else enumerate(data)
        parts = {k: expand(v, (*where, k), positions, environ, errors, secret) for k, v in pairs}
        return parts if isinstance(data, dict) else list(parts.values())
    if not isinstance(data, str) or "${" not in data:
        return data
    secret.add(positions.at(where))
    for name in VARIABLE.findall(data):
        if name not in environ:
            message = f"environment variable {name!r} is not set; set it or remove ${{{name}}}"
            errors.append(ConfigError(positions.at(where), message))
    return VARIABLE.sub(lambda m: environ.get(m[1], m[0]), data)


def _unreadable(error: OSError) -> str:
    return f"cannot read the configuration: {error.strerror or error}"
