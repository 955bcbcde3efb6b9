"""The `dir` source: new and changed files under a folder, read as `watchd match` reads them.

Each poll walks the folder (sorted, recursively, without hidden and temporary files, so a
write-then-rename convention works) and compares what it finds with the state of the
last poll::

    {"files": {"news/a.jsonl": {"size": 120, "mtime_ns": 1718000000000000000,
                                "sha256": "9f2c..."}}}

A file whose size and mtime are unchanged is not opened again. A new or changed file is
read only once it has settled: its mtime is at least `SETTLE` old and its size is the one
the previous poll saw, if any; `"pending": n` counts the polls it was put off. A file whose
size changes on every poll is read after `PATIENCE` polls if its mtime is old enough, so an
often appended log is not put off forever.

Each Document of a file is an `Item` keyed by the relative path and the mark `formats`
gives it (`a.jsonl:3` for line 3, `b.json[0]` for a list's first object), versioned by
the hash of its title and text, so appending a line to a JSON Lines file makes only that
line new. A file that cannot be read or parsed is a
`Problem`, remembered so that it is reported once per content (or per size and mtime when
it cannot be opened: such a file is tried again on every poll, as opening costs nothing).
Only a missing or unreadable folder fails the poll.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat as stat_mode
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from watchd.config import Source
from watchd.documents import Document, read_limited
from watchd.errors import DocumentError, SourceError
from watchd.formats import MAX_DOCUMENT_BYTES, parse_bytes
from watchd.sources.base import Context, Item, Poll, Problem, State

logger = logging.getLogger(__name__)

SETTLE = timedelta(seconds=2)  # a file younger than this may still be being written
PATIENCE = 3  # polls a file whose size keeps changing is put off before its mtime is trusted
TEMPORARY_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp")


def skipped(name: str) -> bool:
    """Hidden names, and the temporary names of editors and downloads."""
    lower = name.lower()
    editor_backup = name.endswith("~") or (len(name) > 1 and name[0] == name[-1] == "#")
    return name.startswith(".") or editor_backup or lower.endswith(TEMPORARY_SUFFIXES)


def utc(ns: int) -> datetime:
    """A time in nanoseconds since the epoch as an aware UTC datetime."""
    seconds, rest = divmod(ns, 10**9)
    return datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest // 1000)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stamp(size: int, mtime_ns: int) -> str:
    """The version of a file that could not be read: its size and mtime."""
    return f"{size}-{mtime_ns}"


@dataclass(frozen=True, slots=True)
class Seen:
    """What a poll saw of one file.

    `sha256` is the hash of the bytes last read ("" if never read). `pending` counts the
    polls in a row that saw the file but put off reading it; `error` says why it could not
    be opened.
    """

    size: int
    mtime_ns: int
    sha256: str = ""
    pending: int = 0
    error: str = ""

    @classmethod
    def at(cls, status: os.stat_result, sha: str = "", pending: int = 0, error: str = "") -> Seen:
        return cls(status.st_size, status.st_mtime_ns, sha, pending, error)

    @classmethod
    def load(cls, data: Any) -> Seen | None:
        """The entry saved by `dump`, or None if it is not one (then the file is read anew)."""
        try:
            size, mtime_ns, sha = int(data["size"]), int(data["mtime_ns"]), str(data["sha256"])
            return cls(size, mtime_ns, sha, int(data.get("pending", 0)), str(data.get("error", "")))
        except (KeyError, TypeError, ValueError):
            return None

    def dump(self) -> dict[str, Any]:
        data: dict[str, Any] = {"size": self.size, "mtime_ns": self.mtime_ns, "sha256": self.sha256}
        return data | ({"pending": self.pending} if self.pending else {}) | self._error

    @property
    def _error(self) -> dict[str, str]:
        return {"error": self.error} if self.error else {}

    def same_file(self, status: os.stat_result) -> bool:
        return (self.size, self.mtime_ns) == (status.st_size, status.st_mtime_ns)

    def unchanged(self, status: os.stat_result) -> bool:
        """True if this file was read (or found unparsable) as it is now."""
        return not self.pending and not self.error and self.same_file(status)


def load_state(state: State) -> dict[str, Seen]:
    files = state.get("files")
    if not isinstance(files, dict):
        return {}
    loaded = {str(rel): Seen.load(data) for rel, data in files.items()}
    return {rel: seen for rel, seen in loaded.items() if seen is not None}


@dataclass(frozen=True, slots=True)
class Listing:
    """The files under a folder, as sorted relative POSIX paths, and subfolders not listed."""

    files: list[str] = field(default_factory=list)
    unlisted: dict[str, str] = field(default_factory=dict)  # relative folder -> reason


class DirSource:
    """New and changed files under the folder `source.target`; see the module docstring."""

    settle: timedelta = SETTLE
    patience: int = PATIENCE

    def __init__(self, source: Source, context: Context, *, settle: timedelta | None = None):
        self.name = source.name
        self.folder = Path(source.target).expanduser().absolute()
        self.context = context
        if settle is not None:
            self.settle = settle

    def poll(self, state: State) -> Poll:
        """What changed since the poll that left `state`; SourceError if the folder is gone."""
        listing = self.list_files()
        scan = Scan(self, load_state(state), self.context.now())
        scan.run(listing)
        poll = scan.poll
        logger.debug(
            "%s: %d files, %d items, %d problems",
            self.name,
            len(listing.files),
            len(poll.items),
            len(poll.problems),
        )
        return poll

    def close(self) -> None:
        """Nothing to release: a folder source holds no files or connections between polls."""

    def read_bytes(self, path: Path) -> bytes:
        """The bytes of `path` as `watchd match` reads them (a hook for tests)."""
        return read_limited(path, MAX_DOCUMENT_BYTES)

    def list_files(self) -> Listing:
        """Every file under the folder to look at; SourceError if the folder cannot be listed."""
        if not self.folder.exists():
            raise SourceError(self._missing("does not exist"))
        if not self.folder.is_dir():
            raise SourceError(self._missing("is not a folder"))
        listing = Listing()
        try:
            walk(self.folder, "", listing)
        except OSError as error:
            reason = f"cannot list folder {str(self.folder)!r}: {error.strerror or error}"
            raise SourceError(f"{reason}; check its permissions") from None
        listing.files.sort()
        return listing

    def _missing(self, what: str) -> str:
        where = str(self.folder)
        return f"folder {where!r} {what}; create it or fix dir: in the configuration"


def walk(folder: Path, prefix: str, listing: Listing) -> None:
    """Add the files under `folder` to `listing`; raises OSError if `folder` is the root."""
    try:
        with os.scandir(folder) as found:
            entries = list(found)
    except OSError as error:
        if not prefix:
            raise
        listing.unlisted[prefix.rstrip("/")] = error.strerror or str(error)
        return
    for entry in entries:
        if skipped(entry.name):
            continue
        if is_dir(entry, follow_symlinks=False):
            walk(Path(entry.path), f"{prefix}{entry.name}/", listing)
        elif not is_dir(entry, follow_symlinks=True):  # links to folders are not followed
            listing.files.append(prefix + entry.name)


def is_dir(entry: os.DirEntry[str], *, follow_symlinks: bool) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow_symlinks)
    except OSError:
        return False


class Scan:
    """One poll over a listing: what each file gives, collected into a Poll."""

    def __init__(self, source: DirSource, previous: dict[str, Seen], now: datetime) -> None:
        self.source = source
        self.previous = previous
        self.now = now
        self.poll = Poll()
        self.seen: dict[str, Seen] = {}

    def run(self, listing: Listing) -> None:
        """Look at each file, unless the daemon is stopping; then keep what is not looked at."""
        for index, rel in enumerate(listing.files):
            if self.source.context.stop.is_set():
                self.keep(listing.files[index:])
                break
            self.visit(rel, self.previous.get(rel))
        for folder, reason in listing.unlisted.items():
            self.poll.warnings.append(f"{folder}: cannot list folder: {reason}; files kept")
            self.keep(rel for rel in self.previous if rel.startswith(folder + "/"))
        self.poll.state["files"] = {rel: seen.dump() for rel, seen in sorted(self.seen.items())}

    def keep(self, rels: Iterable[str]) -> None:
        """Carry the previous entries of `rels` over unchanged."""
        for rel in rels:
            if rel in self.previous and rel not in self.seen:
                self.seen[rel] = self.previous[rel]

    def visit(self, rel: str, before: Seen | None) -> None:
        path = self.source.folder / rel
        try:
            status = path.stat()
        except OSError as error:
            self.unstatable(rel, path, error, before)
            return
        if before is not None and before.unchanged(status):
            self.seen[rel] = before
        elif not stat_mode.S_ISREG(status.st_mode):
            self.fail(rel, Seen.at(status), stamp(status.st_size, status.st_mtime_ns), before)
        elif not self.settled(status, before):
            self.defer(rel, status, before)
        else:
            self.read(rel, path, status, before)

    def settled(self, status: os.stat_result, before: Seen | None) -> bool:
        """True once nobody seems to write the file: same size as last seen, mtime old enough."""
        if before is not None and self.growing(status, before):
            return False
        age = self.now - utc(status.st_mtime_ns)
        if age < timedelta(0):  # a clock ahead of ours: wait for one poll without change
            return before is not None and before.pending > 0 and before.same_file(status)
        return age >= self.source.settle

    def growing(self, status: os.stat_result, before: Seen) -> bool:
        """True if the size changed since the last poll saw it, unless put off too often."""
        changed = not before.error and before.size != status.st_size
        return changed and before.pending < self.source.patience

    def defer(self, rel: str, status: os.stat_result, before: Seen | None) -> None:
        logger.debug("%s: %s may still be being written; read later", self.source.name, rel)
        sha, pending = (before.sha256, before.pending + 1) if before else ("", 1)
        self.seen[rel] = Seen.at(status, sha, pending=pending)

    def fail(self, rel: str, seen: Seen, version: str, before: Seen | None) -> None:
        """Record a file that is no document; report it unless already reported as it is."""
        reason = seen.error or "not a regular file; watchd reads regular files only"
        self.seen[rel] = seen
        if seen != before:
            self.poll.problems.append(Problem(rel, version, reason))

    def unstatable(self, rel: str, path: Path, error: OSError, before: Seen | None) -> None:
        """A broken link or a file deleted since the listing (then it is just gone)."""
        try:
            status = path.lstat()
        except OSError:
            return
        reason = error.strerror or str(error)
        if stat_mode.S_ISLNK(status.st_mode):
            reason = f"broken symbolic link to {link_target(path)!r}: {reason}"
        seen = Seen.at(status, before.sha256 if before else "", error=reason)
        self.fail(rel, seen, stamp(seen.size, seen.mtime_ns), before)

    def read(self, rel: str, path: Path, status: os.stat_result, before: Seen | None) -> None:
        """Read a settled file; parse it unless its bytes are the ones read last time."""
        old = before.sha256 if before else ""
        try:
            data = self.source.read_bytes(path)
        except DocumentError as error:
            seen = Seen.at(status, old, error=error.reason)
            self.fail(rel, seen, stamp(status.st_size, status.st_mtime_ns), before)
            return
        if not self.still(path, status):
            self.defer(rel, status, before)
            return
        sha = sha256(data)
        self.seen[rel] = Seen.at(status, sha)
        if sha != old or (before is not None and before.error):
            self.parse(rel, path, data, sha, status)

    def still(self, path: Path, status: os.stat_result) -> bool:
        """True if the file has the size and mtime it had before it was read."""
        try:
            after = path.stat()
        except OSError:
            return False
        return (after.st_size, after.st_mtime_ns) == (status.st_size, status.st_mtime_ns)

    def parse(self, rel: str, path: Path, data: bytes, sha: str, status: os.stat_result) -> None:
        """The Items of one file's bytes, or the Problem that says why there are none."""
        try:
            docs = parse_bytes(data, str(path))
        except DocumentError as error:
            self.poll.problems.append(Problem(rel, sha, error.reason))
            return
        except Exception as error:  # nothing a file contains may stop the poll
            logger.exception("%s: parsing %s failed", self.source.name, path)
            reason = f"could not be parsed ({type(error).__name__}: {error}); please report this"
            self.poll.problems.append(Problem(rel, sha, reason))
            return
        self.poll.items.extend(item(rel, str(path), doc, utc(status.st_mtime_ns)) for doc in docs)
        warnings = dict.fromkeys(warning for doc in docs for warning in doc.warnings)
        self.poll.warnings.extend(f"{rel}: {warning}" for warning in warnings)


def link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:  # replaced since it was looked at
        return "?"


def item(rel: str, path: str, doc: Document, mtime: datetime) -> Item:
    """The Item of one Document of the file at `path`, published at `mtime` if it gives no date."""
    key = rel + doc.source.removeprefix(path)
    version = sha256(f"{doc.title}\n{doc.text}".encode())
    return Item(key, version, replace(doc, published=aware(doc.published or mtime)))


def aware(moment: datetime) -> datetime:
    """`moment`, taken as UTC if it has no time zone (a bare ISO date in a JSON file)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
