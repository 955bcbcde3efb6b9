"""Errors, and where in an input file they were found.

The tree::

    WatchdError
    ├── InputError           one problem in an input file, with its Location
    │   ├── RuleError        ... in a rule or lexicon file
    │   └── ConfigError      ... in watchd.yaml
    ├── InputErrors          all problems of a set of files, collected before failing
    │   ├── RuleErrors
    │   └── ConfigErrors
    ├── DocumentError        a document that cannot be read (binary, undecodable, too big)
    ├── SourceError          one poll of a source failed (HTTP 500, timeout, not a feed)
    ├── StoreError           the database cannot be opened or is from a newer watchd
    └── NotifyError          an alert cannot be turned into a message or sent
        └── TemplateError    a message template that does not compile or render, at file:line

Only the CLI turns these into messages and exit codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """A place in an input file; line and col count from 1."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        return f"{self.path}:{self.line}:{self.col}"


class WatchdError(Exception):
    """The root of every error watchd raises on purpose."""


class InputError(WatchdError):
    """One problem in an input file, printed as `path:line:col: message`."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


class RuleError(InputError):
    """One problem in a rule or lexicon file."""


class ConfigError(InputError):
    """One problem in the daemon's configuration file."""


class InputErrors(WatchdError):
    """Every problem found in a set of files; raised once, after all were read."""

    def __init__(self, errors: Iterable[InputError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.location, e.message))
        super().__init__("\n".join(str(e) for e in self.errors))

    def __iter__(self) -> Iterator[InputError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)


class RuleErrors(InputErrors):
    """Every problem of a rule set."""


class ConfigErrors(InputErrors):
    """Every problem of a configuration file."""


class DocumentError(WatchdError):
    """A document that cannot be matched; says which and why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class SourceError(WatchdError):
    """One poll of a source failed as a whole; `retry_after` is what the server asked for."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class StoreError(WatchdError):
    """The database cannot be used: unreadable, locked for too long, or newer than watchd."""


class NotifyError(WatchdError):
    """An alert cannot be delivered as asked: its message or its channel is unusable."""


class TemplateError(NotifyError):
    """A message template that does not compile or render, printed as `file:line: message`."""

    def __init__(self, template: str, message: str, line: int = 0) -> None:
        super().__init__(f"{template}:{line}: {message}" if line > 0 else f"{template}: {message}")
        self.template = template
        self.line = line
        self.message = message
