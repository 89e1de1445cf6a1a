"""Extract one article from HTML, offline, the way a crawl would: ``extract_article(html, url)``.

The profile is chosen as for a crawl: the site profile of the URL's host, else the template the
page calls for (tagDiv Newspaper theme, other WordPress theme, any site; see
:mod:`crawler.detect`). Then the page module, the structured data and the generic extractor fill
the fields (:mod:`crawler.layering`), the body is cleaned and the dates normalised. No Scrapy, no
network::

    from crawler.extract import extract_article
    record = extract_article(html, "https://example.com/2024/05/01/story/")
    record["title"], record["authors"], record["published"], record["body_text"]
    record["field_layers"]   # {"title": "structured", "body": "generic", ...}
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from crawler.chain import build_article, finish_article, parse_page
from crawler.detect import detect, known_profile, profile_from_template
from crawler.layering import field_layers

if TYPE_CHECKING:
    from crawler.items import Article
    from crawler.sites import SiteProfile

__all__ = ["body_text", "choose_profile", "extract_article", "metadata"]

logger = logging.getLogger(__name__)


def extract_article(
    html: str | bytes,
    url: str,
    *,
    fetched_at: str | None = None,
    profile: SiteProfile | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """Every field of the article in ``html`` (fetched from ``url``) as a plain ``dict``.

    The keys are those of :meth:`crawler.items.Article.to_record`, except that ``authors`` is the
    list of names (the full author records are in ``author_details``), plus ``field_layers``
    (``{field: "site" | "structured" | "generic"}``), ``profile`` and ``page_module``.
    ``fetched_at`` (ISO 8601, default now) is the reference time of relative dates ("2 hours ago").
    """
    article, profile = extract(html, url, fetched_at=fetched_at, profile=profile, encoding=encoding)
    return article_dict(article, profile)


def extract(
    html: str | bytes,
    url: str,
    *,
    fetched_at: str | None = None,
    profile: SiteProfile | None = None,
    encoding: str | None = None,
) -> tuple[Article, SiteProfile]:
    """The finished :class:`~crawler.items.Article` and the profile that was used."""
    fetched_at = fetched_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    page = parse_page(html, url, encoding)
    profile = profile or choose_profile(html, url, page)
    article = build_article(html, url, profile=profile, fetched_at=fetched_at, encoding=encoding, page=page)
    return finish_article(article), profile


def choose_profile(html: str | bytes, url: str, page: Any = None) -> SiteProfile:
    """The site profile of the URL's host, else the template the page calls for."""
    profile = known_profile(url)
    if profile is not None:
        return profile
    found = detect(html, url, page)
    return profile_from_template(found.template_name, url)


def article_dict(article: Article, profile: SiteProfile) -> dict[str, Any]:
    """The record of ``article`` in the form :func:`extract_article` returns."""
    record = article.to_record()
    record["author_details"] = record["authors"]
    record["authors"] = [author["name"] for author in record["authors"]]
    record["field_layers"] = field_layers(article)
    record["profile"] = profile.name
    record["page_module"] = profile.page_module
    return record


# --- the functions the evaluation scorer calls (``score.py --extractor crawler.extract:body_text``) ---


def body_text(html: str, url: str) -> str:
    """The article's ``body_text``."""
    return extract(html, url)[0].body_text


def metadata(html: str, url: str) -> dict[str, Any]:
    """``title``, ``author`` (names joined with "; "), ``date`` (published, ISO 8601) and ``text``."""
    article = extract(html, url)[0]
    return {
        "title": article.title,
        "author": "; ".join(a.name for a in article.authors),
        "date": article.published,
        "text": article.body_text,
    }
