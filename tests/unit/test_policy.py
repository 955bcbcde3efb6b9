"""Noise control decisions (Policy.decide and its helpers) on fixed datetimes, and the
configuration and rule settings they come from.

Times are written in Europe/Paris (CET, UTC+1 in winter; CEST, UTC+2 from 2026-03-29 to
2026-10-25); the expected instants are given in UTC where the offset matters.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from watchd.config import QuietHours, load_config
from watchd.cron import weekdays
from watchd.errors import ConfigErrors, RuleErrors
from watchd.notify.policy import SEVERITIES, Drop, Hold, Policy, Shaping, in_window
from watchd.rules import load_rules
from watchd.rules.models import Rule
from watchd.store import OutboxRow

PARIS = ZoneInfo("Europe/Paris")
HOUR = timedelta(hours=1)
NIGHT = QuietHours(start=time(22), end=time(7), bypass="high")
LUNCH = QuietHours(start=time(12), end=time(14))


def local(text: str) -> datetime:
    """`2026-01-15 22:30` in Paris."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def row(
    rule: str = "r", story: int = 1, severity: str = "medium", grp: str | None = None
) -> OutboxRow:
    return OutboxRow(
        id=1,
        hit=1,
        channel="desk",
        service="",
        idempotency_key="watchd-1-desk",
        attempts=0,
        rule=rule,
        story=story,
        severity=severity,
        grp=grp,
    )


def policy(
    rules: Mapping[str, Shaping] | None = None,
    quiet: QuietHours | None = None,
    zone: str = "Europe/Paris",
) -> Policy:
    return Policy(rules or {}, quiet, zone)


# Quiet hours


@pytest.mark.parametrize(
    ("quiet", "now", "end"),
    [
        # 22:00-07:00, across midnight
        (NIGHT, "2026-01-15 21:59", None),
        (NIGHT, "2026-01-15 22:00", "2026-01-16 06:00"),  # the start is in
        (NIGHT, "2026-01-15 23:30", "2026-01-16 06:00"),  # ends tomorrow, 07:00 CET
        (NIGHT, "2026-01-16 00:00", "2026-01-16 06:00"),
        (NIGHT, "2026-01-16 06:59", "2026-01-16 06:00"),  # ends today
        (NIGHT, "2026-01-16 07:00", None),  # the end is out
        (NIGHT, "2026-01-16 12:00", None),
        (NIGHT, "2026-07-01 22:30", "2026-07-02 05:00"),  # summer: 07:00 CEST
        # the night the clocks go forward (02:00 CET -> 03:00 CEST on 2026-03-29)
        (NIGHT, "2026-03-28 23:30", "2026-03-29 05:00"),
        (NIGHT, "2026-03-29 04:00", "2026-03-29 05:00"),
        # and back (03:00 CEST -> 02:00 CET on 2026-10-25)
        (NIGHT, "2026-10-24 23:00", "2026-10-25 06:00"),
        # 12:00-14:00, within a day
        (LUNCH, "2026-01-15 11:59", None),
        (LUNCH, "2026-01-15 12:00", "2026-01-15 13:00"),
        (LUNCH, "2026-01-15 13:59", "2026-01-15 13:00"),
        (LUNCH, "2026-01-15 14:00", None),
        (LUNCH, "2026-01-15 23:00", None),
        (LUNCH, "2026-07-01 12:30", "2026-07-01 12:00"),  # 14:00 CEST
    ],
)
def test_quiet_hours_end_in_the_configured_time_zone(
    quiet: QuietHours, now: str, end: str | None
) -> None:
    found = policy(quiet=quiet).quiet_end(local(now))

    assert found == (utc(end) if end else None)
    if found is not None:
        assert found.tzinfo == UTC


def test_quiet_hours_are_read_on_the_local_clock_not_utc() -> None:
    """21:30 UTC is 22:30 in Paris in January: quiet there, not in UTC."""
    now = utc("2026-01-15 21:30")

    assert policy(quiet=NIGHT, zone="UTC").quiet_end(now) is None
    assert policy(quiet=NIGHT, zone="Europe/Paris").quiet_end(now) == utc("2026-01-16 06:00")
    assert policy(quiet=NIGHT, zone="America/New_York").quiet_end(now) is None  # 16:30


def test_without_quiet_hours_nothing_is_quiet() -> None:
    assert policy().quiet_end(local("2026-01-15 23:00")) is None
    assert policy().decide(row(), local("2026-01-15 23:00"), None) is None


