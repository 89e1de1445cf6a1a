"""End-to-end crawl of the generated large site into a fresh archive: articles per second, peak RSS.

``python -m bench.crawl`` crawls the generated site (:mod:`bench.largesite`) of each size in
``--sizes`` (default 2000, 10000, 20000 articles) with the real command line
(``python -m crawler.cli crawl tdi``) in a child process, through the replay server, and prints
per size: the wall time of the command, articles stored per second, the peak RSS and the CPU time of
the crawl process, and how they change with the size of the site.

``--server process`` (default) runs the replay server as its own process
(``python -m crawler.replay``) so that the figures are the crawler's own; ``--server thread`` runs
``newsarchive crawl --replay`` exactly as a user does, the replay server answering from a thread of
the crawl process (its CPU time and memory then count as the crawl's).
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.largesite import DEFAULT_CACHE, SiteSpec, ensure_site
from bench.report import Table, emit, mib

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bench.largesite import LargeSite

ROOT = Path(__file__).resolve().parent.parent
ANNOUNCE_RE = re.compile(r"on (http://127\.0\.0\.1:\d+)")
SERVER_MODES = ("process", "thread")


@dataclass
class CrawlFigures:
    """What one crawl measured."""

    site_articles: int
    server: str
    stored: int
    wall_seconds: float
    #: Seconds from Scrapy's start to its finish (``elapsed_time_seconds``), without process startup.
    crawl_seconds: float
    pages: int
    peak_rss_kib: int
    cpu_seconds: float
    #: Peak of the summed RSS of the crawl process and its children (extraction processes), sampled.
    tree_peak_rss_kib: int = 0
    server_cpu_seconds: float | None = None
    server_rss_kib: int | None = None
    #: Bytes of the archive (database and WAL) and of the WARC files written beside it.
    archive_bytes: int = 0
    warc_bytes: int = 0

    @property
    def articles_per_second(self) -> float:
        return self.stored / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def crawl_articles_per_second(self) -> float:
        return self.stored / self.crawl_seconds if self.crawl_seconds else 0.0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.crawl_seconds if self.crawl_seconds else 0.0

    @property
    def cpu_ms_per_article(self) -> float:
        return self.cpu_seconds / self.stored * 1000 if self.stored else 0.0

    def per_1k(self, size: int) -> float:
        """``size`` bytes as MB per 1,000 stored articles."""
        return size / 1e6 / (self.stored / 1000) if self.stored else 0.0


def replay_settings() -> dict[str, Any]:
    """The settings ``newsarchive crawl --replay`` applies (no politeness delays on loopback)."""
    from crawler.run import REPLAY_SETTINGS

    return dict(REPLAY_SETTINGS)


def crawl_command(db: Path, sites_dir: Path | None, proxy: str | None, extra: list[str]) -> list[str]:
    command = [sys.executable, "-m", "crawler.cli", "crawl", "tdi", "--db", str(db), "--log-level", "WARNING"]
    if sites_dir is not None:
        command += ["--replay", str(sites_dir)]
    else:
        settings = {**replay_settings(), "NEWSARCHIVE_REPLAY_PROXY": proxy}
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
    for pair in extra:
        command += ["-s", pair]
    return command


def wait_with_usage(process: subprocess.Popen[Any]) -> tuple[int, Any]:
    """Wait for ``process``; its exit status and its own resource usage (peak RSS, CPU time)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage


