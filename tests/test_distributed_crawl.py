"""End to end: worker processes and one ingester crawl the saved TDI copy through a real Redis.

Each test starts its own redis-server on a free 127.0.0.1 port (without persistence, or with an
append-only file for the restart test) and stops it at the end. Workers are real ``newsarchive crawl
tdi --redis URL --replay fixtures/sites`` processes, each with its own replay server.
"""

# ruff: noqa: E402 (imports after the skip: they need the distributed extra)

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from crawler.distributed.localredis import skip_reason

if skip_reason():
    pytest.skip(skip_reason(), allow_module_level=True)

import sqlite_utils

from archive.ingest import ITEMS_KEY, WORKERS_STATS
from crawler.distributed.keys import SiteKeys
from crawler.distributed.localredis import LocalRedis
from crawler.distributed.workers import list_workers
from crawler.warc import read_record

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "fixtures" / "sites"
MANIFEST = json.loads((SITES / "thediplomaticinsight.com.manifest.json").read_text())
TIMEOUT = 120


class Cluster:
    """Worker and ingester processes in one directory, talking to one Redis."""

    def __init__(self, redis_url: str, directory: Path) -> None:
        self.url = redis_url
        self.directory = directory
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "always::DeprecationWarning"}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "crawler.cli", *args, "--redis", self.url]
        return subprocess.run(command, cwd=self.directory, env=self.env, capture_output=True, text=True)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "crawler.cli", *args, "--redis", self.url]
        with (
            (self.directory / f"{name}.out").open("wb") as out,
            (self.directory / f"{name}.err").open("wb") as err,
        ):
            process = subprocess.Popen(command, cwd=self.directory, env=self.env, stdout=out, stderr=err)
        self.processes[name] = process
        return process

    def worker(self, name: str, *settings: str, args: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
        options = ["-s", f"NEWSARCHIVE_WORKER_ID={name}", "-s", "NEWSARCHIVE_REDIS_WORKER_TIMEOUT=3"]
        for setting in settings:
            options += ["-s", setting]
        return self.start(
            name, "crawl", "tdi", "--replay", str(SITES), "--replay-log", f"{name}.jsonl", *args, *options
        )

    def ingester(self) -> subprocess.Popen[bytes]:
        return self.start("ingest", "ingest", "--db", "archive.db", "--log-level", "WARNING")

    def wait(self) -> dict[str, int]:
        deadline = time.monotonic() + TIMEOUT
        codes = {}
        for name, process in self.processes.items():
            codes[name] = process.wait(max(1, deadline - time.monotonic()))
        return codes

    def stderr(self, name: str) -> str:
        return (self.directory / f"{name}.err").read_text(errors="replace")

    def requests(self, *names: str) -> list[dict[str, Any]]:
        records = []
        for name in names:
            lines = (self.directory / f"{name}.jsonl").read_text().splitlines()
            records += [{**json.loads(line), "worker": name} for line in lines if line]
        return sorted(records, key=lambda r: r["time"])

    def db(self) -> sqlite_utils.Database:
        return sqlite_utils.Database(self.directory / "archive.db")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)


@pytest.fixture
def local_redis() -> Iterator[LocalRedis]:
    with LocalRedis() as server:
        yield server


@pytest.fixture
def cluster(local_redis: LocalRedis, tmp_path: Path) -> Iterator[Cluster]:
    cluster = Cluster(local_redis.url, tmp_path)
    yield cluster
    cluster.stop()


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.02)


def _stored_once(db: sqlite_utils.Database) -> None:
    urls = [row["url"] for row in db.query("select url from articles")]
    assert len(urls) == len(set(urls))
    assert sorted(urls) == sorted(MANIFEST["articles"])


def _no_deprecation_warnings(cluster: Cluster, *names: str) -> None:
    for name in names:
        assert "DeprecationWarning" not in cluster.stderr(name), name


