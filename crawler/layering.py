"""Layered extraction: site selectors, then structured data, then the generic extractor.

The page module (and the profile's own CSS selectors) give the *site* layer. Every field they
leave empty is looked for in the page's *structured* data (JSON-LD, microdata, OpenGraph, article
meta tags), then by the *generic* extractor (visible headline, byline, dates, the main text
container). ``field_sources`` records for each field the layer and the source that gave it:
``"site:dom:tdb_title"``, ``"structured:jsonld:headline"``, ``"generic:readability"``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from crawler.generic import meta as generic_meta
from crawler.generic.body import extract_body
from crawler.items import Author, Term
from crawler.pages import metadata
from crawler.pages.dom import outer_html, parse_html
from crawler.pages.generic import UNDECIDED
from crawler.pages.metadata import split_names
from crawler.profiles.schema import AUTO_TIMEZONE
from crawler.selectors import select_elements, select_texts

if TYPE_CHECKING:
    from crawler.generic.body import GenericBody
    from crawler.items import Article
    from crawler.pages.document import Page
    from crawler.sites import SiteProfile

logger = logging.getLogger(__name__)

LAYERS = ("site", "structured", "generic")
#: Fields whose source is recorded with its layer.
LAYERED_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "published",
    "modified",
    "categories",
    "tags",
    "section_path",
    "featured_image",
    "language",
    "body",
    "page_type",
)
_STRUCTURED_PREFIXES = ("meta:", "microdata:", "jsonld:")
#: A page of undecided type is an article when its main text is at least this long.
MIN_ARTICLE_CHARS = 400
_OFFSET = re.compile(r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)([+-])(\d{2}):?(\d{2})$")


def layer_of(source: str) -> str:
    """The layer of a source name.

    ``generic:*`` is generic; ``meta:``, ``microdata:``, ``jsonld:`` structured; anything else
    (``dom:*``, ``selector:*``, ``composer`` …) site. A source already tagged keeps its layer.
    """
    head = source.split(":", 1)[0]
    if head in LAYERS:
        return head
    if source.startswith(_STRUCTURED_PREFIXES):
        return "structured"
    return "site"


def field_layers(article: Article) -> dict[str, str]:
    """``{field: layer}`` from the article's ``field_sources``."""
    return {name: layer_of(source) for name, source in article.field_sources.items()}


def complete_article(
    article: Article,
    page: Page,
    profile: SiteProfile,
    *,
    html: str | bytes | None = None,
    encoding: str | None = None,
) -> Article:
    """Apply the profile's selectors, fill what is still missing from the structured and generic layers,
    settle the page type and an ``auto`` timezone, and tag every source with its layer.

    ``html`` (the page source, decoded with ``encoding``) lets the generic layer's last-resort date
    finder read it and its body extractor parse it again. The page's tree is modified when the
    generic body extractor runs: use ``page`` for nothing else afterwards.
    """
    if page.root is None:
        return article
    sources = article.field_sources
    _apply_selectors(article, page, profile)
    _fill_structured(article, page)
    _fill_generic(article, page, html)  # before the body: its extraction moves the page's elements
    body = None
    if not article.content_html:
        body = _generic_body(article, page, html, encoding)
    if not article.authors:  # the byline the body extractor set aside, else a byline element
        article.authors, sources["authors"] = generic_meta.authors(page, body.byline if body else None)
    _settle_page_type(article, body)
    _settle_language(article, profile)
    _settle_timezone(article, profile)
    article.field_sources = {key: tag_source(value) for key, value in sources.items() if value}
    return article


def tag_source(source: str) -> str:
    """``source`` prefixed with its layer (``dom:tdb_title`` -> ``site:dom:tdb_title``); idempotent."""
    return source if source.split(":", 1)[0] in LAYERS else f"{layer_of(source)}:{source}"


# --- site layer: the profile's selectors ------------------------------------------------------------


