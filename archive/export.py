"""Exporting articles as JSON Lines, CSV or one Markdown file per article.

Every writer takes an iterable of articles (as :func:`archive.queries.iter_articles` yields them) and
writes each one before reading the next, so an export of any size runs in constant memory.
"""

from __future__ import annotations

import csv
import logging
import re
from typing import TYPE_CHECKING, Any

from archive.render import json_line, names, to_markdown

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path
    from typing import TextIO

logger = logging.getLogger(__name__)

FORMATS = ("jsonl", "csv", "markdown")
#: Separator of the items of a list in one CSV cell.
LIST_SEPARATOR = "; "
#: CSV columns, in order. Lists (section path, authors, categories, tags, image URLs, flags) are joined.
CSV_COLUMNS = (
    "id",
    "url",
    "title",
    "subtitle",
    "site",
    "page_type",
    "post_id",
    "section",
    "section_path",
    "authors",
    "categories",
    "tags",
    "published",
    "published_raw",
    "published_source",
    "published_utc",
    "modified",
    "modified_raw",
    "modified_source",
    "modified_utc",
    "visible_date_raw",
    "dateline_place",
    "dateline_raw",
    "dateline_date",
    "language",
    "word_count",
    "flags",
    "images",
    "first_seen",
    "last_seen",
    "last_changed",
    "content_hash",
    "body_text",
)
SLUG_LENGTH = 80


def write_jsonl(articles: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Write one JSON object per line (every field of the article); return how many were written."""
    count = 0
    for article in articles:
        out.write(json_line(dict(article)) + "\n")
        count += 1
    return count


def csv_row(article: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`CSV_COLUMNS` values of ``article``, lists joined with :data:`LIST_SEPARATOR`."""
    row = {name: article.get(name) for name in CSV_COLUMNS}
    row["section_path"] = LIST_SEPARATOR.join(article.get("section_path") or [])
    for name in ("authors", "categories", "tags"):
        row[name] = LIST_SEPARATOR.join(names(article.get(name)))
    row["images"] = LIST_SEPARATOR.join(image["url"] for image in article.get("images") or [])
    row["flags"] = LIST_SEPARATOR.join(article.get("flags") or [])
    return row


def write_csv(articles: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Write a header and one CSV row per article; return how many rows were written.

    ``out`` should be opened with ``newline=""``: values with commas, quotes or line breaks are quoted.
    """
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    count = 0
    for article in articles:
        writer.writerow(csv_row(article))
        count += 1
    return count


def markdown_name(article: Mapping[str, Any]) -> str:
    """File name of an article in a Markdown export: ``<id>-<slug of the URL's last segment>.md``."""
    url = str(article.get("url") or "").split("?")[0].split("#")[0].rstrip("/")
    segment = url.rsplit("/", 1)[-1] if "/" in url else ""
    slug = re.sub(r"[^a-z0-9]+", "-", segment.lower()).strip("-")[:SLUG_LENGTH].strip("-")
    return f"{article['id']}-{slug or 'article'}.md"


def write_markdown(articles: Iterable[Mapping[str, Any]], directory: Path) -> int:
    """Write one Markdown file with YAML front matter per article into ``directory`` (created if needed).

    Files of the same article from an earlier export are overwritten. Returns how many were written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for article in articles:
        path = directory / markdown_name(article)
        path.write_text(to_markdown(article), encoding="utf-8")
        logger.debug("Wrote %s", path)
        count += 1
    return count
