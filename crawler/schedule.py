"""Ready-to-use scheduler entries for a recurring crawl: a cron line, a systemd service and timer.

An interval must divide an hour (``5m``, ``15m``, ``30m``), a day (``1h``, ``2h``, ``6h``, ``12h``),
or be one day or one week, so that both cron and systemd can express it. The crawl itself takes the
archive's lock, so a run that is still going when the next one starts makes the next one exit with
code 3 at once (the service treats that as success).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive.schedule import format_duration, parse_duration

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence
    from pathlib import Path

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86400, 604800


@dataclass(frozen=True)
class Calendar:
    """One interval as a cron expression and a systemd ``OnCalendar`` expression."""

    interval: dt.timedelta
    cron: str
    on_calendar: str

    @property
    def text(self) -> str:
        return format_duration(self.interval)

    @property
    def words(self) -> str:
        """``every 15 minutes``, ``every hour``, ``every 6 hours``, ``every day``, ``every week``."""
        seconds = int(self.interval.total_seconds())
        for size, unit in ((WEEK, "week"), (DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
            if seconds % size == 0:
                count = seconds // size
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
        return f"every {seconds} seconds"


def calendar(interval: str | dt.timedelta) -> Calendar:
    """The cron and systemd expressions of ``interval``; ``ValueError`` if cron cannot express it."""
    delta = parse_duration(interval) if isinstance(interval, str) else interval
    seconds = int(delta.total_seconds())
    if seconds <= 0 or seconds != delta.total_seconds() or seconds % MINUTE:
        raise ValueError(f"interval {format_duration(delta)}: use whole minutes (e.g. 15m, 1h, 1d)")
    minutes = seconds // MINUTE
    if seconds < HOUR and HOUR % seconds == 0:
        cron = "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
        return Calendar(delta, cron, f"*-*-* *:00/{minutes}:00")
    if seconds < DAY and DAY % seconds == 0 and seconds % HOUR == 0:
        hours = seconds // HOUR
        cron = "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
        return Calendar(delta, cron, f"*-*-* 00/{hours}:00:00")
    if seconds == DAY:
        return Calendar(delta, "0 0 * * *", "*-*-* 00:00:00")
    if seconds == WEEK:
        return Calendar(delta, "0 0 * * 1", "Mon *-*-* 00:00:00")
    raise ValueError(
        f"interval {format_duration(delta)} cannot be written for cron: use minutes dividing an hour "
        "(5m, 10m, 15m, 20m, 30m), hours dividing a day (1h, 2h, 3h, 4h, 6h, 8h, 12h), 1d or 1w"
    )


@dataclass(frozen=True)
class ScheduleText:
    """The three texts :func:`render` produces."""

    cron: str
    service: str
    timer: str
    unit: str


def render(
    site: str,
    *,
    db: Path,
    interval: str,
    command: Sequence[str],
    workdir: Path,
    log: Path,
    extra: Sequence[str] = (),
) -> ScheduleText:
    """A crontab line and a systemd service+timer crawling ``site`` into ``db`` every ``interval``."""
    when = calendar(interval)
    crawl = [*command, "crawl", site, "--db", str(db), "--log-level", "WARNING", *extra]
    line = shlex.join(crawl)
    unit = f"newsarchive-{site}"
    cron = (
        f"# newsarchive: crawl {site} into {db} {when.words} (crontab -e)\n"
        f"{when.cron} cd {shlex.quote(str(workdir))} && {line} >> {shlex.quote(str(log))} 2>&1\n"
    )
    service = (
        f"# /etc/systemd/system/{unit}.service\n"
        "[Unit]\n"
        f"Description=newsarchive: crawl {site} into {db}\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={workdir}\n"
        f"ExecStart={line}\n"
        "# 3: the previous run still holds the archive (this run did nothing); 1 (some URLs failed) and\n"
        "# 4 (site unreachable) are reported as failures.\n"
        "SuccessExitStatus=3\n"
        "Nice=10\n"
    )
    timer = (
        f"# /etc/systemd/system/{unit}.timer  (then: systemctl enable --now {unit}.timer)\n"
        "[Unit]\n"
        f"Description=Crawl {site} {when.words}\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar={when.on_calendar}\n"
        "Persistent=true\n"
        "RandomizedDelaySec=60\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return ScheduleText(cron=cron, service=service, timer=timer, unit=unit)
