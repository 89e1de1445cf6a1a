"""The generic layer's metadata: title, authors and dates read from the visible page.

Used when neither the site selectors nor the structured data give a field. Sources are named
``generic:<how>`` (``generic:h1``, ``generic:byline``, ``generic:time``, ``generic:url``,
``generic:htmldate``).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from lxml import etree

from crawler.items import Author
from crawler.pages.dom import text_of
from crawler.pages.metadata import person_names, strip_site_name

if TYPE_CHECKING:
    from lxml.etree import _Element

    from crawler.pages.document import Page

logger = logging.getLogger(__name__)

_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_]|$)")
_OUTSIDE_ARTICLE = frozenset({"header", "nav", "footer", "aside"})
_BYLINE = etree.XPath(
    ".//*[@rel='author' or contains(@itemprop, 'author') or contains(@class, 'byline')"
    " or contains(@class, 'author') or contains(@id, 'byline') or contains(@class, 'Byline')]"
)
_TIMES = etree.XPath(".//time[@datetime]")
_BYLINE_TAIL = re.compile(
    r"\s[|•·]\s|\s+-\s+\d|\s\d{1,2}[./]\d{1,2}[./]\d{2,4}|\bupdated\b|\bpublished\b", re.I
)
_BYLINE_TAIL = re.compile(
    r"\s[|•·]\s|\s+-\s+\d|\s\d{1,2}[./]\d{1,2}[./]\d{2,4}|\bupdated\b|\bpublished\b", re.I
)
_SEPARATORS = re.compile(r"\s+[|–—:·•/-]\s+|\s+::\s+")


def title(page: Page) -> tuple[str | None, str | None]:
    """The visible headline: the ``h1`` that ``<title>`` repeats, else ``<title>`` without the site name,
    else the article's ``h1``."""
    root = page.root
    tag = root.find(".//title") if root is not None else None
    document_title = _without_site_name(page, text_of(tag)) if tag is not None else ""
    h1s = _headlines(page)
    for h1 in h1s:
        if document_title and _same_words(h1, document_title):
            return h1, "generic:h1"
    if document_title:
        return document_title, "generic:title"
    return (h1s[0], "generic:h1") if h1s else (None, None)


def _without_site_name(page: Page, text: str) -> str:
    stripped = strip_site_name(page, text)
    if stripped != text:
        return stripped
    parts = [p for p in _SEPARATORS.split(text) if p]
    return max(parts, key=len) if len(parts) > 1 else text


def _same_words(a: str, b: str) -> bool:
    words_a, words_b = _words(a), _words(b)
    return bool(words_a) and (words_a == words_b or (len(words_a) >= 3 and words_a <= words_b))


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _headlines(page: Page) -> list[str]:
    """Texts of the page's ``h1`` elements, those inside an ``article``/``main`` first."""
    root = page.root
    if root is None:
        return []
    inside, outside = [], []
    for h1 in root.iter("h1"):
        text = text_of(h1)
        if len(text) < 4:
            continue
        ancestors = {a.tag for a in h1.iterancestors()}
        if ancestors & {"article", "main"}:
            inside.append(text)
        elif not ancestors & _OUTSIDE_ARTICLE:
            outside.append(text)
    return inside + outside


def authors(page: Page, byline: str | None = None) -> tuple[list[Author], str | None]:
    """Names from the byline the body extractor found, else from ``rel=author`` / byline elements."""
    if byline:
        found = person_names(page, [Author(name=byline)])
        if found:
            return found, "generic:byline"
    root = page.root
    if root is None:
        return [], None
    for el in _BYLINE(root):
        text = text_of(el)
        if not text or len(text) > 100 or _in_comments(el):
            continue
        found = person_names(page, [Author(name=_strip_dates(text))])
        if found:
            return found, "generic:byline"
    return [], None


def _in_comments(el: _Element) -> bool:
    return any("comment" in (a.get("class") or "") + (a.get("id") or "") for a in el.iterancestors())


def _strip_dates(text: str) -> str:
    """A byline without the date and reading time that often share its line."""
    text = _BYLINE_TAIL.split(text, maxsplit=1)[0]
    return text.strip(" ,;:-–—")


def published(page: Page, html: str | bytes | None = None) -> tuple[str | None, str | None]:
    """A ``time[datetime]`` in the article, the date in the URL, else htmldate's guess from ``html``."""
    root = page.root
    if root is not None:
        for scope in (page.main_article, root):
            if scope is None:
                continue
            for time in _TIMES(scope):
                value = (time.get("datetime") or "").strip()
                if len(value) >= 10 and value[:4].isdigit():
                    return value, "generic:time"
    match = _URL_DATE.search(page.url)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}", "generic:url"
    if html:
        value = _htmldate(html, page.url)
        if value:
            return value, "generic:htmldate"
    return None, None


def _htmldate(html: str | bytes, url: str) -> str | None:
    from htmldate import find_date  # imported on first use: most pages never need it

    try:
        return find_date(html, url=url or None, original_date=True, extensive_search=False)
    except Exception as exc:  # htmldate raises assorted errors on odd pages
        logger.debug("htmldate failed on %s: %s", url, exc)
        return None
