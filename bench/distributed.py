"""Distributed crawl of the generated large site: articles per second for 1, 2, 4 workers + 1 ingester.

``python -m bench.distributed`` starts a private ``redis-server`` on 127.0.0.1 and the replay server of
the generated site (:mod:`bench.largesite`, 20,000 articles by default) as their own processes, then for
each worker count: seeds the crawl (``newsarchive seed``), starts the workers (``newsarchive crawl tdi
--redis URL``) and one ingester (``newsarchive ingest``) and times them until the ingester has stored
the last article. Reported per worker count: articles stored per second (wall time, seed to last
commit), how long the ingester ran after the last worker finished (does ingest keep up?), the most
items ever waiting in Redis, and the CPU seconds of the workers, the ingester, the replay server and
Redis.

It then measures Redis memory per 100,000 queued URLs: ``INFO memory`` before and after queueing
100,000 article requests as a worker queues them (pickled request in the frontier, fingerprint in the
duplicate filter).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.crawl import ServerProcess, replay_settings, wait_with_usage
from bench.largesite import DEFAULT_CACHE, SiteSpec, ensure_site
from bench.report import Table, emit, mib
from crawler.distributed.localredis import LocalRedis

if TYPE_CHECKING:
    from bench.largesite import LargeSite

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunFigures:
    """What one distributed crawl measured."""

    workers: int
    stored: int
    wall_seconds: float
    #: Seconds the ingester ran after the last worker exited.
    ingest_tail_seconds: float
    max_waiting: int
    worker_cpu: float
    ingest_cpu: float
    server_cpu: float
    redis_cpu: float
    pages: list[int] = field(default_factory=list)

    @property
    def articles_per_second(self) -> float:
        return self.stored / self.wall_seconds if self.wall_seconds else 0.0


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", *args]


def worker_command(redis_url: str, proxy: str, name: str, extra: list[str]) -> list[str]:
    args = ["crawl", "tdi", "--redis", redis_url, "--log-level", "WARNING"]
    settings = {**replay_settings(), "NEWSARCHIVE_REPLAY_PROXY": proxy, "NEWSARCHIVE_WORKER_ID": name}
    for key, value in settings.items():
        args += ["-s", f"{key}={value}"]
    for pair in extra:
        args += ["-s", pair]
    return command(*args)


class Sampler(threading.Thread):
    """Samples the number of items waiting for the ingester every ``interval`` seconds."""

    def __init__(self, local_redis: LocalRedis, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.client = local_redis.client()
        self.interval = interval
        self.max_waiting = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        from archive.ingest import ITEMS_KEY

        while not self.stopped.wait(self.interval):
            self.max_waiting = max(self.max_waiting, int(self.client.llen(ITEMS_KEY)))


def run_distributed(
    site: LargeSite, workers: int, work_dir: Path, extra: list[str] | None = None
) -> RunFigures:
    """Crawl ``site`` with ``workers`` workers and one ingester into a fresh archive; measure it."""
    run_dir = work_dir / f"workers-{workers}"
    run_dir.mkdir(parents=True, exist_ok=True)
    db = run_dir / "archive.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with LocalRedis() as local_redis, ServerProcess(site.sites_dir) as replay:
        redis_pid = local_redis.process.pid if local_redis.process else 0
        sampler = Sampler(local_redis)
        started = time.perf_counter()
        seeded = subprocess.run(
            command("seed", "tdi", "--redis", local_redis.url), cwd=run_dir, env=env, capture_output=True
        )
        if seeded.returncode:
            raise RuntimeError(f"seed failed: {seeded.stderr[-2000:]!r}")
        sampler.start()
        crawlers = [
            _popen(
                worker_command(local_redis.url, replay.url, f"bench{n}", extra or []), run_dir, env, f"w{n}"
            )
            for n in range(1, workers + 1)
        ]
        ingester = _popen(
            command("ingest", "--redis", local_redis.url, "--db", str(db), "--log-level", "WARNING"),
            run_dir, env, "ingest",
        )  # fmt: skip
        worker_cpu = 0.0
        for process in crawlers:
            status, usage = wait_with_usage(process)
            if status != 0:
                raise RuntimeError(f"worker failed ({status}), see {run_dir}")
            worker_cpu += usage.ru_utime + usage.ru_stime
        workers_done = time.perf_counter()
        status, ingest_usage = wait_with_usage(ingester)
        finished = time.perf_counter()
        if status != 0:
            raise RuntimeError(f"ingester failed ({status}), see {run_dir}")
        sampler.stopped.set()
        redis_cpu = _process_cpu(redis_pid)
    return RunFigures(
        workers=workers,
        stored=_count(db),
        wall_seconds=finished - started,
        ingest_tail_seconds=finished - workers_done,
        max_waiting=sampler.max_waiting,
        worker_cpu=worker_cpu,
        ingest_cpu=ingest_usage.ru_utime + ingest_usage.ru_stime,
        server_cpu=replay.cpu_seconds,
        redis_cpu=redis_cpu,
    )


def _popen(args: list[str], cwd: Path, env: dict[str, str], name: str) -> subprocess.Popen[Any]:
    with (cwd / f"{name}.log").open("wb") as log:
        return subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)


def _process_cpu(pid: int) -> float:
    """CPU seconds used so far by a running process (from /proc); 0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


