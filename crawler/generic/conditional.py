"""Cleaning the chosen content as Readability's ``_prepArticle`` does: forms, tables, lists and
divisions that look like navigation, ads or widgets are removed, as are share widgets and headers
with negative class names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawler.generic import patterns as P
from crawler.generic.scoring import FLAG_CLEAN_CONDITIONALLY, FLAG_WEIGHT_CLASSES, Scores, class_weight
from crawler.generic.tree import children, has_ancestor, inner_text, link_density, match_string, remove

if TYPE_CHECKING:
    from lxml.etree import _Element

CHAR_THRESHOLD = 500


def prepare_article(content: _Element, scores: Scores) -> None:
    """Clean the gathered ``content`` in place (the flags of ``scores`` say which rules apply)."""
    data_tables = _mark_data_tables(content)
    clean_conditionally(content, "form", scores, data_tables)
    clean_conditionally(content, "fieldset", scores, data_tables)
    for tag in ("object", "embed", "footer", "link", "aside"):
        for el in list(content.iter(tag)):
            remove(el)
    for top in children(content):
        for el in list(top.iter()):
            if el is top or not isinstance(el.tag, str):
                continue
            if P.SHARE.search(match_string(el)) and len(inner_text(el)) < CHAR_THRESHOLD:
                remove(el)
    for tag in ("iframe", "input", "textarea", "select", "button"):
        for el in list(content.iter(tag)):
            if tag != "iframe" or not P.VIDEO_HOSTS.search(el.get("src") or ""):
                remove(el)
    if scores.flags & FLAG_WEIGHT_CLASSES:
        for header in list(content.iter("h1", "h2")):
            if class_weight(header) < 0:
                remove(header)
    for tag in ("table", "ul", "div"):
        clean_conditionally(content, tag, scores, data_tables)
    for p in list(content.iter("p")):
        if not inner_text(p) and not any(True for _ in p.iter("img", "embed", "object", "iframe")):
            remove(p)


def _mark_data_tables(content: _Element) -> set[_Element]:
    data: set[_Element] = set()
    for table in content.iter("table"):
        if _is_data_table(table):
            data.add(table)
    return data


def _is_data_table(table: _Element) -> bool:
    if table.get("role") == "presentation" or table.get("datatable") == "0":
        return False
    if table.get("summary"):
        return True
    caption = table.find("caption")
    if caption is not None and inner_text(caption):
        return True
    if any(True for _ in table.iter("col", "colgroup", "tfoot", "thead", "th")):
        return True
    if any(t is not table for t in table.iter("table")):
        return False
    rows = list(table.iter("tr"))
    columns = max((len([c for c in row if c.tag in ("td", "th")]) for row in rows), default=0)
    if len(rows) >= 10 or columns > 4:
        return True
    return len(rows) * columns > 10


def clean_conditionally(content: _Element, tag: str, scores: Scores, data_tables: set[_Element]) -> None:
    """Remove ``tag`` elements that look like navigation, ads or widgets (Readability's rules)."""
    if not scores.flags & FLAG_CLEAN_CONDITIONALLY:
        return
    for node in reversed(list(content.iter(tag))):
        if node is content or node.getparent() is None:
            continue
        if _should_remove(node, tag, scores, data_tables):
            remove(node)


def _should_remove(node: _Element, tag: str, scores: Scores, data_tables: set[_Element]) -> bool:
    text = inner_text(node)
    is_list = tag in ("ul", "ol")
    if not is_list:
        list_length = sum(len(inner_text(lst)) for lst in node.iter("ul", "ol"))
        is_list = bool(text) and list_length / len(text) > 0.9
    if tag == "table" and node in data_tables:
        return False
    if has_ancestor(node, "table", -1, lambda t: t in data_tables) or has_ancestor(node, "code", 0):
        return False
    if any(t in data_tables for t in node.iter("table")):
        return False
    weight = scores.weight(node)
    if weight < 0:
        return True
    if len(P.COMMAS.findall(text)) >= 10:
        return False
    if P.AD_WORDS.match(text) or P.LOADING_WORDS.match(text):
        return True
    reasons = _shady(node, text, weight, is_list)
    if is_list and reasons:
        kids = children(node)
        if any(len(children(kid)) > 1 for kid in kids):
            return True
        images = sum(1 for _ in node.iter("img"))
        return images != sum(1 for _ in node.iter("li"))
    return reasons


def _shady(node: _Element, text: str, weight: int, is_list: bool) -> bool:
    paragraphs = sum(1 for _ in node.iter("p"))
    images = sum(1 for _ in node.iter("img"))
    items = sum(1 for _ in node.iter("li")) - 100
    inputs = sum(1 for _ in node.iter("input"))
    embeds = 0
    for embed in node.iter("object", "embed", "iframe"):
        if P.VIDEO_HOSTS.search(embed.get("src") or ""):
            return False
        embeds += 1
    length = len(text)
    density = link_density(node, length)
    figure_child = has_ancestor(node, "figure", 3)
    heading_density = _text_density(node, P.HEADINGS, length)
    text_density = _text_density(node, P.TEXTISH, length)
    return (
        (not figure_child and images > 1 and paragraphs / images < 0.5)
        or (not is_list and items > paragraphs)
        or inputs > paragraphs // 3
        or (
            not is_list
            and not figure_child
            and heading_density < 0.9
            and length < 25
            and (images == 0 or images > 2)
            and density > 0
        )
        or (not is_list and weight < 25 and density > 0.2)
        or (weight >= 25 and density > 0.5)
        or (embeds == 1 and length < 75)
        or embeds > 1
        or (images == 0 and text_density == 0)
    )


def _text_density(node: _Element, tags: frozenset[str], length: int) -> float:
    if not length:
        return 0.0
    inside = sum(len(inner_text(el)) for el in node.iter(*tags) if el is not node)
    return inside / length
