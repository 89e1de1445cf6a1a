"""Content scores and class weights of the generic extractor (Readability's ``_initializeNode`` and
``_getClassWeight``), and the flags that loosen the rules between attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from crawler.generic import patterns as P

if TYPE_CHECKING:
    from lxml.etree import _Element

FLAG_STRIP_UNLIKELY = 1
FLAG_WEIGHT_CLASSES = 2
FLAG_CLEAN_CONDITIONALLY = 4
ALL_FLAGS = FLAG_STRIP_UNLIKELY | FLAG_WEIGHT_CLASSES | FLAG_CLEAN_CONDITIONALLY


@dataclass
class Scores:
    """Content scores of candidate elements, kept beside the tree (lxml elements cannot hold them)."""

    flags: int
    by_element: dict[_Element, float] = field(default_factory=dict)

    def weight(self, el: _Element) -> int:
        """+25/-25 per positive/negative class and id, when class weights are on."""
        if not self.flags & FLAG_WEIGHT_CLASSES:
            return 0
        return class_weight(el)

    def initialize(self, el: _Element) -> None:
        tag = el.tag
        score = 0.0
        if tag == "div":
            score += 5
        elif tag in ("pre", "td", "blockquote"):
            score += 3
        elif tag in ("address", "ol", "ul", "dl", "dd", "dt", "li", "form"):
            score -= 3
        elif tag in P.HEADINGS or tag == "th":
            score -= 5
        self.by_element[el] = score + self.weight(el)


def class_weight(el: _Element) -> int:
    """+25 for a positive, -25 for a negative class and id (Readability's ``_getClassWeight``)."""
    return _weight(el.get("class")) + _weight(el.get("id"))


@lru_cache(maxsize=4096)
def _weight(value: str | None) -> int:
    if not value:
        return 0
    value = value.lower()
    return (25 if P.POSITIVE.search(value) else 0) - (25 if P.NEGATIVE.search(value) else 0)


@lru_cache(maxsize=4096)
def looks_like_byline(ms: str) -> bool:
    return bool(ms.strip()) and P.BYLINE.search(ms.lower()) is not None


@lru_cache(maxsize=4096)
def looks_unlikely(ms: str) -> bool:
    ms = ms.lower()
    return bool(ms.strip()) and P.UNLIKELY.search(ms) is not None and P.MAYBE.search(ms) is None