@pytest.mark.parametrize(
    ("moment", "start", "end", "inside"),
    [
        (time(22), time(22), time(7), True),
        (time(3), time(22), time(7), True),
        (time(7), time(22), time(7), False),
        (time(21, 59, 59), time(22), time(7), False),
        (time(13), time(12), time(14), True),
        (time(14), time(12), time(14), False),
        (time(11), time(12), time(14), False),
        (time(0), time(0), time(0), False),  # an empty window
    ],
)
def test_in_window(moment: time, start: time, end: time, inside: bool) -> None:
    assert in_window(moment, start, end) is inside


@pytest.mark.parametrize(
    ("quiet", "severity", "held"),
    [
        (NIGHT, "info", True),
        (NIGHT, "low", True),
        (NIGHT, "medium", True),
        (NIGHT, "high", False),  # bypass: high
        (NIGHT, "critical", False),
        (QuietHours(start=time(22), end=time(7)), "high", True),  # bypass defaults to critical
        (QuietHours(start=time(22), end=time(7)), "critical", False),
    ],
)
def test_a_severity_at_least_bypass_goes_through_quiet_hours(
    quiet: QuietHours, severity: str, held: bool
) -> None:
    assert severity in SEVERITIES
    decision = policy(quiet=quiet).decide(row(severity=severity), local("2026-01-15 23:00"), None)

    assert decision == (Hold(utc("2026-01-16 06:00"), "quiet") if held else None)


# Digests


@pytest.mark.parametrize(
    ("schedule", "now", "run"),
    [
        ("daily", "2026-01-15 11:00", "2026-01-16 07:00"),  # 08:00 CET tomorrow
        ("daily", "2026-01-15 07:59", "2026-01-15 07:00"),  # 08:00 CET today
        ("daily", "2026-07-01 11:00", "2026-07-02 06:00"),  # 08:00 CEST
        ("daily", "2026-03-28 09:00", "2026-03-29 06:00"),  # 08:00 CEST, after the change
        ("hourly", "2026-01-15 10:15", "2026-01-15 10:00"),  # 11:00 CET
        ("weekly", "2026-01-14 12:00", "2026-01-19 07:00"),  # a Wednesday; Monday 08:00
        ("30 9 * * 1-5", "2026-01-15 08:00", "2026-01-15 08:30"),  # Thursday 09:30
        ("30 9 * * 1-5", "2026-01-16 10:00", "2026-01-19 08:30"),  # Friday -> Monday
        ("30 9 * * 1-5", "2026-01-17 10:00", "2026-01-19 08:30"),  # Saturday -> Monday
        ("30 9 * * 1-5", "2026-01-18 10:00", "2026-01-19 08:30"),  # Sunday -> Monday
        ("30 9 * * 1-5", "2026-03-27 12:00", "2026-03-30 07:30"),  # Friday, over the change
        ("0 18 * * 0", "2026-01-14 12:00", "2026-01-18 17:00"),  # Sunday is 0 ...
        ("0 18 * * 7", "2026-01-14 12:00", "2026-01-18 17:00"),  # ... and 7
        ("0 8 * * sat", "2026-01-14 12:00", "2026-01-17 07:00"),
    ],
)
def test_a_digest_is_held_until_the_next_run_of_its_schedule(
    schedule: str, now: str, run: str
) -> None:
    cron = Rule(id="r", watch="Iran", digest=schedule).digest
    assert cron is not None
    rules = {"r": Shaping(digest=cron)}

    decision = policy(rules).decide(row(), local(now), None)

    assert decision == Hold(utc(run), "digest:r")


@pytest.mark.parametrize(
    ("schedule", "cron"),
    [("hourly", "0 * * * *"), ("daily", "0 8 * * *"), ("weekly", "0 8 * * 1")],
)
def test_digest_shorthands(schedule: str, cron: str) -> None:
    assert Rule(id="r", watch="Iran", digest=schedule).digest == cron


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("mon-fri/2", "mon,wed,fri"),
        ("0,6", "sun,sat"),
        ("fri-sun", "sun,fri,sat"),
        ("*", "*"),
    ],
)
def test_crontab_weekdays_count_from_sunday(field: str, names: str) -> None:
    assert weekdays(field) == names


