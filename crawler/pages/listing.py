"""Links on Newspaper-theme navigation and listing pages: menu sections, loop articles, next page."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lxml import etree

from crawler.pages.document import Page
from crawler.pages.dom import absolute, class_xpath, parse_html

if TYPE_CHECKING:
    from lxml.etree import _Element
    from parsel import Selector

    #: Anything the listing functions accept: HTML text or bytes, a parsel ``Selector``, a parsed ``Page``.
    Source = str | bytes | Selector | Page

logger = logging.getLogger(__name__)

_MENUS = ("tdb-menu", "sf-menu", "td-mobile-main-menu")
_MENU_CATEGORY_LINKS = etree.XPath(f".//li[{class_xpath('menu-item-object-category')}]/a/@href")
_MEGA_LINKS = etree.XPath(".//a/@href")
_MODULE_LINKS = etree.XPath(
    f".//h3[{class_xpath('entry-title')} and {class_xpath('td-module-title')}]//a/@href"
    f" | .//a[{class_xpath('td-image-wrap')}]/@href"
)
#: Blocks inside the main column that list other posts than the loop's.
_SIDE_BLOCKS = ("td_block_related_posts", "tdb_single_related", "td-category-grid", "td_block_big_grid")
_SIDE_BLOCK_ANCESTOR = etree.XPath(
    "ancestor::*[" + " or ".join(class_xpath(name) for name in _SIDE_BLOCKS) + "]"
)
_NEXT_LINK = etree.XPath(".//a[@aria-label='next-page']/@href")
_CURRENT = etree.XPath(f".//span[{class_xpath('current')}]")


def as_page(source: Source, base_url: str) -> Page:
    """``source`` parsed (once) into an indexed :class:`Page`."""
    if isinstance(source, Page):
        return source
    if isinstance(source, (str, bytes)):
        return Page(parse_html(source), base_url)
    root = getattr(source, "root", None)
    if isinstance(root, etree._Element):
        return Page(root.getroottree().getroot(), base_url)
    return Page(parse_html(str(source)), base_url)


def nav_section_urls(html: Source, base_url: str) -> list[str]:
    """Category URLs of the navigation menus (desktop, sticky, mobile, mega-menu), in order, once each."""
    page = as_page(html, base_url)
    hrefs: list[str] = []
    for token in _MENUS:
        for menu in page.blocks(token):
            hrefs.extend(_MENU_CATEGORY_LINKS(menu))
    for mega in page.blocks("block-mega-child-cats"):
        hrefs.extend(_MEGA_LINKS(mega))
    return _unique_absolute(hrefs, base_url)


def listing_article_urls(html: Source, base_url: str) -> list[str]:
    """Article URLs of the main loop (``.tdb_loop`` / ``.td-ss-main-content``), in page order, once each.

    Sidebars, related-post and grid blocks are not part of the loop and are left out.
    """
    page = as_page(html, base_url)
    hrefs: list[str] = []
    for container in _outermost(page.blocks("tdb_loop") + page.blocks("td-ss-main-content")):
        hrefs.extend(href for href in _MODULE_LINKS(container) if not _SIDE_BLOCK_ANCESTOR(href.getparent()))
    return _unique_absolute(hrefs, base_url)


def listing_next_page(html: Source, base_url: str) -> str | None:
    """The URL of the next listing page from ``.page-nav``, or ``None`` on the last page."""
    page = as_page(html, base_url)
    for nav in page.blocks("page-nav"):
        for href in _NEXT_LINK(nav):
            url = absolute(base_url, href)
            if url:
                return url
        url = _after_current(nav, base_url)
        if url:
            return url
    return None


def _after_current(nav: _Element, base_url: str) -> str | None:
    for current in _CURRENT(nav):
        sibling = current.getnext()
        if sibling is not None and sibling.tag == "a":
            return absolute(base_url, sibling.get("href"))
    return None


def _outermost(elements: list[_Element]) -> list[_Element]:
    """``elements`` without those nested in another one of them, in document order."""
    chosen = set(elements)
    outer = [el for el in elements if not any(parent in chosen for parent in el.iterancestors())]
    if len(outer) < 2:
        return outer
    order = {el: index for index, el in enumerate(outer[0].getroottree().iter())} if outer else {}
    return sorted(outer, key=order.__getitem__)


def _unique_absolute(hrefs: list[str], base_url: str) -> list[str]:
    seen: set[str] = set()
    urls = []
    for href in hrefs:
        url = absolute(base_url, str(href))
        if url and url not in seen:
            seen.add(url)
            urls.append(url)
    return urls
