"""Extraction in worker processes: same results as in the crawl process, errors, logs, dead workers."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlite_utils

from crawler.chain import build_article, read_listing
from crawler.cleaning import clean_article
from crawler.extraction_pool import ExtractionPool, RemoteTraceback, WorkerLost, processes_setting
from crawler.sites import get_profile

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "fixtures" / "sites" / "thediplomaticinsight.com"
ARTICLE_URL = "http://thediplomaticinsight.com/icaft-conference-of-oas-led-by-mexico/"
LISTING_URL = "http://thediplomaticinsight.com/category/news/"


class _Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


def _with_pool(processes: int, body: Callable[[ExtractionPool], Coroutine[Any, Any, Any]]) -> Any:
    pool = ExtractionPool(processes, _Stats())

    async def main() -> Any:
        try:
            return await body(pool)
        finally:
            pool.close()

    return asyncio.run(main())


def _page(url: str) -> bytes:
    path = url.split("thediplomaticinsight.com/", 1)[1]
    return (SITE / path / "index.html").read_bytes()


@pytest.mark.parametrize(
    ("value", "cpus", "expected"),
    [("auto", 1, 0), ("auto", 2, 1), ("auto", 8, 7), ("", 4, 3), (None, 2, 1), ("0", 8, 0), (3, 1, 3)],
)
def test_processes_setting(value: Any, cpus: int, expected: int) -> None:
    assert processes_setting(value, cpus=cpus) == expected


@pytest.mark.parametrize("value", ["many", "-1", -2, "1.5", 1.5, True])
def test_processes_setting_rejects_nonsense(value: Any) -> None:
    with pytest.raises(ValueError, match="NEWSARCHIVE_EXTRACT_PROCESSES"):
        processes_setting(value, cpus=2)


def test_article_listing_and_cleaning_in_a_worker_equal_in_process() -> None:
    profile = get_profile("tdi")
    kwargs = {"profile": profile, "fetched_at": "2026-11-20T10:00:00+00:00", "encoding": "utf-8"}

    async def work(pool: ExtractionPool) -> tuple[Any, Any, Any]:
        raw = await pool.run(build_article, _page(ARTICLE_URL), ARTICLE_URL, **kwargs)
        listing = await pool.run(read_listing, _page(LISTING_URL), LISTING_URL, profile=profile)
        cleaned = await pool.run(clean_article, dataclasses.replace(raw))
        return raw, listing, cleaned

    in_worker = _with_pool(1, work)
    in_process = _with_pool(0, work)
    assert in_worker == in_process
    raw, listing, cleaned = in_worker
    assert raw.title and raw.content_html and not raw.body_text
    assert "ammunition" in cleaned.body_text
    assert len(listing.articles) >= 5 and listing.next_page.endswith("/page/2/")


def test_an_error_in_a_worker_is_raised_with_its_traceback() -> None:
    async def work(pool: ExtractionPool) -> None:
        await pool.run(int, "not a number")

    with pytest.raises(ValueError, match="not a number") as raised:
        _with_pool(1, work)
    assert isinstance(raised.value.__cause__, RemoteTraceback)
    assert "ValueError" in raised.value.__cause__.text


def test_worker_log_records_go_through_this_process_logging(caplog: pytest.LogCaptureFixture) -> None:
    worker_logger = logging.getLogger("crawler.pages.test_worker")

    async def work(pool: ExtractionPool) -> int:
        await pool.run(worker_logger.warning, "odd page %s", "http://example.com/x/")
        return await pool.run(os.getpid)

    with caplog.at_level(logging.INFO):
        worker_pid = _with_pool(1, work)
    assert worker_pid != os.getpid()
    records = [r for r in caplog.records if r.name == "crawler.pages.test_worker"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.WARNING, "odd page http://example.com/x/")
    ]
    assert records[0].process == worker_pid


def test_a_dead_worker_is_replaced_and_a_page_that_kills_twice_is_an_error() -> None:
    async def work(pool: ExtractionPool) -> tuple[int, int, int]:
        first = await pool.run(os.getpid)
        with pytest.raises(WorkerLost):
            await pool.run(os._exit, 3)
        second = await pool.run(os.getpid)
        assert pool.stats is not None
        return first, second, pool.stats.values["newsarchive/extraction/worker_lost"]

    first, second, lost = _with_pool(1, work)
    assert first != second
    assert lost == 2  # the first try and the retry on a new worker


def test_no_workers_runs_in_this_process() -> None:
    assert _with_pool(0, lambda pool: pool.run(os.getpid)) == os.getpid()


def test_workers_exit_when_the_crawl_process_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import asyncio, os, sys, time
        from crawler.extraction_pool import ExtractionPool

        async def main():
            pool = ExtractionPool(1)
            print(await pool.run(os.getpid), flush=True)
            time.sleep(60)

        asyncio.run(main())
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 20
    while _running(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker_pid)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie or a reaped one is not)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_crawl_archives_the_same_with_and_without_workers(tmp_path: Path) -> None:
    tables = {}
    for processes in (0, 1):
        db = tmp_path / f"a{processes}.db"
        cmd = [sys.executable, "-m", "crawler.cli", "crawl", "tdi", "--db", str(db)]
        cmd += ["--replay", str(SITE.parent), "-s", f"NEWSARCHIVE_EXTRACT_PROCESSES={processes}"]
        cmd += ["-s", "NEWSARCHIVE_NOW=2026-11-20T10:00:00+00:00", "-s", "NEWSARCHIVE_WARC=False"]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 1, done.stderr[-3000:]  # one saved URL always answers 500
        archive = sqlite_utils.Database(db)
        columns = "url, title, section_path, published, modified, body_text, body_html, content_hash, "
        columns += "flags, stripped, field_sources, embeds"  # not fetched_at: the clock moves on
        tables[processes] = sorted(
            tuple(row.values()) for row in archive.query(f"select {columns} from articles")
        )
        archive.close()
    assert len(tables[0]) > 100
    assert tables[0] == tables[1]


def test_pages_arriving_together_share_the_configured_workers() -> None:
    async def work(pool: ExtractionPool) -> set[int]:
        return set(await asyncio.gather(*(pool.run(os.getpid) for _ in range(12))))

    assert len(_with_pool(1, work)) == 1
    assert len(_with_pool(2, work)) == 2


def test_workers_that_cannot_start_leave_extraction_to_this_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from crawler import extraction_pool

    monkeypatch.setattr(extraction_pool, "WORKER_COMMAND", [sys.executable, "-c", "raise SystemExit(3)"])

    async def work(pool: ExtractionPool) -> tuple[set[int], int]:
        pids = await asyncio.gather(*(pool.run(os.getpid) for _ in range(6)))  # pages waiting together
        return set(pids), pool.processes

    with caplog.at_level(logging.ERROR, logger="crawler.extraction_pool"):
        pids, processes = _with_pool(1, work)
    assert (pids, processes) == ({os.getpid()}, 0)
    assert "extracting in the crawl process from now on" in caplog.text
    assert "exit code 3" in caplog.text
