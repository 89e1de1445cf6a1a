"""scrapy-redis's scheduler and priority queue, with leased requests.

Why subclasses of scrapy-redis 0.9.1 instead of its classes as they are:

- its ``PriorityQueue.pop()`` removes a request from Redis when a worker takes it, so the requests a
  worker holds when it is killed are lost (their fingerprints stay in the duplicate filter, so nobody
  queues them again). :class:`LeasedPriorityQueue` moves them to the in-flight hash under a lease
  instead (:class:`~crawler.distributed.frontier.Frontier`), acked when done, taken back when the worker
  dies;
- its ``Scheduler`` passes ``spider=`` to ``StatsCollector.inc_value()``, which Scrapy 2.19 deprecates
  (a ``ScrapyDeprecationWarning`` per request); :class:`DistributedScheduler` counts without it;
- it marks a request seen (``SADD``) and queues it (``ZADD``) in two commands: a worker killed between
  them leaves a URL that nobody fetches. Here both happen in one Lua script;
- keys are per *site* (the spider's profile) under the ``newsarchive:`` prefix, not per spider name.

The request encoding (pickled ``Request.to_dict()``), the duplicate filter (``RFPDupeFilter``: its
request fingerprints, in a Redis set) and ``flush()``/``close()`` are scrapy-redis's.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.context import LEASE_META, PARENT_META, WorkerContext
from crawler.distributed.frontier import SeedRequest

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from typing_extensions import Self

logger = logging.getLogger(__name__)

#: ``request.meta`` key of a request the worker already took from Redis and hands to its own engine.
LOCAL_META = "newsarchive_local"


def encode_request(request: Request, spider: Spider) -> bytes:
    """A request as the frontier stores it (scrapy-redis's encoding: pickled ``Request.to_dict()``)."""
    return picklecompat.dumps(request.to_dict(spider=spider))


def request_fingerprint(request: Request) -> str:
    """The duplicate-filter fingerprint of ``request`` (scrapy-redis's: sha1 of method, URL and body)."""
    return RFPDupeFilter(server=None, key="").request_fingerprint(request)


def seed_request(request: Request, spider: Spider) -> SeedRequest:
    return SeedRequest(-request.priority, encode_request(request, spider), request_fingerprint(request))


class LeasedPriorityQueue(Base):
    """scrapy-redis's priority queue over a :class:`~crawler.distributed.frontier.Frontier`."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.context = WorkerContext.of(spider.crawler)
        self.frontier = self.context.bind(spider)

    def __len__(self) -> int:
        return len(self.frontier)

    def push(self, request: Request, *, fingerprint: str = "", ack: str | None = None) -> bool:
        """Queue ``request`` unless its ``fingerprint`` was seen (see :meth:`Frontier.push`)."""
        return self.frontier.push(
            self._encode_request(request), -request.priority, fingerprint=fingerprint, ack=ack
        )

    def pop(self, timeout: int = 0) -> Request | None:
        taken = self.frontier.pop()
        if taken is None:
            return None
        lease, data = taken
        request = self._decode_request(data)
        request.meta[LEASE_META] = lease
        self.context.leased(lease)
        return request

    def clear(self) -> None:
        self.server.delete(self.frontier.keys.requests)


class DistributedScheduler(Scheduler):
    """The scrapy-redis scheduler of a worker: shared frontier, shared duplicate filter, leases."""

    context: WorkerContext

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        context = WorkerContext.of(crawler)
        scheduler = cls(
            server=context.server,
            persist=True,
            queue_cls="crawler.distributed.scheduler.LeasedPriorityQueue",
            dupefilter_cls="scrapy_redis.dupefilter.RFPDupeFilter",
        )
        scheduler.stats = crawler.stats
        scheduler.context = context
        scheduler.debug = crawler.settings.getbool("DUPEFILTER_DEBUG")
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        frontier = self.context.bind(spider)
        self.queue = LeasedPriorityQueue(self.server, spider, frontier.keys.requests)
        self.df = RFPDupeFilter(self.server, key=frontier.keys.dupefilter, debug=self.debug)
        #: Requests this worker took from Redis itself and hands to its engine (see DistributedWorker).
        self.local: deque[Request] = deque()
        self.context.scheduler = self
        queued = len(self.queue)
        if queued:
            logger.info("Joining the crawl of %s: %d request(s) queued in Redis", frontier.site, queued)

    def __len__(self) -> int:
        return len(self.local) + len(self.queue)

    def has_pending_requests(self) -> bool:
        return bool(self.local) or len(self.queue) > 0

    def enqueue_request(self, request: Request) -> bool:
        if request.meta.pop(LOCAL_META, False):
            self.local.append(request)
            return True
        # A request carrying a lease is an earlier request queued again (redirect, retry): queuing it
        # finishes that lease in the same step. A request carrying a parent lease was found by that
        # request's callback: once it is queued, the parent has one thing less to wait for.
        lease = request.meta.pop(LEASE_META, None)
        parent = request.meta.pop(PARENT_META, None)
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        queued = self.queue.push(request, fingerprint=fingerprint, ack=lease)
        if lease:
            self.context.forget(lease)
        self.context.end(parent)
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def take_local(self) -> Request | None:
        """Take one request from Redis for this worker, to hand to its engine (None when empty)."""
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
            request.meta[LOCAL_META] = True
        return request
