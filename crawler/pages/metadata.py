"""The structured-data layer: article fields from JSON-LD, microdata, OpenGraph and article meta tags.

Every reader returns ``(value, source)`` with a source name such as ``jsonld:headline`` or
``meta:og:title``; ``(None, None)`` (or an empty list) when the page says nothing. Nothing here
looks at the visible layout: that is the site-selector and generic layers' job.
"""

from __future__ import annotations

import html
import logging
import re
from typing import TYPE_CHECKING

from lxml import etree

from crawler.items import Author, Image, Term
from crawler.pages.dom import absolute, collapse, strip_tags, text_of, to_int

if TYPE_CHECKING:
    from crawler.pages.document import Page

logger = logging.getLogger(__name__)

#: ``<meta>`` names of the publication date, most specific first (after ``article:published_time``).
PUBLISHED_META = (
    "article:published_time",
    "article:published:time",
    "og:article:published_time",
    "og:published_time",
    "published_time",
    "article.published",
    "datepublished",
    "date.published",
    "parsely-pub-date",
    "sailthru.date",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "publication_date",
    "originalpublicationdate",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "dcterms.created",
    "prism.publicationdate",
    "citation_publication_date",
    "date",
)
MODIFIED_META = (
    "article:modified_time",
    "article:modified:time",
    "og:updated_time",
    "modified_time",
    "datemodified",
    "dcterms.modified",
    "last-modified",
    "lastmod",
)
TITLE_META = ("og:title", "twitter:title", "dc.title", "title")
AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
    "dcterms.creator",
)
_META_AUTHORS = etree.XPath(
    "//meta["
    + " or ".join(
        f"translate(@name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')='{n}'"
        f" or @property='{n}'"
        for n in AUTHOR_META
    )
    + "]/@content"
)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z]+);", re.I)
_BYLINE_PREFIX = re.compile(r"^(?:by|von|par|por|di|door|av|af|de|door|από|автор:?|作者[:：]?)\s+", re.I)
_CODE_SUFFIX = re.compile(r"\s*\((?:[a-zäöü]{2,4}|[A-Z]{2,4})\)$")
_LIST_SPLIT = re.compile(r"\s*[;&|]\s*|\s*,\s+(?=\S+\s+\S+)")
_CONJUNCTION = re.compile(r"\s+(?:and|und|og|och|et|y|e|en|i|és|и)\s+", re.I)
_NOT_A_NAME = re.compile(r"@|^https?://|^www\.|^\d+$|\.(?:com|org|net|de|fr|co\.uk)\b", re.I)
_SITE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", " / ")


def clean_meta(value: str | None) -> str:
    """A meta or JSON-LD text: tags stripped, entities decoded (even when double-escaped), collapsed."""
    text = strip_tags(value)
    if "&" in text and _ENTITY.search(text):
        text = collapse(html.unescape(text))
    return text


# --- title ------------------------------------------------------------------------------------------


def title(page: Page) -> tuple[str | None, str | None]:
    """The headline: JSON-LD ``headline``, ``og:title``, ``twitter:title``, ``dc.title``.

    When an ``h1`` shows the same headline (same words, other typography) its text is taken; a
    trailing `` - Site Name`` is removed.
    """
    for value, source in _title_candidates(page):
        text = strip_site_name(page, clean_meta(value))
        if text:
            return displayed_form(page, text), source
    return None, None


def _title_candidates(page: Page) -> list[tuple[str, str]]:
    found = []
    headline = page.jsonld.article_text("headline") or page.jsonld.article_text("name")
    if headline and page.jsonld.article is not None:
        found.append((headline, "jsonld:headline"))
    for key in TITLE_META:
        value = page.meta.get(key)
        if value:
            found.append((value, f"meta:{key}"))
    for el in page.itemprops.get("headline", []):
        value = el.get("content") or text_of(el)
        if value:
            found.append((value, "microdata:headline"))
    return found


def strip_site_name(page: Page, text: str) -> str:
    """``text`` without a `` - Site`` / `` | Site`` suffix naming the site (``og:site_name`` or publisher)."""
    names = {
        clean_meta(page.meta.get("og:site_name")),
        _publisher_name(page),
        clean_meta(page.meta.get("application-name")),
    }
    names.discard("")
    for name in names:
        for sep in _SITE_SEPARATORS:
            if text.endswith(sep + name) and len(text) > len(sep + name):
                return text[: -len(sep + name)].strip()
            if text.startswith(name + sep) and len(text) > len(name + sep):
                return text[len(name + sep) :].strip()
    return text


