"""When to fetch an archived article again: a recrawl schedule that thins out with the article's age.

A schedule is a list of steps ``AGE=INTERVAL``: an article younger than ``AGE`` is fetched again every
``INTERVAL``; the step ``*=INTERVAL`` covers every older article. ``never`` as an interval means "do
not fetch again". The default, :data:`DEFAULT_SCHEDULE`, recrawls an article hourly in its first six
hours, then every 6 hours in its first day, daily in its first week, weekly in its first month, and
monthly after that.

Durations are written ``90s``, ``15m``, ``6h``, ``7d`` or ``2w``. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: The default schedule (also ``NEWSARCHIVE_RECRAWL_SCHEDULE``'s default).
DEFAULT_SCHEDULE = "6h=1h, 24h=6h, 7d=24h, 30d=7d, *=30d"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.I)
#: How long a URL waits after its n-th consecutive failure (n >= 2); the first is retried at once.
FAILURE_BACKOFF = dt.timedelta(hours=1)
FAILURE_BACKOFF_MAX = dt.timedelta(days=1)
#: How long a URL that answered 404/410, or that is no article, waits before it is checked again.
RECHECK_GONE = dt.timedelta(days=30)


def parse_duration(text: str) -> dt.timedelta:
    """``"15m"`` -> 15 minutes; ``ValueError`` naming the accepted units otherwise."""
    match = DURATION.match(text or "")
    if not match:
        raise ValueError(f"bad duration {text!r}: expected a number and a unit s, m, h, d or w (e.g. 6h)")
    return dt.timedelta(seconds=float(match[1]) * UNITS[match[2].lower()])


def format_duration(delta: dt.timedelta) -> str:
    """``timedelta(hours=6)`` -> ``"6h"`` (the largest unit that divides it)."""
    seconds = int(delta.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % UNITS[unit] == 0:
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True)
class RecrawlSchedule:
    """Steps ``(max_age, interval)`` by increasing age; ``max_age`` None is the last step."""

    steps: tuple[tuple[dt.timedelta | None, dt.timedelta | None], ...]

    @classmethod
    def parse(cls, text: str | None) -> RecrawlSchedule:
        """Read ``"6h=1h, 24h=6h, *=30d"``; ``ValueError`` with the offending step otherwise."""
        text = DEFAULT_SCHEDULE if text is None or not str(text).strip() else str(text)
        steps: list[tuple[dt.timedelta | None, dt.timedelta | None]] = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            age_text, sep, interval_text = part.partition("=")
            if not sep:
                raise ValueError(f"bad recrawl schedule step {part!r}: expected AGE=INTERVAL (e.g. 7d=24h)")
            age = None if age_text.strip() == "*" else parse_duration(age_text)
            interval = None if interval_text.strip().lower() == "never" else parse_duration(interval_text)
            if steps and steps[-1][0] is None:
                raise ValueError(f"bad recrawl schedule: step {part!r} comes after the '*' step")
            if age is not None and steps and steps[-1][0] is not None and age <= steps[-1][0]:
                raise ValueError(f"bad recrawl schedule: ages must increase ({part!r})")
            steps.append((age, interval))
        if not steps:
            raise ValueError("empty recrawl schedule")
        return cls(tuple(steps))

    def interval(self, age: dt.timedelta) -> dt.timedelta | None:
        """How often an article of ``age`` is fetched again (None: never)."""
        for max_age, interval in self.steps:
            if max_age is None or age < max_age:
                return interval
        return self.steps[-1][1]

    def next_due(self, now: dt.datetime, born: dt.datetime | None) -> dt.datetime | None:
        """When an article fetched at ``now`` and published (or last modified) at ``born`` is due again."""
        age = now - born if born is not None else dt.timedelta(0)
        interval = self.interval(max(age, dt.timedelta(0)))
        return None if interval is None else now + interval

    def describe(self) -> str:
        """The schedule in its text form."""
        parts = []
        for age, interval in self.steps:
            age_text = "*" if age is None else format_duration(age)
            parts.append(f"{age_text}={'never' if interval is None else format_duration(interval)}")
        return ", ".join(parts)


def failure_backoff(failures: int) -> dt.timedelta:
    """Wait before retrying a URL after ``failures`` consecutive failed runs: none after the first."""
    if failures <= 1:
        return dt.timedelta(0)
    return min(FAILURE_BACKOFF * 2 ** (failures - 2), FAILURE_BACKOFF_MAX)


UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_text(moment: dt.datetime | None) -> str | None:
    """``moment`` as the archive writes times: UTC, ``YYYY-MM-DDTHH:MM:SSZ``."""
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).strftime(UTC_FORMAT)


def from_text(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time (``Z`` or an offset) as an aware datetime; None for empty or unreadable text."""
    if not text:
        return None
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
