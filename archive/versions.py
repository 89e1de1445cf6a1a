"""Revisions of articles (table ``article_versions``) and articles removed from the site.

Every distinct version of an article is kept as a *snapshot*: the fields a reader sees (title, body,
dates, authors, terms, images ...), as stored after normalisation. A new version records which fields
changed, a unified diff of the body text and whether the site *declared* the change (its modified date
moved) or not (a silent edit). An article whose page answers 404 or 410 is marked ``removed`` with the
date and status; it is never deleted.
"""

from __future__ import annotations

import difflib
import logging
from typing import TYPE_CHECKING, Any

from archive import sql
from archive.queries import get_article
from archive.records import content_hash, dump_json, load_json

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlite_utils import Database

logger = logging.getLogger(__name__)

#: Article fields that make a version: what a reader of the article sees.
VERSION_FIELDS = (
    "title",
    "subtitle",
    "section",
    "section_path",
    "published",
    "modified",
    "dateline_place",
    "dateline_raw",
    "dateline_date",
    "language",
    "authors",
    "categories",
    "tags",
    "images",
    "body_text",
    "body_html",
)
FIRST, RECRAWL, REEXTRACT = "first", "recrawl", "reextract"
#: Version fields read from child rows rather than from the ``articles`` row.
CHILD_FIELDS = ("authors", "categories", "tags", "images")
#: Keys of an image in a snapshot (``images`` columns 1 to 4).
IMAGE_KEYS = ("role", "url", "caption", "alt")


def snapshot(db: Database, article_id: int) -> dict[str, Any] | None:
    """The version fields of the stored article ``article_id`` (None if there is no such article)."""
    article = get_article(db, article_id)
    if article is None:
        return None
    snap = {name: article.get(name) for name in VERSION_FIELDS if name not in ("authors", "images")}
    snap["authors"] = [{"name": a["name"], "url": a["url"]} for a in article["authors"]]
    snap["categories"] = [term["name"] for term in article["categories"]]
    snap["tags"] = [term["name"] for term in article["tags"]]
    snap["images"] = [
        {"role": i["role"], "url": i["url"], "caption": i["caption"], "alt": i["alt"]}
        for i in article["images"]
    ]
    return {name: snap[name] for name in VERSION_FIELDS}


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the version fields whose values differ, in :data:`VERSION_FIELDS` order."""
    return [name for name in VERSION_FIELDS if old.get(name) != new.get(name)]


def is_declared(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether the site declared the change: the article's modified date moved."""
    return bool(new.get("modified")) and new.get("modified") != old.get("modified")


def body_diff(old: str | None, new: str | None, *, label: str, old_version: int, new_version: int) -> str:
    """A unified diff of two body texts, one paragraph per line."""
    lines = difflib.unified_diff(
        _paragraphs(old),
        _paragraphs(new),
        fromfile=f"{label} (version {old_version})",
        tofile=f"{label} (version {new_version})",
        lineterm="",
    )
    return "\n".join(lines)


