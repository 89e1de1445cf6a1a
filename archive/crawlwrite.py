"""Storing an article as a crawl does: its row, its new version and its removal mark together.

:func:`store_article` writes the same rows as the four steps it stands for, in this order:
:func:`archive.versions.seed_first_version` (an article stored before versions were kept),
:func:`archive.store.upsert_article`, :func:`archive.versions.record_version` (when the article is new
or changed) and :func:`archive.versions.clear_removed`. It reads the stored row once, skips what cannot
apply (an article stored for the first time has no versions, child rows or removal mark) and takes the
new version's snapshot from what it has just written instead of reading it back.

It runs inside the caller's transaction (a :class:`~archive.batch.WriteBatch` unit) and opens no
savepoint of its own: if it raises, the caller rolls the unit back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from archive import store, versions
from archive.errors import ArchiveError
from archive.records import article_row, utc_now

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlite_utils import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    """What :func:`store_article` did."""

    #: ``"new"``, ``"updated"`` or ``"unchanged"``.
    status: str
    article_id: int
    #: The ``articles`` columns of the record, as stored.
    row: dict[str, Any]
    #: The new version row (see :func:`archive.versions.record_version`), or None.
    version: dict[str, Any] | None
    #: The article was marked removed and is back.
    restored: bool


def store_article(
    db: Database,
    record: Mapping[str, Any],
    *,
    crawl_id: int | None,
    now: str | None = None,
    check_crawl: bool = True,
) -> Stored:
    """Store ``record`` with its new version inside the open transaction (see the module docstring).

    ``check_crawl=False`` skips checking that the crawl ``crawl_id`` exists (its caller created it).
    """
    if not record.get("url"):
        raise ArchiveError("cannot store an article record without a url")
    now = now or utc_now()
    row = article_row(record)
    if check_crawl:
        store.check_crawl(db, crawl_id)
    before = store.existing(db, row["url"], removed=True)
    latest = None
    if before is not None:
        latest = versions.latest_snapshot(db, before.article_id) or versions.seed_first_version(
            db, before.article_id
        )
    upsert = store.store_row(db, record, row, before, crawl_id=crawl_id, now=now)
    version = None
    if upsert.status != store.UNCHANGED:
        version = _version(db, upsert, latest, now=now, crawl_id=crawl_id)
    restored = (
        before is not None and before.removed is not None and versions.clear_removed(db, before.article_id)
    )
    logger.debug("Stored %s (%s)", row["url"], upsert.status)
    return Stored(upsert.status, upsert.article_id, row, version, restored)


def _version(
    db: Database, upsert: store.Upsert, latest: Mapping[str, Any] | None, *, now: str, crawl_id: int | None
) -> dict[str, Any] | None:
    current = versions.written_snapshot(upsert.row, upsert.children, upsert.shared)
    digest = upsert.row["content_hash"]
    if current is None:
        current, digest = versions.snapshot(db, upsert.article_id), None
        assert current is not None
    return versions.add_version(
        db,
        upsert.article_id,
        current,
        latest,
        now=now,
        crawl_id=crawl_id,
        url=upsert.row["url"],
        digest=digest,
    )
