"""Section path, categories and tags of a Newspaper-theme article."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from crawler.items import Term
from crawler.pages.dom import absolute, class_xpath, text_of

if TYPE_CHECKING:
    from lxml.etree import _Element

    from crawler.pages.document import Page

logger = logging.getLogger(__name__)

_TDB_CRUMBS = etree.XPath(f".//a[{class_xpath('tdb-entry-crumb')}]")
_CLASSIC_CRUMBS = etree.XPath(f".//a[{class_xpath('entry-crumb')}]")
_TDB_CATEGORIES = etree.XPath(f".//a[{class_xpath('tdb-entry-category')}]")
_CLASSIC_CATEGORIES = etree.XPath(f".//ul[{class_xpath('td-category')}]//a")
_TDB_TAGS = etree.XPath(f".//ul[{class_xpath('tdb-tags')}]/li//a")
_CLASSIC_TAGS = etree.XPath(f".//ul[{class_xpath('td-tags')}]/li//a")
_HOME_NAMES = frozenset({"home", "homepage", "start", "inicio", "accueil", "startseite"})


def extract_categories(page: Page) -> tuple[list[Term], str | None]:
    """Every category of the post: Composer pills, classic ``ul.td-category``, JSON-LD ``articleSection``."""
    links = [a for block in page.blocks("tdb_single_categories") for a in _TDB_CATEGORIES(block)]
    if links:
        return _terms(page, links), "dom:tdb_single_categories"
    scope = page.header_scope
    links = _CLASSIC_CATEGORIES(scope) if scope is not None else []
    if links:
        return _terms(page, links), "dom:td-category"
    names = page.jsonld.article_strings("articleSection")
    if names:
        return _unique([Term(name=name) for name in names]), "jsonld:articleSection"
    return [], None


def extract_tags(page: Page) -> tuple[list[Term], str | None]:
    """The post's tags in page order, once each (the "Tags" label item is not a link and is skipped)."""
    links = [a for block in page.blocks("tdb_single_tags") for a in _TDB_TAGS(block)]
    if links:
        return _terms(page, links), "dom:tdb_single_tags"
    links = [a for block in page.blocks("td-post-source-tags") for a in _CLASSIC_TAGS(block)]
    if links:
        return _terms(page, links), "dom:td-tags"
    names = page.jsonld.article_strings("keywords")
    if names:
        return _unique([Term(name=name) for name in names]), "jsonld:keywords"
    return [], None


def extract_section_path(page: Page, categories: list[Term], canonical: str) -> tuple[list[str], str | None]:
    """Breadcrumb names without the home crumb and the title; else the first category's name."""
    path = _breadcrumb_path(page, canonical)
    if path:
        return path, "dom:breadcrumbs"
    if categories:
        return [categories[0].name], "categories"
    sections = page.jsonld.article_strings("articleSection")
    if sections:
        return [sections[0]], "jsonld:articleSection"
    return [], None


def _breadcrumb_path(page: Page, canonical: str) -> list[str]:
    crumbs = [a for block in page.blocks("tdb_breadcrumbs") for a in _TDB_CRUMBS(block)]
    if not crumbs:
        block = page.first_of("entry-crumbs", "td-crumb-container")
        crumbs = _CLASSIC_CRUMBS(block) if block is not None else []
    home_paths = _home_paths(page)
    own_path = _path(canonical)
    path: list[str] = []
    for crumb in crumbs:
        name = text_of(crumb)
        href = absolute(page.url, crumb.get("href"))
        crumb_path = (_path(href) or "/") if href else ""
        if not name or crumb_path in home_paths or (href and crumb_path == own_path):
            continue
        if not path and name.casefold() in _HOME_NAMES:
            continue
        if name not in path:
            path.append(name)
    return path


def _home_paths(page: Page) -> set[str]:
    paths = {"/"}
    api = page.links.get("https://api.w.org/")
    if api:
        root = _path(absolute(page.url, api) or "").split("wp-json", 1)[0]
        paths.add(root or "/")
    return paths


def _path(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def _terms(page: Page, links: list[_Element]) -> list[Term]:
    terms = []
    for link in links:
        name = text_of(link)
        if name:
            terms.append(Term(name=name, url=absolute(page.url, link.get("href"))))
    return _unique(terms)


def _unique(terms: list[Term]) -> list[Term]:
    seen: set[str] = set()
    unique = []
    for term in terms:
        key = term.url or term.name.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(term)
    return unique
