"""CSS selectors given in site profiles, compiled once to XPath and run on lxml trees.

Selectors use parsel's CSS dialect, so ``::text`` and ``::attr(name)`` work as in Scrapy:
``time.published::attr(datetime)``.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

from cssselect import SelectorError as _CssError
from lxml import etree
from parsel.csstranslator import css2xpath

from crawler.pages.dom import collapse, text_of

if TYPE_CHECKING:
    from lxml.etree import _Element

logger = logging.getLogger(__name__)


class SelectorError(ValueError):
    """A CSS selector that cannot be compiled."""


@lru_cache(maxsize=256)
def compile_css(css: str) -> etree.XPath:
    """The compiled XPath of the CSS selector ``css``; :class:`SelectorError` when it is invalid."""
    try:
        return etree.XPath(css2xpath(css))
    except (_CssError, etree.XPathSyntaxError) as exc:
        raise SelectorError(f"invalid CSS selector {css!r}: {exc}") from exc


def select(root: _Element, css: str) -> list[_Element | str]:
    """Elements (or strings, for ``::text`` / ``::attr()``) that ``css`` selects under ``root``."""
    found = compile_css(css)(root)
    return found if isinstance(found, list) else [found]


def select_texts(root: _Element, css: str) -> list[str]:
    """The non-empty texts selected by ``css``: element text, or the selected strings."""
    texts = []
    for item in select(root, css):
        text = text_of(item) if isinstance(item, etree._Element) else collapse(str(item))
        if text:
            texts.append(text)
    return texts


def select_elements(root: _Element, css: str) -> list[_Element]:
    """The elements selected by ``css`` (strings are skipped)."""
    return [item for item in select(root, css) if isinstance(item, etree._Element)]
