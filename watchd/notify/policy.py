"""Noise control at dispatch time: whether a due delivery is sent now, held, or dropped.

Hits are always stored; only their delivery is shaped here, in this order:
- a rule silenced, or a story acknowledged, with `watchd silence` / `watchd ack`: dropped,
  with the reason recorded;
- a rule with `digest:` (a cron schedule in the configuration's time zone): held until
  the next run of the schedule, then sent with the others of its group as one message;
  a channel with `digest:` does the same for the alerts of rules that shape none;
- a rule with `throttle:`: at most one message per period per rule and channel; later
  alerts are held until the period ends and then sent together, counted in one message;
- `quiet_hours:` held until they end, unless the rule's severity is at least `bypass`.
Pure: the clock, the last send and the silences are given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from watchd.config import Channel, Config, QuietHours, parse_duration
from watchd.cron import crontab
from watchd.rules import RuleSet
from watchd.store import OutboxRow

SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Hold:
    until: datetime
    group: str


@dataclass(frozen=True, slots=True)
class Drop:
    reason: str


Decision = Hold | Drop | None  # None: send now


@dataclass(frozen=True, slots=True)
class Shaping:
    """What one rule asks of its deliveries."""

    throttle: timedelta | None = None
    digest: str | None = None  # a cron line


class Policy:
    def __init__(
        self,
        rules: Mapping[str, Shaping],
        quiet: QuietHours | None = None,
        zone: str = "UTC",
        channels: Mapping[str, str] | None = None,
    ) -> None:
        self.rules = rules
        self.quiet = quiet
        self.zone = ZoneInfo(zone)
        self.channels = channels or {}  # channel -> its digest schedule

    @classmethod
    def of(cls, config: Config, ruleset: RuleSet) -> Policy:
        rules = {
            rule.id: Shaping(
                parse_duration(rule.model.throttle) if rule.model.throttle else None,
                rule.model.digest,
            )
            for rule in ruleset.rules
            if rule.model.throttle or rule.model.digest
        }
        channels = {
            name: channel.digest
            for name, channel in config.channels.items()
            if isinstance(channel, Channel) and channel.digest
        }
        return cls(rules, config.quiet_hours, config.timezone, channels)

    def decide(
        self,
        row: OutboxRow,
        now: datetime,
        last_sent: datetime | None,
        silences: Sequence[Mapping[str, Any]] = (),
    ) -> Decision:
        """What to do with a due `row` at `now`."""
        silenced = self.silenced(row, silences)
        if silenced:
            return Drop(silenced)
        if row.grp is None:
            held = self._shaped(row, now, last_sent)
            if held:
                return held
        quiet_end = self.quiet_end(now)
        if quiet_end and not self.bypasses(row.severity):
            return Hold(quiet_end, row.grp or "quiet")
        return None

    def _shaped(self, row: OutboxRow, now: datetime, last_sent: datetime | None) -> Hold | None:
        shaping = self.rules.get(row.rule)
        if shaping is None:
            digest = self.channels.get(row.channel)
            return Hold(self.next_run(digest, now), f"digest:@{row.channel}") if digest else None
        if shaping.digest:
            return Hold(self.next_run(shaping.digest, now), f"digest:{row.rule}")
        if shaping.throttle and last_sent and now < last_sent + shaping.throttle:
            return Hold(last_sent + shaping.throttle, f"throttle:{row.rule}")
        return None

    def silenced(self, row: OutboxRow, silences: Sequence[Mapping[str, Any]]) -> str:
        """Why `row` is silenced ("" if it is not)."""
        for entry in silences:
            if entry["kind"] == "silence" and entry["rule"] in (row.rule, None):
                return f"rule silenced until {entry['until']}: {entry['reason'] or 'no reason'}"
            if entry["kind"] == "ack" and entry["story"] == row.story:
                return f"story acknowledged until {entry['until']}"
        return ""

    def next_run(self, cron: str, now: datetime) -> datetime:
        trigger = crontab(cron, timezone=self.zone)
        fire: datetime = trigger.get_next_fire_time(None, now.astimezone(self.zone))
        return fire.astimezone(UTC)

    def quiet_end(self, now: datetime) -> datetime | None:
        """When the quiet hours `now` falls in end, or None when it falls in none."""
        if self.quiet is None:
            return None
        local = now.astimezone(self.zone)
        start, end = self.quiet.start, self.quiet.end
        if not in_window(local.time(), start, end):
            return None
        day = local.date() if local.time() < end else local.date() + timedelta(days=1)
        return datetime.combine(day, end, tzinfo=self.zone).astimezone(UTC)

    def bypasses(self, severity: str) -> bool:
        assert self.quiet is not None
        return SEVERITIES.index(severity) >= SEVERITIES.index(self.quiet.bypass)


def in_window(moment: time, start: time, end: time) -> bool:
    """Whether a time of day is in [start, end), a window that may cross midnight."""
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end
