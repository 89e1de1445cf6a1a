"""Downloader middlewares of newsarchive."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from typing_extensions import Self

logger = logging.getLogger(__name__)


class ReplayProxyMiddleware:
    """Send every request through a replay server (``NEWSARCHIVE_REPLAY_PROXY``).

    The replay server answers requests for real site URLs from a saved copy, so a crawl runs through
    Scrapy's real HTTP stack with the real URLs and no network. Disabled when the setting is empty.
    """

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        proxy = crawler.settings.get("NEWSARCHIVE_REPLAY_PROXY")
        if not proxy:
            raise NotConfigured("NEWSARCHIVE_REPLAY_PROXY is not set")
        logger.info("Replaying the crawl through %(proxy)s", {"proxy": proxy})
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        request.meta["proxy"] = self.proxy