@pytest.mark.parametrize(
    ("field", "message"),
    [("8", "0 and 7 are Sunday"), ("5-1", "forwards"), ("*/0", "positive"), ("x", "sun, mon")],
)
def test_bad_crontab_weekdays(field: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        weekdays(field)


# Throttle


@pytest.mark.parametrize(
    ("now", "last_sent", "decision"),
    [
        ("10:00", None, None),  # the first alert goes at once
        ("10:20", "10:00", Hold(utc("2026-01-15 10:00"), "throttle:r")),  # last send + 1 h
        ("10:59", "10:00", Hold(utc("2026-01-15 10:00"), "throttle:r")),
        ("11:00", "10:00", None),  # the period is over
        ("12:30", "10:00", None),
    ],
)
def test_a_throttled_rule_is_held_until_its_last_send_plus_the_period(
    now: str, last_sent: str | None, decision: Hold | None
) -> None:
    rules = {"r": Shaping(throttle=HOUR)}
    sent = local(f"2026-01-15 {last_sent}") if last_sent else None

    assert policy(rules).decide(row(), local(f"2026-01-15 {now}"), sent) == decision


def test_a_rule_without_throttle_is_not_held_by_a_recent_send() -> None:
    rules = {"r": Shaping(throttle=HOUR)}
    now = local("2026-01-15 10:20")

    assert policy(rules).decide(row(rule="other"), now, local("2026-01-15 10:00")) is None


# Silences and acknowledgements


def silence(rule: str | None, reason: str = "") -> dict[str, Any]:
    return {
        "kind": "silence",
        "rule": rule,
        "story": None,
        "until": "2026-01-15T12:00Z",
        "reason": reason,
    }


def ack(story: int) -> dict[str, Any]:
    return {"kind": "ack", "rule": None, "story": story, "until": "2026-01-16T10:00Z", "reason": ""}


@pytest.mark.parametrize(
    ("entries", "delivery", "reason"),
    [
        ([silence("r", "deploy")], row(rule="r"), "rule silenced until 2026-01-15T12:00Z: deploy"),
        ([silence("r")], row(rule="r"), "rule silenced until 2026-01-15T12:00Z: no reason"),
        ([silence("r")], row(rule="other"), None),  # another rule still alerts
        ([ack(7)], row(rule="r", story=7), "story acknowledged until 2026-01-16T10:00Z"),
        ([ack(7)], row(rule="other", story=7), "story acknowledged until 2026-01-16T10:00Z"),
        ([ack(7)], row(rule="r", story=8), None),  # another story still alerts
        ([silence("other"), ack(8)], row(rule="r", story=7), None),
        ([silence("other"), ack(7)], row(rule="r", story=7), "story acknowledged"),
        ([silence("r")], row(rule="r", severity="critical", grp="quiet"), "rule silenced"),
    ],
)
def test_a_silenced_rule_or_an_acknowledged_story_is_dropped_with_the_reason(
    entries: list[dict[str, Any]], delivery: OutboxRow, reason: str | None
) -> None:
    decision = policy().decide(delivery, local("2026-01-15 10:00"), None, entries)

    if reason is None:
        assert decision is None
    else:
        assert isinstance(decision, Drop) and decision.reason.startswith(reason)


def test_a_silence_wins_over_digest_throttle_and_quiet_hours() -> None:
    rules = {"r": Shaping(throttle=HOUR, digest="0 8 * * *")}
    now = local("2026-01-15 23:00")

    decision = policy(rules, NIGHT).decide(row(), now, now - timedelta(minutes=5), [silence("r")])

    assert isinstance(decision, Drop)


# Held rows, when they are due


@pytest.mark.parametrize(
    ("grp", "now", "decision"),
    [
        # due: sent, not held again by the throttle (sent 20 min ago) nor the digest
        ("throttle:r", "2026-01-15 10:20", None),
        ("digest:r", "2026-01-15 08:00", None),
        ("quiet", "2026-01-15 07:00", None),
        # due during quiet hours: held until they end, in the same group
        ("throttle:r", "2026-01-15 23:00", Hold(utc("2026-01-16 06:00"), "throttle:r")),
        ("digest:r", "2026-01-16 06:00", Hold(utc("2026-01-16 06:00"), "digest:r")),
        ("quiet", "2026-01-15 22:00", Hold(utc("2026-01-16 06:00"), "quiet")),
    ],
)
def test_a_held_row_when_due_is_sent_unless_quiet_hours_hold_it_in_its_group(
    grp: str, now: str, decision: Hold | None
) -> None:
    rules = {"r": Shaping(throttle=HOUR, digest="0 8 * * *")}
    at = local(now)

    assert policy(rules, NIGHT).decide(row(grp=grp), at, at - timedelta(minutes=20)) == decision


def test_a_new_row_during_quiet_hours_is_throttled_first_then_held_for_quiet() -> None:
    rules = {"r": Shaping(throttle=HOUR)}
    now = local("2026-01-15 23:00")
    quiet_policy = policy(rules, NIGHT)

    throttled = quiet_policy.decide(row(), now, now - timedelta(minutes=20))
    free = quiet_policy.decide(row(), now, now - 2 * HOUR)

    assert throttled == Hold(utc("2026-01-15 22:40"), "throttle:r")
    assert free == Hold(utc("2026-01-16 06:00"), "quiet")


# The settings they come from


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ('"22:00"', '"07:00"', (time(22), time(7))),
        ("22:00", "07:00", (time(22), time(7))),  # 22:00 unquoted is YAML 1.1's 1320
        ("21:30", "7:30", (time(21, 30), time(7, 30))),  # both sexagesimal
        ("'12:00'", "'14:00'", (time(12), time(14))),
    ],
)
def test_quiet_hours_as_strings_or_yaml_sexagesimal_numbers(
    tmp_path: Path, start: str, end: str, expected: tuple[time, time]
) -> None:
    path = write(
        tmp_path / "watchd.yaml",
        f"""
        timezone: Europe/Paris
        quiet_hours: {{start: {start}, end: {end}, bypass: high}}
        """,
    )

    config = load_config(path, {})

    assert config.quiet_hours is not None
    assert (config.quiet_hours.start, config.quiet_hours.end) == expected
    assert (config.timezone, config.quiet_hours.bypass) == ("Europe/Paris", "high")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "database: x.db\ntimezone: Europe/Parsi\n",
            "2:11: 'timezone': must be a time zone like UTC, Europe/Paris or America/New_York, "
            "got 'Europe/Parsi'",
        ),
        (
            "quiet_hours:\n  start: '22:00'\n  end: '25:00'\n",
            "3:8: 'end': must be a time of day like 22:00, got '25:00'",
        ),
        (
            "quiet_hours:\n  start: '22:00'\n  end: '07:00'\n  bypass: loud\n",
            "4:11: 'bypass': input should be 'info', 'low', 'medium', 'high' or 'critical', "
            "got 'loud'",
        ),
        ("quiet_hours: {start: '22:00'}\n", "1:14: missing key 'end'; add it"),
    ],
)
def test_bad_noise_settings_in_the_configuration_are_located(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "watchd.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigErrors) as caught:
        load_config(path, {})

    assert [str(error) for error in caught.value] == [f"{path}:{message}"]


def test_bad_digest_and_throttle_settings_in_a_rule_are_located(tmp_path: Path) -> None:
    path = write(
        tmp_path / "rules.yaml",
        """
        rules:
          - id: a
            watch: Iran
            digest: every day
          - id: b
            watch: Iran
            digest: "0 8 * * 8"
          - id: c
            watch: Iran
            throttle: 1 hour
        """,
    )
    schedule = "'digest': must be hourly, daily, weekly or a cron expression like '0 8 * * 1-5'"

    with pytest.raises(RuleErrors) as caught:
        load_rules([path])

    assert [str(error) for error in caught.value] == [
        f"{path}:4:13: {schedule}, got 'every day'",
        f"{path}:7:13: {schedule}, got '0 8 * * 8'",
        f"{path}:10:15: 'throttle': must be a duration like 30s, 10m, 6h or 2d, got '1 hour'",
    ]


def test_a_policy_is_made_of_the_configuration_and_the_rules(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path / "watchd.yaml",
            """
            timezone: America/New_York
            quiet_hours: {start: "23:00", end: "06:00"}
            """,
        ),
        {},
    )
    rules = load_rules(
        [
            write(
                tmp_path / "rules" / "r.yaml",
                """
                rules:
                  - {id: slow, watch: Iran, throttle: 30m}
                  - {id: morning, watch: Iran, digest: weekly}
                  - {id: plain, watch: Iran}
                """,
            )
        ]
    )

    made = Policy.of(config, rules)

    assert dict(made.rules) == {
        "slow": Shaping(throttle=timedelta(minutes=30)),
        "morning": Shaping(digest="0 8 * * 1"),
    }
    assert made.quiet == QuietHours(start=time(23), end=time(6), bypass="critical")
    assert made.zone == ZoneInfo("America/New_York")
    assert made.decide(row(rule="plain"), utc("2026-01-15 12:00"), None) is None
    assert made.decide(row(rule="morning"), utc("2026-01-15 12:00"), None) == Hold(
        utc("2026-01-19 13:00"),
        "digest:morning",  # Monday 08:00 EST
    )
