"""Commands of the distributed mode: ``seed``, ``status``, ``ingest``, and the worker of ``crawl --redis``.

``newsarchive crawl SITE --redis URL`` runs a worker (:func:`run_worker`); any number of them, on any
number of machines, share the crawl through one Redis. ``newsarchive ingest --redis URL --db PATH`` is
the one process that writes what they found into the archive. See :mod:`crawler.distributed`.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Iterator

    import redis

    from archive.ingest import IngestCounts

logger = logging.getLogger(__name__)

REDIS_HELP = "Redis of the distributed crawl, as redis://HOST:PORT/DB."
redis_option = click.option("--redis", "redis_url", required=True, metavar="URL", help=REDIS_HELP)
log_level_option = click.option(
    "--log-level",
    default="INFO",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)


def connect(redis_url: str) -> redis.Redis:
    """A Redis client after a successful PING; a one-line command error otherwise."""
    try:
        from redis.exceptions import RedisError
    except ImportError as error:
        raise click.ClickException(
            "distributed crawling needs the distributed extra: pip install 'newsarchive[distributed]'"
        ) from error

    from crawler.distributed.connection import check_connection, safe_url

    try:
        return check_connection(redis_url)
    except (RedisError, ValueError) as error:
        raise click.ClickException(f"cannot reach Redis at {safe_url(redis_url)}: {error}") from error


# --- worker -----------------------------------------------------------------------------------------
def run_worker(
    site: str,
    redis_url: str,
    *,
    db_path: str,
    replay_dir: str | None,
    spider_args: dict[str, object],
    overrides: dict[str, object],
    replay_log: str | None = None,
) -> None:
    """Run one worker of the distributed crawl of ``site`` until the crawl round is complete.

    The frontier and duplicate filter are in Redis; items go to Redis for ``newsarchive ingest``; WARC
    files go to ``NEWSARCHIVE_WARC_DIR`` (default: the WARC directory of ``db_path``, which the worker
    never opens). Exit code 0 when the round finished, 1 when this worker stopped early.
    """
    import tempfile

    from crawler.distributed import worker_settings
    from crawler.run import run_crawl
    from crawler.warc import warc_dir_for

    connect(redis_url)
    settings: dict[str, Any] = {
        **worker_settings(redis_url),
        "NEWSARCHIVE_WARC_DIR": str(warc_dir_for(db_path)),
        **overrides,
    }
    # A worker never opens the archive: the crawl's archive lock is taken on a private scratch path,
    # so that several workers can run side by side on one machine.
    with tempfile.TemporaryDirectory(prefix="newsarchive-worker-") as scratch:
        result = run_crawl(
            site,
            db=Path(scratch) / "worker.db",
            replay_dir=replay_dir,
            spider_args=spider_args,
            settings=settings,
            replay_log_path=replay_log,
        )
    stats = result.stats
    click.echo(
        f"\nWorker {stats.get('newsarchive/distributed/worker', '?')} of crawl round "
        f"{stats.get('newsarchive/distributed/round', '?')}: {stats.get('response_received_count', 0)} pages "
        f"fetched, {stats.get('newsarchive/distributed/items_pushed', 0)} articles handed to the ingester, "
        f"{stats.get('newsarchive/distributed/reclaimed', 0)} requests taken over from stopped workers"
    )
    if not result.ok:
        click.echo(f"Worker stopped early: {result.finish_reason}", err=True)
        sys.exit(1)


# --- seed ---------------------------------------------------------------------------------------------
@click.command()
@click.argument("sites", nargs=-1, required=True)
@redis_option
def seed(sites: tuple[str, ...], redis_url: str) -> None:
    """Queue the start of a crawl of each SITE in Redis, for workers to pick up.

    A site whose crawl is under way (requests queued or in flight) is left as it is; otherwise a new
    crawl round begins, which visits every page again.

    \b
    Example:
        newsarchive seed tdi --redis redis://127.0.0.1:6379/0
    """
    import asyncio

    from crawler.distributed.context import site_of, utc_iso
    from crawler.distributed.frontier import Frontier
    from crawler.distributed.scheduler import seed_request
    from crawler.distributed.worker import new_round_id

    server = connect(redis_url)
    spiders = {site: spider_for(site, redis_url) for site in sites}  # every SITE checked first
    for site, spider in spiders.items():
        requests = asyncio.run(_start_requests(spider))
        seeds = [seed_request(request, spider) for request in requests]
        frontier = Frontier(server, site_of(spider))
        started, round_id = frontier.start_round(new_round_id(), seeds, spider=spider.name, now=utc_iso())
        if started:
            click.echo(f"{site}: crawl round {round_id} started ({len(seeds)} start request(s) queued)")
        else:
            click.echo(
                f"{site}: crawl round {round_id} is under way ({len(frontier)} queued, "
                f"{frontier.in_flight()} in flight); nothing added"
            )


def spider_for(site: str, redis_url: str) -> Any:
    """The spider of ``site`` as a worker would run it (its start requests are the seeds)."""
    from scrapy.crawler import Crawler
    from scrapy.spiderloader import get_spider_loader

    from crawler.cli_sites import crawl_target
    from crawler.distributed import worker_settings
    from crawler.run import project_settings

    name, args, profile_settings = crawl_target(site)
    settings = project_settings({**profile_settings, **worker_settings(redis_url)})
    spidercls = get_spider_loader(settings).load(name)
    return spidercls.from_crawler(Crawler(spidercls, settings), **args)


async def _start_requests(spider: Any) -> list[Any]:
    return [request async for request in spider.start()]


# --- status -------------------------------------------------------------------------------------------
@click.command()
@redis_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as one JSON object.")
def status(redis_url: str, as_json: bool) -> None:
    """Show the distributed crawl: queued and in-flight requests per site, workers, items to ingest.

    \b
    Example:
        newsarchive status --redis redis://127.0.0.1:6379/0
    """
    from crawler.distributed.connection import safe_url
    from crawler.distributed.status import snapshot

    data = snapshot(connect(redis_url))
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    memory = data["redis"]
    items = data["items"]
    click.echo(f"Redis {safe_url(redis_url)} (Redis {memory['version']}, {memory['used_memory_human']} used)")
    click.echo(
        f"Items waiting for ingest: {items['waiting']} (being ingested: {items['processing']}, "
        f"failed: {items['failed']})"
    )
    click.echo("\nSites:")
    if not data["sites"]:
        click.echo("  (none seeded yet)")
    for site in data["sites"]:
        click.echo(
            f"  {site['site']:<12} round {site['round'] or '-':<24} {site['state']:<9} "
            f"{site['queued']:>7} queued {site['in_flight']:>5} in flight {site['seen']:>8} seen"
        )
    click.echo(f"\nWorkers: {data['workers_alive']} alive, {len(data['workers'])} seen")
    for worker in data["workers"]:
        seen = worker["last_seen"]
        when = "left" if seen is None else f"last seen {seen:.0f}s ago"
        click.echo(
            f"  {worker['id']:<28} {worker.get('site', ''):<10} {'alive' if worker['alive'] else 'gone':<5} "
            f"{worker.get('state', ''):<10} {when:<20} {worker.get('pages', 0):>7} pages "
            f"{worker.get('items', 0):>7} items"
        )


# --- ingest -------------------------------------------------------------------------------------------
@click.command()
@redis_option
@click.option(
    "--db", "db_path", default="archive.db", show_default=True, type=click.Path(dir_okay=False),
    help="Path of the SQLite archive.",
)  # fmt: skip
@click.option(
    "--batch-size", default=100, show_default=True, type=click.IntRange(min=1),
    help="Items written per SQLite transaction.",
)  # fmt: skip
@click.option(
    "--follow",
    is_flag=True,
    help="Keep waiting for items until interrupted (default: stop once no crawl runs and nothing waits).",
)
@log_level_option
def ingest(redis_url: str, db_path: str, batch_size: int, follow: bool, log_level: str) -> None:
    """Write the items found by the workers of a distributed crawl into the archive.

    The one process that writes the archive: it takes items from Redis in batches, stores each batch in
    one transaction and only then removes it from Redis, so an interrupted ingester loses nothing and an
    item delivered twice is stored once. Without --follow it stops once no crawl is running, no worker
    is alive and no item is waiting. Captures point into the archive's WARC directory (archive.db:
    archive-warc/), where the workers' WARC files are to be copied.

    \b
    Example:
        newsarchive ingest --redis redis://127.0.0.1:6379/0 --db archive.db
    """
    from archive import ArchiveError
    from archive.ingest import IngestError
    from crawler import exitcodes, lock

    _configure_logging(log_level)
    server = connect(redis_url)
    try:
        # The same lock as a crawl's: a crawl on this machine and the ingester never write together.
        with lock.hold(db_path):
            counts, total, seconds = _ingest(server, db_path, batch_size, follow)
    except lock.ArchiveLockedError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(exitcodes.LOCKED)
    except (ArchiveError, IngestError) as error:
        raise click.ClickException(str(error)) from error
    _print_counts(counts, db_path, total, seconds)


def _ingest(
    server: redis.Redis, db_path: str, batch_size: int, follow: bool
) -> tuple[IngestCounts, int, float]:
    """Run the ingester on the archive at ``db_path``: its counts, the articles in the archive, seconds."""
    from archive import open_archive
    from archive.ingest import Ingester
    from archive.queries import count_articles
    from crawler.warc import warc_dir_for

    started = time.monotonic()
    db = open_archive(db_path)
    try:
        warc_dir = warc_dir_for(db_path).name  # the archive's WARC directory, beside it
        ingester = Ingester(server, db, batch_size=batch_size, warc_dir=warc_dir)
        with _stop_on_signals() as stop:
            counts = ingester.run(follow=follow, should_stop=stop, on_batch=_progress())
        return counts, count_articles(db), time.monotonic() - started
    finally:
        db.close()


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s [%(name)s] %(levelname)s: %(message)s")


@contextmanager
def _stop_on_signals() -> Iterator[Any]:
    """A ``should_stop()`` callable that turns true on SIGINT or SIGTERM (the batch in hand is finished)."""
    stopped: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        stopped.append(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield lambda: bool(stopped)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _progress() -> Any:
    last = [time.monotonic()]

    def report(counts: IngestCounts) -> None:
        if time.monotonic() - last[0] >= 5:
            last[0] = time.monotonic()
            logger.info("Ingested %d item(s) so far", counts.messages)

    return report


def _print_counts(counts: IngestCounts, db_path: str, total: int, seconds: float) -> None:
    articles = counts.articles
    click.echo(
        f"Ingested {counts.messages} item(s) in {seconds:.1f}s into {db_path}: {articles['new']} new, "
        f"{articles['updated']} updated, {articles['unchanged']} unchanged articles "
        f"({counts.repeated} delivered more than once, stored once); {counts.crawls_started} crawl(s) "
        f"started, {counts.crawls_finished} finished; {counts.failed} failed"
    )
    click.echo(f"{total} articles in {db_path}")


distributed_commands = [seed, status, ingest]