def displayed_form(page: Page, text: str) -> str:
    """The ``h1`` that shows ``text`` (same words, any typography), else ``text``."""
    key = _words_key(text)
    if not key:
        return text
    root = page.root
    if root is None:
        return text
    for h1 in root.iter("h1"):
        shown = text_of(h1)
        if shown and _words_key(shown) == key:
            return shown
    return text


def _words_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _publisher_name(page: Page) -> str:
    publisher = page.jsonld.resolve(page.jsonld.article_value("publisher"))
    if isinstance(publisher, list):
        publisher = publisher[0] if publisher else None
    if isinstance(publisher, dict):
        return clean_meta(publisher.get("name") if isinstance(publisher.get("name"), str) else "")
    return ""


# --- authors ----------------------------------------------------------------------------------------


def authors(page: Page) -> tuple[list[Author], str | None]:
    """Authors from JSON-LD ``author``, microdata ``author``, then author meta tags.

    People are preferred: an organisation (the publisher, a news agency) is returned only when no
    source names a person.
    """
    fallback: tuple[list[Author], str | None] = ([], None)
    for source, finder in (
        ("jsonld:author", _jsonld_authors),
        ("microdata:author", _microdata_authors),
        ("meta:author", _meta_authors),
    ):
        found = finder(page)
        people = person_names(page, [a for a, organisation in found if not organisation])
        if people:
            return people, source
        if not fallback[0]:
            named = person_names(page, [a for a, _ in found], drop_site_names=False)
            if named:
                fallback = (named, source)
    return fallback


def _jsonld_authors(page: Page) -> list[tuple[Author, bool]]:
    found = []
    for node in page.jsonld.article_people():
        url = node.get("url")
        author = Author(
            name=clean_meta(node.get("name")),
            url=absolute(page.url, url) if isinstance(url, str) and url.startswith(("http", "/")) else None,
        )
        found.append((author, "Organization" in str(node.get("@type", ""))))
    return found


def _microdata_authors(page: Page) -> list[tuple[Author, bool]]:
    found = []
    for el in page.microdata("author"):
        if el.tag == "meta":
            name = el.get("content")
        else:
            names = [d for d in el.iter() if d.get("itemprop") == "name"]
            name = (names[0].get("content") or text_of(names[0])) if names else text_of(el)
        if name:
            found.append((Author(name=clean_meta(name)), False))
    return found


def _meta_authors(page: Page) -> list[tuple[Author, bool]]:
    root = page.root
    values = [str(v) for v in _META_AUTHORS(root)] if root is not None else []
    found = [
        (Author(name=clean_meta(v)), False) for v in values if v.strip() and not v.strip().startswith("http")
    ]
    if found:
        return found
    if page.meta.get("twitter:label1", "").strip().lower() == "written by":
        value = page.meta.get("twitter:data1")
        if value:
            return [(Author(name=clean_meta(value)), False)]
    return []


def person_names(page: Page, found: list[Author], *, drop_site_names: bool = True) -> list[Author]:
    """``found`` cleaned: "By" prefixes and editor codes removed, "A and B" split, e-mail addresses
    and numbers dropped, duplicates removed; with ``drop_site_names`` also the site's own name."""
    site_names = (
        {_words_key(n) for n in (clean_meta(page.meta.get("og:site_name")), _publisher_name(page)) if n}
        if drop_site_names
        else set()
    )
    result: list[Author] = []
    seen: set[str] = set()
    for author in found:
        for name in split_names(author.name):
            key = name.casefold()
            if not name or key in seen or _NOT_A_NAME.search(name) or _words_key(name) in site_names:
                continue
            seen.add(key)
            result.append(Author(name=name, url=author.url if name == author.name else None))
    return result


