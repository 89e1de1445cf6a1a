"""Site profiles: what the spider needs to know about a site, as data.

A profile names the site's domains, where a crawl starts, how sections are found and which page module
turns its pages into articles. Spiders read profiles; they hold no site knowledge of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


PROFILES: dict[str, SiteProfile] = {
    "tdi": SiteProfile(
        name="tdi",
        title="The Diplomatic Insight",
        domains=("thediplomaticinsight.com",),
        start_url="http://thediplomaticinsight.com/",
        timezone="Asia/Karachi",
        dateline_tag="TDI",
    ),
}


def get_profile(name: str) -> SiteProfile:
    """The profile called ``name``; ``KeyError`` with the known names otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown site {name!r} (known: {known})") from None
