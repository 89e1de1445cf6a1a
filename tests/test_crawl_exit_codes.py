"""Exit codes of ``newsarchive crawl`` for configuration errors and an unreachable site."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["-s", "NEWSARCHIVE_RECRAWL_SCHEDULE=6h"], "expected AGE=INTERVAL"),
        (["-s", "NEWSARCHIVE_NOW=yesterday"], "not an ISO 8601 time"),
        (["--replay-faults", "rate=0.2"], "add --replay DIR"),
        (["--replay", str(SITES), "--replay-faults", "rate=5"], "between 0 and 1"),
    ],
)
def test_configuration_errors_exit_with_2_before_anything_starts(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    db = tmp_path / "a.db"
    result = CliRunner().invoke(main, ["crawl", "tdi", "--db", str(db), *arguments])

    assert result.exit_code == 2
    assert message in result.output
    assert not db.exists()


def test_an_unreachable_start_page_exits_with_4(tmp_path: Path) -> None:
    site = tmp_path / "sites" / "thediplomaticinsight.com"
    site.mkdir(parents=True)
    (site / "_site.json").write_text(json.dumps({"status": {"/": 503}}))
    db = tmp_path / "a.db"
    command = [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "tdi",
        "--db",
        str(db),
        "--replay",
        str(site.parent),
    ]

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert result.returncode == 4, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1].startswith("newsarchive crawl tdi: failed (exit 4): ")
    assert "Failed home http://thediplomaticinsight.com/: http_503" in result.stderr


@pytest.mark.parametrize(
    ("options", "line"),
    [
        (
            ["--replay-faults", "kinds=slow,rate=1,delay=2", "-s", "DOWNLOAD_TIMEOUT=1"],
            "Could not fetch http://thediplomaticinsight.com/: timeout"
            " (no complete answer within DOWNLOAD_TIMEOUT = 1 s)",
        ),
        (
            ["-s", "DOWNLOAD_MAXSIZE=20000", "-s", "DOWNLOAD_WARNSIZE=0"],
            "Could not fetch http://thediplomaticinsight.com/: too_large"
            " (larger than DOWNLOAD_MAXSIZE = 20000 bytes)",
        ),
    ],
)
def test_size_and_time_limits_are_logged_clearly(tmp_path: Path, options: list[str], line: str) -> None:
    db = tmp_path / "a.db"
    command = [sys.executable, "-m", "crawler.cli", "crawl", "tdi", "--db", str(db), "--replay", str(SITES)]
    command += [
        "-s",
        "RETRY_TIMES=0",
        "-s",
        "NEWSARCHIVE_SITEMAPS=False",
        "-s",
        "NEWSARCHIVE_FEEDS=False",
        *options,
    ]

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert result.returncode == 4, result.stderr[-3000:]
    assert line in result.stderr
