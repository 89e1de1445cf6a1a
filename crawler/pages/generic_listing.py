"""Links on the navigation and listing pages of any site (WordPress conventions first).

Sections: category items of WordPress menus, else the links of the page's navigation menus.
Articles: headline links of the main column (``article`` entries, ``rel=bookmark``, ``h2``/``h3``
links). Next page: ``link[rel=next]``, ``a[rel=next]``, WordPress ``a.next.page-numbers``, the
Newspaper theme's ``page-nav``.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from crawler.pages.dom import absolute, class_xpath
from crawler.pages.listing import as_page
from crawler.pages.listing import listing_next_page as page_nav_next

if TYPE_CHECKING:
    from lxml.etree import _Element

    from crawler.pages.listing import Source

logger = logging.getLogger(__name__)

_WP_CATEGORY_LINKS = etree.XPath(f"//li[{class_xpath('menu-item-object-category')}]/a/@href")
_NAV_LINKS = etree.XPath(
    "//nav//a/@href | //*[@role='navigation']//a/@href"
    f" | //ul[{class_xpath('menu')} or {class_xpath('nav')} or {class_xpath('navbar-nav')}]//a/@href"
)
_MAIN = etree.XPath(
    "//main | //*[@role='main'] | //*[@id='main' or @id='content' or @id='primary']"
    f" | //*[{class_xpath('site-main')} or {class_xpath('content-area')}"
    f" or {class_xpath('td-ss-main-content')}]"
)
_HEADLINE_LINKS = etree.XPath(
    ".//article//*[self::h1 or self::h2 or self::h3 or self::h4]//a/@href"
    " | .//a[@rel='bookmark']/@href"
    f" | .//*[{class_xpath('entry-title')} or {class_xpath('post-title')}]//a/@href"
    " | .//*[self::h2 or self::h3]/a/@href"
)
_OUTSIDE_MAIN = etree.XPath(
    "ancestor::*[self::nav or self::aside or self::footer or self::header"
    f" or {class_xpath('sidebar')} or {class_xpath('widget')} or {class_xpath('td_block_related_posts')}]"
)
_NEXT = etree.XPath(
    "//link[@rel='next']/@href | //a[@rel='next']/@href"
    f" | //a[{class_xpath('next')} and {class_xpath('page-numbers')}]/@href"
    f" | //*[{class_xpath('nav-previous')}]//a/@href"
    f" | //*[{class_xpath('pagination')}]//a[{class_xpath('next')}]/@href"
)
_NOT_SECTIONS = re.compile(
    r"/(?:about|about-us|contact|contact-us|privacy|privacy-policy|terms|imprint|impressum|advertise|login"
    r"|wp-login\.php|register|subscribe|feed|author|tag|search)(?:/|$|#|\?)|^mailto:|^tel:",
    re.I,
)


def nav_section_urls(html: Source, base_url: str) -> list[str]:
    """Section URLs: WordPress menu categories, else the navigation menus' links on the site, in order."""
    page = as_page(html, base_url)
    if page.root is None:
        return []
    hrefs = list(_WP_CATEGORY_LINKS(page.root))
    if not hrefs:
        hrefs = [h for h in _NAV_LINKS(page.root) if not _NOT_SECTIONS.search(h)]
    return _same_site(hrefs, base_url, drop_home=True)


def listing_article_urls(html: Source, base_url: str) -> list[str]:
    """Headline links of the listing's main column, in page order, once each."""
    page = as_page(html, base_url)
    if page.root is None:
        return []
    scopes = _MAIN(page.root) or [page.root]
    hrefs: list[str] = []
    for scope in _outermost(scopes):
        for href in _HEADLINE_LINKS(scope):
            if not _OUTSIDE_MAIN(href.getparent()):
                hrefs.append(str(href))
    return _same_site(hrefs, base_url, drop_home=True)


def listing_next_page(html: Source, base_url: str) -> str | None:
    """The next listing page: ``rel=next``, WordPress pagination, the Newspaper ``page-nav``."""
    page = as_page(html, base_url)
    if page.root is None:
        return None
    for href in _NEXT(page.root):
        url = absolute(base_url, str(href))
        if url and url != base_url:
            return url
    return page_nav_next(page, base_url)


def _outermost(elements: list[_Element]) -> list[_Element]:
    chosen = set(elements)
    return [el for el in elements if not any(parent in chosen for parent in el.iterancestors())]


def _same_site(hrefs: list[str], base_url: str, *, drop_home: bool) -> list[str]:
    host = (urlsplit(base_url).hostname or "").removeprefix("www.")
    seen: set[str] = set()
    urls = []
    for href in hrefs:
        url = absolute(base_url, href)
        if not url:
            continue
        parts = urlsplit(url)
        if (parts.hostname or "").removeprefix("www.") != host:
            continue
        if drop_home and parts.path in ("", "/") and not parts.query:
            continue
        url = url.split("#", 1)[0]
        if url not in seen:
            seen.add(url)
            urls.append(url)
    return urls
