"""Downloader middlewares of newsarchive."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware as _ScrapyMetaRefresh
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.httpobj import urlparse_cached
from w3lib import html

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response, TextResponse
    from typing_extensions import Self

logger = logging.getLogger(__name__)
#: Scrapy reads a page's meta refresh from its first 4,096 characters (at most 4 bytes each).
_PREFIX_CHARS = 4096
_PREFIX_BYTES = 4 * _PREFIX_CHARS


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


class MetaRefreshMiddleware(_ScrapyMetaRefresh):
    """Scrapy's meta refresh redirects, reading only the start of the page.

    Scrapy looks for ``<meta http-equiv="refresh">`` (and ``<base href>``) in the first 4,096
    characters of the page, but decodes the whole body to get them. This reads the same characters
    from the start of the body alone, which matters on 100 KB news pages. Replaces
    ``scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware`` in ``DOWNLOADER_MIDDLEWARES``.
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if (
            request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in {"http", "https"}
        ):
            return response
        interval, url = meta_refresh(response, self._ignore_tags)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if interval is not None and interval < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response


def meta_refresh(response: TextResponse, ignore_tags: Iterable[str]) -> tuple[float | None, str | None]:
    """``(delay, absolute URL)`` of the page's meta refresh, ``(None, None)`` without one.

    The same answer as Scrapy's ``get_meta_refresh``, from the first 4,096 characters of the page.
    """
    encoding = response.encoding
    text = response.body[:_PREFIX_BYTES].decode(encoding, "replace")[:_PREFIX_CHARS].lstrip("\ufeff")
    base_url = html.get_base_url(text, response.url, encoding)
    return html.get_meta_refresh(text, base_url, encoding, ignore_tags=ignore_tags)
