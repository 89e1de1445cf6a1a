"""Middlewares of a worker: finishing leases, and politeness shared by all workers.

- :class:`LeaseSpiderMiddleware` (closest to the engine) counts the work a response causes: its callback
  output, each new request until the scheduler queued it in Redis, each item until the item pipelines
  are done with it. When nothing is left, the request's lease is acked. Leases of requests that end
  otherwise (failed downloads, robots.txt) are acked when the worker's engine is idle
  (:class:`~crawler.distributed.worker.DistributedWorker`); a worker killed before that only causes
  them to be tried again by another worker.
- :class:`GlobalPolitenessMiddleware` makes every request wait for a per-host slot in Redis
  (:class:`~crawler.distributed.slots.DomainSlots`), so ``CONCURRENT_REQUESTS_PER_DOMAIN`` and
  ``DOWNLOAD_DELAY`` hold for all workers together instead of for each one.
"""

from __future__ import annotations

import itertools
import logging
import random
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from crawler.distributed.context import LEASE_META, PARENT_META, WorkerContext
from crawler.distributed.slots import DomainSlots

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from typing_extensions import Self

logger = logging.getLogger(__name__)

#: ``request.meta`` key of the politeness slot a request holds: ``(host, holder)``.
SLOT_META = "newsarchive_slot"


def lease_of(response: Response | None) -> str | None:
    request = getattr(response, "request", None) if response is not None else None
    return request.meta.get(LEASE_META) if request is not None else None


class LeaseSpiderMiddleware:
    """Ack a request's lease once its callback output and every item it yielded are fully handled."""

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(WorkerContext.of(crawler))
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(middleware.item_done, signal=signal)
        return middleware

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        lease = lease_of(response)
        self.context.begin(lease)
        try:
            for output in result:
                yield self._track(lease, output)
        finally:
            self.context.end(lease)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        lease = lease_of(response)
        self.context.begin(lease)
        try:
            async for output in result:
                yield self._track(lease, output)
        finally:
            self.context.end(lease)

    def _track(self, lease: str | None, output: Any) -> Any:
        """Count ``output`` as work of ``lease`` until it is queued (a request) or stored (an item).

        Scrapy hands the output to the engine through a queue, so the callback can be done before
        its requests reach the scheduler: each one carries its parent's lease, which the scheduler
        releases once the request is in Redis.
        """
        if lease:
            self.context.begin(lease)
            if isinstance(output, Request):
                output.meta[PARENT_META] = lease
        return output

    def item_done(self, item: Any, response: Response | None = None, **kwargs: Any) -> None:
        self.context.end(lease_of(response))


class GlobalPolitenessMiddleware:
    """Hold a Redis slot of the request's host while it is downloaded (politeness across workers).

    Limits: ``CONCURRENT_REQUESTS_PER_DOMAIN`` requests in flight per host and ``DOWNLOAD_DELAY``
    seconds between request starts, for all workers together. Disabled by
    ``NEWSARCHIVE_REDIS_POLITENESS = False``.
    """

    #: Seconds between two asks for a slot when all are taken (doubles up to the maximum).
    FIRST_POLL, MAX_POLL = 0.02, 0.5

    def __init__(self, context: WorkerContext, slots: DomainSlots) -> None:
        self.context = context
        self.slots = slots
        self._serial = itertools.count(1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWSARCHIVE_REDIS_POLITENESS"):
            raise NotConfigured("NEWSARCHIVE_REDIS_POLITENESS is off")
        context = WorkerContext.of(crawler)
        slots = DomainSlots(
            context.server,
            concurrency=settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            delay=settings.getfloat("DOWNLOAD_DELAY"),
            ttl=settings.getfloat("DOWNLOAD_TIMEOUT") + 60,
        )
        logger.info(
            "Politeness across workers: %(n)d request(s) in flight and %(d)gs between requests per host",
            {"n": slots.concurrency, "d": slots.delay},
        )
        return cls(context, slots)

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        holder = f"{self.context.worker_id}#{next(self._serial)}"
        poll = self.FIRST_POLL
        waited = 0.0
        while True:
            grant = self.slots.acquire(host, holder)
            if grant.granted:
                break
            pause = poll * random.uniform(0.5, 1.5)
            await _sleep(pause)
            waited += pause
            poll = min(poll * 2, self.MAX_POLL)
        request.meta[SLOT_META] = (host, holder)
        if grant.wait > 0:
            await _sleep(grant.wait)
            waited += grant.wait
        if waited:
            self.context.inc("politeness_wait_ms", round(waited * 1000))

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        slot = request.meta.pop(SLOT_META, None)
        if slot:
            self.slots.release(*slot)


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))
