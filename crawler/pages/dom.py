"""Parsing HTML into an lxml tree and reading text from it, tolerant of broken markup."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from lxml import etree
from w3lib.encoding import html_to_unicode

if TYPE_CHECKING:
    from lxml.etree import _Element

logger = logging.getLogger(__name__)

_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_INT = re.compile(r"\d+")
#: Elements whose text is never part of a visible field.
_SKIP_TEXT = frozenset({"script", "style", "noscript", "template", "svg"})
#: Elements that separate words when their text is joined.
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "td", "th"}
    | {"figcaption", "figure", "section", "article", "header", "footer", "dd", "dt", "table"}
)


def decode_html(data: str | bytes, encoding: str | None = None) -> str:
    """The document as text: ``encoding`` if given, else a BOM or ``<meta charset>``, else UTF-8.

    Undecodable bytes become U+FFFD; an unknown encoding name falls back to the next source.
    """
    if isinstance(data, str):
        return data
    content_type = f"text/html; charset={encoding}" if encoding else None
    _, text = html_to_unicode(content_type, bytes(data), default_encoding="utf-8")
    return text


def parse_html(data: str | bytes, encoding: str | None = None) -> _Element | None:
    """The root ``<html>`` element of ``data``, or ``None`` for an empty or unparsable document."""
    text = decode_html(data, encoding)
    if "\x00" in text:
        text = text.replace("\x00", "")
    text = _XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    if not text.strip():
        return None
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        logger.debug("unparsable HTML: %s", exc)
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    return root


def collapse(text: str | None) -> str:
    """``text`` with runs of whitespace (including no-break spaces) collapsed to one space."""
    return " ".join(text.split()) if text else ""


def strip_tags(text: str | None) -> str:
    """``text`` without HTML tags, whitespace collapsed (for names stored with markup)."""
    if not text:
        return ""
    return collapse(_TAGS.sub(" ", text)) if "<" in text else collapse(text)


def text_of(el: _Element | None) -> str:
    """The visible text of ``el``: scripts and styles skipped, blocks separated, whitespace collapsed."""
    if el is None:
        return ""
    parts: list[str] = []
    _collect_text(el, parts)
    return collapse("".join(parts))


def _collect_text(el: _Element, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in _SKIP_TEXT:
            if tag in _BLOCK_TAGS:
                parts.append(" ")
                _collect_text(child, parts)
                parts.append(" ")
            else:
                _collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def has_class(el: _Element, name: str) -> bool:
    """Whether ``name`` is one of the class tokens of ``el``."""
    cls = el.get("class")
    return bool(cls) and name in cls.split()


def class_xpath(name: str) -> str:
    """An XPath predicate true for elements carrying the class token ``name``."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


def absolute(base_url: str, href: str | None) -> str | None:
    """``href`` made absolute against ``base_url``; ``None`` for empty, ``#`` and script links."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "data:")):
        return None
    try:
        return urljoin(base_url, href)
    except ValueError:
        return None


def to_int(value: str | None) -> int | None:
    """The leading integer of an attribute such as ``width="696"``; ``None`` when there is none."""
    if not value:
        return None
    match = _INT.match(value.strip())
    return int(match.group()) if match else None


def outer_html(el: _Element) -> str:
    """The element's own HTML (not its tail)."""
    return etree.tostring(el, encoding="unicode", method="html", with_tail=False)
