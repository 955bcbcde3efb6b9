"""watchd.yaml: validation with positions, ${VAR}, durations, cron, relative paths."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from watchd.cli import main
from watchd.config import load_config, parse_duration
from watchd.errors import ConfigErrors


def write(folder: Path, text: str) -> Path:
    path = folder / "watchd.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def messages(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        load_config(path, environ or {})
    return [str(error) for error in caught.value]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("10m", timedelta(minutes=10)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        (" 5 m ", timedelta(minutes=5)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["30", "10 minutes", "1w", "", "-1h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="like 30s, 10m, 1h or 2d"):
        parse_duration(text)


def test_a_valid_configuration(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        database: state/watchd.db
        rules: [./rules, /srv/rules]
        channels: {desk: "mailto://${SMTP_USER}@example.org"}
        notify: [desk, console]
        sources:
          - {name: inbox, dir: ./inbox}
          - {name: news, feed: "https://example.org/feed.xml", every: 5m, jitter: 30s}
          - {name: un, page: "https://press.un.org/en", cron: "0 * * * *", selector: main}
        """,
    )
    config = load_config(path, {"SMTP_USER": "alerts"})
    assert config.channels["desk"] == "mailto://alerts@example.org"
    assert config.rule_paths == [tmp_path / "rules", Path("/srv/rules")]
    assert config.path(config.database) == tmp_path / "state" / "watchd.db"
    inbox, news, un = config.sources
    folder = str((tmp_path / "inbox").absolute())  # relative to the configuration file
    assert (inbox.kind, inbox.target, inbox.interval) == ("dir", folder, timedelta(seconds=30))
    assert (news.interval, news.jitter, news.max_age) == (
        timedelta(minutes=5),
        timedelta(seconds=30),
        timedelta(days=2),
    )
    assert (un.kind, un.interval, un.cron) == ("page", None, "0 * * * *")


def test_every_problem_is_located_and_collected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        channels: {desk: "mailto://${SMTP_PASS}@example.org"}
        sources:
          - {name: a, dir: ./inbox, every: 30 seconds}
          - {name: b, feed: "https://x", page: "https://y"}
          - {name: c, page: "https://z", cron: "61 * * * *"}
          - {name: d, dir: ./d, evry: 1h}
        databse: x.db
        """,
    )
    found = messages(path)
    assert found[0].startswith(f"{path}:1:18: environment variable 'SMTP_PASS' is not set")
    assert f"{path}:3:36: 'every': must be a duration like 30s, 10m, 1h or 2d" in found[1]
    assert f"{path}:4:5: 'sources': give exactly one of dir:, feed: or page: (found 2)" == found[2]
    assert found[3].startswith(f"{path}:5:40: 'cron': must be a cron expression")
    assert found[4] == f"{path}:6:25: unknown key 'evry' (did you mean 'every'?)"
    assert found[5] == f"{path}:7:1: unknown key 'databse' (did you mean 'database'?)"
    assert len(found) == 6


def test_values_from_the_environment_are_not_repeated_in_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - {name: a, dir: ./a, every: '${EVERY}'}\n")
    (message,) = messages(path, {"EVERY": "hunter2"})
    assert "hunter2" not in message and "must be a duration" in message


def test_notify_must_name_a_channel(tmp_path: Path) -> None:
    path = write(tmp_path, "channels: {desk: 'json://localhost'}\nnotify: [desk, chat]\n")
    (message,) = messages(path)
    assert "notify: names no channel 'chat'" in message and "known: desk, console" in message


def test_check_with_a_configuration_checks_its_rules_and_channels(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(
        "rules:\n  - id: r\n    watch: Iran criticizes Israel\n    notify: [desk, chat]\n"
    )
    path = write(tmp_path, "channels: {desk: 'json://localhost'}\nrules: [rules]\n")
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 1
    assert "r.yaml:2:5: rule 'r' notifies 'chat', which no channel is" in result.output
    (tmp_path / "rules" / "r.yaml").write_text("rules:\n  - id: r\n    watch: Iran\n")
    result = CliRunner().invoke(main, ["--config", str(path), "check"])
    assert result.exit_code == 0 and result.output.startswith("ok: 0 sources, 1 rule,")
