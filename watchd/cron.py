"""Five-field crontab lines as APScheduler triggers, with crontab's weekday numbers.

APScheduler 3 numbers weekdays from Monday = 0 (its `from_crontab` passes the field
through unchanged), while crontab numbers them from Sunday = 0, with 7 also Sunday: so
`0 8 * * 1` would fire on Tuesdays. Here the day-of-week field is read as crontab reads
it and handed to APScheduler as names.
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab(
    expr: str, timezone: tzinfo | str | None = None, jitter: int | None = None
) -> CronTrigger:
    """The trigger of `minute hour day month weekday`; raises ValueError saying why not."""
    values = expr.split()
    if len(values) != 5:
        raise ValueError(f"wrong number of fields; got {len(values)}, expected 5")
    minute, hour, day, month, weekday = values
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=weekdays(weekday),
        timezone=timezone,
        jitter=jitter,
    )


def weekdays(field: str) -> str:
    """A crontab day-of-week field (`1-5`, `0,6`, `*/2`, `mon-fri`) as APScheduler names."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        span, slash, step_text = part.partition("/")
        if slash and (not step_text.isdigit() or int(step_text) == 0):
            raise ValueError(f"day of week {part!r}: the step must be a positive number")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        else:
            start, dash, end = span.partition("-")
            first = _weekday(start, part)
            last = _weekday(end, part, end=True) if dash else (6 if slash else first)
        if first > last:
            raise ValueError(f"day of week {part!r}: a range must go forwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(WEEKDAYS[day] for day in sorted(days))


def _weekday(text: str, part: str, end: bool = False) -> int:
    """0 to 7 (0 and 7 are Sunday), or a name; Sunday ending a range is 7."""
    name = text.lower()
    if name in WEEKDAYS:
        index = WEEKDAYS.index(name)
        return 7 if end and index == 0 else index
    if text.isdigit() and int(text) <= 7:
        return int(text)
    raise ValueError(f"day of week {part!r}: use 0-7 (0 and 7 are Sunday) or sun, mon, ... sat")
