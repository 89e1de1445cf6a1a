"""Downloader middlewares for a flaky site: honour Retry-After, survive wrong Content-Types.

* :class:`RetryAfterMiddleware`: a 429 or 503 answer with ``Retry-After`` pauses every request to that
  site for the time asked (at most ``NEWSARCHIVE_RETRY_AFTER_MAX`` seconds; a longer wait gives the URL
  up for this run: it fails with ``retry_after`` and the next run tries it again). Scrapy's retry
  middleware then retries the request.
* :class:`ContentTypeMiddleware`: an HTML page (or a sitemap or feed) served with a wrong
  ``Content-Type`` is read by what its body is; a body that is not what was asked for is retried, then
  fails with ``wrong_content_type``.
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from crawler.session import KIND
from crawler.urls import host_of

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from typing_extensions import Self

logger = logging.getLogger(__name__)

#: The kinds of page whose body must be HTML, and those whose body must be XML.
HTML_KINDS = frozenset({"home", "listing", "article"})
XML_KINDS = frozenset({"sitemap", "sitemap_index", "feed"})


def retry_after_seconds(value: str | bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date); None if unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


async def _sleep(seconds: float) -> None:
    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


class RetryAfterMiddleware:
    """Pause the site for the time a 429/503 ``Retry-After`` asks, before the request is retried."""

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        #: Host -> time (``time.monotonic()``) before which no request is sent to it.
        self.paused_until: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getfloat("NEWSARCHIVE_RETRY_AFTER_MAX"))

    async def process_request(self, request: Request) -> None:
        wait = self.paused_until.get(host_of(request.url), 0.0) - time.monotonic()
        if wait > 0:
            await _sleep(wait)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in (429, 503):
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After"))
        if delay is None:
            return response
        assert self.crawler.stats is not None
        if delay > self.max_wait:
            self.crawler.stats.inc_value("newsarchive/fetch/retry_after_too_long")
            raise IgnoreRequest(
                f"retry_after: {request.url} asks to wait {delay:.0f} s (more than "
                f"NEWSARCHIVE_RETRY_AFTER_MAX = {self.max_wait:.0f} s); the next run tries again"
            )
        host = host_of(request.url)
        self.paused_until[host] = max(self.paused_until.get(host, 0.0), time.monotonic() + delay)
        self.crawler.stats.inc_value("newsarchive/fetch/retry_after")
        logger.info(
            "%(url)s answered %(status)d with Retry-After %(delay).1f s: pausing %(host)s",
            {"url": request.url, "status": response.status, "delay": delay, "host": host},
        )
        await _sleep(delay)
        return response


def sniff(body: bytes) -> str | None:
    """``"html"``, ``"xml"`` or None: what the start of ``body`` looks like."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "html"
    if head.startswith(b"<?xml") or head.startswith((b"<urlset", b"<sitemapindex", b"<rss", b"<feed")):
        return "xml"
    return None


class ContentTypeMiddleware:
    """Read a page by what its body is when its ``Content-Type`` is wrong; retry a body that is neither."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        kind = request.meta.get(KIND)
        if response.status != 200 or kind not in HTML_KINDS | XML_KINDS:
            return response
        wanted = "html" if kind in HTML_KINDS else "xml"
        if wanted == "html" and isinstance(response, HtmlResponse):
            return response
        if wanted == "xml" and isinstance(response, (XmlResponse, TextResponse)) and sniff(response.body):
            return response
        found = sniff(response.body)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or "none"
        assert self.crawler.stats is not None
        if found == wanted or (wanted == "xml" and found == "html" and kind == "feed"):
            self.crawler.stats.inc_value("newsarchive/fetch/wrong_content_type_read")
            logger.warning(
                "%(url)s came with Content-Type %(type)r but its body is %(found)s: read as %(found)s",
                {"url": response.url, "type": content_type, "found": found.upper()},
            )
            cls = HtmlResponse if found == "html" else XmlResponse
            return response.replace(cls=cls, encoding=None)
        retry = get_retry_request(request, spider=self.crawler.spider, reason="wrong_content_type")
        if retry is not None:
            return retry
        raise IgnoreRequest(f"wrong_content_type: {response.url} came with Content-Type {content_type!r}")
