"""kill -9 in the middle of a crawl, then run again: the run resumes, nothing stored twice, nothing
missing, the database intact; meanwhile a second crawl of the same archive is refused (exit code 3)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
MANIFEST = SITES / "thediplomaticinsight.com.manifest.json"


def _command(db: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "crawl",
        "tdi",
        "--db",
        str(db),
        "--replay",
        str(SITES),
        *extra,
    ]


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as connection:
            return connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _wait_for(db: Path, articles: int, crawl: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while _count(db) < articles and time.monotonic() < deadline and crawl.poll() is None:
        time.sleep(0.1)


def test_kill_9_then_resume(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    slow = _command(
        db,
        "--replay-faults",
        "kinds=slow,rate=1,delay=0.4",
        "-s",
        "NEWSARCHIVE_BATCH_SIZE=10",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    )
    crawl = subprocess.Popen(slow, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        _wait_for(db, 10, crawl)
        locked = subprocess.run(_command(db), cwd=ROOT, capture_output=True, text=True, timeout=120)
        _wait_for(db, 20, crawl)
        assert crawl.poll() is None, "the crawl ended before it could be killed"
        os.kill(crawl.pid, signal.SIGKILL)
        crawl.wait(timeout=30)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait()

    assert locked.returncode == 3, locked.stderr[-2000:]
    assert "is locked by another run" in locked.stderr
    killed = sqlite3.connect(db)
    stored = {row[0] for row in killed.execute("SELECT url FROM articles")}
    assert killed.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 20 <= len(stored) < 166, len(stored)
    assert killed.execute("SELECT status, finished FROM crawls").fetchall() == [("running", None)]
    killed.close()

    rerun = subprocess.run(
        _command(db, "--replay-log", str(tmp_path / "rerun.jsonl")),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert rerun.returncode == 1, rerun.stderr[-3000:]  # partial: the saved copy's URL answering 500
    connection = sqlite3.connect(db)
    urls = [row[0] for row in connection.execute("SELECT url FROM articles")]
    expected = json.loads(MANIFEST.read_text())["articles"]
    assert sorted(urls) == sorted(expected), (set(expected) - set(urls), rerun.stderr[-3000:])
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    versions = connection.execute(
        "SELECT a.url, v.version, v.changed_fields FROM article_versions v"
        " JOIN articles a ON a.id = v.article_id WHERE v.version > 1"
    ).fetchall()
    assert versions == [], versions
    assert connection.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 166
    pending = connection.execute("SELECT url, kind FROM urls WHERE state = 'pending'").fetchall()
    assert pending == [], pending
    connection.close()
    requested = [json.loads(line)["url"] for line in (tmp_path / "rerun.jsonl").read_text().splitlines()]
    assert not stored & set(requested), ("fetched again after the kill", stored & set(requested))
    assert (
        len({u for u in requested if not urlsplit(u).path.startswith("/category/")}) < 166 - len(stored) + 12
    )
