"""Page module for any site: the article's identity and page type; every other field comes from the
structured-data and generic layers (:mod:`crawler.layering`).
"""

from __future__ import annotations

import logging

from crawler.items import Article
from crawler.pages import newspaper
from crawler.pages.document import Page
from crawler.pages.dom import parse_html
from crawler.pages.generic_listing import listing_article_urls, listing_next_page, nav_section_urls
from crawler.pages.structured import ARTICLE_TYPES, types_of

__all__ = ["listing_article_urls", "listing_next_page", "nav_section_urls", "page_type", "parse_article"]

logger = logging.getLogger(__name__)

#: ``field_sources["page_type"]`` of a page whose type only its text length can tell.
UNDECIDED = "generic:undecided"
_NOT_ARTICLE_OG = frozenset({"profile", "video.other", "product", "book", "music.song", "music.album"})


def parse_article(
    html: str | bytes | Page,
    url: str,
    *,
    fetched_at: str,
    site: str = "",
    site_timezone: str = "UTC",
    encoding: str | None = None,
    dateline_agency: str | None = None,
) -> Article:
    """The identity of the page: canonical URL, page type, WordPress post id (when there is one)."""
    page = html if isinstance(html, Page) else Page(parse_html(html, encoding), url)
    article = Article(
        url=newspaper.canonical_url(page),
        url_raw=url,
        site=site,
        fetched_at=fetched_at,
        post_id=newspaper.post_id(page),
        site_timezone=site_timezone,
    )
    if page.root is None:
        article.page_type = "other"
        return article
    kind, source = page_type(page)
    article.page_type = kind
    article.field_sources["page_type"] = source
    return article


def page_type(page: Page) -> tuple[str, str]:
    """``(page type, source)``: WordPress body classes, ``og:type``, the JSON-LD type; else undecided
    (``"article"`` with source :data:`UNDECIDED`)."""
    kind = newspaper.page_type(page)
    if kind != "other":
        return kind, "dom:body.class"
    og_type = (page.meta.get("og:type") or "").strip().lower()
    if og_type.startswith("article") or og_type == "news":
        return "article", "meta:og:type"
    node = page.jsonld.article
    if node is not None and any(t in ARTICLE_TYPES for t in types_of(node)):
        return "article", "jsonld:@type"
    if og_type in _NOT_ARTICLE_OG:
        return "other", "meta:og:type"
    return "article", UNDECIDED
