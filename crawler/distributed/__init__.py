"""Distributed crawling on scrapy-redis: many worker processes, one Redis, one archive writer.

A worker is an ordinary crawl (``newsarchive crawl SITE --redis URL``) with the settings of
:func:`worker_settings` on top:

- scheduler: scrapy-redis's, with leased requests (:mod:`crawler.distributed.scheduler`): the frontier
  and the duplicate filter of each site live in Redis, shared by every worker on every machine;
- item pipelines: the same cleaning, dates and validation, then :class:`RedisItemPipeline` instead of
  the archive pipeline: items go to Redis, and ``newsarchive ingest`` (:mod:`archive.ingest`) is the
  one process that writes them into the SQLite archive;
- middlewares: leases acked when a request is fully handled, per-host politeness slots in Redis,
  raw capture into the worker's own WARC files (:mod:`crawler.distributed.capture`);
- incremental recrawls off: a round visits every page (the per-URL state is in the archive, which
  workers never open);
- extension :class:`~crawler.distributed.worker.DistributedWorker`: crawl rounds, heartbeats, taking
  back the requests of dead workers.

Redis keys: :mod:`crawler.distributed.keys`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

PIPELINE = "crawler.distributed.pipeline.RedisItemPipeline"
#: Components that write the SQLite archive: a worker never runs them.
ARCHIVE_WRITERS = ("crawler.pipelines.ArchivePipeline", "crawler.capture.CaptureMiddleware")
CAPTURE = "crawler.distributed.capture.WorkerCaptureMiddleware"


def worker_settings(redis_url: str, base: BaseSettings | None = None) -> dict[str, Any]:
    """The settings that turn a crawl into a worker of the distributed crawl at ``redis_url``.

    ``base`` (default: the project settings) supplies the component lists to extend.
    """
    if base is None:
        from crawler.run import project_settings

        base = project_settings()
    pipelines = {
        name: (None if name in ARCHIVE_WRITERS else order)
        for name, order in base.getdict("ITEM_PIPELINES").items()
    }
    last = max((order for order in pipelines.values() if order is not None), default=800)
    pipelines[PIPELINE] = max(900, last + 1)
    downloader = {
        name: (None if name in ARCHIVE_WRITERS else order)
        for name, order in base.getdict("DOWNLOADER_MIDDLEWARES").items()
    }
    downloader[CAPTURE] = 950
    downloader["crawler.distributed.middlewares.GlobalPolitenessMiddleware"] = 990
    spider_mw = dict(base.getdict("SPIDER_MIDDLEWARES"))
    spider_mw["crawler.distributed.middlewares.LeaseSpiderMiddleware"] = 5
    extensions = dict(base.getdict("EXTENSIONS"))
    extensions["crawler.distributed.worker.DistributedWorker"] = 10
    return {
        "NEWSARCHIVE_REDIS_URL": redis_url,
        # A round visits every page: the URL state of incremental recrawls lives in the archive,
        # which workers do not read; the duplicate filter in Redis keeps each URL to one fetch.
        "NEWSARCHIVE_INCREMENTAL": False,
        # The per-host delay across workers is reserved in Redis (GlobalPolitenessMiddleware); a local
        # random delay on top could hold a request past its reserved start and bunch it with the
        # next worker's request.
        **no_delay_jitter(),
        "SCHEDULER": "crawler.distributed.scheduler.DistributedScheduler",
        "ITEM_PIPELINES": pipelines,
        "DOWNLOADER_MIDDLEWARES": downloader,
        "SPIDER_MIDDLEWARES": spider_mw,
        "EXTENSIONS": extensions,
    }


def no_delay_jitter() -> dict[str, Any]:
    """The setting that turns off Scrapy's random variation of ``DOWNLOAD_DELAY``.

    Scrapy 2.19 replaced ``RANDOMIZE_DOWNLOAD_DELAY`` by ``DOWNLOAD_DELAY_JITTER`` (and warns about
    the old name); older versions only know the old one.
    """
    from scrapy.settings import default_settings

    if hasattr(default_settings, "DOWNLOAD_DELAY_JITTER"):
        return {"DOWNLOAD_DELAY_JITTER": 0}
    return {"RANDOMIZE_DOWNLOAD_DELAY": False}


__all__ = ["PIPELINE", "worker_settings"]
