"""The store: one SQLite file, the only module that touches it (through sqlite-utils).

WAL with `synchronous=FULL`; every write is one `BEGIN IMMEDIATE` transaction, so a
document, its hits and their outbox rows exist together after a crash, or none of them.
The schema moves forward by named migrations (sqlite-utils `Migrations`); a database
written by a newer watchd is refused rather than misread.

Tables: `sources` (state and health), `documents` (+ `documents_fts` over title and
text), `problems` (inputs that could not be read, once each), `hits` (evidence as JSON,
rule version, whether it alerted and why not), `outbox` (one row per alerting hit and
channel: pending, sending, sent, dead), `deliveries` (every send attempt).

A story is the first document of a set that share a canonical URL or a text fingerprint.
A rule alerts once per story: a later hit on a copy is stored with `duplicate_of` set to
the first hit and gets no outbox rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

from watchd.documents import Document
from watchd.errors import StoreError
from watchd.matcher import Hit

BUSY_TIMEOUT_MS = 10_000
Target = tuple[str, str]
SOURCES = (
    "select *, (select count(*) from documents where source = sources.name) as documents, "
    "(select count(*) from problems where source = sources.name) as problems from sources"
)


def timestamp(at: datetime) -> str:
    """`at` in UTC as ISO 8601 with microseconds, so text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# Schema


def m001_initial(db: Database) -> None:
    table(db, "sources").create(
        {
            "name": str,
            "kind": str,
            "target": str,
            "state": str,
            "polls": int,
            "last_poll": str,
            "last_success": str,
            "failures": int,
            "last_error": str,
            "retry_at": str,
        },
        pk="name",
        not_null={"kind", "target"},
        defaults={"state": "{}", "polls": 0, "failures": 0},
    )
    documents = table(db, "documents")
    documents.create(
        {
            "id": int,
            "source": str,
            "key": str,
            "version": str,
            "origin": str,
            "url": str,
            "canonical_url": str,
            "fingerprint": str,
            "title": str,
            "text": str,
            "published": str,
            "fetched": str,
            "story": int,
        },
        pk="id",
        not_null={"source", "key", "version", "fingerprint", "text", "fetched"},
    )
    documents.create_index(["source", "key", "version"], unique=True)
    documents.create_index(["canonical_url"])
    documents.create_index(["fingerprint"])
    documents.create_index(["fetched"])
    documents.enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
    problems = table(db, "problems")
    problems.create(
        {"id": int, "source": str, "key": str, "version": str, "reason": str, "seen": str},
        pk="id",
    )
    problems.create_index(["source", "key", "version"], unique=True)
    hits = table(db, "hits")
    hits.create(
        {
            "id": int,
            "document": int,
            "story": int,
            "rule": str,
            "rule_version": str,
            "title": str,
            "severity": str,
            "evidence": str,
            "created": str,
            "alert": int,
            "reason": str,
            "duplicate_of": int,
        },
        pk="id",
        foreign_keys=[("document", "documents", "id")],
        not_null={"document", "story", "rule", "evidence", "created", "alert"},
    )
    hits.create_index(["document", "rule"], unique=True)
    hits.create_index(["story", "rule"])
    hits.create_index(["rule", "created"])
    hits.create_index(["created"])
    outbox = table(db, "outbox")
    outbox.create(
        {
            "id": int,
            "hit": int,
            "channel": str,
            "service": str,
            "idempotency_key": str,
            "state": str,
            "attempts": int,
            "next_attempt": str,
            "lease_until": str,
            "lease_owner": str,
            "last_error": str,
            "created": str,
            "sent": str,
        },
        pk="id",
        foreign_keys=[("hit", "hits", "id")],
        not_null={"hit", "channel", "state", "idempotency_key", "created"},
        defaults={"service": "", "attempts": 0},
    )
    outbox.create_index(["hit", "channel", "service"], unique=True)
    outbox.create_index(["state", "next_attempt"])
    deliveries = table(db, "deliveries")
    deliveries.create(
        {"id": int, "outbox": int, "at": str, "ok": int, "error": str},
        pk="id",
        foreign_keys=[("outbox", "outbox", "id")],
    )