def _paragraphs(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


def versions(db: Database, article_id: int) -> list[dict[str, Any]]:
    """The versions of an article, oldest first, with JSON columns decoded."""
    rows = list(
        db.query("SELECT * FROM article_versions WHERE article_id = ? ORDER BY version", [article_id])
    )
    for row in rows:
        row["snapshot"] = load_json(row["snapshot"])
        row["changed_fields"] = load_json(row["changed_fields"])
        row["declared"] = None if row["declared"] is None else bool(row["declared"])
    return rows


def latest_version(db: Database, article_id: int) -> dict[str, Any] | None:
    """The newest version of an article, or None before its first one."""
    rows = list(
        db.query(
            "SELECT * FROM article_versions WHERE article_id = ? ORDER BY version DESC LIMIT 1", [article_id]
        )
    )
    if not rows:
        return None
    row = rows[0]
    row["snapshot"] = load_json(row["snapshot"])
    return row


def record_version(
    db: Database,
    article_id: int,
    *,
    now: str,
    crawl_id: int | None,
    cause: str = RECRAWL,
) -> dict[str, Any] | None:
    """Add the stored state of ``article_id`` as a new version if it differs from the latest one.

    Returns the new version row (``version``, ``changed_fields``, ``declared`` ...) or None when the
    stored article is the latest version already.
    """
    current = snapshot(db, article_id)
    if current is None:
        return None
    latest = latest_version(db, article_id)
    return add_version(db, article_id, current, latest, now=now, crawl_id=crawl_id, cause=cause)


def add_version(
    db: Database,
    article_id: int,
    current: dict[str, Any],
    latest: Mapping[str, Any] | None,
    *,
    now: str,
    crawl_id: int | None,
    cause: str = RECRAWL,
    url: str | None = None,
    digest: str | None = None,
) -> dict[str, Any] | None:
    """Add ``current`` (the article's snapshot) as a version after ``latest`` (its ``version`` and
    ``snapshot``; None before the first) if it differs; see :func:`record_version`.

    ``url`` is the article's URL and ``digest`` the :func:`~archive.records.content_hash` of
    ``current`` when the caller knows them.
    """
    if latest is None:
        return _insert(db, article_id, 1, current, now=now, crawl_id=crawl_id, cause=FIRST, digest=digest)
    old = latest["snapshot"]
    changed = changed_fields(old, current)
    if not changed:
        return None
    number = int(latest["version"]) + 1
    url = url if url is not None else _article_url(db, article_id)
    diff = None
    if "body_text" in changed:
        diff = body_diff(
            old.get("body_text"),
            current.get("body_text"),
            label=url,
            old_version=number - 1,
            new_version=number,
        )
    declared = is_declared(old, current) if cause == RECRAWL else None
    row = _insert(
        db,
        article_id,
        number,
        current,
        now=now,
        crawl_id=crawl_id,
        cause=cause,
        changed=changed,
        declared=declared,
        diff=diff,
        digest=digest,
    )
    kind = "declared" if declared else "silent" if declared is not None else cause
    logger.info("New version %d of %s (%s edit): %s", number, url, kind, ", ".join(changed))
    return row


def latest_snapshot(db: Database, article_id: int) -> dict[str, Any] | None:
    """``version`` and ``snapshot`` (decoded when first read) of the newest version of an article, or None."""
    found = sql.first(db, _LATEST, (article_id,))
    return None if found is None else _Latest(version=found[0], text=found[1])


class _Latest(dict):  # type: ignore[type-arg]
    """A version row (``version``) whose ``snapshot`` JSON is decoded only if it is looked at."""

    def __init__(self, *, version: int, text: str) -> None:
        super().__init__(version=version)
        self._text = text

    def __missing__(self, key: str) -> Any:
        if key != "snapshot":
            raise KeyError(key)
        value = self["snapshot"] = load_json(self._text)
        return value


_LATEST = "SELECT version, snapshot FROM article_versions WHERE article_id = ? ORDER BY version DESC LIMIT 1"
_TEXT_FIELDS = tuple(name for name in VERSION_FIELDS if name not in ("section_path", *CHILD_FIELDS))


def written_snapshot(
    row: Mapping[str, Any], children: Mapping[str, list[Any]], shared: Mapping[str, Mapping[int, tuple]]
) -> dict[str, Any] | None:
    """The :func:`snapshot` of an article from what was just written: its ``articles`` row, its child
    rows and the ``(name, url)`` of its authors and terms (see :class:`archive.store.Upsert`).

    None when a value might not read back as written (a value that is not text): read the snapshot
    back with :func:`snapshot` then.
    """
    snap = {name: row[name] for name in _TEXT_FIELDS}
    authors = [shared["authors"][author_id] for author_id in children["authors"]]
    images = [dict(zip(IMAGE_KEYS, image[1:5], strict=True)) for image in children["images"]]
    texts = [*snap.values(), *(value for pair in authors for value in pair)]
    texts += [value for image in images for value in image.values()]
    if not all(value is None or type(value) is str for value in texts):
        return None
    snap["section_path"] = load_json(row["section_path"])
    snap["authors"] = [{"name": name, "url": url} for name, url in authors]
    for kind in ("categories", "tags"):
        names = [shared[kind][term_id][0] for term_id in children[kind]]
        if not all(type(name) is str for name in names):
            return None
        snap[kind] = names
    snap["images"] = images
    return {name: snap[name] for name in VERSION_FIELDS}


def seed_first_version(db: Database, article_id: int) -> dict[str, Any] | None:
    """Record the stored article as its first version if it has none (articles stored before versions)."""
    if latest_version(db, article_id) is not None:
        return None
    rows = list(db.query("SELECT first_seen, first_crawl_id FROM articles WHERE id = ?", [article_id]))
    if not rows:
        return None
    current = snapshot(db, article_id)
    assert current is not None
    return _insert(
        db, article_id, 1, current, now=rows[0]["first_seen"], crawl_id=rows[0]["first_crawl_id"], cause=FIRST
    )


def _insert(
    db: Database,
    article_id: int,
    number: int,
    snap: dict[str, Any],
    *,
    now: str,
    crawl_id: int | None,
    cause: str,
    changed: list[str] | None = None,
    declared: bool | None = None,
    diff: str | None = None,
    digest: str | None = None,
) -> dict[str, Any]:
    row = {
        "article_id": article_id,
        "version": number,
        "recorded": now,
        "crawl_id": crawl_id,
        "cause": cause,
        "changed_fields": dump_json(changed),
        "declared": None if declared is None else int(declared),
        "body_diff": diff,
        "content_hash": digest or content_hash(snap.get("title"), snap.get("body_text")),
        "snapshot": dump_json(snap),
    }
    sql.write(db, _INSERT_VERSION, list(row.values()))
    return {**row, "changed_fields": changed, "snapshot": snap, "declared": declared}


_INSERT_VERSION = (
    "INSERT INTO article_versions (article_id, version, recorded, crawl_id, cause, changed_fields, declared,"
    " body_diff, content_hash, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _article_url(db: Database, article_id: int) -> str:
    rows = list(db.query("SELECT url FROM articles WHERE id = ?", [article_id]))
    return rows[0]["url"] if rows else str(article_id)


# --- removal --------------------------------------------------------------------------------


def find_article_id(db: Database, url: str) -> int | None:
    """The id of the article whose canonical URL or fetch URL is ``url`` (trailing slash optional)."""
    other = url[:-1] if url.endswith("/") else url + "/"
    for column in ("url", "url_raw"):
        rows = list(
            db.query(f"SELECT id FROM articles WHERE {column} IN (?, ?) ORDER BY id LIMIT 1", [url, other])
        )
        if rows:
            return int(rows[0]["id"])
    return None


def mark_removed(db: Database, url: str, *, status: int, now: str) -> int | None:
    """Mark the article of ``url`` removed (answered ``status``); return its id if it was not marked yet."""
    article_id = find_article_id(db, url)
    if article_id is None:
        return None
    cursor = db.execute(
        "UPDATE articles SET removed = ?, removed_status = ? WHERE id = ? AND removed IS NULL",
        [now, status, article_id],
    )
    if cursor.rowcount:
        logger.warning("Article removed from the site (%d): %s", status, url)
        return article_id
    return None


def clear_removed(db: Database, article_id: int) -> bool:
    """Unmark a removed article that answers again; True if it was marked."""
    cursor = db.execute(
        "UPDATE articles SET removed = NULL, removed_status = NULL WHERE id = ? AND removed IS NOT NULL",
        [article_id],
    )
    if cursor.rowcount:
        logger.info("Article %d is back on the site", article_id)
    return bool(cursor.rowcount)


def history(db: Database, url_or_id: str | int) -> dict[str, Any] | None:
    """An article (id, url, title, first/last seen, removal) with all its versions, or None."""
    article = get_article(db, url_or_id)
    if article is None:
        return None
    keys = ("id", "url", "title", "first_seen", "last_seen", "last_changed", "removed", "removed_status")
    result = {key: article.get(key) for key in keys}
    result["versions"] = versions(db, article["id"])
    return result
