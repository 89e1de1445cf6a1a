"""Authors of a Newspaper-theme article: byline names, enriched from the author boxes.

Order of sources: Composer byline (``.tdb_single_author``), classic byline (``.td-post-author-name``),
author boxes alone, microdata ``Person``, JSON-LD ``Person`` (Yoast ``@graph`` references resolved),
``meta[name=author]``, Yoast's ``twitter:data1`` "Written by".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lxml import etree

from crawler.items import Author
from crawler.pages.dom import absolute, class_xpath, collapse, strip_tags, text_of

if TYPE_CHECKING:
    from lxml.etree import _Element

    from crawler.pages.document import Page

logger = logging.getLogger(__name__)

_TDB_NAME_LINKS = etree.XPath(f".//a[{class_xpath('tdb-author-name')}]")
_CLASSIC_BYLINE_LINKS = etree.XPath(f".//*[{class_xpath('td-post-author-name')}]//a[@href]")
_TDB_AUTHOR_INFOS = etree.XPath(f".//*[{class_xpath('tdb-author-info')}]")
_TDB_AUTHOR_URL = etree.XPath(f".//a[{class_xpath('tdb-author-url')}]/@href")
_TDB_AUTHOR_DESCR = etree.XPath(f".//*[{class_xpath('tdb-author-descr')}]")
_CLASSIC_BOX_NAME = etree.XPath(f".//*[{class_xpath('td-author-name')}]//a")
_CLASSIC_BOX_URL = etree.XPath(f".//*[{class_xpath('td-author-url')}]//a/@href")
_CLASSIC_BOX_DESCR = etree.XPath(f".//*[{class_xpath('td-author-description')}]")
_MICRODATA_NAME = etree.XPath(".//*[@itemprop='name']")
_MICRODATA_URL = etree.XPath(".//*[@itemprop='url']")


@dataclass
class _Box:
    name: str
    url: str | None
    website: str | None
    bio: str | None


def extract_authors(page: Page) -> tuple[list[Author], str | None]:
    """The article's authors in byline order and the name of the source that gave them."""
    boxes = _author_boxes(page)
    for source, finder in _BYLINES:
        authors = finder(page)
        if authors:
            return _merge(authors, boxes), source
    if boxes:
        return [Author(b.name, b.url, b.website, b.bio) for b in boxes], "dom:author_box"
    for source, finder in _FALLBACKS:
        authors = finder(page)
        if authors:
            return _dedupe(authors), source
    return [], None


def _composer_byline(page: Page) -> list[Author]:
    links = [a for block in page.blocks("tdb_single_author") for a in _TDB_NAME_LINKS(block)]
    return _dedupe(_link_authors(page, links))


def _classic_byline(page: Page) -> list[Author]:
    scope = page.header_scope
    if scope is None:
        return []
    return _dedupe(_link_authors(page, _CLASSIC_BYLINE_LINKS(scope)))


def _link_authors(page: Page, links: list[_Element]) -> list[Author]:
    authors = []
    for link in links:
        name = text_of(link) or collapse(link.get("title"))
        if name:
            authors.append(Author(name=name, url=absolute(page.url, link.get("href"))))
    return authors


def _author_boxes(page: Page) -> list[_Box]:
    boxes: list[_Box] = []
    for block in page.blocks("tdb_single_author_box"):
        for info in _TDB_AUTHOR_INFOS(block) or [block]:
            boxes.extend(_box(page, info, _TDB_NAME_LINKS, _TDB_AUTHOR_URL, _TDB_AUTHOR_DESCR))
    for block in page.blocks("author-box-wrap"):
        boxes.extend(_box(page, block, _CLASSIC_BOX_NAME, _CLASSIC_BOX_URL, _CLASSIC_BOX_DESCR))
    return boxes


def _box(
    page: Page, el: _Element, names: etree.XPath, websites: etree.XPath, descrs: etree.XPath
) -> list[_Box]:
    links = names(el)
    if not links:
        return []
    name = text_of(links[0])
    if not name:
        return []
    website_hrefs = websites(el)
    descr = descrs(el)
    return [
        _Box(
            name=name,
            url=absolute(page.url, links[0].get("href")),
            website=absolute(page.url, website_hrefs[0]) if website_hrefs else None,
            bio=(text_of(descr[0]) or None) if descr else None,
        )
    ]


def _merge(authors: list[Author], boxes: list[_Box]) -> list[Author]:
    by_url = {_url_key(b.url): b for b in boxes if b.url}
    by_name = {b.name.casefold(): b for b in boxes}
    for author in authors:
        box = (by_url.get(_url_key(author.url)) if author.url else None) or by_name.get(
            author.name.casefold()
        )
        if box is None:
            continue
        author.website = author.website or box.website
        author.bio = author.bio or box.bio
        author.url = author.url or box.url
    return authors


def _microdata(page: Page) -> list[Author]:
    authors = []
    for el in page.microdata("author"):
        if el.tag == "meta":
            name, url = strip_tags(el.get("content")), None
        else:
            name = _prop_value(_MICRODATA_NAME(el))
            url = _prop_value(_MICRODATA_URL(el), "url") or None
            if not name and not len(el):
                name = text_of(el)
        if name:
            authors.append(Author(name=name, url=absolute(page.url, url) if url else None))
    return authors


def _prop_value(found: list[_Element], kind: str = "text") -> str:
    if not found:
        return ""
    el = found[0]
    if el.tag == "meta":
        return strip_tags(el.get("content"))
    if kind == "url":
        return collapse(el.get("href") or el.get("content"))
    return text_of(el)


def _jsonld(page: Page) -> list[Author]:
    return [_person(page, node) for node in page.jsonld.article_people()]


def _person(page: Page, node: dict[str, Any]) -> Author:
    url = node.get("url")
    bio = node.get("description")
    return Author(
        name=strip_tags(node.get("name")),
        url=absolute(page.url, url) if isinstance(url, str) else None,
        bio=(collapse(bio) or None) if isinstance(bio, str) else None,
    )


def _meta_author(page: Page) -> list[Author]:
    name = strip_tags(page.meta.get("author"))
    return [Author(name=name)] if name else []


def _twitter_written_by(page: Page) -> list[Author]:
    if page.meta.get("twitter:label1", "").strip().lower() != "written by":
        return []
    name = strip_tags(page.meta.get("twitter:data1"))
    return [Author(name=name)] if name else []


def _dedupe(authors: list[Author]) -> list[Author]:
    seen: set[str] = set()
    unique = []
    for author in authors:
        key = _url_key(author.url) if author.url else author.name.casefold()
        if key not in seen:
            seen.add(key)
            unique.append(author)
    return unique


def _url_key(url: str | None) -> str:
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return url or ""
    return (parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/")).lower()


_BYLINES = (
    ("dom:tdb_single_author", _composer_byline),
    ("dom:td-post-author-name", _classic_byline),
)
_FALLBACKS = (
    ("microdata:author", _microdata),
    ("jsonld:Person", _jsonld),
    ("meta:author", _meta_author),
    ("meta:twitter:data1", _twitter_written_by),
)
