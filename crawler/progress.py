"""Progress of a running crawl, logged every ``NEWSARCHIVE_PROGRESS_INTERVAL`` seconds.

One line per interval: pages and articles so far with their rates per minute, and how many articles
were new, changed, unchanged or removed and how many URLs failed::

    Progress: 412 pages (206/min), 150 articles (75/min): 12 new, 2 changed, 136 unchanged,
    0 removed, 1 failed
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from typing_extensions import Self

logger = logging.getLogger(__name__)


def _count(stats: dict[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return value if isinstance(value, int) else 0


def progress_line(stats: dict[str, Any], elapsed: float) -> str:
    """The progress line for ``stats`` after ``elapsed`` seconds."""
    minutes = max(elapsed / 60, 1e-9)
    pages = _count(stats, "response_received_count")
    new = _count(stats, "newsarchive/archive/new")
    changed = _count(stats, "newsarchive/archive/updated")
    unchanged = _count(stats, "newsarchive/archive/unchanged") + _count(
        stats, "newsarchive/fetch/not_modified_articles"
    )
    articles = new + changed + unchanged
    removed = _count(stats, "newsarchive/archive/removed")
    failed = _count(stats, "newsarchive/fetch/failed")
    return (
        f"Progress: {pages} pages ({pages / minutes:.0f}/min), {articles} articles"
        f" ({articles / minutes:.0f}/min): {new} new, {changed} changed, {unchanged} unchanged,"
        f" {removed} removed, {failed} failed"
    )


class CrawlProgress:
    """Log :func:`progress_line` every ``interval`` seconds while the spider runs."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = time.monotonic()
        self._task: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        interval = crawler.settings.getfloat("NEWSARCHIVE_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured("NEWSARCHIVE_PROGRESS_INTERVAL is 0")
        return cls(crawler, interval)

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self._task = task.LoopingCall(self.log)
        self._task.start(self.interval, now=False)

    def log(self) -> None:
        assert self.crawler.stats is not None
        logger.info("%s", progress_line(self.crawler.stats.get_stats(), time.monotonic() - self.started))

    def spider_closed(self) -> None:
        if self._task is not None and self._task.running:
            self._task.stop()
