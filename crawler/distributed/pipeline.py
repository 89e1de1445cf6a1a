"""The last item pipeline of a worker: hand finished articles to the ingester through Redis.

It replaces :class:`~crawler.pipelines.ArchivePipeline` in distributed mode (workers never write the
SQLite archive): each article that passed cleaning, dates and validation is pushed as one JSON message
(``Article.to_record()``) onto the items list that ``newsarchive ingest`` stores in the archive. The
raw capture of the page travels separately (:mod:`crawler.distributed.capture`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.distributed.context import WorkerContext
from crawler.items import Article

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from typing_extensions import Self


class RedisItemPipeline:
    """Push each article onto the Redis items list (written to the archive by ``newsarchive ingest``)."""

    def __init__(self, context: WorkerContext) -> None:
        self.context = context

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(WorkerContext.of(crawler))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self.context.push_article(item.to_record())
        return item
