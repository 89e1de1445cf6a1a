"""Writing to the archive: crawls and articles (one writer at a time)."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from archive.errors import ArchiveError
from archive.records import CONTENT_FIELDS, article_row, dump_json, image_rows, people, utc_now

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from sqlite_utils import Database

logger = logging.getLogger(__name__)

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"
IMAGE_COLUMNS = ("position", "role", "url", "caption", "alt", "width", "height")
#: Link table and link column of each kind of shared row.
LINK_TABLES = {
    "authors": ("article_authors", "author_id"),
    "categories": ("article_categories", "category_id"),
    "tags": ("article_tags", "tag_id"),
}


# --- crawls ---------------------------------------------------------------------------------


def start_crawl(db: Database, *, spider: str, site: str, args: dict[str, Any] | None = None) -> int:
    """Record the start of a crawl (status ``running``) and return its id."""
    cursor = db.execute(
        "INSERT INTO crawls (spider, site, started, status, args) VALUES (?, ?, ?, 'running', ?)",
        [spider, site, utc_now(), dump_json(args or {})],
    )
    crawl_id = int(cursor.lastrowid or 0)
    logger.info("Started crawl %d (spider %s, site %s)", crawl_id, spider, site)
    return crawl_id


def finish_crawl(
    db: Database, crawl_id: int, *, status: str, stats: Mapping[str, Any], now: str | None = None
) -> None:
    """Record the end of a crawl: its status (or Scrapy finish reason) and its stats as JSON."""
    cursor = db.execute(
        "UPDATE crawls SET finished = ?, status = ?, stats = ? WHERE id = ?",
        [now or utc_now(), status, dump_json(dict(stats or {})), crawl_id],
    )
    if cursor.rowcount == 0:
        raise ArchiveError(f"no crawl with id {crawl_id}")
    logger.info("Finished crawl %d: %s", crawl_id, status)


def _check_crawl(db: Database, crawl_id: int | None) -> None:
    if crawl_id is None:
        return
    if not list(db.query("SELECT 1 FROM crawls WHERE id = ?", [crawl_id])):
        raise ArchiveError(f"no crawl with id {crawl_id}")


# --- articles -------------------------------------------------------------------------------


def upsert_article(
    db: Database, record: Mapping[str, Any], *, crawl_id: int | None = None, now: str | None = None
) -> str:
    """Store one article record in one transaction; return ``"new"``, ``"updated"`` or ``"unchanged"``.

    The canonical URL identifies the article: storing it again updates the row in place, keeps
    ``first_seen``/``first_crawl_id`` and moves ``last_seen``/``last_crawl_id``. Authors, categories,
    tags and images are replaced to match the record when the article changed.
    """
    if not record.get("url"):
        raise ArchiveError("cannot store an article record without a url")
    now = now or utc_now()
    row = article_row(record)
    with db.atomic():
        _check_crawl(db, crawl_id)
        children = _upsert_shared_rows(db, record)
        existing = _existing(db, row["url"])
        if existing is None:
            status = NEW
            article_id = _insert_article(db, row, now, crawl_id)
            _replace_children(db, article_id, children)
        else:
            article_id = existing["id"]
            changed = _differs(existing, row) or _children(db, article_id) != children
            status = UPDATED if changed else UNCHANGED
            _update_article(db, article_id, row, now, crawl_id, changed=changed)
            if changed:
                _replace_children(db, article_id, children)
        if crawl_id is not None:
            counter = f"articles_{status}"
            db.execute(f"UPDATE crawls SET {counter} = {counter} + 1 WHERE id = ?", [crawl_id])
    logger.debug("Stored %s (%s)", row["url"], status)
    return status


def _existing(db: Database, url: str) -> dict[str, Any] | None:
    columns = ", ".join(("id", *CONTENT_FIELDS))
    rows = list(db.query(f"SELECT {columns} FROM articles WHERE url = ?", [url]))
    return rows[0] if rows else None


def _differs(existing: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    return any(existing[name] != row[name] for name in CONTENT_FIELDS)


def _insert_article(db: Database, row: Mapping[str, Any], now: str, crawl_id: int | None) -> int:
    values = {
        **row,
        "first_seen": now,
        "last_seen": now,
        "last_changed": now,
        "first_crawl_id": crawl_id,
        "last_crawl_id": crawl_id,
    }
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = db.execute(f"INSERT INTO articles ({columns}) VALUES ({marks})", list(values.values()))
    return int(cursor.lastrowid or 0)


def _update_article(
    db: Database, article_id: int, row: Mapping[str, Any], now: str, crawl_id: int | None, *, changed: bool
) -> None:
    values: dict[str, Any] = {"url_raw": row["url_raw"], "fetched_at": row["fetched_at"], "last_seen": now}
    if crawl_id is not None:
        values["last_crawl_id"] = crawl_id
    if changed:
        values.update({name: row[name] for name in CONTENT_FIELDS}, last_changed=now)
    assignments = ", ".join(f"{name} = ?" for name in values)
    db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*values.values(), article_id])


# --- child rows -----------------------------------------------------------------------------


def _upsert_shared_rows(db: Database, record: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Upsert the record's authors, categories and tags; return the article's child rows."""
    return {
        "authors": [_upsert_author(db, author) for author in people(record, "authors")],
        "categories": [_upsert_term(db, "categories", term) for term in people(record, "categories")],
        "tags": [_upsert_term(db, "tags", term) for term in people(record, "tags")],
        "images": [tuple(image[name] for name in IMAGE_COLUMNS) for image in image_rows(record)],
    }


