"""DirSource against real files in tmp_path, with a clock the tests move."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchd.config import Source
from watchd.errors import DocumentError, SourceError
from watchd.formats import BINARY_REASON, MAX_DOCUMENT_BYTES
from watchd.sources.base import Context, Item, Poll, Problem
from watchd.sources.dir import PATIENCE, SETTLE, DirSource

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
OLD = timedelta(hours=1)  # the age of a file nobody writes any more
EMAIL = b"""From: desk@example.org
To: watch@example.org
Subject: Aleppo update
Date: Mon, 03 Jun 2024 08:30:00 +0000

Monitors arrived in Aleppo.
"""


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Inbox:
    """A folder, a DirSource on it, and the state carried from poll to poll."""

    folder: Path
    clock: Clock
    source: DirSource
    state: dict[str, Any] = field(default_factory=dict)

    def write(self, rel: str, data: bytes | str, age: timedelta = OLD) -> Path:
        """Write a file whose mtime is `age` before the clock."""
        path = self.folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        set_mtime(path, self.clock.now - age)
        return path

    def poll(self) -> Poll:
        result = self.source.poll(self.state)
        json.dumps(result.state)  # the engine must be able to save it
        self.state = result.state
        return result

    def keys(self) -> list[str]:
        return [item.key for item in self.poll().items]

    def texts(self) -> list[str]:
        return [item.document.text for item in self.poll().items]

    def assert_quiet(self) -> None:
        """The next poll finds nothing and changes nothing."""
        before = self.state
        assert self.poll() == Poll(state=before)


def set_mtime(path: Path, moment: datetime) -> None:
    ns = int(moment.timestamp()) * 10**9
    os.utime(path, ns=(ns, ns))


def make_source(
    folder: Path, clock: Clock, kind: type[DirSource] = DirSource, **kwargs: Any
) -> DirSource:
    return kind(Source(name="inbox", dir=str(folder)), Context(now=clock), **kwargs)


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    folder = tmp_path / "inbox"
    folder.mkdir()
    clock = Clock()
    return Inbox(folder, clock, make_source(folder, clock))


def text_version(title: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()


def by_key(poll: Poll) -> dict[str, Item]:
    return {item.key: item for item in poll.items}


# New files


def test_new_files_give_items_with_keys_sources_and_dates(inbox: Inbox) -> None:
    inbox.write("a.txt", "Shelling near Aleppo.\n")
    inbox.write("b.md", "# Briefing\n\nTalks resumed.\n", age=timedelta(days=3))
    listed = [
        {"text": "First story", "title": "One", "published": "2024-05-30T10:00:00+02:00"},
        {"text": "Second story", "date": "2024-05-31"},
    ]
    inbox.write("notes/c.json", json.dumps(listed))
    inbox.write("notes/deep/d.eml", EMAIL)

    items = by_key(inbox.poll())

    assert list(items) == [
        "a.txt",
        "b.md",
        "notes/c.json[0]",
        "notes/c.json[1]",
        "notes/deep/d.eml",
    ]
    mtime = NOW - OLD
    assert items["a.txt"].document.published == mtime
    assert items["b.md"].document.published == NOW - timedelta(days=3)
    assert items["b.md"].document.title == "Briefing"
    assert items["notes/c.json[0]"].document.published == datetime(2024, 5, 30, 8, tzinfo=UTC)
    assert items["notes/c.json[1]"].document.published == datetime(2024, 5, 31, tzinfo=UTC)
    assert items["notes/deep/d.eml"].document.published == datetime(2024, 6, 3, 8, 30, tzinfo=UTC)
    assert items["notes/deep/d.eml"].document.title == "Aleppo update"
    assert items["a.txt"].document.source == str(inbox.folder / "a.txt")
    assert items["notes/c.json[1]"].document.source == str(inbox.folder / "notes/c.json") + "[1]"
    assert items["a.txt"].version == text_version("", "Shelling near Aleppo.\n")
    assert items["notes/c.json[0]"].version == text_version("One", "First story")


def test_state_records_size_mtime_and_hash(inbox: Inbox) -> None:
    path = inbox.write("a.txt", b"some words")
    inbox.poll()
    assert inbox.state == {
        "files": {
            "a.txt": {
                "size": 10,
                "mtime_ns": path.stat().st_mtime_ns,
                "sha256": hashlib.sha256(b"some words").hexdigest(),
            }
        }
    }


def test_relative_folder_counts_from_the_working_directory(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(inbox.folder.parent)
    inbox.write("a.txt", "words")
    source = DirSource(Source(name="rel", dir="inbox"), Context(now=inbox.clock))
    monkeypatch.chdir("/")
    assert source.folder == inbox.folder
    assert [item.key for item in source.poll({}).items] == ["a.txt"]


# Unchanged and changed files


def test_unchanged_file_is_not_read_again(inbox: Inbox) -> None:
    path = inbox.write("a.txt", "alpha words")
    assert inbox.keys() == ["a.txt"]
    mtime_ns = path.stat().st_mtime_ns
    path.write_text("omega words")  # same size; the mtime is put back
    os.utime(path, ns=(mtime_ns, mtime_ns))

    assert inbox.poll().items == []
    assert inbox.poll().items == []


def test_changed_file_gives_a_new_version_under_the_same_key(inbox: Inbox) -> None:
    path = inbox.write("a.txt", "alpha words")
    first = inbox.poll().items
    inbox.write("a.txt", "omega words", age=timedelta(minutes=5))

    second = inbox.poll().items

    assert [item.key for item in second] == ["a.txt"]
    assert second[0].version != first[0].version
    assert second[0].document.text == "omega words"
    assert inbox.state["files"]["a.txt"]["mtime_ns"] == path.stat().st_mtime_ns


def test_touched_file_with_the_same_bytes_is_not_parsed_again(inbox: Inbox) -> None:
    path = inbox.write("a.txt", "alpha words")
    inbox.poll()
    set_mtime(path, NOW - timedelta(minutes=1))
    assert inbox.poll().items == []
    assert inbox.state["files"]["a.txt"]["mtime_ns"] == path.stat().st_mtime_ns


def test_appending_a_line_to_json_lines_keeps_the_old_lines(inbox: Inbox) -> None:
    lines = [json.dumps({"text": f"story {n}"}) + "\n" for n in (1, 2, 3)]
    path = inbox.write("news.jsonl", "".join(lines[:2]))
    before = {(item.key, item.version) for item in inbox.poll().items}
    with path.open("a") as file:
        file.write("\n" + lines[2])  # a blank line, then the new one
    set_mtime(path, NOW - timedelta(minutes=1))

    assert inbox.poll().items == []  # its size changed since the last poll: wait one
    after = {(item.key, item.version) for item in inbox.poll().items}

    assert [key for key, _ in sorted(before)] == ["news.jsonl:1", "news.jsonl:2"]
    assert before < after
    assert [key for key, _ in after - before] == ["news.jsonl:4"]


def test_deleted_files_drop_out_of_the_state(inbox: Inbox) -> None:
    inbox.write("a.txt", "words")
    path = inbox.write("sub/b.txt", "more words")
    inbox.poll()
    path.unlink()
    assert inbox.poll().items == []
    assert list(inbox.state["files"]) == ["a.txt"]


def test_a_bad_state_entry_means_the_file_is_read_anew(inbox: Inbox) -> None:
    inbox.write("a.txt", "words")
    inbox.state = {"files": {"a.txt": "junk", "b.txt": {"size": "x"}}}
    assert inbox.keys() == ["a.txt"]


# Files that may still be being written


@pytest.mark.parametrize(
    ("age", "settle", "read_now"),
    [
        (timedelta(seconds=1), None, False),
        (SETTLE - timedelta(milliseconds=1), None, False),
        (SETTLE, None, True),
        (timedelta(seconds=1), timedelta(milliseconds=500), True),
        (timedelta(0), timedelta(0), True),
    ],
)
def test_a_fresh_file_waits_until_it_settled(
    inbox: Inbox, age: timedelta, settle: timedelta | None, read_now: bool
) -> None:
    inbox.source = make_source(inbox.folder, inbox.clock, settle=settle)
    path = inbox.folder / "a.txt"
    path.write_text("fresh words")
    os.utime(path, ns=(0, int((NOW - age).timestamp() * 10**9)))

    assert inbox.keys() == (["a.txt"] if read_now else [])
    inbox.clock.now += SETTLE
    assert inbox.keys() == ([] if read_now else ["a.txt"])


def test_a_file_from_a_clock_ahead_waits_one_quiet_poll(inbox: Inbox) -> None:
    path = inbox.write("a.txt", "from the future", age=-timedelta(minutes=5))
    assert inbox.keys() == []
    [item] = inbox.poll().items
    assert item.document.published == NOW + timedelta(minutes=5)
    with path.open("a") as file:
        file.write(" and more")
    set_mtime(path, NOW + timedelta(minutes=6))
    assert inbox.keys() == []
    assert inbox.texts() == ["from the future and more"]


def test_a_growing_file_is_not_read(inbox: Inbox) -> None:
    path = inbox.write("a.txt", "first half", age=timedelta(0))
    assert inbox.keys() == []  # too fresh
    with path.open("a") as file:
        file.write(", second half")
    set_mtime(path, NOW - OLD)  # its mtime is old (a writer's clock behind ours)
    assert inbox.keys() == []  # but it grew since the last poll
    assert inbox.texts() == ["first half, second half"]


def test_a_file_growing_on_every_poll_is_read_after_patience_polls(inbox: Inbox) -> None:
    path = inbox.write("log.txt", "line 0\n")
    inbox.poll()
    for line in range(1, PATIENCE + 2):
        with path.open("a") as file:
            file.write(f"line {line}\n")
        set_mtime(path, NOW - timedelta(seconds=10))
        whole = "".join(f"line {n}\n" for n in range(line + 1))
        assert inbox.texts() == ([] if line <= PATIENCE else [whole])


class AppendingSource(DirSource):
    """Appends to each file right after reading it, as a writer racing the poll would."""

    def read_bytes(self, path: Path) -> bytes:
        data = super().read_bytes(path)
        if b"half" in data and b"whole" not in data:
            status = path.stat()
            path.write_bytes(data + b" and whole")
            os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))
        return data


def test_a_file_written_while_it_is_read_is_read_again_later(inbox: Inbox) -> None:
    inbox.source = make_source(inbox.folder, inbox.clock, AppendingSource)
    inbox.write("a.txt", "half")
    assert inbox.keys() == []  # it changed while read
    assert inbox.keys() == []  # and grew since the last poll saw it
    assert inbox.texts() == ["half and whole"]


# What is skipped


@pytest.mark.parametrize(
    "rel",
    [
        ".hidden.txt",
        ".git/notes.txt",
        "sub/.cache/notes.txt",
        "report.txt.tmp",
        "report.TMP",
        "report.txt.part",
        "report.txt.crdownload",
        "report.txt.swp",
        "report.txt~",
        "#report.txt#",
    ],
)
def test_hidden_and_temporary_files_are_skipped(inbox: Inbox, rel: str) -> None:
    inbox.write(rel, "words in a file being written")
    inbox.write("kept.txt", "words")
    assert inbox.keys() == ["kept.txt"]
    assert list(inbox.state["files"]) == ["kept.txt"]


def test_write_then_rename_is_read_once_complete(inbox: Inbox) -> None:
    partial = inbox.write("story.txt.part", "half a sto")
    assert inbox.keys() == []
    partial.write_text("half a story, now whole")
    set_mtime(partial, NOW - OLD)
    partial.rename(inbox.folder / "story.txt")
    assert inbox.texts() == ["half a story, now whole"]


def test_links_to_folders_are_not_followed(inbox: Inbox, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("not in the inbox")
    set_mtime(elsewhere / "secret.txt", NOW - OLD)
    (inbox.folder / "link").symlink_to(elsewhere)
    (inbox.folder / "loop").symlink_to(inbox.folder)
    inbox.write("a.txt", "words")
    poll = inbox.poll()
    assert ([item.key for item in poll.items], poll.problems) == (["a.txt"], [])
    assert list(inbox.state["files"]) == ["a.txt"]


# Problems


@pytest.mark.parametrize(
    ("rel", "data", "reason"),
    [
        ("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", BINARY_REASON),
        ("empty.txt", b"", "empty document"),
        ("blank.md", b"  \n\n", "empty document"),
        ("broken.json", b'{"text": "a",', "invalid JSON: .*; fix the syntax"),
        ("list.json", b'[{"title": "no text"}]', "item 0 has no text"),
        ("lines.jsonl", b'{"text": "a"}\n{oops\n', "line 2: invalid JSON"),
        ("big.txt", b"a" * (MAX_DOCUMENT_BYTES + 1), "larger than the 5 MiB limit"),
        ("deep.json", b"[" * 100_000, "could not be parsed .*RecursionError.*report this"),
        ("number.jsonl", b'{"text": "a", "n": ' + b"9" * 5000 + b"}", "ValueError"),
    ],
)
def test_a_bad_file_is_a_problem_once_and_the_others_are_read(
    inbox: Inbox, rel: str, data: bytes, reason: str
) -> None:
    inbox.write("a.txt", "words before")
    inbox.write(rel, data)
    inbox.write("z.txt", "words after")

    poll = inbox.poll()

    assert [item.key for item in poll.items] == ["a.txt", "z.txt"]
    [problem] = poll.problems
    assert problem.key == rel
    assert problem.version == hashlib.sha256(data[: MAX_DOCUMENT_BYTES + 1]).hexdigest()
    assert re.search(reason, problem.reason), problem.reason
    inbox.assert_quiet()  # remembered: not read or reported again


def test_a_fixed_bad_file_is_read(inbox: Inbox) -> None:
    inbox.write("a.json", b'{"text": "a",')
    assert len(inbox.poll().problems) == 1
    inbox.write("a.json", b'{"text":"ok"}', age=timedelta(minutes=5))  # the same size
    poll = inbox.poll()
    assert (poll.problems, [item.document.text for item in poll.items]) == ([], ["ok"])


def test_a_file_not_in_utf8_is_read_with_a_warning_naming_it(inbox: Inbox) -> None:
    inbox.write("latin.txt", "Café in Aleppo".encode("cp1252"))
    inbox.write("lines.jsonl", '{"text": "né"}\n{"text": "çà"}\n'.encode("cp1252"))
    poll = inbox.poll()
    assert [item.document.text for item in poll.items] == ["Café in Aleppo", "né", "çà"]
    assert poll.problems == []
    assert len(poll.warnings) == 2
    assert poll.warnings[0].startswith("latin.txt: not UTF-8; decoded as cp1252")
    assert poll.warnings[1].startswith("lines.jsonl: not UTF-8")


class DeletingSource(DirSource):
    """Deletes a file after the listing saw it and just before it is read."""

    def read_bytes(self, path: Path) -> bytes:
        if path.name == "gone.txt":
            path.unlink()
        return super().read_bytes(path)


def test_a_file_deleted_before_it_is_read_is_a_problem(inbox: Inbox) -> None:
    inbox.source = make_source(inbox.folder, inbox.clock, DeletingSource)
    inbox.write("a.txt", "words")
    path = inbox.write("gone.txt", "going")
    status = path.stat()

    poll = inbox.poll()

    assert [item.key for item in poll.items] == ["a.txt"]
    version = f"{status.st_size}-{status.st_mtime_ns}"
    assert poll.problems == [Problem("gone.txt", version, "No such file or directory")]
    assert inbox.poll() == Poll(state={"files": {"a.txt": inbox.state["files"]["a.txt"]}})


def test_a_broken_link_is_a_problem_once_then_read_when_it_is_mended(inbox: Inbox) -> None:
    target = inbox.folder.parent / "target.txt"
    (inbox.folder / "link.txt").symlink_to(target)
    inbox.write("a.txt", "words")

    first = inbox.poll()

    assert [item.key for item in first.items] == ["a.txt"]
    [problem] = first.problems
    assert (problem.key, problem.reason) == (
        "link.txt",
        f"broken symbolic link to {str(target)!r}: No such file or directory",
    )
    inbox.assert_quiet()
    target.write_text("mended")
    set_mtime(target, NOW - OLD)
    assert inbox.texts() == ["mended"]


def test_a_fifo_is_a_problem_and_does_not_block_the_poll(inbox: Inbox) -> None:
    os.mkfifo(inbox.folder / "pipe.txt")
    inbox.write("a.txt", "words")
    poll = inbox.poll()
    assert [item.key for item in poll.items] == ["a.txt"]
    assert [(p.key, p.reason) for p in poll.problems] == [
        ("pipe.txt", "not a regular file; watchd reads regular files only")
    ]
    inbox.assert_quiet()


class LockedSource(DirSource):
    """Cannot open secret.txt while `locked` is true, as if it had no read permission."""

    locked = True

    def read_bytes(self, path: Path) -> bytes:
        if self.locked and path.name == "secret.txt":
            raise DocumentError(str(path), "Permission denied")
        return super().read_bytes(path)


def test_a_file_that_cannot_be_opened_is_reported_once_and_tried_again(inbox: Inbox) -> None:
    source = make_source(inbox.folder, inbox.clock, LockedSource)
    assert isinstance(source, LockedSource)
    inbox.source = source
    path = inbox.write("secret.txt", "words")
    status = path.stat()

    version = f"{status.st_size}-{status.st_mtime_ns}"
    assert inbox.poll().problems == [Problem("secret.txt", version, "Permission denied")]
    inbox.assert_quiet()
    source.locked = False
    assert inbox.keys() == ["secret.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_a_problem_once_and_read_once_allowed(inbox: Inbox) -> None:
    path = inbox.write("secret.txt", "words")
    path.chmod(0)
    try:
        [problem] = inbox.poll().problems
        assert (problem.key, problem.reason) == ("secret.txt", "Permission denied")
        assert inbox.poll().problems == []
    finally:
        path.chmod(0o644)
    assert inbox.keys() == ["secret.txt"]


# The folder


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: None, r"folder '.*/missing' does not exist; create it or fix dir:"),
        (lambda folder: folder.write_text("x"), r"folder '.*/missing' is not a folder"),
    ],
)
def test_a_missing_folder_fails_the_poll(
    tmp_path: Path, make: Callable[[Path], object], message: str
) -> None:
    folder = tmp_path / "missing"
    make(folder)
    with pytest.raises(SourceError, match=message):
        make_source(folder, Clock()).poll({})


def unlistable(blocked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.scandir fails on `blocked` as it would without read permission (tests run as root)."""
    scandir = os.scandir

    def guarded(path: Any) -> Any:
        if Path(path) == blocked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", guarded)


def test_an_unreadable_folder_fails_the_poll(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    unlistable(inbox.folder, monkeypatch)
    with pytest.raises(SourceError, match=r"cannot list folder .*: Permission denied"):
        inbox.poll()


def test_an_unreadable_subfolder_is_a_warning_and_its_files_are_kept(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox.write("a.txt", "words")
    inbox.write("sub/b.txt", "more words")
    inbox.poll()
    before = inbox.state
    unlistable(inbox.folder / "sub", monkeypatch)
    inbox.write("c.txt", "new words")

    poll = inbox.poll()

    assert [item.key for item in poll.items] == ["c.txt"]
    assert poll.warnings == ["sub: cannot list folder: Permission denied; files kept"]
    assert poll.state["files"]["sub/b.txt"] == before["files"]["sub/b.txt"]


def test_a_stopping_daemon_ends_the_poll_and_keeps_the_state(inbox: Inbox) -> None:
    inbox.write("a.txt", "words")
    inbox.poll()
    before = inbox.state
    inbox.write("b.txt", "new words")
    inbox.source.context.stop.set()
    assert inbox.poll() == Poll(state=before)
    inbox.source.context.stop.clear()
    assert inbox.keys() == ["b.txt"]
