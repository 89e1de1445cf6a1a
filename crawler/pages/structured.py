"""Structured data embedded in a page: JSON-LD (including Yoast's ``@graph``) and meta values."""

from __future__ import annotations

import json
import logging
from typing import Any

from crawler.pages.dom import collapse, strip_tags

logger = logging.getLogger(__name__)

#: schema.org types describing the article itself, in order of preference.
ARTICLE_TYPES = (
    "NewsArticle",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "Article",
    "BlogPosting",
    "Report",
    "ScholarlyArticle",
    "TechArticle",
    "SocialMediaPosting",
    "LiveBlogPosting",
)
_PAGE_TYPES = ("WebPage", "ItemPage", "CollectionPage")


class JsonLd:
    """All JSON-LD nodes of a page, flattened, with an ``@id`` index for resolving references."""

    def __init__(self, scripts: list[str]) -> None:
        self.nodes: list[dict[str, Any]] = []
        for script in scripts:
            self._add(_load(script))
        self.by_id = {node["@id"]: node for node in self.nodes if isinstance(node.get("@id"), str)}
        self.article = self._first_of(ARTICLE_TYPES) or self._first_of(_PAGE_TYPES)

    def _add(self, data: Any) -> None:
        if isinstance(data, list):
            for item in data:
                self._add(item)
        elif isinstance(data, dict):
            graph = data.get("@graph")
            if isinstance(graph, list):
                self._add(graph)
            if "@type" in data:
                self.nodes.append(data)

    def _first_of(self, types: tuple[str, ...]) -> dict[str, Any] | None:
        for wanted in types:
            for node in self.nodes:
                if wanted in types_of(node):
                    return node
        return None

    def resolve(self, value: Any) -> Any:
        """``value`` itself, or the node its ``{"@id": …}`` reference points to."""
        if isinstance(value, dict) and "@id" in value and len(value) <= 2 and "name" not in value:
            return self.by_id.get(value["@id"], value)
        return value

    def article_value(self, key: str) -> Any:
        """The value of ``key`` on the article node (``None`` when absent)."""
        return self.article.get(key) if self.article else None

    def article_text(self, key: str) -> str | None:
        """A text value of the article node, whitespace collapsed."""
        value = self.article_value(key)
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, str):
            return None
        return collapse(value) or None

    def article_strings(self, key: str) -> list[str]:
        """A list-valued (or comma-separated) text property of the article node."""
        value = self.article_value(key)
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            return []
        names = (strip_tags(item) for item in value if isinstance(item, str))
        return [name for name in names if name]

    def article_people(self) -> list[dict[str, Any]]:
        """The article's ``author`` entries, references resolved; plain strings become ``{"name": …}``."""
        value = self.article_value("author")
        items = value if isinstance(value, list) else [value] if value else []
        people = []
        for item in items:
            node = self.resolve(item)
            if isinstance(node, str):
                node = {"name": node}
            if isinstance(node, dict) and strip_tags(_str(node.get("name"))):
                people.append(node)
        return people


def types_of(node: dict[str, Any]) -> list[str]:
    """The ``@type`` of a node as a list."""
    value = node.get("@type")
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _load(script: str) -> Any:
    text = script.strip()
    if text.startswith("<!--"):
        text = text[4:].rsplit("-->", 1)[0]
    if not text:
        return None
    try:
        return json.loads(text, strict=False)
    except ValueError as exc:
        logger.debug("invalid JSON-LD skipped: %s", exc)
        return None
