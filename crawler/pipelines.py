"""Item pipelines: one concern each, in this order (see ``ITEM_PIPELINES`` in settings).

1. :class:`BoilerplatePipeline` cleans the content region into ``body_html``/``body_text``.
2. :class:`DatesPipeline` normalises every date to ISO 8601 with the site's UTC offset.
3. :class:`ValidationPipeline` drops non-articles and incomplete articles, with a counted reason.
4. :class:`ArchivePipeline` stores the article in the SQLite archive.

Stats keys: ``newsarchive/<component>/<event>``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem

from crawler.cleaning import clean_article
from crawler.dates import normalise_article_dates
from crawler.extraction_pool import ExtractionPool
from crawler.items import Article
from crawler.session import ArchiveSession

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from typing_extensions import Self

logger = logging.getLogger(__name__)


def _is_article(item: Any) -> bool:
    """Cleaning and dates are for articles only; other pages are dropped by validation."""
    return isinstance(item, Article) and item.page_type == "article"


class _Pipeline:
    """Base: keeps the crawler and its stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats


class BoilerplatePipeline(_Pipeline):
    """Strip ads, share/follow links, author box, related posts, newsletters... from the body.

    What was removed is recorded per article (``stripped``, counts by kind) and summed in the stats
    as ``newsarchive/boilerplate/<kind>``.
    """

    async def process_item(self, item: Any) -> Any:
        if not _is_article(item):
            return item
        # Cleaning parses the content region: done by the crawl's extraction processes when it has
        # any (the cleaned copy comes back), else here.
        item = await ExtractionPool.of(self.crawler).run(clean_article, item)
        for kind, count in item.stripped.items():
            self.stats.inc_value(f"newsarchive/boilerplate/{kind}", count)
        return item


class DatesPipeline(_Pipeline):
    """Normalise published/modified/dateline dates; flag assumed timezones, future and odd dates."""

    def process_item(self, item: Any) -> Any:
        if not _is_article(item):
            return item
        normalise_article_dates(item)
        for flag in item.flags:
            self.stats.inc_value(f"newsarchive/dates/{flag}")
            logger.debug("%(url)s: %(flag)s", {"url": item.url, "flag": flag})
        return item


class ValidationPipeline(_Pipeline):
    """Drop pages that are not articles, and articles without a title or a body.

    Each drop raises :class:`~scrapy.exceptions.DropItem` with the reason and counts
    ``newsarchive/validation/dropped/<reason>``.
    """

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        reason = self._reason(item)
        if reason:
            self.stats.inc_value(f"newsarchive/validation/dropped/{reason}")
            raise DropItem(f"{reason}: {item.url_raw}", log_level="INFO")
        self.stats.inc_value("newsarchive/validation/passed")
        return item

    @staticmethod
    def _reason(item: Article) -> str | None:
        if item.page_type != "article":
            return f"not_article_{item.page_type}"
        if not item.title:
            return "missing_title"
        if not item.body_text.strip():
            return "missing_body"
        return None


class ArchivePipeline(_Pipeline):
    """Store articles in the archive at ``NEWSARCHIVE_DB`` and record the crawl in ``crawls``.

    Storing goes through the crawl's :class:`~crawler.session.ArchiveSession`: each article is stored
    with its new version (``article_versions``) and its URL's state in one unit, committed in batches of
    ``NEWSARCHIVE_BATCH_SIZE``; the crawl row gets its end time, finish reason, exit code and the
    Scrapy stats when the spider closes.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.session = ArchiveSession.of(crawler)
        self.db_path = self.session.db_path
        crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    @property
    def crawl_id(self) -> int | None:
        return self.session.crawl_id

    def open_spider(self) -> None:
        self.session.open()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        status = self.session.store_article(item)
        self.stats.inc_value(f"newsarchive/archive/{status}")
        return item

    def close_spider(self) -> None:
        self.session.flush()

    def _spider_closed(self, reason: str) -> None:
        self.session.close(reason)
