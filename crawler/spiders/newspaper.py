"""The section walker for WordPress sites on the tagDiv Newspaper theme.

Home page -> sections from the nav menu (or the profile's list) -> listing pages of every section ->
articles; the site's sitemaps and feeds are read too. Article pages are turned into items by the page
module (:mod:`crawler.pages.newspaper`); this spider only crawls.

The crawl is incremental (see :mod:`crawler.session`): a listing is followed to its next page only
while it holds links no earlier crawl found, a sub-section's first page is only read when its parent
section showed something new (a WordPress parent section lists its sub-sections' posts), and an
article is only fetched when it is new, failed last time, is due for a recrawl, or a sitemap says it
changed. The first crawl of a site therefore walks every section to its last page.
"""

from __future__ import annotations

import logging
import re
from datetime import timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.chain import build_article, read_listing, selected_links
from crawler.discovery import read_feed, read_sitemap
from crawler.extraction_pool import ExtractionPool
from crawler.pages.listing import as_page
from crawler.pages.modules import PageModule, get_module
from crawler.profiles.schema import politeness_settings
from crawler.selectors import select
from crawler.session import KEY, KIND, ArchiveSession, request_key, request_kind
from crawler.sites import SiteProfile, get_profile
from crawler.urls import clean_url, host_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable

    from scrapy.http import Response
    from twisted.python.failure import Failure

    from crawler.items import Article

logger = logging.getLogger(__name__)

