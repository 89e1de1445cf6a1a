"""Writing to the archive: crawls and articles (one writer at a time)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archive import sql
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
    if sql.first(db, "SELECT 1 FROM crawls WHERE id = ?", (crawl_id,)) is None:
        raise ArchiveError(f"no crawl with id {crawl_id}")


check_crawl = _check_crawl


# --- articles -------------------------------------------------------------------------------


@dataclass
class Upsert:
    """What :func:`store_row` wrote for one article record."""

    status: str
    article_id: int
    #: The ``articles`` columns derived from the record (see :func:`archive.records.article_row`).
    row: dict[str, Any]
    #: Ids of its authors, categories and tags, and its image rows (see :func:`_upsert_shared_rows`).
    children: dict[str, list[Any]]
    #: ``(name, url)`` of each author, category and tag row as stored now, by table and id.
    shared: dict[str, dict[int, tuple[Any, Any]]] = field(default_factory=dict)
    #: The row existed before.
    existed: bool = False
    #: Its removal mark before this store (``articles.removed``).
    removed: str | None = None


@dataclass
class Existing:
    """The stored row of an article, read before it is stored again."""

    article_id: int
    removed: str | None
    content: dict[str, Any]


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
    row = article_row(record)
    with db.atomic():
        _check_crawl(db, crawl_id)
        status = store_row(db, record, row, existing(db, row["url"]), crawl_id=crawl_id, now=now).status
    logger.debug("Stored %s (%s)", row["url"], status)
    return status


def existing(db: Database, url: str, *, removed: bool = False) -> Existing | None:
    """The stored row of the article whose canonical URL is ``url``, or None.

    ``removed``: read its removal mark too (a column of the current schema, see migration m012).
    """
    found = sql.first(db, _SELECT_EXISTING if removed else _SELECT_CONTENT, (url,))
    if found is None:
        return None
    mark, content = (found[1], found[2:]) if removed else (None, found[1:])
    return Existing(int(found[0]), mark, dict(zip(CONTENT_FIELDS, content, strict=True)))


def store_row(
    db: Database,
    record: Mapping[str, Any],
    row: dict[str, Any],
    before: Existing | None,
    *,
    crawl_id: int | None,
    now: str | None = None,
) -> Upsert:
    """Write ``row`` (of ``record``) over ``before`` (its stored row, read by :func:`existing`).

    The statements of :func:`upsert_article` without its savepoint and checks: run it inside a
    transaction, after checking that the crawl exists.
    """
    now = now or utc_now()
    shared: dict[str, dict[int, tuple[Any, Any]]] = {table: {} for table in LINK_TABLES}
    children = _upsert_shared_rows(db, record, shared)
    if before is None:
        status = NEW
        article_id = _insert_article(db, row, now, crawl_id)
        _replace_children(db, article_id, children, fresh=True)
    else:
        article_id = before.article_id
        changed = _differs(before.content, row) or _children(db, article_id) != children
        status = UPDATED if changed else UNCHANGED
        _update_article(db, article_id, row, now, crawl_id, changed=changed)
        if changed:
            _replace_children(db, article_id, children)
    if crawl_id is not None:
        sql.write(db, _COUNT[status], (crawl_id,))
    removed = before.removed if before is not None else None
    return Upsert(status, article_id, row, children, shared, existed=before is not None, removed=removed)


_SELECT_CONTENT = f"SELECT id, {', '.join(CONTENT_FIELDS)} FROM articles WHERE url = ?"
_SELECT_EXISTING = f"SELECT id, removed, {', '.join(CONTENT_FIELDS)} FROM articles WHERE url = ?"
_COUNT = {
    status: f"UPDATE crawls SET articles_{status} = articles_{status} + 1 WHERE id = ?"
    for status in (NEW, UPDATED, UNCHANGED)
}
#: INSERT and UPDATE statements by their columns (the same few every time).
_STATEMENTS: dict[tuple[str, ...], str] = {}


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    key = ("INSERT", table, *columns)
    text = _STATEMENTS.get(key)
    if text is None:
        marks = ", ".join("?" for _ in columns)
        text = _STATEMENTS[key] = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    return text


def _update_sql(columns: tuple[str, ...]) -> str:
    key = ("UPDATE", *columns)
    text = _STATEMENTS.get(key)
    if text is None:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        text = _STATEMENTS[key] = f"UPDATE articles SET {assignments} WHERE id = ?"
    return text


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
    cursor = sql.write(db, _insert_sql("articles", tuple(values)), list(values.values()))
    return int(cursor.lastrowid or 0)


def _update_article(
    db: Database, article_id: int, row: Mapping[str, Any], now: str, crawl_id: int | None, *, changed: bool
) -> None:
    values: dict[str, Any] = {"url_raw": row["url_raw"], "fetched_at": row["fetched_at"], "last_seen": now}
    if crawl_id is not None:
        values["last_crawl_id"] = crawl_id
    if changed:
        values.update({name: row[name] for name in CONTENT_FIELDS}, last_changed=now)
    sql.write(db, _update_sql(tuple(values)), [*values.values(), article_id])


# --- child rows -----------------------------------------------------------------------------


def _upsert_shared_rows(
    db: Database, record: Mapping[str, Any], shared: dict[str, dict[int, tuple[Any, Any]]] | None = None
) -> dict[str, list[Any]]:
    """Upsert the record's authors, categories and tags; return the article's child rows.

    ``shared`` (if given) gets the ``(name, url)`` of each of those rows as stored now, by table and id.
    """
    shared = shared if shared is not None else {table: {} for table in LINK_TABLES}
    return {
        "authors": [_upsert_author(db, author, shared["authors"]) for author in people(record, "authors")],
        "categories": [
            _upsert_term(db, "categories", term, shared["categories"])
            for term in people(record, "categories")
        ],
        "tags": [_upsert_term(db, "tags", term, shared["tags"]) for term in people(record, "tags")],
        "images": [tuple(image[name] for name in IMAGE_COLUMNS) for image in image_rows(record)],
    }


#: The columns an upsert of a shared row may change: ``id, key, name, url`` (authors: ``website, bio``).
_SHARED_COLUMNS = {
    table: "id, key, name, url" + (", website, bio" if table == "authors" else "") for table in LINK_TABLES
}
_FIND_BY_KEY = {table: f"SELECT {_SHARED_COLUMNS[table]} FROM {table} WHERE key = ?" for table in LINK_TABLES}
_FIND_BY_NAME = {
    table: f"SELECT {_SHARED_COLUMNS[table]} FROM {table} WHERE url IS NULL AND site IS ? AND name = ?"
    " ORDER BY id LIMIT 1"
    for table in LINK_TABLES
}


def _find_shared(db: Database, table: str, item: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The row (:data:`_SHARED_COLUMNS`) of ``table`` for ``item``: by key, else a row known only by name
    that now gets a URL."""
    found = sql.first(db, _FIND_BY_KEY[table], (item["key"],))
    if found is None and item["url"]:
        found = sql.first(db, _FIND_BY_NAME[table], (item["site"], item["name"]))
    return found