def test_two_workers_and_one_ingester_archive_every_article_once_with_its_capture(
    cluster: Cluster, local_redis: LocalRedis
) -> None:
    seeded = cluster.run("seed", "tdi")
    assert seeded.returncode == 0, seeded.stderr
    assert "crawl round" in seeded.stdout and "started" in seeded.stdout
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.ingester()

    codes = cluster.wait()

    assert codes == {"w1": 0, "w2": 0, "ingest": 0}, cluster.stderr("w1")[-3000:] + cluster.stderr("ingest")
    db = cluster.db()
    _stored_once(db)
    (crawl,) = db.query("select * from crawls")
    assert (crawl["status"], crawl["articles_new"]) == ("finished", len(MANIFEST["articles"]))
    assert sorted(json.loads(crawl["stats"])[WORKERS_STATS]) == ["w1", "w2"]
    # The crawl was split: both workers fetched pages, and no page was fetched by both.
    pages = {w.worker_id: w.info["pages"] for w in list_workers(local_redis.client())}
    assert pages["w1"] > 0 and pages["w2"] > 0
    paths = [urlsplit(r["url"]).path for r in cluster.requests("w1", "w2") if r["status"] == 200]
    answered = Counter(path for path in paths if path != "/robots.txt")  # each worker reads robots.txt
    assert set(answered.values()) == {1}
    _no_deprecation_warnings(cluster, "w1", "w2", "ingest")
    # Each worker wrote its own WARC files; the archive's captures point into its WARC directory.
    files = sorted(p.name for p in (cluster.directory / "archive-warc").iterdir())
    assert {name.split("-")[1] for name in files} == {"w1", "w2"}
    url = MANIFEST["articles"][0]
    (capture,) = db.query("select * from captures where url = ? and status = 200", [url])
    assert capture["warc_file"].startswith("archive-warc/tdi-w")
    record = read_record(cluster.directory, capture["warc_file"], capture["warc_offset"])
    assert (record.url, record.status, record.record_type) == (url, 200, "response")
    title = next(db.query("select title from articles where url = ?", [url]))["title"]
    assert title.split()[0].encode() in record.body


def test_a_killed_worker_loses_nothing(cluster: Cluster, local_redis: LocalRedis) -> None:
    server = local_redis.client()
    assert cluster.run("seed", "tdi").returncode == 0
    slow = ("DOWNLOAD_DELAY=0.02", "CONCURRENT_REQUESTS=4")
    victim = cluster.worker("w1", *slow)
    cluster.worker("w2", *slow)
    cluster.ingester()
    inflight = SiteKeys("tdi").inflight

    def victim_mid_crawl() -> bool:
        held = [lease for lease in server.hkeys(inflight) if lease.startswith(b"w1#")]
        return bool(held) and server.zcard(SiteKeys("tdi").requests) > 20

    _wait_for(victim_mid_crawl)
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    held = [lease for lease in server.hkeys(inflight) if lease.startswith(b"w1#")]

    codes = cluster.wait()

    assert held, "the killed worker held no request"
    assert codes == {"w1": -signal.SIGKILL, "w2": 0, "ingest": 0}, cluster.stderr("w2")[-3000:]
    db = cluster.db()
    _stored_once(db)
    stats = json.loads(next(db.query("select stats from crawls"))["stats"])
    assert stats[WORKERS_STATS]["w2"]["newsarchive/distributed/reclaimed"] >= len(held)
    assert server.hlen(inflight) == 0
    assert server.llen(ITEMS_KEY) == 0
    _no_deprecation_warnings(cluster, "w2", "ingest")


def test_redis_restarted_mid_crawl_loses_nothing(tmp_path: Path) -> None:
    with LocalRedis(persistent=True) as local_redis:
        cluster = Cluster(local_redis.url, tmp_path)
        try:
            server = local_redis.client()
            assert cluster.run("seed", "tdi").returncode == 0
            cluster.worker("w1", "DOWNLOAD_DELAY=0.01")
            cluster.worker("w2", "DOWNLOAD_DELAY=0.01")
            cluster.ingester()
            _wait_for(
                lambda: server.zcard(SiteKeys("tdi").requests) > 20 and server.hlen(SiteKeys("tdi").inflight)
            )

            local_redis.kill()
            time.sleep(1.0)
            local_redis.start()

            codes = cluster.wait()
            assert codes == {"w1": 0, "w2": 0, "ingest": 0}, cluster.stderr("w1")[-3000:]
            _stored_once(cluster.db())
        finally:
            cluster.stop()


def test_politeness_holds_across_workers(cluster: Cluster) -> None:
    """With DOWNLOAD_DELAY=0.2, requests of both workers together start at least 0.2 s apart."""
    args = ("--sections", "http://thediplomaticinsight.com/category/culture/", "--max-pages", "1")
    settings = (
        "DOWNLOAD_DELAY=0.2",
        "CONCURRENT_REQUESTS=2",
        "NEWSARCHIVE_SITEMAPS=False",
        "NEWSARCHIVE_FEEDS=False",
    )
    cluster.worker("w1", *settings, args=args)
    cluster.worker("w2", *settings, args=args)

    assert cluster.wait() == {"w1": 0, "w2": 0}

    requests = cluster.requests("w1", "w2")
    assert {r["worker"] for r in requests} == {"w1", "w2"}
    gaps = [b["time"] - a["time"] for a, b in zip(requests, requests[1:], strict=False)]
    assert len(requests) >= 10
    assert min(gaps) >= 0.15, gaps
    _no_deprecation_warnings(cluster, "w1", "w2")