# --- Redis memory -------------------------------------------------------------------------------------
@dataclass
class MemoryFigures:
    urls: int
    queue_bytes: int
    dupefilter_bytes: int
    mean_url_length: float

    @property
    def total_bytes(self) -> int:
        return self.queue_bytes + self.dupefilter_bytes


def queued_memory(urls: int = 100_000, batch: int = 5_000) -> MemoryFigures:
    """Redis memory of ``urls`` article requests queued as a worker queues them."""
    from scrapy import Request

    from crawler.cli_distributed import spider_for
    from crawler.distributed.frontier import Frontier
    from crawler.distributed.scheduler import encode_request, request_fingerprint

    with LocalRedis() as local_redis:
        server = local_redis.client()
        spider = spider_for("tdi", local_redis.url)
        frontier = Frontier(server, "tdi")
        addresses = [_article_url(n) for n in range(urls)]
        before = local_redis.used_memory()
        for start in range(0, urls, batch):
            pipe = server.pipeline(transaction=False)
            for url in addresses[start : start + batch]:
                request = Request(
                    url,
                    callback=spider.parse_article,
                    errback=spider.on_error,
                    meta={
                        "newsarchive_kind": "article",
                        "newsarchive_url": url,
                        "handle_httpstatus_list": [304],
                    },
                )
                pipe.zadd(frontier.keys.requests, {encode_request(request, spider): -request.priority})
            pipe.execute()
        queued = local_redis.used_memory()
        for start in range(0, urls, batch):
            fingerprints = [request_fingerprint(Request(url)) for url in addresses[start : start + batch]]
            server.sadd(frontier.keys.dupefilter, *fingerprints)
        after = local_redis.used_memory()
        assert len(frontier) == urls
    mean = sum(map(len, addresses)) / len(addresses)
    return MemoryFigures(urls, queued - before, after - queued, mean)


def _article_url(n: int) -> str:
    """A URL shaped like the generated site's articles (host, then a slug of about 60 characters)."""
    words = ("minister", "talks", "bilateral", "cooperation", "summit", "delegation", "energy", "corridor")
    slug = "-".join(words[(n + i) % len(words)] for i in range(7))
    return f"http://thediplomaticinsight.com/{slug}-{n}/"


# --- report -------------------------------------------------------------------------------------------
def runs_table(runs: list[RunFigures], site: LargeSite, load_before: str) -> Table:
    table = Table(
        f"Distributed crawl of the generated site ({site.articles:,} articles, "
        f"{site.listing_pages:,} listing pages), N workers + 1 ingester",
        ["workers", "articles stored", "wall s", "articles/s", "speed-up", "ingest after last worker s",
         "max items waiting", "CPU s workers", "CPU s ingester", "CPU s replay", "CPU s redis"],
    )  # fmt: skip
    base = runs[0].articles_per_second if runs else 0
    for run in runs:
        table.add(
            run.workers,
            run.stored,
            run.wall_seconds,
            run.articles_per_second,
            run.articles_per_second / base if base else None,
            run.ingest_tail_seconds,
            run.max_waiting,
            run.worker_cpu,
            run.ingest_cpu,
            run.server_cpu,
            run.redis_cpu,
        )
    table.notes.append(
        "Wall time from `newsarchive seed` to the ingester's exit (the last article committed). Every "
        f"process shares the same CPUs: the replay server, Redis and the ingester too. Load average "
        f"before / after: {load_before} / {os.getloadavg()[0]:.2f}."
    )
    return table


def memory_table(figures: MemoryFigures) -> Table:
    table = Table(
        "Redis memory of queued URLs",
        ["URLs", "mean URL length", "frontier MiB", "duplicate filter MiB", "total MiB", "bytes per URL"],
    )
    table.add(
        figures.urls,
        figures.mean_url_length,
        mib(figures.queue_bytes / 1024),
        mib(figures.dupefilter_bytes / 1024),
        mib(figures.total_bytes / 1024),
        figures.total_bytes / figures.urls,
    )
    table.notes.append(
        "`INFO memory` used_memory before and after queueing article requests as a worker queues them: "
        "the pickled request in the frontier (sorted set) and its fingerprint in the duplicate filter (set)."
    )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.distributed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles of the generated site")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (1 2 4)")
    parser.add_argument("--queue-urls", type=int, default=100_000, help="URLs queued for the memory figure")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"default {DEFAULT_CACHE}")
    parser.add_argument("--skip-crawls", action="store_true", help="only measure Redis memory")
    parser.add_argument(
        "-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for every worker (repeatable)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    tables = []
    if not args.skip_crawls:
        site = ensure_site(SiteSpec(articles=args.articles), args.cache_dir)
        load_before = f"{os.getloadavg()[0]:.2f}"
        with tempfile.TemporaryDirectory(prefix="newsarchive-bench-distributed-") as work:
            runs = [run_distributed(site, n, Path(work), args.settings) for n in args.workers]
        tables.append(runs_table(runs, site, load_before))
    tables.append(memory_table(queued_memory(args.queue_urls)))
    emit(*tables, header="Distributed crawling")
    return 0


if __name__ == "__main__":
    sys.exit(main())
