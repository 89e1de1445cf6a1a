"""The featured (lead) image of a Newspaper-theme article."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lxml import etree

from crawler.items import Image
from crawler.pages.dom import absolute, collapse, text_of, to_int

if TYPE_CHECKING:
    from lxml.etree import _Element

    from crawler.pages.document import Page

logger = logging.getLogger(__name__)

_IMG = etree.XPath(".//img")
_FIGCAPTION = etree.XPath(".//figcaption")
_LINK = etree.XPath(".//a[@href]")
#: Attributes holding the image URL, most specific first (lazy-loading plugins move ``src``).
_SRC_ATTRS = ("data-src", "data-lazy-src", "src")
_SRCSET_ATTRS = ("data-srcset", "data-lazy-srcset", "srcset")


def extract_featured_image(page: Page) -> tuple[Image | None, str | None]:
    """The lead image: Composer block, classic ``.td-post-featured-image``, else ``og:image``."""
    for token, source in (
        ("tdb_single_featured_image", "dom:tdb_single_featured_image"),
        ("td-post-featured-image", "dom:td-post-featured-image"),
    ):
        for block in page.blocks(token):
            image = _image_in(page, block)
            if image is not None:
                return image, source
    image = _og_image(page)
    return (image, "meta:og:image") if image else (None, None)


def _image_in(page: Page, block: _Element) -> Image | None:
    imgs = _IMG(block)
    img = imgs[0] if imgs else None
    links = _LINK(block)
    link = links[0] if links else None
    url = _img_url(page, img, link)
    if not url:
        return None
    attrs = img.attrib if img is not None else {}
    return Image(
        url=url,
        caption=_caption(block, link),
        alt=collapse(attrs.get("alt")) or None,
        role="featured",
        width=to_int(attrs.get("width")),
        height=to_int(attrs.get("height")),
    )


def _img_url(page: Page, img: _Element | None, link: _Element | None) -> str | None:
    if img is not None:
        for attr in _SRC_ATTRS:
            url = _usable(page, img.get(attr))
            if url:
                return url
        for attr in _SRCSET_ATTRS:
            url = _usable(page, largest_srcset_url(img.get(attr)))
            if url:
                return url
    return _usable(page, link.get("href")) if link is not None else None


def _usable(page: Page, value: str | None) -> str | None:
    value = (value or "").strip()
    if not value or value.startswith("data:"):
        return None
    return absolute(page.url, value)


def largest_srcset_url(srcset: str | None) -> str | None:
    """The widest candidate of a ``srcset`` (the first one when no widths are given)."""
    best, best_width = None, -1.0
    for candidate in (srcset or "").split(","):
        parts = candidate.split()
        if not parts:
            continue
        width = _descriptor(parts[1]) if len(parts) > 1 else 0.0
        if width > best_width:
            best, best_width = parts[0], width
    return best


def _descriptor(text: str) -> float:
    try:
        return float(text.rstrip("wxWX"))
    except ValueError:
        return 0.0


def _caption(block: _Element, link: _Element | None) -> str | None:
    captions = _FIGCAPTION(block)
    text = text_of(captions[0]) if captions else ""
    if not text and link is not None:
        text = collapse(link.get("data-caption"))
    return text or None


def _og_image(page: Page) -> Image | None:
    url = _usable(page, page.meta.get("og:image") or page.meta.get("og:image:url"))
    if not url:
        return None
    return Image(
        url=url,
        alt=collapse(page.meta.get("og:image:alt")) or None,
        role="featured",
        width=to_int(page.meta.get("og:image:width")),
        height=to_int(page.meta.get("og:image:height")),
    )