class ServerProcess:
    """``python -m crawler.replay SITES`` in a child process, for the length of a ``with`` block."""

    def __init__(self, sites_dir: Path) -> None:
        self.sites_dir = sites_dir
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.cpu_seconds = 0.0
        self.peak_rss_kib = 0

    def __enter__(self) -> ServerProcess:
        command = [sys.executable, "-m", "crawler.replay", str(self.sites_dir), "--port", "0"]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = ANNOUNCE_RE.search(line)
        if not match:
            self.process.kill()
            raise RuntimeError(f"replay server did not start: {line!r}")
        self.url = match.group(1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self.process is not None
        self.process.terminate()
        _, usage = wait_with_usage(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.cpu_seconds = usage.ru_utime + usage.ru_stime
        self.peak_rss_kib = usage.ru_maxrss


def crawl_site(
    site: LargeSite, work_dir: Path, server: str = "process", extra: list[str] | None = None
) -> CrawlFigures:
    """Crawl ``site`` into a fresh archive under ``work_dir`` and measure it."""
    db = work_dir / f"bench-{site.articles}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if server == "thread":
        figures = _run(site, db, crawl_command(db, site.sites_dir, None, extra or []), server)
    else:
        with ServerProcess(site.sites_dir) as replay:
            figures = _run(site, db, crawl_command(db, None, replay.url, extra or []), server)
        figures.server_cpu_seconds = replay.cpu_seconds
        figures.server_rss_kib = replay.peak_rss_kib
    return figures


def _run(site: LargeSite, db: Path, command: list[str], server: str) -> CrawlFigures:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    with TreeMemory(process.pid) as tree:
        errors = process.stderr.read()
        status, usage = wait_with_usage(process)
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"crawl failed ({status}): {errors[-2000:]}")
    stored, stats = _archive_figures(db)
    warc_dir = db.parent / f"{db.stem}-warc"
    return CrawlFigures(
        archive_bytes=sum(_size(Path(f"{db}{suffix}")) for suffix in ("", "-wal")),
        warc_bytes=sum(_size(path) for path in warc_dir.rglob("*")) if warc_dir.is_dir() else 0,
        site_articles=site.articles,
        server=server,
        stored=stored,
        wall_seconds=wall,
        crawl_seconds=float(stats.get("elapsed_time_seconds") or wall),
        pages=int(stats.get("response_received_count") or 0),
        peak_rss_kib=usage.ru_maxrss,
        tree_peak_rss_kib=tree.peak_kib,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )


class TreeMemory:
    """Sample the summed RSS of a process and its descendants (from ``/proc``) while a block runs."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in _tree(self.pid)))


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``/proc/PID/task/*/children``), as far as they can be read."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in children.read_text().split())
            except OSError:
                continue
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _archive_figures(db: Path) -> tuple[int, dict[str, Any]]:
    import json

    conn = sqlite3.connect(db)
    try:
        stored = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        row = conn.execute("SELECT stats FROM crawls ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return stored, json.loads(row[0]) if row and row[0] else {}


def figures_table(runs: list[CrawlFigures]) -> Table:
    table = Table(
        "End-to-end crawl of the generated site (fresh archive)",
        [
            "articles",
            "server",
            "stored",
            "wall s",
            "articles/s",
            "articles/s (Scrapy)",
            "CPU ms/article",
            "peak RSS MB",
            "peak RSS with workers MB",
            "archive MB/1k",
            "WARC MB/1k",
            "server CPU s",
        ],
    )
    for run in runs:
        table.add(
            run.site_articles,
            run.server,
            run.stored,
            run.wall_seconds,
            run.articles_per_second,
            run.crawl_articles_per_second,
            run.cpu_ms_per_article,
            mib(run.peak_rss_kib),
            mib(run.tree_peak_rss_kib) if run.tree_peak_rss_kib else None,
            run.per_1k(run.archive_bytes),
            run.per_1k(run.warc_bytes),
            run.server_cpu_seconds,
        )
    table.notes.append(
        "articles/s: stored articles over the wall time of the whole command (Python and Scrapy startup "
        "included); articles/s (Scrapy): over Scrapy's elapsed_time_seconds; CPU ms/article: CPU time of "
        "the crawl process and its extraction processes per stored article (what the crawl costs, whatever "
        "else runs on the machine); peak RSS: the largest of the crawl process and its extraction "
        "processes (each alone); with workers: their sum, sampled every 0.1 s; archive: database and "
        "WAL; WARC: the capture files beside it."
    )
    table.notes.extend(_changes(runs))
    return table


def _changes(runs: list[CrawlFigures]) -> Iterator[str]:
    for server in SERVER_MODES:
        mine = sorted((r for r in runs if r.server == server), key=lambda r: r.site_articles)
        if len(mine) < 2:
            continue
        first, last = mine[0], mine[-1]
        speed = (last.articles_per_second / first.articles_per_second - 1) * 100
        rss = mib(last.peak_rss_kib - first.peak_rss_kib)
        yield (
            f"Server {server}: from {first.site_articles:,} to {last.site_articles:,} articles, articles/s "
            f"changed by {speed:+.0f}%, peak RSS by {rss:+.1f} MB."
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crawl", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10_000, 20_000], help="site sizes")
    parser.add_argument("--sections", type=int, default=50)
    parser.add_argument("--per-page", type=int, default=10)
    parser.add_argument("--server", choices=[*SERVER_MODES, "both"], default="process")
    parser.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE, help="where generated sites are kept"
    )
    parser.add_argument("--work-dir", type=Path, help="where archives are written (default: a temp folder)")
    parser.add_argument("-s", "--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="extra crawl setting (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    modes = list(SERVER_MODES) if args.server == "both" else [args.server]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        work_dir = args.work_dir or Path(tmp)
        work_dir.mkdir(parents=True, exist_ok=True)
        for size in args.sizes:
            site = ensure_site(SiteSpec(size, args.sections, args.per_page), args.cache_dir)
            for mode in modes:
                runs.append(crawl_site(site, work_dir, mode, args.settings))
                print(f"crawled {size:,} articles ({mode}): {runs[-1].articles_per_second:.1f} articles/s",
                      file=sys.stderr, flush=True)  # fmt: skip
    emit(figures_table(runs), header="Crawl benchmark")
    return 0


if __name__ == "__main__":
    sys.exit(main())
