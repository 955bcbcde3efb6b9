"""The operator's commands on a configuration of their own: the installed `watchd`
executable in a subprocess, over a folder source, a rules folder and a database in tmp_path.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from watchd.config import load_config
from watchd.engine import Engine
from watchd.matcher import Matcher
from watchd.rules import load_rules
from watchd.sources.base import Context
from watchd.store import Store

WATCHD = Path(sys.executable).parent / "watchd"
HOUR = timedelta(hours=1)
SHAMKHANI = "Shamkhani condemned Russia over the talks."
ALEPPO = "The Security Council adopted a resolution on Aleppo."
RULES = """
    rules:
      - id: shamkhani
        title: Shamkhani criticizes Russia
        watch: Shamkhani criticizes Russia
      - id: aleppo
        title: Resolution on Aleppo
        watch: Security Council resolution on Aleppo
    """
BAD_DURATION = "must be a duration like 30s, 10m, 1h or 2d"


@dataclass
class Site:
    """An operator's folder: watchd.yaml, rules/, inbox/ and the database watchd makes."""

    folder: Path

    @property
    def config(self) -> Path:
        return self.folder / "watchd.yaml"

    def configure(self, *sources: str) -> None:
        text = """\
            database: ./watchd.db
            rules: [./rules]
            notify: [console]
            sources:
            """
        lines = "".join(f"  - {source}\n" for source in sources)
        self.config.write_text(textwrap.dedent(text) + lines, encoding="utf-8")

    def drop(self, name: str, data: str | bytes, age: timedelta = HOUR) -> Path:
        """A file in the inbox, last written `age` ago (settled: watchd reads it at once)."""
        path = self.folder / "inbox" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        moment = (datetime.now(UTC) - age).timestamp()
        os.utime(path, (moment, moment))
        return path

    def watchd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run(self.folder, "--config", str(self.config), *args)

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.folder / "watchd.db") as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute(sql)]

    def count(self, table: str) -> int:
        return int(self.rows(f"select count(*) as n from {table}")[0]["n"])

    def poll_in_the_past(self, ago: timedelta) -> None:
        """What `watchd once` would have done `ago` before now: the engine in this process,
        on a clock set back."""
        config = load_config(self.config)
        store = Store(config.path(config.database))
        context = Context(now=lambda: datetime.now(UTC) - ago)
        engine = Engine(store, config, Matcher(load_rules(config.rule_paths)), context)
        try:
            assert all(report.ok for report in engine.poll_all())
        finally:
            engine.close()
            store.close()


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(WATCHD), *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def make_site(folder: Path) -> Site:
    (folder / "rules").mkdir()
    (folder / "rules" / "rules.yaml").write_text(textwrap.dedent(RULES).lstrip(), "utf-8")
    (folder / "inbox").mkdir()
    site = Site(folder)
    site.configure("{name: inbox, dir: ./inbox}")
    return site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return make_site(tmp_path)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A database with three hits, for the commands that read it:

    - three hours ago, on the source's first poll: early.txt (a Shamkhani alert) and
      stale.txt (ten days old: an Aleppo hit, not alerted);
    - now, by `watchd once`: fresh.txt (an Aleppo alert).
    """
    site = make_site(tmp_path_factory.mktemp("archive"))
    site.drop("early.txt", SHAMKHANI, age=4 * HOUR)
    site.drop("stale.txt", "The Security Council passed two resolutions on Aleppo.", timedelta(10))
    site.poll_in_the_past(3 * HOUR)
    site.drop("fresh.txt", f"{ALEPPO} Forces loyal to al-Assad advanced.")
    result = site.watchd("once")
    assert result.returncode == 0, result.stderr
    return site


def name(path: str) -> str:
    return Path(path).name


# watchd once


def test_once_stores_and_prints_alerts_and_summarizes_each_source(site: Site) -> None:
    site.drop("a.txt", f"{SHAMKHANI}\n\n{ALEPPO}\n")

    result = site.watchd("once")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("ALERT ") == 2
    assert "ALERT shamkhani: Shamkhani criticizes Russia" in out
    assert "*Shamkhani* *condemned* *Russia* over the talks." in out
    assert "ALERT aleppo: Resolution on Aleppo" in out
    assert f"inbox: {site.folder / 'inbox' / 'a.txt'}" in out
    assert result.stderr.startswith("inbox: 1 new document, 2 hits, 2 alerts (")
    assert site.count("documents") == 1
    assert [row["state"] for row in site.rows("select state from outbox")] == ["sent", "sent"]

    again = site.watchd("once")

    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert again.stderr.startswith("inbox: 0 new documents, 0 hits, 0 alerts (")
    assert (site.count("documents"), site.count("hits"), site.count("deliveries")) == (1, 2, 2)


def test_a_failing_source_makes_once_exit_1_and_shows_in_sources(site: Site) -> None:
    site.configure("{name: inbox, dir: ./inbox}", "{name: archive, dir: ./missing}")
    site.drop("a.txt", SHAMKHANI)
    missing = site.folder / "missing"

    result = site.watchd("once")

    assert result.returncode == 1
    assert "ALERT shamkhani" in result.stdout  # the healthy source is polled all the same
    assert "inbox: 1 new document, 1 hit, 1 alert" in result.stderr
    assert f"archive: poll failed: folder {str(missing)!r} does not exist" in result.stderr

    health = site.watchd("sources")

    assert health.returncode == 0, health.stderr
    lines = health.stdout.splitlines()
    at = lines.index(f"archive  dir {missing}")
    assert lines[at + 1] == "  FAILING (1 in a row); last success never; 0 documents, 0 unreadable"
    assert lines[at + 2].startswith(f"  last error: folder {str(missing)!r} does not exist")
    assert lines[at + 3].startswith("  next try in ")
    lines = site.watchd("sources", "--json").stdout.splitlines()
    records = {record["name"]: record for record in map(json.loads, lines)}
    assert (records["inbox"]["failures"], records["archive"]["failures"]) == (0, 1)
    assert records["archive"]["last_success"] is None
    assert "does not exist" in records["archive"]["last_error"]


def test_sources_shows_a_healthy_source_and_one_never_polled(site: Site) -> None:
    site.drop("a.txt", SHAMKHANI)
    site.drop("b.txt", ALEPPO)
    site.drop("c.bin", b"\x00\xff" * 100)
    assert site.watchd("once").returncode == 0
    site.configure("{name: inbox, dir: ./inbox}", "{name: later, dir: ./later}")

    text = site.watchd("sources")
    as_json = site.watchd("sources", "--json")

    assert text.returncode == as_json.returncode == 0
    head, health, *rest = text.stdout.splitlines()
    assert head == f"inbox  dir {site.folder / 'inbox'}"
    assert re.fullmatch(r"  ok; last success \d+ s ago; 2 documents, 1 unreadable", health)
    assert rest == [f"later  dir {site.folder / 'later'}", "  never polled"]
    inbox, later = (json.loads(line) for line in as_json.stdout.splitlines())
    last_success = datetime.fromisoformat(inbox.pop("last_success"))
    assert timedelta(0) <= datetime.now(UTC) - last_success < timedelta(minutes=1)
    assert inbox == {
        "name": "inbox",
        "kind": "dir",
        "target": str(site.folder / "inbox"),
        "polls": 1,
        "failures": 0,
        "last_error": None,
        "documents": 2,
        "problems": 1,
    }
    assert later == {"name": "later", "polls": 0}


# watchd matches


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], ["fresh.txt aleppo", "stale.txt aleppo", "early.txt shamkhani"]),  # newest first
        (["--rule", "shamkhani"], ["early.txt shamkhani"]),
        (["--rule", "nobody"], []),
        (["--since", "1h"], ["fresh.txt aleppo"]),
        (["--since", "1d", "--rule", "aleppo"], ["fresh.txt aleppo", "stale.txt aleppo"]),
        (["--limit", "2"], ["fresh.txt aleppo", "stale.txt aleppo"]),
    ],
)
def test_matches_lists_stored_hits_newest_first(
    archive: Site, options: list[str], expected: list[str]
) -> None:
    result = archive.watchd("matches", "--json", *options)

    assert result.returncode == 0, result.stderr
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f"{name(hit['document'])} {hit['rule']}" for hit in hits] == expected
    for hit in hits:
        assert hit["alert"] is (name(hit["document"]) != "stale.txt")
        [evidence] = hit["evidence"]
        assert all(term["text"] in evidence["sentence"] for term in evidence["terms"])


def test_matches_shows_evidence_and_why_a_hit_did_not_alert(archive: Site) -> None:
    result = archive.watchd("matches")

    assert result.returncode == 0, result.stderr
    heads = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d  #\d+  ", head) for head in heads)
    assert [head.split("  ", 2)[2].split(":")[0] for head in heads] == [
        "aleppo",
        "aleppo",
        "shamkhani",
    ]
    assert heads[0].endswith("aleppo: Resolution on Aleppo")  # alerted: nothing more to say
    assert (
        "aleppo: Resolution on Aleppo  (no alert: older than max_age on the source's first "
        in (heads[1])
    )
    assert "  *Shamkhani* *condemned* *Russia* over the talks." in result.stdout
    assert "    actor: Shamkhani  verb: condemned  target: Russia" in result.stdout
    assert "The *Security Council* passed two *resolutions* on *Aleppo*." in result.stdout
    assert f"  inbox: {archive.folder / 'inbox' / 'early.txt'}" in result.stdout


@pytest.mark.parametrize("value", ["yesterday", "1w", "-1h", "1.5h", ""])
def test_a_bad_since_is_a_usage_error_that_says_what_is_wrong(archive: Site, value: str) -> None:
    result = archive.watchd("matches", "--since", value)

    assert result.returncode == 2
    assert result.stdout == ""
    assert f"Invalid value for --since: {value!r} {BAD_DURATION}" in result.stderr


# watchd search


@pytest.mark.parametrize(
    ("query", "found", "marked"),
    [
        ("condemned", ["early.txt"], "[condemned]"),
        ("condemn", ["early.txt"], "[condemned]"),  # stemmed
        ('"security council"', ["fresh.txt", "stale.txt"], "[Security Council]"),
        ("al-Assad", ["fresh.txt"], "[al-Assad]"),  # not search syntax: read as words
        ("Aleppo NOT passed", ["fresh.txt"], "[Aleppo]"),
    ],
)
def test_search_finds_stored_documents_and_shows_a_snippet(
    archive: Site, query: str, found: list[str], marked: str
) -> None:
    result = archive.watchd("search", query)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    heads, snippets = lines[0::2], lines[1::2]
    assert sorted(name(head.split("  ")[1].removeprefix("inbox: ")) for head in heads) == found
    assert all(snippet.startswith("  ") for snippet in snippets)
    assert marked in snippets[0]
    assert result.stderr == ""


def test_search_says_when_nothing_matches(archive: Site) -> None:
    result = archive.watchd("search", "zebra")

    assert result.returncode == 0
    assert result.stdout == ""
    assert "no stored document matches 'zebra'" in result.stderr


@pytest.mark.parametrize("query", ["", "   "])
def test_a_malformed_search_is_a_usage_error_with_help(archive: Site, query: str) -> None:
    result = archive.watchd("search", query)

    assert result.returncode == 2
    assert f"cannot search for {query!r}" in result.stderr
    assert 'use words, "a phrase", AND, OR, NOT and prefix*' in result.stderr


# watchd backtest


@pytest.mark.parametrize(
    ("since", "fired", "summary"),
    [
        ("30d", ["fresh.txt", "stale.txt"], "2 hits in 3 stored documents"),
        ("1h", ["fresh.txt"], "1 hit in 1 stored document"),
    ],
)
def test_backtest_runs_new_rules_over_the_archive_and_keeps_nothing(
    archive: Site, tmp_path: Path, since: str, fired: list[str], summary: str
) -> None:
    rules = tmp_path / "trial.yaml"
    rules.write_text("rules:\n  - id: aleppo-trial\n    watch: Security Council Aleppo\n")
    tables = ("documents", "hits", "outbox", "deliveries", "problems")
    before = {table: archive.count(table) for table in tables}

    result = archive.watchd("backtest", str(rules), "--since", since)

    assert result.returncode == 0, result.stderr
    heads = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert all(head.endswith("[aleppo-trial]") for head in heads)  # not the config's rules
    assert sorted(name(head.split(": ")[0]) for head in heads) == fired
    assert "*Security Council*" in result.stdout
    assert "ALERT" not in result.stdout
    assert result.stderr.strip() == summary
    assert {table: archive.count(table) for table in tables} == before


# Without a configuration


@pytest.mark.parametrize(
    "command",
    [["once"], ["sources"], ["matches"], ["search", "Aleppo"], ["backtest", "rules"]],
)
def test_commands_without_a_configuration_say_to_give_one(
    tmp_path: Path, command: list[str]
) -> None:
    if Path("/etc/watchd/watchd.yaml").exists():
        pytest.skip("this machine has a configuration in /etc/watchd")
    (tmp_path / "rules").mkdir()

    result = run(tmp_path, *command)

    assert result.returncode == 2
    assert "no configuration: give --config FILE, or create ./watchd.yaml" in result.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "rules"]  # no database made
