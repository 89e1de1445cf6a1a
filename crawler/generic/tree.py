"""Tree helpers of the generic extractor: text, visibility, link density, navigation and removal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from crawler.generic import patterns as P

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.etree import _Element

_TEXT = etree.XPath("normalize-space()")
_LINK_TEXT = etree.XPath(".//a[not(starts-with(@href, '#')) or @href = '#']//text()")
_HASH_LINK_TEXT = etree.XPath(".//a[starts-with(@href, '#') and string-length(@href) > 1]//text()")


def inner_text(el: _Element) -> str:
    """The element's text with whitespace collapsed (XPath ``normalize-space()``)."""
    return str(_TEXT(el))


def match_string(el: _Element) -> str:
    """``class`` and ``id`` of ``el``, as the class/id patterns read them."""
    return f"{el.get('class') or ''} {el.get('id') or ''}"


def is_visible(el: _Element) -> bool:
    """Not hidden by ``style``, ``hidden``, ``aria-hidden`` or a hiding class.

    Text hidden behind a paywall (``class="paywall"``) counts as visible: it is the article.
    """
    cls = el.get("class") or ""
    style = el.get("style")
    if style:
        style = style.replace(" ", "").lower()
        if "display:none" in style or "visibility:hidden" in style:
            return _hidden_article_text(el, cls)
    if el.get("hidden") is not None or (cls and not P.HIDDEN_CLASSES.isdisjoint(cls.split())):
        return _hidden_article_text(el, cls)
    return el.get("aria-hidden") != "true" or "fallback-image" in cls


def _hidden_article_text(el: _Element, cls: str) -> bool:
    """A hidden paywall container that holds the rest of the article (several long paragraphs)."""
    if not P.PAYWALL.search(cls):
        return False
    return sum(1 for p in el.iter("p") if len(inner_text(p)) > 80) >= 2


def link_density(el: _Element, text_length: int | None = None) -> float:
    """Share of the element's text inside links (``#`` links count 30 %)."""
    length = len(inner_text(el)) if text_length is None else text_length
    if not length:
        return 0.0
    links = _link_text_length(_LINK_TEXT(el)) + 0.3 * _link_text_length(_HASH_LINK_TEXT(el))
    return links / length


def _link_text_length(texts: list[str]) -> int:
    return len(" ".join("".join(texts).split()))


def remove(el: _Element) -> None:
    """Remove ``el`` but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def next_node(el: _Element, ignore_children: bool = False) -> _Element | None:
    """The next element in document order (depth first), like Readability's ``_getNextNode``."""
    if not ignore_children:
        for child in el:
            if isinstance(child.tag, str):
                return child
    node: _Element | None = el
    while node is not None:
        sibling = node.getnext()
        while sibling is not None and not isinstance(sibling.tag, str):
            sibling = sibling.getnext()
        if sibling is not None:
            return sibling
        node = node.getparent()
    return None


def remove_and_get_next(el: _Element) -> _Element | None:
    following = next_node(el, ignore_children=True)
    remove(el)
    return following


def ancestors(el: _Element, depth: int = 0) -> list[_Element]:
    found = []
    for i, parent in enumerate(el.iterancestors()):
        if depth and i >= depth:
            break
        found.append(parent)
    return found


def has_ancestor(
    el: _Element, tag: str, max_depth: int = 3, where: Callable[[_Element], bool] | None = None
) -> bool:
    for depth, parent in enumerate(el.iterancestors()):
        if 0 < max_depth <= depth:
            return False
        if parent.tag == tag and (where is None or where(parent)):
            return True
    return False


def children(el: _Element) -> list[_Element]:
    return [child for child in el if isinstance(child.tag, str)]


def is_phrasing(node: _Element) -> bool:
    tag = node.tag
    if tag in P.PHRASING:
        return True
    return tag in P.MAYBE_PHRASING and all(is_phrasing(child) for child in children(node))


_BLOCK_TAGS = tuple(sorted(P.DIV_TO_P))


def has_block_child(el: _Element) -> bool:
    """Whether any descendant of ``el`` is a block element (``p``, ``div``, ``ul``, ``img`` …)."""
    return any(d is not el for d in el.iter(*_BLOCK_TAGS))


def single_child_tag(el: _Element, tag: str) -> bool:
    kids = children(el)
    if len(kids) != 1 or kids[0].tag != tag:
        return False
    return not (el.text or "").strip() and not (kids[0].tail or "").strip()


def without_content(el: _Element) -> bool:
    if any(t.strip() for t in el.itertext()):
        return False
    kids = children(el)
    return not kids or len(kids) == sum(1 for k in kids if k.tag in ("br", "hr"))


def similar(a: str, b: str) -> float:
    """Readability's ``textSimilarity``: 1 minus the share of ``b``'s words that are not in ``a``."""
    tokens_a = set(tokens(a))
    tokens_b = tokens(b)
    if not tokens_a or not tokens_b:
        return 0.0
    extra = " ".join(t for t in tokens_b if t not in tokens_a)
    return 1 - len(extra) / len(" ".join(tokens_b))


def tokens(text: str) -> list[str]:
    """The lower-cased words of ``text``."""
    return [t for t in "".join(c if c.isalnum() else " " for c in text.lower()).split() if t]