def _stored(shared: dict[int, tuple[Any, Any]], row_id: int, item: Mapping[str, Any], url: Any) -> int:
    """Note the ``(name, url)`` row ``row_id`` holds after an upsert of ``item`` (its URL was ``url``)."""
    shared[row_id] = (item["name"], item["url"] if item["url"] is not None else url)
    return row_id


def _same(found: tuple[Any, ...], values: tuple[Any, ...]) -> bool:
    """Whether the stored ``(id, key, name, url, ...)`` row ``found`` already holds ``values``
    (``key, name, url, ...``; None keeps the stored value): an UPDATE would change nothing."""
    key, name, *rest = values
    if found[1] != key or found[2] != name:
        return False
    return all(value is None or value == stored for value, stored in zip(rest, found[3:], strict=True))


def _upsert_author(db: Database, author: Mapping[str, Any], shared: dict[int, tuple[Any, Any]]) -> int:
    found = _find_shared(db, "authors", author)
    website, bio = author.get("website") or None, author.get("bio") or None
    values = (author["key"], author["name"], author["url"], website, bio)
    if found is None:
        cursor = sql.write(
            db,
            "INSERT INTO authors (key, site, name, url, website, bio) VALUES (?, ?, ?, ?, ?, ?)",
            (author["key"], author["site"], author["name"], author["url"], website, bio),
        )
        return _stored(shared, int(cursor.lastrowid or 0), author, None)
    if not _same(found, values):
        sql.write(
            db,
            "UPDATE authors SET key = ?, name = ?, url = coalesce(?, url), website = coalesce(?, website),"
            " bio = coalesce(?, bio) WHERE id = ?",
            (*values, found[0]),
        )
    return _stored(shared, int(found[0]), author, found[3])


