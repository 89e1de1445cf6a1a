"""One run per archive: the lock file, re-entrant in a process, released by the OS even after kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import lock
from crawler.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOLDER = """
import sys, time
from crawler import lock
lock.acquire(sys.argv[1])
print("locked", flush=True)
time.sleep(120)
"""


def _holder(db: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "locked"
    return process


def test_reentrant_within_a_process(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with lock.hold(db) as path:
        assert path == tmp_path / "a.db.lock"
        with lock.hold(db):
            assert lock.is_held(db)
        assert lock.is_held(db)
    assert not lock.is_held(db)
    assert f"pid {os.getpid()} since " in path.read_text()


def test_another_process_is_refused_until_the_holder_dies(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    holder = _holder(db)
    try:
        with pytest.raises(
            lock.ArchiveLockedError, match=rf"locked by another run \(pid {holder.pid} since "
        ):
            lock.acquire(db)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        with lock.hold(db):
            assert lock.is_held(db)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_a_second_crawl_exits_at_once_with_code_3(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    holder = _holder(db)
    try:
        started = time.monotonic()
        result = CliRunner().invoke(
            main, ["crawl", "tdi", "--db", str(db), "--replay", str(ROOT / "fixtures" / "sites")]
        )
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 3
    assert "is locked by another run" in result.output
    assert elapsed < 10
    assert not db.exists()
