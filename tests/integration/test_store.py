"""The store on a real SQLite file: transactions, stories, the outbox, search, migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchd.documents import Document
from watchd.errors import StoreError
from watchd.matcher.evidence import Evidence, Hit, TermHit
from watchd.store import SCHEMA, NewDocument, NewHit, Store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TEXT = "Shamkhani implicitly challenged Russia over its approach."


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "watchd.db")
    yield store
    store.close()


def new_document(
    text: str = TEXT, source: str = "inbox", key: str = "a.txt", url: str | None = None
) -> NewDocument:
    document = Document(source=key, text=text, title="Iran and Russia", url=url)
    fingerprint = f"fp:{' '.join(text.lower().split())}"
    return NewDocument(source, key, "v1", document, fingerprint, url, NOW)


def new_hit(rule: str = "shamkhani", channels: tuple[str, ...] = ("console",)) -> NewHit:
    targets = tuple((channel, "") for channel in channels)
    terms = (TermHit("actor", "Shamkhani", 0, 9), TermHit("target", "Russia", 32, 38))
    evidence = (Evidence("text", TEXT, 0, len(TEXT), terms),)
    return NewHit(
        Hit(rule, "Shamkhani criticizes Russia", "a.txt", "r1", evidence), "high", targets
    )


def test_the_database_is_in_wal_mode_with_full_sync(store: Store) -> None:
    assert store.rows("pragma journal_mode")[0]["journal_mode"] == "wal"
    assert store.rows("pragma synchronous")[0]["synchronous"] == 2  # FULL


def test_a_document_its_hits_and_outbox_rows_are_stored_together(store: Store) -> None:
    added = store.add(new_document(), [new_hit(channels=("console", "desk"))], NOW)
    assert added.alerts == added.hits and added.outbox == 2
    [hit] = store.hits()
    assert hit.alert and hit.rule == "shamkhani" and hit.source == "inbox"
    assert hit.evidence[0]["terms"][0] == {
        "slot": "actor",
        "text": "Shamkhani",
        "start": 0,
        "end": 9,
    }
    assert store.counts() == {"documents": 1, "hits": 1, "problems": 0, "outbox pending": 2}


def test_a_failure_inside_the_transaction_leaves_nothing_behind(store: Store) -> None:
    broken = new_hit()
    object.__setattr__(broken, "targets", (("console", ""), ("console", "")))  # they collide
    with pytest.raises(StoreError):
        store.add(new_document(), [broken], NOW)
    assert store.counts() == {"documents": 0, "hits": 0, "problems": 0}
    assert not store.known("inbox", "a.txt", "v1")


def test_known_items_and_problems(store: Store) -> None:
    store.add(new_document(), [], NOW)
    assert store.known("inbox", "a.txt", "v1")
    assert not store.known("inbox", "a.txt", "v2")
    assert store.add_problem("inbox", "bad.bin", "h1", "binary file", NOW)
    assert not store.add_problem("inbox", "bad.bin", "h1", "binary file", NOW)
    assert store.known("inbox", "bad.bin", "h1")


@pytest.mark.parametrize(
    ("second", "same_story"),
    [
        (dict(source="feed", key="x", text=TEXT), True),  # same text, another source
        (dict(source="feed", key="x", text="Shamkhani praised Russia."), False),
        (dict(source="feed", key="y", text="Other words.", url="example.org/a"), True),
        (dict(source="feed", key="z", text="Other words.", url="example.org/b"), False),
    ],
)
def test_the_same_story_alerts_once_per_rule(
    store: Store, second: dict[str, str], same_story: bool
) -> None:
    first = store.add(new_document(url="example.org/a"), [new_hit()], NOW)
    later = store.add(new_document(**second), [new_hit(), new_hit("other")], NOW)
    assert (later.story == first.story) is same_story
    copy = store.hits(rule="shamkhani")[0]
    assert copy.alert is not same_story
    assert copy.duplicate_of == (first.hits[0] if same_story else None)
    assert len(later.alerts) == (1 if same_story else 2)  # "other" alerts either way


def test_a_quiet_hit_is_stored_with_its_reason_and_no_outbox(store: Store) -> None:
    quiet = NewHit(
        new_hit().hit, "high", (("console", ""),), alert=False, reason="older than max_age"
    )
    added = store.add(new_document(), [quiet], NOW)
    assert added.outbox == 0 and added.alerts == []
    assert store.hits()[0].reason == "older than max_age"


def test_hits_filter_by_rule_and_time(store: Store) -> None:
    store.add(new_document(), [new_hit("a")], NOW - timedelta(days=3))
    store.add(new_document(text="Another story.", key="b.txt"), [new_hit("b")], NOW)
    assert [h.rule for h in store.hits()] == ["b", "a"]
    assert [h.rule for h in store.hits(rule="a")] == ["a"]
    assert [h.rule for h in store.hits(since=NOW - timedelta(days=1))] == ["b"]


def test_full_text_search_finds_words_with_their_inflections(store: Store) -> None:
    store.add(new_document(), [], NOW)
    store.add(new_document(text="The Security Council met.", key="b.txt"), [], NOW)
    found = store.search("challenge")  # porter stemming: "challenged"
    assert [f.origin for f in found] == ["a.txt"]
    assert "[challenged]" in found[0].snippet
    assert [f.origin for f in store.search('"security council"')] == ["b.txt"]


@pytest.mark.parametrize("query", ["al-Assad", '"al-Assad', "Assad's"])
def test_a_query_that_is_not_search_syntax_is_searched_as_words(store: Store, query: str) -> None:
    store.add(new_document(text="Bashar al-Assad's forces retook the city."), [], NOW)
    store.add(new_document(text="Another story.", key="b.txt"), [], NOW)
    assert [f.origin for f in store.search(query)] == ["a.txt"]


def test_the_outbox_claims_with_a_lease_and_records_every_attempt(store: Store) -> None:
    store.add(new_document(), [new_hit(channels=("console", "desk"))], NOW)
    [row] = store.claim(["console"], NOW, NOW + timedelta(minutes=2))
    assert row.idempotency_key == f"watchd-{row.hit}-console"
    assert store.claim(["console"], NOW, NOW + timedelta(minutes=2)) == []  # leased
    again = store.claim(["console"], NOW + timedelta(minutes=3), NOW + timedelta(minutes=5))
    assert [r.id for r in again] == [row.id]  # the lease ran out: a crashed sender's row
    store.failed(row.id, "SMTP down", NOW, NOW + timedelta(seconds=5))
    assert store.claim(["console"], NOW + timedelta(seconds=1), NOW) == []  # not due yet
    store.sent(row.id, NOW)
    assert store.counts()["outbox sent"] == 1 and store.counts()["outbox pending"] == 1
    store.failed(store.claim(["desk"], NOW, NOW)[0].id, "bad address", NOW, None)
    assert store.counts()["outbox dead"] == 1
    outcomes = store.rows("select ok, error from deliveries order by id")
    assert [(r["ok"], r["error"]) for r in outcomes] == [
        (0, "SMTP down"),
        (1, None),
        (0, "bad address"),
    ]


def test_source_health_is_recorded(store: Store) -> None:
    store.poll_failed("feed", "feed", "http://x", "HTTP 500", NOW, NOW + timedelta(minutes=1))
    assert store.poll_failed("feed", "feed", "http://x", "timeout", NOW, NOW) == 2
    record = store.source("feed")
    assert record is not None and record.first_poll and record.last_error == "timeout"
    store.poll_succeeded("feed", "feed", "http://x", {"etag": "W/1"}, NOW, "")
    record = store.source("feed")
    assert record is not None and not record.first_poll
    assert (record.failures, record.state, record.polls) == (0, {"etag": "W/1"}, 3)


def test_the_schema_survives_reopening(tmp_path: Path) -> None:
    Store(tmp_path / "w.db").close()
    store = Store(tmp_path / "w.db")
    names = [m["name"] for m in store.rows("select name from _sqlite_migrations order by id")]
    assert names == [step.__name__ for step in SCHEMA]
    store.close()


def test_a_database_from_a_newer_watchd_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "w.db").close()
    with sqlite3.connect(tmp_path / "w.db") as db:
        db.execute(
            "insert into _sqlite_migrations (migration_set, name, applied_at) "
            "values ('watchd', 'm999_future', '2030')"
        )
    with pytest.raises(StoreError, match="newer watchd"):
        Store(tmp_path / "w.db")


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    path.write_text("not sqlite " * 100)
    with pytest.raises(StoreError, match=r"w\.db"):
        Store(path)


def test_only_one_process_polls_into_a_database(tmp_path: Path) -> None:
    first, second = Store(tmp_path / "w.db"), Store(tmp_path / "w.db")
    first.take_writer_lock()
    with pytest.raises(StoreError, match=r"another watchd \(pid \d+\) is polling"):
        second.take_writer_lock()
    first.close()
    second.take_writer_lock()  # free again once the first is closed
    second.close()


def test_a_document_is_indexed_once_and_reindexed_when_its_text_changes(store: Store) -> None:
    added = store.add(new_document(), [], NOW)
    with store.transaction() as db:
        db.execute("update documents set text = 'Replaced words.' where id = ?", [added.document])
    assert store.search("replaced") and not store.search("Shamkhani")
    assert store.rows("select count(*) as n from documents_fts")[0]["n"] == 1