_INSERT_TERM = {
    table: f"INSERT INTO {table} (key, site, name, url) VALUES (?, ?, ?, ?)" for table in LINK_TABLES
}
_UPDATE_TERM = {
    table: f"UPDATE {table} SET key = ?, name = ?, url = coalesce(?, url) WHERE id = ?"
    for table in LINK_TABLES
}


def _upsert_term(
    db: Database, table: str, term: Mapping[str, Any], shared: dict[int, tuple[Any, Any]]
) -> int:
    found = _find_shared(db, table, term)
    if found is None:
        cursor = sql.write(db, _INSERT_TERM[table], (term["key"], term["site"], term["name"], term["url"]))
        return _stored(shared, int(cursor.lastrowid or 0), term, None)
    values = (term["key"], term["name"], term["url"])
    if not _same(found, values):
        sql.write(db, _UPDATE_TERM[table], (*values, found[0]))
    return _stored(shared, int(found[0]), term, found[3])


_SELECT_LINKS = {
    kind: f"SELECT {column} FROM {link_table} WHERE article_id = ? ORDER BY position"
    for kind, (link_table, column) in LINK_TABLES.items()
}
_SELECT_IMAGES = f"SELECT {', '.join(IMAGE_COLUMNS)} FROM images WHERE article_id = ? ORDER BY position"
_DELETE_LINKS = {
    kind: f"DELETE FROM {link_table} WHERE article_id = ?" for kind, (link_table, _) in LINK_TABLES.items()
}
_INSERT_LINKS = {
    kind: f"INSERT INTO {link_table} (article_id, {column}, position) VALUES (?, ?, ?)"
    for kind, (link_table, column) in LINK_TABLES.items()
}
_INSERT_IMAGES = _insert_sql("images", ("article_id", *IMAGE_COLUMNS))


def _children(db: Database, article_id: int) -> dict[str, list[Any]]:
    """The stored child rows of an article, in the shape :func:`_upsert_shared_rows` returns."""
    children: dict[str, list[Any]] = {
        kind: sql.column(db, _SELECT_LINKS[kind], (article_id,)) for kind in LINK_TABLES
    }
    children["images"] = [tuple(image) for image in db.conn.execute(_SELECT_IMAGES, (article_id,))]
    return children


def _replace_children(
    db: Database, article_id: int, children: Mapping[str, list[Any]], *, fresh: bool = False
) -> None:
    """Make the article's child rows ``children``; ``fresh``: the article was just inserted (it has none)."""
    for kind in LINK_TABLES:
        if not fresh:
            sql.write(db, _DELETE_LINKS[kind], (article_id,))
        rows = [(article_id, target_id, position) for position, target_id in enumerate(children[kind])]
        sql.write_many(db, _INSERT_LINKS[kind], rows)
    if not fresh:
        sql.write(db, "DELETE FROM images WHERE article_id = ?", (article_id,))
    sql.write_many(db, _INSERT_IMAGES, [(article_id, *image) for image in children["images"]])


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
