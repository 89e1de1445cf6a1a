"""One parsed page, indexed in a single pass: theme blocks by class, head metadata, JSON-LD scripts.

Field extractors look blocks up in the index and search only inside them, so the whole tree is
walked once per page in Python (and once more by lxml for the few head and body tags indexed).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lxml import etree

from crawler.pages.structured import JsonLd

if TYPE_CHECKING:
    from lxml.etree import _Element

logger = logging.getLogger(__name__)

#: Class tokens whose elements are indexed (Composer blocks, classic template parts, listings, menus).
INDEXED_CLASSES = frozenset(
    {
        # Composer (tagDiv Cloud Library) single template blocks
        "tdb_title",
        "tdb_single_subtitle",
        "tdb_single_author",
        "tdb_single_date",
        "tdb_single_modified_date",
        "tdb_breadcrumbs",
        "tdb_single_categories",
        "tdb_single_featured_image",
        "tdb_single_content",
        "tdb_single_tags",
        "tdb_single_author_box",
        # classic single template
        "td-post-header",
        "td-post-content",
        "td-post-featured-image",
        "td-post-sub-title",
        "td-crumb-container",
        "entry-crumbs",
        "td-post-source-tags",
        "author-box-wrap",
        "entry-title",
        # listings and navigation
        "tdb_loop",
        "td-ss-main-content",
        "page-nav",
        "tdb-menu",
        "sf-menu",
        "td-mobile-main-menu",
        "block-mega-child-cats",
    }
)
#: ``itemprop`` values whose elements are indexed.
INDEXED_ITEMPROPS = frozenset({"author", "datePublished", "dateModified", "headline"})


class Page:
    """A parsed document and its one-pass index."""

    def __init__(self, root: _Element | None, url: str) -> None:
        self.root = root
        self.url = url
        self.by_class: dict[str, list[_Element]] = {}
        #: ``<meta>`` content by lower-cased ``property`` or ``name`` (first occurrence wins).
        self.meta: dict[str, str] = {}
        #: ``<link>`` href by lower-cased ``rel`` token (first occurrence wins).
        self.links: dict[str, str] = {}
        self.itemprops: dict[str, list[_Element]] = {}
        self.articles: list[_Element] = []
        self.body_classes: frozenset[str] = frozenset()
        self.lang: str | None = None
        self._scripts: list[str] = []
        self._jsonld: JsonLd | None = None
        if root is not None:
            self._index(root)

    def _index(self, root: _Element) -> None:
        self.lang = (root.get("lang") or "").strip() or None
        by_class, itemprops = self.by_class, self.itemprops
        unindexed = INDEXED_CLASSES.isdisjoint
        for el in root.iter(etree.Element):
            cls = el.get("class")
            if cls:
                tokens = cls.split()
                if not unindexed(tokens):
                    for token in tokens:
                        if token in INDEXED_CLASSES:
                            by_class.setdefault(token, []).append(el)
            itemprop = el.get("itemprop")
            if itemprop and itemprop in INDEXED_ITEMPROPS:
                itemprops.setdefault(itemprop, []).append(el)
        for el in root.iter(*_TAG_HANDLERS):  # lxml filters the tags, in document order
            _TAG_HANDLERS[el.tag](self, el)

    def _on_meta(self, el: _Element) -> None:
        key = el.get("property") or el.get("name")
        content = el.get("content")
        if key and content is not None:
            self.meta.setdefault(key.strip().lower(), content.strip())

    def _on_link(self, el: _Element) -> None:
        href = el.get("href")
        for rel in (el.get("rel") or "").lower().split():
            if href:
                self.links.setdefault(rel, href.strip())

    def _on_script(self, el: _Element) -> None:
        if "ld+json" in (el.get("type") or "").lower() and el.text:
            self._scripts.append(el.text)

    def _on_article(self, el: _Element) -> None:
        self.articles.append(el)

    def _on_body(self, el: _Element) -> None:
        if not self.body_classes:
            self.body_classes = frozenset((el.get("class") or "").split())

    def blocks(self, token: str) -> list[_Element]:
        """Indexed elements carrying the class ``token``, in document order."""
        return self.by_class.get(token, [])

    def first(self, token: str) -> _Element | None:
        """The first indexed element carrying the class ``token``."""
        found = self.by_class.get(token)
        return found[0] if found else None

    def first_of(self, *tokens: str) -> _Element | None:
        """The first indexed element of the first of ``tokens`` that has one."""
        for token in tokens:
            found = self.by_class.get(token)
            if found:
                return found[0]
        return None

    @property
    def header_scope(self) -> _Element | None:
        """Where a classic template's byline, date and categories are: ``.td-post-header`` or the article."""
        header = self.first("td-post-header")
        if header is not None:
            return header
        article = self.main_article
        if article is None or "tdb_templates" in (article.get("class") or "").split():
            return None  # a Composer template's <article> wraps the whole layout, sidebar included
        return article

    @property
    def jsonld(self) -> JsonLd:
        """The page's JSON-LD, parsed on first use."""
        if self._jsonld is None:
            self._jsonld = JsonLd(self._scripts)
        return self._jsonld

    @property
    def main_article(self) -> _Element | None:
        """The ``<article>`` carrying the post's microdata (the first one with ``itemscope``)."""
        for article in self.articles:
            if article.get("itemscope") is not None or article.get("itemtype"):
                return article
        return self.articles[0] if self.articles else None

    def microdata(self, itemprop: str) -> list[_Element]:
        """``itemprop`` elements that belong to the main article (all of them without one)."""
        found = self.itemprops.get(itemprop, [])
        article = self.main_article
        if article is None:
            return found
        return [el for el in found if _inside(el, article)]


def _inside(el: _Element, ancestor: _Element) -> bool:
    return any(parent is ancestor for parent in el.iterancestors("article"))


_TAG_HANDLERS = {
    "meta": Page._on_meta,
    "link": Page._on_link,
    "script": Page._on_script,
    "article": Page._on_article,
    "body": Page._on_body,
}
