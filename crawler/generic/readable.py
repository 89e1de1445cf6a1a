"""Find the article's main text container on an arbitrary page.

The candidate scoring follows Mozilla Readability (``grabArticle``): paragraphs score their
ancestors by length and commas, ancestors are weighted by tag and class/id, link density
discounts navigation, and siblings of the best candidate that look like article text are kept.
Three attempts loosen the rules (unlikely-candidate removal, class weights, conditional cleaning)
when the first one finds too little text. Works on an lxml tree and mutates it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from crawler.generic import patterns as P
from crawler.generic.conditional import CHAR_THRESHOLD, prepare_article
from crawler.generic.scoring import (
    ALL_FLAGS,
    FLAG_CLEAN_CONDITIONALLY,
    FLAG_STRIP_UNLIKELY,
    FLAG_WEIGHT_CLASSES,
    Scores,
    looks_like_byline,
    looks_unlikely,
)
from crawler.generic.tree import (
    ancestors,
    children,
    has_ancestor,
    has_block_child,
    inner_text,
    is_phrasing,
    is_visible,
    link_density,
    match_string,
    next_node,
    remove,
    remove_and_get_next,
    similar,
    single_child_tag,
    without_content,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from lxml.etree import _Element

logger = logging.getLogger(__name__)

N_TOP = 5


# --- the candidate search ------------------------------------------------------------------------


@dataclass
class Attempt:
    container: _Element
    text_length: int


@dataclass
class Grab:
    """The outcome of :func:`grab_article`."""

    #: A new ``div`` holding the article's elements.
    content: _Element
    #: Characters of text in it.
    text_length: int
    #: The byline found (and removed) on the way, if any.
    byline: str | None = None


class Grabber:
    """One run of the candidate search over a document body, with a set of flags."""

    def __init__(self, body: _Element, flags: int, title: str = "", description: str = "") -> None:
        self.body = body
        self.scores = Scores(flags)
        self.flags = flags
        self.title = title
        self.description = description
        self.byline: str | None = None

    def run(self) -> _Element:
        to_score = self._prepare_nodes()
        candidates = self._score_paragraphs(to_score)
        top = self._top_candidate(candidates)
        body = declared_body(top)
        lead = find_lead(body if body is not None else top, self.description)
        content = self._gather_siblings(top) if body is None else self._declared(body)
        prepare_article(content, self.scores)
        if lead is not None and lead.getparent() is not None:
            content.insert(0, lead)
        return content

    # -- pass 1: strip and collect -----------------------------------------------------------------

    def _prepare_nodes(self) -> list[_Element]:
        to_score: list[_Element] = []
        strip_unlikely = bool(self.flags & FLAG_STRIP_UNLIKELY)
        remove_title = bool(self.title)
        for el in list(self.body.iter(*P.DROP_TAGS)):
            remove(el)
        node: _Element | None = self.body
        while node is not None:
            tag = node.tag
            if not is_visible(node) or tag in P.DROP_TAGS:
                node = remove_and_get_next(node)
                continue
            ms = match_string(node)
            if remove_title and tag in ("h1", "h2") and similar(self.title, inner_text(node)) > 0.75:
                remove_title = False
                node = remove_and_get_next(node)
                continue
            if self._is_byline(node, ms):
                self.byline = self.byline or inner_text(node)
                node = remove_and_get_next(node)
                continue
            if strip_unlikely and node is not self.body and self._unlikely(node, ms):
                node = remove_and_get_next(node)
                continue
            if tag in P.EMPTY_ALLOWED and without_content(node):
                node = remove_and_get_next(node)
                continue
            if tag in P.TAGS_TO_SCORE:
                to_score.append(node)
            if tag == "div":
                node = self._div_to_paragraphs(node, to_score)
            node = next_node(node)
        return to_score

    @staticmethod
    def _is_byline(node: _Element, ms: str) -> bool:
        if node.tag in ("body", "html", "article", "main"):
            return False
        if not (
            node.get("rel") == "author" or "author" in (node.get("itemprop") or "") or looks_like_byline(ms)
        ):
            return False
        return 0 < len(inner_text(node)) < 100

    @staticmethod
    def _unlikely(node: _Element, ms: str) -> bool:
        if node.tag in ("a", "body", "html", "article", "main"):
            return False
        if node.get("role") in P.UNLIKELY_ROLES:
            return True
        if not looks_unlikely(ms):
            return False
        return not has_ancestor(node, "table", 0) and not has_ancestor(node, "code", 0)

    @staticmethod
    def _div_to_paragraphs(node: _Element, to_score: list[_Element]) -> _Element:
        _wrap_phrasing(node)
        if single_child_tag(node, "p") and link_density(node) < 0.25:
            child = children(node)[0]
            parent = node.getparent()
            if parent is not None:
                child.tail = node.tail
                parent.replace(node, child)
                to_score.append(child)
                return child
        elif not has_block_child(node):
            node.tag = "p"
            to_score.append(node)
        return node

    # -- pass 2: score ----------------------------------------------------------------------------

    def _score_paragraphs(self, to_score: list[_Element]) -> list[_Element]:
        candidates: list[_Element] = []
        by_element = self.scores.by_element
        for el in to_score:
            parent = el.getparent()
            if parent is None:
                continue
            text = inner_text(el)
            if len(text) < 25:
                continue
            lineage = ancestors(el, 5)
            if not lineage:
                continue
            score = 1 + len(P.COMMAS.findall(text)) + 1 + min(len(text) // 100, 3)
            for level, ancestor in enumerate(lineage):
                if ancestor.getparent() is None:
                    continue
                if ancestor not in by_element:
                    self.scores.initialize(ancestor)
                    candidates.append(ancestor)
                divider = 1 if level == 0 else 2 if level == 1 else level * 3
                by_element[ancestor] += score / divider
        for el in candidates:
            by_element[el] *= 1 - link_density(el)
        return candidates

    def _top_candidate(self, candidates: list[_Element]) -> _Element:
        by_element = self.scores.by_element
        ranked = sorted(candidates, key=by_element.__getitem__, reverse=True)[:N_TOP]
        if not ranked or ranked[0].tag == "body" or ranked[0] is self.body:
            return self._everything()
        top = ranked[0]
        top_score = by_element[top]
        alternatives = [
            set(ancestors(c)) for c in ranked[1:] if top_score and by_element[c] / top_score >= 0.75
        ]
        if len(alternatives) >= 3:
            parent = top.getparent()
            while parent is not None and parent is not self.body:
                if sum(1 for lineage in alternatives if parent in lineage) >= 3:
                    top = parent
                    break
                parent = parent.getparent()
        if top not in by_element:
            self.scores.initialize(top)
        top = self._climb(top)
        parent = top.getparent()
        while parent is not None and parent is not self.body and len(children(parent)) == 1:
            top = parent
            parent = top.getparent()
        if top not in by_element:
            self.scores.initialize(top)
        return top

    def _climb(self, top: _Element) -> _Element:
        by_element = self.scores.by_element
        last = by_element[top]
        threshold = last / 3
        parent = top.getparent()
        while parent is not None and parent is not self.body:
            if parent not in by_element:
                parent = parent.getparent()
                continue
            score = by_element[parent]
            if score < threshold:
                break
            if score > last:
                return parent
            last = score
            parent = parent.getparent()
        return top

    def _everything(self) -> _Element:
        container = etree.Element("div")
        container.text = self.body.text
        self.body.text = None
        for child in list(self.body):
            container.append(child)
        self.body.append(container)
        self.scores.initialize(container)
        return container

    # -- pass 3: siblings ----------------------------------------------------------------------------

    def _gather_siblings(self, top: _Element) -> _Element:
        by_element = self.scores.by_element
        content = etree.Element("div")
        parent = top.getparent()
        if parent is None:
            content.append(top)
            return content
        top_score = by_element.get(top, 0.0)
        threshold = max(10.0, top_score * 0.2)
        top_class = top.get("class") or ""
        chosen = [
            sibling
            for sibling in children(parent)
            if sibling is top or self._sibling_belongs(sibling, top_class, top_score, threshold)
        ]
        chosen += self._peers(top, top_score)
        if len(chosen) > 1:
            order = {el: i for i, el in enumerate(self.body.iter())}
            chosen.sort(key=lambda el: order.get(el, 0))
        for el in chosen:
            if el.tag not in P.ALTER_TO_DIV_EXCEPTIONS:
                el.tag = "div"
            content.append(el)
        return content

    def _declared(self, body: _Element) -> _Element:
        content = etree.Element("div")
        chosen = [body, *self._peers(body, self.scores.by_element.get(body, 0.0))]
        if len(chosen) > 1:
            order = {el: i for i, el in enumerate(self.body.iter())}
            chosen.sort(key=lambda el: order.get(el, 0))
        for el in chosen:
            content.append(el)
        return content

    def _peers(self, top: _Element, top_score: float) -> list[_Element]:
        """Containers elsewhere on the page with the top candidate's tag and class, holding article text.

        Sites that break the article into several identical blocks (around ads, paywall prompts or
        a sidebar) give each block the same class.
        """
        top_class = top.get("class")
        if not top_class:
            return []
        parent = top.getparent()
        lineage = set(top.iterancestors())
        peers = []
        for el, score in self.scores.by_element.items():
            if (
                el is top
                or el.tag != top.tag
                or el.get("class") != top_class
                or el.getparent() is parent
                or score < max(10.0, top_score * 0.1)
                or el in lineage
                or any(a is top for a in el.iterancestors())
            ):
                continue
            peers.append(el)
        return [el for el in peers if not any(a in peers for a in el.iterancestors())]

    def _sibling_belongs(self, sibling: _Element, top_class: str, top_score: float, threshold: float) -> bool:
        same_class = bool(top_class) and sibling.get("class") == top_class
        bonus = top_score * 0.2 if same_class else 0.0
        score = self.scores.by_element.get(sibling)
        if score is not None and (score + bonus >= threshold or (same_class and score > 0)):
            return True
        if sibling.tag != "p":
            return False
        text = inner_text(sibling)
        density = link_density(sibling, len(text))
        if len(text) > 80 and density < 0.25:
            return True
        return 0 < len(text) < 80 and density == 0 and bool(P.SENTENCE_END.search(text))


def _wrap_phrasing(div: _Element) -> None:
    """Put runs of inline content directly inside ``div`` into ``<p>`` elements."""
    current: _Element | None = None
    if (div.text or "").strip():
        current = etree.Element("p")
        current.text = div.text
        div.text = None
        div.insert(0, current)
    for child in list(div):
        if child is current or not isinstance(child.tag, str):
            continue
        if is_phrasing(child):
            if current is not None:
                current.append(child)
            elif child.tag != "br" or (child.tail or "").strip():
                current = etree.Element("p")
                child.addprevious(current)
                current.append(child)
            continue
        current = None
        if (child.tail or "").strip():
            current = etree.Element("p")
            current.text = child.tail
            child.tail = None
            child.addnext(current)


_DECLARED_BODY = etree.XPath(
    ".//*[@itemprop='articleBody' or @id='articleBody' or @id='article-body' or @id='articlebody'"
    " or contains(concat(' ', normalize-space(@class), ' '), ' article-body ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' article__body ')"
    " or contains(concat(' ', normalize-space(@class), ' '), ' articleBody ')]"
)


def declared_body(top: _Element) -> _Element | None:
    """The one container inside ``top`` the page declares as the article body (``itemprop=articleBody``,
    ``.article-body``) when it holds most of ``top``'s text: the rest is header and furniture."""
    found = [el for el in _DECLARED_BODY(top) if el is not top]
    outer = [el for el in found if not any(a in found for a in el.iterancestors())]
    if len(outer) != 1:
        return None
    length = len(inner_text(outer[0]))
    return outer[0] if length >= 500 and length >= 0.6 * len(inner_text(top)) else None