def _apply_selectors(article: Article, page: Page, profile: SiteProfile) -> None:
    selectors = dict(getattr(profile, "selectors", ()))
    if not selectors or page.root is None:
        return
    root, sources = page.root, article.field_sources
    for name in ("title", "subtitle", "published", "modified"):
        css = selectors.get(name)
        texts = select_texts(root, css) if css else []
        if not texts:
            continue
        if name in ("title", "subtitle"):
            setattr(article, name, texts[0])
        else:
            setattr(article, f"{name}_raw", texts[0])
            setattr(article, f"{name}_source", f"selector:{name}")
        sources[name] = f"selector:{name}"
    if selectors.get("authors"):
        names = [n for text in select_texts(root, selectors["authors"]) for n in split_names(text)]
        if names:
            article.authors = [Author(name=n) for n in dict.fromkeys(names)]
            sources["authors"] = "selector:authors"
    if selectors.get("section"):
        path = select_texts(root, selectors["section"])
        if path:
            article.section_path = path
            sources["section_path"] = "selector:section"
    if selectors.get("tags"):
        tags = [Term(name=t) for t in dict.fromkeys(select_texts(root, selectors["tags"]))]
        if tags:
            article.tags = tags
            sources["tags"] = "selector:tags"
    if selectors.get("remove"):
        for el in select_elements(root, selectors["remove"]):
            if el.getparent() is not None:
                el.getparent().remove(el)
    if selectors.get("body"):
        parts = [outer_html(el) for el in select_elements(root, selectors["body"])]
        if parts:
            article.content_html = "<div>" + "".join(parts) + "</div>"
            sources["body"] = "selector:body"


# --- structured layer ---------------------------------------------------------------------------------


def _fill_structured(article: Article, page: Page) -> None:
    sources = article.field_sources
    if not article.title:
        article.title, sources["title"] = metadata.title(page)
    if not article.authors:
        article.authors, sources["authors"] = metadata.authors(page)
    if not article.published_raw:
        article.published_raw, article.published_source = metadata.published(page)
        sources["published"] = article.published_source
    if not article.modified_raw:
        article.modified_raw, article.modified_source = metadata.modified(page)
        sources["modified"] = article.modified_source
    if not article.categories:
        article.categories, sources["categories"] = metadata.categories(page)
    if not article.tags:
        article.tags, sources["tags"] = metadata.tags(page)
    if not article.section_path and article.categories:
        article.section_path = [article.categories[0].name]
        sources["section_path"] = sources.get("categories") or "categories"
    if article.featured_image is None:
        article.featured_image, sources["featured_image"] = metadata.featured_image(page)
    if not article.language:
        article.language, sources["language"] = metadata.language(page)


# --- generic layer ------------------------------------------------------------------------------------


def _generic_body(
    article: Article, page: Page, html: str | bytes | None, encoding: str | None
) -> GenericBody | None:
    if page.root is None:
        return None
    description = page.meta.get("og:description") or page.meta.get("description") or ""
    reparse = (lambda: parse_html(html, encoding)) if html else None
    body = extract_body(
        page.root, title=article.title or "", description=metadata.clean_meta(description), reparse=reparse
    )
    if body is not None and body.text_length:
        article.content_html = body.html
        article.field_sources["body"] = "generic:readability"
    return body


def _fill_generic(article: Article, page: Page, html: str | bytes | None) -> None:
    sources = article.field_sources
    if not article.title:
        article.title, sources["title"] = generic_meta.title(page)
    if not article.published_raw and not article.visible_date_raw:
        article.published_raw, article.published_source = generic_meta.published(page, html)
        sources["published"] = article.published_source


def _settle_page_type(article: Article, body: object) -> None:
    if article.field_sources.get("page_type") != UNDECIDED:
        return
    length = getattr(body, "text_length", 0) if body is not None else len(article.content_html)
    if length >= MIN_ARTICLE_CHARS and article.title:
        article.field_sources["page_type"] = "generic:text_length"
    else:
        article.page_type = "other"
        article.field_sources["page_type"] = "generic:text_length"


def _settle_language(article: Article, profile: SiteProfile) -> None:
    languages = getattr(profile, "languages", ())
    if not article.language and languages:
        article.language = languages[0]
        article.field_sources["language"] = "profile:languages"


def _settle_timezone(article: Article, profile: SiteProfile) -> None:
    """With ``timezone = "auto"``: the fixed offset the page's own dates carry, else UTC."""
    if article.site_timezone != AUTO_TIMEZONE and profile.timezone != AUTO_TIMEZONE:
        return
    article.site_timezone = offset_zone(article.published_raw) or offset_zone(article.modified_raw) or "UTC"


def offset_zone(value: str | None) -> str | None:
    """An IANA zone for the whole-hour UTC offset at the end of an ISO date (``+05:00`` -> ``Etc/GMT-5``)."""
    match = _OFFSET.search((value or "").strip())
    if not match:
        if value and value.strip().endswith(("Z", "z")):
            return "UTC"
        return None
    sign, hours, minutes = match.groups()
    if minutes != "00":
        return None
    number = int(hours)
    if number == 0:
        return "UTC"
    return f"Etc/GMT{'-' if sign == '+' else '+'}{number}"