def m002_index_text_only_when_it_changes(db: Database) -> None:
    """The search index is updated when a document's title or text changes, not when its
    story is set (which re-indexed every new document's text twice)."""
    db.execute("drop trigger documents_au")
    db.execute(
        """
        create trigger documents_au after update of title, text on documents begin
          insert into documents_fts (documents_fts, rowid, title, text)
            values ('delete', old.rowid, old.title, old.text);
          insert into documents_fts (rowid, title, text) values (new.rowid, new.title, new.text);
        end
        """
    )


def m003_noise_control(db: Database) -> None:
    """Deliveries can be held (throttle, digest, quiet hours) in a group and sent as one
    batch; rules and stories can be silenced or acknowledged for a while."""
    outbox = table(db, "outbox")
    outbox.add_column("grp", str)
    outbox.add_column("batch", int)
    silences = table(db, "silences")
    silences.create(
        {
            "id": int,
            "kind": str,
            "rule": str,
            "story": int,
            "until": str,
            "reason": str,
            "created": str,
        },
        pk="id",
        not_null={"kind", "until", "created"},
    )
    silences.create_index(["until"])


SCHEMA = [m001_initial, m002_index_text_only_when_it_changes, m003_noise_control]
# append new steps to SCHEMA; never edit or reorder applied ones
migrations = Migrations("watchd")
for step in SCHEMA:
    migrations()(step)


def table(db: Database, name: str) -> Table:
    found = db[name]
    assert isinstance(found, Table)
    return found


# Records the store gives back


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """What the store remembers of a source between polls, and its health."""

    name: str
    kind: str
    target: str
    state: dict[str, Any]
    polls: int
    last_poll: datetime | None
    last_success: datetime | None
    failures: int
    last_error: str | None
    retry_at: datetime | None
    documents: int
    problems: int

    @property
    def first_poll(self) -> bool:
        """True until a poll has succeeded: items older than max_age do not alert yet."""
        return self.last_success is None


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A document as the engine stores it, with what identifies it and its story."""

    source: str
    key: str
    version: str
    document: Document
    fingerprint: str
    canonical_url: str | None
    fetched: datetime


@dataclass(frozen=True, slots=True)
class NewHit:
    """A hit to store; `alert` False with the `reason` when it must not be delivered."""

    hit: Hit
    severity: str
    targets: tuple[Target, ...]  # (channel, service id) pairs, one outbox row each
    alert: bool = True
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Added:
    """What `Store.add` wrote: the document's id, its story, and the alerting hits' ids."""

    document: int
    story: int
    hits: list[int]
    alerts: list[int]
    outbox: int


@dataclass(frozen=True, slots=True)
class StoredHit:
    """A hit as `watchd matches` shows it."""

    id: int
    rule: str
    title: str
    severity: str
    created: datetime
    alert: bool
    reason: str
    duplicate_of: int | None
    evidence: list[dict[str, Any]]
    document: int
    source: str
    origin: str
    url: str | None
    document_title: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "created": timestamp(self.created),
            "alert": self.alert,
            "reason": self.reason,
            "duplicate_of": self.duplicate_of,
            "source": self.source,
            "document": self.origin,
            "url": self.url,
            "document_title": self.document_title,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Found:
    """A stored document found by a full-text search, with a snippet around the words."""

    id: int
    source: str
    origin: str
    title: str
    url: str | None
    fetched: datetime
    snippet: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One delivery of one hit to one channel, claimed by a worker until `lease_until`."""

    id: int
    hit: int
    channel: str
    service: str
    idempotency_key: str
    attempts: int
    rule: str = ""
    story: int = 0
    severity: str = "medium"
    grp: str | None = None
    batch: int | None = None


# The store


