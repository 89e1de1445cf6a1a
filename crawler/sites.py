"""Site profiles: what the spider needs to know about a site, as data.

A profile names the site's domains, where a crawl starts, how sections are found and which page module
turns its pages into articles. Spiders read profiles; they hold no site knowledge of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin

#: URL patterns that never lead to articles on a WordPress site (admin, feeds, uploads, comment replies).
WORDPRESS_DENY: tuple[str, ...] = (
    r"/wp-admin/",
    r"/wp-login\.php",
    r"/wp-json/",
    r"/wp-content/",
    r"/feed/?$",
    r"/amp/?$",
    r"[?&](replytocom|share|tdb-loop-page|s)=",
    r"/xmlrpc\.php",
)


@dataclass(frozen=True)
class SiteProfile:
    """How to crawl one site."""

    #: Short name, also the spider argument (``scrapy crawl newspaper -a site=tdi``).
    name: str
    #: Human-readable site name.
    title: str
    #: Domains the crawl may visit (sub-domains included).
    domains: tuple[str, ...]
    #: The home page: the crawl starts here and reads the nav menu.
    start_url: str
    #: IANA timezone assumed for dates printed without an offset.
    timezone: str = "UTC"
    #: Explicit section URLs; empty means "read them from the home page's nav menu".
    sections: tuple[str, ...] = ()
    #: Regular expressions of URLs never followed.
    deny: tuple[str, ...] = field(default=WORDPRESS_DENY)
    #: The agency tag closing a dateline, as in ``Mexico City, 6 October 2021 (TDI):``.
    dateline_tag: str | None = None
    # --- profiles as data (crawler/profiles/*.toml, docs/profiles.md) -------------------------------
    #: Page module turning pages into articles: ``newspaper`` (tagDiv Newspaper theme) or ``generic``.
    page_module: str = "newspaper"
    #: Languages of the site (ISO 639-1 codes), a hint for date parsing; empty: from the page.
    languages: tuple[str, ...] = ()
    #: Regular expressions of URLs followed; empty means any URL of the domains (``deny`` still applies).
    allow: tuple[str, ...] = ()
    #: CSS selector of the section links on the home page; unset: the page module reads the nav menu.
    section_selector: str | None = None
    #: CSS selector of the article links on a listing page; unset: the page module's reader.
    article_selector: str | None = None
    #: CSS selector of the next-page link on a listing page; unset: the page module's reader.
    next_page_selector: str | None = None
    #: Listing pages read per section at most; unset: up to the last page.
    max_pages: int | None = None
    #: CSS selectors of article fields, tried before the page module (``title``, ``authors``, ``body`` ...).
    selectors: tuple[tuple[str, str], ...] = ()
    #: Politeness overrides: ``download_delay``, ``concurrent_requests_per_domain``, ``autothrottle_*`` ...
    politeness: tuple[tuple[str, float | bool], ...] = ()
    # --- incremental recrawls (crawler/session.py) --------------------------------------------------
    #: Sitemaps (or sitemap indexes) read by every crawl; a path is relative to ``start_url``.
    sitemaps: tuple[str, ...] = ("/sitemap_index.xml",)
    #: Regular expressions of the sitemaps of a sitemap index that list articles.
    sitemap_follow: tuple[str, ...] = (
        r"post-sitemap\d*\.xml",
        r"wp-sitemap-posts-post-\d+\.xml",
        r"news-sitemap",
    )
    #: RSS or Atom feeds read by every crawl; a path is relative to ``start_url``.
    feeds: tuple[str, ...] = ("/feed/",)
    #: A section's listing also lists its sub-sections' posts (WordPress categories do): a sub-section's
    #: first page is then only read when its parent's first page showed something new.
    parents_list_children: bool = True

    def sitemap_urls(self) -> list[str]:
        """Absolute URLs of :attr:`sitemaps`."""
        return [urljoin(self.start_url, url) for url in self.sitemaps]

    def feed_urls(self) -> list[str]:
        """Absolute URLs of :attr:`feeds`."""
        return [urljoin(self.start_url, url) for url in self.feeds]


def _load_profiles() -> dict[str, SiteProfile]:
    """The site profiles of ``crawler/profiles/sites/*.toml`` (and ``$NEWSARCHIVE_PROFILES``), checked."""
    from crawler.profiles import load_site_profiles

    return load_site_profiles()


PROFILES: dict[str, SiteProfile] = _load_profiles()


def get_profile(name: str) -> SiteProfile:
    """The profile called ``name``; ``KeyError`` with the known names otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown site {name!r} (known: {known})") from None
