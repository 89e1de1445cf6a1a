"""The section walker for WordPress sites on the tagDiv Newspaper theme.

Home page -> sections from the nav menu (or the profile's list) -> every listing page of every section
until the last one -> every article. Article pages are turned into items by the page module
(:mod:`crawler.pages.newspaper`); this spider only crawls.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.pages.newspaper import listing_article_urls, listing_next_page, nav_section_urls, parse_article
from crawler.sites import SiteProfile, get_profile
from crawler.urls import clean_url, host_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.items import Article

logger = logging.getLogger(__name__)

STATS = "newsarchive/spider"


class NewspaperSpider(scrapy.Spider):
    """Crawl a Newspaper-theme site described by a :class:`~crawler.sites.SiteProfile`.

    Spider arguments (``-a name=value``): ``site`` (profile name), ``sections`` (comma-separated
    section URLs that replace the nav menu), ``max_pages`` (listing pages per section, default no limit).
    """

    name = "newspaper"
    profile: SiteProfile

    def __init__(
        self,
        site: str | None = None,
        sections: str | None = None,
        max_pages: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if site is not None or not hasattr(self, "profile"):
            self.profile = get_profile(site or "tdi")
        self.allowed_domains = list(self.profile.domains)
        self.section_override = [u.strip() for u in (sections or "").split(",") if u.strip()]
        self.max_pages = int(max_pages) if max_pages else None
        self._deny = [re.compile(p) for p in self.profile.deny]
        #: Listing pages seen per section URL: {section_url: highest page number}.
        self.section_pages: dict[str, int] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.profile.start_url, callback=self.parse_home, errback=self.on_error)

    # --- callbacks ------------------------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterable[scrapy.Request]:
        sections = self.section_override or list(self.profile.sections)
        source = "profile"
        if not sections:
            sections = nav_section_urls(response.text, response.url)
            source = "nav menu"
        sections = [url for url in map(clean_url, sections) if self._allowed(url)]
        logger.info(
            "Found %(n)d sections in the %(source)s of %(url)s",
            {"n": len(sections), "source": source, "url": response.url},
        )
        self.crawler.stats.set_value(f"{STATS}/sections", len(sections))
        if not sections:
            logger.warning("No sections found on %(url)s: nothing to crawl", {"url": response.url})
        for url in sections:
            yield self._listing_request(url, section=url, page=1)

    def parse_section(self, response: Response, section: str, page: int) -> Iterable[scrapy.Request]:
        self.section_pages[section] = max(page, self.section_pages.get(section, 0))
        self.crawler.stats.inc_value(f"{STATS}/listing_pages")
        links = listing_article_urls(response.text, response.url)
        if not links:
            logger.warning("Listing page without article links: %(url)s", {"url": response.url})
        for link in links:
            url = clean_url(link)
            if self._allowed(url):
                yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error)
        next_url = listing_next_page(response.text, response.url)
        if next_url and (self.max_pages is None or page < self.max_pages):
            next_url = clean_url(next_url)
            if self._allowed(next_url):
                yield self._listing_request(next_url, section=section, page=page + 1)

    def parse_article(self, response: Response) -> Iterable[Article]:
        self.crawler.stats.inc_value(f"{STATS}/article_pages")
        yield parse_article(
            response.body,
            response.url,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            site=self.profile.name,
            site_timezone=self.crawler.settings.get("NEWSARCHIVE_SITE_TIMEZONE") or self.profile.timezone,
            encoding=getattr(response, "encoding", None),
        )

    def on_error(self, failure: Failure) -> None:
        """Count and log every URL that could not be fetched, with the reason."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            reason = f"http_{failure.value.response.status}"
        else:
            reason = failure.type.__name__ if failure.type else "error"
        self.crawler.stats.inc_value(f"{STATS}/failed/{reason}")
        logger.warning("Could not fetch %(url)s: %(reason)s", {"url": request.url, "reason": reason})

    # --- helpers --------------------------------------------------------------------------------
    def _listing_request(self, url: str, *, section: str, page: int) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_section,
            errback=self.on_error,
            cb_kwargs={"section": section, "page": page},
            priority=10,
        )

    def _allowed(self, url: str) -> bool:
        host = host_of(url)
        if not any(host == d or host.endswith("." + d) for d in self.profile.domains):
            self.crawler.stats.inc_value(f"{STATS}/offsite_links_skipped")
            return False
        if any(p.search(url) for p in self._deny):
            self.crawler.stats.inc_value(f"{STATS}/denied_links_skipped")
            return False
        return True