class Store:
    """One SQLite database; safe to share between the threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.lock_file: TextIO | None = None
        self.db = Database(connect(path))
        try:
            with self._errors():
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except StoreError:
            self.db.close()
            raise

    def close(self) -> None:
        with self.lock:
            self.db.close()
        if self.lock_file is not None:
            self.lock_file.close()
            self.lock_file = None

    def take_writer_lock(self) -> None:
        """Make this process the database's only poller (a daemon or `watchd once`); a
        second one would fetch and store every item twice. Released by `close()`."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = lock_path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(
                f"{self.path}: another watchd ({holder}) is polling into this database; "
                "stop it first, or give this configuration another database: path"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self.lock_file = handle

    def _migrate(self) -> None:
        applied = {m.name for m in migrations.applied(self.db)}
        unknown = applied - {step.__name__ for step in SCHEMA}
        if unknown:
            raise StoreError(
                f"{self.path}: written by a newer watchd (migration {sorted(unknown)[0]!r}); "
                "upgrade watchd or use another database"
            )
        with self.lock, self._errors():
            migrations.apply(self.db)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One `BEGIN IMMEDIATE` transaction: committed whole, or rolled back whole."""
        with self.lock, self._errors():
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.conn.rollback()
                raise
            self.db.execute("COMMIT")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite failing (disk full, locked too long, corrupt) as a StoreError."""
        try:
            yield
        except (sqlite3.OperationalError, sqlite3.IntegrityError) as error:
            raise StoreError(f"{self.path}: {error}") from error
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path}: {error}; is it a watchd database?") from error

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self.lock, self._errors():
            return list(self.db.query(sql, params))

    # Sources

    def source(self, name: str) -> SourceRecord | None:
        found = self.rows(SOURCES + " where name = ?", [name])
        return source_record(found[0]) if found else None

    def sources(self) -> list[SourceRecord]:
        return [source_record(row) for row in self.rows(SOURCES + " order by name")]

    def poll_succeeded(
        self, name: str, kind: str, target: str, state: dict[str, Any], at: datetime, error: str
    ) -> None:
        """Save the new state and a healthy record; `error` keeps a warning about the poll."""
        with self.transaction() as db:
            row = self._source_row(db, name, kind, target)
            row.update(
                state=json.dumps(state, sort_keys=True),
                polls=row["polls"] + 1,
                last_poll=timestamp(at),
                last_success=timestamp(at),
                failures=0,
                last_error=error or None,
                retry_at=None,
            )
            table(db, "sources").upsert(row, pk="name")

    def poll_failed(
        self, name: str, kind: str, target: str, error: str, at: datetime, retry_at: datetime
    ) -> int:
        """Record a failed poll; the number of failures in a row."""
        with self.transaction() as db:
            row = self._source_row(db, name, kind, target)
            failures = row["failures"] + 1
            row.update(
                polls=row["polls"] + 1,
                last_poll=timestamp(at),
                failures=failures,
                last_error=error,
                retry_at=timestamp(retry_at),
            )
            table(db, "sources").upsert(row, pk="name")
            return int(failures)

    def _source_row(self, db: Database, name: str, kind: str, target: str) -> dict[str, Any]:
        found = list(db.query("select * from sources where name = ?", [name]))
        if found:
            return {**found[0], "kind": kind, "target": target}
        return {
            "name": name,
            "kind": kind,
            "target": target,
            "state": "{}",
            "polls": 0,
            "failures": 0,
        }

    # Documents and hits

    def known(self, source: str, key: str, version: str) -> bool:
        sql = "select 1 from documents where source = ? and key = ? and version = ? union all "
        sql += "select 1 from problems where source = ? and key = ? and version = ?"
        return bool(self.rows(sql, [source, key, version] * 2))

    def add(self, new: NewDocument, hits: Sequence[NewHit], at: datetime) -> Added:
        """Store a document, its hits and their outbox rows in one transaction."""
        with self.transaction() as db:
            first = self._story(db, new)
            document = self._insert_document(db, new, first)
            story = document if first is None else first
            ids, alerts, outbox = [], [], 0
            for new_hit in hits:
                hit_id, alerted, rows = self._insert_hit(db, document, story, new_hit, at)
                ids.append(hit_id)
                alerts += [hit_id] if alerted else []
                outbox += rows
            return Added(document, story, ids, alerts, outbox)

    def _story(self, db: Database, new: NewDocument) -> int | None:
        """The id of the first document with the same canonical URL or fingerprint."""
        sql = "select min(story) as story from documents where fingerprint = ?"
        params: list[Any] = [new.fingerprint]
        if new.canonical_url:
            sql += " or canonical_url = ?"
            params.append(new.canonical_url)
        row = next(iter(db.query(sql, params)))
        return row["story"] if row["story"] is not None else None

    def _insert_document(self, db: Database, new: NewDocument, story: int | None) -> int:
        doc = new.document
        documents = table(db, "documents")
        documents.insert(
            {
                "source": new.source,
                "key": new.key,
                "version": new.version,
                "origin": doc.source,
                "url": doc.url,
                "canonical_url": new.canonical_url,
                "fingerprint": new.fingerprint,
                "title": doc.title,
                "text": doc.text,
                "published": timestamp(doc.published) if doc.published else None,
                "fetched": timestamp(new.fetched),
                "story": story,
            }
        )
        document = last_id(documents)
        if story is None:
            db.execute("update documents set story = id where id = ?", [document])
        return document

    def _insert_hit(
        self, db: Database, document: int, story: int, new: NewHit, at: datetime
    ) -> tuple[int, bool, int]:
        """Insert one hit and its outbox rows: its id, whether it alerts, the rows added."""
        first = self._first_alert(db, story, new.hit.rule)
        alert = new.alert and first is None
        reason = new.reason if not new.alert else (f"same story as hit {first}" if first else "")
        hits = table(db, "hits")
        hits.insert(
            {
                "document": document,
                "story": story,
                "rule": new.hit.rule,
                "rule_version": new.hit.version,
                "title": new.hit.title,
                "severity": new.severity,
                "evidence": json.dumps(new.hit.to_json()["evidence"], ensure_ascii=False),
                "created": timestamp(at),
                "alert": int(alert),
                "reason": reason or None,
                "duplicate_of": first,
            }
        )
        hit = last_id(hits)
        targets = new.targets if alert else ()
        for channel, service in targets:
            self._enqueue(db, hit, channel, service, at)
        return hit, alert, len(targets)

    def _first_alert(self, db: Database, story: int, rule: str) -> int | None:
        sql = "select min(id) as id from hits where story = ? and rule = ? and alert = 1"
        row = next(iter(db.query(sql, [story, rule])))
        return int(row["id"]) if row["id"] is not None else None

    def _enqueue(self, db: Database, hit: int, channel: str, service: str, at: datetime) -> None:
        key = f"watchd-{hit}-{channel}" + (f"-{service}" if service else "")
        table(db, "outbox").insert(
            {
                "hit": hit,
                "channel": channel,
                "service": service,
                "idempotency_key": key,
                "state": "pending",
                "attempts": 0,
                "next_attempt": timestamp(at),
                "created": timestamp(at),
            }
        )

    def add_problem(self, source: str, key: str, version: str, reason: str, at: datetime) -> bool:
        """Record an input that could not be read; False if it was already recorded."""
        with self.transaction() as db:
            before = db.conn.total_changes
            db.execute(
                "insert or ignore into problems (source, key, version, reason, seen) "
                "values (?, ?, ?, ?, ?)",
                [source, key, version, reason, timestamp(at)],
            )
            return bool(db.conn.total_changes > before)

    # Reading

    def hits(
        self, rule: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[StoredHit]:
        """Stored hits, newest first, of one rule or all, since a time."""
        sql = (
            "select hits.*, documents.source as source, documents.origin as origin, "
            "documents.url as url, documents.title as document_title from hits "
            "join documents on documents.id = hits.document where 1"
        )
        params: list[Any] = []
        if rule is not None:
            sql += " and hits.rule = ?"
            params.append(rule)
        if since is not None:
            sql += " and hits.created >= ?"
            params.append(timestamp(since))
        sql += " order by hits.id desc limit ?"
        return [stored_hit(row) for row in self.rows(sql, [*params, limit])]

    def search(self, query: str, limit: int = 20) -> list[Found]:
        """Documents whose title or text match an FTS5 query, best first. A query that is
        not valid FTS5 syntax ("al-Assad") is searched for as plain words."""
        sql = (
            "select documents.id, documents.source, documents.origin, documents.title, "
            "documents.url, documents.fetched, "
            "snippet(documents_fts, 1, '[', ']', ' … ', 16) as snippet "
            "from documents_fts join documents on documents.rowid = documents_fts.rowid "
            "where documents_fts match ? order by rank limit ?"
        )
        try:
            rows = self.rows(sql, [query, limit])
        except StoreError:
            try:
                rows = self.rows(sql, [self.db.quote_fts(query), limit])
            except StoreError as error:
                raise StoreError(
                    f"cannot search for {query!r} ({error.__cause__}); use words, "
                    '"a phrase", AND, OR, NOT and prefix*'
                ) from None
        return [found(row) for row in rows]

    def documents(self, since: datetime | None = None) -> Iterator[tuple[int, Document]]:
        """Every stored document fetched since a time, oldest first, for a backtest (not
        watchd's own alerts about its sources)."""
        sql = "select * from documents where source != 'watchd' and fetched >= ? order by id"
        start = timestamp(since) if since else ""
        last = 0
        while True:
            rows = self.rows(sql.replace("order", "and id > ? order") + " limit 500", [start, last])
            if not rows:
                return
            for row in rows:
                yield row["id"], stored_document(row)
            last = rows[-1]["id"]

    def counts(self) -> dict[str, int]:
        """How many documents, hits, problems and outbox rows in each state."""
        counts = {
            name: int(self.rows(f"select count(*) as n from {name}")[0]["n"])
            for name in ("documents", "hits", "problems")
        }
        for row in self.rows("select state, count(*) as n from outbox group by state"):
            counts[f"outbox {row['state']}"] = int(row["n"])
        return counts

    # The outbox

    def claim(
        self,
        channels: Sequence[str],
        now: datetime,
        lease_until: datetime,
        limit: int = 50,
        owner: str = "",
    ) -> list[OutboxRow]:
        """Due rows of `channels` (pending, held until now, or leased by a sender that went
        away), marked as being sent by `owner` until `lease_until`."""
        marks = ", ".join("?" for _ in channels)
        sql = (
            "select outbox.*, hits.rule, hits.story, hits.severity from outbox "
            f"join hits on hits.id = outbox.hit where channel in ({marks}) and ("
            "(state in ('pending', 'held') and next_attempt <= ?) or "
            "(state = 'sending' and lease_until <= ?)) order by outbox.id limit ?"
        )
        with self.transaction() as db:
            rows = list(db.query(sql, [*channels, timestamp(now), timestamp(now), limit]))
            for row in rows:
                db.execute(
                    "update outbox set state = 'sending', lease_until = ?, lease_owner = ? "
                    "where id = ?",
                    [timestamp(lease_until), owner, row["id"]],
                )
        return [outbox_row(row) for row in rows]

    def hold(self, rows: Sequence[int], until: datetime, group: str) -> None:
        """Hold deliveries until `until`, to be sent together with the rest of `group`."""
        with self.transaction() as db:
            for row in rows:
                db.execute(
                    "update outbox set state = 'held', next_attempt = ?, grp = ?, "
                    "lease_until = null where id = ?",
                    [timestamp(until), group, row],
                )

    def defer(self, rows: Sequence[int], until: datetime) -> None:
        """Put claimed rows back, due at `until`, without counting an attempt."""
        with self.transaction() as db:
            for row in rows:
                db.execute(
                    "update outbox set state = case when grp is null then 'pending' "
                    "else 'held' end, next_attempt = ?, lease_until = null where id = ?",
                    [timestamp(until), row],
                )

    def batch(self, rows: Sequence[int]) -> int:
        """Mark `rows` as one message (its key stays the same if it must be sent again)."""
        batch = min(rows)
        with self.transaction() as db:
            marks = ", ".join("?" for _ in rows)
            db.execute(f"update outbox set batch = ? where id in ({marks})", [batch, *rows])
        return batch

    def suppress(self, row: int, reason: str, at: datetime) -> None:
        """A delivery that will not be sent (silenced, acknowledged), with the reason."""
        with self.transaction() as db:
            db.execute(
                "update outbox set state = 'suppressed', last_error = ?, lease_until = null "
                "where id = ?",
                [reason, row],
            )
            table(db, "deliveries").insert(
                {"outbox": row, "at": timestamp(at), "ok": 0, "error": reason}
            )

    def last_sent(self, rule: str, channel: str) -> datetime | None:
        """When an alert of `rule` was last sent to `channel`."""
        sql = (
            "select max(outbox.sent) as sent from outbox join hits on hits.id = outbox.hit "
            "where hits.rule = ? and outbox.channel = ? and outbox.state = 'sent'"
        )
        return parse_time(self.rows(sql, [rule, channel])[0]["sent"])

    def silence(
        self,
        kind: str,
        until: datetime,
        at: datetime,
        rule: str | None,
        story: int | None,
        reason: str,
    ) -> int:
        """Record a silence (of a rule) or an acknowledgement (of a story) until `until`."""
        with self.transaction() as db:
            silences = table(db, "silences")
            silences.insert(
                {
                    "kind": kind,
                    "rule": rule,
                    "story": story,
                    "until": timestamp(until),
                    "reason": reason,
                    "created": timestamp(at),
                }
            )
            return last_id(silences)

    def silences(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Silences and acknowledgements, newest first; only those in force at `now`."""
        if now is None:
            return self.rows("select * from silences order by id desc")
        return self.rows(
            "select * from silences where until > ? order by id desc", [timestamp(now)]
        )

    def release(self, owners: Sequence[str]) -> int:
        """Rows leased by `owners` (processes known to be dead) are due again at once."""
        marks = ", ".join("?" for _ in owners)
        with self.transaction() as db:
            cursor = db.execute(
                f"update outbox set state = 'pending', lease_until = null, lease_owner = null "
                f"where state = 'sending' and lease_owner in ({marks})",
                list(owners),
            )
            return int(cursor.rowcount)

    def lease_owners(self) -> list[str]:
        sql = "select distinct lease_owner from outbox where state = 'sending'"
        return [row["lease_owner"] for row in self.rows(sql) if row["lease_owner"]]

    def sent(self, rows: int | Sequence[int], at: datetime) -> None:
        """Deliveries (one, or the rows of one batch) accepted by their service."""
        with self.transaction() as db:
            for row in [rows] if isinstance(rows, int) else rows:
                db.execute(
                    "update outbox set state = 'sent', sent = ?, attempts = attempts + 1, "
                    "lease_until = null where id = ?",
                    [timestamp(at), row],
                )
                table(db, "deliveries").insert({"outbox": row, "at": timestamp(at), "ok": 1})

    def failed(
        self, rows: int | Sequence[int], error: str, at: datetime, retry_at: datetime | None
    ) -> None:
        """A failed send: retried at `retry_at`, or dead when that is None. A held row
        stays held (in its group) for the retry."""
        with self.transaction() as db:
            for row in [rows] if isinstance(rows, int) else rows:
                db.execute(
                    "update outbox set state = case when ? then "
                    "(case when grp is null then 'pending' else 'held' end) else 'dead' end, "
                    "attempts = attempts + 1, last_error = ?, next_attempt = ?, "
                    "lease_until = null where id = ?",
                    [retry_at is not None, error, timestamp(retry_at) if retry_at else None, row],
                )
                table(db, "deliveries").insert(
                    {"outbox": row, "at": timestamp(at), "ok": 0, "error": error}
                )

    def outbox_counts(self) -> list[dict[str, Any]]:
        """How many outbox rows each channel has in each state."""
        sql = "select channel, state, count(*) as n from outbox group by channel, state"
        return self.rows(sql + " order by channel, state")

    def dead(self, limit: int = 20) -> list[dict[str, Any]]:
        """Dead deliveries, newest first, with their hit's rule."""
        sql = (
            "select outbox.id, outbox.channel, outbox.service, outbox.attempts, "
            "outbox.last_error, outbox.hit, hits.rule from outbox "
            "join hits on hits.id = outbox.hit where outbox.state = 'dead' "
            "order by outbox.id desc limit ?"
        )
        return self.rows(sql, [limit])

    def failures(self, limit: int = 5) -> list[dict[str, Any]]:
        """The last failed send attempts, newest first; not the record of a delivery
        dropped by a silence or an ack (the last entry of a suppressed row)."""
        sql = (
            "select deliveries.at, deliveries.error, outbox.channel, outbox.id as outbox "
            "from deliveries join outbox on outbox.id = deliveries.outbox "
            "where not deliveries.ok and not (outbox.state = 'suppressed' and deliveries.id = "
            "(select max(later.id) from deliveries as later where later.outbox = outbox.id)) "
            "order by deliveries.id desc limit ?"
        )
        return self.rows(sql, [limit])

    def requeue(self, row: int, at: datetime) -> bool:
        """Make a dead delivery due again now, with a fresh count of attempts; False if
        there is no dead delivery `row`."""
        with self.transaction() as db:
            cursor = db.execute(
                "update outbox set state = 'pending', attempts = 0, next_attempt = ?, "
                "last_error = null where id = ? and state = 'dead'",
                [timestamp(at), row],
            )
            return bool(cursor.rowcount)

    def hit(self, hit: int) -> StoredHit:
        sql = (
            "select hits.*, documents.source as source, documents.origin as origin, "
            "documents.url as url, documents.title as document_title from hits "
            "join documents on documents.id = hits.document where hits.id = ?"
        )
        return stored_hit(self.rows(sql, [hit])[0])


def last_id(inserted: Table) -> int:
    assert isinstance(inserted.last_pk, int)
    return inserted.last_pk


def connect(path: Path) -> sqlite3.Connection:
    """A connection for any thread; transactions are begun explicitly."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
        )
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"cannot open the database {str(path)!r}: {error}") from None


def source_record(row: dict[str, Any]) -> SourceRecord:
    return SourceRecord(
        name=row["name"],
        kind=row["kind"],
        target=row["target"],
        state=json.loads(row["state"] or "{}"),
        polls=row["polls"],
        last_poll=parse_time(row["last_poll"]),
        last_success=parse_time(row["last_success"]),
        failures=row["failures"],
        last_error=row["last_error"],
        retry_at=parse_time(row["retry_at"]),
        documents=row["documents"],
        problems=row["problems"],
    )


def stored_hit(row: dict[str, Any]) -> StoredHit:
    return StoredHit(
        id=row["id"],
        rule=row["rule"],
        title=row["title"] or "",
        severity=row["severity"] or "medium",
        created=datetime.fromisoformat(row["created"]),
        alert=bool(row["alert"]),
        reason=row["reason"] or "",
        duplicate_of=row["duplicate_of"],
        evidence=json.loads(row["evidence"]),
        document=row["document"],
        source=row["source"],
        origin=row["origin"],
        url=row["url"],
        document_title=row["document_title"] or "",
    )


def stored_document(row: dict[str, Any]) -> Document:
    return Document(
        source=row["origin"],
        text=row["text"],
        title=row["title"] or "",
        url=row["url"],
        published=parse_time(row["published"]),
    )


def found(row: dict[str, Any]) -> Found:
    return Found(
        id=row["id"],
        source=row["source"],
        origin=row["origin"],
        title=row["title"] or "",
        url=row["url"],
        fetched=datetime.fromisoformat(row["fetched"]),
        snippet=row["snippet"],
    )


def outbox_row(row: dict[str, Any]) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        hit=row["hit"],
        channel=row["channel"],
        service=row["service"],
        idempotency_key=row["idempotency_key"],
        attempts=row["attempts"],
        rule=row.get("rule") or "",
        story=row.get("story") or 0,
        severity=row.get("severity") or "medium",
        grp=row.get("grp"),
        batch=row.get("batch"),
    )