def _find_shared(db: Database, table: str, item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The row of ``table`` for ``item``: by key, else a row known only by name that now gets a URL."""
    rows = list(db.query(f"SELECT * FROM {table} WHERE key = ?", [item["key"]]))
    if not rows and item["url"]:
        rows = list(
            db.query(
                f"SELECT * FROM {table} WHERE url IS NULL AND site IS ? AND name = ? ORDER BY id LIMIT 1",
                [item["site"], item["name"]],
            )
        )
    return rows[0] if rows else None


def _upsert_author(db: Database, author: Mapping[str, Any]) -> int:
    existing = _find_shared(db, "authors", author)
    website, bio = author.get("website") or None, author.get("bio") or None
    if existing is None:
        cursor = db.execute(
            "INSERT INTO authors (key, site, name, url, website, bio) VALUES (?, ?, ?, ?, ?, ?)",
            [author["key"], author["site"], author["name"], author["url"], website, bio],
        )
        return int(cursor.lastrowid or 0)
    db.execute(
        "UPDATE authors SET key = ?, name = ?, url = coalesce(?, url), website = coalesce(?, website),"
        " bio = coalesce(?, bio) WHERE id = ?",
        [author["key"], author["name"], author["url"], website, bio, existing["id"]],
    )
    return int(existing["id"])


def _upsert_term(db: Database, table: str, term: Mapping[str, Any]) -> int:
    existing = _find_shared(db, table, term)
    if existing is None:
        cursor = db.execute(
            f"INSERT INTO {table} (key, site, name, url) VALUES (?, ?, ?, ?)",
            [term["key"], term["site"], term["name"], term["url"]],
        )
        return int(cursor.lastrowid or 0)
    db.execute(
        f"UPDATE {table} SET key = ?, name = ?, url = coalesce(?, url) WHERE id = ?",
        [term["key"], term["name"], term["url"], existing["id"]],
    )
    return int(existing["id"])


def _children(db: Database, article_id: int) -> dict[str, list[Any]]:
    """The stored child rows of an article, in the shape :func:`_upsert_shared_rows` returns."""
    children: dict[str, list[Any]] = {}
    for kind, (link_table, column) in LINK_TABLES.items():
        sql = f"SELECT {column} FROM {link_table} WHERE article_id = ? ORDER BY position"
        rows = db.query(sql, [article_id])
        children[kind] = [row[column] for row in rows]
    images = db.query(
        f"SELECT {', '.join(IMAGE_COLUMNS)} FROM images WHERE article_id = ? ORDER BY position", [article_id]
    )
    children["images"] = [tuple(image[name] for name in IMAGE_COLUMNS) for image in images]
    return children


def _replace_children(db: Database, article_id: int, children: Mapping[str, list[Any]]) -> None:
    for kind, (link_table, column) in LINK_TABLES.items():
        db.execute(f"DELETE FROM {link_table} WHERE article_id = ?", [article_id])
        for position, target_id in enumerate(children[kind]):
            db.execute(
                f"INSERT INTO {link_table} (article_id, {column}, position) VALUES (?, ?, ?)",
                [article_id, target_id, position],
            )
    db.execute("DELETE FROM images WHERE article_id = ?", [article_id])
    marks = ", ".join("?" for _ in IMAGE_COLUMNS)
    for image in children["images"]:
        db.execute(
            f"INSERT INTO images (article_id, {', '.join(IMAGE_COLUMNS)}) VALUES (?, {marks})",
            [article_id, *image],
        )


# --- batching -------------------------------------------------------------------------------


class ArticleWriter:
    """Stores article records, committing every ``batch_size`` records instead of every record.

    Each :meth:`add` still runs in its own savepoint, so a failing record leaves the others intact.
    Leaving the ``with`` block (normally or by an exception) commits what was added.
    """

    def __init__(self, db: Database, crawl_id: int | None = None, batch_size: int = 50) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.db = db
        self.crawl_id = crawl_id
        self.batch_size = batch_size
        #: How many records were stored with each status.
        self.counts: Counter[str] = Counter()
        self._in_batch = 0
        self._began = False

    def add(self, record: Mapping[str, Any], *, now: str | None = None) -> str:
        """Store ``record``; return its status (``"new"``, ``"updated"`` or ``"unchanged"``)."""
        if not self.db.conn.in_transaction:
            self.db.execute("BEGIN")
            self._began = True
        status = upsert_article(self.db, record, crawl_id=self.crawl_id, now=now)
        self.counts[status] += 1
        self._in_batch += 1
        if self._in_batch >= self.batch_size:
            self.flush()
        return status

    def flush(self) -> None:
        """Commit the records added since the last commit."""
        if self._began and self.db.conn.in_transaction:
            self.db.execute("COMMIT")
        self._began = False
        self._in_batch = 0

    close = flush

    def __enter__(self) -> ArticleWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.flush()
