"""The state one worker process shares between its Scrapy components (one per crawler).

The scheduler, the middlewares, the item pipeline and the worker extension of a crawler all reach the
same :class:`WorkerContext` with :meth:`WorkerContext.of`: one Redis client, the worker id, the site's
:class:`~crawler.distributed.frontier.Frontier`, the current crawl round and the leases this worker
holds, with how much work each one still has (its callback output and its items in the pipelines).
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections import Counter
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy.exceptions import NotConfigured

from archive.ingest import ARTICLE, WORKER_STATS
from archive.records import to_jsonable
from crawler.distributed.connection import redis_client, safe_url
from crawler.distributed.frontier import Frontier
from crawler.distributed.keys import ITEMS_KEY
from crawler.distributed.workers import WorkerRegistry, default_worker_id

if TYPE_CHECKING:
    from collections.abc import Mapping

    import redis
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from crawler.distributed.scheduler import DistributedScheduler

logger = logging.getLogger(__name__)

#: ``request.meta`` key holding the lease of a request taken from the frontier.
LEASE_META = "newsarchive_lease"
#: ``request.meta`` key of a new request: the lease of the request whose callback found it.
PARENT_META = "newsarchive_parent_lease"
STATS = "newsarchive/distributed"

_contexts: WeakKeyDictionary[Crawler, WorkerContext] = WeakKeyDictionary()


def site_of(spider: Spider) -> str:
    """The site a spider crawls: its profile's name, else the spider's name (keys the frontier)."""
    profile = getattr(spider, "profile", None)
    return str(getattr(profile, "name", "") or spider.name)


def utc_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class WorkerContext:
    """Per-crawler state of a worker; create it with :meth:`of`."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        url = settings.get("NEWSARCHIVE_REDIS_URL")
        if not url:
            raise NotConfigured("NEWSARCHIVE_REDIS_URL is not set")
        self.crawler = crawler
        self.url = safe_url(url)
        self.server: redis.Redis = redis_client(url)
        self.worker_id = settings.get("NEWSARCHIVE_WORKER_ID") or default_worker_id()
        self.timeout = settings.getfloat("NEWSARCHIVE_REDIS_WORKER_TIMEOUT")
        self.registry = WorkerRegistry(self.server, self.worker_id, self.timeout)
        self.started = utc_iso()
        self.site = ""
        self.round = ""
        self.state = "starting"
        self._frontier: Frontier | None = None
        #: Leases held by this worker and not acked yet, with their outstanding work.
        self.leases: Counter[str] = Counter()
        self.items_pushed = 0
        #: The worker's scheduler, once open.
        self.scheduler: DistributedScheduler | None = None
        # Registered before any request is taken: a lease of an unknown worker counts as abandoned.
        self.registry.beat(self.info())

    @classmethod
    def of(cls, crawler: Crawler) -> WorkerContext:
        """The context of ``crawler``, created on first use (``NotConfigured`` without a Redis URL)."""
        context = _contexts.get(crawler)
        if context is None:
            context = _contexts[crawler] = cls(crawler)
        return context

    def bind(self, spider: Spider) -> Frontier:
        """Attach the spider's site; returns its frontier."""
        if self._frontier is None:
            self.site = site_of(spider)
            self._frontier = Frontier(self.server, self.site, self.worker_id)
        return self._frontier

    @property
    def frontier(self) -> Frontier:
        if self._frontier is None:
            raise RuntimeError("the worker is not bound to a spider yet")
        return self._frontier

    def info(self) -> dict[str, Any]:
        """What the worker tells others about itself (``newsarchive status``)."""
        stats = self.stats.get_stats() if self.stats is not None else {}
        return {
            "site": self.site,
            "round": self.round,
            "state": self.state,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": self.started,
            "pages": stats.get("response_received_count", 0),
            "items": self.items_pushed,
            "in_flight": len(self.leases),
        }

    # --- leases ---------------------------------------------------------------------------------
    def leased(self, lease: str) -> None:
        self.leases[lease] = 0
        self.inc("leased")

    def begin(self, lease: str | None) -> None:
        """One more piece of work for ``lease``: its callback output, a new request not queued yet,
        or an item in the pipelines."""
        if lease and lease in self.leases:
            self.leases[lease] += 1

    def end(self, lease: str | None) -> None:
        """One piece of work of ``lease`` done; the lease is acked when none is left."""
        if not lease or lease not in self.leases:
            return
        self.leases[lease] -= 1
        if self.leases[lease] <= 0:
            self.ack(lease)

    def ack(self, lease: str) -> None:
        if lease in self.leases:
            self.frontier.ack(lease)
            del self.leases[lease]
            self.inc("acked")

    def forget(self, lease: str) -> None:
        """``lease`` was finished elsewhere (its request was queued again, e.g. a redirect)."""
        self.leases.pop(lease, None)

    def ack_all(self) -> int:
        """Ack every lease held: used when the engine is idle, so nothing of them is in progress."""
        leases = list(self.leases)
        if leases:
            self.frontier.ack(*leases)
            self.leases.clear()
            self.inc("acked_when_idle", len(leases))
        return len(leases)

    def requeue_all(self) -> int:
        """Put every lease held back in the queue (the worker stops before finishing them)."""
        count = self.frontier.requeue(list(self.leases))
        self.leases.clear()
        self.inc("requeued", count)
        return count

    def reclaim(self) -> int:
        """Take back the requests of workers that stopped; return how many."""
        count = self.frontier.reclaim()
        if count:
            self.inc("reclaimed", count)
        return count

    # --- messages for the ingester --------------------------------------------------------------
    def push(self, kind: str, **fields: Any) -> None:
        """Push a message of ``kind`` for the ingester (see :mod:`archive.ingest`)."""
        message = {"kind": kind, "site": self.site, "round": self.round, "worker": self.worker_id, **fields}
        self.server.lpush(ITEMS_KEY, _dumps(message))

    def push_article(self, record: Mapping[str, Any]) -> None:
        self.items_pushed += 1
        self.push(ARTICLE, id=f"{self.worker_id}#{self.items_pushed}", record=record)
        self.inc("items_pushed")

    def push_stats(self, reason: str) -> None:
        stats = self.stats.get_stats() if self.stats is not None else {}
        self.push(WORKER_STATS, reason=reason, stats={**stats, "finish_reason": reason})

    @property
    def stats(self) -> StatsCollector | None:
        """The crawler's stats (None before the crawl sets them up)."""
        try:
            return self.crawler.stats
        except RuntimeError:
            return None

    def inc(self, name: str, count: int = 1) -> None:
        """Add ``count`` to the stats value ``newsarchive/distributed/<name>``."""
        if self.stats is not None:
            self.stats.inc_value(f"{STATS}/{name}", count)


def _dumps(message: Mapping[str, Any]) -> str:
    return json.dumps(to_jsonable(dict(message)), ensure_ascii=False)