def find_lead(top: _Element, description: str) -> _Element | None:
    """The standfirst printed above the article text, outside the chosen container.

    Looked for in the enclosing ``article``/``main`` (or three levels up), before the container: a
    short prose block with a lead-like class, or repeating the page's description.
    """
    scope = top
    for depth, parent in enumerate(top.iterancestors()):
        scope = parent
        if parent.tag in ("article", "main") or depth >= 3 or parent.tag == "body":
            break
    if scope is top:
        return None
    best: _Element | None = None
    for el in scope.iter(*P.LEAD_TAGS):
        if el is top:
            break
        if any(a is el for a in top.iterancestors()) or has_block_child(el) or el.getparent() is None:
            continue
        text = inner_text(el)
        if not 40 <= len(text) <= 800 or link_density(el, len(text)) > 0.3:
            continue
        cls = el.get("class") or ""
        if (cls and P.LEAD_CLASS.search(cls)) or (description and similar(description, text) > 0.7):
            best = el
    return best


# --- entry point ---------------------------------------------------------------------------------


def grab_article(
    root: _Element,
    title: str = "",
    description: str = "",
    reparse: Callable[[], _Element | None] | None = None,
) -> Grab | None:
    """The main content of the document ``root`` in a new ``div``, or ``None`` when there is no text.

    ``root`` is consumed: re-parse the page for another use. The first attempt uses every rule;
    when it keeps less than ``CHAR_THRESHOLD`` characters the rules are loosened one by one on
    fresh copies of the page, and the longest result wins. ``reparse`` returns a fresh copy (parsing
    the page again); without it a copy is serialised before the first attempt.
    """
    body = root.find("body")
    if body is None:
        body = root
    if reparse is None:
        pristine = etree.tostring(body)

        def reparse() -> _Element | None:
            return etree.fromstring(pristine, etree.HTMLParser())

    attempts: list[Attempt] = []
    bylines: list[str] = []
    flags = ALL_FLAGS
    current = body
    while True:
        grabber = Grabber(current, flags, title, description)
        content = grabber.run()
        if grabber.byline:
            bylines.append(grabber.byline)
        length = len(inner_text(content))
        if length >= CHAR_THRESHOLD:
            return Grab(content, length, bylines[0] if bylines else None)
        attempts.append(Attempt(content, length))
        if flags & FLAG_STRIP_UNLIKELY:
            flags &= ~FLAG_STRIP_UNLIKELY
        elif flags & FLAG_WEIGHT_CLASSES:
            flags &= ~FLAG_WEIGHT_CLASSES
        elif flags & FLAG_CLEAN_CONDITIONALLY:
            flags &= ~FLAG_CLEAN_CONDITIONALLY
        else:
            best = max(attempts, key=lambda a: a.text_length)
            if not best.text_length:
                return None
            return Grab(best.container, best.text_length, bylines[0] if bylines else None)
        fresh = reparse()
        if fresh is None:
            best = max(attempts, key=lambda a: a.text_length)
            return (
                Grab(best.container, best.text_length, bylines[0] if bylines else None)
                if best.text_length
                else None
            )
        found = fresh.find(".//body")
        current = found if found is not None else fresh
