"""The extraction chain of one page, shared by crawls and :func:`crawler.extract.extract_article`.

``page module -> profile selectors -> structured data -> generic extractor`` builds the raw
article (:func:`build_article`, what the spider yields); the pipelines then clean the body and
normalise the dates (:func:`finish_article` does the same outside Scrapy).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from crawler.cleaning import clean_article
from crawler.dates import normalise_article_dates
from crawler.layering import complete_article
from crawler.pages.document import Page
from crawler.pages.dom import parse_html
from crawler.pages.modules import get_module
from crawler.selectors import select

if TYPE_CHECKING:
    from crawler.items import Article
    from crawler.sites import SiteProfile

logger = logging.getLogger(__name__)


def parse_page(html: str | bytes, url: str, encoding: str | None = None) -> Page:
    """The page parsed once and indexed (an empty :class:`Page` for an unparsable document)."""
    return Page(parse_html(html, encoding), url)


def build_article(
    html: str | bytes,
    url: str,
    *,
    profile: SiteProfile,
    fetched_at: str,
    encoding: str | None = None,
    site_timezone: str | None = None,
    page: Page | None = None,
) -> Article:
    """The raw article of the page ``html`` fetched from ``url``, every field from the best layer.

    ``site_timezone`` overrides the profile's; ``page`` is the page already parsed (it is modified).
    """
    page = page if page is not None else parse_page(html, url, encoding)
    module = get_module(profile.page_module)
    article = module.parse_article(
        page,
        url,
        fetched_at=fetched_at,
        site=profile.name,
        site_timezone=site_timezone or profile.timezone,
        encoding=encoding,
        dateline_agency=profile.dateline_tag,
    )
    return complete_article(article, page, profile, html=html, encoding=encoding)


@dataclass(frozen=True)
class ListingLinks:
    """What a listing page links to: its articles (in page order) and its next page."""

    articles: list[str]
    next_page: str | None


def read_listing(
    html: str | bytes, url: str, *, profile: SiteProfile, encoding: str | None = None
) -> ListingLinks:
    """The article links and the next-page link of a listing page: the profile's selectors where it has
    them, else its page module's."""
    page = parse_page(html, url, encoding)
    module = get_module(profile.page_module)
    if profile.article_selector and page.root is not None:
        articles = selected_links(select(page.root, profile.article_selector), url)
    else:
        articles = module.listing_article_urls(page, url)
    if profile.next_page_selector and page.root is not None:
        found = selected_links(select(page.root, profile.next_page_selector), url)
        next_page = found[0] if found else None
    else:
        next_page = module.listing_next_page(page, url)
    return ListingLinks(articles, next_page)


def selected_links(found: list[Any], base_url: str) -> list[str]:
    """Absolute URLs of selected ``a`` elements (their ``href``) or selected strings, once each."""
    urls: list[str] = []
    for item in found:
        href = item if isinstance(item, str) else item.get("href")
        url = urljoin(base_url, href.strip()) if href and href.strip() else None
        if url and url not in urls:
            urls.append(url)
    return urls


def finish_article(article: Article) -> Article:
    """Clean the body and normalise the dates, as the boilerplate and dates pipelines do."""
    clean_article(article)
    normalise_article_dates(article)
    return article
