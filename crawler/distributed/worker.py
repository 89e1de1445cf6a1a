"""The worker extension: joins or starts a crawl round, keeps the worker alive, ends the round.

- On open, the spider's start requests seed a new round when none is under way (else the worker joins
  the running one); see :meth:`~crawler.distributed.frontier.Frontier.start_round`.
- Every ``heartbeat`` seconds the worker tells Redis it is alive and takes back the requests of
  workers that stopped sending heartbeats.
- Every :data:`POLL` seconds, when its engine has room and nothing of its own to do, it takes a request
  from Redis and hands it to its engine (Scrapy only asks an idle scheduler again every 5 seconds).
- When its engine is idle, every lease it holds is done; it acks them and then ends the round if
  nothing is queued or in flight anywhere, else waits for the other workers' requests.
- On close it acks (finished) or puts back (stopped early) what it holds, pushes its stats for the
  ingester and leaves.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy import signals
from scrapy.exceptions import DontCloseSpider

from crawler.distributed.context import STATS, WorkerContext, utc_iso
from crawler.distributed.scheduler import seed_request

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from twisted.internet.task import LoopingCall
    from typing_extensions import Self

logger = logging.getLogger(__name__)

#: Seconds between two looks at the Redis queue while the engine has room.
POLL = 0.25
#: Heartbeats between two attempts to take back the requests of stopped workers.
RECLAIM_EVERY = 2


def new_round_id() -> str:
    """``YYYYMMDDTHHMMSSZ-<random>``: sortable and unique."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


class DistributedWorker:
    """Scrapy extension driving a worker of a distributed crawl (enabled with ``NEWSARCHIVE_REDIS_URL``)."""

    def __init__(self, crawler: Crawler, context: WorkerContext) -> None:
        self.crawler = crawler
        self.context = context
        self.heartbeat = min(2.0, max(0.1, context.timeout / 4))
        self._loops: list[LoopingCall] = []
        self._beats = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler, WorkerContext.of(crawler))
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    # --- signals --------------------------------------------------------------------------------
    async def spider_opened(self, spider: Spider) -> None:
        frontier = self.context.bind(spider)
        seeds = [seed_request(request, spider) async for request in spider.start()]
        started, round_id = frontier.start_round(new_round_id(), seeds, spider=spider.name, now=utc_iso())
        self.context.round = round_id
        self.context.state = "crawling"
        if started:
            logger.info(
                "Worker %(w)s started crawl round %(r)s of %(s)s (%(n)d start request(s)) on %(url)s",
                {"w": self.context.worker_id, "r": round_id, "s": frontier.site, "n": len(seeds),
                 "url": self.context.url},
            )  # fmt: skip
        else:
            logger.info(
                "Worker %(w)s joined crawl round %(r)s of %(s)s on %(url)s (%(q)d queued, %(f)d in flight)",
                {"w": self.context.worker_id, "r": round_id, "s": frontier.site, "url": self.context.url,
                 "q": len(frontier), "f": frontier.in_flight()},
            )  # fmt: skip
        self.crawler.stats.set_value(f"{STATS}/worker", self.context.worker_id)
        self.crawler.stats.set_value(f"{STATS}/round", round_id)
        self._start_loops()

    def spider_idle(self, spider: Spider) -> None:
        context = self.context
        try:
            done = context.ack_all()
            if done:
                logger.debug("Engine idle: acked %d finished request(s)", done)
            context.reclaim()
            ended = context.frontier.finish_round(utc_iso())
        except RedisError as error:
            logger.warning("Redis error while idle (%s); trying again", error)
            raise DontCloseSpider from error
        if not ended:
            raise DontCloseSpider
        if ended == 1:
            logger.info("Crawl round %(r)s of %(s)s is complete", {"r": context.round, "s": context.site})

    def spider_closed(self, spider: Spider, reason: str) -> None:
        for loop in self._loops:
            if loop.running:
                loop.stop()
        context = self.context
        context.state = reason
        try:
            if reason == "finished":
                context.ack_all()
            else:
                count = context.requeue_all()
                if count:
                    logger.info("Put %d unfinished request(s) back in the queue", count)
            context.push_stats(reason)
            context.registry.leave(context.info())
        except RedisError as error:
            logger.error("Could not report to Redis on close (%s); other workers take over", error)

    # --- loops ----------------------------------------------------------------------------------
    def _start_loops(self) -> None:
        from twisted.internet.task import LoopingCall

        for function, interval in ((self._beat, self.heartbeat), (self._poll, POLL)):
            loop = LoopingCall(function)
            loop.start(interval, now=False)
            self._loops.append(loop)

    def _beat(self) -> None:
        context = self.context
        try:
            context.registry.beat(context.info())
            self._beats += 1
            if self._beats % RECLAIM_EVERY == 0:
                context.reclaim()
                round_id = context.frontier.current_round().get("round")
                if round_id and round_id != context.round:
                    logger.info("A new crawl round of %(s)s began: %(r)s", {"s": context.site, "r": round_id})
                    context.round = round_id
        except RedisError as error:
            logger.warning("Heartbeat to Redis failed (%s)", error)

    def _poll(self) -> None:
        engine: Any = self.crawler.engine
        scheduler = self.context.scheduler
        if engine is None or scheduler is None or not engine.running or scheduler.local:
            return
        try:
            if engine.needs_backout():
                return
            request = scheduler.take_local()
        except (RedisError, AssertionError, AttributeError) as error:
            logger.debug("Poll skipped: %r", error)
            return
        if request is not None:
            engine.crawl(request)
