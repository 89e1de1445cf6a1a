"""The extraction chain of one page, shared by crawls and :func:`crawler.extract.extract_article`.

``page module -> profile selectors -> structured data -> generic extractor`` builds the raw
article (:func:`build_article`, what the spider yields); the pipelines then clean the body and
normalise the dates (:func:`finish_article` does the same outside Scrapy).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from crawler.cleaning import clean_article
from crawler.dates import normalise_article_dates
from crawler.layering import complete_article
from crawler.pages.document import Page
from crawler.pages.dom import parse_html
from crawler.pages.modules import get_module

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


def finish_article(article: Article) -> Article:
    """Clean the body and normalise the dates, as the boilerplate and dates pipelines do."""
    clean_article(article)
    normalise_article_dates(article)
    return article