def split_names(text: str) -> list[str]:
    """``"By Jane Doe and John Roe"`` -> ``["Jane Doe", "John Roe"]``."""
    text = _BYLINE_PREFIX.sub("", collapse(text)).strip(" ,;:-–—|")
    if not text:
        return []
    names = []
    for part in _LIST_SPLIT.split(text):
        pieces = _CONJUNCTION.split(part)
        if len(pieces) > 1 and not all(len(p.split()) >= 2 for p in pieces):
            pieces = [part]
        names.extend(pieces)
    cleaned = [_CODE_SUFFIX.sub("", _BYLINE_PREFIX.sub("", n.strip(" ,;:-–—|"))).strip() for n in names]
    return [n for n in cleaned if n and len(n) <= 80]


# --- dates ------------------------------------------------------------------------------------------


def published(page: Page) -> tuple[str | None, str | None]:
    """The publication date as given: ``article:published_time``, JSON-LD ``datePublished``, microdata,
    other date meta tags."""
    return _date(page, PUBLISHED_META, "datePublished")


def modified(page: Page) -> tuple[str | None, str | None]:
    """The last modification date as given: ``article:modified_time``, JSON-LD ``dateModified``,
    microdata, other meta tags."""
    return _date(page, MODIFIED_META, "dateModified")


def _date(page: Page, meta_keys: tuple[str, ...], itemprop: str) -> tuple[str | None, str | None]:
    first = page.meta.get(meta_keys[0])
    if first:
        return first.strip(), f"meta:{meta_keys[0]}"
    value = page.jsonld.article_text(itemprop)
    if value:
        return value, f"jsonld:{itemprop}"
    for el in page.microdata(itemprop):
        value = collapse(el.get("content") or el.get("datetime") or (text_of(el) if el.tag == "time" else ""))
        if value:
            return value, f"microdata:{itemprop}"
    for key in meta_keys[1:]:
        value = page.meta.get(key)
        if value and value.strip():
            return value.strip(), f"meta:{key}"
    return None, None


# --- terms, image, language -------------------------------------------------------------------------


def categories(page: Page) -> tuple[list[Term], str | None]:
    """JSON-LD ``articleSection``, else ``article:section``."""
    names = page.jsonld.article_strings("articleSection")
    if names:
        return _terms(names), "jsonld:articleSection"
    section = clean_meta(page.meta.get("article:section"))
    return ([Term(name=section)], "meta:article:section") if section else ([], None)


def tags(page: Page) -> tuple[list[Term], str | None]:
    """JSON-LD ``keywords``, else ``article:tag``."""
    names = page.jsonld.article_strings("keywords")
    if names:
        return _terms(names), "jsonld:keywords"
    tag = clean_meta(page.meta.get("article:tag"))
    return ([Term(name=tag)], "meta:article:tag") if tag else ([], None)


def _terms(names: list[str]) -> list[Term]:
    seen: set[str] = set()
    terms = []
    for name in names:
        name = clean_meta(name)
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            terms.append(Term(name=name))
    return terms


def featured_image(page: Page) -> tuple[Image | None, str | None]:
    """``og:image`` (with its size and alt), else the JSON-LD ``image``."""
    url = absolute(page.url, page.meta.get("og:image") or page.meta.get("og:image:url") or "")
    if url and not url.startswith("data:"):
        return (
            Image(
                url=url,
                alt=clean_meta(page.meta.get("og:image:alt")) or None,
                role="featured",
                width=to_int(page.meta.get("og:image:width")),
                height=to_int(page.meta.get("og:image:height")),
            ),
            "meta:og:image",
        )
    value = page.jsonld.resolve(page.jsonld.article_value("image"))
    if isinstance(value, list):
        value = page.jsonld.resolve(value[0]) if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    if isinstance(value, str) and value.startswith(("http", "/")):
        return Image(url=absolute(page.url, value) or value, role="featured"), "jsonld:image"
    return None, None


def language(page: Page) -> tuple[str | None, str | None]:
    """``<html lang>``, JSON-LD ``inLanguage``, ``og:locale``, ``content-language``."""
    if page.lang:
        return page.lang, "dom:html[lang]"
    value = page.jsonld.article_text("inLanguage")
    if value:
        return value, "jsonld:inLanguage"
    for key in ("og:locale", "content-language", "language", "dc.language"):
        value = page.meta.get(key)
        if value:
            return value.replace("_", "-"), f"meta:{key}"
    return None, None