STATS = "newsarchive/spider"
#: Failures retried by the spider itself (Scrapy's retry middleware does not retry them).
RETRIED_REASONS = frozenset({"redirect_loop", "too_large", "wrong_content_type"})
#: Articles go before the next listing pages, so the scheduler holds about one listing page of
#: article requests per section instead of every article of the site (memory stays flat with size).
PRIORITY = {"home": 20, "sitemap": 15, "feed": 15, "article": 12, "listing": 10}


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
        self.max_pages = int(max_pages) if max_pages else self.profile.max_pages
        self._deny = [re.compile(p) for p in self.profile.deny]
        self._sitemap_follow = [re.compile(p) for p in self.profile.sitemap_follow]
        #: Listing pages seen per section URL: {section_url: highest page number}.
        self.section_pages: dict[str, int] = {}
        #: Sub-sections of each section: {section_url: [sub-section URLs]}.
        self.subsections: dict[str, list[str]] = {}

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Apply the politeness overrides of a spider's class-level profile (``scrapy crawl tdi``)."""
        super().update_settings(settings)
        profile = getattr(cls, "profile", None)
        if profile is not None:
            settings.setdict(politeness_settings(profile), priority="spider")

    @property
    def session(self) -> ArchiveSession:
        """The archive of this crawl."""
        return ArchiveSession.of(self.crawler)

    def extraction(self) -> ExtractionPool:
        """Where pages are parsed: worker processes (``NEWSARCHIVE_EXTRACT_PROCESSES``) or this one.

        A method, not a property: Scrapy inspects a spider's attributes when it serialises requests
        (scrapy-redis frontiers), and that must not create the pool.
        """
        return ExtractionPool.of(self.crawler)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self._request(self.profile.start_url, self.parse_home, kind="home")
        settings = self.crawler.settings
        if settings.getbool("NEWSARCHIVE_SITEMAPS"):
            for url in self.profile.sitemap_urls():
                yield self._request(url, self.parse_sitemap, kind="sitemap")
        if settings.getbool("NEWSARCHIVE_FEEDS"):
            for url in self.profile.feed_urls():
                yield self._request(url, self.parse_feed, kind="feed")
        for row in self.session.scheduled():
            request = self._scheduled_request(row)
            if request is not None:
                yield request

    # --- callbacks ------------------------------------------------------------------------------
    def parse_home(self, response: Response) -> list[scrapy.Request]:
        if response.status == 304:
            self.session.visited(response)
            return self._section_requests(self.section_override or self.session.known_sections(), "archive")
        sections = self.section_override or list(self.profile.sections)
        source = "profile"
        if not sections:
            sections = self._nav_sections(response)
            source = "nav menu"
        sections = [url for url in map(clean_url, sections) if self._allowed(url)]
        self.session.home_fetched(response, sections)
        return self._section_requests(sections, source, url=response.url)

    def _section_requests(self, sections: list[str], source: str, url: str = "") -> list[scrapy.Request]:
        logger.info(
            "Found %(n)d sections in the %(source)s of %(url)s",
            {"n": len(sections), "source": source, "url": url or self.profile.start_url},
        )
        self.crawler.stats.set_value(f"{STATS}/sections", len(sections))
        if not sections:
            logger.warning(
                "No sections found on %(url)s: nothing to crawl", {"url": url or self.profile.start_url}
            )
        self.subsections = _subsections(sections) if self.profile.parents_list_children else {}
        nested = {child for children in self.subsections.values() for child in children}
        return _some(self._listing_request(url, section=url, page=1) for url in sections if url not in nested)

    async def parse_section(self, response: Response, section: str, page: int) -> list[scrapy.Request]:
        self.section_pages[section] = max(page, self.section_pages.get(section, 0))
        self.crawler.stats.inc_value(f"{STATS}/listing_pages")
        if response.status == 304:
            self.session.visited(response)
            return []
        listing = await self.extraction().run(
            read_listing, response.body, response.url, profile=self.profile, encoding=_encoding(response)
        )
        links = [url for url in map(clean_url, listing.articles) if self._allowed(url)]
        if not links:
            logger.warning("Listing page without article links: %(url)s", {"url": response.url})
        next_url = listing.next_page
        if next_url and (self.max_pages is None or page < self.max_pages):
            next_url = clean_url(next_url)
            next_url = next_url if self._allowed(next_url) else None
        else:
            next_url = None
        found = self.session.listing_fetched(
            response, section=section, page=page, links=links, next_url=next_url
        )
        requests = [self._request(url, self.parse_article, kind="article") for url in found.fetch]
        if found.follow_next and next_url:
            requests.append(self._listing_request(next_url, section=section, page=page + 1))
        if page == 1 and found.new:
            requests += [
                self._listing_request(url, section=url, page=1) for url in self.subsections.get(section, [])
            ]
        return _some(requests)

    async def parse_article(self, response: Response) -> list[Article]:
        if response.status == 304:
            self.session.visited(response)
            return []
        self.crawler.stats.inc_value(f"{STATS}/article_pages")
        self.session.article_fetched(response)
        article = await self.extraction().run(
            build_article,
            response.body,
            response.url,
            profile=self.profile,
            fetched_at=self.session.now().astimezone(timezone.utc).isoformat(timespec="seconds"),
            site_timezone=self.crawler.settings.get("NEWSARCHIVE_SITE_TIMEZONE") or self.profile.timezone,
            encoding=_encoding(response),
        )
        return [article]

    def parse_sitemap(self, response: Response) -> list[scrapy.Request]:
        if response.status == 304:
            self.session.visited(response)
            return []
        sitemap = read_sitemap(response.body)
        if sitemap.kind == "index":
            entries = [e for e in sitemap.entries if self._follow_sitemap(e.url)]
            found = self.session.entries_fetched(
                response, kind="sitemap_index", source="sitemap", entries=entries
            )
            return _some(self._request(url, self.parse_sitemap, kind="sitemap") for url in found.fetch)
        if sitemap.kind != "urlset":
            logger.warning("Not a sitemap: %(url)s", {"url": response.url})
            self.session.other_fetched(response)
            return []
        entries = [e for e in _clean_entries(sitemap.entries) if self._allowed(e.url)]
        self.crawler.stats.inc_value("newsarchive/discovery/sitemap_urls", len(entries))
        found = self.session.entries_fetched(response, kind="sitemap", source="sitemap", entries=entries)
        return _some(self._request(url, self.parse_article, kind="article") for url in found.fetch)

    def parse_feed(self, response: Response) -> list[scrapy.Request]:
        if response.status == 304:
            self.session.visited(response)
            return []
        entries = [e for e in _clean_entries(read_feed(response.body)) if self._allowed(e.url)]
        self.crawler.stats.inc_value("newsarchive/discovery/feed_urls", len(entries))
        found = self.session.entries_fetched(response, kind="feed", source="feed", entries=entries)
        return _some(self._request(url, self.parse_article, kind="article") for url in found.fetch)

    def on_error(self, failure: Failure) -> list[scrapy.Request]:
        """Record every URL that could not be fetched, with the reason; retry or fall back where useful."""
        request = failure.request  # type: ignore[attr-defined]
        key, kind = request_key(request), request_kind(request)
        reason, status = failure_reason(failure)
        if reason == "disallowed":
            self.session.disallowed(key, kind)
            logger.info("Skipped %(url)s: robots.txt forbids it", {"url": key})
            return self._fallback(request)
        self.crawler.stats.inc_value(f"{STATS}/failed/{reason}")
        if status in (404, 410):
            logger.warning("Could not fetch %(url)s: %(reason)s", {"url": key, "reason": reason})
            self.session.gone(key, kind, status)
            return self._fallback(request)
        if reason in RETRIED_REASONS:
            retry = get_retry_request(request.replace(url=key), spider=self, reason=reason)
            if retry is not None:
                for name in ("redirect_urls", "redirect_reasons", "redirect_times", "redirect_ttl"):
                    retry.meta.pop(name, None)
                return [retry]
        logger.warning(
            "Could not fetch %(url)s: %(reason)s%(limit)s",
            {"url": key, "reason": reason, "limit": self._limit(reason)},
        )
        self.session.failed_url(key, kind, reason, status)
        return self._fallback(request)

    def _limit(self, reason: str) -> str:
        """Which limit a ``too_large`` or ``timeout`` failure hit, for the log line."""
        settings = self.crawler.settings
        if reason == "too_large":
            return f" (larger than DOWNLOAD_MAXSIZE = {settings.getint('DOWNLOAD_MAXSIZE')} bytes)"
        if reason == "timeout":
            return (
                f" (no complete answer within DOWNLOAD_TIMEOUT = {settings.getfloat('DOWNLOAD_TIMEOUT'):g} s)"
            )
        return ""

    def _fallback(self, request: scrapy.Request) -> list[scrapy.Request]:
        """What to request when a page failed: the known sections for the home page, the sub-sections
        for a section's first page."""
        kind = request_kind(request)
        if kind == "home":
            return self._section_requests(self.section_override or self.session.known_sections(), "archive")
        if kind == "listing" and request.cb_kwargs.get("page") == 1:
            section = request.cb_kwargs.get("section", "")
            return _some(
                self._listing_request(url, section=url, page=1) for url in self.subsections.get(section, [])
            )
        return []

    # --- helpers --------------------------------------------------------------------------------
    def _request(
        self, url: str, callback: Callable[..., Any], *, kind: str, cb_kwargs: dict[str, Any] | None = None
    ) -> scrapy.Request | None:
        if not self.session.expect(url, kind):
            return None
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            cb_kwargs=cb_kwargs or {},
            priority=PRIORITY.get(kind, 0),
            meta={KIND: kind, KEY: url, "handle_httpstatus_list": [304]},
        )

    def _listing_request(self, url: str, *, section: str, page: int) -> scrapy.Request | None:
        return self._request(
            url, self.parse_section, kind="listing", cb_kwargs={"section": section, "page": page}
        )

    def _scheduled_request(self, row: dict[str, Any]) -> scrapy.Request | None:
        """A request for a URL the archive says is due; a URL failing run after run is tried once."""
        url, kind = row["url"], row["kind"]
        if kind == "listing":
            request = self._listing_request(url, section=row["section"] or url, page=int(row["page"] or 1))
        elif kind == "sitemap":
            request = self._request(url, self.parse_sitemap, kind="sitemap")
        else:
            request = self._request(url, self.parse_article, kind="article")
        if request is not None and row["state"] == "failed" and int(row["failures"] or 0) >= 2:
            request.meta["max_retry_times"] = 0
        return request

    def _follow_sitemap(self, url: str) -> bool:
        return self._on_site(url) and any(p.search(url) for p in self._sitemap_follow)

    def _on_site(self, url: str) -> bool:
        host = host_of(url)
        return any(host == d or host.endswith("." + d) for d in self.profile.domains)

    def _allowed(self, url: str) -> bool:
        if not self._on_site(url):
            self.crawler.stats.inc_value(f"{STATS}/offsite_links_skipped")
            return False
        if any(p.search(url) for p in self._deny):
            self.crawler.stats.inc_value(f"{STATS}/denied_links_skipped")
            return False
        if not _matches_allow(self.profile, url):
            self.crawler.stats.inc_value(f"{STATS}/denied_links_skipped")
            return False
        return True

    # --- page module and profile selectors (crawler/pages/modules.py, docs/profiles.md) -----------
    @property
    def page_module(self) -> PageModule:
        """The page module the profile names."""
        return get_module(self.profile.page_module)

    def _nav_sections(self, response: Response) -> list[str]:
        if self.profile.section_selector:
            return _selected_links(response, self.profile.section_selector)
        return self.page_module.nav_section_urls(_html(response), response.url)


