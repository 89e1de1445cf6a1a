"""The recrawl schedule: intervals by article age, parsing, failure back-off; the scheduler entries."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from archive.schedule import (
    DEFAULT_SCHEDULE,
    RecrawlSchedule,
    failure_backoff,
    format_duration,
    from_text,
    parse_duration,
    to_text,
)
from crawler.cli import main
from crawler.schedule import calendar

if TYPE_CHECKING:
    from pathlib import Path

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("age", "interval"),
    [
        (dt.timedelta(0), H),
        (5 * H, H),
        (6 * H, 6 * H),
        (23 * H, 6 * H),
        (2 * D, 24 * H),
        (20 * D, 7 * D),
        (400 * D, 30 * D),
    ],
)
def test_default_schedule_thins_out_with_age(age: dt.timedelta, interval: dt.timedelta) -> None:
    assert RecrawlSchedule.parse(DEFAULT_SCHEDULE).interval(age) == interval


def test_next_due_from_publication_date() -> None:
    schedule = RecrawlSchedule.parse(None)
    assert schedule.next_due(NOW, NOW - 2 * H) == NOW + H
    assert schedule.next_due(NOW, NOW - 3 * 365 * D) == NOW + 30 * D
    assert schedule.next_due(NOW, None) == NOW + H
    assert schedule.next_due(NOW, NOW + D) == NOW + H  # published "in the future": youngest step


def test_never_and_describe() -> None:
    schedule = RecrawlSchedule.parse("1d=1h, *=never")
    assert schedule.next_due(NOW, NOW - 2 * D) is None
    assert schedule.describe() == "1d=1h, *=never"
    default = RecrawlSchedule.parse("")
    assert default == RecrawlSchedule.parse(DEFAULT_SCHEDULE)
    assert RecrawlSchedule.parse(default.describe()) == default


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("6h", "expected AGE=INTERVAL"),
        ("6h=1x", "bad duration"),
        ("1d=1h, 6h=2h", "ages must increase"),
        ("*=1h, 6h=2h", "after the '*' step"),
        (" , ", "empty recrawl schedule"),
    ],
)
def test_bad_schedules_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        RecrawlSchedule.parse(text)


def test_durations_and_times() -> None:
    assert parse_duration("90s") == dt.timedelta(seconds=90)
    assert parse_duration(" 2w ") == 14 * D
    assert format_duration(6 * H) == "6h"
    assert format_duration(dt.timedelta(seconds=90)) == "90s"
    assert to_text(from_text("2026-11-20T15:00:00+05:00")) == "2026-11-20T10:00:00Z"
    assert from_text("not a date") is None


def test_failure_backoff_retries_the_first_failure_at_once() -> None:
    assert [failure_backoff(n) for n in (1, 2, 3, 4)] == [dt.timedelta(0), H, 2 * H, 4 * H]
    assert failure_backoff(30) == D


# --- newsarchive schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "cron", "on_calendar"),
    [
        ("15m", "*/15 * * * *", "*-*-* *:00/15:00"),
        ("1h", "0 * * * *", "*-*-* 00/1:00:00"),
        ("6h", "0 */6 * * *", "*-*-* 00/6:00:00"),
        ("1d", "0 0 * * *", "*-*-* 00:00:00"),
        ("1w", "0 0 * * 1", "Mon *-*-* 00:00:00"),
    ],
)
def test_calendar_expressions(every: str, cron: str, on_calendar: str) -> None:
    when = calendar(every)
    assert (when.cron, when.on_calendar) == (cron, on_calendar)


@pytest.mark.parametrize("every", ["90m", "5h", "2d", "45s", "7m"])
def test_intervals_cron_cannot_express_are_refused(every: str) -> None:
    with pytest.raises(ValueError, match="cron|whole minutes"):
        calendar(every)


def test_schedule_command_prints_cron_and_systemd(tmp_path: Path) -> None:
    db = tmp_path / "news" / "tdi.db"
    result = CliRunner().invoke(
        main, ["schedule", "tdi", "--db", str(db), "--every", "6h", "-s", "LOG_FILE=x"]
    )

    assert result.exit_code == 0, result.output
    out = result.output
    cron_line = next(line for line in out.splitlines() if line.startswith("0 */6 * * * "))
    command = cron_line.split(" && ", 1)[1].split(" >> ", 1)[0]
    argv = shlex.split(command)
    assert argv[argv.index("crawl") + 1] == "tdi"
    assert argv[argv.index("--db") + 1] == str(db.resolve())
    assert argv[-2:] == ["-s", "LOG_FILE=x"]
    assert f">> {db.resolve().with_suffix('.log')} 2>&1" in cron_line
    assert "[Service]\nType=oneshot\n" in out
    assert f"ExecStart={command}\n" in out
    assert "SuccessExitStatus=3\n" in out
    assert "OnCalendar=*-*-* 00/6:00:00\n" in out
    assert "Persistent=true" in out and "WantedBy=timers.target" in out


def test_schedule_command_refuses_a_bad_interval(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schedule", "tdi", "--db", str(tmp_path / "a.db"), "--every", "90m"])

    assert result.exit_code == 2
    assert "cannot be written for cron" in result.output
    unknown = CliRunner().invoke(main, ["schedule", "nosuchsite", "--db", str(tmp_path / "a.db")])
    assert unknown.exit_code == 2
