"""Page module for WordPress sites on the tagDiv *Newspaper* theme (Composer and classic templates).

:func:`parse_article` turns one page into a raw :class:`crawler.items.Article`: it reads the
fields as the page gives them (dates unparsed, content region uncleaned) and records in
``field_sources`` which selector or structured-data source gave each one. It is pure: no network,
no settings, no Scrapy. The listing helpers used by the spider are re-exported from
:mod:`crawler.pages.listing`.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from crawler.items import Article
from crawler.pages.authors import extract_authors
from crawler.pages.dateline import parse_dateline
from crawler.pages.document import Page
from crawler.pages.dom import absolute, class_xpath, collapse, has_class, outer_html, parse_html, text_of
from crawler.pages.images import extract_featured_image
from crawler.pages.listing import listing_article_urls, listing_next_page, nav_section_urls
from crawler.pages.taxonomy import extract_categories, extract_section_path, extract_tags
from crawler.urls import clean_url

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = [
    "canonical_url",
    "clean_article_url",
    "content_region",
    "listing_article_urls",
    "listing_next_page",
    "nav_section_urls",
    "page_type",
    "parse_article",
]

logger = logging.getLogger(__name__)

_TRACKING = re.compile(r"^(?:utm_\w*|fbclid|gclid|mc_\w*)$", re.I)
_POST_ID_CLASS = re.compile(r"^(?:postid|page-id)-(\d+)$")
_SHORTLINK_ID = re.compile(r"[?&](?:p|page_id)=(\d+)")
_ARCHIVE_CLASSES = frozenset({"archive", "category", "tag", "author", "date", "search", "blog"})
_H1 = etree.XPath(".//h1")
_TIME = etree.XPath(".//time")
_HEADER_TIME = etree.XPath(
    f".//*[{class_xpath('td-post-date')}]//time | .//time[{class_xpath('entry-date')}]"
)
_CHILD_INNER = etree.XPath(f"*[{class_xpath('tdb-block-inner')}]")
_DESCENDANT_INNER = etree.XPath(f".//*[{class_xpath('tdb-block-inner')}]")
#: Paragraphs inside elements of these classes (or inside a ``figure``) are no body text.
_NOT_BODY_TEXT = frozenset({"td-a-ad", "td-a-rec", "td-g-rec", "td-post-featured-image", "code-block"})


def parse_article(
    html: str | bytes | Page,
    url: str,
    *,
    fetched_at: str,
    site: str = "tdi",
    site_timezone: str = "Asia/Karachi",
    encoding: str | None = None,
    dateline_agency: str | None = None,
) -> Article:
    """The raw fields of the page ``html`` fetched from ``url``.

    ``encoding`` overrides the page's declared charset for bytes input. ``dateline_agency`` is
    the agency tag closing the dateline (``"TDI"``); ``None`` accepts any short all-caps tag.
    Never raises on bad HTML: an empty or unparsable page gives page type ``"other"``. ``html`` may
    be an already parsed :class:`~crawler.pages.document.Page`.
    """
    page = html if isinstance(html, Page) else Page(parse_html(html, encoding), url)
    article = Article(
        url=canonical_url(page),
        url_raw=url,
        site=site,
        fetched_at=fetched_at,
        page_type=page_type(page),
        post_id=post_id(page),
        site_timezone=site_timezone,
    )
    if page.root is None:
        return article
    _fill_text(page, article)
    _fill_dates(page, article)
    _fill_terms(page, article)
    _fill_content(page, article, dateline_agency)
    article.field_sources = {key: value for key, value in article.field_sources.items() if value}
    return article


# --- identity ---------------------------------------------------------------------------------


def canonical_url(page: Page) -> str:
    """``link[rel=canonical]``, else ``og:url``, else the fetched URL; cleaned and canonicalised."""
    href = page.links.get("canonical") or page.meta.get("og:url")
    return clean_article_url(absolute(page.url, href) or page.url)


def clean_article_url(url: str) -> str:
    """``url`` without fragment and tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_*``)."""
    try:
        parts = urlsplit(url)
        if parts.query:
            pairs = [pair for pair in parts.query.split("&") if not _TRACKING.match(pair.split("=", 1)[0])]
            url = urlunsplit(parts._replace(query="&".join(pairs), fragment=""))
        return clean_url(url)
    except ValueError:
        logger.debug("URL not canonicalised: %s", url)
        return url


def page_type(page: Page) -> str:
    """``article``, ``attachment``, ``page``, ``archive`` or ``other``, from the body classes."""
    classes = page.body_classes
    if "attachment" in classes or "single-attachment" in classes:
        return "attachment"
    if "single-post" in classes:
        return "article"
    if "page" in classes or any(name.startswith("page-template") for name in classes):
        return "page"
    if classes & _ARCHIVE_CLASSES:
        return "archive"
    return "other"


def post_id(page: Page) -> int | None:
    """The WordPress post id: ``body.postid-N`` (``page-id-N``), else the shortlink's ``?p=N``."""
    for name in page.body_classes:
        match = _POST_ID_CLASS.match(name)
        if match:
            return int(match.group(1))
    match = _SHORTLINK_ID.search(page.links.get("shortlink", ""))
    return int(match.group(1)) if match else None


# --- text fields ------------------------------------------------------------------------------


def _fill_text(page: Page, article: Article) -> None:
    article.title, article.field_sources["title"] = _title(page)
    article.subtitle = _subtitle(page)
    article.authors, article.field_sources["authors"] = extract_authors(page)
    article.language = page.lang or page.jsonld.article_text("inLanguage")


