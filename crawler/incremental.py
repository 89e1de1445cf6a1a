"""Conditional requests: ask only for what changed since the archive last stored a page.

For every request of the spider (``newsarchive_kind`` in its meta) whose URL has a stored answer, the
:class:`ConditionalRequestMiddleware` sends the validators of that answer (``If-None-Match`` with its
ETag, ``If-Modified-Since`` with its Last-Modified). A ``304 Not Modified`` then reaches the spider as
an unchanged visit, not as a failure. Disabled by ``NEWSARCHIVE_CONDITIONAL = False``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from crawler.session import KIND, ArchiveSession, request_key

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from typing_extensions import Self

logger = logging.getLogger(__name__)


class ConditionalRequestMiddleware:
    """Add ``If-None-Match`` / ``If-Modified-Since`` from the archive's URL state."""

    def __init__(self, session: ArchiveSession, crawler: Crawler) -> None:
        self.session = session
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSARCHIVE_CONDITIONAL"):
            raise NotConfigured("NEWSARCHIVE_CONDITIONAL is off")
        return cls(ArchiveSession.of(crawler), crawler)

    def process_request(self, request: Request) -> None:
        if KIND not in request.meta or request.meta.get("newsarchive_unconditional"):
            return
        if b"If-None-Match" in request.headers or b"If-Modified-Since" in request.headers:
            return
        etag, last_modified = self.session.validators(request_key(request))
        if etag:
            request.headers[b"If-None-Match"] = etag
        if last_modified:
            request.headers[b"If-Modified-Since"] = last_modified
        if etag or last_modified:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("newsarchive/fetch/conditional")
