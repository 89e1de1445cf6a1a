"""Cheap discovery of new and updated articles: XML sitemaps (with ``lastmod``) and RSS/Atom feeds.

Pure functions over the bytes of a sitemap or feed; no Scrapy. Dates are returned as the archive
writes them (UTC, ``YYYY-MM-DDTHH:MM:SSZ``), or None when missing or unreadable.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from lxml import etree

from archive.schedule import from_text, to_text

logger = logging.getLogger(__name__)

PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "recover": True, "huge_tree": False}


@dataclass(frozen=True)
class Entry:
    """One URL of a sitemap or feed and the date given with it."""

    url: str
    lastmod: str | None = None


@dataclass
class Sitemap:
    """A parsed sitemap: an index of sitemaps or a list of pages (``urlset``)."""

    #: ``"index"``, ``"urlset"`` or ``"unknown"`` (not a sitemap).
    kind: str
    entries: list[Entry] = field(default_factory=list)


def _root(body: bytes) -> etree._Element | None:
    if not body or not body.strip():
        return None
    try:
        root = etree.fromstring(body.strip(), parser=etree.XMLParser(**PARSER_OPTIONS))
    except etree.XMLSyntaxError:
        return None
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def iso_date(text: str | None) -> str | None:
    """A sitemap or Atom date (W3C datetime) in UTC, or None."""
    moment = from_text(text)
    if moment is None and text and len(text.strip()) == 10:
        moment = from_text(text.strip() + "T00:00:00+00:00")
    return to_text(moment)


def rfc822_date(text: str | None) -> str | None:
    """An RSS ``pubDate`` in UTC, or None."""
    if not text:
        return None
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return iso_date(text)
    return to_text(moment) if moment.tzinfo else None


def read_sitemap(body: bytes) -> Sitemap:
    """The entries of a sitemap index (``<sitemap><loc>``) or a URL set (``<url><loc>``)."""
    root = _root(body)
    if root is None:
        return Sitemap("unknown")
    kind = {"sitemapindex": "index", "urlset": "urlset"}.get(_local(root.tag), "unknown")
    child = "sitemap" if kind == "index" else "url"
    entries = []
    for element in root:
        if _local(element.tag) != child:
            continue
        loc = _child_text(element, "loc")
        if loc:
            entries.append(Entry(loc, iso_date(_child_text(element, "lastmod"))))
    return Sitemap(kind, entries)


def read_feed(body: bytes) -> list[Entry]:
    """The item links of an RSS 2.0 or Atom feed, with their publication (or update) dates."""
    root = _root(body)
    if root is None:
        return []
    entries: list[Entry] = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "item":
            link = _child_text(element, "link")
            if link:
                entries.append(Entry(link, rfc822_date(_child_text(element, "pubdate"))))
        elif name == "entry":
            link = _atom_link(element)
            if link:
                date = _child_text(element, "updated") or _child_text(element, "published")
                entries.append(Entry(link, iso_date(date)))
    return entries


def _atom_link(entry: etree._Element) -> str | None:
    for child in entry:
        if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate" and child.get("href"):
            return child.get("href")
    return None