def _matches_allow(profile: SiteProfile, url: str) -> bool:
    """Whether ``url`` matches one of the profile's ``allow`` patterns (always true without any)."""
    patterns = _compiled(profile.allow)
    if not patterns or url.rstrip("/") == profile.start_url.rstrip("/"):
        return True
    return any(p.search(url) for p in patterns)


@lru_cache(maxsize=64)
def _compiled(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    return [re.compile(p) for p in patterns]


def _selected_links(response: Response, css: str) -> list[str]:
    page = as_page(_html(response), response.url)
    return selected_links(select(page.root, css), response.url) if page.root is not None else []


def _some(requests: Iterable[scrapy.Request | None]) -> list[scrapy.Request]:
    return [request for request in requests if request is not None]


def _html(response: Response) -> str | bytes:
    return response.text if isinstance(response, TextResponse) else response.body


def _encoding(response: Response) -> str | None:
    return getattr(response, "encoding", None)


def _clean_entries(entries: list[Any]) -> list[Any]:
    return [type(entry)(clean_url(entry.url), entry.lastmod) for entry in entries]


def _subsections(sections: list[str]) -> dict[str, list[str]]:
    """``{section: [its direct sub-sections]}``: a sub-section's URL path extends its parent's."""
    children: dict[str, list[str]] = {}
    for url in sections:
        parents = [p for p in sections if p != url and url.startswith(p.rstrip("/") + "/")]
        if parents:
            children.setdefault(max(parents, key=len), []).append(url)
    return children


def failure_reason(failure: Failure) -> tuple[str, int | None]:
    """A short reason for a failed request (``http_500``, ``timeout``, ``redirect_loop`` ...), its status."""
    from scrapy.exceptions import (
        DownloadCancelledError,
        DownloadConnectionRefusedError,
        DownloadFailedError,
        DownloadTimeoutError,
        ResponseDataLossError,
    )
    from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost, TimeoutError

    if failure.check(HttpError):
        status = failure.value.response.status
        return f"http_{status}", status
    if failure.check(IgnoreRequest):
        message = str(failure.value)
        for marker, reason in (
            ("robots.txt", "disallowed"),
            ("max redirections", "redirect_loop"),
            ("DOWNLOAD_MAXSIZE", "too_large"),
            ("wrong_content_type", "wrong_content_type"),
            ("retry_after", "retry_after"),
        ):
            if marker in message:
                return reason, None
        return "ignored", None
    for types, reason in (
        ((DownloadTimeoutError, TimeoutError), "timeout"),
        ((DownloadCancelledError,), "too_large"),
        ((ResponseDataLossError,), "truncated"),
        ((DownloadConnectionRefusedError, ConnectError), "connection_refused"),
        ((DownloadFailedError, ConnectionLost, ConnectionDone), "connection_lost"),
    ):
        if failure.check(*types):
            return reason, None
    return (failure.type.__name__ if failure.type else "error"), None
