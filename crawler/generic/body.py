"""The generic layer's body: the article container of any page, pruned, as HTML for cleaning."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawler.generic.prune import prune_content
from crawler.generic.readable import grab_article, inner_text
from crawler.pages.dom import outer_html

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.etree import _Element

logger = logging.getLogger(__name__)


@dataclass
class GenericBody:
    """What the generic extractor found."""

    #: The chosen container's HTML, for :func:`crawler.cleaning.clean_content`.
    html: str
    #: Characters of text in it (before cleaning).
    text_length: int
    #: The byline removed from the article text, if one was found.
    byline: str | None = None
    #: What the precision rules removed, by kind.
    removed: Counter[str] = field(default_factory=Counter)


def extract_body(
    root: _Element,
    *,
    title: str = "",
    description: str = "",
    reparse: Callable[[], _Element | None] | None = None,
) -> GenericBody | None:
    """The main text container of the page ``root``; ``None`` when the page has no text.

    ``title`` (the headline) is removed from the top of the text; ``description`` helps find a
    standfirst printed outside the container. ``root`` is modified: parse the page again to use it
    for anything else; ``reparse`` does that, for the extractor's second and third attempts.
    """
    grab = grab_article(root, title, description, reparse)
    if grab is None:
        return None
    removed = prune_content(grab.content)
    return GenericBody(
        html=outer_html(grab.content),
        text_length=len(inner_text(grab.content)),
        byline=grab.byline,
        removed=removed,
    )
