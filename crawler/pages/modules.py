"""The page modules a site profile can name, by name (``page_module`` in the profile)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawler.pages import generic, newspaper

if TYPE_CHECKING:
    from collections.abc import Callable

    from crawler.items import Article

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageModule:
    """What a spider and the extraction chain need from a page module."""

    name: str
    #: ``(html | Page, url, *, fetched_at, site, site_timezone, encoding, dateline_agency) -> Article``.
    parse_article: Callable[..., Article]
    #: ``(html, base_url) -> [section URL]`` from the home page.
    nav_section_urls: Callable[..., list[str]]
    #: ``(html, base_url) -> [article URL]`` from a listing page.
    listing_article_urls: Callable[..., list[str]]
    #: ``(html, base_url) -> next listing page URL | None``.
    listing_next_page: Callable[..., str | None]


MODULES: dict[str, PageModule] = {
    "newspaper": PageModule(
        "newspaper",
        newspaper.parse_article,
        newspaper.nav_section_urls,
        newspaper.listing_article_urls,
        newspaper.listing_next_page,
    ),
    "generic": PageModule(
        "generic",
        generic.parse_article,
        generic.nav_section_urls,
        generic.listing_article_urls,
        generic.listing_next_page,
    ),
}


def get_module(name: str) -> PageModule:
    """The page module called ``name``; ``KeyError`` naming the known ones otherwise."""
    try:
        return MODULES[name]
    except KeyError:
        raise KeyError(f"unknown page module {name!r} (known: {', '.join(MODULES)})") from None