def _title(page: Page) -> tuple[str | None, str | None]:
    for block in page.blocks("tdb_title"):
        for h1 in _H1(block):
            title = text_of(h1)
            if title:
                return title, "dom:tdb_title"
    for el in _entry_titles(page):
        title = text_of(el)
        if title:
            return title, "dom:h1.entry-title"
    title = _strip_site_name(page, collapse(page.meta.get("og:title")))
    return (title, "meta:og:title") if title else (None, None)


def _entry_titles(page: Page) -> list[_Element]:
    h1s = [el for el in page.blocks("entry-title") if el.tag == "h1"]
    article = page.main_article
    if article is None:
        return h1s
    inside = [el for el in h1s if any(parent is article for parent in el.iterancestors("article"))]
    return inside + [el for el in h1s if el not in inside]


def _strip_site_name(page: Page, title: str) -> str:
    site_name = collapse(page.meta.get("og:site_name"))
    if site_name and title != site_name:
        for separator in (" - ", " – ", " — ", " | "):
            suffix = separator + site_name
            if title.endswith(suffix):
                return title[: -len(suffix)].strip()
    return title


def _subtitle(page: Page) -> str | None:
    for block in page.blocks("tdb_single_subtitle"):
        inner = _block_inner(block)
        text = text_of(inner[0] if inner else block)
        if text:
            return text
    for el in page.blocks("td-post-sub-title"):
        text = text_of(el)
        if text:
            return text
    return None


# --- dates ------------------------------------------------------------------------------------


def _fill_dates(page: Page, article: Article) -> None:
    article.published_raw, article.published_source = _date(page, "published", "datePublished")
    article.modified_raw, article.modified_source = _date(page, "modified", "dateModified")
    if not article.modified_raw:
        article.modified_raw, article.modified_source = _updated_time(page)
    article.field_sources["published"] = article.published_source
    article.field_sources["modified"] = article.modified_source
    article.visible_date_raw = _visible_date(page)


def _date(page: Page, kind: str, itemprop: str) -> tuple[str | None, str | None]:
    meta = page.meta.get(f"article:{kind}_time")
    if meta:
        return meta, f"meta:article:{kind}_time"
    for el in page.microdata(itemprop):
        value = collapse(el.get("content") or el.get("datetime") or (text_of(el) if el.tag == "time" else ""))
        if value:
            return value, f"microdata:{itemprop}"
    value = page.jsonld.article_text(itemprop)
    if value:
        return value, f"jsonld:{itemprop}"
    value = _dom_datetime(page, kind)
    return (value, "dom:time") if value else (None, None)


def _updated_time(page: Page) -> tuple[str | None, str | None]:
    value = page.meta.get("og:updated_time")
    return (value, "meta:og:updated_time") if value else (None, None)


def _dom_datetime(page: Page, kind: str) -> str | None:
    token = "tdb_single_date" if kind == "published" else "tdb_single_modified_date"
    times = [time for block in page.blocks(token) for time in _TIME(block)]
    if not times and kind == "published":
        times = _classic_times(page)
    for time in times:
        value = collapse(time.get("datetime"))
        if value:
            return value
    return None


def _classic_times(page: Page) -> list[_Element]:
    scope = page.header_scope
    return _HEADER_TIME(scope) if scope is not None else []


def _visible_date(page: Page) -> str | None:
    times = [time for block in page.blocks("tdb_single_date") for time in _TIME(block)]
    times = times or _classic_times(page)
    for time in times:
        text = text_of(time)
        if text:
            return text
    return None


# --- terms and image --------------------------------------------------------------------------


def _fill_terms(page: Page, article: Article) -> None:
    sources = article.field_sources
    article.categories, sources["categories"] = extract_categories(page)
    article.tags, sources["tags"] = extract_tags(page)
    path, sources["section_path"] = extract_section_path(page, article.categories, article.url)
    article.section_path = path
    article.featured_image, sources["featured_image"] = extract_featured_image(page)


# --- content region ---------------------------------------------------------------------------


def _fill_content(page: Page, article: Article, dateline_agency: str | None) -> None:
    region, kind = content_region(page)
    if region is None:
        return
    article.content_html = outer_html(region)
    article.field_sources["body"] = kind
    dateline = parse_dateline(_first_paragraph(region), dateline_agency)
    if dateline:
        article.dateline_place, article.dateline_raw = dateline


def content_region(page: Page) -> tuple[_Element | None, str | None]:
    """The body container: ``.tdb_single_content .tdb-block-inner`` or classic ``div.td-post-content``."""
    for block in page.blocks("tdb_single_content"):
        inner = _block_inner(block)
        if inner:
            return inner[0], "composer"
    for el in page.blocks("td-post-content"):
        if el.tag == "div" and not has_class(el, "tdb_single_content"):
            return el, "classic"
    return None, None


def _block_inner(block: _Element) -> list[_Element]:
    return _CHILD_INNER(block) or _DESCENDANT_INNER(block)


def _first_paragraph(region: _Element) -> str | None:
    """The text of the first non-empty body paragraph (not in a figure, an ad or a featured image)."""
    for paragraph in region.iterdescendants("p"):
        if _is_body_text(paragraph):
            text = text_of(paragraph)
            if text:
                return text
    return None


def _is_body_text(paragraph: _Element) -> bool:
    for ancestor in paragraph.iterancestors():
        if ancestor.tag == "figure":
            return False
        cls = ancestor.get("class")
        if cls and not _NOT_BODY_TEXT.isdisjoint(cls.split()):
            return False
    return True
